// SPDX-License-Identifier: MIT OR Apache-2.0
//! `ipvsctl run` with real direct-routing traffic through the VIP (the site
//! of `common::dr_site`): reals fail and come back, the sorry page,
//! quiescent, HTTP body checks, reload, kill -9 and restart, SIGTERM,
//! cleanstop, and a UDP DNS virtual under a `dns` check. Cross-checked with
//! `ipvsadm`. Run inside the lab (`scripts/test`).
//!
//! Every test builds its own site and starts its own daemon, and drops both
//! at its end (the daemon first).

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::daemon::Daemon;
use common::dr_site::{wait_for, Site};
use common::{ipvsadm, ipvsctl, namespace, saved, stdout, write};

const R1: &str = "192.168.0.4:80";
const R2: &str = "192.168.0.5:80";
const FALLBACK: &str = "127.0.0.1:80";

/// The site's configuration: an HTTP check every 0.5 s (timeout 0.5 s,
/// rise 1, fall 2) and the sorry page as fallback; `defaults` is the body of
/// `[defaults]`.
fn www(defaults: &str, r1_weight: u16) -> String {
    format!(
        r#"[defaults]
{defaults}

[[virtual]]
name = "www"
address = "192.168.0.3:80"
scheduler = "rr"
fallback = "127.0.0.1:80"
check = {{ type = "http", request = "/alive.html", receive = "OK", interval = 0.5, timeout = 0.5, rise = 1, fall = 2 }}

  [[virtual.real]]
  address = "192.168.0.4:80"
  weight = {r1_weight}

  [[virtual.real]]
  address = "192.168.0.5:80"
"#
    )
}

/// The real's line of `ipvsadm -Ln`, if it is in the table.
fn table_line(real: &str) -> Option<String> {
    let needle = format!("-> {real} ");
    ipvsadm("-Ln")
        .lines()
        .find(|line| line.contains(&needle))
        .map(str::to_owned)
}

fn in_table(real: &str) -> bool {
    table_line(real).is_some()
}

/// The real's weight as `ipvsadm -Ln` shows it.
fn weight_is(real: &str, weight: &str) -> bool {
    table_line(real).is_some_and(|line| line.split_whitespace().nth(3) == Some(weight))
}

/// Whether some line of `text` holds `first` and, after it, `then`.
fn line_has(text: &str, first: &str, then: &str) -> bool {
    text.lines()
        .filter_map(|line| line.find(first).map(|at| &line[at + first.len()..]))
        .any(|rest| rest.contains(then))
}

/// The site with `ipvsctl run` in front of it. Fields drop in order: the
/// daemon goes before the site.
struct Director {
    daemon: Daemon,
    site: Site,
    state: PathBuf,
    config: String,
}

impl Director {
    /// A fresh namespace as director, the site, the configuration with
    /// `defaults`, and the daemon started.
    fn start(defaults: &str) -> Director {
        let state = namespace();
        let site = Site::new(&state);
        let config = write(&state, "www.toml", &www(defaults, 1));
        let daemon = Daemon::start(&state, &config);
        Director {
            daemon,
            site,
            state,
            config,
        }
    }

    /// Fails the test unless `ok`, showing the daemon's log and the table.
    fn check(&self, ok: bool, what: &str) {
        assert!(ok, "{what}\n{}", self.daemon.context());
    }

    /// Waits at most `seconds` for `ready`; fails the test as [`Self::check`].
    fn until(&self, seconds: u64, what: &str, ready: impl FnMut() -> bool) {
        self.check(wait_for(seconds, ready), what);
    }

    /// Asks for `n` pages through the VIP; fails the test unless the
    /// distinct answers are `expected` (see [`Site::answers`]).
    fn answers(&self, n: usize, expected: &str) {
        let answers = self.site.answers(n);
        self.check(
            answers == expected,
            &format!("answers {answers:?}, wanted {expected:?}"),
        );
    }

