// SPDX-License-Identifier: MIT OR Apache-2.0
//! The line-protocol checks against the real servers (dovecot for IMAP,
//! POP3 and submission, exim for SMTP, vsftpd for FTP; see
//! `mail/servers.rs`), and every kind against a closed port, a server that
//! accepts and hangs, one that sends garbage, and one that sends an
//! endless line. NNTP runs against a stand-in (no Debian NNTP server runs
//! here unconfigured: inn2's setup needs a fully qualified host name).

mod common;
#[path = "mail/servers.rs"]
mod servers;

use std::net::SocketAddr;
use std::time::Duration;

use common::{check, cpu, refused, serve, target, Target};
use config::model::{Pattern, Receive};
use health::{check_once, CheckKind, CheckResult, FtpCheck, FtpFetch, Login, MailCheck, MailTls};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

use servers::{PASSWORD, USER};

async fn once(t: &Target) -> CheckResult {
    tokio::time::timeout(Duration::from_secs(20), check_once(t))
        .await
        .expect("the check outlived its timeout")
}

/// A check of `kind` on `addr`, with a timeout of 5 s.
async fn run(addr: SocketAddr, kind: CheckKind) -> CheckResult {
    run_within(addr, kind, 5000).await
}

/// A check of `kind` on `addr`, with a timeout of `ms`.
async fn run_within(addr: SocketAddr, kind: CheckKind, ms: u64) -> CheckResult {
    let mut c = check(kind);
    c.timeout = Duration::from_millis(ms);
    once(&target(addr, c)).await
}

fn login(user: &str, password: &str) -> Option<Login> {
    Some(Login {
        user: user.to_string(),
        password: password.into(),
    })
}

fn good() -> Option<Login> {
    login(USER, PASSWORD)
}

fn mail(tls: MailTls, login: Option<Login>) -> MailCheck {
    MailCheck { tls, login }
}

#[track_caller]
fn up(r: &CheckResult, detail: &str) {
    assert!(r.ok, "expected up, got: {}", r.detail);
    assert!(
        r.detail.starts_with(detail),
        "expected {detail:?}, got {:?}",
        r.detail
    );
}

