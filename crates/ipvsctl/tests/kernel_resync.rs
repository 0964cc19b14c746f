// SPDX-License-Identifier: MIT OR Apache-2.0
//! The table repairs itself, on the kernel (issue 13, sections 3 and 4):
//! `ipvsadm -d`, `-e`, `-a`, `-E`, `-D` and `-C` on the services
//! `ipvsctl run` manages are undone by the next resync (every `[defaults]
//! resync`, or at once with `ipvsctl resync`), each repair logged with
//! what was found; a foreign service with its real stays as it was. A
//! scheduler module that cannot be loaded is logged, the daemon goes on,
//! and the next resync after the module is back puts the service in. A
//! hundred SIGHUPs in a second while a check hangs lose no transition and
//! repeat no operation. Each asserts the table against `ipvsadm -Sn`. And
//! the cost of one resync at 2,000 services × 5 reals, next to `ipvsadm
//! -Ln` of the same table. Run inside the lab (`scripts/test`).

mod common;

use std::io::Write;
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use common::daemon::Daemon;
use common::dr_site::{ip, wait_for, Site};
use common::{ipvsadm, ipvsctl, namespace, saved, stdout, write};

const WWW: &str = "192.168.0.3:80";
const MAIL: &str = "192.168.0.3:25";
const R1: &str = "192.168.0.4:80";
const R2: &str = "192.168.0.5:80";

/// www (rr, two reals, HTTP checks) and mail (sh, one real checked on
/// r1's web server), with `defaults` in `[defaults]`; `extra` is appended.
fn site(defaults: &str, extra: &str) -> String {
    format!(
        r#"[defaults]
{defaults}

[[virtual]]
name = "www"
address = "192.168.0.3:80"
scheduler = "rr"
check = {{ type = "http", request = "/alive.html", receive = "OK", interval = 0.5, timeout = 0.5, rise = 1, fall = 2 }}

  [[virtual.real]]
  address = "192.168.0.4:80"

  [[virtual.real]]
  address = "192.168.0.5:80"

[[virtual]]
name = "mail"
address = "192.168.0.3:25"
scheduler = "sh"
check = {{ type = "connect", port = 80, interval = 0.5, timeout = 0.5 }}

  [[virtual.real]]
  address = "192.168.0.4:25"
{extra}"#
    )
}

/// The table as `ipvsadm -Sn` saves it, sorted (the kernel lists services
/// in its hash order).
fn table() -> Vec<String> {
    let mut lines = saved();
    lines.sort();
    lines
}

