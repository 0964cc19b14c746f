// SPDX-License-Identifier: MIT OR Apache-2.0
//! Helpers for kernel tests: a fresh network namespace per test, and
//! `ipvsadm` as the independent reference.

use std::process::{Command, Output};

use ipvs::Ipvs;

/// Moves the calling thread into a new network namespace (its own, empty
/// IPVS table), brings `lo` up and connects.
pub fn namespace() -> Ipvs {
    // SAFETY: unshare has no memory-safety preconditions; CLONE_NEWNET only
    // changes the calling thread's network namespace.
    let rc = unsafe { libc::unshare(libc::CLONE_NEWNET) };
    assert_eq!(
        rc,
        0,
        "unshare(CLONE_NEWNET): {}",
        std::io::Error::last_os_error()
    );
    sh("/sbin/ip link set lo up");
    Ipvs::connect().expect("connect to IPVS")
}

fn run(program: &str, args: &[&str]) -> Output {
    Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {program}: {e}"))
}

/// Runs a shell command line (in this thread's namespace); panics on failure.
pub fn sh(line: &str) -> String {
    let out = run("/bin/sh", &["-c", line]);
    assert!(
        out.status.success(),
        "`{line}` failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Runs ipvsadm with whitespace-separated arguments; panics on failure.
pub fn ipvsadm(args: &str) -> String {
    let args: Vec<&str> = args.split_whitespace().collect();
    let out = run("ipvsadm", &args);
    assert!(
        out.status.success(),
        "ipvsadm {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `ipvsadm -Sn`, as lines.
pub fn saved() -> Vec<String> {
    ipvsadm("-Sn").lines().map(str::to_owned).collect()
}

/// Asserts that `ipvsadm -Sn` prints exactly these lines.
#[track_caller]
pub fn assert_saved(expected: &[&str]) {
    assert_eq!(saved(), expected, "ipvsadm -Sn differs");
}

/// A dummy interface, up and multicast-capable, for sync daemons.
pub fn dummy_interface(name: &str) {
    sh(&format!(
        "/sbin/ip link add {name} type dummy && /sbin/ip link set {name} multicast on up"
    ));
}

/// Parses `a.b.c.d:p` or `[v6]:p`.
pub fn addr(text: &str) -> std::net::SocketAddr {
    text.parse()
        .unwrap_or_else(|e| panic!("bad address {text}: {e}"))
}
