// SPDX-License-Identifier: MIT OR Apache-2.0
//! Hooks with real direct-routing traffic (the site of `common::dr_site`):
//! `ipvsctl run` with a hook that appends its environment to a log; the
//! reals' web servers stopped and started again; the log read block by
//! block against what `ipvsadm` shows. Run inside the lab (`scripts/test`).

mod common;

use std::path::{Path, PathBuf};

use common::daemon::Daemon;
use common::dr_site::{wait_for, Site};
use common::{ipvsadm, namespace, write};

const R1: &str = "192.168.0.4:80";
const R2: &str = "192.168.0.5:80";
const FALLBACK: &str = "127.0.0.1:80";
const SERVICE: &str = "tcp 192.168.0.3:80";

/// The site's configuration with one hook on every event, run one at a
/// time so that the log keeps the order of the events.
fn www(hook: &str) -> String {
    format!(
        r#"[defaults]
hooks_max_running = 1

[[hook]]
events = "*"
command = ["{hook}", "{{event}}", "{{real}}"]
timeout = 10

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
"#
    )
}

/// One run of the hook: its arguments and its `IPVSCTL_*` variables.
#[derive(Debug)]
struct Run {
    args: String,
    env: Vec<(String, String)>,
}

impl Run {
    fn var(&self, name: &str) -> &str {
        self.env
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    }
}

/// The hook's log: blocks of `args: …`, then `IPVSCTL_…=…` lines, then
/// `--`.
fn runs(log: &Path) -> Vec<Run> {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let mut runs = Vec::new();
    let mut current: Option<Run> = None;
    for line in text.lines() {
        if let Some(args) = line.strip_prefix("args: ") {
            current = Some(Run {
                args: args.to_string(),
                env: Vec::new(),
            });
        } else if line == "--" {
            runs.extend(current.take());
        } else if let (Some(run), Some((k, v))) = (current.as_mut(), line.split_once('=')) {
            run.env.push((k.to_string(), v.to_string()));
        }
    }
    runs
}

fn in_table(real: &str) -> bool {
    let needle = format!("-> {real} ");
    ipvsadm("-Ln").lines().any(|line| line.contains(&needle))
}

struct Lab {
    daemon: Daemon,
    site: Site,
    hook_log: PathBuf,
}

impl Lab {
    fn context(&self) -> String {
        let log = self.daemon.log();
        let lines: Vec<&str> = log.lines().collect();
        let tail = lines[lines.len().saturating_sub(20)..].join("\n");
        let hooks = std::fs::read_to_string(&self.hook_log).unwrap_or_default();
        format!(
            "--- daemon log (last 20 lines)\n{tail}\n--- hook log\n{hooks}\n--- ipvsadm -Ln\n{}",
            ipvsadm("-Ln")
        )
    }

    /// Waits until the hook has run `n` times; those runs.
    fn runs(&self, n: usize, what: &str) -> Vec<Run> {
        let ok = wait_for(20, || runs(&self.hook_log).len() >= n);
        assert!(
            ok,
            "{what}: the hook did not run {n} times\n{}",
            self.context()
        );
        runs(&self.hook_log)
    }

    fn until(&self, what: &str, ready: impl FnMut() -> bool) {
        assert!(wait_for(20, ready), "{what}\n{}", self.context());
    }
}

/// Checks run `run` was `event` on `real`, with its variables.
fn expect(run: &Run, event: &str, real: &str, health: &str) {
    assert_eq!(run.args, format!("{event} {real}"), "{run:?}");
    assert_eq!(run.var("IPVSCTL_EVENT"), event, "{run:?}");
    assert_eq!(run.var("IPVSCTL_REAL"), real, "{run:?}");
    assert_eq!(run.var("IPVSCTL_HEALTH"), health, "{run:?}");
    assert_eq!(run.var("IPVSCTL_SERVICE"), SERVICE, "{run:?}");
    assert_eq!(run.var("IPVSCTL_VIRTUAL"), "192.168.0.3:80", "{run:?}");
    assert_eq!(run.var("IPVSCTL_PROTOCOL"), "tcp", "{run:?}");
    assert_eq!(run.var("IPVSCTL_VIRTUAL_NAME"), "www", "{run:?}");
    assert!(run.var("IPVSCTL_TIME").parse::<u64>().is_ok(), "{run:?}");
}

#[test]
#[ignore = "needs IPVS: run inside the lab (scripts/test)"]
fn a_hook_logs_a_reals_death_and_the_fallback_going_in_and_out() {
    let state = namespace();
    let site = Site::new(&state);
    let hook_log = state.join("hook.log");
    let hook = write(
        &state,
        "hook.sh",
        &format!(
            "#!/bin/sh\n{{ echo \"args: $*\"; env | grep '^IPVSCTL_' | sort; echo --; }} >> '{}'\n",
            hook_log.display()
        ),
    );
    std::fs::set_permissions(&hook, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let config = write(&state, "www.toml", &www(&hook));
    let daemon = Daemon::start(&state, &config);
    let mut lab = Lab {
        daemon,
        site,
        hook_log,
    };
    // Start: each real's first good check.
    lab.until("both reals in", || in_table(R1) && in_table(R2));
    let start = lab.runs(2, "start");
    let mut first: Vec<&str> = start.iter().map(|r| r.var("IPVSCTL_REAL")).collect();
    first.sort_unstable();
    assert_eq!(first, [R1, R2], "{start:?}");
    for run in &start {
        expect(run, "real-up", run.var("IPVSCTL_REAL"), "up");
    }
    // The virtual's first change of health since the start.
    assert_eq!(
        start[0].var("IPVSCTL_DAEMON_STATE"),
        "starting",
        "{start:?}"
    );
    // r1 dies: its real-down, nothing about the fallback.
    lab.site.stop("r1");
    lab.until("r1 stayed in", || !in_table(R1));
    let runs = lab.runs(3, "r1 down");
    expect(&runs[2], "real-down", R1, "down");
    assert_eq!(runs[2].var("IPVSCTL_DAEMON_STATE"), "running");
    assert!(!runs[2].var("IPVSCTL_REASON").is_empty(), "{:?}", runs[2]);
    // r2 dies: its real-down, then the fallback goes in.
    lab.site.stop("r2");
    lab.until("the fallback did not go in", || {
        !in_table(R2) && in_table(FALLBACK)
    });
    let runs = lab.runs(5, "r2 down, fallback in");
    expect(&runs[3], "real-down", R2, "down");
    expect(&runs[4], "fallback-in", FALLBACK, "");
    assert_eq!(
        lab.site.answers(3),
        "sorry, no server is up;",
        "{}",
        lab.context()
    );
    // r1 comes back: its real-up, then the fallback goes out.
    lab.site.start("r1");
    lab.until("the fallback stayed in", || {
        in_table(R1) && !in_table(FALLBACK)
    });
    let runs = lab.runs(7, "r1 up, fallback out");
    expect(&runs[5], "real-up", R1, "up");
    expect(&runs[6], "fallback-out", FALLBACK, "");
    assert_eq!(runs.len(), 7, "{runs:?}");
    // The daemon logged each run.
    let log = lab.daemon.log();
    assert!(
        log.contains(&format!("hook {hook} on fallback-in: exit status 0")),
        "{}",
        lab.context()
    );
}
