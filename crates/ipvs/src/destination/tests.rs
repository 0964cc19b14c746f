// SPDX-License-Identifier: MIT OR Apache-2.0
//! Byte vectors for `IPVS_DEST_ATTR_*`, written by hand from
//! `include/uapi/linux/ip_vs.h`. Native-endian fields are spelled out for a
//! little-endian host.
#![cfg(target_endian = "little")]

use netlink_packet_core::{DecodeError, DefaultNla, Emitable, NlasIterator, Parseable};

use super::*;
use crate::stats::{Counter, StatsAttribute};

fn emit(attributes: &[DestinationAttribute]) -> Vec<u8> {
    // Garbage first, so padding the emitter forgets to clear shows up.
    let mut buffer = vec![0xee; attributes.buffer_len()];
    attributes.emit(&mut buffer);
    buffer
}

fn parse(raw: &[u8]) -> Result<Vec<DestinationAttribute>, DecodeError> {
    NlasIterator::new(raw)
        .map(|nla| nla.and_then(|nla| DestinationAttribute::parse(&nla)))
        .collect()
}

fn v4(a: u8, b: u8, c: u8, d: u8) -> RawAddress {
    RawAddress([a, b, c, d, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])
}

/// 2001:db8::2
const V6: RawAddress = RawAddress([
    0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02,
]);

fn addr(text: &str) -> SocketAddr {
    text.parse().unwrap()
}

/// `10.0.0.2:8080`, direct routing, weight 5, thresholds 100 / 10.
#[rustfmt::skip]
const ROUTE_DESTINATION: &[u8] = &[
    // len 20, type 1 (ADDR), 10.0.0.2 then 12 zero bytes
    0x14, 0x00, 0x01, 0x00, 10, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    // len 6, type 2 (PORT), 0x1f90 big-endian = 8080, 2 bytes padding
    0x06, 0x00, 0x02, 0x00, 0x1f, 0x90, 0x00, 0x00,
    // len 6, type 11 (ADDR_FAMILY), 2 = AF_INET, 2 bytes padding
    0x06, 0x00, 0x0b, 0x00, 0x02, 0x00, 0x00, 0x00,
    // len 8, type 3 (FWD_METHOD), 3 = IP_VS_CONN_F_DROUTE
    0x08, 0x00, 0x03, 0x00, 0x03, 0x00, 0x00, 0x00,
    // len 8, type 4 (WEIGHT), 5
    0x08, 0x00, 0x04, 0x00, 0x05, 0x00, 0x00, 0x00,
    // len 8, type 5 (U_THRESH), 0x64 = 100
    0x08, 0x00, 0x05, 0x00, 0x64, 0x00, 0x00, 0x00,
    // len 8, type 6 (L_THRESH), 10
    0x08, 0x00, 0x06, 0x00, 0x0a, 0x00, 0x00, 0x00,
];

fn route_destination() -> Destination {
    Destination {
        upper_threshold: 100,
        lower_threshold: 10,
        ..Destination::new(addr("10.0.0.2:8080"), Forward::Route, 5)
    }
}

fn route_attributes() -> Vec<DestinationAttribute> {
    vec![
        DestinationAttribute::Address(v4(10, 0, 0, 2)),
        DestinationAttribute::Port(8080),
        DestinationAttribute::Family(2),
        DestinationAttribute::ForwardMethod(3),
        DestinationAttribute::Weight(5),
        DestinationAttribute::UpperThreshold(100),
        DestinationAttribute::LowerThreshold(10),
    ]
}

#[test]
fn full_destination_attributes() {
    assert_eq!(route_destination().to_attributes(), route_attributes());
    assert_eq!(
        emit(&route_destination().to_attributes()),
        ROUTE_DESTINATION
    );
    assert_eq!(parse(ROUTE_DESTINATION).unwrap(), route_attributes());
}

#[test]
fn port_is_big_endian() {
    #[rustfmt::skip]
    let raw = [
        // len 6, type 2 (PORT), 0x0050 big-endian = 80
        0x06, 0x00, 0x02, 0x00, 0x00, 0x50, 0x00, 0x00,
    ];
    assert_eq!(emit(&[DestinationAttribute::Port(80)]), raw);
    assert_eq!(parse(&raw).unwrap(), [DestinationAttribute::Port(80)]);
}

#[test]
fn ipv4_address_is_padded_to_16_bytes() {
    #[rustfmt::skip]
    let raw = [
        // len 20, type 1 (ADDR), 192.168.1.10 then 12 zero bytes
        0x14, 0x00, 0x01, 0x00, 192, 168, 1, 10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    ];
    let expected = [DestinationAttribute::Address(v4(192, 168, 1, 10))];
    assert_eq!(
        Destination::key_attributes(&addr("192.168.1.10:0"))[0],
        expected[0]
    );
    assert_eq!(emit(&expected), raw);
    assert_eq!(parse(&raw).unwrap(), expected);
}

