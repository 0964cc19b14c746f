// SPDX-License-Identifier: MIT OR Apache-2.0
//! Byte vectors for `IPVS_STATS_ATTR_*`, written by hand from
//! `include/uapi/linux/ip_vs.h`. Native-endian fields are spelled out for a
//! little-endian host.
#![cfg(target_endian = "little")]

use netlink_packet_core::{DecodeError, DefaultNla, Emitable, NlasIterator, Parseable};

use super::*;

fn emit(attributes: &[StatsAttribute]) -> Vec<u8> {
    // Garbage first, so padding the emitter forgets to clear shows up.
    let mut buffer = vec![0xee; attributes.buffer_len()];
    attributes.emit(&mut buffer);
    buffer
}

fn parse(raw: &[u8]) -> Result<Vec<StatsAttribute>, DecodeError> {
    NlasIterator::new(raw)
        .map(|nla| nla.and_then(|nla| StatsAttribute::parse(&nla)))
        .collect()
}

fn narrow(counter: Counter, value: u64) -> StatsAttribute {
    StatsAttribute::Value {
        counter,
        value,
        wide: false,
    }
}

fn wide(counter: Counter, value: u64) -> StatsAttribute {
    StatsAttribute::Value {
        counter,
        value,
        wide: true,
    }
}

/// The content of an `IPVS_*_ATTR_STATS` nest: u32 counters and rates,
/// u64 byte counts, each u64 after a PAD as `nla_put_u64_64bit` adds
/// where the value would be unaligned.
#[rustfmt::skip]
const STATS: &[u8] = &[
    // len 8, type 1 (CONNS), u32 10
    0x08, 0x00, 0x01, 0x00, 0x0a, 0x00, 0x00, 0x00,
    // len 8, type 2 (INPKTS), u32 0x3e8 = 1000
    0x08, 0x00, 0x02, 0x00, 0xe8, 0x03, 0x00, 0x00,
    // len 8, type 3 (OUTPKTS), u32 0x384 = 900
    0x08, 0x00, 0x03, 0x00, 0x84, 0x03, 0x00, 0x00,
    // len 4, type 11 (PAD), no value
    0x04, 0x00, 0x0b, 0x00,
    // len 12, type 4 (INBYTES), u64 0x1_0000_0010
    0x0c, 0x00, 0x04, 0x00, 0x10, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
    // len 4, type 11 (PAD), no value
    0x04, 0x00, 0x0b, 0x00,
    // len 12, type 5 (OUTBYTES), u64 0x1e240 = 123456
    0x0c, 0x00, 0x05, 0x00, 0x40, 0xe2, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00,
    // len 8, type 6 (CPS), u32 2
    0x08, 0x00, 0x06, 0x00, 0x02, 0x00, 0x00, 0x00,
    // len 8, type 7 (INPPS), u32 3
    0x08, 0x00, 0x07, 0x00, 0x03, 0x00, 0x00, 0x00,
    // len 8, type 8 (OUTPPS), u32 4
    0x08, 0x00, 0x08, 0x00, 0x04, 0x00, 0x00, 0x00,
    // len 8, type 9 (INBPS), u32 0x500 = 1280
    0x08, 0x00, 0x09, 0x00, 0x00, 0x05, 0x00, 0x00,
    // len 8, type 10 (OUTBPS), u32 0xffffffff
    0x08, 0x00, 0x0a, 0x00, 0xff, 0xff, 0xff, 0xff,
];

fn stats_attributes() -> Vec<StatsAttribute> {
    vec![
        narrow(Counter::Connections, 10),
        narrow(Counter::PacketsIn, 1000),
        narrow(Counter::PacketsOut, 900),
        StatsAttribute::Pad(vec![]),
        wide(Counter::BytesIn, 0x1_0000_0010),
        StatsAttribute::Pad(vec![]),
        wide(Counter::BytesOut, 123_456),
        narrow(Counter::ConnectionRate, 2),
        narrow(Counter::PacketRateIn, 3),
        narrow(Counter::PacketRateOut, 4),
        narrow(Counter::ByteRateIn, 1280),
        narrow(Counter::ByteRateOut, 0xffff_ffff),
    ]
}

#[test]
fn stats_nest_mixes_u32_and_u64_with_pad() {
    assert_eq!(parse(STATS).unwrap(), stats_attributes());
    assert_eq!(emit(&stats_attributes()), STATS);
}

