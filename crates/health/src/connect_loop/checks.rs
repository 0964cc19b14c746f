// SPDX-License-Identifier: MIT OR Apache-2.0
//! The loop: wait for events or the next bucket, finish the checks whose
//! connect ended, time out the overdue ones, start the ones whose slot came
//! (in the order their slots came, each when it has a permit).

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::net::SocketAddr;
use std::os::fd::{AsRawFd, OwnedFd};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context as TaskContext, Poll, Wake, Waker};
use std::time::{Duration, Instant};

use tokio::sync::{AcquireError, OwnedSemaphorePermit, TryAcquireError};

use super::poller::{Poller, WAKE};
use super::wheel::{Due, Wheel};
use super::{Command, Shared};
use crate::engine::{lock, record, Context, SHORTEST_INTERVAL};
use crate::schedule::{grid, next_slot};
use crate::state::State;
use crate::{connect, probe, CheckResult, ServiceId, Target};

/// Events taken per `epoll_wait`.
const EVENTS: usize = 256;

/// A permit, on its way (the loop waits for it in turn with the tasks).
type Acquiring = Pin<Box<dyn Future<Output = Result<OwnedSemaphorePermit, AcquireError>> + Send>>;

/// A target of the loop.
struct Checked<S> {
    target: Arc<Target<S>>,
    state: Arc<Mutex<State>>,
    address: SocketAddr,
    interval: Duration,
    grid: Duration,
    /// The slot of the check running or next to run.
    slot: Instant,
    /// Checks started (names a check's timeout in the wheel).
    seq: u32,
    flight: Option<Flight>,
}

/// A check whose connect is under way.
struct Flight {
    socket: OwnedFd,
    started: Instant,
    permit: OwnedSemaphorePermit,
}

/// A place of the slab: its generation (the high half of its token) is
/// bumped when its target goes, so what the wheel or epoll still holds of
/// that target is ignored.
struct Place<S> {
    generation: u32,
    checked: Option<Checked<S>>,
}

/// Wakes the loop when a permit it waits for is free.
struct PermitWaker(Arc<Poller>);

impl Wake for PermitWaker {
    fn wake(self: Arc<Self>) {
        self.0.wake();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.wake();
    }
}

pub(super) struct Loop<S> {
    context: Arc<Context<S>>,
    shared: Arc<Shared<S>>,
    wheel: Wheel,
    places: Vec<Place<S>>,
    free: Vec<usize>,
    /// The engine's ids to places.
    ids: HashMap<u64, usize>,
    /// Tokens whose slot came, in order, until each has a permit.
    waiting: VecDeque<u64>,
    acquiring: Option<Acquiring>,
    waker: Waker,
}

/// `poller.wait`, an error logged and waited out (never a spin).
fn wait(poller: &Poller, events: &mut [libc::epoll_event], timeout: Option<Duration>) -> usize {
    poller.wait(events, timeout).unwrap_or_else(|e| {
        // Not expected (EBADF, EFAULT, EINVAL).
        tracing::debug!("connect loop: epoll_wait: {e}");
        std::thread::sleep(Duration::from_millis(10));
        0
    })
}

fn token(index: usize, generation: u32) -> u64 {
    (u64::from(generation) << 32) | index as u64
}

/// The target `token` names, if it is still there.
fn place<S>(places: &mut [Place<S>], token: u64) -> Option<(usize, &mut Checked<S>)> {
    let index = (token & u64::from(u32::MAX)) as usize;
    let place = places.get_mut(index)?;
    if u64::from(place.generation) != token >> 32 {
        return None;
    }
    Some((index, place.checked.as_mut()?))
}

impl<S: ServiceId> Loop<S> {
    pub(super) fn new(context: Arc<Context<S>>, shared: Arc<Shared<S>>, epoch: Instant) -> Self {
        let waker = Waker::from(Arc::new(PermitWaker(Arc::clone(&shared.poller))));
        Loop {
            context,
            shared,
            wheel: Wheel::new(epoch),
            places: Vec::new(),
            free: Vec::new(),
            ids: HashMap::new(),
            waiting: VecDeque::new(),
            acquiring: None,
            waker,
        }
    }

