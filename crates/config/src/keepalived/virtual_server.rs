// SPDX-License-Identifier: MIT OR Apache-2.0
//! A `virtual_server` block as `[[virtual]]` tables: one per service it
//! stands for (one, or each service of its group), all with its settings,
//! its reals, the one check ipvsctl keeps per virtual, and its hooks.

use std::net::IpAddr;
use std::ops::Range;

use crate::tree::{Item, Table, Value};

use super::blocks::Node;
use super::checkers::{CheckSpec, Timing};
use super::groups::Target;
use super::real_server::RealSpec;
use super::{put, values, Reader};

/// keepalived's default scheduler.
const SCHEDULER: &str = "wlc";
/// keepalived's `persistence_timeout` without a value.
const PERSISTENCE: i64 = 360;
/// The most virtuals a configuration converts to (groups multiply them).
const MAX_VIRTUALS: usize = 65_536;

/// Settings of a virtual_server with no equal in ipvsctl, and why.
const NO_EQUAL: &[(&str, &str)] = &[
    (
        "alpha",
        "no equal: ipvsctl puts a real in at once and takes it out after `fall` failures",
    ),
    (
        "omega",
        "no equal: ipvsctl removes the whole service only when it is no longer declared",
    ),
    (
        "quorum",
        "no equal: ipvsctl has no quorum (a fallback goes in when no real is up)",
    ),
    (
        "quorum_up",
        "no equal: no quorum in ipvsctl; a `fallback-out` hook is the nearest",
    ),
    (
        "quorum_down",
        "no equal: no quorum in ipvsctl; a `fallback-in` hook is the nearest",
    ),
    ("hysteresis", "no equal: ipvsctl has no quorum"),
    (
        "ha_suspend",
        "no equal: ipvsctl checks whether or not this director holds the VIP",
    ),
    (
        "smtp_alert",
        "no equal: use a hook (`[[hook]]`) to send mail",
    ),
    (
        "snmp_name",
        "no equal: ipvsctl serves Prometheus metrics, not SNMP",
    ),
    (
        "persistence_engine",
        "no equal: ipvsctl sets no persistence engine (sip)",
    ),
    ("ops", "no equal: ipvsctl sets no one-packet scheduling"),
    ("flag-1", "no equal: ipvsctl sets no scheduler flags"),
    ("flag-2", "no equal: ipvsctl sets no scheduler flags"),
    ("flag-3", "no equal: ipvsctl sets no scheduler flags"),
    ("sh-port", "no equal: ipvsctl sets no scheduler flags"),
    ("sh-fallback", "no equal: ipvsctl sets no scheduler flags"),
    ("mh-port", "no equal: ipvsctl sets no scheduler flags"),
    ("mh-fallback", "no equal: ipvsctl sets no scheduler flags"),
    (
        "sorry_server_inhibit",
        "no equal: the fallback is taken out, not set to weight 0",
    ),
    ("warmup", "no equal: ipvsctl starts checking at once"),
    (
        "failover_threshold",
        "no equal: ipvsctl has no failover pool (a fallback is one real)",
    ),
    (
        "failover_up",
        "no equal: ipvsctl has no failover pool; a `fallback-in` hook is the nearest",
    ),
    (
        "failover_down",
        "no equal: ipvsctl has no failover pool; a `fallback-out` hook is the nearest",
    ),
    (
        "backup_real_server",
        "no equal: ipvsctl has no failover pool: this real is left out",
    ),
];

/// What a virtual_server block says, besides its services.
#[derive(Debug, Default)]
pub(super) struct VirtualSettings {
    /// `lb_algo`/`lvs_sched`.
    pub scheduler: Option<(String, Range<usize>)>,
    /// `lb_kind`/`lvs_method`.
    pub forward: Option<&'static str>,
    /// `persistence_timeout`.
    pub persistent: Option<(i64, Range<usize>)>,
    /// `persistence_granularity`.
    pub netmask: Option<(Value, Range<usize>)>,
    /// `protocol`.
    pub protocol: Option<(&'static str, Range<usize>)>,
    /// `sorry_server`.
    pub sorry: Option<(IpAddr, Option<u16>, Range<usize>)>,
    /// `sorry_server_lvs_method`.
    pub sorry_forward: Option<&'static str>,
    /// `inhibit_on_failure`.
    pub quiescent: Option<Range<usize>>,
    /// `virtualhost`: the Host of its HTTP checks.
    pub virtualhost: Option<String>,
    /// `ip_family inet6`.
    pub ipv6: bool,
    /// The checker timing it sets for its reals.
    pub timing: Timing,
}

impl Reader {
    /// The span of `n` when it is in the virtual's file, else the
    /// virtual's (a table's spans are in one file).
    pub(super) fn here(&self, vs: &Node, n: &Node) -> Range<usize> {
        if n.file == vs.file {
            n.span()
        } else {
            vs.span()
        }
    }

