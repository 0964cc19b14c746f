// SPDX-License-Identifier: MIT OR Apache-2.0
//! The `radius`, `sip` and `ping` checks against FreeRADIUS and Kamailio
//! from Debian's packages, against servers that are not them (silent,
//! garbage, wrong answers), and ICMP echo on loopback and inside private
//! network namespaces. Each real server is started once, for all the cases
//! of its kind.

#[path = "../common/mod.rs"]
mod common;
mod servers;

use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::*;
use config::model::{RadiusCheck, SipCheck, SipTransport};
use health::{check_once, CheckKind, CheckResult};
use tokio::net::UdpSocket;

fn radius(login: &str, password: &str, secret: &str) -> CheckKind {
    CheckKind::Radius(RadiusCheck {
        login: login.to_string(),
        password: password.into(),
        secret: secret.to_string(),
    })
}

fn sip(login: Option<&str>, transport: SipTransport) -> CheckKind {
    CheckKind::Sip(SipCheck {
        login: login.map(str::to_string),
        transport,
    })
}

/// A UDP port nothing listens on.
fn closed_udp() -> SocketAddr {
    let port = servers::free_udp_port();
    SocketAddr::from(([127, 0, 0, 1], port))
}

/// A UDP server that answers each datagram with what `answer` makes of it
/// (nothing: `None`), and keeps the datagrams.
async fn udp_server(
    answer: impl Fn(&[u8]) -> Option<Vec<u8>> + Send + 'static,
) -> (SocketAddr, Arc<Mutex<Vec<Vec<u8>>>>) {
    let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let addr = socket.local_addr().unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let kept = seen.clone();
    tokio::spawn(async move {
        let mut buf = vec![0u8; 65536];
        while let Ok((n, from)) = socket.recv_from(&mut buf).await {
            kept.lock().unwrap().push(buf[..n].to_vec());
            if let Some(reply) = answer(&buf[..n]) {
                let _ = socket.send_to(&reply, from).await;
            }
        }
    });
    (addr, seen)
}

/// Over TCP, a SIP status line and then a header that never ends; counts
/// the bytes written.
async fn endless_header() -> (SocketAddr, Arc<AtomicUsize>) {
    use tokio::io::AsyncWriteExt;
    let written = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&written);
    let addr = serve(move |mut s| {
        let counter = Arc::clone(&counter);
        async move {
            read_head(&mut s).await;
            if s.write_all(b"SIP/2.0 200 OK\r\nX: ").await.is_err() {
                return;
            }
            let chunk = [b'x'; 8192];
            while s.write_all(&chunk).await.is_ok() {
                counter.fetch_add(chunk.len(), Ordering::Relaxed);
            }
        }
    })
    .await;
    (addr, written)
}

#[tokio::test]
async fn radius_against_freeradius() {
    let server = servers::freeradius();
    let good = radius("check", "pw", servers::SECRET);
    wait_until_up(server.v4, &good).await;
    assert_up(
        &check_at(server.v4, good.clone()).await,
        "RADIUS: Access-Accept in ",
    );
    assert_up(
        &check_at(server.v6, good.clone()).await,
        "RADIUS: Access-Accept in ",
    );
    assert_failed(
        &check_at(server.v4, radius("check", "wrong", servers::SECRET)).await,
        "RADIUS: Access-Reject for user 'check'",
    );
    assert_failed(
        &check_at(server.v4, radius("nosuch", "pw", servers::SECRET)).await,
        "RADIUS: Access-Reject for user 'nosuch'",
    );
    assert_failed(
        &check_at(server.v6, radius("refused", "pw", servers::SECRET)).await,
        "RADIUS: Access-Reject for user 'refused': account disabled",
    );
    // A wrong secret makes a bad Message-Authenticator, and FreeRADIUS
    // drops such a request without a word.
    assert_failed(
        &check_at(server.v4, radius("check", "pw", "wrong")).await,
        "RADIUS: no answer within 1s",
    );
    assert_failed(
        &check_at(server.v6, radius("check", "pw", "wrong")).await,
        "RADIUS: no answer within 1s",
    );
}

