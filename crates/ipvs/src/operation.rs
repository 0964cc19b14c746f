// SPDX-License-Identifier: MIT OR Apache-2.0
//! What is sent: the write operations on the table ([`Operation`]), and
//! every request as it goes out (`Request`: the message, the words that
//! name it, and what explains its refusal).

use std::fmt;
use std::net::SocketAddr;

use crate::daemon::{DaemonAttribute, SyncDaemon, SyncState};
use crate::destination::Destination;
use crate::error::{Error, Subject};
use crate::message::{IpvsAttribute, IpvsCommand, IpvsMessage};
use crate::net::socket_text;
use crate::service::{Service, ServiceKey};
use crate::settings::Timeouts;

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

    /// A request about nothing in particular (a read, a setting).
    pub(crate) fn other(
        command: IpvsCommand,
        attributes: Vec<IpvsAttribute>,
        description: String,
    ) -> Self {
        Self::new(
            IpvsMessage::new(command, attributes),
            description,
            Subject::Other,
        )
    }

    /// Starts a sync daemon.
    pub(crate) fn start_daemon(daemon: &SyncDaemon) -> Self {
        Self::new(
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

    /// Stops the sync daemon in a state.
    pub(crate) fn stop_daemon(state: SyncState) -> Self {
        Self::new(
            IpvsMessage::new(
                IpvsCommand::DelDaemon,
                vec![IpvsAttribute::Daemon(vec![DaemonAttribute::State(
                    state.to_raw(),
                )])],
            ),
            format!("stop {state} sync daemon"),
            Subject::Daemon { interface: None },
        )
    }

    /// Sets the connection timeouts.
    pub(crate) fn set_timeouts(timeouts: Timeouts) -> Self {
        let description = format!(
            "set timeouts tcp {} tcpfin {} udp {}",
            timeouts.tcp, timeouts.tcp_fin, timeouts.udp
        );
        Self::other(
            IpvsCommand::SetConfig,
            timeouts.to_attributes(),
            description,
        )
    }

    /// Zeroes the counters of one service, or of all.
    pub(crate) fn zero(key: Option<&ServiceKey>) -> Self {
        let (attributes, description) = match key {
            Some(key) => (
                vec![service_attribute(key)],
                format!("zero counters of {key}"),
            ),
            None => (vec![], "zero all counters".to_string()),
        };
        Self::other(IpvsCommand::Zero, attributes, description)
    }

    /// Deletes every service.
    pub(crate) fn flush() -> Self {
        Self::other(IpvsCommand::Flush, vec![], "flush the table".into())
    }

    /// Translates the kernel's refusal (a positive errno and the extended
    /// ACK's text) into an [`Error`] that names this request.
    pub(crate) fn error(&self, errno: i32, detail: Option<String>) -> Error {
        Error::refused(errno, self.description.clone(), &self.subject, detail)
    }
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
        Request::start_daemon(&SyncDaemon::new(SyncState::Master, "eth9", 0))
    }

    fn stop_daemon() -> Request {
        Request::stop_daemon(SyncState::Backup)
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
    fn requests_say_what_their_refusal_is_about() {
        let mut sip = Service::new(ServiceKey::udp(addr("10.0.0.1:5060")), "rr").persistent(60);
        sip.persistence_engine = Some("sipx".into());
        let cases = [
            (
                add_service("wlc"),
                Subject::Service {
                    scheduler: "wlc".into(),
                    persistence_engine: None,
                },
            ),
            (
                Operation::EditService(sip).to_request(),
                Subject::Service {
                    scheduler: "rr".into(),
                    persistence_engine: Some("sipx".into()),
                },
            ),
            (Operation::DeleteService(web()).to_request(), Subject::Other),
            (add_destination(), Subject::Destination),
            (delete_destination(), Subject::Destination),
            (
                start_daemon(),
                Subject::Daemon {
                    interface: Some("eth9".into()),
                },
            ),
            (stop_daemon(), Subject::Daemon { interface: None }),
            (Request::flush(), Subject::Other),
        ];
        for (request, subject) in cases {
            assert_eq!(request.subject, subject, "{}", request.description);
        }
    }

    #[test]
    fn a_refusal_names_the_request() {
        let error = add_destination().error(libc::ESRCH, None);
        assert_eq!(
            error.to_string(),
            "add destination 10.0.0.2:80 (route, weight 1) to tcp 10.0.0.1:80: no such service"
        );
        assert_eq!(
            start_daemon().error(libc::ENODEV, None).to_string(),
            "start master sync daemon (mcast=eth9, syncid=0): no such interface eth9"
        );
    }

    #[test]
    fn settings_requests_name_themselves() {
        let timeouts = Timeouts {
            tcp: 900,
            tcp_fin: 120,
            udp: 300,
        };
        let cases = [
            (
                Request::set_timeouts(timeouts),
                IpvsCommand::SetConfig,
                "set timeouts tcp 900 tcpfin 120 udp 300",
            ),
            (
                Request::zero(Some(&web())),
                IpvsCommand::Zero,
                "zero counters of tcp 10.0.0.1:80",
            ),
            (Request::zero(None), IpvsCommand::Zero, "zero all counters"),
            (Request::flush(), IpvsCommand::Flush, "flush the table"),
        ];
        for (request, command, description) in cases {
            assert_eq!(request.message.command, command, "{description}");
            assert_eq!(request.description, description);
        }
    }

    /// The bytes of what operations send, beside the message's own tests.
    #[cfg(target_endian = "little")]
    mod bytes {
        use super::*;
        use crate::message::tests::{emit, parse, NEW_DEST_ATTRIBUTES};

        #[test]
        fn new_dest_nests_service_and_destination() {
            let message = add_destination().message;
            assert_eq!(message.command, IpvsCommand::NewDest);
            assert_eq!(emit(&message), NEW_DEST_ATTRIBUTES);
        }

        #[test]
        fn daemon_nest_has_nested_flag() {
            let message = stop_daemon().message;
            #[rustfmt::skip]
            let raw = [
                // len 12, type 0x8003 (CMD_ATTR_DAEMON | NLA_F_NESTED)
                0x0c, 0x00, 0x03, 0x80,
                //   len 8, type 1 (DAEMON_ATTR_STATE), 2 = backup
                0x08, 0x00, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00,
            ];
            assert_eq!(message.command, IpvsCommand::DelDaemon);
            assert_eq!(emit(&message), raw);
            assert_eq!(parse(IpvsCommand::DelDaemon.into(), &raw).unwrap(), message);
        }
    }
}
