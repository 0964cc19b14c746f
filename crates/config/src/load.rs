// SPDX-License-Identifier: MIT OR Apache-2.0
//! Files to a configuration: read each, parse it as TOML or ldirectord `.cf`
//! (by its name), then check them together.

use std::path::{Path, PathBuf};

use crate::diagnostic::{Diagnostic, Severity};
use crate::model::Config;
use crate::source::{Location, SourceFile};
use crate::{cf, keepalived, toml_file, validate};

/// A configuration and what was worth saying about it.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The configuration.
    pub config: Config,
    /// Warnings.
    pub warnings: Vec<Diagnostic>,
}

/// Whether a path is an ldirectord configuration (`*.cf`).
pub fn is_ldirectord(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "cf")
}

/// Reads, parses and checks the files as one desired state. `Err` holds
/// every diagnostic (errors first); any error means nothing may be applied.
pub fn load(paths: &[PathBuf]) -> Result<Loaded, Vec<Diagnostic>> {
    let mut documents = Vec::new();
    let mut diagnostics = Vec::new();
    for path in paths {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(error) => {
                diagnostics.push(Diagnostic {
                    severity: Severity::Error,
                    file: path.clone(),
                    location: Location { line: 1, column: 1 },
                    key: None,
                    message: format!("cannot read: {error}"),
                });
                continue;
            }
        };
        let source = SourceFile::new(path.clone(), text);
        let parsed = if is_ldirectord(path) {
            cf::read(&source)
        } else {
            toml_file::read(&source).map(|table| (table, Vec::new()))
        };
        match parsed {
            Ok((table, warnings)) => {
                diagnostics.extend(warnings);
                documents.push((source, table));
            }
            Err(errors) => diagnostics.extend(errors),
        }
    }
    checked(&documents, diagnostics)
}

/// Reads an ldirectord configuration whatever its name (`ipvsctl convert
/// --from ldirectord`) and checks it.
pub fn load_ldirectord(path: &Path) -> Result<Loaded, Vec<Diagnostic>> {
    let text = std::fs::read_to_string(path).map_err(|error| {
        vec![Diagnostic {
            severity: Severity::Error,
            file: path.to_path_buf(),
            location: Location { line: 1, column: 1 },
            key: None,
            message: format!("cannot read: {error}"),
        }]
    })?;
    let source = SourceFile::new(path, text);
    match cf::read(&source) {
        Ok((table, warnings)) => checked(&[(source, table)], warnings),
        Err(errors) => Err(sorted(errors)),
    }
}

/// Reads a keepalived configuration (`ipvsctl convert`) and checks what it
/// converts to as one desired state; `config_id` is keepalived's `-i`.
pub fn load_keepalived(path: &Path, config_id: Option<&str>) -> Result<Loaded, Vec<Diagnostic>> {
    match keepalived::read(path, config_id) {
        Ok((documents, warnings)) => checked(&documents, warnings),
        Err(errors) => Err(sorted(errors)),
    }
}

/// The documents validated together; `diagnostics` are what reading them
/// found.
fn checked(
    documents: &[(SourceFile, crate::tree::Table)],
    mut diagnostics: Vec<Diagnostic>,
) -> Result<Loaded, Vec<Diagnostic>> {
    let read_errors = diagnostics.iter().any(Diagnostic::is_error);
    match validate::validate(documents) {
        Ok((config, warnings)) if !read_errors => {
            diagnostics.extend(warnings);
            Ok(Loaded {
                config,
                warnings: diagnostics,
            })
        }
        Ok(_) => Err(sorted(diagnostics)),
        Err(more) => {
            diagnostics.extend(more);
            Err(sorted(diagnostics))
        }
    }
}

fn sorted(mut diagnostics: Vec<Diagnostic>) -> Vec<Diagnostic> {
    diagnostics.sort_by_key(|d| d.severity);
    diagnostics
}
