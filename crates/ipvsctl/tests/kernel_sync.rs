// SPDX-License-Identifier: MIT OR Apache-2.0
//! `ipvsctl sync …` and `[sync]` in apply, against a real IPVS kernel,
//! cross-checked with `ipvsadm -L --daemon`. Run inside the lab.

mod common;

use std::process::Command;

use common::{ipvsadm, ipvsctl, namespace, stderr, stdout, words, write};

fn interface(name: &str) {
    let ok = Command::new("/bin/sh")
        .args([
            "-c",
            &format!(
                "/sbin/ip link add {name} type dummy && /sbin/ip link set {name} multicast on up"
            ),
        ])
        .status()
        .unwrap();
    assert!(ok.success());
}

#[test]
#[ignore = "needs an IPVS kernel: scripts/lab"]
fn sync_start_status_stop_agree_with_ipvsadm() {
    let state = namespace();
    interface("sync0");
    let out = ipvsctl(
        &state,
        &words("sync start --state master --syncid 5 --interface sync0"),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let master = "master sync daemon (mcast=sync0, syncid=5, maxlen=1472, group=224.0.0.81, port=8848, ttl=1)";
    assert_eq!(stdout(&out), format!("started {master}\n"));
    assert_eq!(ipvsadm("-L --daemon"), format!("{master}\n"));

    ipvsadm("--start-daemon backup --mcast-interface sync0 --syncid 7 --mcast-port 8849");
    let status = ipvsctl(&state, &["sync", "status"]);
    assert_eq!(stdout(&status), ipvsadm("-L --daemon"));
    let json: serde_json::Value =
        serde_json::from_str(&stdout(&ipvsctl(&state, &["sync", "status", "--json"]))).unwrap();
    assert_eq!(json[1]["state"], "backup");
    assert_eq!(json[1]["port"], 8849);

    let out = ipvsctl(&state, &["sync", "stop", "--state", "master"]);
    assert_eq!(stdout(&out), "stopped master sync daemon\n");
    assert!(ipvsadm("-L --daemon").starts_with("backup sync daemon"));
    let out = ipvsctl(&state, &["sync", "stop"]);
    assert_eq!(stdout(&out), "stopped backup sync daemon\n");
    assert_eq!(ipvsadm("-L --daemon"), "");
}

#[test]
#[ignore = "needs an IPVS kernel: scripts/lab"]
fn sync_refusals_are_clear() {
    let state = namespace();
    let out = ipvsctl(
        &state,
        &words("sync start --state backup --syncid 1 --interface eth9"),
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        "error: start backup sync daemon (mcast=eth9, syncid=1): no such interface eth9\n"
    );
    interface("sync0");
    let out = ipvsctl(
        &state,
        &words("sync start --state master --syncid 1 --interface sync0 --group 10.1.1.1"),
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        "error: --group 10.1.1.1 is not a multicast address\n"
    );
    let out = ipvsctl(
        &state,
        &words("sync start --state master --syncid 0 --interface sync0"),
    );
    assert!(out.status.success());
    assert_eq!(
        stderr(&out),
        "warning: syncid 0: a backup accepts sync messages of any master\n"
    );
    let out = ipvsctl(
        &state,
        &words("sync start --state master --syncid 256 --interface sync0"),
    );
    assert_eq!(out.status.code(), Some(2), "clap refuses a syncid over 255");
}

#[test]
#[ignore = "needs an IPVS kernel: scripts/lab"]
fn apply_starts_the_sync_daemon_and_restarts_it_only_when_settings_differ() {
    let state = namespace();
    interface("sync0");
    let config = |syncid: u8| {
        format!(
            "[sync]\nstate = \"both\"\nsyncid = {syncid}\ninterface = \"sync0\"\n\n\
             [[virtual]]\naddress = \"10.0.0.1:80\"\n[[virtual.real]]\naddress = \"10.0.0.2\"\n"
        )
    };
    let file = write(&state, "www.toml", &config(1));
    let out = ipvsctl(&state, &["apply", &file]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "+ service tcp 10.0.0.1:80 wlc\n\
         + real 10.0.0.2:80 -> tcp 10.0.0.1:80 gate w1\n\
         + sync master (mcast=sync0, syncid=1)\n\
         + sync backup (mcast=sync0, syncid=1)\n"
    );
    let daemons = ipvsadm("-L --daemon");
    assert!(
        daemons.contains("master sync daemon (mcast=sync0, syncid=1,"),
        "{daemons}"
    );
    assert!(
        daemons.contains("backup sync daemon (mcast=sync0, syncid=1,"),
        "{daemons}"
    );

    assert_eq!(stdout(&ipvsctl(&state, &["apply", &file])), "no changes\n");

    let file = write(&state, "www.toml", &config(2));
    let plan = ipvsctl(&state, &["plan", &file]);
    assert_eq!(plan.status.code(), Some(2));
    let out = ipvsctl(&state, &["apply", &file]);
    assert!(stdout(&out).contains("~ sync master (mcast=sync0, syncid=1, maxlen=1472, group=224.0.0.81, port=8848, ttl=1) -> (mcast=sync0, syncid=2)"), "{}", stdout(&out));
    let daemons = ipvsadm("-L --daemon");
    assert!(
        daemons.contains("master sync daemon (mcast=sync0, syncid=2,"),
        "{daemons}"
    );
    assert!(
        daemons.contains("backup sync daemon (mcast=sync0, syncid=2,"),
        "{daemons}"
    );
}
