// SPDX-License-Identifier: MIT OR Apache-2.0
//! `[sync]`: the kernel's connection-sync daemon.

use std::net::IpAddr;

use crate::fields::{Checker, Fields};
use crate::model::Sync;
use crate::words::SYNC_STATE;

use super::values::ranged;

/// `state`, `syncid`, `interface`, `maxlen`, `group`, `port`, `ttl`.
pub(super) fn sync(checker: &mut Checker<'_>, s: &Fields<'_>) -> Option<Sync> {
    let state = match checker.word(s, "state", &SYNC_STATE) {
        Some(state) => state.ok(),
        None => {
            checker.error(
                &s.span,
                Some(s.key("state")),
                "missing: master, backup or both",
            );
            None
        }
    };
    let syncid: Option<u8> = match s.get("syncid") {
        Some(_) => ranged(checker, s, "syncid", 0..=255),
        None => {
            checker.error(&s.span, Some(s.key("syncid")), "missing: 1-255");
            None
        }
    };
    if let (Some(0), Some(item)) = (syncid, s.get("syncid")) {
        checker.warning(
            &item.span,
            Some(s.key("syncid")),
            "syncid 0: a backup accepts sync messages of any master",
        );
    }
    let interface = match checker.string(s, "interface") {
        Some((name, item)) if name.is_empty() || name.len() > 15 || name.contains(['/', ' ']) => {
            checker.error(
                &item.span,
                Some(s.key("interface")),
                format!("`{name}` is not an interface name"),
            );
            None
        }
        Some((name, _)) => Some(name.to_string()),
        None => {
            checker.error(
                &s.span,
                Some(s.key("interface")),
                "missing: the interface that carries sync traffic",
            );
            None
        }
    };
    let maxlen = ranged(checker, s, "maxlen", 1..=65535);
    let group = group(checker, s);
    let port = ranged(checker, s, "port", 1..=65535);
    let ttl = ranged(checker, s, "ttl", 1..=255);
    Some(Sync {
        state: state?,
        syncid: syncid?,
        interface: interface?,
        maxlen,
        group,
        port,
        ttl,
    })
}

/// `group`: a multicast address.
fn group(checker: &mut Checker<'_>, s: &Fields<'_>) -> Option<IpAddr> {
    let (text, item) = checker.string(s, "group")?;
    match text.parse::<IpAddr>() {
        Ok(ip) if ip.is_multicast() => Some(ip),
        Ok(_) => {
            checker.error(
                &item.span,
                Some(s.key("group")),
                format!("{text} is not a multicast address"),
            );
            None
        }
        Err(_) => {
            checker.error(
                &item.span,
                Some(s.key("group")),
                format!("`{text}` is not an address"),
            );
            None
        }
    }
}
