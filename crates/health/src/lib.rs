// SPDX-License-Identifier: MIT OR Apache-2.0
//! Health checks of real servers: the engine that probes every real behind
//! every virtual and says when one goes up or down. It does no kernel work
//! and knows nothing of IPVS: the daemon gives it [`Target`]s
//! ([`Engine::reconcile`]), receives [`Transition`]s, and changes the table.
//! It logs nothing above `debug` (the daemon logs the transitions).
//!
//! | module     | job                                                            |
//! |------------|----------------------------------------------------------------|
//! | `engine`   | [`Engine`]: one task per target, reconcile, snapshot, shutdown |
//! | `probe`    | one check ([`check_once`]): the dispatch; connect, http(s)    |
//! | `external` | the external check: a program, its process group, its stderr   |
//! | [`child`]  | a child's process group killed whole; its exit in words        |
//! | `connect`  | the connect check's TCP connect (one system call fewer)        |
//! | `connect_loop` | connect checks on OS threads of their own: raw epoll, a slab, millisecond buckets |
//! | `check`    | the tcp, udp and dns checks, a file each                       |
//! | `tls`      | rustls client configurations, SNI                              |
//! | `mail`     | the line protocols: smtp, pop, imap, nntp, ftp (`mail::line`)  |
//! | `state`    | rise/fall: consecutive results to a change of health           |
//! | `schedule` | the slots' grid; the first check's offset; the next slot       |
//! | `stats`    | checks run, in flight, start lateness ([`Stats`])              |
//! | `counts`   | per target: checks by result, duration histogram, transitions  |
//! | `limits`   | RLIMIT_NOFILE ([`raise_nofile_limit`]), the permit bound       |
//! | `threads`  | [`CheckThreads`]: current-thread runtimes for the checks       |
//! | `wall`     | a check's wall time from a per-thread anchor (no clock read)   |
//! | `db`       | the `mysql`, `pgsql`, `ldap`/`ldaps` checks' wire clients      |
//! | `net`      | the `radius`, `sip` and `ping` checks                          |
//!
//! # Checks
//!
//! - `connect`: a TCP connection to the real (or `port` on its address)
//!   within `timeout`, then closed.
//! - `http`/`https`: one `GET` or `HEAD` of `request` on a fresh connection
//!   (`Connection: close`; no reuse, no redirect followed), `Host` = `host`
//!   or the address checked. Ok when the status is one of `status` (a code
//!   or codes and ranges; default any 2xx or 3xx) and, if `receive` is set,
//!   the body contains it (or matches it: `receive_regex`, run on what was
//!   read each time that doubled and at its end): at most 64 KiB of body is
//!   read, and none when `receive` is not set. https sends
//!   SNI = `host` when that is a DNS name, and verifies the certificate only
//!   when `verify = true` (against the system's roots: `SSL_CERT_FILE` and
//!   `SSL_CERT_DIR` are honoured).
//! - `external`: `command[0]` run without a shell, `{ip}`, `{port}`,
//!   `{vip}`, `{vport}` replaced in every argument; stdin and stdout null,
//!   the first line of stderr kept for the detail; in its own process group,
//!   killed (the whole group) at `timeout` and reaped. Exit 0 = up.
//! - `tcp`: connect, send `request` if set (never half-closed), then read
//!   until `receive` appears, the peer closes, 64 KiB were read, or the
//!   timeout; up on `receive`, or on connect when it is not set. (Here and
//!   below, `receive_regex` may stand for `receive`: a match of it.)
//! - `udp`: `request` as one datagram from a connected socket; up when an
//!   answer (at most 64 KiB) comes back, containing `receive` if set. ICMP
//!   port unreachable (ECONNREFUSED) is down at once. Sent once, not resent.
//! - `dns`: one query (recursion desired) for `request` over UDP, asked
//!   again over TCP when the UDP reply is truncated, or over TCP (two-byte
//!   length, at most 64 KiB read). The reply must be a response with our ID
//!   and our question. Up on NOERROR with at least one answer record (one
//!   whose text contains `receive`, if set); NXDOMAIN, SERVFAIL, REFUSED,
//!   an empty answer, a wrong ID or question, or garbage are down, each
//!   named. Without `request` it asks `. SOA` and any reply but SERVFAIL is
//!   up (the server speaks DNS; the default of a UDP virtual on port 53).
//! - `smtp` (`submission`, `smtps`), `pop`/`pops`, `imap`/`imaps`, `nntp`,
//!   `ftp`: ldirectord's negotiate checks of these services, natively. The
//!   greeting (220, `+OK`, `* OK`, 2xx, 220), EHLO for SMTP, and a login
//!   when `login` is set (AUTH PLAIN or LOGIN, USER/PASS, LOGIN, AUTHINFO;
//!   ftp always logs in, as anonymous by default, and may fetch `request`
//!   in passive mode and look for `receive` in its first 64 KiB); implicit
//!   TLS for the `s` types, STARTTLS (STLS) with `starttls = true`; then
//!   QUIT (LOGOUT). Reply lines are read up to 8 KiB each and 64 KiB in
//!   all; reasons read like `SMTP: banner 554 …` or `POP: login refused for
//!   user 'check': -ERR [AUTH] Authentication failed.`
//! - `mysql` (MySQL, MariaDB) and `pgsql`: log in as `login` with
//!   `password` to `database`, run `request`, up at its first row (the rest
//!   is not read); the server's own words on failure (`MySQL: Access denied
//!   for user 'check'@'10.0.0.9' (using password: YES)`, `PostgreSQL:
//!   database "app" does not exist`, `PostgreSQL: query returned no rows`).
//!   At most 1 MiB is read. Logins: mysql_native_password, the fast path of
//!   caching_sha2_password; SCRAM-SHA-256, md5 and password. No TLS.
//! - `ldap`/`ldaps`: a simple bind as `login` (anonymous without it), then
//!   a search of the entry `request` names (scope base; the root DSE when
//!   empty); up when it is found and, if `receive` (`receive_regex`) is
//!   set, its DN contains (matches) it (`LDAP: bind as "cn=check,…" failed: invalidCredentials (49)`,
//!   `LDAP: search of "ou=x,…" failed: noSuchObject (32)`). ldaps is TLS from
//!   the first byte, the certificate not verified.
//! - `radius`: an Access-Request for `login` with `password`, hidden with
//!   `secret` (with Message-Authenticator and NAS-IP-Address), sent again at
//!   a third and two thirds of the timeout; up on an Access-Accept whose
//!   response authenticator is right (`RADIUS: Access-Reject for user
//!   'check': …`, `RADIUS: bad response authenticator (wrong secret?)`,
//!   `RADIUS: no answer within 2s`).
//! - `sip`: OPTIONS over UDP (sent again on RFC 3261's timer E) or TCP; up
//!   on `200`, 1xx waited past (`SIP: 404 Not Found`, `SIP: no answer
//!   within 2s`). At most 64 KiB read.
//! - `ping`: ICMP or ICMPv6 echo, over a datagram ICMP socket where
//!   `net.ipv4.ping_group_range` allows, else a raw one; up on an echo
//!   reply with our sequence and payload (`ping: no echo reply within 1s`).
//! - `none` is up and `off` down, at once, with no probe.
//!
//! Every check is bounded by its `timeout` as a whole (connect, TLS,
//! request, answer, body), so a real that accepts and never answers, answers
//! slowly, or sends an endless body fails at the timeout.
//!
//! # Health
//!
//! A target starts down (or up when `initially_up`: adopted from the
//! kernel's table) and changes only after `rise` successes in a row (down →
//! up) or `fall` failures in a row (up → down). A [`Transition`] is sent on
//! each change, with a reason such as `connect refused (3/3)`.
//!
//! # Scheduling
//!
//! Each checked target has its own task (a `connect` target its place on a
//! connect loop, see below). Its first check falls at an offset
//! within its first interval taken from a hash of its key (deterministic, and
//! even: 10,000 targets do not fire at once); each next check is due
//! `interval` after the previous one's slot, or, when it took longer, at the
//! first grid point after it ended. The slots lie on a grid of 10 ms (or a
//! hundredth of an interval shorter than 1 s) anchored at the engine's
//! start, whenever a target was added: the targets whose slots share a grid
//! point are checked in one wake-up. A slow check delays nobody else's. The
//! checks in flight hold at most min(4096, RLIMIT_NOFILE/2) descriptors (a
//! semaphore: an external check counts two); a check that waited for a
//! permit keeps its phase.
//!
//! # The engine's own cost
//!
//! A connect check costs the kernel's handshake, which every checker pays,
//! and the engine's share, kept small (measured with callgrind instruction
//! counts, `strace -c` and `bench_checks`' ratio to a bare connect+close):
//! - `connect` checks run on connect loops (`connect_loop`), as keepalived
//!   runs its TCP_CHECKs: one OS thread per check thread, owning a raw
//!   epoll set, its targets in a slab keyed by the epoll token, their slots
//!   and timeouts in millisecond buckets (the slots on the grid below). Per
//!   check: socket, connect, `epoll_ctl` ADD, on its event `SO_LINGER` 0
//!   (`SO_ERROR` only on a failure) and close, which takes the socket out
//!   of the set (no DEL); a share of one `epoll_wait` per grid point; one
//!   clock read (the end of one connect is the start of the next; the end
//!   of the checks an `epoll_wait` reports is one read after it). No task,
//!   waker, timer or reactor registration per check: ~2,500 instructions a
//!   check on the loop's thread against ~6,400 on a tokio task.
//!   Reconciles reach a loop through a queue and an eventfd in its epoll
//!   set (one wake-up for a burst); its checks take the engine's permits in
//!   turn with the tasks (an owned permit per check in flight; a check
//!   waiting for one is woken through the eventfd).
//! - The other kinds run on tokio tasks, on current-thread runtimes on
//!   threads of their own ([`Engine::start_on`]; the daemon has one,
//!   `--check-threads N`, and as many connect loops): a check's timer,
//!   connect and wake-ups stay on one thread, with no futex wake-ups or work
//!   stealing between threads, and the table writes never hold up a check.
//! - Connects (`connect`) skip tokio's `getsockopt(SO_ERROR)` when the
//!   connect's readiness says it succeeded, and close with a reset
//!   (`SO_LINGER` 0, as keepalived): no FIN exchange and no TIME_WAIT
//!   socket per check.
//! - Slots on a 10 ms grid (see Scheduling): at 1,000 checks a second a
//!   checking thread wakes ~100 times a second for ~10 checks each, not
//!   ~1,000 times for one.
//! - A check's wall time comes from an (instant, wall time) anchor each
//!   thread takes once a second (`wall`): in the lab VM, whose clocksource
//!   (HPET) has no vDSO, each clock read is a system call.
//! - Its "connected in 0.4 ms" is written without the formatter.
//!
//! What is left of the loop's ~2,450 instructions a check: instant
//! arithmetic (~250), the bucket inserts (~170: the bucket inserted into
//! last stays out of the map), the result's text and the state's lock, the
//! permit's release (tokio takes its waiters' lock), malloc/free of the
//! detail.
//!
//! Measured side by side in the lab VM (`scripts/bench-checks-lab 20 12 4
//! before=…`: 1,000 reals checked once a second, 4 rounds, the tokio-task
//! engine as `before`), on a host shared with other builds, so the rounds
//! scatter: in a run where the VM had CPU enough, the checker process 743
//! µs of CPU a check against keepalived's 661 (1.12x; 0.79x to 1.59x round
//! by round) and the tokio-task engine's 922, the whole VM 792 µs against
//! keepalived's 799, every check on time (992 a second; keepalived 872).
//! In a run where the VM was short of CPU (no checker kept up): 1,134 µs
//! against keepalived's 1,464 and the task engine's 2,717, 788 checks a
//! second against 579. On the host (`bench_checks`, one check thread):
//! 1.21–1.26x a bare blocking connect+close (the task engine: 1.37–1.55x).
//!
//! # HTTP stack: hyper 1 + hyper-util + tokio-rustls (ring)
//!
//! Chosen over reqwest 0.13 (`rustls-no-provider` + rustls/ring), measured
//! on this project's 2-core build machine, each in a fresh crate beside the
//! tokio and tracing the workspace already has (clean builds, release
//! profile; debug in brackets; crates counted with `cargo tree -e normal`):
//!
//! | stack                                   | crates | build        |
//! |-----------------------------------------|--------|--------------|
//! | tokio + tracing alone                   | 19     | 12 s (10 s)  |
//! | + hyper, hyper-util, tokio-rustls, ring | 43     | 28 s (17 s)  |
//! | + reqwest, rustls, ring                 | 87     | 79 s (33 s)  |
//!
//! reqwest brings 44 crates more (url with idna and the ICU tables, tower,
//! tower-http, futures-util, rustls-platform-verifier, …) for nothing a
//! health check uses: no pool (it must be switched off), no proxies, no
//! redirects, no cookies, no URL parsing (the address is known). And a check
//! connects to the real's address while sending another name as Host and
//! SNI, which reqwest does only through a client per target (`resolve`). With
//! hyper's client connection the check owns the socket: connect to the
//! address, TLS with the chosen server name, one request with
//! `Connection: close`, the body read frame by frame up to 64 KiB, and the
//! whole future dropped at the timeout (the connection is driven in the same
//! future, not spawned, so nothing outlives the check). The roots for
//! `verify = true` come from rustls-native-certs (the system store, where
//! an operator puts an internal CA) rather than a built-in list.
//!
//! # DNS messages: `domain` (NLnet Labs), `std` only
//!
//! The DNS check builds its query and reads the reply with `domain` 0.11
//! (default features off: no resolver, no network code, no random numbers:
//! the query ID comes from the process's random hash keys). Measured in
//! fresh crates beside tokio and tracing, crates counted with `cargo tree
//! -e normal`; build time is the release compile time of the crates each
//! adds, summed crate by crate from `cargo build --timings`, all four runs
//! side by side on the shared 2-core machine under the same heavy load
//! (another build running), so only the ratios mean something:
//!
//! | stack                                   | crates | build (sum)  |
//! |-----------------------------------------|--------|--------------|
//! | tokio + tracing alone                   | 19     | 154 s        |
//! | + domain 0.11 (std)                     | 29     | + 27 s       |
//! | + hickory-proto 0.26 (std)              | 62     | + 101 s      |
//! | + simple-dns 0.13                       | 21     | + 22 s       |
//!
//! hickory-proto, the usual choice, cannot leave out `idna` and the ICU
//! tables (and `url`, `rand`): 43 crates for one query, the very weight
//! reqwest was refused for, and its 0.26 needs Rust 1.88 (this workspace
//! says 1.85). simple-dns is the smallest but a one-person crate. `domain`
//! is kept by the makers of NSD and Unbound, adds 10 crates (its derive
//! macros share tokio's syn), and parses every record type, so `receive`
//! is matched against each answer's presentation text.
//!
//! # Database and LDAP protocols: hand-written, not tokio-postgres, mysql_async, ldap3
//!
//! A check needs a handshake, a password login, one simple query and its
//! first answer: about 650 lines for both SQL protocols and 300 for LDAP
//! with its BER (`db/`), with the hashes from the ring and the TLS the https
//! checks already build. Measured like the HTTP
//! stack (fresh crate beside tokio and tracing, clean builds, release (debug);
//! the machine was shared with other builds, so read the ratios):
//!
//! | stack                                                   | crates | build         |
//! |---------------------------------------------------------|--------|---------------|
//! | tokio + tracing alone                                   | 19     | 36 s (41 s)   |
//! | + tokio-postgres 0.7, no default features               | 66     | 105 s (71 s)  |
//! | + mysql_async 0.36, `minimal-rust`                      | 112    | 140 s (92 s)  |
//! | + ldap3 0.12, no default features (no TLS)              | 68     | 70 s (29 s)*  |
//! | + `db/` (hand-written; ring already in the tree)        | 19     | no new crate  |
//!
//! tokio-postgres brings 41 crates the workspace does not have (RustCrypto's
//! hashes, rand, futures, stringprep with the Unicode tables, phf, whoami);
//! mysql_async 77 (mysql_common with serde_json, regex, num-bigint, flate2,
//! url with idna and the ICU tables, uuid, lru). Both pool, prepare, and
//! decode typed values, none of which a check uses. ldap3 brings 44 (nom,
//! lber, futures, url with idna and the ICU tables), before any TLS. (*
//! measured later, on a quieter machine.)
#![deny(missing_docs)]

