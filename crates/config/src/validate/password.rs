// SPDX-License-Identifier: MIT OR Apache-2.0
//! `password` or `password_file`: a check's password, and a warning when
//! the file that holds it can be read by any user of the director.

use std::ops::Range;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use crate::fields::{Checker, Fields};
use crate::model::Secret;

/// A password file is one line; anything larger is not one.
const MAX_FILE_BYTES: u64 = 4096;

/// The password of a check. `inline` is the caller's read of `password`
/// (`None`: an error was reported; `Some(None)`: not set); otherwise the
/// first line of the file `password_file` names (relative to the
/// configuration file). `None` when an error was reported.
pub(super) fn password(
    checker: &mut Checker<'_>,
    c: &Fields<'_>,
    inline: Option<Option<String>>,
) -> Option<Option<Secret>> {
    let file = checker.string(c, "password_file");
    match (inline, file) {
        (None, _) => None,
        (Some(Some(_)), Some((_, item))) => {
            checker.error(
                &item.span,
                Some(c.key("password_file")),
                "password and password_file are one or the other",
            );
            None
        }
        (Some(Some(text)), None) => {
            if let Some(item) = c.get("password") {
                let config = checker.source.path().to_path_buf();
                warn_if_readable(checker, &item.span, c.key("password"), &config, true);
            }
            Some(Some(Secret::new(text)))
        }
        (Some(None), Some((name, item))) => {
            let path = beside(checker.source.path(), name);
            match read(&path) {
                Ok(text) => {
                    let key = c.key("password_file");
                    warn_if_readable(checker, &item.span, key, &path, false);
                    Some(Some(Secret::from_file(text, path)))
                }
                Err(why) => {
                    checker.error(&item.span, Some(c.key("password_file")), why);
                    None
                }
            }
        }
        // Not set, or not a string (reported by the read).
        (Some(None), None) => c.get("password_file").is_none().then_some(None),
    }
}

/// A path as written in a configuration file: relative to that file's folder.
fn beside(config: &Path, name: &str) -> PathBuf {
    let path = Path::new(name);
    match config.parent() {
        Some(folder) if path.is_relative() => folder.join(path),
        _ => path.to_path_buf(),
    }
}

/// The password in a file: its first line, which must not be empty.
fn read(path: &Path) -> Result<String, String> {
    let shown = path.display();
    let metadata = std::fs::metadata(path).map_err(|e| format!("cannot read {shown}: {e}"))?;
    if !metadata.is_file() {
        return Err(format!("{shown} is not a file"));
    }
    if metadata.len() > MAX_FILE_BYTES {
        return Err(format!(
            "{shown} holds more than {MAX_FILE_BYTES} bytes: not a password file"
        ));
    }
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {shown}: {e}"))?;
    let text = String::from_utf8(bytes).map_err(|_| format!("{shown} is not UTF-8 text"))?;
    let line = text.lines().next().unwrap_or_default();
    if line.is_empty() {
        return Err(format!("{shown} is empty: its first line is the password"));
    }
    if line.chars().any(char::is_control) {
        return Err(format!("the password in {shown} holds control characters"));
    }
    Ok(line.to_string())
}

/// Warns once per file when a file holding a password is readable by
/// others than its owner and group.
fn warn_if_readable(
    checker: &mut Checker<'_>,
    span: &Range<usize>,
    key: String,
    path: &Path,
    is_configuration: bool,
) {
    let Ok(metadata) = std::fs::metadata(path) else {
        return;
    };
    let mode = metadata.permissions().mode() & 0o777;
    if mode & 0o004 == 0 {
        return;
    }
    let shown = path.display();
    let message = if is_configuration {
        format!(
            "{shown} holds a password and any user can read it (mode {mode:04o}): \
             `chmod o-r {shown}`, or move the password to a password_file"
        )
    } else {
        format!("any user can read {shown} (mode {mode:04o}): `chmod o-r {shown}`")
    };
    if !checker.diagnostics.iter().any(|d| d.message == message) {
        checker.warning(span, Some(key), message);
    }
}
