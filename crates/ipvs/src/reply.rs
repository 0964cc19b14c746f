// SPDX-License-Identifier: MIT OR Apache-2.0
//! One datagram from the kernel, read as the replies it holds: messages,
//! ACKs, refusals with the kernel's reason (extended ACK), and the end of a
//! dump. Bytes in, no socket: [`crate::exchange`] decides what they mean.

use std::marker::PhantomData;

use netlink_packet_core::{
    NetlinkBuffer, NetlinkDeserializable, NetlinkMessage, NetlinkPayload, NlasIterator,
    NLM_F_CAPPED,
};

use crate::error::{Error, Result};

/// `NLMSGERR_ATTR_MSG`: the extended ACK's text.
const NLMSGERR_ATTR_MSG: u16 = 1;
/// A netlink header: length, type, flags, sequence number, port id.
const HEADER_LEN: usize = 16;

/// One reply, reduced to what an exchange needs.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Reply<I> {
    /// A message: the answer to a GET, or one part of a dump.
    Message(I),
    /// The request succeeded (`NLMSG_ERROR` with code 0).
    Ack,
    /// The request was refused: the positive errno, and the extended ACK's
    /// text when the kernel gave one.
    Failed(i32, Option<String>),
    /// The end of a dump (`NLMSG_DONE`), with its code: 0, or a negative
    /// errno when the dump failed part way.
    Done(i32),
}

impl<I> Reply<I> {
    /// Whether nothing more comes for this request after this reply.
    pub(crate) fn is_last(&self) -> bool {
        !matches!(self, Self::Message(_))
    }
}

/// The replies in one datagram, each with its sequence number. Payloads an
/// exchange has no use for (`NLMSG_NOOP`, `NLMSG_OVERRUN`) are skipped; a
/// reply that cannot be decoded ends the iteration with an error.
pub(crate) struct Replies<'a, I> {
    datagram: &'a [u8],
    offset: usize,
    inner: PhantomData<fn() -> I>,
}

impl<'a, I> Replies<'a, I> {
    pub(crate) fn new(datagram: &'a [u8]) -> Self {
        Self {
            datagram,
            offset: 0,
            inner: PhantomData,
        }
    }

    fn decode_next(&mut self) -> Result<Option<(u32, Reply<I>)>>
    where
        I: NetlinkDeserializable,
        I::Error: std::fmt::Display,
    {
        let bytes = &self.datagram[self.offset..];
        let length = NetlinkBuffer::new_checked(bytes)
            .map_err(Error::decode)?
            .length() as usize;
        let length = length.clamp(HEADER_LEN, bytes.len());
        let message = NetlinkMessage::<I>::deserialize(&bytes[..length]).map_err(Error::decode)?;
        self.offset += (length + 3) & !3;
        let capped = message.header.flags & NLM_F_CAPPED != 0;
        let reply = match message.payload {
            NetlinkPayload::InnerMessage(inner) => Reply::Message(inner),
            NetlinkPayload::Error(error) => match error.code {
                None => Reply::Ack,
                // saturating: a code of i32::MIN (not an errno) must not
                // overflow (found by the fuzz test).
                Some(code) => Reply::Failed(
                    code.get().saturating_neg(),
                    extended_ack_text(&error.header, capped),
                ),
            },
            NetlinkPayload::Done(done) => Reply::Done(done.code),
            _ => return Ok(None),
        };
        Ok(Some((message.header.sequence_number, reply)))
    }
}

impl<I> Iterator for Replies<'_, I>
where
    I: NetlinkDeserializable,
    I::Error: std::fmt::Display,
{
    type Item = Result<(u32, Reply<I>)>;

    fn next(&mut self) -> Option<Self::Item> {
        while self.offset < self.datagram.len() {
            match self.decode_next() {
                Ok(Some(reply)) => return Some(Ok(reply)),
                Ok(None) => continue,
                Err(error) => {
                    self.offset = self.datagram.len();
                    return Some(Err(error));
                }
            }
        }
        None
    }
}

