// SPDX-License-Identifier: MIT OR Apache-2.0
//! The metrics endpoint on the host: the exposition of a known reading
//! (both formats), the server's answers and bounds, the cache, and the
//! shipped Grafana dashboard's queries.

use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use health::{CheckCounts, Health, TargetCounts, TargetKey};
use ipvs::{
    Destination, DestinationEntry, Forward, Protocol, Service, ServiceEntry, ServiceKey, Stats,
    TableEntry,
};
use ipvsctl::metrics::{
    render, serve, Cache, Facts, Format, Limits, Reading, RealState, Reloads, ResyncCounts,
    VirtualFacts, FAMILIES,
};

fn service() -> ServiceKey {
    ServiceKey::Address {
        protocol: Protocol::Tcp,
        address: "10.0.0.1:80".parse().unwrap(),
    }
}

fn real(n: u8) -> SocketAddr {
    SocketAddr::from(([10, 0, 0, n], 80))
}

fn stats(base: u64) -> Stats {
    Stats {
        connections: base + 1,
        packets_in: base + 2,
        packets_out: base + 3,
        bytes_in: base + 4,
        bytes_out: base + 5,
        connection_rate: base + 6,
        packet_rate_in: base + 7,
        packet_rate_out: base + 8,
        byte_rate_in: base + 9,
        byte_rate_out: base + 10,
    }
}

fn reading() -> Reading {
    let destinations = [(2, 100, 1000), (3, 0, 2000)]
        .into_iter()
        .map(|(n, weight, base)| DestinationEntry {
            destination: Destination::new(real(n), Forward::Route, weight),
            active_connections: u32::from(n) * 10,
            inactive_connections: u32::from(n) * 100,
            persistent_connections: 0,
            stats: stats(base),
        })
        .collect();
    let mut counts = CheckCounts {
        ok: 7,
        failed: 2,
        transitions: 3,
        ..CheckCounts::default()
    };
    counts.buckets[0] = 5; // <= 1 ms
    counts.buckets[4] = 4; // 10-25 ms
    counts.duration_sum_micros = 5 * 500 + 4 * 20_000;
    Reading {
        table: Ok(vec![TableEntry {
            service: ServiceEntry {
                service: Service::new(service(), "wlc"),
                stats: stats(0),
            },
            destinations,
        }]),
        counts: vec![
            TargetCounts {
                key: TargetKey {
                    service: service(),
                    real: real(2),
                },
                health: Health::Up,
                counts,
            },
            TargetCounts {
                key: TargetKey {
                    service: service(),
                    real: real(3),
                },
                health: Health::Down,
                counts: CheckCounts::default(),
            },
        ],
        took: Duration::from_millis(3),
    }
}

fn facts() -> Facts {
    Facts {
        virtuals: vec![VirtualFacts {
            service: service(),
            name: Some("www".to_string()),
            check_kind: "http",
        }],
        reloads: Reloads {
            applied: 2,
            refused: 1,
            table_error: 0,
        },
        last_good_config_unix: 1_700_000_000.5,
        overrides: Default::default(),
        announced: vec![(service(), true)],
        resyncs: ResyncCounts {
            runs: 7,
            repairs: 3,
        },
    }
}

fn lines(text: &str) -> BTreeSet<&str> {
    text.lines().collect()
}

#[test]
fn the_kernel_s_numbers_per_virtual_and_real() {
    let text = render(Arc::new(reading()), Arc::new(facts()), Format::OpenMetrics);
    let lines = lines(&text);
    for expected in [
        r#"ipvsctl_virtual_connections_total{virtual="tcp 10.0.0.1:80"} 1"#,
        r#"ipvsctl_virtual_packets_total{virtual="tcp 10.0.0.1:80",direction="in"} 2"#,
        r#"ipvsctl_virtual_bytes_total{virtual="tcp 10.0.0.1:80",direction="out"} 5"#,
        r#"ipvsctl_virtual_connections_per_second{virtual="tcp 10.0.0.1:80"} 6"#,
        r#"ipvsctl_virtual_bytes_per_second{virtual="tcp 10.0.0.1:80",direction="in"} 9"#,
        r#"ipvsctl_real_connections_total{virtual="tcp 10.0.0.1:80",real="10.0.0.2:80"} 1001"#,
        r#"ipvsctl_real_packets_total{virtual="tcp 10.0.0.1:80",real="10.0.0.3:80",direction="out"} 2003"#,
        r#"ipvsctl_real_bytes_per_second{virtual="tcp 10.0.0.1:80",real="10.0.0.3:80",direction="out"} 2010"#,
        r#"ipvsctl_real_packets_per_second{virtual="tcp 10.0.0.1:80",real="10.0.0.2:80",direction="in"} 1007"#,
        r#"ipvsctl_real_active_connections{virtual="tcp 10.0.0.1:80",real="10.0.0.2:80"} 20"#,
        r#"ipvsctl_real_inactive_connections{virtual="tcp 10.0.0.1:80",real="10.0.0.3:80"} 300"#,
        r#"ipvsctl_real_weight{virtual="tcp 10.0.0.1:80",real="10.0.0.2:80"} 100"#,
        r#"ipvsctl_real_weight{virtual="tcp 10.0.0.1:80",real="10.0.0.3:80"} 0"#,
        "# TYPE ipvsctl_real_bytes counter",
        "# TYPE ipvsctl_real_bytes_per_second gauge",
        "# EOF",
    ] {
        assert!(lines.contains(expected), "{expected} missing from\n{text}");
    }
}

