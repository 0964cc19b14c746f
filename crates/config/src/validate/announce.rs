// SPDX-License-Identifier: MIT OR Apache-2.0
//! `[announce]`: the virtual addresses announced as host routes a routing
//! daemon learns. An empty section turns it on with every default.

use std::time::Duration;

use crate::fields::{Checker, Fields};
use crate::model::{Announce, RouteType, DEFAULT_ANNOUNCE_PROTOCOL, MAIN_TABLE};

use super::values::ranged;

/// The protocol numbers a route of ours must not carry: the kernel's own
/// (0 unspec, 1 redirect, 2 kernel, 3 boot), an administrator's `ip route
/// add` (4 static), and BIRD's (12: BIRD removes them when it starts).
const RESERVED_PROTOCOLS: [i64; 6] = [0, 1, 2, 3, 4, 12];

/// The longest `hold_down`, in seconds.
const MOST_HOLD_DOWN: f64 = 3600.0;

/// `protocol`, `table`, `route_type`, `with_fallback`, `hold_down`.
pub(super) fn announce(checker: &mut Checker<'_>, a: &Fields<'_>) -> Option<Announce> {
    let mut ok = true;
    let protocol = match checker.integer(a, "protocol") {
        None => DEFAULT_ANNOUNCE_PROTOCOL,
        Some((n, item)) => match u8::try_from(n) {
            Ok(p) if !RESERVED_PROTOCOLS.contains(&n) => p,
            _ => {
                checker.error(
                    &item.span,
                    Some(a.key("protocol")),
                    format!(
                        "{n}: a routing protocol number 5-255 other than 12 (BIRD's own); \
                         0-4 are the kernel's and `ip route add`'s"
                    ),
                );
                ok = false;
                0
            }
        },
    };
    let table = if a.has("table") {
        match ranged::<u32>(checker, a, "table", 1..=i64::from(u32::MAX)) {
            Some(t) => t,
            None => {
                ok = false;
                0
            }
        }
    } else {
        MAIN_TABLE
    };
    let route_type = match checker.string(a, "route_type") {
        None => RouteType::Unicast,
        Some(("unicast", _)) => RouteType::Unicast,
        Some(("blackhole", _)) => RouteType::Blackhole,
        Some((other, item)) => {
            checker.error(
                &item.span,
                Some(a.key("route_type")),
                format!("`{other}`: \"unicast\" (dev lo) or \"blackhole\""),
            );
            ok = false;
            RouteType::Unicast
        }
    };
    let with_fallback = checker.boolean(a, "with_fallback").is_some_and(|(b, _)| b);
    let hold_down = match checker.number(a, "hold_down") {
        None => Duration::ZERO,
        Some((s, _)) if (0.0..=MOST_HOLD_DOWN).contains(&s) => Duration::from_secs_f64(s),
        Some((s, item)) => {
            checker.error(
                &item.span,
                Some(a.key("hold_down")),
                format!("must be 0 to {MOST_HOLD_DOWN} seconds, found {s}"),
            );
            ok = false;
            Duration::ZERO
        }
    };
    ok.then_some(Announce {
        protocol,
        table,
        route_type,
        with_fallback,
        hold_down,
    })
}
