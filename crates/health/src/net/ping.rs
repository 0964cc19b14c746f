// SPDX-License-Identifier: MIT OR Apache-2.0
//! ICMP echo (IPv4) and ICMPv6 echo: up on an echo reply within the timeout
//! (ldirectord's `check_ping`, Net::Ping's `icmp`).
//!
//! The socket is an unprivileged datagram ICMP socket (`SOCK_DGRAM`,
//! `IPPROTO_ICMP`/`IPPROTO_ICMPV6`) when the kernel allows it to this
//! group (`net.ipv4.ping_group_range`, which also covers IPv6), else a raw
//! socket (root, or CAP_NET_RAW). It is connected to the real, so the
//! kernel passes on only what comes from there. An echo request is sent at
//! once and again at a third and two thirds of the timeout, each with its
//! own sequence number and a random payload; a reply counts when it is an
//! echo reply with one of those sequence numbers and the payload. On a
//! datagram socket the kernel sets the identifier itself (and matches
//! replies by it); on a raw one the identifier is checked too, and
//! everything else a raw socket sees (other processes' echoes, our own
//! request on loopback, errors) is passed over.

use std::io;
use std::mem::size_of;
use std::net::IpAddr;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::sync::atomic::{AtomicU16, Ordering};
use std::time::Duration;

use tokio::io::unix::AsyncFd;
use tokio::io::Interest;
use tokio::time::Instant;

use super::random;
use crate::probe::timeout_text;

const ECHO_REQUEST_V4: u8 = 8;
const ECHO_REPLY_V4: u8 = 0;
const ECHO_REQUEST_V6: u8 = 128;
const ECHO_REPLY_V6: u8 = 129;
/// How many echo requests are sent within the timeout.
const SENDS: u32 = 3;
/// The payload: random bytes, then this.
const MARK: &[u8; 8] = b"ipvsctl\0";

/// The sequence numbers of all checks of this process, one each.
static SEQUENCE: AtomicU16 = AtomicU16::new(0);

/// Which kind of ICMP socket a check got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// `SOCK_DGRAM`: no privilege needed; the kernel owns the identifier.
    Datagram,
    /// `SOCK_RAW`: IPv4 replies come with their IP header.
    Raw,
}

/// One check; `Ok("ping: echo reply (datagram socket)")` or why not.
pub(crate) async fn check(ip: IpAddr, timeout: Duration) -> Result<String, String> {
    let deadline = Instant::now() + timeout;
    let exchange = async {
        let (socket, kind) = open(ip).map_err(|e| format!("cannot open an ICMP socket: {e}"))?;
        connect(&socket, ip).map_err(|e| e.to_string())?;
        // SAFETY: the AsyncFd owns the OwnedFd, which stays open and the
        // same descriptor until both are dropped.
        let socket = unsafe { AsyncFd::register(socket) }.map_err(|e| e.to_string())?;
        let [i0, i1] = random::<2>()?;
        let id = u16::from_be_bytes([i0, i1]);
        let mut payload = [0u8; 16];
        payload[..8].copy_from_slice(&random::<8>()?);
        payload[8..].copy_from_slice(MARK);
        let mut sent: Vec<u16> = Vec::new();
        let mut buf = [0u8; 2048];
        loop {
            if sent.len() < SENDS as usize {
                let sequence = SEQUENCE.fetch_add(1, Ordering::Relaxed);
                let echo = echo_request(ip, id, sequence, &payload);
                socket
                    .async_io(Interest::WRITABLE, |fd| send(fd, &echo))
                    .await
                    .map_err(|e| e.to_string())?;
                sent.push(sequence);
            }
            let resend = Instant::now() + timeout / SENDS;
            loop {
                let read = socket.async_io(Interest::READABLE, |fd| recv(fd, &mut buf));
                let received = if sent.len() < SENDS as usize {
                    match tokio::time::timeout_at(resend, read).await {
                        Ok(r) => r,
                        Err(_) => break, // send again
                    }
                } else {
                    read.await
                };
                let n = received.map_err(|e| e.to_string())?;
                if is_our_reply(&buf[..n], ip, kind, id, &sent, &payload) {
                    let kind = match kind {
                        Kind::Datagram => "datagram",
                        Kind::Raw => "raw",
                    };
                    return Ok(format!("ping: echo reply ({kind} socket)"));
                }
            }
        }
    };
    tokio::time::timeout_at(deadline, exchange)
        .await
        .unwrap_or_else(|_| Err(format!("no echo reply within {}", timeout_text(timeout))))
        .map_err(|why| format!("ping: {why}"))
}