    /// Runs until [`Command::Stop`].
    pub(super) fn run(mut self) {
        let poller = Arc::clone(&self.shared.poller);
        let mut events = vec![libc::epoll_event { events: 0, u64: 0 }; EVENTS];
        let mut due = Vec::new();
        let mut now = Instant::now();
        loop {
            let timeout = self.wheel.until_next(now);
            let mut n = wait(&poller, &mut events, timeout);
            // The end of every check reported here, and the start of the first one started.
            now = Instant::now();
            let mut woken = false;
            loop {
                for event in &events[..n] {
                    let (token, flags) = (event.u64, event.events);
                    if token == WAKE {
                        woken = true;
                    } else {
                        self.connect_ended(token, flags, now);
                    }
                }
                // Every connect that ended before any deadline is looked
                // at (as a task polls its connect before its timer).
                if n < EVENTS {
                    break;
                }
                n = wait(&poller, &mut events, Some(Duration::ZERO));
            }
            if woken {
                poller.drain_wake();
                if !self.commands(now) {
                    return;
                }
            }
            self.wheel.take_due(now, &mut due);
            for d in due.drain(..) {
                match d {
                    Due::Slot(token) => self.waiting.push_back(token),
                    Due::Timeout(token, seq) => self.timed_out(token, seq, now),
                }
            }
            now = self.start_waiting(now);
        }
    }

    /// Does the queued commands; false on [`Command::Stop`].
    fn commands(&mut self, now: Instant) -> bool {
        let commands = std::mem::take(&mut *lock(&self.shared.commands));
        for command in commands {
            match command {
                Command::Add {
                    id,
                    target,
                    state,
                    first,
                } => self.add(id, target, state, first, now),
                Command::Remove(id) => self.remove(id),
                Command::Sync(done) => {
                    let _ = done.send(());
                }
                Command::Stop => return false,
            }
        }
        true
    }

    fn add(
        &mut self,
        id: u64,
        target: Arc<Target<S>>,
        state: Arc<Mutex<State>>,
        first: Instant,
        now: Instant,
    ) {
        // A key given again replaces its place (the engine removes first).
        self.remove(id);
        let interval = target.check.interval.max(SHORTEST_INTERVAL);
        let checked = Checked {
            address: probe::checked_address(&target),
            target,
            state,
            interval,
            grid: grid(interval),
            slot: first,
            seq: 0,
            flight: None,
        };
        let index = match self.free.pop() {
            Some(index) => index,
            None => {
                self.places.push(Place {
                    generation: 0,
                    checked: None,
                });
                self.places.len() - 1
            }
        };
        let place = &mut self.places[index];
        place.checked = Some(checked);
        let token = token(index, place.generation);
        self.ids.insert(id, index);
        self.wheel.insert(first.max(now), Due::Slot(token));
    }

    fn remove(&mut self, id: u64) {
        let Some(index) = self.ids.remove(&id) else {
            return;
        };
        let Some(place) = self.places.get_mut(index) else {
            return;
        };
        if let Some(checked) = place.checked.take() {
            if checked.flight.is_some() {
                // As an aborted task's check: ended, not ok.
                self.context.counters.ended(false);
            }
        }
        place.generation = place.generation.wrapping_add(1);
        self.free.push(index);
    }

    /// Starts the waiting checks while permits last; returns the last
    /// clock read (after the last connect).
    fn start_waiting(&mut self, mut now: Instant) -> Instant {
        while let Some(&token) = self.waiting.front() {
            if place(&mut self.places, token).is_none() {
                self.waiting.pop_front(); // removed meanwhile
                continue;
            }
            let Some(permit) = self.permit() else {
                break; // the waker wakes the loop when one is free
            };
            self.waiting.pop_front();
            now = self.start(token, now, permit);
        }
        now
    }

