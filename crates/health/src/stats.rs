// SPDX-License-Identifier: MIT OR Apache-2.0
//! The engine's own counters: checks run, checks in flight, and how late
//! checks start compared with their slot (a log-linear histogram of
//! microseconds, 16 buckets per power of two: quantiles within 6.25 %).

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

const SUB: usize = 16;
const SUB_BITS: u32 = 4;
const BUCKETS: usize = 64 * SUB;

/// What the engine has done since it started or since
/// [`Engine::reset_stats`](crate::Engine::reset_stats).
#[derive(Debug, Clone, PartialEq)]
pub struct Stats {
    /// Checks started (probes run; `none`/`off` targets run none).
    pub checks: u64,
    /// Of those, the ones that failed.
    pub failed: u64,
    /// Checks running now.
    pub in_flight: u64,
    /// Most checks running at once.
    pub peak_in_flight: u64,
    /// The bound on file descriptors that checks may hold at once (a
    /// connect or http(s) check holds one, an external one two).
    pub permits: usize,
    /// How late checks started compared with their slot (including any
    /// wait for a permit).
    pub lateness: Lateness,
}

/// A distribution of check start lateness.
#[derive(Debug, Clone, PartialEq)]
pub struct Lateness {
    counts: Vec<u64>,
    max: Duration,
}

impl Lateness {
    /// How many checks it counts.
    pub fn count(&self) -> u64 {
        self.counts.iter().sum()
    }

    /// The lateness below which a fraction `q` (0.0..=1.0) of checks
    /// started (the upper edge of its bucket, at most [`Self::max`]).
    pub fn quantile(&self, q: f64) -> Duration {
        let total = self.count();
        if total == 0 {
            return Duration::ZERO;
        }
        let rank = ((q.clamp(0.0, 1.0) * total as f64).ceil() as u64).max(1);
        let mut seen = 0;
        for (i, n) in self.counts.iter().enumerate() {
            seen += n;
            if seen >= rank {
                return Duration::from_micros(upper_edge(i)).min(self.max);
            }
        }
        self.max
    }

    /// The latest start.
    pub fn max(&self) -> Duration {
        self.max
    }
}

/// The live counters.
pub(crate) struct Counters {
    pub checks: AtomicU64,
    pub failed: AtomicU64,
    pub in_flight: AtomicU64,
    pub peak_in_flight: AtomicU64,
    lateness: Box<[AtomicU64]>,
    max_micros: AtomicU64,
}

impl Counters {
    pub fn new() -> Self {
        Counters {
            checks: AtomicU64::new(0),
            failed: AtomicU64::new(0),
            in_flight: AtomicU64::new(0),
            peak_in_flight: AtomicU64::new(0),
            lateness: (0..BUCKETS).map(|_| AtomicU64::new(0)).collect(),
            max_micros: AtomicU64::new(0),
        }
    }

    /// A check starts, `late` after its slot.
    pub fn started(&self, late: Duration) {
        self.checks.fetch_add(1, Relaxed);
        let now = self.in_flight.fetch_add(1, Relaxed) + 1;
        self.peak_in_flight.fetch_max(now, Relaxed);
        let micros = u64::try_from(late.as_micros()).unwrap_or(u64::MAX);
        self.lateness[bucket(micros)].fetch_add(1, Relaxed);
        self.max_micros.fetch_max(micros, Relaxed);
    }

    /// A check ends.
    pub fn ended(&self, ok: bool) {
        self.in_flight.fetch_sub(1, Relaxed);
        if !ok {
            self.failed.fetch_add(1, Relaxed);
        }
    }

    pub fn snapshot(&self, permits: usize) -> Stats {
        Stats {
            checks: self.checks.load(Relaxed),
            failed: self.failed.load(Relaxed),
            in_flight: self.in_flight.load(Relaxed),
            peak_in_flight: self.peak_in_flight.load(Relaxed),
            permits,
            lateness: Lateness {
                counts: self.lateness.iter().map(|c| c.load(Relaxed)).collect(),
                max: Duration::from_micros(self.max_micros.load(Relaxed)),
            },
        }
    }

    /// Zeroes everything but the checks in flight.
    pub fn reset(&self) {
        self.checks.store(0, Relaxed);
        self.failed.store(0, Relaxed);
        self.peak_in_flight
            .store(self.in_flight.load(Relaxed), Relaxed);
        for c in self.lateness.iter() {
            c.store(0, Relaxed);
        }
        self.max_micros.store(0, Relaxed);
    }
}

fn bucket(v: u64) -> usize {
    if v < SUB as u64 {
        return v as usize;
    }
    let e = 63 - v.leading_zeros(); // >= SUB_BITS
    let mantissa = (v >> (e - SUB_BITS)) as usize; // SUB..2*SUB
    SUB + (e - SUB_BITS) as usize * SUB + (mantissa - SUB)
}

fn upper_edge(i: usize) -> u64 {
    if i < SUB {
        return i as u64;
    }
    let e = ((i - SUB) / SUB) as u32 + SUB_BITS;
    let mantissa = ((i - SUB) % SUB + SUB) as u128;
    let edge = ((mantissa + 1) << (e - SUB_BITS)) - 1;
    u64::try_from(edge).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_cover_every_value_in_order() {
        let mut last = 0;
        for v in (0..100_000u64).chain([u64::MAX / 2, u64::MAX]) {
            let b = bucket(v);
            assert!(b < BUCKETS);
            assert!(b >= last, "{v}");
            last = b;
            assert!(upper_edge(b) >= v, "{v} above its bucket's edge");
            // Within 1/16 of the value.
            assert!(upper_edge(b) - v <= v / 16, "{v}: {}", upper_edge(b));
        }
    }

    #[test]
    fn quantiles() {
        let c = Counters::new();
        for ms in 1..=100 {
            c.started(Duration::from_millis(ms));
            c.ended(ms % 10 != 0);
        }
        let s = c.snapshot(8);
        assert_eq!(
            (s.checks, s.failed, s.in_flight, s.peak_in_flight),
            (100, 10, 0, 1)
        );
        assert_eq!(s.lateness.count(), 100);
        let p50 = s.lateness.quantile(0.5).as_micros();
        assert!((50_000..=53_200).contains(&p50), "{p50}");
        let p99 = s.lateness.quantile(0.99).as_micros();
        assert!((99_000..=100_000).contains(&p99), "{p99}");
        assert_eq!(s.lateness.max(), Duration::from_millis(100));
        assert_eq!(s.lateness.quantile(1.0), Duration::from_millis(100));
        c.reset();
        let s = c.snapshot(8);
        assert_eq!((s.checks, s.lateness.count()), (0, 0));
        assert_eq!(s.lateness.quantile(0.5), Duration::ZERO);
    }
}