    /// Waits until the daemon runs and both reals are in the table.
    fn serving(&self) {
        self.until(15, "the daemon did not start", || {
            self.daemon.log().contains("running: ")
        });
        self.until(15, "192.168.0.4:80 not in the table", || in_table(R1));
        self.until(5, "192.168.0.5:80 not in the table", || in_table(R2));
    }

    /// Stops a real's web server and waits until the daemon took it out.
    fn remove(&mut self, real: &str, address: &str) {
        self.site.stop(real);
        self.until(15, &format!("{address} stayed in the table"), || {
            !in_table(address)
        });
    }

    /// Stops both reals and waits until the fallback is in.
    fn all_down(&mut self) {
        self.site.stop("r1");
        self.site.stop("r2");
        self.until(15, "no fallback in the table", || in_table(FALLBACK));
    }

    /// Waits until the real has `weight` in the table.
    fn weight(&self, seconds: u64, real: &str, weight: &str) {
        self.until(seconds, &format!("{real} has not weight {weight}"), || {
            weight_is(real, weight)
        });
    }

    fn ipvsctl(&self, args: &[&str]) -> std::process::Output {
        ipvsctl(&self.state, args)
    }
}

#[test]
#[ignore = "needs an IPVS kernel: scripts/lab"]
fn both_reals_serve() {
    let director = Director::start("quiescent = false");
    director.serving();
    director.answers(6, "served by r1;served by r2;");
}

#[test]
#[ignore = "needs an IPVS kernel: scripts/lab"]
fn a_dead_real_is_removed_and_logged() {
    let mut director = Director::start("quiescent = false");
    director.serving();
    let t0 = Instant::now();
    director.site.stop("r1");
    let removed = wait_for(15, || !in_table(R1));
    // Straight to stderr, past libtest's capture: the lab log keeps it.
    let _ = writeln!(
        std::io::stderr(),
        "\ndetection latency: real 1 stopped -> removed from the table in {} ms \
         (interval 0.5 s x fall 2 + timeout 0.5 s = 1.5 s)",
        t0.elapsed().as_millis()
    );
    director.check(removed, "192.168.0.4:80 stayed in the table");
    director.answers(4, "served by r2;");
    let log = director.daemon.log();
    director.check(
        log.contains("real 192.168.0.4:80 of tcp 192.168.0.3:80 down: "),
        "the log does not say r1 went down",
    );
}

#[test]
#[ignore = "needs an IPVS kernel: scripts/lab"]
fn with_no_real_up_the_sorry_page_comes_through_the_vip() {
    let mut director = Director::start("quiescent = false");
    director.serving();
    director.all_down();
    director.answers(3, "sorry, no server is up;");
}

#[test]
#[ignore = "needs an IPVS kernel: scripts/lab"]
fn a_revived_real_comes_back_and_the_fallback_leaves() {
    let mut director = Director::start("quiescent = false");
    director.serving();
    director.all_down();
    director.site.start("r1");
    director.until(15, "r1 did not come back", || in_table(R1));
    director.until(5, "the fallback stayed", || !in_table(FALLBACK));
    director.answers(3, "served by r1;");
}

#[test]
#[ignore = "needs an IPVS kernel: scripts/lab"]
fn a_second_daemon_refuses_to_start() {
    let mut director = Director::start("quiescent = false");
    director.serving();
    // A second daemon that does not refuse would run on: it gets 10 s.
    let mut second = Command::new(env!("CARGO_BIN_EXE_ipvsctl"))
        .args(["run", &director.config])
        .env("IPVSCTL_STATE_DIR", &director.state)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let exited = wait_for(10, || !matches!(second.try_wait(), Ok(None)));
    if !exited {
        let _ = second.kill();
    }
    let out = second.wait_with_output().unwrap();
    let text = format!("{}{}", stdout(&out), common::stderr(&out));
    assert!(exited, "the second daemon kept running: {text}");
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("another `ipvsctl run` is already running"),
        "{text}"
    );
    let running = director.daemon.running();
    director.check(running, "the first daemon is gone");
}

