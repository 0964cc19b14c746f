// SPDX-License-Identifier: MIT OR Apache-2.0
//! The control socket: a unix socket next to the ownership record
//! (`/run/ipvsctl/ipvsctl.sock`), speaking [`protocol`](super::protocol).
//! Each connection is read in a task of its own and turned into a
//! [`Control`] for the loop; a client that never sends holds up nothing.
//!
//! Who may do what: the socket is root's (mode 0600), or with `[control]
//! group` also that group's (0660), and the peer's uid (SO_PEERCRED)
//! decides: anything that changes something needs uid 0; the group may
//! only ask for `status` ([`refusal`]).

use std::io::{Read, Write};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::mpsc::UnboundedSender;
use tokio::sync::oneshot;

use super::client_slots::{Slot, Slots};
use super::control::Control;
use super::protocol::{
    ReloadOutcome, Request, RequestLine, Response, ResponseLine, Versioned, VERSION,
};

/// The longest request line read.
const MAX_REQUEST: u64 = 64 * 1024;

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

/// Gives the socket to `group` (mode 0660: its members may connect, and
/// ask for `status` only), or to root alone (0600).
pub fn set_access(path: &Path, group: Option<&str>) -> anyhow::Result<()> {
    // Root's only first: an unknown group leaves it so.
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    let Some(name) = group else {
        return Ok(());
    };
    let gid = group_id(name)?;
    std::os::unix::fs::chown(path, None, Some(gid))
        .with_context(|| format!("cannot give {} to group {name}", path.display()))?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o660))?;
    // The group must also get through the directory.
    if let Some(dir) = path.parent() {
        let meta = std::fs::metadata(dir)?;
        let mode = meta.permissions().mode();
        let through = mode & 0o001 != 0 || (mode & 0o010 != 0 && meta.gid() == gid);
        if !through {
            anyhow::bail!(
                "group {name} cannot reach {}: {} is mode {:04o} (make it 0755, \
                 e.g. RuntimeDirectoryMode=0755 in the systemd unit)",
                path.display(),
                dir.display(),
                mode & 0o7777
            );
        }
    }
    Ok(())
}

/// A group's id by name.
fn group_id(name: &str) -> anyhow::Result<u32> {
    let c_name = std::ffi::CString::new(name).context("a group name without NUL")?;
    let mut group: libc::group = unsafe_zeroed_group();
    let mut buffer = vec![0 as libc::c_char; 16 * 1024];
    let mut found: *mut libc::group = std::ptr::null_mut();
    // SAFETY: every pointer is valid for the call, the buffer's length is
    // its own.
    let rc = unsafe {
        libc::getgrnam_r(
            c_name.as_ptr(),
            &mut group,
            buffer.as_mut_ptr(),
            buffer.len(),
            &mut found,
        )
    };
    if rc != 0 || found.is_null() {
        anyhow::bail!("no group `{name}` ([control] group); the socket stays root's only");
    }
    Ok(group.gr_gid)
}

fn unsafe_zeroed_group() -> libc::group {
    // SAFETY: all-zero is a valid `struct group` (null pointers, gid 0).
    unsafe { std::mem::zeroed() }
}

/// A user's name by uid, or `uid N`.
pub fn user_name(uid: u32) -> String {
    // SAFETY: all-zero is a valid `struct passwd`.
    let mut user: libc::passwd = unsafe { std::mem::zeroed() };
    let mut buffer = vec![0 as libc::c_char; 16 * 1024];
    let mut found: *mut libc::passwd = std::ptr::null_mut();
    // SAFETY: every pointer is valid for the call, the buffer's length is
    // its own.
    let rc = unsafe {
        libc::getpwuid_r(
            uid,
            &mut user,
            buffer.as_mut_ptr(),
            buffer.len(),
            &mut found,
        )
    };
    if rc != 0 || found.is_null() || user.pw_name.is_null() {
        return format!("uid {uid}");
    }
    // SAFETY: getpwuid_r set pw_name to a NUL-terminated string in `buffer`.
    let name = unsafe { std::ffi::CStr::from_ptr(user.pw_name) };
    name.to_str()
        .map_or_else(|_| format!("uid {uid}"), str::to_string)
}

/// Why a request from `uid` is refused, if it is: anything that changes
/// something needs root.
pub fn refusal(request: &Request, uid: u32) -> Option<String> {
    (request.changes() && uid != 0).then(|| {
        format!(
            "only root may {} (you are {}); the control group may only ask for status",
            request_name(request),
            user_name(uid)
        )
    })
}