/// A datagram ICMP socket for `ip`'s family when allowed, else a raw one.
fn open(ip: IpAddr) -> io::Result<(OwnedFd, Kind)> {
    let (domain, protocol) = match ip {
        IpAddr::V4(_) => (libc::AF_INET, libc::IPPROTO_ICMP),
        IpAddr::V6(_) => (libc::AF_INET6, libc::IPPROTO_ICMPV6),
    };
    let flags = libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC;
    let (fd, kind) = match socket(domain, libc::SOCK_DGRAM | flags, protocol) {
        Ok(fd) => (fd, Kind::Datagram),
        Err(e)
            if matches!(
                e.raw_os_error(),
                Some(libc::EACCES | libc::EPERM | libc::EPROTONOSUPPORT)
            ) =>
        {
            let raw = socket(domain, libc::SOCK_RAW | flags, protocol).map_err(|raw| {
                io::Error::new(
                    raw.kind(),
                    format!(
                        "{raw} (a datagram ICMP socket is not allowed to this group by \
                         net.ipv4.ping_group_range, and a raw one needs CAP_NET_RAW)"
                    ),
                )
            })?;
            (raw, Kind::Raw)
        }
        Err(e) => return Err(e),
    };
    Ok((fd, kind))
}

fn socket(domain: i32, kind: i32, protocol: i32) -> io::Result<OwnedFd> {
    // SAFETY: socket(2) with constant arguments; the descriptor it returns
    // is owned by nobody else.
    let fd = unsafe { libc::socket(domain, kind, protocol) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: fd is a fresh, valid descriptor.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

fn connect(fd: &OwnedFd, ip: IpAddr) -> io::Result<()> {
    let result = match ip {
        IpAddr::V4(v4) => {
            // SAFETY: sockaddr_in is plain data; all zeros is valid.
            let mut sa: libc::sockaddr_in = unsafe { std::mem::zeroed() };
            sa.sin_family = libc::AF_INET as libc::sa_family_t;
            sa.sin_addr.s_addr = u32::from_ne_bytes(v4.octets());
            // SAFETY: sa lives across the call and its size is given.
            unsafe {
                libc::connect(
                    fd.as_raw_fd(),
                    (&raw const sa).cast(),
                    size_of::<libc::sockaddr_in>() as libc::socklen_t,
                )
            }
        }
        IpAddr::V6(v6) => {
            // SAFETY: sockaddr_in6 is plain data; all zeros is valid.
            let mut sa: libc::sockaddr_in6 = unsafe { std::mem::zeroed() };
            sa.sin6_family = libc::AF_INET6 as libc::sa_family_t;
            sa.sin6_addr.s6_addr = v6.octets();
            // SAFETY: sa lives across the call and its size is given.
            unsafe {
                libc::connect(
                    fd.as_raw_fd(),
                    (&raw const sa).cast(),
                    size_of::<libc::sockaddr_in6>() as libc::socklen_t,
                )
            }
        }
    };
    if result < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

fn send(fd: &OwnedFd, bytes: &[u8]) -> io::Result<()> {
    // SAFETY: bytes is valid for its length.
    let n = unsafe { libc::send(fd.as_raw_fd(), bytes.as_ptr().cast(), bytes.len(), 0) };
    if n < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

fn recv(fd: &OwnedFd, buf: &mut [u8]) -> io::Result<usize> {
    // SAFETY: buf is valid and writable for its length.
    let n = unsafe { libc::recv(fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len(), 0) };
    usize::try_from(n).map_err(|_| io::Error::last_os_error())
}

/// An echo request: type, code 0, checksum, identifier, sequence, payload.
/// The IPv4 checksum is ours to compute; ICMPv6's (it covers the IPv6
/// addresses) the kernel computes.
fn echo_request(ip: IpAddr, id: u16, sequence: u16, payload: &[u8]) -> Vec<u8> {
    let kind = match ip {
        IpAddr::V4(_) => ECHO_REQUEST_V4,
        IpAddr::V6(_) => ECHO_REQUEST_V6,
    };
    let mut packet = vec![kind, 0, 0, 0];
    packet.extend_from_slice(&id.to_be_bytes());
    packet.extend_from_slice(&sequence.to_be_bytes());
    packet.extend_from_slice(payload);
    if ip.is_ipv4() {
        let sum = checksum(&packet);
        packet[2..4].copy_from_slice(&sum.to_be_bytes());
    }
    packet
}

/// The Internet checksum (RFC 1071).
fn checksum(bytes: &[u8]) -> u16 {
    let mut sum: u32 = bytes
        .chunks(2)
        .map(|pair| u32::from(u16::from_be_bytes([pair[0], *pair.get(1).unwrap_or(&0)])))
        .sum();
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// Whether `packet` is the reply to one of our echo requests.
fn is_our_reply(
    packet: &[u8],
    ip: IpAddr,
    kind: Kind,
    id: u16,
    sent: &[u16],
    payload: &[u8],
) -> bool {
    // A raw IPv4 socket hands over the IP header too.
    let icmp = match (ip, kind) {
        (IpAddr::V4(_), Kind::Raw) => {
            let Some(first) = packet.first() else {
                return false;
            };
            packet.get(usize::from(first & 0x0f) * 4..).unwrap_or(&[])
        }
        _ => packet,
    };
    let reply = match ip {
        IpAddr::V4(_) => ECHO_REPLY_V4,
        IpAddr::V6(_) => ECHO_REPLY_V6,
    };
    let [kind_byte, _code, _, _, i0, i1, s0, s1, rest @ ..] = icmp else {
        return false;
    };
    *kind_byte == reply
        && (kind == Kind::Datagram || u16::from_be_bytes([*i0, *i1]) == id)
        && sent.contains(&u16::from_be_bytes([*s0, *s1]))
        && rest.starts_with(payload)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_checksum_is_rfc1071s() {
        // RFC 1071's example: 0x0001 0xf203 0xf4f5 0xf6f7 sums to 0xddf2.
        assert_eq!(
            checksum(&[0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]),
            !0xddf2
        );
        let v4: IpAddr = "127.0.0.1".parse().unwrap();
        let echo = echo_request(v4, 7, 9, b"abc");
        assert_eq!(
            checksum(&echo),
            0,
            "a packet with its checksum sums to zero"
        );
    }

    #[test]
    fn only_our_replies_count() {
        let v4: IpAddr = "127.0.0.1".parse().unwrap();
        let payload = b"0123456789abcdef";
        let mut reply = echo_request(v4, 7, 9, payload);
        reply[0] = ECHO_REPLY_V4;
        assert!(is_our_reply(&reply, v4, Kind::Datagram, 1, &[9], payload));
        assert!(
            !is_our_reply(&reply, v4, Kind::Raw, 1, &[9], payload),
            "raw: the id counts"
        );
        let mut with_header = vec![0x45; 20];
        with_header.extend_from_slice(&reply);
        assert!(is_our_reply(&with_header, v4, Kind::Raw, 7, &[9], payload));
        assert!(!is_our_reply(&reply, v4, Kind::Datagram, 7, &[8], payload));
        assert!(!is_our_reply(
            &reply,
            v4,
            Kind::Datagram,
            7,
            &[9],
            b"other payload..."
        ));
        let request = echo_request(v4, 7, 9, payload);
        assert!(!is_our_reply(
            &request,
            v4,
            Kind::Datagram,
            7,
            &[9],
            payload
        ));
        assert!(!is_our_reply(&[], v4, Kind::Raw, 7, &[9], payload));
    }
}
