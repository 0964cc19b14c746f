// SPDX-License-Identifier: MIT OR Apache-2.0
//! One check at a time (`check_once`) against real servers on 127.0.0.1.

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use common::*;
use config::model::StatusCodes;
use health::{check_once, CheckKind, CheckResult, HttpCheck};

/// Runs one check, failing the test if it is not over in 10 s (every check
/// here has a timeout of at most 1 s).
async fn once(t: &Target) -> CheckResult {
    tokio::time::timeout(Duration::from_secs(10), check_once(t))
        .await
        .expect("the check outlived its timeout")
}

fn with_timeout(mut t: Target, ms: u64) -> Target {
    t.check.timeout = Duration::from_millis(ms);
    t
}

fn assert_ok(r: &CheckResult, starts: &str) {
    assert!(r.ok, "{r:?}");
    assert!(r.detail.starts_with(starts), "{r:?}");
    assert!(
        r.detail.contains(" in ") && r.detail.ends_with(" ms"),
        "{r:?}"
    );
}

// connect

#[tokio::test]
async fn connect_succeeds() {
    let r = once(&target(accepting().await, check(CheckKind::Connect))).await;
    assert_ok(&r, "connected in ");
}

#[tokio::test]
async fn connect_refused() {
    let r = once(&target(refused().await, check(CheckKind::Connect))).await;
    assert_failed(&r, "connect refused");
}

#[tokio::test]
async fn connect_uses_the_check_port_on_the_real_address() {
    let open = accepting().await;
    let mut c = check(CheckKind::Connect);
    c.port = Some(open.port());
    let r = once(&target(refused().await, c.clone())).await;
    assert!(r.ok, "{r:?}");
    c.port = Some(refused().await.port());
    let r = once(&target(open, c)).await;
    assert_failed(&r, "connect refused");
}

#[tokio::test]
async fn connect_to_a_full_backlog_times_out() {
    let (addr, _listener, _fillers) = unaccepting().await;
    let r = once(&with_timeout(target(addr, check(CheckKind::Connect)), 300)).await;
    assert_failed(&r, "timed out after 300ms");
}

// http

fn http_target(addr: SocketAddr, h: HttpCheck) -> Target {
    target(addr, check(CheckKind::Http(h)))
}

#[tokio::test]
async fn http_200_with_the_wanted_body() {
    let (addr, _) = http_server(response("200 OK", "", "all OK here")).await;
    let mut h = http("/health");
    h.receive = Some("OK".into());
    assert_ok(&once(&http_target(addr, h)).await, "HTTP 200 in ");
}

#[tokio::test]
async fn http_sends_method_path_host_and_connection_close() {
    let (addr, mut heads) = http_server(response("200 OK", "", "OK")).await;
    let mut h = http("/status?full=1");
    h.host = Some("www.example.test".into());
    assert!(once(&http_target(addr, h.clone())).await.ok);
    let head = heads.recv().await.unwrap().to_ascii_lowercase();
    assert!(
        head.starts_with("get /status?full=1 http/1.1\r\n"),
        "{head}"
    );
    assert!(head.contains("\r\nhost: www.example.test\r\n"), "{head}");
    assert!(head.contains("\r\nconnection: close\r\n"), "{head}");

    // Default Host: the address checked. HEAD when asked.
    h.host = None;
    h.method = "HEAD".into();
    assert!(once(&http_target(addr, h)).await.ok);
    let head = heads.recv().await.unwrap().to_ascii_lowercase();
    assert!(
        head.starts_with("head /status?full=1 http/1.1\r\n"),
        "{head}"
    );
    assert!(head.contains(&format!("\r\nhost: {addr}\r\n")), "{head}");
}

#[tokio::test]
async fn http_does_not_reuse_connections() {
    let (addr, mut heads) = http_server(response("200 OK", "", "OK")).await;
    let t = http_target(addr, http("/"));
    for _ in 0..3 {
        assert!(once(&t).await.ok);
    }
    // The server answers one request per connection and closes: three
    // heads means three connections.
    for _ in 0..3 {
        assert!(heads.recv().await.is_some());
    }
}

