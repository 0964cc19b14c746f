// SPDX-License-Identifier: MIT OR Apache-2.0
//! The settings of the `tcp`, `udp` and `dns` checks, and the check a
//! virtual gets when it declares none: a TCP connect check only for what
//! TCP can tell about (a TCP virtual, a firewall mark); DNS for a UDP
//! virtual on port 53 and SIP on 5060, as ldirectord picks by port
//! (RADIUS on 1812/1813 needs a secret: named first); otherwise an error
//! naming the kinds that fit.

use std::net::IpAddr;

use crate::fields::{Checker, Fields};
use crate::model::{
    CheckKind, DnsCheck, DnsProtocol, DnsQuery, DnsRecord, Protocol, SendExpect, SipCheck,
    VirtualKey,
};
use crate::words::{DNS_PROTOCOL, DNS_RECORD};

/// The keys only a DNS check reads (beside `request` and `receive`).
pub(super) const DNS_ONLY: &[&str] = &["protocol"];

/// The kind of the check of a virtual that declares none (neither its own
/// nor a `[defaults]` one).
pub(super) fn implicit(
    checker: &mut Checker<'_>,
    v: &Fields<'_>,
    key: Option<&VirtualKey>,
) -> Option<CheckKind> {
    let Some(&VirtualKey::Address { protocol, address }) = key else {
        return Some(CheckKind::Connect);
    };
    let fits = match protocol {
        Protocol::Tcp => return Some(CheckKind::Connect),
        Protocol::Udp if address.port() == 53 => {
            return Some(CheckKind::Dns(DnsCheck {
                query: None,
                receive: None,
                protocol: DnsProtocol::Udp,
            }))
        }
        // SIP on its port, as ldirectord picks by port.
        Protocol::Udp if address.port() == 5060 => {
            return Some(CheckKind::Sip(SipCheck::default()));
        }
        // RADIUS on its ports, but a radius check needs a login and secret.
        Protocol::Udp if matches!(address.port(), 1812 | 1813) => {
            "radius (with login and secret), udp (with a request), ping, external, none or off"
        }
        Protocol::Udp => "udp (with a request), dns, radius, sip, ping, external, none or off",
        Protocol::Sctp => "ping, external, none or off",
    };
    let what = match protocol {
        Protocol::Udp => "UDP",
        _ => "SCTP",
    };
    checker.error(
        &v.span,
        Some(v.key("check")),
        format!(
            "missing: a TCP connect check says nothing about a {what} service; set \
             check.type to one of {fits}"
        ),
    );
    None
}

/// `request` and `receive` of a `tcp` or `udp` check; a `udp` check must
/// send something.
pub(super) fn send_expect(
    checker: &mut Checker<'_>,
    c: &Fields<'_>,
    datagram: bool,
) -> Option<SendExpect> {
    let request = checker.string(c, "request").map(|(r, _)| r.to_string());
    let receive = super::check::receive(checker, c);
    if datagram && request.as_deref().is_none_or(str::is_empty) {
        let span = c.get("request").map_or(c.span.clone(), |i| i.span.clone());
        checker.error(
            &span,
            Some(c.key("request")),
            "missing: the datagram to send (a udp check is up when it is answered)",
        );
        return None;
    }
    Some(SendExpect {
        request,
        receive: receive?,
    })
}

/// `request` (`name [TYPE]` or `name/TYPE`, an address for PTR),
/// `receive`, and `protocol` (default: the virtual's, UDP for a firewall
/// mark or an SCTP virtual).
pub(super) fn dns(
    checker: &mut Checker<'_>,
    c: &Fields<'_>,
    key: Option<&VirtualKey>,
) -> Option<DnsCheck> {
    let query = match checker.string(c, "request") {
        None => Some(None),
        Some((text, item)) => match question(text) {
            Ok(q) => Some(Some(q)),
            Err(why) => {
                checker.error(&item.span, Some(c.key("request")), why);
                None
            }
        },
    };
    let receive = super::check::receive(checker, c);
    for key in ["receive", "receive_regex"] {
        if let (Some(None), Some(item)) = (&query, c.get(key)) {
            checker.error(
                &item.span,
                Some(c.key(key)),
                "needs a request: the name whose answer should hold it",
            );
        }
    }
    let protocol = match checker.word(c, "protocol", &DNS_PROTOCOL) {
        Some(word) => word.ok(),
        None => Some(match key {
            Some(VirtualKey::Address {
                protocol: Protocol::Tcp,
                ..
            }) => DnsProtocol::Tcp,
            _ => DnsProtocol::Udp,
        }),
    };
    Some(DnsCheck {
        query: query?,
        receive: receive?,
        protocol: protocol?,
    })
}

