// SPDX-License-Identifier: MIT OR Apache-2.0
//! Destinations (real servers) of a service: what `ipvsadm -a`, `-e` and `-d`
//! work on.

pub mod attribute;
#[cfg(test)]
mod tests;

use std::fmt;
use std::net::SocketAddr;

use netlink_packet_core::DecodeError;

pub use attribute::DestinationAttribute;

use crate::net::{socket_text, AddressFamily, RawAddress};
use crate::stats::Stats;

const IP_VS_CONN_F_MASQ: u32 = 0x0000;
const IP_VS_CONN_F_LOCALNODE: u32 = 0x0001;
const IP_VS_CONN_F_TUNNEL: u32 = 0x0002;
const IP_VS_CONN_F_DROUTE: u32 = 0x0003;
const IP_VS_CONN_F_BYPASS: u32 = 0x0004;

const IP_VS_CONN_F_TUNNEL_TYPE_IPIP: u8 = 0;
const IP_VS_CONN_F_TUNNEL_TYPE_GUE: u8 = 1;
const IP_VS_CONN_F_TUNNEL_TYPE_GRE: u8 = 2;

/// How packets reach a real server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Forward {
    /// NAT (`-m`, "masq").
    Masq,
    /// The director itself (`Local`).
    Local,
    /// IP-in-IP / GUE / GRE tunnel (`-i`, "ipip").
    Tunnel,
    /// Direct routing (`-g`, "gate", the default).
    Route,
    /// Cache bypass.
    Bypass,
    /// A method number this crate does not know.
    Other(u32),
}

impl Forward {
    pub(crate) fn to_raw(self) -> u32 {
        match self {
            Self::Masq => IP_VS_CONN_F_MASQ,
            Self::Local => IP_VS_CONN_F_LOCALNODE,
            Self::Tunnel => IP_VS_CONN_F_TUNNEL,
            Self::Route => IP_VS_CONN_F_DROUTE,
            Self::Bypass => IP_VS_CONN_F_BYPASS,
            Self::Other(n) => n,
        }
    }

    pub(crate) fn from_raw(raw: u32) -> Self {
        match raw {
            IP_VS_CONN_F_MASQ => Self::Masq,
            IP_VS_CONN_F_LOCALNODE => Self::Local,
            IP_VS_CONN_F_TUNNEL => Self::Tunnel,
            IP_VS_CONN_F_DROUTE => Self::Route,
            IP_VS_CONN_F_BYPASS => Self::Bypass,
            other => Self::Other(other),
        }
    }

    /// The word `ipvsadm -L` prints: `Masq`, `Local`, `Tunnel`, `Route`, `Bypass`.
    pub fn ipvsadm_name(self) -> &'static str {
        match self {
            Self::Masq => "Masq",
            Self::Local => "Local",
            Self::Tunnel => "Tunnel",
            Self::Route => "Route",
            Self::Bypass => "Bypass",
            Self::Other(_) => "Unknown",
        }
    }
}

impl fmt::Display for Forward {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Masq => f.write_str("masq"),
            Self::Local => f.write_str("local"),
            Self::Tunnel => f.write_str("tunnel"),
            Self::Route => f.write_str("route"),
            Self::Bypass => f.write_str("bypass"),
            Self::Other(n) => write!(f, "forward-{n}"),
        }
    }
}

/// Encapsulation used by [`Forward::Tunnel`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum TunnelType {
    /// IP in IP (the default).
    #[default]
    Ipip,
    /// Generic UDP Encapsulation (needs a port).
    Gue,
    /// GRE.
    Gre,
    /// A type number this crate does not know.
    Other(u8),
}

impl TunnelType {
    fn to_raw(self) -> u8 {
        match self {
            Self::Ipip => IP_VS_CONN_F_TUNNEL_TYPE_IPIP,
            Self::Gue => IP_VS_CONN_F_TUNNEL_TYPE_GUE,
            Self::Gre => IP_VS_CONN_F_TUNNEL_TYPE_GRE,
            Self::Other(n) => n,
        }
    }

    fn from_raw(raw: u8) -> Self {
        match raw {
            IP_VS_CONN_F_TUNNEL_TYPE_IPIP => Self::Ipip,
            IP_VS_CONN_F_TUNNEL_TYPE_GUE => Self::Gue,
            IP_VS_CONN_F_TUNNEL_TYPE_GRE => Self::Gre,
            other => Self::Other(other),
        }
    }
}

/// Tunnel encapsulation flags (`IP_VS_TUNNEL_ENCAP_FLAG_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct TunnelFlags(pub u16);

impl TunnelFlags {
    /// No checksum (the default).
    pub const NOCSUM: Self = Self(0);
    /// Checksum.
    pub const CSUM: Self = Self(1 << 0);
    /// Remote checksum offload.
    pub const REMCSUM: Self = Self(1 << 1);
}

/// Tunnel settings of a destination; only used with [`Forward::Tunnel`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Tunnel {
    /// Encapsulation.
    pub kind: TunnelType,
    /// UDP port for GUE (0 otherwise).
    pub port: u16,
    /// Encapsulation flags.
    pub flags: TunnelFlags,
}

