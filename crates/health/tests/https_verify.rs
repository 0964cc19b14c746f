// SPDX-License-Identifier: MIT OR Apache-2.0
//! `verify = true` against a trusted CA: SSL_CERT_FILE names the test CA
//! (its own test binary: the roots are read once per process).

mod common;

use common::*;
use health::check_once;

#[tokio::test]
async fn https_verification_against_trusted_roots() {
    let ca = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/ca.pem");
    // Before any check reads the roots; the only test in this binary.
    std::env::set_var("SSL_CERT_FILE", ca);
    std::env::remove_var("SSL_CERT_DIR");

    let (addr, mut seen) = tls_server(response("200 OK", "", "OK")).await;
    let verified = |host: Option<&str>| {
        let mut h = http("/");
        h.host = host.map(str::to_string);
        h.verify = true;
        https_target(addr, h)
    };
    // The name in the certificate.
    let r = check_once(&verified(Some("health.test"))).await;
    assert!(r.ok, "{r:?}");
    assert_eq!(seen.recv().await.unwrap().0.as_deref(), Some("health.test"));
    // No Host: verified against the address (127.0.0.1 is in the certificate).
    let r = check_once(&verified(None)).await;
    assert!(r.ok, "{r:?}");
    // A name the certificate is not for.
    let r = check_once(&verified(Some("other.test"))).await;
    assert!(!r.ok, "{r:?}");
    assert!(
        r.detail
            .starts_with("TLS handshake failed: invalid peer certificate: "),
        "{r:?}"
    );
    assert!(r.detail.contains("not valid for name"), "{r:?}");
}
