// SPDX-License-Identifier: MIT OR Apache-2.0
//! `IPVS_DEST_ATTR_*`: the attributes nested in `IPVS_CMD_ATTR_DEST`.

use netlink_packet_core::{
    emit_u16, emit_u32, DecodeError, DefaultNla, Emitable, Nla, NlaBuffer, Parseable, NLA_F_NESTED,
};

use crate::net::{RawAddress, INET_ADDR_LEN};
use crate::stats::StatsAttribute;
use crate::wire;

const IPVS_DEST_ATTR_ADDR: u16 = 1;
const IPVS_DEST_ATTR_PORT: u16 = 2;
const IPVS_DEST_ATTR_FWD_METHOD: u16 = 3;
const IPVS_DEST_ATTR_WEIGHT: u16 = 4;
const IPVS_DEST_ATTR_U_THRESH: u16 = 5;
const IPVS_DEST_ATTR_L_THRESH: u16 = 6;
const IPVS_DEST_ATTR_ACTIVE_CONNS: u16 = 7;
const IPVS_DEST_ATTR_INACT_CONNS: u16 = 8;
const IPVS_DEST_ATTR_PERSIST_CONNS: u16 = 9;
const IPVS_DEST_ATTR_STATS: u16 = 10;
const IPVS_DEST_ATTR_ADDR_FAMILY: u16 = 11;
const IPVS_DEST_ATTR_STATS64: u16 = 12;
const IPVS_DEST_ATTR_TUN_TYPE: u16 = 13;
const IPVS_DEST_ATTR_TUN_PORT: u16 = 14;
const IPVS_DEST_ATTR_TUN_FLAGS: u16 = 15;

/// One attribute of a destination (real server).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DestinationAttribute {
    /// Real server address (16 bytes, IPv4 in the first four).
    Address(RawAddress),
    /// Real server port, host order here, network order on the wire.
    Port(u16),
    /// Forwarding method (`IP_VS_CONN_F_*` & `IP_VS_CONN_F_FWD_MASK`).
    ForwardMethod(u32),
    /// Weight (a C `int` in the kernel; negative values are refused).
    Weight(u32),
    /// Upper connection threshold (0 = none).
    UpperThreshold(u32),
    /// Lower connection threshold.
    LowerThreshold(u32),
    /// Active connections (read only).
    ActiveConnections(u32),
    /// Inactive connections (read only).
    InactiveConnections(u32),
    /// Persistent connection templates (read only).
    PersistentConnections(u32),
    /// Counters with 32-bit packet counts.
    Stats(Vec<StatsAttribute>),
    /// The destination's own address family (may differ from the
    /// service's only with tunnel forwarding).
    Family(u16),
    /// Counters, all 64-bit.
    Stats64(Vec<StatsAttribute>),
    /// Tunnel type (`IP_VS_CONN_F_TUNNEL_TYPE_*`, u8).
    TunnelType(u8),
    /// Tunnel port, host order here, network order on the wire.
    TunnelPort(u16),
    /// Tunnel flags (`IP_VS_TUNNEL_ENCAP_FLAG_*`, u16).
    TunnelFlags(u16),
    /// An attribute this crate does not know.
    Other(DefaultNla),
}

impl Nla for DestinationAttribute {
    fn value_len(&self) -> usize {
        match self {
            Self::Address(_) => INET_ADDR_LEN,
            Self::Port(_) | Self::Family(_) | Self::TunnelPort(_) | Self::TunnelFlags(_) => 2,
            Self::TunnelType(_) => 1,
            Self::ForwardMethod(_)
            | Self::Weight(_)
            | Self::UpperThreshold(_)
            | Self::LowerThreshold(_)
            | Self::ActiveConnections(_)
            | Self::InactiveConnections(_)
            | Self::PersistentConnections(_) => 4,
            Self::Stats(v) | Self::Stats64(v) => v.as_slice().buffer_len(),
            Self::Other(nla) => nla.value_len(),
        }
    }