    /// A permit now, or None (and the loop is woken when one is free).
    fn permit(&mut self) -> Option<OwnedSemaphorePermit> {
        let mut acquiring = match self.acquiring.take() {
            Some(acquiring) => acquiring,
            None => match Arc::clone(&self.context.permits).try_acquire_owned() {
                Ok(permit) => return Some(permit),
                Err(TryAcquireError::Closed) => return None, // never closed
                Err(TryAcquireError::NoPermits) => {
                    Box::pin(Arc::clone(&self.context.permits).acquire_owned())
                }
            },
        };
        match acquiring
            .as_mut()
            .poll(&mut TaskContext::from_waker(&self.waker))
        {
            Poll::Ready(Ok(permit)) => Some(permit),
            Poll::Ready(Err(_)) => None, // never closed
            Poll::Pending => {
                self.acquiring = Some(acquiring);
                None
            }
        }
    }

    /// Starts `token`'s check at `started`; returns the next check's
    /// start: the same instant while the connect is under way (one clock
    /// read per turn of the loop, as keepalived's scheduler reads it: a
    /// check started later in a turn counts from the turn's start, which
    /// overstates its latency by the turn's earlier starts, tens of µs),
    /// a fresh read after a connect that ended at once.
    fn start(&mut self, token: u64, started: Instant, permit: OwnedSemaphorePermit) -> Instant {
        let poller = Arc::clone(&self.shared.poller);
        let Some((index, checked)) = place(&mut self.places, token) else {
            return started;
        };
        let late = started.saturating_duration_since(checked.slot);
        self.context.counters.started(late);
        let connecting = connect::tcp_socket(&checked.address).and_then(|socket| {
            match connect::start_connect(&socket, &checked.address) {
                Ok(()) => Ok(Err(connect::abort_on_close(&socket))),
                Err(e) if e.raw_os_error() == Some(libc::EINPROGRESS) => {
                    poller.watch_connect(socket.as_raw_fd(), token)?;
                    Ok(Ok(socket))
                }
                Err(e) => Err(e),
            }
        });
        let outcome = match connecting {
            Ok(Ok(socket)) => {
                checked.seq = checked.seq.wrapping_add(1);
                let deadline = started + checked.target.check.timeout;
                let seq = checked.seq;
                checked.flight = Some(Flight {
                    socket,
                    started,
                    permit,
                });
                self.wheel.insert(deadline, Due::Timeout(token, seq));
                return started;
            }
            // Connected at once (closed already, with the socket).
            Ok(Err(linger)) => linger,
            Err(e) => Err(e),
        };
        let ended = Instant::now();
        self.finish(
            index,
            token,
            started,
            ended,
            outcome.map_err(|e| probe::connect_error(&e)),
            permit,
        );
        ended
    }

    /// `token`'s connect ended (`flags`: its epoll events), seen at `now`.
    fn connect_ended(&mut self, token: u64, flags: u32, now: Instant) {
        let Some((index, checked)) = place(&mut self.places, token) else {
            return;
        };
        let Some(Flight {
            socket,
            started,
            permit,
        }) = checked.flight.take()
        else {
            return;
        };
        let closed = flags & (libc::EPOLLERR | libc::EPOLLHUP) as u32 != 0;
        let outcome = connect::ended(&socket, closed);
        drop(socket);
        self.finish(
            index,
            token,
            started,
            now,
            outcome.map_err(|e| probe::connect_error(&e)),
            permit,
        );
    }

    /// Check `seq` of `token` is due to end at `now`: if still connecting, it failed.
    fn timed_out(&mut self, token: u64, seq: u32, now: Instant) {
        let Some((index, checked)) = place(&mut self.places, token) else {
            return;
        };
        if checked.seq != seq {
            return;
        }
        let Some(Flight {
            socket,
            started,
            permit,
        }) = checked.flight.take()
        else {
            return;
        };
        drop(socket);
        let why = probe::timed_out(checked.target.check.timeout);
        self.finish(index, token, started, now, Err(why), permit);
    }

