// SPDX-License-Identifier: MIT OR Apache-2.0
//! Write operations, and what a request needs to be sent and explained.
//!
//! [`crate::Ipvs::execute`] sends a list of operations in as few `sendmsg`
//! calls as the socket buffers allow (what `ipvsadm -R` does with one round
//! trip per rule).

use std::fmt;
use std::net::SocketAddr;

use crate::daemon::{SyncDaemon, SyncState};
use crate::destination::Destination;
use crate::error::Error;
use crate::message::{IpvsAttribute, IpvsCommand, IpvsMessage};
use crate::net::socket_text;
use crate::service::{Service, ServiceKey};

/// One change to the IPVS table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Operation {
    /// `ipvsadm -A`.
    AddService(Service),
    /// `ipvsadm -E`: scheduler, flags, timeout, netmask, persistence engine.
    EditService(Service),
    /// `ipvsadm -D`.
    DeleteService(ServiceKey),
    /// `ipvsadm -a`.
    AddDestination(ServiceKey, Destination),
    /// `ipvsadm -e`: forwarding, weight, thresholds, tunnel.
    EditDestination(ServiceKey, Destination),
    /// `ipvsadm -d`.
    DeleteDestination(ServiceKey, SocketAddr),
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::AddService(s) => write!(f, "add service {s}"),
            Self::EditService(s) => write!(f, "edit service {s}"),
            Self::DeleteService(k) => write!(f, "delete service {k}"),
            Self::AddDestination(k, d) => write!(f, "add destination {d} to {k}"),
            Self::EditDestination(k, d) => write!(f, "edit destination {d} of {k}"),
            Self::DeleteDestination(k, a) => {
                write!(
                    f,
                    "delete destination {} of {k}",
                    socket_text(&a.ip(), a.port())
                )
            }
        }
    }
}

/// An operation the kernel refused, by its position in the list given.
#[derive(Debug)]
pub struct OperationFailure {
    /// Index into the operations passed to [`crate::Ipvs::execute`].
    pub index: usize,
    /// Why; the error names the operation.
    pub error: Error,
}

/// What an errno means depends on what was asked: ENOENT on a service is a
/// missing scheduler, on a destination a missing destination.
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

/// A message ready to send, with what is needed to explain its failure.
#[derive(Debug, Clone)]
pub(crate) struct Request {
    pub(crate) message: IpvsMessage,
    pub(crate) description: String,
    pub(crate) subject: Subject,
}

impl Request {
    pub(crate) fn new(message: IpvsMessage, description: String, subject: Subject) -> Self {
        Self {
            message,
            description,
            subject,
        }
    }

    /// Translates a kernel errno (positive) into an [`Error`].
    pub(crate) fn error(&self, errno: i32, detail: Option<String>) -> Error {
        let request = self.description.clone();
        match (errno, &self.subject) {
            (libc::EPERM | libc::EACCES, _) => Error::PermissionDenied,
            (libc::EEXIST, _) => Error::AlreadyExists { request },
            (libc::ESRCH, Subject::Daemon { .. }) => Error::NoSuchDaemon { request },
            (libc::ESRCH, _) => Error::NoSuchService { request },
            (libc::ENOENT, Subject::Destination) => Error::NoSuchDestination { request },
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
                Error::NoSuchScheduler {
                    request,
                    module,
                    modules,
                }
            }
            (
                libc::ENODEV,
                Subject::Daemon {
                    interface: Some(interface),
                },
            ) => Error::NoSuchInterface {
                request,
                interface: interface.clone(),
            },
            (libc::EINVAL, _) => Error::Invalid { request, detail },
            (libc::ERANGE, _) => Error::OutOfRange { request },
            _ => Error::Kernel {
                request,
                errno,
                detail,
            },
        }
    }
}

fn service_attribute(key: &ServiceKey) -> IpvsAttribute {
    IpvsAttribute::Service(key.to_attributes())
}

impl Operation {
    /// The message for this operation, with what explains its failure.
    pub(crate) fn to_request(&self) -> Request {
        let description = self.to_string();
        let (command, attributes, subject) = match self {
            Self::AddService(s) | Self::EditService(s) => (
                if matches!(self, Self::AddService(_)) {
                    IpvsCommand::NewService
                } else {
                    IpvsCommand::SetService
                },
                vec![IpvsAttribute::Service(s.to_attributes())],
                Subject::Service {
                    scheduler: s.scheduler.clone(),
                    persistence_engine: s.persistence_engine.clone(),
                },
            ),
            Self::DeleteService(k) => (
                IpvsCommand::DelService,
                vec![service_attribute(k)],
                Subject::Other,
            ),
            Self::AddDestination(k, d) | Self::EditDestination(k, d) => (
                if matches!(self, Self::AddDestination(..)) {
                    IpvsCommand::NewDest
                } else {
                    IpvsCommand::SetDest
                },
                vec![
                    service_attribute(k),
                    IpvsAttribute::Destination(d.to_attributes()),
                ],
                Subject::Destination,
            ),
            Self::DeleteDestination(k, a) => (
                IpvsCommand::DelDest,
                vec![
                    service_attribute(k),
                    IpvsAttribute::Destination(Destination::key_attributes(a)),
                ],
                Subject::Destination,
            ),
        };
        Request::new(IpvsMessage::new(command, attributes), description, subject)
    }
}

/// Requests that start and stop sync daemons.
pub(crate) fn start_daemon_request(daemon: &SyncDaemon) -> Request {
    Request::new(
        IpvsMessage::new(
            IpvsCommand::NewDaemon,
            vec![IpvsAttribute::Daemon(daemon.to_attributes())],
        ),
        format!("start {daemon}"),
        Subject::Daemon {
            interface: Some(daemon.interface.clone()),
        },
    )
}

pub(crate) fn stop_daemon_request(state: SyncState) -> Request {
    Request::new(
        IpvsMessage::new(
            IpvsCommand::DelDaemon,
            vec![IpvsAttribute::Daemon(vec![
                crate::daemon::DaemonAttribute::State(state.to_raw()),
            ])],
        ),
        format!("stop {state} sync daemon"),
        Subject::Daemon { interface: None },
    )
}
