// SPDX-License-Identifier: MIT OR Apache-2.0
//! One check of one target: the dispatch to each kind, and the connect and
//! http(s) checks themselves, bounded by the check's timeout as a whole.

use std::fmt::Write as _;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::{pin, Pin};
use std::task::Poll;
use std::time::{Duration, SystemTime};

use http_body_util::{BodyExt, Empty};
use hyper::body::{Bytes, Incoming};
use hyper::header::{CONNECTION, HOST, USER_AGENT};
use hyper::Request;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::time::{Instant, Sleep};

use config::model::{Pattern, Receive};

use crate::{check, connect, external, tls, CheckKind, CheckResult, HttpCheck, Target};

/// Bodies are searched for `receive` (or matched with `receive_regex`) in
/// their first 64 KiB only; nothing past that is read.
pub(crate) const BODY_LIMIT: usize = 64 * 1024;

/// The most an HTTP check reads of one answer, its head and any interim
/// (`1xx`) responses included; also hyper's read buffer, so one head is
/// at most 64 KiB (hyper's own default is about 400 KiB).
const ANSWER_LIMIT: usize = 256 * 1024;
const HEAD_LIMIT: usize = 64 * 1024;

const AGENT: &str = concat!("ipvsctl-health/", env!("CARGO_PKG_VERSION"));

/// Runs one check of `target` now and says how it went. `none` is always
/// ok and `off` never, without probing anything.
///
/// The engine runs this on its schedule; the daemon may run it too, for a
/// one-off check from the command line.
pub async fn check_once<S>(target: &Target<S>) -> CheckResult {
    if let CheckKind::Connect = target.check.kind {
        let started = Instant::now();
        let deadline = pin!(tokio::time::sleep_until(started));
        return connect_once(target, started, deadline).await;
    }
    let at = SystemTime::now();
    let started = Instant::now();
    let outcome = probe(target).await;
    result(at, started, outcome)
}

/// [`check_once`] of a `connect` target, `started` now: the engine calls it
/// directly, because its future is small where `check_once`'s holds the state
/// of every kind (moving that into the engine's box cost more than the rest
/// of a connect check; see the crate documentation). The engine gives the
/// time it read already, and gets the end as `started + latency`: in the lab
/// VM every clock read is a system call (its clocksource, HPET, has no vDSO).
///
/// Its wall time `at` comes from the thread's anchor ([`wall`](crate::wall)),
/// not from a read of the wall clock. Its timeout is `deadline`, a timer the
/// caller owns (the engine's task has one for its life, which also wakes it
/// at its slots), set here to `started` + the check's timeout: no timer made
/// and dropped per check.
pub(crate) async fn connect_once<S>(
    target: &Target<S>,
    started: Instant,
    mut deadline: Pin<&mut Sleep>,
) -> CheckResult {
    let at = crate::wall::wall_time(started.into_std());
    let timeout = target.check.timeout;
    deadline.as_mut().reset(started + timeout);
    let mut connect = pin!(connect(checked_address(target)));
    // As `tokio::time::timeout`: the connect first, then the deadline.
    let outcome = std::future::poll_fn(|cx| {
        if let Poll::Ready(outcome) = connect.as_mut().poll(cx) {
            return Poll::Ready(outcome);
        }
        deadline.as_mut().poll(cx).map(|()| Err(timed_out(timeout)))
    })
    .await;
    result(at, started, outcome)
}

/// A probe's outcome as a [`CheckResult`]: `what` happened, then `in` its latency.
fn result(at: SystemTime, started: Instant, outcome: Result<String, String>) -> CheckResult {
    let latency = started.elapsed();
    let (ok, detail) = match outcome {
        Ok(what) if what.starts_with("check type") => (true, what),
        Ok(mut what) => {
            what.push_str(" in ");
            push_latency(&mut what, latency);
            (true, what)
        }
        Err(why) => (false, why),
    };
    CheckResult {
        ok,
        at,
        latency,
        detail,
    }
}

/// The address checked: the real's, or `check.port` on the real's address.
pub(crate) fn checked_address<S>(target: &Target<S>) -> SocketAddr {
    let mut addr = target.key.real;
    if let Some(port) = target.check.port {
        addr.set_port(port);
    }
    addr
}

