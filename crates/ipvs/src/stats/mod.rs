// SPDX-License-Identifier: MIT OR Apache-2.0
//! Counters and rates of a service or destination (`ipvsadm -L --stats --rate`).

pub mod attribute;
#[cfg(test)]
mod tests;

pub use attribute::{Counter, StatsAttribute};

/// Counters and rates, all widened to 64 bits.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Connections scheduled.
    pub connections: u64,
    /// Incoming packets.
    pub packets_in: u64,
    /// Outgoing packets.
    pub packets_out: u64,
    /// Incoming bytes.
    pub bytes_in: u64,
    /// Outgoing bytes.
    pub bytes_out: u64,
    /// Connections per second.
    pub connection_rate: u64,
    /// Incoming packets per second.
    pub packet_rate_in: u64,
    /// Outgoing packets per second.
    pub packet_rate_out: u64,
    /// Incoming bytes per second.
    pub byte_rate_in: u64,
    /// Outgoing bytes per second.
    pub byte_rate_out: u64,
}

impl Stats {
    /// Builds the counters from a `STATS` or `STATS64` attribute set.
    pub fn from_attributes(attributes: &[StatsAttribute]) -> Self {
        let mut stats = Self::default();
        for attribute in attributes {
            if let StatsAttribute::Value { counter, value, .. } = *attribute {
                let slot = match counter {
                    Counter::Connections => &mut stats.connections,
                    Counter::PacketsIn => &mut stats.packets_in,
                    Counter::PacketsOut => &mut stats.packets_out,
                    Counter::BytesIn => &mut stats.bytes_in,
                    Counter::BytesOut => &mut stats.bytes_out,
                    Counter::ConnectionRate => &mut stats.connection_rate,
                    Counter::PacketRateIn => &mut stats.packet_rate_in,
                    Counter::PacketRateOut => &mut stats.packet_rate_out,
                    Counter::ByteRateIn => &mut stats.byte_rate_in,
                    Counter::ByteRateOut => &mut stats.byte_rate_out,
                };
                *slot = value;
            }
        }
        stats
    }
}
