// SPDX-License-Identifier: MIT OR Apache-2.0
//! The TCP connect of a connect check: tokio's `TcpStream::connect` less one
//! system call. tokio asks the socket for its error (`getsockopt(SO_ERROR)`)
//! after every connect; here the readiness the connect ended with says
//! whether it failed (`EPOLLERR`/`EPOLLHUP`), and only a failed connect asks
//! for its error. Same socket (non-blocking, close-on-exec), same
//! registration with the runtime, same errors.
//!
//! A connected socket is closed with a reset (`SO_LINGER` 0), as
//! keepalived's TCP_CHECK closes it: no FIN exchange and no TIME_WAIT
//! socket left on the director per check (at 10,000 checks a second the
//! kernel's 131,072 TIME_WAIT buckets overflow, and it says so in its log),
//! and less work for the real, whose side goes at once.

use std::io;
use std::mem;
use std::net::SocketAddr;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

use tokio::io::unix::AsyncFd;
use tokio::io::Interest;

/// Connects to `addr`, then closes the connection (with a reset). The error
/// is the one the connect failed with (`ECONNREFUSED` …), as
/// `TcpStream::connect` gives it.
pub(crate) async fn connect_and_close(addr: SocketAddr) -> io::Result<()> {
    let socket = tcp_socket(&addr)?;
    match start_connect(&socket, &addr) {
        Ok(()) => return abort_on_close(&socket),
        Err(e) if e.raw_os_error() == Some(libc::EINPROGRESS) => {}
        Err(e) => return Err(e),
    }
    // SAFETY: the AsyncFd owns the descriptor, which is neither replaced
    // nor closed while it is registered (it is closed after, on drop).
    let socket = unsafe { AsyncFd::register_with_interest(socket, Interest::WRITABLE) }
        .map_err(io::Error::from)?;
    let guard = socket.writable().await?;
    ended(socket.get_ref(), guard.ready().is_write_closed())
}

/// How a connect under way ended, its socket having become writable:
/// writable alone, connected (and set to close with a reset); writable and
/// `closed` (EPOLLHUP, or EPOLLOUT with EPOLLERR), failed, and the socket's
/// error says why.
pub(crate) fn ended(socket: &OwnedFd, closed: bool) -> io::Result<()> {
    if !closed {
        return abort_on_close(socket);
    }
    Err(socket_error(socket).unwrap_or_else(|| io::Error::from(io::ErrorKind::ConnectionAborted)))
}

/// The receive buffer of a check's stream (the kernel doubles it): what a
/// real can push into the director before the check reads. A check reads
/// at most 64 KiB of an answer's body; with the kernel's autotuning a real
/// sending without end pushed megabytes per check.
const RECEIVE_BUFFER: u32 = 64 * 1024;

/// A TCP stream to `addr` for a check that talks (HTTP, mail, databases,
/// DNS and SIP over TCP, send/expect): `TcpStream::connect` with a
/// bounded receive buffer, set before the connect so that the window the
/// real sees is small from the start.
pub(crate) async fn stream_to(addr: SocketAddr) -> io::Result<tokio::net::TcpStream> {
    let socket = match addr {
        SocketAddr::V4(_) => tokio::net::TcpSocket::new_v4()?,
        SocketAddr::V6(_) => tokio::net::TcpSocket::new_v6()?,
    };
    socket.set_recv_buffer_size(RECEIVE_BUFFER)?;
    socket.connect(addr).await
}