/// A connect check's detail when it connected: `connected in 0.4 ms`.
pub(crate) fn connected(latency: Duration) -> String {
    // Room for the latency too.
    let mut what = String::with_capacity(32);
    what.push_str("connected in ");
    push_latency(&mut what, latency);
    what
}

/// `Ok(what happened)` or `Err(why it failed)`.
async fn probe<S>(target: &Target<S>) -> Result<String, String> {
    let addr = checked_address(target);
    let timeout = target.check.timeout;
    match &target.check.kind {
        CheckKind::Connect => within(timeout, connect(addr)).await,
        CheckKind::Http(h) => within(timeout, http(addr, h, false)).await,
        CheckKind::Https(h) => within(timeout, http(addr, h, true)).await,
        CheckKind::External(argv) => external::external(argv, target, addr, timeout).await,
        CheckKind::Tcp(s) => check::tcp::probe(addr, s, timeout).await,
        CheckKind::Udp(s) => check::udp::probe(addr, s, timeout).await,
        CheckKind::Dns(d) => check::dns::probe(addr, d, timeout).await,
        CheckKind::Smtp(_)
        | CheckKind::Pop(_)
        | CheckKind::Imap(_)
        | CheckKind::Nntp(_)
        | CheckKind::Ftp(_) => crate::mail::check(addr, &target.check.kind, timeout).await,
        CheckKind::None => Ok("check type none".to_string()),
        CheckKind::Off => Err("check type off".to_string()),
        CheckKind::Mysql(q) => within(timeout, crate::db::mysql::check(addr, q)).await,
        CheckKind::Pgsql(q) => within(timeout, crate::db::pgsql::check(addr, q)).await,
        CheckKind::Ldap(l) => within(timeout, crate::db::ldap::check(addr, l, false)).await,
        CheckKind::Ldaps(l) => within(timeout, crate::db::ldap::check(addr, l, true)).await,
        CheckKind::Radius(r) => crate::net::radius::check(addr, r, timeout).await,
        CheckKind::Sip(s) => crate::net::sip::check(addr, s, timeout).await,
        CheckKind::Ping => crate::net::ping::check(addr.ip(), timeout).await,
    }
}

async fn within(
    timeout: Duration,
    probe: impl std::future::Future<Output = Result<String, String>>,
) -> Result<String, String> {
    tokio::time::timeout(timeout, probe)
        .await
        .unwrap_or_else(|_| Err(timed_out(timeout)))
}

async fn connect(addr: SocketAddr) -> Result<String, String> {
    connect::connect_and_close(addr)
        .await
        .map_err(|e| connect_error(&e))?;
    // Room for " in 0.4 ms" too.
    let mut what = String::with_capacity(32);
    what.push_str("connected");
    Ok(what)
}

/// A failed TCP connect in words (every kind that connects says it so).
pub(crate) fn connect_error(e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::ConnectionRefused => "connect refused".to_string(),
        _ => format!("connect failed: {e}"),
    }
}

pub(crate) fn timed_out(timeout: Duration) -> String {
    format!("timed out after {}", timeout_text(timeout))
}

async fn http(addr: SocketAddr, h: &HttpCheck, https: bool) -> Result<String, String> {
    let host = h.host.clone().unwrap_or_else(|| addr.to_string());
    let tcp = crate::connect::stream_to(addr)
        .await
        .map_err(|e| connect_error(&e))?;
    let _ = tcp.set_nodelay(true);
    if https {
        let connector = tls::connector(h.verify)?;
        let name = tls::server_name(h.host.as_deref(), addr.ip());
        let stream = connector
            .connect(name, tcp)
            .await
            .map_err(|e| format!("TLS handshake failed: {e}"))?;
        exchange(stream, h, &host).await
    } else {
        exchange(tcp, h, &host).await
    }
}

