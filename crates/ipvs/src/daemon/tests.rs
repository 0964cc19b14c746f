// SPDX-License-Identifier: MIT OR Apache-2.0
//! Byte vectors for `IPVS_DAEMON_ATTR_*`, written by hand from
//! `include/uapi/linux/ip_vs.h`. Native-endian fields are spelled out for a
//! little-endian host.
#![cfg(target_endian = "little")]

use std::net::{Ipv4Addr, Ipv6Addr};

use netlink_packet_core::{DecodeError, DefaultNla, Emitable, NlasIterator, Parseable};

use super::*;

fn emit(attributes: &[DaemonAttribute]) -> Vec<u8> {
    // Garbage first, so padding the emitter forgets to clear shows up.
    let mut buffer = vec![0xee; attributes.buffer_len()];
    attributes.emit(&mut buffer);
    buffer
}

fn parse(raw: &[u8]) -> Result<Vec<DaemonAttribute>, DecodeError> {
    NlasIterator::new(raw)
        .map(|nla| nla.and_then(|nla| DaemonAttribute::parse(&nla)))
        .collect()
}

#[test]
fn state_is_u32_master_1_backup_2() {
    #[rustfmt::skip]
    let raw = [
        // len 8, type 1 (STATE), 1 = IP_VS_STATE_MASTER
        0x08, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00,
        // len 8, type 1 (STATE), 2 = IP_VS_STATE_BACKUP
        0x08, 0x00, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00,
    ];
    let expected = [
        DaemonAttribute::State(SyncState::Master.to_raw()),
        DaemonAttribute::State(SyncState::Backup.to_raw()),
    ];
    assert_eq!(
        expected,
        [DaemonAttribute::State(1), DaemonAttribute::State(2)]
    );
    assert_eq!(emit(&expected), raw);
    assert_eq!(parse(&raw).unwrap(), expected);
}

#[test]
fn minimal_start_is_state_interface_sync_id() {
    #[rustfmt::skip]
    let raw = [
        // len 8, type 1 (STATE), 2 = backup
        0x08, 0x00, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00,
        // len 9, type 2 (MCAST_IFN), "eth0\0", 3 bytes padding
        0x09, 0x00, 0x02, 0x00, b'e', b't', b'h', b'0', 0x00, 0x00, 0x00, 0x00,
        // len 8, type 3 (SYNC_ID), u32 0
        0x08, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00,
    ];
    let daemon = SyncDaemon::new(SyncState::Backup, "eth0", 0);
    assert_eq!(
        daemon.to_attributes(),
        [
            DaemonAttribute::State(2),
            DaemonAttribute::Interface("eth0".into()),
            DaemonAttribute::SyncId(0),
        ]
    );
    assert_eq!(emit(&daemon.to_attributes()), raw);
}

/// A master with every option: `eth0`, sync id 3, 1472 bytes, 224.0.0.81,
/// port 8848, TTL 2.
#[rustfmt::skip]
const FULL_MASTER: &[u8] = &[
    // len 8, type 1 (STATE), 1 = master
    0x08, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00,
    // len 9, type 2 (MCAST_IFN), "eth0\0", 3 bytes padding
    0x09, 0x00, 0x02, 0x00, b'e', b't', b'h', b'0', 0x00, 0x00, 0x00, 0x00,
    // len 8, type 3 (SYNC_ID), u32 3
    0x08, 0x00, 0x03, 0x00, 0x03, 0x00, 0x00, 0x00,
    // len 6, type 4 (SYNC_MAXLEN), 0x05c0 native u16 = 1472, 2 bytes padding
    0x06, 0x00, 0x04, 0x00, 0xc0, 0x05, 0x00, 0x00,
    // len 8, type 5 (MCAST_GROUP), 224.0.0.81 as 4 raw octets
    0x08, 0x00, 0x05, 0x00, 224, 0, 0, 81,
    // len 6, type 7 (MCAST_PORT), 0x2290 NATIVE u16 = 8848 (kernel quirk)
    0x06, 0x00, 0x07, 0x00, 0x90, 0x22, 0x00, 0x00,
    // len 5, type 8 (MCAST_TTL), u8 2, 3 bytes padding
    0x05, 0x00, 0x08, 0x00, 0x02, 0x00, 0x00, 0x00,
];

fn full_master() -> SyncDaemon {
    SyncDaemon {
        max_length: Some(1472),
        group: Some(Ipv4Addr::new(224, 0, 0, 81).into()),
        port: Some(8848),
        ttl: Some(2),
        ..SyncDaemon::new(SyncState::Master, "eth0", 3)
    }
}

fn full_master_attributes() -> Vec<DaemonAttribute> {
    vec![
        DaemonAttribute::State(1),
        DaemonAttribute::Interface("eth0".into()),
        DaemonAttribute::SyncId(3),
        DaemonAttribute::MaxLength(1472),
        DaemonAttribute::Group(Ipv4Addr::new(224, 0, 0, 81)),
        DaemonAttribute::Port(8848),
        DaemonAttribute::Ttl(2),
    ]
}

#[test]
fn start_attributes_with_every_option() {
    assert_eq!(full_master().to_attributes(), full_master_attributes());
    assert_eq!(emit(&full_master().to_attributes()), FULL_MASTER);
    assert_eq!(parse(FULL_MASTER).unwrap(), full_master_attributes());
}

