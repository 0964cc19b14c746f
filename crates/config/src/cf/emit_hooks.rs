// SPDX-License-Identifier: MIT OR Apache-2.0
//! `fallbackcommand`, `callback` and `emailalert*` written as `hook`
//! tables, with the arguments ldirectord gives them:
//! - `fallbackcommand`: `COMMAND start VIP:PORT PROTO` when the fallback
//!   goes in, `COMMAND stop VIP:PORT PROTO` when it goes out;
//! - `callback`: `CALLBACK CONFIG` on each reload;
//! - `emailalert`: the shipped mail script ([`MAIL_ALERT`]) on every change
//!   of a real or of the fallback, with the addresses, the From header and
//!   the daemon states to mail in (`emailalertstatus`).
//!
//! A virtual's own `fallbackcommand` (or `emailalert`/`emailalertstatus`)
//! replaces the global one for that virtual, as in ldirectord: when no
//! virtual has its own, the global one is one top-level hook; otherwise
//! each virtual gets its hooks in its own table.

use std::ops::Range;

use crate::tree::{Item, Key, Table, Value};

use super::spec::{At, Common, VirtualSpec};
use super::Reader;

/// Where packages (and `dist/README.md`) install `dist/hooks/mail-alert`.
pub(super) const MAIL_ALERT: &str = "/usr/lib/ipvsctl/hooks/mail-alert";

/// The events ldirectord mails about: a real or the fallback added,
/// removed, or set to weight 0.
const MAIL_EVENTS: &[&str] = &[
    "real-up",
    "real-down",
    "real-drained",
    "real-disabled",
    "real-enabled",
    "real-weight",
    "fallback-in",
    "fallback-out",
];

/// Which settings some virtual sets for itself (so each virtual gets its
/// own hooks).
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct OwnHooks {
    fallbackcommand: bool,
    email: bool,
}

impl Reader<'_> {
    /// Which hook settings some virtual overrides.
    pub(super) fn own_hooks(&self) -> OwnHooks {
        let any = |f: fn(&Common) -> bool| self.virtuals.iter().any(|v| f(&v.common));
        OwnHooks {
            fallbackcommand: any(|c| c.fallbackcommand.is_some()),
            email: any(|c| c.emailalert.is_some() || c.emailalertstatus.is_some()),
        }
    }

    /// The top-level hooks: `callback`, and the global `fallbackcommand`
    /// and `emailalert` when no virtual has its own.
    pub(super) fn top_hooks(&self, own: OwnHooks) -> Vec<Item> {
        let g = &self.globals;
        let mut hooks = Vec::new();
        if let Some(callback) = &g.callback {
            hooks.push(hook(
                callback,
                &["reload-applied", "reload-refused"],
                words(&callback.value, &["{config}"]),
            ));
        }
        if !own.fallbackcommand {
            hooks.extend(fallback_hooks(g.common.fallbackcommand.as_ref()));
        }
        if !own.email {
            hooks.extend(self.mail_hook(&g.common, &g.common));
        }
        hooks
    }

    /// A virtual's own hooks (its settings, else the global ones), when
    /// some virtual has its own.
    pub(super) fn virtual_hooks(&self, v: &VirtualSpec, own: OwnHooks) -> Vec<Item> {
        let g = &self.globals.common;
        let mut hooks = Vec::new();
        if own.fallbackcommand {
            let command = v
                .common
                .fallbackcommand
                .as_ref()
                .or(g.fallbackcommand.as_ref());
            hooks.extend(fallback_hooks(command));
        }
        if own.email {
            hooks.extend(self.mail_hook(&v.common, g));
        }
        hooks
    }

    /// The mail script's hook for the settings of `own`, each falling back
    /// on `global`'s; none without addresses, or with `emailalertstatus =
    /// none`.
    fn mail_hook(&self, own: &Common, global: &Common) -> Option<Item> {
        let to = own.emailalert.as_ref().or(global.emailalert.as_ref())?;
        let status = own
            .emailalertstatus
            .as_ref()
            .or(global.emailalertstatus.as_ref());
        let mut args = vec!["--to".to_string(), to.value.clone()];
        if let Some(from) = &self.globals.emailalertfrom {
            args.extend(["--from".to_string(), from.value.clone()]);
        }
        match status {
            Some(s) if s.value.is_empty() => return None,
            Some(s) => args.extend(["--status".to_string(), s.value.clone()]),
            None => {}
        }
        let mut command = vec![Value::String(MAIL_ALERT.to_string())];
        command.extend(args.into_iter().map(Value::String));
        Some(hook(to, MAIL_EVENTS, command))
    }
}

/// `fallbackcommand`'s two hooks: `start` on fallback-in, `stop` on
/// fallback-out.
fn fallback_hooks(command: Option<&At<String>>) -> Vec<Item> {
    let Some(command) = command else {
        return Vec::new();
    };
    [("fallback-in", "start"), ("fallback-out", "stop")]
        .into_iter()
        .map(|(event, action)| {
            let argv = words(&command.value, &[action, "{virtual}", "{protocol}"]);
            hook(command, &[event], argv)
        })
        .collect()
}

/// A command line split at white space, then `extra`.
fn words(line: &str, extra: &[&str]) -> Vec<Value> {
    line.split_whitespace()
        .chain(extra.iter().copied())
        .map(|w| Value::String(w.to_string()))
        .collect()
}

/// A `hook` table, every key at the directive it came from.
fn hook<T>(at: &At<T>, events: &[&str], command: Vec<Value>) -> Item {
    let span = |value: Value| Item::new(at.span.clone(), value);
    let mut t = Table::default();
    let key = |name: &str, k: &Range<usize>| Key::new(name, k.clone());
    let events = events
        .iter()
        .map(|e| span(Value::String((*e).to_string())))
        .collect();
    t.insert(key("events", &at.key), span(Value::Array(events)));
    let command = command.into_iter().map(span).collect();
    t.insert(key("command", &at.key), span(Value::Array(command)));
    Item::new(at.span.clone(), Value::Table(t))
}
