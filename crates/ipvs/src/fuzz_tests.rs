// SPDX-License-Identifier: MIT OR Apache-2.0
//! Property test of the netlink reply decoder (issue 13, section 6):
//! mutants (`fuzzing`) of real replies — a datagram of ACKs, a refusal with
//! its extended ACK and the end of a dump; a destination; a service; the
//! family lookup's answer — read as [`Replies`] and, where they decode,
//! on into the domain types. Any bytes give replies or errors: no panic,
//! no unbounded allocation.

use netlink_packet_generic::GenlMessage;

use crate::family::FamilyReply;
use crate::message::{IpvsAttribute, IpvsMessage};
use crate::reply::Replies;
use crate::{DestinationEntry, ServiceEntry};

#[global_allocator]
static ALLOCATOR: fuzzing::Counting = fuzzing::Counting;

/// A netlink header of `length` bytes with this type and sequence 7.
fn header(length: usize, kind: u16) -> Vec<u8> {
    let mut h = Vec::with_capacity(16);
    h.extend_from_slice(&(length as u32).to_ne_bytes());
    h.extend_from_slice(&kind.to_ne_bytes());
    h.extend_from_slice(&0x0002u16.to_ne_bytes());
    h.extend_from_slice(&7u32.to_ne_bytes());
    h.extend_from_slice(&0u32.to_ne_bytes());
    h
}

/// A datagram holding one IPVS message (genl header, then `payload`).
fn ipvs_datagram(command: u8, payload: &[u8]) -> Vec<u8> {
    let mut d = header(16 + 4 + payload.len(), 0x23);
    d.extend_from_slice(&[command, 1, 0, 0]);
    d.extend_from_slice(payload);
    d
}

fn seeds() -> Vec<Vec<u8>> {
    let mut acks = crate::reply::tests::REQUEST[..16].to_vec();
    acks.splice(0..0, [0u8; 4]);
    let mut ack = header(36, 2);
    ack.extend_from_slice(&acks);
    let mut done = header(20, 3);
    done.extend_from_slice(&0i32.to_ne_bytes());
    let mut refused = header(56, 2);
    refused[6] = 0x00;
    refused[7] = 0x03;
    refused.extend_from_slice(&(-17i32).to_ne_bytes());
    refused.extend_from_slice(&crate::reply::tests::REQUEST[..16]);
    refused.extend_from_slice(b"\x0a\x00\x01\x00bad\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00");
    let mut family = header(16 + crate::family::tests::GOOD.len(), 0x10);
    family.extend_from_slice(&crate::family::tests::GOOD);
    vec![
        [ack.clone(), refused, done.clone()].concat(),
        // NEW_DEST's attributes as a GET_DEST reply, then the end of the dump.
        [
            ipvs_datagram(5, crate::message::tests::NEW_DEST_ATTRIBUTES),
            done,
        ]
        .concat(),
        ipvs_datagram(1, &crate::message::tests::fwmark_service_payload(0x80)),
        family,
    ]
}

#[test]
fn the_reply_decoder_takes_any_datagram() {
    let seeds = seeds();
    let seeds: Vec<&[u8]> = seeds.iter().map(Vec::as_slice).collect();
    fuzzing::fuzz("ipvs-replies", &seeds, |datagram| {
        for reply in Replies::<GenlMessage<IpvsMessage>>::new(datagram).flatten() {
            if let (_, crate::reply::Reply::Message(message)) = reply {
                for attribute in &message.payload.attributes {
                    match attribute {
                        IpvsAttribute::Service(attrs) => {
                            let _ = ServiceEntry::from_attributes(attrs);
                        }
                        IpvsAttribute::Destination(attrs) => {
                            for family in [crate::AddressFamily::Inet, crate::AddressFamily::Inet6]
                            {
                                let _ = DestinationEntry::from_attributes(attrs, family);
                            }
                        }
                        _ => {}
                    }
                }
            }
        }
        for reply in Replies::<GenlMessage<FamilyReply>>::new(datagram) {
            let _ = reply;
        }
    });
}
