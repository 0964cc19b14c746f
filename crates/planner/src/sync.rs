// SPDX-License-Identifier: MIT OR Apache-2.0
//! The connection-sync daemons wanted against those running: start what is
//! missing, restart one only when its settings differ, leave other roles
//! alone (an HA script may have switched them).

use std::fmt;

use ipvs::SyncDaemon;

/// A change to the sync daemons.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SyncChange {
    /// Start a daemon that is not running.
    Start(SyncDaemon),
    /// Stop the running daemon of this role and start it with new settings.
    Restart {
        /// As it runs.
        before: SyncDaemon,
        /// As it will run.
        after: SyncDaemon,
    },
}

/// Whether a running daemon has every setting the wanted one names (the
/// wanted one's `None`s take whatever the kernel chose).
pub fn satisfies(running: &SyncDaemon, wanted: &SyncDaemon) -> bool {
    running.state == wanted.state
        && running.interface == wanted.interface
        && running.sync_id == wanted.sync_id
        && wanted
            .max_length
            .is_none_or(|v| running.max_length == Some(v))
        && wanted.group.is_none_or(|v| running.group == Some(v))
        && wanted.port.is_none_or(|v| running.port == Some(v))
        && wanted.ttl.is_none_or(|v| running.ttl == Some(v))
}

/// Plans the sync daemons.
pub fn plan(wanted: &[SyncDaemon], running: &[SyncDaemon]) -> Vec<SyncChange> {
    wanted
        .iter()
        .filter_map(|w| match running.iter().find(|r| r.state == w.state) {
            None => Some(SyncChange::Start(w.clone())),
            Some(r) if satisfies(r, w) => None,
            Some(r) => Some(SyncChange::Restart {
                before: r.clone(),
                after: w.clone(),
            }),
        })
        .collect()
}

impl fmt::Display for SyncChange {
    /// `+ sync master (mcast=eth0, syncid=1)` or `~ sync backup (…) -> (…)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Start(d) => write!(f, "+ sync {} ({})", d.state, d.settings()),
            Self::Restart { before, after } => write!(
                f,
                "~ sync {} ({}) -> ({})",
                after.state,
                before.settings(),
                after.settings()
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use ipvs::SyncState;

    use super::*;

    fn running(state: SyncState, id: u8) -> SyncDaemon {
        SyncDaemon {
            max_length: Some(1472),
            group: Some("224.0.0.81".parse().unwrap()),
            port: Some(8848),
            ttl: Some(1),
            ..SyncDaemon::new(state, "eth0", id)
        }
    }

    #[test]
    fn a_missing_daemon_is_started() {
        let wanted = [SyncDaemon::new(SyncState::Master, "eth0", 1)];
        assert_eq!(plan(&wanted, &[]), [SyncChange::Start(wanted[0].clone())]);
        assert_eq!(
            plan(&wanted, &[])[0].to_string(),
            "+ sync master (mcast=eth0, syncid=1)"
        );
    }

    #[test]
    fn a_running_daemon_with_kernel_defaults_is_left_alone() {
        let wanted = [SyncDaemon::new(SyncState::Master, "eth0", 1)];
        assert!(plan(&wanted, &[running(SyncState::Master, 1)]).is_empty());
    }

    #[test]
    fn different_settings_restart_only_that_role() {
        let wanted = [
            SyncDaemon::new(SyncState::Master, "eth0", 2),
            SyncDaemon::new(SyncState::Backup, "eth0", 1),
        ];
        let now = [running(SyncState::Master, 1), running(SyncState::Backup, 1)];
        let changes = plan(&wanted, &now);
        assert_eq!(changes.len(), 1);
        assert_eq!(
            changes[0].to_string(),
            "~ sync master (mcast=eth0, syncid=1, maxlen=1472, group=224.0.0.81, port=8848, ttl=1) -> (mcast=eth0, syncid=2)"
        );
    }

    #[test]
    fn a_named_setting_must_match() {
        let mut wanted = SyncDaemon::new(SyncState::Backup, "eth0", 1);
        wanted.port = Some(8849);
        assert_eq!(
            plan(&[wanted.clone()], &[running(SyncState::Backup, 1)]).len(),
            1
        );
        wanted.port = Some(8848);
        assert!(plan(&[wanted], &[running(SyncState::Backup, 1)]).is_empty());
    }

    #[test]
    fn other_roles_are_left_alone() {
        let wanted = [SyncDaemon::new(SyncState::Master, "eth0", 1)];
        assert!(plan(
            &wanted,
            &[running(SyncState::Master, 1), running(SyncState::Backup, 9)]
        )
        .is_empty());
    }
}
