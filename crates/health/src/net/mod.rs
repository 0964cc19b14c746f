// SPDX-License-Identifier: MIT OR Apache-2.0
//! Checks of services that answer datagrams: RADIUS (ldirectord's
//! `check_radius`), SIP (`check_sip`, over UDP or TCP) and ICMP echo
//! (`check_ping`). Hand-written, as little of each protocol as a check
//! needs; each takes the check's timeout and says itself what did not come
//! in time ("RADIUS: no answer within 2s").
//!
//! | file        | job                                                          |
//! |-------------|--------------------------------------------------------------|
//! | `radius.rs` | an Access-Request (RFC 2865) with Message-Authenticator      |
//! | `sip.rs`    | an OPTIONS request (RFC 3261), its final response            |
//! | `ping.rs`   | ICMP/ICMPv6 echo over a datagram ICMP socket, or a raw one   |
//!
//! A datagram is read into a buffer of a fixed size (what does not fit is
//! cut off), so a server sending garbage or floods costs a bounded amount.

pub(crate) mod ping;
pub(crate) mod radius;
pub(crate) mod sip;

use std::io;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};

use ring::rand::{SecureRandom, SystemRandom};
use tokio::net::UdpSocket;

/// A UDP socket connected to `addr` (so the kernel drops datagrams from
/// anyone else and reports an ICMP port unreachable as a refusal).
pub(crate) async fn udp_connect(addr: SocketAddr) -> io::Result<UdpSocket> {
    let any: SocketAddr = match addr {
        SocketAddr::V4(_) => (Ipv4Addr::UNSPECIFIED, 0).into(),
        SocketAddr::V6(_) => (Ipv6Addr::UNSPECIFIED, 0).into(),
    };
    let socket = UdpSocket::bind(any).await?;
    socket.connect(addr).await?;
    Ok(socket)
}

/// `N` random bytes from the system's generator.
pub(crate) fn random<const N: usize>() -> Result<[u8; N], String> {
    let mut bytes = [0u8; N];
    SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| "no random numbers from the system".to_string())?;
    Ok(bytes)
}

/// What a failed send or receive on a datagram socket means, in words.
pub(crate) fn datagram_error(e: &io::Error, addr: SocketAddr) -> String {
    match e.kind() {
        io::ErrorKind::ConnectionRefused => {
            format!("port unreachable: nothing listens on {addr}/udp")
        }
        _ => e.to_string(),
    }
}
