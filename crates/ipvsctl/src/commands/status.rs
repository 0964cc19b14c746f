// SPDX-License-Identifier: MIT OR Apache-2.0
//! `ipvsctl status [--json]` and `ipvsctl reload`: ask the running daemon.

use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::Context;
use serde_json::Value;

use crate::daemon::control;
use crate::exit;

/// Prints the daemon's status.
pub fn run(json: bool) -> anyhow::Result<i32> {
    let answer = control::request("status")?;
    if json {
        println!("{}", answer.trim_end());
        return Ok(exit::SUCCESS);
    }
    let status: Value = serde_json::from_str(&answer).context("the daemon's answer is not JSON")?;
    print!("{}", render(&status));
    Ok(exit::SUCCESS)
}

/// Asks the daemon to re-read its files.
pub fn reload() -> anyhow::Result<i32> {
    let answer: Value = serde_json::from_str(&control::request("reload")?)?;
    let message = answer["message"].as_str().unwrap_or("no answer");
    println!("{message}");
    Ok(if message.starts_with("reloaded") {
        exit::SUCCESS
    } else {
        exit::FAILURE
    })
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
fn render(status: &Value) -> String {
    let mut out = String::new();
    for v in status["virtuals"].as_array().into_iter().flatten() {
        let name = v["name"]
            .as_str()
            .map(|n| format!(" ({n})"))
            .unwrap_or_default();
        out.push_str(&format!("{}{name}\n", v["service"].as_str().unwrap_or("?")));
        for r in v["reals"].as_array().into_iter().flatten() {
            let kernel = match &r["kernel"] {
                Value::Object(k) => format!(
                    "weight {:<5} conns {}/{}",
                    k["weight"].to_string(),
                    k["active_connections"],
                    k["inactive_connections"]
                ),
                _ => "not in table".to_string(),
            };
            let last = match &r["last_check"] {
                Value::Object(c) => format!(
                    "{} ({:.1} ms)",
                    c["detail"].as_str().unwrap_or(""),
                    c["latency_ms"].as_f64().unwrap_or(0.0)
                ),
                _ => "not checked yet".to_string(),
            };
            out.push_str(&format!(
                "  {:<24} {:<5} for {:<5} {:<26} {last}\n",
                r["address"].as_str().unwrap_or("?"),
                r["health"].as_str().unwrap_or("?"),
                ago(r["since_unix"].as_f64().unwrap_or(0.0)),
                kernel
            ));
        }
        if let Value::Object(f) = &v["fallback"] {
            let state = if f["in_table"].as_bool() == Some(true) {
                "in table"
            } else {
                "standing by"
            };
            out.push_str(&format!(
                "  fallback {} {state}\n",
                f["address"].as_str().unwrap_or("?")
            ));
        }
    }
    out
}
