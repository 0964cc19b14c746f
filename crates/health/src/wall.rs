// SPDX-License-Identifier: MIT OR Apache-2.0
//! The wall time of a check's start without reading the wall clock per
//! check: from an (instant, wall time) anchor that each check thread takes
//! once a second. In the lab VM every clock read is a system call (its
//! clocksource, HPET, has no vDSO); this saves one a check. A step of the
//! wall clock shows within a second.

use std::cell::Cell;
use std::time::{Duration, Instant, SystemTime};

/// How long an anchor serves before it is taken again.
const REFRESH: Duration = Duration::from_secs(1);

thread_local! {
    /// This thread's anchor: an instant and the wall time read with it.
    static ANCHOR: Cell<Option<(Instant, SystemTime)>> = const { Cell::new(None) };
}

/// The wall time at `instant` (an instant of the last second or so: a
/// check's start, read just before).
pub(crate) fn wall_time(instant: Instant) -> SystemTime {
    ANCHOR
        .try_with(|anchor| {
            let (at, wall) = match anchor.get() {
                Some((at, wall)) if instant.saturating_duration_since(at) < REFRESH => (at, wall),
                _ => {
                    let taken = (Instant::now(), SystemTime::now());
                    anchor.set(Some(taken));
                    taken
                }
            };
            from_anchor(at, wall, instant)
        })
        // The thread is ending: read the clock.
        .unwrap_or_else(|_| SystemTime::now())
}

/// `instant`'s wall time, given that `at` was `wall`.
fn from_anchor(at: Instant, wall: SystemTime, instant: Instant) -> SystemTime {
    if instant >= at {
        wall.checked_add(instant - at)
    } else {
        wall.checked_sub(at - instant)
    }
    .unwrap_or(wall)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_before_and_after_the_anchor() {
        let at = Instant::now();
        let wall = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000);
        let ms = Duration::from_millis;
        assert_eq!(from_anchor(at, wall, at), wall);
        assert_eq!(from_anchor(at, wall, at + ms(250)), wall + ms(250));
        if let Some(before) = at.checked_sub(ms(3)) {
            assert_eq!(from_anchor(at, wall, before), wall - ms(3));
        }
    }

    #[test]
    fn an_anchor_serves_a_second_then_is_taken_again() {
        let fake = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000);
        let now = Instant::now();
        // A fresh anchor (here a false one): used, the clock not read.
        ANCHOR.with(|a| a.set(Some((now, fake))));
        assert_eq!(wall_time(now), fake);
        // A second old: taken again, so the wall time is the clock's.
        let Some(old) = now.checked_sub(REFRESH) else {
            return; // a machine up for less than a second
        };
        ANCHOR.with(|a| a.set(Some((old, fake))));
        let before = SystemTime::now();
        let got = wall_time(Instant::now());
        let after = SystemTime::now();
        assert!(
            before <= got && got <= after,
            "{before:?} {got:?} {after:?}"
        );
    }
}
