// SPDX-License-Identifier: MIT OR Apache-2.0
//! The directives that become hooks: `fallbackcommand` (global or a
//! virtual's own), `callback` (global), and `emailalert`,
//! `emailalertstatus` (global or a virtual's own) with `emailalertfrom`
//! (global). `emit_hooks` writes them as `hook` tables.

use super::lexer::Directive;
use super::spec::{At, VirtualSpec};
use super::Reader;

/// ldirectord's `emailalertstatus` words (`all` is every other one but
/// `none`).
const STATUSES: &[&str] = &["starting", "running", "stopping", "reloading"];

/// `fallbackcommand`: a command line that ldirectord runs through the
/// shell as `COMMAND start|stop VIP:PORT PROTO`; ipvsctl splits it at
/// white space and runs it without a shell.
pub(super) fn fallbackcommand(r: &mut Reader<'_>, v: Option<&mut VirtualSpec>, d: &Directive<'_>) {
    let Some(command) = r.command_line(d) else {
        return;
    };
    match v {
        Some(v) => v.common.fallbackcommand = Some(command),
        None => r.globals.common.fallbackcommand = Some(command),
    }
}

/// `callback`: ldirectord runs `CALLBACK CONFIG` when the file changed on
/// disk; ipvsctl runs it on each reload (applied or refused).
pub(super) fn callback(r: &mut Reader<'_>, d: &Directive<'_>) {
    r.globals.callback = r.command_line(d);
}

/// `emailalert`: the addresses (comma separated) to mail.
pub(super) fn emailalert(r: &mut Reader<'_>, v: Option<&mut VirtualSpec>, d: &Directive<'_>) {
    let Some(to) = r.text(d) else { return };
    match v {
        Some(v) => v.common.emailalert = Some(to),
        None => r.globals.common.emailalert = Some(to),
    }
}

/// `emailalertstatus`: `all`, `none`, or a comma-separated list of
/// `starting`, `running`, `stopping`, `reloading`; kept as the list of
/// those (empty: `none`).
pub(super) fn emailalertstatus(r: &mut Reader<'_>, v: Option<&mut VirtualSpec>, d: &Directive<'_>) {
    let Some(text) = r.text(d) else { return };
    let words: Vec<&str> = text.value.split(',').map(str::trim).collect();
    let none = words.contains(&"none");
    let mut statuses: Vec<&str> = Vec::new();
    for word in &words {
        match *word {
            "none" => continue,
            "all" => statuses.extend(STATUSES),
            w if STATUSES.contains(&w) => statuses.push(w),
            w => {
                let message = format!(
                    "invalid email alert status `{w}` (all, none, {})",
                    STATUSES.join(", ")
                );
                return r.error(&text.span, Some(d.name), message);
            }
        }
        if none {
            let message = format!("`{word}` together with `none`");
            return r.error(&text.span, Some(d.name), message);
        }
    }
    let mut list: Vec<&str> = STATUSES
        .iter()
        .copied()
        .filter(|s| statuses.contains(s))
        .collect();
    list.dedup();
    let value = At {
        value: list.join(","),
        key: text.key,
        span: text.span,
    };
    match v {
        Some(v) => v.common.emailalertstatus = Some(value),
        None => r.globals.common.emailalertstatus = Some(value),
    }
}

/// `emailalertfrom`: the From header of the alerts.
pub(super) fn emailalertfrom(r: &mut Reader<'_>, d: &Directive<'_>) {
    r.globals.emailalertfrom = r.text(d);
}

impl Reader<'_> {
    /// A command line for a hook: not empty (an empty one, which
    /// ldirectord would hand to the shell to fail, is a warning and runs
    /// nothing); a warning when it holds what only a shell understands.
    fn command_line(&mut self, d: &Directive<'_>) -> Option<At<String>> {
        let u = self.unquoted(d)?;
        if u.text.trim().is_empty() {
            self.warning(
                &d.value_span,
                Some(d.name),
                "empty: no command is run (ldirectord would run an empty shell command)",
            );
            return None;
        }
        if u.text.contains(|c| "|&;<>()$`\\\"'*?[]#".contains(c)) {
            let message = format!(
                "`{}` is run without a shell, split at white space: shell syntax in it is \
                 passed to the program as it is",
                u.text
            );
            self.warning(&u.span, Some(d.name), message);
        }
        Some(At {
            value: u.text.to_string(),
            key: d.name_span.clone(),
            span: u.span,
        })
    }
}
