// SPDX-License-Identifier: MIT OR Apache-2.0
//! `dns`: one query, over UDP (again over TCP when the reply is truncated)
//! or TCP, bounded by the timeout as a whole. The reply must answer our
//! query: same ID, a response, the same question. Then:
//! - with a `request`: up when the rcode is NOERROR and the answer section
//!   holds a record (one whose text contains `receive`, when set);
//! - without one, `. SOA` is asked and any reply but SERVFAIL is up: the
//!   server speaks DNS.
//!
//! Messages are built and parsed with NLnet Labs' `domain` crate (see the
//! crate doc for why that one).

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use domain::base::iana::{Rcode, Rtype};
use domain::base::name::{Name, ParsedName};
use domain::base::{Message, MessageBuilder};
use domain::rdata::AllRecordData;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::time::{timeout_at, Instant};

use config::model::{DnsCheck, DnsProtocol, DnsQuery, DnsRecord};

use super::udp::{connected, exchange};
use super::{described, holds, timed_out};
use crate::probe::connect_error;

/// `Ok(what happened)` or `Err(why it failed)`, within `timeout`.
pub(crate) async fn probe(
    addr: SocketAddr,
    check: &DnsCheck,
    timeout: Duration,
) -> Result<String, String> {
    let deadline = Instant::now() + timeout;
    let (name, rtype) = question(check.query.as_ref())?;
    let asked = asked_text(check.query.as_ref());
    let query = build(query_id(), &name, rtype).map_err(|e| format!("DNS: {e}"))?;
    let reply = match check.protocol {
        DnsProtocol::Tcp => over_tcp(addr, &query, deadline, timeout).await?,
        DnsProtocol::Udp => {
            let reply = {
                let socket = connected(addr).await.map_err(dns)?;
                exchange(&socket, addr, &query, deadline, timeout)
                    .await
                    .map_err(dns)?
            };
            // The UDP socket is closed: a check holds one descriptor.
            if truncated(&reply) {
                over_tcp(addr, &query, deadline, timeout).await?
            } else {
                reply
            }
        }
    };
    judge(&query, reply, check, &asked)
}

fn dns(why: String) -> String {
    format!("DNS: {why}")
}

/// The name and type asked: `.` SOA when no request is set.
fn question(query: Option<&DnsQuery>) -> Result<(Name<Vec<u8>>, Rtype), String> {
    let Some(q) = query else {
        return Ok((Name::root_vec(), Rtype::SOA));
    };
    let rtype = match q.record {
        DnsRecord::A => Rtype::A,
        DnsRecord::Aaaa => Rtype::AAAA,
        DnsRecord::Cname => Rtype::CNAME,
        DnsRecord::Mx => Rtype::MX,
        DnsRecord::Ns => Rtype::NS,
        DnsRecord::Ptr => Rtype::PTR,
        DnsRecord::Soa => Rtype::SOA,
        DnsRecord::Srv => Rtype::SRV,
        DnsRecord::Txt => Rtype::TXT,
        DnsRecord::Caa => Rtype::CAA,
    };
    let name = match q.name.parse::<IpAddr>() {
        Ok(ip) => Name::reverse_from_addr(ip).map_err(|e| format!("DNS: {e}"))?,
        Err(_) => {
            let absolute = if q.name.ends_with('.') {
                q.name.clone()
            } else {
                format!("{}.", q.name)
            };
            Name::from_str(&absolute)
                .map_err(|e| format!("DNS: cannot ask for {:?}: {e}", q.name))?
        }
    };
    Ok((name, rtype))
}

/// `www.example.com`, `www.example.com AAAA`, `192.0.2.1 PTR`, `. SOA`.
fn asked_text(query: Option<&DnsQuery>) -> String {
    match query {
        None => ". SOA".to_string(),
        Some(DnsQuery {
            name,
            record: DnsRecord::A,
        }) => name.clone(),
        Some(q) => {
            let record = format!("{:?}", q.record).to_ascii_uppercase();
            format!("{} {record}", q.name)
        }
    }
}

/// A fresh query ID: not predictable from outside (the process's random
/// hash keys), different for each check.
fn query_id() -> u16 {
    static COUNT: AtomicU64 = AtomicU64::new(0);
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u64(COUNT.fetch_add(1, Ordering::Relaxed));
    (hasher.finish() & 0xffff) as u16
}

