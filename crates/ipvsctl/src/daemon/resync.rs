// SPDX-License-Identifier: MIT OR Apache-2.0
//! The table repairs itself: every `[defaults] resync` (30 s unless set)
//! and on `ipvsctl resync`, the whole table is read once, the services the
//! daemon manages are planned against their declared state
//! (configuration, health, overrides, maintenance, fallback: the same
//! [`health_table::desired_service`](super::health_table::desired_service)
//! every transition uses), and the difference is written. Each difference
//! is logged with what was found ([`repair`](super::repair)). Services it
//! does not manage are not planned, so never touched.
//!
//! The read (the costly part: one dump per service, as `ipvsadm -Ln`) is
//! made off the loop, on a blocking thread with a netlink socket of its
//! own ([`TableReader`]), so that it never holds up a transition. The loop
//! keeps the services it writes while the read is out, and reads just
//! those again when the table comes back: a transition made meanwhile is
//! never taken for a change from outside. Planning and writing stay on the
//! loop (a few milliseconds at 2,000 services × 5 reals; the report says
//! how long the read took and how long the loop was held).

use std::collections::{BTreeSet, HashMap};
use std::net::SocketAddr;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use ipvs::{ServiceKey, TableEntry};
use planner::{Change, Ownership};
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender};
use tokio::sync::oneshot;
use tokio::time::{Interval, MissedTickBehavior};
use tracing::{error, info, warn};

use super::checks::Checks;
use super::protocol::{ResyncReport, ResyncStatus};
use super::repair::{self, Cause};
use super::serve::Daemon;
use crate::desired;
use crate::metrics::ResyncCounts;
use crate::table::Table;

/// Reads the whole table with a netlink socket of its own (the loop's is
/// never shared), off the loop.
pub type TableReader = Box<dyn FnMut() -> ipvs::Result<Vec<TableEntry>> + Send>;

/// A read made off the loop, back with its reader.
pub(super) struct Read {
    reader: TableReader,
    table: ipvs::Result<Vec<TableEntry>>,
    took: Duration,
}

/// What the loop keeps of its resyncs.
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
    /// The reader, while no read is out; `None` without one (the loop
    /// reads itself).
    reader: Option<TableReader>,
    /// A read is out.
    reading: bool,
    /// Services written since the read out began.
    written: BTreeSet<ServiceKey>,
    /// Who waits for the read out.
    replies: Vec<oneshot::Sender<ResyncReport>>,
    /// Who asked while a read was out: they get the next one (the read out
    /// may have missed what they changed just before asking).
    next: Vec<oneshot::Sender<ResyncReport>>,
    /// Where reads come back.
    reads: UnboundedSender<Read>,
}

impl Resyncs {
    /// No resync yet; reads come back on the receiver returned.
    pub(super) fn new() -> (Self, UnboundedReceiver<Read>) {
        let (reads, back) = tokio::sync::mpsc::unbounded_channel();
        let resyncs = Resyncs {
            runs: 0,
            repairs: 0,
            last: None,
            unsettled: BTreeSet::new(),
            reader: None,
            reading: false,
            written: BTreeSet::new(),
            replies: Vec::new(),
            next: Vec::new(),
            reads,
        };
        (resyncs, back)
    }

    /// Reads the table off the loop with `reader` from now on.
    pub(super) fn read_with(&mut self, reader: TableReader) {
        self.reader = Some(reader);
    }

    /// The daemon wrote `changes`; `taken` when the kernel took them all.
    pub(super) fn settle(&mut self, changes: &[Change], taken: bool) {
        for change in changes {
            let service = repair::service_of(change);
            if self.reading {
                self.written.insert(service);
            }
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
    /// Starts a resync: the period came (`reply` is `None`), or
    /// `ipvsctl resync` asked (the report goes to `reply`). With a reader,
    /// the table is read off the loop and [`Self::on_read`] goes on; a
    /// tick while a read is out is skipped.
    pub(super) fn resync(&mut self, reply: Option<oneshot::Sender<ResyncReport>>) {
        if self.resyncs.reading {
            self.resyncs.next.extend(reply);
            return;
        }
        self.resyncs.replies.extend(reply);
        match self.resyncs.reader.take() {
            Some(mut reader) => {
                self.resyncs.reading = true;
                self.resyncs.written.clear();
                let reads = self.resyncs.reads.clone();
                tokio::task::spawn_blocking(move || {
                    let started = Instant::now();
                    let table = reader();
                    let took = started.elapsed();
                    // The loop gone: nothing to tell.
                    let _ = reads.send(Read {
                        reader,
                        table,
                        took,
                    });
                });
            }
            None => {
                let started = Instant::now();
                let table = self.table.entries();
                self.resync_from(table, started.elapsed());
            }
        }
    }

    /// A read came back: the services written meanwhile are read again
    /// (on the loop: only those), then the table is made right.
    pub(super) fn on_read(&mut self, read: Read) {
        let Read {
            reader,
            table,
            took,
        } = read;
        self.resyncs.reader = Some(reader);
        self.resyncs.reading = false;
        let written = std::mem::take(&mut self.resyncs.written);
        let table = table.and_then(|mut table| {
            for key in &written {
                table.retain(|e| e.service.service.key != *key);
                table.extend(self.table.entry(key)?);
            }
            Ok(table)
        });
        self.resync_from(table, took);
        if !self.resyncs.next.is_empty() {
            let next = std::mem::take(&mut self.resyncs.next);
            self.resyncs.replies.extend(next);
            self.resync(None);
        }
    }

    /// Restores the declared state of the managed services against
    /// `table` (read in `read`), logs each repair, answers who waits, and
    /// keeps the report for `status`.
    fn resync_from(&mut self, table: ipvs::Result<Vec<TableEntry>>, read: Duration) {
        let started = Instant::now();
        let cpu = thread_cpu();
        let at_unix = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64());
        let mut report = ResyncReport {
            at_unix,
            read_ms: read.as_secs_f64() * 1000.0,
            loop_ms: 0.0,
            cpu_ms: 0.0,
            services: self.config.virtuals.len(),
            repairs: Vec::new(),
            error: None,
        };
        match table {
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
        report.loop_ms = started.elapsed().as_secs_f64() * 1000.0;
        report.cpu_ms = thread_cpu().saturating_sub(cpu).as_secs_f64() * 1000.0;
        if !report.repairs.is_empty() {
            info!(
                "resync: {} difference(s) in {} managed services (read {:.1} ms, loop {:.1} ms)",
                report.repairs.len(),
                report.services,
                report.read_ms,
                report.loop_ms
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
        for reply in std::mem::take(&mut self.resyncs.replies) {
            let _ = reply.send(report.clone());
        }
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
