// SPDX-License-Identifier: MIT OR Apache-2.0
//! HTTP checks with `receive_regex` (a regular expression, what ldirectord's
//! `receive` is) and `status` as codes and ranges, against real servers on
//! 127.0.0.1.

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use common::*;
use config::model::{Pattern, Receive, StatusCodes};
use health::{check_once, CheckKind, CheckResult, HttpCheck};
use tokio::io::AsyncWriteExt;

/// Runs one check, failing the test if it is not over in 10 s.
async fn once(t: &Target) -> CheckResult {
    tokio::time::timeout(Duration::from_secs(10), check_once(t))
        .await
        .expect("the check outlived its timeout")
}

fn http_target(addr: SocketAddr, h: HttpCheck, timeout_ms: u64) -> Target {
    let mut t = target(addr, check(CheckKind::Http(h)));
    t.check.timeout = Duration::from_millis(timeout_ms);
    t
}

fn regex(pattern: &str) -> HttpCheck {
    let mut h = http("/");
    h.receive = Some(Receive::Regex(Pattern::new(pattern).unwrap()));
    h
}

fn statuses(text: &str) -> HttpCheck {
    let mut h = http("/");
    h.status = Some(StatusCodes::parse(text).unwrap());
    h
}

fn assert_ok(r: &CheckResult, starts: &str) {
    assert!(r.ok, "{r:?}");
    assert!(r.detail.starts_with(starts), "{r:?}");
}

/// Answers 200 with a body written in `pieces`, a little apart, then closes.
async fn in_pieces(pieces: &'static [&'static [u8]]) -> SocketAddr {
    serve(move |mut s| async move {
        read_head(&mut s).await;
        let length: usize = pieces.iter().map(|p| p.len()).sum();
        let head = format!("HTTP/1.1 200 OK\r\nContent-Length: {length}\r\n\r\n");
        if s.write_all(head.as_bytes()).await.is_err() {
            return;
        }
        for piece in pieces {
            tokio::time::sleep(Duration::from_millis(5)).await;
            if s.write_all(piece).await.is_err() || s.flush().await.is_err() {
                return;
            }
        }
        let _ = s.shutdown().await;
    })
    .await
}

#[tokio::test]
async fn regex_matches_the_body() {
    let (addr, _) = http_server(response("200 OK", "", "<p>OK web12</p>")).await;
    assert_ok(
        &once(&http_target(addr, regex("OK web[0-9]+"), 1000)).await,
        "HTTP 200 in ",
    );
    // A substring check of the same text looks for it as written.
    let mut h = http("/");
    h.receive = Some("OK web[0-9]+".into());
    assert_failed(
        &once(&http_target(addr, h, 1000)).await,
        "body lacks \"OK web[0-9]+\"",
    );
}

#[tokio::test]
async fn regex_that_does_not_match_fails() {
    let (addr, _) = http_server(response("200 OK", "", "<p>OK web</p>")).await;
    assert_failed(
        &once(&http_target(addr, regex("OK web[0-9]+"), 1000)).await,
        "body does not match \"OK web[0-9]+\"",
    );
    // Wrong status first: the body is not looked at.
    let (addr, _) = http_server(response("503 Busy", "", "OK web1")).await;
    assert_failed(
        &once(&http_target(addr, regex("OK web[0-9]+"), 1000)).await,
        "HTTP 503, wanted 2xx or 3xx",
    );
}

#[tokio::test]
async fn regex_matches_across_pieces_and_raw_bytes() {
    let addr = in_pieces(&[b"\xff\xfe<p>O", b"K w", b"eb", b"7", b"</p>\xc3"]).await;
    assert_ok(
        &once(&http_target(addr, regex("OK web[0-9]+"), 2000)).await,
        "HTTP 200 in ",
    );
    let addr = in_pieces(&[b"OK w", b"eb", b"</p>"]).await;
    assert_failed(
        &once(&http_target(addr, regex("OK web[0-9]+"), 2000)).await,
        "body does not match \"OK web[0-9]+\"",
    );
}

#[tokio::test]
async fn regex_on_an_endless_body_reads_64_kib_only() {
    let (addr, _written) = endless("start ").await;
    // A long timeout: the check must end at 64 KiB, not at the timeout.
    assert_failed(
        &once(&http_target(addr, regex("NEVER[0-9]"), 5000)).await,
        "body does not match \"NEVER[0-9]\" in its first 64 KiB",
    );
    assert_ok(
        &once(&http_target(addr, regex("^start x+"), 5000)).await,
        "HTTP 200 in ",
    );
}

#[tokio::test]
async fn regex_on_a_trickling_body_passes_once_it_matches() {
    // The match comes first, in two pieces, then a byte at a time for
    // ever: the check passes without waiting for the end.
    let addr = serve(|mut s| async move {
        read_head(&mut s).await;
        let _ = s.write_all(b"HTTP/1.1 200 OK\r\n\r\nOK w").await;
        tokio::time::sleep(Duration::from_millis(5)).await;
        let _ = s.write_all(b"eb3 ").await;
        while s.write_all(b"x").await.is_ok() {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    })
    .await;
    assert_ok(
        &once(&http_target(addr, regex("OK web[0-9]"), 5000)).await,
        "HTTP 200 in ",
    );
    // One that never matches is bounded by the timeout.
    assert_failed(
        &once(&http_target(addr, regex("NEVER"), 300)).await,
        "timed out after 300ms",
    );
}

#[tokio::test]
async fn regex_against_a_closed_port_a_hang_and_garbage() {
    assert_failed(
        &once(&http_target(refused().await, regex("OK"), 1000)).await,
        "connect refused",
    );
    assert_failed(
        &once(&http_target(hanging().await, regex("OK"), 300)).await,
        "timed out after 300ms",
    );
    let r = once(&http_target(garbage().await, regex("OK"), 1000)).await;
    assert!(!r.ok && r.detail.starts_with("HTTP: "), "{r:?}");
}

#[tokio::test]
async fn status_codes_and_ranges() {
    let cases = [
        ("401 Unauthorized", "200-299,401", true),
        ("204 No Content", "200-299,401", true),
        ("301 Moved", "200-299,401", false),
        ("404 Not Found", "200,404", true),
        ("500 Oops", "200-299, 401", false),
    ];
    for (answer, wanted, up) in cases {
        let (addr, _) = http_server(response(answer, "", "")).await;
        let r = once(&http_target(addr, statuses(wanted), 1000)).await;
        let code = &answer[..3];
        if up {
            assert_ok(&r, &format!("HTTP {code} in "));
        } else {
            let wanted = StatusCodes::parse(wanted).unwrap();
            assert_failed(&r, &format!("HTTP {code}, wanted {wanted}"));
        }
    }
}

#[tokio::test]
async fn status_and_regex_together() {
    let (addr, _) = http_server(response("401 Unauthorized", "", "realm web4")).await;
    let mut h = statuses("200-299,401");
    h.receive = regex("web[0-9]").receive;
    assert_ok(
        &once(&http_target(addr, h.clone(), 1000)).await,
        "HTTP 401 in ",
    );
    h.receive = regex("web[a-z]").receive;
    assert_failed(
        &once(&http_target(addr, h, 1000)).await,
        "body does not match \"web[a-z]\"",
    );
}
