// SPDX-License-Identifier: MIT OR Apache-2.0
//! The control socket: the abstract unix socket `@ipvsctl`, one per
//! network namespace ([`address`]), speaking [`protocol`](super::protocol).
//! Each connection is read in a task of its own and turned into a
//! [`Control`] for the loop; a client that never sends holds up nothing.
//! Who may do what is the peer's credentials' call ([`access`]): root
//! everything, the `[control] group` status only, anyone else nothing.
//!
//! | module    | job                                                           |
//! |-----------|---------------------------------------------------------------|
//! | this file | serve: accept, read one request, have the loop answer it      |
//! | `address` | where the socket is; binding it is the one-daemon guard       |
//! | `access`  | the peer's credentials and what they allow                    |
//! | `client`  | the commands' side: one request, its answer                   |

pub mod access;
pub mod address;
pub mod client;

use std::os::fd::AsFd;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::mpsc::UnboundedSender;
use tokio::sync::oneshot;

pub use access::{user_name, Access, Peer};
pub use address::{Address, Holder};
pub use client::{daemon_pid, request};

use super::client_slots::{Slot, Slots};
use super::control::Control;
use super::protocol::{Request, RequestLine, Response, ResponseLine, Versioned, VERSION};

/// The longest request line read.
const MAX_REQUEST: u64 = 64 * 1024;

/// Connections served at once; more wait in the listen backlog. When all
/// are taken, the oldest that has not sent its request yet makes room
/// ([`client_slots`](super::client_slots)).
pub const MAX_CONNECTIONS: usize = 32;

/// How long a client may take to send its request.
const READ_TIMEOUT: Duration = Duration::from_secs(5);

/// How long a client may take to read the answer: one that asks and never
/// reads holds its slot no longer than an idle one.
const WRITE_TIMEOUT: Duration = Duration::from_secs(5);

/// Accepts connections (until the runtime ends), at most
/// [`MAX_CONNECTIONS`] at once: whoever may connect cannot use up the
/// daemon's descriptors, which its checks need, nor lock others out by
/// connecting and saying nothing. `access` says who may do what.
pub async fn serve(listener: UnixListener, controls: UnboundedSender<Control>, access: Access) {
    let slots = Slots::new(MAX_CONNECTIONS);
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                // Taken once someone is there: an idle client is evicted
                // only for a newcomer.
                let slot = slots.admit().await;
                let controls = controls.clone();
                let access = access.clone();
                tokio::spawn(answer(stream, controls, access, slot));
            }
            // Out of descriptors, say: let a check end first.
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
}

/// Reads one request, has the loop do it, writes the answer; gives up when
/// told to make room before the request came.
async fn answer(
    stream: UnixStream,
    controls: UnboundedSender<Control>,
    access: Access,
    mut slot: Slot,
) {
    // No credentials: treated as nobody's.
    let peer = Peer::of(stream.as_fd()).unwrap_or(Peer {
        pid: 0,
        uid: u32::MAX,
        gid: u32::MAX,
        groups: Vec::new(),
    });
    let (reader, mut writer) = stream.into_split();
    let mut line = String::new();
    let mut reader = BufReader::new(tokio::io::AsyncReadExt::take(reader, MAX_REQUEST));
    let read = tokio::select! {
        read = tokio::time::timeout(READ_TIMEOUT, reader.read_line(&mut line)) => read,
        _ = &mut slot.evicted => return,
    };
    // Nothing said (closed at once: `apply` asking whether a daemon runs),
    // or not in time: nothing to answer.
    if !matches!(read, Ok(Ok(n)) if n > 0) {
        return;
    }
    slot.busy();
    let Some(response) = respond(line.trim(), &peer, &access, &controls).await else {
        return; // the daemon is stopping
    };
    let answer = ResponseLine {
        version: VERSION,
        response,
    };
    let Ok(mut text) = serde_json::to_string(&answer) else {
        return;
    };
    text.push('\n');
    let _ = tokio::time::timeout(WRITE_TIMEOUT, async {
        writer.write_all(text.as_bytes()).await?;
        writer.shutdown().await
    })
    .await;
}

/// The answer to one line; `None` when the loop is gone.
async fn respond(
    line: &str,
    peer: &Peer,
    access: &Access,
    controls: &UnboundedSender<Control>,
) -> Option<Response> {
    let request = match serde_json::from_str::<RequestLine>(line) {
        Ok(asked) if asked.version == VERSION => asked.request,
        _ => {
            return Some(Response::Error(
                match serde_json::from_str::<Versioned>(line) {
                    Ok(v) if v.version != VERSION => format!(
                    "control protocol version {} not spoken here (this daemon speaks {VERSION})",
                    v.version
                ),
                    _ => format!("unknown request `{line}`"),
                },
            ))
        }
    };
    if let Some(refused) = access.refusal(&request, peer) {
        return Some(Response::Error(refused));
    }
    match request {
        Request::Status => {
            let (reply, answer) = oneshot::channel();
            controls.send(Control::Status(reply)).ok()?;
            answer.await.ok().map(Response::Status)
        }
        Request::Reload => {
            let (reply, answer) = oneshot::channel();
            controls.send(Control::Reload(Some(reply))).ok()?;
            answer.await.ok().map(Response::Reload)
        }
        Request::Resync => {
            let (reply, answer) = oneshot::channel();
            controls.send(Control::Resync(reply)).ok()?;
            answer.await.ok().map(Response::Resync)
        }
        request => {
            let (reply, answer) = oneshot::channel();
            let who = user_name(peer.uid);
            controls
                .send(Control::Override {
                    request,
                    who,
                    reply,
                })
                .ok()?;
            answer.await.ok()
        }
    }
}
