// SPDX-License-Identifier: MIT OR Apache-2.0
//! A `real_server` block: its address, forwarding and weight, its
//! checkers (ipvsctl checks every real of a virtual the same way), its
//! `inhibit_on_failure`, and `notify_up`/`notify_down` as the virtual's
//! `real-up`/`real-down` hooks.

use std::net::IpAddr;
use std::ops::Range;

use crate::tree::{Item, Table, Value};

use super::blocks::Node;
use super::checkers::{CheckSpec, CHECKERS};
use super::groups::Target;
use super::virtual_server::VirtualSettings;
use super::{put, values, Reader};

/// Settings of a real_server with no equal in ipvsctl, and why.
const NO_EQUAL: &[(&str, &str)] = &[
    (
        "uthreshold",
        "no equal: ipvsctl sets no connection thresholds",
    ),
    (
        "lthreshold",
        "no equal: ipvsctl sets no connection thresholds",
    ),
    (
        "alpha",
        "no equal: ipvsctl puts a real in at once and takes it out after `fall` failures",
    ),
    (
        "smtp_alert",
        "no equal: use a hook (`[[hook]]`) to send mail",
    ),
    (
        "virtualhost",
        "no equal per real: the virtual's HTTP check sets `host`",
    ),
    ("warmup", "no equal: ipvsctl starts checking at once"),
    (
        "log_all_failures",
        "no equal: ipvsctl logs each change of state",
    ),
];

/// A real_server as read.
#[derive(Debug, Clone)]
pub(super) struct RealSpec {
    /// Its address.
    pub ip: IpAddr,
    /// Its port (`None`: the service's).
    pub port: Option<u16>,
    /// `masq`, `gate` or `ipip`.
    pub forward: &'static str,
    /// Its weight.
    pub weight: i64,
    /// Where it stands (in the virtual's file).
    pub span: Range<usize>,
    /// The virtual's file.
    pub file: usize,
    /// `inhibit_on_failure`, where it stands.
    pub inhibit: Option<Range<usize>>,
    /// Its checkers that map, each with where it stands and its keyword.
    pub checks: Vec<(CheckSpec, Range<usize>, String)>,
    /// `notify_up`/`notify_down`: event, command, where.
    pub notify: Vec<(&'static str, Vec<String>, Range<usize>)>,
}

impl RealSpec {
    /// The `[[virtual.real]]` table for a service of the virtual.
    pub fn item(&self, target: Target) -> Item {
        let port = self.port.or(match target {
            Target::Address(_, port) => Some(port),
            Target::Fwmark(_) => None,
        });
        let mut t = Table::default();
        let at = &self.span;
        put(
            &mut t,
            "address",
            at,
            at,
            Value::String(values::address(self.ip, port)),
        );
        put(
            &mut t,
            "forward",
            at,
            at,
            Value::String(self.forward.into()),
        );
        put(&mut t, "weight", at, at, Value::Integer(self.weight));
        Item::new(at.clone(), Value::Table(t))
    }
}

/// The virtual's hooks from its reals' notify scripts, each once.
pub(super) fn hooks(reals: &[RealSpec]) -> Vec<Item> {
    let mut seen: Vec<(&str, &[String])> = Vec::new();
    let mut items = Vec::new();
    for r in reals {
        for (event, command, span) in &r.notify {
            if seen.contains(&(*event, command.as_slice())) {
                continue;
            }
            seen.push((event, command));
            let mut t = Table::default();
            let events = vec![Item::string(span.clone(), *event)];
            put(&mut t, "events", span, span, Value::Array(events));
            let words = command
                .iter()
                .map(|w| Item::string(span.clone(), w.clone()))
                .collect();
            put(&mut t, "command", span, span, Value::Array(words));
            items.push(Item::new(span.clone(), Value::Table(t)));
        }
    }
    items
}

impl Reader {
    /// A `real_server IP [PORT] { … }` of virtual `vs`.
    pub(super) fn real_server(
        &mut self,
        vs: &Node,
        r: &Node,
        settings: &VirtualSettings,
    ) -> Option<RealSpec> {
        let (ip, port) = self.ip_port(r, "the real server's address")?;
        let span = self.here(vs, r);
        let mut real = RealSpec {
            ip,
            port,
            forward: settings.forward.unwrap_or("masq"),
            weight: 1,
            span,
            file: vs.file,
            inhibit: None,
            checks: Vec::new(),
            notify: Vec::new(),
        };
        let mut timing = settings.timing.clone();
        for c in r.block().iter().filter(|c| !CHECKERS.contains(&c.name())) {
            let at = self.here(vs, c);
            match c.name() {
                "weight" => {
                    if let Some(w) = self.number_arg(c, "a weight", 0..=65535) {
                        real.weight = w;
                    }
                }
                "lvs_method" | "lb_kind" => {
                    if let Some(f) = self.method(c) {
                        real.forward = f;
                    }
                }
                "inhibit_on_failure" => {
                    if c.arg(0).is_none_or(|w| w.text != "false") {
                        real.inhibit = Some(at);
                    }
                }
                "notify_up" | "notify_down" => {
                    let event = if c.name() == "notify_up" {
                        "real-up"
                    } else {
                        "real-down"
                    };
                    if let Some(command) = self.notify(c) {
                        real.notify.push((event, command, at));
                    }
                }
                "delay_loop" | "connect_timeout" | "retry" | "nb_get_retry"
                | "delay_before_retry" => self.timing(c, &mut timing),
                name => match NO_EQUAL.iter().find(|(n, _)| *n == name) {
                    Some((_, why)) => self.warn_at(c, why),
                    None => self.warn_at(c, "unknown keyword: ignored (as keepalived does)"),
                },
            }
        }
        for c in r.block().iter().filter(|c| CHECKERS.contains(&c.name())) {
            if let Some(spec) = self.checker(c, &timing, settings) {
                let at = self.here(vs, c);
                real.checks.push((spec, at, c.name().to_string()));
            }
        }
        Some(real)
    }

