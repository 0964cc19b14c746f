// SPDX-License-Identifier: MIT OR Apache-2.0
//! Two daemons in two network namespaces of one host, with nothing set in
//! the environment (no `IPVSCTL_STATE_DIR`, no `IPVSCTL_SOCKET`): each
//! answers its own `status`, `reload` and `drain` on its namespace's
//! abstract socket and keeps its overrides in its namespace's file; a
//! second `run` in a namespace is refused, naming the first (pid and
//! namespace); `apply`, `remove` and `flush` are refused while a daemon
//! runs, `apply --force` is not, and after the daemon stops they all are
//! accepted. Tables are checked with `ipvsadm -Sn` in each namespace. Run
//! inside the lab (`scripts/test`).

mod common;

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

use common::dr_site::wait_for;
use common::{stderr, stdout, write};

const BIN: &str = env!("CARGO_BIN_EXE_ipvsctl");

/// Site A: a virtual whose real is always up, and one whose real is
/// always down (`off`), so that an apply's harm shows.
const A: &str = r#"
[defaults]
quiescent = false

[[virtual]]
name = "www"
address = "10.0.0.1:80"
scheduler = "rr"
check = { type = "none" }
  [[virtual.real]]
  address = "10.0.0.2:80"

[[virtual]]
name = "dead"
address = "10.0.0.1:81"
scheduler = "rr"
check = { type = "off" }
  [[virtual.real]]
  address = "10.0.0.3:81"
"#;

const A_SAVED: &[&str] = &[
    "-A -t 10.0.0.1:80 -s rr",
    "-a -t 10.0.0.1:80 -r 10.0.0.2:80 -g -w 1",
    "-A -t 10.0.0.1:81 -s rr",
];

/// Site B: another virtual, in the other namespace.
const B: &str = r#"
[[virtual]]
name = "mail"
address = "10.0.0.9:25"
scheduler = "wlc"
check = { type = "none" }
  [[virtual.real]]
  address = "10.0.0.10:25"
"#;

const B_SAVED: &[&str] = &[
    "-A -t 10.0.0.9:25 -s wlc",
    "-a -t 10.0.0.9:25 -r 10.0.0.10:25 -g -w 1",
];

/// A named network namespace (`ip netns add`), `lo` up; deleted on drop
/// with what ipvsctl kept for it.
struct Netns {
    name: String,
}

impl Netns {
    fn new(name: &str) -> Netns {
        let _ = Command::new("ip")
            .args(["netns", "del", name])
            .stderr(Stdio::null())
            .status();
        ip(&["netns", "add", name]);
        ip(&["-n", name, "link", "set", "lo", "up"]);
        Netns {
            name: name.to_string(),
        }
    }

    /// The kernel's number for it.
    fn inode(&self) -> u64 {
        std::fs::metadata(format!("/run/netns/{}", self.name))
            .unwrap()
            .ino()
    }

    /// `net:[N] (ip netns NAME)`, as ipvsctl names it.
    fn described(&self) -> String {
        format!("net:[{}] (ip netns {})", self.inode(), self.name)
    }

    /// Where its overrides are kept.
    fn overrides(&self) -> PathBuf {
        Path::new("/var/lib/ipvsctl/netns").join(&self.name)
    }

    /// A command run in it, with no ipvsctl variable set.
    fn command(&self, program: &str) -> Command {
        let mut command = Command::new("ip");
        command
            .args(["netns", "exec", &self.name, program])
            .env_remove("IPVSCTL_STATE_DIR")
            .env_remove("IPVSCTL_SOCKET")
            .env_remove("IPVSCTL_OVERRIDES_DIR");
        command
    }

    /// `ipvsctl ARGS` in it.
    fn ipvsctl(&self, args: &[&str]) -> Output {
        self.command(BIN).args(args).output().unwrap()
    }

    /// `ipvsadm -Sn` in it, as lines.
    fn saved(&self) -> Vec<String> {
        let out = self.command("ipvsadm").arg("-Sn").output().unwrap();
        assert!(out.status.success(), "ipvsadm: {}", stderr(&out));
        stdout(&out).lines().map(str::to_owned).collect()
    }