/// The text of an extended ACK (`NLMSGERR_ATTR_MSG`), if any. `payload` is
/// what follows the error code: the request's header (whole request when
/// not capped), then the attributes.
fn extended_ack_text(payload: &[u8], capped: bool) -> Option<String> {
    let request_len = if capped {
        HEADER_LEN
    } else {
        payload
            .get(..4)
            .map(|b| u32::from_ne_bytes([b[0], b[1], b[2], b[3]]) as usize)?
    };
    let attributes = payload.get(((request_len + 3) & !3)..)?;
    NlasIterator::new(attributes)
        .filter_map(|nla| nla.ok())
        .find_map(|nla| {
            (nla.kind() == NLMSGERR_ATTR_MSG).then(|| {
                String::from_utf8_lossy(nla.value())
                    .trim_end_matches('\0')
                    .to_string()
            })
        })
}

#[cfg(all(test, target_endian = "little"))]
pub(crate) mod tests {
    use super::*;

    /// A refused `GET_SERVICE` request, whole.
    #[rustfmt::skip]
    pub(crate) const REQUEST: [u8; 40] = [
        // nlmsg_len 0x28 = 40, nlmsg_type 0x0023 (IPVS), flags 0x0005 (REQUEST | ACK)
        0x28, 0x00, 0x00, 0x00, 0x23, 0x00, 0x05, 0x00,
        // nlmsg_seq 9, nlmsg_pid 0
        0x09, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        // genl: cmd 4 (GET_SERVICE), version 1, reserved 0
        0x04, 0x01, 0x00, 0x00,
        // len 20, type 0x8001 (CMD_ATTR_SERVICE | NLA_F_NESTED)
        0x14, 0x00, 0x01, 0x80,
        //   len 6, type 1 (SVC_ATTR_AF), 2 = AF_INET
        0x06, 0x00, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00,
        //   len 8, type 5 (SVC_ATTR_FWMARK), 7
        0x08, 0x00, 0x05, 0x00, 0x07, 0x00, 0x00, 0x00,
    ];

    /// Extended-ACK attributes: an offset, then the message.
    #[rustfmt::skip]
    const ACK_TLVS: [u8; 36] = [
        // len 8, type 2 (NLMSGERR_ATTR_OFFS), u32 0x14
        0x08, 0x00, 0x02, 0x00, 0x14, 0x00, 0x00, 0x00,
        // len 26, type 1 (NLMSGERR_ATTR_MSG), "Unsupported attribute\0", 2 bytes padding
        0x1a, 0x00, 0x01, 0x00, b'U', b'n', b's', b'u', b'p', b'p', b'o', b'r', b't', b'e', b'd',
        b' ', b'a', b't', b't', b'r', b'i', b'b', b'u', b't', b'e', 0x00, 0x00, 0x00,
    ];

    fn payload(request: &[u8], tlvs: &[u8]) -> Vec<u8> {
        let mut payload = request.to_vec();
        payload.extend_from_slice(tlvs);
        payload
    }

    #[test]
    fn extended_ack_text_after_capped_header() {
        // NLM_F_CAPPED: only the request's 16-byte header is echoed.
        let payload = payload(&REQUEST[..16], &ACK_TLVS);
        assert_eq!(
            extended_ack_text(&payload, true).as_deref(),
            Some("Unsupported attribute")
        );
    }

    #[test]
    fn extended_ack_text_after_whole_request() {
        // Not capped: the whole request (length in its first 4 bytes) is echoed.
        let payload = payload(&REQUEST, &ACK_TLVS);
        assert_eq!(
            extended_ack_text(&payload, false).as_deref(),
            Some("Unsupported attribute")
        );
    }

    #[test]
    fn no_extended_ack_without_tlvs() {
        assert_eq!(extended_ack_text(&REQUEST[..16], true), None);
        assert_eq!(extended_ack_text(&REQUEST, false), None);
    }

    #[test]
    fn no_extended_ack_without_a_message_attribute() {
        // Only NLMSGERR_ATTR_OFFS.
        let payload = payload(&REQUEST[..16], &ACK_TLVS[..8]);
        assert_eq!(extended_ack_text(&payload, true), None);
    }

    #[test]
    fn extended_ack_message_without_nul_is_read_whole() {
        #[rustfmt::skip]
        let tlvs = [
            // len 7, type 1 (NLMSGERR_ATTR_MSG), "bad" with no NUL, 1 byte padding
            0x07, 0x00, 0x01, 0x00, b'b', b'a', b'd', 0x00,
        ];
        let payload = payload(&REQUEST[..16], &tlvs);
        assert_eq!(extended_ack_text(&payload, true).as_deref(), Some("bad"));
    }

