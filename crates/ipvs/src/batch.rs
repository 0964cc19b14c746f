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

#[cfg(test)]
mod tests {
    use std::net::SocketAddr;

    use super::*;
    use crate::destination::Forward;
    use crate::net::AddressFamily;

    fn addr(text: &str) -> SocketAddr {
        text.parse().unwrap()
    }

    fn web() -> ServiceKey {
        ServiceKey::tcp(addr("10.0.0.1:80"))
    }

    fn add_service(scheduler: &str) -> Request {
        Operation::AddService(Service::new(web(), scheduler)).to_request()
    }

    fn add_destination() -> Request {
        Operation::AddDestination(
            web(),
            Destination::new(addr("10.0.0.2:80"), Forward::Route, 1),
        )
        .to_request()
    }

    fn delete_destination() -> Request {
        Operation::DeleteDestination(web(), addr("10.0.0.2:80")).to_request()
    }

    fn start_daemon() -> Request {
        start_daemon_request(&SyncDaemon::new(SyncState::Master, "eth9", 0))
    }

    fn stop_daemon() -> Request {
        stop_daemon_request(SyncState::Backup)
    }

    #[test]
    fn operation_display_texts() {
        let cases = [
            (
                Operation::AddService(Service::new(web(), "wlc")),
                "add service tcp 10.0.0.1:80 (scheduler wlc)",
            ),
            (
                Operation::EditService(Service::new(web(), "wlc").persistent(300)),
                "edit service tcp 10.0.0.1:80 (scheduler wlc, persistent 300)",
            ),
            (
                Operation::DeleteService(ServiceKey::fwmark(7)),
                "delete service fwmark 7",
            ),
            (
                Operation::DeleteService(ServiceKey::Fwmark {
                    family: AddressFamily::Inet6,
                    mark: 7,
                }),
                "delete service fwmark 7 ipv6",
            ),
            (
                Operation::AddDestination(
                    web(),
                    Destination::new(addr("10.0.0.2:80"), Forward::Route, 1),
                ),
                "add destination 10.0.0.2:80 (route, weight 1) to tcp 10.0.0.1:80",
            ),
            (
                Operation::EditDestination(
                    ServiceKey::udp(addr("[2001:db8::1]:53")),
                    Destination::new(addr("[2001:db8::2]:53"), Forward::Masq, 0),
                ),
                "edit destination [2001:db8::2]:53 (masq, weight 0) of udp [2001:db8::1]:53",
            ),
            (
                Operation::DeleteDestination(web(), addr("10.0.0.2:80")),
                "delete destination 10.0.0.2:80 of tcp 10.0.0.1:80",
            ),
        ];
        for (operation, text) in cases {
            assert_eq!(operation.to_string(), text);
            assert_eq!(operation.to_request().description, text);
        }
    }

    #[test]
    fn operations_use_the_matching_commands() {
        let destination = Destination::new(addr("10.0.0.2:80"), Forward::Route, 1);
        let cases = [
            (
                Operation::AddService(Service::new(web(), "wlc")),
                IpvsCommand::NewService,
            ),
            (
                Operation::EditService(Service::new(web(), "wlc")),
                IpvsCommand::SetService,
            ),
            (Operation::DeleteService(web()), IpvsCommand::DelService),
            (
                Operation::AddDestination(web(), destination),
                IpvsCommand::NewDest,
            ),
            (
                Operation::EditDestination(web(), destination),
                IpvsCommand::SetDest,
            ),
            (
                Operation::DeleteDestination(web(), destination.address),
                IpvsCommand::DelDest,
            ),
        ];
        for (operation, command) in cases {
            assert_eq!(
                operation.to_request().message.command,
                command,
                "{operation}"
            );
        }
        assert_eq!(start_daemon().message.command, IpvsCommand::NewDaemon);
        assert_eq!(stop_daemon().message.command, IpvsCommand::DelDaemon);
    }

    #[test]
    fn eperm_and_eacces_are_permission_denied() {
        for errno in [libc::EPERM, libc::EACCES] {
            let error = add_service("wlc").error(errno, None);
            assert!(matches!(error, Error::PermissionDenied), "{error:?}");
            assert_eq!(error.to_string(), "needs CAP_NET_ADMIN: run as root");
        }
    }

    #[test]
    fn eexist_is_already_exists() {
        let error = add_service("wlc").error(libc::EEXIST, None);
        assert!(matches!(error, Error::AlreadyExists { .. }), "{error:?}");
        assert_eq!(
            error.to_string(),
            "add service tcp 10.0.0.1:80 (scheduler wlc): already exists"
        );
    }

    #[test]
    fn esrch_is_no_such_service() {
        let error = Operation::DeleteService(ServiceKey::fwmark(7))
            .to_request()
            .error(libc::ESRCH, None);
        assert!(matches!(error, Error::NoSuchService { .. }), "{error:?}");
        assert_eq!(
            error.to_string(),
            "delete service fwmark 7: no such service"
        );
    }

    #[test]
    fn esrch_on_a_destination_request_is_no_such_service() {
        let error = add_destination().error(libc::ESRCH, None);
        assert!(matches!(error, Error::NoSuchService { .. }), "{error:?}");
        assert_eq!(
            error.to_string(),
            "add destination 10.0.0.2:80 (route, weight 1) to tcp 10.0.0.1:80: no such service"
        );
    }

    #[test]
    fn esrch_on_a_daemon_request_is_no_such_daemon() {
        let error = stop_daemon().error(libc::ESRCH, None);
        assert!(matches!(error, Error::NoSuchDaemon { .. }), "{error:?}");
        assert_eq!(
            error.to_string(),
            "stop backup sync daemon: no such sync daemon is running"
        );
    }

