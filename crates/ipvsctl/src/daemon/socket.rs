// SPDX-License-Identifier: MIT OR Apache-2.0
//! The control socket: a unix socket, root only, next to the ownership
//! record (`/run/ipvsctl/ipvsctl.sock`), speaking [`protocol`](super::protocol).
//! Each connection is read in a task of its own and turned into a
//! [`Control`] for the loop; a client that never sends holds up nothing.

use std::io::{Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::mpsc::UnboundedSender;
use tokio::sync::oneshot;

use super::control::Control;
use super::protocol::{
    ReloadOutcome, Request, RequestLine, Response, ResponseLine, Versioned, VERSION,
};

/// Where the socket is.
pub fn socket_path() -> PathBuf {
    crate::record::state_dir().join("ipvsctl.sock")
}

/// Binds the socket at `path` (removing a stale one), readable by root only.
pub fn bind(path: &Path) -> anyhow::Result<UnixListener> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    // A socket that answers belongs to a running daemon: two daemons would
    // fight over the table. One that does not is stale (kill -9).
    if std::os::unix::net::UnixStream::connect(path).is_ok() {
        anyhow::bail!(
            "another `ipvsctl run` is already running (it answers on {}); stop it first",
            path.display()
        );
    }
    let _ = std::fs::remove_file(path);
    let listener =
        UnixListener::bind(path).with_context(|| format!("cannot listen on {}", path.display()))?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    Ok(listener)
}

/// Accepts connections (until the runtime ends).
pub async fn serve(listener: UnixListener, controls: UnboundedSender<Control>) {
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                tokio::spawn(answer(stream, controls.clone()));
            }
            // Out of descriptors, say: let a check end first.
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
}

/// Reads one request, has the loop do it, writes the answer.
async fn answer(stream: UnixStream, controls: UnboundedSender<Control>) {
    let (reader, mut writer) = stream.into_split();
    let mut line = String::new();
    let read = tokio::time::timeout(
        Duration::from_secs(5),
        BufReader::new(reader).read_line(&mut line),
    )
    .await;
    if !matches!(read, Ok(Ok(_))) {
        return;
    }
    let Some(response) = respond(line.trim(), &controls).await else {
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
    let _ = writer.write_all(text.as_bytes()).await;
    let _ = writer.shutdown().await;
}

/// The answer to one line; `None` when the loop is gone.
async fn respond(line: &str, controls: &UnboundedSender<Control>) -> Option<Response> {
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
    }
}

/// Sends one request to the daemon that answers on `path` and returns its
/// answer. A daemon started before the versioned protocol (still running
/// after an upgrade) is asked in its own words, so that `ipvsctl status`,
/// which cluster managers use as a monitor, goes on answering until it is
/// restarted.
pub fn request(path: &Path, request: Request) -> anyhow::Result<Response> {
    let mut line = serde_json::to_string(&RequestLine {
        version: VERSION,
        request,
    })?;
    line.push('\n');
    let answer = exchange(path, &line)?;
    match serde_json::from_str::<ResponseLine>(&answer) {
        Ok(answer) => Ok(answer.response),
        Err(_) if answer.starts_with("{\"error\"") => unversioned(path, request),
        Err(e) => Err(anyhow::Error::new(e).context("the daemon's answer is not understood")),
    }
}

/// One line to the daemon; its whole answer.
fn exchange(path: &Path, line: &str) -> anyhow::Result<String> {
    let mut stream = std::os::unix::net::UnixStream::connect(path).with_context(|| {
        format!(
            "no ipvsctl daemon answers on {} (is `ipvsctl run` running?)",
            path.display()
        )
    })?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    stream.write_all(line.as_bytes())?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer)?;
    Ok(answer)
}

/// The request as daemons before the versioned protocol took it: a bare
/// word, answered by the status itself or by `{"message": …}`.
fn unversioned(path: &Path, request: Request) -> anyhow::Result<Response> {
    let not_understood = "the daemon's answer is not understood";
    match request {
        Request::Status => {
            let answer = exchange(path, "status\n")?;
            Ok(Response::Status(
                serde_json::from_str(&answer).context(not_understood)?,
            ))
        }
        Request::Reload => {
            let answer = exchange(path, "reload\n")?;
            let answer: serde_json::Value =
                serde_json::from_str(&answer).context(not_understood)?;
            let message = answer["message"].as_str().context(not_understood)?;
            Ok(Response::Reload(ReloadOutcome::from_words(message)))
        }
    }
}