    /// A `virtual_server` block.
    pub(super) fn virtual_server(&mut self, vs: &Node) {
        let errors = self.errors.len();
        let targets = self.targets(vs);
        if self.virtuals.len() + targets.len() > MAX_VIRTUALS {
            let message = format!("more than {MAX_VIRTUALS} virtual services in all");
            self.error_at(vs, &message);
            return;
        }
        let settings = self.settings(vs);
        let mut reals: Vec<RealSpec> = Vec::new();
        for r in vs.block().iter().filter(|c| c.name() == "real_server") {
            if let Some(real) = self.real_server(vs, r, &settings) {
                reals.push(real);
            }
        }
        if self.errors.len() > errors {
            return;
        }
        let check = self.one_check(&reals);
        let quiescent = self.quiescent(vs, &settings, &reals);
        for (target, span) in targets {
            let mut t = Table::default();
            self.key(&mut t, vs, target, &span, &settings, &reals);
            let at = vs.span();
            let scheduler = settings
                .scheduler
                .clone()
                .unwrap_or((SCHEDULER.to_string(), at.clone()));
            put(
                &mut t,
                "scheduler",
                &scheduler.1,
                &scheduler.1,
                Value::String(scheduler.0),
            );
            if let Some((p, span)) = &settings.persistent {
                put(&mut t, "persistent", span, span, Value::Integer(*p));
            }
            if let Some((mask, span)) = &settings.netmask {
                put(&mut t, "netmask", span, span, mask.clone());
            }
            put(&mut t, "quiescent", &at, &at, Value::Boolean(quiescent));
            if let Some(fallback) = self.fallback(&settings, target) {
                let span = fallback.span.clone();
                put(&mut t, "fallback", &span, &span, fallback.value);
            }
            let (spec, check_span) = match &check {
                Some((spec, span)) => (spec.clone(), span.clone()),
                None => (CheckSpec::none(&settings.timing), at.clone()),
            };
            put(
                &mut t,
                "check",
                &check_span,
                &check_span,
                Value::Table(spec.table(&check_span)),
            );
            let items: Vec<Item> = reals.iter().map(|r| r.item(target)).collect();
            if let Some(first) = items.first() {
                let span = first.span.clone();
                put(&mut t, "real", &span, &span, Value::Array(items));
            }
            let hooks: Vec<Item> = super::real_server::hooks(&reals);
            if let Some(first) = hooks.first() {
                let span = first.span.clone();
                put(&mut t, "hook", &span, &span, Value::Array(hooks));
            }
            self.virtuals
                .push((vs.file, Item::new(at, Value::Table(t))));
        }
    }

    /// `address` and `protocol`, or `fwmark` (and `family`).
    fn key(
        &self,
        t: &mut Table,
        vs: &Node,
        target: Target,
        span: &Range<usize>,
        settings: &VirtualSettings,
        reals: &[RealSpec],
    ) {
        let key = vs.keyword.span.clone();
        match target {
            Target::Address(ip, port) => {
                let text = values::address(ip, Some(port));
                put(t, "address", &key, span, Value::String(text));
                let (protocol, at) = settings.protocol.clone().unwrap_or(("tcp", vs.span()));
                put(t, "protocol", &at, &at, Value::String(protocol.into()));
            }
            Target::Fwmark(mark) => {
                put(t, "fwmark", &key, span, Value::Integer(i64::from(mark)));
                let v6 = settings.ipv6 || reals.iter().any(|r| r.ip.is_ipv6());
                if v6 {
                    put(t, "family", &key, span, Value::String("ipv6".into()));
                }
            }
        }
    }

    /// The services: `IP [PORT]`, `fwmark N` or `group NAME`.
    fn targets(&mut self, vs: &Node) -> Vec<(Target, Range<usize>)> {
        let Some(first) = vs.arg(0).cloned() else {
            self.error_at(
                vs,
                "missing: an address and port, `fwmark N` or `group NAME`",
            );
            return Vec::new();
        };
        let span = vs.span();
        match first.text.as_str() {
            "fwmark" => {
                let Some(word) = vs.arg(1).cloned() else {
                    self.error_at(vs, "missing: the firewall mark");
                    return Vec::new();
                };
                let Some(mark) = self.number(vs, &word, 1..=i64::from(u32::MAX)) else {
                    return Vec::new();
                };
                let mark = u32::try_from(mark).unwrap_or(u32::MAX);
                vec![(Target::Fwmark(mark), span)]
            }
            "group" => {
                let Some(name) = vs.arg(1).cloned() else {
                    self.error_at(vs, "missing: the group's name");
                    return Vec::new();
                };
                let Some(group) = self.groups.get(&name.text) else {
                    let message = format!("no virtual_server_group `{}`", name.text);
                    self.error(vs.file, &name.span, Some("virtual_server"), &message);
                    return Vec::new();
                };
                group
                    .targets
                    .iter()
                    .map(|(t, file, at)| {
                        let at = if *file == vs.file {
                            at.clone()
                        } else {
                            span.clone()
                        };
                        (*t, at)
                    })
                    .collect()
            }
            _ => {
                let Some(ip) = self.ip(vs, &first) else {
                    return Vec::new();
                };
                let Some(port_word) = vs.arg(1).cloned() else {
                    self.error_at(
                        vs,
                        "missing: the port (a service of every port is a firewall-mark virtual \
                         in ipvsctl)",
                    );
                    return Vec::new();
                };
                let Some(port) = self.port(vs, &port_word) else {
                    return Vec::new();
                };
                vec![(Target::Address(ip, port), span)]
            }
        }
    }