/// `drain`, `reload`, … as the command line says it.
fn request_name(request: &Request) -> &'static str {
    match request {
        Request::Status => "status",
        Request::Reload => "reload",
        Request::Drain(_) => "drain",
        Request::Disable(_) => "disable",
        Request::Enable(_) => "enable",
        Request::Weight(_) => "set a weight",
    }
}

/// Connections served at once; more wait in the listen backlog. When all
/// are taken, the oldest that has not sent its request yet makes room
/// ([`client_slots`](super::client_slots)).
pub const MAX_CONNECTIONS: usize = 32;

/// How long a client may take to send its request.
const READ_TIMEOUT: Duration = Duration::from_secs(5);

/// How long a client may take to read the answer.
const WRITE_TIMEOUT: Duration = Duration::from_secs(10);

/// Accepts connections (until the runtime ends), at most
/// [`MAX_CONNECTIONS`] at once: whoever may connect (a `[control] group`)
/// cannot use up the daemon's descriptors, which its checks need, nor
/// lock others out by connecting and saying nothing.
pub async fn serve(listener: UnixListener, controls: UnboundedSender<Control>) {
    let slots = Slots::new(MAX_CONNECTIONS);
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                // Taken once someone is there: an idle client is evicted
                // only for a newcomer.
                let slot = slots.admit().await;
                let controls = controls.clone();
                tokio::spawn(answer(stream, controls, slot));
            }
            // Out of descriptors, say: let a check end first.
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
}

/// Reads one request, has the loop do it, writes the answer; gives up when
/// told to make room before the request came.
async fn answer(stream: UnixStream, controls: UnboundedSender<Control>, mut slot: Slot) {
    // No credentials: treated as nobody's.
    let uid = stream.peer_cred().map_or(u32::MAX, |c| c.uid());
    let (reader, mut writer) = stream.into_split();
    let mut line = String::new();
    let mut reader = BufReader::new(tokio::io::AsyncReadExt::take(reader, MAX_REQUEST));
    let read = tokio::select! {
        read = tokio::time::timeout(READ_TIMEOUT, reader.read_line(&mut line)) => read,
        _ = &mut slot.evicted => return,
    };
    if !matches!(read, Ok(Ok(_))) {
        return;
    }
    slot.busy();
    let Some(response) = respond(line.trim(), uid, &controls).await else {
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
async fn respond(line: &str, uid: u32, controls: &UnboundedSender<Control>) -> Option<Response> {
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
    if let Some(refused) = refusal(&request, uid) {
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
        request => {
            let (reply, answer) = oneshot::channel();
            let who = user_name(uid);
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

/// Sends one request to the daemon that answers on `path` and returns its
/// answer. A daemon started before the versioned protocol (still running
/// after an upgrade) is asked in its own words, so that `ipvsctl status`,
/// which cluster managers use as a monitor, goes on answering until it is
/// restarted.
pub fn request(path: &Path, request: &Request) -> anyhow::Result<Response> {
    let mut line = serde_json::to_string(&RequestLine {
        version: VERSION,
        request: request.clone(),
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
    let mut stream = match std::os::unix::net::UnixStream::connect(path) {
        Ok(stream) => stream,
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => anyhow::bail!(
            "not allowed to use {}: only root, and the members of the daemon's \
             [control] group (for status), may",
            path.display()
        ),
        Err(e) => {
            return Err(anyhow::Error::new(e).context(format!(
                "no ipvsctl daemon answers on {} (is `ipvsctl run` running?)",
                path.display()
            )))
        }
    };
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    stream.write_all(line.as_bytes())?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer)?;
    Ok(answer)
}

/// The request as daemons before the versioned protocol took it: a bare
/// word, answered by the status itself or by `{"message": …}`.
fn unversioned(path: &Path, request: &Request) -> anyhow::Result<Response> {
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
        _ => anyhow::bail!(
            "the running daemon is older than this command: restart it (`ipvsctl run`) first"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::daemon::protocol::Selection;

    #[test]
    fn only_root_changes_anything() {
        let drain = Request::Drain(Selection {
            real: "10.0.0.2".into(),
            virtual_: None,
            reason: None,
        });
        assert_eq!(refusal(&Request::Status, 65534), None);
        assert_eq!(refusal(&Request::Status, 0), None);
        assert_eq!(refusal(&drain, 0), None);
        assert_eq!(refusal(&Request::Reload, 0), None);
        let refused = refusal(&drain, 4_000_000).unwrap();
        assert_eq!(
            refused,
            "only root may drain (you are uid 4000000); the control group may only ask for status"
        );
        assert!(refusal(&Request::Reload, 1)
            .unwrap()
            .starts_with("only root may reload"));
    }
}
