// SPDX-License-Identifier: MIT OR Apache-2.0
//! `ipvsctl list` against a real IPVS kernel, compared with `ipvsadm -Ln`.
//! Run inside the lab (`scripts/test`); ignored by a plain `cargo test`.

mod common;

use std::os::unix::process::CommandExt;
use std::process::{Command, Output};

use common::{ipvsadm, namespace};

fn ipvsctl(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ipvsctl"))
        .args(args)
        .output()
        .unwrap()
}

fn stdout(out: &Output) -> String {
    assert!(
        out.status.success(),
        "ipvsctl failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

fn populate() {
    for rule in [
        "-A -t 10.0.0.1:80 -s wlc -p 3600 -M 255.255.255.0",
        "-a -t 10.0.0.1:80 -r 10.0.0.2:80 -g -w 1",
        "-a -t 10.0.0.1:80 -r 10.0.0.3:8080 -m -w 5",
        "-a -t 10.0.0.1:80 -r 10.0.0.4:80 -i -w 0",
        "-A -u 10.0.0.1:53 -s sh -b sh-fallback,sh-port -o",
        "-a -u 10.0.0.1:53 -r 10.0.0.12:53 -g -w 65535",
        "-A -t 10.0.0.1:443 -s rr",
        "-A --sctp-service 10.0.0.1:3868 -s lc -p 10",
        "-A -t [2001:db8::1]:443 -s rr -p 60 -M 64",
        "-a -t [2001:db8::1]:443 -r [2001:db8::2]:443 -m",
        "-A -f 7 -s rr",
        "-a -f 7 -r 10.0.0.9 -g",
        "-A -f 8 -6 -s mh -b mh-port",
    ] {
        ipvsadm(rule);
    }
}

#[test]
#[ignore = "needs an IPVS kernel: scripts/lab"]
fn list_prints_exactly_what_ipvsadm_prints() {
    let _state = namespace();
    assert_eq!(stdout(&ipvsctl(&["list"])), ipvsadm("-Ln"), "empty table");
    populate();
    assert_eq!(stdout(&ipvsctl(&["list"])), ipvsadm("-Ln"));
}

#[test]
#[ignore = "needs an IPVS kernel: scripts/lab"]
fn list_json_holds_every_service_and_real() {
    let _state = namespace();
    populate();
    let json: serde_json::Value =
        serde_json::from_str(&stdout(&ipvsctl(&["list", "--json"]))).unwrap();
    assert_eq!(json["version"], "1.2.1");
    let services = json["services"].as_array().unwrap();
    assert_eq!(services.len(), 7);
    let www = &services[0];
    assert_eq!(www["protocol"], "tcp");
    assert_eq!(www["address"], "10.0.0.1");
    assert_eq!(www["port"], 80);
    assert_eq!(www["scheduler"], "wlc");
    assert_eq!(www["persistent"], 3600);
    assert_eq!(www["netmask"], "255.255.255.0");
    let forwards: Vec<&str> = www["reals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["forward"].as_str().unwrap())
        .collect();
    assert_eq!(forwards, ["gate", "masq", "ipip"]);
    assert_eq!(www["reals"][1]["port"], 8080);
    assert_eq!(www["reals"][1]["weight"], 5);
    let fwmark6 = &services[6];
    assert_eq!(fwmark6["fwmark"], 8);
    assert_eq!(fwmark6["family"], "ipv6");
    assert_eq!(fwmark6["scheduler_flags"], serde_json::json!(["mh-port"]));
}

#[test]
#[ignore = "needs an IPVS kernel: scripts/lab"]
fn list_as_a_normal_user_says_to_run_as_root() {
    let _state = namespace();
    let out = Command::new(env!("CARGO_BIN_EXE_ipvsctl"))
        .arg("list")
        .uid(65534)
        .gid(65534)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "error: needs CAP_NET_ADMIN: run as root\n"
    );
    assert!(out.stdout.is_empty());
}
