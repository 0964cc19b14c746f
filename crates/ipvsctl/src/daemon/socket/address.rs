// SPDX-License-Identifier: MIT OR Apache-2.0
//! Where the control socket is, and the guard that keeps one daemon per
//! network namespace.
//!
//! The socket is the abstract unix socket `@ipvsctl`. The kernel keeps
//! abstract names per network namespace: each namespace has its own
//! socket, with no file to share (containers that share `/run`) and none
//! left behind (the name goes with the daemon, `kill -9` included).
//! Binding it is the guard: a second daemon in the namespace finds the
//! name taken and says by whom (the holder's pid, from SO_PEERCRED, and
//! its namespace). `ipvsctl status|reload|drain|…` reach the daemon of the
//! namespace they run in.
//!
//! `$IPVSCTL_SOCKET` (a path, or `@name`) puts the socket elsewhere: for
//! tests that run several daemons in one namespace. A path socket is mode
//! 0666, since the peer's credentials decide ([`access`](super::access)),
//! as they do on the abstract one.

use std::fmt;
use std::io;
use std::os::fd::AsFd;
use std::os::linux::net::SocketAddrExt;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::{SocketAddr, UnixListener, UnixStream};
use std::path::PathBuf;

use anyhow::Context;

use super::access::Peer;
use crate::netns::Namespace;

/// The abstract name of the socket.
pub const NAME: &str = "ipvsctl";

/// A control socket's address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Address {
    /// An abstract socket: one per network namespace.
    Abstract(String),
    /// A socket file (tests).
    Path(PathBuf),
}

impl Address {
    /// This namespace's socket: `$IPVSCTL_SOCKET` when set, else
    /// `@ipvsctl`.
    pub fn here() -> Self {
        match std::env::var_os("IPVSCTL_SOCKET") {
            Some(given) if !given.is_empty() => Self::parse(&given.to_string_lossy()),
            _ => Self::Abstract(NAME.to_string()),
        }
    }

    /// `@name` (abstract) or a path.
    pub fn parse(text: &str) -> Self {
        match text.strip_prefix('@') {
            Some(name) => Self::Abstract(name.to_string()),
            None => Self::Path(PathBuf::from(text)),
        }
    }

    fn socket_address(&self) -> io::Result<SocketAddr> {
        match self {
            Self::Abstract(name) => SocketAddr::from_abstract_name(name.as_bytes()),
            Self::Path(path) => SocketAddr::from_pathname(path),
        }
    }

    /// Connects to the daemon that listens here.
    pub fn connect(&self) -> io::Result<UnixStream> {
        UnixStream::connect_addr(&self.socket_address()?)
    }

    /// Who listens here, if anyone: the daemon of this namespace.
    pub fn holder(&self) -> Option<Holder> {
        let stream = self.connect().ok()?;
        let pid = Peer::of(stream.as_fd())
            .ok()
            .map(|p| p.pid)
            .filter(|p| *p > 0);
        let namespace = pid
            .and_then(Namespace::of_process)
            .or_else(Namespace::current);
        Some(Holder { pid, namespace })
    }

    /// Listens here, unless a daemon already does (the guard). Must be
    /// called inside the tokio runtime.
    pub fn bind(&self) -> anyhow::Result<tokio::net::UnixListener> {
        let listener = match self {
            Self::Abstract(_) => match UnixListener::bind_addr(&self.socket_address()?) {
                Ok(listener) => listener,
                Err(e) if e.kind() == io::ErrorKind::AddrInUse => {
                    anyhow::bail!(
                        "another `ipvsctl run` is already running in this network \
                             namespace ({}); stop it first",
                        self.holder()
                            .map_or_else(|| "gone now".to_string(), |h| h.to_string())
                    )
                }
                Err(e) => {
                    return Err(anyhow::Error::new(e).context(format!("cannot listen on {self}")))
                }
            },
            Self::Path(path) => {
                if let Some(dir) = path.parent() {
                    std::fs::create_dir_all(dir)
                        .with_context(|| format!("cannot create {}", dir.display()))?;
                }
                // One that answers belongs to a running daemon; one that
                // does not is stale (kill -9).
                if let Some(holder) = self.holder() {
                    anyhow::bail!(
                        "another `ipvsctl run` is already running ({holder}; it answers on \
                         {self}); stop it first"
                    );
                }
                let _ = std::fs::remove_file(path);
                let listener =
                    UnixListener::bind(path).with_context(|| format!("cannot listen on {self}"))?;
                std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o666))?;
                listener
            }
        };
        listener.set_nonblocking(true)?;
        Ok(tokio::net::UnixListener::from_std(listener)?)
    }

    /// Takes a socket file away when the daemon ends (an abstract name
    /// goes by itself).
    pub fn remove(&self) {
        if let Self::Path(path) = self {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// `@ipvsctl`, or the path.
impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Abstract(name) => write!(f, "@{name}"),
            Self::Path(path) => write!(f, "{}", path.display()),
        }
    }
}

/// The daemon that listens on a control socket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holder {
    /// Its pid, when the kernel tells it.
    pub pid: Option<u32>,
    /// Its network namespace, when it can be read.
    pub namespace: Option<Namespace>,
}

/// `pid 1234, net:[4026532301] (ip netns d1)`.
impl fmt::Display for Holder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.pid {
            Some(pid) => write!(f, "pid {pid}")?,
            None => write!(f, "pid unknown")?,
        }
        if let Some(namespace) = &self.namespace {
            write!(f, ", {namespace}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_at_sign_names_an_abstract_socket() {
        assert_eq!(Address::parse("@x"), Address::Abstract("x".into()));
        assert_eq!(
            Address::parse("/run/t/ipvsctl.sock"),
            Address::Path("/run/t/ipvsctl.sock".into())
        );
        assert_eq!(Address::Abstract(NAME.into()).to_string(), "@ipvsctl");
    }

    #[test]
    fn a_holder_is_its_pid_and_namespace() {
        let holder = Holder {
            pid: Some(1234),
            namespace: Some(Namespace::known(4026532301, Some("d1"), Some(false))),
        };
        assert_eq!(
            holder.to_string(),
            "pid 1234, net:[4026532301] (ip netns d1)"
        );
        let unknown = Holder {
            pid: None,
            namespace: None,
        };
        assert_eq!(unknown.to_string(), "pid unknown");
    }
}
