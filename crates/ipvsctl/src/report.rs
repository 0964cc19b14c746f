// SPDX-License-Identifier: MIT OR Apache-2.0
//! Loading the configuration files and saying what is wrong with them, in
//! one place for every command that reads them.

use std::path::PathBuf;

use config::{Config, Diagnostic};

/// Loads the files; prints every error (`error: FILE:LINE:COL: KEY: …`) or
/// warning on stderr. `None` when any error was found.
pub fn load(files: &[PathBuf]) -> Option<Config> {
    loaded(config::load(files))
}

/// Prints what loading found (see [`load`]); the configuration when no
/// error was found.
pub fn loaded(result: Result<config::Loaded, Vec<Diagnostic>>) -> Option<Config> {
    match result {
        Ok(loaded) => {
            print(&loaded.warnings);
            Some(loaded.config)
        }
        Err(diagnostics) => {
            print(&diagnostics);
            None
        }
    }
}

fn print(diagnostics: &[Diagnostic]) {
    for d in diagnostics {
        let word = if d.is_error() { "error" } else { "warning" };
        eprintln!("{word}: {d}");
    }
}
