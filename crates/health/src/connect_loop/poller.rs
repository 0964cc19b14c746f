// SPDX-License-Identifier: MIT OR Apache-2.0
//! The connect loop's epoll descriptor and its wake-up (an eventfd in the
//! same epoll set): the only system calls of the loop besides the checks'
//! own socket, connect, setsockopt and close.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::time::Duration;

/// The token of the wake-up eventfd (a check's token never is: its index
/// is below `u32::MAX`).
pub(crate) const WAKE: u64 = u64::MAX;

/// An epoll set with an eventfd in it that [`Poller::wake`] makes readable.
pub(crate) struct Poller {
    epoll: OwnedFd,
    wake: OwnedFd,
}

/// A descriptor returned by a system call, or its error.
fn owned(fd: RawFd) -> io::Result<OwnedFd> {
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: a non-negative result of epoll_create1/eventfd is a new
    // descriptor that nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

impl Poller {
    /// A new epoll set holding its wake-up eventfd.
    pub(crate) fn new() -> io::Result<Self> {
        // SAFETY: no pointers; the results are checked by `owned`.
        let epoll = owned(unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) })?;
        // SAFETY: as above.
        let wake = owned(unsafe { libc::eventfd(0, libc::EFD_NONBLOCK | libc::EFD_CLOEXEC) })?;
        let poller = Poller { epoll, wake };
        poller.add(poller.wake.as_raw_fd(), libc::EPOLLIN as u32, WAKE)?;
        Ok(poller)
    }

    fn add(&self, fd: RawFd, events: u32, token: u64) -> io::Result<()> {
        let mut event = libc::epoll_event { events, u64: token };
        // SAFETY: epoll_ctl reads one epoll_event; both descriptors are open.
        let rc =
            unsafe { libc::epoll_ctl(self.epoll.as_raw_fd(), libc::EPOLL_CTL_ADD, fd, &mut event) };
        if rc == 0 {
            Ok(())
        } else {
            Err(io::Error::last_os_error())
        }
    }

    /// Watches a connecting socket until it is writable or fails (edge
    /// triggered: one event). Closing the socket takes it out of the set.
    pub(crate) fn watch_connect(&self, fd: RawFd, token: u64) -> io::Result<()> {
        self.add(fd, (libc::EPOLLOUT | libc::EPOLLET) as u32, token)
    }

    /// Waits for events, at most `timeout` (`None`: until one comes).
    /// Returns how many of `events` were filled (0 on a timeout or a signal).
    pub(crate) fn wait(
        &self,
        events: &mut [libc::epoll_event],
        timeout: Option<Duration>,
    ) -> io::Result<usize> {
        let ms = match timeout {
            None => -1,
            // Rounded up: never wakes before the deadline.
            Some(t) => i32::try_from(t.as_nanos().div_ceil(1_000_000)).unwrap_or(i32::MAX),
        };
        let room = i32::try_from(events.len()).unwrap_or(i32::MAX);
        // SAFETY: epoll_wait writes at most `room` events into `events`.
        let n = unsafe { libc::epoll_wait(self.epoll.as_raw_fd(), events.as_mut_ptr(), room, ms) };
        if n >= 0 {
            return Ok(n as usize);
        }
        let e = io::Error::last_os_error();
        if e.kind() == io::ErrorKind::Interrupted {
            return Ok(0);
        }
        Err(e)
    }

    /// Makes the loop's `wait` return (from any thread).
    pub(crate) fn wake(&self) {
        let one: u64 = 1;
        // SAFETY: write reads 8 bytes from `one`. A full counter (EAGAIN)
        // is readable already: nothing to do then.
        let _ = unsafe { libc::write(self.wake.as_raw_fd(), (&one as *const u64).cast(), 8) };
    }

    /// Takes the wake-ups seen (the loop, after a [`WAKE`] event).
    pub(crate) fn drain_wake(&self) {
        let mut count: u64 = 0;
        // SAFETY: read writes at most 8 bytes into `count`.
        let _ = unsafe { libc::read(self.wake.as_raw_fd(), (&mut count as *mut u64).cast(), 8) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn empty() -> libc::epoll_event {
        libc::epoll_event { events: 0, u64: 0 }
    }

    #[test]
    fn a_wake_ends_the_wait_and_is_drained() {
        let poller = Poller::new().unwrap();
        let mut events = [empty(); 4];
        assert_eq!(poller.wait(&mut events, Some(Duration::ZERO)).unwrap(), 0);
        poller.wake();
        poller.wake();
        assert_eq!(poller.wait(&mut events, None).unwrap(), 1);
        let token = events[0].u64;
        assert_eq!(token, WAKE);
        poller.drain_wake();
        assert_eq!(poller.wait(&mut events, Some(Duration::ZERO)).unwrap(), 0);
    }
}
