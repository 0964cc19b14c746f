// SPDX-License-Identifier: MIT OR Apache-2.0
//! `ipvsctl apply FILE... [--prune]`: make the kernel match.
//!
//! Refused while a daemon manages this network namespace (`ipvsctl
//! reload` is for that; `--force` applies all the same). Nothing is sent
//! unless every file is good. The changes go in one batch;
//! when the kernel refuses one, the others still happen, each refusal is
//! reported with its object, and the exit code is 1: the table is then the
//! old one with every accepted change made, and a second apply (once the
//! cause is fixed) finishes the job.
//!
//! The record of managed services is written before the batch (what was
//! ours and what is declared) and again after it (what is ours now), so
//! that an apply killed half-way leaves no service of its making unowned.

use std::collections::BTreeSet;
use std::path::PathBuf;

use ipvs::Ipvs;

use crate::commands::daemon_guard::{self, Writer};
use crate::commands::plan::{compute, mention_left_alone};
use crate::execute::{self, Kind, Report, Step};
use crate::record::Record;
use crate::{exit, kernel_settings, report, sync_daemons};

/// Applies; prints the changes made (or "no changes").
pub fn run(
    files: &[PathBuf],
    prune: bool,
    netlink_stats: bool,
    force: bool,
) -> anyhow::Result<i32> {
    if let Some(refused) = daemon_guard::refusal(Writer::Apply, force) {
        eprintln!("error: {refused}");
        return Ok(exit::FAILURE);
    }
    let result = apply(files, prune);
    if let (true, Ok((_, Some(counters)))) = (netlink_stats, &result) {
        eprintln!(
            "netlink: dumps={} reads={} writes={} sendmsg={}",
            counters.dumps, counters.reads, counters.writes, counters.send_calls
        );
    }
    result.map(|(code, _)| code)
}

/// Prints what was made on stdout and what the kernel refused on stderr.
struct Print;

impl Report for Print {
    fn made(&mut self, step: Step<'_>) {
        println!("{step}");
    }

    fn refused(&mut self, _kind: Kind, error: &ipvs::Error) {
        eprintln!("error: {error}");
    }
}

fn apply(files: &[PathBuf], prune: bool) -> anyhow::Result<(i32, Option<ipvs::Counters>)> {
    let Some(config) = report::load(files) else {
        return Ok((exit::FAILURE, None));
    };
    let mut ipvs = Ipvs::connect()?;
    let planned = compute(&mut ipvs, &config, prune)?;
    let sync_changes = sync_daemons::plan(&mut ipvs, &config)?;
    let kernel_changes = kernel_settings::plan(&mut ipvs, &config)?;
    mention_left_alone(&planned);
    let record = Record::here();
    if planned.plan.is_empty() && sync_changes.is_empty() && kernel_changes.is_empty() {
        println!("no changes");
        if planned.managed.as_ref() != Some(&planned.wanted) {
            record.save(&planned.wanted)?;
        }
        return Ok((exit::SUCCESS, Some(ipvs.counters())));
    }
    let changes = &planned.plan.changes;
    // Written ahead: an apply killed half-way (kill -9, a crash, power)
    // has made some of the declared services, and the next apply must know
    // them as ours, or it would leave them alone once no longer declared.
    if !changes.is_empty() {
        let mut ours = planned.wanted.clone();
        ours.extend(planned.managed.iter().flatten().copied());
        record.save(&ours)?;
    }
    let table_refused = execute::table_changes(&mut ipvs, changes, &mut Print)?;
    let refused = table_refused
        + execute::sync_changes(&mut ipvs, &sync_changes, &mut Print)
        + execute::kernel_changes(&mut ipvs, &kernel_changes, &mut Print);
    // Ours from now on: what is declared, and what was ours and is still
    // there (a delete that failed).
    let mut managed = planned.wanted.clone();
    if table_refused > 0 {
        let present: BTreeSet<_> = ipvs
            .services()?
            .into_iter()
            .map(|s| s.service.key)
            .collect();
        if let Some(old) = &planned.managed {
            managed.extend(old.intersection(&present).copied());
        }
    }
    record.save(&managed)?;
    let counters = Some(ipvs.counters());
    if refused == 0 {
        Ok((exit::SUCCESS, counters))
    } else {
        eprintln!(
            "error: {} of {} changes refused by the kernel; the others were made",
            refused,
            changes.len() + sync_changes.len() + kernel_changes.len()
        );
        Ok((exit::FAILURE, counters))
    }
}
