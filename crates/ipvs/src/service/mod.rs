// SPDX-License-Identifier: MIT OR Apache-2.0
//! Virtual services: what `ipvsadm -A`, `-E`, `-D` and `-L` work on.

pub mod attribute;
#[cfg(test)]
mod tests;

use std::fmt;
use std::net::{Ipv4Addr, SocketAddr};
use std::ops::{BitOr, BitOrAssign};

use netlink_packet_core::DecodeError;

pub use attribute::ServiceAttribute;

use crate::net::{socket_text, AddressFamily, Protocol, RawAddress};
use crate::stats::Stats;

/// What identifies a virtual service: either a protocol, address and port,
/// or a firewall mark in an address family. Never both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ServiceKey {
    /// `-t`, `-u` or `--sctp-service` in ipvsadm.
    Address {
        /// Transport protocol.
        protocol: Protocol,
        /// Virtual address and port.
        address: SocketAddr,
    },
    /// `-f` in ipvsadm.
    Fwmark {
        /// Family of the packets the mark selects.
        family: AddressFamily,
        /// The mark.
        mark: u32,
    },
}

impl ServiceKey {
    /// A TCP service.
    pub fn tcp(address: SocketAddr) -> Self {
        Self::Address {
            protocol: Protocol::Tcp,
            address,
        }
    }

    /// A UDP service.
    pub fn udp(address: SocketAddr) -> Self {
        Self::Address {
            protocol: Protocol::Udp,
            address,
        }
    }

    /// An IPv4 firewall-mark service.
    pub fn fwmark(mark: u32) -> Self {
        Self::Fwmark {
            family: AddressFamily::Inet,
            mark,
        }
    }

    /// The address family of the service.
    pub fn family(&self) -> AddressFamily {
        match self {
            Self::Address { address, .. } => AddressFamily::of(&address.ip()),
            Self::Fwmark { family, .. } => *family,
        }
    }

    /// The attributes that identify the service (a request's key).
    pub fn to_attributes(&self) -> Vec<ServiceAttribute> {
        let family = ServiceAttribute::Family(self.family().to_raw());
        match self {
            Self::Address { protocol, address } => vec![
                family,
                ServiceAttribute::Protocol(protocol.to_raw()),
                ServiceAttribute::Address(RawAddress::from_ip(&address.ip())),
                ServiceAttribute::Port(address.port()),
            ],
            Self::Fwmark { mark, .. } => vec![family, ServiceAttribute::Fwmark(*mark)],
        }
    }
}

impl fmt::Display for ServiceKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Address { protocol, address } => {
                write!(
                    f,
                    "{protocol} {}",
                    socket_text(&address.ip(), address.port())
                )
            }
            Self::Fwmark {
                family: AddressFamily::Inet,
                mark,
            } => write!(f, "fwmark {mark}"),
            Self::Fwmark {
                family: AddressFamily::Inet6,
                mark,
            } => write!(f, "fwmark {mark} ipv6"),
        }
    }
}

/// Service flags (`IP_VS_SVC_F_*`). The kernel's internal `HASHED` flag is
/// never exposed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct ServiceFlags(u32);

impl ServiceFlags {
    /// Persistent service (`-p`).
    pub const PERSISTENT: Self = Self(0x0001);
    /// One-packet scheduling (`-o`, UDP).
    pub const ONE_PACKET: Self = Self(0x0004);
    /// Scheduler flag 1 (`sh-fallback`, `mh-fallback`).
    pub const SCHED1: Self = Self(0x0008);
    /// Scheduler flag 2 (`sh-port`, `mh-port`).
    pub const SCHED2: Self = Self(0x0010);
    /// Scheduler flag 3.
    pub const SCHED3: Self = Self(0x0020);
    /// Kernel-internal: the service is in the hash table.
    const HASHED: u32 = 0x0002;

    /// No flags.
    pub const fn empty() -> Self {
        Self(0)
    }

    /// Flags from the kernel's bits, dropping `HASHED`.
    pub const fn from_bits(bits: u32) -> Self {
        Self(bits & !Self::HASHED)
    }

    /// The raw bits.
    pub const fn bits(self) -> u32 {
        self.0
    }

    /// Whether every flag of `other` is set.
    pub const fn contains(self, other: Self) -> bool {
        self.0 & other.0 == other.0
    }
}

impl BitOr for ServiceFlags {
    type Output = Self;
    fn bitor(self, rhs: Self) -> Self {
        Self(self.0 | rhs.0)
    }
}

impl BitOrAssign for ServiceFlags {
    fn bitor_assign(&mut self, rhs: Self) {
        self.0 |= rhs.0;
    }
}

/// Persistence granularity: which client addresses share a persistent
/// entry. A mask for IPv4, a prefix length for IPv6.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Netmask {
    /// IPv4 mask, e.g. 255.255.255.0.
    V4(Ipv4Addr),
    /// IPv6 prefix length, 1 to 128.
    V6(u8),
}

impl Netmask {
    /// The kernel's default for a family: a single address.
    pub fn host(family: AddressFamily) -> Self {
        match family {
            AddressFamily::Inet => Self::V4(Ipv4Addr::BROADCAST),
            AddressFamily::Inet6 => Self::V6(128),
        }
    }

    fn to_raw(self) -> [u8; 4] {
        match self {
            Self::V4(mask) => mask.octets(),
            Self::V6(prefix) => u32::from(prefix).to_ne_bytes(),
        }
    }

