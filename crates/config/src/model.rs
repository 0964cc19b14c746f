// SPDX-License-Identifier: MIT OR Apache-2.0
//! The checked configuration: what the operator declared, with every default
//! filled in. Nothing here can be invalid.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::Duration;

use crate::source::Location;

/// The whole desired state, from one or more files.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// The connection-sync daemon, if any file sets one.
    pub sync: Option<Sync>,
    /// Remove the managed services when the daemon stops (`cleanstop`).
    pub cleanstop: bool,
    /// Every virtual service, in file order.
    pub virtuals: Vec<Virtual>,
}

/// Where a virtual was declared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// The file.
    pub file: PathBuf,
    /// Where in it.
    pub location: Location,
}

/// Which sync daemons to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncRole {
    /// Send the connection table.
    Master,
    /// Receive it.
    Backup,
    /// Both (each director sends and receives).
    Both,
}

/// `[sync]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sync {
    /// Role.
    pub state: SyncRole,
    /// Sync id, 0-255 (0: a backup accepts any).
    pub syncid: u8,
    /// Interface.
    pub interface: String,
    /// Largest sync message.
    pub maxlen: Option<u16>,
    /// Multicast group.
    pub group: Option<IpAddr>,
    /// UDP port.
    pub port: Option<u16>,
    /// Multicast TTL.
    pub ttl: Option<u8>,
}

/// Transport protocol of an address virtual.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Protocol {
    /// TCP.
    Tcp,
    /// UDP.
    Udp,
    /// SCTP.
    Sctp,
}

/// Address family of a fwmark virtual.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Family {
    /// IPv4.
    Ipv4,
    /// IPv6.
    Ipv6,
}

impl Family {
    /// The family of an address.
    pub fn of(ip: IpAddr) -> Self {
        match ip {
            IpAddr::V4(_) => Self::Ipv4,
            IpAddr::V6(_) => Self::Ipv6,
        }
    }
}

/// What identifies a virtual service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum VirtualKey {
    /// `address = "ip:port"` with a protocol.
    Address {
        /// Protocol.
        protocol: Protocol,
        /// Virtual address and port.
        address: SocketAddr,
    },
    /// `fwmark = N`.
    Fwmark {
        /// Family.
        family: Family,
        /// Mark.
        mark: u32,
    },
}

impl VirtualKey {
    /// The family of the virtual.
    pub fn family(&self) -> Family {
        match self {
            Self::Address { address, .. } => Family::of(address.ip()),
            Self::Fwmark { family, .. } => *family,
        }
    }
}

/// Persistence granularity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Netmask {
    /// IPv4 mask.
    V4(Ipv4Addr),
    /// IPv6 prefix length.
    V6(u8),
}

/// How packets reach a real server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Forward {
    /// Direct routing (`gate`, `dr`).
    Gate,
    /// NAT (`masq`, `nat`).
    Masq,
    /// IP-in-IP tunnel (`ipip`, `tun`).
    Ipip,
}

/// A real server (or the fallback).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Real {
    /// Address and port (port 0 for fwmark virtuals without one).
    pub address: SocketAddr,
    /// Forwarding.
    pub forward: Forward,
    /// Weight, 0..=65535.
    pub weight: u32,
}

/// What a health check does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckKind {
    /// TCP connect.
    Connect,
    /// HTTP request.
    Http(HttpCheck),
    /// HTTPS request.
    Https(HttpCheck),
    /// A program; exit 0 = up. Placeholders `{ip}`, `{port}`, `{vip}`, `{vport}`.
    External(Vec<String>),
    /// No checks: always up.
    None,
    /// Always down (maintenance).
    Off,
}

