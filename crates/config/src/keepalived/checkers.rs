// SPDX-License-Identifier: MIT OR Apache-2.0
//! keepalived's checkers as ipvsctl's check of a virtual:
//!
//! | keepalived   | ipvsctl                                                   |
//! |--------------|-----------------------------------------------------------|
//! | `TCP_CHECK`  | `connect`                                                 |
//! | `HTTP_GET`   | `http`: the first `url`'s `path`, `status_code`, `regex`  |
//! | `SSL_GET`    | `https` (not verified, as keepalived does not)            |
//! | `MISC_CHECK` | `external`: `misc_path`'s words; `misc_timeout`           |
//! | `SMTP_CHECK` | `smtp`                                                    |
//! | `DNS_CHECK`  | `dns`: `name` and `type`                                  |
//! | `UDP_CHECK`  | `udp`: `payload`, `require_reply`                         |
//! | `PING_CHECK` | `ping`                                                    |
//! | `BFD_CHECK`, `FILE_CHECK` | no equal: a warning, left out                |
//!
//! Timing: `delay_loop` → `interval` (keepalived's default 60 s),
//! `connect_timeout` → `timeout` (5 s), `retry` → `fall = retry + 1`
//! (keepalived checks `retry` more times before it takes a real out;
//! default 1), `rise = 1`; `delay_before_retry` has no equal (ipvsctl
//! checks again at `interval`). The innermost setting wins: the
//! checker's, the real's, the virtual's.

use std::ops::Range;

use crate::tree::{Item, Table, Value};

use super::blocks::Node;
use super::virtual_server::VirtualSettings;
use super::{put, Reader};

/// The checker blocks keepalived knows.
pub(super) const CHECKERS: &[&str] = &[
    "TCP_CHECK",
    "HTTP_GET",
    "SSL_GET",
    "MISC_CHECK",
    "SMTP_CHECK",
    "DNS_CHECK",
    "UDP_CHECK",
    "PING_CHECK",
    "ICMP_CHECK",
    "BFD_CHECK",
    "FILE_CHECK",
];

/// keepalived's `delay_loop`.
const DELAY_LOOP: i64 = 60;
/// keepalived's `connect_timeout`.
const CONNECT_TIMEOUT: i64 = 5;
/// keepalived's `retry`.
const RETRY: i64 = 1;
/// What a UDP check sends when keepalived would send random bytes.
const UDP_PAYLOAD: &str = "ipvsctl";

/// The timing settings, each where it was last set.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct Timing {
    /// `delay_loop`.
    pub delay_loop: Option<i64>,
    /// `connect_timeout`.
    pub connect_timeout: Option<i64>,
    /// `retry` (`nb_get_retry`).
    pub retry: Option<i64>,
}

/// A check as converted, without places, so two can be compared.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct CheckSpec {
    /// ipvsctl's `type`.
    pub kind: &'static str,
    /// `connect_port`.
    pub port: Option<i64>,
    /// Its timing.
    pub timing: Timing,
    /// `misc_timeout`, which is the timeout of a MISC_CHECK.
    pub timeout: Option<i64>,
    /// The settings of its type, in order.
    pub settings: Vec<(&'static str, Value)>,
}

impl CheckSpec {
    /// `type = "none"`: keepalived does not check a real without a checker.
    pub fn none(timing: &Timing) -> Self {
        Self {
            kind: "none",
            port: None,
            timing: timing.clone(),
            timeout: None,
            settings: Vec::new(),
        }
    }

    /// The `check` table, every key at `span`.
    pub fn table(&self, span: &Range<usize>) -> Table {
        let mut t = Table::default();
        let mut set = |name: &str, value: Value| put(&mut t, name, span, span, value);
        set("type", Value::String(self.kind.into()));
        if let Some(port) = self.port {
            set("port", Value::Integer(port));
        }
        let interval = self.timing.delay_loop.unwrap_or(DELAY_LOOP);
        let timeout = self
            .timeout
            .or(self.timing.connect_timeout)
            .unwrap_or(CONNECT_TIMEOUT);
        set("interval", Value::Integer(interval));
        set("timeout", Value::Integer(timeout));
        set("rise", Value::Integer(1));
        let fall = self.timing.retry.unwrap_or(RETRY).saturating_add(1);
        set("fall", Value::Integer(fall));
        for (name, value) in &self.settings {
            set(name, value.clone());
        }
        t
    }
}

/// Words as an array value (for `command`).
fn words(words: &[String]) -> Value {
    Value::Array(
        words
            .iter()
            .map(|w| Item::string(0..0, w.clone()))
            .collect(),
    )
}

impl Reader {
    /// `delay_loop`, `connect_timeout`, `retry`, `delay_before_retry`.
    pub(super) fn timing(&mut self, c: &Node, timing: &mut Timing) {
        match c.name() {
            "delay_loop" => timing.delay_loop = self.number_arg(c, "seconds", 1..=86_400),
            "connect_timeout" => timing.connect_timeout = self.number_arg(c, "seconds", 1..=3600),
            "retry" | "nb_get_retry" => timing.retry = self.number_arg(c, "a count", 0..=100),
            _ => self.warn_at(
                c,
                "no equal: ipvsctl checks again at `interval` (delay_loop); `fall` counts \
                 the failures",
            ),
        }
    }

