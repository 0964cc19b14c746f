// SPDX-License-Identifier: MIT OR Apache-2.0
//! bash, zsh and fish completions, from the clap `Cli`.

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::CommandFactory;
use clap_complete::Shell;

/// Writes `ipvsctl.bash`, `_ipvsctl` (zsh) and `ipvsctl.fish` into `dir`;
/// returns their paths.
pub fn write(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut written = Vec::new();
    for (shell, name) in [
        (Shell::Bash, "ipvsctl.bash"),
        (Shell::Zsh, "_ipvsctl"),
        (Shell::Fish, "ipvsctl.fish"),
    ] {
        let path = dir.join(name);
        let mut file = std::fs::File::create(&path)
            .with_context(|| format!("cannot write {}", path.display()))?;
        let mut command = ipvsctl::cli::Cli::command();
        clap_complete::generate(shell, &mut command, "ipvsctl", &mut file);
        written.push(path);
    }
    Ok(written)
}
