// SPDX-License-Identifier: MIT OR Apache-2.0
//! ipvsctl.toml(5), from `docs/configuration.md`: the one source of the
//! configuration's reference (README links to it).

use std::path::{Path, PathBuf};

use anyhow::Context;

/// Writes `ipvsctl.toml.5` into `dir` from `markdown`; returns its path.
pub fn write(markdown: &Path, dir: &Path) -> anyhow::Result<PathBuf> {
    let text = std::fs::read_to_string(markdown)
        .with_context(|| format!("cannot read {}", markdown.display()))?;
    let body = crate::markdown::to_roff(&text)
        .map_err(|e| anyhow::anyhow!("{}: {e}", markdown.display()))?;
    let version = env!("CARGO_PKG_VERSION");
    let page = format!(
        ".TH IPVSCTL.TOML 5 \"\" \"ipvsctl {version}\" \"File Formats\"\n\
         .SH NAME\nipvsctl.toml \\- configuration of ipvsctl, the IPVS (LVS) director\n\
         .SH DESCRIPTION\n{body}.SH \"SEE ALSO\"\n\\fBipvsctl\\fR(8), \\fBipvsadm\\fR(8)\n"
    );
    let path = dir.join("ipvsctl.toml.5");
    std::fs::write(&path, page).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(path)
}
