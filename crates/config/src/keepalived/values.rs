// SPDX-License-Identifier: MIT OR Apache-2.0
//! Values as keepalived writes them: numbers, durations, addresses,
//! forwarding methods, protocols; each read or refused with why.

use std::net::IpAddr;

use super::blocks::Node;
use super::lexer::Word;
use super::Reader;

/// An `lb_kind`/`lvs_method` as ipvsctl's `forward`.
pub(super) fn forward(text: &str) -> Option<&'static str> {
    match text.to_ascii_uppercase().as_str() {
        "NAT" => Some("masq"),
        "DR" => Some("gate"),
        "TUN" => Some("ipip"),
        _ => None,
    }
}

/// A `protocol` as ipvsctl's.
pub(super) fn protocol(text: &str) -> Option<&'static str> {
    match text.to_ascii_uppercase().as_str() {
        "TCP" => Some("tcp"),
        "UDP" => Some("udp"),
        "SCTP" => Some("sctp"),
        _ => None,
    }
}

/// `ip` and `port` as ipvsctl writes an address (`[v6]:port`); the port
/// left out when `None`.
pub(super) fn address(ip: IpAddr, port: Option<u16>) -> String {
    match (ip, port) {
        (IpAddr::V4(ip), Some(port)) => format!("{ip}:{port}"),
        (IpAddr::V4(ip), None) => ip.to_string(),
        (IpAddr::V6(ip), Some(port)) => format!("[{ip}]:{port}"),
        (IpAddr::V6(ip), None) => format!("[{ip}]"),
    }
}

impl Reader {
    /// The statement's first argument, or an error saying what is missing.
    pub(super) fn needs_arg<'n>(&mut self, node: &'n Node, what: &str) -> Option<&'n Word> {
        let word = node.arg(0);
        if word.is_none() {
            self.error_at(node, &format!("missing: {what}"));
        }
        word
    }

    /// A whole number in `range` (keepalived's timers may be decimals: a
    /// decimal is read as seconds, rounded up).
    pub(super) fn number(
        &mut self,
        node: &Node,
        word: &Word,
        range: std::ops::RangeInclusive<i64>,
    ) -> Option<i64> {
        let parsed = word.text.parse::<i64>().ok().or_else(|| {
            word.text
                .parse::<f64>()
                .ok()
                .filter(|f| f.is_finite() && *f >= 0.0 && *f < 1e12)
                .map(|f| f.ceil() as i64)
        });
        match parsed {
            Some(n) if range.contains(&n) => Some(n),
            Some(_) => {
                let message = format!(
                    "`{}` is out of range ({}..={})",
                    word.text,
                    range.start(),
                    range.end()
                );
                self.error(node.file, &word.span, Some(node.name()), &message);
                None
            }
            None => {
                let message = format!("`{}` is not a number", word.text);
                self.error(node.file, &word.span, Some(node.name()), &message);
                None
            }
        }
    }

    /// The statement's first argument as a number in `range`.
    pub(super) fn number_arg(
        &mut self,
        node: &Node,
        what: &str,
        range: std::ops::RangeInclusive<i64>,
    ) -> Option<i64> {
        let word = self.needs_arg(node, what)?.clone();
        self.number(node, &word, range)
    }

    /// An IP address.
    pub(super) fn ip(&mut self, node: &Node, word: &Word) -> Option<IpAddr> {
        match word.text.parse::<IpAddr>() {
            Ok(ip) => Some(ip),
            Err(_) => {
                let message = format!(
                    "`{}` is not an IP address (ipvsctl convert reads addresses, not host names)",
                    word.text
                );
                self.error(node.file, &word.span, Some(node.name()), &message);
                None
            }
        }
    }

    /// A port (1..=65535; 0 only where keepalived means "any").
    pub(super) fn port(&mut self, node: &Node, word: &Word) -> Option<u16> {
        self.number(node, word, 0..=65535)
            .and_then(|p| u16::try_from(p).ok())
    }

    /// `IP [PORT]` at the start of the arguments.
    pub(super) fn ip_port(&mut self, node: &Node, what: &str) -> Option<(IpAddr, Option<u16>)> {
        let ip_word = self.needs_arg(node, what)?.clone();
        let ip = self.ip(node, &ip_word)?;
        let port = match node.arg(1).cloned() {
            Some(w) => Some(self.port(node, &w)?),
            None => None,
        };
        Some((ip, port))
    }

    /// A forwarding method, or an error naming the methods.
    pub(super) fn method(&mut self, node: &Node) -> Option<&'static str> {
        let word = self.needs_arg(node, "NAT, DR or TUN")?.clone();
        let method = forward(&word.text);
        if method.is_none() {
            let message = format!("`{}`: expected NAT, DR or TUN", word.text);
            self.error(node.file, &word.span, Some(node.name()), &message);
        }
        if method == Some("ipip") && node.args.len() > 1 {
            self.warn_at(
                node,
                "ipvsctl tunnels with IPIP only: the tunnel type is left out",
            );
        }
        method
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn methods_and_protocols() {
        assert_eq!(forward("dr"), Some("gate"));
        assert_eq!(forward("NAT"), Some("masq"));
        assert_eq!(forward("TUN"), Some("ipip"));
        assert_eq!(forward("FULLNAT"), None);
        assert_eq!(protocol("sctp"), Some("sctp"));
        assert_eq!(protocol("ICMP"), None);
    }

    #[test]
    fn addresses() {
        let v6: IpAddr = "2001:db8::1".parse().unwrap_or(IpAddr::from([0u8; 16]));
        assert_eq!(address(v6, Some(80)), "[2001:db8::1]:80");
        assert_eq!(address(IpAddr::from([10, 0, 0, 1]), None), "10.0.0.1");
    }
}
