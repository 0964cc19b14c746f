// SPDX-License-Identifier: MIT OR Apache-2.0
//! `ipvsctl convert FILE.cf`: an ldirectord configuration as TOML.

use std::path::PathBuf;

use crate::{exit, report};

/// Prints the TOML on stdout; problems on stderr, exit 1.
pub fn run(file: &PathBuf) -> anyhow::Result<i32> {
    let Some(config) = report::load(std::slice::from_ref(file)) else {
        return Ok(exit::FAILURE);
    };
    let header = format!("converted from {} by ipvsctl convert", file.display());
    print!("{}", config::write::to_toml(&config, &header));
    Ok(exit::SUCCESS)
}
