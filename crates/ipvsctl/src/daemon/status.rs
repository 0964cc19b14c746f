// SPDX-License-Identifier: MIT OR Apache-2.0
//! The daemon's answer to `status`: every virtual and real with its health,
//! since when, the last check, and what the kernel has for it.

use std::collections::HashMap;
use std::time::{SystemTime, UNIX_EPOCH};

use config::Config;
use health::{TargetKey, TargetStatus};
use ipvs::ServiceKey;

use super::maintenance::Found;
use super::overrides::{Action, Overrides};
use super::protocol::{
    CheckStatus, FallbackStatus, KernelEntry, OverrideStatus, RealStatus, Status, VirtualStatus,
};
use crate::desired;
use crate::table::Table;

fn unix(time: SystemTime) -> f64 {
    time.duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// What operators and maintenance files put on reals.
pub struct Holds<'a> {
    /// `drain`, `disable`, `weight`.
    pub overrides: &'a Overrides,
    /// Maintenance files.
    pub maintenance: &'a Found,
}

impl Holds<'_> {
    /// What `status` shows for a real: a `disable` over a maintenance
    /// file over a drain or weight (as the health rule has it).
    fn of(&self, key: &TargetKey<ServiceKey>) -> Option<OverrideStatus> {
        let operator = self.overrides.get(key).map(|o| OverrideStatus {
            action: o.action.name().to_string(),
            weight: match o.action {
                Action::Weight(weight) => Some(weight),
                _ => None,
            },
            who: o.who.clone(),
            since_unix: o.since_unix,
            reason: o.reason.clone(),
        });
        let file = self.maintenance.get(key).map(|marker| OverrideStatus {
            action: "maintenance".to_string(),
            weight: None,
            who: marker.file.display().to_string(),
            since_unix: marker.since_unix,
            reason: None,
        });
        match (operator, file) {
            (Some(o), _) if o.action == "disable" => Some(o),
            (o, None) => o,
            (_, file) => file,
        }
    }
}

/// The status of every declared virtual.
pub fn status<T: Table + ?Sized>(
    config: &Config,
    snapshot: Vec<TargetStatus<ServiceKey>>,
    holds: &Holds<'_>,
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
                let target = TargetKey {
                    service: key,
                    real: real.address,
                };
                let status = by_key.get(&target);
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
                    override_: holds.of(&target),
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
    Status {
        virtuals,
        resync: None,
        announce: None,
    }
}
