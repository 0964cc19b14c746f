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

/// Byte vectors for whole messages, written by hand from
/// `include/uapi/linux/ip_vs.h` for a little-endian host.
#[cfg(all(test, target_endian = "little"))]
mod tests {
    use netlink_packet_core::{
        NetlinkHeader, NetlinkMessage, NetlinkPayload, NLM_F_ACK, NLM_F_REQUEST,
    };
    use netlink_packet_generic::GenlMessage;

    use super::*;
    use crate::batch::Operation;
    use crate::destination::{Destination, Forward};
    use crate::net::RawAddress;
    use crate::service::ServiceKey;
    use crate::settings::{Info, Timeouts};

    const GENL_VERSION_1: GenlHeader = GenlHeader { cmd: 0, version: 1 };

    fn emit(message: &IpvsMessage) -> Vec<u8> {
        let mut buffer = vec![0xee; message.buffer_len()];
        message.emit(&mut buffer);
        buffer
    }

    fn parse(command: u8, payload: &[u8]) -> Result<IpvsMessage, DecodeError> {
        IpvsMessage::parse_with_param(
            payload,
            GenlHeader {
                cmd: command,
                ..GENL_VERSION_1
            },
        )
    }

    fn v4(a: u8, b: u8, c: u8, d: u8) -> RawAddress {
        RawAddress([a, b, c, d, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])
    }

    /// The attributes of `NEW_DEST` for `10.0.0.2:80` (route, weight 1)
    /// in `tcp 10.0.0.1:80`.
    #[rustfmt::skip]
    const NEW_DEST_ATTRIBUTES: &[u8] = &[
        // len 48, type 0x8001 (CMD_ATTR_SERVICE | NLA_F_NESTED)
        0x30, 0x00, 0x01, 0x80,
        //   len 6, type 1 (SVC_ATTR_AF), 2 = AF_INET
        0x06, 0x00, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00,
        //   len 6, type 2 (SVC_ATTR_PROTOCOL), 6 = TCP
        0x06, 0x00, 0x02, 0x00, 0x06, 0x00, 0x00, 0x00,
        //   len 20, type 3 (SVC_ATTR_ADDR), 10.0.0.1 padded to 16 bytes
        0x14, 0x00, 0x03, 0x00, 10, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        //   len 6, type 4 (SVC_ATTR_PORT), 0x0050 big-endian = 80
        0x06, 0x00, 0x04, 0x00, 0x00, 0x50, 0x00, 0x00,
        // len 72, type 0x8002 (CMD_ATTR_DEST | NLA_F_NESTED)
        0x48, 0x00, 0x02, 0x80,
        //   len 20, type 1 (DEST_ATTR_ADDR), 10.0.0.2 padded to 16 bytes
        0x14, 0x00, 0x01, 0x00, 10, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        //   len 6, type 2 (DEST_ATTR_PORT), 0x0050 big-endian = 80
        0x06, 0x00, 0x02, 0x00, 0x00, 0x50, 0x00, 0x00,
        //   len 6, type 11 (DEST_ATTR_ADDR_FAMILY), 2 = AF_INET
        0x06, 0x00, 0x0b, 0x00, 0x02, 0x00, 0x00, 0x00,
        //   len 8, type 3 (DEST_ATTR_FWD_METHOD), 3 = route
        0x08, 0x00, 0x03, 0x00, 0x03, 0x00, 0x00, 0x00,
        //   len 8, type 4 (DEST_ATTR_WEIGHT), 1
        0x08, 0x00, 0x04, 0x00, 0x01, 0x00, 0x00, 0x00,
        //   len 8, type 5 (DEST_ATTR_U_THRESH), 0
        0x08, 0x00, 0x05, 0x00, 0x00, 0x00, 0x00, 0x00,
        //   len 8, type 6 (DEST_ATTR_L_THRESH), 0
        0x08, 0x00, 0x06, 0x00, 0x00, 0x00, 0x00, 0x00,
    ];

    fn new_dest() -> IpvsMessage {
        Operation::AddDestination(
            ServiceKey::tcp("10.0.0.1:80".parse().unwrap()),
            Destination::new("10.0.0.2:80".parse().unwrap(), Forward::Route, 1),
        )
        .to_request()
        .message
    }

