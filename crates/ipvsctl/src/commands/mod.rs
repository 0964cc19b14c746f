// SPDX-License-Identifier: MIT OR Apache-2.0
//! One module per command.

mod list;

use crate::cli::Command;

/// Runs a command; `Ok` carries the exit code.
pub fn run(command: Command) -> anyhow::Result<i32> {
    match command {
        Command::List { json } => list::run(json),
    }
}
