// SPDX-License-Identifier: MIT OR Apache-2.0
//! Values many tables share: seconds, counts, integers in a range,
//! endpoints (`ip:port`, `[v6]:port`, or a bare address), and commands.

use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::ops::RangeInclusive;
use std::time::Duration;

use crate::fields::{Checker, Fields};
use crate::tree::{Item, Value};

/// Seconds, more than 0 and at most a day; an integer or a float.
pub(super) fn seconds(
    checker: &mut Checker<'_>,
    fields: &Fields<'_>,
    name: &'static str,
) -> Option<Duration> {
    let (value, item) = checker.number(fields, name)?;
    if !(value > 0.0 && value.is_finite() && value <= 86_400.0) {
        checker.error(
            &item.span,
            Some(fields.key(name)),
            format!("must be more than 0 and at most 86400 seconds, found {value}"),
        );
        return None;
    }
    Some(Duration::from_secs_f64(value))
}

/// A count of checks in a row, 1 to 1000.
pub(super) fn count(
    checker: &mut Checker<'_>,
    fields: &Fields<'_>,
    name: &'static str,
) -> Option<u32> {
    let (value, item) = checker.integer(fields, name)?;
    match u32::try_from(value) {
        Ok(n) if (1..=1000).contains(&n) => Some(n),
        _ => {
            checker.error(
                &item.span,
                Some(fields.key(name)),
                format!("{value} is out of range 1..=1000"),
            );
            None
        }
    }
}

/// An integer in `range`; `None` when absent (no error) or refused.
pub(super) fn ranged<T: TryFrom<i64>>(
    checker: &mut Checker<'_>,
    fields: &Fields<'_>,
    name: &'static str,
    range: RangeInclusive<i64>,
) -> Option<T> {
    let (value, item) = checker.integer(fields, name)?;
    if !range.contains(&value) {
        checker.error(
            &item.span,
            Some(fields.key(name)),
            format!(
                "{value} is out of range {}..={}",
                range.start(),
                range.end()
            ),
        );
        return None;
    }
    T::try_from(value).ok()
}

/// A key read with `read`, or `default` when the table does not have it;
/// `None` when refused.
pub(super) fn or_default<T>(
    checker: &mut Checker<'_>,
    fields: &Fields<'_>,
    name: &'static str,
    default: T,
    read: impl FnOnce(&mut Checker<'_>, &Fields<'_>, &'static str) -> Option<T>,
) -> Option<T> {
    if fields.has(name) {
        read(checker, fields, name)
    } else {
        Some(default)
    }
}

/// Parses `a.b.c.d:port`, `[v6]:port`, `a.b.c.d` or a bare IPv6 address.
pub(super) fn parse_endpoint(text: &str) -> Option<(IpAddr, Option<u16>)> {
    if let Ok(address) = text.parse::<SocketAddr>() {
        return Some((address.ip(), Some(address.port())));
    }
    if let Ok(ip) = text.parse::<IpAddr>() {
        return Some((ip, None));
    }
    let inner = text.strip_prefix('[').and_then(|t| t.strip_suffix(']'))?;
    inner
        .parse::<Ipv6Addr>()
        .ok()
        .map(|ip| (IpAddr::V6(ip), None))
}

/// A directory given as an absolute path (`maintenance_dir`); whether it
/// exists is the daemon's business (it may be made later).
pub(super) fn directory(
    checker: &mut Checker<'_>,
    fields: &Fields<'_>,
    name: &'static str,
) -> Option<std::path::PathBuf> {
    let (text, item) = checker.string(fields, name)?;
    if !text.starts_with('/') || text.contains('\0') {
        checker.error(
            &item.span,
            Some(fields.key(name)),
            format!("`{text}` is not an absolute path"),
        );
        return None;
    }
    Some(std::path::PathBuf::from(text))
}

/// What [`command`] says of a `command` left out, not an array, or empty.
pub(super) struct CommandTexts {
    pub(super) missing: &'static str,
    pub(super) not_array: &'static str,
    pub(super) empty: &'static str,
}

/// `command`: a program (an absolute path) and its arguments, run without
/// a shell (an external check's, a hook's); with its item, for what the
/// caller says of it.
pub(super) fn command<'t>(
    checker: &mut Checker<'_>,
    fields: &Fields<'t>,
    texts: &CommandTexts,
) -> Option<(Vec<String>, &'t Item)> {
    let Some(item) = fields.get("command") else {
        checker.error(&fields.span, Some(fields.key("command")), texts.missing);
        return None;
    };
    let Value::Array(words) = &item.value else {
        checker.error(&item.span, Some(fields.key("command")), texts.not_array);
        return None;
    };
    let mut command = Vec::new();
    for word in words {
        match &word.value {
            Value::String(s) => command.push(s.clone()),
            other => {
                checker.error(
                    &word.span,
                    Some(fields.key("command")),
                    format!("expected a string, found {}", other.kind()),
                );
                return None;
            }
        }
    }
    let message = match command.first() {
        None => texts.empty,
        Some(program) if !program.starts_with('/') => {
            "the program must be an absolute path (it runs without a shell)"
        }
        Some(_) => return Some((command, item)),
    };
    checker.error(&item.span, Some(fields.key("command")), message);
    None
}