    /// Records a check's outcome and schedules the target's next.
    fn finish(
        &mut self,
        index: usize,
        token: u64,
        started: Instant,
        ended: Instant,
        outcome: Result<(), String>,
        permit: OwnedSemaphorePermit,
    ) {
        let Some(checked) = self.places.get_mut(index).and_then(|p| p.checked.as_mut()) else {
            return;
        };
        let latency = ended.saturating_duration_since(started);
        let ok = outcome.is_ok();
        self.context.counters.ended(ok);
        drop(permit);
        let result = CheckResult {
            ok,
            at: crate::wall::wall_time(started),
            latency,
            detail: match outcome {
                Ok(()) => probe::connected(latency),
                Err(why) => why,
            },
        };
        record(&self.context, &checked.state, &checked.target, result);
        checked.slot = next_slot(checked.slot, checked.interval, ended, checked.grid);
        self.wheel.insert(checked.slot, Due::Slot(token));
    }
}

#[cfg(test)]
mod tests {
    //! The loop's steps driven by hand, with instants given by the test:
    //! exact, and no thread. The connects are real (to 127.0.0.1) but their
    //! events are never waited for, so a connect "hangs" until the test
    //! says it ended or timed out.
    use super::*;
    use crate::{Check, CheckKind, Health, TargetKey};

    const INTERVAL: Duration = Duration::from_millis(150);
    const TIMEOUT: Duration = Duration::from_millis(100);

    fn target(port: u16) -> Arc<Target<String>> {
        Arc::new(Target {
            key: TargetKey {
                service: format!("tcp 10.0.0.1:{port}"),
                real: SocketAddr::from(([127, 0, 0, 1], port)),
            },
            check: Check {
                kind: CheckKind::Connect,
                port: None,
                interval: INTERVAL,
                timeout: TIMEOUT,
                rise: 1,
                fall: 1,
            },
            virtual_host: "10.0.0.1".into(),
            virtual_port: 80,
            initially_up: true,
        })
    }

    struct Bench {
        lp: Loop<String>,
        epoch: Instant,
        rx: tokio::sync::mpsc::UnboundedReceiver<crate::Transition<String>>,
        states: Vec<Arc<Mutex<State>>>,
    }

    /// A loop with `permits` and `targets` targets (ids 1…), all first due at the epoch.
    fn bench(permits: usize, targets: u16) -> Bench {
        let (context, rx) = Context::for_tests(permits);
        let shared = Arc::new(Shared {
            poller: Arc::new(Poller::new().unwrap()),
            commands: Mutex::new(Vec::new()),
        });
        let epoch = Instant::now();
        let mut lp = Loop::new(context, shared, epoch);
        let mut states = Vec::new();
        for i in 0..targets {
            let state = Arc::new(Mutex::new(State::new(
                Health::Up,
                std::time::SystemTime::now(),
            )));
            states.push(Arc::clone(&state));
            // Ports nothing is expected to answer on: the events are never read.
            lp.add(u64::from(i) + 1, target(9 + i), state, epoch, epoch);
        }
        Bench {
            lp,
            epoch,
            rx,
            states,
        }
    }

    impl Bench {
        /// Runs the loop's timer step at `at` (as `run` does after a wait):
        /// timeouts, then the checks due, in order.
        fn tick(&mut self, at: Instant) -> Vec<Due> {
            let mut due = Vec::new();
            self.lp.wheel.take_due(at, &mut due);
            for d in &due {
                match *d {
                    Due::Slot(token) => self.lp.waiting.push_back(token),
                    Due::Timeout(token, seq) => self.lp.timed_out(token, seq, at),
                }
            }
            self.lp.start_waiting(at);
            due
        }

