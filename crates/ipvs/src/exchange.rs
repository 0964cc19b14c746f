// SPDX-License-Identifier: MIT OR Apache-2.0
//! The request/reply exchange, the one way anything is asked of the kernel:
//! requests are encoded with consecutive sequence numbers, sent in one
//! datagram, and replies are read until the last request is answered. A
//! single write, a GET, a dump, the family lookup and every chunk of a
//! batch go through [`Ipvs::exchange`].

use std::ops::Range;

use netlink_packet_core::{
    DecodeError, NetlinkDeserializable, NetlinkHeader, NetlinkMessage, NetlinkPayload,
    NetlinkSerializable, NLM_F_ACK, NLM_F_DUMP, NLM_F_REQUEST,
};
use netlink_packet_generic::ctrl::nlas::GenlCtrlAttrs;
use netlink_packet_generic::ctrl::{GenlCtrl, GenlCtrlCmd};
use netlink_packet_generic::{GenlFamily, GenlMessage};

use crate::client::Ipvs;
use crate::error::{Error, Result};
use crate::family::FamilyReply;
use crate::message::{IpvsAttribute, IpvsMessage};
use crate::operation::Request;
use crate::reply::{Replies, Reply};

/// What a datagram of requests was, for [`crate::Counters`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sent {
    /// Writes, one per request.
    Writes,
    /// A GET.
    Read,
    /// A dump.
    Dump,
    /// The family lookup: not counted.
    Lookup,
}

impl Ipvs {
    /// Appends `message` to `frame` as an IPVS request with the next
    /// sequence number, which it returns.
    pub(crate) fn encode(&mut self, frame: &mut Vec<u8>, message: IpvsMessage, flags: u16) -> u32 {
        let mut genl = GenlMessage::from_payload(message);
        genl.set_resolved_family_id(self.family_id);
        self.encode_raw(frame, genl, flags)
    }

    /// Appends any netlink request to `frame`, with the next sequence
    /// number, which it returns.
    pub(crate) fn encode_raw<I: NetlinkSerializable>(
        &mut self,
        frame: &mut Vec<u8>,
        inner: I,
        flags: u16,
    ) -> u32 {
        self.sequence = self.sequence.wrapping_add(1);
        let mut header = NetlinkHeader::default();
        header.flags = NLM_F_REQUEST | flags;
        header.sequence_number = self.sequence;
        let mut message = NetlinkMessage::new(header, NetlinkPayload::InnerMessage(inner));
        message.finalize();
        let start = frame.len();
        frame.resize(start + message.buffer_len(), 0);
        message.serialize(&mut frame[start..]);
        self.sequence
    }

    /// Sends `frame`, which holds the requests `requests` of a list whose
    /// request 0 has sequence number `first`, and hands every reply to one
    /// of them to `handle`, with the request's index in the list, until the
    /// last one is answered: by its ACK, its refusal or the end of its dump.
    ///
    /// Replies to other sequence numbers are skipped: they are left over
    /// from an exchange that an error cut short.
    pub(crate) fn exchange<I>(
        &mut self,
        frame: &[u8],
        first: u32,
        requests: Range<usize>,
        sent: Sent,
        mut handle: impl FnMut(usize, Reply<I>) -> Result<()>,
    ) -> Result<()>
    where
        I: NetlinkDeserializable,
        I::Error: std::fmt::Display,
    {
        if requests.is_empty() {
            return Ok(());
        }
        let last = requests.end - 1;
        self.counters.send_calls += 1;
        self.socket.send(frame)?;
        match sent {
            Sent::Writes => self.counters.writes += requests.len() as u64,
            Sent::Read => self.counters.reads += 1,
            Sent::Dump => self.counters.dumps += 1,
            Sent::Lookup => {}
        }
        loop {
            for reply in Replies::<I>::new(self.socket.recv()?) {
                let (seq, reply) = reply?;
                let Some(index) = index_of(seq, first, requests.start, requests.end) else {
                    continue;
                };
                let answered = index == last && reply.is_last();
                handle(index, reply)?;
                if answered {
                    return Ok(());
                }
            }
        }
    }