/// A non-blocking, close-on-exec TCP socket of `addr`'s family.
pub(crate) fn tcp_socket(addr: &SocketAddr) -> io::Result<OwnedFd> {
    let family = match addr {
        SocketAddr::V4(_) => libc::AF_INET,
        SocketAddr::V6(_) => libc::AF_INET6,
    };
    let flags = libc::SOCK_STREAM | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC;
    // SAFETY: socket takes no pointers; a non-negative result is a new
    // descriptor that nothing else owns.
    let fd = unsafe { libc::socket(family, flags, 0) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `fd` was just opened and is owned by no one else.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// `connect(2)` on the non-blocking `socket`: `EINPROGRESS` as an error.
pub(crate) fn start_connect(socket: &OwnedFd, addr: &SocketAddr) -> io::Result<()> {
    // SAFETY: an all-zero sockaddr_storage is a valid value.
    let mut storage: libc::sockaddr_storage = unsafe { mem::zeroed() };
    let len = match addr {
        SocketAddr::V4(a) => {
            let sin = libc::sockaddr_in {
                sin_family: libc::AF_INET as libc::sa_family_t,
                sin_port: a.port().to_be(),
                sin_addr: libc::in_addr {
                    s_addr: u32::from_ne_bytes(a.ip().octets()),
                },
                sin_zero: [0; 8],
            };
            // SAFETY: sockaddr_storage is larger than, and aligned for, any sockaddr.
            unsafe { std::ptr::write((&mut storage as *mut libc::sockaddr_storage).cast(), sin) };
            mem::size_of::<libc::sockaddr_in>()
        }
        SocketAddr::V6(a) => {
            let sin6 = libc::sockaddr_in6 {
                sin6_family: libc::AF_INET6 as libc::sa_family_t,
                sin6_port: a.port().to_be(),
                sin6_flowinfo: a.flowinfo(),
                sin6_addr: libc::in6_addr {
                    s6_addr: a.ip().octets(),
                },
                sin6_scope_id: a.scope_id(),
            };
            // SAFETY: as above.
            unsafe { std::ptr::write((&mut storage as *mut libc::sockaddr_storage).cast(), sin6) };
            mem::size_of::<libc::sockaddr_in6>()
        }
    };
    // SAFETY: `storage` holds a sockaddr of `len` bytes; the descriptor is open.
    let rc = unsafe {
        libc::connect(
            socket.as_raw_fd(),
            (&storage as *const libc::sockaddr_storage).cast(),
            len as libc::socklen_t,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Makes closing `socket` reset the connection (`SO_LINGER` on, time 0).
pub(crate) fn abort_on_close(socket: &OwnedFd) -> io::Result<()> {
    let linger = libc::linger {
        l_onoff: 1,
        l_linger: 0,
    };
    // SAFETY: setsockopt reads `len` bytes from `linger`.
    let rc = unsafe {
        libc::setsockopt(
            socket.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            (&linger as *const libc::linger).cast(),
            mem::size_of::<libc::linger>() as libc::socklen_t,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// The socket's pending error (`SO_ERROR`), if it has one.
pub(crate) fn socket_error(socket: &OwnedFd) -> Option<io::Error> {
    let mut error: libc::c_int = 0;
    let mut len = mem::size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: getsockopt writes at most `len` bytes into `error`.
    let rc = unsafe {
        libc::getsockopt(
            socket.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_ERROR,
            (&mut error as *mut libc::c_int).cast(),
            &mut len,
        )
    };
    if rc != 0 {
        return Some(io::Error::last_os_error());
    }
    (error != 0).then(|| io::Error::from_raw_os_error(error))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn connects_to_a_listener_and_says_why_not_to_a_closed_port() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let open = listener.local_addr().unwrap();
        connect_and_close(open).await.unwrap();
        let (accepted, _) = listener.accept().await.unwrap();
        drop(accepted);
        drop(listener);
        let refused = connect_and_close(open).await.unwrap_err();
        assert_eq!(
            refused.kind(),
            io::ErrorKind::ConnectionRefused,
            "{refused}"
        );
    }

    #[tokio::test]
    async fn the_connection_is_closed_with_a_reset_and_leaves_no_time_wait() {
        use tokio::io::AsyncReadExt;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        connect_and_close(listener.local_addr().unwrap())
            .await
            .unwrap();
        let (mut accepted, _) = listener.accept().await.unwrap();
        let mut byte = [0u8; 1];
        // A FIN would read as the end (Ok(0)); a reset is an error.
        let read = accepted.read(&mut byte).await;
        assert_eq!(
            read.map_err(|e| e.kind()),
            Err(io::ErrorKind::ConnectionReset)
        );
    }

    #[tokio::test]
    async fn a_talking_checks_stream_has_a_small_receive_buffer() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let stream = stream_to(listener.local_addr().unwrap()).await.unwrap();
        let size = receive_buffer(&stream);
        // The kernel doubles what is set; autotuning would go to megabytes.
        assert_eq!(size, 2 * RECEIVE_BUFFER as i32);
    }

    fn receive_buffer(stream: &tokio::net::TcpStream) -> i32 {
        let mut size: libc::c_int = 0;
        let mut len = mem::size_of::<libc::c_int>() as libc::socklen_t;
        // SAFETY: getsockopt writes at most `len` bytes into `size`.
        let rc = unsafe {
            libc::getsockopt(
                stream.as_raw_fd(),
                libc::SOL_SOCKET,
                libc::SO_RCVBUF,
                (&mut size as *mut libc::c_int).cast(),
                &mut len,
            )
        };
        assert_eq!(rc, 0);
        size
    }

    #[tokio::test]
    async fn ipv6_too() {
        let Ok(listener) = tokio::net::TcpListener::bind("[::1]:0").await else {
            return; // no IPv6 loopback here
        };
        connect_and_close(listener.local_addr().unwrap())
            .await
            .unwrap();
    }
}
