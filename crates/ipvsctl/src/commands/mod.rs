// SPDX-License-Identifier: MIT OR Apache-2.0
//! One module per command.

mod apply;
mod check;
mod convert;
pub mod daemon_guard;
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
        Command::Validate { files, json } => validate::run(&files, json),
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
            force,
        } => apply::run(&files, prune, netlink_stats, force),
        Command::List {
            json,
            kernel_order,
            fingerprint,
        } => list::run(list::Shape {
            json,
            kernel_order,
            fingerprint,
        }),
        Command::Flush { yes, force } => flush::run(yes, force),
        Command::Remove { files, force } => remove::run(&files, force),
        Command::Convert { file } => convert::run(&file),
        Command::Run {
            files,
            check_threads,
        } => crate::daemon::run(files, usize::from(check_threads)),
        Command::Status { pid: true, .. } => status::pid(),
        Command::Status { json, .. } => status::run(json),
        Command::Reload => status::reload(),
        Command::Resync { json } => resync::run(json),
        Command::Drain { director: true, .. } => overrides::director(true),
        Command::Drain {
            real: Some(real),
            wait,
            ..
        } => overrides::drain(real, wait.as_deref()),
        Command::Enable { director: true, .. } => overrides::director(false),
        Command::Enable {
            real: Some(real), ..
        } => overrides::enable(real),
        Command::Drain { real: None, .. } | Command::Enable { real: None, .. } => {
            anyhow::bail!("give a real (IP or IP:PORT) or --director")
        }
        Command::Disable { real } => overrides::disable(real),
        Command::Weight { real, weight } => overrides::weight(real, weight),
        Command::Sync { command } => sync::run(command),
    }
}
