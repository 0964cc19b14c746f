// SPDX-License-Identifier: MIT OR Apache-2.0
//! `[timeouts]`, `[kernel]` and `autoreload` against a real IPVS kernel:
//! `plan` shows the timeouts and sysctls, `apply` and `run` set them, and
//! they read back with `ipvsadm -L --timeout` and from
//! `/proc/sys/net/ipv4/vs` of the test's own network namespace; `run`
//! with `autoreload` takes a file edit (a new real in `ipvsadm -Ln`)
//! without a signal. Run inside the lab (`scripts/test`).

mod common;

use std::process::Command;

use common::daemon::Daemon;
use common::dr_site::wait_for;
use common::{ipvsadm, ipvsctl, namespace, stderr, stdout, write};

const SYSCTLS: [&str; 5] = [
    "expire_nodest_conn",
    "expire_quiescent_template",
    "conn_reuse_mode",
    "sloppy_tcp",
    "sloppy_sctp",
];

/// A sysctl of this thread's namespace, as `cat` shows it.
fn sysctl(name: &str) -> String {
    let out = Command::new("cat")
        .arg(format!("/proc/sys/net/ipv4/vs/{name}"))
        .output()
        .unwrap();
    assert!(out.status.success(), "cat {name}: {}", stderr(&out));
    stdout(&out).trim().to_string()
}

/// `ipvsadm -L --timeout`: `Timeout (tcp tcpfin udp): 900 120 300`.
fn timeouts() -> String {
    ipvsadm("-L --timeout").trim().to_string()
}

const VIRTUAL: &str = r#"
[[virtual]]
address = "10.0.0.1:80"
scheduler = "rr"
check = { type = "none" }

  [[virtual.real]]
  address = "10.0.0.2:80"
"#;

const KNOBS: &str = r#"
[timeouts]
tcp = 7200
tcpfin = 30
udp = 60

[kernel]
expire_nodest_conn = true
expire_quiescent_template = true
conn_reuse_mode = 2
sloppy_tcp = true
sloppy_sctp = true
"#;

#[test]
#[ignore = "needs an IPVS kernel: scripts/lab"]
fn plan_shows_and_apply_sets_the_timeouts_and_sysctls() {
    let state = namespace();
    // A fresh namespace has the kernel's defaults.
    assert_eq!(timeouts(), "Timeout (tcp tcpfin udp): 900 120 300");
    let before: Vec<String> = SYSCTLS.iter().map(|s| sysctl(s)).collect();
    assert_eq!(before, ["0", "0", "1", "0", "0"]);
    let config = write(&state, "knobs.toml", &format!("{KNOBS}{VIRTUAL}"));

    let plan = ipvsctl(&state, &["plan", &config]);
    assert_eq!(plan.status.code(), Some(2), "{}", stderr(&plan));
    let kernel_lines = "~ timeouts tcp 900s -> 7200s, tcpfin 120s -> 30s, udp 300s -> 60s\n\
         ~ sysctl net.ipv4.vs.expire_nodest_conn 0 -> 1\n\
         ~ sysctl net.ipv4.vs.expire_quiescent_template 0 -> 1\n\
         ~ sysctl net.ipv4.vs.conn_reuse_mode 1 -> 2\n\
         ~ sysctl net.ipv4.vs.sloppy_tcp 0 -> 1\n\
         ~ sysctl net.ipv4.vs.sloppy_sctp 0 -> 1\n";
    assert!(stdout(&plan).ends_with(kernel_lines), "{}", stdout(&plan));
    // plan changed nothing.
    assert_eq!(timeouts(), "Timeout (tcp tcpfin udp): 900 120 300");
    assert_eq!(sysctl("conn_reuse_mode"), "1");
    let json = ipvsctl(&state, &["plan", &config, "--json"]);
    let json: serde_json::Value = serde_json::from_str(&stdout(&json)).unwrap();
    assert_eq!(json["kernel"].as_array().unwrap().len(), 6, "{json}");

    let apply = ipvsctl(&state, &["apply", &config]);
    assert!(apply.status.success(), "{}", stderr(&apply));
    assert!(stdout(&apply).ends_with(kernel_lines), "{}", stdout(&apply));
    assert_eq!(timeouts(), "Timeout (tcp tcpfin udp): 7200 30 60");
    let after: Vec<String> = SYSCTLS.iter().map(|s| sysctl(s)).collect();
    assert_eq!(after, ["1", "1", "2", "1", "1"]);

    // In force: nothing to do.
    let plan = ipvsctl(&state, &["plan", &config]);
    assert_eq!(plan.status.code(), Some(0), "{}", stdout(&plan));
    assert_eq!(stdout(&plan), "no changes\n");

    // A value left out keeps the kernel's.
    let config = write(
        &state,
        "knobs.toml",
        &format!("[timeouts]\nudp = 30\n[kernel]\nsloppy_tcp = false\n{VIRTUAL}"),
    );
    let apply = ipvsctl(&state, &["apply", &config]);
    assert!(apply.status.success(), "{}", stderr(&apply));
    assert_eq!(
        stdout(&apply),
        "~ timeouts udp 60s -> 30s\n~ sysctl net.ipv4.vs.sloppy_tcp 1 -> 0\n"
    );
    assert_eq!(timeouts(), "Timeout (tcp tcpfin udp): 7200 30 30");
    let after: Vec<String> = SYSCTLS.iter().map(|s| sysctl(s)).collect();
    assert_eq!(after, ["1", "1", "2", "0", "1"]);
}