#[tokio::test]
async fn http_500_fails() {
    let (addr, _) = http_server(response("500 Internal Server Error", "", "oops")).await;
    let r = once(&http_target(addr, http("/"))).await;
    assert_failed(&r, "HTTP 500, wanted 2xx or 3xx");
}

#[tokio::test]
async fn http_wrong_body_fails() {
    let (addr, _) = http_server(response("200 OK", "", "maintenance")).await;
    let mut h = http("/");
    h.receive = Some("OK".into());
    let r = once(&http_target(addr, h)).await;
    assert_failed(&r, "body lacks \"OK\"");
}

#[tokio::test]
async fn http_301_is_ok_by_default_and_not_followed() {
    let (addr, mut heads) = http_server(response(
        "301 Moved Permanently",
        "Location: /elsewhere\r\n",
        "",
    ))
    .await;
    let r = once(&http_target(addr, http("/"))).await;
    assert_ok(&r, "HTTP 301 in ");
    assert!(heads.recv().await.unwrap().starts_with("GET / "));
    assert!(heads.try_recv().is_err(), "the redirect was followed");

    let mut h = http("/");
    h.status = StatusCodes::one(200);
    let r = once(&http_target(addr, h)).await;
    assert_failed(&r, "HTTP 301, wanted 200");
}

#[tokio::test]
async fn http_wanted_status() {
    let (addr, _) = http_server(response("404 Not Found", "", "")).await;
    let mut h = http("/");
    h.status = StatusCodes::one(404);
    assert_ok(&once(&http_target(addr, h)).await, "HTTP 404 in ");
}

#[tokio::test]
async fn http_refused() {
    let r = once(&http_target(refused().await, http("/"))).await;
    assert_failed(&r, "connect refused");
}

#[tokio::test]
async fn http_hang_times_out() {
    let r = once(&with_timeout(http_target(hanging().await, http("/")), 300)).await;
    assert_failed(&r, "timed out after 300ms");
}

#[tokio::test]
async fn http_slow_answer_times_out() {
    let addr = slow(Duration::from_secs(3)).await;
    let r = once(&with_timeout(http_target(addr, http("/")), 300)).await;
    assert_failed(&r, "timed out after 300ms");
}

#[tokio::test]
async fn http_garbage_fails() {
    let r = once(&http_target(garbage().await, http("/"))).await;
    assert!(!r.ok, "{r:?}");
    assert!(r.detail.starts_with("HTTP: "), "{r:?}");
}

#[tokio::test]
async fn http_closed_without_answer_fails() {
    let r = once(&http_target(accepting().await, http("/"))).await;
    assert!(!r.ok, "{r:?}");
    assert!(r.detail.starts_with("HTTP: "), "{r:?}");
}

#[tokio::test]
async fn http_endless_body_is_read_up_to_64_kib_only() {
    let (addr, _written) = endless("start ").await;
    let mut h = http("/");
    h.receive = Some("NEVER".into());
    // A long timeout: the check must end at 64 KiB, not at the timeout.
    let r = once(&with_timeout(http_target(addr, h), 5_000)).await;
    assert_failed(&r, "body lacks \"NEVER\" in its first 64 KiB");

    let mut h = http("/");
    h.receive = Some("start".into());
    assert_ok(&once(&http_target(addr, h)).await, "HTTP 200 in ");

    // Without `receive` the body is not read at all.
    assert_ok(&once(&http_target(addr, http("/"))).await, "HTTP 200 in ");
}

