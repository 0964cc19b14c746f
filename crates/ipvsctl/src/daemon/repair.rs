// SPDX-License-Identifier: MIT OR Apache-2.0
//! What a resync found, in words (pure): one line per change the planner
//! asks for, saying what the table had, what is declared, and why they
//! differ: `tcp 10.0.0.1:80: real 10.0.1.2:80 had weight 0, declared 5
//! (changed outside ipvsctl)`. The loop adds what it did (`restored`,
//! `removed`, or the kernel's refusal).

use std::net::SocketAddr;

use ipvs::net::socket_text;
use ipvs::{Destination, Service, ServiceFlags, ServiceKey};
use planner::change::{forward_word, service_settings};
use planner::Change;

/// Why the table differs from what the daemon declared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cause {
    /// Someone or something else changed it (`ipvsadm`, another tool).
    Outside,
    /// The daemon's own last write to that service was refused by the
    /// kernel (a scheduler module missing, say): this is its retry.
    Refused,
}

/// What the daemon does about a difference.
pub fn verb(change: &Change) -> &'static str {
    match change {
        Change::DeleteService(_) | Change::DeleteReal { .. } => "removed",
        _ => "restored",
    }
}

/// The service a change is about.
pub fn service_of(change: &Change) -> ServiceKey {
    match change {
        Change::AddService(s) => s.key,
        Change::EditService { after, .. } => after.key,
        Change::DeleteService(key) => *key,
        Change::AddReal { service, .. }
        | Change::EditReal { service, .. }
        | Change::DeleteReal { service, .. } => *service,
    }
}

/// What was found: the table's side, the declared side, the cause.
/// `declared` says whether a real is one the configuration has for the
/// service (a real or its fallback), to tell an extra real from one that
/// is declared but out (down, disabled, in maintenance).
pub fn found(
    change: &Change,
    cause: Cause,
    declared: &dyn Fn(&ServiceKey, &SocketAddr) -> bool,
) -> String {
    let why = |outside: &str| match cause {
        Cause::Outside => format!("{outside} outside ipvsctl"),
        Cause::Refused => "an earlier write was refused".to_string(),
    };
    match change {
        Change::AddService(s) => format!(
            "{}: not in the table, declared {} ({})",
            s.key,
            service_settings(s),
            why("deleted")
        ),
        Change::EditService { before, after } => format!(
            "{}: {} ({})",
            after.key,
            service_differences(before, after).join("; "),
            why("changed")
        ),
        Change::DeleteService(key) => {
            format!("{key}: in the table, not declared ({})", why("added"))
        }
        Change::AddReal { service, real } => format!(
            "{service}: real {} not in the table, declared {} weight {} ({})",
            address(&real.address),
            forward_word(real.forward),
            real.weight,
            why("deleted")
        ),
        Change::EditReal {
            service,
            before,
            after,
        } => format!(
            "{service}: real {} {} ({})",
            address(&after.address),
            real_differences(before, after).join("; "),
            why("changed")
        ),
        Change::DeleteReal { service, real } => {
            let declared = if declared(service, &real.address) {
                "declared out of the table now (down, disabled or in maintenance)"
            } else {
                "not declared"
            };
            format!(
                "{service}: real {} in the table with weight {}, {declared} ({})",
                address(&real.address),
                real.weight,
                why("added")
            )
        }
    }
}

fn address(address: &SocketAddr) -> String {
    socket_text(&address.ip(), address.port())
}

fn had(what: &str, before: impl ToString, after: impl ToString) -> String {
    format!(
        "had {what} {}, declared {}",
        before.to_string(),
        after.to_string()
    )
}

fn persistence(service: &Service) -> String {
    if service.flags.contains(ServiceFlags::PERSISTENT) {
        service.timeout.to_string()
    } else {
        "none".into()
    }
}