#[track_caller]
fn down(r: &CheckResult, detail: &str) {
    assert!(!r.ok, "expected down, got up: {}", r.detail);
    assert!(
        r.detail.contains(detail),
        "expected {detail:?} in {:?}",
        r.detail
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn imap_against_dovecot() {
    let d = servers::dovecot();
    let (imap, imaps, pop3) = (d.addr(0), d.addr(1), d.addr(2));
    up(
        &run(imap, CheckKind::Imap(mail(MailTls::Plain, None))).await,
        "IMAP OK in",
    );
    up(
        &run(imap, CheckKind::Imap(mail(MailTls::Plain, good()))).await,
        "IMAP: logged in as 'check'",
    );
    up(
        &run(imap, CheckKind::Imap(mail(MailTls::StartTls, good()))).await,
        "IMAP: logged in as 'check'",
    );
    up(
        &run(imaps, CheckKind::Imap(mail(MailTls::Implicit, good()))).await,
        "IMAP: logged in as 'check'",
    );
    down(
        &run(
            imap,
            CheckKind::Imap(mail(MailTls::Plain, login(USER, "wrong"))),
        )
        .await,
        "IMAP: login refused for user 'check': NO [AUTHENTICATIONFAILED]",
    );
    down(
        &run_within(imaps, CheckKind::Imap(mail(MailTls::Plain, None)), 500).await,
        "IMAP: timed out after 500ms waiting for the greeting",
    );
    down(
        &run(imap, CheckKind::Imap(mail(MailTls::Implicit, None))).await,
        "IMAP: TLS handshake failed",
    );
    // A POP3 server is not an IMAP one.
    down(
        &run(pop3, CheckKind::Imap(mail(MailTls::Plain, None))).await,
        "IMAP: not an IMAP greeting: \"+OK Dovecot (Debian) ready.\"",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pop_against_dovecot() {
    let d = servers::dovecot();
    let (pop3, pop3s) = (d.addr(2), d.addr(3));
    up(
        &run(pop3, CheckKind::Pop(mail(MailTls::Plain, None))).await,
        "POP +OK in",
    );
    up(
        &run(pop3, CheckKind::Pop(mail(MailTls::Plain, good()))).await,
        "POP: logged in as 'check'",
    );
    up(
        &run(pop3, CheckKind::Pop(mail(MailTls::StartTls, good()))).await,
        "POP: logged in as 'check'",
    );
    up(
        &run(pop3s, CheckKind::Pop(mail(MailTls::Implicit, good()))).await,
        "POP: logged in as 'check'",
    );
    down(
        &run(
            pop3,
            CheckKind::Pop(mail(MailTls::Plain, login(USER, "wrong"))),
        )
        .await,
        "POP: login refused for user 'check': -ERR [AUTH] Authentication failed.",
    );
    down(
        &run_within(pop3s, CheckKind::Pop(mail(MailTls::StartTls, None)), 500).await,
        "POP: timed out after 500ms waiting for the greeting",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn smtp_against_exim() {
    let e = servers::exim();
    let (smtp, banned, smtps, login_only) = (e.addr(0), e.addr(1), e.addr(2), e.addr(3));
    let smtp_check = |tls, login| CheckKind::Smtp(mail(tls, login));
    up(
        &run(smtp, smtp_check(MailTls::Plain, None)).await,
        "SMTP 250 in",
    );
    up(
        &run(smtp, smtp_check(MailTls::Plain, good())).await,
        "SMTP: logged in as 'check'",
    );
    up(
        &run(smtp, smtp_check(MailTls::StartTls, good())).await,
        "SMTP: logged in as 'check'",
    );
    up(
        &run(smtps, smtp_check(MailTls::Implicit, good())).await,
        "SMTP: logged in as 'check'",
    );
    // AUTH LOGIN where PLAIN is not offered.
    up(
        &run(login_only, smtp_check(MailTls::Plain, good())).await,
        "SMTP: logged in as 'check'",
    );
    down(
        &run(login_only, smtp_check(MailTls::Plain, login(USER, "wrong"))).await,
        "SMTP: login refused for user 'check': 535 Incorrect authentication data",
    );
    down(
        &run(smtp, smtp_check(MailTls::Plain, login(USER, "wrong"))).await,
        "SMTP: login refused for user 'check': 535 Incorrect authentication data",
    );
    down(
        &run(banned, smtp_check(MailTls::Plain, None)).await,
        "SMTP: banner 554 5.3.2 no service here",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn submission_against_dovecot() {
    let d = servers::dovecot();
    let submission = d.addr(4);
    let smtp_check = |tls, login| CheckKind::Smtp(mail(tls, login));
    up(
        &run(submission, smtp_check(MailTls::Plain, None)).await,
        "SMTP 250 in",
    );
    up(
        &run(submission, smtp_check(MailTls::StartTls, good())).await,
        "SMTP: logged in as 'check'",
    );
    down(
        &run(submission, smtp_check(MailTls::Plain, login(USER, "wrong"))).await,
        "SMTP: login refused for user 'check': 535 5.7.8 Authentication failed",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ftp_against_vsftpd() {
    let v = servers::vsftpd(false);
    let ftp = v.addr(0);
    let v6 = servers::vsftpd(true);
    let fetch = |request: &str, receive: Option<&str>| {
        Some(FtpFetch {
            request: request.to_string(),
            receive: receive.map(Receive::from),
        })
    };
    let ftp_check = |login, fetch| CheckKind::Ftp(FtpCheck { login, fetch });
    up(
        &run(ftp, ftp_check(None, None)).await,
        "FTP: logged in as 'anonymous'",
    );
    up(
        &run(ftp, ftp_check(None, fetch("/welcome.msg", Some("Welcome")))).await,
        "FTP: fetched /welcome.msg (31 bytes)",
    );
    up(
        &run(ftp, ftp_check(None, fetch("welcome.msg", None))).await,
        "FTP: fetched welcome.msg (31 bytes)",
    );
    let regex = |request: &str, pattern: &str| {
        Some(FtpFetch {
            request: request.to_string(),
            receive: Some(Receive::Regex(Pattern::new(pattern).unwrap())),
        })
    };
    up(
        &run(
            ftp,
            ftp_check(None, regex("/welcome.msg", "^Welcome to the [a-z]+ FTP")),
        )
        .await,
        "FTP: fetched /welcome.msg (31 bytes)",
    );
    down(
        &run(ftp, ftp_check(None, regex("/welcome.msg", "^Goodbye"))).await,
        "FTP: /welcome.msg does not match /^Goodbye/",
    );
    // Over IPv6: EPSV.
    up(
        &run(
            v6.addr(0),
            ftp_check(None, fetch("/welcome.msg", Some("Welcome"))),
        )
        .await,
        "FTP: fetched /welcome.msg (31 bytes)",
    );
    down(
        &run(ftp, ftp_check(None, fetch("/welcome.msg", Some("Goodbye")))).await,
        "FTP: /welcome.msg lacks \"Goodbye\"",
    );
    down(
        &run(ftp, ftp_check(None, fetch("/missing", None))).await,
        "FTP: RETR /missing: 550 Failed to open file.",
    );
    down(
        &run(
            ftp,
            ftp_check(login("anonymous", "banned@example.org"), None),
        )
        .await,
        "FTP: login refused for user 'anonymous': 530 Login incorrect.",
    );
    down(
        &run(ftp, ftp_check(good(), None)).await,
        "FTP: login refused for user 'check': 530 This FTP server is anonymous only.",
    );
}

/// An NNTP stand-in (RFC 3977/4643): `greeting`, then AUTHINFO for
/// check/secret, QUIT.
async fn nntp_stand_in(greeting: &'static str) -> SocketAddr {
    serve(move |s| async move {
        let (read, mut write) = s.into_split();
        let mut lines = BufReader::new(read).lines();
        let _ = write.write_all(greeting.as_bytes()).await;
        let mut user = String::new();
        while let Ok(Some(line)) = lines.next_line().await {
            let answer = if let Some(u) = line.strip_prefix("AUTHINFO USER ") {
                user = u.to_string();
                "381 Password required\r\n"
            } else if let Some(p) = line.strip_prefix("AUTHINFO PASS ") {
                if user == USER && p == PASSWORD {
                    "281 Authentication accepted\r\n"
                } else {
                    "481 Authentication failed\r\n"
                }
            } else if line == "QUIT" {
                let _ = write.write_all(b"205 closing connection\r\n").await;
                return;
            } else {
                "500 Unknown command\r\n"
            };
            if write.write_all(answer.as_bytes()).await.is_err() {
                return;
            }
        }
    })
    .await
}

#[tokio::test]
async fn nntp_against_a_stand_in() {
    let news = nntp_stand_in("200 news.test ready (posting ok)\r\n").await;
    let readonly = nntp_stand_in("201 news.test ready (no posting)\r\n").await;
    let unavailable = nntp_stand_in("400 NNTP server unavailable.  Try later!\r\n").await;
    up(&run(news, CheckKind::Nntp(None)).await, "NNTP 200 in");
    up(&run(readonly, CheckKind::Nntp(None)).await, "NNTP 201 in");
    up(
        &run(news, CheckKind::Nntp(good())).await,
        "NNTP: logged in as 'check'",
    );
    down(
        &run(news, CheckKind::Nntp(login(USER, "wrong"))).await,
        "NNTP: login refused for user 'check': 481 Authentication failed",
    );
    down(
        &run(unavailable, CheckKind::Nntp(None)).await,
        "NNTP: greeting 400 NNTP server unavailable.  Try later!",
    );
}

/// Each kind, with its name in reasons.
fn every_kind() -> Vec<(CheckKind, &'static str)> {
    vec![
        (CheckKind::Smtp(mail(MailTls::Plain, None)), "SMTP"),
        (CheckKind::Pop(mail(MailTls::Plain, None)), "POP"),
        (CheckKind::Imap(mail(MailTls::Plain, None)), "IMAP"),
        (CheckKind::Nntp(None), "NNTP"),
        (CheckKind::Ftp(FtpCheck::default()), "FTP"),
    ]
}

/// Writes `bytes` on every connection, then holds it open.
async fn sending(bytes: &'static [u8]) -> SocketAddr {
    serve(move |mut s: TcpStream| async move {
        let _ = s.write_all(bytes).await;
        std::future::pending::<()>().await;
    })
    .await
}

/// Writes `chunk` again and again on every connection.
async fn endless(chunk: &'static [u8]) -> SocketAddr {
    serve(move |mut s: TcpStream| async move { while s.write_all(chunk).await.is_ok() {} }).await
}

#[tokio::test]
async fn every_kind_fails_on_a_dead_or_broken_server() {
    let closed = refused().await;
    let hanging = sending(b"").await;
    let garbage = sending(b"SSH-2.0-OpenSSH_9.6\r\n").await;
    let endless_line = endless(&[b'x'; 4096]).await;
    let endless_lines = endless(b"220-more\r\n* x\r\n+OK\r\n").await;
    // The kinds side by side: each waits for its timeouts.
    let mut kinds = Vec::new();
    for (kind, name) in every_kind() {
        kinds.push(tokio::spawn(async move {
            let mut c = check(kind);
            c.timeout = Duration::from_millis(500);
            let at = |addr| target(addr, c.clone());
            down(&once(&at(closed)).await, "connect refused");
            down(
                &once(&at(hanging)).await,
                &format!("{name}: timed out after 500ms waiting for the greeting"),
            );
            let garbled = once(&at(garbage)).await;
            down(&garbled, &format!("{name}: not a"));
            down(&garbled, "\"SSH-2.0-OpenSSH_9.6\"");
            down(
                &once(&at(endless_line)).await,
                &format!("{name}: a reply line longer than 8 KiB (waiting for the greeting)"),
            );
        }));
    }
    for kind in kinds {
        kind.await.unwrap();
    }
    // Replies that go on and on are cut at 64 KiB.
    for kind in [
        CheckKind::Smtp(mail(MailTls::Plain, None)),
        CheckKind::Ftp(FtpCheck::default()),
    ] {
        let mut c = check(kind);
        c.timeout = Duration::from_secs(5);
        down(
            &once(&target(endless_lines, c)).await,
            "more than 64 KiB of replies",
        );
    }
    // An IMAP greeting of BYE, a POP greeting of -ERR.
    let bye = sending(b"* BYE too busy\r\n").await;
    down(
        &run(bye, CheckKind::Imap(mail(MailTls::Plain, None))).await,
        "IMAP: greeting * BYE too busy",
    );
    let err = sending(b"-ERR too busy\r\n").await;
    down(
        &run(err, CheckKind::Pop(mail(MailTls::Plain, None))).await,
        "POP: greeting -ERR too busy",
    );
}

/// CPU per check of each kind against its real server, beside a connect
/// check of the same port (a measurement, not a test):
/// `cargo test --release -p health --test mail -- --ignored --nocapture cpu`.
#[tokio::test(flavor = "current_thread")]
#[ignore]
async fn cpu_per_check() {
    let d = servers::dovecot();
    let e = servers::exim();
    let v = servers::vsftpd(false);
    let news = nntp_stand_in("200 news.test ready\r\n").await;
    let fetch = Some(FtpFetch {
        request: "/welcome.msg".to_string(),
        receive: Some(Receive::from("Welcome")),
    });
    let cases = [
        (
            "smtp (exim)",
            e.addr(0),
            CheckKind::Smtp(mail(MailTls::Plain, None)),
        ),
        (
            "smtp + AUTH (exim)",
            e.addr(0),
            CheckKind::Smtp(mail(MailTls::Plain, good())),
        ),
        (
            "smtp + STARTTLS + AUTH (exim)",
            e.addr(0),
            CheckKind::Smtp(mail(MailTls::StartTls, good())),
        ),
        (
            "smtps + AUTH (exim)",
            e.addr(2),
            CheckKind::Smtp(mail(MailTls::Implicit, good())),
        ),
        (
            "pop (dovecot)",
            d.addr(2),
            CheckKind::Pop(mail(MailTls::Plain, None)),
        ),
        (
            "pop + login (dovecot)",
            d.addr(2),
            CheckKind::Pop(mail(MailTls::Plain, good())),
        ),
        (
            "pops + login (dovecot)",
            d.addr(3),
            CheckKind::Pop(mail(MailTls::Implicit, good())),
        ),
        (
            "imap (dovecot)",
            d.addr(0),
            CheckKind::Imap(mail(MailTls::Plain, None)),
        ),
        (
            "imap + login (dovecot)",
            d.addr(0),
            CheckKind::Imap(mail(MailTls::Plain, good())),
        ),
        (
            "imaps + login (dovecot)",
            d.addr(1),
            CheckKind::Imap(mail(MailTls::Implicit, good())),
        ),
        ("nntp (stand-in)", news, CheckKind::Nntp(None)),
        (
            "ftp (vsftpd)",
            v.addr(0),
            CheckKind::Ftp(FtpCheck::default()),
        ),
        (
            "ftp + RETR (vsftpd)",
            v.addr(0),
            CheckKind::Ftp(FtpCheck { login: None, fetch }),
        ),
    ];
    const N: u32 = 100;
    for (name, addr, kind) in cases {
        for (label, kind) in [("connect", CheckKind::Connect), (name, kind)] {
            let mut c = check(kind);
            c.timeout = Duration::from_secs(5);
            let t = target(addr, c);
            let first = once(&t).await;
            assert!(first.ok, "{label} at {addr}: {}", first.detail);
            let (cpu0, wall0) = (cpu(), std::time::Instant::now());
            let mut failed = 0;
            for _ in 0..N {
                let r = once(&t).await;
                if !r.ok {
                    eprintln!("{label}: {}", r.detail);
                    failed += 1;
                }
            }
            let (spent, wall) = (cpu() - cpu0, wall0.elapsed());
            eprintln!(
                "{label:32} {:>6} µs CPU per check, {:>6} µs wall, {failed} failed",
                spent.as_micros() / u128::from(N),
                wall.as_micros() / u128::from(N)
            );
        }
    }
}