    #[test]
    fn new_dest_nests_service_and_destination() {
        let message = new_dest();
        assert_eq!(message.command, IpvsCommand::NewDest);
        assert_eq!(emit(&message), NEW_DEST_ATTRIBUTES);
    }

    #[test]
    fn new_dest_parses_back() {
        let message = parse(IPVS_CMD_NEW_DEST, NEW_DEST_ATTRIBUTES).unwrap();
        assert_eq!(message, new_dest());
    }

    #[test]
    fn genl_header_is_command_and_version_1() {
        let mut genl = GenlMessage::from_payload(new_dest());
        genl.finalize();
        let mut buffer = vec![0xee; genl.buffer_len()];
        genl.emit(&mut buffer);
        // cmd 5 (NEW_DEST), version 1, reserved u16 0
        assert_eq!(buffer[..4], [0x05, 0x01, 0x00, 0x00]);
        assert_eq!(buffer[4..], *NEW_DEST_ATTRIBUTES);
    }

    #[test]
    fn netlink_frame_of_new_dest() {
        let mut genl = GenlMessage::from_payload(new_dest());
        genl.set_resolved_family_id(0x0023);
        let mut header = NetlinkHeader::default();
        header.flags = NLM_F_REQUEST | NLM_F_ACK;
        header.sequence_number = 7;
        let mut message = NetlinkMessage::new(header, NetlinkPayload::InnerMessage(genl));
        message.finalize();
        let mut buffer = vec![0xee; message.buffer_len()];
        message.serialize(&mut buffer);
        #[rustfmt::skip]
        let mut expected = vec![
            // nlmsg_len 0x8c = 16 + 4 + 48 + 72, nlmsg_type 0x0023 (the family id)
            0x8c, 0x00, 0x00, 0x00, 0x23, 0x00,
            // nlmsg_flags 0x0005 = NLM_F_REQUEST | NLM_F_ACK, nlmsg_seq 7, nlmsg_pid 0
            0x05, 0x00, 0x07, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
            // genl: cmd 5 (NEW_DEST), version 1, reserved 0
            0x05, 0x01, 0x00, 0x00,
        ];
        expected.extend_from_slice(NEW_DEST_ATTRIBUTES);
        assert_eq!(buffer, expected);
    }

    #[test]
    fn set_info_reply_uses_the_info_numbering() {
        #[rustfmt::skip]
        let payload = [
            // len 8, type 1 (INFO_ATTR_VERSION), 0x00010201 = 1.2.1
            0x08, 0x00, 0x01, 0x00, 0x01, 0x02, 0x01, 0x00,
            // len 8, type 2 (INFO_ATTR_CONN_TAB_SIZE), 0x1000 = 4096
            0x08, 0x00, 0x02, 0x00, 0x00, 0x10, 0x00, 0x00,
            // len 8, type 3 (unknown in the info numbering, not DAEMON), 0
            0x08, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00,
        ];
        let message = parse(IPVS_CMD_SET_INFO, &payload).unwrap();
        assert_eq!(message.command, IpvsCommand::SetInfo);
        assert_eq!(
            message.attributes,
            [
                IpvsAttribute::InfoVersion(0x0001_0201),
                IpvsAttribute::InfoConnectionTableSize(4096),
                IpvsAttribute::Other(DefaultNla::new(3, vec![0, 0, 0, 0])),
            ]
        );
        let info = Info::from_attributes(&message.attributes);
        assert_eq!(info.version_text(), "1.2.1");
        assert_eq!(info.connection_table_size, 4096);
    }

    #[test]
    fn info_attributes_emit_with_info_numbers() {
        let message = IpvsMessage::new(
            IpvsCommand::SetInfo,
            vec![
                IpvsAttribute::InfoVersion(0x0001_0201),
                IpvsAttribute::InfoConnectionTableSize(4096),
            ],
        );
        #[rustfmt::skip]
        let raw = [
            // len 8, type 1 (INFO_ATTR_VERSION), 0x00010201
            0x08, 0x00, 0x01, 0x00, 0x01, 0x02, 0x01, 0x00,
            // len 8, type 2 (INFO_ATTR_CONN_TAB_SIZE), 4096
            0x08, 0x00, 0x02, 0x00, 0x00, 0x10, 0x00, 0x00,
        ];
        assert_eq!(emit(&message), raw);
    }

