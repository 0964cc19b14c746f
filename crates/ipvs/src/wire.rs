// SPDX-License-Identifier: MIT OR Apache-2.0
//! Small helpers shared by the attribute sets: strings, big-endian ports and
//! nested attribute lists.

use netlink_packet_core::{
    DecodeError, DefaultNla, Emitable, NlaBuffer, NLA_F_NESTED, NLA_F_NET_BYTEORDER, NLA_TYPE_MASK,
};

/// An attribute set that can be read from `(type, value)` pairs.
pub(crate) trait FromAttribute: Sized {
    /// Reads one attribute. `kind` has the flag bits masked off; `raw_kind`
    /// keeps them, for attributes kept as [`DefaultNla`].
    fn from_attribute(kind: u16, raw_kind: u16, value: &[u8]) -> Result<Self, DecodeError>;
}

/// Iterates over the attributes of a buffer without copying: `(type with
/// flags, value)`. Hand-rolled because dumps of 10,000 destinations read
/// 350,000 attributes and every instruction counts there.
pub(crate) struct Attributes<'a> {
    rest: &'a [u8],
}

impl<'a> Attributes<'a> {
    pub(crate) fn new(buffer: &'a [u8]) -> Self {
        Self { rest: buffer }
    }
}

impl<'a> Iterator for Attributes<'a> {
    type Item = Result<(u16, &'a [u8]), DecodeError>;

    fn next(&mut self) -> Option<Self::Item> {
        let rest = self.rest;
        if rest.len() < 4 {
            // Fewer bytes than a header: alignment padding at the end.
            return None;
        }
        let length = usize::from(u16::from_ne_bytes([rest[0], rest[1]]));
        let kind = u16::from_ne_bytes([rest[2], rest[3]]);
        if length < 4 || length > rest.len() {
            self.rest = &[];
            return Some(Err(format!(
                "attribute {} of length {length} in {} bytes",
                kind & NLA_TYPE_MASK,
                rest.len()
            )
            .into()));
        }
        self.rest = &rest[((length + 3) & !3).min(rest.len())..];
        Some(Ok((kind, &rest[4..length])))
    }
}

/// Parses every attribute of a buffer.
pub(crate) fn parse_all<T: FromAttribute>(buffer: &[u8]) -> Result<Vec<T>, DecodeError> {
    let mut attributes = Vec::with_capacity(16);
    for attribute in Attributes::new(buffer) {
        let (raw_kind, value) = attribute?;
        attributes.push(T::from_attribute(
            raw_kind & NLA_TYPE_MASK,
            raw_kind,
            value,
        )?);
    }
    Ok(attributes)
}

/// Parses every attribute of a nested set.
pub(crate) fn parse_nested<T: FromAttribute>(value: &[u8]) -> Result<Vec<T>, DecodeError> {
    parse_all(value)
}

/// Reads an attribute from `netlink-packet-core`'s buffer type.
pub(crate) fn parse_buffer<T: FromAttribute, B: AsRef<[u8]> + ?Sized>(
    buffer: &NlaBuffer<&B>,
) -> Result<T, DecodeError> {
    let mut raw_kind = buffer.kind();
    if buffer.nested_flag() {
        raw_kind |= NLA_F_NESTED;
    }
    if buffer.network_byte_order_flag() {
        raw_kind |= NLA_F_NET_BYTEORDER;
    }
    T::from_attribute(buffer.kind(), raw_kind, buffer.value())
}

/// An attribute kept as it is.
pub(crate) fn other(raw_kind: u16, value: &[u8]) -> DefaultNla {
    DefaultNla::new(raw_kind, value.to_vec())
}

/// Length of a NUL-terminated string attribute's value.
pub(crate) fn string_len(s: &str) -> usize {
    s.len() + 1
}

/// Writes a string followed by its terminating NUL.
pub(crate) fn emit_string(buffer: &mut [u8], s: &str) {
    buffer[..s.len()].copy_from_slice(s.as_bytes());
    buffer[s.len()] = 0;
}

/// Reads a string attribute, stopping at the first NUL.
pub(crate) fn parse_string(value: &[u8]) -> Result<String, DecodeError> {
    let end = value.iter().position(|&b| b == 0).unwrap_or(value.len());
    String::from_utf8(value[..end].to_vec()).map_err(DecodeError::from)
}

/// Reads a port: ports are in network byte order on the wire (`__be16`).
pub(crate) fn parse_port(value: &[u8]) -> Result<u16, DecodeError> {
    netlink_packet_core::parse_u16_be(value)
}

/// Writes a port in network byte order.
pub(crate) fn emit_port(buffer: &mut [u8], port: u16) {
    buffer[..2].copy_from_slice(&port.to_be_bytes());
}

pub(crate) fn parse_u32(value: &[u8]) -> Result<u32, DecodeError> {
    netlink_packet_core::parse_u32(value)
}

pub(crate) fn parse_u16(value: &[u8]) -> Result<u16, DecodeError> {
    netlink_packet_core::parse_u16(value)
}

pub(crate) fn parse_u8(value: &[u8]) -> Result<u8, DecodeError> {
    netlink_packet_core::parse_u8(value)
}

/// Value length of a nested attribute list.
pub(crate) fn nested_len<T: netlink_packet_core::Nla>(items: &[T]) -> usize {
    items.buffer_len()
}

/// Writes a nested attribute list.
pub(crate) fn emit_nested<T: netlink_packet_core::Nla>(buffer: &mut [u8], items: &[T]) {
    items.emit(buffer)
}
