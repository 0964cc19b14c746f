// SPDX-License-Identifier: MIT OR Apache-2.0
//! The cost of writing one `/metrics` page, without a kernel: a made-up
//! reading of SERVICES × REALS (default 2,000 × 5) rendered in both
//! formats, CPU time and bytes. The lab's `kernel_metrics` test measures the
//! whole scrape (table read included) on the real kernel.
//!
//! `cargo run --release -p ipvsctl --example bench_scrape [SERVICES REALS]`

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use health::{CheckCounts, Health, TargetCounts, TargetKey};
use ipvs::{
    Destination, DestinationEntry, Forward, Protocol, Service, ServiceEntry, ServiceKey, Stats,
    TableEntry,
};
use ipvsctl::metrics::{render, Facts, Format, Reading, VirtualFacts};

fn main() {
    let mut args = std::env::args().skip(1).map(|a| a.parse::<usize>());
    let services = args.next().and_then(Result::ok).unwrap_or(2000);
    let reals = args.next().and_then(Result::ok).unwrap_or(5);
    let stats = Stats {
        connections: 123_456_789,
        packets_in: 987_654_321,
        bytes_in: 98_765_432_100,
        connection_rate: 1234,
        packet_rate_in: 56_789,
        byte_rate_in: 7_890_123,
        ..Stats::default()
    };
    let mut table = Vec::new();
    let mut counts = Vec::new();
    let mut virtuals = Vec::new();
    for s in 0..services {
        let key = ServiceKey::Address {
            protocol: Protocol::Tcp,
            address: SocketAddr::from(([10, 1, (s / 250) as u8, (s % 250 + 1) as u8], 80)),
        };
        let mut destinations = Vec::new();
        for r in 0..reals {
            let address = SocketAddr::from(([10, 2, r as u8, (s % 250 + 1) as u8], 80));
            destinations.push(DestinationEntry {
                destination: Destination::new(address, Forward::Route, 100),
                active_connections: 1234,
                inactive_connections: 5678,
                persistent_connections: 0,
                stats,
            });
            let mut c = CheckCounts {
                ok: 100_000,
                failed: 12,
                transitions: 3,
                duration_sum_micros: 123_456_789,
                ..CheckCounts::default()
            };
            c.buckets[2] = 100_012;
            counts.push(TargetCounts {
                key: TargetKey {
                    service: key,
                    real: address,
                },
                health: Health::Up,
                counts: c,
            });
        }
        table.push(TableEntry {
            service: ServiceEntry {
                service: Service::new(key, "wlc"),
                stats,
            },
            destinations,
        });
        virtuals.push(VirtualFacts {
            service: key,
            name: Some(format!("site{s}")),
            check_kind: "http",
        });
    }
    let reading = Arc::new(Reading {
        table: Ok(table),
        counts,
        took: Duration::from_millis(1),
    });
    let facts = Arc::new(Facts {
        virtuals,
        ..Facts::default()
    });
    for format in [Format::OpenMetrics, Format::Prometheus] {
        let mut best = Duration::MAX;
        let mut bytes = 0;
        let mut lines = 0;
        for _ in 0..5 {
            let cpu = cpu_time();
            let text = render(Arc::clone(&reading), Arc::clone(&facts), format);
            best = best.min(cpu_time() - cpu);
            bytes = text.len();
            lines = text.lines().count();
        }
        println!(
            "{services} services x {reals} reals, {format:?}: {:.1} ms CPU (best of 5), {bytes} bytes, {lines} lines",
            best.as_secs_f64() * 1000.0
        );
    }
}

/// This thread's CPU time.
fn cpu_time() -> Duration {
    let mut t = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes into the struct we own.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut t) };
    Duration::new(t.tv_sec as u64, t.tv_nsec as u32)
}