/// One request on a fresh connection, then the connection is dropped.
async fn exchange<S>(io: S, h: &HttpCheck, host: &str) -> Result<String, String>
where
    S: AsyncRead + AsyncWrite + Unpin + Send,
{
    let request = Request::builder()
        .method(h.method.as_str())
        .uri(h.request.as_str())
        .header(HOST, host)
        .header(CONNECTION, "close")
        .header(USER_AGENT, AGENT)
        .body(Empty::<Bytes>::new())
        .map_err(|e| format!("cannot send {} {:?}: {e}", h.method, h.request))?;
    let io = crate::bounded_io::Bounded::new(io, ANSWER_LIMIT);
    let too_long = io.exceeded();
    let (mut sender, connection) = hyper::client::conn::http1::Builder::new()
        .max_buf_size(HEAD_LIMIT)
        .handshake(TokioIo::new(io))
        .await
        .map_err(http_error)?;
    let answer = async move {
        let mut response = sender.send_request(request).await.map_err(http_error)?;
        let status = response.status().as_u16();
        let good = match &h.status {
            Some(wanted) => wanted.contains(status),
            None => (200..400).contains(&status),
        };
        if !good {
            return Err(match &h.status {
                Some(wanted) => format!("HTTP {status}, wanted {wanted}"),
                None => format!("HTTP {status}, wanted 2xx or 3xx"),
            });
        }
        let (search, lacks) = match &h.receive {
            None => return Ok(format!("HTTP {status}")),
            Some(Receive::Text(wanted)) => (
                body_contains(response.body_mut(), wanted.as_bytes()).await?,
                format!("body lacks {wanted:?}"),
            ),
            Some(Receive::Regex(pattern)) => (
                body_matches(response.body_mut(), pattern).await?,
                format!("body does not match {:?}", pattern.as_str()),
            ),
        };
        match search {
            Search::Found => Ok(format!("HTTP {status}")),
            Search::NotFound => Err(lacks),
            Search::NotInLimit => Err(format!("{lacks} in its first 64 KiB")),
        }
    };
    // The connection is driven here, not spawned: when the answer is known
    // (or the timeout drops this future) the connection goes with it.
    let mut connection = pin!(connection);
    let mut answer = pin!(answer);
    let result = tokio::select! {
        biased;
        result = &mut answer => result,
        ended = &mut connection => match ended {
            Err(e) => Err(http_error(e)),
            Ok(()) => answer.await,
        },
    };
    match result {
        Err(_) if too_long.load(std::sync::atomic::Ordering::Relaxed) => Err(format!(
            "HTTP: answer longer than {} KiB (head and interim 1xx responses included)",
            ANSWER_LIMIT / 1024
        )),
        result => result,
    }
}

enum Search {
    Found,
    NotFound,
    NotInLimit,
}

/// Reads the body until `wanted` shows up, the body ends, or 64 KiB were read.
async fn body_contains(body: &mut Incoming, wanted: &[u8]) -> Result<Search, String> {
    if wanted.is_empty() {
        return Ok(Search::Found);
    }
    let mut seen: Vec<u8> = Vec::new();
    while seen.len() < BODY_LIMIT {
        let Some(frame) = body.frame().await else {
            return Ok(Search::NotFound);
        };
        let Ok(data) = frame.map_err(http_error)?.into_data() else {
            continue; // trailers
        };
        let take = data.len().min(BODY_LIMIT - seen.len());
        // Search the new bytes and the tail of the old ones that a match
        // could start in.
        let from = seen.len().saturating_sub(wanted.len() - 1);
        seen.extend_from_slice(&data[..take]);
        if seen[from..].windows(wanted.len()).any(|w| w == wanted) {
            return Ok(Search::Found);
        }
    }
    Ok(Search::NotInLimit)
}

/// Reads the body until `pattern` matches what was read, the body ends, or
/// 64 KiB were read. The pattern runs on the whole of what was read (a
/// match may start anywhere), each time it has doubled since the last run
/// and once at the end, so a body sent a byte at a time costs no more than
/// about twice one run over it.
async fn body_matches(body: &mut Incoming, pattern: &Pattern) -> Result<Search, String> {
    let mut seen: Vec<u8> = Vec::new();
    let mut next_run = 1;
    while seen.len() < BODY_LIMIT {
        let Some(frame) = body.frame().await else {
            return Ok(if pattern.is_match(&seen) {
                Search::Found
            } else {
                Search::NotFound
            });
        };
        let Ok(data) = frame.map_err(http_error)?.into_data() else {
            continue; // trailers
        };
        let take = data.len().min(BODY_LIMIT - seen.len());
        seen.extend_from_slice(&data[..take]);
        if seen.len() >= next_run {
            if pattern.is_match(&seen) {
                return Ok(Search::Found);
            }
            next_run = seen.len() * 2;
        }
    }
    Ok(if pattern.is_match(&seen) {
        Search::Found
    } else {
        Search::NotInLimit
    })
}

