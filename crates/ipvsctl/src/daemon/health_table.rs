// SPDX-License-Identifier: MIT OR Apache-2.0
//! What health does to the table (pure, so every rule is a unit test):
//! - a real that is up is in with its configured weight;
//! - a real that is down is removed, or kept with weight 0 when the
//!   virtual is quiescent and the real is in the table (a real that was
//!   never in goes in only after its first good check);
//! - the fallback (sorry server) is in exactly while no real is up.

use std::collections::HashMap;
use std::net::SocketAddr;

use config::model::Virtual;
use health::Health;
use ipvs::DestinationEntry;
use planner::DesiredService;

use crate::desired;

/// The service a virtual should be, given the health of its reals and the
/// destinations it has in the kernel now (`current`).
///
/// `hold_fallback` keeps the fallback out while the daemon is starting and
/// the reals have not had their first check yet (so a healthy site never
/// flashes its sorry page at start); a fallback already in stays in.
pub fn desired_service(
    virtual_: &Virtual,
    health: &HashMap<SocketAddr, Health>,
    current: &[DestinationEntry],
    hold_fallback: bool,
) -> DesiredService {
    let present = |address: &SocketAddr| current.iter().any(|e| e.destination.address == *address);
    let mut destinations = Vec::with_capacity(virtual_.reals.len() + 1);
    let mut any_up = false;
    for real in &virtual_.reals {
        match health.get(&real.address).copied().unwrap_or(Health::Down) {
            Health::Up => {
                any_up = true;
                destinations.push(desired::destination(real));
            }
            Health::Down if virtual_.quiescent && present(&real.address) => {
                let mut quiet = desired::destination(real);
                quiet.weight = 0;
                destinations.push(quiet);
            }
            Health::Down => {}
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
/// with). A weight of 0 otherwise is a quiescent real that was down.
pub fn adopted(real: &config::model::Real, current: &[DestinationEntry]) -> bool {
    current.iter().any(|e| {
        e.destination.address == real.address && (e.destination.weight > 0 || real.weight == 0)
    })
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
            hooks: Vec::new(),
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

    fn addresses(d: &DesiredService) -> Vec<(String, u32)> {
        d.destinations
            .iter()
            .map(|d| (d.address.to_string(), d.weight))
            .collect()
    }

    #[test]
    fn up_reals_are_in_with_their_weight_and_no_fallback() {
        let h = health(&[("10.0.0.11:80", Health::Up), ("10.0.0.12:80", Health::Up)]);
        let d = desired_service(&www(false), &h, &[], false);
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
            addresses(&desired_service(&www(false), &h, &current, false)),
            [("10.0.0.11:80".into(), 2)]
        );
    }

    #[test]
    fn quiescent_keeps_a_down_real_with_weight_zero_if_it_is_in() {
        let h = health(&[("10.0.0.11:80", Health::Up), ("10.0.0.12:80", Health::Down)]);
        let current = [entry("10.0.0.11:80", 2), entry("10.0.0.12:80", 2)];
        assert_eq!(
            addresses(&desired_service(&www(true), &h, &current, false)),
            [("10.0.0.11:80".into(), 2), ("10.0.0.12:80".into(), 0)]
        );
        // Never in: stays out until its first good check.
        assert_eq!(
            addresses(&desired_service(&www(true), &h, &current[..1], false)),
            [("10.0.0.11:80".into(), 2)]
        );
    }

    #[test]
    fn the_fallback_is_in_exactly_while_no_real_is_up() {
        let down = health(&[
            ("10.0.0.11:80", Health::Down),
            ("10.0.0.12:80", Health::Down),
        ]);
        assert_eq!(
            addresses(&desired_service(&www(false), &down, &[], false)),
            [("127.0.0.1:80".into(), 1)]
        );
        // Quiescent reals at weight 0 are not up: the fallback is in too.
        let current = [entry("10.0.0.11:80", 2)];
        assert_eq!(
            addresses(&desired_service(&www(true), &down, &current, false)),
            [("10.0.0.11:80".into(), 0), ("127.0.0.1:80".into(), 1)]
        );
        // While starting, a fallback not yet in waits for the first checks.
        assert!(desired_service(&www(false), &down, &[], true)
            .destinations
            .is_empty());
        let fallback_in = [entry("127.0.0.1:80", 1)];
        assert_eq!(
            addresses(&desired_service(&www(false), &down, &fallback_in, true)),
            [("127.0.0.1:80".into(), 1)]
        );
        let one = health(&[("10.0.0.11:80", Health::Up)]);
        assert_eq!(
            addresses(&desired_service(&www(false), &one, &[], false)),
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
                    &[],
                    starting
                )),
                [("127.0.0.1:80".into(), 1)]
            );
        }
    }

    #[test]
    fn adoption_needs_the_real_to_take_traffic() {
        assert!(adopted(&real("10.0.0.11:80"), &[entry("10.0.0.11:80", 2)]));
        // Another weight (the file changed while the daemon was down): up,
        // and the next sync sets the configured weight.
        assert!(adopted(&real("10.0.0.11:80"), &[entry("10.0.0.11:80", 5)]));
        assert!(!adopted(&real("10.0.0.11:80"), &[entry("10.0.0.11:80", 0)]));
        assert!(!adopted(&real("10.0.0.11:80"), &[]));
    }
}
