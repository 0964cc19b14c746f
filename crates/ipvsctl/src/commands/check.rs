// SPDX-License-Identifier: MIT OR Apache-2.0
//! `ipvsctl check FILE...`: every real's check once, now, with no kernel
//! access; one line per real, in the files' order.
//!
//! The checks are health's own ([`health::check_once`]), run together: at
//! most [`health::default_permits`] descriptors at once, as in the daemon,
//! each check bounded by its own timeout. The fallback is not checked: the
//! daemon never checks it either (it is in the table while no real is up).

use std::io::Write;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use config::model::{CheckKind, Config, Virtual};
use health::{CheckResult, Health, Target, TargetKey};
use serde::Serialize;
use tokio::sync::Semaphore;

use crate::{desired, exit, report};

/// Exit code when some real is down.
const SOME_DOWN: i32 = 2;

/// Which reals to check: all, or those named by `--virtual` and `--real`.
#[derive(Debug, Default)]
pub struct Narrowing {
    /// A virtual's name, its address (`10.0.0.1:80`) or its key as `list`
    /// prints it (`tcp 10.0.0.1:80`, `fwmark 7`).
    pub virtuals: Vec<String>,
    /// A real's `ip:port` or `ip`.
    pub reals: Vec<String>,
}

/// One checked real, as printed.
#[derive(Debug, Serialize)]
struct Line {
    /// `tcp 10.0.0.1:80`, `fwmark 7`.
    #[serde(rename = "virtual")]
    service: String,
    /// The virtual's name, if it has one.
    name: Option<String>,
    real: SocketAddr,
    /// The check's type.
    kind: &'static str,
    /// `up` or `down`.
    health: String,
    /// What happened: `HTTP 200`, `connect refused`, …
    reason: String,
    /// How long the check took; none for `none` and `off`, which probe nothing.
    latency_ms: Option<f64>,
}

/// The whole answer of `--json`.
#[derive(Debug, Serialize)]
struct Answer<'a> {
    up: usize,
    down: usize,
    reals: &'a [Line],
}

/// Exit 0 when every real is up, 2 when some are down, 1 when a file is
/// wrong (with `validate`'s diagnostics) or a narrowing names nothing.
pub fn run(files: &[PathBuf], json: bool, narrowing: &Narrowing) -> anyhow::Result<i32> {
    let Some(config) = report::load(files) else {
        return Ok(exit::FAILURE);
    };
    let targets = match targets(&config, narrowing) {
        Ok(targets) => targets,
        Err(message) => {
            eprintln!("error: {message}");
            return Ok(exit::FAILURE);
        }
    };
    // As the daemon does: the permit bound is half the soft limit.
    let _ = health::raise_nofile_limit();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the runtime")?;
    let results = runtime.block_on(check_all(
        targets.iter().map(|(_, t)| t.clone()).collect(),
        health::default_permits(),
    ));
    let lines: Vec<Line> = targets
        .iter()
        .zip(results)
        .map(|((v, t), r)| line(v, t, r))
        .collect();
    let down = lines.iter().filter(|l| l.health != "up").count();
    let text = if json {
        let answer = Answer {
            up: lines.len() - down,
            down,
            reals: &lines,
        };
        serde_json::to_string_pretty(&answer)? + "\n"
    } else {
        render(&lines)
    };
    // An error, not a panic, when stdout is a closed pipe (`| head`).
    std::io::stdout().lock().write_all(text.as_bytes())?;
    Ok(if down == 0 { exit::SUCCESS } else { SOME_DOWN })
}

/// The reals to check, each with its virtual, in the files' order; `Err`
/// when a `--virtual` or `--real` names nothing in the files.
fn targets<'c>(
    config: &'c Config,
    narrowing: &Narrowing,
) -> Result<Vec<(&'c Virtual, Target<String>)>, String> {
    for name in &narrowing.virtuals {
        if !config.virtuals.iter().any(|v| virtual_named(v, name)) {
            return Err(format!(
                "--virtual {name}: no such virtual service in the files"
            ));
        }
    }
    for name in &narrowing.reals {
        let real_of = |v: &Virtual| v.reals.iter().any(|r| real_named(r.address, name));
        if !config.virtuals.iter().any(real_of) {
            return Err(format!("--real {name}: no such real server in the files"));
        }
    }
    let mut targets = Vec::new();
    for v in &config.virtuals {
        if !narrowing.virtuals.is_empty() && !narrowing.virtuals.iter().any(|n| virtual_named(v, n))
        {
            continue;
        }
        let key = desired::service_key(&v.key);
        let (virtual_host, virtual_port) = match key {
            ipvs::ServiceKey::Address { address, .. } => (address.ip().to_string(), address.port()),
            ipvs::ServiceKey::Fwmark { mark, .. } => (mark.to_string(), 0),
        };
        for real in &v.reals {
            if !narrowing.reals.is_empty()
                && !narrowing.reals.iter().any(|n| real_named(real.address, n))
            {
                continue;
            }
            let target = Target {
                key: TargetKey {
                    service: key.to_string(),
                    real: real.address,
                },
                check: v.check.clone(),
                virtual_host: virtual_host.clone(),
                virtual_port,
                initially_up: false,
            };
            targets.push((v, target));
        }
    }
    Ok(targets)
}

/// Whether `name` is the virtual's name, its address or its key.
fn virtual_named(v: &Virtual, name: &str) -> bool {
    let key = desired::service_key(&v.key);
    v.name.as_deref() == Some(name)
        || key.to_string() == name
        || matches!(v.key, config::model::VirtualKey::Address { address, .. }
            if name.parse::<SocketAddr>() == Ok(address))
}

