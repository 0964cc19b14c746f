// SPDX-License-Identifier: MIT OR Apache-2.0
//! The `tcp`, `udp` and `dns` checks: how they are read from TOML and from
//! ldirectord's `.cf` (`service=dns`, `service=simpletcp`), written back,
//! and the check a UDP or SCTP virtual gets when it declares none.

use config::diagnostic::Diagnostic;
use config::model::{
    CheckKind, Config, DnsCheck, DnsProtocol, DnsQuery, DnsRecord, Pattern, Receive, SendExpect,
};
use config::source::SourceFile;
use config::{cf, toml_file, validate, write};

fn strings(diagnostics: &[Diagnostic]) -> Vec<String> {
    diagnostics.iter().map(ToString::to_string).collect()
}

/// A TOML file read and validated: the configuration, or every error.
fn toml(text: &str) -> Result<Config, Vec<String>> {
    let source = SourceFile::new("k.toml", text);
    let table = toml_file::read(&source).map_err(|d| strings(&d))?;
    validate::validate(&[(source, table)])
        .map(|(config, _)| config)
        .map_err(|d| strings(&d))
}

/// A `.cf` file read and validated: the configuration and every warning.
fn ldirectord(text: &str) -> (Config, Vec<String>) {
    let source = SourceFile::new("ld.cf", text);
    let (table, mut warnings) = cf::read(&source).expect("read");
    let (config, more) = validate::validate(&[(source, table)]).expect("valid");
    warnings.extend(more);
    (config, strings(&warnings))
}

fn kind(text: &str) -> CheckKind {
    toml(text).expect("valid").virtuals[0].check.kind.clone()
}

fn dns(name: &str, record: DnsRecord, receive: Option<&str>, protocol: DnsProtocol) -> CheckKind {
    CheckKind::Dns(DnsCheck {
        query: Some(DnsQuery {
            name: name.to_string(),
            record,
        }),
        receive: receive.map(Receive::from),
        protocol,
    })
}

#[test]
fn dns_requests_name_a_record_type_and_the_protocol_follows_the_virtual() {
    assert_eq!(
        kind("[[virtual]]\naddress = \"10.0.0.1:53\"\nprotocol = \"udp\"\ncheck = { type = \"dns\", request = \"www.example.com AAAA\", receive = \"2001:db8::1\" }\n"),
        dns("www.example.com", DnsRecord::Aaaa, Some("2001:db8::1"), DnsProtocol::Udp)
    );
    assert_eq!(
        kind("[[virtual]]\naddress = \"10.0.0.1:53\"\ncheck = { type = \"dns\", request = \"www.example.com/mx\" }\n"),
        dns("www.example.com", DnsRecord::Mx, None, DnsProtocol::Tcp),
        "a TCP virtual's dns check goes over TCP"
    );
    assert_eq!(
        kind("[[virtual]]\naddress = \"10.0.0.1:53\"\nprotocol = \"udp\"\ncheck = { type = \"dns\", request = \"192.0.2.1\", protocol = \"tcp\" }\n"),
        dns("192.0.2.1", DnsRecord::Ptr, None, DnsProtocol::Tcp)
    );
    assert_eq!(
        kind("[[virtual]]\naddress = \"10.0.0.1:53\"\nprotocol = \"udp\"\ncheck = { type = \"dns\" }\n"),
        CheckKind::Dns(DnsCheck {
            query: None,
            receive: None,
            protocol: DnsProtocol::Udp
        })
    );
}

#[test]
fn dns_settings_are_checked() {
    assert_eq!(
        toml("[[virtual]]\naddress = \"10.0.0.1:53\"\ncheck = { type = \"dns\", request = \"www.example.com AXFR\", protocol = \"sctp\" }\n").unwrap_err(),
        [
            "k.toml:3:35: virtual[0].check.request: unknown record type `AXFR` (A, AAAA, CNAME, MX, NS, PTR, SOA, SRV, TXT or CAA)",
            "k.toml:3:70: virtual[0].check.protocol: `sctp` is not a DNS protocol (udp or tcp)",
        ]
    );
    assert_eq!(
        toml("[[virtual]]\naddress = \"10.0.0.1:53\"\ncheck = { type = \"dns\", request = \"a..b\" }\n").unwrap_err(),
        ["k.toml:3:35: virtual[0].check.request: `a..b` is not a domain name: an empty label (two dots in a row)"]
    );
    assert_eq!(
        toml("[[virtual]]\naddress = \"10.0.0.1:53\"\ncheck = { type = \"dns\", receive = \"192.0.2.1\" }\n").unwrap_err(),
        ["k.toml:3:35: virtual[0].check.receive: needs a request: the name whose answer should hold it"]
    );
    assert_eq!(
        toml("[[virtual]]\naddress = \"10.0.0.1:80\"\ncheck = { type = \"connect\", protocol = \"udp\" }\n").unwrap_err(),
        ["k.toml:3:40: virtual[0].check.protocol: only for dns and sip checks"]
    );
}

