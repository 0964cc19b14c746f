// SPDX-License-Identifier: MIT OR Apache-2.0
//! `[[virtual]]`: what identifies the service (`address` and `protocol`, or
//! `fwmark` and `family`), its scheduling, and what it inherits from
//! `[defaults]`.

use std::net::{Ipv4Addr, SocketAddr};

use crate::fields::{Checker, Fields};
use crate::model::{
    CheckKind, Family, Netmask, Protocol, Real, SchedulerFlags, Virtual, VirtualKey,
};
use crate::tree::Value;
use crate::words::{FAMILY, PROTOCOL};

use super::values::{directory, parse_endpoint, ranged};
use super::{check, hooks, origin, reals, Defaults, DEFAULT_SCHEDULER, SCHEDULERS};

/// One virtual with its reals, or `None` when anything of it is wrong.
pub(super) fn virtual_(
    checker: &mut Checker<'_>,
    v: &Fields<'_>,
    defaults: &Defaults<'_>,
) -> Option<Virtual> {
    let origin = origin(checker, &v.span);
    let name = checker.string(v, "name").map(|(n, _)| n.to_string());
    let key = virtual_key(checker, v);
    let scheduler = scheduler(checker, v);
    let scheduler_flags = scheduler_flags(checker, v, scheduler.as_deref());
    let persistent = ranged(checker, v, "persistent", 1..=31_536_000);
    let netmask = key
        .as_ref()
        .and_then(|key| netmask(checker, v, key.family()));
    if let (Some(item), None) = (v.get("netmask"), v.get("persistent")) {
        checker.warning(
            &item.span,
            Some(v.key("netmask")),
            "has no effect without `persistent`",
        );
    }
    let quiescent = checker
        .boolean(v, "quiescent")
        .map_or(defaults.quiescent, |(q, _)| q);
    let fallback_spec = if v.has("fallback") {
        reals::fallback(checker, v).map(|f| (f, v.key("fallback")))
    } else {
        defaults.fallback.clone()
    };
    let check = check::check(checker, v, defaults, key.as_ref());
    let maintenance_dir = if v.has("maintenance_dir") {
        directory(checker, v, "maintenance_dir")
    } else {
        defaults.maintenance_dir.clone()
    };

    let default_port = match key {
        Some(VirtualKey::Address { address, .. }) => address.port(),
        Some(VirtualKey::Fwmark { .. }) | None => 0,
    };
    let fallback = fallback_spec.and_then(|(f, path)| {
        let real = Real {
            address: SocketAddr::new(f.ip, f.port.unwrap_or(default_port)),
            forward: f.forward,
            weight: f.weight,
        };
        reals::family_fits(checker, &v.span, &path, key.as_ref(), &real).then_some(real)
    });
    let reals = reals::reals(checker, v, key.as_ref(), default_port);
    let hooks = hooks::hooks(checker, v);
    let announce = checker.boolean(v, "announce").map(|(a, item)| {
        if a && matches!(key, Some(VirtualKey::Fwmark { .. })) {
            checker.error(
                &item.span,
                Some(v.key("announce")),
                "a fwmark virtual has no address to announce",
            );
        }
        a
    });
    // A real without a port (fwmark) cannot be probed on port 0.
    if let Some(c) = &check {
        let probes_a_port = matches!(
            c.kind,
            CheckKind::Connect
                | CheckKind::Http(_)
                | CheckKind::Https(_)
                | CheckKind::Tcp(_)
                | CheckKind::Udp(_)
                | CheckKind::Dns(_)
                | CheckKind::Smtp(_)
                | CheckKind::Pop(_)
                | CheckKind::Imap(_)
                | CheckKind::Nntp(_)
                | CheckKind::Ftp(_)
        );
        if probes_a_port && c.port.is_none() && reals.iter().any(|r| r.address.port() == 0) {
            let span = v.get("check").map_or(v.span.clone(), |i| i.span.clone());
            checker.error(
                &span,
                Some(v.key("check.port")),
                "missing: the reals of this virtual have no port, so the check needs one",
            );
        }
    }
    Some(Virtual {
        name,
        key: key?,
        scheduler: scheduler?,
        scheduler_flags: scheduler_flags?,
        persistent,
        netmask: netmask.flatten(),
        quiescent,
        fallback,
        check: check?,
        reals,
        maintenance_dir,
        hooks,
        announce,
        origin,
    })
}

/// `scheduler`, one the kernel ships.
fn scheduler(checker: &mut Checker<'_>, v: &Fields<'_>) -> Option<String> {
    match checker.string(v, "scheduler") {
        None => Some(DEFAULT_SCHEDULER.to_string()),
        Some((s, _)) if SCHEDULERS.contains(&s) => Some(s.to_string()),
        Some((s, item)) => {
            checker.error(
                &item.span,
                Some(v.key("scheduler")),
                format!("unknown scheduler `{s}` (one of {})", SCHEDULERS.join(" ")),
            );
            None
        }
    }
}

