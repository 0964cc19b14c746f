// SPDX-License-Identifier: MIT OR Apache-2.0
//! `[[virtual.real]]` and `fallback` (of a virtual or of `[defaults]`): an
//! address, a forwarding method and a weight.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::ops::Range;

use crate::fields::{Checker, Fields};
use crate::model::{Family, Forward, Real, VirtualKey};
use crate::tree::Value;
use crate::words::FORWARD;

use super::values::{or_default, parse_endpoint, ranged};

/// A fallback before the virtual's port is known.
#[derive(Clone)]
pub(super) struct FallbackSpec {
    pub(super) ip: IpAddr,
    pub(super) port: Option<u16>,
    pub(super) forward: Forward,
    pub(super) weight: u32,
}

/// The reals of a virtual; a real without a port takes `default_port`.
/// Reals are checked even when the virtual's key is bad, so every error
/// shows.
pub(super) fn reals(
    checker: &mut Checker<'_>,
    v: &Fields<'_>,
    key: Option<&VirtualKey>,
    default_port: u16,
) -> Vec<Real> {
    let mut reals: Vec<Real> = Vec::new();
    let mut seen: HashMap<SocketAddr, usize> = HashMap::new();
    for r in checker.tables(v, "real") {
        let real = checker.read(r, |checker, r| {
            real(checker, r, key, default_port, &mut seen)
        });
        reals.extend(real);
    }
    reals
}

/// One real: refused when bad, a duplicate, or of a family that does not
/// fit.
fn real(
    checker: &mut Checker<'_>,
    r: &Fields<'_>,
    key: Option<&VirtualKey>,
    default_port: u16,
    seen: &mut HashMap<SocketAddr, usize>,
) -> Option<Real> {
    let address = match checker.string(r, "address") {
        Some((text, item)) => match parse_endpoint(text) {
            Some((ip, port)) => Some((SocketAddr::new(ip, port.unwrap_or(default_port)), item)),
            None => {
                checker.error(
                    &item.span,
                    Some(r.key("address")),
                    format!(
                        "`{text}` is not an address: expected a.b.c.d, a.b.c.d:port or [v6]:port"
                    ),
                );
                None
            }
        },
        None => {
            if !r.has("address") {
                checker.error(&r.span, Some(r.key("address")), "missing");
            }
            None
        }
    };
    let forward = forward(checker, r);
    let weight = weight(checker, r);
    // Duplicates are found even when other keys of the real are bad.
    if let Some((address, item)) = &address {
        let line = checker.source.location_of(&item.span).line;
        if let Some(first) = seen.insert(*address, line) {
            checker.error(
                &item.span,
                Some(r.key("address")),
                format!("duplicate real {address} in this virtual (first at line {first})"),
            );
            return None;
        }
    }
    let (address, item) = address?;
    let real = Real {
        address,
        forward: forward?,
        weight: weight?,
    };
    family_fits(checker, &item.span, &r.key("address"), key, &real).then_some(real)
}

/// `forward`, gate when absent.
fn forward(checker: &mut Checker<'_>, fields: &Fields<'_>) -> Option<Forward> {
    checker
        .word(fields, "forward", &FORWARD)
        .unwrap_or(Ok(Forward::Gate))
        .ok()
}

/// `weight`, 1 when absent.
fn weight(checker: &mut Checker<'_>, fields: &Fields<'_>) -> Option<u32> {
    or_default(checker, fields, "weight", 1, |checker, fields, name| {
        ranged(checker, fields, name, 0..=65535)
    })
}

/// `fallback = "ip:port"` or `fallback = { address, forward, weight }`.
pub(super) fn fallback(checker: &mut Checker<'_>, parent: &Fields<'_>) -> Option<FallbackSpec> {
    let item = parent.get("fallback")?;
    let (address_item, forward, weight, path) = match &item.value {
        Value::String(_) => (item, Some(Forward::Gate), Some(1), parent.key("fallback")),
        Value::Table(_) => {
            let f = checker.table(parent, "fallback")?;
            checker.read(f, |checker, f| {
                let address_item = f.get("address");
                let forward = forward(checker, f);
                let weight = weight(checker, f);
                let Some(address_item) = address_item else {
                    checker.error(&f.span, Some(f.key("address")), "missing");
                    return None;
                };
                Some((address_item, forward, weight, f.key("address")))
            })?
        }
        other => {
            checker.error(
                &item.span,
                Some(parent.key("fallback")),
                format!("expected \"ip:port\" or a table, found {}", other.kind()),
            );
            return None;
        }
    };
    let Value::String(text) = &address_item.value else {
        checker.error(&address_item.span, Some(path), "expected a string");
        return None;
    };
    let Some((ip, port)) = parse_endpoint(text) else {
        checker.error(
            &address_item.span,
            Some(path),
            format!("`{text}` is not an address"),
        );
        return None;
    };
    Some(FallbackSpec {
        ip,
        port,
        forward: forward?,
        weight: weight?,
    })
}

/// Mixed families only with tunnel forwarding, as the kernel requires.
pub(super) fn family_fits(
    checker: &mut Checker<'_>,
    span: &Range<usize>,
    path: &str,
    key: Option<&VirtualKey>,
    real: &Real,
) -> bool {
    let real_family = Family::of(real.address.ip());
    let Some(key) = key else {
        return true;
    };
    if real_family == key.family() || real.forward == Forward::Ipip {
        return true;
    }
    let name = |f: Family| if f == Family::Ipv4 { "IPv4" } else { "IPv6" };
    checker.error(
        span,
        Some(path.to_string()),
        format!(
            "{} is {} but the virtual is {}: only ipip forwarding can mix families",
            real.address,
            name(real_family),
            name(key.family())
        ),
    );
    false
}
