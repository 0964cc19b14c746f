// SPDX-License-Identifier: MIT OR Apache-2.0
//! `ipvsctl resync [--json]`: ask the running daemon to read the table now
//! and restore the declared state of the services it manages; and the line
//! `ipvsctl status` shows of the resyncs.

use crate::daemon::protocol::{Request, Response, ResyncReport, ResyncStatus};
use crate::daemon::socket;
use crate::exit;

use super::status::{ago, unexpected};

/// Asks for a resync and prints what it found. Exit 0: the table is as
/// declared now (repaired or already so); 1: something could not be
/// restored (each said why, and the daemon tries again at the next one).
pub fn run(json: bool) -> anyhow::Result<i32> {
    let report = match socket::request(&socket::Address::here(), &Request::Resync)? {
        Response::Resync(report) => report,
        other => return Err(unexpected(other)),
    };
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", render(&report));
    }
    let refused = report.repairs.iter().any(|r| !repaired(r));
    Ok(if report.error.is_none() && !refused {
        exit::SUCCESS
    } else {
        exit::FAILURE
    })
}

/// Whether a repair line says it was made.
fn repaired(line: &str) -> bool {
    line.ends_with("; restored") || line.ends_with("; removed")
}

/// One line per difference, then the summary.
fn render(report: &ResyncReport) -> String {
    let mut out = String::new();
    for line in &report.repairs {
        out.push_str(line);
        out.push('\n');
    }
    if let Some(error) = &report.error {
        out.push_str(&format!("resync failed: {error}\n"));
    } else if report.repairs.is_empty() {
        out.push_str(&format!(
            "the table is as declared ({} managed services, read in {:.1} ms)\n",
            report.services, report.read_ms
        ));
    } else {
        let made = report.repairs.iter().filter(|r| repaired(r)).count();
        out.push_str(&format!(
            "{made} of {} difference(s) repaired ({} managed services, read in {:.1} ms)\n",
            report.repairs.len(),
            report.services,
            report.read_ms
        ));
    }
    out
}

/// `status`'s line: `resync every 30s: last 12s ago, 0 differences; 3
/// repaired since start`.
pub(super) fn status_line(resync: &ResyncStatus) -> String {
    let every = match resync.period_s {
        Some(period) => format!("resync every {period}s"),
        None => "resync off ([defaults] resync)".to_string(),
    };
    let last = match &resync.last {
        None => "none yet".to_string(),
        Some(last) => {
            let found = match &last.error {
                Some(error) => format!("failed: {error}"),
                None => format!("{} difference(s)", last.repairs.len()),
            };
            format!("last {} ago, {found}", ago(last.at_unix))
        }
    };
    format!("{every}: {last}; {} repaired since start\n", resync.repairs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(repairs: &[&str]) -> ResyncReport {
        ResyncReport {
            at_unix: 0.0,
            read_ms: 1.25,
            loop_ms: 0.5,
            cpu_ms: 0.4,
            services: 3,
            repairs: repairs.iter().map(|r| r.to_string()).collect(),
            error: None,
        }
    }

    #[test]
    fn a_report_lists_each_difference_then_sums_up() {
        assert_eq!(
            render(&report(&[])),
            "the table is as declared (3 managed services, read in 1.2 ms)\n"
        );
        let text = render(&report(&[
            "tcp 10.0.0.1:80: real 10.0.0.12:80 had weight 0, declared 1 (changed outside ipvsctl); restored",
            "tcp 10.0.0.2:80: not in the table, declared sh (deleted outside ipvsctl); the kernel refused: no such scheduler",
        ]));
        assert!(text.ends_with(
            "no such scheduler\n1 of 2 difference(s) repaired (3 managed services, read in 1.2 ms)\n"
        ));
    }

    #[test]
    fn status_says_the_period_and_the_last_one() {
        let mut status = ResyncStatus {
            period_s: Some(30.0),
            runs: 0,
            repairs: 0,
            last: None,
        };
        assert_eq!(
            status_line(&status),
            "resync every 30s: none yet; 0 repaired since start\n"
        );
        status.period_s = None;
        status.last = Some(report(&["x; restored"]));
        status.repairs = 1;
        let line = status_line(&status);
        assert!(line.starts_with("resync off ([defaults] resync): last "));
        assert!(line.ends_with(" ago, 1 difference(s); 1 repaired since start\n"));
    }
}
