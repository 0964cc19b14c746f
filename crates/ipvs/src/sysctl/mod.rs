// SPDX-License-Identifier: MIT OR Apache-2.0
//! The IPVS sysctls of the caller's network namespace, under
//! `/proc/sys/net/ipv4/vs/` (what operators set by hand with `sysctl -w
//! net.ipv4.vs.NAME=VALUE`). They are not part of the generic-netlink
//! family: they are read and written as files.
//!
//! Only the settings that draining and quiescent reals depend on are
//! named here ([`Sysctl`]); each value is the integer the kernel shows.
//! A sysctl the kernel does not have (an older kernel, or `ip_vs` not
//! loaded) is [`SysctlError::Missing`], naming it.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

/// Where the kernel shows the IPVS sysctls of the caller's namespace.
pub const PROC_DIR: &str = "/proc/sys/net/ipv4/vs";

/// The largest file read from the sysctl directory: an integer and a
/// newline fit many times over.
const MAX_LEN: u64 = 64;

/// An IPVS sysctl.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Sysctl {
    /// `expire_nodest_conn`: drop the connections of a removed
    /// destination at their next packet (instead of when they time out).
    ExpireNodestConn,
    /// `expire_quiescent_template`: expire the persistence templates of a
    /// destination of weight 0, so persistent clients move on.
    ExpireQuiescentTemplate,
    /// `conn_reuse_mode`: how a reused client port is scheduled (bitmap,
    /// kernel default 1).
    ConnReuseMode,
    /// `sloppy_tcp`: create TCP connection entries from any packet, not
    /// only a SYN (for a director taking over mid-stream).
    SloppyTcp,
    /// `sloppy_sctp`: the same for SCTP (an INIT no longer needed).
    SloppySctp,
}

impl Sysctl {
    /// Every sysctl named here, in the order plans list them.
    pub const ALL: [Sysctl; 5] = [
        Self::ExpireNodestConn,
        Self::ExpireQuiescentTemplate,
        Self::ConnReuseMode,
        Self::SloppyTcp,
        Self::SloppySctp,
    ];

    /// Its file name (`expire_nodest_conn`).
    pub fn name(self) -> &'static str {
        match self {
            Self::ExpireNodestConn => "expire_nodest_conn",
            Self::ExpireQuiescentTemplate => "expire_quiescent_template",
            Self::ConnReuseMode => "conn_reuse_mode",
            Self::SloppyTcp => "sloppy_tcp",
            Self::SloppySctp => "sloppy_sctp",
        }
    }
}

impl fmt::Display for Sysctl {
    /// `net.ipv4.vs.NAME`, as `sysctl` names it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "net.ipv4.vs.{}", self.name())
    }
}

/// What went wrong reading or writing a sysctl.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SysctlError {
    /// The file is not there.
    #[error("{sysctl}: no such sysctl ({}): this kernel is too old for it, or ip_vs is not loaded", path.display())]
    Missing {
        /// Which.
        sysctl: Sysctl,
        /// The file looked for.
        path: PathBuf,
    },
    /// Not allowed (not root, or a read-only /proc/sys).
    #[error("{sysctl}: permission denied ({}): run as root, with /proc/sys writable", path.display())]
    PermissionDenied {
        /// Which.
        sysctl: Sysctl,
        /// The file.
        path: PathBuf,
    },
    /// The kernel refused the value written (EINVAL and the like).
    #[error("{sysctl}: the kernel refused {value}: {error}")]
    Refused {
        /// Which.
        sysctl: Sysctl,
        /// What was written.
        value: i64,
        /// What the write said.
        #[source]
        error: io::Error,
    },
    /// Any other failure to read or write the file.
    #[error("{sysctl} ({}): {error}", path.display())]
    Io {
        /// Which.
        sysctl: Sysctl,
        /// The file.
        path: PathBuf,
        /// What failed.
        #[source]
        error: io::Error,
    },
    /// The file holds something other than one integer.
    #[error("{sysctl}: not an integer: {text:?}")]
    NotAnInteger {
        /// Which.
        sysctl: Sysctl,
        /// What it held (at most 64 bytes).
        text: String,
    },
}

/// The IPVS sysctls of one directory: [`Sysctls::proc`] for the kernel's,
/// another for tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sysctls {
    dir: PathBuf,
}

impl Sysctls {
    /// The caller's namespace's, under [`PROC_DIR`].
    pub fn proc() -> Self {
        Self::at(PROC_DIR)
    }

    /// Those of a directory holding one file per sysctl.
    pub fn at(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// The file of a sysctl.
    pub fn path(&self, sysctl: Sysctl) -> PathBuf {
        self.dir.join(sysctl.name())
    }

    /// Reads a sysctl's value.
    pub fn read(&self, sysctl: Sysctl) -> Result<i64, SysctlError> {
        let path = self.path(sysctl);
        let text = read_small(&path).map_err(|error| io_error(sysctl, &path, error))?;
        parse(sysctl, &text)
    }

    /// Writes a sysctl's value.
    pub fn write(&self, sysctl: Sysctl, value: i64) -> Result<(), SysctlError> {
        use std::io::Write;
        let path = self.path(sysctl);
        // Opened without create: a missing sysctl is an error, not a new file.
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .truncate(true)
            .open(&path)
            .map_err(|error| io_error(sysctl, &path, error))?;
        file.write_all(format!("{value}\n").as_bytes())
            .map_err(|error| match error.kind() {
                io::ErrorKind::InvalidInput => SysctlError::Refused {
                    sysctl,
                    value,
                    error,
                },
                _ => io_error(sysctl, &path, error),
            })
    }
}

fn read_small(path: &Path) -> io::Result<String> {
    use std::io::Read;
    let mut text = String::new();
    std::fs::File::open(path)?
        .take(MAX_LEN)
        .read_to_string(&mut text)?;
    Ok(text)
}

fn io_error(sysctl: Sysctl, path: &Path, error: io::Error) -> SysctlError {
    let path = path.to_path_buf();
    match error.kind() {
        io::ErrorKind::NotFound => SysctlError::Missing { sysctl, path },
        io::ErrorKind::PermissionDenied => SysctlError::PermissionDenied { sysctl, path },
        _ => SysctlError::Io {
            sysctl,
            path,
            error,
        },
    }
}

/// One integer, with the kernel's trailing newline.
fn parse(sysctl: Sysctl, text: &str) -> Result<i64, SysctlError> {
    text.trim().parse().map_err(|_| SysctlError::NotAnInteger {
        sysctl,
        text: text.to_string(),
    })
}

#[cfg(test)]
mod tests;
