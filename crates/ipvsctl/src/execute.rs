// SPDX-License-Identifier: MIT OR Apache-2.0
//! Executing a plan and reporting it, for `apply` (which prints) and the
//! daemon (which logs): the kernel's refusals are reported one by one, by
//! the change they refused, after the changes made.

use std::collections::BTreeSet;
use std::fmt;

use planner::{Change, KernelChange, SyncChange};

use crate::table::Table;
use crate::{kernel_settings, sync_daemons};

/// One change, of the table or of the sync daemons.
#[derive(Debug, Clone, Copy)]
pub enum Step<'a> {
    /// A service or real.
    Table(&'a Change),
    /// A connection-sync daemon.
    Sync(&'a SyncChange),
    /// A timeout or IPVS sysctl.
    Kernel(&'a KernelChange),
}

impl fmt::Display for Step<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Step::Table(change) => change.fmt(f),
            Step::Sync(change) => change.fmt(f),
            Step::Kernel(change) => change.fmt(f),
        }
    }
}

/// What a refused step was: the error names the object itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A service or real.
    Table,
    /// A connection-sync daemon.
    Sync,
    /// A timeout or IPVS sysctl.
    Kernel,
}

/// Where the outcome of each step goes.
pub trait Report {
    /// The step was made.
    fn made(&mut self, step: Step<'_>);
    /// The kernel refused a step.
    fn refused(&mut self, kind: Kind, error: &ipvs::Error);
}

/// Makes the table changes in one batch, then reports each change made
/// (in order), then each refusal. Returns how many were refused; `Err`
/// when the batch could not be sent at all.
pub fn table_changes<T: Table + ?Sized>(
    table: &mut T,
    changes: &[Change],
    report: &mut impl Report,
) -> ipvs::Result<usize> {
    if changes.is_empty() {
        return Ok(0);
    }
    let operations: Vec<_> = changes.iter().map(Change::operation).collect();
    let failures = table.execute(&operations)?;
    let failed: BTreeSet<usize> = failures.iter().map(|f| f.index).collect();
    for (index, change) in changes.iter().enumerate() {
        if !failed.contains(&index) {
            report.made(Step::Table(change));
        }
    }
    for failure in &failures {
        report.refused(Kind::Table, &failure.error);
    }
    Ok(failures.len())
}

/// Makes the sync-daemon changes one by one, reporting each. Returns how
/// many were refused.
pub fn sync_changes<T: Table + ?Sized>(
    table: &mut T,
    changes: &[SyncChange],
    report: &mut impl Report,
) -> usize {
    let mut refused = 0;
    for change in changes {
        match sync_daemons::execute(table, change) {
            Ok(()) => report.made(Step::Sync(change)),
            Err(error) => {
                report.refused(Kind::Sync, &error);
                refused += 1;
            }
        }
    }
    refused
}

/// Makes the timeout and sysctl changes one by one, reporting each.
/// Returns how many were refused.
pub fn kernel_changes<T: Table + ?Sized>(
    table: &mut T,
    changes: &[KernelChange],
    report: &mut impl Report,
) -> usize {
    let mut refused = 0;
    for change in changes {
        match kernel_settings::execute(table, change) {
            Ok(()) => report.made(Step::Kernel(change)),
            Err(error) => {
                report.refused(Kind::Kernel, &error);
                refused += 1;
            }
        }
    }
    refused
}