    /// `ipvsctl run CONFIG` in it, logging to `log`.
    fn run(&self, config: &str, log: &Path) -> Child {
        let file = std::fs::File::create(log).unwrap();
        self.command(BIN)
            .args(["run", config])
            .stdin(Stdio::null())
            .stdout(file.try_clone().unwrap())
            .stderr(file)
            .spawn()
            .unwrap()
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(format!("/run/ipvsctl/managed-{}", self.inode()));
        let _ = std::fs::remove_dir_all(self.overrides());
        let _ = Command::new("ip")
            .args(["netns", "del", &self.name])
            .status();
    }
}

/// A daemon child, killed on drop.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn ip(args: &[&str]) {
    let out = Command::new("ip").args(args).output().unwrap();
    assert!(out.status.success(), "ip {args:?}: {}", stderr(&out));
}

/// The virtuals `status --json` lists, in its order.
fn status_virtuals(ns: &Netns) -> Option<Vec<String>> {
    let out = ns.ipvsctl(&["status", "--json"]);
    if !out.status.success() {
        return None;
    }
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).ok()?;
    json["virtuals"]
        .as_array()?
        .iter()
        .map(|v| v["service"].as_str().map(str::to_owned))
        .collect()
}

fn lines(saved: &[&str]) -> Vec<String> {
    saved.iter().map(|l| l.to_string()).collect()
}

