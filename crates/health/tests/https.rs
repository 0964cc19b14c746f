// SPDX-License-Identifier: MIT OR Apache-2.0
//! https checks against a TLS server on 127.0.0.1 with a certificate from a
//! test CA that the system does not trust.

mod common;

use std::time::Duration;

use common::*;
use health::check_once;

#[tokio::test]
async fn https_without_verification_accepts_any_certificate() {
    let (addr, mut seen) = tls_server(response("200 OK", "", "secure OK")).await;
    let mut h = http("/health");
    h.host = Some("health.test".into());
    h.receive = Some("secure".into());
    let r = check_once(&https_target(addr, h)).await;
    assert!(r.ok && r.detail.starts_with("HTTP 200 in "), "{r:?}");
    let (sni, head) = seen.recv().await.unwrap();
    assert_eq!(sni.as_deref(), Some("health.test"));
    let head = head.to_ascii_lowercase();
    assert!(head.starts_with("get /health http/1.1\r\n"), "{head}");
    assert!(head.contains("\r\nhost: health.test\r\n"), "{head}");
}

#[tokio::test]
async fn https_sends_no_sni_for_an_address() {
    let (addr, mut seen) = tls_server(response("200 OK", "", "OK")).await;
    let r = check_once(&https_target(addr, http("/"))).await;
    assert!(r.ok, "{r:?}");
    let (sni, head) = seen.recv().await.unwrap();
    assert_eq!(sni, None);
    assert!(head
        .to_ascii_lowercase()
        .contains(&format!("\r\nhost: {addr}\r\n")));

    // A Host with a port: the name alone goes in SNI.
    let mut h = http("/");
    h.host = Some("health.test:8443".into());
    assert!(check_once(&https_target(addr, h)).await.ok);
    assert_eq!(seen.recv().await.unwrap().0.as_deref(), Some("health.test"));
}

#[tokio::test]
async fn https_status_and_body_rules_apply() {
    let (addr, _) = tls_server(response("503 Service Unavailable", "", "")).await;
    let r = check_once(&https_target(addr, http("/"))).await;
    assert!(!r.ok && r.detail == "HTTP 503, wanted 2xx or 3xx", "{r:?}");
}

#[tokio::test]
async fn https_with_verification_rejects_an_untrusted_certificate() {
    let (addr, _) = tls_server(response("200 OK", "", "OK")).await;
    let mut h = http("/");
    h.host = Some("health.test".into());
    h.verify = true;
    let r = check_once(&https_target(addr, h)).await;
    assert!(!r.ok, "{r:?}");
    // The system's roots do not hold the test CA (or there are none).
    assert!(
        r.detail == "TLS handshake failed: invalid peer certificate: UnknownIssuer"
            || r.detail.starts_with("no trusted root certificates found"),
        "{r:?}"
    );
}

#[tokio::test]
async fn https_to_a_plain_http_server_fails() {
    // It answers the ClientHello with a plain HTTP error.
    let addr = serve(|mut s| async move {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut buf = [0u8; 1024];
        let _ = s.read(&mut buf).await;
        let _ = s
            .write_all(response("400 Bad Request", "", "").as_bytes())
            .await;
    })
    .await;
    let r = check_once(&https_target(addr, http("/"))).await;
    assert!(
        !r.ok && r.detail.starts_with("TLS handshake failed: "),
        "{r:?}"
    );
}

#[tokio::test]
async fn https_handshake_that_hangs_times_out() {
    let mut t = https_target(hanging().await, http("/"));
    t.check.timeout = Duration::from_millis(300);
    let r = check_once(&t).await;
    assert!(!r.ok && r.detail == "timed out after 300ms", "{r:?}");
}
