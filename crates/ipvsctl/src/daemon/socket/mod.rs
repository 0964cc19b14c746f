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

use super::control::Control;
use super::protocol::{Request, RequestLine, Response, ResponseLine, Versioned, VERSION};

/// The longest request line read.
const MAX_REQUEST: u64 = 64 * 1024;

/// Connections served at once; more wait in the listen backlog. A client
/// that connects and says nothing holds one for at most 5 s.
pub const MAX_CONNECTIONS: usize = 32;

/// Accepts connections (until the runtime ends), at most
/// [`MAX_CONNECTIONS`] at once: whoever may connect cannot use up the
/// daemon's descriptors, which its checks need. `access` says who may do
/// what.
pub async fn serve(listener: UnixListener, controls: UnboundedSender<Control>, access: Access) {
    let slots = std::sync::Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTIONS));
    loop {
        let Ok(slot) = std::sync::Arc::clone(&slots).acquire_owned().await else {
            return; // never closed
        };
        match listener.accept().await {
            Ok((stream, _)) => {
                let controls = controls.clone();
                let access = access.clone();
                tokio::spawn(async move {
                    answer(stream, controls, access).await;
                    drop(slot);
                });
            }
            // Out of descriptors, say: let a check end first.
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
}

/// Reads one request, has the loop do it, writes the answer.
async fn answer(stream: UnixStream, controls: UnboundedSender<Control>, access: Access) {
    // No credentials: treated as nobody's.
    let peer = Peer::of(stream.as_fd()).unwrap_or(Peer {
        pid: 0,
        uid: u32::MAX,
        gid: u32::MAX,
        groups: Vec::new(),
    });
    let (reader, mut writer) = stream.into_split();
    let mut line = String::new();
    let read = tokio::time::timeout(
        Duration::from_secs(5),
        BufReader::new(tokio::io::AsyncReadExt::take(reader, MAX_REQUEST)).read_line(&mut line),
    )
    .await;
    // Nothing said (closed at once: `apply` asking whether a daemon runs),
    // or not in time: nothing to answer.
    if !matches!(read, Ok(Ok(n)) if n > 0) {
        return;
    }
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
    // A client that never reads holds its slot 5 s at most, as an idle one.
    let _ = tokio::time::timeout(Duration::from_secs(5), async {
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
