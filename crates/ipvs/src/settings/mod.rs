// SPDX-License-Identifier: MIT OR Apache-2.0
//! Protocol timeouts (`ipvsadm --set`, `-L --timeout`) and general
//! information (the `IP Virtual Server version … (size=…)` line).

use std::fmt;

use crate::message::IpvsAttribute;

/// Connection timeouts in seconds. On write, 0 leaves a value unchanged.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Timeouts {
    /// Established TCP connections.
    pub tcp: u32,
    /// TCP connections after a FIN.
    pub tcp_fin: u32,
    /// UDP.
    pub udp: u32,
}

impl Timeouts {
    pub(crate) fn to_attributes(self) -> Vec<IpvsAttribute> {
        vec![
            IpvsAttribute::TimeoutTcp(self.tcp),
            IpvsAttribute::TimeoutTcpFin(self.tcp_fin),
            IpvsAttribute::TimeoutUdp(self.udp),
        ]
    }

    pub(crate) fn from_attributes(attributes: &[IpvsAttribute]) -> Self {
        let mut timeouts = Self::default();
        for attribute in attributes {
            match attribute {
                IpvsAttribute::TimeoutTcp(t) => timeouts.tcp = *t,
                IpvsAttribute::TimeoutTcpFin(t) => timeouts.tcp_fin = *t,
                IpvsAttribute::TimeoutUdp(t) => timeouts.udp = *t,
                _ => {}
            }
        }
        timeouts
    }
}

/// The kernel's IPVS version and connection table size.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Info {
    /// Version code, `0x010201` for 1.2.1.
    pub version: u32,
    /// Buckets in the connection hash table.
    pub connection_table_size: u32,
}

impl Info {
    pub(crate) fn from_attributes(attributes: &[IpvsAttribute]) -> Self {
        let mut info = Self::default();
        for attribute in attributes {
            match attribute {
                IpvsAttribute::InfoVersion(v) => info.version = *v,
                IpvsAttribute::InfoConnectionTableSize(s) => info.connection_table_size = *s,
                _ => {}
            }
        }
        info
    }

    /// The version as `major.minor.patch`.
    pub fn version_text(&self) -> String {
        format!(
            "{}.{}.{}",
            (self.version >> 16) & 0xff,
            (self.version >> 8) & 0xff,
            self.version & 0xff
        )
    }
}

impl fmt::Display for Info {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "IP Virtual Server version {} (size={})",
            self.version_text(),
            self.connection_table_size
        )
    }
}

#[cfg(test)]
mod tests;
