// SPDX-License-Identifier: MIT OR Apache-2.0
//! The control socket's connection slots: at most a fixed number of
//! clients are served at once (each holds a descriptor, which the checks
//! need too). When every slot is taken, the client that has waited longest
//! without sending its request is told to go ([`Slot::evicted`]) and the
//! newcomer gets its place: clients that connect and say nothing, however
//! many, cannot lock out one that asks for something (nginx does the same
//! with idle keep-alive connections). A client whose request is being
//! answered ([`Slot::busy`]) is never evicted; its time is bounded by the
//! socket's own timeouts.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::{oneshot, Notify};

/// The pool of slots; see the module's documentation.
pub struct Slots {
    state: Mutex<State>,
    freed: Notify,
}

struct State {
    free: usize,
    /// Idle clients, oldest first: their ids and how to tell them to go.
    idle: VecDeque<(u64, oneshot::Sender<()>)>,
    next_id: u64,
}

/// One client's place; given back when dropped.
pub struct Slot {
    slots: Arc<Slots>,
    id: u64,
    /// Fires when the client is told to make room.
    pub evicted: oneshot::Receiver<()>,
}

impl Slots {
    /// A pool of `count` slots.
    pub fn new(count: usize) -> Arc<Slots> {
        Arc::new(Slots {
            state: Mutex::new(State {
                free: count,
                idle: VecDeque::new(),
                next_id: 0,
            }),
            freed: Notify::new(),
        })
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A slot for a new client (idle until [`Slot::busy`]): a free one, or
    /// the oldest idle client's once it has gone; waits while every client
    /// is busy.
    pub async fn admit(self: &Arc<Self>) -> Slot {
        loop {
            {
                let mut state = self.state();
                if state.free > 0 {
                    state.free -= 1;
                    let id = state.next_id;
                    state.next_id += 1;
                    let (evict, evicted) = oneshot::channel();
                    state.idle.push_back((id, evict));
                    return Slot {
                        slots: Arc::clone(self),
                        id,
                        evicted,
                    };
                }
                // Its slot comes back when it has gone (below).
                if let Some((_, evict)) = state.idle.pop_front() {
                    let _ = evict.send(());
                }
            }
            self.freed.notified().await;
        }
    }

    /// Clients that hold a slot now, and of those, how many are idle.
    pub fn in_use(&self, count: usize) -> (usize, usize) {
        let state = self.state();
        (count - state.free, state.idle.len())
    }
}

impl Slot {
    /// The client has sent its request: it is no longer evicted.
    pub fn busy(&self) {
        self.slots.state().idle.retain(|(id, _)| *id != self.id);
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut state = self.slots.state();
        state.idle.retain(|(id, _)| *id != self.id);
        state.free += 1;
        drop(state);
        self.slots.freed.notify_one();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_newcomer_takes_the_place_of_the_oldest_idle_client() {
        let slots = Slots::new(2);
        let mut first = slots.admit().await;
        let mut second = slots.admit().await;
        assert_eq!(slots.in_use(2), (2, 2));
        let waiting = tokio::spawn({
            let slots = Arc::clone(&slots);
            async move { slots.admit().await }
        });
        // The oldest is told to go, not the second.
        (&mut first.evicted).await.unwrap();
        assert!(second.evicted.try_recv().is_err());
        drop(first);
        let third = waiting.await.unwrap();
        assert_eq!(slots.in_use(2), (2, 2));
        drop((second, third));
        assert_eq!(slots.in_use(2), (0, 0));
    }

    #[tokio::test]
    async fn busy_clients_are_not_evicted_and_a_newcomer_waits_for_them() {
        let slots = Slots::new(1);
        let mut only = slots.admit().await;
        only.busy();
        let waiting = tokio::spawn({
            let slots = Arc::clone(&slots);
            async move { slots.admit().await }
        });
        tokio::task::yield_now().await;
        assert!(!waiting.is_finished());
        assert!(only.evicted.try_recv().is_err());
        drop(only);
        let next = waiting.await.unwrap();
        assert_eq!(slots.in_use(1), (1, 1));
        drop(next);
    }
}
