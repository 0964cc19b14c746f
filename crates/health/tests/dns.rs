// SPDX-License-Identifier: MIT OR Apache-2.0
//! The `dns` check against a real DNS server (dnsmasq, see
//! `common/dnsmasq.rs`) over UDP and TCP, and against listeners that fail
//! the ways a server can: closed, silent, garbage, the wrong reply.

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use common::dnsmasq::Dnsmasq;
use common::*;
use config::model::{DnsCheck, DnsProtocol, DnsQuery, DnsRecord, Pattern, Receive};
use health::{check_once, CheckKind, CheckResult};
use tokio::net::UdpSocket;

/// Runs one check, failing the test if it is not over in 10 s.
async fn once(t: &Target) -> CheckResult {
    tokio::time::timeout(Duration::from_secs(10), check_once(t))
        .await
        .expect("the check outlived its timeout")
}

fn dns(
    addr: SocketAddr,
    request: Option<(&str, DnsRecord)>,
    receive: Option<&str>,
    protocol: DnsProtocol,
) -> Target {
    let mut c = check(CheckKind::Dns(DnsCheck {
        query: request.map(|(name, record)| DnsQuery {
            name: name.to_string(),
            record,
        }),
        receive: receive.map(Receive::from),
        protocol,
    }));
    c.timeout = Duration::from_millis(500);
    target(addr, c)
}

const BOTH: [DnsProtocol; 2] = [DnsProtocol::Udp, DnsProtocol::Tcp];

#[tokio::test]
async fn an_answer_is_up_over_udp_and_tcp() {
    let Some(server) = Dnsmasq::start() else {
        return;
    };
    for protocol in BOTH {
        let www = Some(("www.example.com", DnsRecord::A));
        let r = once(&dns(server.addr, www, None, protocol)).await;
        assert_up_timed(&r, "DNS: www.example.com is 192.0.2.10 in ");
        let r = once(&dns(server.addr, www, Some("192.0.2.10"), protocol)).await;
        assert_up_timed(&r, "DNS: www.example.com is 192.0.2.10 in ");
        let txt = Some(("check.example.com", DnsRecord::Txt));
        let r = once(&dns(server.addr, txt, Some("pong"), protocol)).await;
        assert_up_timed(&r, "DNS: check.example.com TXT is \"pong\" in ");
        let ptr = Some(("192.0.2.10", DnsRecord::Ptr));
        let r = once(&dns(server.addr, ptr, Some("www.example.com"), protocol)).await;
        assert_up_timed(&r, "DNS: 192.0.2.10 PTR is www.example.com. in ");
    }
}

#[tokio::test]
async fn without_a_request_any_reply_but_servfail_is_up() {
    let Some(server) = Dnsmasq::start() else {
        return;
    };
    for protocol in BOTH {
        // dnsmasq serves example.com only: it refuses the root.
        let r = once(&dns(server.addr, None, None, protocol)).await;
        assert_up_timed(&r, "DNS: answered . SOA (REFUSED) in ");
    }
}

#[tokio::test]
async fn a_truncated_udp_reply_is_asked_again_over_tcp() {
    let Some(server) = Dnsmasq::start() else {
        return;
    };
    let big = Some(("big.example.com", DnsRecord::Txt));
    // Over UDP dnsmasq sends one of the three records and sets TC: all
    // three mean the question was asked again over TCP.
    let r = once(&dns(server.addr, big, Some("zzzz"), DnsProtocol::Udp)).await;
    assert!(r.ok, "{r:?}");
    for each in ["xxxx", "yyyy", "zzzz"] {
        assert!(r.detail.contains(each), "{r:?}");
    }
}

#[tokio::test]
async fn nxdomain_no_answer_refused_and_a_wrong_answer_are_down() {
    let Some(server) = Dnsmasq::start() else {
        return;
    };
    for protocol in BOTH {
        let r = once(&dns(
            server.addr,
            Some(("nope.example.com", DnsRecord::A)),
            None,
            protocol,
        ))
        .await;
        assert_failed(&r, "DNS: NXDOMAIN for nope.example.com");
        let r = once(&dns(
            server.addr,
            Some(("www.example.com", DnsRecord::Aaaa)),
            None,
            protocol,
        ))
        .await;
        assert_failed(&r, "DNS: no answer for www.example.com AAAA");
        let r = once(&dns(
            server.addr,
            Some(("www.example.org", DnsRecord::A)),
            None,
            protocol,
        ))
        .await;
        assert_failed(&r, "DNS: REFUSED for www.example.org");
        let r = once(&dns(
            server.addr,
            Some(("www.example.com", DnsRecord::A)),
            Some("192.0.2.99"),
            protocol,
        ))
        .await;
        assert_failed(
            &r,
            "DNS: no answer for www.example.com holds \"192.0.2.99\" (got 192.0.2.10)",
        );
    }
}

