// SPDX-License-Identifier: MIT OR Apache-2.0
//! `IPVS_STATS_ATTR_*`: the attributes inside `IPVS_SVC_ATTR_STATS{,64}` and
//! `IPVS_DEST_ATTR_STATS{,64}`.

use netlink_packet_core::{
    emit_u32, emit_u64, parse_u32, parse_u64, DecodeError, DefaultNla, Nla, NlaBuffer, Parseable,
};

use crate::wire;

const IPVS_STATS_ATTR_CONNS: u16 = 1;
const IPVS_STATS_ATTR_INPKTS: u16 = 2;
const IPVS_STATS_ATTR_OUTPKTS: u16 = 3;
const IPVS_STATS_ATTR_INBYTES: u16 = 4;
const IPVS_STATS_ATTR_OUTBYTES: u16 = 5;
const IPVS_STATS_ATTR_CPS: u16 = 6;
const IPVS_STATS_ATTR_INPPS: u16 = 7;
const IPVS_STATS_ATTR_OUTPPS: u16 = 8;
const IPVS_STATS_ATTR_INBPS: u16 = 9;
const IPVS_STATS_ATTR_OUTBPS: u16 = 10;
const IPVS_STATS_ATTR_PAD: u16 = 11;

/// Which counter a statistics attribute carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Counter {
    /// Connections scheduled.
    Connections,
    /// Incoming packets.
    PacketsIn,
    /// Outgoing packets.
    PacketsOut,
    /// Incoming bytes.
    BytesIn,
    /// Outgoing bytes.
    BytesOut,
    /// Current connection rate.
    ConnectionRate,
    /// Current incoming packet rate.
    PacketRateIn,
    /// Current outgoing packet rate.
    PacketRateOut,
    /// Current incoming byte rate.
    ByteRateIn,
    /// Current outgoing byte rate.
    ByteRateOut,
}

impl Counter {
    fn kind(self) -> u16 {
        match self {
            Self::Connections => IPVS_STATS_ATTR_CONNS,
            Self::PacketsIn => IPVS_STATS_ATTR_INPKTS,
            Self::PacketsOut => IPVS_STATS_ATTR_OUTPKTS,
            Self::BytesIn => IPVS_STATS_ATTR_INBYTES,
            Self::BytesOut => IPVS_STATS_ATTR_OUTBYTES,
            Self::ConnectionRate => IPVS_STATS_ATTR_CPS,
            Self::PacketRateIn => IPVS_STATS_ATTR_INPPS,
            Self::PacketRateOut => IPVS_STATS_ATTR_OUTPPS,
            Self::ByteRateIn => IPVS_STATS_ATTR_INBPS,
            Self::ByteRateOut => IPVS_STATS_ATTR_OUTBPS,
        }
    }

    fn from_kind(kind: u16) -> Option<Self> {
        Some(match kind {
            IPVS_STATS_ATTR_CONNS => Self::Connections,
            IPVS_STATS_ATTR_INPKTS => Self::PacketsIn,
            IPVS_STATS_ATTR_OUTPKTS => Self::PacketsOut,
            IPVS_STATS_ATTR_INBYTES => Self::BytesIn,
            IPVS_STATS_ATTR_OUTBYTES => Self::BytesOut,
            IPVS_STATS_ATTR_CPS => Self::ConnectionRate,
            IPVS_STATS_ATTR_INPPS => Self::PacketRateIn,
            IPVS_STATS_ATTR_OUTPPS => Self::PacketRateOut,
            IPVS_STATS_ATTR_INBPS => Self::ByteRateIn,
            IPVS_STATS_ATTR_OUTBPS => Self::ByteRateOut,
            _ => return None,
        })
    }
}

/// One statistics attribute.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum StatsAttribute {
    /// A counter. `wide` says whether it was 64 bits on the wire: the old
    /// `STATS` set mixes 32-bit and 64-bit values, `STATS64` has only 64-bit.
    Value {
        /// The counter.
        counter: Counter,
        /// Its value.
        value: u64,
        /// 64 bits on the wire.
        wide: bool,
    },
    /// Alignment padding (`IPVS_STATS_ATTR_PAD`).
    Pad(Vec<u8>),
    /// An attribute this crate does not know.
    Other(DefaultNla),
}

impl Nla for StatsAttribute {
    fn value_len(&self) -> usize {
        match self {
            Self::Value { wide: true, .. } => 8,
            Self::Value { wide: false, .. } => 4,
            Self::Pad(bytes) => bytes.len(),
            Self::Other(nla) => nla.value_len(),
        }
    }

    fn kind(&self) -> u16 {
        match self {
            Self::Value { counter, .. } => counter.kind(),
            Self::Pad(_) => IPVS_STATS_ATTR_PAD,
            Self::Other(nla) => nla.kind(),
        }
    }

    fn emit_value(&self, buffer: &mut [u8]) {
        match self {
            Self::Value {
                value, wide: true, ..
            } => {
                let _ = emit_u64(buffer, *value);
            }
            Self::Value {
                value, wide: false, ..
            } => {
                let _ = emit_u32(buffer, *value as u32);
            }
            Self::Pad(bytes) => buffer.copy_from_slice(bytes),
            Self::Other(nla) => nla.emit_value(buffer),
        }
    }
}

impl wire::FromAttribute for StatsAttribute {
    fn from_attribute(kind: u16, raw_kind: u16, value: &[u8]) -> Result<Self, DecodeError> {
        if kind == IPVS_STATS_ATTR_PAD {
            return Ok(Self::Pad(value.to_vec()));
        }
        let Some(counter) = Counter::from_kind(kind) else {
            return Ok(Self::Other(wire::other(raw_kind, value)));
        };
        match value.len() {
            8 => Ok(Self::Value {
                counter,
                value: parse_u64(value)?,
                wide: true,
            }),
            4 => Ok(Self::Value {
                counter,
                value: u64::from(parse_u32(value)?),
                wide: false,
            }),
            n => Err(format!("statistics attribute {kind} of {n} bytes").into()),
        }
    }
}

impl<'a, T: AsRef<[u8]> + ?Sized> Parseable<NlaBuffer<&'a T>> for StatsAttribute {
    fn parse(buf: &NlaBuffer<&'a T>) -> Result<Self, DecodeError> {
        wire::parse_buffer(buf)
    }
}
