// SPDX-License-Identifier: MIT OR Apache-2.0
//! `ipvsctl apply FILE... [--prune]`: make the kernel match.
//!
//! Nothing is sent unless every file is good. The changes go in one batch;
//! when the kernel refuses one, the others still happen, each refusal is
//! reported with its object, and the exit code is 1: the table is then the
//! old one with every accepted change made, and a second apply (once the
//! cause is fixed) finishes the job.

use std::collections::BTreeSet;
use std::path::PathBuf;

use ipvs::Ipvs;

use crate::commands::plan::{compute, mention_left_alone};
use crate::{exit, record, report, sync_daemons};

/// Applies; prints the changes made (or "no changes").
pub fn run(files: &[PathBuf], prune: bool, netlink_stats: bool) -> anyhow::Result<i32> {
    let result = apply(files, prune);
    if let (true, Ok((_, Some(counters)))) = (netlink_stats, &result) {
        eprintln!(
            "netlink: dumps={} reads={} writes={} sendmsg={}",
            counters.dumps, counters.reads, counters.writes, counters.send_calls
        );
    }
    result.map(|(code, _)| code)
}

fn apply(files: &[PathBuf], prune: bool) -> anyhow::Result<(i32, Option<ipvs::Counters>)> {
    let Some(config) = report::load(files) else {
        return Ok((exit::FAILURE, None));
    };
    let mut ipvs = Ipvs::connect()?;
    let planned = compute(&mut ipvs, &config, prune)?;
    let sync_changes = sync_daemons::plan(&mut ipvs, &config)?;
    mention_left_alone(&planned);
    if planned.plan.is_empty() && sync_changes.is_empty() {
        println!("no changes");
        if planned.managed.as_ref() != Some(&planned.wanted) {
            record::save(&planned.wanted)?;
        }
        return Ok((exit::SUCCESS, Some(ipvs.counters())));
    }
    let operations: Vec<_> = planned.plan.changes.iter().map(|c| c.operation()).collect();
    let failures = if operations.is_empty() {
        Vec::new()
    } else {
        ipvs.execute(&operations)?
    };
    let failed: BTreeSet<usize> = failures.iter().map(|f| f.index).collect();
    for (index, change) in planned.plan.changes.iter().enumerate() {
        if !failed.contains(&index) {
            println!("{change}");
        }
    }
    for failure in &failures {
        eprintln!("error: {}", failure.error);
    }
    let mut refused = failures.len();
    for change in &sync_changes {
        match sync_daemons::execute(&mut ipvs, change) {
            Ok(()) => println!("{change}"),
            Err(error) => {
                eprintln!("error: {error}");
                refused += 1;
            }
        }
    }
    // Ours from now on: what is declared, and what was ours and is still
    // there (a delete that failed).
    let mut managed = planned.wanted.clone();
    if !failures.is_empty() {
        let present: BTreeSet<_> = ipvs
            .services()?
            .into_iter()
            .map(|s| s.service.key)
            .collect();
        if let Some(old) = &planned.managed {
            managed.extend(old.intersection(&present).copied());
        }
    }
    record::save(&managed)?;
    let counters = Some(ipvs.counters());
    if refused == 0 {
        Ok((exit::SUCCESS, counters))
    } else {
        eprintln!(
            "error: {} of {} changes refused by the kernel; the others were made",
            refused,
            operations.len() + sync_changes.len()
        );
        Ok((exit::FAILURE, counters))
    }
}
