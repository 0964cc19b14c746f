// SPDX-License-Identifier: MIT OR Apache-2.0
//! Byte vectors for whole messages, written by hand from
//! `include/uapi/linux/ip_vs.h` for a little-endian host. `emit`, `parse`
//! and [`NEW_DEST_ATTRIBUTES`] serve the tests of what is sent, too
//! (`operation`, `settings`).

use netlink_packet_core::{
    NetlinkHeader, NetlinkMessage, NetlinkPayload, NLM_F_ACK, NLM_F_REQUEST,
};
use netlink_packet_generic::GenlMessage;

use super::*;
use crate::destination::{Destination, Forward};
use crate::net::RawAddress;
use crate::service::ServiceKey;

const GENL_VERSION_1: GenlHeader = GenlHeader { cmd: 0, version: 1 };

pub(crate) fn emit(message: &IpvsMessage) -> Vec<u8> {
    let mut buffer = vec![0xee; message.buffer_len()];
    message.emit(&mut buffer);
    buffer
}

pub(crate) fn parse(command: u8, payload: &[u8]) -> Result<IpvsMessage, DecodeError> {
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
pub(crate) const NEW_DEST_ATTRIBUTES: &[u8] = &[
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
    let service = ServiceKey::tcp("10.0.0.1:80".parse().unwrap());
    let destination = Destination::new("10.0.0.2:80".parse().unwrap(), Forward::Route, 1);
    IpvsMessage::new(
        IpvsCommand::NewDest,
        vec![
            IpvsAttribute::Service(service.to_attributes()),
            IpvsAttribute::Destination(destination.to_attributes()),
        ],
    )
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

/// A `NEW_SERVICE` reply payload for `fwmark 7`: one service nest.
#[rustfmt::skip]
pub(crate) fn fwmark_service_payload(nest_type_high: u8) -> Vec<u8> {
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
