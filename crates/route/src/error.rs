// SPDX-License-Identifier: MIT OR Apache-2.0
//! What can go wrong.

use std::net::IpAddr;

/// An rtnetlink failure.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The socket could not be opened or used.
    #[error("rtnetlink socket: {0}")]
    Socket(#[source] std::io::Error),
    /// The kernel did not answer in time.
    #[error("rtnetlink: no answer from the kernel within {0:?}")]
    Timeout(std::time::Duration),
    /// The kernel refused a request.
    #[error("{what}: {reason}")]
    Kernel {
        /// What was asked (`add route to 10.0.0.1`).
        what: String,
        /// The errno.
        errno: i32,
        /// The errno in words.
        reason: std::io::Error,
    },
    /// An answer that does not parse, or too large.
    #[error("rtnetlink: {0}")]
    Protocol(String),
    /// No such interface.
    #[error("no interface {0}")]
    NoInterface(String),
}

impl Error {
    /// The same error, saying what was asked.
    pub(crate) fn about(self, verb: &str, address: IpAddr) -> Self {
        match self {
            Self::Kernel { errno, reason, .. } => Self::Kernel {
                what: format!("{verb} route to {address}"),
                errno,
                reason,
            },
            other => other,
        }
    }
}
