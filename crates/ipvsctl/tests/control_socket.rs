// SPDX-License-Identifier: MIT OR Apache-2.0
//! The control socket on the host, in a directory of its own: one daemon
//! only, the versioned JSON lines both ways, and what a client that is not
//! understood is told.

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};

use ipvsctl::daemon::protocol::{ReloadOutcome, Request, Response, Status};
use ipvsctl::daemon::{socket, Control};
use tokio::sync::mpsc;

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ipvsctl-socket-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A socket served by a stand-in for the loop: status is empty, a reload
/// is refused with one error.
async fn serving(dir: &Path) -> PathBuf {
    let path = dir.join("ipvsctl.sock");
    let listener = socket::bind(&path).unwrap();
    let (controls, mut orders) = mpsc::unbounded_channel();
    tokio::spawn(socket::serve(listener, controls));
    tokio::spawn(async move {
        while let Some(order) = orders.recv().await {
            match order {
                Control::Status(reply) => {
                    let _ = reply.send(Status {
                        virtuals: Vec::new(),
                    });
                }
                Control::Reload(Some(reply)) => {
                    let _ = reply.send(ReloadOutcome::Refused { errors: 1 });
                }
                Control::Reload(None) | Control::Stop => {}
            }
        }
    });
    path
}

/// One raw line in, the raw answer out.
fn exchange(path: &Path, line: &str) -> String {
    let mut stream = UnixStream::connect(path).unwrap();
    stream.write_all(line.as_bytes()).unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    answer
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_and_answers_are_versioned_json_lines() {
    let dir = scratch("lines");
    let path = serving(&dir).await;
    let client = path.clone();
    let (status, reload) = tokio::task::spawn_blocking(move || {
        (
            socket::request(&client, Request::Status).unwrap(),
            socket::request(&client, Request::Reload).unwrap(),
        )
    })
    .await
    .unwrap();
    assert_eq!(
        status,
        Response::Status(Status {
            virtuals: Vec::new()
        })
    );
    assert_eq!(
        reload,
        Response::Reload(ReloadOutcome::Refused { errors: 1 })
    );
    let raw = tokio::task::spawn_blocking(move || {
        [
            exchange(&path, "{\"version\":1,\"request\":\"status\"}\n"),
            exchange(&path, "status\n"),
            exchange(&path, "{\"version\":2,\"request\":\"status\"}\n"),
        ]
    })
    .await
    .unwrap();
    assert_eq!(
        raw[0],
        "{\"version\":1,\"response\":{\"status\":{\"virtuals\":[]}}}\n"
    );
    assert_eq!(
        raw[1],
        "{\"version\":1,\"response\":{\"error\":\"unknown request `status`\"}}\n"
    );
    assert_eq!(
        raw[2],
        "{\"version\":1,\"response\":{\"error\":\"control protocol version 2 not spoken here (this daemon speaks 1)\"}}\n"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_second_daemon_is_refused_while_the_first_answers() {
    let dir = scratch("second");
    let path = serving(&dir).await;
    let error = socket::bind(&path).unwrap_err();
    assert_eq!(
        error.to_string(),
        format!(
            "another `ipvsctl run` is already running (it answers on {}); stop it first",
            path.display()
        )
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_stale_socket_is_replaced() {
    let dir = scratch("stale");
    let path = dir.join("ipvsctl.sock");
    drop(std::os::unix::net::UnixListener::bind(&path).unwrap());
    assert!(path.exists());
    socket::bind(&path).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}

/// A daemon of before the versioned protocol: bare words in, the status
/// itself or `{"message": …}` out, an error for anything else.
fn unversioned_daemon(path: &Path) {
    let listener = std::os::unix::net::UnixListener::bind(path).unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let mut stream = stream.unwrap();
            let mut line = String::new();
            std::io::BufRead::read_line(&mut std::io::BufReader::new(&stream), &mut line).unwrap();
            let answer = match line.trim() {
                "status" => "{\n  \"virtuals\": []\n}".to_string(),
                "reload" => r#"{"message":"reload refused: 1 error(s); going on with the old configuration"}"#.to_string(),
                other => serde_json::json!({ "error": format!("unknown request `{other}`") })
                    .to_string(),
            };
            stream.write_all(answer.as_bytes()).unwrap();
        }
    });
}

#[test]
fn a_daemon_of_before_the_versioned_protocol_is_asked_in_its_words() {
    let dir = scratch("unversioned");
    let path = dir.join("ipvsctl.sock");
    unversioned_daemon(&path);
    assert_eq!(
        socket::request(&path, Request::Status).unwrap(),
        Response::Status(Status {
            virtuals: Vec::new()
        })
    );
    assert_eq!(
        socket::request(&path, Request::Reload).unwrap(),
        Response::Reload(ReloadOutcome::Refused { errors: 1 })
    );
    let _ = std::fs::remove_dir_all(&dir);
}
