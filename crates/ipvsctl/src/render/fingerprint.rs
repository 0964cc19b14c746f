// SPDX-License-Identifier: MIT OR Apache-2.0
//! `ipvsctl list --fingerprint`: one line per service with what decides
//! where its new connections go, and nothing that differs between
//! directors carrying the same table (no counters, no connection counts),
//! so that `ipvsctl list --fingerprint | sha256sum` is the same on every
//! director of an ECMP group. The reals of `mh` and `sh` are in the
//! kernel's order (their table depends on it); the others' by address.

use std::fmt::Write;

use ipvs::net::socket_text;
use ipvs::TableEntry;

use super::ipvsadm::service_line;

/// The lines, services in the order given (the caller sorts them).
pub fn table(table: &[TableEntry]) -> String {
    let mut out = String::new();
    for entry in table {
        let service = &entry.service.service;
        let mut reals: Vec<_> = entry.destinations.iter().map(|d| d.destination).collect();
        let order = if planner::order::order_matters(&service.scheduler) {
            "kernel"
        } else {
            reals.sort_by_key(|d| d.address);
            "address"
        };
        let reals: Vec<String> = reals
            .iter()
            .map(|d| {
                format!(
                    "{} {} w{}",
                    socket_text(&d.address.ip(), d.address.port()),
                    d.forward.ipvsadm_name(),
                    d.weight
                )
            })
            .collect();
        let _ = writeln!(
            out,
            "{} | {order} order: {}",
            service_line(service),
            reals.join(", ")
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use ipvs::{
        Destination, DestinationEntry, Forward, Service, ServiceEntry, ServiceFlags, ServiceKey,
        Stats,
    };

    use super::*;

    fn entry(scheduler: &str, reals: &[(&str, u32, u64)]) -> TableEntry {
        let mut service = Service::new(ServiceKey::tcp("10.0.0.1:80".parse().unwrap()), scheduler);
        if scheduler == "mh" {
            service.flags |= ServiceFlags::SCHED1;
        }
        TableEntry {
            service: ServiceEntry {
                service,
                stats: Stats::default(),
            },
            destinations: reals
                .iter()
                .map(|(a, w, connections)| DestinationEntry {
                    destination: Destination::new(a.parse().unwrap(), Forward::Route, *w),
                    active_connections: 3,
                    inactive_connections: 0,
                    persistent_connections: 0,
                    stats: Stats {
                        connections: *connections,
                        ..Stats::default()
                    },
                })
                .collect(),
        }
    }

    #[test]
    fn mh_shows_the_kernels_order_and_no_counters() {
        let text = table(&[entry(
            "mh",
            &[("10.0.0.12:80", 1, 5), ("10.0.0.11:80", 0, 9)],
        )]);
        assert_eq!(
            text,
            "TCP  10.0.0.1:80 mh (mh-fallback) | kernel order: 10.0.0.12:80 Route w1, 10.0.0.11:80 Route w0\n"
        );
        let other_counters = table(&[entry(
            "mh",
            &[("10.0.0.12:80", 1, 7), ("10.0.0.11:80", 0, 1)],
        )]);
        assert_eq!(text, other_counters);
    }

    #[test]
    fn other_schedulers_show_their_reals_by_address() {
        assert_eq!(
            table(&[entry(
                "wlc",
                &[("10.0.0.12:80", 1, 0), ("10.0.0.11:80", 2, 0)]
            )]),
            "TCP  10.0.0.1:80 wlc | address order: 10.0.0.11:80 Route w2, 10.0.0.12:80 Route w1\n"
        );
    }
}
