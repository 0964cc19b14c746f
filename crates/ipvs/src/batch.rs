// SPDX-License-Identifier: MIT OR Apache-2.0
//! The batch engine: many writes sent with as few `sendmsg` calls as the
//! socket buffers allow, instead of one round trip each (what `ipvsadm -R`
//! does). A single write is a batch of one.

use netlink_packet_core::NLM_F_ACK;
use netlink_packet_generic::GenlMessage;

use crate::client::Ipvs;
use crate::error::{Error, Result};
use crate::exchange::Sent;
use crate::message::IpvsMessage;
use crate::operation::{Operation, Request};
use crate::reply::Reply;

/// What one queued reply costs in the receive buffer (skb truesize),
/// rounded up: a batch chunk never has more requests than fit.
const REPLY_TRUESIZE: usize = 2048;
/// Bytes of requests per `sendmsg`.
const CHUNK_BYTES: usize = 256 * 1024;
/// Requests per chunk however small the receive buffer.
const MIN_CHUNK_REQUESTS: usize = 8;

/// An operation the kernel refused, by its position in the list given.
#[derive(Debug)]
pub struct OperationFailure {
    /// Index into the operations passed to [`crate::Ipvs::execute`].
    pub index: usize,
    /// Why; the error names the operation.
    pub error: Error,
}

impl Ipvs {
    /// Sends many operations with as few `sendmsg` calls as the socket
    /// buffers allow, in order. The kernel goes on after a refused
    /// operation, so later ones still run; every refusal is returned, by
    /// index, and the list is empty when all succeeded. `Err` means the
    /// socket itself failed and the outcome of the batch is unknown.
    pub fn execute(&mut self, operations: &[Operation]) -> Result<Vec<OperationFailure>> {
        let requests: Vec<Request> = operations.iter().map(Operation::to_request).collect();
        self.write_all(&requests)
    }

    /// One write, its ACK awaited.
    pub(crate) fn write(&mut self, request: Request) -> Result<()> {
        match self.write_all(std::slice::from_ref(&request))?.pop() {
            Some(failure) => Err(failure.error),
            None => Ok(()),
        }
    }

    fn write_all(&mut self, requests: &[Request]) -> Result<Vec<OperationFailure>> {
        // Encode everything once, in order, then cut into chunks.
        let mut frame = Vec::new();
        let mut offsets = Vec::with_capacity(requests.len() + 1);
        let first_sequence = self.sequence.wrapping_add(1);
        for request in requests {
            offsets.push(frame.len());
            self.encode(&mut frame, request.message.clone(), 0);
        }
        offsets.push(frame.len());
        let chunk_requests =
            (self.socket.receive_buffer() / REPLY_TRUESIZE).max(MIN_CHUNK_REQUESTS);
        let mut failures = Vec::new();
        let mut start = 0;
        while start < requests.len() {
            let mut end = start + 1;
            while end < requests.len()
                && end - start < chunk_requests
                && offsets[end + 1] - offsets[start] <= CHUNK_BYTES
            {
                end += 1;
            }
            // Only the last request of a chunk asks for an ACK: the kernel
            // handles a datagram's messages in order and answers failures
            // anyway, so that ACK closes the chunk.
            set_ack_flag(&mut frame[offsets[end - 1]..offsets[end]]);
            self.exchange(
                &frame[offsets[start]..offsets[end]],
                first_sequence,
                start..end,
                Sent::Writes,
                |index, reply: Reply<GenlMessage<IpvsMessage>>| {
                    if let Reply::Failed(errno, detail) = reply {
                        failures.push(OperationFailure {
                            index,
                            error: requests[index].error(errno, detail),
                        });
                    }
                    Ok(())
                },
            )?;
            start = end;
        }
        Ok(failures)
    }
}

/// Sets `NLM_F_ACK` in an encoded message's header (flags: bytes 6..8).
fn set_ack_flag(message: &mut [u8]) {
    let flags = u16::from_ne_bytes([message[6], message[7]]) | NLM_F_ACK;
    message[6..8].copy_from_slice(&flags.to_ne_bytes());
}

#[cfg(all(test, target_endian = "little"))]
mod tests {
    use super::*;
    use crate::reply::tests::REQUEST;

    #[test]
    fn set_ack_flag_sets_bit_2_of_the_header_flags() {
        let mut message = REQUEST;
        // flags 0x0001: NLM_F_REQUEST only
        message[6..8].copy_from_slice(&[0x01, 0x00]);
        set_ack_flag(&mut message);
        // flags 0x0005: NLM_F_REQUEST | NLM_F_ACK
        assert_eq!(message[6..8], [0x05, 0x00]);
        // Nothing else changes.
        assert_eq!(message[..6], REQUEST[..6]);
        assert_eq!(message[8..], REQUEST[8..]);
    }

    #[test]
    fn set_ack_flag_keeps_other_flags() {
        let mut message = REQUEST;
        // flags 0x0301: NLM_F_REQUEST | NLM_F_DUMP
        message[6..8].copy_from_slice(&[0x01, 0x03]);
        set_ack_flag(&mut message);
        assert_eq!(message[6..8], [0x05, 0x03]);
        // Already set: unchanged.
        set_ack_flag(&mut message);
        assert_eq!(message[6..8], [0x05, 0x03]);
    }
}