    fn from_raw(raw: [u8; 4], family: AddressFamily) -> Result<Self, DecodeError> {
        match family {
            AddressFamily::Inet => Ok(Self::V4(Ipv4Addr::from(raw))),
            AddressFamily::Inet6 => {
                let prefix = u32::from_ne_bytes(raw);
                u8::try_from(prefix)
                    .map(Self::V6)
                    .map_err(|_| format!("IPv6 netmask prefix {prefix}").into())
            }
        }
    }
}

impl fmt::Display for Netmask {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::V4(mask) => write!(f, "{mask}"),
            Self::V6(prefix) => write!(f, "{prefix}"),
        }
    }
}

/// A virtual service as written to the kernel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Service {
    /// What identifies it.
    pub key: ServiceKey,
    /// Scheduler name: `wlc`, `rr`, `sh`, `mh`, … (the kernel loads
    /// `ip_vs_<name>`).
    pub scheduler: String,
    /// Flags.
    pub flags: ServiceFlags,
    /// Persistence timeout in seconds (used with [`ServiceFlags::PERSISTENT`]).
    pub timeout: u32,
    /// Persistence netmask.
    pub netmask: Netmask,
    /// Persistence engine, e.g. `sip`.
    pub persistence_engine: Option<String>,
}

impl Service {
    /// A service with the given scheduler and the kernel's defaults.
    pub fn new(key: ServiceKey, scheduler: impl Into<String>) -> Self {
        Self {
            key,
            scheduler: scheduler.into(),
            flags: ServiceFlags::empty(),
            timeout: 0,
            netmask: Netmask::host(key.family()),
            persistence_engine: None,
        }
    }

    /// Makes the service persistent for `timeout` seconds.
    pub fn persistent(mut self, timeout: u32) -> Self {
        self.flags |= ServiceFlags::PERSISTENT;
        self.timeout = timeout;
        self
    }

    /// Every attribute the kernel needs to add or edit the service.
    pub fn to_attributes(&self) -> Vec<ServiceAttribute> {
        let mut attributes = self.key.to_attributes();
        attributes.push(ServiceAttribute::Scheduler(self.scheduler.clone()));
        // Mask all bits: the flags given replace the service's flags.
        attributes.push(ServiceAttribute::Flags {
            flags: self.flags.bits(),
            mask: u32::MAX,
        });
        attributes.push(ServiceAttribute::Timeout(self.timeout));
        attributes.push(ServiceAttribute::Netmask(self.netmask.to_raw()));
        if let Some(pe) = &self.persistence_engine {
            attributes.push(ServiceAttribute::PersistenceEngine(pe.clone()));
        }
        attributes
    }
}

impl fmt::Display for Service {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (scheduler {}", self.key, self.scheduler)?;
        if self.flags.contains(ServiceFlags::PERSISTENT) {
            write!(f, ", persistent {}", self.timeout)?;
        }
        f.write_str(")")
    }
}

/// A service as read from the kernel, with its counters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceEntry {
    /// The service's settings.
    pub service: Service,
    /// Its counters (64-bit ones when the kernel sends them).
    pub stats: Stats,
}

impl ServiceEntry {
    /// Decodes a service from the kernel's attributes.
    pub fn from_attributes(attributes: &[ServiceAttribute]) -> Result<Self, DecodeError> {
        let mut family = None;
        let (mut protocol, mut address, mut port, mut fwmark) = (None, None, None, None);
        let mut scheduler = String::new();
        let mut flags = ServiceFlags::empty();
        let mut timeout = 0;
        let mut netmask_raw = None;
        let mut persistence_engine = None;
        let (mut stats, mut stats64) = (None, None);
        for attribute in attributes {
            match attribute {
                ServiceAttribute::Family(af) => family = Some(AddressFamily::from_raw(*af)?),
                ServiceAttribute::Protocol(p) => protocol = Some(Protocol::from_raw(*p)),
                ServiceAttribute::Address(a) => address = Some(*a),
                ServiceAttribute::Port(p) => port = Some(*p),
                ServiceAttribute::Fwmark(m) => fwmark = Some(*m),
                ServiceAttribute::Scheduler(s) => scheduler.clone_from(s),
                ServiceAttribute::Flags { flags: bits, .. } => {
                    flags = ServiceFlags::from_bits(*bits)
                }
                ServiceAttribute::Timeout(t) => timeout = *t,
                ServiceAttribute::Netmask(raw) => netmask_raw = Some(*raw),
                ServiceAttribute::PersistenceEngine(pe) if !pe.is_empty() => {
                    persistence_engine = Some(pe.clone())
                }
                ServiceAttribute::Stats(s) => stats = Some(Stats::from_attributes(s)),
                ServiceAttribute::Stats64(s) => stats64 = Some(Stats::from_attributes(s)),
                _ => {}
            }
        }
        let family = family.ok_or("service without address family")?;
        let key = match (fwmark, protocol, address, port) {
            // Kernel quirk: a fwmark service reports no protocol/address/port.
            (Some(mark), ..) if mark != 0 => ServiceKey::Fwmark { family, mark },
            (_, Some(protocol), Some(address), Some(port)) => ServiceKey::Address {
                protocol,
                address: SocketAddr::new(address.to_ip(family), port),
            },
            _ => return Err("service with neither fwmark nor protocol/address/port".into()),
        };
        let netmask = match netmask_raw {
            Some(raw) => Netmask::from_raw(raw, family)?,
            None => Netmask::host(family),
        };
        Ok(Self {
            service: Service {
                key,
                scheduler,
                flags,
                timeout,
                netmask,
                persistence_engine,
            },
            stats: stats64.or(stats).unwrap_or_default(),
        })
    }
}