#[test]
fn health_checks_reloads_and_build() {
    let text = render(Arc::new(reading()), Arc::new(facts()), Format::OpenMetrics);
    let lines = lines(&text);
    for expected in [
        r#"ipvsctl_real_state{virtual="tcp 10.0.0.1:80",real="10.0.0.2:80",state="up"} 1"#,
        r#"ipvsctl_real_state{virtual="tcp 10.0.0.1:80",real="10.0.0.2:80",state="down"} 0"#,
        r#"ipvsctl_real_state{virtual="tcp 10.0.0.1:80",real="10.0.0.2:80",state="drained"} 0"#,
        r#"ipvsctl_real_state{virtual="tcp 10.0.0.1:80",real="10.0.0.3:80",state="down"} 1"#,
        r#"ipvsctl_real_state{virtual="tcp 10.0.0.1:80",real="10.0.0.3:80",state="up"} 0"#,
        r#"ipvsctl_real_transitions_total{virtual="tcp 10.0.0.1:80",real="10.0.0.2:80"} 3"#,
        r#"ipvsctl_real_checks_total{virtual="tcp 10.0.0.1:80",real="10.0.0.2:80",result="ok"} 7"#,
        r#"ipvsctl_real_checks_total{virtual="tcp 10.0.0.1:80",real="10.0.0.2:80",result="failed"} 2"#,
        r#"ipvsctl_check_duration_seconds_count{kind="http"} 9"#,
        r#"ipvsctl_check_duration_seconds_sum{kind="http"} 0.0825"#,
        r#"ipvsctl_check_duration_seconds_bucket{le="0.001",kind="http"} 5"#,
        r#"ipvsctl_check_duration_seconds_bucket{le="0.01",kind="http"} 5"#,
        r#"ipvsctl_check_duration_seconds_bucket{le="0.025",kind="http"} 9"#,
        r#"ipvsctl_check_duration_seconds_bucket{le="+Inf",kind="http"} 9"#,
        r#"ipvsctl_virtual_info{virtual="tcp 10.0.0.1:80",name="www"} 1"#,
        r#"ipvsctl_reloads_total{result="applied"} 2"#,
        r#"ipvsctl_reloads_total{result="refused"} 1"#,
        r#"ipvsctl_reloads_total{result="table_error"} 0"#,
        "ipvsctl_resyncs_total 7",
        "ipvsctl_resync_repairs_total 3",
        "ipvsctl_config_last_reload_success_timestamp_seconds 1700000000.5",
        "ipvsctl_table_read_success 1",
        "ipvsctl_table_read_duration_seconds 0.003",
    ] {
        assert!(lines.contains(expected), "{expected} missing from\n{text}");
    }
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("ipvsctl_build_info{version=\"") && l.ends_with("\"} 1")),
        "{text}"
    );
}

#[test]
fn an_operator_override_is_the_real_s_state() {
    let mut facts = facts();
    facts.overrides.insert(
        TargetKey {
            service: service(),
            real: real(2),
        },
        RealState::Drained,
    );
    let text = render(Arc::new(reading()), Arc::new(facts), Format::OpenMetrics);
    let lines = lines(&text);
    for expected in [
        r#"ipvsctl_real_state{virtual="tcp 10.0.0.1:80",real="10.0.0.2:80",state="drained"} 1"#,
        r#"ipvsctl_real_state{virtual="tcp 10.0.0.1:80",real="10.0.0.2:80",state="up"} 0"#,
    ] {
        assert!(lines.contains(expected), "{expected} missing from\n{text}");
    }
}

#[test]
fn an_unreadable_table_says_so_and_keeps_the_rest() {
    let mut reading = reading();
    reading.table = Err("no IPVS".to_string());
    let text = render(Arc::new(reading), Arc::new(facts()), Format::OpenMetrics);
    assert!(text.contains("\nipvsctl_table_read_success 0\n"), "{text}");
    assert!(!text.contains("ipvsctl_real_bytes"), "{text}");
    assert!(text.contains("ipvsctl_real_checks_total{"), "{text}");
}

