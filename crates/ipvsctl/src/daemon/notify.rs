// SPDX-License-Identifier: MIT OR Apache-2.0
//! systemd's notify protocol (`Type=notify`): READY, RELOADING, STOPPING
//! and watchdog pings on `$NOTIFY_SOCKET`, when systemd set it. A dozen
//! lines of datagrams; no crate needed.

use std::os::linux::net::SocketAddrExt;
use std::os::unix::net::{SocketAddr, UnixDatagram};
use std::time::Duration;

/// Where to tell systemd how the daemon is doing (nowhere when not run by
/// systemd).
pub struct Notifier {
    target: Option<(UnixDatagram, SocketAddr)>,
    watchdog: Option<Duration>,
}

impl Notifier {
    /// From `$NOTIFY_SOCKET` (a path, or `@name` for an abstract socket)
    /// and `$WATCHDOG_USEC` (ignored when `$WATCHDOG_PID` names another
    /// process).
    pub fn from_environment() -> Self {
        let target = std::env::var("NOTIFY_SOCKET").ok().and_then(|name| {
            let address = match name.strip_prefix('@') {
                Some(abstract_name) => {
                    SocketAddr::from_abstract_name(abstract_name.as_bytes()).ok()?
                }
                None => SocketAddr::from_pathname(&name).ok()?,
            };
            Some((UnixDatagram::unbound().ok()?, address))
        });
        let ours = std::env::var("WATCHDOG_PID")
            .map_or(true, |pid| pid.trim() == std::process::id().to_string());
        let watchdog = std::env::var("WATCHDOG_USEC")
            .ok()
            .and_then(|usec| usec.trim().parse::<u64>().ok())
            .filter(|usec| *usec > 0 && ours)
            .map(Duration::from_micros);
        Self { target, watchdog }
    }

    /// Tells nobody (host tests).
    pub fn none() -> Self {
        Self {
            target: None,
            watchdog: None,
        }
    }

    /// How often to ping the watchdog: half its timeout.
    pub fn watchdog_interval(&self) -> Option<Duration> {
        self.target
            .as_ref()
            .and(self.watchdog)
            .map(|timeout| timeout / 2)
    }

    fn send(&self, message: &str) {
        if let Some((socket, address)) = &self.target {
            let _ = socket.send_to_addr(message.as_bytes(), address);
        }
    }

    /// The daemon serves.
    pub fn ready(&self, status: &str) {
        self.send(&format!("READY=1\nSTATUS={status}"));
    }

    /// A reload begins (READY follows when it is done).
    pub fn reloading(&self) {
        self.send(&format!("RELOADING=1\nMONOTONIC_USEC={}", monotonic_usec()));
    }

    /// The daemon is stopping.
    pub fn stopping(&self) {
        self.send("STOPPING=1");
    }

    /// The daemon is alive.
    pub fn watchdog(&self) {
        self.send("WATCHDOG=1");
    }
}

/// CLOCK_MONOTONIC in microseconds, as systemd wants it with RELOADING.
fn monotonic_usec() -> u64 {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes into the timespec it is given.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut now) };
    now.tv_sec as u64 * 1_000_000 + now.tv_nsec as u64 / 1_000
}
