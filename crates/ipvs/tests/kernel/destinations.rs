// SPDX-License-Identifier: MIT OR Apache-2.0
//! Destinations: every forwarding method and tunnel setting, both ways.

use ipvs::{Destination, Forward, Service, ServiceKey, Tunnel, TunnelFlags, TunnelType};

use crate::lab::{addr, assert_saved, ipvsadm, namespace};

fn service() -> ServiceKey {
    ServiceKey::tcp(addr("10.0.0.1:80"))
}

fn every_kind_of_destination() -> Vec<Destination> {
    let mut thresholds = Destination::new(addr("10.0.0.3:8080"), Forward::Masq, 5);
    thresholds.upper_threshold = 100;
    thresholds.lower_threshold = 10;
    let mut gue = Destination::new(addr("10.0.0.4:80"), Forward::Tunnel, 0);
    gue.tunnel = Tunnel {
        kind: TunnelType::Gue,
        port: 6080,
        flags: TunnelFlags::CSUM,
    };
    let mut gre = Destination::new(addr("10.0.0.5:80"), Forward::Tunnel, 2);
    gre.tunnel = Tunnel {
        kind: TunnelType::Gre,
        port: 0,
        flags: TunnelFlags::CSUM,
    };
    vec![
        Destination::new(addr("10.0.0.2:80"), Forward::Route, 1),
        thresholds,
        gue,
        gre,
        Destination::new(addr("10.0.0.6:80"), Forward::Tunnel, 65535),
        // Mixed family: only with tunnel forwarding.
        Destination::new(addr("[2001:db8::9]:80"), Forward::Tunnel, 2),
    ]
}

const EVERY_KIND_SAVED: &[&str] = &[
    "-A -t 10.0.0.1:80 -s wlc",
    "-a -t 10.0.0.1:80 -r 10.0.0.2:80 -g -w 1",
    "-a -t 10.0.0.1:80 -r 10.0.0.3:8080 -m -w 5",
    "-a -t 10.0.0.1:80 -r 10.0.0.4:80 -i -w 0 --tun-type gue --tun-port 6080 --tun-csum",
    "-a -t 10.0.0.1:80 -r 10.0.0.5:80 -i -w 2 --tun-type gre --tun-csum",
    "-a -t 10.0.0.1:80 -r 10.0.0.6:80 -i -w 65535 --tun-type ipip",
    "-a -t 10.0.0.1:80 -r [2001:db8::9]:80 -i -w 2 --tun-type ipip",
];

fn sorted(mut destinations: Vec<Destination>) -> Vec<Destination> {
    destinations.sort_by_key(|d| d.address);
    destinations
}

#[test]
#[ignore = "needs an IPVS kernel: scripts/lab"]
fn destinations_written_by_us_are_read_back_by_ipvsadm() {
    let mut ipvs = namespace();
    ipvs.add_service(&Service::new(service(), "wlc")).unwrap();
    for destination in every_kind_of_destination() {
        ipvs.add_destination(&service(), &destination)
            .unwrap_or_else(|e| panic!("{e}"));
    }
    assert_saved(EVERY_KIND_SAVED);
    // -Sn leaves thresholds out; --thresholds shows them.
    let thresholds = ipvsadm("-Ln --thresholds");
    assert!(
        thresholds
            .lines()
            .any(|l| l.split_whitespace().collect::<Vec<_>>()
                == ["->", "10.0.0.3:8080", "100", "10", "0", "0"]),
        "{thresholds}"
    );
}

#[test]
#[ignore = "needs an IPVS kernel: scripts/lab"]
fn destinations_written_by_ipvsadm_are_read_by_us() {
    let mut ipvs = namespace();
    for line in EVERY_KIND_SAVED {
        ipvsadm(line);
    }
    ipvsadm("-e -t 10.0.0.1:80 -r 10.0.0.3:8080 -m -w 5 -x 100 -y 10");
    let read = ipvs.destinations(&service()).unwrap();
    let read: Vec<Destination> = read.into_iter().map(|e| e.destination).collect();
    assert_eq!(sorted(read), sorted(every_kind_of_destination()));
}

#[test]
#[ignore = "needs an IPVS kernel: scripts/lab"]
fn fwmark_destinations_have_port_zero() {
    let mut ipvs = namespace();
    let key = ServiceKey::fwmark(7);
    ipvs.add_service(&Service::new(key, "rr")).unwrap();
    ipvs.add_destination(
        &key,
        &Destination::new(addr("10.0.0.9:0"), Forward::Route, 1),
    )
    .unwrap();
    assert_saved(&["-A -f 7 -s rr", "-a -f 7 -r 10.0.0.9:0 -g -w 1"]);
}

