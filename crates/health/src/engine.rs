// SPDX-License-Identifier: MIT OR Apache-2.0
//! The engine: one tokio task per checked target, sleeping until its next
//! slot, then taking a permit (bounding the descriptors held by checks),
//! probing, and recording the result under the target's own lock — the lock
//! `reconcile` takes to retire a target, so a removed target never sends a
//! transition after `reconcile` returns. The tasks run on the current
//! runtime, or are spread over the runtimes given to [`Engine::start_on`].
//! Connect checks run on connect loops instead ([`crate::connect_loop`]:
//! one OS thread each, as many as runtimes), without a task; they record
//! their results the same way ([`record`]).

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime};

use tokio::runtime::Handle;
use tokio::sync::mpsc::UnboundedSender;
use tokio::sync::Semaphore;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::connect_loop::ConnectLoop;
use crate::schedule::{first_offset, first_slot, grid, next_slot};
use crate::state::State;
use crate::stats::{Counters, Stats};
use crate::{
    limits, probe, CheckKind, CheckResult, Health, ServiceId, Target, TargetCounts, TargetKey,
    TargetStatus, Transition,
};

/// The shortest interval honoured (a zero interval would spin).
pub(crate) const SHORTEST_INTERVAL: Duration = Duration::from_millis(1);

/// Runs one check: a fake, in the scheduling tests.
type Prober<S> =
    Arc<dyn Fn(Arc<Target<S>>) -> Pin<Box<dyn Future<Output = CheckResult> + Send>> + Send + Sync>;

/// What runs the checks.
enum Probes<S> {
    /// The real probes ([`probe::check_once`]).
    Real,
    /// A fake.
    #[cfg_attr(not(test), allow(dead_code))]
    Fake(Prober<S>),
}

impl<S: ServiceId> Probes<S> {
    /// Runs one check of `target`, `started` now; returns its result and
    /// when it ended. A connect check's timeout is `timer`, the task's own
    /// (which the task sets to its next slot afterwards).
    async fn check(
        &self,
        target: &Arc<Target<S>>,
        started: Instant,
        timer: Pin<&mut tokio::time::Sleep>,
    ) -> (CheckResult, Instant) {
        match self {
            // Inline, no box: its future is small, where `check_once`'s
            // holds every kind's state (several KiB, which moving into a
            // box per check cost more than the rest of a connect check).
            // It reads the clock once, at its end (its latency).
            Probes::Real if matches!(target.check.kind, CheckKind::Connect) => {
                let result = probe::connect_once(target, started, timer).await;
                let ended = started + result.latency;
                (result, ended)
            }
            // Boxed: a sleeping task then holds a pointer, not a probe's state.
            Probes::Real => (Box::pin(probe::check_once(target)).await, Instant::now()),
            Probes::Fake(prober) => (prober(Arc::clone(target)).await, Instant::now()),
        }
    }
}

/// What the checking tasks (and connect loops) share.
pub(crate) struct Context<S> {
    pub(crate) transitions: UnboundedSender<Transition<S>>,
    /// The descriptors checks may hold (owned permits: a connect loop holds
    /// one per check in flight).
    pub(crate) permits: Arc<Semaphore>,
    pub(crate) counters: Counters,
    probes: Probes<S>,
}

impl<S> Context<S> {
    /// A context for the connect loop's own tests: real probes, `permits`.
    #[cfg(test)]
    pub(crate) fn for_tests(
        permits: usize,
    ) -> (
        Arc<Self>,
        tokio::sync::mpsc::UnboundedReceiver<Transition<S>>,
    ) {
        let (transitions, rx) = tokio::sync::mpsc::unbounded_channel();
        let context = Context {
            transitions,
            permits: Arc::new(Semaphore::new(permits)),
            counters: Counters::new(),
            probes: Probes::Real,
        };
        (Arc::new(context), rx)
    }
}

/// Who checks a target.
enum Checking {
    /// Its own task.
    Task(JoinHandle<()>),
    /// Connect loop `on`, where the target is `id`.
    Loop { on: usize, id: u64 },
}