#[test]
#[ignore = "needs an IPVS kernel: scripts/lab"]
fn a_value_out_of_range_is_refused_before_anything_is_applied() {
    let state = namespace();
    let config = write(
        &state,
        "bad.toml",
        &format!("[timeouts]\ntcp = 0\n[kernel]\nconn_reuse_mode = 9\n{VIRTUAL}"),
    );
    let apply = ipvsctl(&state, &["apply", &config]);
    assert_eq!(apply.status.code(), Some(1));
    let errors = stderr(&apply);
    assert!(
        errors.contains("bad.toml:2:7: timeouts.tcp: 0 is out of range 1..=2147483"),
        "{errors}"
    );
    assert!(
        errors.contains("bad.toml:4:19: kernel.conn_reuse_mode: 9 is out of range 0..=3"),
        "{errors}"
    );
    assert_eq!(ipvsadm("-Ln").lines().count(), 3, "something was applied");
    assert_eq!(timeouts(), "Timeout (tcp tcpfin udp): 900 120 300");
}

#[test]
#[ignore = "needs an IPVS kernel: scripts/lab"]
fn a_sysctl_the_kernel_lacks_is_an_error_naming_it_and_nothing_is_applied() {
    use std::os::unix::process::CommandExt;
    let state = namespace();
    let config = write(
        &state,
        "old.toml",
        &format!("[timeouts]\ntcp = 60\n[kernel]\nsloppy_sctp = true\n{VIRTUAL}"),
    );
    // An older kernel, as ipvsctl sees it: an empty directory over
    // /proc/sys/net/ipv4/vs, in a mount namespace of the child's own.
    let mut apply = Command::new(env!("CARGO_BIN_EXE_ipvsctl"));
    apply
        .args(["apply", &config])
        .env("IPVSCTL_STATE_DIR", &state);
    // SAFETY: between fork and exec, only system calls.
    unsafe {
        apply.pre_exec(|| {
            let fail = || Err(std::io::Error::last_os_error());
            if libc::unshare(libc::CLONE_NEWNS) != 0 {
                return fail();
            }
            let none = c"none".as_ptr();
            let root = c"/".as_ptr();
            if libc::mount(
                none,
                root,
                std::ptr::null(),
                libc::MS_REC | libc::MS_PRIVATE,
                std::ptr::null(),
            ) != 0
            {
                return fail();
            }
            let vs = c"/proc/sys/net/ipv4/vs".as_ptr();
            if libc::mount(none, vs, c"tmpfs".as_ptr(), 0, std::ptr::null()) != 0 {
                return fail();
            }
            Ok(())
        });
    }
    let out = apply.output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(
        stderr(&out).contains(
            "net.ipv4.vs.sloppy_sctp: no such sysctl (/proc/sys/net/ipv4/vs/sloppy_sctp): \
             this kernel is too old for it, or ip_vs is not loaded"
        ),
        "{}",
        stderr(&out)
    );
    assert_eq!(stdout(&out), "", "something was applied");
    assert_eq!(ipvsadm("-Ln").lines().count(), 3, "the service went in");
    assert_eq!(timeouts(), "Timeout (tcp tcpfin udp): 900 120 300");
    // The namespace's own sysctl is there: the same file applies.
    let apply = ipvsctl(&state, &["apply", &config]);
    assert!(apply.status.success(), "{}", stderr(&apply));
    assert_eq!(sysctl("sloppy_sctp"), "1");
}

