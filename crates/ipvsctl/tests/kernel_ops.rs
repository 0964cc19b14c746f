// SPDX-License-Identifier: MIT OR Apache-2.0
//! Day-to-day operations on `ipvsctl run` with real direct-routing traffic
//! (the site of `common::dr_site`): a drain that lets a held connection
//! finish while new ones avoid the real, `drain --wait`, an override that
//! survives a reload and a restart, and a maintenance file. Read back with
//! `ipvsadm -Ln`. Run inside the lab (`scripts/test`).

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

use common::dr_site::{finish, wait_for, Site};
use common::{ipvsadm, ipvsctl, namespace, stderr, stdout, write};

const R1: &str = "192.168.0.4:80";
const R2: &str = "192.168.0.5:80";

/// The site's configuration: an HTTP check every 0.5 s, rr, the sorry page
/// as fallback, and maintenance files in `maintenance`.
fn www(maintenance: &Path) -> String {
    format!(
        r#"[defaults]
quiescent = false
maintenance_dir = "{}"

[[virtual]]
name = "www"
address = "192.168.0.3:80"
scheduler = "rr"
fallback = "127.0.0.1:80"
check = {{ type = "http", request = "/alive.html", receive = "OK", interval = 0.5, timeout = 0.5, rise = 1, fall = 2 }}

  [[virtual.real]]
  address = "192.168.0.4:80"

  [[virtual.real]]
  address = "192.168.0.5:80"
"#,
        maintenance.display()
    )
}

/// A real's line of `ipvsadm -Ln` as (weight, active connections).
fn entry(real: &str) -> Option<(u32, u32)> {
    let needle = format!("-> {real} ");
    let table = ipvsadm("-Ln");
    let line = table.lines().find(|line| line.contains(&needle))?;
    let words: Vec<&str> = line.split_whitespace().collect();
    Some((words.get(3)?.parse().ok()?, words.get(4)?.parse().ok()?))
}

/// `ipvsctl run` with its site; fields drop in order: the daemon first.
struct Director {
    daemon: Child,
    site: Site,
    state: PathBuf,
    config: String,
}

impl Director {
    fn start() -> Director {
        let state = namespace();
        let maintenance = state.join("maintenance");
        std::fs::create_dir_all(&maintenance).unwrap();
        let site = Site::new(&state);
        let config = write(&state, "www.toml", &www(&maintenance));
        let daemon = run(&state, &config, "daemon.log");
        let director = Director {
            daemon,
            site,
            state,
            config,
        };
        director.until(15, "both reals in the table", || {
            entry(R1) == Some((1, 0)) && entry(R2) == Some((1, 0))
        });
        director
    }

    fn log(&self) -> String {
        let mut text = String::new();
        for name in ["daemon.log", "daemon-2.log"] {
            text += &std::fs::read_to_string(self.state.join(name)).unwrap_or_default();
        }
        text
    }

    /// Fails the test unless `ok`, with the log and the table.
    fn check(&self, ok: bool, what: &str) {
        assert!(
            ok,
            "{what}\n--- daemon log\n{}\n--- ipvsadm -Ln\n{}",
            self.log(),
            ipvsadm("-Ln")
        );
    }

    fn until(&self, seconds: u64, what: &str, ready: impl FnMut() -> bool) {
        self.check(wait_for(seconds, ready), what);
    }

    fn ipvsctl(&self, args: &[&str]) -> Output {
        let out = ipvsctl(&self.state, args);
        self.check(
            out.status.success(),
            &format!("ipvsctl {args:?}: {}{}", stdout(&out), stderr(&out)),
        );
        out
    }

    /// A held connection, and the real it went to.
    fn held(&self) -> (std::net::TcpStream, &'static str) {
        let stream = self.site.hold();
        let mut real = None;
        self.until(5, "the held connection is not active on a real", || {
            real = [R1, R2]
                .into_iter()
                .find(|r| entry(r).is_some_and(|(_, active)| active == 1));
            real.is_some()
        });
        (stream, real.unwrap())
    }
}

impl Drop for Director {
    fn drop(&mut self) {
        let _ = self.daemon.kill();
        let _ = self.daemon.wait();
    }
}

fn run(state: &Path, config: &str, log: &str) -> Child {
    let file = std::fs::File::create(state.join(log)).unwrap();
    Command::new(env!("CARGO_BIN_EXE_ipvsctl"))
        .args(["run", config])
        .env("IPVSCTL_STATE_DIR", state)
        .stdin(Stdio::null())
        .stdout(file.try_clone().unwrap())
        .stderr(file)
        .spawn()
        .unwrap()
}

fn other(real: &str) -> &'static str {
    if real == R1 {
        R2
    } else {
        R1
    }
}

fn served_by(real: &str) -> &'static str {
    if real == R1 {
        "served by r1"
    } else {
        "served by r2"
    }
}