#[test]
fn mcast_port_is_native_endian() {
    #[rustfmt::skip]
    let raw = [
        // len 6, type 7 (MCAST_PORT), 0x2290 native = 8848: 90 22, not 22 90
        0x06, 0x00, 0x07, 0x00, 0x90, 0x22, 0x00, 0x00,
    ];
    assert_eq!(emit(&[DaemonAttribute::Port(8848)]), raw);
    assert_eq!(parse(&raw).unwrap(), [DaemonAttribute::Port(8848)]);
}

#[test]
fn ipv4_group_is_4_raw_octets() {
    #[rustfmt::skip]
    let raw = [
        // len 8, type 5 (MCAST_GROUP), 239.1.2.3
        0x08, 0x00, 0x05, 0x00, 239, 1, 2, 3,
    ];
    let expected = [DaemonAttribute::Group(Ipv4Addr::new(239, 1, 2, 3))];
    assert_eq!(emit(&expected), raw);
    assert_eq!(parse(&raw).unwrap(), expected);
}

#[test]
fn ipv6_group_is_16_bytes() {
    #[rustfmt::skip]
    let raw = [
        // len 20, type 6 (MCAST_GROUP6), ff02::1234
        0x14, 0x00, 0x06, 0x00, 0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x12, 0x34,
    ];
    let group: Ipv6Addr = "ff02::1234".parse().unwrap();
    let daemon = SyncDaemon {
        group: Some(group.into()),
        ..SyncDaemon::new(SyncState::Master, "eth0", 0)
    };
    let attributes = daemon.to_attributes();
    assert_eq!(attributes[3..], [DaemonAttribute::Group6(group)]);
    assert_eq!(emit(&attributes[3..]), raw);
    assert_eq!(parse(&raw).unwrap(), [DaemonAttribute::Group6(group)]);
}

#[test]
fn daemon_from_kernel_reply() {
    // A GET_DAEMON reply from 6.1: state, interface, sync id, max length,
    // port, TTL, then the group.
    #[rustfmt::skip]
    let raw = [
        // len 8, type 1 (STATE), 2 = backup
        0x08, 0x00, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00,
        // len 11, type 2 (MCAST_IFN), "vlan10\0", 1 byte padding
        0x0b, 0x00, 0x02, 0x00, b'v', b'l', b'a', b'n', b'1', b'0', 0x00, 0x00,
        // len 8, type 3 (SYNC_ID), 200
        0x08, 0x00, 0x03, 0x00, 0xc8, 0x00, 0x00, 0x00,
        // len 6, type 4 (SYNC_MAXLEN), 0x05c8 = 1480
        0x06, 0x00, 0x04, 0x00, 0xc8, 0x05, 0x00, 0x00,
        // len 6, type 7 (MCAST_PORT), 0x2290 native = 8848
        0x06, 0x00, 0x07, 0x00, 0x90, 0x22, 0x00, 0x00,
        // len 5, type 8 (MCAST_TTL), 1
        0x05, 0x00, 0x08, 0x00, 0x01, 0x00, 0x00, 0x00,
        // len 8, type 5 (MCAST_GROUP), 224.0.0.81
        0x08, 0x00, 0x05, 0x00, 224, 0, 0, 81,
    ];
    let daemon = SyncDaemon::from_attributes(&parse(&raw).unwrap()).unwrap();
    assert_eq!(
        daemon,
        SyncDaemon {
            state: SyncState::Backup,
            interface: "vlan10".into(),
            sync_id: 200,
            max_length: Some(1480),
            group: Some(Ipv4Addr::new(224, 0, 0, 81).into()),
            port: Some(8848),
            ttl: Some(1),
        }
    );
}

#[test]
fn full_master_reads_back_as_written() {
    let daemon = SyncDaemon::from_attributes(&parse(FULL_MASTER).unwrap()).unwrap();
    assert_eq!(daemon, full_master());
}

#[test]
fn unknown_state_is_an_error() {
    let read = [
        DaemonAttribute::State(3),
        DaemonAttribute::Interface("eth0".into()),
    ];
    assert!(SyncDaemon::from_attributes(&read).is_err());
}

#[test]
fn sync_id_above_255_is_an_error() {
    let read = [
        DaemonAttribute::State(1),
        DaemonAttribute::Interface("eth0".into()),
        DaemonAttribute::SyncId(256),
    ];
    assert!(SyncDaemon::from_attributes(&read).is_err());
}

#[test]
fn state_and_interface_are_required() {
    assert!(SyncDaemon::from_attributes(&[DaemonAttribute::State(1)]).is_err());
    assert!(SyncDaemon::from_attributes(&[DaemonAttribute::Interface("eth0".into())]).is_err());
}

#[test]
fn ipv4_group_of_wrong_size_is_an_error() {
    #[rustfmt::skip]
    let raw = [
        // len 6, type 5 (MCAST_GROUP), 2 bytes
        0x06, 0x00, 0x05, 0x00, 224, 0, 0x00, 0x00,
    ];
    assert!(parse(&raw).is_err());
}

#[test]
fn unknown_attribute_is_kept_as_other() {
    #[rustfmt::skip]
    let raw = [
        // len 8, type 9 (unknown, after MCAST_TTL), 0x0000002a
        0x08, 0x00, 0x09, 0x00, 0x2a, 0x00, 0x00, 0x00,
    ];
    let expected = [DaemonAttribute::Other(DefaultNla::new(
        9,
        vec![0x2a, 0, 0, 0],
    ))];
    assert_eq!(parse(&raw).unwrap(), expected);
    assert_eq!(emit(&expected), raw);
}
