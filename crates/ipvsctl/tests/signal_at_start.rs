// SPDX-License-Identifier: MIT OR Apache-2.0
//! A SIGHUP that arrives while `ipvsctl run` reads its configuration does
//! not kill it (issue 13, section 5: exit 129 with 3,000 reals). The
//! configuration is a FIFO, so the test knows the daemon is inside the
//! read when it signals: opening the FIFO's writing end returns only once
//! the daemon has opened it for reading.

use std::io::Write;
use std::os::unix::process::ExitStatusExt;
use std::process::{Command, Stdio};

#[test]
fn a_sighup_while_the_configuration_is_read_does_not_kill_the_daemon() {
    let dir = std::env::temp_dir().join(format!("ipvsctl-hup-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let fifo = dir.join("site.toml");
    let name = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: mkfifo(3) with a NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(name.as_ptr(), 0o600) }, 0);
    let mut daemon = Command::new(env!("CARGO_BIN_EXE_ipvsctl"))
        .args(["run", fifo.to_str().unwrap()])
        .env("IPVSCTL_STATE_DIR", &dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Returns once the daemon has the FIFO open: it is reading its files.
    let mut writer = std::fs::OpenOptions::new().write(true).open(&fifo).unwrap();
    // SAFETY: a signal to our own child.
    assert_eq!(unsafe { libc::kill(daemon.id() as i32, libc::SIGHUP) }, 0);
    // The configuration, a moment later (the daemon still waits for it).
    let site = "[[virtual]]\naddress = \"10.0.0.1:80\"\nscheduler = \"rr\"\n\n  [[virtual.real]]\n  address = \"10.0.0.11:80\"\n";
    writer.write_all(site.as_bytes()).unwrap();
    drop(writer);
    // On the host (no IPVS) it goes on and stops at the kernel; on a host
    // that has IPVS it runs: stop it.
    let mut status = None;
    for _ in 0..300 {
        status = daemon.try_wait().unwrap();
        if status.is_some() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let status = status.unwrap_or_else(|| {
        // SAFETY: a signal to our own child.
        unsafe { libc::kill(daemon.id() as i32, libc::SIGTERM) };
        daemon.wait().unwrap()
    });
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut daemon.stderr.take().unwrap(), &mut stderr).unwrap();
    assert_eq!(
        status.signal(),
        None,
        "killed by a signal: {status:?}\n{stderr}"
    );
    assert!(status.code().is_some(), "{status:?}");
    let _ = std::fs::remove_dir_all(&dir);
}