#[test]
fn four_byte_ipv4_address_is_accepted_on_read() {
    #[rustfmt::skip]
    let raw = [
        // len 8, type 1 (ADDR), a bare in_addr: 10.0.0.2
        0x08, 0x00, 0x01, 0x00, 10, 0, 0, 2,
    ];
    assert_eq!(
        parse(&raw).unwrap(),
        [DestinationAttribute::Address(v4(10, 0, 0, 2))]
    );
}

#[test]
fn forward_methods_have_the_kernel_numbers() {
    for (forward, raw) in [
        (Forward::Masq, 0),
        (Forward::Local, 1),
        (Forward::Tunnel, 2),
        (Forward::Route, 3),
        (Forward::Bypass, 4),
        (Forward::Other(7), 7),
    ] {
        let attributes = Destination::new(addr("10.0.0.2:80"), forward, 1).to_attributes();
        assert_eq!(attributes[3], DestinationAttribute::ForwardMethod(raw));
        assert_eq!(Forward::from_raw(raw), forward);
    }
}

#[test]
fn key_attributes_are_address_port_family() {
    #[rustfmt::skip]
    let raw = [
        // len 20, type 1 (ADDR), 10.0.0.2
        0x14, 0x00, 0x01, 0x00, 10, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        // len 6, type 2 (PORT), 0x0050 big-endian = 80
        0x06, 0x00, 0x02, 0x00, 0x00, 0x50, 0x00, 0x00,
        // len 6, type 11 (ADDR_FAMILY), 2 = AF_INET
        0x06, 0x00, 0x0b, 0x00, 0x02, 0x00, 0x00, 0x00,
    ];
    assert_eq!(
        emit(&Destination::key_attributes(&addr("10.0.0.2:80"))),
        raw
    );
}

#[test]
fn tunnel_attributes_only_for_tunnel_forwarding() {
    let tunnel = Tunnel {
        kind: TunnelType::Gue,
        port: 6080,
        flags: TunnelFlags::CSUM,
    };
    for forward in [
        Forward::Masq,
        Forward::Local,
        Forward::Route,
        Forward::Bypass,
    ] {
        let destination = Destination {
            tunnel,
            ..Destination::new(addr("10.0.0.2:80"), forward, 1)
        };
        assert_eq!(destination.to_attributes().len(), 7, "{forward}");
        assert!(!destination.to_attributes().iter().any(|a| matches!(
            a,
            DestinationAttribute::TunnelType(_)
                | DestinationAttribute::TunnelPort(_)
                | DestinationAttribute::TunnelFlags(_)
        )));
    }
    let destination = Destination {
        tunnel,
        ..Destination::new(addr("10.0.0.2:80"), Forward::Tunnel, 1)
    };
    assert_eq!(
        destination.to_attributes()[7..],
        [
            DestinationAttribute::TunnelType(1),
            DestinationAttribute::TunnelPort(6080),
            DestinationAttribute::TunnelFlags(1),
        ]
    );
}

#[test]
fn tunnel_type_is_u8_padded() {
    #[rustfmt::skip]
    let raw = [
        // len 5, type 13 (TUN_TYPE), 1 = GUE, 3 bytes padding
        0x05, 0x00, 0x0d, 0x00, 0x01, 0x00, 0x00, 0x00,
    ];
    assert_eq!(emit(&[DestinationAttribute::TunnelType(1)]), raw);
    assert_eq!(parse(&raw).unwrap(), [DestinationAttribute::TunnelType(1)]);
}

#[test]
fn tunnel_port_is_big_endian() {
    #[rustfmt::skip]
    let raw = [
        // len 6, type 14 (TUN_PORT), 0x17c0 big-endian = 6080
        0x06, 0x00, 0x0e, 0x00, 0x17, 0xc0, 0x00, 0x00,
    ];
    assert_eq!(emit(&[DestinationAttribute::TunnelPort(6080)]), raw);
    assert_eq!(
        parse(&raw).unwrap(),
        [DestinationAttribute::TunnelPort(6080)]
    );
}

#[test]
fn tunnel_flags_are_native_u16() {
    #[rustfmt::skip]
    let raw = [
        // len 6, type 15 (TUN_FLAGS), 0x0003 native = CSUM | REMCSUM
        0x06, 0x00, 0x0f, 0x00, 0x03, 0x00, 0x00, 0x00,
    ];
    assert_eq!(emit(&[DestinationAttribute::TunnelFlags(3)]), raw);
    assert_eq!(parse(&raw).unwrap(), [DestinationAttribute::TunnelFlags(3)]);
}

