// SPDX-License-Identifier: MIT OR Apache-2.0
//! Addresses in a `.cf` file: `virtual=`, `real=` (with ranges) and
//! `fallback=` values: IP literals, or host names resolved by
//! [`host_names`](super::host_names) as ldirectord resolves them.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::ops::Range;

use super::host_names::{is_host_name, HostNames};
use super::lexer::words;
use super::services::port_by_name;

/// The most addresses one `real=a->b` range may expand to.
pub(super) const MAX_RANGE: u32 = 4096;

/// Whether a block is `virtual` (IPv4) or `virtual6`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub(super) enum Family {
    /// `virtual`, `real`, `fallback`.
    #[default]
    V4,
    /// `virtual6`, `real6`, `fallback6`.
    V6,
}

/// What is wrong, and where.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Problem {
    /// Where.
    pub span: Range<usize>,
    /// What.
    pub message: String,
}

fn problem<T>(span: &Range<usize>, message: impl Into<String>) -> Result<T, Problem> {
    Err(Problem {
        span: span.clone(),
        message: message.into(),
    })
}

/// What a `virtual=` line names.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Target {
    /// An address and a port.
    Address {
        /// The address.
        ip: IpAddr,
        /// The port.
        port: u16,
        /// Whether the port was written `53` or `domain`: ldirectord's
        /// protocol is then udp unless `protocol=` says otherwise.
        dns: bool,
    },
    /// A firewall mark.
    Fwmark(i64),
}

/// A `virtual=` value (its first word; the caller warns about the rest).
pub(super) fn virtual_target(
    word: &str,
    span: &Range<usize>,
    family: Family,
    names: &mut HostNames,
) -> Result<Target, Problem> {
    if !word.is_empty() && word.bytes().all(|b| b.is_ascii_digit()) {
        return match word.parse::<i64>() {
            Ok(mark) => Ok(Target::Fwmark(mark)),
            Err(_) => problem(span, format!("firewall mark `{word}` is too large")),
        };
    }
    let (host, port) = split_host_port(word, span);
    let Some((port_text, port_span)) = port else {
        if family == Family::V4 && word.parse::<Ipv4Addr>().is_ok() {
            return problem(
                span,
                format!("`{word}` has no port: write ip:port, or a number for a firewall mark"),
            );
        }
        if !is_host_name(host.0) {
            ip(host.0, &host.1, family, names)?;
        }
        return problem(span, format!("`{word}` has no port: write [ip]:port"));
    };
    let ip = ip(host.0, &host.1, family, names)?;
    let port = self::port(port_text, &port_span)?;
    Ok(Target::Address {
        ip,
        port,
        dns: matches!(port_text, "53" | "domain"),
    })
}

/// One `real=` line: one address, or a range of IPv4 addresses.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct RealLine {
    /// The addresses (more than one for a range).
    pub ips: Vec<IpAddr>,
    /// The port, when written.
    pub port: Option<u16>,
    /// Where `address[->address][:port]` is.
    pub address_span: Range<usize>,
    /// `gate`, `masq` or `ipip`.
    pub forward: &'static str,
    /// Where the forward method is.
    pub forward_span: Range<usize>,
    /// The weight and where it is, when written.
    pub weight: Option<(i64, Range<usize>)>,
}

