// SPDX-License-Identifier: MIT OR Apache-2.0
//! `[metrics]` in the lab: `GET /metrics` of `ipvsctl run` during direct-
//! routing traffic (the site of `common::dr_site`), its numbers checked
//! against `ipvsadm -Ln --stats --exact` and `--rate`, the reals' state,
//! checks and reloads; and the cost of one scrape at 2,000 services × 5
//! reals next to `ipvsadm -Ln --stats --exact` of the same table.
//!
//! Each test prints its last scrape and the `ipvsadm` outputs it compared
//! between `==== ipvsctl-metrics …` markers on stdout (not captured), so
//! that `scripts/test` parses them again on the host with the Prometheus
//! Python client's OpenMetrics parser (`tests/lab/metrics_check.py`).

mod common;

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::time::{Duration, Instant};

use common::daemon::Daemon;
use common::dr_site::{ip, wait_for, Site};
use common::{ipvsadm, ipvsctl, namespace, write};

const LISTEN: &str = "127.0.0.1:9477";
const VIRTUAL: &str = "tcp 192.168.0.3:80";
const R1: &str = "192.168.0.4:80";
const R2: &str = "192.168.0.5:80";

fn www() -> String {
    format!(
        r#"[metrics]
listen = "{LISTEN}"

[[virtual]]
name = "www"
address = "192.168.0.3:80"
scheduler = "rr"
check = {{ type = "http", request = "/alive.html", receive = "OK", interval = 0.5, timeout = 0.5, rise = 1, fall = 2 }}

  [[virtual.real]]
  address = "{R1}"

  [[virtual.real]]
  address = "{R2}"
"#
    )
}

impl Daemon {
    /// The daemon's user + system CPU time so far, in clock ticks.
    fn cpu_ticks(&self) -> u64 {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.child.id())).unwrap();
        // Fields after the command's closing parenthesis; utime and stime
        // are the 14th and 15th of the whole line.
        let rest = &stat[stat.rfind(')').unwrap() + 2..];
        let fields: Vec<&str> = rest.split_whitespace().collect();
        fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap()
    }
}

/// One `GET /metrics` asking for OpenMetrics; the status line and body.
fn scrape() -> (String, String) {
    let mut stream = TcpStream::connect(LISTEN).expect("the metrics endpoint answers");
    stream
        .write_all(
            b"GET /metrics HTTP/1.1\r\nHost: director\r\nAccept: application/openmetrics-text; version=1.0.0\r\nConnection: close\r\n\r\n",
        )
        .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
    (
        head.lines().next().unwrap_or("").to_string(),
        body.to_string(),
    )
}

/// The samples of an exposition: the text before the value (name and
/// labels, as the endpoint writes them) to the value.
fn samples(text: &str) -> HashMap<String, f64> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .filter_map(|l| {
            let (series, value) = l.rsplit_once(' ')?;
            Some((series.to_string(), value.parse().ok()?))
        })
        .collect()
}

fn sample(samples: &HashMap<String, f64>, series: &str) -> Option<f64> {
    samples.get(series).copied()
}

/// `ipvsadm -Ln --stats --exact` or `--rate`: by `(virtual, real)` (real
/// empty for the virtual's own line), the five numbers.
fn ipvsadm_numbers(text: &str) -> HashMap<(String, String), [u64; 5]> {
    let mut out = HashMap::new();
    let mut service = String::new();
    for line in text.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        let numbers = |from: usize| -> Option<[u64; 5]> {
            let v: Vec<u64> = words
                .get(from..from + 5)?
                .iter()
                .map(|w| w.parse().ok())
                .collect::<Option<_>>()?;
            v.try_into().ok()
        };
        match words.first() {
            Some(&("TCP" | "UDP" | "SCTP")) if words.len() >= 7 => {
                service = format!("{} {}", words[0].to_lowercase(), words[1]);
                if let Some(n) = numbers(2) {
                    out.insert((service.clone(), String::new()), n);
                }
            }
            Some(&"->") if words.len() >= 6 => {
                if let Some(n) = numbers(2) {
                    out.insert((service.clone(), words[1].to_string()), n);
                }
            }
            _ => {}
        }
    }
    out
}