    /// Asks the generic-netlink controller for the IPVS family's id.
    pub(crate) fn resolve_family(&mut self) -> Result<u16> {
        let mut genl = GenlMessage::from_payload(GenlCtrl {
            cmd: GenlCtrlCmd::GetFamily,
            nlas: vec![GenlCtrlAttrs::FamilyName(
                IpvsMessage::family_name().to_string(),
            )],
        });
        genl.finalize();
        let mut frame = Vec::new();
        let seq = self.encode_raw(&mut frame, genl, NLM_F_ACK);
        let mut outcome = Err(Error::Protocol("no reply to the family lookup".into()));
        self.exchange(
            &frame,
            seq,
            0..1,
            Sent::Lookup,
            // Read with the crate's own checked reader, not
            // netlink-packet-generic's (see [`crate::family`]).
            |_, reply: Reply<GenlMessage<FamilyReply>>| {
                match reply {
                    Reply::Message(message) => {
                        if let Some(id) = message.payload.id {
                            outcome = Ok(id);
                        }
                    }
                    Reply::Failed(errno, _) => outcome = Err(Error::family_lookup(errno)),
                    Reply::Ack | Reply::Done(_) => {}
                }
                Ok(())
            },
        )?;
        outcome
    }

    /// A GET: its message(s), then the ACK.
    pub(crate) fn read(&mut self, request: Request) -> Result<Vec<IpvsMessage>> {
        let mut messages = Vec::new();
        self.ask(&request, Sent::Read, |message| {
            messages.push(message);
            Ok(())
        })?;
        Ok(messages)
    }

    /// A dump: every top-level attribute of every message, as it arrives
    /// until `NLMSG_DONE`, goes through `pick`; what it keeps is returned
    /// in the kernel's order.
    pub(crate) fn dump<T>(
        &mut self,
        request: Request,
        mut pick: impl FnMut(IpvsAttribute) -> Option<Result<T, DecodeError>>,
    ) -> Result<Vec<T>> {
        let mut picked = Vec::new();
        self.ask(&request, Sent::Dump, |message| {
            for attribute in message.attributes {
                if let Some(item) = pick(attribute) {
                    picked.push(item.map_err(Error::decode)?);
                }
            }
            Ok(())
        })?;
        Ok(picked)
    }

    /// One request answered with messages (a GET or a dump), each handed
    /// to `each`.
    fn ask(
        &mut self,
        request: &Request,
        sent: Sent,
        mut each: impl FnMut(IpvsMessage) -> Result<()>,
    ) -> Result<()> {
        let flags = if sent == Sent::Dump {
            NLM_F_DUMP
        } else {
            NLM_F_ACK
        };
        let mut frame = Vec::new();
        let seq = self.encode(&mut frame, request.message.clone(), flags);
        let mut outcome = Ok(());
        self.exchange(
            &frame,
            seq,
            0..1,
            sent,
            |_, reply: Reply<GenlMessage<IpvsMessage>>| {
                match reply {
                    Reply::Message(message) => each(message.payload)?,
                    Reply::Failed(errno, detail) => outcome = Err(request.error(errno, detail)),
                    Reply::Done(code) if code < 0 => {
                        outcome = Err(request.error(code.saturating_neg(), None))
                    }
                    Reply::Ack | Reply::Done(_) => {}
                }
                Ok(())
            },
        )?;
        outcome
    }
}

/// Which request of `start..end` a sequence number belongs to; `first` is
/// the sequence number of request 0.
fn index_of(seq: u32, first: u32, start: usize, end: usize) -> Option<usize> {
    let index = seq.wrapping_sub(first) as usize;
    (start..end).contains(&index).then_some(index)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_of_maps_sequence_to_operation() {
        // Operation 0 went out with sequence 10; the chunk is operations 2..5.
        assert_eq!(index_of(12, 10, 2, 5), Some(2));
        assert_eq!(index_of(14, 10, 2, 5), Some(4));
    }

    #[test]
    fn index_of_rejects_sequences_outside_the_chunk() {
        assert_eq!(index_of(11, 10, 2, 5), None);
        assert_eq!(index_of(15, 10, 2, 5), None);
        // Before the first operation: wraps to a huge index, not a panic.
        assert_eq!(index_of(9, 10, 0, 5), None);
    }

    #[test]
    fn index_of_survives_sequence_wrap_around() {
        assert_eq!(index_of(u32::MAX, u32::MAX, 0, 3), Some(0));
        assert_eq!(index_of(0, u32::MAX, 0, 3), Some(1));
        assert_eq!(index_of(1, u32::MAX, 0, 3), Some(2));
        assert_eq!(index_of(2, u32::MAX, 0, 3), None);
    }
}
