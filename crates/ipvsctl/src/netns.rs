// SPDX-License-Identifier: MIT OR Apache-2.0
//! The network namespace a process runs in. Each has its own IPVS table,
//! so each has its own daemon, control socket, record and overrides; this
//! module says which namespace is which: what the kernel calls it
//! (`net:[4026532…]`, as `/proc/PID/ns/net` reads), its `ip netns` name
//! when `/run/netns` holds one, and whether it is the host's (pid 1's).

use std::fmt;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

/// Where `ip netns add` pins the namespaces it names.
const NAMED: &str = "/run/netns";

/// A network namespace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Namespace {
    inode: u64,
    name: Option<String>,
    initial: Option<bool>,
}

impl Namespace {
    /// The calling thread's namespace (a thread may have one of its own);
    /// `None` without `/proc`.
    pub fn current() -> Option<Self> {
        Self::of("/proc/thread-self/ns/net").or_else(|| Self::of("/proc/self/ns/net"))
    }

    /// The namespace of process `pid`; `None` when it cannot be read (gone,
    /// or another user's process).
    pub fn of_process(pid: u32) -> Option<Self> {
        Self::of(&format!("/proc/{pid}/ns/net"))
    }

    /// A namespace as given (tests).
    pub fn known(inode: u64, name: Option<&str>, initial: Option<bool>) -> Self {
        Self {
            inode,
            name: name.map(str::to_string),
            initial,
        }
    }

    fn of(link: &str) -> Option<Self> {
        let meta = std::fs::metadata(link).ok()?;
        // pid 1's namespace is the host's (a container with its own pid
        // namespace counts as a host of its own). Unknown when /proc/1
        // cannot be read (not root, or systemd's ProtectProc=).
        let initial = std::fs::metadata("/proc/1/ns/net")
            .ok()
            .map(|init| (init.dev(), init.ino()) == (meta.dev(), meta.ino()));
        Some(Self {
            inode: meta.ino(),
            name: name_in(Path::new(NAMED), meta.dev(), meta.ino()),
            initial,
        })
    }

    /// The kernel's number for it: the inode of `/proc/PID/ns/net`.
    pub fn inode(&self) -> u64 {
        self.inode
    }

    /// Its `ip netns` name, when it has one.
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// Whether it is the host's namespace (pid 1's); `None` when pid 1's
    /// cannot be read.
    pub fn is_initial(&self) -> Option<bool> {
        self.initial
    }
}

/// `net:[4026532123]`, with ` (ip netns d1)` when it has a name.
impl fmt::Display for Namespace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "net:[{}]", self.inode)?;
        if let Some(name) = &self.name {
            write!(f, " (ip netns {name})")?;
        }
        Ok(())
    }
}

/// The name of the file in `dir` that is the namespace `(device, inode)`
/// (`ip netns add` bind-mounts it there); the first by name when several
/// are.
pub fn name_in(dir: &Path, device: u64, inode: u64) -> Option<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(Result::ok)
        .filter(|entry| {
            std::fs::metadata(entry.path()).is_ok_and(|m| (m.dev(), m.ino()) == (device, inode))
        })
        .filter_map(|entry| entry.file_name().into_string().ok())
        .collect();
    names.sort();
    names.into_iter().next()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_kernel_number_then_the_ip_netns_name() {
        assert_eq!(
            Namespace::known(4026531840, None, Some(true)).to_string(),
            "net:[4026531840]"
        );
        assert_eq!(
            Namespace::known(4026532301, Some("d1"), Some(false)).to_string(),
            "net:[4026532301] (ip netns d1)"
        );
    }

    #[test]
    fn a_name_is_the_file_that_is_the_namespace() {
        let dir = std::env::temp_dir().join(format!("ipvsctl-netns-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        for name in ["blue", "red"] {
            std::fs::write(dir.join(name), name).unwrap();
        }
        let red = std::fs::metadata(dir.join("red")).unwrap();
        assert_eq!(name_in(&dir, red.dev(), red.ino()).as_deref(), Some("red"));
        assert_eq!(name_in(&dir, red.dev(), u64::MAX), None);
        assert_eq!(name_in(&dir.join("none"), red.dev(), red.ino()), None);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn this_process_has_one() {
        let here = Namespace::current().unwrap();
        let link = std::fs::read_link("/proc/thread-self/ns/net").unwrap();
        assert_eq!(link.to_string_lossy(), format!("net:[{}]", here.inode()));
    }
}