/// `ipvsadm -Sn` of the declared table, every real up.
fn declared() -> Vec<String> {
    let mut lines: Vec<String> = [
        "-A -t 192.168.0.3:25 -s sh",
        "-a -t 192.168.0.3:25 -r 192.168.0.4:25 -g -w 1",
        "-A -t 192.168.0.3:80 -s rr",
        "-a -t 192.168.0.3:80 -r 192.168.0.4:80 -g -w 1",
        "-a -t 192.168.0.3:80 -r 192.168.0.5:80 -g -w 1",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    lines.sort();
    lines
}

/// `ipvsadm` with whitespace-separated arguments.
fn by_hand(args: &str) {
    ipvsadm(args);
}

/// A foreign service with its own real: `ipvsctl run` does not manage it.
const FOREIGN: [&str; 2] = [
    "-A -t 192.168.0.9:80 -s wlc",
    "-a -t 192.168.0.9:80 -r 192.168.0.4:80 -g -w 1",
];

fn add_foreign() {
    for line in FOREIGN {
        by_hand(line);
    }
}

fn with_foreign() -> Vec<String> {
    let mut lines = declared();
    lines.extend(FOREIGN.iter().map(|s| s.to_string()));
    lines.sort();
    lines
}

/// The site with `ipvsctl run` in front of it; the daemon drops first.
struct Director {
    daemon: Daemon,
    site: Site,
    state: PathBuf,
}

impl Director {
    fn start(defaults: &str, extra: &str) -> Director {
        Self::start_with(&site(defaults, extra))
    }

    /// The site, with `text` as the daemon's configuration.
    fn start_with(text: &str) -> Director {
        let state = namespace();
        let config = write(&state, "site.toml", text);
        let site = Site::new(&state);
        let daemon = Daemon::start(&state, &config);
        Director {
            daemon,
            site,
            state,
        }
    }

    fn check(&self, ok: bool, what: &str) {
        assert!(ok, "{what}\n{}", self.daemon.context());
    }

    fn until(&self, seconds: u64, what: &str, ready: impl FnMut() -> bool) {
        self.check(wait_for(seconds, ready), what);
    }

    /// Waits until the table is `wanted`.
    fn until_table(&self, wanted: &[String], what: &str) {
        let mut last = Vec::new();
        let ok = wait_for(20, || {
            last = table();
            last == wanted
        });
        self.check(
            ok,
            &format!("{what}: the table is\n{last:#?}\nwanted\n{wanted:#?}"),
        );
    }

    fn logged(&self, line: &str) {
        let log = self.daemon.log();
        self.check(
            log.contains(line),
            &format!("the log does not say {line:?}"),
        );
    }

    fn ipvsctl(&self, args: &[&str]) -> std::process::Output {
        ipvsctl(&self.state, args)
    }
}

#[test]
#[ignore = "needs an IPVS kernel: scripts/lab"]
fn what_ipvsadm_changes_is_restored_within_a_period_and_foreign_services_stay() {
    let director = Director::start("resync = 1", "");
    director.until_table(&declared(), "the daemon did not fill the table");
    add_foreign();
    by_hand("-d -t 192.168.0.3:80 -r 192.168.0.5:80");
    by_hand("-e -t 192.168.0.3:80 -r 192.168.0.4:80 -g -w 0");
    by_hand("-a -t 192.168.0.3:80 -r 192.168.0.6:80 -g -w 3");
    by_hand("-E -t 192.168.0.3:25 -s rr");
    director.until_table(&with_foreign(), "ipvsadm -d, -e, -a, -E not undone");
    for line in [
        "resync: tcp 192.168.0.3:25: had scheduler rr, declared sh (changed outside ipvsctl); restored",
        "resync: tcp 192.168.0.3:80: real 192.168.0.6:80 in the table with weight 3, not declared (added outside ipvsctl); removed",
        "resync: tcp 192.168.0.3:80: real 192.168.0.4:80 had weight 0, declared 1 (changed outside ipvsctl); restored",
        "resync: tcp 192.168.0.3:80: real 192.168.0.5:80 not in the table, declared gate weight 1 (deleted outside ipvsctl); restored",
    ] {
        director.logged(line);
    }
    by_hand("-D -t 192.168.0.3:80");
    director.until_table(&with_foreign(), "ipvsadm -D not undone");
    director.logged(
        "resync: tcp 192.168.0.3:80: not in the table, declared rr (deleted outside ipvsctl); restored",
    );
    by_hand("-C");
    director.until_table(&declared(), "ipvsadm -C not undone");
    // Another tool's service after the flush: resyncs leave it be.
    add_foreign();
    let asked = director.ipvsctl(&["resync"]);
    director.check(asked.status.success(), "ipvsctl resync failed");
    assert_eq!(table(), with_foreign());
    director.check(director.daemon.log().contains("running: "), "not running");
}

#[test]
#[ignore = "needs an IPVS kernel: scripts/lab"]
fn ipvsctl_resync_restores_at_once_and_status_counts_it() {
    let director = Director::start("resync = \"off\"", "");
    director.until_table(&declared(), "the daemon did not fill the table");
    add_foreign();
    by_hand("-a -t 192.168.0.9:80 -r 192.168.0.5:80 -g -w 2");
    by_hand("-d -t 192.168.0.3:80 -r 192.168.0.5:80");
    by_hand("-e -t 192.168.0.3:80 -r 192.168.0.4:80 -g -w 7");
    let asked = director.ipvsctl(&["resync"]);
    let text = stdout(&asked);
    director.check(asked.status.success(), &format!("ipvsctl resync: {text}"));
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[..2],
        [
            "tcp 192.168.0.3:80: real 192.168.0.4:80 had weight 7, declared 1 (changed outside ipvsctl); restored",
            "tcp 192.168.0.3:80: real 192.168.0.5:80 not in the table, declared gate weight 1 (deleted outside ipvsctl); restored",
        ],
        "{text}"
    );
    assert!(text.contains("\n2 of 2 difference(s) repaired (2 managed services, "));
    // At once: no waiting.
    let mut wanted = with_foreign();
    wanted.push("-a -t 192.168.0.9:80 -r 192.168.0.5:80 -g -w 2".to_string());
    wanted.sort();
    assert_eq!(table(), wanted);
    let again = stdout(&director.ipvsctl(&["resync"]));
    assert!(
        again.starts_with("the table is as declared (2 managed services"),
        "{again}"
    );
    let status = stdout(&director.ipvsctl(&["status"]));
    assert!(
        status.contains("resync off ([defaults] resync): last ")
            && status.contains(" ago, 0 difference(s); 2 repaired since start\n"),
        "{status}"
    );
}