/// `www.example.com`, `www.example.com AAAA`, `www.example.com/AAAA`,
/// `192.0.2.1` (PTR of its reverse name).
pub(crate) fn question(text: &str) -> Result<DnsQuery, String> {
    let text = text.trim();
    let (name, record) = match text.split_once(|c: char| c == '/' || c.is_whitespace()) {
        Some((name, record)) => (name, Some(record.trim())),
        None => (text, None),
    };
    let record = record.map(|r| DNS_RECORD.parse(r)).transpose()?;
    if name.parse::<IpAddr>().is_ok() {
        return match record {
            None | Some(DnsRecord::Ptr) => Ok(DnsQuery {
                name: name.to_string(),
                record: DnsRecord::Ptr,
            }),
            Some(_) => Err(format!(
                "`{name}` is an address: it is asked as PTR (write the name to ask for other \
                 records)"
            )),
        };
    }
    if let Some(why) = bad_name(name) {
        return Err(format!("`{name}` is not a domain name: {why}"));
    }
    Ok(DnsQuery {
        name: name.to_string(),
        record: record.unwrap_or(DnsRecord::A),
    })
}

/// Why `name` cannot be asked, if it cannot: labels of 1 to 63 bytes of
/// printable ASCII, 253 bytes in all (`.` alone is the root).
fn bad_name(name: &str) -> Option<&'static str> {
    if name == "." {
        return None;
    }
    let bare = name.strip_suffix('.').unwrap_or(name);
    if bare.is_empty() {
        return Some("empty");
    }
    if bare.len() > 253 {
        return Some("longer than 253 characters");
    }
    for label in bare.split('.') {
        if label.is_empty() {
            return Some("an empty label (two dots in a row)");
        }
        if label.len() > 63 {
            return Some("a label longer than 63 characters");
        }
        if !label.bytes().all(|b| b.is_ascii_graphic()) {
            return Some("only printable ASCII (write an internationalised name in its xn-- form)");
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(name: &str, record: DnsRecord) -> DnsQuery {
        DnsQuery {
            name: name.to_string(),
            record,
        }
    }

    #[test]
    fn a_question_is_a_name_with_an_optional_type() {
        assert_eq!(
            question("www.example.com"),
            Ok(q("www.example.com", DnsRecord::A))
        );
        assert_eq!(
            question("www.example.com AAAA"),
            Ok(q("www.example.com", DnsRecord::Aaaa))
        );
        assert_eq!(
            question("www.example.com/mx"),
            Ok(q("www.example.com", DnsRecord::Mx))
        );
        assert_eq!(question("192.0.2.1"), Ok(q("192.0.2.1", DnsRecord::Ptr)));
        assert_eq!(question("."), Ok(q(".", DnsRecord::A)));
        assert_eq!(
            question("www.example.com AXFR").unwrap_err(),
            "unknown record type `AXFR` (A, AAAA, CNAME, MX, NS, PTR, SOA, SRV, TXT or CAA)"
        );
        assert!(question("192.0.2.1 A")
            .unwrap_err()
            .contains("asked as PTR"));
        assert!(question("a..b").unwrap_err().contains("empty label"));
        assert!(question("").unwrap_err().contains("empty"));
        assert!(question(&"x".repeat(64)).unwrap_err().contains("63"));
        assert!(question("bücher.de").unwrap_err().contains("xn--"));
    }
}
