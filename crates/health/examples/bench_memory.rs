// SPDX-License-Identifier: MIT OR Apache-2.0
//! Memory per checked real (not a test): 10,000 reals of ten kinds, read
//! from a TOML text by the config crate as the daemon reads its files, then
//! given to the engine, which checks each once a second.
//!
//! ```text
//! cargo run --release -p health --example bench_memory -- [--reals 10000] [--seconds 5]
//! ```
//!
//! Every real is an address of 127.1.0.0/16 on a closed port, so each check
//! fails at once (refused, or ICMP port unreachable for the UDP kinds): the
//! figure is what the configuration and the engine hold per real, with the
//! checks running, not what a slow server would make them hold. Prints the
//! resident set (`/proc/self/statm`) at start, after the configuration, and
//! after `--seconds` of checking, and the bytes per real of each step.

use std::net::Ipv4Addr;
use std::path::PathBuf;
use std::time::Duration;

use config::source::SourceFile;
use config::{toml_file, validate};
use health::{Engine, Target, TargetKey};

/// The kinds, each as a virtual's `protocol` and `check`.
const KINDS: &[(&str, &str)] = &[
    ("tcp", r#"{ type = "connect" }"#),
    (
        "tcp",
        r#"{ type = "http", request = "/health", receive_regex = "OK web[0-9]+" }"#,
    ),
    ("udp", r#"{ type = "dns", request = "www.example.com A" }"#),
    (
        "tcp",
        r#"{ type = "tcp", request = "PING\r\n", receive = "+PONG" }"#,
    ),
    (
        "tcp",
        r#"{ type = "mysql", login = "check", password = "pw", database = "app", request = "SELECT 1" }"#,
    ),
    (
        "tcp",
        r#"{ type = "pgsql", login = "check", password = "pw", request = "SELECT 1" }"#,
    ),
    (
        "tcp",
        r#"{ type = "ldap", login = "cn=check,dc=example,dc=com", password = "pw", request = "dc=example,dc=com" }"#,
    ),
    (
        "tcp",
        r#"{ type = "imap", login = "check", password = "pw" }"#,
    ),
    (
        "udp",
        r#"{ type = "radius", login = "check", password = "pw", secret = "s3cret" }"#,
    ),
    ("udp", r#"{ type = "sip" }"#),
];

fn resident_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    // SAFETY: sysconf has no preconditions.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) } as u64;
    pages * page
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

/// The configuration: `reals` reals spread over the kinds, one virtual per
/// kind, every real on 127.1.x.y port 9 (closed).
fn toml(reals: u32) -> String {
    let per_kind = reals.div_ceil(KINDS.len() as u32);
    let mut text = String::new();
    for (k, (protocol, check)) in KINDS.iter().enumerate() {
        text.push_str(&format!(
            "[[virtual]]\naddress = \"10.0.0.{}:9\"\nprotocol = \"{protocol}\"\n\
             check = {check}\n",
            k + 1
        ));
        for r in 0..per_kind {
            let i = k as u32 * per_kind + r;
            if i >= reals {
                break;
            }
            let ip = Ipv4Addr::new(127, 1, (i >> 8) as u8, i as u8);
            text.push_str(&format!("  [[virtual.real]]\n  address = \"{ip}:9\"\n"));
        }
    }
    text
}

fn main() {
    let mut args = std::env::args().skip(1);
    let (mut reals, mut seconds) = (10_000u32, 5u64);
    while let Some(arg) = args.next() {
        let value = args.next().and_then(|v| v.parse().ok());
        match (arg.as_str(), value) {
            ("--reals", Some(v)) => reals = v as u32,
            ("--seconds", Some(v)) => seconds = v,
            _ => {
                eprintln!("usage: bench_memory [--reals N] [--seconds S]");
                std::process::exit(2);
            }
        }
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let _enter = runtime.enter();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    runtime.spawn(async move { while rx.recv().await.is_some() {} });
    let engine: Engine<String> = Engine::start(tx);
    let start = resident_bytes();

    let text = toml(reals);
    let source = SourceFile::new(PathBuf::from("bench.toml"), text);
    let table = toml_file::read(&source).expect("the generated TOML reads");
    let (config, _) = validate::validate(&[(source, table)]).expect("the generated TOML is valid");
    let targets: Vec<Target<String>> = config
        .virtuals
        .iter()
        .flat_map(|v| {
            v.reals.iter().map(|r| Target {
                key: TargetKey {
                    service: v.check.kind.type_name().to_string(),
                    real: r.address,
                },
                check: v.check.clone(),
                virtual_host: "10.0.0.1".to_string(),
                virtual_port: 9,
                initially_up: false,
            })
        })
        .collect();
    let configured = resident_bytes();
    let count = targets.len() as u64;
    engine.reconcile(targets);
    std::thread::sleep(Duration::from_secs(seconds));
    let checking = resident_bytes();
    let stats = engine.stats();
    println!(
        "{count} reals of {} kinds; resident: {:.1} MiB at start, {:.1} MiB with the \
         configuration and targets, {:.1} MiB after {seconds} s of checks \
         ({} checks run)",
        KINDS.len(),
        mib(start),
        mib(configured),
        mib(checking),
        stats.checks
    );
    println!(
        "per real: {:.0} bytes for its configuration and target, {:.0} bytes in the engine \
         (its task, state and timer), {:.0} bytes in all",
        configured.saturating_sub(start) as f64 / count as f64,
        checking.saturating_sub(configured) as f64 / count as f64,
        checking.saturating_sub(start) as f64 / count as f64,
    );
    drop(config);
    runtime.block_on(engine.shutdown());
}
