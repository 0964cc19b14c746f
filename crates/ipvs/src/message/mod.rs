// SPDX-License-Identifier: MIT OR Apache-2.0
//! The IPVS generic-netlink message: a command and its top-level attributes.

use netlink_packet_core::{
    emit_u32, DecodeError, DefaultNla, Emitable, Nla, ParseableParametrized, NLA_F_NESTED,
    NLA_TYPE_MASK,
};
use netlink_packet_generic::{GenlFamily, GenlHeader};

use crate::daemon::DaemonAttribute;
use crate::destination::DestinationAttribute;
use crate::service::ServiceAttribute;
use crate::wire;

/// The family name the generic-netlink controller knows IPVS by.
pub const IPVS_GENL_NAME: &str = "IPVS";
/// The family's version.
pub const IPVS_GENL_VERSION: u8 = 0x1;

const IPVS_CMD_NEW_SERVICE: u8 = 1;
const IPVS_CMD_SET_SERVICE: u8 = 2;
const IPVS_CMD_DEL_SERVICE: u8 = 3;
const IPVS_CMD_GET_SERVICE: u8 = 4;
const IPVS_CMD_NEW_DEST: u8 = 5;
const IPVS_CMD_SET_DEST: u8 = 6;
const IPVS_CMD_DEL_DEST: u8 = 7;
const IPVS_CMD_GET_DEST: u8 = 8;
const IPVS_CMD_NEW_DAEMON: u8 = 9;
const IPVS_CMD_DEL_DAEMON: u8 = 10;
const IPVS_CMD_GET_DAEMON: u8 = 11;
const IPVS_CMD_SET_CONFIG: u8 = 12;
const IPVS_CMD_GET_CONFIG: u8 = 13;
const IPVS_CMD_SET_INFO: u8 = 14;
const IPVS_CMD_GET_INFO: u8 = 15;
const IPVS_CMD_ZERO: u8 = 16;
const IPVS_CMD_FLUSH: u8 = 17;

const IPVS_CMD_ATTR_SERVICE: u16 = 1;
const IPVS_CMD_ATTR_DEST: u16 = 2;
const IPVS_CMD_ATTR_DAEMON: u16 = 3;
const IPVS_CMD_ATTR_TIMEOUT_TCP: u16 = 4;
const IPVS_CMD_ATTR_TIMEOUT_TCP_FIN: u16 = 5;
const IPVS_CMD_ATTR_TIMEOUT_UDP: u16 = 6;

const IPVS_INFO_ATTR_VERSION: u16 = 1;
const IPVS_INFO_ATTR_CONN_TAB_SIZE: u16 = 2;

/// An IPVS command (`IPVS_CMD_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum IpvsCommand {
    /// Add a service.
    NewService,
    /// Edit a service.
    SetService,
    /// Delete a service.
    DelService,
    /// Get one service, or dump all.
    GetService,
    /// Add a destination.
    NewDest,
    /// Edit a destination.
    SetDest,
    /// Delete a destination.
    DelDest,
    /// Dump the destinations of a service.
    GetDest,
    /// Start a sync daemon.
    NewDaemon,
    /// Stop a sync daemon.
    DelDaemon,
    /// Dump the sync daemons.
    GetDaemon,
    /// Set timeouts.
    SetConfig,
    /// Get timeouts.
    GetConfig,
    /// The command of the reply to `GetInfo`.
    SetInfo,
    /// Get the version and connection table size.
    GetInfo,
    /// Zero the counters.
    Zero,
    /// Delete every service.
    Flush,
    /// A command number this crate does not know.
    Other(u8),
}