        /// When the check of the target at `index` started.
        fn started(&self, index: usize) -> Instant {
            let checked = self.lp.places[index].checked.as_ref().unwrap();
            checked.flight.as_ref().unwrap().started
        }

        fn in_flight(&self) -> usize {
            self.lp
                .places
                .iter()
                .filter(|p| p.checked.as_ref().is_some_and(|c| c.flight.is_some()))
                .count()
        }
    }

    #[test]
    fn a_hung_connect_times_out_and_the_next_check_comes_at_its_slot() {
        let mut b = bench(8, 1);
        let t0 = b.epoch;
        let due = b.tick(t0);
        assert!(matches!(due[..], [Due::Slot(_)]), "{due:?}");
        assert_eq!(b.in_flight(), 1);
        // Nothing until the timeout's millisecond.
        assert_eq!(b.lp.wheel.until_next(t0), Some(TIMEOUT));
        assert!(b.tick(t0 + TIMEOUT - Duration::from_micros(1)).is_empty());
        let due = b.tick(t0 + TIMEOUT);
        assert!(matches!(due[..], [Due::Timeout(_, 1)]), "{due:?}");
        assert_eq!(b.in_flight(), 0);
        let last = lock(&b.states[0]).last.clone().unwrap();
        assert_eq!(
            (last.ok, last.detail.as_str(), last.latency),
            (false, "timed out after 100ms", TIMEOUT)
        );
        let down = b.rx.try_recv().unwrap();
        assert_eq!(
            (down.health, down.reason.as_str()),
            (Health::Down, "timed out after 100ms (1/1)")
        );
        // The next check at its slot, the interval after the first's.
        assert_eq!(
            b.lp.wheel.until_next(t0 + TIMEOUT),
            Some(INTERVAL - TIMEOUT)
        );
        let due = b.tick(t0 + INTERVAL);
        assert!(matches!(due[..], [Due::Slot(_)]), "{due:?}");
        assert_eq!(b.in_flight(), 1);
        assert_eq!(b.lp.context.counters.snapshot(8).checks, 2);
        assert_eq!(b.lp.context.counters.snapshot(8).failed, 1);
    }

    #[test]
    fn a_connect_that_ended_is_recorded_and_its_timeout_ignored() {
        let mut b = bench(8, 1);
        let t0 = b.epoch;
        b.tick(t0);
        let token = token(0, 0);
        // Connected (writable, no error), seen 2 ms later.
        let ms = Duration::from_millis;
        b.lp.connect_ended(token, libc::EPOLLOUT as u32, t0 + ms(2));
        let last = lock(&b.states[0]).last.clone().unwrap();
        assert_eq!((last.ok, last.detail.as_str()), (true, "connected in 2 ms"));
        // Its timeout comes due and does nothing; the next slot does.
        let due = b.tick(t0 + TIMEOUT);
        assert!(matches!(due[..], [Due::Timeout(_, 1)]), "{due:?}");
        assert_eq!(b.in_flight(), 0);
        assert_eq!(lock(&b.states[0]).counts.ok, 1);
        // A failed connect (EPOLLERR, EPOLLHUP) says why, from SO_ERROR.
        b.tick(t0 + INTERVAL);
        b.lp.connect_ended(
            token,
            (libc::EPOLLOUT | libc::EPOLLERR | libc::EPOLLHUP) as u32,
            t0 + INTERVAL + ms(1),
        );
        let last = lock(&b.states[0]).last.clone().unwrap();
        assert!(!last.ok, "{last:?}");
        assert!(
            last.detail.starts_with("connect"),
            "a reason about the connect: {last:?}"
        );
        assert!(b.rx.try_recv().is_ok(), "up to down");
    }

