// SPDX-License-Identifier: MIT OR Apache-2.0
//! Each errno, on each kind of request, and the words it becomes.

use super::*;

/// A request as the kernel saw it: its name and what it was about.
struct Sent {
    request: String,
    subject: Subject,
}

impl Sent {
    fn error(&self, errno: i32, detail: Option<String>) -> Error {
        Error::refused(errno, self.request.clone(), &self.subject, detail)
    }
}

fn sent(request: &str, subject: Subject) -> Sent {
    Sent {
        request: request.to_string(),
        subject,
    }
}

fn service_write(request: &str, scheduler: &str, persistence_engine: Option<&str>) -> Sent {
    sent(
        request,
        Subject::Service {
            scheduler: scheduler.to_string(),
            persistence_engine: persistence_engine.map(str::to_string),
        },
    )
}

fn add_service(scheduler: &str) -> Sent {
    service_write(
        &format!("add service tcp 10.0.0.1:80 (scheduler {scheduler})"),
        scheduler,
        None,
    )
}

fn add_destination() -> Sent {
    sent(
        "add destination 10.0.0.2:80 (route, weight 1) to tcp 10.0.0.1:80",
        Subject::Destination,
    )
}

fn delete_destination() -> Sent {
    sent(
        "delete destination 10.0.0.2:80 of tcp 10.0.0.1:80",
        Subject::Destination,
    )
}

fn delete_service(key: &str) -> Sent {
    sent(&format!("delete service {key}"), Subject::Other)
}

fn start_daemon() -> Sent {
    sent(
        "start master sync daemon (mcast=eth9, syncid=0)",
        Subject::Daemon {
            interface: Some("eth9".into()),
        },
    )
}

fn stop_daemon() -> Sent {
    sent(
        "stop backup sync daemon",
        Subject::Daemon { interface: None },
    )
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
    assert_eq!(error.kind(), Some(&ErrorKind::AlreadyExists), "{error:?}");
    assert_eq!(
        error.to_string(),
        "add service tcp 10.0.0.1:80 (scheduler wlc): already exists"
    );
}

#[test]
fn esrch_is_no_such_service() {
    let error = delete_service("fwmark 7").error(libc::ESRCH, None);
    assert_eq!(error.kind(), Some(&ErrorKind::NoSuchService), "{error:?}");
    assert_eq!(
        error.to_string(),
        "delete service fwmark 7: no such service"
    );
}

#[test]
fn esrch_on_a_destination_request_is_no_such_service() {
    let error = add_destination().error(libc::ESRCH, None);
    assert_eq!(error.kind(), Some(&ErrorKind::NoSuchService), "{error:?}");
    assert_eq!(
        error.to_string(),
        "add destination 10.0.0.2:80 (route, weight 1) to tcp 10.0.0.1:80: no such service"
    );
}

#[test]
fn esrch_on_a_daemon_request_is_no_such_daemon() {
    let error = stop_daemon().error(libc::ESRCH, None);
    assert_eq!(error.kind(), Some(&ErrorKind::NoSuchDaemon), "{error:?}");
    assert_eq!(
        error.to_string(),
        "stop backup sync daemon: no such sync daemon is running"
    );
}

#[test]
fn enoent_on_a_destination_request_is_no_such_destination() {
    let error = delete_destination().error(libc::ENOENT, None);
    assert_eq!(
        error.kind(),
        Some(&ErrorKind::NoSuchDestination),
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
    let Some(ErrorKind::NoSuchScheduler { module, modules }) = error.kind() else {
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
    let error = service_write(
        "edit service udp 10.0.0.1:5060 (scheduler rr, persistent 60)",
        "rr",
        Some("sipx"),
    )
    .error(libc::ENOENT, None);
    let Some(ErrorKind::NoSuchScheduler { module, modules }) = error.kind() else {
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
    let error = delete_service("tcp 10.0.0.1:80").error(libc::ENOENT, None);
    assert!(
        matches!(
            error.kind(),
            Some(ErrorKind::Kernel {
                errno: libc::ENOENT,
                ..
            })
        ),
        "{error:?}"
    );
}

#[test]
fn enodev_is_no_such_interface_naming_it() {
    let error = start_daemon().error(libc::ENODEV, None);
    let Some(ErrorKind::NoSuchInterface { interface }) = error.kind() else {
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
            error.kind(),
            Some(ErrorKind::Kernel {
                errno: libc::ENODEV,
                ..
            })
        ),
        "{error:?}"
    );
}

#[test]
fn einval_is_invalid_with_the_extended_ack_detail() {
    let error = add_destination().error(libc::EINVAL, Some("Unsupported attribute".into()));
    assert!(
        matches!(error.kind(), Some(ErrorKind::Invalid { .. })),
        "{error:?}"
    );
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
    assert_eq!(error.kind(), Some(&ErrorKind::OutOfRange), "{error:?}");
    assert_eq!(
        error.to_string(),
        "add destination 10.0.0.2:80 (route, weight 1) to tcp 10.0.0.1:80: \
         a value is out of range (weight at most 2147483647, lower threshold at most the upper)"
    );
}

#[test]
fn other_errno_is_a_kernel_error_with_detail() {
    let error = add_service("wlc").error(libc::EBUSY, Some("busy".into()));
    let Some(ErrorKind::Kernel { errno, detail }) = error.kind() else {
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
    for (sent, errno) in cases {
        assert_eq!(sent.error(errno, None).errno(), Some(errno), "{errno}");
    }
}

#[test]
fn family_lookup_errors() {
    assert!(matches!(Error::family_lookup(libc::ENOENT), Error::NoIpvs));
    assert!(matches!(
        Error::family_lookup(libc::EPERM),
        Error::PermissionDenied
    ));
    let error = Error::family_lookup(libc::EBUSY);
    let Error::Socket(io) = &error else {
        panic!("{error:?}");
    };
    assert_eq!(io.raw_os_error(), Some(libc::EBUSY));
}