/// Whether `name` is the real's `ip:port`, or its `ip`.
fn real_named(real: SocketAddr, name: &str) -> bool {
    name.parse::<SocketAddr>() == Ok(real) || name.parse::<IpAddr>() == Ok(real.ip())
}

/// Runs every check at once, each holding its descriptors' permits (an
/// external check two, as in the engine); the results in the targets' order.
async fn check_all(targets: Vec<Target<String>>, permits: usize) -> Vec<CheckResult> {
    let permits = Arc::new(Semaphore::new(permits));
    let tasks: Vec<_> = targets
        .into_iter()
        .map(|target| {
            let permits = Arc::clone(&permits);
            tokio::spawn(async move {
                let units = match target.check.kind {
                    CheckKind::External(_) => 2,
                    _ => 1,
                };
                // The semaphore is never closed.
                let _permit = permits.acquire_many(units).await;
                health::check_once(&target).await
            })
        })
        .collect();
    let mut results = Vec::with_capacity(tasks.len());
    for task in tasks {
        results.push(match task.await {
            Ok(result) => result,
            Err(e) => CheckResult {
                ok: false,
                at: std::time::SystemTime::now(),
                latency: Duration::ZERO,
                detail: format!("the check failed: {e}"),
            },
        });
    }
    results
}

fn line(v: &Virtual, target: &Target<String>, result: CheckResult) -> Line {
    let probed = !matches!(v.check.kind, CheckKind::None | CheckKind::Off);
    Line {
        service: target.key.service.clone(),
        name: v.name.clone(),
        real: target.key.real,
        kind: v.check.kind.type_name(),
        health: Health::from(result.ok).to_string(),
        reason: reason(&result),
        latency_ms: probed.then_some(result.latency.as_secs_f64() * 1000.0),
    }
}

/// The check's detail without the latency a passing check appends to it
/// (`HTTP 200 in 3 ms` -> `HTTP 200`): it has a column of its own.
fn reason(result: &CheckResult) -> String {
    match result.detail.rsplit_once(" in ") {
        Some((what, took)) if result.ok && (took.ends_with(" ms") || took.ends_with(" s")) => {
            what.to_string()
        }
        _ => result.detail.clone(),
    }
}

/// `0.4 ms`, `3 ms`, `1.25 s`; `-` when nothing was probed.
fn latency_text(ms: Option<f64>) -> String {
    match ms {
        None => "-".to_string(),
        Some(ms) if ms < 1.0 => format!("{ms:.1} ms"),
        Some(ms) if ms < 1000.0 => format!("{} ms", ms.round() as u64),
        Some(ms) => format!("{:.2} s", ms / 1000.0),
    }
}

/// One line per real, in columns: virtual (and name), real, check type,
/// up/down, reason, latency.
fn render(lines: &[Line]) -> String {
    let rows: Vec<[String; 6]> = lines
        .iter()
        .map(|l| {
            let service = match &l.name {
                Some(name) => format!("{} ({name})", l.service),
                None => l.service.clone(),
            };
            [
                service,
                l.real.to_string(),
                l.kind.to_string(),
                l.health.clone(),
                l.reason.clone(),
                latency_text(l.latency_ms),
            ]
        })
        .collect();
    let mut widths = [0usize; 6];
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for row in &rows {
        let mut text = String::new();
        for (i, (cell, width)) in row.iter().zip(widths).enumerate() {
            if i + 1 == row.len() {
                text.push_str(cell);
            } else {
                text.push_str(&format!("{cell:<width$}  "));
            }
        }
        out.push_str(text.trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(ok: bool, detail: &str) -> CheckResult {
        CheckResult {
            ok,
            at: std::time::SystemTime::UNIX_EPOCH,
            latency: Duration::from_micros(400),
            detail: detail.to_string(),
        }
    }

    #[test]
    fn the_reason_leaves_the_latency_to_its_column() {
        assert_eq!(reason(&result(true, "HTTP 200 in 3 ms")), "HTTP 200");
        assert_eq!(reason(&result(true, "connected in 1.25 s")), "connected");
        assert_eq!(reason(&result(true, "check type none")), "check type none");
        assert_eq!(
            reason(&result(false, "body lacks \"up in 3 ms\"")),
            "body lacks \"up in 3 ms\""
        );
    }

    #[test]
    fn columns_line_up() {
        let line =
            |service: &str, name: Option<&str>, real: &str, health: &str, reason: &str| Line {
                service: service.to_string(),
                name: name.map(str::to_string),
                real: real.parse().unwrap(),
                kind: "http",
                health: health.to_string(),
                reason: reason.to_string(),
                latency_ms: Some(0.4),
            };
        let lines = [
            line(
                "tcp 10.0.0.1:80",
                Some("www"),
                "10.0.0.2:80",
                "up",
                "HTTP 200",
            ),
            line(
                "tcp 10.0.0.1:80",
                Some("www"),
                "10.0.0.30:8080",
                "down",
                "connect refused",
            ),
        ];
        assert_eq!(
            render(&lines),
            "tcp 10.0.0.1:80 (www)  10.0.0.2:80     http  up    HTTP 200         0.4 ms\n\
             tcp 10.0.0.1:80 (www)  10.0.0.30:8080  http  down  connect refused  0.4 ms\n"
        );
        assert_eq!(latency_text(None), "-");
        assert_eq!(latency_text(Some(3.2)), "3 ms");
        assert_eq!(latency_text(Some(1250.0)), "1.25 s");
    }
}