impl From<IpvsCommand> for u8 {
    fn from(cmd: IpvsCommand) -> u8 {
        use IpvsCommand::*;
        match cmd {
            NewService => IPVS_CMD_NEW_SERVICE,
            SetService => IPVS_CMD_SET_SERVICE,
            DelService => IPVS_CMD_DEL_SERVICE,
            GetService => IPVS_CMD_GET_SERVICE,
            NewDest => IPVS_CMD_NEW_DEST,
            SetDest => IPVS_CMD_SET_DEST,
            DelDest => IPVS_CMD_DEL_DEST,
            GetDest => IPVS_CMD_GET_DEST,
            NewDaemon => IPVS_CMD_NEW_DAEMON,
            DelDaemon => IPVS_CMD_DEL_DAEMON,
            GetDaemon => IPVS_CMD_GET_DAEMON,
            SetConfig => IPVS_CMD_SET_CONFIG,
            GetConfig => IPVS_CMD_GET_CONFIG,
            SetInfo => IPVS_CMD_SET_INFO,
            GetInfo => IPVS_CMD_GET_INFO,
            Zero => IPVS_CMD_ZERO,
            Flush => IPVS_CMD_FLUSH,
            Other(n) => n,
        }
    }
}

impl From<u8> for IpvsCommand {
    fn from(raw: u8) -> Self {
        use IpvsCommand::*;
        match raw {
            IPVS_CMD_NEW_SERVICE => NewService,
            IPVS_CMD_SET_SERVICE => SetService,
            IPVS_CMD_DEL_SERVICE => DelService,
            IPVS_CMD_GET_SERVICE => GetService,
            IPVS_CMD_NEW_DEST => NewDest,
            IPVS_CMD_SET_DEST => SetDest,
            IPVS_CMD_DEL_DEST => DelDest,
            IPVS_CMD_GET_DEST => GetDest,
            IPVS_CMD_NEW_DAEMON => NewDaemon,
            IPVS_CMD_DEL_DAEMON => DelDaemon,
            IPVS_CMD_GET_DAEMON => GetDaemon,
            IPVS_CMD_SET_CONFIG => SetConfig,
            IPVS_CMD_GET_CONFIG => GetConfig,
            IPVS_CMD_SET_INFO => SetInfo,
            IPVS_CMD_GET_INFO => GetInfo,
            IPVS_CMD_ZERO => Zero,
            IPVS_CMD_FLUSH => Flush,
            other => Other(other),
        }
    }
}

/// A top-level attribute of an IPVS message.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum IpvsAttribute {
    /// `IPVS_CMD_ATTR_SERVICE` (nested).
    Service(Vec<ServiceAttribute>),
    /// `IPVS_CMD_ATTR_DEST` (nested).
    Destination(Vec<DestinationAttribute>),
    /// `IPVS_CMD_ATTR_DAEMON` (nested).
    Daemon(Vec<DaemonAttribute>),
    /// TCP established timeout, seconds.
    TimeoutTcp(u32),
    /// TCP FIN-wait timeout, seconds.
    TimeoutTcpFin(u32),
    /// UDP timeout, seconds.
    TimeoutUdp(u32),
    /// `IPVS_INFO_ATTR_VERSION`, only in a `SetInfo` reply.
    InfoVersion(u32),
    /// `IPVS_INFO_ATTR_CONN_TAB_SIZE`, only in a `SetInfo` reply.
    InfoConnectionTableSize(u32),
    /// An attribute this crate does not know.
    Other(DefaultNla),
}

impl Nla for IpvsAttribute {
    fn value_len(&self) -> usize {
        match self {
            Self::Service(v) => wire::nested_len(v),
            Self::Destination(v) => wire::nested_len(v),
            Self::Daemon(v) => wire::nested_len(v),
            Self::TimeoutTcp(_)
            | Self::TimeoutTcpFin(_)
            | Self::TimeoutUdp(_)
            | Self::InfoVersion(_)
            | Self::InfoConnectionTableSize(_) => 4,
            Self::Other(nla) => nla.value_len(),
        }
    }

    fn kind(&self) -> u16 {
        match self {
            Self::Service(_) => IPVS_CMD_ATTR_SERVICE | NLA_F_NESTED,
            Self::Destination(_) => IPVS_CMD_ATTR_DEST | NLA_F_NESTED,
            Self::Daemon(_) => IPVS_CMD_ATTR_DAEMON | NLA_F_NESTED,
            Self::TimeoutTcp(_) => IPVS_CMD_ATTR_TIMEOUT_TCP,
            Self::TimeoutTcpFin(_) => IPVS_CMD_ATTR_TIMEOUT_TCP_FIN,
            Self::TimeoutUdp(_) => IPVS_CMD_ATTR_TIMEOUT_UDP,
            Self::InfoVersion(_) => IPVS_INFO_ATTR_VERSION,
            Self::InfoConnectionTableSize(_) => IPVS_INFO_ATTR_CONN_TAB_SIZE,
            Self::Other(nla) => nla.kind(),
        }
    }