    #[test]
    fn a_target_removed_mid_check_is_not_reported() {
        let mut b = bench(8, 1);
        let t0 = b.epoch;
        b.tick(t0);
        assert_eq!(b.in_flight(), 1);
        assert_eq!(b.lp.context.permits.available_permits(), 7);
        b.lp.remove(1);
        // Its connect's event and its timeout come, for nothing.
        b.lp.connect_ended(
            token(0, 0),
            libc::EPOLLOUT as u32,
            t0 + Duration::from_millis(1),
        );
        b.tick(t0 + TIMEOUT);
        b.tick(t0 + INTERVAL);
        assert!(b.lp.wheel.until_next(t0).is_none(), "nothing left to do");
        assert!(lock(&b.states[0]).last.is_none());
        assert!(b.rx.try_recv().is_err());
        // Its permit is back, its check counted ended.
        assert_eq!(b.lp.context.permits.available_permits(), 8);
        assert_eq!(b.lp.context.counters.snapshot(8).in_flight, 0);
        // A new target in its place gets a new token: the old one's is ignored.
        let state = Arc::new(Mutex::new(State::new(
            Health::Up,
            std::time::SystemTime::now(),
        )));
        b.lp.add(2, target(77), Arc::clone(&state), t0, t0);
        b.tick(t0 + INTERVAL);
        b.lp.connect_ended(token(0, 0), libc::EPOLLOUT as u32, t0 + INTERVAL);
        assert!(
            lock(&state).last.is_none(),
            "the old token reached the new target"
        );
        b.lp.connect_ended(token(0, 1), libc::EPOLLOUT as u32, t0 + INTERVAL);
        assert!(lock(&state).last.is_some());
    }

    #[test]
    fn checks_wait_for_permits_in_turn_and_keep_their_phase() {
        // Two permits, three targets due at once: two start, the third
        // waits, and starts when a permit is back, late; its next slot is
        // still its first slot plus the interval.
        let mut b = bench(2, 3);
        let t0 = b.epoch;
        b.tick(t0);
        assert_eq!(b.in_flight(), 2);
        assert_eq!(b.lp.waiting.len(), 1);
        let late = Duration::from_millis(40);
        b.lp.connect_ended(token(0, 0), libc::EPOLLOUT as u32, t0 + late);
        b.lp.start_waiting(t0 + late);
        assert_eq!(b.in_flight(), 2);
        assert!(b.lp.waiting.is_empty());
        let stats = b.lp.context.counters.snapshot(2);
        assert_eq!(stats.checks, 3);
        assert_eq!(stats.peak_in_flight, 2);
        assert!(stats.lateness.max() >= late, "{stats:?}");
        // Each timeout counts from its check's start (the second's is the
        // clock read after the first's connect), the next slot from the slot.
        let second = b.started(1);
        assert!(second >= t0);
        assert_eq!(b.started(2), t0 + late);
        // (A bucket is a millisecond: due at most 1 ms after its time.)
        b.tick(second + TIMEOUT + Duration::from_millis(1));
        assert_eq!(b.in_flight(), 1, "the second timed out");
        b.tick((t0 + late + TIMEOUT).max(second + TIMEOUT));
        assert_eq!(b.in_flight(), 0, "the third timed out");
        let third = lock(&b.states[2]).last.clone().unwrap();
        assert_eq!(third.latency, TIMEOUT);
        let due = b.tick(t0 + INTERVAL);
        assert_eq!(due.len(), 3, "all three at their slot: {due:?}");
    }

    #[test]
    fn a_check_that_overran_its_interval_comes_at_the_next_grid_point() {
        let mut b = bench(8, 1);
        let t0 = b.epoch;
        b.tick(t0);
        // Connected 152.5 ms later (past its next slot): the next grid
        // point (the grid of 150 ms is 1.5 ms) after that, 153 ms.
        let ended = t0 + Duration::from_micros(152_500);
        b.lp.connect_ended(token(0, 0), libc::EPOLLOUT as u32, ended);
        assert_eq!(
            b.lp.places[0].checked.as_ref().unwrap().slot,
            t0 + Duration::from_millis(153)
        );
    }
}
