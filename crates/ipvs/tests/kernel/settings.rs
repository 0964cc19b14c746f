// SPDX-License-Identifier: MIT OR Apache-2.0
//! Timeouts, general information and counters.

use std::net::TcpStream;
use std::time::{Duration, Instant};

use ipvs::{Destination, Forward, Service, ServiceKey, Timeouts};

use crate::lab::{addr, ipvsadm, namespace, sh};

#[test]
#[ignore = "needs an IPVS kernel: scripts/lab"]
fn info_matches_ipvsadm_header() {
    let mut ipvs = namespace();
    let info = ipvs.info().unwrap();
    let header = ipvsadm("-Ln");
    assert_eq!(header.lines().next().unwrap(), info.to_string());
    assert_eq!(info.version_text(), "1.2.1");
    assert!(info.connection_table_size > 0);
}

#[test]
#[ignore = "needs an IPVS kernel: scripts/lab"]
fn timeouts_set_by_us_are_read_by_ipvsadm_and_back() {
    let mut ipvs = namespace();
    ipvs.set_timeouts(Timeouts {
        tcp: 900,
        tcp_fin: 120,
        udp: 300,
    })
    .unwrap();
    assert_eq!(
        ipvsadm("-L --timeout"),
        "Timeout (tcp tcpfin udp): 900 120 300\n"
    );
    // 0 leaves a value as it is.
    ipvs.set_timeouts(Timeouts {
        tcp: 0,
        tcp_fin: 0,
        udp: 45,
    })
    .unwrap();
    assert_eq!(
        ipvsadm("-L --timeout"),
        "Timeout (tcp tcpfin udp): 900 120 45\n"
    );
    ipvsadm("--set 7200 60 30");
    assert_eq!(
        ipvs.timeouts().unwrap(),
        Timeouts {
            tcp: 7200,
            tcp_fin: 60,
            udp: 30
        }
    );
}

/// Tries a few TCP connections to a service from this namespace: the
/// kernel schedules locally generated SYNs too, so counters move. Nobody
/// answers (the real is on a dummy link), hence the short timeout.
fn traffic(service: &str, connections: usize) {
    for _ in 0..connections {
        let _ = TcpStream::connect_timeout(&addr(service), Duration::from_millis(50));
    }
}

#[test]
#[ignore = "needs an IPVS kernel: scripts/lab"]
fn counters_move_with_traffic_and_zero_clears_them() {
    let mut ipvs = namespace();
    sh("/sbin/ip link add lan0 type dummy && /sbin/ip addr add 10.2.0.1/24 dev lan0 && /sbin/ip link set lan0 up");
    let a = ServiceKey::tcp(addr("10.2.0.100:80"));
    let b = ServiceKey::tcp(addr("10.2.0.101:80"));
    for key in [a, b] {
        ipvs.add_service(&Service::new(key, "rr")).unwrap();
        ipvs.add_destination(
            &key,
            &Destination::new(addr("10.2.0.2:80"), Forward::Route, 1),
        )
        .unwrap();
    }
    traffic("10.2.0.100:80", 3);
    traffic("10.2.0.101:80", 3);
    let packets_in = |ipvs: &mut ipvs::Ipvs, key| ipvs.service(&key).unwrap().stats.packets_in;
    // Kernel quirk: the counters read are summed from per-CPU counters by
    // the rate estimator, every 2 s; wait for it to run.
    for key in [a, b] {
        let deadline = Instant::now() + Duration::from_secs(20);
        while packets_in(&mut ipvs, key) < 3 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(200));
        }
    }
    assert!(
        packets_in(&mut ipvs, a) >= 3,
        "{:?}",
        ipvs.service(&a).unwrap().stats
    );
    let dest = &ipvs.destinations(&a).unwrap()[0];
    assert!(
        dest.stats.packets_in >= 3 && dest.stats.connections >= 1,
        "{dest:?}"
    );
    assert!(
        dest.inactive_connections + dest.active_connections >= 1,
        "{dest:?}"
    );
    // ipvsadm agrees on the counts.
    let stats = ipvsadm("-Ln --stats --exact");
    let line = stats
        .lines()
        .find(|l| l.starts_with("TCP  10.2.0.100:80"))
        .unwrap();
    let fields: Vec<u64> = line
        .split_whitespace()
        .skip(2)
        .map(|f| f.parse().unwrap())
        .collect();
    let s = ipvs.service(&a).unwrap().stats;
    assert_eq!(
        fields,
        [
            s.connections,
            s.packets_in,
            s.packets_out,
            s.bytes_in,
            s.bytes_out
        ]
    );

    ipvs.zero(Some(&a)).unwrap();
    assert_eq!(packets_in(&mut ipvs, a), 0);
    assert!(
        packets_in(&mut ipvs, b) >= 3,
        "zeroing one service zeroed another"
    );
    ipvs.zero(None).unwrap();
    assert_eq!(packets_in(&mut ipvs, b), 0);
}
