// SPDX-License-Identifier: MIT OR Apache-2.0
//! Where overrides outlive the daemon: one JSON file per network
//! namespace under `/var/lib/ipvsctl` (a reboot keeps it, unlike the
//! record under `/run`), keyed by what a reboot keeps too:
//! - the host's namespace (pid 1's): `overrides.json`, as before
//!   namespaces had files of their own;
//! - a namespace `ip netns` names: `netns/NAME/overrides.json` (the
//!   name is what the site's scripts make again after a reboot);
//! - any other (no name): `netns/net-INODE/overrides.json`, with a note
//!   that it will not be found after a reboot, which gives the namespace
//!   another inode.
//!
//! `$IPVSCTL_OVERRIDES_DIR`, else `$IPVSCTL_STATE_DIR`, when set, holds
//! `overrides.json` instead (tests keep everything in one place).
//! Written atomically ([`crate::state_file`]: a temporary file of its own,
//! created exclusively, fsync, rename, fsync of the directory). A file that cannot
//! be read is reported by the caller, which goes on with no overrides.

use std::path::{Path, PathBuf};

use anyhow::Context;
use health::TargetKey;
use ipvs::ServiceKey;
use serde::{Deserialize, Serialize};

use super::overrides::Override;
use crate::netns::Namespace;

/// The file's format version.
const FORMAT: u32 = 1;

/// Where the files are, but for tests.
const DIR: &str = "/var/lib/ipvsctl";

/// The override file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OverrideStore {
    path: PathBuf,
    note: Option<String>,
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
    /// This network namespace's file (see the module's doc).
    pub fn here() -> Self {
        match std::env::var_os("IPVSCTL_OVERRIDES_DIR")
            .or_else(|| std::env::var_os("IPVSCTL_STATE_DIR"))
        {
            Some(dir) => Self::at(PathBuf::from(dir).join("overrides.json")),
            None => Self::of(Path::new(DIR), crate::netns::Namespace::current().as_ref()),
        }
    }

    /// The file of `namespace` under `dir`: the host's when it is the
    /// host's namespace, or unknown and without a name.
    pub fn of(dir: &Path, namespace: Option<&Namespace>) -> Self {
        let Some(namespace) = namespace.filter(|n| n.is_initial() != Some(true)) else {
            return Self::at(dir.join("overrides.json"));
        };
        let name = namespace
            .name()
            .filter(|name| *name != "." && *name != ".." && !name.contains('/'));
        match (name, namespace.is_initial()) {
            (Some(name), _) => Self::at(dir.join("netns").join(name).join("overrides.json")),
            // pid 1's namespace unknown: most likely the host's.
            (None, None) => Self::at(dir.join("overrides.json")),
            (None, Some(_)) => {
                let path = dir
                    .join("netns")
                    .join(format!("net-{}", namespace.inode()))
                    .join("overrides.json");
                let note = format!(
                    "network namespace {namespace} has no `ip netns` name: drains, disables and \
                     weights are kept in {} until a reboot only (a reboot gives the namespace \
                     another number; name it with `ip netns` to keep them)",
                    path.display()
                );
                Self {
                    path,
                    note: Some(note),
                }
            }
        }
    }

    /// The overrides in that file.
    pub fn at(path: PathBuf) -> Self {
        Self { path, note: None }
    }

    /// Where it is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// What the log should say about where the file is, if anything.
    pub fn note(&self) -> Option<&str> {
        self.note.as_deref()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_host_keeps_its_file_and_a_named_namespace_has_its_own() {
        let dir = Path::new("/var/lib/ipvsctl");
        for host in [
            None,
            Some(Namespace::known(4026531840, None, Some(true))),
            // Named, but it is pid 1's: the host's file stays.
            Some(Namespace::known(4026531840, Some("host"), Some(true))),
            // pid 1's cannot be read, and no name: taken as the host's.
            Some(Namespace::known(4026531840, None, None)),
        ] {
            let store = OverrideStore::of(dir, host.as_ref());
            assert_eq!(store.path(), Path::new("/var/lib/ipvsctl/overrides.json"));
            assert_eq!(store.note(), None);
        }
        for initial in [Some(false), None] {
            let named = OverrideStore::of(
                dir,
                Some(&Namespace::known(4026532301, Some("d1"), initial)),
            );
            assert_eq!(
                named.path(),
                Path::new("/var/lib/ipvsctl/netns/d1/overrides.json")
            );
            assert_eq!(named.note(), None);
        }
    }

    #[test]
    fn a_namespace_without_a_name_is_told_its_file_lasts_until_a_reboot() {
        let store = OverrideStore::of(
            Path::new("/var/lib/ipvsctl"),
            Some(&Namespace::known(4026532302, None, Some(false))),
        );
        assert_eq!(
            store.path(),
            Path::new("/var/lib/ipvsctl/netns/net-4026532302/overrides.json")
        );
        assert!(store
            .note()
            .unwrap()
            .starts_with("network namespace net:[4026532302] has no `ip netns` name"));
        let odd = OverrideStore::of(
            Path::new("/x"),
            Some(&Namespace::known(7, Some(".."), Some(false))),
        );
        assert_eq!(odd.path(), Path::new("/x/netns/net-7/overrides.json"));
    }
}