    #[test]
    fn timeouts_use_the_command_numbering() {
        #[rustfmt::skip]
        let payload = [
            // len 8, type 4 (CMD_ATTR_TIMEOUT_TCP), 0x384 = 900
            0x08, 0x00, 0x04, 0x00, 0x84, 0x03, 0x00, 0x00,
            // len 8, type 5 (CMD_ATTR_TIMEOUT_TCP_FIN), 0x78 = 120
            0x08, 0x00, 0x05, 0x00, 0x78, 0x00, 0x00, 0x00,
            // len 8, type 6 (CMD_ATTR_TIMEOUT_UDP), 0x12c = 300
            0x08, 0x00, 0x06, 0x00, 0x2c, 0x01, 0x00, 0x00,
        ];
        let timeouts = Timeouts {
            tcp: 900,
            tcp_fin: 120,
            udp: 300,
        };
        // The kernel answers GET_CONFIG with SET_CONFIG.
        let message = parse(IPVS_CMD_SET_CONFIG, &payload).unwrap();
        assert_eq!(message.attributes, timeouts.to_attributes());
        assert_eq!(Timeouts::from_attributes(&message.attributes), timeouts);
        let request = IpvsMessage::new(IpvsCommand::SetConfig, timeouts.to_attributes());
        assert_eq!(emit(&request), payload);
    }

    /// A `NEW_SERVICE` reply payload for `fwmark 7`: one service nest.
    #[rustfmt::skip]
    fn fwmark_service_payload(nest_type_high: u8) -> Vec<u8> {
        vec![
            // len 48, type 0x0001 or 0x8001 (CMD_ATTR_SERVICE, nested flag optional)
            0x30, 0x00, 0x01, nest_type_high,
            //   len 6, type 1 (SVC_ATTR_AF), 2 = AF_INET
            0x06, 0x00, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00,
            //   len 8, type 5 (SVC_ATTR_FWMARK), 7
            0x08, 0x00, 0x05, 0x00, 0x07, 0x00, 0x00, 0x00,
            //   len 7, type 6 (SVC_ATTR_SCHED_NAME), "rr\0", 1 byte padding
            0x07, 0x00, 0x06, 0x00, b'r', b'r', 0x00, 0x00,
            //   len 12, type 7 (SVC_ATTR_FLAGS), 0x2 HASHED, mask 0xffffffff
            0x0c, 0x00, 0x07, 0x00, 0x02, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff,
            //   len 8, type 8 (SVC_ATTR_TIMEOUT), 0
            0x08, 0x00, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00,
        ]
    }

    #[test]
    fn new_service_payload_parses_with_the_genl_header() {
        let expected = IpvsMessage::new(
            IpvsCommand::NewService,
            vec![IpvsAttribute::Service(vec![
                ServiceAttribute::Family(2),
                ServiceAttribute::Fwmark(7),
                ServiceAttribute::Scheduler("rr".into()),
                ServiceAttribute::Flags {
                    flags: 2,
                    mask: u32::MAX,
                },
                ServiceAttribute::Timeout(0),
            ])],
        );
        let with_flag = fwmark_service_payload(0x80);
        let without_flag = fwmark_service_payload(0x00);
        assert_eq!(parse(IPVS_CMD_NEW_SERVICE, &with_flag).unwrap(), expected);
        assert_eq!(
            parse(IPVS_CMD_NEW_SERVICE, &without_flag).unwrap(),
            expected
        );
        assert_eq!(emit(&expected), with_flag);
    }

    #[test]
    fn service_nest_parses_to_a_service_entry() {
        let message = parse(IPVS_CMD_NEW_SERVICE, &fwmark_service_payload(0)).unwrap();
        let IpvsAttribute::Service(attributes) = &message.attributes[0] else {
            panic!("not a service: {message:?}");
        };
        let entry = crate::service::ServiceEntry::from_attributes(attributes).unwrap();
        assert_eq!(entry.service.key, ServiceKey::fwmark(7));
        assert_eq!(entry.service.flags, crate::service::ServiceFlags::empty());
    }