#[test]
#[ignore = "needs an IPVS kernel: scripts/lab"]
fn editing_a_weight_changes_only_that_weight_and_keeps_counters() {
    let mut ipvs = namespace();
    ipvsadm("-A -t 10.0.0.1:80 -s wlc");
    ipvsadm("-a -t 10.0.0.1:80 -r 10.0.0.2:80 -g -w 1");
    ipvsadm("-a -t 10.0.0.1:80 -r 10.0.0.3:80 -g -w 1");
    let mut edited = Destination::new(addr("10.0.0.2:80"), Forward::Route, 0);
    ipvs.edit_destination(&service(), &edited).unwrap();
    assert_saved(&[
        "-A -t 10.0.0.1:80 -s wlc",
        "-a -t 10.0.0.1:80 -r 10.0.0.2:80 -g -w 0",
        "-a -t 10.0.0.1:80 -r 10.0.0.3:80 -g -w 1",
    ]);
    edited.forward = Forward::Masq;
    edited.weight = 7;
    ipvs.edit_destination(&service(), &edited).unwrap();
    assert_saved(&[
        "-A -t 10.0.0.1:80 -s wlc",
        "-a -t 10.0.0.1:80 -r 10.0.0.2:80 -m -w 7",
        "-a -t 10.0.0.1:80 -r 10.0.0.3:80 -g -w 1",
    ]);
}

#[test]
#[ignore = "needs an IPVS kernel: scripts/lab"]
fn deleting_a_destination_leaves_the_others() {
    let mut ipvs = namespace();
    ipvsadm("-A -t 10.0.0.1:80 -s wlc");
    ipvsadm("-a -t 10.0.0.1:80 -r 10.0.0.2:80 -g -w 1");
    ipvsadm("-a -t 10.0.0.1:80 -r [2001:db8::9]:80 -i -w 1");
    ipvs.delete_destination(&service(), &addr("[2001:db8::9]:80"))
        .unwrap();
    assert_saved(&[
        "-A -t 10.0.0.1:80 -s wlc",
        "-a -t 10.0.0.1:80 -r 10.0.0.2:80 -g -w 1",
    ]);
}

#[test]
#[ignore = "needs an IPVS kernel: scripts/lab"]
fn ipv6_service_with_ipv6_destinations() {
    let mut ipvs = namespace();
    let key = ServiceKey::tcp(addr("[2001:db8::1]:443"));
    ipvs.add_service(&Service::new(key, "rr")).unwrap();
    ipvs.add_destination(
        &key,
        &Destination::new(addr("[2001:db8::2]:443"), Forward::Masq, 1),
    )
    .unwrap();
    ipvs.add_destination(
        &key,
        &Destination::new(addr("[2001:db8::3]:8443"), Forward::Route, 4),
    )
    .unwrap();
    assert_saved(&[
        "-A -t [2001:db8::1]:443 -s rr",
        "-a -t [2001:db8::1]:443 -r [2001:db8::2]:443 -m -w 1",
        "-a -t [2001:db8::1]:443 -r [2001:db8::3]:8443 -g -w 4",
    ]);
    let read: Vec<_> = ipvs
        .destinations(&key)
        .unwrap()
        .into_iter()
        .map(|e| e.destination)
        .collect();
    assert_eq!(
        sorted(read),
        vec![
            Destination::new(addr("[2001:db8::2]:443"), Forward::Masq, 1),
            Destination::new(addr("[2001:db8::3]:8443"), Forward::Route, 4),
        ]
    );
}

#[test]
#[ignore = "needs an IPVS kernel: scripts/lab"]
fn local_forwarding_is_written_and_read() {
    let mut ipvs = namespace();
    ipvs.add_service(&Service::new(service(), "wlc")).unwrap();
    // ipvsadm has no option for it; the kernel takes and reports it.
    ipvs.add_destination(
        &service(),
        &Destination::new(addr("127.0.0.1:8080"), Forward::Local, 1),
    )
    .unwrap();
    let read = ipvs.destinations(&service()).unwrap();
    assert_eq!(read[0].destination.forward, Forward::Local);
    let listing = ipvsadm("-Ln");
    assert!(
        listing
            .lines()
            .any(|l| l.split_whitespace().collect::<Vec<_>>()
                == ["->", "127.0.0.1:8080", "Local", "1", "0", "0"]),
        "{listing}"
    );
}
