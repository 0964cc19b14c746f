// SPDX-License-Identifier: MIT OR Apache-2.0
//! TLS for https checks: rustls with the `ring` provider. Two client
//! configurations, each made once per process when first needed: one that
//! accepts any certificate (the default: a health check asks "does it
//! answer", and reals often have self-signed or internal certificates), and
//! one that verifies against the system's roots (`verify = true`).

use std::net::IpAddr;
use std::sync::{Arc, OnceLock};

use tokio_rustls::rustls::client::danger::{
    HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier,
};
use tokio_rustls::rustls::crypto::{self, CryptoProvider};
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use tokio_rustls::rustls::{
    ClientConfig, DigitallySignedStruct, Error, RootCertStore, SignatureScheme,
};
use tokio_rustls::TlsConnector;

fn provider() -> Arc<CryptoProvider> {
    Arc::new(crypto::ring::default_provider())
}

fn builder() -> Result<
    tokio_rustls::rustls::ConfigBuilder<ClientConfig, tokio_rustls::rustls::WantsVerifier>,
    String,
> {
    ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS setup: {e}"))
}

/// The connector for `verify`: system roots when true, none checked when false.
pub(crate) fn connector(verify: bool) -> Result<TlsConnector, String> {
    static INSECURE: OnceLock<Result<TlsConnector, String>> = OnceLock::new();
    static VERIFIED: OnceLock<Result<TlsConnector, String>> = OnceLock::new();
    if verify {
        VERIFIED.get_or_init(verified).clone()
    } else {
        INSECURE.get_or_init(insecure).clone()
    }
}

fn insecure() -> Result<TlsConnector, String> {
    let config = builder()?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(AnyCertificate(provider())))
        .with_no_client_auth();
    Ok(TlsConnector::from(Arc::new(config)))
}

fn verified() -> Result<TlsConnector, String> {
    // Reads the system's store (or SSL_CERT_FILE / SSL_CERT_DIR) once.
    let loaded = rustls_native_certs::load_native_certs();
    let mut roots = RootCertStore::empty();
    let (added, _) = roots.add_parsable_certificates(loaded.certs);
    if added == 0 {
        let why = loaded
            .errors
            .first()
            .map(|e| format!(": {e}"))
            .unwrap_or_default();
        return Err(format!("no trusted root certificates found{why}"));
    }
    tracing::debug!(
        roots = added,
        "loaded the system's trusted root certificates"
    );
    let config = builder()?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(TlsConnector::from(Arc::new(config)))
}

/// The name sent as SNI and verified: the Host (without its port) when it
/// is a DNS name, else the real's address (no SNI is sent for an address).
pub(crate) fn server_name(host: Option<&str>, ip: IpAddr) -> ServerName<'static> {
    if let Some(name) = host.map(host_without_port) {
        if name.parse::<IpAddr>().is_err() {
            if let Ok(dns) = ServerName::try_from(name.to_string()) {
                return dns;
            }
        }
    }
    ServerName::IpAddress(ip.into())
}

/// `example.com:8443` → `example.com`, `[::1]:443` → `::1`.
pub(crate) fn host_without_port(host: &str) -> &str {
    if let Some(rest) = host.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest);
    }
    match host.split_once(':') {
        // One colon: name:port. More: a bare IPv6 address.
        Some((name, port)) if !port.contains(':') => name,
        _ => host,
    }
}

/// Accepts any certificate, but still checks that the server holds the key
/// of the one it sent (the handshake signatures).
#[derive(Debug)]
struct AnyCertificate(Arc<CryptoProvider>);

impl ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    #[test]
    fn host_ports_are_dropped() {
        assert_eq!(host_without_port("example.com"), "example.com");
        assert_eq!(host_without_port("example.com:8443"), "example.com");
        assert_eq!(host_without_port("[::1]:443"), "::1");
        assert_eq!(host_without_port("[::1]"), "::1");
        assert_eq!(host_without_port("::1"), "::1");
        assert_eq!(host_without_port("10.0.0.1:80"), "10.0.0.1");
    }

    #[test]
    fn sni_is_the_dns_name_else_the_address() {
        let ip = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 1));
        let dns = |s: &str| ServerName::try_from(s.to_string()).unwrap();
        assert_eq!(
            server_name(Some("www.example.com"), ip),
            dns("www.example.com")
        );
        assert_eq!(
            server_name(Some("www.example.com:8443"), ip),
            dns("www.example.com")
        );
        assert_eq!(server_name(None, ip), ServerName::IpAddress(ip.into()));
        assert_eq!(
            server_name(Some("10.1.2.3"), ip),
            ServerName::IpAddress(ip.into()),
            "an address Host is not a name: the real's address is used"
        );
        assert_eq!(
            server_name(Some("bad name!"), ip),
            ServerName::IpAddress(ip.into())
        );
    }

    #[test]
    fn the_insecure_connector_builds() {
        assert!(connector(false).is_ok());
    }
}
