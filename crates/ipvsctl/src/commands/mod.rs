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

use std::path::PathBuf;

use crate::cli::{Command, ConfigArgs};

/// Runs a command; `Ok` carries the exit code.
pub fn run(command: Command) -> anyhow::Result<i32> {
    match command {
        Command::Validate { config, json } => validate::run(&listed(config)?, json),
        Command::Check {
            config,
            json,
            virtuals,
            reals,
        } => check::run(
            &listed(config)?,
            json,
            &check::Narrowing { virtuals, reals },
        ),
        Command::Plan {
            config,
            json,
            prune,
        } => plan::run(&listed(config)?, json, prune),
        Command::Apply {
            config,
            prune,
            netlink_stats,
            force,
        } => apply::run(&listed(config)?, prune, netlink_stats, force),
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
        Command::Remove { config, force } => remove::run(&listed(config)?, force),
        Command::Convert {
            file,
            from,
            config_id,
        } => convert::run(&file, from, config_id),
        Command::Run {
            config,
            check_threads,
        } => crate::daemon::run(config.files(), usize::from(check_threads)),
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

/// The files a command reads now: those given, or the configuration
/// directory's.
fn listed(config: ConfigArgs) -> anyhow::Result<Vec<PathBuf>> {
    Ok(config.files().list()?)
}
