// SPDX-License-Identifier: MIT OR Apache-2.0
//! The daemon's answer to `status`: every virtual and real with its health,
//! since when, the last check, and what the kernel has for it.

use std::collections::HashMap;
use std::time::{SystemTime, UNIX_EPOCH};

use config::Config;
use health::{TargetKey, TargetStatus};
use ipvs::ServiceKey;

use super::protocol::{
    CheckStatus, FallbackStatus, KernelEntry, RealStatus, Status, VirtualStatus,
};
use crate::desired;
use crate::table::Table;

fn unix(time: SystemTime) -> f64 {
    time.duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// The status of every declared virtual.
pub fn status<T: Table + ?Sized>(
    config: &Config,
    snapshot: Vec<TargetStatus<ServiceKey>>,
    table: &mut T,
) -> Status {
    let by_key: HashMap<_, _> = snapshot.into_iter().map(|s| (s.key.clone(), s)).collect();
    let mut virtuals = Vec::new();
    for v in &config.virtuals {
        let key = desired::service_key(&v.key);
        let kernel = table.destinations(&key).unwrap_or_default();
        let entry = |address| kernel.iter().find(|e| e.destination.address == address);
        let reals = v
            .reals
            .iter()
            .map(|real| {
                let status = by_key.get(&TargetKey {
                    service: key,
                    real: real.address,
                });
                RealStatus {
                    address: ipvs::net::socket_text(&real.address.ip(), real.address.port()),
                    health: status.map_or("unknown".to_string(), |s| s.health.to_string()),
                    since_unix: status.map_or(0, |s| unix(s.since) as u64),
                    last_check: status.and_then(|s| s.last.as_ref()).map(|c| CheckStatus {
                        ok: c.ok,
                        at_unix: unix(c.at),
                        latency_ms: c.latency.as_secs_f64() * 1000.0,
                        detail: c.detail.clone(),
                    }),
                    consecutive_ok: status.map_or(0, |s| s.consecutive_ok),
                    consecutive_failed: status.map_or(0, |s| s.consecutive_failed),
                    kernel: entry(real.address).map(|e| KernelEntry {
                        weight: e.destination.weight,
                        active_connections: e.active_connections,
                        inactive_connections: e.inactive_connections,
                    }),
                }
            })
            .collect();
        virtuals.push(VirtualStatus {
            service: key.to_string(),
            name: v.name.clone(),
            reals,
            fallback: v.fallback.map(|f| FallbackStatus {
                address: ipvs::net::socket_text(&f.address.ip(), f.address.port()),
                in_table: entry(f.address).is_some(),
            }),
        });
    }
    Status { virtuals }
}
