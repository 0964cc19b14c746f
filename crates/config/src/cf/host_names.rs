// SPDX-License-Identifier: MIT OR Apache-2.0
//! Host names in `.cf` addresses (`real=web1:80`, `virtual=www.example.com:80`),
//! resolved when the file is read, as ldirectord does: once per name and
//! family, through the system resolver ([`getaddrinfo`](super::getaddrinfo),
//! so `/etc/hosts` and `nsswitch.conf` apply), taking the first address of
//! the block's family in the resolver's order.
//!
//! The resolver is outside ipvsctl's control (a dead DNS server, a hung NSS
//! module), so a lookup runs on its own thread and a file's lookups share
//! one [`BUDGET`]: a name without an answer by then is an error at its line
//! and nothing is applied. A lookup that never returns keeps its thread;
//! at most [`MAX_PENDING`] such threads exist in the process, past that a
//! name is refused without asking.

use std::collections::HashMap;
use std::net::IpAddr;
use std::ops::Range;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use super::address::Family;
use super::getaddrinfo;

/// How long the lookups of one file may take together: long enough for
/// glibc's one retry of a lost query (`timeout:5`, `attempts:2` by default).
pub(super) const BUDGET: Duration = Duration::from_secs(10);

/// The most lookups that may be under way at once in the process (those of
/// earlier reads still waiting on a hung resolver included).
pub(super) const MAX_PENDING: usize = 16;

/// The most addresses kept from one answer.
const MAX_ADDRESSES: usize = 64;

/// The longest host name (RFC 1035).
const MAX_NAME: usize = 253;

/// Lookups under way in the process.
static PENDING: AtomicUsize = AtomicUsize::new(0);

/// Why a name gave no address.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Failure {
    /// The resolver said so (its message).
    NotFound(String),
    /// It resolved, but only to addresses of the other family.
    OtherFamily(Vec<IpAddr>),
    /// No answer within the budget.
    TimedOut,
    /// Too many earlier lookups have not returned.
    Busy,
}

impl Failure {
    /// The message for `name` in a block of `family`.
    pub(super) fn message(&self, name: &str, family: Family) -> String {
        match self {
            Failure::NotFound(why) => {
                format!("host name `{name}` does not resolve: {why}")
            }
            Failure::OtherFamily(found) => {
                let (has, needs) = match family {
                    Family::V4 => ("IPv6", "an IPv4 address; use virtual6=, real6=, fallback6="),
                    Family::V6 => ("IPv4", "an IPv6 address; use virtual=, real=, fallback="),
                };
                format!(
                    "host name `{name}` resolves only to {has} ({}): this line needs {needs}",
                    list(found)
                )
            }
            Failure::TimedOut => format!(
                "host name `{name}` does not resolve: no answer within {} s (the lookups of \
                 one file share that time)",
                BUDGET.as_secs()
            ),
            Failure::Busy => format!(
                "host name `{name}` does not resolve: not asked, {MAX_PENDING} earlier lookups \
                 have not returned (a hung resolver?)"
            ),
        }
    }
}

/// The address taken for a name, and the others of its family.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Resolved {
    /// The first address of the family, in the resolver's order.
    pub chosen: IpAddr,
    /// The other addresses of the family, in order.
    pub others: Vec<IpAddr>,
}

impl Resolved {
    /// The warning telling which address `name` stands for.
    pub(super) fn message(&self, name: &str) -> String {
        if self.others.is_empty() {
            format!("host name `{name}` resolved to {}", self.chosen)
        } else {
            format!(
                "host name `{name}` resolved to {}: the first of its {} addresses ({}, {}) \
                 in the resolver's order, as ldirectord takes; write the address to choose \
                 another",
                self.chosen,
                self.others.len() + 1,
                self.chosen,
                list(&self.others)
            )
        }
    }
}

