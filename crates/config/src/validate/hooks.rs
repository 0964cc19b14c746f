// SPDX-License-Identifier: MIT OR Apache-2.0
//! `[[hook]]` and `[[virtual.hook]]`: commands run on events, and
//! `[defaults] hooks_max_running`.
//!
//! ```toml
//! [[hook]]
//! events = ["real-down", "fallback-in"]   # or "*"
//! command = ["/usr/local/sbin/page-oncall", "{event}", "{virtual}"]
//! timeout = 10                            # seconds; 30 when not given
//! ```
//!
//! The program must be an absolute path (it runs without a shell). One
//! that is not an executable file here is a warning, not an error: the
//! file may be checked (or converted) on another machine than the
//! director, and the hook's failure is logged when it runs.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use crate::fields::{Checker, Fields};
use crate::model::{Hook, HookEvent, DEFAULT_HOOK_TIMEOUT};
use crate::tree::{Item, Value};
use crate::words::HOOK_EVENT;

use super::origin;
use super::values::{self, ranged, seconds, CommandTexts};

/// The hooks of a table's `hook` array of tables (none when absent).
pub(super) fn hooks(checker: &mut Checker<'_>, fields: &Fields<'_>) -> Vec<Hook> {
    let mut hooks = Vec::new();
    if !fields.has("hook") {
        return hooks;
    }
    let before = checker.diagnostics.len();
    for h in checker.tables(fields, "hook") {
        let hook = checker.read(h, hook);
        hooks.extend(hook);
    }
    // The hooks a `.cf` directive becomes (fallbackcommand: two) share
    // its place: one message there is enough.
    let mut seen = Vec::new();
    let mut index = before;
    while index < checker.diagnostics.len() {
        let d = &checker.diagnostics[index];
        let said = (d.location, d.message.clone());
        if seen.contains(&said) {
            checker.diagnostics.remove(index);
        } else {
            seen.push(said);
            index += 1;
        }
    }
    hooks
}

/// `[defaults] hooks_max_running`: 1 to 256.
pub(super) fn max_running(checker: &mut Checker<'_>, d: &Fields<'_>) -> Option<usize> {
    ranged(checker, d, "hooks_max_running", 1..=256)
}

/// One hook, or `None` when anything of it is wrong.
fn hook(checker: &mut Checker<'_>, h: &Fields<'_>) -> Option<Hook> {
    let events = events(checker, h);
    let command = command(checker, h);
    let timeout = if h.has("timeout") {
        seconds(checker, h, "timeout")
    } else {
        Some(DEFAULT_HOOK_TIMEOUT)
    };
    Some(Hook {
        events: events?,
        command: command?,
        timeout: timeout?,
        origin: origin(checker, &h.span),
    })
}

/// `events`: `"*"`, or an array of event names (`"*"` among them means
/// every event too). Empty means every event.
fn events(checker: &mut Checker<'_>, h: &Fields<'_>) -> Option<Vec<HookEvent>> {
    let Some(item) = h.get("events") else {
        checker.error(
            &h.span,
            Some(h.key("events")),
            format!("missing: \"*\" or a list of {}", known()),
        );
        return None;
    };
    let words: Vec<&Item> = match &item.value {
        Value::String(_) => vec![item],
        Value::Array(items) if !items.is_empty() => items.iter().collect(),
        _ => {
            checker.error(
                &item.span,
                Some(h.key("events")),
                format!(
                    "expected \"*\" or a non-empty array of event names, found {}",
                    item.value.kind()
                ),
            );
            return None;
        }
    };
    let mut events = Vec::new();
    let mut every = false;
    let mut ok = true;
    for word in words {
        let Value::String(text) = &word.value else {
            checker.error(
                &word.span,
                Some(h.key("events")),
                format!("expected an event name, found {}", word.value.kind()),
            );
            ok = false;
            continue;
        };
        if text == "*" {
            every = true;
            continue;
        }
        match HOOK_EVENT.parse(text) {
            Ok(event) if !events.contains(&event) => events.push(event),
            Ok(_) => {}
            Err(message) => {
                checker.error(&word.span, Some(h.key("events")), message);
                ok = false;
            }
        }
    }
    if every {
        events.clear();
    }
    ok.then_some(events)
}

/// `real-up, real-down, … or reload-refused`.
fn known() -> String {
    let names: Vec<&str> = HOOK_EVENT.words.iter().map(|(w, _)| *w).collect();
    names.join(", ")
}

/// `command`: an absolute program and its arguments, run without a shell;
/// a program this machine cannot run is a warning (files are often checked
/// away from the director).
fn command(checker: &mut Checker<'_>, h: &Fields<'_>) -> Option<Vec<String>> {
    let texts = CommandTexts {
        missing: "missing: [\"/path/prog\", \"{event}\", \"{virtual}\"]",
        not_array:
            "expected an array of strings: [\"/path/prog\", \"{event}\"] (it runs without a shell)",
        empty: "empty: no program",
    };
    let (command, item) = values::command(checker, h, &texts)?;
    let program = command.first()?;
    if let Some(why) = not_executable(Path::new(program)) {
        checker.warning(
            &item.span,
            Some(h.key("command")),
            format!("{program} {why} here: the hook fails when it runs"),
        );
    }
    Some(command)
}

/// Why `path` cannot be run, if it cannot.
fn not_executable(path: &Path) -> Option<&'static str> {
    match std::fs::metadata(path) {
        Err(_) => Some("does not exist"),
        Ok(m) if !m.is_file() => Some("is not a file"),
        Ok(m) if m.permissions().mode() & 0o111 == 0 => Some("is not executable"),
        Ok(_) => None,
    }
}