    fn emit_value(&self, buffer: &mut [u8]) {
        match self {
            Self::Service(v) => wire::emit_nested(buffer, v),
            Self::Destination(v) => wire::emit_nested(buffer, v),
            Self::Daemon(v) => wire::emit_nested(buffer, v),
            Self::TimeoutTcp(v)
            | Self::TimeoutTcpFin(v)
            | Self::TimeoutUdp(v)
            | Self::InfoVersion(v)
            | Self::InfoConnectionTableSize(v) => {
                let _ = emit_u32(buffer, *v);
            }
            Self::Other(nla) => nla.emit_value(buffer),
        }
    }
}

impl IpvsAttribute {
    /// Parses a top-level attribute. Kernel quirk: the reply to `GET_INFO`
    /// (command `SET_INFO`) numbers its attributes in a space of its own, so
    /// the command decides how to read them.
    fn parse_for(
        command: IpvsCommand,
        kind: u16,
        raw_kind: u16,
        value: &[u8],
    ) -> Result<Self, DecodeError> {
        if command == IpvsCommand::SetInfo {
            return Ok(match kind {
                IPVS_INFO_ATTR_VERSION => Self::InfoVersion(wire::parse_u32(value)?),
                IPVS_INFO_ATTR_CONN_TAB_SIZE => {
                    Self::InfoConnectionTableSize(wire::parse_u32(value)?)
                }
                _ => Self::Other(wire::other(raw_kind, value)),
            });
        }
        Ok(match kind {
            IPVS_CMD_ATTR_SERVICE => Self::Service(wire::parse_nested(value)?),
            IPVS_CMD_ATTR_DEST => Self::Destination(wire::parse_nested(value)?),
            IPVS_CMD_ATTR_DAEMON => Self::Daemon(wire::parse_nested(value)?),
            IPVS_CMD_ATTR_TIMEOUT_TCP => Self::TimeoutTcp(wire::parse_u32(value)?),
            IPVS_CMD_ATTR_TIMEOUT_TCP_FIN => Self::TimeoutTcpFin(wire::parse_u32(value)?),
            IPVS_CMD_ATTR_TIMEOUT_UDP => Self::TimeoutUdp(wire::parse_u32(value)?),
            _ => Self::Other(wire::other(raw_kind, value)),
        })
    }
}

/// An IPVS generic-netlink message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IpvsMessage {
    /// The command.
    pub command: IpvsCommand,
    /// Its attributes.
    pub attributes: Vec<IpvsAttribute>,
}

impl IpvsMessage {
    /// A message with the given command and attributes.
    pub fn new(command: IpvsCommand, attributes: Vec<IpvsAttribute>) -> Self {
        Self {
            command,
            attributes,
        }
    }
}

impl GenlFamily for IpvsMessage {
    fn family_name() -> &'static str {
        IPVS_GENL_NAME
    }

    fn command(&self) -> u8 {
        self.command.into()
    }

    fn version(&self) -> u8 {
        IPVS_GENL_VERSION
    }
}

impl Emitable for IpvsMessage {
    fn buffer_len(&self) -> usize {
        self.attributes.as_slice().buffer_len()
    }

    fn emit(&self, buffer: &mut [u8]) {
        self.attributes.as_slice().emit(buffer)
    }
}

impl ParseableParametrized<[u8], GenlHeader> for IpvsMessage {
    fn parse_with_param(buf: &[u8], header: GenlHeader) -> Result<Self, DecodeError> {
        let command = IpvsCommand::from(header.cmd);
        let mut attributes = Vec::with_capacity(2);
        for attribute in wire::Attributes::new(buf) {
            let (raw_kind, value) = attribute?;
            attributes.push(IpvsAttribute::parse_for(
                command,
                raw_kind & NLA_TYPE_MASK,
                raw_kind,
                value,
            )?);
        }
        Ok(Self {
            command,
            attributes,
        })
    }
}

#[cfg(all(test, target_endian = "little"))]
pub(crate) mod tests;
