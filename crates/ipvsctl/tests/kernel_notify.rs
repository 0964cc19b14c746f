// SPDX-License-Identifier: MIT OR Apache-2.0
//! `ipvsctl run` speaks systemd's notify protocol: READY, RELOADING (with
//! MONOTONIC_USEC) then READY, watchdog pings, STOPPING. Run in the lab.

mod common;

use std::os::unix::net::UnixDatagram;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{namespace, write};

fn next(socket: &UnixDatagram, wanted: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut buffer = [0u8; 4096];
    while Instant::now() < deadline {
        if let Ok(n) = socket.recv(&mut buffer) {
            let message = String::from_utf8_lossy(&buffer[..n]).into_owned();
            if message.starts_with(wanted) {
                return message;
            }
        }
    }
    panic!("no {wanted} from the daemon");
}

#[test]
#[ignore = "needs an IPVS kernel: scripts/lab"]
fn run_tells_systemd_ready_reloading_watchdog_stopping() {
    let state = namespace();
    let socket_path = state.join("notify.sock");
    let socket = UnixDatagram::bind(&socket_path).unwrap();
    socket
        .set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let config = write(
        &state,
        "www.toml",
        "[[virtual]]\naddress = \"10.0.0.1:80\"\ncheck = { type = \"none\" }\n[[virtual.real]]\naddress = \"10.0.0.2\"\n",
    );
    let mut daemon = Command::new(env!("CARGO_BIN_EXE_ipvsctl"))
        .args(["run", &config])
        .env("IPVSCTL_STATE_DIR", &state)
        .env("NOTIFY_SOCKET", &socket_path)
        .env("WATCHDOG_USEC", "400000")
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let pid = daemon.id() as libc::pid_t;
    assert_eq!(
        next(&socket, "READY=1"),
        "READY=1\nSTATUS=1 virtual services"
    );
    assert_eq!(next(&socket, "WATCHDOG=1"), "WATCHDOG=1");
    // SAFETY: sends a signal to our own child.
    unsafe { libc::kill(pid, libc::SIGHUP) };
    let reloading = next(&socket, "RELOADING=1");
    assert!(
        reloading.starts_with("RELOADING=1\nMONOTONIC_USEC="),
        "{reloading}"
    );
    assert_eq!(next(&socket, "READY=1"), "READY=1\nSTATUS=reloaded");
    // SAFETY: as above.
    unsafe { libc::kill(pid, libc::SIGTERM) };
    assert_eq!(next(&socket, "STOPPING=1"), "STOPPING=1");
    assert!(daemon.wait().unwrap().success());
}