#[test]
fn tcp_and_udp_send_and_expect() {
    assert_eq!(
        kind("[[virtual]]\naddress = \"10.0.0.1:6379\"\ncheck = { type = \"tcp\", request = \"PING\\r\\n\", receive = \"+PONG\" }\n"),
        CheckKind::Tcp(SendExpect {
            request: Some("PING\r\n".into()),
            receive: Some("+PONG".into())
        })
    );
    assert_eq!(
        kind("[[virtual]]\naddress = \"10.0.0.1:6379\"\ncheck = { type = \"tcp\", receive_regex = \"P[IO]NG\" }\n"),
        CheckKind::Tcp(SendExpect {
            request: None,
            receive: Some(Receive::Regex(Pattern::new("P[IO]NG").unwrap()))
        })
    );
    assert_eq!(
        kind("[[virtual]]\naddress = \"10.0.0.1:6379\"\ncheck = { type = \"tcp\" }\n"),
        CheckKind::Tcp(SendExpect::default())
    );
    assert_eq!(
        kind("[[virtual]]\naddress = \"10.0.0.1:514\"\nprotocol = \"udp\"\ncheck = { type = \"udp\", request = \"ping\" }\n"),
        CheckKind::Udp(SendExpect {
            request: Some("ping".into()),
            receive: None
        })
    );
    assert_eq!(
        toml("[[virtual]]\naddress = \"10.0.0.1:514\"\nprotocol = \"udp\"\ncheck = { type = \"udp\", receive = \"x\" }\n").unwrap_err(),
        ["k.toml:4:9: virtual[0].check.request: missing: the datagram to send (a udp check is up when it is answered)"]
    );
}

#[test]
fn a_udp_or_sctp_virtual_gets_no_tcp_connect_check_by_default() {
    assert_eq!(
        kind("[[virtual]]\naddress = \"10.0.0.1:53\"\nprotocol = \"udp\"\n"),
        CheckKind::Dns(DnsCheck {
            query: None,
            receive: None,
            protocol: DnsProtocol::Udp
        }),
        "port 53 is DNS, as ldirectord picks by port"
    );
    assert_eq!(
        toml("[[virtual]]\naddress = \"10.0.0.1:514\"\nprotocol = \"udp\"\n").unwrap_err(),
        ["k.toml:1:1: virtual[0].check: missing: a TCP connect check says nothing about a UDP service; set check.type to one of udp (with a request), dns, radius, sip, ping, external, none or off"]
    );
    assert_eq!(
        toml("[[virtual]]\naddress = \"10.0.0.1:9999\"\nprotocol = \"sctp\"\n").unwrap_err(),
        ["k.toml:1:1: virtual[0].check: missing: a TCP connect check says nothing about a SCTP service; set check.type to one of ping, external, none or off"]
    );
    // Said in so many words, a connect check is what the operator asked for.
    assert_eq!(
        kind("[[virtual]]\naddress = \"10.0.0.1:514\"\nprotocol = \"udp\"\ncheck = { type = \"connect\" }\n"),
        CheckKind::Connect
    );
    // A TCP virtual and a firewall mark keep the connect check.
    assert_eq!(
        kind("[[virtual]]\naddress = \"10.0.0.1:514\"\n"),
        CheckKind::Connect
    );
    assert_eq!(kind("[[virtual]]\nfwmark = 3\n"), CheckKind::Connect);
}