    /// A notify script: its words (keepalived's script line, run without
    /// a shell), with a warning that ipvsctl runs it for every real.
    fn notify(&mut self, c: &Node) -> Option<Vec<String>> {
        let first = self.needs_arg(c, "the script")?;
        let mut words: Vec<String> = if first.quoted {
            first.text.split_whitespace().map(str::to_string).collect()
        } else {
            c.args.iter().map(|w| w.text.clone()).collect()
        };
        if words.is_empty() {
            self.error_at(c, "missing: the script");
            return None;
        }
        if !words.iter().any(|w| w.contains("{real}")) {
            words.push("{real}".into());
        }
        self.warn_at(
            c,
            "converted to a hook of the virtual: it runs for each of its reals, with the real \
             as its last argument",
        );
        Some(words)
    }

    /// The check of the virtual: its first real's first checker. A real
    /// checked otherwise, or a second checker, is a warning.
    pub(super) fn one_check(&mut self, reals: &[RealSpec]) -> Option<(CheckSpec, Range<usize>)> {
        let (first, span, name) = reals.iter().find_map(|r| r.checks.first())?.clone();
        let line = self.sources[reals[0].file].location_of(&span).line;
        for r in reals {
            if r.checks.is_empty() {
                let message = format!(
                    "keepalived does not check this real (it has no checker); ipvsctl checks it \
                     like the others ({name} at line {line})"
                );
                self.warning(r.file, &r.span, Some("real_server"), &message);
            }
            for (i, (spec, at, keyword)) in r.checks.iter().enumerate() {
                if *at == span {
                    continue;
                }
                if i > 0 {
                    let message = format!(
                        "ipvsctl has one check per virtual: only the first checker of a real \
                         is converted ({name} at line {line})"
                    );
                    self.warning(r.file, at, Some(keyword), &message);
                } else if spec != &first {
                    let message = format!(
                        "ipvsctl has one check per virtual: this real is checked like the \
                         first ({name} at line {line})"
                    );
                    self.warning(r.file, at, Some(keyword), &message);
                }
            }
        }
        Some((first, span))
    }
}