    /// A checker block, or `None` (with a warning) when it has no equal.
    pub(super) fn checker(
        &mut self,
        c: &Node,
        outer: &Timing,
        vs: &VirtualSettings,
    ) -> Option<CheckSpec> {
        let kind = match c.name() {
            "TCP_CHECK" => "connect",
            "HTTP_GET" => "http",
            "SSL_GET" => "https",
            "MISC_CHECK" => "external",
            "SMTP_CHECK" => "smtp",
            "DNS_CHECK" => "dns",
            "UDP_CHECK" => "udp",
            "PING_CHECK" | "ICMP_CHECK" => "ping",
            _ => {
                self.warn_at(
                    c,
                    "no equal in ipvsctl: this checker is left out (BFD_CHECK: no BFD; \
                     FILE_CHECK: no weight from a file)",
                );
                return None;
            }
        };
        let mut spec = CheckSpec {
            kind,
            port: None,
            timing: outer.clone(),
            timeout: None,
            settings: Vec::new(),
        };
        let mut urls: Vec<&Node> = Vec::new();
        let mut misc_path: Option<&Node> = None;
        let mut dns = (None::<String>, None::<String>);
        let mut udp = (None::<&Node>, None::<&Node>);
        let mut host = vs.virtualhost.clone();
        for s in c.block() {
            match s.name() {
                "delay_loop" | "connect_timeout" | "retry" | "nb_get_retry"
                | "delay_before_retry" => self.timing(s, &mut spec.timing),
                "connect_port" => {
                    spec.port = self.number_arg(s, "a port", 1..=65535);
                }
                "url" if kind == "http" || kind == "https" => urls.push(s),
                "virtualhost" if kind == "http" || kind == "https" => {
                    host = s.arg(0).map(|w| w.text.clone());
                }
                "misc_path" if kind == "external" => misc_path = Some(s),
                "misc_timeout" if kind == "external" => {
                    spec.timeout = self.number_arg(s, "seconds", 1..=3600);
                }
                "misc_dynamic" if kind == "external" => self.warn_at(
                    s,
                    "no equal: ipvsctl does not set the weight from the exit status; exit 0 \
                     is up, any other down",
                ),
                "name" if kind == "dns" => dns.0 = s.arg(0).map(|w| w.text.clone()),
                "type" if kind == "dns" => dns.1 = s.arg(0).map(|w| w.text.to_uppercase()),
                "payload" if kind == "udp" => udp.0 = Some(s),
                "require_reply" if kind == "udp" => udp.1 = Some(s),
                "host" if kind == "smtp" => self.smtp_host(s, &mut spec),
                "connect_ip" | "bindto" | "bind_port" | "bind_if" | "fwmark" | "source_ip" => self
                    .warn_at(
                        s,
                        "no equal: ipvsctl checks the real's own address, from the \
                         director's address",
                    ),
                "helo_name" | "http_protocol" | "enable_sni" | "fast_recovery" | "warmup"
                | "alpha" | "log_all_failures" | "user" | "min_reply_length"
                | "max_reply_length" | "tls_compliance" | "ssl_ciphers" => {
                    self.warn_at(s, "no equal in ipvsctl: left out")
                }
                _ => self.warn_at(s, "unknown keyword: ignored (as keepalived does)"),
            }
        }
        match kind {
            "http" | "https" => self.http(c, &urls, host, &mut spec),
            "external" => {
                let Some(path) = misc_path else {
                    self.error_at(c, "missing: misc_path (the script to run)");
                    return None;
                };
                let first = self.needs_arg(path, "the script")?;
                let command: Vec<String> = if first.quoted {
                    first.text.split_whitespace().map(str::to_string).collect()
                } else {
                    path.args.iter().map(|w| w.text.clone()).collect()
                };
                spec.settings.push(("command", words(&command)));
            }
            "dns" => {
                let name = dns.0.unwrap_or_else(|| ".".into());
                let record = dns.1.unwrap_or_else(|| "SOA".into());
                spec.settings
                    .push(("request", Value::String(format!("{name} {record}"))));
            }
            "udp" => self.udp(c, udp, &mut spec),
            _ => {}
        }
        Some(spec)
    }

    /// SMTP_CHECK's old `host { connect_ip connect_port }` blocks.
    fn smtp_host(&mut self, h: &Node, spec: &mut CheckSpec) {
        if spec.port.is_some() {
            self.warn_at(
                h,
                "ipvsctl checks one port: only the first host is converted",
            );
            return;
        }
        for s in h.block() {
            match s.name() {
                "connect_port" => spec.port = self.number_arg(s, "a port", 1..=65535),
                _ => self.warn_at(
                    s,
                    "no equal: ipvsctl checks the real's own address, from the director's address",
                ),
            }
        }
    }

