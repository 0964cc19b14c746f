// SPDX-License-Identifier: MIT OR Apache-2.0
//! The control socket: a unix socket, root only, next to the ownership
//! record (`/run/ipvsctl/ipvsctl.sock`). One request per connection, one
//! line: `status` or `reload`; the answer is JSON, then the socket closes.

use std::io::{Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;

/// Where the socket is.
pub fn socket_path() -> PathBuf {
    crate::record::state_dir().join("ipvsctl.sock")
}

/// Binds the socket (removing a stale one), readable by root only.
pub fn bind() -> anyhow::Result<tokio::net::UnixListener> {
    let path = socket_path();
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    // A socket that answers belongs to a running daemon: two daemons would
    // fight over the table. One that does not is stale (kill -9).
    if std::os::unix::net::UnixStream::connect(&path).is_ok() {
        anyhow::bail!(
            "another `ipvsctl run` is already running (it answers on {}); stop it first",
            path.display()
        );
    }
    let _ = std::fs::remove_file(&path);
    let listener = tokio::net::UnixListener::bind(&path)
        .with_context(|| format!("cannot listen on {}", path.display()))?;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
    Ok(listener)
}

/// Sends one request to the running daemon and returns its answer.
pub fn request(command: &str) -> anyhow::Result<String> {
    let path = socket_path();
    let mut stream = std::os::unix::net::UnixStream::connect(&path).with_context(|| {
        format!(
            "no ipvsctl daemon answers on {} (is `ipvsctl run` running?)",
            path.display()
        )
    })?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    stream.write_all(format!("{command}\n").as_bytes())?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer)?;
    Ok(answer)
}
