// SPDX-License-Identifier: MIT OR Apache-2.0
//! TCP servers of the fault tests, run as threads of the test inside a
//! network namespace of the lab (`ip netns`): hostile ones (accept and
//! hang, trickle one byte a second, an endless body, garbage for a TLS
//! handshake) and one that accepts and drops every connection (the reals
//! of a large site). Each stops when dropped.

use std::io::Write;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// What a server does with each connection it accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Behaviour {
    /// Closes it at once (after the handshake the kernel made).
    Drop,
    /// Keeps it open and says nothing.
    Hang,
    /// Sends an HTTP answer one byte a second.
    Trickle,
    /// Sends an HTTP header and then a body that never ends, as fast as it
    /// can. Before the checks' receive buffer was bounded, the director
    /// took megabytes per check of it (see the faults note); now the
    /// window stops the sender after ~128 KiB.
    EndlessBody,
    /// Sends random bytes, never a TLS record.
    GarbageTls,
}

/// A listening server in a namespace.
pub struct Server {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
    /// Connections accepted so far.
    pub accepted: Arc<AtomicU64>,
    /// The most bytes sent on one connection.
    pub most_sent: Arc<AtomicU64>,
}

/// Moves the calling thread into the network namespace `ns` (`ip netns`
/// name).
pub fn enter(ns: &str) {
    let file = std::fs::File::open(format!("/run/netns/{ns}")).unwrap();
    // SAFETY: setns has no memory-safety preconditions; it moves only the
    // calling thread.
    let rc = unsafe { libc::setns(file.as_raw_fd(), libc::CLONE_NEWNET) };
    assert_eq!(rc, 0, "setns: {}", std::io::Error::last_os_error());
}

impl Server {
    /// Listens on `address` inside `ns` and treats every connection as
    /// `behaviour` says, each on a thread of its own (but [`Behaviour::Drop`]).
    pub fn start(ns: &str, address: &str, behaviour: Behaviour) -> Server {
        let address: SocketAddr = address.parse().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let accepted = Arc::new(AtomicU64::new(0));
        let most_sent = Arc::new(AtomicU64::new(0));
        let (ready, listening) = std::sync::mpsc::channel();
        let ns = ns.to_owned();
        let thread = {
            let (stop, accepted, most_sent) = (stop.clone(), accepted.clone(), most_sent.clone());
            std::thread::spawn(move || {
                enter(&ns);
                let listener = TcpListener::bind(address).unwrap();
                // std listens with a backlog of 128: a director's checks of
                // thousands of reals, all served here, overflow it (SYNs
                // dropped, connects seconds late).
                // SAFETY: listen on a socket we own; a second listen only
                // changes the backlog.
                let rc = unsafe { libc::listen(listener.as_raw_fd(), 4096) };
                assert_eq!(rc, 0, "listen: {}", std::io::Error::last_os_error());
                listener.set_nonblocking(true).unwrap();
                ready.send(()).unwrap();
                let held = Arc::new(Mutex::new(Vec::new()));
                while !stop.load(Ordering::Relaxed) {
                    match listener.accept() {
                        Ok((stream, _)) => {
                            accepted.fetch_add(1, Ordering::Relaxed);
                            serve(stream, behaviour, &stop, &held, &most_sent);
                        }
                        Err(_) => std::thread::sleep(Duration::from_millis(5)),
                    }
                }
            })
        };
        listening.recv().unwrap();
        Server {
            stop,
            thread: Some(thread),
            accepted,
            most_sent,
        }
    }
}

fn serve(
    stream: TcpStream,
    behaviour: Behaviour,
    stop: &Arc<AtomicBool>,
    held: &Arc<Mutex<Vec<TcpStream>>>,
    most_sent: &Arc<AtomicU64>,
) {
    match behaviour {
        Behaviour::Drop => {}
        Behaviour::Hang => held.lock().unwrap().push(stream),
        _ => {
            let (stop, most_sent) = (stop.clone(), most_sent.clone());
            std::thread::spawn(move || {
                let sent = talk(stream, behaviour, &stop);
                most_sent.fetch_max(sent, Ordering::Relaxed);
            });
        }
    }
}

/// Reads what the client says first, as a server does before it answers:
/// an HTTP request up to its blank line, or the first bytes of a TLS
/// handshake (at most 64 KiB, 5 s).
fn listen_first(stream: &mut TcpStream, behaviour: Behaviour) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let mut said = Vec::new();
    let mut buffer = [0u8; 4096];
    while said.len() < 64 * 1024 {
        match std::io::Read::read(stream, &mut buffer) {
            Ok(0) | Err(_) => return,
            Ok(n) => said.extend_from_slice(&buffer[..n]),
        }
        let done = match behaviour {
            Behaviour::GarbageTls => true,
            _ => said.windows(4).any(|w| w == b"\r\n\r\n"),
        };
        if done {
            return;
        }
    }
}

/// Sends what `behaviour` sends, once the client has spoken, until the
/// peer goes or the server stops; the bytes sent.
fn talk(mut stream: TcpStream, behaviour: Behaviour, stop: &AtomicBool) -> u64 {
    listen_first(&mut stream, behaviour);
    let _ = stream.set_write_timeout(Some(Duration::from_secs(1)));
    let mut sent = 0u64;
    let mut send = |bytes: &[u8]| -> bool {
        match stream.write_all(bytes) {
            Ok(()) => {
                sent += bytes.len() as u64;
                true
            }
            // A full buffer: the peer reads no more, but is still there.
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => true,
            Err(e) if e.kind() == std::io::ErrorKind::TimedOut => true,
            Err(_) => false,
        }
    };
    let answer = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nOK\n";
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut garbage = [0u8; 16 * 1024];
    let mut at = 0;
    while !stop.load(Ordering::Relaxed) {
        let going = match behaviour {
            Behaviour::Trickle => {
                let Some(byte) = answer.get(at) else { break };
                at += 1;
                let going = send(std::slice::from_ref(byte));
                std::thread::sleep(Duration::from_secs(1));
                going
            }
            Behaviour::EndlessBody => {
                if at == 0 {
                    at = 1;
                    send(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n")
                } else {
                    // At full speed: what the check's receive buffer holds
                    // is all that reaches the director per check.
                    send(&[b'x'; 16 * 1024])
                }
            }
            Behaviour::GarbageTls => {
                for byte in garbage.iter_mut() {
                    // xorshift: not TLS, not all zeroes.
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    *byte = seed as u8;
                }
                send(&garbage)
            }
            Behaviour::Drop | Behaviour::Hang => break,
        };
        if !going {
            break;
        }
    }
    sent
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
