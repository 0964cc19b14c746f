// SPDX-License-Identifier: MIT OR Apache-2.0
//! `ipvsctl check FILE...` as a user runs it, against real servers on
//! 127.0.0.0/8: busybox's httpd (scripts/test installs busybox-static when
//! missing), listeners that accept and never answer, and closed ports. No
//! kernel: this host has no IPVS, so a command that touched it would fail.

mod common;

use std::io::Read;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{stderr, stdout, write};

fn ipvsctl(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ipvsctl"))
        .args(args)
        .output()
        .unwrap()
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ipvsctl-check-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A port nothing listens on (bound, then let go).
fn closed_port() -> SocketAddr {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}

fn busybox() -> PathBuf {
    ["/usr/bin/busybox", "/bin/busybox", "/usr/sbin/busybox"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
        .expect("busybox not found: scripts/test installs busybox-static")
}

/// busybox httpd in the foreground on 127.0.0.1, serving a folder of its own
/// (`/` says `<p>OK web1</p>`); killed when dropped.
struct Httpd {
    child: Child,
    addr: SocketAddr,
}

impl Httpd {
    fn start(dir: &Path) -> Self {
        let root = dir.join("www");
        std::fs::create_dir_all(&root).unwrap();
        std::fs::write(root.join("index.html"), "<p>OK web1</p>\n").unwrap();
        let addr = closed_port();
        let child = Command::new(busybox())
            .args(["httpd", "-f", "-p", &addr.to_string(), "-h"])
            .arg(&root)
            .stdin(Stdio::null())
            .spawn()
            .unwrap();
        let httpd = Self { child, addr };
        let ready = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(addr).is_err() {
            assert!(
                Instant::now() < ready,
                "busybox httpd did not start on {addr}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        httpd
    }
}

impl Drop for Httpd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Connections held open at once across a set of listeners, and the most
/// ever held.
#[derive(Default)]
struct Held {
    now: AtomicUsize,
    most: AtomicUsize,
}

/// A listener on 127.0.0.1 that accepts and never answers; it holds each
/// connection until the client closes it.
fn hanging(held: &Arc<Held>) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let held = Arc::clone(held);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let held = Arc::clone(&held);
            std::thread::spawn(move || {
                let now = held.now.fetch_add(1, Ordering::SeqCst) + 1;
                held.most.fetch_max(now, Ordering::SeqCst);
                let mut sink = [0u8; 512];
                while matches!(stream.read(&mut sink), Ok(n) if n > 0) {}
                held.now.fetch_sub(1, Ordering::SeqCst);
            });
        }
    });
    addr
}

/// A virtual with a check and reals, as TOML.
fn virtual_toml(name: &str, address: &str, check: &str, reals: &[SocketAddr]) -> String {
    let mut text =
        format!("[[virtual]]\nname = \"{name}\"\naddress = \"{address}\"\ncheck = {check}\n");
    for real in reals {
        text.push_str(&format!("[[virtual.real]]\naddress = \"{real}\"\n"));
    }
    text
}

/// The lines of the text output, each as its columns (two spaces or more
/// apart).
fn rows(out: &Output) -> Vec<Vec<String>> {
    stdout(out)
        .lines()
        .map(|line| {
            line.split("  ")
                .map(str::trim)
                .filter(|cell| !cell.is_empty())
                .map(str::to_string)
                .collect()
        })
        .collect()
}

