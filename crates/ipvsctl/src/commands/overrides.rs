// SPDX-License-Identifier: MIT OR Apache-2.0
//! `ipvsctl drain|disable|enable|weight`: ask the running daemon to put an
//! override on reals (or take it off). `drain --wait` then watches the
//! kernel's active connections of each real drained (through the ipvs
//! crate) until they reach 0 or the timeout, and disables it.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use anyhow::Context;
use ipvs::{Ipvs, ServiceKey};

use super::status::unexpected;
use crate::cli::RealArgs;
use crate::daemon::protocol::{ChangedReal, Request, Response, Selection, Weighting};
use crate::daemon::socket;
use crate::exit;

/// Exit code of `drain --wait` when the timeout came first.
const TIMED_OUT: i32 = 2;
/// Time between two reads of the connection counts.
const POLL: Duration = Duration::from_secs(1);
/// Time between two progress lines.
const PROGRESS: Duration = Duration::from_secs(30);

fn selection(args: RealArgs) -> Selection {
    Selection {
        real: args.real,
        virtual_: args.virtual_,
        reason: args.reason,
    }
}

/// Sends the request; prints `VERB REAL in VIRTUAL` for each real taken.
fn ask(request: &Request, verb: &str) -> anyhow::Result<Vec<ChangedReal>> {
    match socket::request(&socket::Address::here(), request)? {
        Response::Changed(changed) => {
            for r in &changed.reals {
                println!("{verb} {} in {}", r.real, r.service);
            }
            Ok(changed.reals)
        }
        other => Err(unexpected(other)),
    }
}

/// `ipvsctl drain`.
pub fn drain(args: RealArgs, wait: Option<&str>) -> anyhow::Result<i32> {
    let timeout = wait.map(timeout).transpose()?;
    let request = Request::Drain(selection(args.clone()));
    let reals = ask(&request, "drained")?;
    let Some(timeout) = timeout else {
        return Ok(exit::SUCCESS);
    };
    let drained = wait_for_zero(&reals, timeout)?;
    ask(&Request::Disable(selection(args)), "disabled")?;
    Ok(if drained { exit::SUCCESS } else { TIMED_OUT })
}

/// `ipvsctl disable`.
pub fn disable(args: RealArgs) -> anyhow::Result<i32> {
    ask(&Request::Disable(selection(args)), "disabled")?;
    Ok(exit::SUCCESS)
}

/// `ipvsctl enable`.
pub fn enable(args: RealArgs) -> anyhow::Result<i32> {
    ask(&Request::Enable(selection(args)), "enabled")?;
    Ok(exit::SUCCESS)
}

/// `ipvsctl drain --director` (`drain`) and `enable --director`.
pub fn director(drain: bool) -> anyhow::Result<i32> {
    let request = if drain {
        Request::DrainDirector
    } else {
        Request::EnableDirector
    };
    match socket::request(&socket::Address::here(), &request)? {
        Response::Director(state) => {
            if state.drained {
                println!("director drained: nothing announced");
            } else if state.announced.is_empty() {
                println!("director enabled: nothing announced yet (no real up, or first checks)");
            } else {
                println!(
                    "director enabled: announcing {}",
                    state.announced.join(", ")
                );
            }
            Ok(exit::SUCCESS)
        }
        other => Err(unexpected(other)),
    }
}

/// `ipvsctl weight`.
pub fn weight(args: RealArgs, weight: u32) -> anyhow::Result<i32> {
    let request = Request::Weight(Weighting {
        selection: selection(args),
        weight,
    });
    ask(&request, &format!("weight {weight} for"))?;
    Ok(exit::SUCCESS)
}

/// `300`, `90s`, `5m`, `1h`.
pub fn timeout(text: &str) -> anyhow::Result<Duration> {
    let text = text.trim();
    let (number, unit) = match text.find(|c: char| !c.is_ascii_digit()) {
        Some(at) => text.split_at(at),
        None => (text, "s"),
    };
    let n: u64 = number
        .parse()
        .ok()
        .filter(|n| *n > 0)
        .with_context(|| format!("--wait={text}: not a time (300, 90s, 5m, 1h)"))?;
    let seconds = match unit {
        "s" => n,
        "m" => n.saturating_mul(60),
        "h" => n.saturating_mul(3600),
        _ => anyhow::bail!("--wait={text}: not a time (300, 90s, 5m, 1h)"),
    };
    Ok(Duration::from_secs(seconds))
}

/// The reals with their virtuals, as the kernel's keys.
fn keys(reals: &[ChangedReal]) -> anyhow::Result<Vec<(ServiceKey, SocketAddr)>> {
    reals
        .iter()
        .map(|r| {
            let service = crate::record::parse_key(&r.service)
                .with_context(|| format!("the daemon named `{}`", r.service))?;
            let real = r
                .real
                .parse()
                .with_context(|| format!("the daemon named `{}`", r.real))?;
            Ok((service, real))
        })
        .collect()
}

/// Waits until no real has active connections, or `timeout`; `true` when
/// they all reached 0. A progress line at most every [`PROGRESS`].
fn wait_for_zero(reals: &[ChangedReal], timeout: Duration) -> anyhow::Result<bool> {
    let keys = keys(reals)?;
    let mut table = Ipvs::connect().context("cannot read the kernel's table")?;
    let start = Instant::now();
    let mut said = start;
    loop {
        let mut active = 0u64;
        // Reals out of the table (down, in a virtual that is not
        // quiescent): the kernel keeps their connections until they end or
        // expire, but no longer counts them.
        let mut absent = 0usize;
        for (service, real) in &keys {
            let destinations = match table.destinations(service) {
                Ok(d) => d,
                // The virtual is gone: nothing is active through it.
                Err(e) if e.kind() == Some(&ipvs::ErrorKind::NoSuchService) => continue,
                Err(e) => return Err(anyhow::Error::new(e).context("cannot read the table")),
            };
            let mut found = destinations
                .iter()
                .filter(|d| d.destination.address == *real)
                .peekable();
            if found.peek().is_none() {
                absent += 1;
            }
            active += found.map(|d| u64::from(d.active_connections)).sum::<u64>();
        }
        if active == 0 {
            println!(
                "no active connections left after {}s",
                start.elapsed().as_secs()
            );
            if absent > 0 {
                println!(
                    "({absent} of them out of the table, down: the kernel no longer counts \
                     their connections, which end or expire on their own)"
                );
            }
            return Ok(true);
        }
        if start.elapsed() >= timeout {
            println!(
                "{active} active connection(s) left after {}s (the timeout); disabling all the same",
                start.elapsed().as_secs()
            );
            return Ok(false);
        }
        if said.elapsed() >= PROGRESS {
            println!("waiting: {active} active connection(s)");
            said = Instant::now();
        }
        std::thread::sleep(POLL);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts_in_seconds_minutes_or_hours() {
        assert_eq!(timeout("300").unwrap(), Duration::from_secs(300));
        assert_eq!(timeout("90s").unwrap(), Duration::from_secs(90));
        assert_eq!(timeout("5m").unwrap(), Duration::from_secs(300));
        assert_eq!(timeout("1h").unwrap(), Duration::from_secs(3600));
        for wrong in ["", "0", "5x", "m", "-3", "1.5m"] {
            assert!(timeout(wrong).is_err(), "{wrong}");
        }
    }
}
