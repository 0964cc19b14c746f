// SPDX-License-Identifier: MIT OR Apache-2.0
//! What health does to the table (pure, so every rule is a unit test):
//! - a real that is up is in with its configured weight;
//! - a real that is down is removed, or kept with weight 0 when the
//!   virtual is quiescent and the real is in the table (a real that was
//!   never in goes in only after its first good check);
//! - in a virtual whose scheduler's table depends on the order of its
//!   reals (`mh`, `sh`), a real that is down is always in with weight 0,
//!   from the start (quiescent is implied): the list the kernel hashes
//!   over never changes on health, only weights do, so every director
//!   with the same configuration and the same health has the same table;
//! - the fallback (sorry server) is in exactly while no real is up;
//! - what an operator put on a real ([`Hold`]) goes over its health: a
//!   drained real is in with weight 0, a disabled one is out, a weight
//!   override replaces the configured weight while the real is up, a
//!   maintenance file counts as down. Drained, disabled and maintained
//!   reals (and a weight override of 0) do not count as up for the
//!   fallback.

use std::collections::HashMap;
use std::net::SocketAddr;

use config::model::Virtual;
use health::Health;
use ipvs::DestinationEntry;
use planner::DesiredService;

use crate::desired;

/// What an operator put on a real, over its health checks (which go on
/// running underneath).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hold {
    /// `ipvsctl drain`: weight 0 while up, so no new connections while the
    /// established ones go on; down, it is treated as any down real.
    Drain,
    /// `ipvsctl disable`: out of the table.
    Disable,
    /// `ipvsctl weight N`: this weight instead of the configured one while
    /// up; down, it is treated as any down real.
    Weight(u32),
    /// A file in the maintenance directory: as if its check failed.
    Maintenance,
}

/// The service a virtual should be, given the health of its reals, what
/// operators put on them (`holds`), and the destinations it has in the
/// kernel now (`current`).
///
/// `hold_fallback` keeps the fallback out while the daemon is starting and
/// the reals have not had their first check yet (so a healthy site never
/// flashes its sorry page at start); a fallback already in stays in.
pub fn desired_service(
    virtual_: &Virtual,
    health: &HashMap<SocketAddr, Health>,
    holds: &HashMap<SocketAddr, Hold>,
    current: &[DestinationEntry],
    hold_fallback: bool,
) -> DesiredService {
    let present = |address: &SocketAddr| current.iter().any(|e| e.destination.address == *address);
    let keeps_order = planner::order::order_matters(&virtual_.scheduler);
    let mut destinations = Vec::with_capacity(virtual_.reals.len() + 1);
    let mut any_up = false;
    for real in &virtual_.reals {
        let hold = holds.get(&real.address).copied();
        let up = health.get(&real.address).copied().unwrap_or(Health::Down) == Health::Up
            && hold != Some(Hold::Maintenance);
        let weight = match (hold, up) {
            (Some(Hold::Disable), _) => None,
            (Some(Hold::Drain), true) => Some(0),
            (Some(Hold::Weight(weight)), true) => {
                any_up |= weight > 0;
                Some(weight)
            }
            (_, true) => {
                any_up = true;
                Some(real.weight)
            }
            (_, false) if keeps_order => Some(0),
            (_, false) if virtual_.quiescent && present(&real.address) => Some(0),
            (_, false) => None,
        };
        if let Some(weight) = weight {
            let mut destination = desired::destination(real);
            destination.weight = weight;
            destinations.push(destination);
        }
    }
    if let (false, Some(fallback)) = (any_up, &virtual_.fallback) {
        // A virtual without reals has nothing to wait for: its fallback is
        // its only server (and `apply` puts it in too).
        let held = hold_fallback && !present(&fallback.address) && !virtual_.reals.is_empty();
        if !held && !virtual_.reals.iter().any(|r| r.address == fallback.address) {
            destinations.push(desired::destination(fallback));
        }
    }
    DesiredService {
        service: desired::service(virtual_),
        destinations,
    }
}

/// The virtual's fallback, when it is one (a fallback that is also one
/// of its reals is that real, and never goes in as a fallback).
pub fn fallback_of(virtual_: &Virtual) -> Option<&config::model::Real> {
    virtual_
        .fallback
        .as_ref()
        .filter(|f| !virtual_.reals.iter().any(|r| r.address == f.address))
}