/// The series names of the five `--stats` and `--rate` columns.
fn series(kind: &str, virtual_: &str, real: &str) -> [String; 5] {
    let (prefix, labels) = if real.is_empty() {
        ("ipvsctl_virtual", format!("virtual=\"{virtual_}\""))
    } else {
        (
            "ipvsctl_real",
            format!("virtual=\"{virtual_}\",real=\"{real}\""),
        )
    };
    let in_out = |name: &str, d: &str| format!("{prefix}_{name}{{{labels},direction=\"{d}\"}}");
    match kind {
        "stats" => [
            format!("{prefix}_connections_total{{{labels}}}"),
            in_out("packets_total", "in"),
            in_out("packets_total", "out"),
            in_out("bytes_total", "in"),
            in_out("bytes_total", "out"),
        ],
        _ => [
            format!("{prefix}_connections_per_second{{{labels}}}"),
            in_out("packets_per_second", "in"),
            in_out("packets_per_second", "out"),
            in_out("bytes_per_second", "in"),
            in_out("bytes_per_second", "out"),
        ],
    }
}

/// Prints a block for the host's parser.
fn print_block(name: &str, text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = write!(
        out,
        "==== ipvsctl-metrics {name} begin ====\n{text}==== ipvsctl-metrics {name} end ====\n"
    );
    let _ = out.flush();
}

/// Compares one scrape with `ipvsadm` read just before and just after it:
/// the counters equal both (no traffic in between), each rate between the
/// two readings (the kernel's estimate may move between them). `Err` says
/// what differs.
fn compare_once() -> Result<(String, String, String), String> {
    let stats_before = ipvsadm("-Ln --stats --exact");
    let rate_before = ipvsadm("-Ln --rate");
    let (status, body) = scrape();
    let stats_after = ipvsadm("-Ln --stats --exact");
    let rate_after = ipvsadm("-Ln --rate");
    if !status.contains(" 200 ") {
        return Err(format!("scrape: {status}"));
    }
    if stats_before != stats_after {
        return Err("the counters moved during the scrape".to_string());
    }
    let got = samples(&body);
    let stats = ipvsadm_numbers(&stats_before);
    let (rates_before, rates_after) = (ipvsadm_numbers(&rate_before), ipvsadm_numbers(&rate_after));
    if stats.len() < 2 {
        return Err(format!("ipvsadm shows too little:\n{stats_before}"));
    }
    for ((virtual_, real), numbers) in &stats {
        for (name, want) in series("stats", virtual_, real).iter().zip(numbers) {
            if sample(&got, name) != Some(*want as f64) {
                return Err(format!("{name}: {:?}, ipvsadm {want}", sample(&got, name)));
            }
        }
        let (Some(before), Some(after)) = (
            rates_before.get(&(virtual_.clone(), real.clone())),
            rates_after.get(&(virtual_.clone(), real.clone())),
        ) else {
            return Err(format!("no --rate line for {virtual_} {real}"));
        };
        for (i, name) in series("rate", virtual_, real).iter().enumerate() {
            let (low, high) = (before[i].min(after[i]), before[i].max(after[i]));
            match sample(&got, name) {
                Some(v) if (low as f64..=high as f64).contains(&v) => {}
                other => return Err(format!("{name}: {other:?}, ipvsadm --rate {low}..={high}")),
            }
        }
    }
    Ok((body, stats_before, rate_before))
}

