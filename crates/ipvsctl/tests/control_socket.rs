// SPDX-License-Identifier: MIT OR Apache-2.0
//! The control socket on the host, under an abstract name (or in a
//! directory) of each test's own: one daemon only, the versioned JSON
//! lines both ways, what a client that is not understood is told, and who
//! may do what by the peer's credentials.

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};

use std::os::unix::process::CommandExt;
use std::process::Command;

use ipvsctl::daemon::protocol::{
    Changed, ChangedReal, ReloadOutcome, Request, Response, ResyncReport, Selection, Status,
};
use ipvsctl::daemon::socket::{Access, Address};
use ipvsctl::daemon::{socket, Control};
use ipvsctl::netns::Namespace;
use tokio::sync::mpsc;

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ipvsctl-socket-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// An abstract socket name of this test's own.
fn abstract_name(name: &str) -> Address {
    Address::Abstract(format!("ipvsctl-test-{}-{name}", std::process::id()))
}

/// A socket served by a stand-in for the loop: status is empty, a reload
/// is refused with one error; root's only.
async fn serving(address: &Address) -> Access {
    let access = Access::root_only();
    serving_with(address, access.clone()).await;
    access
}

/// [`serving`], `access` saying who may do what.
async fn serving_with(address: &Address, access: Access) {
    let listener = address.bind().unwrap();
    let (controls, mut orders) = mpsc::unbounded_channel();
    tokio::spawn(socket::serve(listener, controls, access));
    tokio::spawn(async move {
        while let Some(order) = orders.recv().await {
            match order {
                Control::Status(reply) => {
                    let _ = reply.send(Status {
                        virtuals: Vec::new(),
                        resync: None,
                        announce: None,
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
                Control::Resync(reply) => {
                    let _ = reply.send(resynced());
                }
                Control::Reload(None) | Control::Stop => {}
            }
        }
    });
}

/// The stand-in's answer to an override: the real asked for, in a
/// "virtual" named after who asked (so tests see the peer's name).
fn overridden(request: &Request, who: &str) -> Response {
    let real = match request {
        Request::Drain(s) | Request::Disable(s) | Request::Enable(s) => s.real.clone(),
        Request::Weight(w) => w.selection.real.clone(),
        Request::DrainDirector | Request::EnableDirector => {
            return Response::Director(ipvsctl::daemon::protocol::DirectorState {
                drained: matches!(request, Request::DrainDirector),
                announced: Vec::new(),
            })
        }
        Request::Status | Request::Reload | Request::Resync => {
            return Response::Error("not an override".into())
        }
    };
    Response::Changed(Changed {
        reals: vec![ChangedReal {
            service: who.to_string(),
            real,
        }],
    })
}

/// The stand-in's report of a resync: one repair.
fn resynced() -> ResyncReport {
    ResyncReport {
        at_unix: 1.0,
        read_ms: 2.0,
        loop_ms: 0.5,
        cpu_ms: 0.4,
        services: 1,
        repairs: vec![
            "tcp 10.0.0.1:80: real 10.0.0.2:80 had weight 0, declared 1 \
                       (changed outside ipvsctl); restored"
                .into(),
        ],
        error: None,
    }
}

/// One raw line in, the raw answer out.
fn exchange(address: &Address, line: &str) -> String {
    let mut stream = address.connect().unwrap();
    stream.write_all(line.as_bytes()).unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    answer
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_and_answers_are_versioned_json_lines() {
    let path = abstract_name("lines");
    serving(&path).await;
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
            virtuals: Vec::new(),
            resync: None,
            announce: None,
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
}

/// `pid N, net:[…]` of this test process, which holds the sockets.
fn this_process() -> String {
    format!(
        "pid {}, {}",
        std::process::id(),
        Namespace::current().unwrap()
    )
}

#[tokio::test]
async fn a_second_daemon_in_the_namespace_is_refused_and_told_who_holds_it() {
    let address = abstract_name("second");
    serving(&address).await;
    let error = address.bind().unwrap_err();
    assert_eq!(
        error.to_string(),
        format!(
            "another `ipvsctl run` is already running in this network namespace ({}); \
             stop it first",
            this_process()
        )
    );
    // A socket file (tests): the same, and where it answers.
    let dir = scratch("second");
    let path = Address::Path(dir.join("ipvsctl.sock"));
    serving(&path).await;
    let error = path.bind().unwrap_err();
    assert_eq!(
        error.to_string(),
        format!(
            "another `ipvsctl run` is already running ({}; it answers on {path}); stop it first",
            this_process()
        )
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn the_name_goes_with_its_daemon() {
    let address = abstract_name("freed");
    let listener = address.bind().unwrap();
    assert!(address.holder().is_some());
    drop(listener);
    assert_eq!(address.holder(), None);
    address.bind().unwrap();
}

#[tokio::test]
async fn a_stale_socket_file_is_replaced() {
    let dir = scratch("stale");
    let path = dir.join("ipvsctl.sock");
    drop(std::os::unix::net::UnixListener::bind(&path).unwrap());
    assert!(path.exists());
    Address::Path(path).bind().unwrap();
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
    let file = dir.join("ipvsctl.sock");
    unversioned_daemon(&file);
    let path = Address::Path(file);
    assert_eq!(
        socket::request(&path, &Request::Status).unwrap(),
        Response::Status(Status {
            virtuals: Vec::new(),
            resync: None,
            announce: None,
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
    let path = abstract_name("override");
    serving(&path).await;
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
}

/// `ipvsctl ARGS` with the socket `address`, as uid 65534 (nobody) with
/// gid `gid` and supplementary groups `groups`.
fn as_nobody(address: &Address, gid: u32, groups: &[u32], args: &[&str]) -> std::process::Output {
    let groups = groups.to_vec();
    let mut command = Command::new(env!("CARGO_BIN_EXE_ipvsctl"));
    command
        .args(args)
        .env("IPVSCTL_SOCKET", address.to_string());
    // SAFETY: only async-signal-safe calls between fork and exec.
    unsafe {
        command.pre_exec(move || {
            if libc::setgroups(groups.len(), groups.as_ptr()) != 0
                || libc::setgid(gid) != 0
                || libc::setuid(65534) != 0
            {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    command.output().unwrap()
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

const NOGROUP: u32 = 65534;
const DAEMON: u32 = 1;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_control_group_may_ask_for_status_and_nothing_else() {
    assert_eq!(
        unsafe { libc::geteuid() },
        0,
        "this test runs as root, to run the client as nobody"
    );
    let address = abstract_name("group");
    let access = serving(&address).await;
    let asks = |gid: u32, groups: &'static [u32], args: &'static [&'static str]| {
        let address = address.clone();
        tokio::task::spawn_blocking(move || as_nobody(&address, gid, groups, args))
    };
    // Root's only: nobody is refused, even status.
    let refused = asks(NOGROUP, &[], &["status"]).await.unwrap();
    assert_eq!(refused.status.code(), Some(1));
    assert_eq!(
        stderr(&refused),
        "error: the daemon says: only root may use the control socket (you are nobody); \
         the daemon's [control] group would let a group ask for status\n"
    );
    // Given to nogroup: status, and only status, to its members by gid
    // and by supplementary group.
    access.set_group(Some("nogroup")).unwrap();
    for (gid, groups) in [(NOGROUP, &[][..]), (DAEMON, &[NOGROUP][..])] {
        let status = asks(gid, groups, &["status", "--json"]).await.unwrap();
        assert!(status.status.success(), "{}", stderr(&status));
        assert_eq!(
            serde_json::from_slice::<serde_json::Value>(&status.stdout).unwrap(),
            serde_json::json!({ "virtuals": [] })
        );
        let drain = asks(gid, groups, &["drain", "10.0.0.2"]).await.unwrap();
        assert_eq!(drain.status.code(), Some(1));
        assert_eq!(
            stderr(&drain),
            "error: the daemon says: only root may drain (you are nobody); \
             the control group may only ask for status\n"
        );
        let reload = asks(gid, groups, &["reload"]).await.unwrap();
        assert_eq!(reload.status.code(), Some(1));
        assert!(stderr(&reload).contains("only root may reload"));
        let resync = asks(gid, groups, &["resync"]).await.unwrap();
        assert_eq!(resync.status.code(), Some(1));
        assert!(stderr(&resync).contains("only root may resync"));
    }
    // Not a member: refused.
    let stranger = asks(DAEMON, &[], &["status"]).await.unwrap();
    assert_eq!(stranger.status.code(), Some(1));
    assert_eq!(
        stderr(&stranger),
        "error: the daemon says: only root, and the members of group nogroup (the daemon's \
         [control] group) for status, may use the control socket (you are nobody)\n"
    );
    // An unknown group: root's only again.
    let error = access.set_group(Some("no-such-group-here")).unwrap_err();
    assert_eq!(
        error.to_string(),
        "no group `no-such-group-here` ([control] group); the socket stays root's only"
    );
    let refused = asks(NOGROUP, &[], &["status"]).await.unwrap();
    assert!(stderr(&refused).contains("only root may use the control socket"));
}

/// `ipvsctl ARGS` with the socket `address`.
fn ipvsctl_on(address: &Address, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_ipvsctl"))
        .args(args)
        .env("IPVSCTL_SOCKET", address.to_string())
        .output()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apply_remove_and_flush_stand_back_while_a_daemon_manages_the_namespace() {
    let address = abstract_name("guard");
    let dir = scratch("guard");
    // A file with an error: past the guard, apply and remove stop at it,
    // before any kernel access.
    let broken = dir.join("broken.toml");
    std::fs::write(
        &broken,
        "[[virtual]]\naddress = \"127.0.0.1:80\"\nschedule = \"rr\"\n",
    )
    .unwrap();
    let broken = broken.to_str().unwrap().to_string();
    let run = |args: Vec<String>| {
        let address = address.clone();
        tokio::task::spawn_blocking(move || {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            ipvsctl_on(&address, &args)
        })
    };
    let words = |line: &str| -> Vec<String> {
        line.split_whitespace()
            .map(|w| {
                if w == "FILE" {
                    broken.clone()
                } else {
                    w.to_string()
                }
            })
            .collect()
    };
    let guard = "an ipvsctl daemon manages this network namespace";
    // No daemon: each goes on to its own error.
    for line in ["apply FILE", "remove FILE", "flush"] {
        let out = run(words(line)).await.unwrap();
        assert_eq!(out.status.code(), Some(1), "{line}");
        assert!(!stderr(&out).contains(guard), "{line}: {}", stderr(&out));
    }
    serving(&address).await;
    let holder = this_process();
    for (line, advice) in [
        ("apply FILE", "`ipvsctl reload` has it re-read its files; `ipvsctl apply --force` applies all the same"),
        ("remove FILE", "it would put the services back. Stop it first, then remove; `ipvsctl remove --force` removes them all the same"),
        ("flush --yes", "it would put its services back. Stop it first, then flush; `ipvsctl flush --yes --force` flushes all the same"),
    ] {
        let out = run(words(line)).await.unwrap();
        assert_eq!(out.status.code(), Some(1), "{line}");
        let said = stderr(&out);
        assert!(said.starts_with(&format!("error: {guard} ({holder}): ")), "{line}: {said}");
        assert!(said.contains(advice), "{line}: {said}");
    }
    // --force: past the guard, to the file's error (or flush's --yes).
    for line in ["apply FILE --force", "remove --force FILE", "flush --force"] {
        let out = run(words(line)).await.unwrap();
        assert_eq!(out.status.code(), Some(1), "{line}");
        let said = stderr(&out);
        assert!(!said.contains(guard), "{line}: {said}");
        assert!(
            said.contains("schedule") || said.contains("--yes"),
            "{line}: {said}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn with_no_daemon_running_the_override_commands_say_so() {
    let address = abstract_name("no-daemon");
    for args in [
        &["drain", "10.0.0.2"][..],
        &["disable", "10.0.0.2:80", "--virtual", "www"],
        &["enable", "10.0.0.2"],
        &["weight", "10.0.0.2", "3"],
    ] {
        let out = ipvsctl_on(&address, args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert_eq!(
            String::from_utf8_lossy(&out.stderr),
            format!(
                "error: no ipvsctl daemon answers on {address} in {} (is `ipvsctl run` running?): \
                 Connection refused (os error 111)\n",
                Namespace::current().unwrap()
            ),
            "{args:?}"
        );
    }
    // Refused before asking anything.
    let out = ipvsctl_on(&address, &["drain", "10.0.0.2", "--wait=5x"]);
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "error: --wait=5x: not a time (300, 90s, 5m, 1h)\n"
    );
    let out = ipvsctl_on(&address, &["weight", "10.0.0.2", "70000"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("70000 is not in 0..=65535"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_clients_make_room_for_one_that_asks_the_oldest_first() {
    let path = abstract_name("bound");
    let listener = path.bind().unwrap();
    let (controls, mut orders) = mpsc::unbounded_channel();
    tokio::spawn(socket::serve(listener, controls, Access::root_only()));
    // Clients that connect and say nothing: every slot taken.
    let mut idle: Vec<UnixStream> = (0..socket::MAX_CONNECTIONS)
        .map(|_| path.connect().unwrap())
        .collect();
    // One more asks for the status: the oldest idle client makes room.
    let mut late = path.connect().unwrap();
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
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_pid_names_the_process_that_answers() {
    let address = abstract_name("pid");
    let asked = address.clone();
    let none = tokio::task::spawn_blocking(move || ipvsctl_on(&asked, &["status", "--pid"]))
        .await
        .unwrap();
    assert_eq!(none.status.code(), Some(1));
    assert!(stderr(&none).starts_with(&format!("error: no ipvsctl daemon answers on {address}")));
    serving(&address).await;
    let asked = address.clone();
    let out = tokio::task::spawn_blocking(move || ipvsctl_on(&asked, &["status", "--pid"]))
        .await
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("{}\n", std::process::id())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resync_goes_to_the_loop_and_its_report_comes_back() {
    let address = abstract_name("resync");
    serving(&address).await;
    let client = address.clone();
    let (answer, raw) = tokio::task::spawn_blocking(move || {
        (
            socket::request(&client, &Request::Resync).unwrap(),
            exchange(&client, "{\"version\":1,\"request\":\"resync\"}\n"),
        )
    })
    .await
    .unwrap();
    assert_eq!(answer, Response::Resync(resynced()));
    assert!(
        raw.starts_with("{\"version\":1,\"response\":{\"resync\":{\"at_unix\":1.0,"),
        "{raw}"
    );
    let cli = tokio::task::spawn_blocking(move || ipvsctl_on(&address, &["resync"]))
        .await
        .unwrap();
    assert!(cli.status.success());
    assert_eq!(
        String::from_utf8_lossy(&cli.stdout),
        "tcp 10.0.0.1:80: real 10.0.0.2:80 had weight 0, declared 1 (changed outside ipvsctl); \
         restored\n1 of 1 difference(s) repaired (1 managed services, read in 2.0 ms)\n"
    );
}