#[tokio::test]
async fn a_closed_port_is_down() {
    let www = Some(("www.example.com", DnsRecord::A));
    // UDP: the kernel's ICMP port unreachable.
    let closed = UdpSocket::bind("127.0.0.1:0")
        .await
        .unwrap()
        .local_addr()
        .unwrap();
    let r = once(&dns(closed, www, None, DnsProtocol::Udp)).await;
    assert_failed(
        &r,
        &format!(
            "DNS: port unreachable (ICMP): nothing listens on UDP port {}",
            closed.port()
        ),
    );
    let r = once(&dns(refused().await, www, None, DnsProtocol::Tcp)).await;
    assert_failed(&r, "DNS over TCP: connect refused");
}

#[tokio::test]
async fn a_silent_server_times_out() {
    let www = Some(("www.example.com", DnsRecord::A));
    let silent = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let r = once(&dns(
        silent.local_addr().unwrap(),
        www,
        None,
        DnsProtocol::Udp,
    ))
    .await;
    assert_failed(&r, "DNS: no answer: timed out after 500ms");
    let r = once(&dns(hanging().await, www, None, DnsProtocol::Tcp)).await;
    assert_failed(&r, "DNS: no reply over TCP: timed out after 500ms");
}

/// A UDP server that answers every datagram with `answer(query)`.
async fn udp_answering(answer: fn(&[u8]) -> Vec<u8>) -> SocketAddr {
    let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let addr = socket.local_addr().unwrap();
    tokio::spawn(async move {
        let mut buf = [0u8; 1500];
        while let Ok((n, from)) = socket.recv_from(&mut buf).await {
            let _ = socket.send_to(&answer(&buf[..n]), from).await;
        }
    });
    addr
}

#[tokio::test]
async fn garbage_and_replies_to_other_queries_are_down() {
    let www = Some(("www.example.com", DnsRecord::A));
    let garbage = udp_answering(|_| b"SSH-2.0-OpenSSH_9.6\r\n".to_vec()).await;
    let r = once(&dns(garbage, www, None, DnsProtocol::Udp)).await;
    assert_failed(&r, "DNS: garbage reply (not a response, 21 bytes)");
    let short = udp_answering(|_| vec![0x12]).await;
    let r = once(&dns(short, www, None, DnsProtocol::Udp)).await;
    assert_failed(
        &r,
        "DNS: garbage reply (shorter than a DNS header, 1 bytes)",
    );
    // The query sent back as a response, but with another ID.
    let other_id = udp_answering(|q| {
        let mut a = q.to_vec();
        a[0] ^= 0xff;
        a[2] |= 0x80;
        a
    })
    .await;
    let r = once(&dns(other_id, www, None, DnsProtocol::Udp)).await;
    assert!(!r.ok, "{r:?}");
    assert!(
        r.detail.starts_with("DNS: reply ID mismatch (sent "),
        "{r:?}"
    );
    // The right ID, another question (the name's last byte changed).
    let other_question = udp_answering(|q| {
        let mut a = q.to_vec();
        a[2] |= 0x80;
        let at = a.len() - 6;
        a[at] = b'x';
        a
    })
    .await;
    let r = once(&dns(other_question, www, None, DnsProtocol::Udp)).await;
    assert_failed(&r, "DNS: reply to another question (www.example.cox A)");
}

#[tokio::test]
async fn receive_regex_is_matched_against_each_answer() {
    let Some(server) = Dnsmasq::start() else {
        return;
    };
    let www = Some(("www.example.com", DnsRecord::A));
    let mut t = dns(server.addr, www, None, DnsProtocol::Udp);
    let regex = |p: &str| Some(Receive::Regex(Pattern::new(p).unwrap()));
    if let CheckKind::Dns(d) = &mut t.check.kind {
        d.receive = regex(r"^192\.0\.2\.1[0-9]$");
    }
    assert_up_timed(&once(&t).await, "DNS: www.example.com is 192.0.2.10 in ");
    if let CheckKind::Dns(d) = &mut t.check.kind {
        d.receive = regex(r"^192\.0\.2\.2[0-9]$");
    }
    assert_failed(
        &once(&t).await,
        "DNS: no answer for www.example.com holds a match of \"^192\\\\.0\\\\.2\\\\.2[0-9]$\" (got 192.0.2.10)",
    );
}