fn list(ips: &[IpAddr]) -> String {
    ips.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Whether `text` is written like a host name (letters, digits, `.`, `-`,
/// `_`, with a letter somewhere: `10.0.0.256` stays a bad address).
pub(super) fn is_host_name(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= MAX_NAME
        && !text.starts_with(['.', '-'])
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
        && text.bytes().any(|b| b.is_ascii_alphabetic())
}

/// The first address of `family` in `answer`, and the rest of that family.
pub(super) fn choose(answer: &[IpAddr], family: Family) -> Result<Resolved, Failure> {
    let wanted = |ip: &&IpAddr| match family {
        Family::V4 => ip.is_ipv4(),
        Family::V6 => ip.is_ipv6(),
    };
    let mut of_family = Vec::new();
    for ip in answer.iter().filter(wanted) {
        if !of_family.contains(ip) {
            of_family.push(*ip);
        }
    }
    let mut of_family = of_family.into_iter();
    match of_family.next() {
        Some(chosen) => Ok(Resolved {
            chosen,
            others: of_family.collect(),
        }),
        None => Err(Failure::OtherFamily(answer.to_vec())),
    }
}

/// The lookups of one file: each name asked once, all within [`BUDGET`];
/// and the warnings saying which address each name stood for.
#[derive(Debug, Default)]
pub(super) struct HostNames {
    deadline: Option<Instant>,
    answers: HashMap<(String, Family), Result<Vec<IpAddr>, Failure>>,
    notes: Vec<(Range<usize>, String)>,
}

impl HostNames {
    /// Keeps a warning about the name at `span`.
    pub(super) fn note(&mut self, span: &Range<usize>, message: String) {
        self.notes.push((span.clone(), message));
    }

    /// The warnings kept since the last call.
    pub(super) fn take_notes(&mut self) -> Vec<(Range<usize>, String)> {
        std::mem::take(&mut self.notes)
    }

    /// `name`'s address in `family`. When it has none, the other family
    /// is asked too, to say so when the name is of the other family.
    pub(super) fn resolve(&mut self, name: &str, family: Family) -> Result<Resolved, Failure> {
        match self.answer(name, family) {
            Ok(ips) => choose(&ips, family),
            Err(Failure::NotFound(why)) => {
                let other = match family {
                    Family::V4 => Family::V6,
                    Family::V6 => Family::V4,
                };
                match self.answer(name, other) {
                    Ok(ips) if !ips.is_empty() => Err(Failure::OtherFamily(ips)),
                    _ => Err(Failure::NotFound(why)),
                }
            }
            Err(failure) => Err(failure),
        }
    }

    /// The resolver's answer for `name` in `family`, asked once.
    fn answer(&mut self, name: &str, family: Family) -> Result<Vec<IpAddr>, Failure> {
        let deadline = *self.deadline.get_or_insert_with(|| Instant::now() + BUDGET);
        self.answers
            .entry((name.to_string(), family))
            .or_insert_with(|| look_up(name, family, deadline))
            .clone()
    }
}

/// Decrements [`PENDING`] when the lookup thread ends, however it ends.
struct Pending;

impl Drop for Pending {
    fn drop(&mut self) {
        PENDING.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Asks the system resolver on a thread of its own; waits until `deadline`.
fn look_up(name: &str, family: Family, deadline: Instant) -> Result<Vec<IpAddr>, Failure> {
    if PENDING.fetch_add(1, Ordering::SeqCst) >= MAX_PENDING {
        PENDING.fetch_sub(1, Ordering::SeqCst);
        return Err(Failure::Busy);
    }
    let pending = Pending;
    let (send, receive) = mpsc::sync_channel(1);
    let owned = name.to_string();
    let spawned = std::thread::Builder::new()
        .name("cf-resolve".into())
        .spawn(move || {
            let _pending = pending;
            let _ = send.send(getaddrinfo::addresses(&owned, family, MAX_ADDRESSES));
        });
    if let Err(error) = spawned {
        // The closure, and with it `pending`, was dropped.
        return Err(Failure::NotFound(format!("cannot start a lookup: {error}")));
    }
    let wait = deadline.saturating_duration_since(Instant::now());
    match receive.recv_timeout(wait) {
        Ok(Ok(ips)) if ips.is_empty() => Err(Failure::NotFound("no address".into())),
        Ok(Ok(ips)) => Ok(ips),
        Ok(Err(error)) => Err(Failure::NotFound(error)),
        Err(mpsc::RecvTimeoutError::Timeout) => Err(Failure::TimedOut),
        Err(mpsc::RecvTimeoutError::Disconnected) => Err(Failure::NotFound(
            "the lookup ended without an answer".into(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ips(list: &[&str]) -> Vec<IpAddr> {
        list.iter().filter_map(|s| s.parse().ok()).collect()
    }

    #[test]
    fn names_are_told_from_addresses() {
        for name in ["web1", "www.example.com", "ip6-localhost", "a_b", "x"] {
            assert!(is_host_name(name), "{name}");
        }
        for not in [
            "",
            "10.0.0.256",
            "10.1",
            "-web",
            ".web",
            "web 1",
            "[::1]",
            "a:b",
        ] {
            assert!(!is_host_name(not), "{not}");
        }
        assert!(!is_host_name(&"a".repeat(MAX_NAME + 1)));
    }

    #[test]
    fn the_first_of_the_family_is_taken() {
        let answer = ips(&[
            "2001:db8::1",
            "10.0.0.2",
            "10.0.0.1",
            "10.0.0.2",
            "2001:db8::2",
        ]);
        let v4 = choose(&answer, Family::V4).unwrap();
        assert_eq!(v4.chosen, answer[1]);
        assert_eq!(v4.others, vec![answer[2]]);
        let v6 = choose(&answer, Family::V6).unwrap();
        assert_eq!((v6.chosen, v6.others.clone()), (answer[0], vec![answer[4]]));
        assert!(v6.message("web").contains("the first of its 2 addresses"));
        let only_v4 = ips(&["10.0.0.1"]);
        let failure = choose(&only_v4, Family::V6).unwrap_err();
        assert_eq!(failure, Failure::OtherFamily(only_v4.clone()));
        assert!(failure
            .message("web", Family::V6)
            .contains("resolves only to IPv4 (10.0.0.1)"));
        assert_eq!(
            choose(&only_v4, Family::V4).unwrap().message("web"),
            "host name `web` resolved to 10.0.0.1"
        );
    }

    #[test]
    fn the_system_resolver_is_asked() {
        let mut names = HostNames::default();
        let localhost = names.resolve("localhost", Family::V4).unwrap();
        assert!(localhost.chosen.is_loopback());
        let failure = names.resolve("name.invalid", Family::V4).unwrap_err();
        let message = failure.message("name.invalid", Family::V4);
        assert!(message.starts_with("host name `name.invalid` does not resolve: "));
        // Asked once per family (name.invalid: both, to tell a name of the
        // other family): the second answer is the first one kept.
        assert_eq!(names.answers.len(), 3);
        assert_eq!(names.resolve("localhost", Family::V4), Ok(localhost));
        assert_eq!(names.answers.len(), 3);
    }
}
