// SPDX-License-Identifier: MIT OR Apache-2.0
//! Errors, each worded for the operator who will read it.

use std::io;

/// A result whose error is [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong talking to the kernel. Every variant that concerns one
/// request names it (`request`), in the words of [`crate::Operation`]'s
/// `Display`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The generic-netlink family "IPVS" is not registered.
    #[error("no IPVS in this kernel: modprobe ip_vs")]
    NoIpvs,
    /// EPERM: the caller lacks CAP_NET_ADMIN (every IPVS command needs it).
    #[error("needs CAP_NET_ADMIN: run as root")]
    PermissionDenied,
    /// EEXIST.
    #[error("{request}: already exists")]
    AlreadyExists {
        /// The request.
        request: String,
    },
    /// ESRCH on a service or destination request.
    #[error("{request}: no such service")]
    NoSuchService {
        /// The request.
        request: String,
    },
    /// ENOENT on a destination request.
    #[error("{request}: no such destination")]
    NoSuchDestination {
        /// The request.
        request: String,
    },
    /// ENOENT on a service request: the scheduler (or persistence engine)
    /// module is missing.
    #[error("{request}: {module} not found: no kernel module {modules}")]
    NoSuchScheduler {
        /// The request.
        request: String,
        /// What was asked for, e.g. `scheduler 'wlcx'`.
        module: String,
        /// The module(s) the kernel looked for, e.g. `ip_vs_wlcx`.
        modules: String,
    },
    /// ESRCH on a sync-daemon request: no daemon in that state.
    #[error("{request}: no such sync daemon is running")]
    NoSuchDaemon {
        /// The request.
        request: String,
    },
    /// ENODEV: the interface named does not exist.
    #[error("{request}: no such interface {interface}")]
    NoSuchInterface {
        /// The request.
        request: String,
        /// The interface.
        interface: String,
    },
    /// EINVAL: the kernel refused what was sent.
    #[error("{request}: the kernel refused it as invalid{}", detail_text(detail))]
    Invalid {
        /// The request.
        request: String,
        /// The kernel's own reason (extended ACK), when it gave one.
        detail: Option<String>,
    },
    /// ERANGE: a weight above `i32::MAX`, or a lower threshold above the
    /// upper one.
    #[error("{request}: a value is out of range (weight at most 2147483647, lower threshold at most the upper)")]
    OutOfRange {
        /// The request.
        request: String,
    },
    /// Any other kernel error.
    #[error("{request}: {}{}", io::Error::from_raw_os_error(*errno), detail_text(detail))]
    Kernel {
        /// The request.
        request: String,
        /// The positive errno.
        errno: i32,
        /// The kernel's own reason (extended ACK), when it gave one.
        detail: Option<String>,
    },
    /// The netlink socket itself failed.
    #[error("netlink socket: {0}")]
    Socket(#[source] io::Error),
    /// A reply could not be decoded.
    #[error("cannot decode the kernel's reply: {0}")]
    Decode(String),
    /// The kernel's replies broke the protocol (wrong sequence, lost ACK).
    #[error("netlink protocol: {0}")]
    Protocol(String),
}

fn detail_text(detail: &Option<String>) -> String {
    match detail {
        Some(text) => format!(" ({text})"),
        None => String::new(),
    }
}

impl Error {
    /// The errno behind a kernel refusal, if this is one.
    pub fn errno(&self) -> Option<i32> {
        match self {
            Self::PermissionDenied => Some(libc::EPERM),
            Self::AlreadyExists { .. } => Some(libc::EEXIST),
            Self::NoSuchService { .. } | Self::NoSuchDaemon { .. } => Some(libc::ESRCH),
            Self::NoSuchDestination { .. } | Self::NoSuchScheduler { .. } => Some(libc::ENOENT),
            Self::NoSuchInterface { .. } => Some(libc::ENODEV),
            Self::Invalid { .. } => Some(libc::EINVAL),
            Self::OutOfRange { .. } => Some(libc::ERANGE),
            Self::Kernel { errno, .. } => Some(*errno),
            _ => None,
        }
    }
}
