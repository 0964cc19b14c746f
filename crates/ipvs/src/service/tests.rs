// SPDX-License-Identifier: MIT OR Apache-2.0
//! Byte vectors for `IPVS_SVC_ATTR_*`, written by hand from
//! `include/uapi/linux/ip_vs.h`. Native-endian fields are spelled out for a
//! little-endian host.
#![cfg(target_endian = "little")]

use std::net::{Ipv4Addr, SocketAddr};

use netlink_packet_core::{DecodeError, DefaultNla, Emitable, NlasIterator, Parseable};

use super::*;
use crate::stats::{Counter, Stats, StatsAttribute};

fn emit(attributes: &[ServiceAttribute]) -> Vec<u8> {
    // Garbage first, so padding the emitter forgets to clear shows up.
    let mut buffer = vec![0xee; attributes.buffer_len()];
    attributes.emit(&mut buffer);
    buffer
}

fn parse(raw: &[u8]) -> Result<Vec<ServiceAttribute>, DecodeError> {
    NlasIterator::new(raw)
        .map(|nla| nla.and_then(|nla| ServiceAttribute::parse(&nla)))
        .collect()
}

fn v4(a: u8, b: u8, c: u8, d: u8) -> RawAddress {
    RawAddress([a, b, c, d, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])
}

fn addr(text: &str) -> SocketAddr {
    text.parse().unwrap()
}

fn counter(counter: Counter, value: u64, wide: bool) -> StatsAttribute {
    StatsAttribute::Value {
        counter,
        value,
        wide,
    }
}

/// The key of `tcp 10.0.0.1:80`.
#[rustfmt::skip]
const TCP_KEY: &[u8] = &[
    // len 6, type 1 (AF), 0x0002 native = AF_INET, 2 bytes padding
    0x06, 0x00, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00,
    // len 6, type 2 (PROTOCOL), 0x0006 native = IPPROTO_TCP, 2 bytes padding
    0x06, 0x00, 0x02, 0x00, 0x06, 0x00, 0x00, 0x00,
    // len 20, type 3 (ADDR), 10.0.0.1 then 12 zero bytes (union nf_inet_addr)
    0x14, 0x00, 0x03, 0x00, 10, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    // len 6, type 4 (PORT), 0x0050 big-endian = 80, 2 bytes padding
    0x06, 0x00, 0x04, 0x00, 0x00, 0x50, 0x00, 0x00,
];

fn tcp_key_attributes() -> Vec<ServiceAttribute> {
    vec![
        ServiceAttribute::Family(2),
        ServiceAttribute::Protocol(6),
        ServiceAttribute::Address(v4(10, 0, 0, 1)),
        ServiceAttribute::Port(80),
    ]
}

#[test]
fn ipv4_tcp_key_is_family_protocol_address_port() {
    let key = ServiceKey::tcp(addr("10.0.0.1:80"));
    assert_eq!(key.to_attributes(), tcp_key_attributes());
    assert_eq!(emit(&key.to_attributes()), TCP_KEY);
    assert_eq!(parse(TCP_KEY).unwrap(), tcp_key_attributes());
}

#[test]
fn port_is_big_endian() {
    #[rustfmt::skip]
    let raw = [
        // len 6, type 4 (PORT), 0x1f90 big-endian = 8080, 2 bytes padding
        0x06, 0x00, 0x04, 0x00, 0x1f, 0x90, 0x00, 0x00,
    ];
    assert_eq!(emit(&[ServiceAttribute::Port(8080)]), raw);
    assert_eq!(parse(&raw).unwrap(), [ServiceAttribute::Port(8080)]);
}

#[test]
fn ipv4_address_is_padded_to_16_bytes() {
    #[rustfmt::skip]
    let raw = [
        // len 20, type 3 (ADDR), 192.168.1.10 then 12 zero bytes
        0x14, 0x00, 0x03, 0x00, 192, 168, 1, 10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    ];
    let attribute =
        ServiceAttribute::Address(RawAddress::from_ip(&"192.168.1.10".parse().unwrap()));
    assert_eq!(attribute, ServiceAttribute::Address(v4(192, 168, 1, 10)));
    assert_eq!(emit(std::slice::from_ref(&attribute)), raw);
    assert_eq!(parse(&raw).unwrap(), [attribute]);
}