#[test]
fn the_prometheus_text_format_for_plain_scrapers() {
    let text = render(Arc::new(reading()), Arc::new(facts()), Format::Prometheus);
    let lines = lines(&text);
    for expected in [
        "# TYPE ipvsctl_real_bytes_total counter",
        r#"ipvsctl_real_bytes_total{virtual="tcp 10.0.0.1:80",real="10.0.0.2:80",direction="in"} 1004"#,
        "# TYPE ipvsctl_check_duration_seconds histogram",
        r#"ipvsctl_virtual_info{virtual="tcp 10.0.0.1:80",name="www"} 1"#,
    ] {
        assert!(lines.contains(expected), "{expected} missing from\n{text}");
    }
    assert!(!text.contains("# EOF"), "{text}");
}

/// Every sample name of a full exposition.
fn sample_names(text: &str) -> BTreeSet<String> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| l.split(['{', ' ']).next().unwrap_or_default().to_string())
        .collect()
}

#[test]
fn families_lists_exactly_what_is_written() {
    let text = render(Arc::new(reading()), Arc::new(facts()), Format::OpenMetrics);
    let written = sample_names(&text);
    let listed: BTreeSet<String> = FAMILIES.iter().map(|f| f.to_string()).collect();
    assert_eq!(written, listed);
}

#[test]
fn the_grafana_dashboard_queries_only_exported_metrics() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../dist/grafana/ipvsctl.json"
    );
    let text = std::fs::read_to_string(path).unwrap();
    let dashboard: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
    let mut exprs = Vec::new();
    collect_exprs(&dashboard, &mut exprs);
    assert!(exprs.len() >= 8, "{exprs:?}");
    let known: BTreeSet<&str> = FAMILIES.iter().copied().collect();
    let mut used = BTreeSet::new();
    for expr in &exprs {
        let mut rest = expr.as_str();
        while let Some(at) = rest.find("ipvsctl_") {
            let tail = &rest[at..];
            let end = tail
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(tail.len());
            let name = &tail[..end];
            assert!(known.contains(name), "{name} in `{expr}` is not exported");
            used.insert(name.to_string());
            rest = &tail[end..];
        }
    }
    for needed in [
        "ipvsctl_real_state",
        "ipvsctl_real_bytes_total",
        "ipvsctl_real_active_connections",
        "ipvsctl_check_duration_seconds_bucket",
        "ipvsctl_reloads_total",
    ] {
        assert!(
            used.contains(needed),
            "the dashboard does not show {needed}"
        );
    }
}

fn collect_exprs(value: &serde_json::Value, out: &mut Vec<String>) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, v) in map {
                match (key.as_str(), v) {
                    ("expr", serde_json::Value::String(s))
                    | ("query", serde_json::Value::String(s)) => out.push(s.clone()),
                    _ => collect_exprs(v, out),
                }
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| collect_exprs(v, out)),
        _ => {}
    }
}

/// A server on an ephemeral loopback port over a fake reader counting its
/// reads; `max_age` of the cache as given.
fn server(
    runtime: &tokio::runtime::Runtime,
    max_age: Duration,
    limits: Limits,
) -> (SocketAddr, Arc<AtomicUsize>) {
    let reads = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&reads);
    let cache = Arc::new(Cache::new(
        Box::new(move || {
            counted.fetch_add(1, Ordering::SeqCst);
            reading()
        }),
        max_age,
    ));
    let (_sender, facts) = tokio::sync::watch::channel(Arc::new(facts()));
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let address = listener.local_addr().unwrap();
    runtime.spawn(async move {
        let _sender = _sender;
        serve(listener, cache, facts, limits).await
    });
    (address, reads)
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// One request on its own connection; the whole answer.
fn get(address: SocketAddr, head: &str) -> String {
    let mut stream = TcpStream::connect(address).unwrap();
    stream.write_all(head.as_bytes()).unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    answer
}

const SCRAPE: &str = "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";

#[test]
fn get_metrics_answers_and_anything_else_is_404() {
    let runtime = runtime();
    let (address, _) = server(&runtime, Duration::from_secs(3600), Limits::default());
    let answer = get(address, SCRAPE);
    assert!(answer.starts_with("HTTP/1.1 200 OK\r\n"), "{answer}");
    assert!(
        answer.contains("content-type: text/plain; version=0.0.4; charset=utf-8\r\n"),
        "{answer}"
    );
    assert!(answer.contains("\nipvsctl_real_weight{"), "{answer}");
    let answer = get(
        address,
        "GET /metrics HTTP/1.1\r\nHost: x\r\nAccept: application/openmetrics-text;version=1.0.0,text/plain;q=0.5\r\nConnection: close\r\n\r\n",
    );
    assert!(
        answer.contains(
            "content-type: application/openmetrics-text; version=1.0.0; charset=utf-8\r\n"
        ),
        "{answer}"
    );
    assert!(answer.ends_with("# EOF\n"), "{answer}");
    for head in [
        "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        "GET /metrics/x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        "POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
    ] {
        let answer = get(address, head);
        assert!(
            answer.starts_with("HTTP/1.1 404 Not Found\r\n"),
            "{head}: {answer}"
        );
    }
}

