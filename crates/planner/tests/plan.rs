// SPDX-License-Identifier: MIT OR Apache-2.0
//! The planner's rules, one test each.

use std::collections::BTreeSet;
use std::net::SocketAddr;

use ipvs::{
    Destination, DestinationEntry, Forward, Service, ServiceEntry, ServiceKey, Stats, TableEntry,
};
use planner::{plan, Change, DesiredService, Ownership};

fn addr(text: &str) -> SocketAddr {
    text.parse().unwrap()
}

fn www() -> ServiceKey {
    ServiceKey::tcp(addr("192.168.0.3:80"))
}

fn gate(a: &str, weight: u32) -> Destination {
    Destination::new(addr(a), Forward::Route, weight)
}

fn desired(service: Service, reals: &[Destination]) -> DesiredService {
    DesiredService {
        service,
        destinations: reals.to_vec(),
    }
}

fn actual(service: Service, reals: &[Destination]) -> TableEntry {
    TableEntry {
        service: ServiceEntry {
            service,
            stats: Stats {
                connections: 42,
                ..Stats::default()
            },
        },
        destinations: reals
            .iter()
            .map(|d| DestinationEntry {
                destination: *d,
                active_connections: 3,
                inactive_connections: 1,
                persistent_connections: 0,
                stats: Stats::default(),
            })
            .collect(),
    }
}

fn lines(plan: &planner::Plan) -> Vec<String> {
    plan.changes.iter().map(ToString::to_string).collect()
}

fn seed() -> DesiredService {
    desired(
        Service::new(www(), "wlc").persistent(3600),
        &[gate("192.168.0.4:80", 1), gate("192.168.0.5:80", 1)],
    )
}

#[test]
fn empty_table_gets_the_service_then_its_reals() {
    let p = plan(&[seed()], &[], &Ownership::default());
    assert_eq!(
        lines(&p),
        [
            "+ service tcp 192.168.0.3:80 wlc persistent 3600",
            "+ real 192.168.0.4:80 -> tcp 192.168.0.3:80 gate w1",
            "+ real 192.168.0.5:80 -> tcp 192.168.0.3:80 gate w1",
        ]
    );
}

#[test]
fn matching_table_needs_nothing_even_with_counters() {
    let d = seed();
    let a = actual(d.service.clone(), &d.destinations);
    let p = plan(&[d], &[a], &Ownership::default());
    assert!(p.is_empty(), "{:?}", p.changes);
}

#[test]
fn a_weight_change_is_one_edit() {
    let d = seed();
    let a = actual(
        d.service.clone(),
        &[gate("192.168.0.4:80", 1), gate("192.168.0.5:80", 3)],
    );
    let p = plan(&[d], &[a], &Ownership::default());
    assert_eq!(
        lines(&p),
        ["~ real 192.168.0.5:80 -> tcp 192.168.0.3:80 weight 3 -> 1"]
    );
    assert!(matches!(
        p.changes[0].operation(),
        ipvs::Operation::EditDestination(..)
    ));
}

#[test]
fn a_scheduler_change_is_an_edit_not_a_delete() {
    let d = seed();
    let a = actual(Service::new(www(), "rr"), &d.destinations);
    let p = plan(&[d], &[a], &Ownership::default());
    assert_eq!(
        lines(&p),
        ["~ service tcp 192.168.0.3:80 scheduler rr -> wlc, persistent none -> 3600"]
    );
    assert!(matches!(
        p.changes[0].operation(),
        ipvs::Operation::EditService(_)
    ));
}

#[test]
fn forwarding_change_is_an_edit() {
    let d = desired(
        Service::new(www(), "wlc"),
        &[Destination::new(addr("192.168.0.4:80"), Forward::Masq, 2)],
    );
    let a = actual(Service::new(www(), "wlc"), &[gate("192.168.0.4:80", 1)]);
    let p = plan(&[d], &[a], &Ownership::default());
    assert_eq!(
        lines(&p),
        ["~ real 192.168.0.4:80 -> tcp 192.168.0.3:80 forward gate -> masq, weight 1 -> 2"]
    );
}

