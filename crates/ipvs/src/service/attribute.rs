// SPDX-License-Identifier: MIT OR Apache-2.0
//! `IPVS_SVC_ATTR_*`: the attributes nested in `IPVS_CMD_ATTR_SERVICE`.

use netlink_packet_core::{
    emit_u16, emit_u32, parse_u32, DecodeError, DefaultNla, Emitable, Nla, NlaBuffer, Parseable,
    NLA_F_NESTED,
};

use crate::net::{RawAddress, INET_ADDR_LEN};
use crate::stats::StatsAttribute;
use crate::wire;

const IPVS_SVC_ATTR_AF: u16 = 1;
const IPVS_SVC_ATTR_PROTOCOL: u16 = 2;
const IPVS_SVC_ATTR_ADDR: u16 = 3;
const IPVS_SVC_ATTR_PORT: u16 = 4;
const IPVS_SVC_ATTR_FWMARK: u16 = 5;
const IPVS_SVC_ATTR_SCHED_NAME: u16 = 6;
const IPVS_SVC_ATTR_FLAGS: u16 = 7;
const IPVS_SVC_ATTR_TIMEOUT: u16 = 8;
const IPVS_SVC_ATTR_NETMASK: u16 = 9;
const IPVS_SVC_ATTR_STATS: u16 = 10;
const IPVS_SVC_ATTR_PE_NAME: u16 = 11;
const IPVS_SVC_ATTR_STATS64: u16 = 12;

/// One attribute of a service.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ServiceAttribute {
    /// `AF_INET` or `AF_INET6` (native u16).
    Family(u16),
    /// IP protocol number (native u16).
    Protocol(u16),
    /// Virtual address (16 bytes, IPv4 in the first four).
    Address(RawAddress),
    /// Virtual port, host order here, network order on the wire.
    Port(u16),
    /// Firewall mark (native u32).
    Fwmark(u32),
    /// Scheduler name, at most 15 bytes.
    Scheduler(String),
    /// `struct ip_vs_flags`: the new flags and the mask of flags to change.
    Flags {
        /// Flag values.
        flags: u32,
        /// Which flags `flags` sets.
        mask: u32,
    },
    /// Persistence timeout in seconds.
    Timeout(u32),
    /// Persistence netmask, as raw bytes: a big-endian mask for IPv4, a
    /// native-endian prefix length for IPv6 (kernel quirk: one attribute,
    /// two meanings).
    Netmask([u8; 4]),
    /// Counters with 32-bit packet counts.
    Stats(Vec<StatsAttribute>),
    /// Persistence engine name (e.g. `sip`).
    PersistenceEngine(String),
    /// Counters, all 64-bit.
    Stats64(Vec<StatsAttribute>),
    /// An attribute this crate does not know.
    Other(DefaultNla),
}

impl Nla for ServiceAttribute {
    fn value_len(&self) -> usize {
        match self {
            Self::Family(_) | Self::Protocol(_) | Self::Port(_) => 2,
            Self::Fwmark(_) | Self::Timeout(_) | Self::Netmask(_) => 4,
            Self::Address(_) => INET_ADDR_LEN,
            Self::Flags { .. } => 8,
            Self::Scheduler(s) | Self::PersistenceEngine(s) => wire::string_len(s),
            Self::Stats(v) | Self::Stats64(v) => v.as_slice().buffer_len(),
            Self::Other(nla) => nla.value_len(),
        }
    }

