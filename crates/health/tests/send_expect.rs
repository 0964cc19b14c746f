// SPDX-License-Identifier: MIT OR Apache-2.0
//! The `tcp` and `udp` send/expect checks against a real server (dnsmasq
//! over TCP and UDP, sent a DNS query as the request; see
//! `common/dnsmasq.rs`), and against listeners that fail the ways a
//! server can: closed, accepting and silent, garbage, an endless line.

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use common::dnsmasq::{raw_query, Dnsmasq};
use common::*;
use config::model::{Pattern, Receive, SendExpect};
use health::{check_once, CheckKind, CheckResult};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::UdpSocket;

/// Runs one check, failing the test if it is not over in 10 s.
async fn once(t: &Target) -> CheckResult {
    tokio::time::timeout(Duration::from_secs(10), check_once(t))
        .await
        .expect("the check outlived its timeout")
}

fn send_expect(request: Option<String>, receive: Option<&str>) -> SendExpect {
    SendExpect {
        request,
        receive: receive.map(Receive::from),
    }
}

fn tcp(addr: SocketAddr, request: Option<String>, receive: Option<&str>) -> Target {
    let mut c = check(CheckKind::Tcp(send_expect(request, receive)));
    c.timeout = Duration::from_millis(500);
    target(addr, c)
}

fn udp(addr: SocketAddr, request: &str, receive: Option<&str>) -> Target {
    let mut c = check(CheckKind::Udp(send_expect(
        Some(request.to_string()),
        receive,
    )));
    c.timeout = Duration::from_millis(500);
    target(addr, c)
}

/// The query for `check.example.com TXT` framed for TCP (its length first).
fn tcp_query() -> String {
    let q = raw_query("check.example.com", 16);
    format!("\u{0}{}{q}", char::from(q.len() as u8))
}

// tcp

#[tokio::test]
async fn tcp_sends_the_request_and_finds_the_answer() {
    let Some(server) = Dnsmasq::start() else {
        return;
    };
    let r = once(&tcp(server.addr, Some(tcp_query()), Some("pong"))).await;
    assert_up_timed(&r, "received \"pong\" in ");
}

#[tokio::test]
async fn tcp_receive_regex_is_matched_across_reads() {
    let Some(server) = Dnsmasq::start() else {
        return;
    };
    let mut t = tcp(server.addr, Some(tcp_query()), None);
    if let CheckKind::Tcp(s) = &mut t.check.kind {
        s.receive = Some(Receive::Regex(Pattern::new("p[aeiou]ng").unwrap()));
    }
    assert_up_timed(&once(&t).await, "received a match of \"p[aeiou]ng\" in ");
}

#[tokio::test]
async fn tcp_without_receive_is_up_on_connect() {
    let Some(server) = Dnsmasq::start() else {
        return;
    };
    let r = once(&tcp(server.addr, None, None)).await;
    assert_up_timed(&r, "connected in ");
    let r = once(&tcp(server.addr, Some(tcp_query()), None)).await;
    assert_up_timed(&r, "connected, request sent in ");
}

#[tokio::test]
async fn tcp_wrong_answer_waits_for_it_until_the_timeout() {
    let Some(server) = Dnsmasq::start() else {
        return;
    };
    // dnsmasq answers, then keeps the connection open for more queries.
    let r = once(&tcp(server.addr, Some(tcp_query()), Some("ping"))).await;
    assert!(!r.ok, "{r:?}");
    assert!(
        r.detail
            .starts_with("timed out after 500ms waiting for \"ping\" (got \"\\x00"),
        "{r:?}"
    );
}

#[tokio::test]
async fn tcp_closed_port_is_refused() {
    let r = once(&tcp(refused().await, Some("PING\r\n".into()), Some("PONG"))).await;
    assert_failed(&r, "connect refused");
}

#[tokio::test]
async fn tcp_a_server_that_accepts_and_hangs_times_out() {
    let r = once(&tcp(hanging().await, Some("PING\r\n".into()), Some("PONG"))).await;
    assert_failed(
        &r,
        "timed out after 500ms waiting for \"PONG\" (nothing received)",
    );
}

#[tokio::test]
async fn tcp_garbage_then_close_is_down() {
    // Reads the request (so that closing sends a FIN, not a reset).
    let addr = serve(|mut s| async move {
        let mut line = [0u8; 6];
        let _ = s.read_exact(&mut line).await;
        let _ = s.write_all(b"\x00\x01\x02 not what you wanted\r\n").await;
    })
    .await;
    let r = once(&tcp(addr, Some("PING\r\n".into()), Some("PONG"))).await;
    assert_failed(
        &r,
        "closed before \"PONG\" came (got \"\\x00\\x01\\x02 not what you wanted\\r\\n\")",
    );
}

#[tokio::test]
async fn tcp_an_endless_line_is_read_only_64_kib() {
    let addr = serve(|mut s| async move {
        let chunk = [b'x'; 8192];
        while s.write_all(&chunk).await.is_ok() {}
    })
    .await;
    let r = once(&tcp(addr, None, Some("PONG"))).await;
    assert_failed(
        &r,
        &format!(
            "no \"PONG\" in the first 64 KiB (got \"{}…\")",
            "x".repeat(40)
        ),
    );
}

// udp

#[tokio::test]
async fn udp_sends_the_datagram_and_finds_the_answer() {
    let Some(server) = Dnsmasq::start() else {
        return;
    };
    let query = raw_query("check.example.com", 16);
    let r = once(&udp(server.addr, &query, Some("pong"))).await;
    assert_up_timed(&r, "received \"pong\" in ");
    let r = once(&udp(server.addr, &query, None)).await;
    assert_up_timed(&r, "answered \"\\x124");
}

#[tokio::test]
async fn udp_wrong_answer_is_down() {
    let Some(server) = Dnsmasq::start() else {
        return;
    };
    // An unknown name: NXDOMAIN, which has no "pong" in it.
    let query = raw_query("nope.example.com", 16);
    let r = once(&udp(server.addr, &query, Some("pong"))).await;
    assert!(!r.ok, "{r:?}");
    assert!(
        r.detail
            .starts_with("answer lacks \"pong\" (got \"\\x124\\x81\\x83"),
        "{r:?}"
    );
}

#[tokio::test]
async fn udp_closed_port_is_port_unreachable() {
    let closed = UdpSocket::bind("127.0.0.1:0")
        .await
        .unwrap()
        .local_addr()
        .unwrap();
    let r = once(&udp(closed, "PING", Some("PONG"))).await;
    assert_failed(
        &r,
        &format!(
            "port unreachable (ICMP): nothing listens on UDP port {}",
            closed.port()
        ),
    );
}

#[tokio::test]
async fn udp_silence_times_out() {
    let silent = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let r = once(&udp(silent.local_addr().unwrap(), "PING", None)).await;
    assert_failed(&r, "no answer: timed out after 500ms");
}

#[tokio::test]
async fn udp_garbage_is_down() {
    let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let addr = socket.local_addr().unwrap();
    tokio::spawn(async move {
        let mut buf = [0u8; 1500];
        while let Ok((_, from)) = socket.recv_from(&mut buf).await {
            let _ = socket.send_to(b"\xff\xfe garbage", from).await;
        }
    });
    let r = once(&udp(addr, "PING", Some("PONG"))).await;
    assert_failed(&r, "answer lacks \"PONG\" (got \"\\xff\\xfe garbage\")");
}
