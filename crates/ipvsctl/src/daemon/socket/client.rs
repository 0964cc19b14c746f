// SPDX-License-Identifier: MIT OR Apache-2.0
//! The client's side: `ipvsctl status|reload|drain|…` send one request to
//! the daemon of their network namespace and read its answer.

use std::io::{Read, Write};
use std::os::fd::AsFd;
use std::os::unix::net::UnixStream;
use std::time::Duration;

use anyhow::Context;

use super::access::Peer;
use super::address::Address;
use crate::daemon::protocol::{
    ReloadOutcome, Request, RequestLine, Response, ResponseLine, VERSION,
};
use crate::netns::Namespace;

/// How long an answer may take.
const ANSWER_TIME: Duration = Duration::from_secs(30);

/// Sends one request to the daemon that answers on `address` and returns
/// its answer. A daemon started before the versioned protocol (still
/// running after an upgrade) is asked in its own words, so that `ipvsctl
/// status`, which cluster managers use as a monitor, goes on answering
/// until it is restarted.
pub fn request(address: &Address, request: &Request) -> anyhow::Result<Response> {
    let mut line = serde_json::to_string(&RequestLine {
        version: VERSION,
        request: request.clone(),
    })?;
    line.push('\n');
    let answer = exchange(address, &line)?;
    match serde_json::from_str::<ResponseLine>(&answer) {
        Ok(answer) => Ok(answer.response),
        Err(_) if answer.starts_with("{\"error\"") => unversioned(address, request),
        Err(e) => Err(anyhow::Error::new(e).context("the daemon's answer is not understood")),
    }
}

/// The pid of the daemon that answers on `address`, as the kernel knows
/// it (SO_PEERCRED: the process that listens, not a pid file that may name
/// another by now).
pub fn daemon_pid(address: &Address) -> anyhow::Result<u32> {
    let stream = connect(address)?;
    let peer = Peer::of(stream.as_fd()).context("cannot read the daemon's credentials")?;
    anyhow::ensure!(peer.pid > 0, "the kernel does not tell the daemon's pid");
    Ok(peer.pid)
}

/// One line to the daemon; its whole answer.
fn exchange(address: &Address, line: &str) -> anyhow::Result<String> {
    let mut stream = connect(address)?;
    stream.set_read_timeout(Some(ANSWER_TIME))?;
    stream.set_write_timeout(Some(ANSWER_TIME))?;
    stream.write_all(line.as_bytes())?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer)?;
    Ok(answer)
}

/// A connection to the daemon, or why there is none.
fn connect(address: &Address) -> anyhow::Result<UnixStream> {
    match address.connect() {
        Ok(stream) => Ok(stream),
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => anyhow::bail!(
            "not allowed to use {address}: only root, and the members of the daemon's \
             [control] group (for status), may"
        ),
        Err(e) => {
            let here = match address {
                Address::Abstract(_) => Namespace::current()
                    .map(|n| format!(" in {n}"))
                    .unwrap_or_default(),
                Address::Path(_) => String::new(),
            };
            Err(anyhow::Error::new(e).context(format!(
                "no ipvsctl daemon answers on {address}{here} (is `ipvsctl run` running?)"
            )))
        }
    }
}

/// The request as daemons before the versioned protocol took it: a bare
/// word, answered by the status itself or by `{"message": …}`.
fn unversioned(address: &Address, request: &Request) -> anyhow::Result<Response> {
    let not_understood = "the daemon's answer is not understood";
    match request {
        Request::Status => {
            let answer = exchange(address, "status\n")?;
            Ok(Response::Status(
                serde_json::from_str(&answer).context(not_understood)?,
            ))
        }
        Request::Reload => {
            let answer = exchange(address, "reload\n")?;
            let answer: serde_json::Value =
                serde_json::from_str(&answer).context(not_understood)?;
            let message = answer["message"].as_str().context(not_understood)?;
            Ok(Response::Reload(ReloadOutcome::from_words(message)))
        }
        _ => anyhow::bail!(
            "the running daemon is older than this command: restart it (`ipvsctl run`) first"
        ),
    }
}
