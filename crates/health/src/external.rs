// SPDX-License-Identifier: MIT OR Apache-2.0
//! The `external` check: a program run without a shell, with the target's
//! addresses put into its arguments and a clean environment
//! ([`crate::child::clean_environment`]), in a process group of its own
//! that is killed whole at the timeout, and also when the program ends (a
//! background child it left would otherwise outlive every check); the
//! first line of its stderr kept for the reason.

use std::net::SocketAddr;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::AsyncReadExt;
use tokio::time::Instant;

use crate::child::{clean_environment, exit_text, ExitWatch, GroupKill};
use crate::probe::timed_out;
use crate::Target;

/// Replaces `{ip}`, `{port}`, `{vip}` and `{vport}` in one pass (a value
/// that itself contains a placeholder is not replaced again).
pub(crate) fn substitute(arg: &str, addr: SocketAddr, vip: &str, vport: u16) -> String {
    let mut out = String::with_capacity(arg.len());
    let mut rest = arg;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let tail = &rest[open..];
        let (value, len) = if tail.starts_with("{ip}") {
            (addr.ip().to_string(), 4)
        } else if tail.starts_with("{port}") {
            (addr.port().to_string(), 6)
        } else if tail.starts_with("{vip}") {
            (vip.to_string(), 5)
        } else if tail.starts_with("{vport}") {
            (vport.to_string(), 7)
        } else {
            ("{".to_string(), 1)
        };
        out.push_str(&value);
        rest = &tail[len..];
    }
    out.push_str(rest);
    out
}

/// The first line of stderr, at most this long.
const STDERR_LINE: usize = 200;

pub(crate) async fn external<S>(
    argv: &[String],
    target: &Target<S>,
    addr: SocketAddr,
    timeout: Duration,
) -> Result<String, String> {
    let deadline = Instant::now() + timeout;
    let args: Vec<String> = argv
        .iter()
        .map(|a| substitute(a, addr, &target.virtual_host, target.virtual_port))
        .collect();
    let Some((program, rest)) = args.split_first() else {
        return Err("empty command".to_string());
    };
    let mut command = tokio::process::Command::new(program);
    clean_environment(&mut command);
    let mut child = command
        .args(rest)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .process_group(0)
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("cannot run {program}: {e}"))?;
    let mut group = GroupKill::new(child.id());
    let watch = child.id().and_then(ExitWatch::open);
    let mut stderr = child.stderr.take();
    let mut line = Vec::new();
    let mut buf = [0u8; 512];
    let status = loop {
        tokio::select! {
            // Ended, not yet reaped: what it left in its group goes with
            // it (the group id cannot be reused before the reaping).
            () = ended(watch.as_ref()), if watch.is_some() => {
                group.kill();
                break child.wait().await;
            }
            // No pidfd (Linux before 5.3): reaped at once, nothing more
            // killed.
            status = child.wait(), if watch.is_none() => break status,
            read = async { stderr.as_mut()?.read(&mut buf).await.ok() }, if stderr.is_some() => {
                match read {
                    Some(n) if n > 0 => keep_first_line(&mut line, &buf[..n]),
                    _ => stderr = None,
                }
            }
            _ = tokio::time::sleep_until(deadline) => {
                group.kill();
                let _ = child.kill().await; // SIGKILL (again) and reap
                return Err(timed_out(timeout));
            }
        }
    };
    // Reaped: the group id may be reused from now on.
    group.disarm();
    let status = status.map_err(|e| format!("waiting for {program}: {e}"))?;
    if status.success() {
        return Ok("exit status 0".to_string());
    }
    // A last look at stderr, briefly: a grandchild may hold it open.
    if let Some(mut err) = stderr {
        let grace = deadline.min(Instant::now() + Duration::from_millis(100));
        let _ = tokio::time::timeout_at(grace, async {
            while !line.contains(&b'\n') && line.len() < STDERR_LINE {
                match err.read(&mut buf).await {
                    Ok(n) if n > 0 => keep_first_line(&mut line, &buf[..n]),
                    _ => break,
                }
            }
        })
        .await;
    }
    let mut why = exit_text(status);
    // Printable: the reason goes into logs and hooks' environment, where a
    // NUL byte cannot go.
    let first = crate::db::printable(line.split(|b| *b == b'\n').next().unwrap_or(&[]));
    if !first.is_empty() {
        why.push_str(": ");
        why.push_str(&first);
    }
    Err(why)
}

/// The end of the watched process; never without a watch.
async fn ended(watch: Option<&ExitWatch>) {
    match watch {
        Some(watch) => watch.ended().await,
        None => std::future::pending().await,
    }
}

fn keep_first_line(line: &mut Vec<u8>, bytes: &[u8]) {
    if line.contains(&b'\n') || line.len() >= STDERR_LINE {
        return;
    }
    let room = STDERR_LINE - line.len();
    line.extend_from_slice(&bytes[..bytes.len().min(room)]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders() {
        let addr: SocketAddr = "127.0.0.2:8080".parse().unwrap();
        assert_eq!(substitute("{ip}", addr, "10.0.0.1", 80), "127.0.0.2");
        assert_eq!(
            substitute("http://{ip}:{port}/x?v={vip}:{vport}", addr, "10.0.0.1", 80),
            "http://127.0.0.2:8080/x?v=10.0.0.1:80"
        );
        assert_eq!(substitute("{ {x} {ip", addr, "v", 0), "{ {x} {ip");
        assert_eq!(
            substitute("{vip}", addr, "{ip}", 0),
            "{ip}",
            "one pass only"
        );
        let v6: SocketAddr = "[::1]:443".parse().unwrap();
        assert_eq!(substitute("{ip} {port}", v6, "7", 0), "::1 443");
    }

    #[test]
    fn first_stderr_line_is_bounded() {
        let mut line = Vec::new();
        keep_first_line(&mut line, b"first");
        keep_first_line(&mut line, b" line\nsecond");
        keep_first_line(&mut line, b"third");
        assert_eq!(line, b"first line\nsecond");
        let mut long = Vec::new();
        keep_first_line(&mut long, &[b'x'; 1000]);
        assert_eq!(long.len(), STDERR_LINE);
    }
}
