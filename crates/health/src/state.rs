// SPDX-License-Identifier: MIT OR Apache-2.0
//! One target's health and its rise/fall counters (pure: every rule is a
//! unit test).

use std::time::SystemTime;

use crate::counts::CheckCounts;
use crate::{CheckResult, Health};

/// What the engine remembers of one target.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct State {
    pub health: Health,
    pub since: SystemTime,
    pub last: Option<CheckResult>,
    pub consecutive_ok: u32,
    pub consecutive_failed: u32,
    /// Checks by result and duration, and changes of health.
    pub counts: CheckCounts,
    /// Set (under the same lock the checking task takes to record a result)
    /// when the target is removed or replaced: its task must not record or
    /// send anything any more.
    pub retired: bool,
}

impl State {
    pub fn new(health: Health, since: SystemTime) -> Self {
        State {
            health,
            since,
            last: None,
            consecutive_ok: 0,
            consecutive_failed: 0,
            counts: CheckCounts::default(),
            retired: false,
        }
    }

    /// Records one result. Returns the new health and the reason, e.g.
    /// `connect refused (3/3)`, when this result changes the health.
    pub fn record(
        &mut self,
        result: CheckResult,
        rise: u32,
        fall: u32,
    ) -> Option<(Health, String)> {
        let (rise, fall) = (rise.max(1), fall.max(1));
        self.counts.check(result.ok, result.latency);
        let change = if result.ok {
            self.consecutive_ok = self.consecutive_ok.saturating_add(1);
            self.consecutive_failed = 0;
            (self.health == Health::Down && self.consecutive_ok >= rise).then(|| {
                (
                    Health::Up,
                    format!("{} ({}/{rise})", result.detail, self.consecutive_ok),
                )
            })
        } else {
            self.consecutive_failed = self.consecutive_failed.saturating_add(1);
            self.consecutive_ok = 0;
            (self.health == Health::Up && self.consecutive_failed >= fall).then(|| {
                (
                    Health::Down,
                    format!("{} ({}/{fall})", result.detail, self.consecutive_failed),
                )
            })
        };
        if let Some((health, _)) = &change {
            self.counts.transitions = self.counts.transitions.wrapping_add(1);
            self.health = *health;
            self.since = result.at;
        }
        self.last = Some(result);
        change
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    fn result(ok: bool, secs: u64) -> CheckResult {
        CheckResult {
            ok,
            at: UNIX_EPOCH + Duration::from_secs(secs),
            latency: Duration::from_millis(1),
            detail: if ok { "fine" } else { "connect refused" }.to_string(),
        }
    }

    #[test]
    fn down_needs_rise_successes_in_a_row() {
        let mut s = State::new(Health::Down, UNIX_EPOCH);
        assert_eq!(s.record(result(true, 1), 3, 2), None);
        assert_eq!(s.record(result(true, 2), 3, 2), None);
        assert_eq!(s.record(result(false, 3), 3, 2), None, "down stays down");
        assert_eq!((s.consecutive_ok, s.consecutive_failed), (0, 1));
        assert_eq!(s.record(result(true, 4), 3, 2), None);
        assert_eq!(s.record(result(true, 5), 3, 2), None);
        assert_eq!(
            s.record(result(true, 6), 3, 2),
            Some((Health::Up, "fine (3/3)".to_string()))
        );
        assert_eq!(s.health, Health::Up);
        assert_eq!(s.since, UNIX_EPOCH + Duration::from_secs(6));
        assert_eq!(s.record(result(true, 7), 3, 2), None, "no repeat");
        assert_eq!(s.consecutive_ok, 4);
        assert_eq!((s.counts.ok, s.counts.failed), (6, 1));
        assert_eq!(s.counts.transitions, 1);
        assert_eq!(s.counts.buckets[0], 7, "1 ms each");
    }

    #[test]
    fn up_needs_fall_failures_in_a_row() {
        let mut s = State::new(Health::Up, UNIX_EPOCH);
        assert_eq!(s.record(result(false, 1), 1, 2), None);
        assert_eq!(s.record(result(true, 2), 1, 2), None, "up stays up");
        assert_eq!(s.record(result(false, 3), 1, 2), None);
        assert_eq!(
            s.record(result(false, 4), 1, 2),
            Some((Health::Down, "connect refused (2/2)".to_string()))
        );
        assert_eq!(s.record(result(false, 5), 1, 2), None);
        assert_eq!(s.consecutive_failed, 3);
        assert_eq!(
            (s.counts.ok, s.counts.failed, s.counts.transitions),
            (1, 4, 1)
        );
        assert_eq!(s.last.as_ref().map(|r| r.ok), Some(false));
        assert_eq!(s.since, UNIX_EPOCH + Duration::from_secs(4));
    }

    #[test]
    fn rise_and_fall_of_one_flip_at_once() {
        let mut s = State::new(Health::Down, UNIX_EPOCH);
        assert_eq!(
            s.record(result(true, 1), 1, 1).map(|c| c.0),
            Some(Health::Up)
        );
        assert_eq!(
            s.record(result(false, 2), 1, 1),
            Some((Health::Down, "connect refused (1/1)".to_string()))
        );
    }

    #[test]
    fn zero_counts_act_as_one() {
        let mut s = State::new(Health::Down, UNIX_EPOCH);
        assert_eq!(
            s.record(result(true, 1), 0, 0),
            Some((Health::Up, "fine (1/1)".to_string()))
        );
    }
}
