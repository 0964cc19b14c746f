// SPDX-License-Identifier: MIT OR Apache-2.0
//! What was read, written out as the raw document in ipvsctl's schema, with
//! ldirectord's defaults made explicit.

use std::ops::Range;

use crate::tree::{Item, Key, Table, Value};

use super::address::{self, FallbackLine, Family, Target};
use super::spec::{At, VirtualSpec};
use super::Reader;

/// ldirectord's `$CHECKINTERVAL`.
const CHECK_INTERVAL: i64 = 10;
/// ldirectord's `$DEFAULT_CHECKTIMEOUT`.
const CHECK_TIMEOUT: i64 = 5;
/// ldirectord's `$DEFAULT_NEGOTIATETIMEOUT`.
const NEGOTIATE_TIMEOUT: i64 = 30;
/// ldirectord's `$FAILURECOUNT`.
const FAILURE_COUNT: i64 = 1;
/// ldirectord's scheduler.
const SCHEDULER: &str = "wrr";

pub(super) fn put(
    table: &mut Table,
    name: &str,
    key: &Range<usize>,
    span: &Range<usize>,
    value: Value,
) {
    table.insert(Key::new(name, key.clone()), Item::new(span.clone(), value));
}

pub(super) fn put_at<T>(table: &mut Table, name: &str, at: &At<T>, value: Value) {
    put(table, name, &at.key, &at.span, value);
}

pub(super) fn string(text: &str) -> Value {
    Value::String(text.to_string())
}

