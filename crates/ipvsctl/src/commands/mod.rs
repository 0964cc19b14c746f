// SPDX-License-Identifier: MIT OR Apache-2.0
//! One module per command.

mod apply;
mod check;
mod convert;
mod flush;
mod list;
mod overrides;
pub mod plan;
mod remove;
mod resync;
mod status;
mod sync;
mod validate;

use crate::cli::Command;

/// Runs a command; `Ok` carries the exit code.
pub fn run(command: Command) -> anyhow::Result<i32> {
    match command {
        Command::Validate { files } => validate::run(&files),
        Command::Check {
            files,
            json,
            virtuals,
            reals,
        } => check::run(&files, json, &check::Narrowing { virtuals, reals }),
        Command::Plan { files, json, prune } => plan::run(&files, json, prune),
        Command::Apply {
            files,
            prune,
            netlink_stats,
        } => apply::run(&files, prune, netlink_stats),
        Command::List { json } => list::run(json),
        Command::Flush { yes } => flush::run(yes),
        Command::Remove { files } => remove::run(&files),
        Command::Convert { file } => convert::run(&file),
        Command::Run {
            files,
            check_threads,
        } => crate::daemon::run(files, usize::from(check_threads)),
        Command::Status { json } => status::run(json),
        Command::Reload => status::reload(),
        Command::Resync { json } => resync::run(json),
        Command::Drain { real, wait } => overrides::drain(real, wait.as_deref()),
        Command::Disable { real } => overrides::disable(real),
        Command::Enable { real } => overrides::enable(real),
        Command::Weight { real, weight } => overrides::weight(real, weight),
        Command::Sync { command } => sync::run(command),
    }
}
