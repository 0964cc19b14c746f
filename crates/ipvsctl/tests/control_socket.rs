// SPDX-License-Identifier: MIT OR Apache-2.0
//! The control socket on the host, in a directory of its own: one daemon
//! only, the versioned JSON lines both ways, and what a client that is not
//! understood is told.

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};

use std::os::unix::process::CommandExt;
use std::process::Command;

use ipvsctl::daemon::protocol::{
    Changed, ChangedReal, ReloadOutcome, Request, Response, Selection, Status,
};
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
                Control::Override {
                    request,
                    who,
                    reply,
                } => {
                    let _ = reply.send(overridden(&request, &who));
                }
                Control::Reload(None) | Control::Stop => {}
            }
        }
    });
    path
}

/// The stand-in's answer to an override: the real asked for, in a
/// "virtual" named after who asked (so tests see the peer's name).
fn overridden(request: &Request, who: &str) -> Response {
    let real = match request {
        Request::Drain(s) | Request::Disable(s) | Request::Enable(s) => s.real.clone(),
        Request::Weight(w) => w.selection.real.clone(),
        Request::Status | Request::Reload => return Response::Error("not an override".into()),
    };
    Response::Changed(Changed {
        reals: vec![ChangedReal {
            service: who.to_string(),
            real,
        }],
    })
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
            socket::request(&client, &Request::Status).unwrap(),
            socket::request(&client, &Request::Reload).unwrap(),
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
        socket::request(&path, &Request::Status).unwrap(),
        Response::Status(Status {
            virtuals: Vec::new()
        })
    );
    assert_eq!(
        socket::request(&path, &Request::Reload).unwrap(),
        Response::Reload(ReloadOutcome::Refused { errors: 1 })
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_override_goes_to_the_loop_with_who_asked() {
    let dir = scratch("override");
    let path = serving(&dir).await;
    let drain = Request::Drain(Selection {
        real: "10.0.0.2".into(),
        virtual_: None,
        reason: Some("kernel update".into()),
    });
    let answer = tokio::task::spawn_blocking(move || socket::request(&path, &drain).unwrap())
        .await
        .unwrap();
    // These tests run as root (they need to, to become nobody below).
    assert_eq!(
        answer,
        Response::Changed(Changed {
            reals: vec![ChangedReal {
                service: "root".into(),
                real: "10.0.0.2".into(),
            }],
        })
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// `ipvsctl ARGS` as nobody (uid 65534), in group nogroup (65534), with
/// the socket of `dir`.
fn as_nobody(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_ipvsctl"))
        .args(args)
        .env("IPVSCTL_STATE_DIR", dir)
        .uid(65534)
        .gid(65534)
        .output()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_control_group_may_ask_for_status_and_nothing_else() {
    assert_eq!(
        unsafe { libc::geteuid() },
        0,
        "this test runs as root, to run the client as nobody"
    );
    let dir = scratch("group");
    let path = serving(&dir).await;
    let client = dir.clone();
    // Root's only: nobody cannot even connect.
    let refused = tokio::task::spawn_blocking(move || as_nobody(&client, &["status"]))
        .await
        .unwrap();
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains(&format!(
            "not allowed to use {}: only root, and the members of the daemon's [control] group (for status), may",
            path.display()
        )),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    // Given to nogroup: status, and only status.
    socket::set_access(&path, Some("nogroup")).unwrap();
    let client = dir.clone();
    let (status, drain, reload) = tokio::task::spawn_blocking(move || {
        (
            as_nobody(&client, &["status", "--json"]),
            as_nobody(&client, &["drain", "10.0.0.2"]),
            as_nobody(&client, &["reload"]),
        )
    })
    .await
    .unwrap();
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&status.stdout).unwrap(),
        serde_json::json!({ "virtuals": [] })
    );
    assert_eq!(drain.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&drain.stderr),
        "error: the daemon says: only root may drain (you are nobody); \
         the control group may only ask for status\n"
    );
    assert_eq!(reload.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&reload.stderr).contains("only root may reload"));
    // A directory the group cannot get through: said.
    std::fs::set_permissions(&dir, std::os::unix::fs::PermissionsExt::from_mode(0o700)).unwrap();
    let error = socket::set_access(&path, Some("nogroup")).unwrap_err();
    assert_eq!(
        error.to_string(),
        format!(
            "group nogroup cannot reach {}: {} is mode 0700 (make it 0755, \
             e.g. RuntimeDirectoryMode=0755 in the systemd unit)",
            path.display(),
            dir.display()
        )
    );
    std::fs::set_permissions(&dir, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    // An unknown group: refused, the socket stays as it was.
    let error = socket::set_access(&path, Some("no-such-group-here")).unwrap_err();
    assert_eq!(
        error.to_string(),
        "no group `no-such-group-here` ([control] group); the socket stays root's only"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// `ipvsctl ARGS` with the socket of `dir`.
fn ipvsctl_in(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_ipvsctl"))
        .args(args)
        .env("IPVSCTL_STATE_DIR", dir)
        .output()
        .unwrap()
}

#[test]
fn with_no_daemon_running_the_override_commands_say_so() {
    let dir = scratch("no-daemon");
    for args in [
        &["drain", "10.0.0.2"][..],
        &["disable", "10.0.0.2:80", "--virtual", "www"],
        &["enable", "10.0.0.2"],
        &["weight", "10.0.0.2", "3"],
    ] {
        let out = ipvsctl_in(&dir, args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert_eq!(
            String::from_utf8_lossy(&out.stderr),
            format!(
                "error: no ipvsctl daemon answers on {}/ipvsctl.sock (is `ipvsctl run` running?): \
                 No such file or directory (os error 2)\n",
                dir.display()
            ),
            "{args:?}"
        );
    }
    // Refused before asking anything.
    let out = ipvsctl_in(&dir, &["drain", "10.0.0.2", "--wait=5x"]);
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "error: --wait=5x: not a time (300, 90s, 5m, 1h)\n"
    );
    let out = ipvsctl_in(&dir, &["weight", "10.0.0.2", "70000"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("70000 is not in 0..=65535"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_clients_make_room_for_one_that_asks_the_oldest_first() {
    let dir = scratch("bound");
    let path = dir.join("ipvsctl.sock");
    let listener = socket::bind(&path).unwrap();
    let (controls, mut orders) = mpsc::unbounded_channel();
    tokio::spawn(socket::serve(listener, controls));
    // Clients that connect and say nothing: every slot taken.
    let mut idle: Vec<UnixStream> = (0..socket::MAX_CONNECTIONS)
        .map(|_| UnixStream::connect(&path).unwrap())
        .collect();
    // One more asks for the status: the oldest idle client makes room.
    let mut late = UnixStream::connect(&path).unwrap();
    late.write_all(b"{\"version\":1,\"request\":\"status\"}\n")
        .unwrap();
    let order = tokio::time::timeout(std::time::Duration::from_secs(30), orders.recv())
        .await
        .expect("served while the idle clients wait")
        .expect("the server is running");
    assert!(matches!(order, Control::Status(_)));
    // The oldest was closed, the next one still waits for its turn.
    let mut byte = [0u8; 1];
    idle[0]
        .set_read_timeout(Some(std::time::Duration::from_secs(30)))
        .unwrap();
    assert_eq!(idle[0].read(&mut byte).unwrap(), 0, "the oldest is closed");
    idle[1].set_nonblocking(true).unwrap();
    let next = idle[1].read(&mut byte).map_err(|e| e.kind());
    assert_eq!(
        next,
        Err(std::io::ErrorKind::WouldBlock),
        "the next one is open"
    );
    drop(idle);
    let _ = std::fs::remove_dir_all(&dir);
}