    /// HTTP_GET/SSL_GET: the first url.
    fn http(&mut self, c: &Node, urls: &[&Node], host: Option<String>, spec: &mut CheckSpec) {
        let mut path = "/".to_string();
        let mut status: Option<String> = None;
        let mut host = host;
        if let Some(more) = urls.get(1) {
            self.warn_at(more, "ipvsctl checks one url: only the first is converted");
        }
        if urls.is_empty() {
            self.warn_at(
                c,
                "no url: ipvsctl asks for / (keepalived would refuse this checker)",
            );
        }
        if let Some(url) = urls.first() {
            for s in url.block() {
                match s.name() {
                    "path" => {
                        if let Some(w) = self.needs_arg(s, "a path") {
                            path = w.text.clone();
                        }
                    }
                    "status_code" => {
                        let codes: Vec<&str> = s.args.iter().map(|w| w.text.as_str()).collect();
                        status = Some(codes.join(","));
                    }
                    "digest" => self.warn_at(
                        s,
                        "no equal: ipvsctl does not compare a digest of the page; its status \
                         is checked",
                    ),
                    "virtualhost" => host = s.arg(0).map(|w| w.text.clone()),
                    "regex" => {
                        if let Some(w) = self.needs_arg(s, "a regular expression") {
                            let value = Value::String(w.text.clone());
                            spec.settings.push(("receive_regex", value));
                        }
                    }
                    "regex_no_match" => self.warn_at(
                        s,
                        "no equal: ipvsctl's receive_regex must match (the regex is kept)",
                    ),
                    "username" | "password" => self.warn_at(
                        s,
                        "no equal: ipvsctl's http check sends no credentials (a page that needs \
                         none, or an external check)",
                    ),
                    "tls_compliant" => self.warn_at(s, "no equal in ipvsctl: left out"),
                    name if name.starts_with("regex_") => {
                        self.warn_at(s, "no equal in ipvsctl: left out")
                    }
                    _ => self.warn_at(s, "unknown keyword: ignored (as keepalived does)"),
                }
            }
        }
        spec.settings.insert(0, ("request", Value::String(path)));
        // keepalived's default: any 2xx.
        let status = status.unwrap_or_else(|| "200-299".into());
        let value = match status.parse::<i64>() {
            Ok(code) => Value::Integer(code),
            Err(_) => Value::String(status),
        };
        spec.settings.push(("status", value));
        if let Some(host) = host {
            spec.settings.push(("host", Value::String(host)));
        }
    }

    /// UDP_CHECK: `payload` and `require_reply`, hexadecimal in keepalived.
    fn udp(
        &mut self,
        c: &Node,
        (payload, reply): (Option<&Node>, Option<&Node>),
        spec: &mut CheckSpec,
    ) {
        let request = match payload {
            Some(p) => match self.hex_text(p) {
                Some(text) => text,
                None => return,
            },
            None => {
                let message = format!(
                    "keepalived sends random bytes; ipvsctl sends `{UDP_PAYLOAD}` (set `request`)"
                );
                self.warn_at(c, &message);
                UDP_PAYLOAD.into()
            }
        };
        spec.settings.push(("request", Value::String(request)));
        match reply {
            Some(r) if !r.args.is_empty() => {
                if r.args.iter().any(|w| w.text.contains(['x', 'X'])) {
                    self.warn_at(r, "no equal for `x` (any digit): the answer is not checked");
                } else if let Some(text) = self.hex_text(r) {
                    spec.settings.push(("receive", Value::String(text)));
                }
            }
            Some(_) => {}
            None => self.warn_at(
                c,
                "keepalived counts no ICMP error as up; ipvsctl's udp check needs an answer",
            ),
        }
    }

    /// keepalived's hexadecimal string (`Ab12f 3 456`: each word in pairs
    /// of digits, an odd one's first digit alone) as text; `None` (with an
    /// error or warning) when it is not hexadecimal or not ASCII.
    fn hex_text(&mut self, n: &Node) -> Option<String> {
        let mut bytes = Vec::new();
        for w in &n.args {
            let digits: Vec<u8> = w
                .text
                .chars()
                .map(|c| c.to_digit(16).map(|d| d as u8))
                .collect::<Option<_>>()
                .or_else(|| {
                    let message = format!("`{}` is not hexadecimal", w.text);
                    self.error(n.file, &w.span, Some(n.name()), &message);
                    None
                })?;
            bytes.extend(digits.chunks(2).map(|p| match p {
                [high, low] => high * 16 + low,
                [one] => *one,
                _ => 0,
            }));
        }
        if bytes.iter().any(|b| !b.is_ascii()) {
            self.warn_at(
                n,
                "not ASCII: ipvsctl's request and receive are text; set them by hand",
            );
            return None;
        }
        Some(bytes.into_iter().map(char::from).collect())
    }
}
