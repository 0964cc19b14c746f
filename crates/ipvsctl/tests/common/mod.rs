// SPDX-License-Identifier: MIT OR Apache-2.0
//! Helpers for the CLI's kernel tests: a namespace of one's own, ipvsadm as
//! the reference, and ipvsctl run as a program.
#![allow(dead_code)]

pub mod daemon;
pub mod dr_site;
pub mod servers;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A fresh network namespace (an empty IPVS table) for this thread, `lo` up,
/// and a state directory of its own.
pub fn namespace() -> PathBuf {
    // SAFETY: unshare has no memory-safety preconditions; CLONE_NEWNET only
    // changes the calling thread's network namespace.
    let rc = unsafe { libc::unshare(libc::CLONE_NEWNET) };
    assert_eq!(rc, 0, "unshare: {}", std::io::Error::last_os_error());
    // With `lo` down the kernel sees no unicast route to any real and
    // refuses direct-routing destinations.
    let up = Command::new("/sbin/ip")
        .args(["link", "set", "lo", "up"])
        .status()
        .unwrap();
    assert!(up.success());
    let dir = std::env::temp_dir().join(format!(
        "ipvsctl-test-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A connection to the control socket of the daemon the tests start (the
/// one place that knows where a daemon listens): this network namespace's
/// `@ipvsctl`, as the daemon and the commands find it. `_state` is its
/// state directory, which no longer decides the socket.
pub fn connect_control(_state: &Path) -> std::io::Result<std::os::unix::net::UnixStream> {
    ipvsctl::daemon::socket::Address::here().connect()
}

/// Raises this process's soft RLIMIT_NOFILE to its hard limit (tests that
/// hold many connections).
pub fn raise_nofile() {
    // SAFETY: getrlimit/setrlimit write and read the struct we own.
    unsafe {
        let mut lim: libc::rlimit = std::mem::zeroed();
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) == 0 {
            lim.rlim_cur = lim.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &lim);
        }
    }
}

/// Empties the calling thread's IPVS table when dropped (declare it first,
/// so that it goes last). A namespace that ends with a large table has the
/// kernel flush it in the background, under IPVS's one global mutex: in
/// the TCG VM that takes many seconds, during which the next test's table
/// writes wait. Flushed here, the test that made the table pays for it.
pub struct FlushOnDrop;

impl Drop for FlushOnDrop {
    fn drop(&mut self) {
        let _ = Command::new("ipvsadm").arg("-C").status();
    }
}

/// Runs ipvsadm; panics on failure.
pub fn ipvsadm(args: &str) -> String {
    let out = Command::new("ipvsadm")
        .args(args.split_whitespace())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "ipvsadm {args}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// `ipvsadm -Sn` as lines.
pub fn saved() -> Vec<String> {
    ipvsadm("-Sn").lines().map(str::to_owned).collect()
}

/// Runs ipvsctl with its state kept in `state`.
pub fn ipvsctl(state: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ipvsctl"))
        .args(args)
        .env("IPVSCTL_STATE_DIR", state)
        .output()
        .unwrap()
}

/// A command line's words, for [`ipvsctl`]'s arguments.
pub fn words(line: &str) -> Vec<&str> {
    line.split_whitespace().collect()
}

/// Standard output as text.
pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Standard error as text.
pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Writes a file in `dir` and returns its path as text.
pub fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.to_string_lossy().into_owned()
}

/// A sample configuration of the repository's `dist/examples/` folder.
pub fn example(name: &str) -> String {
    // Lexically (no `..`): in the lab only the files given exist.
    let crates = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    crates
        .parent()
        .unwrap()
        .join("dist/examples")
        .join(name)
        .to_string_lossy()
        .into_owned()
}