#[test]
#[ignore = "needs an IPVS kernel: scripts/lab"]
fn status_shows_health_and_kernel_state() {
    let mut director = Director::start("quiescent = false");
    director.serving();
    director.remove("r2", R2);
    let status = director.ipvsctl(&["status"]);
    let text = stdout(&status);
    assert!(status.status.success(), "{}", common::stderr(&status));
    assert!(line_has(&text, "192.168.0.4:80 ", " up "), "{text}");
    assert!(line_has(&text, "192.168.0.5:80 ", " down "), "{text}");
    let json = director.ipvsctl(&["status", "--json"]);
    let json: serde_json::Value = serde_json::from_str(&stdout(&json)).unwrap();
    let health = json["virtuals"][0]["reals"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|r| r["address"] == R1)
        .map(|r| r["health"].clone());
    assert_eq!(health, Some("up".into()), "{json}");
}

#[test]
#[ignore = "needs an IPVS kernel: scripts/lab"]
fn sighup_changes_a_weight_without_a_restart() {
    let mut director = Director::start("quiescent = false");
    director.serving();
    write(&director.state, "www.toml", &www("quiescent = false", 3));
    director.daemon.signal(libc::SIGHUP);
    director.weight(10, R1, "3");
    let running = director.daemon.running();
    director.check(running, "the daemon is gone");
}

#[test]
#[ignore = "needs an IPVS kernel: scripts/lab"]
fn a_broken_reload_is_refused_and_the_old_config_goes_on() {
    let mut director = Director::start("quiescent = false");
    director.serving();
    write(
        &director.state,
        "www.toml",
        "[[virtual]]\naddress = \"192.168.0.3:80\"\nscheduler = \"wlcx\"\n",
    );
    let before = saved();
    let reply = stdout(&director.ipvsctl(&["reload"]));
    std::thread::sleep(Duration::from_secs(1));
    director.check(saved() == before, "the table changed");
    let running = director.daemon.running();
    director.check(running, "the daemon is gone");
    assert!(reply.contains("reload refused"), "{reply}");
    let log = director.daemon.log();
    director.check(
        log.contains("unknown scheduler `wlcx`"),
        "the log does not name the error",
    );
}

#[test]
#[ignore = "needs an IPVS kernel: scripts/lab"]
fn kill_9_then_restart_changes_nothing() {
    let mut director = Director::start("quiescent = false");
    director.serving();
    director.remove("r2", R2);
    let before = saved();
    director.daemon.signal(libc::SIGKILL);
    director.daemon.wait();
    director.daemon = Daemon::start_logging_to(&director.state, &director.config, "daemon-2.log");
    std::thread::sleep(Duration::from_secs(3));
    let log = director.daemon.log();
    director.check(log.contains("running: "), "the daemon did not start again");
    director.check(!log.contains("table: "), "the restart changed the table");
    director.check(saved() == before, "the table changed");
}

#[test]
#[ignore = "needs an IPVS kernel: scripts/lab"]
fn sigterm_leaves_the_table() {
    let mut director = Director::start("quiescent = false");
    director.serving();
    let before = saved();
    director.daemon.signal(libc::SIGTERM);
    let status = director.daemon.wait();
    director.check(
        status.success(),
        &format!("the daemon exited with {status}"),
    );
    director.check(saved() == before, "the table changed");
}

#[test]
#[ignore = "needs an IPVS kernel: scripts/lab"]
fn quiescent_keeps_a_dead_real_with_weight_zero() {
    let mut director = Director::start("quiescent = true");
    director.weight(15, R2, "1");
    director.weight(5, R1, "1");
    director.site.stop("r1");
    director.weight(15, R1, "0");
    director.answers(4, "served by r2;");
}

