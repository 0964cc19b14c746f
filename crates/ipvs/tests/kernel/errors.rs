// SPDX-License-Identifier: MIT OR Apache-2.0
//! Every error the kernel gives, provoked, and the words it becomes.

use ipvs::{
    Destination, Error, ErrorKind, Forward, Netmask, Service, ServiceKey, SyncDaemon, SyncState,
};

use crate::lab::{addr, assert_saved, dummy_interface, ipvsadm, namespace};

fn key() -> ServiceKey {
    ServiceKey::tcp(addr("10.0.0.1:80"))
}

#[test]
#[ignore = "needs an IPVS kernel: scripts/lab"]
fn adding_twice_is_already_exists() {
    let mut ipvs = namespace();
    let service = Service::new(key(), "wlc");
    ipvs.add_service(&service).unwrap();
    let error = ipvs.add_service(&service).unwrap_err();
    assert!(
        matches!(error.kind(), Some(ErrorKind::AlreadyExists)),
        "{error:?}"
    );
    assert_eq!(
        error.to_string(),
        "add service tcp 10.0.0.1:80 (scheduler wlc): already exists"
    );
    let dest = Destination::new(addr("10.0.0.2:80"), Forward::Route, 1);
    ipvs.add_destination(&key(), &dest).unwrap();
    let error = ipvs.add_destination(&key(), &dest).unwrap_err();
    assert_eq!(
        error.to_string(),
        "add destination 10.0.0.2:80 (route, weight 1) to tcp 10.0.0.1:80: already exists"
    );
}

#[test]
#[ignore = "needs an IPVS kernel: scripts/lab"]
fn missing_service_is_no_such_service() {
    let mut ipvs = namespace();
    let error = ipvs.delete_service(&key()).unwrap_err();
    assert!(
        matches!(error.kind(), Some(ErrorKind::NoSuchService)),
        "{error:?}"
    );
    assert_eq!(
        error.to_string(),
        "delete service tcp 10.0.0.1:80: no such service"
    );
    let error = ipvs
        .add_destination(
            &key(),
            &Destination::new(addr("10.0.0.2:80"), Forward::Route, 1),
        )
        .unwrap_err();
    assert!(
        matches!(error.kind(), Some(ErrorKind::NoSuchService)),
        "{error:?}"
    );
    let error = ipvs.service(&key()).unwrap_err();
    assert_eq!(
        error.to_string(),
        "get service tcp 10.0.0.1:80: no such service"
    );
    // Kernel quirk: dumping the destinations of a missing service is empty.
    assert!(ipvs.destinations(&key()).unwrap().is_empty());
}

#[test]
#[ignore = "needs an IPVS kernel: scripts/lab"]
fn missing_destination_is_no_such_destination() {
    let mut ipvs = namespace();
    ipvsadm("-A -t 10.0.0.1:80 -s wlc");
    let error = ipvs
        .delete_destination(&key(), &addr("10.0.0.99:80"))
        .unwrap_err();
    assert!(
        matches!(error.kind(), Some(ErrorKind::NoSuchDestination)),
        "{error:?}"
    );
    assert_eq!(
        error.to_string(),
        "delete destination 10.0.0.99:80 of tcp 10.0.0.1:80: no such destination"
    );
    let error = ipvs
        .edit_destination(
            &key(),
            &Destination::new(addr("10.0.0.99:80"), Forward::Route, 2),
        )
        .unwrap_err();
    assert!(
        matches!(error.kind(), Some(ErrorKind::NoSuchDestination)),
        "{error:?}"
    );
}

#[test]
#[ignore = "needs an IPVS kernel: scripts/lab"]
fn unknown_scheduler_names_the_missing_module() {
    let mut ipvs = namespace();
    let error = ipvs
        .add_service(&Service::new(key(), "nosuch"))
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "add service tcp 10.0.0.1:80 (scheduler nosuch): scheduler 'nosuch' not found: \
         no kernel module ip_vs_nosuch"
    );
    ipvs.add_service(&Service::new(key(), "wlc")).unwrap();
    let error = ipvs
        .edit_service(&Service::new(key(), "nosuch"))
        .unwrap_err();
    assert!(
        matches!(error.kind(), Some(ErrorKind::NoSuchScheduler { .. })),
        "{error:?}"
    );
    assert_saved(&["-A -t 10.0.0.1:80 -s wlc"]);
}

#[test]
#[ignore = "needs an IPVS kernel: scripts/lab"]
fn unknown_interface_is_named() {
    let mut ipvs = namespace();
    let error = ipvs
        .start_sync_daemon(&SyncDaemon::new(SyncState::Master, "eth9", 1))
        .unwrap_err();
    assert!(
        matches!(error.kind(), Some(ErrorKind::NoSuchInterface { .. })),
        "{error:?}"
    );
    assert_eq!(
        error.to_string(),
        "start master sync daemon (mcast=eth9, syncid=1): no such interface eth9"
    );
}

