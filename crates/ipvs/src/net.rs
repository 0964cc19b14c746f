// SPDX-License-Identifier: MIT OR Apache-2.0
//! Address families, transport protocols and the kernel's address encoding.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use netlink_packet_core::DecodeError;

const AF_INET: u16 = libc::AF_INET as u16;
const AF_INET6: u16 = libc::AF_INET6 as u16;
const IPPROTO_TCP: u16 = libc::IPPROTO_TCP as u16;
const IPPROTO_UDP: u16 = libc::IPPROTO_UDP as u16;
const IPPROTO_SCTP: u16 = libc::IPPROTO_SCTP as u16;

/// Size of the kernel's `union nf_inet_addr`: every address attribute is
/// this long on the wire, an IPv4 address sitting in the first four bytes.
pub(crate) const INET_ADDR_LEN: usize = 16;

/// The address family of a service or destination.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AddressFamily {
    /// IPv4 (`AF_INET`).
    Inet,
    /// IPv6 (`AF_INET6`).
    Inet6,
}

impl AddressFamily {
    /// The family of an address.
    pub fn of(addr: &IpAddr) -> Self {
        match addr {
            IpAddr::V4(_) => Self::Inet,
            IpAddr::V6(_) => Self::Inet6,
        }
    }

    pub(crate) fn to_raw(self) -> u16 {
        match self {
            Self::Inet => AF_INET,
            Self::Inet6 => AF_INET6,
        }
    }

    pub(crate) fn from_raw(raw: u16) -> Result<Self, DecodeError> {
        match raw {
            AF_INET => Ok(Self::Inet),
            AF_INET6 => Ok(Self::Inet6),
            other => Err(format!("unknown address family {other}").into()),
        }
    }
}

impl fmt::Display for AddressFamily {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Inet => "ipv4",
            Self::Inet6 => "ipv6",
        })
    }
}

/// The transport protocol of an address-based virtual service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Protocol {
    /// TCP.
    Tcp,
    /// UDP.
    Udp,
    /// SCTP.
    Sctp,
    /// Any other IP protocol number the kernel reports.
    Other(u16),
}

impl Protocol {
    pub(crate) fn to_raw(self) -> u16 {
        match self {
            Self::Tcp => IPPROTO_TCP,
            Self::Udp => IPPROTO_UDP,
            Self::Sctp => IPPROTO_SCTP,
            Self::Other(n) => n,
        }
    }

    pub(crate) fn from_raw(raw: u16) -> Self {
        match raw {
            IPPROTO_TCP => Self::Tcp,
            IPPROTO_UDP => Self::Udp,
            IPPROTO_SCTP => Self::Sctp,
            other => Self::Other(other),
        }
    }
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Tcp => f.write_str("tcp"),
            Self::Udp => f.write_str("udp"),
            Self::Sctp => f.write_str("sctp"),
            Self::Other(n) => write!(f, "proto-{n}"),
        }
    }
}

/// The raw bytes of an address attribute whose family is not known yet.
///
/// Kernel quirk: the address attribute does not say its own family; the
/// family travels in a separate attribute (and old kernels omit it for
/// destinations), so decoding waits until the whole attribute set is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawAddress(pub [u8; INET_ADDR_LEN]);

impl RawAddress {
    /// Encodes an address the way the kernel stores it.
    pub fn from_ip(ip: &IpAddr) -> Self {
        let mut raw = [0u8; INET_ADDR_LEN];
        match ip {
            IpAddr::V4(v4) => raw[..4].copy_from_slice(&v4.octets()),
            IpAddr::V6(v6) => raw.copy_from_slice(&v6.octets()),
        }
        Self(raw)
    }

    /// Reads an attribute value: 16 bytes, or 4 for a bare IPv4 address.
    pub(crate) fn parse(value: &[u8]) -> Result<Self, DecodeError> {
        let mut raw = [0u8; INET_ADDR_LEN];
        match value.len() {
            4 | INET_ADDR_LEN => raw[..value.len()].copy_from_slice(value),
            n => return Err(format!("address attribute of {n} bytes").into()),
        }
        Ok(Self(raw))
    }

    /// The address, read in the given family.
    pub fn to_ip(&self, family: AddressFamily) -> IpAddr {
        match family {
            AddressFamily::Inet => {
                IpAddr::V4(Ipv4Addr::new(self.0[0], self.0[1], self.0[2], self.0[3]))
            }
            AddressFamily::Inet6 => IpAddr::V6(Ipv6Addr::from(self.0)),
        }
    }
}

/// Formats an address and port as `ipvsadm` does: `a.b.c.d:p` or `[v6]:p`.
pub fn socket_text(ip: &IpAddr, port: u16) -> String {
    match ip {
        IpAddr::V4(v4) => format!("{v4}:{port}"),
        IpAddr::V6(v6) => format!("[{v6}]:{port}"),
    }
}