#[test]
#[ignore = "needs an IPVS kernel: scripts/lab"]
fn two_daemons_in_two_namespaces_each_answer_for_their_own() {
    let dir = std::env::temp_dir().join(format!("ipvsctl-netns-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let a = Netns::new("ipvsctl-a");
    let b = Netns::new("ipvsctl-b");
    let a_config = write(&dir, "a.toml", A);
    let b_config = write(&dir, "b.toml", B);
    let a_log = dir.join("a.log");
    let log = |path: &Path| std::fs::read_to_string(path).unwrap_or_default();
    let mut a_daemon = Running(a.run(&a_config, &a_log));
    let b_daemon = Running(b.run(&b_config, &dir.join("b.log")));

    // Each answers for its own namespace.
    assert!(
        wait_for(20, || status_virtuals(&a).is_some()
            && status_virtuals(&b).is_some()),
        "the daemons did not answer\nA: {}\nB: {}",
        log(&a_log),
        log(&dir.join("b.log"))
    );
    assert_eq!(
        status_virtuals(&a).unwrap(),
        ["tcp 10.0.0.1:80", "tcp 10.0.0.1:81"]
    );
    assert_eq!(status_virtuals(&b).unwrap(), ["tcp 10.0.0.9:25"]);
    for (ns, daemon) in [(&a, &a_daemon), (&b, &b_daemon)] {
        assert_eq!(
            stdout(&ns.ipvsctl(&["status", "--pid"])),
            format!("{}\n", daemon.0.id())
        );
    }
    assert!(
        wait_for(10, || a.saved() == lines(A_SAVED)),
        "{:?}",
        a.saved()
    );
    assert!(
        wait_for(10, || b.saved() == lines(B_SAVED)),
        "{:?}",
        b.saved()
    );
    // Nothing shared: no socket file, and the record is per namespace.
    assert!(!Path::new("/run/ipvsctl/ipvsctl.sock").exists());
    for ns in [&a, &b] {
        assert!(
            Path::new(&format!("/run/ipvsctl/managed-{}", ns.inode())).exists(),
            "no record for {}",
            ns.name
        );
    }

    // A reload in A changes A's table only.
    std::fs::write(
        &a_config,
        A.replace(
            "  address = \"10.0.0.2:80\"\n",
            "  address = \"10.0.0.2:80\"\n  [[virtual.real]]\n  address = \"10.0.0.4:80\"\n",
        ),
    )
    .unwrap();
    let reload = a.ipvsctl(&["reload"]);
    assert!(reload.status.success(), "{}", stderr(&reload));
    let mut a_saved = lines(A_SAVED);
    a_saved.insert(2, "-a -t 10.0.0.1:80 -r 10.0.0.4:80 -g -w 1".into());
    assert!(
        wait_for(10, || a.saved() == a_saved),
        "{:?}\n{}",
        a.saved(),
        log(&a_log)
    );
    let reload = b.ipvsctl(&["reload"]);
    assert!(reload.status.success(), "{}", stderr(&reload));
    assert_eq!(b.saved(), lines(B_SAVED));

    // A drain in B is kept in B's file, not A's, nor the host's.
    let drain = b.ipvsctl(&["drain", "10.0.0.10"]);
    assert!(drain.status.success(), "{}", stderr(&drain));
    let kept = std::fs::read_to_string(b.overrides().join("overrides.json")).unwrap();
    assert!(kept.contains("10.0.0.10:25"), "{kept}");
    let a_kept = std::fs::read_to_string(a.overrides().join("overrides.json")).unwrap_or_default();
    assert!(!a_kept.contains("10.0.0.10"), "{a_kept}");
    let host_kept = std::fs::read_to_string("/var/lib/ipvsctl/overrides.json").unwrap_or_default();
    assert!(!host_kept.contains("10.0.0.10"), "{host_kept}");
    assert!(
        wait_for(10, || b.saved()
            == [
                "-A -t 10.0.0.9:25 -s wlc",
                "-a -t 10.0.0.9:25 -r 10.0.0.10:25 -g -w 0"
            ]),
        "{:?}",
        b.saved()
    );

    // A second daemon in A: refused, naming the first.
    let second = a.command(BIN).args(["run", &a_config]).output().unwrap();
    assert_eq!(second.status.code(), Some(1), "{}", stderr(&second));
    let said = stderr(&second);
    let holder = format!("pid {}, {}", a_daemon.0.id(), a.described());
    assert!(
        said.contains(&format!(
            "another `ipvsctl run` is already running in this network namespace ({holder}); \
             stop it first"
        )),
        "{said}"
    );

    // apply, remove and flush: refused while A's daemon runs.
    for args in [
        &["apply", &a_config][..],
        &["remove", &a_config],
        &["flush", "--yes"],
    ] {
        let out = a.ipvsctl(args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert!(
            stderr(&out).starts_with(&format!(
                "error: an ipvsctl daemon manages this network namespace ({holder}): "
            )),
            "{args:?}: {}",
            stderr(&out)
        );
        assert_eq!(a.saved(), a_saved, "{args:?}");
    }
    assert!(stderr(&a.ipvsctl(&["apply", &a_config])).contains("`ipvsctl reload`"));
    // --force: applied, the dead real put in, as the refusal warns.
    let forced = a.ipvsctl(&["apply", "--force", &a_config]);
    assert!(forced.status.success(), "{}", stderr(&forced));
    assert_eq!(
        stdout(&forced),
        "+ real 10.0.0.3:81 -> tcp 10.0.0.1:81 gate w1\n"
    );

    // Once A's daemon has stopped: accepted.
    // SAFETY: a signal to our own child.
    unsafe { libc::kill(a_daemon.0.id() as libc::pid_t, libc::SIGTERM) };
    let stopped = a_daemon.0.wait().unwrap();
    assert!(stopped.success(), "{}", log(&a_log));
    let applied = a.ipvsctl(&["apply", &a_config]);
    assert!(applied.status.success(), "{}", stderr(&applied));
    assert_eq!(stdout(&applied), "no changes\n");
    let removed = a.ipvsctl(&["remove", &a_config]);
    assert!(removed.status.success(), "{}", stderr(&removed));
    assert!(a.saved().is_empty(), "{:?}", a.saved());
    // B went on all along.
    assert_eq!(status_virtuals(&b).unwrap(), ["tcp 10.0.0.9:25"]);
    assert_eq!(
        b.saved(),
        [
            "-A -t 10.0.0.9:25 -s wlc",
            "-a -t 10.0.0.9:25 -r 10.0.0.10:25 -g -w 0"
        ]
    );
    let _ = std::fs::remove_dir_all(&dir);
}