#[test]
#[ignore = "needs an IPVS kernel: scripts/lab"]
fn scrape_matches_ipvsadm_during_dr_traffic() {
    let state = namespace();
    let mut site = Site::new(&state);
    let config = write(&state, "www.toml", &www());
    let daemon = Daemon::start(&state, &config);
    let context = |what: &str| format!("{what}\n--- daemon log\n{}", daemon.log());
    assert!(
        wait_for(15, || daemon
            .log()
            .contains("metrics on http://127.0.0.1:9477/metrics")),
        "{}",
        context("the endpoint did not start")
    );
    assert!(
        wait_for(15, || ipvsadm("-Ln").contains(R1)
            && ipvsadm("-Ln").contains(R2)),
        "{}",
        context("the reals are not in the table")
    );
    // Traffic through the VIP, to both reals.
    assert_eq!(site.answers(20), "served by r1;served by r2;");
    // r2 dies: its state goes down, its checks fail.
    site.stop("r2");
    let r2_down =
        format!("ipvsctl_real_state{{virtual=\"{VIRTUAL}\",real=\"{R2}\",state=\"down\"}}");
    assert!(
        wait_for(15, || sample(&samples(&scrape().1), &r2_down) == Some(1.0)),
        "{}",
        context("r2 is not down in the scrape")
    );
    // More traffic, now to r1 only, then the comparison (a few tries: the
    // kernel's counters move while a connection winds down).
    assert_eq!(site.answers(10), "served by r1;");
    let mut last = Err(String::new());
    for _ in 0..20 {
        std::thread::sleep(Duration::from_millis(1100)); // past the cache's age
        last = compare_once();
        if last.is_ok() {
            break;
        }
    }
    let (body, stats, rate) = match last {
        Ok(found) => found,
        Err(e) => panic!(
            "{}",
            context(&format!("the scrape does not match ipvsadm: {e}"))
        ),
    };
    let got = samples(&body);
    let real = |name: &str, real: &str, extra: &str| {
        sample(
            &got,
            &format!("{name}{{virtual=\"{VIRTUAL}\",real=\"{real}\"{extra}}}"),
        )
    };
    assert_eq!(real("ipvsctl_real_state", R1, ",state=\"up\""), Some(1.0));
    assert_eq!(real("ipvsctl_real_state", R1, ",state=\"down\""), Some(0.0));
    assert_eq!(real("ipvsctl_real_state", R2, ",state=\"up\""), Some(0.0));
    assert!(real("ipvsctl_real_checks_total", R1, ",result=\"ok\"").unwrap_or(0.0) >= 1.0);
    assert!(real("ipvsctl_real_checks_total", R2, ",result=\"failed\"").unwrap_or(0.0) >= 2.0);
    assert!(real("ipvsctl_real_transitions_total", R2, "").unwrap_or(0.0) >= 1.0);
    assert_eq!(real("ipvsctl_real_weight", R1, ""), Some(1.0));
    assert!(
        sample(&got, "ipvsctl_check_duration_seconds_count{kind=\"http\"}").unwrap_or(0.0) >= 3.0,
        "{body}"
    );
    let reals_in_table = ipvsadm("-Ln").lines().filter(|l| l.contains("->")).count();
    let weights = got
        .keys()
        .filter(|k| k.starts_with("ipvsctl_real_weight{"))
        .count();
    assert_eq!(
        weights,
        reals_in_table - 1,
        "one weight per real (the header has ->)"
    );
    print_block("dr-scrape", &body);
    print_block("dr-stats", &stats);
    print_block("dr-rate", &rate);

    // Reloads: one applied, one refused; the last good config's time stays.
    let loaded = sample(&got, "ipvsctl_config_last_reload_success_timestamp_seconds").unwrap();
    assert!(loaded > 1.0e9, "{body}");
    let out = ipvsctl(&state, &["reload"]);
    assert!(out.status.success(), "{out:?}");
    std::fs::write(&config, "[metrics]\nlisten = 1\n").unwrap();
    let out = ipvsctl(&state, &["reload"]);
    assert!(!out.status.success(), "a broken file is refused: {out:?}");
    let reloads = |result: &str| {
        let (_, body) = scrape();
        sample(
            &samples(&body),
            &format!("ipvsctl_reloads_total{{result=\"{result}\"}}"),
        )
    };
    assert!(
        wait_for(5, || reloads("applied") == Some(1.0)
            && reloads("refused") == Some(1.0)),
        "{}",
        context("the reloads are not counted")
    );
    let (_, body) = scrape();
    let after = sample(
        &samples(&body),
        "ipvsctl_config_last_reload_success_timestamp_seconds",
    )
    .unwrap();
    assert!(after >= loaded, "the applied reload moved it forward");

    // Anything but GET /metrics is 404.
    let mut stream = TcpStream::connect(LISTEN).unwrap();
    stream
        .write_all(b"GET / HTTP/1.1\r\nHost: director\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 404"), "{answer}");
}

/// 2,000 TCP services × 5 direct-routing reals, `type = "none"` (up, no
/// probes), with the endpoint.
fn big(services: usize, reals: usize) -> String {
    let mut text = format!("[metrics]\nlisten = \"{LISTEN}\"\n");
    for s in 0..services {
        let (hi, lo) = (s / 250, s % 250 + 1);
        text.push_str(&format!(
            "\n[[virtual]]\naddress = \"10.1.{hi}.{lo}:80\"\nscheduler = \"wlc\"\ncheck = {{ type = \"none\" }}\n"
        ));
        for r in 0..reals {
            text.push_str(&format!(
                "  [[virtual.real]]\n  address = \"10.2.{}.{}:80\"\n",
                r,
                s % 250 + 1
            ));
        }
    }
    text
}