/// Whether a real counts as up when the daemon starts: it is in the
/// kernel taking traffic (a weight above 0, or the 0 it is configured
/// with), or it is drained and in at weight 0 (so a restart does not take
/// a draining real out). A weight of 0 otherwise is a quiescent real that
/// was down.
pub fn adopted(
    real: &config::model::Real,
    current: &[DestinationEntry],
    hold: Option<Hold>,
) -> bool {
    let zero_is_up = real.weight == 0 || matches!(hold, Some(Hold::Drain | Hold::Weight(0)));
    current
        .iter()
        .any(|e| e.destination.address == real.address && (e.destination.weight > 0 || zero_is_up))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use config::model::{Check, CheckKind, Forward, Origin, Protocol, Real, VirtualKey};
    use config::source::Location;
    use ipvs::{Destination, Stats};

    use super::*;

    fn real(a: &str) -> Real {
        Real {
            address: a.parse().unwrap(),
            forward: Forward::Gate,
            weight: 2,
        }
    }

    fn www(quiescent: bool) -> Virtual {
        Virtual {
            name: None,
            key: VirtualKey::Address {
                protocol: Protocol::Tcp,
                address: "10.0.0.100:80".parse().unwrap(),
            },
            scheduler: "wlc".into(),
            scheduler_flags: Default::default(),
            persistent: None,
            netmask: None,
            quiescent,
            fallback: Some(Real {
                address: "127.0.0.1:80".parse().unwrap(),
                forward: Forward::Gate,
                weight: 1,
            }),
            check: Check {
                kind: CheckKind::Connect,
                port: None,
                interval: Duration::from_secs(1),
                timeout: Duration::from_secs(1),
                rise: 1,
                fall: 1,
            },
            reals: vec![real("10.0.0.11:80"), real("10.0.0.12:80")],
            maintenance_dir: None,
            hooks: Vec::new(),
            announce: None,
            origin: Origin {
                file: "www.toml".into(),
                location: Location { line: 1, column: 1 },
            },
        }
    }

    fn entry(address: &str, weight: u32) -> DestinationEntry {
        DestinationEntry {
            destination: Destination::new(address.parse().unwrap(), ipvs::Forward::Route, weight),
            active_connections: 0,
            inactive_connections: 0,
            persistent_connections: 0,
            stats: Stats::default(),
        }
    }

    fn health(states: &[(&str, Health)]) -> HashMap<SocketAddr, Health> {
        states
            .iter()
            .map(|(a, h)| (a.parse().unwrap(), *h))
            .collect()
    }

    fn none() -> HashMap<SocketAddr, Hold> {
        HashMap::new()
    }

    fn holds(holds: &[(&str, Hold)]) -> HashMap<SocketAddr, Hold> {
        holds
            .iter()
            .map(|(a, h)| (a.parse().unwrap(), *h))
            .collect()
    }

    fn addresses(d: &DesiredService) -> Vec<(String, u32)> {
        d.destinations
            .iter()
            .map(|d| (d.address.to_string(), d.weight))
            .collect()
    }

    #[test]
    fn up_reals_are_in_with_their_weight_and_no_fallback() {
        let h = health(&[("10.0.0.11:80", Health::Up), ("10.0.0.12:80", Health::Up)]);
        let d = desired_service(&www(false), &h, &none(), &[], false);
        assert_eq!(
            addresses(&d),
            [("10.0.0.11:80".into(), 2), ("10.0.0.12:80".into(), 2)]
        );
    }

    #[test]
    fn a_down_real_is_removed() {
        let h = health(&[("10.0.0.11:80", Health::Up), ("10.0.0.12:80", Health::Down)]);
        let current = [entry("10.0.0.11:80", 2), entry("10.0.0.12:80", 2)];
        assert_eq!(
            addresses(&desired_service(&www(false), &h, &none(), &current, false)),
            [("10.0.0.11:80".into(), 2)]
        );
    }

    #[test]
    fn quiescent_keeps_a_down_real_with_weight_zero_if_it_is_in() {
        let h = health(&[("10.0.0.11:80", Health::Up), ("10.0.0.12:80", Health::Down)]);
        let current = [entry("10.0.0.11:80", 2), entry("10.0.0.12:80", 2)];
        assert_eq!(
            addresses(&desired_service(&www(true), &h, &none(), &current, false)),
            [("10.0.0.11:80".into(), 2), ("10.0.0.12:80".into(), 0)]
        );
        // Never in: stays out until its first good check.
        assert_eq!(
            addresses(&desired_service(
                &www(true),
                &h,
                &none(),
                &current[..1],
                false
            )),
            [("10.0.0.11:80".into(), 2)]
        );
    }

    #[test]
    fn mh_and_sh_keep_every_down_real_in_with_weight_zero_from_the_start() {
        let h = health(&[("10.0.0.11:80", Health::Down), ("10.0.0.12:80", Health::Up)]);
        let disabled = HashMap::from([("10.0.0.12:80".parse().unwrap(), Hold::Disable)]);
        for scheduler in ["mh", "sh"] {
            let mut v = www(false);
            v.scheduler = scheduler.into();
            v.fallback = None;
            // Never in, not quiescent: in at weight 0 all the same.
            assert_eq!(
                addresses(&desired_service(&v, &h, &none(), &[], true)),
                [("10.0.0.11:80".into(), 0), ("10.0.0.12:80".into(), 2)]
            );
            // A disabled real is out, as the operator asked.
            assert_eq!(
                addresses(&desired_service(&v, &h, &disabled, &[], true)),
                [("10.0.0.11:80".into(), 0)]
            );
        }
        // Other schedulers: a down real that is not quiescent is out.
        assert_eq!(
            addresses(&desired_service(&www(false), &h, &none(), &[], true)),
            [("10.0.0.12:80".into(), 2)]
        );
    }

    #[test]
    fn the_fallback_is_in_exactly_while_no_real_is_up() {
        let down = health(&[
            ("10.0.0.11:80", Health::Down),
            ("10.0.0.12:80", Health::Down),
        ]);
        assert_eq!(
            addresses(&desired_service(&www(false), &down, &none(), &[], false)),
            [("127.0.0.1:80".into(), 1)]
        );
        // Quiescent reals at weight 0 are not up: the fallback is in too.
        let current = [entry("10.0.0.11:80", 2)];
        assert_eq!(
            addresses(&desired_service(
                &www(true),
                &down,
                &none(),
                &current,
                false
            )),
            [("10.0.0.11:80".into(), 0), ("127.0.0.1:80".into(), 1)]
        );
        // While starting, a fallback not yet in waits for the first checks.
        assert!(desired_service(&www(false), &down, &none(), &[], true)
            .destinations
            .is_empty());
        let fallback_in = [entry("127.0.0.1:80", 1)];
        assert_eq!(
            addresses(&desired_service(
                &www(false),
                &down,
                &none(),
                &fallback_in,
                true
            )),
            [("127.0.0.1:80".into(), 1)]
        );
        let one = health(&[("10.0.0.11:80", Health::Up)]);
        assert_eq!(
            addresses(&desired_service(&www(false), &one, &none(), &[], false)),
            [("10.0.0.11:80".into(), 2)]
        );
    }

    #[test]
    fn a_virtual_without_reals_has_its_fallback_in_even_while_starting() {
        let mut only_fallback = www(false);
        only_fallback.reals.clear();
        for starting in [true, false] {
            assert_eq!(
                addresses(&desired_service(
                    &only_fallback,
                    &HashMap::new(),
                    &none(),
                    &[],
                    starting
                )),
                [("127.0.0.1:80".into(), 1)]
            );
        }
    }

    #[test]
    fn a_drained_real_is_in_with_weight_zero_while_up() {
        let h = health(&[("10.0.0.11:80", Health::Up), ("10.0.0.12:80", Health::Up)]);
        let drained = holds(&[("10.0.0.11:80", Hold::Drain)]);
        assert_eq!(
            addresses(&desired_service(&www(false), &h, &drained, &[], false)),
            [("10.0.0.11:80".into(), 0), ("10.0.0.12:80".into(), 2)]
        );
        // Down, it goes as a down real goes: out, or weight 0 if quiescent.
        let down = health(&[("10.0.0.11:80", Health::Down), ("10.0.0.12:80", Health::Up)]);
        let current = [entry("10.0.0.11:80", 0), entry("10.0.0.12:80", 2)];
        assert_eq!(
            addresses(&desired_service(
                &www(false),
                &down,
                &drained,
                &current,
                false
            )),
            [("10.0.0.12:80".into(), 2)]
        );
        assert_eq!(
            addresses(&desired_service(
                &www(true),
                &down,
                &drained,
                &current,
                false
            )),
            [("10.0.0.11:80".into(), 0), ("10.0.0.12:80".into(), 2)]
        );
    }

    #[test]
    fn a_disabled_real_is_out_even_when_quiescent() {
        let h = health(&[("10.0.0.11:80", Health::Up), ("10.0.0.12:80", Health::Up)]);
        let current = [entry("10.0.0.11:80", 2), entry("10.0.0.12:80", 2)];
        let disabled = holds(&[("10.0.0.11:80", Hold::Disable)]);
        for quiescent in [false, true] {
            assert_eq!(
                addresses(&desired_service(
                    &www(quiescent),
                    &h,
                    &disabled,
                    &current,
                    false
                )),
                [("10.0.0.12:80".into(), 2)]
            );
        }
    }

    #[test]
    fn a_weight_override_holds_while_up() {
        let h = health(&[("10.0.0.11:80", Health::Up), ("10.0.0.12:80", Health::Down)]);
        let weighted = holds(&[
            ("10.0.0.11:80", Hold::Weight(7)),
            ("10.0.0.12:80", Hold::Weight(9)),
        ]);
        assert_eq!(
            addresses(&desired_service(&www(false), &h, &weighted, &[], false)),
            [("10.0.0.11:80".into(), 7)]
        );
    }

    #[test]
    fn a_maintenance_file_counts_as_down() {
        let h = health(&[("10.0.0.11:80", Health::Up), ("10.0.0.12:80", Health::Up)]);
        let current = [entry("10.0.0.11:80", 2), entry("10.0.0.12:80", 2)];
        let maintained = holds(&[("10.0.0.11:80", Hold::Maintenance)]);
        assert_eq!(
            addresses(&desired_service(
                &www(false),
                &h,
                &maintained,
                &current,
                false
            )),
            [("10.0.0.12:80".into(), 2)]
        );
        assert_eq!(
            addresses(&desired_service(
                &www(true),
                &h,
                &maintained,
                &current,
                false
            )),
            [("10.0.0.11:80".into(), 0), ("10.0.0.12:80".into(), 2)]
        );
    }

    #[test]
    fn held_reals_do_not_count_as_up_for_the_fallback() {
        let h = health(&[("10.0.0.11:80", Health::Up), ("10.0.0.12:80", Health::Up)]);
        for (first, second) in [
            (Hold::Drain, Hold::Disable),
            (Hold::Maintenance, Hold::Weight(0)),
            (Hold::Drain, Hold::Drain),
        ] {
            let held = holds(&[("10.0.0.11:80", first), ("10.0.0.12:80", second)]);
            let d = desired_service(&www(false), &h, &held, &[], false);
            assert!(
                addresses(&d).contains(&("127.0.0.1:80".into(), 1)),
                "{first:?} {second:?}: {:?}",
                addresses(&d)
            );
        }
        // One real left taking traffic: no fallback.
        let one_left = holds(&[
            ("10.0.0.11:80", Hold::Drain),
            ("10.0.0.12:80", Hold::Weight(3)),
        ]);
        assert_eq!(
            addresses(&desired_service(&www(false), &h, &one_left, &[], false)),
            [("10.0.0.11:80".into(), 0), ("10.0.0.12:80".into(), 3)]
        );
    }

    #[test]
    fn adoption_needs_the_real_to_take_traffic() {
        assert!(adopted(
            &real("10.0.0.11:80"),
            &[entry("10.0.0.11:80", 2)],
            None
        ));
        // Another weight (the file changed while the daemon was down): up,
        // and the next sync sets the configured weight.
        assert!(adopted(
            &real("10.0.0.11:80"),
            &[entry("10.0.0.11:80", 5)],
            None
        ));
        assert!(!adopted(
            &real("10.0.0.11:80"),
            &[entry("10.0.0.11:80", 0)],
            None
        ));
        assert!(!adopted(&real("10.0.0.11:80"), &[], None));
        // Drained: in at weight 0 is up, so a restart keeps it in.
        let drained = Some(Hold::Drain);
        assert!(adopted(
            &real("10.0.0.11:80"),
            &[entry("10.0.0.11:80", 0)],
            drained
        ));
        assert!(!adopted(&real("10.0.0.11:80"), &[], drained));
    }
}
