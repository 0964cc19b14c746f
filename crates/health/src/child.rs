// SPDX-License-Identifier: MIT OR Apache-2.0
//! What every child process ipvsctl runs shares (the external check here,
//! the daemon's hooks): its process group killed whole, and how it ended
//! told in words; for the external check also a clean environment and the
//! end of its main process seen before it is reaped ([`ExitWatch`]), so
//! that what it left behind in its group is killed too.

use std::ffi::OsStr;
use std::os::fd::{FromRawFd, OwnedFd};
use std::os::unix::process::ExitStatusExt;
use std::process::ExitStatus;

use tokio::io::unix::AsyncFd;

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

/// The variables an external check keeps of the daemon's environment:
/// where programs are, the language and time zone, the home directory.
/// Everything else (the service manager's `NOTIFY_SOCKET`, `WATCHDOG_*`,
/// `LISTEN_*`, `INVOCATION_ID`, credentials directories, whatever the
/// daemon was started with) stays with the daemon.
pub const KEPT_VARIABLES: &[&str] = &["PATH", "HOME", "LANG", "LANGUAGE", "TZ"];

/// `PATH` when the daemon has none (systemd's default for services).
pub const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// Whether an external check keeps this variable: [`KEPT_VARIABLES`] and
/// the locale's `LC_*`.
pub fn kept_variable(name: &OsStr) -> bool {
    let name = name.as_encoded_bytes();
    KEPT_VARIABLES.iter().any(|k| k.as_bytes() == name) || name.starts_with(b"LC_")
}

/// Gives `command` a clean environment: only the daemon's variables that
/// [`kept_variable`] keeps, and `PATH` ([`DEFAULT_PATH`] if unset).
pub fn clean_environment(command: &mut tokio::process::Command) {
    command.env_clear();
    let mut path = false;
    for (name, value) in std::env::vars_os().filter(|(n, _)| kept_variable(n)) {
        path |= name == "PATH";
        command.env(name, value);
    }
    if !path {
        command.env("PATH", DEFAULT_PATH);
    }
}

/// The end of a child process, seen without reaping it (a pidfd, readable
/// once the process has ended): while it is a zombie its process group id
/// cannot be reused, so the group can still be killed safely.
#[derive(Debug)]
pub struct ExitWatch(AsyncFd<OwnedFd>);

impl ExitWatch {
    /// Watches the process `pid`; `None` where the kernel has no pidfd
    /// (before Linux 5.3) or the process is gone.
    pub fn open(pid: u32) -> Option<Self> {
        let pid = libc::pid_t::try_from(pid).ok()?;
        // SAFETY: pidfd_open(2) takes a pid and flags, returns a new fd or -1.
        let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
        let fd = i32::try_from(fd).ok().filter(|fd| *fd >= 0)?;
        // SAFETY: a descriptor just returned to us, owned by nobody else.
        let owned = unsafe { OwnedFd::from_raw_fd(fd) };
        // SAFETY: the OwnedFd is moved into the AsyncFd, which keeps it
        // open, unreplaced, until it deregisters it on drop.
        unsafe { AsyncFd::register_with_interest(owned, tokio::io::Interest::READABLE) }
            .ok()
            .map(Self)
    }

    /// Waits until the process has ended (it is not reaped).
    pub async fn ended(&self) {
        // A pidfd stays readable once the process has ended; an error here
        // (none is known) counts as ended, and the caller reaps.
        let _ = self.0.readable().await;
    }
}

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
