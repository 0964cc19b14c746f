// SPDX-License-Identifier: MIT OR Apache-2.0
//! `ipvsctl validate FILE...`: parse and check, no kernel access.

use std::path::PathBuf;

use crate::{exit, report};

/// Exit 0 when every file is good, 1 otherwise.
pub fn run(files: &[PathBuf]) -> anyhow::Result<i32> {
    let Some(config) = report::load(files) else {
        return Ok(exit::FAILURE);
    };
    let reals: usize = config.virtuals.iter().map(|v| v.reals.len()).sum();
    println!(
        "ok: {} virtual service{}, {reals} real{}",
        config.virtuals.len(),
        if config.virtuals.len() == 1 { "" } else { "s" },
        if reals == 1 { "" } else { "s" }
    );
    Ok(exit::SUCCESS)
}
