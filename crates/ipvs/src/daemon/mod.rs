// SPDX-License-Identifier: MIT OR Apache-2.0
//! Connection-sync daemons: what `ipvsadm --start-daemon`, `--stop-daemon`
//! and `-L --daemon` work on.

pub mod attribute;
#[cfg(test)]
mod tests;

use std::fmt;
use std::net::IpAddr;

use netlink_packet_core::DecodeError;

pub use attribute::DaemonAttribute;

const IP_VS_STATE_MASTER: u32 = 0x0001;
const IP_VS_STATE_BACKUP: u32 = 0x0002;

/// The role of a sync daemon. A director may run one of each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SyncState {
    /// Sends the connection table to backups.
    Master,
    /// Receives it.
    Backup,
}

impl SyncState {
    pub(crate) fn to_raw(self) -> u32 {
        match self {
            Self::Master => IP_VS_STATE_MASTER,
            Self::Backup => IP_VS_STATE_BACKUP,
        }
    }

    fn from_raw(raw: u32) -> Result<Self, DecodeError> {
        match raw {
            IP_VS_STATE_MASTER => Ok(Self::Master),
            IP_VS_STATE_BACKUP => Ok(Self::Backup),
            other => Err(format!("unknown sync daemon state {other}").into()),
        }
    }
}

impl fmt::Display for SyncState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Master => "master",
            Self::Backup => "backup",
        })
    }
}

/// A sync daemon's settings. The optional ones take the kernel's defaults
/// when `None` (the kernel reports its values when read back).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SyncDaemon {
    /// Master or backup.
    pub state: SyncState,
    /// Interface that sends or receives the sync messages.
    pub interface: String,
    /// Sync id: a backup only accepts messages with its id (0: any).
    pub sync_id: u8,
    /// Largest sync message payload.
    pub max_length: Option<u16>,
    /// Multicast group (default 224.0.0.81).
    pub group: Option<IpAddr>,
    /// UDP port (default 8848).
    pub port: Option<u16>,
    /// Multicast TTL (default 1).
    pub ttl: Option<u8>,
}

impl SyncDaemon {
    /// A daemon with the kernel's defaults for everything optional.
    pub fn new(state: SyncState, interface: impl Into<String>, sync_id: u8) -> Self {
        Self {
            state,
            interface: interface.into(),
            sync_id,
            max_length: None,
            group: None,
            port: None,
            ttl: None,
        }
    }

    /// The attributes that start this daemon.
    pub fn to_attributes(&self) -> Vec<DaemonAttribute> {
        let mut attributes = vec![
            DaemonAttribute::State(self.state.to_raw()),
            DaemonAttribute::Interface(self.interface.clone()),
            DaemonAttribute::SyncId(u32::from(self.sync_id)),
        ];
        if let Some(len) = self.max_length {
            attributes.push(DaemonAttribute::MaxLength(len));
        }
        match self.group {
            Some(IpAddr::V4(group)) => attributes.push(DaemonAttribute::Group(group)),
            Some(IpAddr::V6(group)) => attributes.push(DaemonAttribute::Group6(group)),
            None => {}
        }
        if let Some(port) = self.port {
            attributes.push(DaemonAttribute::Port(port));
        }
        if let Some(ttl) = self.ttl {
            attributes.push(DaemonAttribute::Ttl(ttl));
        }
        attributes
    }

    /// Decodes a daemon from the kernel's attributes.
    pub fn from_attributes(attributes: &[DaemonAttribute]) -> Result<Self, DecodeError> {
        let (mut state, mut interface, mut sync_id) = (None, None, 0u8);
        let (mut max_length, mut group, mut port, mut ttl) = (None, None, None, None);
        for attribute in attributes {
            match attribute {
                DaemonAttribute::State(s) => state = Some(SyncState::from_raw(*s)?),
                DaemonAttribute::Interface(i) => interface = Some(i.clone()),
                DaemonAttribute::SyncId(id) => {
                    sync_id = u8::try_from(*id).map_err(|_| format!("sync id {id}"))?
                }
                DaemonAttribute::MaxLength(l) => max_length = Some(*l),
                DaemonAttribute::Group(g) => group = Some(IpAddr::V4(*g)),
                DaemonAttribute::Group6(g) => group = Some(IpAddr::V6(*g)),
                DaemonAttribute::Port(p) => port = Some(*p),
                DaemonAttribute::Ttl(t) => ttl = Some(*t),
                _ => {}
            }
        }
        Ok(Self {
            state: state.ok_or("sync daemon without state")?,
            interface: interface.ok_or("sync daemon without interface")?,
            sync_id,
            max_length,
            group,
            port,
            ttl,
        })
    }
}

impl SyncDaemon {
    /// The settings as `ipvsadm -L --daemon` words them, without the state:
    /// `mcast=eth0, syncid=1, maxlen=1472, group=224.0.0.81, port=8848,
    /// ttl=1` (the optional ones only when set).
    pub fn settings(&self) -> String {
        let mut text = format!("mcast={}, syncid={}", self.interface, self.sync_id);
        if let Some(v) = self.max_length {
            text.push_str(&format!(", maxlen={v}"));
        }
        if let Some(v) = self.group {
            text.push_str(&format!(", group={v}"));
        }
        if let Some(v) = self.port {
            text.push_str(&format!(", port={v}"));
        }
        if let Some(v) = self.ttl {
            text.push_str(&format!(", ttl={v}"));
        }
        text
    }
}

impl fmt::Display for SyncDaemon {
    /// `master sync daemon (mcast=eth0, syncid=1, …)`, as `ipvsadm -L
    /// --daemon` prints a running one.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} sync daemon ({})", self.state, self.settings())
    }
}