/// HTTP(S) check settings.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HttpCheck {
    /// Path requested.
    pub request: String,
    /// What the body must hold: a substring (`receive`) or a match of a
    /// regular expression (`receive_regex`).
    pub receive: Option<Receive>,
    /// Statuses that count as up; `None`: any 2xx or 3xx.
    pub status: Option<StatusCodes>,
    /// Host header (and SNI).
    pub host: Option<String>,
    /// `GET` or `HEAD`.
    pub method: String,
    /// Verify the certificate (https).
    pub verify: bool,
}

/// What the body of an HTTP(S) answer must hold (in its first 64 KiB).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Receive {
    /// This text, as written (`receive`).
    Text(String),
    /// A match of this regular expression (`receive_regex`; what
    /// ldirectord's `receive` is).
    Regex(Pattern),
}

impl From<&str> for Receive {
    /// The substring form.
    fn from(text: &str) -> Self {
        Self::Text(text.to_string())
    }
}

/// A compiled regular expression (the `regex` crate's syntax), matched
/// against bytes. Two patterns are equal when they were written the same.
///
/// Patterns written the same share one compiled program: a compiled
/// pattern costs about 10 KiB (30 KiB and more with Unicode classes once
/// it has searched), and a site's virtuals tend to repeat one `receive`.
#[derive(Clone)]
pub struct Pattern(Arc<regex::bytes::Regex>);

/// The patterns compiled and still in use, by their text.
struct Compiled {
    by_text: BTreeMap<String, Weak<regex::bytes::Regex>>,
    /// Forget the unused ones when there are this many entries.
    prune_at: usize,
}

static COMPILED: Mutex<Compiled> = Mutex::new(Compiled {
    by_text: BTreeMap::new(),
    prune_at: 64,
});

impl Pattern {
    /// Compiles `text`, or shares the program of a pattern written the same
    /// that is still in use; `Err` says in one line why it is not a regular
    /// expression this crate accepts (look-around and back-references are
    /// not).
    pub fn new(text: &str) -> Result<Self, String> {
        let mut compiled = COMPILED.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(regex) = compiled.by_text.get(text).and_then(Weak::upgrade) {
            return Ok(Self(regex));
        }
        let regex = regex::bytes::Regex::new(text).map_err(|e| {
            // The syntax error's text is several lines (the pattern, a
            // caret); its last line says what is wrong.
            let text = e.to_string();
            let last = text.lines().last().unwrap_or_default();
            last.strip_prefix("error: ").unwrap_or(last).to_string()
        })?;
        let regex = Arc::new(regex);
        if compiled.by_text.len() >= compiled.prune_at {
            compiled.by_text.retain(|_, r| r.strong_count() > 0);
            compiled.prune_at = (compiled.by_text.len() * 2).max(64);
        }
        compiled
            .by_text
            .insert(text.to_string(), Arc::downgrade(&regex));
        Ok(Self(regex))
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// Whether it matches somewhere in `haystack`.
    pub fn is_match(&self, haystack: &[u8]) -> bool {
        self.0.is_match(haystack)
    }
}

impl PartialEq for Pattern {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for Pattern {}

impl std::fmt::Debug for Pattern {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Pattern({:?})", self.as_str())
    }
}

/// The HTTP statuses a check accepts: one code (`status = 200`), or codes
/// and ranges (`status = "200-299,401"`), each within 100-599. Never empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusCodes(Vec<(u16, u16)>);

impl StatusCodes {
    /// The codes a check accepts.
    pub const RANGE: std::ops::RangeInclusive<u16> = 100..=599;

    /// One code; `None` outside 100-599.
    pub fn one(code: u16) -> Option<Self> {
        Self::RANGE
            .contains(&code)
            .then(|| Self(vec![(code, code)]))
    }

