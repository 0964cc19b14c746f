// SPDX-License-Identifier: MIT OR Apache-2.0
//! When checks run: each target's first check at a fixed offset within its
//! first interval (a hash of its key, so 10,000 targets spread evenly and a
//! restart spreads them the same way), then every `interval` after the
//! previous check's slot.

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

/// Where in `[0, interval)` a target's first check falls: a hash of the key
/// (FNV-1a, then the splitmix64 finaliser), scaled into the interval.
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
    Duration::from_nanos(offset as u64)
}

/// The slot of the next check, given the slot of the one that just ended:
/// `interval` after it, or `now` if that is already past (the check, or the
/// wait for a permit, took longer than the interval).
pub(crate) fn next_slot<I>(slot: I, interval: Duration, now: I) -> I
where
    I: std::ops::Add<Duration, Output = I> + Ord + Copy,
{
    let next = slot + interval;
    if next > now {
        next
    } else {
        now
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
        // On time, or late by less than an interval: the phase is kept.
        assert_eq!(next_slot(s(10), s(5), s(10)), s(15));
        assert_eq!(next_slot(s(10), s(5), s(14)), s(15));
        // Overran the interval: right away.
        assert_eq!(next_slot(s(10), s(5), s(15)), s(15));
        assert_eq!(next_slot(s(10), s(5), s(17)), s(17));
    }
}