    #[test]
    fn truncated_error_payload_gives_no_text() {
        // Shorter than the length the echoed request claims.
        assert_eq!(extended_ack_text(&REQUEST[..20], false), None);
        // Shorter than a capped header.
        assert_eq!(extended_ack_text(&REQUEST[..8], true), None);
        assert_eq!(extended_ack_text(&[], true), None);
        assert_eq!(extended_ack_text(&[], false), None);
    }

    /// Replies as the tests compare them: the generic-netlink payload is
    /// left raw.
    type Raw = Reply<netlink_packet_generic::GenlMessage<crate::message::IpvsMessage>>;

    fn replies(datagram: &[u8]) -> Vec<Result<(u32, Raw)>> {
        Replies::new(datagram).collect()
    }

    #[rustfmt::skip]
    fn ack(seq: u8) -> Vec<u8> {
        let mut reply = vec![
            // nlmsg_len 36, nlmsg_type 2 (NLMSG_ERROR), flags 0x0100 (CAPPED)
            0x24, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x01,
            // nlmsg_seq, nlmsg_pid 0
            seq, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
            // error 0: an ACK
            0x00, 0x00, 0x00, 0x00,
        ];
        // The request's header, echoed.
        reply.extend_from_slice(&REQUEST[..16]);
        reply
    }

    #[test]
    fn a_datagram_holds_acks_refusals_and_the_end_of_a_dump() {
        let mut datagram = ack(5);
        #[rustfmt::skip]
        datagram.extend_from_slice(&[
            // nlmsg_len 72, nlmsg_type 2 (NLMSG_ERROR), flags 0x0300 (CAPPED | ACK_TLVS)
            0x48, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x03,
            // nlmsg_seq 6, nlmsg_pid 0
            0x06, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
            // error -17 (EEXIST)
            0xef, 0xff, 0xff, 0xff,
        ]);
        datagram.extend_from_slice(&REQUEST[..16]);
        datagram.extend_from_slice(&ACK_TLVS);
        #[rustfmt::skip]
        datagram.extend_from_slice(&[
            // nlmsg_len 20, nlmsg_type 3 (NLMSG_DONE), flags 0x0002 (MULTI)
            0x14, 0x00, 0x00, 0x00, 0x03, 0x00, 0x02, 0x00,
            // nlmsg_seq 7, nlmsg_pid 0, code 0
            0x07, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        ]);
        let replies: Vec<(u32, Raw)> = replies(&datagram)
            .into_iter()
            .collect::<Result<_>>()
            .unwrap();
        assert_eq!(
            replies,
            [
                (5, Reply::Ack),
                (
                    6,
                    Reply::Failed(libc::EEXIST, Some("Unsupported attribute".into()))
                ),
                (7, Reply::Done(0)),
            ]
        );
        assert!(replies.iter().all(|(_, reply)| reply.is_last()));
    }

    #[test]
    fn a_reply_longer_than_the_datagram_is_a_decode_error_and_ends_it() {
        let mut datagram = ack(5);
        // nlmsg_len 0x40: more than the 36 bytes there are.
        datagram[0] = 0x40;
        let replies = replies(&datagram);
        assert_eq!(replies.len(), 1);
        assert!(matches!(replies[0], Err(Error::Decode(_))), "{replies:?}");
    }

    /// Found by the fuzz test (`fuzz_tests`): an NLMSG_ERROR whose code is
    /// i32::MIN made `-code` overflow (a panic in a debug build).
    #[test]
    fn an_error_code_of_i32_min_is_a_refusal_not_an_overflow() {
        let mut datagram = ack(5);
        datagram[16..20].copy_from_slice(&i32::MIN.to_ne_bytes());
        let replies = replies(&datagram);
        assert!(
            matches!(replies[..], [Ok((5, Reply::Failed(i32::MAX, None)))]),
            "{replies:?}"
        );
    }

    #[test]
    fn an_empty_datagram_holds_no_replies() {
        assert!(replies(&[]).is_empty());
    }
}