/// A `real=` value: `ip[->ip][:port] gate|masq|ipip [weight]`. Every
/// problem of the line, when it has any.
pub(super) fn real(
    value: &str,
    span: &Range<usize>,
    family: Family,
    names: &mut HostNames,
) -> Result<RealLine, Vec<Problem>> {
    let words = words(value, span.start);
    let Some((address, address_span)) = words.first().cloned() else {
        return Err(vec![Problem {
            span: span.clone(),
            message: "missing address: write ip:port gate|masq|ipip [weight]".into(),
        }]);
    };
    let mut problems = Vec::new();
    let addresses = real_addresses(address, &address_span, family, names);
    let forward = match words.get(1) {
        Some((text, forward_span)) => {
            forward(text, forward_span).map(|f| (f, forward_span.clone()))
        }
        None => problem(
            &(address_span.end..address_span.end),
            "missing forward method after the address: gate, masq or ipip",
        ),
    };
    let mut rest = words.iter().skip(2);
    let mut next = rest.next();
    let mut weight = Ok(None);
    if let Some((text, weight_span)) = next {
        if text.bytes().all(|b| b.is_ascii_digit()) {
            weight = match text.parse::<i64>() {
                Ok(w) => Ok(Some((w, weight_span.clone()))),
                Err(_) => problem(weight_span, format!("weight `{text}` is too large")),
            };
            next = rest.next();
        }
    }
    if let Some((text, extra_span)) = next {
        let message = if text.starts_with('"') {
            "request/receive strings on a real server are not supported by ipvsctl: \
             set request= and receive= in the virtual block"
                .to_string()
        } else if text.starts_with("l:") || text.starts_with("u:") {
            format!("connection thresholds (`{text}`) are not supported by ipvsctl")
        } else {
            format!("unexpected `{text}`: expected ip:port gate|masq|ipip [weight]")
        };
        problems.push(Problem {
            span: extra_span.clone(),
            message,
        });
    }
    let addresses = addresses.map_err(|p| problems.insert(0, p));
    let forward = forward.map_err(|p| problems.push(p));
    let weight = weight.map_err(|p| problems.push(p));
    match (addresses, forward, weight) {
        (Ok((ips, port)), Ok((forward, forward_span)), Ok(weight)) if problems.is_empty() => {
            Ok(RealLine {
                ips,
                port,
                address_span,
                forward,
                forward_span,
                weight,
            })
        }
        _ => Err(problems),
    }
}

/// `ip[->ip][:port]`.
fn real_addresses(
    address: &str,
    span: &Range<usize>,
    family: Family,
    names: &mut HostNames,
) -> Result<(Vec<IpAddr>, Option<u16>), Problem> {
    let (first, last) = match address.find("->") {
        Some(arrow) => (
            (&address[..arrow], span.start..span.start + arrow),
            Some((&address[arrow + 2..], span.start + arrow + 2..span.end)),
        ),
        None => ((address, span.clone()), None),
    };
    let (end_text, end_span) = last.clone().unwrap_or(first.clone());
    let (end_host, port) = split_host_port(end_text, &end_span);
    let port = match port {
        Some((text, port_span)) => Some(self::port(text, &port_span)?),
        None => None,
    };
    let ips = match last {
        None => vec![ip(end_host.0, &end_host.1, family, names)?],
        Some(_) => {
            if family == Family::V4 && first.0.contains(':') {
                return problem(&first.1, "the port goes after the last address: a->b:port");
            }
            let start = ip(first.0, &first.1, family, names)?;
            let end = ip(end_host.0, &end_host.1, family, names)?;
            range(start, end, span)?
        }
    };
    Ok((ips, port))
}

/// A `fallback=` value: `ip[:port] [gate|masq|ipip]`.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct FallbackLine {
    /// The address.
    pub ip: IpAddr,
    /// The port, when written (the virtual's port otherwise).
    pub port: Option<u16>,
    /// Where `ip[:port]` is.
    pub address_span: Range<usize>,
    /// `gate` (the default), `masq` or `ipip`.
    pub forward: &'static str,
    /// Where the forward method is, when written.
    pub forward_span: Option<Range<usize>>,
}

