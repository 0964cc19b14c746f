// SPDX-License-Identifier: MIT OR Apache-2.0
//! One target's running totals, for an exporter: checks by result, changes
//! of health, and a histogram of check durations. Plain integers, kept in
//! the target's state and updated under the lock the check already takes
//! to record its result: a few adds, no allocation.

use std::time::Duration;

/// The upper bounds of the duration histogram's buckets, in microseconds
/// (1 ms to 10 s, as Prometheus' default buckets; the last, +Inf, is
/// implied).
pub const DURATION_BOUNDS_MICROS: [u64; 13] = [
    1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 500_000, 1_000_000, 2_500_000,
    5_000_000, 10_000_000,
];

/// A target's totals since its check started (a changed check starts
/// again from zero, like a restarted exporter's counters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CheckCounts {
    /// Checks that passed.
    pub ok: u64,
    /// Checks that failed.
    pub failed: u64,
    /// Changes of health (up → down and down → up) its checks made.
    pub transitions: u64,
    /// Checks by duration: `buckets[i]` counts those that took at most
    /// [`DURATION_BOUNDS_MICROS`]`[i]` and more than the bound before
    /// (not cumulative); the last counts those above every bound.
    pub buckets: [u64; DURATION_BOUNDS_MICROS.len() + 1],
    /// The sum of the durations, in microseconds.
    pub duration_sum_micros: u64,
}

impl CheckCounts {
    /// Counts one check.
    pub(crate) fn check(&mut self, ok: bool, duration: Duration) {
        if ok {
            self.ok = self.ok.wrapping_add(1);
        } else {
            self.failed = self.failed.wrapping_add(1);
        }
        let micros = u64::try_from(duration.as_micros()).unwrap_or(u64::MAX);
        let bucket = DURATION_BOUNDS_MICROS
            .iter()
            .position(|&bound| micros <= bound)
            .unwrap_or(DURATION_BOUNDS_MICROS.len());
        self.buckets[bucket] = self.buckets[bucket].wrapping_add(1);
        self.duration_sum_micros = self.duration_sum_micros.wrapping_add(micros);
    }

    /// Adds another target's totals (to sum them by virtual or by kind).
    pub fn add(&mut self, other: &CheckCounts) {
        self.ok = self.ok.wrapping_add(other.ok);
        self.failed = self.failed.wrapping_add(other.failed);
        self.transitions = self.transitions.wrapping_add(other.transitions);
        for (mine, theirs) in self.buckets.iter_mut().zip(other.buckets.iter()) {
            *mine = mine.wrapping_add(*theirs);
        }
        self.duration_sum_micros = self
            .duration_sum_micros
            .wrapping_add(other.duration_sum_micros);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_fall_in_their_bucket_edges_included() {
        let mut c = CheckCounts::default();
        c.check(true, Duration::from_micros(0));
        c.check(true, Duration::from_micros(1_000));
        c.check(false, Duration::from_micros(1_001));
        c.check(false, Duration::from_secs(10));
        c.check(false, Duration::from_secs(11));
        c.check(false, Duration::MAX);
        assert_eq!((c.ok, c.failed), (2, 4));
        assert_eq!(c.buckets[0], 2);
        assert_eq!(c.buckets[1], 1);
        assert_eq!(c.buckets[12], 1);
        assert_eq!(c.buckets[13], 2);
        assert_eq!(c.buckets.iter().sum::<u64>(), 6);
    }

    #[test]
    fn add_sums_every_field() {
        let mut a = CheckCounts::default();
        a.check(true, Duration::from_millis(3));
        a.transitions = 1;
        let mut b = a;
        b.check(false, Duration::from_millis(30));
        a.add(&b);
        assert_eq!((a.ok, a.failed, a.transitions), (2, 1, 2));
        assert_eq!(a.duration_sum_micros, 3_000 + 3_000 + 30_000);
        assert_eq!(a.buckets[2], 2);
        assert_eq!(a.buckets[5], 1);
    }
}
