// SPDX-License-Identifier: MIT OR Apache-2.0
//! The table repairs itself: every `[defaults] resync` (30 s unless set)
//! and on `ipvsctl resync`, the loop reads the whole table once, plans the
//! services it manages against their declared state (configuration,
//! health, overrides, maintenance, fallback: the same
//! [`health_table::desired_service`](super::health_table::desired_service)
//! every transition uses), and writes the difference. Each difference is
//! logged with what was found ([`repair`](super::repair)). Services it does
//! not manage are not planned, so never touched.
//!
//! It runs on the loop, between two inputs, so it never races a
//! transition: one netlink dump and the plan (a few milliseconds at 2,000
//! services × 5 reals; the report says how long it held the loop and its
//! CPU time). The checks run on threads of their own and go on meanwhile;
//! a transition that comes in waits at most that long.

use std::collections::{BTreeSet, HashMap};
use std::net::SocketAddr;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use ipvs::ServiceKey;
use planner::{Change, Ownership};
use tokio::time::{Interval, MissedTickBehavior};
use tracing::{error, info, warn};

use super::checks::Checks;
use super::protocol::{ResyncReport, ResyncStatus};
use super::repair::{self, Cause};
use super::serve::Daemon;
use crate::desired;
use crate::metrics::ResyncCounts;
use crate::table::Table;

/// What the loop keeps of its resyncs.
#[derive(Debug, Default)]
pub(super) struct Resyncs {
    /// Resyncs since start.
    runs: u64,
    /// Differences repaired since start.
    repairs: u64,
    /// The last one.
    last: Option<ResyncReport>,
    /// Services whose last write was refused by the kernel: a difference
    /// found there is the daemon's own retry, not someone else's change.
    unsettled: BTreeSet<ServiceKey>,
}

impl Resyncs {
    /// The daemon wrote `changes`; `taken` when the kernel took them all.
    pub(super) fn settle(&mut self, changes: &[Change], taken: bool) {
        for change in changes {
            let service = repair::service_of(change);
            if taken {
                self.unsettled.remove(&service);
            } else {
                self.unsettled.insert(service);
            }
        }
    }

    /// As `status` shows them, with the period in force.
    pub(super) fn status(&self, period: Option<Duration>) -> ResyncStatus {
        ResyncStatus {
            period_s: period.map(|p| p.as_secs_f64()),
            runs: self.runs,
            repairs: self.repairs,
            last: self.last.clone(),
        }
    }
}

/// The periodic resync's timer: its first tick one period from now; a
/// resync that overruns its period delays the next rather than bunching
/// them. `None` when resync is off.
pub(super) fn timer(period: Option<Duration>) -> Option<Interval> {
    let period = period?;
    let mut interval = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
    interval.set_missed_tick_behavior(MissedTickBehavior::Delay);
    Some(interval)
}