/// The scheduler the module test takes away: no other test uses it, so no
/// namespace holds it.
const GONE: &str = "ovf";

/// While it lives, the kernel cannot load `ip_vs_ovf` (its modprobe fails);
/// dropped, it can again, and it is loaded.
struct NoSchedulerModule {
    modprobe: String,
}

const KERNEL_MODPROBE: &str = "/proc/sys/kernel/modprobe";

impl NoSchedulerModule {
    fn new() -> Self {
        let modprobe = std::fs::read_to_string(KERNEL_MODPROBE)
            .unwrap()
            .trim()
            .to_string();
        std::fs::write(KERNEL_MODPROBE, "/bin/false\n").unwrap();
        let guard = NoSchedulerModule { modprobe };
        // A namespace of an earlier test may still hold it a moment.
        let unloaded = wait_for(20, || {
            let out = Command::new("rmmod")
                .arg(format!("ip_vs_{GONE}"))
                .output()
                .unwrap();
            out.status.success()
                || !std::fs::read_to_string("/proc/modules")
                    .unwrap()
                    .contains(&format!("ip_vs_{GONE} "))
        });
        assert!(unloaded, "cannot unload ip_vs_{GONE}");
        guard
    }

    fn restore(&self) {
        std::fs::write(KERNEL_MODPROBE, format!("{}\n", self.modprobe)).unwrap();
    }
}

impl Drop for NoSchedulerModule {
    fn drop(&mut self) {
        self.restore();
        let _ = Command::new(&self.modprobe)
            .arg(format!("ip_vs_{GONE}"))
            .status();
    }
}

#[test]
#[ignore = "needs an IPVS kernel: scripts/lab"]
fn a_scheduler_module_that_cannot_load_is_logged_and_retried_by_the_next_resync() {
    let missing = NoSchedulerModule::new();
    let ovf = |lines: Vec<String>| -> Vec<String> {
        let mut lines: Vec<String> = lines
            .into_iter()
            .map(|l| l.replace("-s sh", &format!("-s {GONE}")))
            .collect();
        lines.sort();
        lines
    };
    let text =
        site("resync = 1", "").replace("scheduler = \"sh\"", &format!("scheduler = \"{GONE}\""));
    let mut director = Director::start_with(&text);
    // Refused by the kernel itself, with the module missing.
    let out = Command::new("ipvsadm")
        .args(["-A", "-t", "10.9.9.9:80", "-s", GONE])
        .output()
        .unwrap();
    assert!(!out.status.success(), "ipvsadm added an {GONE} service");
    let www_only: Vec<String> = declared().into_iter().filter(|l| l.contains(WWW)).collect();
    director.until_table(&www_only, "www did not go in");
    director.until(15, "the refusal is not logged", || {
        director.daemon.log().contains(&format!("ip_vs_{GONE}"))
    });
    // The daemon goes on: a real that dies is still taken out.
    director.site.stop("r2");
    let without_r2: Vec<String> = www_only
        .iter()
        .filter(|l| !l.contains(R2))
        .cloned()
        .collect();
    director.until_table(&without_r2, "r2 stayed in");
    let running = director.daemon.running();
    director.check(running, "the daemon stopped");
    // The module can be loaded again: the next resync puts mail in.
    missing.restore();
    let wanted = ovf(declared().into_iter().filter(|l| !l.contains(R2)).collect());
    director.until_table(&wanted, "mail did not go in once the module was back");
    director.logged(&format!(
        "resync: tcp 192.168.0.3:25: not in the table, declared {GONE} (an earlier write was refused); restored"
    ));
    assert!(table().iter().any(|l| l.contains(MAIL)));
}