#[test]
fn four_byte_ipv4_address_is_accepted_on_read() {
    #[rustfmt::skip]
    let raw = [
        // len 8, type 3 (ADDR), a bare in_addr: 10.0.0.1
        0x08, 0x00, 0x03, 0x00, 10, 0, 0, 1,
    ];
    assert_eq!(
        parse(&raw).unwrap(),
        [ServiceAttribute::Address(v4(10, 0, 0, 1))]
    );
}

#[test]
fn address_of_another_size_is_an_error() {
    #[rustfmt::skip]
    let raw = [
        // len 10, type 3 (ADDR), 6 bytes: neither in_addr nor nf_inet_addr
        0x0a, 0x00, 0x03, 0x00, 10, 0, 0, 1, 0, 0, 0x00, 0x00,
    ];
    assert!(parse(&raw).is_err());
}

#[test]
fn ipv6_udp_key_carries_16_address_bytes() {
    #[rustfmt::skip]
    let raw = [
        // len 6, type 1 (AF), 0x000a native = AF_INET6
        0x06, 0x00, 0x01, 0x00, 0x0a, 0x00, 0x00, 0x00,
        // len 6, type 2 (PROTOCOL), 0x0011 native = IPPROTO_UDP
        0x06, 0x00, 0x02, 0x00, 0x11, 0x00, 0x00, 0x00,
        // len 20, type 3 (ADDR), 2001:db8::1
        0x14, 0x00, 0x03, 0x00, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
        // len 6, type 4 (PORT), 0x0035 big-endian = 53
        0x06, 0x00, 0x04, 0x00, 0x00, 0x35, 0x00, 0x00,
    ];
    let key = ServiceKey::udp(addr("[2001:db8::1]:53"));
    assert_eq!(emit(&key.to_attributes()), raw);
    let parsed = parse(&raw).unwrap();
    assert_eq!(parsed, key.to_attributes());
}

#[test]
fn fwmark_key_is_family_and_mark_only() {
    #[rustfmt::skip]
    let raw = [
        // len 6, type 1 (AF), 2 = AF_INET
        0x06, 0x00, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00,
        // len 8, type 5 (FWMARK), 0x00000102 native = 258
        0x08, 0x00, 0x05, 0x00, 0x02, 0x01, 0x00, 0x00,
    ];
    let expected = [ServiceAttribute::Family(2), ServiceAttribute::Fwmark(258)];
    assert_eq!(ServiceKey::fwmark(258).to_attributes(), expected);
    assert_eq!(emit(&expected), raw);
    assert_eq!(parse(&raw).unwrap(), expected);
}

#[test]
fn ipv6_fwmark_key_has_family_inet6() {
    let key = ServiceKey::Fwmark {
        family: AddressFamily::Inet6,
        mark: 1,
    };
    #[rustfmt::skip]
    let raw = [
        // len 6, type 1 (AF), 10 = AF_INET6
        0x06, 0x00, 0x01, 0x00, 0x0a, 0x00, 0x00, 0x00,
        // len 8, type 5 (FWMARK), 1
        0x08, 0x00, 0x05, 0x00, 0x01, 0x00, 0x00, 0x00,
    ];
    assert_eq!(emit(&key.to_attributes()), raw);
}

#[test]
fn scheduler_is_nul_terminated_and_padded() {
    #[rustfmt::skip]
    let raw = [
        // len 7, type 6 (SCHED_NAME), "rr\0", 1 byte padding
        0x07, 0x00, 0x06, 0x00, b'r', b'r', 0x00, 0x00,
    ];
    let expected = [ServiceAttribute::Scheduler("rr".into())];
    assert_eq!(emit(&expected), raw);
    assert_eq!(parse(&raw).unwrap(), expected);
}

#[test]
fn scheduler_without_nul_is_read_whole() {
    #[rustfmt::skip]
    let raw = [
        // len 7, type 6 (SCHED_NAME), "wlc" with no NUL, 1 byte padding
        0x07, 0x00, 0x06, 0x00, b'w', b'l', b'c', 0x00,
    ];
    assert_eq!(
        parse(&raw).unwrap(),
        [ServiceAttribute::Scheduler("wlc".into())]
    );
}

#[test]
fn flags_are_value_then_mask() {
    #[rustfmt::skip]
    let raw = [
        // len 12, type 7 (FLAGS), flags 0x00000005 then mask 0xffffffff, native
        0x0c, 0x00, 0x07, 0x00, 0x05, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff,
    ];
    let expected = [ServiceAttribute::Flags {
        flags: 5,
        mask: u32::MAX,
    }];
    assert_eq!(emit(&expected), raw);
    assert_eq!(parse(&raw).unwrap(), expected);
}

