// SPDX-License-Identifier: MIT OR Apache-2.0
//! Small helpers shared by the attribute sets: strings, big-endian ports and
//! nested attribute lists.

use netlink_packet_core::{DecodeError, Emitable, NlaBuffer, NlasIterator, Parseable};

/// Parses every attribute of a nested set.
pub(crate) fn parse_nested<T>(value: &[u8]) -> Result<Vec<T>, DecodeError>
where
    T: for<'a> Parseable<NlaBuffer<&'a [u8]>>,
{
    NlasIterator::new(value)
        .map(|nla| nla.and_then(|nla| T::parse(&nla)))
        .collect()
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