struct Entry<S> {
    target: Target<S>,
    state: Arc<Mutex<State>>,
    checking: Option<Checking>,
}

impl<S: ServiceId> Entry<S> {
    /// Stops the target's checking: after this returns its task (or loop)
    /// records and sends nothing. Returns the task, to await its end.
    fn retire(&mut self, loops: &[ConnectLoop<S>]) -> Option<JoinHandle<()>> {
        lock(&self.state).retired = true;
        match self.checking.take()? {
            Checking::Task(task) => {
                task.abort();
                Some(task)
            }
            Checking::Loop { on, id } => {
                if let Some(connect_loop) = loops.get(on) {
                    connect_loop.remove(id);
                }
                None
            }
        }
    }
}

struct Targets<S> {
    current: BTreeMap<TargetKey<S>, Entry<S>>,
    /// Tasks aborted but perhaps not yet ended (pruned as they end).
    retired: Vec<JoinHandle<()>>,
    /// Targets checked so far: the next one goes to runtime (or connect
    /// loop) `started % runtimes`.
    started: usize,
    /// The connect loops, started with the first connect target; None when
    /// they could not be started (connect checks then run on tasks).
    loops: Option<Vec<ConnectLoop<S>>>,
    /// The last id given to a target on a connect loop.
    last_id: u64,
}

impl<S> Default for Targets<S> {
    fn default() -> Self {
        Targets {
            current: BTreeMap::new(),
            retired: Vec::new(),
            started: 0,
            loops: None,
            last_id: 0,
        }
    }
}

impl<S> Targets<S> {
    fn loops(&self) -> &[ConnectLoop<S>] {
        self.loops.as_deref().unwrap_or_default()
    }
}

/// Runs the health checks. See the crate documentation. `S` is the
/// caller's key for a virtual ([`ServiceId`]).
pub struct Engine<S: ServiceId> {
    context: Arc<Context<S>>,
    permits: usize,
    /// Where the checking tasks run, in turn (never empty).
    runtimes: Vec<Handle>,
    /// The engine's start: the slots' grid is anchored here.
    epoch: Instant,
    targets: Mutex<Targets<S>>,
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The same checking: same key, same check, same placeholders. Whether it
/// is `initially_up` matters only when a target starts.
fn same_checking<S: PartialEq>(a: &Target<S>, b: &Target<S>) -> bool {
    a.key == b.key
        && a.check == b.check
        && a.virtual_host == b.virtual_host
        && a.virtual_port == b.virtual_port
}

impl<S: ServiceId> Engine<S> {
    /// Starts the engine on the current tokio runtime; transitions go to `transitions`.
    ///
    /// Checks hold at most min(4096, RLIMIT_NOFILE/2) descriptors at once
    /// (the soft limit read now: call [`raise_nofile_limit`](crate::raise_nofile_limit)
    /// first). Panics outside a tokio runtime.
    pub fn start(transitions: UnboundedSender<Transition<S>>) -> Self {
        Self::start_with_permits(transitions, limits::default_permits())
    }

    /// [`Engine::start`] with an explicit bound on the descriptors checks
    /// may hold at once (at least 2: an external check takes two).
    pub fn start_with_permits(transitions: UnboundedSender<Transition<S>>, permits: usize) -> Self {
        Self::start_with_probes(transitions, permits, Probes::Real)
    }

    /// [`Engine::start`], with the checking tasks spread over `runtimes` in
    /// turn (each target stays on its runtime) instead of the current one.
    ///
    /// The daemon gives it one current-thread runtime per check thread: a
    /// check's timer, connect and wake-ups then stay on one thread, with no
    /// hand-off or work stealing between threads (see the crate
    /// documentation). Given no runtime, it uses the current one, as
    /// [`Engine::start`] does.
    pub fn start_on(runtimes: Vec<Handle>, transitions: UnboundedSender<Transition<S>>) -> Self {
        let runtimes = if runtimes.is_empty() {
            vec![Handle::current()]
        } else {
            runtimes
        };
        Self::start_with_probes_on(
            runtimes,
            transitions,
            limits::default_permits(),
            Probes::Real,
        )
    }