/// Parses a `fallback=` value.
pub(super) fn fallback(
    value: &str,
    span: &Range<usize>,
    family: Family,
    names: &mut HostNames,
) -> Result<FallbackLine, Problem> {
    let words = words(value, span.start);
    let Some((address, address_span)) = words.first().cloned() else {
        return problem(span, "missing address: write ip:port [gate|masq|ipip]");
    };
    if let Some((text, extra)) = words.get(2) {
        return problem(
            extra,
            format!("unexpected `{text}`: expected ip:port [gate|masq|ipip]"),
        );
    }
    let (host, port) = split_host_port(address, &address_span);
    let ip = ip(host.0, &host.1, family, names)?;
    let port = match port {
        Some((text, port_span)) => Some(self::port(text, &port_span)?),
        None => None,
    };
    let (forward, forward_span) = match words.get(1) {
        Some((text, forward_span)) => (forward(text, forward_span)?, Some(forward_span.clone())),
        None => ("gate", None),
    };
    Ok(FallbackLine {
        ip,
        port,
        address_span,
        forward,
        forward_span,
    })
}

/// `a.b.c.d:port`, `[v6]:port`, `a.b.c.d` or `[v6]`.
pub(super) fn format(ip: IpAddr, port: Option<u16>) -> String {
    match (ip, port) {
        (IpAddr::V4(ip), Some(port)) => format!("{ip}:{port}"),
        (IpAddr::V4(ip), None) => ip.to_string(),
        (IpAddr::V6(ip), Some(port)) => format!("[{ip}]:{port}"),
        (IpAddr::V6(ip), None) => format!("[{ip}]"),
    }
}

type Part<'a> = (&'a str, Range<usize>);

/// `host[:port]`: at the `]` of a bracketed IPv6 address, else at the only
/// colon (a bare IPv6 address, with several colons, has no port).
fn split_host_port<'a>(text: &'a str, span: &Range<usize>) -> (Part<'a>, Option<Part<'a>>) {
    let at = |from: usize, to: usize| span.start + from..span.start + to;
    let colon = if text.starts_with('[') {
        text.find(']')
            .map(|close| close + 1)
            .filter(|&i| text[i..].starts_with(':'))
    } else if text.matches(':').count() == 1 {
        text.find(':')
    } else {
        None
    };
    match colon {
        Some(i) => (
            (&text[..i], at(0, i)),
            Some((&text[i + 1..], at(i + 1, text.len()))),
        ),
        None => ((text, at(0, text.len())), None),
    }
}

/// An address: an IP literal of the family, or a host name resolved to one.
fn ip(
    text: &str,
    span: &Range<usize>,
    family: Family,
    names: &mut HostNames,
) -> Result<IpAddr, Problem> {
    let inner = text.strip_prefix('[').and_then(|t| t.strip_suffix(']'));
    let name = match family {
        Family::V4 => text,
        Family::V6 => inner.unwrap_or(text),
    };
    if is_host_name(name) {
        return match names.resolve(name, family) {
            Ok(resolved) => {
                names.note(span, resolved.message(name));
                Ok(resolved.chosen)
            }
            Err(failure) => problem(span, failure.message(name, family)),
        };
    }
    match family {
        Family::V4 => {
            if let Ok(ip) = text.parse::<Ipv4Addr>() {
                return Ok(IpAddr::V4(ip));
            }
            if inner.is_some_and(|t| t.parse::<Ipv6Addr>().is_ok())
                || text.parse::<Ipv6Addr>().is_ok()
            {
                return problem(
                    span,
                    format!(
                        "`{text}` is an IPv6 address: IPv6 needs virtual6=, real6= and fallback6="
                    ),
                );
            }
            problem(span, not_an_address(text, "IPv4"))
        }
        Family::V6 => {
            if let Some(ip) = inner.and_then(|t| t.parse::<Ipv6Addr>().ok()) {
                return Ok(IpAddr::V6(ip));
            }
            if text.parse::<Ipv6Addr>().is_ok() {
                return problem(
                    span,
                    format!("write the IPv6 address in brackets: `[{text}]`"),
                );
            }
            if text.parse::<Ipv4Addr>().is_ok() {
                return problem(
                    span,
                    format!(
                        "`{text}` is an IPv4 address: a virtual6 block takes IPv6 addresses, \
                         in brackets"
                    ),
                );
            }
            problem(span, not_an_address(text, "IPv6"))
        }
    }
}