#[test]
#[ignore = "needs an IPVS kernel: scripts/lab"]
fn scrape_cost_at_2000_services_by_5_reals() {
    const SERVICES: usize = 2000;
    const REALS: usize = 5;
    let state = namespace();
    // A route to the reals' network, so the kernel takes them as
    // direct-routing destinations.
    ip("link add dummy0 type dummy");
    ip("addr add 10.2.0.1/16 dev dummy0");
    ip("link set dummy0 up");
    let config = write(&state, "big.toml", &big(SERVICES, REALS));
    let daemon = Daemon::start(&state, &config);
    assert!(
        wait_for(60, || {
            ipvsadm("-Ln")
                .lines()
                .filter(|l| l.contains("-> 10.2."))
                .count()
                == SERVICES * REALS
        }),
        "the table is not full\n{}",
        daemon.log()
    );
    let ticks_per_second = 100.0; // USER_HZ on Linux
    let mut report = String::new();
    // Three rounds when measuring a release build (IPVSCTL_BIN), one in
    // scripts/test's run of the debug build.
    let rounds = if std::env::var_os("IPVSCTL_BIN").is_some() {
        3
    } else {
        1
    };
    for round in 0..rounds {
        std::thread::sleep(Duration::from_millis(1100)); // a fresh reading
        let cpu = daemon.cpu_ticks();
        let started = Instant::now();
        let (status, body) = scrape();
        let wall = started.elapsed();
        let cpu = daemon.cpu_ticks() - cpu;
        assert!(status.contains(" 200 "), "{status}");
        let weights = body
            .lines()
            .filter(|l| l.starts_with("ipvsctl_real_weight{"))
            .count();
        assert_eq!(weights, SERVICES * REALS);
        let read = table_read_ms(&body);
        // Two scrapes at once: they share one table read and one page.
        std::thread::sleep(Duration::from_millis(1100));
        let cpu_two = daemon.cpu_ticks();
        let started = Instant::now();
        let both: Vec<String> = (0..2)
            .map(|_| std::thread::spawn(|| scrape().1))
            .collect::<Vec<_>>()
            .into_iter()
            .map(|t| t.join().unwrap())
            .collect();
        let wall_two = started.elapsed();
        let cpu_two = daemon.cpu_ticks() - cpu_two;
        assert_eq!(
            table_read_ms(&both[0]),
            table_read_ms(&both[1]),
            "two scrapes at once share one reading"
        );
        report.push_str(&format!(
            "scrape {round}: wall {:.1} ms, daemon CPU {:.0} ms (of which the table read {read:.1} ms wall), \
             {} bytes, {} lines; two scrapes at once: wall {:.1} ms, daemon CPU {:.0} ms\n",
            wall.as_secs_f64() * 1000.0,
            cpu as f64 * 1000.0 / ticks_per_second,
            body.len(),
            body.lines().count(),
            wall_two.as_secs_f64() * 1000.0,
            cpu_two as f64 * 1000.0 / ticks_per_second,
        ));
        // ipvsadm of the same table, in the same run.
        let mut usage = rusage_children();
        let started = Instant::now();
        let out = Command::new("ipvsadm")
            .args(["-Ln", "--stats", "--exact"])
            .output()
            .unwrap();
        let wall = started.elapsed();
        let used = rusage_children() - std::mem::take(&mut usage);
        assert!(out.status.success());
        report.push_str(&format!(
            "ipvsadm -Ln --stats --exact {round}: wall {:.1} ms, CPU {:.1} ms, {} bytes\n",
            wall.as_secs_f64() * 1000.0,
            used * 1000.0,
            out.stdout.len()
        ));
    }
    print_block("cost", &report);
}

/// `ipvsctl_table_read_duration_seconds` of a scrape, in ms.
fn table_read_ms(body: &str) -> f64 {
    sample(&samples(body), "ipvsctl_table_read_duration_seconds").unwrap_or(f64::NAN) * 1000.0
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