    fn start_with_probes(
        transitions: UnboundedSender<Transition<S>>,
        permits: usize,
        probes: Probes<S>,
    ) -> Self {
        Self::start_with_probes_on(vec![Handle::current()], transitions, permits, probes)
    }

    /// `runtimes` is never empty.
    fn start_with_probes_on(
        runtimes: Vec<Handle>,
        transitions: UnboundedSender<Transition<S>>,
        permits: usize,
        probes: Probes<S>,
    ) -> Self {
        let permits = permits.max(2);
        Engine {
            context: Arc::new(Context {
                transitions,
                permits: Arc::new(Semaphore::new(permits)),
                counters: Counters::new(),
                probes,
            }),
            permits,
            runtimes,
            epoch: Instant::now(),
            targets: Mutex::new(Targets::default()),
        }
    }

    /// Makes the running checks exactly `targets`: starts new keys, stops keys no longer
    /// given, keeps unchanged ones (same key and same check) with their state and schedule;
    /// a target whose check changed restarts its checking but KEEPS its current health.
    /// Returns at once. Targets with CheckKind::None are Up, CheckKind::Off are Down, right away
    /// (sending a Transition if that differs from `initially_up`), and run no probes.
    ///
    /// "Same check" also means the same `virtual_host` and `virtual_port`
    /// (an external command's placeholders). A key given twice: the last wins.
    /// A restarted check begins with no result and zeroed counters.
    pub fn reconcile(&self, targets: Vec<Target<S>>) {
        let now = SystemTime::now();
        let start = Instant::now();
        let mut wanted = BTreeMap::new();
        for target in targets {
            wanted.insert(target.key.clone(), target);
        }
        let mut all = lock(&self.targets);
        let all = &mut *all;
        all.retired.retain(|task| !task.is_finished());
        let gone: Vec<TargetKey<S>> = all
            .current
            .keys()
            .filter(|k| !wanted.contains_key(*k))
            .cloned()
            .collect();
        for key in gone {
            if let Some(mut entry) = all.current.remove(&key) {
                let task = entry.retire(all.loops());
                all.retired.extend(task);
                tracing::debug!(service = %key.service, real = %key.real, "check stopped");
            }
        }
        for (key, target) in wanted {
            let kept = match all.current.get_mut(&key) {
                Some(entry) if same_checking(&entry.target, &target) => continue,
                Some(entry) => {
                    let task = entry.retire(all.loops.as_deref().unwrap_or_default());
                    all.retired.extend(task);
                    let state = lock(&entry.state);
                    Some((state.health, state.since))
                }
                None => None,
            };
            let entry = self.begin(all, target, kept, now, start);
            if entry.checking.is_some() {
                all.started = all.started.wrapping_add(1);
            }
            all.current.insert(key, entry);
        }
    }

    /// A target's entry: its state, and its task (or place on a connect
    /// loop) unless it is `none`/`off`.
    fn begin(
        &self,
        all: &mut Targets<S>,
        target: Target<S>,
        kept: Option<(Health, SystemTime)>,
        now: SystemTime,
        start: Instant,
    ) -> Entry<S> {
        let (health, since) = kept.unwrap_or((Health::from(target.initially_up), now));
        let mut state = State::new(health, since);
        let fixed = match target.check.kind {
            CheckKind::None => Some((Health::Up, "check type none")),
            CheckKind::Off => Some((Health::Down, "check type off")),
            _ => None,
        };
        if let Some((health, reason)) = fixed {
            if state.health != health {
                state.health = health;
                state.since = now;
                self.send(Transition {
                    key: target.key.clone(),
                    health,
                    reason: reason.to_string(),
                });
            }
            return Entry {
                target,
                state: Arc::new(Mutex::new(state)),
                checking: None,
            };
        }
        let state = Arc::new(Mutex::new(state));
        let interval = target.check.interval.max(SHORTEST_INTERVAL);
        let first = first_slot(
            self.epoch,
            start,
            first_offset(&target.key, interval),
            grid(interval),
        );
        tracing::debug!(
            service = %target.key.service, real = %target.key.real,
            offset_ms = first.saturating_duration_since(start).as_millis() as u64, "check started"
        );
        let on = all.started % self.runtimes.len();
        all.last_id += 1;
        let id = all.last_id;
        let loops = match (&target.check.kind, &self.context.probes) {
            (CheckKind::Connect, Probes::Real) => self.connect_loops(all),
            _ => &[],
        };
        let checking = match loops.get(on) {
            Some(connect_loop) => {
                connect_loop.add(
                    id,
                    Arc::new(target.clone()),
                    Arc::clone(&state),
                    first.into_std(),
                );
                Checking::Loop { on, id }
            }
            None => Checking::Task(self.runtimes[on].spawn(run(
                Arc::clone(&self.context),
                Arc::clone(&state),
                target.clone(),
                first,
            ))),
        };
        Entry {
            target,
            state,
            checking: Some(checking),
        }
    }