#[test]
fn stats_nest_fills_every_counter() {
    assert_eq!(
        Stats::from_attributes(&parse(STATS).unwrap()),
        Stats {
            connections: 10,
            packets_in: 1000,
            packets_out: 900,
            bytes_in: 0x1_0000_0010,
            bytes_out: 123_456,
            connection_rate: 2,
            packet_rate_in: 3,
            packet_rate_out: 4,
            byte_rate_in: 1280,
            byte_rate_out: 0xffff_ffff,
        }
    );
}

/// The content of an `IPVS_*_ATTR_STATS64` nest: every value u64.
#[rustfmt::skip]
const STATS64: &[u8] = &[
    // len 12, type 1 (CONNS), u64 0x1_0000_0001
    0x0c, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
    // len 12, type 2 (INPKTS), u64 2
    0x0c, 0x00, 0x02, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    // len 12, type 3 (OUTPKTS), u64 3
    0x0c, 0x00, 0x03, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    // len 12, type 4 (INBYTES), u64 0x0102030405060708
    0x0c, 0x00, 0x04, 0x00, 0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01,
    // len 12, type 5 (OUTBYTES), u64 u64::MAX
    0x0c, 0x00, 0x05, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    // len 12, type 6 (CPS), u64 6
    0x0c, 0x00, 0x06, 0x00, 0x06, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    // len 12, type 7 (INPPS), u64 7
    0x0c, 0x00, 0x07, 0x00, 0x07, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    // len 12, type 8 (OUTPPS), u64 8
    0x0c, 0x00, 0x08, 0x00, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    // len 12, type 9 (INBPS), u64 0x2_0000_0000
    0x0c, 0x00, 0x09, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00,
    // len 12, type 10 (OUTBPS), u64 10
    0x0c, 0x00, 0x0a, 0x00, 0x0a, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
];

#[test]
fn stats64_nest_is_all_u64() {
    let expected = vec![
        wide(Counter::Connections, 0x1_0000_0001),
        wide(Counter::PacketsIn, 2),
        wide(Counter::PacketsOut, 3),
        wide(Counter::BytesIn, 0x0102_0304_0506_0708),
        wide(Counter::BytesOut, u64::MAX),
        wide(Counter::ConnectionRate, 6),
        wide(Counter::PacketRateIn, 7),
        wide(Counter::PacketRateOut, 8),
        wide(Counter::ByteRateIn, 0x2_0000_0000),
        wide(Counter::ByteRateOut, 10),
    ];
    assert_eq!(parse(STATS64).unwrap(), expected);
    assert_eq!(emit(&expected), STATS64);
    assert_eq!(
        Stats::from_attributes(&expected),
        Stats {
            connections: 0x1_0000_0001,
            packets_in: 2,
            packets_out: 3,
            bytes_in: 0x0102_0304_0506_0708,
            bytes_out: u64::MAX,
            connection_rate: 6,
            packet_rate_in: 7,
            packet_rate_out: 8,
            byte_rate_in: 0x2_0000_0000,
            byte_rate_out: 10,
        }
    );
}

#[test]
fn pad_with_bytes_round_trips() {
    #[rustfmt::skip]
    let raw = [
        // len 8, type 11 (PAD), 4 zero bytes
        0x08, 0x00, 0x0b, 0x00, 0x00, 0x00, 0x00, 0x00,
    ];
    let expected = [StatsAttribute::Pad(vec![0, 0, 0, 0])];
    assert_eq!(parse(&raw).unwrap(), expected);
    assert_eq!(emit(&expected), raw);
    assert_eq!(Stats::from_attributes(&expected), Stats::default());
}

#[test]
fn counter_of_odd_size_is_an_error() {
    #[rustfmt::skip]
    let raw = [
        // len 6, type 1 (CONNS), 2 bytes: neither u32 nor u64
        0x06, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00,
    ];
    assert!(parse(&raw).is_err());
}

#[test]
fn unknown_stats_attribute_is_kept_as_other() {
    #[rustfmt::skip]
    let raw = [
        // len 8, type 12 (unknown, after PAD), u32 5
        0x08, 0x00, 0x0c, 0x00, 0x05, 0x00, 0x00, 0x00,
    ];
    let expected = [StatsAttribute::Other(DefaultNla::new(12, vec![5, 0, 0, 0]))];
    assert_eq!(parse(&raw).unwrap(), expected);
    assert_eq!(emit(&expected), raw);
    assert_eq!(Stats::from_attributes(&expected), Stats::default());
}

#[test]
fn narrow_value_is_emitted_as_u32() {
    #[rustfmt::skip]
    let raw = [
        // len 8, type 6 (CPS), u32 0x12345678
        0x08, 0x00, 0x06, 0x00, 0x78, 0x56, 0x34, 0x12,
    ];
    assert_eq!(emit(&[narrow(Counter::ConnectionRate, 0x1234_5678)]), raw);
}