#[test]
#[ignore = "needs an IPVS kernel: scripts/lab"]
fn daemon_errors() {
    let mut ipvs = namespace();
    dummy_interface("sync0");
    let error = ipvs.stop_sync_daemon(SyncState::Backup).unwrap_err();
    assert!(
        matches!(error.kind(), Some(ErrorKind::NoSuchDaemon)),
        "{error:?}"
    );
    assert_eq!(
        error.to_string(),
        "stop backup sync daemon: no such sync daemon is running"
    );
    let master = SyncDaemon::new(SyncState::Master, "sync0", 1);
    ipvs.start_sync_daemon(&master).unwrap();
    let error = ipvs.start_sync_daemon(&master).unwrap_err();
    assert!(
        matches!(error.kind(), Some(ErrorKind::AlreadyExists)),
        "{error:?}"
    );
}

#[test]
#[ignore = "needs an IPVS kernel: scripts/lab"]
fn invalid_requests_name_what_was_sent() {
    let mut ipvs = namespace();
    ipvsadm("-A -t 10.0.0.1:80 -s wlc");
    // Mixed family without tunnel forwarding.
    let error = ipvs
        .add_destination(
            &key(),
            &Destination::new(addr("[2001:db8::2]:80"), Forward::Route, 1),
        )
        .unwrap_err();
    assert!(
        matches!(error.kind(), Some(ErrorKind::Invalid { .. })),
        "{error:?}"
    );
    assert!(
        error.to_string().starts_with(
            "add destination [2001:db8::2]:80 (route, weight 1) to tcp 10.0.0.1:80: \
             the kernel refused it as invalid"
        ),
        "{error}"
    );
    // A weight the kernel's int cannot hold, and thresholds upside down.
    let error = ipvs
        .add_destination(
            &key(),
            &Destination::new(addr("10.0.0.2:80"), Forward::Route, 1 << 31),
        )
        .unwrap_err();
    assert!(
        matches!(error.kind(), Some(ErrorKind::OutOfRange)),
        "{error:?}"
    );
    let mut upside_down = Destination::new(addr("10.0.0.2:80"), Forward::Route, 1);
    upside_down.upper_threshold = 10;
    upside_down.lower_threshold = 20;
    let error = ipvs.add_destination(&key(), &upside_down).unwrap_err();
    assert!(
        matches!(error.kind(), Some(ErrorKind::OutOfRange)),
        "{error:?}"
    );
    // An IPv6 prefix of 0.
    let mut v6 = Service::new(ServiceKey::tcp(addr("[2001:db8::1]:80")), "rr").persistent(60);
    v6.netmask = Netmask::V6(0);
    let error = ipvs.add_service(&v6).unwrap_err();
    assert!(
        matches!(error.kind(), Some(ErrorKind::Invalid { .. })),
        "{error:?}"
    );
    // Sync and mixed-family destinations do not go together.
    ipvsadm("-a -t 10.0.0.1:80 -r [2001:db8::2]:80 -i -w 1");
    dummy_interface("sync0");
    let error = ipvs
        .start_sync_daemon(&SyncDaemon::new(SyncState::Master, "sync0", 1))
        .unwrap_err();
    assert!(
        matches!(error.kind(), Some(ErrorKind::Invalid { .. })),
        "{error:?}"
    );
    assert_saved(&[
        "-A -t 10.0.0.1:80 -s wlc",
        "-a -t 10.0.0.1:80 -r [2001:db8::2]:80 -i -w 1 --tun-type ipip",
    ]);
}

#[test]
#[ignore = "needs an IPVS kernel: scripts/lab"]
fn without_cap_net_admin_is_permission_denied() {
    // Drop root in one thread only (raw syscall: glibc's setuid would
    // change every thread), in a namespace of its own.
    let outcome = std::thread::spawn(|| {
        let mut ipvs = namespace();
        // SAFETY: plain syscall; changes this thread's credentials only.
        let rc = unsafe { libc::syscall(libc::SYS_setresuid, 65534, 65534, 65534) };
        assert_eq!(rc, 0, "setresuid: {}", std::io::Error::last_os_error());
        let read = ipvs.services().map(|_| ());
        let write = ipvs.add_service(&Service::new(key(), "wlc"));
        let fresh = ipvs::Ipvs::connect().and_then(|mut i| i.info().map(|_| ()));
        (read, write, fresh)
    })
    .join()
    .unwrap();
    for result in [outcome.0, outcome.1, outcome.2] {
        let error = result.unwrap_err();
        assert!(matches!(error, Error::PermissionDenied), "{error:?}");
        assert_eq!(error.to_string(), "needs CAP_NET_ADMIN: run as root");
    }
}
