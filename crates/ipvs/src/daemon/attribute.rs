// SPDX-License-Identifier: MIT OR Apache-2.0
//! `IPVS_DAEMON_ATTR_*`: the attributes nested in `IPVS_CMD_ATTR_DAEMON`.

use std::net::{Ipv4Addr, Ipv6Addr};

use netlink_packet_core::{emit_u16, emit_u32, DecodeError, DefaultNla, Nla, NlaBuffer, Parseable};

use crate::wire;

const IPVS_DAEMON_ATTR_STATE: u16 = 1;
const IPVS_DAEMON_ATTR_MCAST_IFN: u16 = 2;
const IPVS_DAEMON_ATTR_SYNC_ID: u16 = 3;
const IPVS_DAEMON_ATTR_SYNC_MAXLEN: u16 = 4;
const IPVS_DAEMON_ATTR_MCAST_GROUP: u16 = 5;
const IPVS_DAEMON_ATTR_MCAST_GROUP6: u16 = 6;
const IPVS_DAEMON_ATTR_MCAST_PORT: u16 = 7;
const IPVS_DAEMON_ATTR_MCAST_TTL: u16 = 8;

/// One attribute of a sync daemon.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DaemonAttribute {
    /// `IP_VS_STATE_MASTER` (1) or `IP_VS_STATE_BACKUP` (2), u32.
    State(u32),
    /// Interface name, at most 15 bytes.
    Interface(String),
    /// Sync id (u32 on the wire; the kernel uses 0-255).
    SyncId(u32),
    /// Largest sync message payload (u16).
    MaxLength(u16),
    /// IPv4 multicast group (an `in_addr`, network order).
    Group(Ipv4Addr),
    /// IPv6 multicast group.
    Group6(Ipv6Addr),
    /// UDP port. Kernel quirk: unlike every other port in IPVS, this one
    /// is in host byte order on the wire (`nla_put_u16`), as ipvsadm sends it.
    Port(u16),
    /// Multicast TTL (u8).
    Ttl(u8),
    /// An attribute this crate does not know.
    Other(DefaultNla),
}

impl Nla for DaemonAttribute {
    fn value_len(&self) -> usize {
        match self {
            Self::State(_) | Self::SyncId(_) | Self::Group(_) => 4,
            Self::Interface(s) => wire::string_len(s),
            Self::MaxLength(_) | Self::Port(_) => 2,
            Self::Group6(_) => 16,
            Self::Ttl(_) => 1,
            Self::Other(nla) => nla.value_len(),
        }
    }

    fn kind(&self) -> u16 {
        match self {
            Self::State(_) => IPVS_DAEMON_ATTR_STATE,
            Self::Interface(_) => IPVS_DAEMON_ATTR_MCAST_IFN,
            Self::SyncId(_) => IPVS_DAEMON_ATTR_SYNC_ID,
            Self::MaxLength(_) => IPVS_DAEMON_ATTR_SYNC_MAXLEN,
            Self::Group(_) => IPVS_DAEMON_ATTR_MCAST_GROUP,
            Self::Group6(_) => IPVS_DAEMON_ATTR_MCAST_GROUP6,
            Self::Port(_) => IPVS_DAEMON_ATTR_MCAST_PORT,
            Self::Ttl(_) => IPVS_DAEMON_ATTR_MCAST_TTL,
            Self::Other(nla) => nla.kind(),
        }
    }

    fn emit_value(&self, buffer: &mut [u8]) {
        match self {
            Self::State(v) | Self::SyncId(v) => {
                let _ = emit_u32(buffer, *v);
            }
            Self::Interface(s) => wire::emit_string(buffer, s),
            Self::MaxLength(v) | Self::Port(v) => {
                let _ = emit_u16(buffer, *v);
            }
            Self::Group(addr) => buffer[..4].copy_from_slice(&addr.octets()),
            Self::Group6(addr) => buffer[..16].copy_from_slice(&addr.octets()),
            Self::Ttl(ttl) => buffer[0] = *ttl,
            Self::Other(nla) => nla.emit_value(buffer),
        }
    }
}

impl wire::FromAttribute for DaemonAttribute {
    fn from_attribute(kind: u16, raw_kind: u16, value: &[u8]) -> Result<Self, DecodeError> {
        Ok(match kind {
            IPVS_DAEMON_ATTR_STATE => Self::State(wire::parse_u32(value)?),
            IPVS_DAEMON_ATTR_MCAST_IFN => Self::Interface(wire::parse_string(value)?),
            IPVS_DAEMON_ATTR_SYNC_ID => Self::SyncId(wire::parse_u32(value)?),
            IPVS_DAEMON_ATTR_SYNC_MAXLEN => Self::MaxLength(wire::parse_u16(value)?),
            IPVS_DAEMON_ATTR_MCAST_GROUP => {
                let octets: [u8; 4] = value
                    .try_into()
                    .map_err(|_| format!("IPv4 sync group of {} bytes", value.len()))?;
                Self::Group(Ipv4Addr::from(octets))
            }
            IPVS_DAEMON_ATTR_MCAST_GROUP6 => {
                let octets: [u8; 16] = value
                    .try_into()
                    .map_err(|_| format!("IPv6 sync group of {} bytes", value.len()))?;
                Self::Group6(Ipv6Addr::from(octets))
            }
            IPVS_DAEMON_ATTR_MCAST_PORT => Self::Port(wire::parse_u16(value)?),
            IPVS_DAEMON_ATTR_MCAST_TTL => Self::Ttl(wire::parse_u8(value)?),
            _ => Self::Other(wire::other(raw_kind, value)),
        })
    }
}

impl<'a, T: AsRef<[u8]> + ?Sized> Parseable<NlaBuffer<&'a T>> for DaemonAttribute {
    fn parse(buf: &NlaBuffer<&'a T>) -> Result<Self, DecodeError> {
        wire::parse_buffer(buf)
    }
}
