// SPDX-License-Identifier: MIT OR Apache-2.0
//! The loop never waits on a control client (issue 13, section 5): the
//! daemon's loop on a table in memory, its real control socket served to
//! it, and the clients of the review: ones that ask for a status larger
//! than the socket's buffers and never read it, idle ones, one that sends
//! an endless line. Meanwhile a health transition still changes the table
//! and another client's `status` is answered. (Real time, not paused: the
//! socket is real.)

#[path = "daemon_loop/fakes.rs"]
mod fakes;

use std::io::Write;
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use health::Health::Up;
use ipvsctl::daemon::protocol::{Request, Response};
use ipvsctl::daemon::socket::{self, Access, Address};

use fakes::{www, Running};

const REALS: usize = 3000;
const STATUS: &[u8] = b"{\"version\":1,\"request\":\"status\"}\n";

/// `www` with 3,000 reals: its status is some hundreds of KiB, more than
/// a unix socket buffers.
fn big_site() -> String {
    let mut site = String::from(
        "[defaults]\ncheck_interval = 5\n\n[[virtual]]\nname = \"www\"\naddress = \"10.0.0.1:80\"\nscheduler = \"rr\"\ncheck = { type = \"connect\" }\n",
    );
    for i in 0..REALS {
        site.push_str(&format!(
            "\n  [[virtual.real]]\n  address = \"10.1.{}.{}:80\"\n",
            i / 250,
            i % 250 + 1
        ));
    }
    site
}

/// An abstract socket of this test's own.
fn address(name: &str) -> Address {
    Address::Abstract(format!("ipvsctl-test-{}-{name}", std::process::id()))
}

/// Sends a line that never ends, until the daemon closes the connection.
fn endless_line(address: &Address, stop: Arc<AtomicBool>) -> std::thread::JoinHandle<u64> {
    let mut stream = address.connect().unwrap();
    std::thread::spawn(move || {
        let chunk = [b'x'; 4096];
        let mut sent = 0u64;
        while !stop.load(Ordering::Relaxed) && stream.write_all(&chunk).is_ok() {
            sent += chunk.len() as u64;
        }
        sent
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_that_never_read_idle_or_send_endless_lines_never_hold_up_the_loop() {
    let daemon = Running::start("clients", &big_site()).await;
    let path = address("clients");
    let listener = path.bind().unwrap();
    tokio::spawn(socket::serve(
        listener,
        daemon.controls(),
        Access::root_only(),
    ));

    // Asks for the big status, never reads it.
    let mut never_reading = Vec::new();
    for _ in 0..4 {
        let mut s = path.connect().unwrap();
        s.write_all(STATUS).unwrap();
        never_reading.push(s);
    }
    // Connect, say nothing.
    let idle: Vec<UnixStream> = (0..6).map(|_| path.connect().unwrap()).collect();
    let stop = Arc::new(AtomicBool::new(false));
    let endless = endless_line(&path, Arc::clone(&stop));

    // The loop goes on: a transition changes the table...
    daemon.health(&www(), "10.1.0.1:80", Up);
    daemon.until_reals(&www(), &[("10.1.0.1:80", 1)]).await;
    // ...and another client is answered, in full.
    let asked = path.clone();
    let answer = tokio::task::spawn_blocking(move || socket::request(&asked, &Request::Status))
        .await
        .unwrap()
        .expect("an answer");
    match answer {
        Response::Status(status) => assert_eq!(status.virtuals[0].reals.len(), REALS),
        other => panic!("{other:?}"),
    }
    // The endless line was cut at the request bound, the client told so.
    stop.store(true, Ordering::Relaxed);
    let sent = tokio::task::spawn_blocking(move || endless.join().unwrap())
        .await
        .unwrap();
    assert!(sent >= 64 * 1024, "{sent}");
    drop((never_reading, idle));
    assert_eq!(daemon.stop().await, 0);
}

/// Clients that ask for a status and never read it held their connection
/// slot for as long as they lived: 32 of them, and no other client was
/// answered (the OCF monitor's `ipvsctl status` then timed out and
/// Pacemaker stopped the director's table). The answer's write has a
/// timeout now, as the read has.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_that_never_read_do_not_hold_the_socket_forever() {
    let daemon = Running::start("never-read", &big_site()).await;
    let path = address("never-read");
    let listener = path.bind().unwrap();
    tokio::spawn(socket::serve(
        listener,
        daemon.controls(),
        Access::root_only(),
    ));
    let mut never_reading = Vec::new();
    for _ in 0..socket::MAX_CONNECTIONS {
        let mut s = path.connect().unwrap();
        s.write_all(STATUS).unwrap();
        never_reading.push(s);
    }
    let asked = path.clone();
    let answer = tokio::task::spawn_blocking(move || socket::request(&asked, &Request::Status))
        .await
        .unwrap();
    assert!(
        matches!(answer, Ok(Response::Status(_))),
        "no answer while clients hold every slot: {answer:?}"
    );
    drop(never_reading);
    assert_eq!(daemon.stop().await, 0);
}