fn service_differences(before: &Service, after: &Service) -> Vec<String> {
    let mut parts = Vec::new();
    if before.scheduler != after.scheduler {
        parts.push(had("scheduler", &before.scheduler, &after.scheduler));
    }
    if persistence(before) != persistence(after) {
        parts.push(had("persistent", persistence(before), persistence(after)));
    }
    if before.netmask != after.netmask {
        parts.push(had("mask", before.netmask, after.netmask));
    }
    let other_flags = |s: &Service| s.flags.bits() & !ServiceFlags::PERSISTENT.bits();
    if other_flags(before) != other_flags(after) {
        parts.push(had(
            "flags",
            format!("{:#x}", other_flags(before)),
            format!("{:#x}", other_flags(after)),
        ));
    }
    if before.persistence_engine != after.persistence_engine {
        let pe = |s: &Service| s.persistence_engine.clone().unwrap_or("none".into());
        parts.push(had("pe", pe(before), pe(after)));
    }
    parts
}

fn real_differences(before: &Destination, after: &Destination) -> Vec<String> {
    let mut parts = Vec::new();
    if before.forward != after.forward {
        parts.push(had(
            "forward",
            forward_word(before.forward),
            forward_word(after.forward),
        ));
    }
    if before.weight != after.weight {
        parts.push(had("weight", before.weight, after.weight));
    }
    if before.upper_threshold != after.upper_threshold {
        parts.push(had(
            "upper threshold",
            before.upper_threshold,
            after.upper_threshold,
        ));
    }
    if before.lower_threshold != after.lower_threshold {
        parts.push(had(
            "lower threshold",
            before.lower_threshold,
            after.lower_threshold,
        ));
    }
    if before.tunnel != after.tunnel {
        parts.push(had(
            "tunnel",
            format!("{:?}", before.tunnel),
            format!("{:?}", after.tunnel),
        ));
    }
    parts
}

#[cfg(test)]
mod tests {
    use ipvs::Forward;

    use super::*;

    fn www() -> ServiceKey {
        ServiceKey::tcp("10.0.0.1:80".parse().unwrap())
    }

    fn real(address: &str, weight: u32) -> Destination {
        Destination::new(address.parse().unwrap(), Forward::Route, weight)
    }

    fn nothing_declared(_: &ServiceKey, _: &SocketAddr) -> bool {
        false
    }

    #[test]
    fn a_changed_weight_says_what_it_had_and_what_is_declared() {
        let change = Change::EditReal {
            service: www(),
            before: real("10.0.1.2:80", 0),
            after: real("10.0.1.2:80", 5),
        };
        assert_eq!(
            found(&change, Cause::Outside, &nothing_declared),
            "tcp 10.0.0.1:80: real 10.0.1.2:80 had weight 0, declared 5 (changed outside ipvsctl)"
        );
        assert_eq!(verb(&change), "restored");
        assert_eq!(service_of(&change), www());
    }

    #[test]
    fn a_deleted_service_or_real_is_put_back() {
        let service = Service::new(www(), "wlc").persistent(300);
        let change = Change::AddService(service);
        assert_eq!(
            found(&change, Cause::Outside, &nothing_declared),
            "tcp 10.0.0.1:80: not in the table, declared wlc persistent 300 (deleted outside ipvsctl)"
        );
        let change = Change::AddReal {
            service: www(),
            real: real("10.0.1.2:80", 5),
        };
        assert_eq!(
            found(&change, Cause::Refused, &nothing_declared),
            "tcp 10.0.0.1:80: real 10.0.1.2:80 not in the table, declared gate weight 5 \
             (an earlier write was refused)"
        );
    }

    #[test]
    fn an_edited_service_lists_each_difference() {
        let before = Service::new(www(), "rr");
        let after = Service::new(www(), "wlc").persistent(60);
        let change = Change::EditService { before, after };
        assert_eq!(
            found(&change, Cause::Outside, &nothing_declared),
            "tcp 10.0.0.1:80: had scheduler rr, declared wlc; had persistent none, declared 60 \
             (changed outside ipvsctl)"
        );
    }

    #[test]
    fn an_extra_real_is_told_from_a_declared_one_that_is_out() {
        let change = Change::DeleteReal {
            service: www(),
            real: real("10.0.9.9:80", 3),
        };
        assert_eq!(
            found(&change, Cause::Outside, &nothing_declared),
            "tcp 10.0.0.1:80: real 10.0.9.9:80 in the table with weight 3, not declared \
             (added outside ipvsctl)"
        );
        assert_eq!(verb(&change), "removed");
        let declared = |_: &ServiceKey, _: &SocketAddr| true;
        assert!(found(&change, Cause::Outside, &declared)
            .contains("declared out of the table now (down, disabled or in maintenance)"));
    }
}
