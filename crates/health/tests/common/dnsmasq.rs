// SPDX-License-Identifier: MIT OR Apache-2.0
//! A real DNS server for the tests: Debian's dnsmasq, started in the
//! foreground on a free port of 127.0.0.1 (UDP and TCP) with a throwaway
//! configuration on its command line, killed when dropped.
//!
//! It serves `example.com` only (anything else is REFUSED):
//! - `www.example.com` A 192.0.2.10 (no AAAA: NOERROR with no answer);
//! - `check.example.com` TXT "pong";
//! - `big.example.com` three TXT records of 250 bytes (`x…`, `y…`, `z…`):
//!   over UDP the reply is truncated (TC), over TCP it is whole;
//! - `1.2.0.192.in-addr.arpa` PTR `www.example.com` (from the A record);
//! - every other name in example.com is NXDOMAIN.

use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running dnsmasq.
pub struct Dnsmasq {
    child: Child,
    /// Where it answers, over UDP and TCP.
    pub addr: SocketAddr,
}

/// The dnsmasq binary, if installed.
fn binary() -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin".into(), "/sbin".into()])
        .map(|dir| dir.join("dnsmasq"))
        .find(|p| p.is_file())
}

/// A port free for both UDP and TCP on 127.0.0.1 (for a moment).
fn free_port() -> u16 {
    loop {
        let udp = UdpSocket::bind("127.0.0.1:0").unwrap();
        let port = udp.local_addr().unwrap().port();
        if TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}

impl Dnsmasq {
    /// Starts one, or `None` when dnsmasq is not installed and this is not
    /// CI (the test then says it is skipped). On CI (`CI` set) a missing
    /// dnsmasq fails the test: scripts/test installs it.
    pub fn start() -> Option<Dnsmasq> {
        let Some(binary) = binary() else {
            assert!(
                std::env::var_os("CI").is_none(),
                "dnsmasq is not installed (scripts/test installs dnsmasq-base)"
            );
            eprintln!("skipped: dnsmasq is not installed (apt-get install dnsmasq-base)");
            return None;
        };
        for _ in 0..5 {
            let port = free_port();
            let big: Vec<String> = ["x", "y", "z"]
                .iter()
                .map(|c| format!("--txt-record=big.example.com,{}", c.repeat(250)))
                .collect();
            let mut child = Command::new(&binary)
                .args([
                    "--keep-in-foreground",
                    "--conf-file=/dev/null",
                    "--no-hosts",
                    "--no-resolv",
                    "--bind-interfaces",
                    "--listen-address=127.0.0.1",
                    "--pid-file=",
                    "--log-facility=-",
                    "--local=/example.com/",
                    "--host-record=www.example.com,192.0.2.10",
                    "--txt-record=check.example.com,pong",
                ])
                .arg(format!("--port={port}"))
                .args(&big)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("dnsmasq starts");
            let addr: SocketAddr = ([127, 0, 0, 1], port).into();
            let end = Instant::now() + Duration::from_secs(5);
            while Instant::now() < end {
                if let Ok(Some(_)) = child.try_wait() {
                    break; // the port was taken meanwhile: another one
                }
                if TcpStream::connect(addr).is_ok() {
                    return Some(Dnsmasq { child, addr });
                }
                std::thread::sleep(Duration::from_millis(10));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        panic!("dnsmasq did not start");
    }
}

impl Drop for Dnsmasq {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A DNS query as dnsmasq reads it (ID 0x1234, recursion desired), for the
/// send/expect checks to send: every byte is below 0x80, so it is a string.
pub fn raw_query(name: &str, rtype: u8) -> String {
    let mut q = String::from("\u{12}\u{34}\u{1}\u{0}\u{0}\u{1}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}");
    for label in name.split('.') {
        q.push(char::from(label.len() as u8));
        q.push_str(label);
    }
    q.push('\0');
    q.push_str(&format!("\u{0}{}\u{0}\u{1}", char::from(rtype)));
    q
}