#[test]
fn full_ipv4_service_for_add() {
    let mut service = Service::new(ServiceKey::tcp(addr("10.0.0.1:80")), "rr").persistent(300);
    service.netmask = Netmask::V4(Ipv4Addr::new(255, 255, 255, 0));
    let mut raw = TCP_KEY.to_vec();
    #[rustfmt::skip]
    let tail = [
        // len 7, type 6 (SCHED_NAME), "rr\0", 1 byte padding
        0x07, 0x00, 0x06, 0x00, b'r', b'r', 0x00, 0x00,
        // len 12, type 7 (FLAGS), flags 1 (PERSISTENT), mask 0xffffffff
        0x0c, 0x00, 0x07, 0x00, 0x01, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff,
        // len 8, type 8 (TIMEOUT), 0x0000012c native = 300
        0x08, 0x00, 0x08, 0x00, 0x2c, 0x01, 0x00, 0x00,
        // len 8, type 9 (NETMASK), 255.255.255.0 as octets in network order
        0x08, 0x00, 0x09, 0x00, 0xff, 0xff, 0xff, 0x00,
    ];
    raw.extend_from_slice(&tail);
    let mut expected = tcp_key_attributes();
    expected.extend([
        ServiceAttribute::Scheduler("rr".into()),
        ServiceAttribute::Flags {
            flags: 1,
            mask: u32::MAX,
        },
        ServiceAttribute::Timeout(300),
        ServiceAttribute::Netmask([255, 255, 255, 0]),
    ]);
    assert_eq!(service.to_attributes(), expected);
    assert_eq!(emit(&service.to_attributes()), raw);
    assert_eq!(parse(&raw).unwrap(), expected);
}

#[test]
fn default_ipv4_netmask_is_all_ones() {
    let service = Service::new(ServiceKey::fwmark(1), "wlc");
    #[rustfmt::skip]
    let raw = [
        // len 8, type 9 (NETMASK), 255.255.255.255
        0x08, 0x00, 0x09, 0x00, 0xff, 0xff, 0xff, 0xff,
    ];
    let attributes = service.to_attributes();
    assert_eq!(
        attributes.last(),
        Some(&ServiceAttribute::Netmask([255, 255, 255, 255]))
    );
    assert_eq!(emit(&attributes[attributes.len() - 1..]), raw);
}

#[test]
fn ipv4_netmask_is_mask_octets_in_network_order() {
    #[rustfmt::skip]
    let raw = [
        // len 8, type 9 (NETMASK), 255.255.240.0: ff ff f0 00 whatever the host order
        0x08, 0x00, 0x09, 0x00, 0xff, 0xff, 0xf0, 0x00,
    ];
    let mut service = Service::new(ServiceKey::fwmark(1), "wlc");
    service.netmask = Netmask::V4(Ipv4Addr::new(255, 255, 240, 0));
    let attributes = service.to_attributes();
    assert_eq!(emit(&attributes[attributes.len() - 1..]), raw);

    let mut read = vec![ServiceAttribute::Family(2), ServiceAttribute::Fwmark(1)];
    read.extend(parse(&raw).unwrap());
    let entry = ServiceEntry::from_attributes(&read).unwrap();
    assert_eq!(
        entry.service.netmask,
        Netmask::V4(Ipv4Addr::new(255, 255, 240, 0))
    );
}

#[test]
fn ipv6_netmask_is_native_prefix_length() {
    #[rustfmt::skip]
    let raw = [
        // len 8, type 9 (NETMASK), 0x00000040 native = prefix length 64
        0x08, 0x00, 0x09, 0x00, 0x40, 0x00, 0x00, 0x00,
    ];
    let mut service = Service::new(ServiceKey::tcp(addr("[2001:db8::1]:443")), "wlc");
    service.netmask = Netmask::V6(64);
    let attributes = service.to_attributes();
    assert_eq!(
        attributes.last(),
        Some(&ServiceAttribute::Netmask([0x40, 0, 0, 0]))
    );
    assert_eq!(emit(&attributes[attributes.len() - 1..]), raw);

    let mut read = vec![ServiceAttribute::Family(10), ServiceAttribute::Fwmark(1)];
    read.extend(parse(&raw).unwrap());
    let entry = ServiceEntry::from_attributes(&read).unwrap();
    assert_eq!(entry.service.netmask, Netmask::V6(64));
}