#[test]
fn a_real_removed_from_the_config_is_deleted_and_new_ones_added_after() {
    let d = desired(
        Service::new(www(), "wlc"),
        &[gate("192.168.0.4:80", 1), gate("192.168.0.6:80", 1)],
    );
    let a = actual(
        Service::new(www(), "wlc"),
        &[gate("192.168.0.4:80", 1), gate("192.168.0.5:80", 1)],
    );
    let p = plan(&[d], &[a], &Ownership::default());
    assert_eq!(
        lines(&p),
        [
            "- real 192.168.0.5:80 -> tcp 192.168.0.3:80",
            "+ real 192.168.0.6:80 -> tcp 192.168.0.3:80 gate w1",
        ]
    );
}

fn foreign() -> TableEntry {
    actual(
        Service::new(ServiceKey::tcp(addr("10.9.9.9:25")), "rr"),
        &[gate("10.9.9.10:25", 1)],
    )
}

#[test]
fn services_never_declared_are_left_alone_and_mentioned() {
    let p = plan(
        &[seed()],
        &[foreign()],
        &Ownership {
            managed: Some(BTreeSet::new()),
            prune: false,
        },
    );
    assert_eq!(p.left_alone, [ServiceKey::tcp(addr("10.9.9.9:25"))]);
    assert!(p
        .changes
        .iter()
        .all(|c| !matches!(c, Change::DeleteService(_))));
}

#[test]
fn prune_deletes_services_never_declared_first() {
    let p = plan(
        &[seed()],
        &[foreign()],
        &Ownership {
            managed: None,
            prune: true,
        },
    );
    assert_eq!(lines(&p)[0], "- service tcp 10.9.9.9:25");
    assert!(p.left_alone.is_empty());
}

#[test]
fn a_managed_service_removed_from_the_config_is_deleted() {
    let old = actual(
        Service::new(ServiceKey::udp(addr("192.168.0.3:53")), "rr"),
        &[],
    );
    let managed = BTreeSet::from([ServiceKey::udp(addr("192.168.0.3:53")), www()]);
    let p = plan(
        &[],
        &[old],
        &Ownership {
            managed: Some(managed),
            prune: false,
        },
    );
    assert_eq!(lines(&p), ["- service udp 192.168.0.3:53"]);
}

#[test]
fn without_a_record_unwanted_services_are_not_ours() {
    let old = actual(
        Service::new(ServiceKey::udp(addr("192.168.0.3:53")), "rr"),
        &[],
    );
    let p = plan(&[], &[old], &Ownership::default());
    assert!(p.is_empty());
    assert_eq!(p.left_alone, [ServiceKey::udp(addr("192.168.0.3:53"))]);
}

#[test]
fn order_is_deletes_then_adds_then_edits_then_reals() {
    let keep = desired(
        Service::new(ServiceKey::tcp(addr("192.168.0.3:443")), "rr"),
        &[gate("192.168.0.4:443", 1)],
    );
    let current_keep = actual(
        Service::new(ServiceKey::tcp(addr("192.168.0.3:443")), "wlc"),
        &[],
    );
    let gone = actual(
        Service::new(ServiceKey::tcp(addr("192.168.0.3:8080")), "rr"),
        &[],
    );
    let managed = BTreeSet::from([ServiceKey::tcp(addr("192.168.0.3:8080"))]);
    let p = plan(
        &[seed(), keep],
        &[current_keep, gone],
        &Ownership {
            managed: Some(managed),
            prune: false,
        },
    );
    let signs: Vec<String> = lines(&p)
        .iter()
        .map(|l| l.split(' ').take(2).collect::<Vec<_>>().join(" "))
        .collect();
    assert_eq!(
        signs,
        [
            "- service",
            "+ service",
            "~ service",
            "+ real",
            "+ real",
            "+ real"
        ]
    );
}

#[test]
fn fwmark_and_ipv6_keys_read_well() {
    let fw = desired(
        Service::new(ServiceKey::fwmark(7), "rr"),
        &[gate("10.0.0.9:0", 2)],
    );
    let v6 = desired(
        Service::new(ServiceKey::tcp(addr("[2001:db8::1]:443")), "sh"),
        &[Destination::new(
            addr("[2001:db8::2]:443"),
            Forward::Masq,
            1,
        )],
    );
    let p = plan(&[fw, v6], &[], &Ownership::default());
    assert_eq!(
        lines(&p),
        [
            "+ service fwmark 7 rr",
            "+ service tcp [2001:db8::1]:443 sh",
            "+ real 10.0.0.9:0 -> fwmark 7 gate w2",
            "+ real [2001:db8::2]:443 -> tcp [2001:db8::1]:443 masq w1",
        ]
    );
}
