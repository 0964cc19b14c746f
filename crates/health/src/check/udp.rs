// SPDX-License-Identifier: MIT OR Apache-2.0
//! `udp`: `request` as one datagram from a connected socket, up when an
//! answer comes back (containing `receive`, if set) within the timeout. A
//! port nobody listens on answers with ICMP port unreachable, which a
//! connected socket reads as "connection refused": down at once.

use std::io;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use tokio::net::UdpSocket;
use tokio::time::{timeout_at, Instant};

use config::model::SendExpect;

use super::{described, got, holds, shown, timed_out, READ_LIMIT};

/// A UDP socket connected to `addr` (so ICMP errors reach it).
pub(crate) async fn connected(addr: SocketAddr) -> Result<UdpSocket, String> {
    let local: SocketAddr = match addr {
        SocketAddr::V4(_) => (Ipv4Addr::UNSPECIFIED, 0).into(),
        SocketAddr::V6(_) => (Ipv6Addr::UNSPECIFIED, 0).into(),
    };
    let socket = UdpSocket::bind(local)
        .await
        .map_err(|e| format!("cannot open a UDP socket: {e}"))?;
    socket
        .connect(addr)
        .await
        .map_err(|e| format!("cannot address {addr} over UDP: {e}"))?;
    Ok(socket)
}

/// A send or receive error in words: ICMP port unreachable is named.
pub(crate) fn udp_error(e: &io::Error, addr: SocketAddr) -> String {
    match e.kind() {
        io::ErrorKind::ConnectionRefused => format!(
            "port unreachable (ICMP): nothing listens on UDP port {}",
            addr.port()
        ),
        _ => format!("UDP: {e}"),
    }
}

/// Sends `datagram` and waits for one answer (at most 64 KiB) until
/// `deadline`.
pub(crate) async fn exchange(
    socket: &UdpSocket,
    addr: SocketAddr,
    datagram: &[u8],
    deadline: Instant,
    timeout: Duration,
) -> Result<Vec<u8>, String> {
    match timeout_at(deadline, socket.send(datagram)).await {
        Err(_) => return Err(format!("{} sending", timed_out(timeout))),
        Ok(Err(e)) => return Err(udp_error(&e, addr)),
        Ok(Ok(_)) => {}
    }
    // Read into spare capacity: nothing is zeroed first.
    let mut buf = Vec::with_capacity(READ_LIMIT);
    match timeout_at(deadline, socket.recv_buf(&mut buf)).await {
        Err(_) => Err(format!("no answer: {}", timed_out(timeout))),
        Ok(Err(e)) => Err(udp_error(&e, addr)),
        Ok(Ok(_)) => Ok(buf),
    }
}

/// `Ok(what happened)` or `Err(why it failed)`, within `timeout`.
pub(crate) async fn probe(
    addr: SocketAddr,
    check: &SendExpect,
    timeout: Duration,
) -> Result<String, String> {
    let deadline = Instant::now() + timeout;
    let socket = connected(addr).await?;
    let request = check.request.as_deref().unwrap_or_default();
    let answer = exchange(&socket, addr, request.as_bytes(), deadline, timeout).await?;
    match &check.receive {
        None => Ok(format!("answered {}", shown(&answer))),
        Some(receive) if holds(&answer, receive, 0) => {
            Ok(format!("received {}", described(receive)))
        }
        Some(receive) => Err(format!(
            "answer lacks {}{}",
            described(receive),
            got(&answer)
        )),
    }
}