    /// The settings of the block (its reals are read apart).
    fn settings(&mut self, vs: &Node) -> VirtualSettings {
        let mut s = VirtualSettings::default();
        for c in vs.block() {
            let at = self.here(vs, c);
            match c.name() {
                "real_server" => {}
                "lb_algo" | "lvs_sched" => {
                    if let Some(w) = self.needs_arg(c, "a scheduler") {
                        s.scheduler = Some((w.text.clone(), at));
                    }
                }
                "lb_kind" | "lvs_method" => s.forward = self.method(c),
                "sorry_server_lvs_method" => s.sorry_forward = self.method(c),
                "persistence_timeout" => {
                    let seconds = match c.arg(0).cloned() {
                        Some(w) => self.number(c, &w, 1..=i64::from(u32::MAX)),
                        None => Some(PERSISTENCE),
                    };
                    s.persistent = seconds.map(|p| (p, at));
                }
                "persistence_granularity" => {
                    if let Some(w) = self.needs_arg(c, "a netmask or prefix length") {
                        let value = match w.text.parse::<i64>() {
                            Ok(prefix) => Value::Integer(prefix),
                            Err(_) => Value::String(w.text.clone()),
                        };
                        s.netmask = Some((value, at));
                    }
                }
                "protocol" => {
                    if let Some(w) = self.needs_arg(c, "TCP, UDP or SCTP").cloned() {
                        match values::protocol(&w.text) {
                            Some(p) => s.protocol = Some((p, at)),
                            None => {
                                let message = format!("`{}`: expected TCP, UDP or SCTP", w.text);
                                self.error(c.file, &w.span, Some("protocol"), &message);
                            }
                        }
                    }
                }
                "sorry_server" => {
                    if let Some((ip, port)) = self.ip_port(c, "the sorry server's address") {
                        s.sorry = Some((ip, port, at));
                    }
                }
                "inhibit_on_failure" => {
                    if c.arg(0).is_none_or(|w| w.text != "false") {
                        s.quiescent = Some(at);
                    }
                }
                "virtualhost" => {
                    if let Some(w) = self.needs_arg(c, "a host name") {
                        s.virtualhost = Some(w.text.clone());
                    }
                }
                "ip_family" => s.ipv6 = c.arg(0).is_some_and(|w| w.text == "inet6"),
                "delay_loop" | "connect_timeout" | "retry" | "nb_get_retry"
                | "delay_before_retry" => self.timing(c, &mut s.timing),
                name => match NO_EQUAL.iter().find(|(n, _)| *n == name) {
                    Some((_, why)) => self.warn_at(c, why),
                    None => self.warn_at(c, "unknown keyword: ignored (as keepalived does)"),
                },
            }
        }
        s
    }

    /// The fallback of a service (its port, when the sorry server names
    /// none, is the service's).
    fn fallback(&self, s: &VirtualSettings, target: Target) -> Option<Item> {
        let (ip, port, span) = s.sorry.clone()?;
        let port = port.or(match target {
            Target::Address(_, port) => Some(port),
            Target::Fwmark(_) => None,
        });
        let forward = s.sorry_forward.or(s.forward).unwrap_or("masq");
        let mut t = Table::default();
        put(
            &mut t,
            "address",
            &span,
            &span,
            Value::String(values::address(ip, port)),
        );
        put(
            &mut t,
            "forward",
            &span,
            &span,
            Value::String(forward.into()),
        );
        put(&mut t, "weight", &span, &span, Value::Integer(1));
        Some(Item::new(span, Value::Table(t)))
    }

    /// `inhibit_on_failure` of the virtual, or of its reals: ipvsctl's
    /// `quiescent` is per virtual.
    fn quiescent(&mut self, vs: &Node, s: &VirtualSettings, reals: &[RealSpec]) -> bool {
        if s.quiescent.is_some() {
            return true;
        }
        let inhibited = reals.iter().filter(|r| r.inhibit.is_some()).count();
        if inhibited > 0 && inhibited < reals.len() {
            if let Some(r) = reals.iter().find(|r| r.inhibit.is_some()) {
                let span = r.inhibit.clone().unwrap_or(vs.span());
                self.warning(
                    vs.file,
                    &span,
                    Some("inhibit_on_failure"),
                    "ipvsctl's quiescent is per virtual: every real of this virtual is set to \
                     weight 0 on failure, not only this one",
                );
            }
        }
        inhibited > 0
    }
}