/// A destination as written to the kernel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Destination {
    /// Real server address and port. Its family may differ from the
    /// service's only with tunnel forwarding.
    pub address: SocketAddr,
    /// Forwarding method.
    pub forward: Forward,
    /// Weight: 0 takes the server out of new scheduling (quiescent).
    pub weight: u32,
    /// Upper connection threshold (0: none).
    pub upper_threshold: u32,
    /// Lower connection threshold (0: none).
    pub lower_threshold: u32,
    /// Tunnel settings, sent only with [`Forward::Tunnel`].
    pub tunnel: Tunnel,
}

impl Destination {
    /// A destination with the given forwarding and weight, no thresholds.
    pub fn new(address: SocketAddr, forward: Forward, weight: u32) -> Self {
        Self {
            address,
            forward,
            weight,
            upper_threshold: 0,
            lower_threshold: 0,
            tunnel: Tunnel::default(),
        }
    }

    /// The attributes that identify the destination within its service.
    pub fn key_attributes(address: &SocketAddr) -> Vec<DestinationAttribute> {
        vec![
            DestinationAttribute::Address(RawAddress::from_ip(&address.ip())),
            DestinationAttribute::Port(address.port()),
            DestinationAttribute::Family(AddressFamily::of(&address.ip()).to_raw()),
        ]
    }

    /// Every attribute the kernel needs to add or edit the destination.
    pub fn to_attributes(&self) -> Vec<DestinationAttribute> {
        let mut attributes = Self::key_attributes(&self.address);
        attributes.extend([
            DestinationAttribute::ForwardMethod(self.forward.to_raw()),
            DestinationAttribute::Weight(self.weight),
            DestinationAttribute::UpperThreshold(self.upper_threshold),
            DestinationAttribute::LowerThreshold(self.lower_threshold),
        ]);
        if self.forward == Forward::Tunnel {
            attributes.extend([
                DestinationAttribute::TunnelType(self.tunnel.kind.to_raw()),
                DestinationAttribute::TunnelPort(self.tunnel.port),
                DestinationAttribute::TunnelFlags(self.tunnel.flags.0),
            ]);
        }
        attributes
    }
}

impl fmt::Display for Destination {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ({}, weight {})",
            socket_text(&self.address.ip(), self.address.port()),
            self.forward,
            self.weight
        )
    }
}

/// A destination as read from the kernel, with its connection counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DestinationEntry {
    /// The destination's settings.
    pub destination: Destination,
    /// Established connections.
    pub active_connections: u32,
    /// Other connections (e.g. in FIN or SYN state).
    pub inactive_connections: u32,
    /// Persistence templates pointing at it.
    pub persistent_connections: u32,
    /// Its counters (64-bit ones when the kernel sends them).
    pub stats: Stats,
}

impl DestinationEntry {
    /// Decodes a destination. `service_family` is used when the kernel does
    /// not say the destination's own family (kernels before 4.0 don't).
    pub fn from_attributes(
        attributes: &[DestinationAttribute],
        service_family: AddressFamily,
    ) -> Result<Self, DecodeError> {
        let (mut address, mut port, mut family) = (None, None, None);
        let mut forward = Forward::Masq;
        let (mut weight, mut upper, mut lower) = (0, 0, 0);
        let (mut active, mut inactive, mut persistent) = (0, 0, 0);
        let mut tunnel = Tunnel::default();
        let (mut stats, mut stats64) = (None, None);
        for attribute in attributes {
            match attribute {
                DestinationAttribute::Address(a) => address = Some(*a),
                DestinationAttribute::Port(p) => port = Some(*p),
                DestinationAttribute::Family(af) => family = Some(AddressFamily::from_raw(*af)?),
                DestinationAttribute::ForwardMethod(m) => forward = Forward::from_raw(*m),
                DestinationAttribute::Weight(w) => weight = *w,
                DestinationAttribute::UpperThreshold(t) => upper = *t,
                DestinationAttribute::LowerThreshold(t) => lower = *t,
                DestinationAttribute::ActiveConnections(n) => active = *n,
                DestinationAttribute::InactiveConnections(n) => inactive = *n,
                DestinationAttribute::PersistentConnections(n) => persistent = *n,
                DestinationAttribute::TunnelType(t) => tunnel.kind = TunnelType::from_raw(*t),
                DestinationAttribute::TunnelPort(p) => tunnel.port = *p,
                DestinationAttribute::TunnelFlags(f) => tunnel.flags = TunnelFlags(*f),
                DestinationAttribute::Stats(s) => stats = Some(Stats::from_attributes(s)),
                DestinationAttribute::Stats64(s) => stats64 = Some(Stats::from_attributes(s)),
                _ => {}
            }
        }
        let address = address.ok_or("destination without address")?;
        let port = port.ok_or("destination without port")?;
        let family = family.unwrap_or(service_family);
        Ok(Self {
            destination: Destination {
                address: SocketAddr::new(address.to_ip(family), port),
                forward,
                weight,
                upper_threshold: upper,
                lower_threshold: lower,
                tunnel,
            },
            active_connections: active,
            inactive_connections: inactive,
            persistent_connections: persistent,
            stats: stats64.or(stats).unwrap_or_default(),
        })
    }
}