#[test]
fn default_ipv6_netmask_is_prefix_128() {
    let service = Service::new(ServiceKey::tcp(addr("[2001:db8::1]:443")), "wlc");
    assert_eq!(
        service.to_attributes().last(),
        // 128 = 0x00000080 native
        Some(&ServiceAttribute::Netmask([0x80, 0, 0, 0]))
    );
}

#[test]
fn ipv6_netmask_prefix_above_255_is_an_error() {
    let read = [
        ServiceAttribute::Family(10),
        ServiceAttribute::Fwmark(1),
        // 0x00000100 native = 256
        ServiceAttribute::Netmask([0x00, 0x01, 0x00, 0x00]),
    ];
    assert!(ServiceEntry::from_attributes(&read).is_err());
}

#[test]
fn persistence_engine_is_a_nul_terminated_string() {
    #[rustfmt::skip]
    let raw = [
        // len 8, type 11 (PE_NAME), "sip\0"
        0x08, 0x00, 0x0b, 0x00, b's', b'i', b'p', 0x00,
    ];
    let expected = [ServiceAttribute::PersistenceEngine("sip".into())];
    assert_eq!(emit(&expected), raw);
    assert_eq!(parse(&raw).unwrap(), expected);
}

#[test]
fn persistence_engine_is_emitted_last_and_only_when_set() {
    let mut service = Service::new(ServiceKey::udp(addr("10.0.0.1:5060")), "rr").persistent(60);
    assert!(!service
        .to_attributes()
        .iter()
        .any(|a| matches!(a, ServiceAttribute::PersistenceEngine(_))));
    service.persistence_engine = Some("sip".into());
    assert_eq!(
        service.to_attributes().last(),
        Some(&ServiceAttribute::PersistenceEngine("sip".into()))
    );
}

#[test]
fn hashed_flag_is_masked_on_read() {
    #[rustfmt::skip]
    let raw = [
        // len 12, type 7 (FLAGS), flags 0x3 = PERSISTENT | HASHED, mask 0xffffffff
        0x0c, 0x00, 0x07, 0x00, 0x03, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff,
    ];
    // The attribute keeps what the kernel sent ...
    let flags = parse(&raw).unwrap();
    assert_eq!(
        flags,
        [ServiceAttribute::Flags {
            flags: 3,
            mask: u32::MAX
        }]
    );
    // ... the service does not show HASHED.
    let mut read = vec![ServiceAttribute::Family(2), ServiceAttribute::Fwmark(1)];
    read.extend(flags);
    let entry = ServiceEntry::from_attributes(&read).unwrap();
    assert_eq!(entry.service.flags, ServiceFlags::PERSISTENT);
    assert_eq!(entry.service.flags.bits(), 1);
    assert_eq!(ServiceFlags::from_bits(0x2), ServiceFlags::empty());
}

#[test]
fn flags_shorter_than_8_bytes_are_an_error() {
    #[rustfmt::skip]
    let raw = [
        // len 8, type 7 (FLAGS), only the 4-byte flags, no mask
        0x08, 0x00, 0x07, 0x00, 0x01, 0x00, 0x00, 0x00,
    ];
    assert!(parse(&raw).is_err());
}

#[test]
fn netmask_of_wrong_size_is_an_error() {
    #[rustfmt::skip]
    let short = [
        // len 6, type 9 (NETMASK), 2 bytes, 2 bytes padding
        0x06, 0x00, 0x09, 0x00, 0xff, 0xff, 0x00, 0x00,
    ];
    #[rustfmt::skip]
    let long = [
        // len 12, type 9 (NETMASK), 8 bytes
        0x0c, 0x00, 0x09, 0x00, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0x00,
    ];
    assert!(parse(&short).is_err());
    assert!(parse(&long).is_err());
}

