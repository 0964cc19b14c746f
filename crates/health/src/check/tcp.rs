// SPDX-License-Identifier: MIT OR Apache-2.0
//! `tcp`: connect, send `request` (if any), read until `receive` shows up
//! (if set), the connection closes, 64 KiB were read, or the timeout.
//! Nothing is half-closed: a server that waits for the end of the request
//! before answering is not supported, one that drops a connection on
//! end-of-file is.

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::time::{timeout_at, Instant};

use config::model::SendExpect;

use super::{described, got, holds, timed_out, READ_LIMIT};
use crate::probe::connect_error;

/// `Ok(what happened)` or `Err(why it failed)`, within `timeout`.
pub(crate) async fn probe(
    addr: SocketAddr,
    check: &SendExpect,
    timeout: Duration,
) -> Result<String, String> {
    let deadline = Instant::now() + timeout;
    let mut stream = match timeout_at(deadline, crate::connect::stream_to(addr)).await {
        Err(_) => return Err(format!("{} connecting", timed_out(timeout))),
        Ok(Err(e)) => return Err(connect_error(&e)),
        Ok(Ok(stream)) => stream,
    };
    let _ = stream.set_nodelay(true);
    let request = check.request.as_deref().filter(|r| !r.is_empty());
    if let Some(request) = request {
        match timeout_at(deadline, stream.write_all(request.as_bytes())).await {
            Err(_) => return Err(format!("{} sending the request", timed_out(timeout))),
            Ok(Err(e)) => return Err(format!("sending the request failed: {e}")),
            Ok(Ok(())) => {}
        }
    }
    let Some(receive) = &check.receive else {
        return Ok(match request {
            Some(_) => "connected, request sent".to_string(),
            None => "connected".to_string(),
        });
    };
    let wanted = described(receive);
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    while seen.len() < READ_LIMIT {
        let room = buf.len().min(READ_LIMIT - seen.len());
        let n = match timeout_at(deadline, stream.read(&mut buf[..room])).await {
            Err(_) => {
                return Err(format!(
                    "{} waiting for {wanted}{}",
                    timed_out(timeout),
                    got(&seen)
                ))
            }
            Ok(Err(e)) if e.kind() == io::ErrorKind::ConnectionReset => {
                return Err(format!("reset before {wanted} came{}", got(&seen)))
            }
            Ok(Err(e)) => return Err(format!("reading the answer failed: {e}{}", got(&seen))),
            Ok(Ok(0)) => return Err(format!("closed before {wanted} came{}", got(&seen))),
            Ok(Ok(n)) => n,
        };
        let from = seen.len();
        seen.extend_from_slice(&buf[..n]);
        if holds(&seen, receive, from) {
            return Ok(format!("received {wanted}"));
        }
    }
    Err(format!("no {wanted} in the first 64 KiB{}", got(&seen)))
}
