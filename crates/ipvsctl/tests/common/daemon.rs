// SPDX-License-Identifier: MIT OR Apache-2.0
//! `ipvsctl run` as a child process of a kernel test, logging to a file;
//! killed when dropped.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};

use super::dr_site::wait_for;

/// A running `ipvsctl run`.
pub struct Daemon {
    /// The process.
    pub child: Child,
    /// Its stdout and stderr.
    pub log: PathBuf,
}

impl Daemon {
    /// Runs `ipvsctl run CONFIG` with `state` as its state directory,
    /// logging to `state/daemon.log`.
    pub fn start(state: &Path, config: &str) -> Daemon {
        Self::start_logging_to(state, config, "daemon.log")
    }

    /// [`Daemon::start`], logging to `state/LOG`. `$IPVSCTL_BIN` runs
    /// another build (the release one, to measure) instead of this one's.
    pub fn start_logging_to(state: &Path, config: &str, log: &str) -> Daemon {
        Self::start_limited(state, config, log, None)
    }

    /// [`Daemon::start_logging_to`], with RLIMIT_NOFILE (soft and hard)
    /// set to `nofile` when given, as `ulimit -n` in the shell that starts
    /// it.
    pub fn start_limited(state: &Path, config: &str, log: &str, nofile: Option<u64>) -> Daemon {
        let log = state.join(log);
        let file = std::fs::File::create(&log).unwrap();
        let program =
            std::env::var_os("IPVSCTL_BIN").unwrap_or_else(|| env!("CARGO_BIN_EXE_ipvsctl").into());
        let mut command = Command::new(program);
        if let Some(nofile) = nofile {
            let limit = libc::rlimit {
                rlim_cur: nofile,
                rlim_max: nofile,
            };
            // SAFETY: setrlimit is async-signal-safe and touches only the
            // child's own limits, between fork and exec.
            unsafe {
                std::os::unix::process::CommandExt::pre_exec(&mut command, move || {
                    if libc::setrlimit(libc::RLIMIT_NOFILE, &limit) == 0 {
                        Ok(())
                    } else {
                        Err(std::io::Error::last_os_error())
                    }
                });
            }
        }
        let child = command
            .args(["run", config])
            .env("IPVSCTL_STATE_DIR", state)
            .stdin(Stdio::null())
            .stdout(file.try_clone().unwrap())
            .stderr(file)
            .spawn()
            .unwrap();
        Daemon { child, log }
    }

    /// What it has logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Sends it `signal`.
    pub fn signal(&self, signal: libc::c_int) {
        // SAFETY: sends a signal to our own child.
        let rc = unsafe { libc::kill(self.child.id() as libc::pid_t, signal) };
        assert_eq!(rc, 0, "kill: {}", std::io::Error::last_os_error());
    }

    /// Whether it still runs.
    pub fn running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Waits at most 15 s for the daemon to exit.
    pub fn wait(&mut self) -> ExitStatus {
        let mut status = None;
        let exited = wait_for(15, || {
            status = self.child.try_wait().unwrap();
            status.is_some()
        });
        assert!(exited, "the daemon did not exit\n{}", self.context());
        status.unwrap()
    }

    /// What a failed assertion shows: the log's tail and the table.
    pub fn context(&self) -> String {
        let log = self.log();
        let lines: Vec<&str> = log.lines().collect();
        let tail = lines[lines.len().saturating_sub(15)..].join("\n");
        let table = Command::new("ipvsadm")
            .arg("-Ln")
            .output()
            .map(|out| String::from_utf8_lossy(&out.stdout).into_owned())
            .unwrap_or_else(|e| format!("ipvsadm: {e}"));
        format!("--- daemon log (last 15 lines)\n{tail}\n--- ipvsadm -Ln\n{table}")
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
