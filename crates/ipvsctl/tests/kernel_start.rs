// SPDX-License-Identifier: MIT OR Apache-2.0
//! `ipvsctl run` with 3,000 reals, signalled with SIGHUP while it reads its
//! configuration and all through its start (issue 13, section 5: it used
//! to die with exit 129). The configuration is first a FIFO, so the test
//! knows the daemon is reading it when the first SIGHUP goes. Run inside
//! the lab (`scripts/test`).

mod common;

use std::io::Write;
use std::process::{Command, Stdio};

use common::daemon::Daemon;
use common::dr_site::wait_for;
use common::{namespace, saved};

const VIRTUALS: usize = 30;
const REALS: usize = 100;

/// 30 virtuals of 100 reals each, masquerading, checked by `none` (up at
/// once: the table has them all as soon as the daemon serves).
fn site() -> String {
    let mut text = String::new();
    for v in 0..VIRTUALS {
        text.push_str(&format!(
            "\n[[virtual]]\naddress = \"10.0.0.1:{}\"\nscheduler = \"rr\"\ncheck = {{ type = \"none\" }}\n",
            1000 + v
        ));
        for r in 0..REALS {
            text.push_str(&format!(
                "\n  [[virtual.real]]\n  address = \"10.1.{v}.{}:80\"\n  forward = \"masq\"\n",
                r + 1
            ));
        }
    }
    text
}

fn hangup(daemon: &Daemon) {
    daemon.signal(libc::SIGHUP);
}

#[test]
#[ignore]
fn sighups_while_3000_reals_load_are_reloads_not_the_end() {
    let state = namespace();
    let path = state.join("site.toml");
    let name = std::ffi::CString::new(path.to_str().unwrap()).unwrap();
    // SAFETY: mkfifo(3) with a NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(name.as_ptr(), 0o600) }, 0);
    let log = state.join("daemon.log");
    let file = std::fs::File::create(&log).unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_ipvsctl"))
        .args(["run", path.to_str().unwrap()])
        .env("IPVSCTL_STATE_DIR", &state)
        .stdin(Stdio::null())
        .stdout(file.try_clone().unwrap())
        .stderr(file)
        .spawn()
        .unwrap();
    let mut daemon = Daemon { child, log };
    // Returns once the daemon has the FIFO open: it is reading its files.
    let mut writer = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
    // Reloads read a plain file with the same text: put it in the FIFO's
    // place now (the daemon reads on from the FIFO it has open).
    let text = site();
    let plain = state.join("site.toml.new");
    std::fs::write(&plain, &text).unwrap();
    std::fs::rename(&plain, &path).unwrap();
    // The text in ten pieces, a SIGHUP before each.
    for piece in text.as_bytes().chunks(text.len() / 10 + 1) {
        hangup(&daemon);
        writer.write_all(piece).unwrap();
    }
    drop(writer);
    // A SIGHUP every 100 ms until it answers `status`.
    let answered = wait_for(300, || {
        if !daemon.running() {
            return true;
        }
        hangup(&daemon);
        common::ipvsctl(&state, &["status"]).status.success()
    });
    assert!(daemon.running(), "the daemon died\n{}", daemon.context());
    assert!(answered, "no status\n{}", daemon.context());
    let reals = || saved().iter().filter(|l| l.starts_with("-a ")).count();
    assert!(
        wait_for(300, || reals() == VIRTUALS * REALS),
        "{} reals in the table\n{}",
        reals(),
        daemon.context()
    );
    assert!(
        wait_for(60, || daemon.log().contains("reloading")),
        "no reload logged\n{}",
        daemon.context()
    );
    assert!(daemon.running(), "the daemon died\n{}", daemon.context());
    daemon.signal(libc::SIGTERM);
    let status = daemon.wait();
    assert!(status.success(), "{status}\n{}", daemon.context());
}
