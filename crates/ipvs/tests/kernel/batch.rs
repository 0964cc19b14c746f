// SPDX-License-Identifier: MIT OR Apache-2.0
//! Batches of writes, and dumps larger than any one datagram.

use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use ipvs::{Destination, ErrorKind, Forward, Operation, Service, ServiceKey};

use crate::lab::{addr, ipvsadm, namespace, saved};

fn real(n: u32) -> SocketAddr {
    let ip = Ipv4Addr::from(u32::from(Ipv4Addr::new(10, 100, 0, 0)) + n);
    SocketAddr::new(IpAddr::V4(ip), 80)
}

#[test]
#[ignore = "needs an IPVS kernel: scripts/lab"]
fn ten_thousand_destinations_go_in_one_batch_and_come_back_whole() {
    let mut ipvs = namespace();
    let key = ServiceKey::tcp(addr("10.0.0.1:80"));
    let mut operations = vec![Operation::AddService(Service::new(key, "wlc"))];
    operations.extend(
        (0..10_000).map(|n| {
            Operation::AddDestination(key, Destination::new(real(n), Forward::Route, n % 7))
        }),
    );
    let before = ipvs.counters();
    let failures = ipvs.execute(&operations).unwrap();
    assert!(failures.is_empty(), "{failures:?}");
    let after = ipvs.counters();
    assert_eq!(after.writes - before.writes, 10_001);
    eprintln!("10,001 writes: {:?}", after);
    // Far fewer sendmsg calls than requests.
    assert!(after.send_calls - before.send_calls < 200, "{after:?}");

    // Our dump is whole and agrees with ipvsadm's.
    let dumped = ipvs.destinations(&key).unwrap();
    assert_eq!(dumped.len(), 10_000);
    let ours: BTreeSet<String> = dumped
        .iter()
        .map(|d| {
            format!(
                "-a -t 10.0.0.1:80 -r {} -g -w {}",
                d.destination.address, d.destination.weight
            )
        })
        .collect();
    let theirs: BTreeSet<String> = saved()
        .into_iter()
        .filter(|l| l.starts_with("-a"))
        .collect();
    assert_eq!(theirs.len(), 10_000);
    assert_eq!(ours, theirs);
}

#[test]
#[ignore = "needs an IPVS kernel: scripts/lab"]
fn ipvsadm_restore_of_ten_thousand_is_dumped_whole() {
    let mut ipvs = namespace();
    let mut rules = String::from("-A -t 10.0.0.1:80 -s rr\n");
    for n in 0..10_500 {
        rules.push_str(&format!("-a -t 10.0.0.1:80 -r {} -m -w 1\n", real(n)));
    }
    let path = std::env::temp_dir().join(format!("rules-{}", std::process::id()));
    std::fs::write(&path, rules).unwrap();
    crate::lab::sh(&format!("ipvsadm -R < {}", path.display()));
    let dumped = ipvs
        .destinations(&ServiceKey::tcp(addr("10.0.0.1:80")))
        .unwrap();
    assert_eq!(dumped.len(), 10_500);
    let addresses: BTreeSet<SocketAddr> = dumped.iter().map(|d| d.destination.address).collect();
    assert_eq!(addresses, (0..10_500).map(real).collect());
    assert!(dumped
        .iter()
        .all(|d| d.destination.forward == Forward::Masq));
    let _ = std::fs::remove_file(path);
}

#[test]
#[ignore = "needs an IPVS kernel: scripts/lab"]
fn a_refused_operation_is_reported_by_index_and_the_rest_still_runs() {
    let mut ipvs = namespace();
    ipvsadm("-A -t 10.0.0.1:80 -s wlc");
    let key = ServiceKey::tcp(addr("10.0.0.1:80"));
    let operations = vec![
        Operation::AddDestination(key, Destination::new(real(1), Forward::Route, 1)),
        Operation::AddService(Service::new(key, "wlc")), // exists
        Operation::AddDestination(key, Destination::new(real(2), Forward::Route, 1)),
        Operation::DeleteService(ServiceKey::tcp(addr("10.0.0.9:80"))), // missing
        Operation::AddDestination(key, Destination::new(real(3), Forward::Route, 1)),
    ];
    let failures = ipvs.execute(&operations).unwrap();
    let indexes: Vec<usize> = failures.iter().map(|f| f.index).collect();
    assert_eq!(indexes, [1, 3]);
    assert!(matches!(
        failures[0].error.kind(),
        Some(ErrorKind::AlreadyExists)
    ));
    assert!(matches!(
        failures[1].error.kind(),
        Some(ErrorKind::NoSuchService)
    ));
    assert_eq!(
        saved(),
        [
            "-A -t 10.0.0.1:80 -s wlc",
            "-a -t 10.0.0.1:80 -r 10.100.0.1:80 -g -w 1",
            "-a -t 10.0.0.1:80 -r 10.100.0.2:80 -g -w 1",
            "-a -t 10.0.0.1:80 -r 10.100.0.3:80 -g -w 1",
        ]
    );
}

#[test]
#[ignore = "needs an IPVS kernel: scripts/lab"]
fn thousands_of_failures_do_not_lose_replies() {
    let mut ipvs = namespace();
    let key = ServiceKey::tcp(addr("10.0.0.1:80"));
    // Every one refused: no such service.
    let operations: Vec<Operation> = (0..5_000)
        .map(|n| Operation::AddDestination(key, Destination::new(real(n), Forward::Route, 1)))
        .collect();
    let failures = ipvs.execute(&operations).unwrap();
    assert_eq!(failures.len(), 5_000);
    assert!(failures.iter().enumerate().all(|(i, f)| f.index == i));
}

#[test]
#[ignore = "needs an IPVS kernel: scripts/lab"]
fn two_thousand_services_with_five_destinations_each() {
    let mut ipvs = namespace();
    let mut operations = Vec::new();
    for s in 0..2_000u32 {
        let vip = SocketAddr::new(IpAddr::V4(Ipv4Addr::from(0x0a01_0000 + s)), 80);
        let key = ServiceKey::tcp(vip);
        operations.push(Operation::AddService(Service::new(key, "wlc")));
        for r in 0..5 {
            operations.push(Operation::AddDestination(
                key,
                Destination::new(real(s * 5 + r), Forward::Route, 1),
            ));
        }
    }
    assert!(ipvs.execute(&operations).unwrap().is_empty());
    let table = ipvs.table().unwrap();
    assert_eq!(table.len(), 2_000);
    assert!(table.iter().all(|e| e.destinations.len() == 5));
    assert_eq!(saved().len(), 12_000);
}