#[test]
fn scrapes_within_max_age_share_one_reading() {
    let runtime = runtime();
    let (address, reads) = server(&runtime, Duration::from_secs(3600), Limits::default());
    for _ in 0..5 {
        assert!(get(address, SCRAPE).starts_with("HTTP/1.1 200"));
    }
    assert_eq!(reads.load(Ordering::SeqCst), 1);
    let (address, reads) = server(&runtime, Duration::ZERO, Limits::default());
    for _ in 0..3 {
        assert!(get(address, SCRAPE).starts_with("HTTP/1.1 200"));
    }
    assert_eq!(
        reads.load(Ordering::SeqCst),
        3,
        "max_age 0: a read per scrape"
    );
}

#[test]
fn a_client_that_sends_nothing_is_closed_and_does_not_hold_the_server() {
    let runtime = runtime();
    let limits = Limits {
        connections: 1,
        header_timeout: Duration::from_millis(200),
        ..Limits::default()
    };
    let (address, _) = server(&runtime, Duration::from_secs(3600), limits);
    let mut silent = TcpStream::connect(address).unwrap();
    // The only slot is the silent client's until its header timeout; then
    // it is closed (read gives EOF) and the next scrape is served.
    let mut buffer = [0u8; 256];
    let n = silent.read(&mut buffer).unwrap_or(0);
    let text = String::from_utf8_lossy(&buffer[..n]);
    assert!(n == 0 || text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(get(address, SCRAPE).starts_with("HTTP/1.1 200"));
}

#[test]
fn an_oversized_request_head_is_refused() {
    let runtime = runtime();
    let (address, reads) = server(&runtime, Duration::from_secs(3600), Limits::default());
    let mut stream = TcpStream::connect(address).unwrap();
    let big = format!(
        "GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
        "a".repeat(64 * 1024)
    );
    // The server may close while we still write: that is the refusal too.
    let _ = stream.write_all(big.as_bytes());
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 431"),
        "{answer}"
    );
    assert_eq!(reads.load(Ordering::SeqCst), 0, "no scrape was served");
}

#[test]
fn the_loop_publishes_its_configuration_and_reloads() {
    use ipvsctl::daemon::ReloadOutcome;
    use ipvsctl::metrics::Publisher;
    let text = "[metrics]\nlisten = \"127.0.0.1:9477\"\n\n[[virtual]]\nname = \"www\"\naddress = \"10.0.0.1:80\"\ncheck = { type = \"http\" }\n\n  [[virtual.real]]\n  address = \"10.0.0.2:80\"\n";
    let source = config::source::SourceFile::new("www.toml", text);
    let table = config::toml_file::read(&source).unwrap();
    let (config, _) = config::validate::validate(&[(source, table)]).unwrap();
    let (mut publisher, facts) = Publisher::new("127.0.0.1:9477".parse().unwrap());
    assert_eq!(
        **facts.borrow(),
        Facts::default(),
        "nothing before the start"
    );
    publisher.config(&config);
    let started = facts.borrow().clone();
    assert_eq!(
        started.virtuals,
        [VirtualFacts {
            service: service(),
            name: Some("www".to_string()),
            check_kind: "http",
        }]
    );
    assert!(started.last_good_config_unix > 1.0e9);
    publisher.reload(&ReloadOutcome::Refused { errors: 2 }, &config);
    publisher.reload(&ReloadOutcome::Reloaded, &config);
    publisher.reload(
        &ReloadOutcome::TableNotUpdated {
            error: "x".to_string(),
        },
        &config,
    );
    publisher.reload(&ReloadOutcome::Refused { errors: 1 }, &config);
    let now = facts.borrow().clone();
    assert_eq!(
        now.reloads,
        Reloads {
            applied: 1,
            refused: 2,
            table_error: 1,
        }
    );
    assert!(now.last_good_config_unix >= started.last_good_config_unix);
    let drained: std::collections::HashMap<_, _> = [(
        TargetKey {
            service: service(),
            real: real(2),
        },
        RealState::Drained,
    )]
    .into();
    publisher.overrides(drained.clone());
    assert_eq!(facts.borrow().overrides, drained);
    assert_eq!(facts.borrow().reloads, now.reloads, "the rest unchanged");
}
