// SPDX-License-Identifier: MIT OR Apache-2.0
//! Errors, each worded for the operator who will read it, and the
//! translation of a kernel errno into one (and back, [`Error::errno`]).

use std::fmt;
use std::io;

/// A result whose error is [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong talking to the kernel.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The generic-netlink family "IPVS" is not registered.
    #[error("no IPVS in this kernel: modprobe ip_vs")]
    NoIpvs,
    /// EPERM: the caller lacks CAP_NET_ADMIN (every IPVS command needs it).
    #[error("needs CAP_NET_ADMIN: run as root")]
    PermissionDenied,
    /// The kernel refused a request: `kind` says why.
    #[error("{request}: {kind}")]
    Request {
        /// The request, in the words of [`crate::Operation`]'s `Display`.
        request: String,
        /// Why the kernel refused it.
        kind: ErrorKind,
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
    /// A sysctl under `/proc/sys/net/ipv4/vs` could not be read or written.
    #[error(transparent)]
    Sysctl(#[from] crate::sysctl::SysctlError),
}

/// Why the kernel refused a request ([`Error::Request`]). Its `Display` is
/// the text after the request's name.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// EEXIST.
    AlreadyExists,
    /// ESRCH on a service or destination request.
    NoSuchService,
    /// ENOENT on a destination request.
    NoSuchDestination,
    /// ENOENT on a service request: the scheduler (or persistence engine)
    /// module is missing.
    NoSuchScheduler {
        /// What was asked for, e.g. `scheduler 'wlcx'`.
        module: String,
        /// The module(s) the kernel looked for, e.g. `ip_vs_wlcx`.
        modules: String,
    },
    /// ESRCH on a sync-daemon request: no daemon in that state.
    NoSuchDaemon,
    /// ENODEV: the interface named does not exist.
    NoSuchInterface {
        /// The interface.
        interface: String,
    },
    /// EINVAL: the kernel refused what was sent.
    Invalid {
        /// The kernel's own reason (extended ACK), when it gave one.
        detail: Option<String>,
    },
    /// ERANGE: a weight above `i32::MAX`, or a lower threshold above the
    /// upper one.
    OutOfRange,
    /// Any other kernel error.
    Kernel {
        /// The positive errno.
        errno: i32,
        /// The kernel's own reason (extended ACK), when it gave one.
        detail: Option<String>,
    },
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::AlreadyExists => f.write_str("already exists"),
            Self::NoSuchService => f.write_str("no such service"),
            Self::NoSuchDestination => f.write_str("no such destination"),
            Self::NoSuchScheduler { module, modules } => {
                write!(f, "{module} not found: no kernel module {modules}")
            }
            Self::NoSuchDaemon => f.write_str("no such sync daemon is running"),
            Self::NoSuchInterface { interface } => write!(f, "no such interface {interface}"),
            Self::Invalid { detail } => {
                write!(f, "the kernel refused it as invalid{}", Detail(detail))
            }
            Self::OutOfRange => f.write_str(
                "a value is out of range \
                 (weight at most 2147483647, lower threshold at most the upper)",
            ),
            Self::Kernel { errno, detail } => write!(
                f,
                "{}{}",
                io::Error::from_raw_os_error(*errno),
                Detail(detail)
            ),
        }
    }
}

/// The kernel's own reason, in parentheses after a space, or nothing.
struct Detail<'a>(&'a Option<String>);

impl fmt::Display for Detail<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(text) => write!(f, " ({text})"),
            None => Ok(()),
        }
    }
}

/// What a request was about. What an errno means depends on it: ENOENT on
/// a service is a missing scheduler, on a destination a missing destination.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Subject {
    /// A service write; names the modules the kernel may have looked for.
    Service {
        scheduler: String,
        persistence_engine: Option<String>,
    },
    /// A destination request.
    Destination,
    /// A sync daemon request, with the interface it names.
    Daemon { interface: Option<String> },
    /// Anything else.
    Other,
}

impl Error {
    /// Translates the kernel's refusal of a request into an error:
    /// `errno` is positive, `request` names the request, `detail` is the
    /// extended ACK's text.
    pub(crate) fn refused(
        errno: i32,
        request: String,
        subject: &Subject,
        detail: Option<String>,
    ) -> Self {
        let kind = match (errno, subject) {
            (libc::EPERM | libc::EACCES, _) => return Self::PermissionDenied,
            (libc::EEXIST, _) => ErrorKind::AlreadyExists,
            (libc::ESRCH, Subject::Daemon { .. }) => ErrorKind::NoSuchDaemon,
            (libc::ESRCH, _) => ErrorKind::NoSuchService,
            (libc::ENOENT, Subject::Destination) => ErrorKind::NoSuchDestination,
            (
                libc::ENOENT,
                Subject::Service {
                    scheduler,
                    persistence_engine,
                },
            ) => {
                let (module, modules) = match persistence_engine {
                    Some(pe) => (
                        format!("scheduler '{scheduler}' or persistence engine '{pe}'"),
                        format!("ip_vs_{scheduler} or ip_vs_pe_{pe}"),
                    ),
                    None => (
                        format!("scheduler '{scheduler}'"),
                        format!("ip_vs_{scheduler}"),
                    ),
                };
                ErrorKind::NoSuchScheduler { module, modules }
            }
            (
                libc::ENODEV,
                Subject::Daemon {
                    interface: Some(interface),
                },
            ) => ErrorKind::NoSuchInterface {
                interface: interface.clone(),
            },
            (libc::EINVAL, _) => ErrorKind::Invalid { detail },
            (libc::ERANGE, _) => ErrorKind::OutOfRange,
            _ => ErrorKind::Kernel { errno, detail },
        };
        Self::Request { request, kind }
    }

    /// A reply that could not be decoded.
    pub(crate) fn decode(error: impl fmt::Display) -> Self {
        Self::Decode(error.to_string())
    }

    /// Translates the controller's refusal to name the IPVS family.
    pub(crate) fn family_lookup(errno: i32) -> Self {
        match errno {
            libc::ENOENT => Self::NoIpvs,
            libc::EPERM | libc::EACCES => Self::PermissionDenied,
            errno => Self::Socket(io::Error::from_raw_os_error(errno)),
        }
    }

    /// Why the kernel refused a request, if this is a refusal of one.
    pub fn kind(&self) -> Option<&ErrorKind> {
        match self {
            Self::Request { kind, .. } => Some(kind),
            _ => None,
        }
    }

    /// The errno behind a kernel refusal, if this is one.
    pub fn errno(&self) -> Option<i32> {
        match self {
            Self::PermissionDenied => Some(libc::EPERM),
            Self::Request { kind, .. } => Some(kind.errno()),
            _ => None,
        }
    }
}

impl ErrorKind {
    /// The errno the kernel answered with.
    pub fn errno(&self) -> i32 {
        match self {
            Self::AlreadyExists => libc::EEXIST,
            Self::NoSuchService | Self::NoSuchDaemon => libc::ESRCH,
            Self::NoSuchDestination | Self::NoSuchScheduler { .. } => libc::ENOENT,
            Self::NoSuchInterface { .. } => libc::ENODEV,
            Self::Invalid { .. } => libc::EINVAL,
            Self::OutOfRange => libc::ERANGE,
            Self::Kernel { errno, .. } => *errno,
        }
    }
}

#[cfg(test)]
mod tests;
