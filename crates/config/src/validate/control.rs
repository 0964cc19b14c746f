// SPDX-License-Identifier: MIT OR Apache-2.0
//! `[control]`: who may use the daemon's control socket besides root.

use crate::fields::{Checker, Fields};
use crate::model::ControlSocket;

/// `group`: a group name whose members may ask for `status`.
pub(super) fn control(checker: &mut Checker<'_>, c: &Fields<'_>) -> ControlSocket {
    let group = checker.string(c, "group").and_then(|(name, item)| {
        let fits = !name.is_empty()
            && name.len() <= 32
            && !name.starts_with('-')
            && name
                .chars()
                .all(|ch| ch.is_ascii_alphanumeric() || matches!(ch, '_' | '-' | '.'));
        if fits {
            Some(name.to_string())
        } else {
            checker.error(
                &item.span,
                Some(c.key("group")),
                format!("`{name}` is not a group name"),
            );
            None
        }
    });
    ControlSocket { group }
}
