// SPDX-License-Identifier: MIT OR Apache-2.0
//! The connect loop's timers: buckets of millisecond ticks since the
//! engine's start. The slots lie on the schedule's grid (10 ms), so the
//! checks of a grid point share one bucket; a check's timeout goes into the
//! bucket of its deadline's millisecond (rounded up, as tokio's timer).
//! Nothing is ever taken out: an entry that no longer applies (its target
//! gone, its check over) is skipped when its bucket comes due.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// What comes due.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Due {
    /// A target's slot: start its check. The target's token.
    Slot(u64),
    /// A check's deadline: the target's token and the check's number.
    Timeout(u64, u32),
}

/// Timers in buckets of a millisecond.
pub(crate) struct Wheel {
    epoch: Instant,
    buckets: BTreeMap<u64, Vec<Due>>,
    /// The bucket inserted into last, kept out of the map: the checks of a
    /// grid point put their timeouts, then their next slots, in one bucket
    /// each, one after the other (no map search for those).
    hot: Option<(u64, Vec<Due>)>,
    /// Emptied buckets, to be used again (no allocation per grid point).
    spare: Vec<Vec<Due>>,
}

const MS: u128 = 1_000_000;

impl Wheel {
    /// An empty wheel whose ticks count from `epoch`.
    pub(crate) fn new(epoch: Instant) -> Self {
        Wheel {
            epoch,
            buckets: BTreeMap::new(),
            hot: None,
            spare: Vec::new(),
        }
    }

    /// The tick of `at`: its millisecond since the epoch, rounded up.
    fn tick_of(&self, at: Instant) -> u64 {
        let since = at.saturating_duration_since(self.epoch).as_nanos();
        u64::try_from(since.div_ceil(MS)).unwrap_or(u64::MAX)
    }

    /// The last tick passed at `now` (rounded down).
    fn ticks_passed(&self, now: Instant) -> u64 {
        let since = now.saturating_duration_since(self.epoch).as_nanos();
        u64::try_from(since / MS).unwrap_or(u64::MAX)
    }

    /// `due` comes due at `at` (at the latest a millisecond after it).
    pub(crate) fn insert(&mut self, at: Instant, due: Due) {
        let tick = self.tick_of(at);
        if let Some((hot, bucket)) = &mut self.hot {
            if *hot == tick {
                bucket.push(due);
                return;
            }
        }
        self.cool();
        let mut bucket = match self.buckets.remove(&tick) {
            Some(bucket) => bucket,
            None => self.spare.pop().unwrap_or_default(),
        };
        bucket.push(due);
        self.hot = Some((tick, bucket));
    }

    /// Puts the hot bucket into the map.
    fn cool(&mut self) {
        if let Some((tick, bucket)) = self.hot.take() {
            self.buckets.insert(tick, bucket);
        }
    }

    /// How long from `now` until the next bucket is due (zero when one is
    /// due already); `None` when the wheel is empty.
    pub(crate) fn until_next(&self, now: Instant) -> Option<Duration> {
        let first = self.buckets.first_key_value().map(|(&tick, _)| tick);
        let hot = self.hot.as_ref().map(|(tick, _)| *tick);
        let tick = match (first, hot) {
            (Some(a), Some(b)) => a.min(b),
            (a, b) => a.or(b)?,
        };
        let at = self.epoch + Duration::from_millis(tick);
        Some(at.saturating_duration_since(now))
    }

    /// Moves everything due at `now` into `out`, earliest bucket first.
    pub(crate) fn take_due(&mut self, now: Instant, out: &mut Vec<Due>) {
        let passed = self.ticks_passed(now);
        if self.hot.as_ref().is_some_and(|(tick, _)| *tick <= passed) {
            self.cool();
        }
        while let Some(entry) = self.buckets.first_entry() {
            if *entry.key() > passed {
                break;
            }
            let mut bucket = entry.remove();
            out.append(&mut bucket);
            self.spare.push(bucket);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_come_due_in_order_never_early() {
        let epoch = Instant::now();
        let ms = Duration::from_millis;
        let us = Duration::from_micros;
        let mut wheel = Wheel::new(epoch);
        assert_eq!(wheel.until_next(epoch), None);
        wheel.insert(epoch + ms(20), Due::Slot(1));
        wheel.insert(epoch + ms(10), Due::Slot(2));
        wheel.insert(epoch + ms(10), Due::Slot(3));
        // 10.2 ms: its millisecond, rounded up, is 11.
        wheel.insert(epoch + ms(10) + us(200), Due::Timeout(4, 7));
        assert_eq!(wheel.until_next(epoch), Some(ms(10)));
        let mut out = Vec::new();
        wheel.take_due(epoch + ms(10) - us(1), &mut out);
        assert!(out.is_empty(), "early: {out:?}");
        wheel.take_due(epoch + ms(10), &mut out);
        assert_eq!(out, [Due::Slot(2), Due::Slot(3)]);
        assert_eq!(wheel.until_next(epoch + ms(10)), Some(ms(1)));
        out.clear();
        wheel.take_due(epoch + ms(30), &mut out);
        assert_eq!(out, [Due::Timeout(4, 7), Due::Slot(1)]);
        assert_eq!(wheel.until_next(epoch + ms(30)), None);
        // The same tick again after another: one bucket, in order.
        wheel.insert(epoch + ms(40), Due::Slot(6));
        wheel.insert(epoch + ms(50), Due::Slot(7));
        wheel.insert(epoch + ms(40), Due::Slot(8));
        wheel.insert(epoch + ms(50), Due::Slot(9));
        assert_eq!(wheel.until_next(epoch + ms(30)), Some(ms(10)));
        out.clear();
        wheel.take_due(epoch + ms(45), &mut out);
        assert_eq!(out, [Due::Slot(6), Due::Slot(8)]);
        out.clear();
        wheel.take_due(epoch + ms(50), &mut out);
        assert_eq!(out, [Due::Slot(7), Due::Slot(9)]);
        // A time already past is due at once.
        wheel.insert(epoch, Due::Slot(5));
        assert_eq!(wheel.until_next(epoch + ms(30)), Some(Duration::ZERO));
    }
}
