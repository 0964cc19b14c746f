// SPDX-License-Identifier: MIT OR Apache-2.0
//! Byte vectors for timeouts and information, read and written, written by
//! hand from `include/uapi/linux/ip_vs.h` for a little-endian host.
#![cfg(target_endian = "little")]

use netlink_packet_core::DefaultNla;

use super::*;
use crate::message::tests::{emit, parse};
use crate::message::{IpvsCommand, IpvsMessage};

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
    let message = parse(IpvsCommand::SetInfo.into(), &payload).unwrap();
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
    let message = parse(IpvsCommand::SetConfig.into(), &payload).unwrap();
    assert_eq!(message.attributes, timeouts.to_attributes());
    assert_eq!(Timeouts::from_attributes(&message.attributes), timeouts);
    let request = IpvsMessage::new(IpvsCommand::SetConfig, timeouts.to_attributes());
    assert_eq!(emit(&request), payload);
}