    /// `200`, `200-299,401`, `200, 301-302` (spaces allowed around the
    /// commas and dashes); `Err` says why not.
    pub fn parse(text: &str) -> Result<Self, String> {
        let code = |word: &str| -> Result<u16, String> {
            let word = word.trim();
            match word.parse::<u16>() {
                Ok(n) if Self::RANGE.contains(&n) => Ok(n),
                Ok(_) => Err(format!("{word} is not an HTTP status (100-599)")),
                Err(_) => Err(format!(
                    "`{word}` is not a status code: write codes and ranges such as \"200-299,401\""
                )),
            }
        };
        if text.trim().is_empty() {
            return Err("empty: write codes and ranges such as \"200-299,401\"".to_string());
        }
        let mut ranges = Vec::new();
        for part in text.split(',') {
            let range = match part.split_once('-') {
                Some((low, high)) => {
                    let (low, high) = (code(low)?, code(high)?);
                    if low > high {
                        return Err(format!("{low}-{high} is an empty range"));
                    }
                    (low, high)
                }
                None => {
                    let n = code(part)?;
                    (n, n)
                }
            };
            ranges.push(range);
        }
        Ok(Self(ranges))
    }

    /// Whether `code` is one of them.
    pub fn contains(&self, code: u16) -> bool {
        self.0
            .iter()
            .any(|(low, high)| (*low..=*high).contains(&code))
    }

    /// The single code, when that is what was written (`status = 200`).
    pub fn single(&self) -> Option<u16> {
        match self.0[..] {
            [(low, high)] if low == high => Some(low),
            _ => None,
        }
    }
}

impl std::fmt::Display for StatusCodes {
    /// `200` or `200-299,401`, as it is written in a file.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, (low, high)) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            if low == high {
                write!(f, "{low}")?;
            } else {
                write!(f, "{low}-{high}")?;
            }
        }
        Ok(())
    }
}

/// A health check with its timing.
#[derive(Debug, Clone, PartialEq)]
pub struct Check {
    /// What it does.
    pub kind: CheckKind,
    /// Port to check instead of the real's.
    pub port: Option<u16>,
    /// Time between checks.
    pub interval: Duration,
    /// Time a check may take.
    pub timeout: Duration,
    /// Successes in a row to come up.
    pub rise: u32,
    /// Failures in a row to go down.
    pub fall: u32,
}

/// A virtual service with its reals.
#[derive(Debug, Clone, PartialEq)]
pub struct Virtual {
    /// Optional label.
    pub name: Option<String>,
    /// What identifies it.
    pub key: VirtualKey,
    /// Scheduler name.
    pub scheduler: String,
    /// Persistence timeout in seconds.
    pub persistent: Option<u32>,
    /// Persistence netmask.
    pub netmask: Option<Netmask>,
    /// Keep failed reals with weight 0 instead of removing them.
    pub quiescent: bool,
    /// Sorry server, in the table only while no real is up (`run`).
    pub fallback: Option<Real>,
    /// Health check (`run`).
    pub check: Check,
    /// Real servers.
    pub reals: Vec<Real>,
    /// Where it was declared.
    pub origin: Origin,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_written_the_same_share_their_program() {
        let a = Pattern::new("OK web[0-9]+ shared").unwrap();
        let b = Pattern::new("OK web[0-9]+ shared").unwrap();
        let c = Pattern::new("OK web[0-9]* shared").unwrap();
        assert!(Arc::ptr_eq(&a.0, &b.0));
        assert!(!Arc::ptr_eq(&a.0, &c.0));
        assert_eq!(a, b);
        assert_ne!(a, c);
        // Once no pattern uses it, it is compiled anew (and the old one freed).
        let weak = Arc::downgrade(&a.0);
        drop((a, b));
        assert_eq!(weak.strong_count(), 0);
        assert!(Pattern::new("OK web[0-9]+ shared")
            .unwrap()
            .is_match(b"OK web1 shared"));
    }

    #[test]
    fn a_bad_pattern_says_why_in_one_line() {
        assert_eq!(Pattern::new("(").unwrap_err(), "unclosed group");
        assert_eq!(
            Pattern::new("a(?=b)").unwrap_err(),
            "look-around, including look-ahead and look-behind, is not supported"
        );
    }
}
