// SPDX-License-Identifier: MIT OR Apache-2.0
//! Test servers on 127.0.0.1 (real sockets, no mocks) and target builders.
#![allow(dead_code)]

pub mod dnsmasq;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use health::{check_once, Check, CheckKind, CheckResult, HttpCheck};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::mpsc;

/// The tests name virtuals by their text, e.g. `tcp 10.0.0.100:80`.
pub type Target = health::Target<String>;
/// See [`Target`].
pub type TargetKey = health::TargetKey<String>;
/// See [`Target`].
pub type Transition = health::Transition<String>;
/// See [`Target`].
pub type Engine = health::Engine<String>;

/// A check with test timings: every 50 ms, 1 s timeout, rise and fall 1.
pub fn check(kind: CheckKind) -> Check {
    Check {
        kind,
        port: None,
        interval: Duration::from_millis(50),
        timeout: Duration::from_secs(1),
        rise: 1,
        fall: 1,
    }
}

pub fn http(request: &str) -> HttpCheck {
    HttpCheck {
        request: request.to_string(),
        receive: None,
        status: None,
        host: None,
        method: "GET".to_string(),
        verify: false,
    }
}

pub fn target(real: SocketAddr, check: Check) -> Target {
    Target {
        key: TargetKey {
            service: "tcp 10.0.0.100:80".to_string(),
            real,
        },
        check,
        virtual_host: "10.0.0.100".to_string(),
        virtual_port: 80,
        initially_up: false,
    }
}

/// The next transition, failing the test if none comes within `secs`.
pub async fn next(rx: &mut mpsc::UnboundedReceiver<Transition>, secs: u64) -> Transition {
    tokio::time::timeout(Duration::from_secs(secs), rx.recv())
        .await
        .expect("no transition in time")
        .expect("the engine dropped the sender")
}

/// Fails if a transition comes within `ms`.
pub async fn quiet(rx: &mut mpsc::UnboundedReceiver<Transition>, ms: u64) {
    if let Ok(t) = tokio::time::timeout(Duration::from_millis(ms), rx.recv()).await {
        panic!("unexpected transition: {t:?}");
    }
}

/// Polls `cond` every 10 ms for at most `secs`.
pub async fn until(secs: u64, what: &str, mut cond: impl FnMut() -> bool) {
    let end = tokio::time::Instant::now() + Duration::from_secs(secs);
    while !cond() {
        assert!(
            tokio::time::Instant::now() < end,
            "timed out waiting: {what}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// An address where nothing listens (bound, then dropped).
pub async fn refused() -> SocketAddr {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    l.local_addr().unwrap()
}

/// Runs `handle` on every connection to a new listener on 127.0.0.1.
pub async fn serve<F, Fut>(handle: F) -> SocketAddr
where
    F: Fn(TcpStream) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(handle(stream));
        }
    });
    addr
}

/// Accepts and closes.
pub async fn accepting() -> SocketAddr {
    serve(|s| async move { drop(s) }).await
}

/// Accepts and never answers (holds the connection open).
pub async fn hanging() -> SocketAddr {
    serve(|s| async move {
        let _hold = s;
        std::future::pending::<()>().await;
    })
    .await
}

/// A listener that never accepts, its backlog full: connecting hangs (the
/// kernel drops the SYNs). The fillers are returned to be kept alive.
pub async fn unaccepting() -> (SocketAddr, TcpListener, Vec<TcpStream>) {
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let listener = socket.listen(0).unwrap();
    let addr = listener.local_addr().unwrap();
    let mut fillers = Vec::new();
    for _ in 0..8 {
        match tokio::time::timeout(Duration::from_millis(200), TcpStream::connect(addr)).await {
            Ok(Ok(s)) => fillers.push(s),
            _ => break,
        }
    }
    (addr, listener, fillers)
}

/// Reads a request head (up to the blank line).
pub async fn read_head<S: AsyncRead + Unpin>(s: &mut S) -> String {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match s.read(&mut byte).await {
            Ok(1) => head.push(byte[0]),
            _ => break,
        }
    }
    String::from_utf8_lossy(&head).into_owned()
}

pub fn response(status: &str, extra: &str, body: &str) -> String {
    format!(
        "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n{extra}\r\n{body}",
        body.len()
    )
}

/// Answers every request with `answer` after reading its head; each head is
/// sent on the returned channel.
pub async fn http_server(answer: String) -> (SocketAddr, mpsc::UnboundedReceiver<String>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let answer = Arc::new(answer);
    let addr = serve(move |mut s| {
        let (tx, answer) = (tx.clone(), Arc::clone(&answer));
        async move {
            answer_on(&mut s, &answer, tx).await;
        }
    })
    .await;
    (addr, rx)
}

pub async fn answer_on<S: AsyncRead + AsyncWrite + Unpin>(
    s: &mut S,
    answer: &str,
    heads: mpsc::UnboundedSender<String>,
) {
    let head = read_head(s).await;
    let _ = heads.send(head);
    let _ = s.write_all(answer.as_bytes()).await;
    let _ = s.shutdown().await;
}