impl<T: Table, C: Checks> Daemon<T, C> {
    /// Reads the table, restores the declared state of the managed
    /// services, logs each repair; returns (and keeps, for `status`) what
    /// it found and did.
    pub(super) fn resync(&mut self) -> ResyncReport {
        let started = Instant::now();
        let cpu = thread_cpu();
        let at_unix = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64());
        let mut report = ResyncReport {
            at_unix,
            took_ms: 0.0,
            cpu_ms: 0.0,
            services: self.config.virtuals.len(),
            repairs: Vec::new(),
            error: None,
        };
        match self.table.entries() {
            Ok(table) => {
                let desired_services = self.desired_all(&table);
                let managed = desired_services.iter().map(|d| d.service.key).collect();
                let plan = planner::plan(
                    &desired_services,
                    &table,
                    &Ownership {
                        managed: Some(managed),
                        prune: false,
                    },
                );
                let made = self.repair(&plan.changes, &mut report);
                if made == plan.changes.len() && made > 0 {
                    self.note_fallbacks(&desired_services);
                }
                self.resyncs.repairs += made as u64;
            }
            Err(e) => {
                error!("resync: cannot read the table: {e}");
                report.error = Some(format!("cannot read the table: {e}"));
            }
        }
        report.took_ms = started.elapsed().as_secs_f64() * 1000.0;
        report.cpu_ms = thread_cpu().saturating_sub(cpu).as_secs_f64() * 1000.0;
        if !report.repairs.is_empty() {
            info!(
                "resync: {} difference(s) in {} managed services ({:.1} ms)",
                report.repairs.len(),
                report.services,
                report.took_ms
            );
        }
        self.resyncs.runs += 1;
        self.resyncs.last = Some(report.clone());
        if let Some(metrics) = &mut self.metrics {
            metrics.resync(ResyncCounts {
                runs: self.resyncs.runs,
                repairs: self.resyncs.repairs,
            });
        }
        report
    }

    /// The resyncs, as `status` shows them.
    pub(super) fn resync_status(&self) -> ResyncStatus {
        self.resyncs.status(self.config.resync)
    }

    /// Writes the changes in one batch and logs each with what was found;
    /// returns how many the kernel took.
    fn repair(&mut self, changes: &[Change], report: &mut ResyncReport) -> usize {
        if changes.is_empty() {
            return 0;
        }
        let declared = self.declared_reals();
        let is_declared = |service: &ServiceKey, real: &SocketAddr| {
            declared.get(service).is_some_and(|d| d.contains(real))
        };
        let found: Vec<String> = changes
            .iter()
            .map(|change| {
                let cause = if self.resyncs.unsettled.contains(&repair::service_of(change)) {
                    Cause::Refused
                } else {
                    Cause::Outside
                };
                repair::found(change, cause, &is_declared)
            })
            .collect();
        let operations: Vec<_> = changes.iter().map(Change::operation).collect();
        let failures = match self.table.execute(&operations) {
            Ok(failures) => failures,
            Err(e) => {
                error!("resync: cannot write the table: {e}");
                for text in found {
                    report.repairs.push(format!("{text}; not restored: {e}"));
                }
                report.error = Some(format!("cannot write the table: {e}"));
                self.resyncs.settle(changes, false);
                return 0;
            }
        };
        let refused: HashMap<usize, &ipvs::Error> =
            failures.iter().map(|f| (f.index, &f.error)).collect();
        let mut taken: BTreeSet<ServiceKey> = BTreeSet::new();
        let mut not_taken: BTreeSet<ServiceKey> = BTreeSet::new();
        for (index, (change, text)) in changes.iter().zip(found).enumerate() {
            let line = match refused.get(&index) {
                Some(error) => {
                    not_taken.insert(repair::service_of(change));
                    let line = format!("{text}; the kernel refused: {error}");
                    error!("resync: {line}");
                    line
                }
                None => {
                    taken.insert(repair::service_of(change));
                    let line = format!("{text}; {}", repair::verb(change));
                    warn!("resync: {line}");
                    line
                }
            };
            report.repairs.push(line);
        }
        for service in taken.difference(&not_taken) {
            self.resyncs.unsettled.remove(service);
        }
        self.resyncs.unsettled.extend(not_taken);
        changes.len() - failures.len()
    }

    /// The reals (and fallback) the configuration has, by service.
    fn declared_reals(&self) -> HashMap<ServiceKey, BTreeSet<SocketAddr>> {
        self.config
            .virtuals
            .iter()
            .map(|v| {
                let reals = v.reals.iter().chain(&v.fallback).map(|r| r.address);
                (desired::service_key(&v.key), reals.collect())
            })
            .collect()
    }
}

/// The CPU time of the calling thread so far.
fn thread_cpu() -> Duration {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `now` is a valid timespec for the call to write.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut now) };
    if rc != 0 {
        return Duration::ZERO;
    }
    Duration::new(
        u64::try_from(now.tv_sec).unwrap_or(0),
        u32::try_from(now.tv_nsec).unwrap_or(0),
    )
}