#[tokio::test]
async fn radius_fails_on_what_is_not_a_good_answer() {
    let good = radius("check", "pw", "s3");
    let closed = closed_udp();
    assert_failed(
        &check_at(closed, good.clone()).await,
        &format!("RADIUS: port unreachable: nothing listens on {closed}/udp"),
    );
    // Silent: the request is sent at most three times within the timeout,
    // the same datagram each time.
    let (silent, seen) = udp_server(|_| None).await;
    assert_failed(
        &check_at(silent, good.clone()).await,
        "RADIUS: no answer within 1s",
    );
    let seen = seen.lock().unwrap().clone();
    assert!((1..=3).contains(&seen.len()), "{}", seen.len());
    assert!(seen.iter().all(|d| *d == seen[0]));
    let (garbage, _) = udp_server(|_| Some(b"\x02garbage".to_vec())).await;
    assert_failed(
        &check_at(garbage, good.clone()).await,
        "RADIUS: not a RADIUS answer: garbage",
    );
    // An Access-Accept with the right ID, not signed with the secret.
    let (forged, _) = udp_server(|request| {
        let mut reply = vec![2, request[1], 0, 20];
        reply.extend_from_slice(&[0x55; 16]);
        Some(reply)
    })
    .await;
    assert_failed(
        &check_at(forged, good.clone()).await,
        "RADIUS: bad response authenticator (wrong secret?)",
    );
    let (other_id, _) = udp_server(|request| {
        let mut reply = vec![2, request[1].wrapping_add(1), 0, 20];
        reply.extend_from_slice(&[0x55; 16]);
        Some(reply)
    })
    .await;
    let r = check_at(other_id, good.clone()).await;
    assert!(!r.ok, "{r:?}");
    assert!(
        r.detail.starts_with("RADIUS: reply ID ")
            && r.detail.contains(" does not match request ID "),
        "{r:?}"
    );
}

#[tokio::test]
async fn sip_against_kamailio() {
    let server = servers::kamailio();
    let udp = sip(None, SipTransport::Udp);
    let tcp = sip(None, SipTransport::Tcp);
    wait_until_up(server.v4, &udp).await;
    wait_until_up(server.v4, &tcp).await;
    assert_up(&check_at(server.v4, udp.clone()).await, "SIP: 200 OK in ");
    assert_up(&check_at(server.v4, tcp.clone()).await, "SIP: 200 OK in ");
    assert_up(&check_at(server.v6, udp.clone()).await, "SIP: 200 OK in ");
    assert_up(
        &check_at(server.v4, sip(Some("alice"), SipTransport::Udp)).await,
        "SIP: 200 OK in ",
    );
    for transport in [SipTransport::Udp, SipTransport::Tcp] {
        assert_failed(
            &check_at(server.v4, sip(Some("nobody"), transport)).await,
            "SIP: 404 Not Found",
        );
        // 100 Trying first: waited past.
        assert_up(
            &check_at(server.v4, sip(Some("slow"), transport)).await,
            "SIP: 200 OK in ",
        );
    }
}

#[tokio::test]
async fn sip_fails_on_what_is_not_a_good_answer() {
    let udp = sip(None, SipTransport::Udp);
    let tcp = sip(None, SipTransport::Tcp);
    let closed = closed_udp();
    assert_failed(
        &check_at(closed, udp.clone()).await,
        &format!("SIP: port unreachable: nothing listens on {closed}/udp"),
    );
    assert_failed(
        &check_at(refused().await, tcp.clone()).await,
        "SIP: connect refused",
    );
    let (silent, seen) = udp_server(|_| None).await;
    assert_failed(
        &check_at(silent, udp.clone()).await,
        "SIP: no answer within 1s",
    );
    let seen = seen.lock().unwrap().len();
    assert!(
        (1..=2).contains(&seen),
        "sent again after T1 (0.5 s): {seen}"
    );
    assert_failed(
        &check_at(hanging().await, tcp.clone()).await,
        "SIP: no answer within 1s",
    );
    let (garbage, _) = udp_server(|_| Some(b"\x00\x01 garbage".to_vec())).await;
    assert_failed(
        &check_at(garbage, udp.clone()).await,
        "SIP: not a SIP answer: garbage",
    );
    let r = check_at(common::garbage().await, tcp.clone()).await;
    assert!(
        !r.ok && r.detail.starts_with("SIP: not a SIP answer: "),
        "{r:?}"
    );
    // A SIP status line that never ends: read up to the limit, no further.
    let (endless, sent) = endless_header().await;
    assert_failed(
        &check_at(endless, tcp.clone()).await,
        "SIP: no whole response in the first 64 KiB",
    );
    assert!(sent.load(Ordering::SeqCst) < 16 * 1024 * 1024);
    let (unsure, _) =
        udp_server(|_| Some(b"SIP/2.0 503 Service Unavailable\r\n\r\n".to_vec())).await;
    assert_failed(
        &check_at(unsure, udp.clone()).await,
        "SIP: 503 Service Unavailable",
    );
}

#[tokio::test]
async fn ping_on_loopback() {
    for ip in ["127.0.0.1", "127.0.0.2", "::1"] {
        let addr = SocketAddr::new(ip.parse::<IpAddr>().unwrap(), 0);
        assert_up(&check_at(addr, CheckKind::Ping).await, "ping: echo reply (");
    }
}

/// Runs `body` on a thread of its own in a new network namespace, after
/// `setup` (ip commands, run from that thread, so in that namespace).
fn in_private_netns<T: Send + 'static>(
    setup: &'static [&'static [&'static str]],
    ping_group_range: Option<&'static str>,
    body: impl FnOnce() -> T + Send + 'static,
) -> T {
    std::thread::spawn(move || {
        // SAFETY: unshare(2) on this thread only.
        let rc = unsafe { libc::unshare(libc::CLONE_NEWNET) };
        assert_eq!(rc, 0, "unshare: {}", std::io::Error::last_os_error());
        for args in setup {
            let out = std::process::Command::new("ip")
                .args(*args)
                .output()
                .unwrap();
            assert!(out.status.success(), "ip {args:?}: {out:?}");
        }
        if let Some(range) = ping_group_range {
            // /proc/sys/net is the opening thread's namespace's.
            std::fs::write("/proc/sys/net/ipv4/ping_group_range", range).unwrap();
        }
        body()
    })
    .join()
    .unwrap()
}