    #[test]
    fn enoent_on_a_destination_request_is_no_such_destination() {
        let error = delete_destination().error(libc::ENOENT, None);
        assert!(
            matches!(error, Error::NoSuchDestination { .. }),
            "{error:?}"
        );
        assert_eq!(
            error.to_string(),
            "delete destination 10.0.0.2:80 of tcp 10.0.0.1:80: no such destination"
        );
    }

    #[test]
    fn enoent_on_a_service_request_is_no_such_scheduler() {
        let error = add_service("wlcx").error(libc::ENOENT, None);
        let Error::NoSuchScheduler {
            module, modules, ..
        } = &error
        else {
            panic!("{error:?}");
        };
        assert_eq!(module, "scheduler 'wlcx'");
        assert_eq!(modules, "ip_vs_wlcx");
        assert_eq!(
            error.to_string(),
            "add service tcp 10.0.0.1:80 (scheduler wlcx): scheduler 'wlcx' not found: \
             no kernel module ip_vs_wlcx"
        );
    }

    #[test]
    fn enoent_with_a_persistence_engine_names_both_modules() {
        let mut service = Service::new(ServiceKey::udp(addr("10.0.0.1:5060")), "rr").persistent(60);
        service.persistence_engine = Some("sipx".into());
        let error = Operation::EditService(service)
            .to_request()
            .error(libc::ENOENT, None);
        let Error::NoSuchScheduler {
            module, modules, ..
        } = &error
        else {
            panic!("{error:?}");
        };
        assert_eq!(module, "scheduler 'rr' or persistence engine 'sipx'");
        assert_eq!(modules, "ip_vs_rr or ip_vs_pe_sipx");
        assert_eq!(
            error.to_string(),
            "edit service udp 10.0.0.1:5060 (scheduler rr, persistent 60): \
             scheduler 'rr' or persistence engine 'sipx' not found: \
             no kernel module ip_vs_rr or ip_vs_pe_sipx"
        );
    }

    #[test]
    fn enoent_on_another_request_is_a_kernel_error() {
        let error = Operation::DeleteService(web())
            .to_request()
            .error(libc::ENOENT, None);
        assert!(
            matches!(
                error,
                Error::Kernel {
                    errno: libc::ENOENT,
                    ..
                }
            ),
            "{error:?}"
        );
    }

    #[test]
    fn enodev_is_no_such_interface_naming_it() {
        let error = start_daemon().error(libc::ENODEV, None);
        let Error::NoSuchInterface { interface, .. } = &error else {
            panic!("{error:?}");
        };
        assert_eq!(interface, "eth9");
        assert_eq!(
            error.to_string(),
            "start master sync daemon (mcast=eth9, syncid=0): no such interface eth9"
        );
    }

    #[test]
    fn enodev_without_an_interface_is_a_kernel_error() {
        let error = stop_daemon().error(libc::ENODEV, None);
        assert!(
            matches!(
                error,
                Error::Kernel {
                    errno: libc::ENODEV,
                    ..
                }
            ),
            "{error:?}"
        );
    }

    #[test]
    fn einval_is_invalid_with_the_extended_ack_detail() {
        let error = add_destination().error(libc::EINVAL, Some("Unsupported attribute".into()));
        assert!(matches!(error, Error::Invalid { .. }), "{error:?}");
        assert_eq!(
            error.to_string(),
            "add destination 10.0.0.2:80 (route, weight 1) to tcp 10.0.0.1:80: \
             the kernel refused it as invalid (Unsupported attribute)"
        );
    }

    #[test]
    fn einval_without_detail_has_no_parentheses() {
        let error = add_service("wlc").error(libc::EINVAL, None);
        assert_eq!(
            error.to_string(),
            "add service tcp 10.0.0.1:80 (scheduler wlc): the kernel refused it as invalid"
        );
    }

    #[test]
    fn erange_is_out_of_range() {
        let error = add_destination().error(libc::ERANGE, None);
        assert!(matches!(error, Error::OutOfRange { .. }), "{error:?}");
        assert_eq!(
            error.to_string(),
            "add destination 10.0.0.2:80 (route, weight 1) to tcp 10.0.0.1:80: \
             a value is out of range (weight at most 2147483647, lower threshold at most the upper)"
        );
    }

    #[test]
    fn other_errno_is_a_kernel_error_with_detail() {
        let error = add_service("wlc").error(libc::EBUSY, Some("busy".into()));
        let Error::Kernel { errno, detail, .. } = &error else {
            panic!("{error:?}");
        };
        assert_eq!(*errno, libc::EBUSY);
        assert_eq!(detail.as_deref(), Some("busy"));
        let text = error.to_string();
        assert!(
            text.starts_with("add service tcp 10.0.0.1:80 (scheduler wlc): "),
            "{text}"
        );
        assert!(text.ends_with("(os error 16) (busy)"), "{text}");
    }

    #[test]
    fn errors_give_back_their_errno() {
        let cases = [
            (add_service("wlc"), libc::EPERM),
            (add_service("wlc"), libc::EEXIST),
            (add_service("wlc"), libc::ESRCH),
            (add_service("wlcx"), libc::ENOENT),
            (delete_destination(), libc::ENOENT),
            (stop_daemon(), libc::ESRCH),
            (start_daemon(), libc::ENODEV),
            (add_destination(), libc::EINVAL),
            (add_destination(), libc::ERANGE),
            (add_destination(), libc::EBUSY),
        ];
        for (request, errno) in cases {
            assert_eq!(request.error(errno, None).errno(), Some(errno), "{errno}");
        }
    }
}
