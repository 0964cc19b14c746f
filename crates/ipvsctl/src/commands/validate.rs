// SPDX-License-Identifier: MIT OR Apache-2.0
//! `ipvsctl validate [--json] FILE...`: parse and check, no kernel access.
//! `--json` is for scripts: one line that also says whether `[sync]` is set
//! and its role, so an HA script asks the binary instead of reading TOML.

use std::path::PathBuf;

use config::model::SyncRole;
use serde::Serialize;

use crate::{exit, report};

/// What `--json` prints, on one line.
#[derive(Debug, Serialize)]
struct Summary<'a> {
    virtuals: usize,
    reals: usize,
    /// `null` when the files have no `[sync]`.
    sync: Option<Sync<'a>>,
}

/// `[sync]` as the files set it.
#[derive(Debug, Serialize)]
struct Sync<'a> {
    /// master, backup or both.
    state: &'static str,
    syncid: u8,
    interface: &'a str,
}

fn role(state: SyncRole) -> &'static str {
    match state {
        SyncRole::Master => "master",
        SyncRole::Backup => "backup",
        SyncRole::Both => "both",
    }
}

/// Exit 0 when every file is good, 1 otherwise (the errors on stderr,
/// nothing on stdout).
pub fn run(files: &[PathBuf], json: bool) -> anyhow::Result<i32> {
    let Some(config) = report::load(files) else {
        return Ok(exit::FAILURE);
    };
    let reals: usize = config.virtuals.iter().map(|v| v.reals.len()).sum();
    if json {
        let summary = Summary {
            virtuals: config.virtuals.len(),
            reals,
            sync: config.sync.as_ref().map(|s| Sync {
                state: role(s.state),
                syncid: s.syncid,
                interface: &s.interface,
            }),
        };
        println!("{}", serde_json::to_string(&summary)?);
        return Ok(exit::SUCCESS);
    }
    println!(
        "ok: {} virtual service{}, {reals} real{}",
        config.virtuals.len(),
        if config.virtuals.len() == 1 { "" } else { "s" },
        if reals == 1 { "" } else { "s" }
    );
    Ok(exit::SUCCESS)
}
