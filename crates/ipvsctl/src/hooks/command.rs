// SPDX-License-Identifier: MIT OR Apache-2.0
//! One hook command: run without a shell, stdin closed, in a process group
//! of its own that is killed whole at the timeout; stdout and stderr read
//! as they come (so a chatty program never blocks on a full pipe), their
//! first [`OUTPUT_LIMIT`] bytes kept.

use std::process::Stdio;
use std::time::Duration;

use health::child::{exit_text, GroupKill};
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::time::Instant;

use super::environment::VARIABLES;

/// The bytes of stdout (and of stderr) kept for the log.
pub const OUTPUT_LIMIT: usize = 4096;

/// How long the output of a program that has ended is still read (a
/// process it left behind may hold its stdout open).
const OUTPUT_GRACE: Duration = Duration::from_millis(500);

/// What became of one run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ran {
    /// How it ended: `Ok` for exit status 0, else why not (`exit status
    /// 3`, `timed out after 5s: process group killed`, `cannot run …`).
    pub result: Result<(), String>,
    /// The first [`OUTPUT_LIMIT`] bytes of stdout.
    pub stdout: Vec<u8>,
    /// The first [`OUTPUT_LIMIT`] bytes of stderr.
    pub stderr: Vec<u8>,
    /// Bytes of output read beyond those kept, both streams together.
    pub discarded: usize,
}

/// Output kept up to the limit, the rest counted.
#[derive(Default)]
struct Kept {
    bytes: Vec<u8>,
    discarded: usize,
}

impl Kept {
    fn add(&mut self, chunk: &[u8]) {
        let room = OUTPUT_LIMIT.saturating_sub(self.bytes.len());
        let keep = chunk.len().min(room);
        self.bytes.extend_from_slice(&chunk[..keep]);
        self.discarded += chunk.len() - keep;
    }
}

/// One read of a pipe that is still open; `None` once it is closed (or
/// was never there).
async fn read_some<R: AsyncRead + Unpin>(pipe: &mut Option<R>, buf: &mut [u8]) -> Option<usize> {
    let n = pipe.as_mut()?.read(buf).await.ok()?;
    (n > 0).then_some(n)
}

/// `text` with any NUL byte (which no argument or variable can hold) made
/// a space: a value from outside (a check's reason) never stops a hook.
fn without_nul(text: &str) -> String {
    text.replace('\0', " ")
}

/// Runs `argv` with `env` added to the daemon's environment (its own
/// `IPVSCTL_*` removed), for at most `timeout`.
pub async fn run(argv: &[String], env: &[(&'static str, String)], timeout: Duration) -> Ran {
    let mut ran = Ran {
        result: Ok(()),
        stdout: Vec::new(),
        stderr: Vec::new(),
        discarded: 0,
    };
    let Some((program, args)) = argv.split_first() else {
        ran.result = Err("empty command".to_string());
        return ran;
    };
    let deadline = Instant::now() + timeout;
    let mut command = tokio::process::Command::new(program);
    command
        .args(args.iter().map(|a| without_nul(a)))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .kill_on_drop(true);
    for var in VARIABLES.iter().chain(health::child::DAEMON_ONLY_VARIABLES) {
        command.env_remove(var);
    }
    command.envs(env.iter().map(|(k, v)| (k, without_nul(v))));
    // ETXTBSY is passing: a program just written (an upgrade, a
    // deployment) is still open for writing in a process forked meanwhile,
    // until that one execs. Tried again a few times, 10 ms apart.
    let mut tries = 0;
    let mut child = loop {
        match command.spawn() {
            Ok(child) => break child,
            Err(e) if e.raw_os_error() == Some(libc::ETXTBSY) && tries < 5 => {
                tries += 1;
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            Err(e) => {
                ran.result = Err(format!("cannot run {program}: {e}"));
                return ran;
            }
        }
    };
    let mut group = GroupKill::new(child.id());
    let mut stdout = child.stdout.take();
    let mut stderr = child.stderr.take();
    let (mut out, mut err) = (Kept::default(), Kept::default());
    let (mut out_buf, mut err_buf) = ([0u8; 4096], [0u8; 4096]);
    let status = loop {
        tokio::select! {
            status = child.wait() => break Some(status),
            n = read_some(&mut stdout, &mut out_buf), if stdout.is_some() => match n {
                Some(n) => out.add(&out_buf[..n]),
                None => stdout = None,
            },
            n = read_some(&mut stderr, &mut err_buf), if stderr.is_some() => match n {
                Some(n) => err.add(&err_buf[..n]),
                None => stderr = None,
            },
            () = tokio::time::sleep_until(deadline) => break None,
        }
    };
    match status {
        None => {
            group.kill();
            let _ = child.kill().await; // SIGKILL (again) and reap
            ran.result = Err(format!(
                "timed out after {}: process group killed",
                seconds(timeout)
            ));
        }
        Some(status) => {
            // Reaped: the group id may be reused from now on.
            group.disarm();
            ran.result = match status {
                Ok(s) if s.success() => Ok(()),
                Ok(s) => Err(exit_text(s)),
                Err(e) => Err(format!("waiting for {program}: {e}")),
            };
            // What it wrote before it ended, briefly: a process it left
            // behind may hold the pipes open.
            let grace = deadline.min(Instant::now() + OUTPUT_GRACE);
            let _ = tokio::time::timeout_at(grace, async {
                while stdout.is_some() || stderr.is_some() {
                    tokio::select! {
                        n = read_some(&mut stdout, &mut out_buf), if stdout.is_some() => match n {
                            Some(n) => out.add(&out_buf[..n]),
                            None => stdout = None,
                        },
                        n = read_some(&mut stderr, &mut err_buf), if stderr.is_some() => match n {
                            Some(n) => err.add(&err_buf[..n]),
                            None => stderr = None,
                        },
                    }
                }
            })
            .await;
        }
    }
    ran.discarded = out.discarded + err.discarded;
    ran.stdout = out.bytes;
    ran.stderr = err.bytes;
    ran
}

/// `5s`, `0.5s`.
fn seconds(d: Duration) -> String {
    format!("{}s", d.as_secs_f64())
}