    /// The connect loops, one per runtime, started the first time they are
    /// needed (none when they cannot be started: connect checks then run on
    /// tasks, as the other kinds).
    fn connect_loops<'a>(&self, all: &'a mut Targets<S>) -> &'a [ConnectLoop<S>] {
        if all.loops.is_none() {
            let started: std::io::Result<Vec<ConnectLoop<S>>> = (0..self.runtimes.len())
                .map(|i| {
                    ConnectLoop::start(
                        format!("connects-{i}"),
                        Arc::clone(&self.context),
                        self.epoch.into_std(),
                    )
                })
                .collect();
            all.loops = Some(started.unwrap_or_else(|e| {
                tracing::debug!("connect loops not started, connect checks run on tasks: {e}");
                Vec::new()
            }));
        }
        all.loops()
    }

    fn send(&self, transition: Transition<S>) {
        send(&self.context, transition);
    }

    /// The state of every target, sorted by key.
    pub fn snapshot(&self) -> Vec<TargetStatus<S>> {
        let all = lock(&self.targets);
        all.current
            .iter()
            .map(|(key, entry)| {
                let s = lock(&entry.state);
                TargetStatus {
                    key: key.clone(),
                    health: s.health,
                    since: s.since,
                    last: s.last.clone(),
                    consecutive_ok: s.consecutive_ok,
                    consecutive_failed: s.consecutive_failed,
                }
            })
            .collect()
    }

    /// Every target's health and totals (checks by result and duration,
    /// transitions), sorted by key: what an exporter reads. Copies numbers
    /// only (no text), one target lock at a time.
    pub fn counts(&self) -> Vec<TargetCounts<S>> {
        let all = lock(&self.targets);
        all.current
            .iter()
            .map(|(key, entry)| {
                let s = lock(&entry.state);
                TargetCounts {
                    key: key.clone(),
                    health: s.health,
                    counts: s.counts,
                }
            })
            .collect()
    }

    /// What the engine has done: checks run and failed, checks in flight,
    /// and how late checks started compared with their slots.
    pub fn stats(&self) -> Stats {
        self.context.counters.snapshot(self.permits)
    }

    /// Zeroes the counters of [`Engine::stats`] (to measure a window).
    pub fn reset_stats(&self) {
        self.context.counters.reset();
    }

    /// Retires every target; returns their tasks, and a signal from each
    /// connect loop once it has dropped its targets.
    fn stop_all(&self) -> (Vec<JoinHandle<()>>, Vec<tokio::sync::oneshot::Receiver<()>>) {
        let mut all = lock(&self.targets);
        let all = &mut *all;
        let mut tasks = std::mem::take(&mut all.retired);
        let loops = all.loops.as_deref().unwrap_or_default();
        for entry in all.current.values_mut() {
            tasks.extend(entry.retire(loops));
        }
        all.current.clear();
        let synced = loops.iter().map(ConnectLoop::synced).collect();
        (tasks, synced)
    }

    /// Stops every check (no transitions after this returns).
    ///
    /// Waits for every checking task to end: an external check's process
    /// group is killed and the process reaped; the connect loops have
    /// closed the sockets of their checks in flight.
    pub async fn shutdown(self) {
        self.stop().await;
    }

    /// [`Engine::shutdown`] through a reference, for an owner that goes on
    /// (the daemon stops its checks, then cleans up the table). Targets
    /// given afterwards start again.
    pub async fn stop(&self) {
        let (tasks, synced) = self.stop_all();
        for task in tasks {
            let _ = task.await;
        }
        for synced in synced {
            let _ = synced.await;
        }
    }
}

