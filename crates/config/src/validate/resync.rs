// SPDX-License-Identifier: MIT OR Apache-2.0
//! `[defaults] resync`: how often `ipvsctl run` re-reads the kernel table
//! and restores the declared state of the services it manages.
//!
//! ```toml
//! [defaults]
//! resync = 30      # seconds, 1 to 86400 (the default: 30)
//! resync = "off"   # or 0: only on `ipvsctl resync`
//! ```

use std::time::Duration;

use crate::fields::{Checker, Fields};
use crate::tree::{Item, Value};

/// The longest period (a day), as for every other duration.
const MAX_SECONDS: f64 = 86_400.0;

/// `resync`, with its item: `Some(None)` when turned off (`0` or `"off"`),
/// `None` when absent or refused (the error is recorded).
pub(super) fn resync<'t>(
    checker: &mut Checker<'_>,
    fields: &Fields<'t>,
) -> Option<(Option<Duration>, &'t Item)> {
    let item = fields.get("resync")?;
    let refuse = |checker: &mut Checker<'_>, found: String| {
        checker.error(
            &item.span,
            Some(fields.key("resync")),
            format!("expected seconds (1 to 86400), or 0 or \"off\" to turn it off; found {found}"),
        );
        None
    };
    let seconds = match &item.value {
        Value::String(word) if word == "off" => return Some((None, item)),
        Value::Integer(n) => *n as f64,
        Value::Float(x) => *x,
        Value::String(word) => return refuse(checker, format!("\"{word}\"")),
        other => return refuse(checker, other.kind().to_string()),
    };
    if seconds == 0.0 {
        return Some((None, item));
    }
    if !(1.0..=MAX_SECONDS).contains(&seconds) {
        return refuse(checker, seconds.to_string());
    }
    Some((Some(Duration::from_secs_f64(seconds)), item))
}