impl Reader<'_> {
    /// The document: `defaults`, `hook`, then `virtual`.
    pub(super) fn document(&mut self) -> Table {
        let mut top = Table::default();
        let defaults = self.defaults();
        put(
            &mut top,
            "defaults",
            &(0..0),
            &(0..0),
            Value::Table(defaults),
        );
        let own = self.own_hooks();
        let hooks = self.top_hooks(own);
        if let Some(span) = hooks.first().map(|h| h.span.clone()) {
            put(&mut top, "hook", &span, &span, Value::Array(hooks));
        }
        let virtuals = std::mem::take(&mut self.virtuals);
        let items: Vec<Item> = virtuals
            .iter()
            .filter_map(|v| {
                let mut table = self.virtual_table(v)?;
                let hooks = self.virtual_hooks(v, own);
                if !hooks.is_empty() {
                    put(&mut table, "hook", &v.key, &v.line, Value::Array(hooks));
                }
                Some(Item::new(v.line.clone(), Value::Table(table)))
            })
            .collect();
        if let Some(first) = virtuals.first() {
            put(
                &mut top,
                "virtual",
                &first.key,
                &first.line,
                Value::Array(items),
            );
        }
        self.virtuals = virtuals;
        top
    }

    fn defaults(&self) -> Table {
        let g = &self.globals;
        let mut t = Table::default();
        let none = 0..0;
        let integer = |t: &mut Table, name: &str, at: Option<&At<i64>>, default: i64| match at {
            Some(at) => put_at(t, name, at, Value::Integer(at.value)),
            None => put(t, name, &none, &none, Value::Integer(default)),
        };
        integer(
            &mut t,
            "check_interval",
            g.common.checkinterval.as_ref(),
            CHECK_INTERVAL,
        );
        let timeout = g
            .common
            .checktimeout
            .as_ref()
            .or(g.common.negotiatetimeout.as_ref());
        integer(&mut t, "check_timeout", timeout, CHECK_TIMEOUT);
        put(&mut t, "check_rise", &none, &none, Value::Integer(1));
        integer(
            &mut t,
            "check_fall",
            g.common.failurecount.as_ref(),
            FAILURE_COUNT,
        );
        let boolean = |t: &mut Table, name: &str, at: Option<&At<bool>>, default: bool| match at {
            Some(at) => put_at(t, name, at, Value::Boolean(at.value)),
            None => put(t, name, &none, &none, Value::Boolean(default)),
        };
        boolean(&mut t, "quiescent", g.common.quiescent.as_ref(), false);
        boolean(&mut t, "cleanstop", g.cleanstop.as_ref(), true);
        if let Some(at) = &g.autoreload {
            put_at(&mut t, "autoreload", at, Value::Boolean(at.value));
        }
        if let Some(dir) = &g.maintenancedir {
            put_at(&mut t, "maintenance_dir", dir, string(&dir.value));
        }
        t
    }

    fn virtual_table(&mut self, v: &VirtualSpec) -> Option<Table> {
        let target = v.target?;
        let mut t = Table::default();
        if let Some(name) = &v.name {
            put_at(&mut t, "name", name, string(&name.value));
        }
        match target {
            Target::Address { ip, port, dns } => {
                let text = address::format(ip, Some(port));
                put(
                    &mut t,
                    "address",
                    &v.key,
                    &v.target_span,
                    Value::String(text),
                );
                match &v.protocol {
                    Some(p) => put_at(&mut t, "protocol", p, string(&p.value)),
                    None => {
                        let protocol = if dns { "udp" } else { "tcp" };
                        put(&mut t, "protocol", &v.key, &v.line, string(protocol));
                    }
                }
            }
            Target::Fwmark(mark) => {
                put(
                    &mut t,
                    "fwmark",
                    &v.key,
                    &v.target_span,
                    Value::Integer(mark),
                );
                if v.family == Family::V6 {
                    put(&mut t, "family", &v.key, &v.line, string("ipv6"));
                }
            }
        }
        match &v.scheduler {
            Some(s) => put_at(&mut t, "scheduler", s, string(&s.value)),
            None => put(&mut t, "scheduler", &v.key, &v.line, string(SCHEDULER)),
        }
        if let Some(f) = &v.schedflags {
            let words = f
                .value
                .split(',')
                .map(str::trim)
                .filter(|w| !w.is_empty())
                .map(|w| Item::new(f.span.clone(), string(w)))
                .collect();
            put_at(&mut t, "scheduler_flags", f, Value::Array(words));
        }
        if let Some(p) = &v.persistent {
            put_at(&mut t, "persistent", p, Value::Integer(p.value));
        }
        if let Some(n) = &v.netmask {
            put_at(&mut t, "netmask", n, n.value.clone());
        }
        if let Some(q) = &v.common.quiescent {
            put_at(&mut t, "quiescent", q, Value::Boolean(q.value));
        }
        if let Some((name, item)) = self.effective_fallback(v, target) {
            t.insert(name, item);
        }
        let check = self.check(v, target);
        put(&mut t, "check", &v.key, &v.line, Value::Table(check));
        if let Some(first) = v.reals.first() {
            let mut reals = Vec::new();
            for r in &v.reals {
                for &ip in &r.line.ips {
                    let mut real = Table::default();
                    let at = &r.line.address_span;
                    put(
                        &mut real,
                        "address",
                        at,
                        at,
                        string(&address::format(ip, r.line.port)),
                    );
                    let forward = &r.line.forward_span;
                    put(
                        &mut real,
                        "forward",
                        forward,
                        forward,
                        string(r.line.forward),
                    );
                    match &r.line.weight {
                        Some((weight, span)) => {
                            put(&mut real, "weight", span, span, Value::Integer(*weight))
                        }
                        None => put(&mut real, "weight", &r.key, &r.span, Value::Integer(1)),
                    }
                    reals.push(Item::new(r.span.clone(), Value::Table(real)));
                }
            }
            put(&mut t, "real", &first.key, &first.span, Value::Array(reals));
        }
        Some(t)
    }

    /// The virtual's own fallback, else the global one of its family.
    fn effective_fallback(&mut self, v: &VirtualSpec, target: Target) -> Option<(Key, Item)> {
        let global = match v.family {
            Family::V4 => self.globals.fallback.as_ref(),
            Family::V6 => self.globals.fallback6.as_ref(),
        };
        let fallback = match (&v.fallback, global) {
            (Some(own), _) => own,
            (None, Some(global)) => {
                if let Target::Fwmark(_) = target {
                    let line = self.source.location_of(&global.key).line;
                    let message = format!(
                        "the global fallback (line {line}) does not apply to a firewall-mark \
                         virtual (ldirectord cannot use it there)"
                    );
                    self.warning(&v.key, None, message);
                    return None;
                }
                global
            }
            (None, None) => return None,
        };
        Some(fallback_entry(fallback))
    }

    /// ldirectord's timeout for a check: a negotiate check's
    /// negotiatetimeout, any other check's checktimeout, each falling back
    /// on the other, the virtual's before the global ones.
    pub(super) fn timeout(
        &self,
        v: &VirtualSpec,
        negotiate: bool,
    ) -> (i64, Range<usize>, Range<usize>) {
        let g = &self.globals;
        let chain = if negotiate {
            [
                &v.common.negotiatetimeout,
                &v.common.checktimeout,
                &g.common.negotiatetimeout,
                &g.common.checktimeout,
            ]
        } else {
            [
                &v.common.checktimeout,
                &v.common.negotiatetimeout,
                &g.common.checktimeout,
                &g.common.negotiatetimeout,
            ]
        };
        match chain.into_iter().find_map(Option::as_ref) {
            Some(at) => (at.value, at.key.clone(), at.span.clone()),
            None => {
                let default = if negotiate {
                    NEGOTIATE_TIMEOUT
                } else {
                    CHECK_TIMEOUT
                };
                (default, v.key.clone(), v.line.clone())
            }
        }
    }
}

/// `fallback = "ip:port"` for gate, else `{address, forward, weight = 1}`.
fn fallback_entry(f: &At<FallbackLine>) -> (Key, Item) {
    let line = &f.value;
    let text = address::format(line.ip, line.port);
    let key = Key::new("fallback", f.key.clone());
    if line.forward == "gate" {
        return (
            key,
            Item::new(line.address_span.clone(), Value::String(text)),
        );
    }
    let mut t = Table::default();
    put(
        &mut t,
        "address",
        &line.address_span,
        &line.address_span,
        Value::String(text),
    );
    let forward = line.forward_span.clone().unwrap_or(f.span.clone());
    put(&mut t, "forward", &forward, &forward, string(line.forward));
    put(&mut t, "weight", &f.key, &f.span, Value::Integer(1));
    (key, Item::new(f.span.clone(), Value::Table(t)))
}