fn ping_in_this_thread(ip: &str) -> CheckResult {
    let addr = SocketAddr::new(ip.parse::<IpAddr>().unwrap(), 0);
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(check_at(addr, CheckKind::Ping))
}

#[test]
fn ping_uses_a_datagram_socket_where_allowed_and_a_raw_one_otherwise() {
    const LO_UP: &[&[&str]] = &[&["link", "set", "lo", "up"]];
    // A new namespace starts with ping_group_range "1 0": nobody, so root
    // takes a raw socket.
    let raw = in_private_netns(LO_UP, None, || ping_in_this_thread("127.0.0.1"));
    assert_up(&raw, "ping: echo reply (raw socket) in ");
    let raw6 = in_private_netns(LO_UP, None, || ping_in_this_thread("::1"));
    assert_up(&raw6, "ping: echo reply (raw socket) in ");
    let dgram = in_private_netns(LO_UP, Some("0 2147483647"), || {
        (ping_in_this_thread("127.0.0.1"), ping_in_this_thread("::1"))
    });
    assert_up(&dgram.0, "ping: echo reply (datagram socket) in ");
    assert_up(&dgram.1, "ping: echo reply (datagram socket) in ");
}

#[test]
fn ping_fails_when_nothing_answers() {
    // lo down: no route at all.
    let down = in_private_netns(&[], None, || ping_in_this_thread("127.0.0.1"));
    assert_failed(&down, "ping: Network is unreachable (os error 101)");
    // A route to where nobody is: the request leaves and nothing comes back.
    const NOWHERE: &[&[&str]] = &[
        &["link", "set", "lo", "up"],
        &["route", "add", "10.200.0.0/24", "dev", "lo"],
    ];
    for range in [None, Some("0 2147483647")] {
        let silent = in_private_netns(NOWHERE, range, || ping_in_this_thread("10.200.0.2"));
        assert_failed(&silent, "ping: no echo reply within 1s");
    }
}

/// This thread's CPU time (user + system).
fn thread_cpu() -> Duration {
    // SAFETY: getrusage fills the zeroed struct it is given.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_THREAD, &mut usage) };
    let tv = |t: libc::timeval| {
        Duration::new(
            t.tv_sec as u64,
            u32::try_from(t.tv_usec).unwrap_or(0) * 1000,
        )
    };
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

/// µs of this thread's CPU per check, `n` checks one after the other on a
/// current-thread runtime; every check must pass.
fn cpu_per_check(addr: SocketAddr, kind: CheckKind, n: u32) -> f64 {
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let t = target(addr, check(kind));
        runtime.block_on(async {
            let r = check_once(&t).await;
            assert!(r.ok, "{r:?}");
            let before = thread_cpu();
            for _ in 0..n {
                let r = check_once(&t).await;
                assert!(r.ok, "{r:?}");
            }
            (thread_cpu() - before).as_secs_f64() * 1e6 / f64::from(n)
        })
    })
    .join()
    .unwrap()
}

/// CPU per check of each kind against its real server, beside a TCP
/// connect check to a listener on loopback (the floor). Not a pass/fail
/// test: `cargo test -p health --test net -- --ignored --nocapture`.
#[test]
#[ignore = "a measurement; run with --ignored --nocapture"]
fn cpu_per_check_of_each_kind() {
    let n = 500;
    let radius_server = servers::freeradius();
    let sip_server = servers::kamailio();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let floor_addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            drop(stream);
        }
    });
    let waiting = tokio::runtime::Runtime::new().unwrap();
    waiting.block_on(async {
        wait_until_up(radius_server.v4, &radius("check", "pw", servers::SECRET)).await;
        wait_until_up(sip_server.v4, &sip(None, SipTransport::Udp)).await;
        wait_until_up(sip_server.v4, &sip(None, SipTransport::Tcp)).await;
    });
    let connect = cpu_per_check(floor_addr, CheckKind::Connect, n);
    println!("connect (floor)   {connect:7.1} µs/check");
    for (name, addr, kind) in [
        (
            "radius",
            radius_server.v4,
            radius("check", "pw", servers::SECRET),
        ),
        ("sip (udp)", sip_server.v4, sip(None, SipTransport::Udp)),
        ("sip (tcp)", sip_server.v4, sip(None, SipTransport::Tcp)),
        ("ping (127.0.0.1)", floor_addr, CheckKind::Ping),
    ] {
        let us = cpu_per_check(addr, kind, n);
        println!(
            "{name:<17} {us:7.1} µs/check ({:.2}× connect)",
            us / connect
        );
    }
}