#[test]
fn written_back_they_read_the_same() {
    let text = "\
[[virtual]]
address = \"10.0.0.1:53\"
protocol = \"udp\"
check = { type = \"dns\", request = \"www.example.com TXT\", receive = \"v=spf1\" }
[[virtual]]
address = \"10.0.0.2:53\"
protocol = \"udp\"
[[virtual]]
address = \"10.0.0.3:6379\"
check = { type = \"tcp\", request = \"PING\\r\\n\", receive = \"+PONG\" }
[[virtual]]
address = \"10.0.0.4:514\"
protocol = \"udp\"
check = { type = \"udp\", request = \"\\u0000ping\" }
";
    let config = toml(text).unwrap();
    let written = write::to_toml(&config, "test");
    assert!(
        written.contains(
            "request = \"www.example.com TXT\", receive = \"v=spf1\", protocol = \"udp\""
        ),
        "{written}"
    );
    assert!(written.contains("request = \"\\u0000ping\""), "{written}");
    let again = toml(&written).unwrap();
    let checks = |c: &Config| {
        c.virtuals
            .iter()
            .map(|v| v.check.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(checks(&again), checks(&config));
}

#[test]
fn ldirectord_dns_and_simpletcp_become_dns_tcp_and_udp_checks() {
    let (config, warnings) = ldirectord(
        "\
virtual=10.0.16.1:domain
\treal=10.0.240.8:domain gate 1
\tservice=dns
\tchecktype=negotiate
\trequest=\"vip-ldap.de.prod\"
\treceive=\"10.0.16.24\"
\tprotocol=udp
virtual=10.0.16.1:domain
\treal=10.0.240.8:domain gate 1
\tprotocol=tcp
virtual=10.0.0.1:6379
\treal=10.0.0.2:6379 gate
\tservice=simpletcp
\trequest=\"PING\\n\"
\treceive=\"PONG\"
virtual=10.0.0.1:7000
\treal=10.0.0.2:7000 gate
\tservice=simpletcp
\tprotocol=udp
\tcheckport=7001
\trequest=\"hello\"
",
    );
    assert_eq!(
        warnings,
        Vec::<String>::new(),
        "no downgrade to a connect check"
    );
    let kinds: Vec<&CheckKind> = config.virtuals.iter().map(|v| &v.check.kind).collect();
    assert_eq!(
        kinds,
        [
            // ldirectord's receive is a regular expression.
            &CheckKind::Dns(DnsCheck {
                query: Some(DnsQuery {
                    name: "vip-ldap.de.prod".into(),
                    record: DnsRecord::A
                }),
                receive: Some(Receive::Regex(Pattern::new("10.0.16.24").unwrap())),
                protocol: DnsProtocol::Udp
            }),
            // Port 53 means dns to ldirectord; without a request: any reply.
            &CheckKind::Dns(DnsCheck {
                query: None,
                receive: None,
                protocol: DnsProtocol::Tcp
            }),
            // ldirectord sends simpletcp's request with `\n` as a newline.
            &CheckKind::Tcp(SendExpect {
                request: Some("PING\n".into()),
                receive: Some(Receive::Regex(Pattern::new("PONG").unwrap()))
            }),
            // simpletcp opens a socket of the virtual's protocol.
            &CheckKind::Udp(SendExpect {
                request: Some("hello".into()),
                receive: None
            }),
        ]
    );
    assert_eq!(config.virtuals[3].check.port, Some(7001));
    // Still a warning for a service without its check.
    let (_, warnings) = ldirectord("virtual=10.0.0.1:1521\n\treal=10.0.0.2:1521 gate\n");
    assert_eq!(
        warnings,
        ["ld.cf:1:1: service: negotiate check for service oracle (ldirectord's default for port 1521) is not supported by ipvsctl; using a TCP connect check"]
    );
}

#[test]
fn a_udp_virtual_on_the_sip_or_radius_port() {
    use config::model::SipCheck;
    assert_eq!(
        kind("[[virtual]]\naddress = \"10.0.0.1:5060\"\nprotocol = \"udp\"\n"),
        CheckKind::Sip(SipCheck::default()),
        "port 5060 is SIP (OPTIONS over UDP), as ldirectord picks by port"
    );
    for port in [1812, 1813] {
        assert_eq!(
            toml(&format!("[[virtual]]\naddress = \"10.0.0.1:{port}\"\nprotocol = \"udp\"\n")).unwrap_err(),
            ["k.toml:1:1: virtual[0].check: missing: a TCP connect check says nothing about a UDP service; set check.type to one of radius (with login and secret), udp (with a request), ping, external, none or off"]
        );
    }
}