/// `scheduler_flags`, as ipvsadm's `-b` spells them: `mh-fallback` and
/// `mh-port` for `mh`, `sh-fallback` and `sh-port` for `sh` (the same two
/// bits); a flag of another scheduler is refused.
fn scheduler_flags(
    checker: &mut Checker<'_>,
    v: &Fields<'_>,
    scheduler: Option<&str>,
) -> Option<SchedulerFlags> {
    let mut flags = SchedulerFlags::default();
    let Some(item) = v.get("scheduler_flags") else {
        return Some(flags);
    };
    let Value::Array(words) = &item.value else {
        checker.error(
            &item.span,
            Some(v.key("scheduler_flags")),
            format!("expected an array of strings, found {}", item.value.kind()),
        );
        return None;
    };
    let mut ok = true;
    for word in words {
        let Value::String(text) = &word.value else {
            checker.error(
                &word.span,
                Some(v.key("scheduler_flags")),
                format!("expected a string, found {}", word.value.kind()),
            );
            ok = false;
            continue;
        };
        let Some((owner, flag)) = text.split_once('-') else {
            checker.error(
                &word.span,
                Some(v.key("scheduler_flags")),
                format!("unknown flag `{text}` (mh-fallback, mh-port, sh-fallback or sh-port)"),
            );
            ok = false;
            continue;
        };
        let known = matches!(owner, "mh" | "sh") && matches!(flag, "fallback" | "port");
        if !known {
            checker.error(
                &word.span,
                Some(v.key("scheduler_flags")),
                format!("unknown flag `{text}` (mh-fallback, mh-port, sh-fallback or sh-port)"),
            );
            ok = false;
        } else if scheduler.is_some_and(|s| s != owner) {
            checker.error(
                &word.span,
                Some(v.key("scheduler_flags")),
                format!(
                    "`{text}` is a flag of the `{owner}` scheduler, not of `{}`",
                    scheduler.unwrap_or_default()
                ),
            );
            ok = false;
        } else if flag == "fallback" {
            flags.fallback = true;
        } else {
            flags.port = true;
        }
    }
    ok.then_some(flags)
}

/// `address` with `protocol`, or `fwmark` with `family`.
fn virtual_key(checker: &mut Checker<'_>, v: &Fields<'_>) -> Option<VirtualKey> {
    let address = checker.string(v, "address");
    let fwmark = v.get("fwmark");
    let family = checker.string(v, "family");
    let protocol = checker.string(v, "protocol");
    match (address, fwmark) {
        (Some(_), Some(item)) => {
            checker.error(
                &item.span,
                Some(v.key("fwmark")),
                "a virtual has `address` or `fwmark`, not both",
            );
            None
        }
        (None, None) => {
            if !v.has("address") {
                checker.error(
                    &v.span,
                    Some(v.key("address")),
                    "missing: `address = \"ip:port\"` or `fwmark = N`",
                );
            }
            None
        }
        (Some((text, item)), None) => {
            if let Some((_, f)) = family {
                checker.error(
                    &f.span,
                    Some(v.key("family")),
                    "only for fwmark virtuals: an address says its family",
                );
            }
            let protocol = match protocol {
                None => Some(Protocol::Tcp),
                Some((text, p)) => checker.parse_word(v, "protocol", &PROTOCOL, text, p).ok(),
            };
            let address = match parse_endpoint(text) {
                Some((ip, Some(port))) => Some(SocketAddr::new(ip, port)),
                Some((_, None)) => {
                    checker.error(
                        &item.span,
                        Some(v.key("address")),
                        format!("`{text}` has no port: write a.b.c.d:port or [v6]:port"),
                    );
                    None
                }
                None => {
                    checker.error(
                        &item.span,
                        Some(v.key("address")),
                        format!("`{text}` is not an address: expected a.b.c.d:port or [v6]:port"),
                    );
                    None
                }
            };
            Some(VirtualKey::Address {
                protocol: protocol?,
                address: address?,
            })
        }
        (None, Some(_)) => {
            if let Some((_, p)) = protocol {
                checker.error(
                    &p.span,
                    Some(v.key("protocol")),
                    "a fwmark virtual has no protocol: the mark selects the packets",
                );
            }
            let mark: Option<u32> = ranged(checker, v, "fwmark", 1..=i64::from(u32::MAX));
            let family = match family {
                None => Some(Family::Ipv4),
                Some((text, f)) => checker.parse_word(v, "family", &FAMILY, text, f).ok(),
            };
            Some(VirtualKey::Fwmark {
                family: family?,
                mark: mark?,
            })
        }
    }
}

/// `netmask`: a dotted mask for IPv4, a prefix length for IPv6. `None` when
/// refused, `Some(None)` when absent.
fn netmask(checker: &mut Checker<'_>, v: &Fields<'_>, family: Family) -> Option<Option<Netmask>> {
    let Some(item) = v.get("netmask") else {
        return Some(None);
    };
    let path = Some(v.key("netmask"));
    match (family, &item.value) {
        (Family::Ipv4, Value::String(text)) => match text.parse::<Ipv4Addr>() {
            Ok(mask) => Some(Some(Netmask::V4(mask))),
            Err(_) => {
                checker.error(
                    &item.span,
                    path,
                    format!("`{text}` is not an IPv4 netmask (like 255.255.255.0)"),
                );
                None
            }
        },
        (Family::Ipv6, Value::Integer(n)) if (1..=128).contains(n) => {
            Some(Some(Netmask::V6(*n as u8)))
        }
        (Family::Ipv6, Value::String(text)) => match text.trim_start_matches('/').parse::<u8>() {
            Ok(n) if (1..=128).contains(&n) => Some(Some(Netmask::V6(n))),
            _ => {
                checker.error(
                    &item.span,
                    path,
                    format!("`{text}` is not an IPv6 prefix length (1-128)"),
                );
                None
            }
        },
        (Family::Ipv4, _) => {
            checker.error(
                &item.span,
                path,
                "expected an IPv4 netmask string like \"255.255.255.0\"",
            );
            None
        }
        (Family::Ipv6, _) => {
            checker.error(&item.span, path, "expected an IPv6 prefix length 1-128");
            None
        }
    }
}