#[test]
#[ignore = "needs an IPVS kernel: scripts/lab"]
fn an_http_check_fails_on_a_wrong_body() {
    let director = Director::start("quiescent = true");
    director.weight(15, R1, "1");
    director.site.page("r1", "alive.html", "FAIL\n");
    director.weight(15, R1, "0");
    let log = director.daemon.log();
    director.check(log.contains("body lacks"), "the log does not say why");
}

#[test]
#[ignore = "needs an IPVS kernel: scripts/lab"]
fn cleanstop_removes_the_managed_services_on_exit() {
    let mut director = Director::start("quiescent = true\ncleanstop = true");
    director.until(15, "the daemon did not start", || {
        director.daemon.log().contains("running: ")
    });
    director.until(15, "192.168.0.5:80 not in the table", || in_table(R2));
    director.daemon.signal(libc::SIGTERM);
    director.daemon.wait();
    director.check(saved().is_empty(), "services are left");
    let log = director.daemon.log();
    director.check(log.contains("cleanstop"), "the log does not say cleanstop");
}

/// dnsmasq (Debian's, copied into the VM by scripts/test) answering DNS on
/// port 53 of a real's namespace, the VIP included (it listens on the
/// wildcard address and answers from the address asked).
struct DnsServer(Child);

impl DnsServer {
    fn start(site: &Site, real: &str) -> DnsServer {
        let dnsmasq = ["/usr/sbin/dnsmasq", "/usr/bin/dnsmasq"]
            .into_iter()
            .find(|p| Path::new(p).is_file())
            .expect("dnsmasq in the VM (scripts/test passes it with --file)");
        // `ip netns exec` execs: the child is dnsmasq itself. `--user=`
        // keeps root (the VM has no user database).
        let child = Command::new("/sbin/ip")
            .args(["netns", "exec", &site.netns(real), dnsmasq])
            .args([
                "--keep-in-foreground",
                "--conf-file=/dev/null",
                "--no-hosts",
                "--no-resolv",
                "--user=",
                "--pid-file=",
                "--port=53",
                "--local=/example.com/",
                "--host-record=www.example.com,192.0.2.10",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        DnsServer(child)
    }
}

impl Drop for DnsServer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
#[ignore = "needs an IPVS kernel: scripts/lab"]
fn a_dns_check_takes_a_udp_real_out_and_back() {
    const D1: &str = "192.168.0.4:53";
    const D2: &str = "192.168.0.5:53";
    let state = namespace();
    let site = Site::new(&state);
    let mut r1 = Some(DnsServer::start(&site, "r1"));
    let _r2 = DnsServer::start(&site, "r2");
    let config = write(
        &state,
        "dns.toml",
        r#"[[virtual]]
name = "dns"
address = "192.168.0.3:53"
protocol = "udp"
scheduler = "rr"
check = { type = "dns", request = "www.example.com", receive = "192.0.2.10", interval = 0.5, timeout = 0.5, rise = 1, fall = 2 }

  [[virtual.real]]
  address = "192.168.0.4"

  [[virtual.real]]
  address = "192.168.0.5"
"#,
    );
    let daemon = Daemon::start(&state, &config);
    let until = |seconds, what: &str, ready: &mut dyn FnMut() -> bool| {
        assert!(wait_for(seconds, ready), "{what}\n{}", daemon.context());
    };
    until(15, "the reals did not come up", &mut || {
        in_table(D1) && in_table(D2)
    });
    // Its DNS server gone, r1 answers with ICMP port unreachable.
    r1.take();
    until(15, "192.168.0.4:53 stayed in the table", &mut || {
        !in_table(D1)
    });
    let log = daemon.log();
    assert!(
        log.contains("real 192.168.0.4:53 of udp 192.168.0.3:53 down: DNS: port unreachable"),
        "{}",
        daemon.context()
    );
    assert!(in_table(D2), "{}", daemon.context());
    r1 = Some(DnsServer::start(&site, "r1"));
    until(15, "192.168.0.4:53 did not come back", &mut || in_table(D1));
    drop(daemon);
    drop(r1);
}
