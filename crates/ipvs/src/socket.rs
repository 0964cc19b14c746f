// SPDX-License-Identifier: MIT OR Apache-2.0
//! The generic-netlink socket: options, buffer sizes, `send` and `recv`.
//! It moves datagrams and knows nothing of what is in them; the protocol
//! (sequence numbers, ACKs, dumps) is in [`crate::exchange`].

use std::os::fd::AsRawFd;

use netlink_sys::{protocols::NETLINK_GENERIC, SocketAddr as NetlinkAddr};

use crate::error::{Error, Result};

/// Receive buffer for one datagram. The kernel never builds a dump
/// datagram larger than 32 KiB; error replies are capped (NETLINK_CAP_ACK).
const RECV_BUFFER: usize = 256 * 1024;
/// Socket buffers asked for (as root, past `net.core.[rw]mem_max`).
const SOCKET_BUFFER: libc::c_int = 8 * 1024 * 1024;
/// What the kernel grants when it will not say (`net.core.rmem_default`).
const DEFAULT_RECEIVE_BUFFER: usize = 212_992;

/// A generic-netlink socket connected to the kernel, in the network
/// namespace the caller was in when it was opened.
pub(crate) struct Socket {
    socket: netlink_sys::Socket,
    /// The last datagram received.
    buffer: Vec<u8>,
    /// The receive buffer the kernel granted, in bytes.
    receive_buffer: usize,
}

impl Socket {
    /// Opens, binds and connects a socket to the kernel, with extended and
    /// capped ACKs and large buffers.
    pub(crate) fn open() -> Result<Self> {
        let mut socket = netlink_sys::Socket::new(NETLINK_GENERIC).map_err(Error::Socket)?;
        socket.bind_auto().map_err(Error::Socket)?;
        socket
            .connect(&NetlinkAddr::new(0, 0))
            .map_err(Error::Socket)?;
        // Extended ACKs carry the kernel's reason; capped ACKs keep error
        // replies small. Both are best effort: old kernels lack them.
        let _ = socket.set_ext_ack(true);
        let _ = socket.set_cap_ack(true);
        let receive_buffer = grow_buffers(&socket);
        Ok(Self {
            socket,
            buffer: Vec::with_capacity(RECV_BUFFER),
            receive_buffer,
        })
    }

    /// The receive buffer the kernel granted: how many replies can queue
    /// before the kernel drops them.
    pub(crate) fn receive_buffer(&self) -> usize {
        self.receive_buffer
    }

    /// Sends one datagram, whole.
    pub(crate) fn send(&self, frame: &[u8]) -> Result<()> {
        let sent = self.socket.send(frame, 0).map_err(Error::Socket)?;
        if sent != frame.len() {
            return Err(Error::Protocol(format!(
                "sent {sent} of {} bytes",
                frame.len()
            )));
        }
        Ok(())
    }

    /// Receives one datagram; it is valid until the next call.
    pub(crate) fn recv(&mut self) -> Result<&[u8]> {
        self.buffer.clear();
        self.buffer.reserve(RECV_BUFFER);
        // SAFETY: the pointer and capacity describe the vector's spare
        // space; the kernel writes at most that many bytes into it.
        let received = unsafe {
            libc::recv(
                self.socket.as_raw_fd(),
                self.buffer.as_mut_ptr().cast(),
                self.buffer.capacity(),
                libc::MSG_TRUNC,
            )
        };
        if received < 0 {
            let error = std::io::Error::last_os_error();
            return Err(match error.raw_os_error() {
                Some(libc::ENOBUFS) => {
                    Error::Protocol("kernel replies were lost: receive buffer overrun".into())
                }
                _ => Error::Socket(error),
            });
        }
        let received = received as usize;
        if received > self.buffer.capacity() {
            return Err(Error::Protocol(format!(
                "a {received}-byte reply was truncated"
            )));
        }
        // SAFETY: the kernel initialised `received` bytes.
        unsafe { self.buffer.set_len(received) };
        Ok(&self.buffer)
    }
}

/// Asks for large socket buffers (forced past the sysctl limits when root)
/// and returns the receive buffer the kernel granted.
fn grow_buffers(socket: &netlink_sys::Socket) -> usize {
    let fd = socket.as_raw_fd();
    for (force, plain) in [
        (libc::SO_SNDBUFFORCE, libc::SO_SNDBUF),
        (libc::SO_RCVBUFFORCE, libc::SO_RCVBUF),
    ] {
        if setsockopt_int(fd, force, SOCKET_BUFFER).is_err() {
            let _ = setsockopt_int(fd, plain, SOCKET_BUFFER);
        }
    }
    let mut value: libc::c_int = 0;
    let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: value and len point at live locals of the right size.
    let rc = unsafe {
        libc::getsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_RCVBUF,
            (&mut value as *mut libc::c_int).cast(),
            &mut len,
        )
    };
    if rc == 0 && value > 0 {
        value as usize
    } else {
        DEFAULT_RECEIVE_BUFFER
    }
}

fn setsockopt_int(fd: libc::c_int, option: libc::c_int, value: libc::c_int) -> std::io::Result<()> {
    // SAFETY: value is a live c_int and its size is passed.
    let rc = unsafe {
        libc::setsockopt(
            fd,
            libc::SOL_SOCKET,
            option,
            (&value as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}