fn not_an_address(text: &str, family: &str) -> String {
    if text.is_empty() {
        format!("missing {family} address")
    } else {
        format!("`{text}` is not an {family} address or a host name")
    }
}

fn port(text: &str, span: &Range<usize>) -> Result<u16, Problem> {
    if text.is_empty() {
        return problem(span, "missing port after `:`");
    }
    if text.bytes().all(|b| b.is_ascii_digit()) {
        return match text.parse::<u16>() {
            Ok(port) => Ok(port),
            Err(_) => problem(span, format!("port `{text}` is out of range 0-65535")),
        };
    }
    if !text
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_'))
    {
        return problem(span, format!("`{text}` is not a port"));
    }
    port_by_name(text).map_or_else(
        || {
            problem(
                span,
                format!("unknown port name `{text}`: write the port number"),
            )
        },
        Ok,
    )
}

fn forward(text: &str, span: &Range<usize>) -> Result<&'static str, Problem> {
    match text {
        "gate" => Ok("gate"),
        "masq" => Ok("masq"),
        "ipip" => Ok("ipip"),
        other => problem(
            span,
            format!("`{other}` is not a forward method: gate, masq or ipip"),
        ),
    }
}

fn range(start: IpAddr, end: IpAddr, span: &Range<usize>) -> Result<Vec<IpAddr>, Problem> {
    let (IpAddr::V4(start), IpAddr::V4(end)) = (start, end) else {
        return problem(span, "address ranges are only for IPv4");
    };
    let (first, last) = (u32::from(start), u32::from(end));
    if first > last {
        return problem(span, format!("range {start}->{end} ends before it starts"));
    }
    if last - first >= MAX_RANGE {
        return problem(
            span,
            format!(
                "range {start}->{end} has {} addresses, more than {MAX_RANGE}",
                last - first + 1
            ),
        );
    }
    Ok((first..=last)
        .map(|n| IpAddr::V4(Ipv4Addr::from(n)))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets() {
        let v4 = |t: &str| virtual_target(t, &(0..t.len()), Family::V4, &mut HostNames::default());
        let v6 = |t: &str| virtual_target(t, &(0..t.len()), Family::V6, &mut HostNames::default());
        assert_eq!(
            v4("10.0.0.1:domain"),
            Ok(Target::Address {
                ip: "10.0.0.1".parse().unwrap(),
                port: 53,
                dns: true
            })
        );
        assert_eq!(v4("7"), Ok(Target::Fwmark(7)));
        assert_eq!(
            v6("[2001:db8::5]:119"),
            Ok(Target::Address {
                ip: "2001:db8::5".parse().unwrap(),
                port: 119,
                dns: false
            })
        );
        assert!(v4("[::1]:80").unwrap_err().message.contains("virtual6"));
        assert!(v4("10.0.0.1").unwrap_err().message.contains("no port"));
        assert!(v4("xx.xx.xx.xx:80")
            .unwrap_err()
            .message
            .contains("host name `xx.xx.xx.xx` does not resolve"));
        assert!(v4("10.0.0.256:80")
            .unwrap_err()
            .message
            .contains("not an IPv4 address or a host name"));
        assert!(v4("10.0.0.1:nosuch")
            .unwrap_err()
            .message
            .contains("unknown port name"));
        assert!(v4("10.0.0.1:70000")
            .unwrap_err()
            .message
            .contains("out of range"));
        assert!(v6("1.2.3.4:80").unwrap_err().message.contains("IPv4"));
    }

    #[test]
    fn reals() {
        let r = real(
            "192.168.6.2->192.168.6.4:80 masq 3",
            &(10..44),
            Family::V4,
            &mut HostNames::default(),
        )
        .unwrap();
        assert_eq!(r.ips.len(), 3);
        assert_eq!(r.port, Some(80));
        assert_eq!(r.forward, "masq");
        assert_eq!(r.weight, Some((3, 43..44)));
        let r = real(
            "10.0.0.1 gate",
            &(0..13),
            Family::V4,
            &mut HostNames::default(),
        )
        .unwrap();
        assert_eq!((r.port, r.weight), (None, None));
        let e = real(
            "10.0.0.1:80",
            &(0..11),
            Family::V4,
            &mut HostNames::default(),
        )
        .unwrap_err();
        assert_eq!(e[0].span, 11..11);
        let e = real("[::1]:80", &(0..8), Family::V4, &mut HostNames::default()).unwrap_err();
        assert_eq!(e.len(), 2);
        assert!(real(
            "10.0.0.9->10.0.0.1:80 gate",
            &(0..26),
            Family::V4,
            &mut HostNames::default()
        )
        .is_err());
        assert!(real(
            "10.0.0.0->10.0.255.255:80 gate",
            &(0..30),
            Family::V4,
            &mut HostNames::default()
        )
        .is_err());
        assert!(real(
            "[::1]->[::2]:80 gate",
            &(0..20),
            Family::V6,
            &mut HostNames::default()
        )
        .is_err());
        let e = real(
            "10.0.0.1:80->10.0.0.2 gate",
            &(0..26),
            Family::V4,
            &mut HostNames::default(),
        )
        .unwrap_err();
        assert_eq!(
            e[0].message,
            "the port goes after the last address: a->b:port"
        );
        assert!(real(
            "10.0.0.1:80 gate 1 \"/\", \"ok\"",
            &(0..30),
            Family::V4,
            &mut HostNames::default()
        )
        .is_err());
    }

    #[test]
    fn fallbacks() {
        let f = fallback(
            "127.0.0.1:80 masq",
            &(0..17),
            Family::V4,
            &mut HostNames::default(),
        )
        .unwrap();
        assert_eq!((f.port, f.forward), (Some(80), "masq"));
        let f = fallback("[::1]", &(0..5), Family::V6, &mut HostNames::default()).unwrap();
        assert_eq!((f.port, f.forward, f.forward_span), (None, "gate", None));
        assert!(fallback(
            "127.0.0.1:80 gate extra",
            &(0..23),
            Family::V4,
            &mut HostNames::default()
        )
        .is_err());
        assert_eq!(format("::1".parse().unwrap(), Some(119)), "[::1]:119");
    }

    #[test]
    fn host_names() {
        let mut names = HostNames::default();
        let r = real("localhost:http gate 2", &(0..21), Family::V4, &mut names).unwrap();
        assert_eq!(r.ips, vec![IpAddr::V4(Ipv4Addr::LOCALHOST)]);
        assert_eq!(r.port, Some(80));
        let notes = names.take_notes();
        assert_eq!(notes.len(), 1);
        assert_eq!(notes[0].0, 0..9);
        assert!(notes[0]
            .1
            .starts_with("host name `localhost` resolved to 127.0.0.1"));
        let r = real(
            "localhost->localhost:80 gate",
            &(0..28),
            Family::V4,
            &mut names,
        )
        .unwrap();
        assert_eq!(r.ips.len(), 1);
        assert_eq!(names.take_notes().len(), 2);
        let f = fallback("localhost", &(0..9), Family::V4, &mut names).unwrap();
        assert_eq!((f.ip, f.port), (IpAddr::V4(Ipv4Addr::LOCALHOST), None));
        assert_eq!(names.take_notes().len(), 1);
        let e = real("name.invalid:80 gate", &(5..25), Family::V4, &mut names).unwrap_err();
        assert_eq!(e[0].span, 5..17);
        assert!(e[0]
            .message
            .contains("host name `name.invalid` does not resolve"));
        for v6 in ["[name.invalid]:80", "name.invalid:80"] {
            let e = virtual_target(v6, &(0..v6.len()), Family::V6, &mut names).unwrap_err();
            assert!(
                e.message.contains("`name.invalid` does not resolve"),
                "{v6}"
            );
        }
        let e = virtual_target("localhost", &(0..9), Family::V4, &mut names).unwrap_err();
        assert!(e.message.contains("no port"));
        assert!(names.take_notes().is_empty());
    }
}