mod base64;
mod bounded_io;
mod check;
pub mod child;
mod connect;
mod connect_loop;
mod counts;
mod db;
mod engine;
mod external;
mod limits;
mod mail;
mod net;
mod probe;
mod schedule;
mod state;
mod stats;
mod threads;
mod tls;
mod wall;

use std::fmt;
use std::hash::Hash;
use std::net::SocketAddr;
use std::time::{Duration, SystemTime};

pub use config::model::{Check, CheckKind, HttpCheck};
pub use config::model::{FtpCheck, FtpFetch, Login, MailCheck, MailTls};
pub use counts::{CheckCounts, DURATION_BOUNDS_MICROS};
pub use engine::Engine;
pub use limits::{default_permits, raise_nofile_limit};
pub use probe::check_once;
pub use stats::{Lateness, Stats};
pub use threads::CheckThreads;

/// What the caller names a virtual service by: any ordered, hashable,
/// printable key. The engine compares, sorts and hashes it (the first
/// check's offset), and prints it only in its `debug` logs; it never looks
/// inside. The daemon uses the kernel's service key (`ipvs::ServiceKey`), so
/// that what it gets back in a [`Transition`] is the key it plans with; this
/// crate does not depend on `ipvs`.
pub trait ServiceId:
    Clone + Ord + Hash + fmt::Display + fmt::Debug + Send + Sync + 'static
{
}