impl<S: ServiceId> Drop for Engine<S> {
    /// Dropped without [`Engine::shutdown`]: the checks are stopped all the same.
    fn drop(&mut self) {
        self.stop_all();
    }
}

fn send<S: ServiceId>(context: &Context<S>, transition: Transition<S>) {
    tracing::debug!(
        service = %transition.key.service, real = %transition.key.real,
        health = ?transition.health, reason = %transition.reason, "transition"
    );
    // The receiver gone means the daemon is stopping: nothing to tell.
    let _ = context.transitions.send(transition);
}

/// Counts a check in flight until dropped (also when the task is aborted).
struct InFlight<'a> {
    counters: &'a Counters,
    ok: bool,
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.counters.ended(self.ok);
    }
}

/// Records a check's result under the target's lock and sends the
/// transition it makes, if any; false (and nothing recorded) when the
/// target is retired.
pub(crate) fn record<S: ServiceId>(
    context: &Context<S>,
    state: &Mutex<State>,
    target: &Target<S>,
    result: CheckResult,
) -> bool {
    tracing::trace!(
        service = %target.key.service, real = %target.key.real,
        ok = result.ok, detail = %result.detail, "checked"
    );
    let mut state = lock(state);
    if state.retired {
        return false;
    }
    if let Some((health, reason)) = state.record(result, target.check.rise, target.check.fall) {
        send(
            context,
            Transition {
                key: target.key.clone(),
                health,
                reason,
            },
        );
    }
    true
}

/// One target's checking, until aborted or retired.
async fn run<S: ServiceId>(
    context: Arc<Context<S>>,
    state: Arc<Mutex<State>>,
    target: Target<S>,
    first: Instant,
) {
    let target = Arc::new(target);
    let interval = target.check.interval.max(SHORTEST_INTERVAL);
    let grid = grid(interval);
    let units = match target.check.kind {
        CheckKind::External(_) => 2,
        // The control connection and the data connection.
        CheckKind::Ftp(ref f) if f.fetch.is_some() => 2,
        _ => 1,
    };
    let mut slot = first;
    // One timer for the task's life, set to each slot in turn and, during a
    // connect check, to its timeout: no timer made and dropped per check.
    let sleep = tokio::time::sleep_until(slot);
    tokio::pin!(sleep);
    loop {
        sleep.as_mut().await;
        let Ok(permit) = context.permits.acquire_many(units).await else {
            return; // never closed
        };
        let started = Instant::now();
        let late = started.saturating_duration_since(slot);
        context.counters.started(late);
        let mut in_flight = InFlight {
            counters: &context.counters,
            ok: false,
        };
        let (result, ended) = context.probes.check(&target, started, sleep.as_mut()).await;
        in_flight.ok = result.ok;
        drop(in_flight);
        drop(permit);
        if !record(&context, &state, &target, result) {
            return;
        }
        slot = next_slot(slot, interval, ended, grid);
        sleep.as_mut().reset(slot);
    }
}

#[cfg(test)]
mod tests {
    //! The schedule on paused time, with a fake probe that takes a set
    //! (virtual) time: exact, and quick.
    use super::*;
    use crate::Check;

    type Target = crate::Target<String>;
    type TargetKey = crate::TargetKey<String>;
    type Engine = super::Engine<String>;
    type Transition = crate::Transition<String>;
    type Prober = super::Prober<String>;