#[test]
#[ignore = "needs an IPVS kernel: scripts/lab"]
fn a_drained_real_finishes_its_connection_while_new_ones_go_elsewhere() {
    let director = Director::start();
    let (stream, real) = director.held();
    let out = director.ipvsctl(&["drain", real, "--reason", "kernel update"]);
    assert_eq!(
        stdout(&out),
        format!("drained {real} in tcp 192.168.0.3:80\n")
    );
    director.until(5, "the drained real has not weight 0", || {
        entry(real) == Some((0, 1))
    });
    let answers = director.site.answers(6);
    director.check(
        answers == format!("{};", served_by(other(real))),
        &format!("new connections reached the drained real: {answers}"),
    );
    // The established connection goes on, to the drained real.
    let answer = finish(stream).unwrap();
    director.check(
        answer == served_by(real),
        &format!("the held connection got {answer:?}"),
    );
    let status = stdout(&director.ipvsctl(&["status"]));
    director.check(
        status.contains("drained by root") && status.contains(": kernel update"),
        &format!("status does not show the drain:\n{status}"),
    );
    director.ipvsctl(&["enable", real]);
    director.until(5, "enabled, the real is not back", || {
        entry(real).is_some_and(|(weight, _)| weight == 1)
    });
    director.check(
        director.log().contains(&format!(
            "real {real} of tcp 192.168.0.3:80 drained by root: kernel update"
        )),
        "the log does not say who drained it",
    );
}

#[test]
#[ignore = "needs an IPVS kernel: scripts/lab"]
fn drain_wait_returns_when_the_last_connection_ends_and_the_real_is_out() {
    let director = Director::start();
    let (stream, real) = director.held();
    let mut waiting = Command::new(env!("CARGO_BIN_EXE_ipvsctl"))
        .args(["drain", real, "--wait=60s"])
        .env("IPVSCTL_STATE_DIR", &director.state)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    director.until(5, "the drained real has not weight 0", || {
        entry(real) == Some((0, 1))
    });
    // The connection is still active: the client cannot be done.
    director.check(
        matches!(waiting.try_wait(), Ok(None)),
        "drain --wait returned while a connection was active",
    );
    director.check(finish(stream).is_ok(), "the held connection failed");
    let mut exited = None;
    director.until(20, "drain --wait did not return", || {
        exited = waiting.try_wait().unwrap();
        exited.is_some()
    });
    let out = waiting.wait_with_output().unwrap();
    let text = format!("{}{}", stdout(&out), stderr(&out));
    director.check(out.status.success(), &text);
    director.check(text.contains("no active connections left"), &text);
    director.check(
        text.ends_with(&format!("disabled {real} in tcp 192.168.0.3:80\n")),
        &text,
    );
    director.check(entry(real).is_none(), "the drained real is still in");
    director.check(
        entry(other(real)).is_some_and(|(weight, _)| weight == 1),
        "the other real is not in",
    );
}

#[test]
#[ignore = "needs an IPVS kernel: scripts/lab"]
fn an_override_survives_a_reload_and_a_restart() {
    let mut director = Director::start();
    director.ipvsctl(&["weight", "192.168.0.4", "3", "--virtual", "www"]);
    director.until(5, "the weight is not 3", || {
        entry(R1).is_some_and(|(w, _)| w == 3)
    });
    director.ipvsctl(&["disable", R2]);
    director.until(5, "192.168.0.5:80 is still in", || entry(R2).is_none());
    let reply = stdout(&director.ipvsctl(&["reload"]));
    director.check(reply.contains("reloaded"), &reply);
    director.check(
        entry(R1).is_some_and(|(w, _)| w == 3) && entry(R2).is_none(),
        "the reload undid an override",
    );
    // A restart (kill -9: what a crash does).
    let _ = director.daemon.kill();
    let _ = director.daemon.wait();
    director.daemon = run(&director.state, &director.config, "daemon-2.log");
    director.until(15, "the daemon did not start again", || {
        director.log().matches("running: ").count() == 2
    });
    // Its checks go on: a few rounds, and the table stays as it was.
    director.until(
        15,
        "192.168.0.4:80 was not checked after the restart",
        || stdout(&ipvsctl(&director.state, &["status", "--json"])).contains("\"ok\": true"),
    );
    director.check(
        entry(R1).is_some_and(|(w, _)| w == 3) && entry(R2).is_none(),
        "the restart undid an override",
    );
    let json = stdout(&director.ipvsctl(&["status", "--json"]));
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    let shown = &json["virtuals"][0]["reals"][1]["override"];
    assert_eq!(shown["action"], "disable", "{json}");
    assert_eq!(shown["who"], "root", "{json}");
    director.ipvsctl(&["enable", "192.168.0.4"]);
    director.ipvsctl(&["enable", "192.168.0.5"]);
    director.until(10, "enabled, the reals are not back as configured", || {
        entry(R1).is_some_and(|(w, _)| w == 1) && entry(R2).is_some_and(|(w, _)| w == 1)
    });
    let unknown = ipvsctl(&director.state, &["drain", "192.168.0.9"]);
    assert_eq!(unknown.status.code(), Some(1));
    assert_eq!(
        stderr(&unknown),
        "error: the daemon says: no real `192.168.0.9`; the reals are: 192.168.0.4:80, 192.168.0.5:80\n"
    );
}

#[test]
#[ignore = "needs an IPVS kernel: scripts/lab"]
fn a_maintenance_file_takes_a_real_out_and_its_removal_brings_it_back() {
    let director = Director::start();
    let file = director.state.join("maintenance").join("192.168.0.4");
    std::fs::write(&file, "").unwrap();
    director.until(15, "192.168.0.4:80 stayed in", || entry(R1).is_none());
    director.check(
        director.site.answers(4) == "served by r2;",
        "the real in maintenance still serves",
    );
    let status = stdout(&director.ipvsctl(&["status"]));
    director.check(
        status.contains(&format!("in maintenance file {}", file.display())),
        &status,
    );
    std::fs::remove_file(&file).unwrap();
    director.until(15, "192.168.0.4:80 did not come back", || {
        entry(R1).is_some_and(|(w, _)| w == 1)
    });
    director.check(
        director.log().contains("out of maintenance"),
        "the log does not say it",
    );
}