#[test]
fn every_real_up_exits_0_with_a_line_each() {
    let dir = scratch("up");
    let httpd = Httpd::start(&dir);
    let web = httpd.addr;
    let file = write(
        &dir,
        "up.toml",
        &[
            virtual_toml(
                "www",
                "10.0.0.1:80",
                "{ type = \"http\", receive_regex = \"OK web[0-9]+\" }",
                &[web],
            ),
            virtual_toml(
                "status",
                "10.0.0.1:81",
                "{ type = \"http\", request = \"/missing\", status = \"200-299,404\" }",
                &[web],
            ),
            virtual_toml("tcp", "10.0.0.1:82", "{ type = \"connect\" }", &[web]),
            virtual_toml(
                "script",
                "10.0.0.1:83",
                "{ type = \"external\", command = [\"/bin/true\", \"{ip}\"] }",
                &[web],
            ),
            virtual_toml("none", "10.0.0.1:84", "{ type = \"none\" }", &[web]),
        ]
        .concat(),
    );
    let out = ipvsctl(&["check", &file]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    assert_eq!(stderr(&out), "");
    let rows = rows(&out);
    let web = web.to_string();
    let without_latency: Vec<Vec<&str>> = rows
        .iter()
        .map(|r| r[..r.len() - 1].iter().map(String::as_str).collect())
        .collect();
    assert_eq!(
        without_latency,
        [
            ["tcp 10.0.0.1:80 (www)", &web, "http", "up", "HTTP 200"],
            ["tcp 10.0.0.1:81 (status)", &web, "http", "up", "HTTP 404"],
            ["tcp 10.0.0.1:82 (tcp)", &web, "connect", "up", "connected"],
            [
                "tcp 10.0.0.1:83 (script)",
                &web,
                "external",
                "up",
                "exit status 0"
            ],
            [
                "tcp 10.0.0.1:84 (none)",
                &web,
                "none",
                "up",
                "check type none"
            ],
        ]
    );
    for row in &rows[..4] {
        let latency = row.last().unwrap();
        assert!(
            latency.ends_with(" ms") || latency.ends_with(" s"),
            "{row:?}"
        );
    }
    assert_eq!(rows[4].last().unwrap(), "-", "none probes nothing");
}

#[test]
fn a_down_real_exits_2_and_says_why() {
    let dir = scratch("down");
    let httpd = Httpd::start(&dir);
    let (web, closed) = (httpd.addr, closed_port());
    let file = write(
        &dir,
        "down.toml",
        &[
            virtual_toml(
                "www",
                "10.0.0.1:80",
                "{ type = \"http\", receive_regex = \"OK web[0-9]+\" }",
                &[web, closed],
            ),
            virtual_toml(
                "wrong",
                "10.0.0.1:81",
                "{ type = \"http\", receive_regex = \"OK db[0-9]+\" }",
                &[web],
            ),
            virtual_toml(
                "gone",
                "10.0.0.1:82",
                "{ type = \"http\", request = \"/missing\" }",
                &[web],
            ),
            virtual_toml("off", "10.0.0.1:83", "{ type = \"off\" }", &[web]),
        ]
        .concat(),
    );
    let out = ipvsctl(&["check", &file]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    let rows = rows(&out);
    let health_and_reason: Vec<(&str, &str)> = rows
        .iter()
        .map(|r| (r[3].as_str(), r[4].as_str()))
        .collect();
    assert_eq!(
        health_and_reason,
        [
            ("up", "HTTP 200"),
            ("down", "connect refused"),
            ("down", "body does not match \"OK db[0-9]+\""),
            ("down", "HTTP 404, wanted 2xx or 3xx"),
            ("down", "check type off"),
        ]
    );
    assert_eq!(rows[1][1], closed.to_string());
}

#[test]
fn checks_run_together_each_bounded_and_print_in_the_files_order() {
    let dir = scratch("together");
    let httpd = Httpd::start(&dir);
    let held = Arc::new(Held::default());
    let hung: Vec<SocketAddr> = (0..4).map(|_| hanging(&held)).collect();
    // The hanging reals come first: they end last, at their timeout.
    let file = write(
        &dir,
        "together.toml",
        &[
            virtual_toml(
                "hung",
                "10.0.0.1:80",
                "{ type = \"http\", timeout = 1 }",
                &hung,
            ),
            virtual_toml("www", "10.0.0.1:81", "{ type = \"http\" }", &[httpd.addr]),
        ]
        .concat(),
    );
    let out = ipvsctl(&["check", &file]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    let rows = rows(&out);
    let reals: Vec<String> = rows.iter().map(|r| r[1].clone()).collect();
    let mut wanted: Vec<String> = hung.iter().map(ToString::to_string).collect();
    wanted.push(httpd.addr.to_string());
    assert_eq!(reals, wanted);
    for row in &rows[..4] {
        assert_eq!(row[4], "timed out after 1s", "{row:?}");
    }
    assert_eq!(rows[4][4], "HTTP 200");
    // One after another, no two would have been held open at once.
    assert_eq!(
        held.most.load(Ordering::SeqCst),
        4,
        "the checks ran one by one"
    );
}

#[test]
fn json_says_the_same() {
    let dir = scratch("json");
    let httpd = Httpd::start(&dir);
    let closed = closed_port();
    let file = write(
        &dir,
        "json.toml",
        &virtual_toml(
            "www",
            "10.0.0.1:80",
            "{ type = \"http\", receive = \"OK web1\" }",
            &[httpd.addr, closed],
        ),
    );
    let out = ipvsctl(&["check", "--json", &file]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let answer: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(answer["up"], 1);
    assert_eq!(answer["down"], 1);
    let reals = answer["reals"].as_array().unwrap();
    assert_eq!(reals.len(), 2);
    assert_eq!(reals[0]["virtual"], "tcp 10.0.0.1:80");
    assert_eq!(reals[0]["name"], "www");
    assert_eq!(reals[0]["real"], httpd.addr.to_string());
    assert_eq!(reals[0]["kind"], "http");
    assert_eq!(reals[0]["health"], "up");
    assert_eq!(reals[0]["reason"], "HTTP 200");
    assert!(reals[0]["latency_ms"].as_f64().unwrap() >= 0.0);
    assert_eq!(reals[1]["real"], closed.to_string());
    assert_eq!(reals[1]["health"], "down");
    assert_eq!(reals[1]["reason"], "connect refused");
}

#[test]
fn virtual_and_real_narrow_what_is_checked() {
    let dir = scratch("narrow");
    let httpd = Httpd::start(&dir);
    let closed = closed_port();
    let file = write(
        &dir,
        "narrow.toml",
        &[
            virtual_toml(
                "www",
                "10.0.0.1:80",
                "{ type = \"connect\" }",
                &[httpd.addr, closed],
            ),
            virtual_toml("mail", "10.0.0.1:25", "{ type = \"connect\" }", &[closed]),
        ]
        .concat(),
    );
    let checked = |args: &[&str]| -> (Option<i32>, Vec<String>) {
        let mut all = vec!["check", &file];
        all.extend_from_slice(args);
        let out = ipvsctl(&all);
        let lines = rows(&out)
            .iter()
            .map(|r| format!("{} {}", r[0], r[1]))
            .collect();
        (out.status.code(), lines)
    };
    let web = httpd.addr.to_string();
    let www_web = format!("tcp 10.0.0.1:80 (www) {web}");
    let www_closed = format!("tcp 10.0.0.1:80 (www) {closed}");
    let mail = format!("tcp 10.0.0.1:25 (mail) {closed}");
    assert_eq!(
        checked(&[]),
        (
            Some(2),
            vec![www_web.clone(), www_closed.clone(), mail.clone()]
        )
    );
    for by in ["www", "10.0.0.1:80", "tcp 10.0.0.1:80"] {
        assert_eq!(
            checked(&["--virtual", by]),
            (Some(2), vec![www_web.clone(), www_closed.clone()]),
            "{by}"
        );
    }
    assert_eq!(checked(&["--real", &web]), (Some(0), vec![www_web.clone()]));
    assert_eq!(
        checked(&["--real", "127.0.0.1"]),
        (
            Some(2),
            vec![www_web.clone(), www_closed.clone(), mail.clone()]
        )
    );
    assert_eq!(
        checked(&[
            "--virtual",
            "mail",
            "--virtual",
            "www",
            "--real",
            &closed.to_string()
        ]),
        (Some(2), vec![www_closed, mail])
    );

    let out = ipvsctl(&["check", &file, "--virtual", "ww"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        "error: --virtual ww: no such virtual service in the files\n"
    );
    assert_eq!(stdout(&out), "");
    let out = ipvsctl(&["check", &file, "--real", "127.0.0.9"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        "error: --real 127.0.0.9: no such real server in the files\n"
    );
}

#[test]
fn a_configuration_error_exits_1_with_validates_words() {
    let dir = scratch("bad");
    let bad = write(
        &dir,
        "bad.toml",
        "[[virtual]]\naddress = \"10.0.0.1:80\"\ncheck = { type = \"http\", receive_regex = \"OK (web\" }\n[[virtual.real]]\naddress = \"127.0.0.1:1\"\n",
    );
    let out = ipvsctl(&["check", &bad]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stdout(&out), "");
    assert_eq!(
        stderr(&out),
        format!("error: {bad}:3:42: virtual[0].check.receive_regex: not a regular expression: unclosed group\n")
    );
    assert_eq!(stderr(&out), stderr(&ipvsctl(&["validate", &bad])));
}

#[test]
fn an_ldirectord_receive_is_matched_as_a_regex() {
    let dir = scratch("cf");
    let httpd = Httpd::start(&dir);
    let cf = |receive: &str| {
        format!(
            "virtual=10.0.0.1:80\n\treal={} gate\n\tservice=http\n\tcheckport={}\n\treceive=\"{receive}\"\n\tchecktimeout=2\n",
            httpd.addr.ip(),
            httpd.addr.port()
        )
    };
    let file = write(&dir, "up.cf", &cf("OK web[0-9]+"));
    let out = ipvsctl(&["check", &file]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    assert_eq!(rows(&out)[0][4], "HTTP 200");
    let file = write(&dir, "down.cf", &cf("OK web[a-z]+"));
    let out = ipvsctl(&["check", &file]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    assert_eq!(rows(&out)[0][4], "body does not match \"OK web[a-z]+\"");
}