    type Log = Arc<Mutex<Vec<(String, Instant)>>>;

    const INTERVAL: Duration = Duration::from_secs(10);
    /// The timer's granularity: a sleep ends on the next millisecond.
    const TICK: Duration = Duration::from_millis(1);

    /// Records each start; `hung…` takes 9.9 s, `long…` 15 s, others no time.
    fn fake(log: Log) -> Prober {
        Arc::new(move |t: Arc<Target>| {
            let log = Arc::clone(&log);
            Box::pin(async move {
                log.lock()
                    .unwrap()
                    .push((t.key.service.clone(), Instant::now()));
                let took = match &t.key.service {
                    s if s.starts_with("hung") => Duration::from_millis(9_900),
                    s if s.starts_with("long") => Duration::from_secs(15),
                    _ => Duration::ZERO,
                };
                tokio::time::sleep(took).await;
                CheckResult {
                    ok: true,
                    at: SystemTime::now(),
                    latency: took,
                    detail: "fake".into(),
                }
            })
        })
    }

    fn key(service: &str) -> TargetKey {
        TargetKey {
            service: service.to_string(),
            real: "127.0.0.1:80".parse().unwrap(),
        }
    }

    fn target(service: &str) -> Target {
        Target {
            key: key(service),
            check: Check {
                kind: CheckKind::Connect,
                port: None,
                interval: INTERVAL,
                timeout: Duration::from_secs(60),
                rise: 1,
                fall: 1,
            },
            virtual_host: "10.0.0.1".into(),
            virtual_port: 80,
            initially_up: false,
        }
    }

    fn starts(log: &Log, service: &str, t0: Instant) -> Vec<Duration> {
        log.lock()
            .unwrap()
            .iter()
            .filter(|(s, _)| s == service)
            .map(|(_, at)| *at - t0)
            .collect()
    }

    fn engine(
        permits: usize,
        log: &Log,
    ) -> (Engine, tokio::sync::mpsc::UnboundedReceiver<Transition>) {
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        let engine = Engine::start_with_probes(tx, permits, Probes::Fake(fake(Arc::clone(log))));
        (engine, rx)
    }

    #[tokio::test(start_paused = true)]
    async fn checks_start_at_their_offset_then_every_interval() {
        let log = Log::default();
        let t0 = Instant::now();
        let (engine, _rx) = engine(64, &log);
        engine.reconcile(["a", "b", "c"].map(target).to_vec());
        tokio::time::sleep(Duration::from_secs(95)).await;
        for s in ["a", "b", "c"] {
            let offset = first_offset(&key(s), INTERVAL);
            let got = starts(&log, s, t0);
            let slots: Vec<Duration> = (0..10)
                .map(|k| offset + INTERVAL * k)
                .filter(|d| *d <= Duration::from_secs(95))
                .collect();
            assert_eq!(got.len(), slots.len(), "{s}: {got:?}");
            for (at, slot) in got.iter().zip(&slots) {
                assert!(
                    *at >= *slot && *at <= *slot + TICK,
                    "{s}: {at:?} for {slot:?}"
                );
            }
        }
        assert!(engine.stats().lateness.max() <= TICK);
        engine.shutdown().await;
    }

    #[tokio::test(start_paused = true)]
    async fn counts_follow_the_checks_each_target_its_own() {
        let log = Log::default();
        let t0 = Instant::now();
        let (engine, _rx) = engine(64, &log);
        engine.reconcile(vec![target("a"), target("hung")]);
        tokio::time::sleep(Duration::from_secs(95)).await;
        let counts = engine.counts();
        assert_eq!(counts.len(), 2);
        for c in &counts {
            let started = starts(&log, &c.key.service, t0);
            let ended = c.counts.ok + c.counts.failed;
            // A check still running at the end is started, not yet counted.
            assert!(ended == started.len() as u64 || ended + 1 == started.len() as u64);
            assert_eq!(c.counts.failed, 0);
            assert_eq!(c.counts.transitions, 1, "down to up once");
            assert_eq!(c.health, Health::Up);
            assert_eq!(c.counts.buckets.iter().sum::<u64>(), ended);
        }
        let hung = counts.iter().find(|c| c.key.service == "hung").unwrap();
        // 9.9 s each: the 5-10 s bucket, and the sum.
        assert_eq!(hung.counts.buckets[12], hung.counts.ok);
        assert_eq!(hung.counts.duration_sum_micros, hung.counts.ok * 9_900_000);
        let a = counts.iter().find(|c| c.key.service == "a").unwrap();
        assert_eq!(
            a.counts.buckets[0], a.counts.ok,
            "no time: the first bucket"
        );
        engine.shutdown().await;
    }

