// SPDX-License-Identifier: MIT OR Apache-2.0
//! The rtnetlink socket: one request at a time, its answer read whole,
//! every read bounded by a timeout and every dump by a count.

use std::os::fd::AsRawFd;
use std::time::Duration;

use netlink_packet_core::{NetlinkHeader, NetlinkMessage, NetlinkPayload, NLM_F_REQUEST};
use netlink_packet_route::route::RouteMessage;
use netlink_packet_route::RouteNetlinkMessage;
use netlink_sys::{protocols::NETLINK_ROUTE, SocketAddr as NetlinkAddr};

use crate::message::{Message, Request};
use crate::Error;

/// The longest wait for the kernel's answer.
const TIMEOUT: Duration = Duration::from_secs(2);
/// One datagram at most (the kernel's dumps fill 32 KiB at most).
const DATAGRAM: usize = 64 * 1024;
/// The most routes a dump reads: a director carries a few routes, not a
/// full Internet table, and a dump of millions would hold up its caller.
const MOST_ROUTES: usize = 1_000_000;

/// A route-netlink socket connected to the kernel.
pub(crate) struct Socket {
    socket: netlink_sys::Socket,
    sequence: u32,
}

/// The index of the interface `name`.
pub(crate) fn interface_index(name: &str) -> Result<u32, Error> {
    let c = std::ffi::CString::new(name).map_err(|_| Error::NoInterface(name.to_string()))?;
    // SAFETY: a valid NUL-terminated string; the call only reads it.
    let index = unsafe { libc::if_nametoindex(c.as_ptr()) };
    if index == 0 {
        return Err(Error::NoInterface(name.to_string()));
    }
    Ok(index)
}

impl Socket {
    /// Opens, binds and connects the socket, with a receive timeout.
    pub(crate) fn open() -> Result<Self, Error> {
        let mut socket = netlink_sys::Socket::new(NETLINK_ROUTE).map_err(Error::Socket)?;
        socket.bind_auto().map_err(Error::Socket)?;
        socket
            .connect(&NetlinkAddr::new(0, 0))
            .map_err(Error::Socket)?;
        let _ = socket.set_ext_ack(true);
        // Best effort: a kernel that filters dumps sends less.
        let _ = socket.set_netlink_get_strict_chk(true);
        set_receive_timeout(&socket, TIMEOUT)?;
        Ok(Self {
            socket,
            sequence: 0,
        })
    }

    fn send(&mut self, request: Request) -> Result<u32, Error> {
        self.sequence = self.sequence.wrapping_add(1);
        let inner = match request.message {
            Message::New(m) => RouteNetlinkMessage::NewRoute(m),
            Message::Delete(m) => RouteNetlinkMessage::DelRoute(m),
            Message::Get(m) => RouteNetlinkMessage::GetRoute(m),
        };
        let mut header = NetlinkHeader::default();
        header.flags = NLM_F_REQUEST | request.flags;
        header.sequence_number = self.sequence;
        let mut message = NetlinkMessage::new(header, NetlinkPayload::InnerMessage(inner));
        message.finalize();
        let mut frame = vec![0; message.buffer_len()];
        message.serialize(&mut frame);
        let sent = self.socket.send(&frame, 0).map_err(Error::Socket)?;
        if sent != frame.len() {
            return Err(Error::Protocol(format!(
                "sent {sent} of {} bytes",
                frame.len()
            )));
        }
        Ok(self.sequence)
    }

    /// Receives one datagram and parses its messages of `sequence`.
    fn receive(
        &mut self,
        sequence: u32,
    ) -> Result<Vec<NetlinkPayload<RouteNetlinkMessage>>, Error> {
        let mut buffer: Vec<u8> = Vec::with_capacity(DATAGRAM);
        let received = match self.socket.recv(&mut buffer, 0) {
            Ok(n) => n,
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                return Err(Error::Timeout(TIMEOUT))
            }
            Err(e) => return Err(Error::Socket(e)),
        };
        if received > buffer.len() {
            return Err(Error::Protocol(format!(
                "a datagram of {received} bytes, more than {DATAGRAM}"
            )));
        }
        let mut payloads = Vec::new();
        let mut rest = &buffer[..received];
        while !rest.is_empty() {
            let message = NetlinkMessage::<RouteNetlinkMessage>::deserialize(rest)
                .map_err(|e| Error::Protocol(e.to_string()))?;
            let length = usize::try_from(message.header.length)
                .map_err(|_| Error::Protocol("message length".into()))?;
            let aligned = (length + 3) & !3;
            if length == 0 {
                return Err(Error::Protocol("a message of length 0".into()));
            }
            rest = rest.get(aligned..).unwrap_or(&[]);
            if message.header.sequence_number == sequence {
                payloads.push(message.payload);
            }
        }
        Ok(payloads)
    }

    /// Sends a change (add, delete) and waits for its ACK.
    pub(crate) fn change(&mut self, request: Request) -> Result<(), Error> {
        let sequence = self.send(request)?;
        loop {
            for payload in self.receive(sequence)? {
                if let NetlinkPayload::Error(e) = payload {
                    return match e.code {
                        None => Ok(()),
                        Some(code) => Err(Error::Kernel {
                            what: String::new(),
                            errno: -code.get(),
                            reason: std::io::Error::from_raw_os_error(-code.get()),
                        }),
                    };
                }
            }
        }
    }

    /// Sends a dump request and reads every route until its end.
    pub(crate) fn dump(&mut self, request: Request) -> Result<Vec<RouteMessage>, Error> {
        let sequence = self.send(request)?;
        let mut routes = Vec::new();
        loop {
            for payload in self.receive(sequence)? {
                match payload {
                    NetlinkPayload::Done(_) => return Ok(routes),
                    NetlinkPayload::Error(e) => {
                        if let Some(code) = e.code {
                            return Err(Error::Kernel {
                                what: "dump routes".into(),
                                errno: -code.get(),
                                reason: std::io::Error::from_raw_os_error(-code.get()),
                            });
                        }
                    }
                    NetlinkPayload::InnerMessage(RouteNetlinkMessage::NewRoute(route)) => {
                        if routes.len() == MOST_ROUTES {
                            return Err(Error::Protocol(format!("more than {MOST_ROUTES} routes")));
                        }
                        routes.push(route);
                    }
                    _ => {}
                }
            }
        }
    }
}

fn set_receive_timeout(socket: &netlink_sys::Socket, timeout: Duration) -> Result<(), Error> {
    let value = libc::timeval {
        tv_sec: libc::time_t::try_from(timeout.as_secs()).unwrap_or(libc::time_t::MAX),
        tv_usec: 0,
    };
    // SAFETY: a valid socket and a timeval of the size given.
    let result = unsafe {
        libc::setsockopt(
            socket.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_RCVTIMEO,
            (&raw const value).cast(),
            libc::socklen_t::try_from(std::mem::size_of::<libc::timeval>()).unwrap_or(16),
        )
    };
    if result != 0 {
        return Err(Error::Socket(std::io::Error::last_os_error()));
    }
    Ok(())
}