    #[test]
    fn daemon_nest_has_nested_flag() {
        let message = crate::batch::stop_daemon_request(crate::daemon::SyncState::Backup).message;
        #[rustfmt::skip]
        let raw = [
            // len 12, type 0x8003 (CMD_ATTR_DAEMON | NLA_F_NESTED)
            0x0c, 0x00, 0x03, 0x80,
            //   len 8, type 1 (DAEMON_ATTR_STATE), 2 = backup
            0x08, 0x00, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00,
        ];
        assert_eq!(message.command, IpvsCommand::DelDaemon);
        assert_eq!(emit(&message), raw);
        assert_eq!(parse(IPVS_CMD_DEL_DAEMON, &raw).unwrap(), message);
    }

    #[test]
    fn unknown_top_level_attribute_is_kept_as_other() {
        #[rustfmt::skip]
        let payload = [
            // len 8, type 7 (unknown top-level), 0x0000002a
            0x08, 0x00, 0x07, 0x00, 0x2a, 0x00, 0x00, 0x00,
        ];
        let message = parse(IPVS_CMD_GET_SERVICE, &payload).unwrap();
        assert_eq!(
            message.attributes,
            [IpvsAttribute::Other(DefaultNla::new(
                7,
                vec![0x2a, 0, 0, 0]
            ))]
        );
        assert_eq!(emit(&message), payload);
    }

    #[test]
    fn empty_payload_is_a_message_without_attributes() {
        let message = parse(IPVS_CMD_FLUSH, &[]).unwrap();
        assert_eq!(message, IpvsMessage::new(IpvsCommand::Flush, vec![]));
    }

    #[test]
    fn truncated_nest_is_an_error() {
        #[rustfmt::skip]
        let payload = [
            // len 48, type 0x8001 (CMD_ATTR_SERVICE), but only 4 bytes follow
            0x30, 0x00, 0x01, 0x80, 0x06, 0x00, 0x01, 0x00,
        ];
        assert!(parse(IPVS_CMD_NEW_SERVICE, &payload).is_err());
    }

    #[test]
    fn commands_have_the_kernel_numbers() {
        use IpvsCommand::*;
        let commands = [
            (NewService, 1),
            (SetService, 2),
            (DelService, 3),
            (GetService, 4),
            (NewDest, 5),
            (SetDest, 6),
            (DelDest, 7),
            (GetDest, 8),
            (NewDaemon, 9),
            (DelDaemon, 10),
            (GetDaemon, 11),
            (SetConfig, 12),
            (GetConfig, 13),
            (SetInfo, 14),
            (GetInfo, 15),
            (Zero, 16),
            (Flush, 17),
            (Other(0), 0),
            (Other(18), 18),
        ];
        for (command, raw) in commands {
            assert_eq!(u8::from(command), raw, "{command:?}");
            assert_eq!(IpvsCommand::from(raw), command, "{raw}");
        }
    }

    #[test]
    fn family_name_and_version() {
        let message = IpvsMessage::new(IpvsCommand::GetInfo, vec![]);
        assert_eq!(IpvsMessage::family_name(), "IPVS");
        assert_eq!(message.version(), 1);
        assert_eq!(message.command(), 15);
    }

    #[test]
    fn service_key_address_is_v4_padded_in_a_nest() {
        // The nest keeps the raw address until the family is known.
        let message = parse(IPVS_CMD_NEW_DEST, NEW_DEST_ATTRIBUTES).unwrap();
        let IpvsAttribute::Service(service) = &message.attributes[0] else {
            panic!("not a service: {message:?}");
        };
        assert_eq!(service[2], ServiceAttribute::Address(v4(10, 0, 0, 1)));
    }

    #[test]
    fn attribute_shorter_than_its_header_is_an_error() {
        // len 0 and len 2: less than the 4-byte header; must not loop.
        assert!(parse(IPVS_CMD_NEW_SERVICE, &[0x00, 0x00, 0x01, 0x00]).is_err());
        assert!(parse(IPVS_CMD_NEW_SERVICE, &[0x02, 0x00, 0x01, 0x00]).is_err());
        #[rustfmt::skip]
        let nest = [
            // len 8, type 0x8001 (CMD_ATTR_SERVICE), holding an attribute of len 0
            0x08, 0x00, 0x01, 0x80, 0x00, 0x00, 0x01, 0x00,
        ];
        assert!(parse(IPVS_CMD_NEW_SERVICE, &nest).is_err());
    }

