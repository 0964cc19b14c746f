// SPDX-License-Identifier: MIT OR Apache-2.0
//! The generic-netlink controller's answer to the family lookup, read with
//! this crate's checked attribute reader ([`crate::wire::Attributes`]).
//!
//! `netlink-packet-generic` 0.5 decodes that answer itself, and panics on
//! a malformed `CTRL_ATTR_POLICY` (it reads the nested attribute with an
//! unchecked buffer: an out-of-range slice). Only the family id is needed
//! here, so every other attribute is skipped unread; a malformed answer is
//! a [`DecodeError`], never a panic.

use netlink_packet_core::{parse_u16, DecodeError, ParseableParametrized, NLA_TYPE_MASK};
use netlink_packet_generic::GenlHeader;

use crate::wire::Attributes;

/// `CTRL_ATTR_FAMILY_ID` (`include/uapi/linux/genetlink.h`).
const CTRL_ATTR_FAMILY_ID: u16 = 1;

/// What the family lookup answered: the family's id, if the answer held one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FamilyReply {
    /// `CTRL_ATTR_FAMILY_ID`.
    pub(crate) id: Option<u16>,
}

impl ParseableParametrized<[u8], GenlHeader> for FamilyReply {
    fn parse_with_param(buf: &[u8], _: GenlHeader) -> Result<Self, DecodeError> {
        let mut id = None;
        for attribute in Attributes::new(buf) {
            let (kind, value) = attribute?;
            if kind & NLA_TYPE_MASK == CTRL_ATTR_FAMILY_ID {
                id = Some(parse_u16(value)?);
            }
        }
        Ok(Self { id })
    }
}

#[cfg(all(test, target_endian = "little"))]
pub(crate) mod tests {
    use netlink_packet_core::{NetlinkDeserializable, NetlinkHeader};
    use netlink_packet_generic::GenlMessage;

    use super::*;

    /// The controller's answer: genl header (CTRL_CMD_NEWFAMILY, version
    /// 2), then the family name and id as the kernel sends them.
    #[rustfmt::skip]
    pub(crate) const GOOD: [u8; 24] = [
        0x01, 0x02, 0x00, 0x00,
        // len 9, CTRL_ATTR_FAMILY_NAME "IPVS\0", 3 bytes padding
        0x09, 0x00, 0x02, 0x00, b'I', b'P', b'V', b'S', 0x00, 0x00, 0x00, 0x00,
        // len 6, CTRL_ATTR_FAMILY_ID 0x1c, 2 bytes padding
        0x06, 0x00, 0x01, 0x00, 0x1c, 0x00, 0x00, 0x00,
    ];

    /// An answer with a `CTRL_ATTR_POLICY` (8) whose nested attribute says
    /// it is 0x40 bytes long in 4: netlink-packet-generic 0.5 panics on it
    /// (`range end index 64 out of range for slice of length 4`).
    #[rustfmt::skip]
    pub(crate) const MALFORMED_POLICY: [u8; 36] = [
        0x01, 0x02, 0x00, 0x00,
        // len 6, CTRL_ATTR_FAMILY_ID 0x1c
        0x06, 0x00, 0x01, 0x00, 0x1c, 0x00, 0x00, 0x00,
        // len 8, CTRL_ATTR_POLICY (nested): an attribute header claiming 0x40 bytes
        0x08, 0x00, 0x08, 0x80, 0x40, 0x00, 0x01, 0x80,
        // len 16, CTRL_ATTR_POLICY again, inner attribute of length 0xffff
        0x10, 0x00, 0x08, 0x80, 0xff, 0xff, 0x01, 0x80,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    ];

    fn decode(payload: &[u8]) -> Result<GenlMessage<FamilyReply>, DecodeError> {
        GenlMessage::<FamilyReply>::deserialize(&NetlinkHeader::default(), payload)
    }

    #[test]
    fn the_family_id_is_read() {
        assert_eq!(decode(&GOOD).unwrap().payload.id, Some(0x1c));
    }

    #[test]
    fn a_malformed_policy_attribute_is_skipped_not_a_panic() {
        // What the crate this replaces did with the same bytes.
        let upstream = std::panic::catch_unwind(|| {
            GenlMessage::<netlink_packet_generic::ctrl::GenlCtrl>::deserialize(
                &NetlinkHeader::default(),
                &MALFORMED_POLICY,
            )
        });
        assert!(
            upstream.is_err(),
            "netlink-packet-generic no longer panics here"
        );
        assert_eq!(decode(&MALFORMED_POLICY).unwrap().payload.id, Some(0x1c));
    }

    #[test]
    fn a_datagram_with_the_malformed_answer_gives_the_id() {
        // As the lookup reads it: a netlink header (type 0x10, the
        // controller), then the answer.
        let mut datagram = vec![0u8; 16];
        let length = (16 + MALFORMED_POLICY.len()) as u32;
        datagram[..4].copy_from_slice(&length.to_ne_bytes());
        datagram[4..6].copy_from_slice(&0x10u16.to_ne_bytes());
        datagram[8..12].copy_from_slice(&7u32.to_ne_bytes());
        datagram.extend_from_slice(&MALFORMED_POLICY);
        let replies: Vec<_> = crate::reply::Replies::<GenlMessage<FamilyReply>>::new(&datagram)
            .collect::<Result<_, _>>()
            .unwrap();
        match replies.as_slice() {
            [(7, crate::reply::Reply::Message(m))] => assert_eq!(m.payload.id, Some(0x1c)),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn short_and_broken_answers_are_errors() {
        assert!(decode(&[]).is_err(), "no genl header");
        assert!(decode(&GOOD[..2]).is_err(), "half a genl header");
        // An attribute longer than the answer.
        assert!(decode(&GOOD[..10]).is_err());
        // A family id of one byte.
        let mut short_id = GOOD;
        short_id[16] = 0x05;
        assert!(decode(&short_id).is_err());
        // Only the genl header: no id, no error.
        assert_eq!(decode(&GOOD[..4]).unwrap().payload.id, None);
    }
}