/// One query, recursion desired.
fn build(id: u16, name: &Name<Vec<u8>>, rtype: Rtype) -> Result<Vec<u8>, String> {
    let mut builder = MessageBuilder::new_vec();
    builder.header_mut().set_id(id);
    builder.header_mut().set_rd(true);
    let mut builder = builder.question();
    builder
        .push((name, rtype))
        .map_err(|e| format!("cannot build the query: {e}"))?;
    Ok(builder.finish())
}

/// Whether a UDP reply says it was cut (TC): it is asked again over TCP.
fn truncated(reply: &[u8]) -> bool {
    Message::from_octets(reply).is_ok_and(|m| m.header().tc())
}

/// The query with its two-byte length on a fresh connection; the reply
/// read by its length (at most 64 KiB).
async fn over_tcp(
    addr: SocketAddr,
    query: &[u8],
    deadline: Instant,
    timeout: Duration,
) -> Result<Vec<u8>, String> {
    let waited = || format!("DNS: no reply over TCP: {}", timed_out(timeout));
    let mut stream = match timeout_at(deadline, crate::connect::stream_to(addr)).await {
        Err(_) => return Err(format!("DNS: {} connecting over TCP", timed_out(timeout))),
        Ok(Err(e)) => return Err(format!("DNS over TCP: {}", connect_error(&e))),
        Ok(Ok(stream)) => stream,
    };
    let _ = stream.set_nodelay(true);
    let len = u16::try_from(query.len()).map_err(|_| "DNS: query too long".to_string())?;
    let mut framed = Vec::with_capacity(query.len() + 2);
    framed.extend_from_slice(&len.to_be_bytes());
    framed.extend_from_slice(query);
    let read = async {
        stream
            .write_all(&framed)
            .await
            .map_err(|e| format!("DNS over TCP: sending the query failed: {e}"))?;
        let mut prefix = [0u8; 2];
        stream
            .read_exact(&mut prefix)
            .await
            .map_err(|e| format!("DNS over TCP: no reply length: {e}"))?;
        let len = usize::from(u16::from_be_bytes(prefix));
        if len == 0 {
            return Err("DNS: garbage reply over TCP (length 0)".to_string());
        }
        let mut reply = vec![0u8; len];
        let mut filled = 0;
        while filled < len {
            match stream.read(&mut reply[filled..]).await {
                Ok(0) => {
                    return Err(format!(
                        "DNS over TCP: closed after {filled} of the reply's {len} bytes"
                    ))
                }
                Ok(n) => filled += n,
                Err(e) => return Err(format!("DNS over TCP: reading the reply failed: {e}")),
            }
        }
        Ok(reply)
    };
    timeout_at(deadline, read)
        .await
        .unwrap_or_else(|_| Err(waited()))
}

/// Whether the reply answers the query, and what it says.
fn judge(query: &[u8], reply: Vec<u8>, check: &DnsCheck, asked: &str) -> Result<String, String> {
    let garbage = |why: &str| format!("DNS: garbage reply ({why}, {} bytes)", reply.len());
    let query = Message::from_octets(query).map_err(|_| "DNS: cannot read our own query")?;
    let reply = match Message::from_octets(reply.as_slice()) {
        Ok(m) => m,
        Err(_) => return Err(garbage("shorter than a DNS header")),
    };
    let header = reply.header();
    if !header.qr() {
        return Err(garbage("not a response"));
    }
    if header.id() != query.header().id() {
        return Err(format!(
            "DNS: reply ID mismatch (sent {}, got {})",
            query.header().id(),
            header.id()
        ));
    }
    let rcode = header.rcode();
    let has_question = reply.header_counts().qdcount() > 0;
    // An error reply may leave the question out; any other must repeat it.
    let must_repeat = has_question || rcode == Rcode::NOERROR || rcode == Rcode::NXDOMAIN;
    if must_repeat && reply.question() != query.question() {
        let theirs = match reply.first_question() {
            Some(q) => format!("{} {}", q.qname(), q.qtype()),
            None => "no question".to_string(),
        };
        return Err(format!("DNS: reply to another question ({theirs})"));
    }
    if check.query.is_none() {
        return if rcode == Rcode::SERVFAIL {
            Err(format!("DNS: SERVFAIL for {asked}"))
        } else {
            Ok(format!("DNS: answered {asked} ({rcode})"))
        };
    }
    if rcode != Rcode::NOERROR {
        return Err(format!("DNS: {rcode} for {asked}"));
    }
    let answer = reply
        .answer()
        .map_err(|e| garbage(&format!("answer section: {e}")))?;
    let mut texts = Vec::new();
    for record in answer.limit_to::<AllRecordData<_, ParsedName<_>>>() {
        match record {
            Ok(record) => texts.push(record.data().to_string()),
            Err(e) => return Err(garbage(&format!("answer record: {e}"))),
        }
    }
    if texts.is_empty() {
        return Err(format!("DNS: no answer for {asked}"));
    }
    let Some(receive) = &check.receive else {
        return Ok(format!("DNS: {asked} is {}", listed(&texts)));
    };
    if texts.iter().any(|t| holds(t.as_bytes(), receive, 0)) {
        Ok(format!("DNS: {asked} is {}", listed(&texts)))
    } else {
        Err(format!(
            "DNS: no answer for {asked} holds {} (got {})",
            described(receive),
            listed(&texts)
        ))
    }
}

