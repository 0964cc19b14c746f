// SPDX-License-Identifier: MIT OR Apache-2.0
//! SIP: an OPTIONS request, up on `200` (ldirectord's `check_sip`, which
//! wants its status line to start `SIP/2.0 200 OK`; the reason phrase is
//! not judged here, RFC 3261 leaves it free). Provisional answers (1xx) are
//! waited past; any other final answer is down with its status line
//! ("SIP: 404 Not Found").
//!
//! The request is ldirectord's: `OPTIONS sip:LOGIN` (here `sip:IP:PORT`, the
//! server itself, when there is no `login`, and `sip:LOGIN@IP:PORT` when
//! `login` has no `@`), with Via (`branch=z9hG4bK…`, `rport`), Max-Forwards,
//! To, From with a tag, Call-ID, CSeq, Contact, Accept and
//! `Content-Length: 0`. Over UDP it is sent again after 0.5 s, 1 s, 2 s, …
//! (RFC 3261's timer E) until the timeout; over TCP it is sent once on a
//! fresh connection. Answers with another Call-ID are not ours and are
//! passed over; at most 64 KiB is read over TCP, one datagram of at most
//! 64 KiB at a time over UDP.

use std::net::SocketAddr;
use std::time::Duration;

use config::model::{SipCheck, SipTransport};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::time::Instant;

use super::{datagram_error, random, udp_connect};
use crate::db::md5::hex;
use crate::db::printable;
use crate::probe::timeout_text;

/// At most this much of the answers is read.
const READ_LIMIT: usize = 64 * 1024;
/// RFC 3261's T1: the first retransmission over UDP.
const T1: Duration = Duration::from_millis(500);

/// One check; `Ok("SIP: 200 OK")` or the reason it failed.
pub(crate) async fn check(
    addr: SocketAddr,
    s: &SipCheck,
    timeout: Duration,
) -> Result<String, String> {
    let deadline = Instant::now() + timeout;
    let exchange = async {
        match s.transport {
            SipTransport::Udp => over_udp(addr, s).await,
            SipTransport::Tcp => over_tcp(addr, s).await,
        }
    };
    tokio::time::timeout_at(deadline, exchange)
        .await
        .unwrap_or_else(|_| Err(format!("no answer within {}", timeout_text(timeout))))
        .map_err(|why| format!("SIP: {why}"))
}

async fn over_udp(addr: SocketAddr, s: &SipCheck) -> Result<String, String> {
    let socket = udp_connect(addr)
        .await
        .map_err(|e| datagram_error(&e, addr))?;
    let local = socket.local_addr().map_err(|e| e.to_string())?;
    let (request, call_id) = options(addr, local, s, "UDP")?;
    let mut buf = vec![0u8; READ_LIMIT];
    let mut wait = T1;
    loop {
        socket
            .send(request.as_bytes())
            .await
            .map_err(|e| datagram_error(&e, addr))?;
        let resend = Instant::now() + wait;
        wait *= 2;
        loop {
            let Ok(received) = tokio::time::timeout_at(resend, socket.recv(&mut buf)).await else {
                break; // send again
            };
            let n = received.map_err(|e| datagram_error(&e, addr))?;
            let verdict = judge(&buf[..n], &call_id)?;
            if let Some(verdict) = verdict {
                return verdict;
            }
        }
    }
}