    #[tokio::test(start_paused = true)]
    async fn a_check_longer_than_the_interval_is_followed_at_the_next_grid_point() {
        let log = Log::default();
        let t0 = Instant::now();
        let (engine, _rx) = engine(64, &log);
        engine.reconcile(vec![target("long"), target("a")]);
        tokio::time::sleep(Duration::from_secs(100)).await;
        let long = starts(&log, "long", t0);
        assert!(long.len() >= 6, "{long:?}");
        // Each start at most a grid step (10 ms) and the timer's tick after
        // the previous check's end, and on the grid: its slot is a grid point.
        let offset = first_offset(&key("long"), INTERVAL);
        let g = grid(INTERVAL);
        for w in long.windows(2) {
            let gap = w[1] - w[0];
            assert!(
                gap >= Duration::from_secs(15) && gap <= Duration::from_secs(15) + g + TICK,
                "{long:?}"
            );
        }
        for at in &long {
            let since_slot = (at.as_nanos() - offset.as_nanos()) % g.as_nanos();
            assert!(
                since_slot <= TICK.as_nanos(),
                "{at:?} off the grid: {long:?}"
            );
        }
        // The other target kept its own rhythm.
        let a = starts(&log, "a", t0);
        let offset = first_offset(&key("a"), INTERVAL);
        for (k, at) in a.iter().enumerate() {
            let slot = offset + INTERVAL * k as u32;
            assert!(*at >= slot && *at <= slot + TICK, "{at:?} for {slot:?}");
        }
        engine.shutdown().await;
    }

    #[tokio::test(start_paused = true)]
    async fn waiting_for_a_permit_does_not_shift_the_slots() {
        // Two permits, held 9.9 s of every 10 s by two hung targets: the
        // third waits for a permit at most of its slots, yet each of its
        // checks belongs to its own slot (no drift, none skipped).
        let log = Log::default();
        let t0 = Instant::now();
        let (engine, _rx) = engine(2, &log);
        engine.reconcile(vec![target("hung1"), target("hung2"), target("c")]);
        tokio::time::sleep(Duration::from_secs(100)).await;
        let offset = first_offset(&key("c"), INTERVAL);
        let c = starts(&log, "c", t0);
        let slots = (0..10)
            .map(|k| offset + INTERVAL * k)
            .filter(|d| *d + Duration::from_millis(9_900) < Duration::from_secs(100))
            .count();
        assert!(
            c.len() >= slots,
            "{} starts for {slots} slots: {c:?}",
            c.len()
        );
        let mut delayed = 0;
        for (k, at) in c.iter().enumerate() {
            let slot = offset + INTERVAL * k as u32;
            assert!(
                *at >= slot && *at <= slot + Duration::from_millis(9_900) + TICK,
                "check {k} at {at:?} for slot {slot:?}"
            );
            if *at > slot + TICK {
                delayed += 1;
            }
        }
        assert!(delayed > 0, "the permits were never in the way: {c:?}");
        assert!(engine.stats().peak_in_flight <= 2);
        engine.shutdown().await;
    }