impl<T> ServiceId for T where
    T: Clone + Ord + Hash + fmt::Display + fmt::Debug + Send + Sync + 'static
{
}

/// Which real of which virtual.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TargetKey<S> {
    /// The virtual, by the caller's key (see [`ServiceId`]).
    pub service: S,
    /// The real's address.
    pub real: SocketAddr,
}

/// One real to check, and how.
#[derive(Debug, Clone, PartialEq)]
pub struct Target<S> {
    /// Which real of which virtual.
    pub key: TargetKey<S>,
    /// The check.
    pub check: Check,
    /// For external commands' {vip} and {vport} placeholders (for fwmark virtuals: the mark and 0).
    pub virtual_host: String,
    /// See `virtual_host`.
    pub virtual_port: u16,
    /// Adopted from the kernel table: counts as up until `fall` failures say otherwise.
    /// Otherwise it starts down and comes up after `rise` successes.
    pub initially_up: bool,
}

/// Whether a real should take traffic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Health {
    /// Passing.
    Up,
    /// Failing (or not yet passing).
    Down,
}

impl From<bool> for Health {
    /// `true` is [`Health::Up`]: the one place a flag becomes a health.
    fn from(up: bool) -> Self {
        if up {
            Health::Up
        } else {
            Health::Down
        }
    }
}

