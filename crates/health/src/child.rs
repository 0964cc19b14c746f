// SPDX-License-Identifier: MIT OR Apache-2.0
//! What every child process ipvsctl runs shares (the external check here,
//! the daemon's hooks): its process group killed whole, and how it ended
//! told in words.

use std::os::unix::process::ExitStatusExt;
use std::process::ExitStatus;

/// The service manager's variables, meant for the daemon alone: a child
/// that inherited `NOTIFY_SOCKET` could tell systemd the daemon is ready,
/// stopping or alive; `LISTEN_*` would hand it the daemon's sockets.
pub const DAEMON_ONLY_VARIABLES: &[&str] = &[
    "NOTIFY_SOCKET",
    "WATCHDOG_PID",
    "WATCHDOG_USEC",
    "LISTEN_FDS",
    "LISTEN_PID",
    "LISTEN_FDNAMES",
];

/// Kills a child's whole process group (the child runs in its own:
/// `process_group(0)`) when [`kill`](Self::kill)ed or dropped, unless
/// [`disarm`](Self::disarm)ed once the child has been reaped (from then on
/// its id may be reused).
#[derive(Debug)]
pub struct GroupKill(Option<i32>);

impl GroupKill {
    /// The group of the child with this process id (`None`: nothing to
    /// kill, the child is gone already).
    pub fn new(pid: Option<u32>) -> Self {
        Self(pid.and_then(|id| i32::try_from(id).ok()))
    }

    /// SIGKILL to the whole group, once.
    pub fn kill(&mut self) {
        if let Some(pgid) = self.0.take() {
            // SAFETY: kill(2) with a negative pid signals that process group.
            unsafe {
                libc::kill(-pgid, libc::SIGKILL);
            }
        }
    }

    /// The child was reaped: kill nothing from now on.
    pub fn disarm(&mut self) {
        self.0 = None;
    }
}

impl Drop for GroupKill {
    fn drop(&mut self) {
        self.kill();
    }
}

/// `exit status 3`, `killed by signal 9`.
pub fn exit_text(status: ExitStatus) -> String {
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("exit status {code}"),
        (None, Some(signal)) => format!("killed by signal {signal}"),
        (None, None) => format!("ended: {status}"),
    }
}
