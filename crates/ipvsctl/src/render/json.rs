// SPDX-License-Identifier: MIT OR Apache-2.0
//! The table as JSON, in the words of ipvsctl's configuration
//! (`gate`, `masq`, `ipip`).

use ipvs::{
    AddressFamily, DestinationEntry, Info, Netmask, ServiceEntry, ServiceFlags, ServiceKey, Stats,
    TableEntry,
};
use serde::Serialize;

use super::ipvsadm::sched_flag_names;

/// The order the reals of each service are listed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RealOrder {
    /// By address and port, as `ipvsadm -Ln`.
    Address,
    /// The kernel's list, head first (what `mh` and `sh` hash over).
    Kernel,
}

#[derive(Serialize)]
struct Table<'a> {
    version: String,
    connection_table_size: u32,
    /// How `reals` are ordered.
    real_order: RealOrder,
    services: Vec<ServiceJson<'a>>,
}

#[derive(Serialize)]
struct ServiceJson<'a> {
    family: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    protocol: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    address: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    port: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    fwmark: Option<u32>,
    scheduler: &'a str,
    scheduler_flags: Vec<String>,
    persistent: Option<u32>,
    netmask: String,
    one_packet: bool,
    persistence_engine: Option<&'a str>,
    stats: StatsJson,
    reals: Vec<RealJson>,
}

#[derive(Serialize)]
struct RealJson {
    address: String,
    port: u16,
    forward: String,
    weight: u32,
    upper_threshold: u32,
    lower_threshold: u32,
    active_connections: u32,
    inactive_connections: u32,
    persistent_connections: u32,
    stats: StatsJson,
}

#[derive(Serialize)]
struct StatsJson {
    connections: u64,
    packets_in: u64,
    packets_out: u64,
    bytes_in: u64,
    bytes_out: u64,
    connection_rate: u64,
    packet_rate_in: u64,
    packet_rate_out: u64,
    byte_rate_in: u64,
    byte_rate_out: u64,
}

impl From<&Stats> for StatsJson {
    fn from(s: &Stats) -> Self {
        Self {
            connections: s.connections,
            packets_in: s.packets_in,
            packets_out: s.packets_out,
            bytes_in: s.bytes_in,
            bytes_out: s.bytes_out,
            connection_rate: s.connection_rate,
            packet_rate_in: s.packet_rate_in,
            packet_rate_out: s.packet_rate_out,
            byte_rate_in: s.byte_rate_in,
            byte_rate_out: s.byte_rate_out,
        }
    }
}

/// The whole table as pretty JSON, ending with a newline; `order` says
/// how the caller ordered the reals.
pub fn table(info: &Info, table: &[TableEntry], order: RealOrder) -> serde_json::Result<String> {
    let json = Table {
        version: info.version_text(),
        connection_table_size: info.connection_table_size,
        real_order: order,
        services: table
            .iter()
            .map(|e| service(&e.service, &e.destinations))
            .collect(),
    };
    let mut text = serde_json::to_string_pretty(&json)?;
    text.push('\n');
    Ok(text)
}

fn service<'a>(entry: &'a ServiceEntry, destinations: &[DestinationEntry]) -> ServiceJson<'a> {
    let s = &entry.service;
    let (protocol, address, port, fwmark) = match s.key {
        ServiceKey::Address { protocol, address } => (
            Some(protocol.to_string()),
            Some(address.ip().to_string()),
            Some(address.port()),
            None,
        ),
        ServiceKey::Fwmark { mark, .. } => (None, None, None, Some(mark)),
    };
    ServiceJson {
        family: match s.key.family() {
            AddressFamily::Inet => "ipv4",
            AddressFamily::Inet6 => "ipv6",
        },
        protocol,
        address,
        port,
        fwmark,
        scheduler: &s.scheduler,
        scheduler_flags: sched_flag_names(&s.scheduler, s.flags),
        persistent: s
            .flags
            .contains(ServiceFlags::PERSISTENT)
            .then_some(s.timeout),
        netmask: match s.netmask {
            Netmask::V4(mask) => mask.to_string(),
            Netmask::V6(prefix) => prefix.to_string(),
        },
        one_packet: s.flags.contains(ServiceFlags::ONE_PACKET),
        persistence_engine: s.persistence_engine.as_deref(),
        stats: StatsJson::from(&entry.stats),
        reals: destinations.iter().map(real).collect(),
    }
}

fn real(entry: &DestinationEntry) -> RealJson {
    let d = &entry.destination;
    RealJson {
        address: d.address.ip().to_string(),
        port: d.address.port(),
        forward: planner::change::forward_word(d.forward),
        weight: d.weight,
        upper_threshold: d.upper_threshold,
        lower_threshold: d.lower_threshold,
        active_connections: entry.active_connections,
        inactive_connections: entry.inactive_connections,
        persistent_connections: entry.persistent_connections,
        stats: StatsJson::from(&entry.stats),
    }
}