fn http_error(e: hyper::Error) -> String {
    let mut text = format!("HTTP: {e}");
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        text.push_str(&format!(": {s}"));
        source = s.source();
    }
    text
}

/// `0.4 ms`, `3 ms`, `1.25 s`.
#[cfg_attr(not(test), allow(dead_code))]
pub(crate) fn latency_text(d: Duration) -> String {
    let mut text = String::new();
    push_latency(&mut text, d);
    text
}

/// Appends [`latency_text`] to `text`; below a second without the
/// formatting machinery (a tenth of the cost, on every successful check).
fn push_latency(text: &mut String, d: Duration) {
    let ms = d.as_secs_f64() * 1000.0;
    let tenths = ms * 10.0;
    if ms < 1.0 && (tenths.fract() - 0.5).abs() > 1e-6 {
        // `{ms:.1}`, rounded here unless `ms * 10` is too near a tie for
        // its rounding to be trusted (those go to the formatter; the tests
        // compare every nanosecond below 1 ms).
        let tenths = tenths.round() as u8;
        push_digits(text, u64::from(tenths / 10));
        text.push('.');
        text.push(char::from(b'0' + tenths % 10));
        text.push_str(" ms");
    } else if ms < 1.0 {
        let _ = write!(text, "{ms:.1} ms");
    } else if ms < 1000.0 {
        push_digits(text, ms.round() as u64);
        text.push_str(" ms");
    } else {
        let _ = write!(text, "{:.2} s", d.as_secs_f64());
    }
}

/// Appends `n` in decimal.
fn push_digits(text: &mut String, n: u64) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    let mut n = n;
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for d in &digits[i..] {
        text.push(char::from(*d));
    }
}

/// `1s`, `1.5s`, `300ms`, `0.25ms`.
pub(crate) fn timeout_text(d: Duration) -> String {
    if d >= Duration::from_secs(1) {
        format!("{}s", d.as_secs_f64())
    } else if d.subsec_nanos() % 1_000_000 == 0 {
        format!("{}ms", d.as_millis())
    } else {
        format!("{}ms", d.as_secs_f64() * 1000.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latency_text_is_the_formatters_for_every_nanosecond_below_a_second() {
        // What push_latency replaced, the reference.
        let formatted = |d: Duration| {
            let ms = d.as_secs_f64() * 1000.0;
            if ms < 1.0 {
                format!("{ms:.1} ms")
            } else {
                format!("{} ms", ms.round() as u64)
            }
        };
        let every_below_1ms = (0..1_000_000).map(Duration::from_nanos);
        let some_below_1s = (1_000_000..1_000_000_000)
            .step_by(997)
            .map(Duration::from_nanos);
        for d in every_below_1ms.chain(some_below_1s) {
            assert_eq!(latency_text(d), formatted(d), "{d:?}");
        }
        assert_eq!(latency_text(Duration::from_millis(1500)), "1.50 s");
    }

    #[test]
    fn durations_read_well() {
        assert_eq!(latency_text(Duration::from_micros(400)), "0.4 ms");
        assert_eq!(latency_text(Duration::from_micros(3_200)), "3 ms");
        assert_eq!(latency_text(Duration::from_millis(1_250)), "1.25 s");
        assert_eq!(timeout_text(Duration::from_secs(1)), "1s");
        assert_eq!(timeout_text(Duration::from_millis(1_500)), "1.5s");
        assert_eq!(timeout_text(Duration::from_millis(300)), "300ms");
        assert_eq!(timeout_text(Duration::from_micros(250)), "0.25ms");
    }
}