#[tokio::test]
async fn http_endless_slow_body_times_out() {
    // A body that trickles forever: the timeout bounds the whole check.
    let addr = serve(|mut s| async move {
        use tokio::io::AsyncWriteExt;
        read_head(&mut s).await;
        let _ = s.write_all(b"HTTP/1.1 200 OK\r\n\r\n").await;
        while s.write_all(b"x").await.is_ok() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    let mut h = http("/");
    h.receive = Some("NEVER".into());
    let r = once(&with_timeout(http_target(addr, h), 300)).await;
    assert_failed(&r, "timed out after 300ms");
}

#[tokio::test]
async fn http_endless_interim_responses_are_bounded() {
    // `100 Continue` forever, never a final answer: the check ends at the
    // bound on the whole answer, long before its timeout.
    let addr = serve(|mut s| async move {
        use tokio::io::AsyncWriteExt;
        read_head(&mut s).await;
        let interim = b"HTTP/1.1 100 Continue\r\n\r\n".repeat(256);
        while s.write_all(&interim).await.is_ok() {}
    })
    .await;
    let r = once(&with_timeout(http_target(addr, http("/")), 8_000)).await;
    assert_failed(
        &r,
        "HTTP: answer longer than 256 KiB (head and interim 1xx responses included)",
    );
}

#[tokio::test]
async fn http_an_endless_header_is_bounded() {
    let addr = serve(|mut s| async move {
        use tokio::io::AsyncWriteExt;
        read_head(&mut s).await;
        let _ = s.write_all(b"HTTP/1.1 200 OK\r\nX-Long: ").await;
        while s.write_all(&[b'a'; 4096]).await.is_ok() {}
    })
    .await;
    let r = once(&with_timeout(http_target(addr, http("/")), 8_000)).await;
    assert!(!r.ok, "{r:?}");
    assert!(!r.detail.contains("timed out"), "{r:?}");
}

// external

fn external(words: &[&str]) -> CheckKind {
    CheckKind::External(words.iter().map(|w| w.to_string()).collect())
}

fn external_target(words: &[&str]) -> Target {
    target("127.0.0.1:8080".parse().unwrap(), check(external(words)))
}

#[tokio::test]
async fn external_exit_status_decides() {
    assert_ok(
        &once(&external_target(&["/bin/true"])).await,
        "exit status 0 in ",
    );
    assert_failed(
        &once(&external_target(&["/bin/false"])).await,
        "exit status 1",
    );
}

#[tokio::test]
async fn external_placeholders_arrive_as_arguments() {
    let script = r#"test "$1" = 127.0.0.1 && test "$2" = 8080 && test "$3" = 10.0.0.100 && test "$4" = 80 && test "$5" = "http://127.0.0.1:8080/{x}""#;
    let argv = [
        "/bin/sh",
        "-c",
        script,
        "sh",
        "{ip}",
        "{port}",
        "{vip}",
        "{vport}",
        "http://{ip}:{port}/{x}",
    ];
    assert_ok(&once(&external_target(&argv)).await, "exit status 0 in ");
    // {port} is the port checked: check.port when set.
    let mut t = external_target(&["/bin/sh", "-c", r#"test "$1" = 9999"#, "sh", "{port}"]);
    t.check.port = Some(9999);
    assert!(once(&t).await.ok);
    let mut t = external_target(&["/bin/sh", "-c", r#"test "$1" = 8080"#, "sh", "{port}"]);
    t.check.port = Some(9999);
    assert_failed(&once(&t).await, "exit status 1");
}

#[tokio::test]
async fn external_runs_without_a_shell() {
    // `$HOME` and `;` reach the program as they are.
    let t = external_target(&["/bin/sh", "-c", r#"test "$1" = '$HOME;x'"#, "sh", "$HOME;x"]);
    assert!(once(&t).await.ok);
}

#[tokio::test]
async fn external_keeps_the_first_line_of_stderr() {
    let t = external_target(&[
        "/bin/sh",
        "-c",
        "echo 'backend 3 down' >&2; echo more >&2; exit 3",
    ]);
    assert_failed(&once(&t).await, "exit status 3: backend 3 down");
}

#[tokio::test]
async fn external_killed_by_a_signal() {
    let t = external_target(&["/bin/sh", "-c", "kill -9 $$"]);
    assert_failed(&once(&t).await, "killed by signal 9");
}

#[tokio::test]
async fn external_missing_program() {
    let r = once(&external_target(&["/nonexistent/check"])).await;
    assert!(!r.ok);
    assert!(
        r.detail.starts_with("cannot run /nonexistent/check: "),
        "{r:?}"
    );
}

#[tokio::test]
async fn external_is_killed_at_the_timeout_with_its_children_and_reaped() {
    let dir = std::env::temp_dir().join(format!("health-kill-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (me, kid) = (dir.join("sh.pid"), dir.join("sleep.pid"));
    let t = external_target(&[
        "/bin/sh",
        "-c",
        r#"echo $$ > "$1"; sleep 30 & echo $! > "$2"; wait"#,
        "sh",
        me.to_str().unwrap(),
        kid.to_str().unwrap(),
    ]);
    let r = once(&with_timeout(t, 500)).await;
    assert_failed(&r, "timed out after 500ms");
    let pid = |p: &std::path::Path| -> u32 {
        std::fs::read_to_string(p).unwrap().trim().parse().unwrap()
    };
    let (sh, sleep) = (pid(&me), pid(&kid));
    // The shell was our child: killed and reaped, so no /proc entry at all
    // (a zombie would still have one, with us as its parent).
    let path = format!("/proc/{sh}/stat");
    let still = std::fs::read_to_string(&path).ok();
    assert!(
        still
            .as_ref()
            .is_none_or(|s| !s.contains(&format!(" {} ", std::process::id()))),
        "the shell is still ours: {still:?}"
    );
    // The sleep, its child in the same process group, was killed too (it
    // may linger a moment as a zombie of whoever adopted it).
    common::until(5, "sleep killed", || {
        std::fs::read_to_string(format!("/proc/{sleep}/stat"))
            .map(|s| s[s.rfind(')').unwrap() + 2..].starts_with('Z'))
            .unwrap_or(true)
    })
    .await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn external_with_a_grandchild_holding_stderr_still_ends_at_exit() {
    // The program exits 1 at once but leaves a child holding stderr open:
    // the check ends with the exit, not at the timeout.
    let t = external_target(&["/bin/sh", "-c", "echo failing >&2; (sleep 5 &) ; exit 1"]);
    let r = once(&with_timeout(t, 3_000)).await;
    // Not "timed out after 3s": it did not wait for the grandchild.
    assert_failed(&r, "exit status 1: failing");
}

#[tokio::test]
async fn external_leaves_no_background_child_behind() {
    // The program exits 0 at once, leaving a child in its process group:
    // once the program has ended, its group is killed.
    let dir = std::env::temp_dir().join(format!("health-leak-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let kid = dir.join("sleep.pid");
    let t = external_target(&[
        "/bin/sh",
        "-c",
        r#"sleep 31 & echo $! > "$1"; exit 0"#,
        "sh",
        kid.to_str().unwrap(),
    ]);
    assert_ok(&once(&t).await, "exit status 0 in ");
    let sleep: u32 = std::fs::read_to_string(&kid)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    common::until(5, "the background sleep killed", || {
        std::fs::read_to_string(format!("/proc/{sleep}/stat"))
            .map(|s| s[s.rfind(')').unwrap() + 2..].starts_with('Z'))
            .unwrap_or(true)
    })
    .await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn external_gets_a_clean_environment() {
    // What the program sees, written by `env`: the kept variables only
    // (and what sh itself adds), not the daemon's others.
    let dir = std::env::temp_dir().join(format!("health-env-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let seen = dir.join("env");
    let t = external_target(&[
        "/bin/sh",
        "-c",
        r#"env > "$1""#,
        "sh",
        seen.to_str().unwrap(),
    ]);
    assert_ok(&once(&t).await, "exit status 0 in ");
    let names: Vec<String> = std::fs::read_to_string(&seen)
        .unwrap()
        .lines()
        .filter_map(|l| l.split_once('=').map(|(n, _)| n.to_string()))
        .collect();
    assert!(names.iter().any(|n| n == "PATH"), "{names:?}");
    let by_sh = ["PWD", "OLDPWD", "SHLVL", "_"];
    let others: Vec<&String> = names
        .iter()
        .filter(|n| !health::child::kept_variable(std::ffi::OsStr::new(n.as_str())))
        .filter(|n| !by_sh.contains(&n.as_str()))
        .collect();
    assert!(others.is_empty(), "leaked: {others:?}");
    // The test's own environment has more than that (cargo sets CARGO_*).
    assert!(std::env::vars_os().any(|(n, _)| !health::child::kept_variable(&n)));
    let _ = std::fs::remove_dir_all(&dir);
}

// none / off

#[tokio::test]
async fn none_and_off_probe_nothing() {
    let r = once(&target(refused().await, check(CheckKind::None))).await;
    assert!(r.ok && r.detail == "check type none", "{r:?}");
    let r = once(&target(accepting().await, check(CheckKind::Off))).await;
    assert!(!r.ok && r.detail == "check type off", "{r:?}");
}
