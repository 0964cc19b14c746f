// SPDX-License-Identifier: MIT OR Apache-2.0
//! Services: written by us and read by ipvsadm, written by ipvsadm and read
//! by us, edited, deleted.

use std::net::Ipv4Addr;

use ipvs::{AddressFamily, Netmask, Protocol, Service, ServiceFlags, ServiceKey};

use crate::lab::{addr, assert_saved, ipvsadm, namespace};

fn every_kind_of_service() -> Vec<Service> {
    let mut persistent_masked =
        Service::new(ServiceKey::tcp(addr("10.0.0.1:80")), "wlc").persistent(3600);
    persistent_masked.netmask = Netmask::V4(Ipv4Addr::new(255, 255, 255, 0));
    let mut one_packet = Service::new(ServiceKey::udp(addr("10.0.0.1:53")), "sh");
    one_packet.flags = ServiceFlags::ONE_PACKET | ServiceFlags::SCHED1 | ServiceFlags::SCHED2;
    let mut sip = Service::new(ServiceKey::udp(addr("10.0.0.1:5060")), "rr").persistent(10);
    sip.persistence_engine = Some("sip".into());
    let sctp = Service::new(
        ServiceKey::Address {
            protocol: Protocol::Sctp,
            address: addr("10.0.0.1:3868"),
        },
        "lc",
    );
    let mut v6 = Service::new(ServiceKey::tcp(addr("[2001:db8::1]:443")), "rr").persistent(60);
    v6.netmask = Netmask::V6(64);
    let fwmark = Service::new(ServiceKey::fwmark(7), "rr");
    let mut fwmark6 = Service::new(
        ServiceKey::Fwmark {
            family: AddressFamily::Inet6,
            mark: 8,
        },
        "mh",
    );
    fwmark6.flags = ServiceFlags::SCHED2;
    vec![
        persistent_masked,
        one_packet,
        sip,
        sctp,
        v6,
        fwmark,
        fwmark6,
    ]
}

const EVERY_KIND_SAVED: &[&str] = &[
    "-A -t 10.0.0.1:80 -s wlc -p 3600 -M 255.255.255.0",
    "-A -u 10.0.0.1:53 -s sh -o -b sh-fallback,sh-port",
    "-A -u 10.0.0.1:5060 -s rr -p 10 --pe sip",
    "-A --sctp-service 10.0.0.1:3868 -s lc",
    "-A -t [2001:db8::1]:443 -s rr -p 60 -M 64",
    "-A -f 7 -s rr",
    "-A -f 8 -6 -s mh -b mh-port",
];

#[test]
#[ignore = "needs an IPVS kernel: scripts/lab"]
fn services_written_by_us_are_read_back_by_ipvsadm() {
    let mut ipvs = namespace();
    for service in every_kind_of_service() {
        ipvs.add_service(&service).unwrap_or_else(|e| panic!("{e}"));
    }
    assert_saved(EVERY_KIND_SAVED);
}

#[test]
#[ignore = "needs an IPVS kernel: scripts/lab"]
fn services_written_by_ipvsadm_are_read_by_us() {
    let mut ipvs = namespace();
    for line in EVERY_KIND_SAVED {
        ipvsadm(line);
    }
    let mut read: Vec<Service> = ipvs
        .services()
        .unwrap()
        .into_iter()
        .map(|e| e.service)
        .collect();
    let mut expected = every_kind_of_service();
    read.sort_by_key(|s| s.key);
    expected.sort_by_key(|s| s.key);
    assert_eq!(read, expected);
}

#[test]
#[ignore = "needs an IPVS kernel: scripts/lab"]
fn one_service_is_read_by_key() {
    let mut ipvs = namespace();
    ipvsadm("-A -t 10.0.0.1:80 -s wlc -p 300");
    ipvsadm("-A -t 10.0.0.1:443 -s rr");
    let entry = ipvs.service(&ServiceKey::tcp(addr("10.0.0.1:80"))).unwrap();
    assert_eq!(
        entry.service,
        Service::new(ServiceKey::tcp(addr("10.0.0.1:80")), "wlc").persistent(300)
    );
}

#[test]
#[ignore = "needs an IPVS kernel: scripts/lab"]
fn editing_a_service_changes_only_what_was_edited() {
    let mut ipvs = namespace();
    ipvsadm("-A -t 10.0.0.1:80 -s wlc");
    ipvsadm("-a -t 10.0.0.1:80 -r 10.0.0.2:80 -g -w 3");
    ipvsadm("-A -t 10.0.0.1:443 -s wlc");
    let key = ServiceKey::tcp(addr("10.0.0.1:80"));
    ipvs.edit_service(&Service::new(key, "rr").persistent(120))
        .unwrap();
    assert_saved(&[
        "-A -t 10.0.0.1:80 -s rr -p 120",
        "-a -t 10.0.0.1:80 -r 10.0.0.2:80 -g -w 3",
        "-A -t 10.0.0.1:443 -s wlc",
    ]);
    // And back: persistence off again.
    ipvs.edit_service(&Service::new(key, "rr")).unwrap();
    assert_saved(&[
        "-A -t 10.0.0.1:80 -s rr",
        "-a -t 10.0.0.1:80 -r 10.0.0.2:80 -g -w 3",
        "-A -t 10.0.0.1:443 -s wlc",
    ]);
}

#[test]
#[ignore = "needs an IPVS kernel: scripts/lab"]
fn deleting_a_service_removes_it_and_its_destinations_only() {
    let mut ipvs = namespace();
    ipvsadm("-A -t 10.0.0.1:80 -s wlc");
    ipvsadm("-a -t 10.0.0.1:80 -r 10.0.0.2:80 -g -w 1");
    ipvsadm("-A -f 7 -s rr");
    ipvs.delete_service(&ServiceKey::tcp(addr("10.0.0.1:80")))
        .unwrap();
    assert_saved(&["-A -f 7 -s rr"]);
    ipvs.delete_service(&ServiceKey::fwmark(7)).unwrap();
    assert_saved(&[]);
}

#[test]
#[ignore = "needs an IPVS kernel: scripts/lab"]
fn flush_empties_the_table() {
    let mut ipvs = namespace();
    ipvsadm("-A -t 10.0.0.1:80 -s wlc");
    ipvsadm("-a -t 10.0.0.1:80 -r 10.0.0.2:80 -g -w 1");
    ipvsadm("-A -u 10.0.0.1:53 -s rr");
    ipvs.flush().unwrap();
    assert_saved(&[]);
    assert!(ipvs.services().unwrap().is_empty());
}