/// A `GET_SERVICE` reply for `tcp 10.0.0.1:80 wlc` as 6.1 sends it: the
/// nests have no `NLA_F_NESTED`, flags include HASHED, STATS then STATS64.
#[rustfmt::skip]
const KERNEL_TCP_SERVICE: &[u8] = &[
    // len 6, type 1 (AF), 2 = AF_INET
    0x06, 0x00, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00,
    // len 6, type 2 (PROTOCOL), 6 = TCP
    0x06, 0x00, 0x02, 0x00, 0x06, 0x00, 0x00, 0x00,
    // len 20, type 3 (ADDR), 10.0.0.1 padded to 16 bytes
    0x14, 0x00, 0x03, 0x00, 10, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    // len 6, type 4 (PORT), 0x0050 big-endian = 80
    0x06, 0x00, 0x04, 0x00, 0x00, 0x50, 0x00, 0x00,
    // len 8, type 6 (SCHED_NAME), "wlc\0"
    0x08, 0x00, 0x06, 0x00, b'w', b'l', b'c', 0x00,
    // len 12, type 7 (FLAGS), flags 0x2 (HASHED only), mask 0xffffffff
    0x0c, 0x00, 0x07, 0x00, 0x02, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff,
    // len 8, type 8 (TIMEOUT), 0
    0x08, 0x00, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00,
    // len 8, type 9 (NETMASK), 255.255.255.255
    0x08, 0x00, 0x09, 0x00, 0xff, 0xff, 0xff, 0xff,
    // len 20, type 10 (STATS), no NLA_F_NESTED
    0x14, 0x00, 0x0a, 0x00,
    //   len 8, type 1 (CONNS), u32 5
    0x08, 0x00, 0x01, 0x00, 0x05, 0x00, 0x00, 0x00,
    //   len 8, type 2 (INPKTS), u32 9
    0x08, 0x00, 0x02, 0x00, 0x09, 0x00, 0x00, 0x00,
    // len 28, type 12 (STATS64), no NLA_F_NESTED
    0x1c, 0x00, 0x0c, 0x00,
    //   len 12, type 1 (CONNS), u64 7
    0x0c, 0x00, 0x01, 0x00, 0x07, 0, 0, 0, 0, 0, 0, 0,
    //   len 12, type 2 (INPKTS), u64 0x1_0000_0002
    0x0c, 0x00, 0x02, 0x00, 0x02, 0, 0, 0, 0x01, 0, 0, 0,
];

#[test]
fn address_service_entry_from_kernel_reply() {
    let attributes = parse(KERNEL_TCP_SERVICE).unwrap();
    let entry = ServiceEntry::from_attributes(&attributes).unwrap();
    assert_eq!(
        entry.service,
        Service {
            key: ServiceKey::Address {
                protocol: Protocol::Tcp,
                address: addr("10.0.0.1:80"),
            },
            scheduler: "wlc".into(),
            flags: ServiceFlags::empty(),
            timeout: 0,
            netmask: Netmask::V4(Ipv4Addr::BROADCAST),
            persistence_engine: None,
        }
    );
}

#[test]
fn stats64_is_preferred_over_stats() {
    let attributes = parse(KERNEL_TCP_SERVICE).unwrap();
    let entry = ServiceEntry::from_attributes(&attributes).unwrap();
    assert_eq!(
        entry.stats,
        Stats {
            connections: 7,
            packets_in: 0x1_0000_0002,
            ..Stats::default()
        }
    );

    // Whatever the order.
    let mut reversed = attributes.clone();
    reversed.reverse();
    assert_eq!(
        ServiceEntry::from_attributes(&reversed).unwrap().stats,
        entry.stats
    );
}

#[test]
fn stats_are_used_without_stats64() {
    let attributes: Vec<_> = parse(KERNEL_TCP_SERVICE)
        .unwrap()
        .into_iter()
        .filter(|a| !matches!(a, ServiceAttribute::Stats64(_)))
        .collect();
    let entry = ServiceEntry::from_attributes(&attributes).unwrap();
    assert_eq!(entry.stats.connections, 5);
    assert_eq!(entry.stats.packets_in, 9);
}

#[test]
fn fwmark_service_entry_without_protocol_address_port() {
    #[rustfmt::skip]
    let raw = [
        // len 6, type 1 (AF), 10 = AF_INET6
        0x06, 0x00, 0x01, 0x00, 0x0a, 0x00, 0x00, 0x00,
        // len 8, type 5 (FWMARK), 42
        0x08, 0x00, 0x05, 0x00, 0x2a, 0x00, 0x00, 0x00,
        // len 7, type 6 (SCHED_NAME), "sh\0", 1 byte padding
        0x07, 0x00, 0x06, 0x00, b's', b'h', 0x00, 0x00,
        // len 12, type 7 (FLAGS), 0x13 = PERSISTENT | HASHED | SCHED2, mask 0xffffffff
        0x0c, 0x00, 0x07, 0x00, 0x13, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff,
        // len 8, type 8 (TIMEOUT), 0x00000708 = 1800
        0x08, 0x00, 0x08, 0x00, 0x08, 0x07, 0x00, 0x00,
        // len 8, type 9 (NETMASK), prefix 128 native
        0x08, 0x00, 0x09, 0x00, 0x80, 0x00, 0x00, 0x00,
        // len 8, type 11 (PE_NAME), "sip\0"
        0x08, 0x00, 0x0b, 0x00, b's', b'i', b'p', 0x00,
    ];
    let entry = ServiceEntry::from_attributes(&parse(&raw).unwrap()).unwrap();
    assert_eq!(
        entry.service,
        Service {
            key: ServiceKey::Fwmark {
                family: AddressFamily::Inet6,
                mark: 42,
            },
            scheduler: "sh".into(),
            flags: ServiceFlags::PERSISTENT | ServiceFlags::SCHED2,
            timeout: 1800,
            netmask: Netmask::V6(128),
            persistence_engine: Some("sip".into()),
        }
    );
    assert_eq!(entry.stats, Stats::default());
}

