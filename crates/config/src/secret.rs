// SPDX-License-Identifier: MIT OR Apache-2.0
//! A check's password: written in the configuration (`password`) or read
//! from a file of its own (`password_file`).

use std::fmt;
use std::path::{Path, PathBuf};

/// A password, and the file it came from when it was not written inline.
///
/// `Debug` never shows the text, so a password cannot reach a log through
/// `{:?}`; `ipvsctl convert` writes the file's name back, never the text
/// read from it.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Secret {
    text: String,
    file: Option<PathBuf>,
}

impl Secret {
    /// A password written inline.
    pub fn new(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            file: None,
        }
    }

    /// A password read from `file`.
    pub fn from_file(text: impl Into<String>, file: impl Into<PathBuf>) -> Self {
        Self {
            text: text.into(),
            file: Some(file.into()),
        }
    }

    /// The password.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.text.is_empty()
    }

    /// The file it was read from (`password_file`), if any.
    pub fn file(&self) -> Option<&Path> {
        self.file.as_deref()
    }
}

impl From<&str> for Secret {
    fn from(text: &str) -> Self {
        Self::new(text)
    }
}

impl From<String> for Secret {
    fn from(text: String) -> Self {
        Self::new(text)
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.file {
            Some(file) => write!(f, "Secret(from {})", file.display()),
            None if self.text.is_empty() => f.write_str("Secret(none)"),
            None => f.write_str("Secret(…)"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_password() {
        let inline = format!("{:?}", Secret::new("hunter2"));
        let filed = format!("{:?}", Secret::from_file("hunter2", "/etc/x"));
        assert!(!inline.contains("hunter2") && !filed.contains("hunter2"));
        assert_eq!(filed, "Secret(from /etc/x)");
    }
}