/// `[2001:db8::2]:0` through a GRE tunnel, as added under an IPv4 service.
#[rustfmt::skip]
const IPV6_TUNNEL_DESTINATION: &[u8] = &[
    // len 20, type 1 (ADDR), 2001:db8::2
    0x14, 0x00, 0x01, 0x00, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2,
    // len 6, type 2 (PORT), 0
    0x06, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00,
    // len 6, type 11 (ADDR_FAMILY), 10 = AF_INET6
    0x06, 0x00, 0x0b, 0x00, 0x0a, 0x00, 0x00, 0x00,
    // len 8, type 3 (FWD_METHOD), 2 = IP_VS_CONN_F_TUNNEL
    0x08, 0x00, 0x03, 0x00, 0x02, 0x00, 0x00, 0x00,
    // len 8, type 4 (WEIGHT), 1
    0x08, 0x00, 0x04, 0x00, 0x01, 0x00, 0x00, 0x00,
    // len 8, type 5 (U_THRESH), 0
    0x08, 0x00, 0x05, 0x00, 0x00, 0x00, 0x00, 0x00,
    // len 8, type 6 (L_THRESH), 0
    0x08, 0x00, 0x06, 0x00, 0x00, 0x00, 0x00, 0x00,
    // len 5, type 13 (TUN_TYPE), 2 = GRE, 3 bytes padding
    0x05, 0x00, 0x0d, 0x00, 0x02, 0x00, 0x00, 0x00,
    // len 6, type 14 (TUN_PORT), 0
    0x06, 0x00, 0x0e, 0x00, 0x00, 0x00, 0x00, 0x00,
    // len 6, type 15 (TUN_FLAGS), 0x0001 = CSUM
    0x06, 0x00, 0x0f, 0x00, 0x01, 0x00, 0x00, 0x00,
];

fn ipv6_tunnel_destination() -> Destination {
    Destination {
        tunnel: Tunnel {
            kind: TunnelType::Gre,
            port: 0,
            flags: TunnelFlags::CSUM,
        },
        ..Destination::new(addr("[2001:db8::2]:0"), Forward::Tunnel, 1)
    }
}

#[test]
fn ipv6_tunnel_destination_wire_format() {
    let expected = vec![
        DestinationAttribute::Address(V6),
        DestinationAttribute::Port(0),
        DestinationAttribute::Family(10),
        DestinationAttribute::ForwardMethod(2),
        DestinationAttribute::Weight(1),
        DestinationAttribute::UpperThreshold(0),
        DestinationAttribute::LowerThreshold(0),
        DestinationAttribute::TunnelType(2),
        DestinationAttribute::TunnelPort(0),
        DestinationAttribute::TunnelFlags(1),
    ];
    assert_eq!(ipv6_tunnel_destination().to_attributes(), expected);
    assert_eq!(emit(&expected), IPV6_TUNNEL_DESTINATION);
    assert_eq!(parse(IPV6_TUNNEL_DESTINATION).unwrap(), expected);
}

#[test]
fn ipv6_destination_under_ipv4_service_keeps_its_family() {
    let attributes = parse(IPV6_TUNNEL_DESTINATION).unwrap();
    let entry = DestinationEntry::from_attributes(&attributes, AddressFamily::Inet).unwrap();
    assert_eq!(entry.destination, ipv6_tunnel_destination());
}

#[test]
fn family_is_inferred_from_the_service_when_absent() {
    // Kernels before 4.0 send no ADDR_FAMILY.
    #[rustfmt::skip]
    let raw = [
        // len 20, type 1 (ADDR), 10.0.0.2 padded
        0x14, 0x00, 0x01, 0x00, 10, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        // len 6, type 2 (PORT), 0x0050 big-endian = 80
        0x06, 0x00, 0x02, 0x00, 0x00, 0x50, 0x00, 0x00,
        // len 8, type 3 (FWD_METHOD), 0 = MASQ
        0x08, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00,
        // len 8, type 4 (WEIGHT), 2
        0x08, 0x00, 0x04, 0x00, 0x02, 0x00, 0x00, 0x00,
    ];
    let attributes = parse(&raw).unwrap();
    let entry = DestinationEntry::from_attributes(&attributes, AddressFamily::Inet).unwrap();
    assert_eq!(
        entry.destination,
        Destination::new(addr("10.0.0.2:80"), Forward::Masq, 2)
    );
}

#[test]
fn ipv6_family_is_inferred_from_an_ipv6_service() {
    #[rustfmt::skip]
    let raw = [
        // len 20, type 1 (ADDR), 2001:db8::2
        0x14, 0x00, 0x01, 0x00, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2,
        // len 6, type 2 (PORT), 0x01bb big-endian = 443
        0x06, 0x00, 0x02, 0x00, 0x01, 0xbb, 0x00, 0x00,
    ];
    let attributes = parse(&raw).unwrap();
    let entry = DestinationEntry::from_attributes(&attributes, AddressFamily::Inet6).unwrap();
    assert_eq!(entry.destination.address, addr("[2001:db8::2]:443"));
}

