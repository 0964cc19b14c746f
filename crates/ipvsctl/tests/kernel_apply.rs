// SPDX-License-Identifier: MIT OR Apache-2.0
//! `ipvsctl validate | plan | apply | flush` against a real IPVS kernel,
//! cross-checked with `ipvsadm -Sn`. Run inside the lab (`scripts/test`).

mod common;

use std::time::{Duration, Instant};

use common::{example, ipvsadm, ipvsctl, namespace, saved, stderr, stdout, write};

const WWW_SAVED: &[&str] = &[
    "-A -t 192.168.0.3:80 -s wlc -p 3600",
    "-a -t 192.168.0.3:80 -r 192.168.0.4:80 -g -w 1",
    "-a -t 192.168.0.3:80 -r 192.168.0.5:80 -g -w 1",
];

const TWO: &str = r#"
[[virtual]]
address = "10.0.0.1:80"
scheduler = "wlc"
  [[virtual.real]]
  address = "10.0.0.2:80"
  [[virtual.real]]
  address = "10.0.0.3:80"
  weight = 2

[[virtual]]
address = "10.0.0.1:53"
protocol = "udp"
scheduler = "rr"
  [[virtual.real]]
  address = "10.0.0.2"
  forward = "masq"
"#;

const TWO_SAVED: &[&str] = &[
    "-A -t 10.0.0.1:80 -s wlc",
    "-a -t 10.0.0.1:80 -r 10.0.0.2:80 -g -w 1",
    "-a -t 10.0.0.1:80 -r 10.0.0.3:80 -g -w 2",
    "-A -u 10.0.0.1:53 -s rr",
    "-a -u 10.0.0.1:53 -r 10.0.0.2:53 -m -w 1",
];

