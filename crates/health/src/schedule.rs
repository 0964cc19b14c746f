// SPDX-License-Identifier: MIT OR Apache-2.0
//! When checks run: each target's first check at a fixed offset within its
//! first interval (a hash of its key, so 10,000 targets spread evenly and a
//! restart spreads them the same way), then every `interval` after the
//! previous check's slot.
//!
//! The slots lie on a grid ([`grid`]: 10 ms, or a hundredth of a shorter
//! interval) anchored at the engine's start, so the checks of many targets
//! share a slot and the thread checking them wakes once for all of them: at
//! 1,000 checks a second over 1 s, about 10 checks a wake-up instead of one.
//! The spread stays even (the offsets are spread over the grid's points).

use std::hash::{Hash, Hasher};
use std::time::Duration;

use crate::TargetKey;

/// FNV-1a, as a [`Hasher`] so that any key's `Hash` can feed it.
struct Fnv(u64);

impl Hasher for Fnv {
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// The grid the slots of checks every `interval` lie on: 10 ms, or a
/// hundredth of an interval shorter than 1 s (never zero).
pub(crate) fn grid(interval: Duration) -> Duration {
    (interval / 100)
        .min(Duration::from_millis(10))
        .max(Duration::from_nanos(1))
}

/// `d` rounded up to a multiple of `grid` (not zero).
fn round_up(d: Duration, grid: Duration) -> Duration {
    let g = grid.as_nanos().max(1);
    let n = d.as_nanos().div_ceil(g) * g;
    Duration::from_nanos(u64::try_from(n).unwrap_or(u64::MAX))
}

/// The first slot of a target started at `start` by an engine started at
/// `epoch`: the first grid point at or after `start` (the grid anchored at
/// `epoch`, so targets started at different times share grid points), plus
/// the target's `offset` (a multiple of the grid, [`first_offset`]).
pub(crate) fn first_slot<I>(epoch: I, start: I, offset: Duration, grid: Duration) -> I
where
    I: std::ops::Add<Duration, Output = I> + std::ops::Sub<I, Output = Duration> + Ord + Copy,
{
    let since = if start > epoch {
        start - epoch
    } else {
        Duration::ZERO
    };
    epoch + round_up(since, grid) + offset
}

/// Where in `[0, interval)` a target's first check falls: a hash of the key
/// (FNV-1a, then the splitmix64 finaliser), scaled into the interval, then
/// down to a point of the interval's [`grid`].
pub(crate) fn first_offset<S: Hash>(key: &TargetKey<S>, interval: Duration) -> Duration {
    let mut fnv = Fnv(0xcbf2_9ce4_8422_2325);
    key.service.hash(&mut fnv);
    fnv.write(&[0]);
    match key.real.ip() {
        std::net::IpAddr::V4(ip) => fnv.write(&ip.octets()),
        std::net::IpAddr::V6(ip) => fnv.write(&ip.octets()),
    }
    fnv.write(&key.real.port().to_be_bytes());
    let mut h = fnv.finish();
    // splitmix64's finaliser: FNV's high bits are weak for keys that
    // differ only in their last bytes.
    h ^= h >> 30;
    h = h.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h ^= h >> 27;
    h = h.wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^= h >> 31;
    let nanos = interval.as_nanos().min(u128::from(u64::MAX));
    // Multiply-shift: uniform in [0, nanos).
    let offset = (u128::from(h) * nanos) >> 64;
    let g = grid(interval).as_nanos();
    Duration::from_nanos((offset / g * g) as u64)
}

/// The slot of the next check, given the slot of the one that just ended:
/// `interval` after it, or, if that is already past (the check, or the wait
/// for a permit, took longer than the interval), the first point at or after
/// `now` of the slot's `grid` (at most a grid step late: the target stays on
/// the grid and shares its wake-ups again).
pub(crate) fn next_slot<I>(slot: I, interval: Duration, now: I, grid: Duration) -> I
where
    I: std::ops::Add<Duration, Output = I> + std::ops::Sub<I, Output = Duration> + Ord + Copy,
{
    let next = slot + interval;
    if next >= now {
        next
    } else {
        next + round_up(now - next, grid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{Ipv4Addr, SocketAddr};

    fn key(i: u32) -> TargetKey<String> {
        TargetKey {
            service: "tcp 10.0.0.100:80".to_string(),
            real: SocketAddr::from((Ipv4Addr::from(0x7f00_0000 + i), 80)),
        }
    }

    #[test]
    fn offsets_are_deterministic_and_inside_the_interval() {
        let interval = Duration::from_secs(5);
        for i in 0..1000 {
            let o = first_offset(&key(i), interval);
            assert!(o < interval);
            assert_eq!(o, first_offset(&key(i), interval));
        }
        let tiny = Duration::from_nanos(1);
        assert_eq!(first_offset(&key(1), tiny), Duration::ZERO);
    }

    #[test]
    fn offsets_of_neighbouring_addresses_spread_evenly() {
        // 10,000 consecutive addresses into 10 buckets of 100 ms: each
        // bucket should hold about 1,000 (a uniform spread; a weak hash
        // would pile them up).
        let interval = Duration::from_secs(1);
        let mut buckets = [0u32; 10];
        for i in 0..10_000 {
            let o = first_offset(&key(i), interval);
            buckets[(o.as_millis() / 100) as usize] += 1;
        }
        for (i, n) in buckets.iter().enumerate() {
            assert!((850..=1150).contains(n), "bucket {i} has {n}: {buckets:?}");
        }
    }

    #[test]
    fn service_and_port_change_the_offset() {
        let interval = Duration::from_secs(10);
        let a = key(1);
        let mut b = a.clone();
        b.service = "tcp 10.0.0.101:80".to_string();
        let mut c = a.clone();
        c.real.set_port(81);
        let offsets = [a, b, c].map(|k| first_offset(&k, interval));
        assert_ne!(offsets[0], offsets[1]);
        assert_ne!(offsets[0], offsets[2]);
    }

    #[test]
    fn next_slot_keeps_the_phase_unless_the_check_overran() {
        let s = Duration::from_secs;
        let ms = Duration::from_millis;
        let g = grid(s(5));
        assert_eq!(g, ms(10));
        // On time, or late by less than an interval: the phase is kept.
        assert_eq!(next_slot(s(10), s(5), s(10), g), s(15));
        assert_eq!(next_slot(s(10), s(5), s(14), g), s(15));
        // Overran the interval: at once, or at the grid's next point.
        assert_eq!(next_slot(s(10), s(5), s(15), g), s(15));
        assert_eq!(next_slot(s(10), s(5), s(17), g), s(17));
        assert_eq!(next_slot(s(10), s(5), s(17) + ms(1), g), s(17) + ms(10));
        assert_eq!(next_slot(s(10), s(5), s(17) + ms(10), g), s(17) + ms(10));
        // The grid is the slot's own: a slot off the engine's grid stays on
        // its own phase.
        let off = s(10) + ms(3);
        assert_eq!(next_slot(off, s(5), s(17) + ms(4), g), s(17) + ms(13));
    }

    #[test]
    fn the_grid_is_10_ms_or_a_hundredth_of_a_shorter_interval() {
        let ms = Duration::from_millis;
        assert_eq!(grid(Duration::from_secs(60)), ms(10));
        assert_eq!(grid(Duration::from_secs(1)), ms(10));
        assert_eq!(grid(ms(500)), ms(5));
        assert_eq!(grid(ms(1)), Duration::from_micros(10));
        assert_eq!(grid(Duration::from_nanos(1)), Duration::from_nanos(1));
    }

    #[test]
    fn offsets_lie_on_the_grid_and_use_all_its_points() {
        // 1 s: 100 points of 10 ms; 10,000 targets use every one of them,
        // each about 100 times.
        let interval = Duration::from_secs(1);
        let g = grid(interval);
        let mut points = [0u32; 100];
        for i in 0..10_000 {
            let o = first_offset(&key(i), interval);
            assert_eq!(o.as_nanos() % g.as_nanos(), 0, "{o:?}");
            points[(o.as_nanos() / g.as_nanos()) as usize] += 1;
        }
        for (i, n) in points.iter().enumerate() {
            assert!((60..=140).contains(n), "point {i} has {n}: {points:?}");
        }
        // An interval that is no multiple of the grid: still inside it.
        let odd = Duration::from_millis(1_234);
        for i in 0..1000 {
            let o = first_offset(&key(i), odd);
            assert!(o < odd);
            assert_eq!(o.as_nanos() % grid(odd).as_nanos(), 0);
        }
    }

    #[test]
    fn first_slots_share_the_grid_of_the_engine_whenever_they_start() {
        let ms = Duration::from_millis;
        let epoch = Duration::from_secs(100);
        let g = ms(10);
        // At the epoch itself: the offset.
        assert_eq!(first_slot(epoch, epoch, ms(30), g), epoch + ms(30));
        // Later, off the grid: the next grid point, plus the offset.
        let late = epoch + ms(3_300) + Duration::from_micros(400);
        assert_eq!(first_slot(epoch, late, ms(30), g), epoch + ms(3_310 + 30));
        // On a grid point: that point.
        assert_eq!(
            first_slot(epoch, epoch + ms(3_310), ms(30), g),
            epoch + ms(3_340)
        );
        // Two targets with the same offset, started apart: the same slots.
        let a = first_slot(epoch, epoch + ms(1), ms(50), g);
        let b = first_slot(epoch, epoch + ms(9), ms(50), g);
        assert_eq!(a, b);
    }
}
