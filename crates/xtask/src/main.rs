// SPDX-License-Identifier: MIT OR Apache-2.0
//! `cargo run -p xtask -- man DIR | completions DIR`: what `scripts/package`
//! generates from the code at build time, so that nothing shipped is a
//! hand-written copy that drifts:
//!
//! | module        | job                                                        |
//! |---------------|------------------------------------------------------------|
//! | `man_pages`   | ipvsctl(8) and one page per subcommand, from the clap `Cli` |
//! | `config_page` | ipvsctl.toml(5) from `docs/configuration.md`               |
//! | `markdown`    | the CommonMark-to-roff conversion `config_page` uses        |
//! | `completions` | bash, zsh and fish completions, from the clap `Cli`        |
//!
//! Not shipped and not a dependency of the binary: the generators' crates
//! (clap_mangen, clap_complete, pulldown-cmark) stay out of `ipvsctl`.

mod completions;
mod config_page;
mod man_pages;
mod markdown;

use std::path::PathBuf;

use anyhow::{bail, Context};

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        ["man", dir] => {
            let dir = out_dir(dir)?;
            let mut written = man_pages::write(&dir)?;
            written.push(config_page::write(&docs().join("configuration.md"), &dir)?);
            print(&written);
        }
        ["completions", dir] => print(&completions::write(&out_dir(dir)?)?),
        _ => bail!("usage: xtask man DIR | completions DIR"),
    }
    Ok(())
}

/// The directory to write into, made when missing.
fn out_dir(dir: &str) -> anyhow::Result<PathBuf> {
    let dir = PathBuf::from(dir);
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot make {}", dir.display()))?;
    Ok(dir)
}

/// The repository's docs/.
fn docs() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs")
}

fn print(written: &[PathBuf]) {
    for path in written {
        println!("{}", path.display());
    }
}