/// Reads the request, then answers 200 only after `delay`.
pub async fn slow(delay: Duration) -> SocketAddr {
    serve(move |mut s| async move {
        read_head(&mut s).await;
        tokio::time::sleep(delay).await;
        let _ = s.write_all(response("200 OK", "", "OK").as_bytes()).await;
    })
    .await
}

/// Answers anything with bytes that are not HTTP.
pub async fn garbage() -> SocketAddr {
    serve(|mut s| async move {
        read_head(&mut s).await;
        let _ = s
            .write_all(b"SSH-2.0-OpenSSH_9.6\r\n\x00\x01\x02 not http at all\r\n\r\n")
            .await;
    })
    .await
}

/// 200 with a body that never ends (no length: until close), starting with
/// `prefix`; counts the bytes written.
pub async fn endless(prefix: &'static str) -> (SocketAddr, Arc<AtomicU64>) {
    let written = Arc::new(AtomicU64::new(0));
    let counter = Arc::clone(&written);
    let addr = serve(move |mut s| {
        let counter = Arc::clone(&counter);
        async move {
            read_head(&mut s).await;
            let head = format!("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n{prefix}");
            if s.write_all(head.as_bytes()).await.is_err() {
                return;
            }
            let chunk = [b'x'; 8192];
            while s.write_all(&chunk).await.is_ok() {
                counter.fetch_add(chunk.len() as u64, Ordering::Relaxed);
            }
        }
    })
    .await;
    (addr, written)
}

/// What a TLS test server saw of one connection: the SNI and the request head.
pub type Seen = (Option<String>, String);

/// An HTTPS server with the test leaf certificate (for `health.test` and
/// 127.0.0.1, signed by the test CA in `tests/data`), answering `answer`.
pub async fn tls_server(answer: String) -> (SocketAddr, mpsc::UnboundedReceiver<Seen>) {
    use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
    use tokio_rustls::rustls::{crypto::ring, ServerConfig};

    let chain = vec![
        CertificateDer::from(include_bytes!("../data/leaf.der").to_vec()),
        CertificateDer::from(include_bytes!("../data/ca.der").to_vec()),
    ];
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
        include_bytes!("../data/leaf.key.der").to_vec(),
    ));
    let config = ServerConfig::builder_with_provider(Arc::new(ring::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let (tx, rx) = mpsc::unbounded_channel();
    let answer = Arc::new(answer);
    let addr = serve(move |s| {
        let (acceptor, tx, answer) = (acceptor.clone(), tx.clone(), Arc::clone(&answer));
        async move {
            let Ok(mut tls) = acceptor.accept(s).await else {
                return;
            };
            let sni = tls.get_ref().1.server_name().map(str::to_string);
            let head = read_head(&mut tls).await;
            let _ = tx.send((sni, head));
            let _ = tls.write_all(answer.as_bytes()).await;
            let _ = tls.shutdown().await;
        }
    })
    .await;
    (addr, rx)
}

pub fn https_target(addr: SocketAddr, h: HttpCheck) -> Target {
    target(addr, check(CheckKind::Https(h)))
}

/// This process's CPU time (user + system) so far.
pub fn cpu() -> Duration {
    // SAFETY: getrusage writes one rusage into the one we pass.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    let time = |t: libc::timeval| {
        Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64)
    };
    time(usage.ru_utime) + time(usage.ru_stime)
}

/// One check of `kind` at `addr`, which must end within its timeout.
pub async fn check_at(addr: SocketAddr, kind: CheckKind) -> CheckResult {
    let t = target(addr, check(kind));
    tokio::time::timeout(Duration::from_secs(10), check_once(&t))
        .await
        .expect("the check outlived its timeout")
}

/// Checks until the server answers (it was just started), at most 60 s.
pub async fn wait_until_up(addr: SocketAddr, kind: &CheckKind) {
    let mut last = None;
    for _ in 0..600 {
        let r = check_at(addr, kind.clone()).await;
        if r.ok {
            return;
        }
        last = Some(r);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the server did not come up: {last:?}");
}

#[track_caller]
pub fn assert_failed(r: &CheckResult, detail: &str) {
    assert!(!r.ok, "{r:?}");
    assert_eq!(r.detail, detail);
}

#[track_caller]
pub fn assert_up(r: &CheckResult, starts: &str) {
    assert!(r.ok, "{r:?}");
    assert!(r.detail.starts_with(starts), "{r:?}");
}

/// Up, with a reason that starts with `detail` and ends with its latency.
#[track_caller]
pub fn assert_up_timed(r: &CheckResult, detail: &str) {
    assert!(r.ok, "{r:?}");
    assert!(
        r.detail.starts_with(detail) && r.detail.ends_with(" ms"),
        "{r:?}"
    );
}
