// SPDX-License-Identifier: MIT OR Apache-2.0
//! The connect checks' own loop, as keepalived runs its TCP_CHECKs: one OS
//! thread owning an epoll set, its targets in a slab keyed by the epoll
//! token, their slots and timeouts in buckets on the schedule's grid
//! ([`wheel`]). No task, waker, timer or reactor registration per check:
//! per check a socket, a connect, an `epoll_ctl` ADD, on its event
//! `SO_LINGER` 0 (or `SO_ERROR` on a failure) and a close (which takes it
//! out of the set), and a share of one `epoll_wait` per grid point.
//!
//! The engine hands targets in and out by [`ConnectLoop::add`] and
//! [`ConnectLoop::remove`] (a queue, and an eventfd that wakes the loop);
//! the results go the engine's way ([`record`](crate::engine::record)):
//! the same state, counts, stats, transitions and reasons as a connect
//! check on a tokio task. The descriptors are bounded by the engine's
//! permits, taken in turn with the tokio tasks waiting for theirs.

mod checks;
mod poller;
mod wheel;

use std::io;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use tokio::sync::oneshot;

use crate::engine::{lock, Context};
use crate::state::State;
use crate::{ServiceId, Target};
use poller::Poller;

/// What the engine asks of a loop.
pub(crate) enum Command<S> {
    /// Check `target` from `first` on; `id` is the engine's name for it.
    Add {
        id: u64,
        target: Arc<Target<S>>,
        state: Arc<Mutex<State>>,
        first: Instant,
    },
    /// Stop checking target `id` (its check in flight is dropped).
    Remove(u64),
    /// Answer once every command before this one is done.
    Sync(oneshot::Sender<()>),
    /// End the loop.
    Stop,
}

/// What the engine and the loop's thread share.
struct Shared<S> {
    poller: Arc<Poller>,
    commands: Mutex<Vec<Command<S>>>,
}

/// A connect loop's thread, and the way to it.
pub(crate) struct ConnectLoop<S> {
    shared: Arc<Shared<S>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl<S: ServiceId> ConnectLoop<S> {
    /// Starts a loop on a thread named `name`; its slots' ticks count from
    /// `epoch`, the engine's start.
    pub(crate) fn start(
        name: String,
        context: Arc<Context<S>>,
        epoch: Instant,
    ) -> io::Result<Self> {
        let shared = Arc::new(Shared {
            poller: Arc::new(Poller::new()?),
            commands: Mutex::new(Vec::new()),
        });
        let thread = {
            let shared = Arc::clone(&shared);
            std::thread::Builder::new()
                .name(name)
                .spawn(move || checks::Loop::new(context, shared, epoch).run())?
        };
        Ok(ConnectLoop {
            shared,
            thread: Some(thread),
        })
    }

    /// Queues `command` and wakes the loop (once for a burst: only a
    /// command into an empty queue wakes it, the loop takes them all).
    fn send(&self, command: Command<S>) {
        let mut queue = lock(&self.shared.commands);
        let was_empty = queue.is_empty();
        queue.push(command);
        drop(queue);
        if was_empty {
            self.shared.poller.wake();
        }
    }

    /// Starts checking `target` at `first`.
    pub(crate) fn add(
        &self,
        id: u64,
        target: Arc<Target<S>>,
        state: Arc<Mutex<State>>,
        first: Instant,
    ) {
        self.send(Command::Add {
            id,
            target,
            state,
            first,
        });
    }

    /// Stops checking target `id`.
    pub(crate) fn remove(&self, id: u64) {
        self.send(Command::Remove(id));
    }

    /// Resolves once the loop has done every command given before.
    pub(crate) fn synced(&self) -> oneshot::Receiver<()> {
        let (done, synced) = oneshot::channel();
        self.send(Command::Sync(done));
        synced
    }
}

impl<S> Drop for ConnectLoop<S> {
    /// Ends the loop and waits for its thread (which closes the sockets of
    /// the checks in flight and lets go of the engine's context).
    fn drop(&mut self) {
        let mut queue = lock(&self.shared.commands);
        queue.push(Command::Stop);
        drop(queue);
        self.shared.poller.wake();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
