// SPDX-License-Identifier: MIT OR Apache-2.0
//! Where overrides outlive the daemon: one JSON file,
//! `/var/lib/ipvsctl/overrides.json` (a reboot keeps it, unlike the
//! record under `/run`), or under `$IPVSCTL_OVERRIDES_DIR`, else
//! `$IPVSCTL_STATE_DIR` when set (tests keep everything in one place).
//! Written atomically ([`crate::state_file`]: a temporary file of its own,
//! created exclusively, fsync, rename, fsync of the directory). A file that cannot
//! be read is reported by the caller, which goes on with no overrides.

use std::path::{Path, PathBuf};

use anyhow::Context;
use health::TargetKey;
use ipvs::ServiceKey;
use serde::{Deserialize, Serialize};

use super::overrides::Override;

/// The file's format version.
const FORMAT: u32 = 1;

/// The override file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OverrideStore {
    path: PathBuf,
}

#[derive(Serialize, Deserialize)]
struct File {
    version: u32,
    overrides: Vec<Entry>,
}

#[derive(Serialize, Deserialize)]
struct Entry {
    #[serde(rename = "virtual")]
    service: String,
    real: String,
    #[serde(flatten)]
    what: Override,
}

impl OverrideStore {
    /// The file in its usual directory (see the module's doc).
    pub fn here() -> Self {
        let dir = std::env::var_os("IPVSCTL_OVERRIDES_DIR")
            .or_else(|| std::env::var_os("IPVSCTL_STATE_DIR"))
            .map_or_else(|| PathBuf::from("/var/lib/ipvsctl"), PathBuf::from);
        Self::at(dir.join("overrides.json"))
    }

    /// The overrides in that file.
    pub fn at(path: PathBuf) -> Self {
        Self { path }
    }

    /// Where it is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The overrides kept; none when there is no file.
    pub fn load(&self) -> anyhow::Result<Vec<(TargetKey<ServiceKey>, Override)>> {
        let text = match std::fs::read_to_string(&self.path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => {
                return Err(
                    anyhow::Error::new(e).context(format!("cannot read {}", self.path.display()))
                )
            }
        };
        let file: File = serde_json::from_str(&text)
            .with_context(|| format!("{} is not an override file", self.path.display()))?;
        if file.version != FORMAT {
            anyhow::bail!(
                "{}: format version {} is not known here (this ipvsctl writes {FORMAT})",
                self.path.display(),
                file.version
            );
        }
        file.overrides
            .into_iter()
            .map(|e| {
                let service = crate::record::parse_key(&e.service).with_context(|| {
                    format!("{}: `{}` is not a virtual", self.path.display(), e.service)
                })?;
                let real = e.real.parse().with_context(|| {
                    format!("{}: `{}` is not a real", self.path.display(), e.real)
                })?;
                Ok((TargetKey { service, real }, e.what))
            })
            .collect()
    }

    /// Replaces the file with these overrides, atomically.
    pub fn save<'a>(
        &self,
        overrides: impl IntoIterator<Item = (&'a TargetKey<ServiceKey>, &'a Override)>,
    ) -> anyhow::Result<()> {
        let file = File {
            version: FORMAT,
            overrides: overrides
                .into_iter()
                .map(|(key, what)| Entry {
                    service: key.service.to_string(),
                    real: ipvs::net::socket_text(&key.real.ip(), key.real.port()),
                    what: what.clone(),
                })
                .collect(),
        };
        let mut text = serde_json::to_vec_pretty(&file)?;
        text.push(b'\n');
        crate::state_file::replace(&self.path, &text)
            .with_context(|| format!("cannot write {}", self.path.display()))
    }
}