#[test]
fn service_without_family_is_an_error() {
    let read = [ServiceAttribute::Fwmark(1)];
    assert!(ServiceEntry::from_attributes(&read).is_err());
}

#[test]
fn service_with_neither_fwmark_nor_address_is_an_error() {
    let read = [ServiceAttribute::Family(2), ServiceAttribute::Protocol(6)];
    assert!(ServiceEntry::from_attributes(&read).is_err());
}

#[test]
fn stats_nests_are_emitted_with_nested_flag() {
    #[rustfmt::skip]
    let raw = [
        // len 16, type 0x800c (STATS64 | NLA_F_NESTED)
        0x10, 0x00, 0x0c, 0x80,
        //   len 12, type 1 (CONNS), u64 3
        0x0c, 0x00, 0x01, 0x00, 0x03, 0, 0, 0, 0, 0, 0, 0,
        // len 12, type 0x800a (STATS | NLA_F_NESTED)
        0x0c, 0x00, 0x0a, 0x80,
        //   len 8, type 1 (CONNS), u32 3
        0x08, 0x00, 0x01, 0x00, 0x03, 0x00, 0x00, 0x00,
    ];
    let expected = [
        ServiceAttribute::Stats64(vec![counter(Counter::Connections, 3, true)]),
        ServiceAttribute::Stats(vec![counter(Counter::Connections, 3, false)]),
    ];
    assert_eq!(emit(&expected), raw);
    assert_eq!(parse(&raw).unwrap(), expected);
}

#[test]
fn nested_flag_is_optional_on_read() {
    #[rustfmt::skip]
    let with_flag = [
        // len 12, type 0x800a (STATS | NLA_F_NESTED)
        0x0c, 0x00, 0x0a, 0x80,
        //   len 8, type 1 (CONNS), u32 3
        0x08, 0x00, 0x01, 0x00, 0x03, 0x00, 0x00, 0x00,
    ];
    #[rustfmt::skip]
    let without_flag = [
        // len 12, type 0x000a (STATS), as the kernel sends it
        0x0c, 0x00, 0x0a, 0x00,
        //   len 8, type 1 (CONNS), u32 3
        0x08, 0x00, 0x01, 0x00, 0x03, 0x00, 0x00, 0x00,
    ];
    let expected = [ServiceAttribute::Stats(vec![counter(
        Counter::Connections,
        3,
        false,
    )])];
    assert_eq!(parse(&with_flag).unwrap(), expected);
    assert_eq!(parse(&without_flag).unwrap(), expected);
}

#[test]
fn unknown_attribute_is_kept_as_other() {
    #[rustfmt::skip]
    let raw = [
        // len 8, type 99 (unknown), 01 02 03 04
        0x08, 0x00, 0x63, 0x00, 0x01, 0x02, 0x03, 0x04,
        // len 5, type 0x8064 (unknown, NLA_F_NESTED), 1 byte, 3 bytes padding
        0x05, 0x00, 0x64, 0x80, 0xab, 0x00, 0x00, 0x00,
    ];
    let expected = [
        ServiceAttribute::Other(DefaultNla::new(99, vec![1, 2, 3, 4])),
        ServiceAttribute::Other(DefaultNla::new(100 | 0x8000, vec![0xab])),
    ];
    assert_eq!(parse(&raw).unwrap(), expected);
    assert_eq!(emit(&expected), raw);
}

#[test]
fn truncated_attribute_is_an_error_not_a_panic() {
    #[rustfmt::skip]
    let raw = [
        // len 20, type 3 (ADDR), but only 4 bytes follow
        0x14, 0x00, 0x03, 0x00, 10, 0, 0, 1,
    ];
    assert!(parse(&raw).is_err());
}