impl fmt::Display for Health {
    /// `up` or `down`, as logs and `ipvsctl status` write it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Health::Up => "up",
            Health::Down => "down",
        })
    }
}

/// A change of state, sent only on transitions.
///
/// Reasons read like `connect refused (3/3)`, `timed out after 1s (3/3)`,
/// `HTTP 500, wanted 2xx or 3xx (1/1)`, `body lacks "OK" (2/2)`,
/// `exit status 1 (1/1)`, `connected in 0.4 ms (2/2)`, `HTTP 200 in 3 ms (1/1)`,
/// `check type none`, `check type off`: the last check's detail, then the
/// consecutive results over the number needed (`fall` or `rise`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition<S> {
    /// Which target.
    pub key: TargetKey<S>,
    /// Its new health.
    pub health: Health,
    /// Why.
    pub reason: String,
}

/// One check's outcome.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckResult {
    /// Passed.
    pub ok: bool,
    /// When it started.
    pub at: SystemTime,
    /// How long it took.
    pub latency: Duration,
    /// What happened: `connected in 0.4 ms`, `HTTP 500, wanted 2xx or 3xx`, …
    pub detail: String,
}

/// A target's health and totals, as [`Engine::counts`] gives them.
#[derive(Debug, Clone, PartialEq)]
pub struct TargetCounts<S> {
    /// Which target.
    pub key: TargetKey<S>,
    /// Its health.
    pub health: Health,
    /// Its totals.
    pub counts: CheckCounts,
}

/// A target's state, for `status` displays.
#[derive(Debug, Clone, PartialEq)]
pub struct TargetStatus<S> {
    /// Which target.
    pub key: TargetKey<S>,
    /// Its health.
    pub health: Health,
    /// Since when (its last change, or when it was first given).
    pub since: SystemTime,
    /// The last check, if one ran since the check started or last changed.
    pub last: Option<CheckResult>,
    /// Successes in a row.
    pub consecutive_ok: u32,
    /// Failures in a row.
    pub consecutive_failed: u32,
}