/// At most three answers, each cut at 60 characters.
fn listed(texts: &[String]) -> String {
    let mut shown: Vec<String> = texts
        .iter()
        .take(3)
        .map(|t| match t.char_indices().nth(60) {
            Some((cut, _)) => format!("{}…", &t[..cut]),
            None => t.clone(),
        })
        .collect();
    if texts.len() > 3 {
        shown.push(format!("and {} more", texts.len() - 3));
    }
    shown.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(name: &str, record: DnsRecord, receive: Option<&str>) -> DnsCheck {
        DnsCheck {
            query: Some(DnsQuery {
                name: name.to_string(),
                record,
            }),
            receive: receive.map(config::model::Receive::from),
            protocol: DnsProtocol::Udp,
        }
    }

    #[test]
    fn a_reply_must_answer_our_question() {
        let (name, rtype) =
            question(check("www.example.com", DnsRecord::A, None).query.as_ref()).unwrap();
        let query = build(7, &name, rtype).unwrap();
        let c = check("www.example.com", DnsRecord::A, None);
        // Our own query sent back is not a response.
        let err = judge(&query, query.clone(), &c, "www.example.com").unwrap_err();
        assert_eq!(err, "DNS: garbage reply (not a response, 33 bytes)");
        let mut wrong_id = query.clone();
        wrong_id[1] = 8;
        wrong_id[2] |= 0x80;
        let err = judge(&query, wrong_id, &c, "www.example.com").unwrap_err();
        assert_eq!(err, "DNS: reply ID mismatch (sent 7, got 8)");
        let mut other = build(7, &name, Rtype::AAAA).unwrap();
        other[2] |= 0x80;
        let err = judge(&query, other, &c, "www.example.com").unwrap_err();
        assert_eq!(err, "DNS: reply to another question (www.example.com AAAA)");
        let mut empty = query.clone();
        empty[2] |= 0x80;
        let err = judge(&query, empty, &c, "www.example.com").unwrap_err();
        assert_eq!(err, "DNS: no answer for www.example.com");
        let err = judge(&query, vec![0; 5], &c, "www.example.com").unwrap_err();
        assert_eq!(
            err,
            "DNS: garbage reply (shorter than a DNS header, 5 bytes)"
        );
    }

    #[test]
    fn an_address_is_asked_by_its_reverse_name() {
        let (name, rtype) =
            question(check("192.0.2.1", DnsRecord::Ptr, None).query.as_ref()).unwrap();
        assert_eq!(name.to_string(), "1.2.0.192.in-addr.arpa");
        assert_eq!(rtype, Rtype::PTR);
        let (root, soa) = question(None).unwrap();
        assert!(root.is_root());
        assert_eq!(soa, Rtype::SOA);
        assert_eq!(asked_text(None), ". SOA");
        assert_eq!(
            asked_text(check("x.example", DnsRecord::Aaaa, None).query.as_ref()),
            "x.example AAAA"
        );
    }

    #[test]
    fn answers_are_listed_briefly() {
        let texts: Vec<String> = (1..=5).map(|i| format!("192.0.2.{i}")).collect();
        assert_eq!(
            listed(&texts),
            "192.0.2.1, 192.0.2.2, 192.0.2.3, and 2 more"
        );
        assert_eq!(listed(&["x".repeat(70)]), format!("{}…", "x".repeat(60)));
    }
}
