// SPDX-License-Identifier: MIT OR Apache-2.0
//! `ipvsctl status [--json]` and `ipvsctl reload`: ask the running daemon.

use std::time::{SystemTime, UNIX_EPOCH};

use crate::daemon::protocol::{Request, Response, Status};
use crate::daemon::socket;
use crate::exit;

/// Prints the daemon's status.
pub fn run(json: bool) -> anyhow::Result<i32> {
    let status = match socket::request(Request::Status)? {
        Response::Status(status) => status,
        other => return Err(unexpected(other)),
    };
    if json {
        println!("{}", serde_json::to_string_pretty(&status)?);
    } else {
        print!("{}", render(&status));
    }
    Ok(exit::SUCCESS)
}

/// Asks the daemon to re-read its files.
pub fn reload() -> anyhow::Result<i32> {
    let outcome = match socket::request(Request::Reload)? {
        Response::Reload(outcome) => outcome,
        other => return Err(unexpected(other)),
    };
    println!("{outcome}");
    Ok(if outcome.is_in() {
        exit::SUCCESS
    } else {
        exit::FAILURE
    })
}

/// An answer to another question, or the daemon's error.
fn unexpected(response: Response) -> anyhow::Error {
    match response {
        Response::Error(message) => anyhow::anyhow!("the daemon says: {message}"),
        _ => anyhow::anyhow!("the daemon answered another question"),
    }
}

fn ago(since: f64) -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64());
    let seconds = (now - since).max(0.0) as u64;
    match seconds {
        s if s < 120 => format!("{s}s"),
        s if s < 7200 => format!("{}m", s / 60),
        s => format!("{}h", s / 3600),
    }
}

/// The status as text, one line per real.
fn render(status: &Status) -> String {
    let mut out = String::new();
    for v in &status.virtuals {
        let name = v
            .name
            .as_ref()
            .map(|n| format!(" ({n})"))
            .unwrap_or_default();
        out.push_str(&format!("{}{name}\n", v.service));
        for r in &v.reals {
            let kernel = match &r.kernel {
                Some(k) => format!(
                    "weight {:<5} conns {}/{}",
                    k.weight.to_string(),
                    k.active_connections,
                    k.inactive_connections
                ),
                None => "not in table".to_string(),
            };
            let last = match &r.last_check {
                Some(c) => format!("{} ({:.1} ms)", c.detail, c.latency_ms),
                None => "not checked yet".to_string(),
            };
            out.push_str(&format!(
                "  {:<24} {:<5} for {:<5} {:<26} {last}\n",
                r.address,
                r.health,
                ago(r.since_unix as f64),
                kernel
            ));
        }
        if let Some(f) = &v.fallback {
            let state = if f.in_table {
                "in table"
            } else {
                "standing by"
            };
            out.push_str(&format!("  fallback {} {state}\n", f.address));
        }
    }
    out
}
