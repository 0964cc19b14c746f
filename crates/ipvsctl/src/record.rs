// SPDX-License-Identifier: MIT OR Apache-2.0
//! The record of which services ipvsctl manages, so that a virtual removed
//! from the configuration is removed from the kernel while services made by
//! hand or by other tools are left alone.
//!
//! One record per network namespace (each has its own table), under
//! `/run/ipvsctl/` (or `$IPVSCTL_STATE_DIR`): `managed-<netns inode>`, one
//! service per line (`tcp 192.168.0.3:80`, `fwmark 7`, `fwmark 7 ipv6`).
//! `/run` is emptied at boot, like the kernel table, so the inode, which
//! a reboot changes, is key enough; namespaces that share `/run`
//! (containers) each have their own. A lost or unreadable
//! record only makes apply more careful: nothing unwanted counts as ours.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use anyhow::Context;
use ipvs::{AddressFamily, Protocol, ServiceKey};

/// The state directory: `$IPVSCTL_STATE_DIR`, else `/run/ipvsctl`.
pub fn state_dir() -> PathBuf {
    std::env::var_os("IPVSCTL_STATE_DIR")
        .map_or_else(|| PathBuf::from("/run/ipvsctl"), PathBuf::from)
}

/// A record file: this namespace's ([`Record::here`]) or one given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    path: PathBuf,
}

impl Record {
    /// This network namespace's record, in the state directory.
    pub fn here() -> Self {
        let namespace = crate::netns::Namespace::current().map_or(0, |n| n.inode());
        Self::at(state_dir().join(format!("managed-{namespace}")))
    }

    /// The record in that file.
    pub fn at(path: PathBuf) -> Self {
        Self { path }
    }

    /// Where it lives.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The managed services, or `None` when there is no readable record.
    pub fn load(&self) -> Option<BTreeSet<ServiceKey>> {
        let text = std::fs::read_to_string(&self.path).ok()?;
        text.lines()
            .filter(|l| !l.trim().is_empty())
            .map(parse_key)
            .collect()
    }

    /// Replaces the record, atomically (see [`crate::state_file`]: a
    /// temporary file of its own, created exclusively, fsynced, renamed).
    pub fn save(&self, keys: &BTreeSet<ServiceKey>) -> anyhow::Result<()> {
        let mut text = String::new();
        for key in keys {
            text.push_str(&key.to_string());
            text.push('\n');
        }
        crate::state_file::replace(&self.path, text.as_bytes())
            .with_context(|| format!("cannot write {}", self.path.display()))
    }

    /// Forgets every managed service (after a flush).
    pub fn clear(&self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Reads a key as `ServiceKey`'s `Display` writes it.
pub fn parse_key(line: &str) -> Option<ServiceKey> {
    let words: Vec<&str> = line.split_whitespace().collect();
    match words.as_slice() {
        ["fwmark", mark] => Some(ServiceKey::Fwmark {
            family: AddressFamily::Inet,
            mark: mark.parse().ok()?,
        }),
        ["fwmark", mark, "ipv6"] => Some(ServiceKey::Fwmark {
            family: AddressFamily::Inet6,
            mark: mark.parse().ok()?,
        }),
        [protocol, address] => Some(ServiceKey::Address {
            protocol: match *protocol {
                "tcp" => Protocol::Tcp,
                "udp" => Protocol::Udp,
                "sctp" => Protocol::Sctp,
                _ => return None,
            },
            address: address.parse().ok()?,
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_read_back_as_written() {
        for key in [
            ServiceKey::tcp("192.168.0.3:80".parse().unwrap()),
            ServiceKey::udp("[2001:db8::1]:53".parse().unwrap()),
            ServiceKey::Address {
                protocol: Protocol::Sctp,
                address: "10.0.0.1:3868".parse().unwrap(),
            },
            ServiceKey::fwmark(7),
            ServiceKey::Fwmark {
                family: AddressFamily::Inet6,
                mark: 8,
            },
        ] {
            assert_eq!(parse_key(&key.to_string()), Some(key));
        }
        assert_eq!(parse_key("icmp 1.2.3.4:0"), None);
    }
}