    fn kind(&self) -> u16 {
        match self {
            Self::Family(_) => IPVS_SVC_ATTR_AF,
            Self::Protocol(_) => IPVS_SVC_ATTR_PROTOCOL,
            Self::Address(_) => IPVS_SVC_ATTR_ADDR,
            Self::Port(_) => IPVS_SVC_ATTR_PORT,
            Self::Fwmark(_) => IPVS_SVC_ATTR_FWMARK,
            Self::Scheduler(_) => IPVS_SVC_ATTR_SCHED_NAME,
            Self::Flags { .. } => IPVS_SVC_ATTR_FLAGS,
            Self::Timeout(_) => IPVS_SVC_ATTR_TIMEOUT,
            Self::Netmask(_) => IPVS_SVC_ATTR_NETMASK,
            Self::Stats(_) => IPVS_SVC_ATTR_STATS | NLA_F_NESTED,
            Self::PersistenceEngine(_) => IPVS_SVC_ATTR_PE_NAME,
            Self::Stats64(_) => IPVS_SVC_ATTR_STATS64 | NLA_F_NESTED,
            Self::Other(nla) => nla.kind(),
        }
    }

    fn emit_value(&self, buffer: &mut [u8]) {
        match self {
            Self::Family(v) | Self::Protocol(v) => {
                let _ = emit_u16(buffer, *v);
            }
            Self::Port(port) => wire::emit_port(buffer, *port),
            Self::Address(addr) => buffer[..INET_ADDR_LEN].copy_from_slice(&addr.0),
            Self::Fwmark(v) | Self::Timeout(v) => {
                let _ = emit_u32(buffer, *v);
            }
            Self::Netmask(bytes) => buffer[..4].copy_from_slice(bytes),
            Self::Flags { flags, mask } => {
                let _ = emit_u32(&mut buffer[..4], *flags);
                let _ = emit_u32(&mut buffer[4..8], *mask);
            }
            Self::Scheduler(s) | Self::PersistenceEngine(s) => wire::emit_string(buffer, s),
            Self::Stats(v) | Self::Stats64(v) => wire::emit_nested(buffer, v),
            Self::Other(nla) => nla.emit_value(buffer),
        }
    }
}

impl wire::FromAttribute for ServiceAttribute {
    fn from_attribute(kind: u16, raw_kind: u16, value: &[u8]) -> Result<Self, DecodeError> {
        Ok(match kind {
            IPVS_SVC_ATTR_AF => Self::Family(wire::parse_u16(value)?),
            IPVS_SVC_ATTR_PROTOCOL => Self::Protocol(wire::parse_u16(value)?),
            IPVS_SVC_ATTR_ADDR => Self::Address(RawAddress::parse(value)?),
            IPVS_SVC_ATTR_PORT => Self::Port(wire::parse_port(value)?),
            IPVS_SVC_ATTR_FWMARK => Self::Fwmark(wire::parse_u32(value)?),
            IPVS_SVC_ATTR_SCHED_NAME => Self::Scheduler(wire::parse_string(value)?),
            IPVS_SVC_ATTR_FLAGS => {
                if value.len() < 8 {
                    return Err(format!("service flags of {} bytes", value.len()).into());
                }
                Self::Flags {
                    flags: parse_u32(&value[..4])?,
                    mask: parse_u32(&value[4..8])?,
                }
            }
            IPVS_SVC_ATTR_TIMEOUT => Self::Timeout(wire::parse_u32(value)?),
            IPVS_SVC_ATTR_NETMASK => {
                let bytes: [u8; 4] = value
                    .try_into()
                    .map_err(|_| format!("service netmask of {} bytes", value.len()))?;
                Self::Netmask(bytes)
            }
            IPVS_SVC_ATTR_STATS => Self::Stats(wire::parse_nested(value)?),
            IPVS_SVC_ATTR_PE_NAME => Self::PersistenceEngine(wire::parse_string(value)?),
            IPVS_SVC_ATTR_STATS64 => Self::Stats64(wire::parse_nested(value)?),
            _ => Self::Other(wire::other(raw_kind, value)),
        })
    }
}

impl<'a, T: AsRef<[u8]> + ?Sized> Parseable<NlaBuffer<&'a T>> for ServiceAttribute {
    fn parse(buf: &NlaBuffer<&'a T>) -> Result<Self, DecodeError> {
        wire::parse_buffer(buf)
    }
}
