// SPDX-License-Identifier: MIT OR Apache-2.0
//! The daemon's answer to `status`: every virtual and real with its health,
//! since when, the last check, and what the kernel has for it.

use std::collections::HashMap;
use std::time::{SystemTime, UNIX_EPOCH};

use config::Config;
use health::{Health, TargetStatus};
use ipvs::Ipvs;
use serde::Serialize;

use crate::desired;

#[derive(Serialize)]
struct Status {
    virtuals: Vec<VirtualStatus>,
}

#[derive(Serialize)]
struct VirtualStatus {
    service: String,
    name: Option<String>,
    reals: Vec<RealStatus>,
    fallback: Option<FallbackStatus>,
}

#[derive(Serialize)]
struct RealStatus {
    address: String,
    health: &'static str,
    since_unix: u64,
    last_check: Option<CheckStatus>,
    consecutive_ok: u32,
    consecutive_failed: u32,
    kernel: Option<KernelEntry>,
}

#[derive(Serialize)]
struct CheckStatus {
    ok: bool,
    at_unix: f64,
    latency_ms: f64,
    detail: String,
}

#[derive(Serialize)]
struct KernelEntry {
    weight: u32,
    active_connections: u32,
    inactive_connections: u32,
}

#[derive(Serialize)]
struct FallbackStatus {
    address: String,
    in_table: bool,
}

fn unix(time: SystemTime) -> f64 {
    time.duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// The status as JSON text.
pub fn json(config: &Config, snapshot: Vec<TargetStatus>, ipvs: &mut Ipvs) -> String {
    let by_key: HashMap<_, _> = snapshot.into_iter().map(|s| (s.key.clone(), s)).collect();
    let mut virtuals = Vec::new();
    for v in &config.virtuals {
        let key = desired::service_key(&v.key);
        let kernel = ipvs.destinations(&key).unwrap_or_default();
        let entry = |address| kernel.iter().find(|e| e.destination.address == address);
        let reals = v
            .reals
            .iter()
            .map(|real| {
                let status = by_key.get(&health::TargetKey {
                    service: key.to_string(),
                    real: real.address,
                });
                RealStatus {
                    address: ipvs::net::socket_text(&real.address.ip(), real.address.port()),
                    health: match status.map(|s| s.health) {
                        Some(Health::Up) => "up",
                        Some(Health::Down) => "down",
                        None => "unknown",
                    },
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
    serde_json::to_string_pretty(&Status { virtuals })
        .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}