async fn over_tcp(addr: SocketAddr, s: &SipCheck) -> Result<String, String> {
    let mut stream = crate::connect::stream_to(addr)
        .await
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::ConnectionRefused => "connect refused".to_string(),
            _ => format!("connect failed: {e}"),
        })?;
    let _ = stream.set_nodelay(true);
    let local = stream.local_addr().map_err(|e| e.to_string())?;
    let (request, call_id) = options(addr, local, s, "TCP")?;
    stream
        .write_all(request.as_bytes())
        .await
        .map_err(|e| e.to_string())?;
    let mut seen: Vec<u8> = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        // Every whole message in what was read, in order.
        while let Some((used, verdict)) = whole_message(&seen, &call_id)? {
            if let Some(verdict) = verdict {
                return verdict;
            }
            seen.drain(..used);
        }
        if seen.len() >= READ_LIMIT {
            return Err(format!(
                "no whole response in the first {} KiB",
                READ_LIMIT / 1024
            ));
        }
        let n = stream.read(&mut buf).await.map_err(|e| e.to_string())?;
        if n == 0 {
            return Err(if seen.is_empty() {
                "connection closed without an answer".to_string()
            } else {
                format!("connection closed in an answer: {}", first_line(&seen))
            });
        }
        let take = n.min(READ_LIMIT - seen.len());
        seen.extend_from_slice(&buf[..take]);
    }
}

/// A message at the start of `stream` when it is whole: its length and
/// verdict.
type Message = Option<(usize, Option<Result<String, String>>)>;

fn whole_message(stream: &[u8], call_id: &str) -> Result<Message, String> {
    let Some(end) = stream.windows(4).position(|w| w == b"\r\n\r\n") else {
        // Not whole yet; but a first line that is not SIP's is garbage now.
        if stream.len() >= 8 && !stream.starts_with(b"SIP/2.0 ") {
            return Err(format!("not a SIP answer: {}", first_line(stream)));
        }
        return Ok(None);
    };
    let head = &stream[..end + 4];
    let body = content_length(head).unwrap_or(0);
    if stream.len() < head.len() + body {
        return Ok(None);
    }
    let verdict = judge(head, call_id)?;
    Ok(Some((head.len() + body, verdict)))
}

/// The verdict on one answer: `None` for a provisional one or one that is
/// not ours (another Call-ID); `Err` when it is not a SIP answer at all.
fn judge(message: &[u8], call_id: &str) -> Result<Option<Result<String, String>>, String> {
    let line = first_line(message);
    let status = line
        .strip_prefix("SIP/2.0 ")
        .and_then(|rest| {
            let code: u16 = rest.get(..3)?.parse().ok()?;
            let after = &rest[3..];
            (after.is_empty() || after.starts_with(' ')).then_some(code)
        })
        .filter(|code| (100..700).contains(code))
        .ok_or_else(|| format!("not a SIP answer: {line}"))?;
    if header(message, "call-id", "i").is_some_and(|id| id != call_id) {
        return Ok(None);
    }
    let status_text = line.trim_start_matches("SIP/2.0 ").to_string();
    Ok(match status {
        100..=199 => None,
        200 => Some(Ok(format!("SIP: {status_text}"))),
        _ => Some(Err(status_text)),
    })
}

fn first_line(bytes: &[u8]) -> String {
    let end = bytes
        .iter()
        .position(|b| *b == b'\r' || *b == b'\n')
        .unwrap_or(bytes.len());
    printable(&bytes[..end])
}

/// The value of the header `name` (or its compact form), trimmed.
fn header(head: &[u8], name: &str, compact: &str) -> Option<String> {
    let text = String::from_utf8_lossy(head);
    text.split("\r\n").skip(1).find_map(|line| {
        let (key, value) = line.split_once(':')?;
        let key = key.trim();
        (key.eq_ignore_ascii_case(name) || key.eq_ignore_ascii_case(compact))
            .then(|| value.trim().to_string())
    })
}

fn content_length(head: &[u8]) -> Option<usize> {
    header(head, "content-length", "l")?.parse().ok()
}

