// SPDX-License-Identifier: MIT OR Apache-2.0
//! What is wrong with a file, and where: `FILE:LINE:COL: KEY: message`.

use std::fmt;
use std::ops::Range;
use std::path::PathBuf;

use crate::source::{Location, SourceFile};

/// How bad a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// The file is refused; nothing is applied.
    Error,
    /// Worth saying; the file is still used.
    Warning,
}

/// One finding about one place in one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// The file.
    pub file: PathBuf,
    /// Where in it.
    pub location: Location,
    /// The key concerned, as a path: `virtual[0].real[1].weight`.
    pub key: Option<String>,
    /// What is wrong.
    pub message: String,
}

impl Diagnostic {
    /// An error at a span of a file.
    pub fn error(
        source: &SourceFile,
        span: &Range<usize>,
        key: Option<String>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            severity: Severity::Error,
            file: source.path().to_path_buf(),
            location: source.location_of(span),
            key,
            message: message.into(),
        }
    }

    /// A warning at a span of a file.
    pub fn warning(
        source: &SourceFile,
        span: &Range<usize>,
        key: Option<String>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            severity: Severity::Warning,
            ..Self::error(source, span, key, message)
        }
    }

    /// Whether this is an error.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Diagnostic {
    /// `FILE:LINE:COL: KEY: message` (without the `error:` prefix, which the
    /// caller adds).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: ", self.file.display(), self.location)?;
        if let Some(key) = &self.key {
            write!(f, "{key}: ")?;
        }
        f.write_str(&self.message)
    }
}
