// SPDX-License-Identifier: MIT OR Apache-2.0
//! `ipvsctl status [--json|--pid]` and `ipvsctl reload`: ask the running
//! daemon of this network namespace.

use std::time::{SystemTime, UNIX_EPOCH};

use crate::daemon::protocol::{OverrideStatus, Request, Response, Status};
use crate::daemon::socket;
use crate::exit;

/// Prints the daemon's status.
pub fn run(json: bool) -> anyhow::Result<i32> {
    let status = match socket::request(&socket::Address::here(), &Request::Status)? {
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

/// Prints the pid of the daemon that answers.
pub fn pid() -> anyhow::Result<i32> {
    println!("{}", socket::daemon_pid(&socket::Address::here())?);
    Ok(exit::SUCCESS)
}

/// Asks the daemon to re-read its files.
pub fn reload() -> anyhow::Result<i32> {
    let outcome = match socket::request(&socket::Address::here(), &Request::Reload)? {
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
pub(super) fn unexpected(response: Response) -> anyhow::Error {
    match response {
        Response::Error(message) => anyhow::anyhow!("the daemon says: {message}"),
        _ => anyhow::anyhow!("the daemon answered another question"),
    }
}

pub(super) fn ago(since: f64) -> String {
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
    if let Some(a) = &status.announce {
        let state = if a.drained {
            "director drained (drain --director): nothing announced".to_string()
        } else if !a.ready {
            "waiting for every real's first check".to_string()
        } else if a.announced.is_empty() {
            "nothing announced (no virtual served)".to_string()
        } else {
            format!("announced: {}", a.announced.join(", "))
        };
        out.push_str(&format!(
            "announce (proto {}, table {}): {state}\n",
            a.protocol, a.table
        ));
    }
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
            if let Some(o) = &r.override_ {
                out.push_str(&override_line(o));
            }
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
    if let Some(resync) = &status.resync {
        out.push_str(&super::resync::status_line(resync));
    }
    out
}

/// The line under a real that says what an operator (or a file) put on
/// it: `    drained by alice 3m ago: kernel update`.
fn override_line(o: &OverrideStatus) -> String {
    let what = match (o.action.as_str(), o.weight) {
        ("drain", _) => "drained".to_string(),
        ("disable", _) => "disabled".to_string(),
        ("weight", Some(weight)) => format!("weight {weight}"),
        ("maintenance", _) => "in maintenance".to_string(),
        (other, _) => other.to_string(),
    };
    let by = if o.action == "maintenance" {
        "file"
    } else {
        "by"
    };
    let why = o
        .reason
        .as_ref()
        .map(|r| format!(": {r}"))
        .unwrap_or_default();
    format!(
        "    {what} {by} {} {} ago{why}\n",
        o.who,
        ago(o.since_unix as f64)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::daemon::protocol::{
        CheckStatus, FallbackStatus, KernelEntry, RealStatus, VirtualStatus,
    };

    fn real(address: &str, health: &str) -> RealStatus {
        RealStatus {
            address: address.to_string(),
            health: health.to_string(),
            since_unix: 0,
            last_check: None,
            consecutive_ok: 0,
            consecutive_failed: 0,
            kernel: None,
            override_: None,
        }
    }

    #[test]
    fn one_line_per_real_then_the_fallback() {
        let mut up = real("192.168.0.4:80", "up");
        up.kernel = Some(KernelEntry {
            weight: 1,
            active_connections: 0,
            inactive_connections: 6,
        });
        up.last_check = Some(CheckStatus {
            ok: true,
            at_unix: 0.0,
            latency_ms: 91.26,
            detail: "HTTP 200 in 91 ms".to_string(),
        });
        let mut drained = real("192.168.0.5:80", "down");
        drained.override_ = Some(OverrideStatus {
            action: "drain".to_string(),
            weight: None,
            who: "alice".to_string(),
            since_unix: 0,
            reason: Some("kernel update".to_string()),
        });
        let status = Status {
            virtuals: vec![VirtualStatus {
                service: "tcp 192.168.0.3:80".to_string(),
                name: Some("www".to_string()),
                reals: vec![up, drained],
                fallback: Some(FallbackStatus {
                    address: "127.0.0.1:80".to_string(),
                    in_table: false,
                }),
            }],
            resync: None,
            announce: None,
        };
        let ago = ago(0.0);
        assert_eq!(
            render(&status),
            format!(
                "tcp 192.168.0.3:80 (www)\n\
                 \x20 192.168.0.4:80           up    for {ago:<5} weight 1     conns 0/6     HTTP 200 in 91 ms (91.3 ms)\n\
                 \x20 192.168.0.5:80           down  for {ago:<5} not in table               not checked yet\n\
                 \x20   drained by alice {ago} ago: kernel update\n\
                 \x20 fallback 127.0.0.1:80 standing by\n"
            )
        );
    }
}
