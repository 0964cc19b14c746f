// SPDX-License-Identifier: MIT OR Apache-2.0
//! The destination order of `mh` and `sh` services: whatever the kernel
//! holds, the plan, made as the kernel makes it (an added destination goes
//! to the head of the list), leaves the list in the canonical order.

use std::net::SocketAddr;

use ipvs::{
    Destination, DestinationEntry, Forward, Operation, Service, ServiceEntry, ServiceKey, Stats,
    TableEntry,
};
use planner::{plan, DesiredService, Ownership};

fn www() -> ServiceKey {
    ServiceKey::tcp("192.168.0.3:80".parse().unwrap())
}

fn real(i: u8, weight: u32) -> Destination {
    Destination::new(
        SocketAddr::from(([10, 0, 0, i], 80)),
        Forward::Route,
        weight,
    )
}

fn entry(scheduler: &str, reals: &[Destination]) -> TableEntry {
    TableEntry {
        service: ServiceEntry {
            service: Service::new(www(), scheduler),
            stats: Stats::default(),
        },
        destinations: reals
            .iter()
            .map(|d| DestinationEntry {
                destination: *d,
                active_connections: 0,
                inactive_connections: 0,
                persistent_connections: 0,
                stats: Stats::default(),
            })
            .collect(),
    }
}

/// The kernel's list after the plan's operations: deleted ones unlinked,
/// edited ones in place, added ones at the head.
fn made(list: &[Destination], operations: &[Operation]) -> Vec<Destination> {
    let mut list = list.to_vec();
    for operation in operations {
        match operation {
            Operation::AddDestination(_, d) => {
                assert!(list.iter().all(|e| e.address != d.address), "{operation}");
                list.insert(0, *d);
            }
            Operation::EditDestination(_, d) => {
                let e = list.iter_mut().find(|e| e.address == d.address).unwrap();
                *e = *d;
            }
            Operation::DeleteDestination(_, a) => {
                let before = list.len();
                list.retain(|e| e.address != *a);
                assert_eq!(list.len() + 1, before, "{operation}");
            }
            other => panic!("unexpected {other}"),
        }
    }
    list
}

fn run(scheduler: &str, wanted: &[Destination], kernel: &[Destination]) -> Vec<Destination> {
    let desired = [DesiredService {
        service: Service::new(www(), scheduler),
        destinations: wanted.to_vec(),
    }];
    let p = plan(&desired, &[entry(scheduler, kernel)], &Ownership::default());
    let operations: Vec<Operation> = p.changes.iter().map(|c| c.operation()).collect();
    made(kernel, &operations)
}

/// Every ordering of every subset of `items`.
fn arrangements(items: &[Destination]) -> Vec<Vec<Destination>> {
    let mut out = vec![Vec::new()];
    for _ in 0..items.len() {
        let mut next = Vec::new();
        for a in &out {
            for item in items {
                if !a.iter().any(|d: &Destination| d.address == item.address) {
                    let mut b = a.clone();
                    b.push(*item);
                    next.push(b);
                }
            }
        }
        out.extend(next.iter().cloned());
        out.sort_by_key(|a| a.iter().map(|d| d.address).collect::<Vec<_>>());
        out.dedup_by_key(|a| a.iter().map(|d| d.address).collect::<Vec<_>>());
    }
    out
}

#[test]
fn any_kernel_list_ends_in_the_canonical_order() {
    // Wanted listed out of order in the configuration, with one weight 0
    // (a down real kept in) and a weight that differs from the kernel's.
    let wanted = [real(4, 1), real(2, 0), real(1, 3), real(3, 1)];
    let canonical = [real(1, 3), real(2, 0), real(3, 1), real(4, 1)];
    let mut kernel_items = vec![real(1, 1), real(2, 1), real(3, 1), real(4, 1)];
    kernel_items.push(real(9, 1)); // not wanted
    let lists = arrangements(&kernel_items);
    assert!(lists.len() > 300, "{}", lists.len());
    for kernel in &lists {
        for scheduler in ["mh", "sh"] {
            assert_eq!(
                run(scheduler, &wanted, kernel),
                canonical,
                "{scheduler} from {kernel:?}"
            );
        }
    }
}

#[test]
fn a_list_in_order_is_left_alone_and_a_weight_is_an_edit() {
    let canonical = [real(1, 1), real(2, 1), real(3, 1)];
    let desired = |weights: [u32; 3]| {
        [DesiredService {
            service: Service::new(www(), "mh"),
            destinations: (0..3).map(|i| real(i as u8 + 1, weights[i])).collect(),
        }]
    };
    let kernel = [entry("mh", &canonical)];
    assert!(plan(&desired([1, 1, 1]), &kernel, &Ownership::default()).is_empty());
    let p = plan(&desired([1, 0, 1]), &kernel, &Ownership::default());
    let lines: Vec<String> = p.changes.iter().map(ToString::to_string).collect();
    assert_eq!(
        lines,
        ["~ real 10.0.0.2:80 -> tcp 192.168.0.3:80 weight 1 -> 0"]
    );
}

#[test]
fn a_real_added_in_the_middle_moves_the_ones_before_it() {
    let kernel = [real(1, 1), real(2, 1), real(4, 1)];
    let wanted = [real(1, 1), real(2, 1), real(3, 1), real(4, 1)];
    let desired = [DesiredService {
        service: Service::new(www(), "mh"),
        destinations: wanted.to_vec(),
    }];
    let p = plan(&desired, &[entry("mh", &kernel)], &Ownership::default());
    let lines: Vec<String> = p.changes.iter().map(ToString::to_string).collect();
    assert_eq!(
        lines,
        [
            "- real 10.0.0.1:80 -> tcp 192.168.0.3:80",
            "- real 10.0.0.2:80 -> tcp 192.168.0.3:80",
            "+ real 10.0.0.3:80 -> tcp 192.168.0.3:80 gate w1",
            "+ real 10.0.0.2:80 -> tcp 192.168.0.3:80 gate w1",
            "+ real 10.0.0.1:80 -> tcp 192.168.0.3:80 gate w1",
        ]
    );
}

#[test]
fn other_schedulers_keep_the_kernels_order() {
    let kernel = [real(3, 1), real(1, 1)];
    let wanted = [real(1, 1), real(2, 1), real(3, 1)];
    let desired = [DesiredService {
        service: Service::new(www(), "wlc"),
        destinations: wanted.to_vec(),
    }];
    let p = plan(&desired, &[entry("wlc", &kernel)], &Ownership::default());
    assert_eq!(p.changes.len(), 1, "{:?}", p.changes);
}

#[test]
fn scheduler_flags_read_as_ipvsadm_spells_them() {
    let mut with_flags = Service::new(www(), "mh");
    with_flags.flags |= ipvs::ServiceFlags::SCHED1 | ipvs::ServiceFlags::SCHED2;
    let desired = [DesiredService {
        service: with_flags.clone(),
        destinations: Vec::new(),
    }];
    let added = plan(&desired, &[], &Ownership::default());
    assert_eq!(
        added.changes[0].to_string(),
        "+ service tcp 192.168.0.3:80 mh mh-fallback,mh-port"
    );
    let edited = plan(&desired, &[entry("mh", &[])], &Ownership::default());
    assert_eq!(
        edited.changes[0].to_string(),
        "~ service tcp 192.168.0.3:80 scheduler flags none -> mh-fallback,mh-port"
    );
}