#[test]
fn connection_counters_are_read() {
    let mut raw = ROUTE_DESTINATION.to_vec();
    #[rustfmt::skip]
    let tail = [
        // len 8, type 7 (ACTIVE_CONNS), 0x00000102 = 258
        0x08, 0x00, 0x07, 0x00, 0x02, 0x01, 0x00, 0x00,
        // len 8, type 8 (INACT_CONNS), 17
        0x08, 0x00, 0x08, 0x00, 0x11, 0x00, 0x00, 0x00,
        // len 8, type 9 (PERSIST_CONNS), 3
        0x08, 0x00, 0x09, 0x00, 0x03, 0x00, 0x00, 0x00,
    ];
    raw.extend_from_slice(&tail);
    let attributes = parse(&raw).unwrap();
    assert_eq!(
        attributes[7..],
        [
            DestinationAttribute::ActiveConnections(258),
            DestinationAttribute::InactiveConnections(17),
            DestinationAttribute::PersistentConnections(3),
        ]
    );
    let entry = DestinationEntry::from_attributes(&attributes, AddressFamily::Inet).unwrap();
    assert_eq!(entry.destination, route_destination());
    assert_eq!(entry.active_connections, 258);
    assert_eq!(entry.inactive_connections, 17);
    assert_eq!(entry.persistent_connections, 3);
}

#[test]
fn stats64_is_preferred_over_stats() {
    let mut raw = ROUTE_DESTINATION.to_vec();
    #[rustfmt::skip]
    let tail = [
        // len 12, type 10 (STATS), no NLA_F_NESTED
        0x0c, 0x00, 0x0a, 0x00,
        //   len 8, type 1 (CONNS), u32 4
        0x08, 0x00, 0x01, 0x00, 0x04, 0x00, 0x00, 0x00,
        // len 16, type 0x800c (STATS64 | NLA_F_NESTED)
        0x10, 0x00, 0x0c, 0x80,
        //   len 12, type 1 (CONNS), u64 0x1_0000_0000
        0x0c, 0x00, 0x01, 0x00, 0, 0, 0, 0, 0x01, 0, 0, 0,
    ];
    raw.extend_from_slice(&tail);
    let attributes = parse(&raw).unwrap();
    assert_eq!(
        attributes[7..],
        [
            DestinationAttribute::Stats(vec![StatsAttribute::Value {
                counter: Counter::Connections,
                value: 4,
                wide: false
            }]),
            DestinationAttribute::Stats64(vec![StatsAttribute::Value {
                counter: Counter::Connections,
                value: 0x1_0000_0000,
                wide: true
            }]),
        ]
    );
    let entry = DestinationEntry::from_attributes(&attributes, AddressFamily::Inet).unwrap();
    assert_eq!(entry.stats.connections, 0x1_0000_0000);
}

#[test]
fn missing_address_or_port_is_an_error() {
    let no_address = [DestinationAttribute::Port(80)];
    let no_port = [DestinationAttribute::Address(v4(10, 0, 0, 2))];
    assert!(DestinationEntry::from_attributes(&no_address, AddressFamily::Inet).is_err());
    assert!(DestinationEntry::from_attributes(&no_port, AddressFamily::Inet).is_err());
}

#[test]
fn unknown_family_is_an_error() {
    let read = [
        DestinationAttribute::Address(v4(10, 0, 0, 2)),
        DestinationAttribute::Port(80),
        DestinationAttribute::Family(99),
    ];
    assert!(DestinationEntry::from_attributes(&read, AddressFamily::Inet).is_err());
}

#[test]
fn unknown_attribute_is_kept_as_other() {
    #[rustfmt::skip]
    let raw = [
        // len 8, type 16 (unknown, after TUN_FLAGS), 0xdeadbeef
        0x08, 0x00, 0x10, 0x00, 0xef, 0xbe, 0xad, 0xde,
    ];
    let expected = [DestinationAttribute::Other(DefaultNla::new(
        16,
        vec![0xef, 0xbe, 0xad, 0xde],
    ))];
    assert_eq!(parse(&raw).unwrap(), expected);
    assert_eq!(emit(&expected), raw);
    let mut read = route_attributes();
    read.extend(expected);
    assert!(DestinationEntry::from_attributes(&read, AddressFamily::Inet).is_ok());
}

#[test]
fn tunnel_type_of_wrong_size_is_an_error() {
    #[rustfmt::skip]
    let raw = [
        // len 8, type 13 (TUN_TYPE), 4 bytes instead of 1
        0x08, 0x00, 0x0d, 0x00, 0x01, 0x00, 0x00, 0x00,
    ];
    assert!(parse(&raw).is_err());
}