#[test]
#[ignore = "needs an IPVS kernel: scripts/lab"]
fn apply_puts_the_seed_example_in_and_a_second_apply_writes_nothing() {
    let state = namespace();
    let out = ipvsctl(&state, &["apply", &example("www.toml"), "--netlink-stats"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "+ service tcp 192.168.0.3:80 wlc persistent 3600\n\
         + real 192.168.0.4:80 -> tcp 192.168.0.3:80 gate w1\n\
         + real 192.168.0.5:80 -> tcp 192.168.0.3:80 gate w1\n"
    );
    assert_eq!(
        stderr(&out),
        "netlink: dumps=1 reads=0 writes=3 sendmsg=3\n"
    );
    assert_eq!(saved(), WWW_SAVED);

    let again = ipvsctl(&state, &["apply", &example("www.toml"), "--netlink-stats"]);
    assert!(again.status.success());
    assert_eq!(stdout(&again), "no changes\n");
    assert_eq!(
        stderr(&again),
        "netlink: dumps=2 reads=0 writes=0 sendmsg=3\n"
    );
    assert_eq!(saved(), WWW_SAVED);
}

#[test]
#[ignore = "needs an IPVS kernel: scripts/lab"]
fn the_ldirectord_file_gives_the_same_table() {
    let state = namespace();
    let out = ipvsctl(&state, &["apply", &example("www.cf")]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(saved(), WWW_SAVED);
    let toml = ipvsctl(&state, &["plan", &example("www.toml")]);
    assert_eq!(toml.status.code(), Some(0), "{}", stdout(&toml));
    assert_eq!(stdout(&toml), "no changes\n");
}

#[test]
#[ignore = "needs an IPVS kernel: scripts/lab"]
fn a_weight_change_is_one_edit_of_one_message() {
    let state = namespace();
    let first = write(&state, "two.toml", TWO);
    assert!(ipvsctl(&state, &["apply", &first]).status.success());
    assert_eq!(saved(), TWO_SAVED);
    let second = write(&state, "two.toml", &TWO.replace("weight = 2", "weight = 5"));

    let plan = ipvsctl(&state, &["plan", &second]);
    assert_eq!(plan.status.code(), Some(2));
    assert_eq!(
        stdout(&plan),
        "~ real 10.0.0.3:80 -> tcp 10.0.0.1:80 weight 2 -> 5\n"
    );

    let out = ipvsctl(&state, &["apply", &second, "--netlink-stats"]);
    assert!(out.status.success());
    assert_eq!(
        stdout(&out),
        "~ real 10.0.0.3:80 -> tcp 10.0.0.1:80 weight 2 -> 5\n"
    );
    assert_eq!(
        stderr(&out),
        "netlink: dumps=3 reads=0 writes=1 sendmsg=5\n"
    );
    let mut expected = TWO_SAVED.to_vec();
    expected[2] = "-a -t 10.0.0.1:80 -r 10.0.0.3:80 -g -w 5";
    assert_eq!(saved(), expected);
}

/// Tries TCP connections through a service from this namespace so that
/// its counters move; the kernel schedules local SYNs too.
fn traffic(vip: &str) {
    for _ in 0..3 {
        let _ =
            std::net::TcpStream::connect_timeout(&vip.parse().unwrap(), Duration::from_millis(50));
    }
}

fn connections(service_prefix: &str) -> u64 {
    let stats = ipvsadm("-Ln --stats --exact");
    let line = stats
        .lines()
        .find(|l| l.starts_with(service_prefix))
        .unwrap_or("");
    line.split_whitespace()
        .nth(2)
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

#[test]
#[ignore = "needs an IPVS kernel: scripts/lab"]
fn a_scheduler_change_keeps_connections_and_counters() {
    let state = namespace();
    // A route to the VIP's network, so that SYNs leave and IPVS sees them.
    let link = std::process::Command::new("/bin/sh")
        .args(["-c", "/sbin/ip link add lan0 type dummy && /sbin/ip addr add 10.0.0.254/24 dev lan0 && /sbin/ip link set lan0 up"])
        .status()
        .unwrap();
    assert!(link.success());
    let first = write(&state, "two.toml", TWO);
    assert!(ipvsctl(&state, &["apply", &first]).status.success());
    traffic("10.0.0.1:80");
    // The kernel sums its counters every 2 s.
    let deadline = Instant::now() + Duration::from_secs(20);
    while connections("TCP  10.0.0.1:80") == 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(200));
    }
    let before = connections("TCP  10.0.0.1:80");
    assert!(before > 0);
    let entries_before = ipvsadm("-Lnc");
    let second = write(
        &state,
        "two.toml",
        &TWO.replacen(
            "scheduler = \"wlc\"",
            "scheduler = \"rr\"\npersistent = 300",
            1,
        ),
    );
    let out = ipvsctl(&state, &["apply", &second]);
    assert_eq!(
        stdout(&out),
        "~ service tcp 10.0.0.1:80 scheduler wlc -> rr, persistent none -> 300\n"
    );
    assert!(
        connections("TCP  10.0.0.1:80") >= before,
        "counters reset: the service was re-created"
    );
    assert_eq!(
        ipvsadm("-Lnc").lines().count(),
        entries_before.lines().count()
    );
    assert_eq!(saved()[0], "-A -t 10.0.0.1:80 -s rr -p 300");
}

#[test]
#[ignore = "needs an IPVS kernel: scripts/lab"]
fn ownership_removed_virtuals_go_foreign_ones_stay_prune_removes_them() {
    let state = namespace();
    ipvsadm("-A -t 10.9.9.9:25 -s rr");
    let first = write(&state, "two.toml", TWO);
    let out = ipvsctl(&state, &["apply", &first]);
    assert!(out.status.success());
    assert!(stderr(&out)
        .contains("note: left alone: tcp 10.9.9.9:25 (not declared here; --prune removes it)"));

    // The UDP virtual leaves the configuration: it was ours, it goes.
    let tcp_only = TWO
        .split("\n[[virtual]]\naddress = \"10.0.0.1:53\"")
        .next()
        .unwrap();
    let second = write(&state, "two.toml", tcp_only);
    let out = ipvsctl(&state, &["apply", &second]);
    assert_eq!(stdout(&out), "- service udp 10.0.0.1:53\n");
    assert!(saved().contains(&"-A -t 10.9.9.9:25 -s rr".to_string()));

    let out = ipvsctl(&state, &["apply", "--prune", &second]);
    assert_eq!(stdout(&out), "- service tcp 10.9.9.9:25\n");
    assert_eq!(saved(), &TWO_SAVED[..3]);
}

#[test]
#[ignore = "needs an IPVS kernel: scripts/lab"]
fn a_lost_record_leaves_unknown_services_alone() {
    let state = namespace();
    let first = write(&state, "two.toml", TWO);
    assert!(ipvsctl(&state, &["apply", &first]).status.success());
    for entry in std::fs::read_dir(&state).unwrap() {
        let path = entry.unwrap().path();
        if path
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("managed-")
        {
            std::fs::remove_file(path).unwrap();
        }
    }
    let tcp_only = TWO
        .split("\n[[virtual]]\naddress = \"10.0.0.1:53\"")
        .next()
        .unwrap();
    let second = write(&state, "two.toml", tcp_only);
    let out = ipvsctl(&state, &["apply", &second]);
    assert!(out.status.success());
    assert_eq!(stdout(&out), "no changes\n");
    assert!(
        stderr(&out).contains("note: no record of managed services"),
        "{}",
        stderr(&out)
    );
    assert_eq!(saved(), TWO_SAVED);
}

#[test]
#[ignore = "needs an IPVS kernel: scripts/lab"]
fn a_bad_file_next_to_a_good_one_applies_nothing() {
    let state = namespace();
    let good = write(&state, "good.toml", TWO);
    let bad = write(
        &state,
        "bad.toml",
        "[[virtual]]\naddress = \"10.0.0.7:80\"\nscheduler = \"wlcx\"\n",
    );
    let out = ipvsctl(&state, &["apply", &good, &bad]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        format!("error: {bad}:3:13: virtual[0].scheduler: unknown scheduler `wlcx` (one of rr wrr lc wlc lblc lblcr dh sh sed nq fo ovf mh twos)\n")
    );
    assert!(stdout(&out).is_empty());
    assert_eq!(saved(), Vec::<String>::new());
}

#[test]
#[ignore = "needs an IPVS kernel: scripts/lab"]
fn a_kernel_refusal_names_its_object_and_the_rest_is_applied() {
    let state = namespace();
    // twos is a valid scheduler name, but this 6.1 kernel has no ip_vs_twos.
    let config = format!("{TWO}\n[[virtual]]\naddress = \"10.0.0.1:443\"\nscheduler = \"twos\"\n  [[virtual.real]]\n  address = \"10.0.0.2\"\n");
    let file = write(&state, "three.toml", &config);
    let out = ipvsctl(&state, &["apply", &file]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("error: add service tcp 10.0.0.1:443 (scheduler twos): scheduler 'twos' not found: no kernel module ip_vs_twos"),
        "{err}"
    );
    assert!(err.contains("error: add destination 10.0.0.2:443 (route, weight 1) to tcp 10.0.0.1:443: no such service"), "{err}");
    assert!(
        err.contains("error: 2 of 7 changes refused by the kernel; the others were made"),
        "{err}"
    );
    assert_eq!(saved(), TWO_SAVED);
}

#[test]
#[ignore = "needs an IPVS kernel: scripts/lab"]
fn plan_exit_codes_and_json() {
    let state = namespace();
    let file = write(&state, "two.toml", TWO);
    let out = ipvsctl(&state, &["plan", "--json", &file]);
    assert_eq!(out.status.code(), Some(2));
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(json["changes"].as_array().unwrap().len(), 5);
    assert_eq!(json["changes"][0]["action"], "add");
    assert_eq!(json["changes"][0]["object"], "service");
    assert_eq!(json["changes"][2]["real"], "10.0.0.2:80");
    assert!(saved().is_empty(), "plan must not write");
    assert!(ipvsctl(&state, &["apply", &file]).status.success());
    assert_eq!(ipvsctl(&state, &["plan", &file]).status.code(), Some(0));
    let bad = write(&state, "bad.toml", "[[virtual]]\n");
    assert_eq!(ipvsctl(&state, &["plan", &bad]).status.code(), Some(1));
}

#[test]
#[ignore = "needs an IPVS kernel: scripts/lab"]
fn flush_asks_for_yes() {
    let state = namespace();
    let file = write(&state, "two.toml", TWO);
    assert!(ipvsctl(&state, &["apply", &file]).status.success());
    let refused = ipvsctl(&state, &["flush"]);
    assert_eq!(refused.status.code(), Some(1));
    assert_eq!(saved(), TWO_SAVED);
    let out = ipvsctl(&state, &["flush", "--yes"]);
    assert!(out.status.success());
    assert_eq!(stdout(&out), "flushed 2 virtual services\n");
    assert!(saved().is_empty());
}

#[test]
#[ignore = "needs an IPVS kernel: scripts/lab"]
fn a_virtual_whose_only_server_is_its_fallback_gets_it() {
    // ldirectord puts the fallback of a virtual without reals in its table;
    // so does apply (health decides only where there are reals).
    let state = namespace();
    let file = write(
        &state,
        "only-fallback.toml",
        r#"
[[virtual]]
address = "10.0.0.1:80"
scheduler = "rr"
fallback = "10.0.0.9:80"

[[virtual]]
address = "10.0.0.1:81"
scheduler = "rr"
fallback = "10.0.0.9:81"
  [[virtual.real]]
  address = "10.0.0.2:81"
"#,
    );
    let out = ipvsctl(&state, &["apply", &file]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        saved(),
        [
            "-A -t 10.0.0.1:80 -s rr",
            "-a -t 10.0.0.1:80 -r 10.0.0.9:80 -g -w 1",
            "-A -t 10.0.0.1:81 -s rr",
            "-a -t 10.0.0.1:81 -r 10.0.0.2:81 -g -w 1",
        ]
    );
    let again = ipvsctl(&state, &["plan", &file]);
    assert_eq!(again.status.code(), Some(0), "{}", stdout(&again));
}