/// Accepts connections and never answers: a check against it hangs until
/// its timeout. Dropped, it closes them and its listener (so that the
/// test's namespace can go).
struct HangingServer {
    address: String,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl HangingServer {
    fn start(address: &str) -> HangingServer {
        let listener = TcpListener::bind(address).unwrap();
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let stopping = std::sync::Arc::clone(&stop);
        let thread = std::thread::spawn(move || {
            let mut held = Vec::new();
            for stream in listener.incoming().flatten() {
                if stopping.load(std::sync::atomic::Ordering::SeqCst) {
                    return;
                }
                held.push(stream);
            }
        });
        HangingServer {
            address: address.to_string(),
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for HangingServer {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::SeqCst);
        // Wakes the accept.
        let _ = std::net::TcpStream::connect(&self.address);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

#[test]
#[ignore = "needs an IPVS kernel: scripts/lab"]
fn a_hundred_sighups_in_a_second_while_checks_hang_lose_nothing() {
    // A third virtual whose real's HTTP check hangs (3 s timeout).
    let hang = r#"
[[virtual]]
name = "hang"
address = "192.168.0.3:8080"
scheduler = "rr"
check = { type = "http", request = "/", interval = 1, timeout = 3 }

  [[virtual.real]]
  address = "192.168.0.1:8080"
"#;
    let mut director = Director::start("resync = \"off\"", hang);
    let _hanging = HangingServer::start("192.168.0.1:8080");
    // The hanging real never goes in: its service stays empty.
    let mut declared = declared();
    declared.push("-A -t 192.168.0.3:8080 -s rr".to_string());
    declared.sort();
    director.until_table(&declared, "the daemon did not fill the table");
    let since = |status: &str, real: &str| -> u64 {
        let json: serde_json::Value = serde_json::from_str(status).unwrap();
        json["virtuals"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|v| v["reals"].as_array().unwrap())
            .find(|r| r["address"] == real)
            .and_then(|r| r["since_unix"].as_u64())
            .unwrap()
    };
    let before = stdout(&director.ipvsctl(&["status", "--json"]));
    let r1_since = since(&before, R1);
    // Health "since" has one-second grain: let a second pass.
    std::thread::sleep(Duration::from_millis(1100));
    let log_before = director.daemon.log().len();
    let started = Instant::now();
    for i in 0..100 {
        director.daemon.signal(libc::SIGHUP);
        if i == 50 {
            director.site.stop("r2");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let burst = started.elapsed();
    let wanted: Vec<String> = declared.into_iter().filter(|l| !l.contains(R2)).collect();
    director.until_table(&wanted, "r2's death was lost among the reloads");
    let running = director.daemon.running();
    director.check(running, "the daemon died of SIGHUPs");
    let after = stdout(&director.ipvsctl(&["status", "--json"]));
    assert_eq!(since(&after, R1), r1_since, "r1's health was not kept");
    let log = director.daemon.log();
    let burst_log = &log[log_before..];
    let count = |needle: &str| burst_log.lines().filter(|l| l.contains(needle)).count();
    assert_eq!(count("table: - real 192.168.0.5:80"), 1, "{burst_log}");
    assert_eq!(
        count("table: "),
        1,
        "an operation besides r2's removal\n{burst_log}"
    );
    assert!(count("reloading ") >= 1, "{burst_log}");
    let _ = writeln!(
        std::io::stderr(),
        "\n100 SIGHUPs in {} ms: {} reloads made, r2's removal once",
        burst.as_millis(),
        count("reloading ")
    );
}

/// The daemon's user + system CPU time so far, in clock ticks.
fn cpu_ticks(daemon: &Daemon) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{}/stat", daemon.child.id())).unwrap();
    let rest = &stat[stat.rfind(')').unwrap() + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap()
}

/// The user + system CPU seconds of this process's waited-for children.
fn rusage_children() -> f64 {
    // SAFETY: getrusage writes into the struct we own.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let rc = unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage) };
    assert_eq!(rc, 0);
    let seconds = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    seconds(usage.ru_utime) + seconds(usage.ru_stime)
}

/// 2,000 TCP services × 5 direct-routing reals, `type = "none"` (up, no
/// probes); resync only when asked.
fn big(services: usize, reals: usize) -> String {
    let mut text = String::from("[defaults]\nresync = \"off\"\n");
    for s in 0..services {
        let (hi, lo) = (s / 250, s % 250 + 1);
        text.push_str(&format!(
            "\n[[virtual]]\naddress = \"10.1.{hi}.{lo}:80\"\nscheduler = \"wlc\"\ncheck = {{ type = \"none\" }}\n"
        ));
        for r in 0..reals {
            text.push_str(&format!(
                "  [[virtual.real]]\n  address = \"10.2.{r}.{}:80\"\n",
                s % 250 + 1
            ));
        }
    }
    text
}

#[test]
#[ignore = "needs an IPVS kernel: scripts/lab"]
fn resync_cost_at_2000_services_by_5_reals() {
    const SERVICES: usize = 2000;
    const REALS: usize = 5;
    let state = namespace();
    ip("link add dummy0 type dummy");
    ip("addr add 10.2.0.1/16 dev dummy0");
    ip("link set dummy0 up");
    let config = write(&state, "big.toml", &big(SERVICES, REALS));
    let daemon = Daemon::start(&state, &config);
    let full = wait_for(120, || {
        ipvsadm("-Ln")
            .lines()
            .filter(|l| l.contains("-> 10.2."))
            .count()
            == SERVICES * REALS
    });
    assert!(full, "the table is not full\n{}", daemon.log());
    let mut report = String::new();
    for round in 0..3 {
        // One real changed by hand: a resync that repairs one.
        ipvsadm("-e -t 10.1.0.1:80 -r 10.2.0.1:80 -g -w 0");
        let cpu = cpu_ticks(&daemon);
        let out = ipvsctl(&state, &["resync", "--json"]);
        let cpu = cpu_ticks(&daemon) - cpu;
        assert!(out.status.success(), "{}", stdout(&out));
        let answer: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
        assert_eq!(answer["services"], SERVICES);
        assert_eq!(answer["repairs"].as_array().unwrap().len(), 1, "{answer}");
        report.push_str(&format!(
            "resync {round}: read {:.1} ms (off the loop), held the loop {:.1} ms (loop thread CPU {:.1} ms), \
             daemon CPU {} ms (ticks), 1 repair\n",
            answer["read_ms"].as_f64().unwrap(),
            answer["loop_ms"].as_f64().unwrap(),
            answer["cpu_ms"].as_f64().unwrap(),
            cpu * 10
        ));
        let mut usage = rusage_children();
        let started = Instant::now();
        let out = Command::new("ipvsadm").arg("-Ln").output().unwrap();
        let wall = started.elapsed();
        let used = rusage_children() - std::mem::take(&mut usage);
        assert!(out.status.success());
        report.push_str(&format!(
            "ipvsadm -Ln {round}: wall {:.1} ms, CPU {:.1} ms, {} bytes\n",
            wall.as_secs_f64() * 1000.0,
            used * 1000.0,
            out.stdout.len()
        ));
    }
    let mut out = std::io::stdout().lock();
    let _ = write!(
        out,
        "==== ipvsctl-resync cost begin ====\n{report}==== ipvsctl-resync cost end ====\n"
    );
    let _ = out.flush();
}