    #[tokio::test(start_paused = true)]
    async fn a_target_added_later_starts_on_the_engines_grid() {
        // Added 3.3004 s after the engine started: its first slot is the
        // engine's next grid point (3.31 s) plus its offset, where a target
        // of the same offset added at the start has its slots too.
        let log = Log::default();
        let t0 = Instant::now();
        let (engine, _rx) = engine(64, &log);
        engine.reconcile(vec![target("a")]);
        tokio::time::sleep(Duration::from_micros(3_300_400)).await;
        engine.reconcile(vec![target("a"), target("b")]);
        tokio::time::sleep(Duration::from_secs(30)).await;
        let g = grid(INTERVAL);
        let offset = first_offset(&key("b"), INTERVAL);
        let first = Duration::from_millis(3_310) + offset;
        let b = starts(&log, "b", t0);
        assert!(b.len() >= 2, "{b:?}");
        for (k, at) in b.iter().enumerate() {
            let slot = first + INTERVAL * k as u32;
            assert!(*at >= slot && *at <= slot + TICK, "{at:?} for {slot:?}");
            assert_eq!(slot.as_nanos() % g.as_nanos(), 0);
        }
        engine.shutdown().await;
    }

    #[tokio::test(start_paused = true)]
    async fn an_unchanged_target_keeps_its_schedule_across_reconciles() {
        let log = Log::default();
        let t0 = Instant::now();
        let (engine, _rx) = engine(64, &log);
        engine.reconcile(vec![target("a")]);
        for _ in 0..9 {
            tokio::time::sleep(Duration::from_millis(3_300)).await;
            engine.reconcile(vec![target("a")]);
        }
        let offset = first_offset(&key("a"), INTERVAL);
        let a = starts(&log, "a", t0);
        let slots = (0..3)
            .filter(|k| offset + INTERVAL * *k <= Duration::from_millis(29_700))
            .count();
        assert_eq!(a.len(), slots, "{a:?}");
        for (k, at) in a.iter().enumerate() {
            let slot = offset + INTERVAL * k as u32;
            assert!(*at >= slot && *at <= slot + TICK, "{at:?} for {slot:?}");
        }
        engine.shutdown().await;
    }

    #[test]
    fn start_on_deals_the_targets_out_over_its_runtimes() {
        // Two current-thread runtimes, each on a named thread, as the daemon
        // has them: every target is checked, each always on the same thread,
        // and both threads get their share.
        let threads = crate::CheckThreads::start(2).unwrap();
        let seen: Arc<Mutex<Vec<(String, String)>>> = Arc::default();
        let prober: Prober = {
            let seen = Arc::clone(&seen);
            Arc::new(move |t: Arc<Target>| {
                let thread = std::thread::current().name().unwrap_or("").to_string();
                seen.lock().unwrap().push((t.key.service.clone(), thread));
                Box::pin(async {
                    CheckResult {
                        ok: true,
                        at: SystemTime::now(),
                        latency: Duration::ZERO,
                        detail: "fake".into(),
                    }
                })
            })
        };
        let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
        let engine = Engine::start_with_probes_on(threads.handles(), tx, 64, Probes::Fake(prober));
        let names = ["a", "b", "c", "d"];
        engine.reconcile(
            names
                .map(|n| {
                    let mut t = target(n);
                    t.check.interval = Duration::from_millis(20);
                    t
                })
                .to_vec(),
        );
        // Until each target was checked twice (or a generous minute).
        let checked_twice = || {
            let seen = seen.lock().unwrap();
            names
                .iter()
                .all(|n| seen.iter().filter(|(s, _)| s == n).count() >= 2)
        };
        let waited = std::time::Instant::now();
        while !checked_twice() && waited.elapsed() < Duration::from_secs(60) {
            std::thread::sleep(Duration::from_millis(10));
        }
        drop(engine);
        threads.stop();
        let seen = seen.lock().unwrap();
        for n in names {
            let on: std::collections::BTreeSet<&str> = seen
                .iter()
                .filter(|(s, _)| s == n)
                .map(|(_, t)| t.as_str())
                .collect();
            assert_eq!(on.len(), 1, "{n} checked on {on:?}");
        }
        let used: std::collections::BTreeSet<&str> = seen.iter().map(|(_, t)| t.as_str()).collect();
        assert_eq!(used, ["checks-0", "checks-1"].into(), "{seen:?}");
    }
}