/// The OPTIONS request and its Call-ID.
fn options(
    server: SocketAddr,
    local: SocketAddr,
    s: &SipCheck,
    transport: &str,
) -> Result<(String, String), String> {
    let [branch, tag, call] = [random::<8>()?, random::<8>()?, random::<8>()?].map(|b| hex(&b));
    let call_id = format!("{call}@ipvsctl");
    let uri = match &s.login {
        None => format!("sip:{server}"),
        Some(login) if login.contains('@') => format!("sip:{login}"),
        Some(login) => format!("sip:{login}@{server}"),
    };
    let from = format!("sip:ipvsctl@{local}");
    let request = format!(
        "OPTIONS {uri} SIP/2.0\r\n\
         Via: SIP/2.0/{transport} {local};branch=z9hG4bK{branch};rport\r\n\
         Max-Forwards: 70\r\n\
         To: <{uri}>\r\n\
         From: <{from}>;tag={tag}\r\n\
         Call-ID: {call_id}\r\n\
         CSeq: 1 OPTIONS\r\n\
         Contact: <{from}>\r\n\
         Accept: application/sdp\r\n\
         User-Agent: ipvsctl\r\n\
         Content-Length: 0\r\n\r\n"
    );
    Ok((request, call_id))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "abc@ipvsctl";

    fn verdict(message: &str) -> Result<Option<Result<String, String>>, String> {
        judge(message.as_bytes(), ID)
    }

    #[test]
    fn answers_are_judged() {
        let ok = "SIP/2.0 200 OK\r\nCall-ID: abc@ipvsctl\r\nContent-Length: 0\r\n\r\n";
        assert_eq!(verdict(ok), Ok(Some(Ok("SIP: 200 OK".to_string()))));
        assert_eq!(
            verdict("SIP/2.0 404 Not Found\r\ni: abc@ipvsctl\r\n\r\n"),
            Ok(Some(Err("404 Not Found".to_string())))
        );
        assert_eq!(verdict("SIP/2.0 100 Trying\r\n\r\n"), Ok(None));
        assert_eq!(
            verdict("SIP/2.0 200 OK\r\nCall-ID: other\r\n\r\n"),
            Ok(None),
            "not ours"
        );
        assert_eq!(
            verdict("HTTP/1.1 200 OK\r\n\r\n"),
            Err("not a SIP answer: HTTP/1.1 200 OK".to_string())
        );
        assert_eq!(
            verdict("SIP/2.0 2000 OK\r\n\r\n"),
            Err("not a SIP answer: SIP/2.0 2000 OK".to_string())
        );
    }

    #[test]
    fn a_stream_is_cut_into_messages() {
        let two = b"SIP/2.0 100 Trying\r\nl: 3\r\n\r\nabcSIP/2.0 200 OK\r\n\r\n";
        let (used, v) = whole_message(two, ID).unwrap().unwrap();
        assert_eq!((used, v), (31, None));
        let (_, v) = whole_message(&two[31..], ID).unwrap().unwrap();
        assert_eq!(v, Some(Ok("SIP: 200 OK".to_string())));
        assert_eq!(whole_message(b"SIP/2.0 200", ID), Ok(None));
        assert!(whole_message(b"garbage garbage", ID).is_err());
    }

    #[test]
    fn the_request_has_what_a_server_wants() {
        let server: SocketAddr = "[::1]:5060".parse().unwrap();
        let local: SocketAddr = "[::1]:40000".parse().unwrap();
        let s = SipCheck {
            login: None,
            transport: SipTransport::Udp,
        };
        let (request, call_id) = options(server, local, &s, "UDP").unwrap();
        assert!(
            request.starts_with("OPTIONS sip:[::1]:5060 SIP/2.0\r\n"),
            "{request}"
        );
        assert!(request.contains("\r\nVia: SIP/2.0/UDP [::1]:40000;branch=z9hG4bK"));
        assert!(request.contains(&format!("\r\nCall-ID: {call_id}\r\n")));
        assert!(request.ends_with("\r\nContent-Length: 0\r\n\r\n"));
        let alice = SipCheck {
            login: Some("alice".into()),
            transport: SipTransport::Tcp,
        };
        let (request, _) = options(server, local, &alice, "TCP").unwrap();
        assert!(request.starts_with("OPTIONS sip:alice@[::1]:5060 SIP/2.0\r\n"));
    }
}