impl Daemon {
    /// Waits at most `seconds` for `ready`; fails with the log and table.
    fn until(&self, seconds: u64, what: &str, ready: impl FnMut() -> bool) {
        assert!(
            wait_for(seconds, ready),
            "{what}\n--- daemon log\n{}\n--- ipvsadm -Ln\n{}\n--- {}",
            self.log(),
            ipvsadm("-Ln"),
            timeouts()
        );
    }
}

fn in_table(real: &str) -> bool {
    ipvsadm("-Ln").contains(&format!("-> {real} "))
}

#[test]
#[ignore = "needs an IPVS kernel: scripts/lab"]
fn run_sets_them_and_autoreload_takes_an_edit_without_a_signal() {
    let state = namespace();
    let first = format!("[defaults]\nautoreload = true\n\n[timeouts]\ntcp = 600\n{VIRTUAL}");
    let config = write(&state, "www.toml", &first);
    let daemon = Daemon::start(&state, &config);
    daemon.until(30, "the daemon did not start", || {
        daemon.log().contains("running: ")
    });
    daemon.until(15, "the timeouts were not set", || {
        timeouts() == "Timeout (tcp tcpfin udp): 600 120 300"
    });
    daemon.until(15, "10.0.0.2:80 not in the table", || {
        in_table("10.0.0.2:80")
    });
    assert!(
        daemon.log().contains("autoreload: watching"),
        "{}",
        daemon.log()
    );

    // An editor's save: a new file renamed over the old one. No signal.
    let second = format!(
        "{}\n  [[virtual.real]]\n  address = \"10.0.0.3:80\"\n\n[kernel]\nexpire_quiescent_template = true\n",
        first.trim_end()
    );
    let temporary = write(&state, ".www.toml.new", &second);
    std::fs::rename(&temporary, &config).unwrap();
    daemon.until(30, "the edit was not reloaded", || in_table("10.0.0.3:80"));
    daemon.until(15, "expire_quiescent_template not set", || {
        sysctl("expire_quiescent_template") == "1"
    });
    let log = daemon.log();
    assert!(
        log.contains("autoreload: the configuration changed"),
        "{log}"
    );
    assert!(
        log.contains("~ sysctl net.ipv4.vs.expire_quiescent_template 0 -> 1"),
        "{log}"
    );

    // A broken save is refused; the table stays as it is.
    std::fs::write(&config, second.replace("\"rr\"", "\"wlcx\"")).unwrap();
    daemon.until(30, "the broken edit was not refused", || {
        daemon.log().contains("reload refused")
    });
    assert!(in_table("10.0.0.3:80"));
    assert!(in_table("10.0.0.2:80"));
}