    fn kind(&self) -> u16 {
        match self {
            Self::Address(_) => IPVS_DEST_ATTR_ADDR,
            Self::Port(_) => IPVS_DEST_ATTR_PORT,
            Self::ForwardMethod(_) => IPVS_DEST_ATTR_FWD_METHOD,
            Self::Weight(_) => IPVS_DEST_ATTR_WEIGHT,
            Self::UpperThreshold(_) => IPVS_DEST_ATTR_U_THRESH,
            Self::LowerThreshold(_) => IPVS_DEST_ATTR_L_THRESH,
            Self::ActiveConnections(_) => IPVS_DEST_ATTR_ACTIVE_CONNS,
            Self::InactiveConnections(_) => IPVS_DEST_ATTR_INACT_CONNS,
            Self::PersistentConnections(_) => IPVS_DEST_ATTR_PERSIST_CONNS,
            Self::Stats(_) => IPVS_DEST_ATTR_STATS | NLA_F_NESTED,
            Self::Family(_) => IPVS_DEST_ATTR_ADDR_FAMILY,
            Self::Stats64(_) => IPVS_DEST_ATTR_STATS64 | NLA_F_NESTED,
            Self::TunnelType(_) => IPVS_DEST_ATTR_TUN_TYPE,
            Self::TunnelPort(_) => IPVS_DEST_ATTR_TUN_PORT,
            Self::TunnelFlags(_) => IPVS_DEST_ATTR_TUN_FLAGS,
            Self::Other(nla) => nla.kind(),
        }
    }

    fn emit_value(&self, buffer: &mut [u8]) {
        match self {
            Self::Address(addr) => buffer[..INET_ADDR_LEN].copy_from_slice(&addr.0),
            Self::Port(port) | Self::TunnelPort(port) => wire::emit_port(buffer, *port),
            Self::Family(v) | Self::TunnelFlags(v) => {
                let _ = emit_u16(buffer, *v);
            }
            Self::TunnelType(v) => buffer[0] = *v,
            Self::ForwardMethod(v)
            | Self::Weight(v)
            | Self::UpperThreshold(v)
            | Self::LowerThreshold(v)
            | Self::ActiveConnections(v)
            | Self::InactiveConnections(v)
            | Self::PersistentConnections(v) => {
                let _ = emit_u32(buffer, *v);
            }
            Self::Stats(v) | Self::Stats64(v) => wire::emit_nested(buffer, v),
            Self::Other(nla) => nla.emit_value(buffer),
        }
    }
}

impl wire::FromAttribute for DestinationAttribute {
    fn from_attribute(kind: u16, raw_kind: u16, value: &[u8]) -> Result<Self, DecodeError> {
        Ok(match kind {
            IPVS_DEST_ATTR_ADDR => Self::Address(RawAddress::parse(value)?),
            IPVS_DEST_ATTR_PORT => Self::Port(wire::parse_port(value)?),
            IPVS_DEST_ATTR_FWD_METHOD => Self::ForwardMethod(wire::parse_u32(value)?),
            IPVS_DEST_ATTR_WEIGHT => Self::Weight(wire::parse_u32(value)?),
            IPVS_DEST_ATTR_U_THRESH => Self::UpperThreshold(wire::parse_u32(value)?),
            IPVS_DEST_ATTR_L_THRESH => Self::LowerThreshold(wire::parse_u32(value)?),
            IPVS_DEST_ATTR_ACTIVE_CONNS => Self::ActiveConnections(wire::parse_u32(value)?),
            IPVS_DEST_ATTR_INACT_CONNS => Self::InactiveConnections(wire::parse_u32(value)?),
            IPVS_DEST_ATTR_PERSIST_CONNS => Self::PersistentConnections(wire::parse_u32(value)?),
            IPVS_DEST_ATTR_STATS => Self::Stats(wire::parse_nested(value)?),
            IPVS_DEST_ATTR_ADDR_FAMILY => Self::Family(wire::parse_u16(value)?),
            IPVS_DEST_ATTR_STATS64 => Self::Stats64(wire::parse_nested(value)?),
            IPVS_DEST_ATTR_TUN_TYPE => Self::TunnelType(wire::parse_u8(value)?),
            IPVS_DEST_ATTR_TUN_PORT => Self::TunnelPort(wire::parse_port(value)?),
            IPVS_DEST_ATTR_TUN_FLAGS => Self::TunnelFlags(wire::parse_u16(value)?),
            _ => Self::Other(wire::other(raw_kind, value)),
        })
    }
}

impl<'a, T: AsRef<[u8]> + ?Sized> Parseable<NlaBuffer<&'a T>> for DestinationAttribute {
    fn parse(buf: &NlaBuffer<&'a T>) -> Result<Self, DecodeError> {
        wire::parse_buffer(buf)
    }
}