    #[test]
    fn last_attribute_may_lack_padding() {
        #[rustfmt::skip]
        let payload = [
            // len 17, type 0x8003 (CMD_ATTR_DAEMON | NLA_F_NESTED), no padding after
            0x11, 0x00, 0x03, 0x80,
            //   len 8, type 1 (DAEMON_ATTR_STATE), 1 = master
            0x08, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00,
            //   len 5, type 8 (DAEMON_ATTR_MCAST_TTL), 2, and the buffer ends
            0x05, 0x00, 0x08, 0x00, 0x02,
        ];
        let message = parse(IPVS_CMD_NEW_DAEMON, &payload).unwrap();
        assert_eq!(
            message.attributes,
            [IpvsAttribute::Daemon(vec![
                DaemonAttribute::State(1),
                DaemonAttribute::Ttl(2),
            ])]
        );
    }

    #[test]
    fn unknown_nested_attribute_keeps_its_flag() {
        #[rustfmt::skip]
        let payload = [
            // len 12, type 0x8007 (unknown top-level, NLA_F_NESTED)
            0x0c, 0x00, 0x07, 0x80,
            //   len 8, type 1, 0x00000001
            0x08, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00,
        ];
        let message = parse(IPVS_CMD_GET_SERVICE, &payload).unwrap();
        assert_eq!(
            message.attributes,
            [IpvsAttribute::Other(DefaultNla::new(
                0x8007,
                vec![0x08, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00],
            ))]
        );
        assert_eq!(emit(&message), payload);
    }

    #[test]
    fn get_dest_reply_parses_to_a_destination_entry() {
        // A GET_DEST dump message (command NEW_DEST) as 6.1 sends it: no
        // NLA_F_NESTED on any nest.
        #[rustfmt::skip]
        let payload = [
            // len 96, type 2 (CMD_ATTR_DEST)
            0x60, 0x00, 0x02, 0x00,
            //   len 20, type 1 (DEST_ATTR_ADDR), 10.0.0.2
            0x14, 0x00, 0x01, 0x00, 10, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
            //   len 6, type 2 (DEST_ATTR_PORT), 0x0050 big-endian = 80
            0x06, 0x00, 0x02, 0x00, 0x00, 0x50, 0x00, 0x00,
            //   len 8, type 3 (DEST_ATTR_FWD_METHOD), 0 = masq
            0x08, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00,
            //   len 8, type 4 (DEST_ATTR_WEIGHT), 3
            0x08, 0x00, 0x04, 0x00, 0x03, 0x00, 0x00, 0x00,
            //   len 8, type 7 (DEST_ATTR_ACTIVE_CONNS), 12
            0x08, 0x00, 0x07, 0x00, 0x0c, 0x00, 0x00, 0x00,
            //   len 6, type 11 (DEST_ATTR_ADDR_FAMILY), 2 = AF_INET
            0x06, 0x00, 0x0b, 0x00, 0x02, 0x00, 0x00, 0x00,
            //   len 32, type 12 (DEST_ATTR_STATS64)
            0x20, 0x00, 0x0c, 0x00,
            //     len 4, type 11 (STATS_ATTR_PAD)
            0x04, 0x00, 0x0b, 0x00,
            //     len 12, type 1 (STATS_ATTR_CONNS), u64 40
            0x0c, 0x00, 0x01, 0x00, 0x28, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
            //     len 12, type 4 (STATS_ATTR_INBYTES), u64 0x1_0000_0000
            0x0c, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
        ];
        let message = parse(IPVS_CMD_NEW_DEST, &payload).unwrap();
        let IpvsAttribute::Destination(attributes) = &message.attributes[0] else {
            panic!("not a destination: {message:?}");
        };
        let entry = crate::destination::DestinationEntry::from_attributes(
            attributes,
            crate::net::AddressFamily::Inet,
        )
        .unwrap();
        assert_eq!(
            entry.destination,
            Destination::new("10.0.0.2:80".parse().unwrap(), Forward::Masq, 3)
        );
        assert_eq!(entry.active_connections, 12);
        assert_eq!(entry.stats.connections, 40);
        assert_eq!(entry.stats.bytes_in, 0x1_0000_0000);
    }
}
