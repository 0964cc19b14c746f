// SPDX-License-Identifier: MIT OR Apache-2.0
//! The control protocol between `ipvsctl status|reload` and the daemon:
//! one JSON line each way per connection, then the socket closes.
//!
//! ```text
//! → {"version":1,"request":"status"}
//! ← {"version":1,"response":{"status":{"virtuals":[…]}}}
//! → {"version":1,"request":"reload"}
//! ← {"version":1,"response":{"reload":{"outcome":"refused","errors":1}}}
//! ← {"version":1,"response":{"error":"unknown request `…`"}}
//! → {"version":1,"request":{"drain":{"real":"10.0.0.2","virtual":null,"reason":"kernel update"}}}
//! ← {"version":1,"response":{"changed":{"reals":[{"virtual":"tcp 10.0.0.1:80","real":"10.0.0.2:80"}]}}}
//! → {"version":1,"request":{"weight":{"real":"10.0.0.2:80","virtual":"www","reason":null,"weight":5}}}
//! → {"version":1,"request":"resync"}
//! ← {"version":1,"response":{"resync":{"at_unix":1764500000.5,"read_ms":3.1,"loop_ms":0.4,"cpu_ms":0.3,"services":2,"repairs":["tcp 10.0.0.1:80: real 10.0.0.12:80 had weight 0, declared 1 (changed outside ipvsctl); restored"],"error":null}}}
//! ```
//!
//! Requests that change something (all but `status`) are refused unless
//! the client runs as root (see [`socket`](super::socket)).
//!
//! A new command is a new [`Request`] variant (with its data, e.g.
//! `{"drain":{…}}`) and a new [`Response`] variant: the version stays, and a
//! daemon that does not know the command answers with an error. The
//! version changes only when an existing message changes its meaning.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The protocol spoken here.
pub const VERSION: u32 = 1;

/// What the client sends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestLine {
    /// [`VERSION`].
    pub version: u32,
    /// What is asked.
    pub request: Request,
}

/// What can be asked of the daemon.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Request {
    /// Every virtual and real with its health (`ipvsctl status`).
    Status,
    /// Re-read the configuration files (`ipvsctl reload`, SIGHUP).
    Reload,
    /// Weight 0: no new connections, established ones go on.
    Drain(Selection),
    /// Out of the table now.
    Disable(Selection),
    /// The override gone: back under its checks.
    Enable(Selection),
    /// This weight instead of the configured one while up.
    Weight(Weighting),
    /// Read the table now and restore the declared state of the managed
    /// services (`ipvsctl resync`; the daemon also does it every
    /// `[defaults] resync`).
    Resync,
    /// `ipvsctl drain --director`: withdraw every announced address, keep
    /// the table and the checks.
    DrainDirector,
    /// `ipvsctl enable --director`: announce again.
    EnableDirector,
}

impl Request {
    /// Whether the request changes something (and so needs root).
    pub fn changes(&self) -> bool {
        !matches!(self, Self::Status)
    }
}

/// Which reals an override is for, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Selection {
    /// `IP` (that real in every virtual that has it) or `IP:PORT`.
    pub real: String,
    /// Only in this virtual: its name, `IP:PORT`, or its key (`tcp
    /// 10.0.0.1:80`, `fwmark 7`).
    #[serde(rename = "virtual")]
    pub virtual_: Option<String>,
    /// Why (`--reason`), shown by `status`.
    pub reason: Option<String>,
}

/// `ipvsctl weight`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Weighting {
    /// Which reals.
    #[serde(flatten)]
    pub selection: Selection,
    /// The weight, 0-65535.
    pub weight: u32,
}

/// The answer to an override: which reals of which virtuals it took.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Changed {
    /// Each real, in the configuration's order.
    pub reals: Vec<ChangedReal>,
}

/// One real an override took.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangedReal {
    /// `tcp 10.0.0.1:80`, `fwmark 7`.
    #[serde(rename = "virtual")]
    pub service: String,
    /// `10.0.0.2:80`.
    pub real: String,
}

/// What the daemon answers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResponseLine {
    /// [`VERSION`].
    pub version: u32,
    /// The answer.
    pub response: Response,
}

/// The answer to a [`Request`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Response {
    /// To [`Request::Status`].
    Status(Status),
    /// To [`Request::Reload`].
    Reload(ReloadOutcome),
    /// To a drain, disable, enable or weight.
    Changed(Changed),
    /// To [`Request::Resync`].
    Resync(ResyncReport),
    /// To [`Request::DrainDirector`] and [`Request::EnableDirector`].
    Director(DirectorState),
    /// The request was not understood, names nothing, or is not allowed.
    Error(String),
}

/// Just the version of a line, to refuse another version by name.
#[derive(Deserialize)]
pub struct Versioned {
    /// The line's version.
    pub version: u32,
}

/// What a reload did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum ReloadOutcome {
    /// The new configuration is in and the table follows it.
    Reloaded,
    /// The new configuration is in, but the table could not be updated.
    TableNotUpdated {
        /// Why.
        error: String,
    },
    /// The files have errors: the old configuration goes on.
    Refused {
        /// How many errors (each was logged).
        errors: usize,
    },
    /// The table could not be read.
    TableUnreadable {
        /// Why.
        error: String,
    },
}

impl ReloadOutcome {
    /// Whether the new configuration is in (`ipvsctl reload` exits 0).
    pub fn is_in(&self) -> bool {
        matches!(self, Self::Reloaded | Self::TableNotUpdated { .. })
    }
}

impl ReloadOutcome {
    /// The outcome from its words (the [`Display`](fmt::Display) text), as
    /// daemons before the versioned protocol answered.
    pub fn from_words(words: &str) -> Self {
        let error = |prefix: &str| words.strip_prefix(prefix).map(str::to_string);
        if words == "reloaded" {
            Self::Reloaded
        } else if let Some(error) = error("reloaded, but the table could not be updated: ") {
            Self::TableNotUpdated { error }
        } else if let Some(error) = error("reload failed: cannot read the table: ") {
            Self::TableUnreadable { error }
        } else {
            let errors = words
                .strip_prefix("reload refused: ")
                .and_then(|rest| rest.split(' ').next())
                .and_then(|n| n.parse().ok())
                .unwrap_or(0);
            Self::Refused { errors }
        }
    }
}

impl fmt::Display for ReloadOutcome {
    /// The words `ipvsctl reload` prints and systemd's STATUS shows.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Reloaded => f.write_str("reloaded"),
            Self::TableNotUpdated { error } => {
                write!(f, "reloaded, but the table could not be updated: {error}")
            }
            Self::Refused { errors } => write!(
                f,
                "reload refused: {errors} error(s); going on with the old configuration"
            ),
            Self::TableUnreadable { error } => {
                write!(f, "reload failed: cannot read the table: {error}")
            }
        }
    }
}

/// What one resync found and did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResyncReport {
    /// When it ran (seconds since the epoch).
    pub at_unix: f64,
    /// How long reading the table took (off the daemon's loop).
    pub read_ms: f64,
    /// How long it held the daemon's loop (planning and writing).
    pub loop_ms: f64,
    /// The CPU time it took on the loop's thread.
    pub cpu_ms: f64,
    /// The managed services compared.
    pub services: usize,
    /// One line per difference found, with what was done about it (as
    /// logged): `tcp 10.0.0.1:80: real 10.0.0.12:80 had weight 0, declared 5
    /// (changed outside ipvsctl); restored`.
    pub repairs: Vec<String>,
    /// Why the table could not be read or written, if so.
    pub error: Option<String>,
}

/// The resyncs, as `status` shows them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResyncStatus {
    /// `[defaults] resync` in seconds; `None` when off.
    pub period_s: Option<f64>,
    /// Resyncs since start (periodic and asked).
    pub runs: u64,
    /// Differences repaired since start.
    pub repairs: u64,
    /// The last one, if one ran.
    pub last: Option<ResyncReport>,
}

/// The answer to `status`: every virtual and real with its health, since
/// when, the last check, and what the kernel has for it. `ipvsctl status
/// --json` prints it as it is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Status {
    /// The declared virtuals, in the configuration's order.
    pub virtuals: Vec<VirtualStatus>,
    /// The resyncs (absent from daemons before them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resync: Option<ResyncStatus>,
    /// `[announce]`, when the configuration has it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub announce: Option<AnnounceStatus>,
}

/// The director as a whole, after `drain --director` or `enable
/// --director`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirectorState {
    /// Drained: nothing is announced.
    pub drained: bool,
    /// The addresses announced now.
    pub announced: Vec<String>,
}

/// `[announce]` as `status` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnnounceStatus {
    /// The routes' protocol number.
    pub protocol: u8,
    /// Their table.
    pub table: u32,
    /// `ipvsctl drain --director`.
    pub drained: bool,
    /// Every real has had its first check and the hold-down is over.
    pub ready: bool,
    /// The addresses announced now.
    pub announced: Vec<String>,
}

/// One virtual.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VirtualStatus {
    /// `tcp 10.0.0.1:80`, `fwmark 7`, …
    pub service: String,
    /// Its name in the configuration.
    pub name: Option<String>,
    /// Its reals.
    pub reals: Vec<RealStatus>,
    /// Its fallback (sorry server).
    pub fallback: Option<FallbackStatus>,
}

/// One real.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RealStatus {
    /// `10.0.0.2:80`, `[2001:db8::2]:80`.
    pub address: String,
    /// `up`, `down` or `unknown`.
    pub health: String,
    /// Since when (seconds since the epoch).
    pub since_unix: u64,
    /// The last check, if one ran since the check started or last changed.
    pub last_check: Option<CheckStatus>,
    /// Successes in a row.
    pub consecutive_ok: u32,
    /// Failures in a row.
    pub consecutive_failed: u32,
    /// Its entry in the kernel's table, if any.
    pub kernel: Option<KernelEntry>,
    /// What an operator (or a maintenance file) put on it, if anything.
    #[serde(rename = "override", default, skip_serializing_if = "Option::is_none")]
    pub override_: Option<OverrideStatus>,
}

/// An override as `status` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OverrideStatus {
    /// `drain`, `disable`, `weight` or `maintenance`.
    pub action: String,
    /// The weight of a `weight` override.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight: Option<u32>,
    /// Who: the user that asked, or the maintenance file.
    pub who: String,
    /// Since when (seconds since the epoch).
    pub since_unix: u64,
    /// Why (`--reason`), if given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// One check's outcome.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckStatus {
    /// Passed.
    pub ok: bool,
    /// When it started (seconds since the epoch).
    pub at_unix: f64,
    /// How long it took.
    pub latency_ms: f64,
    /// What happened.
    pub detail: String,
}

/// A real as the kernel has it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KernelEntry {
    /// Its weight.
    pub weight: u32,
    /// Active connections.
    pub active_connections: u32,
    /// Inactive connections.
    pub inactive_connections: u32,
}

/// A virtual's fallback.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FallbackStatus {
    /// Its address.
    pub address: String,
    /// Whether it is in the table now.
    pub in_table: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_read_back_as_written() {
        let request = RequestLine {
            version: VERSION,
            request: Request::Reload,
        };
        let text = serde_json::to_string(&request).unwrap();
        assert_eq!(text, r#"{"version":1,"request":"reload"}"#);
        assert_eq!(serde_json::from_str::<RequestLine>(&text).unwrap(), request);
        let response = ResponseLine {
            version: VERSION,
            response: Response::Reload(ReloadOutcome::Refused { errors: 2 }),
        };
        let text = serde_json::to_string(&response).unwrap();
        assert_eq!(
            text,
            r#"{"version":1,"response":{"reload":{"outcome":"refused","errors":2}}}"#
        );
        assert_eq!(
            serde_json::from_str::<ResponseLine>(&text).unwrap(),
            response
        );
    }

    #[test]
    fn override_requests_carry_their_data() {
        let request = RequestLine {
            version: VERSION,
            request: Request::Weight(Weighting {
                selection: Selection {
                    real: "10.0.0.2".into(),
                    virtual_: Some("fwmark 7".into()),
                    reason: None,
                },
                weight: 5,
            }),
        };
        let text = serde_json::to_string(&request).unwrap();
        assert_eq!(
            text,
            r#"{"version":1,"request":{"weight":{"real":"10.0.0.2","virtual":"fwmark 7","reason":null,"weight":5}}}"#
        );
        assert_eq!(serde_json::from_str::<RequestLine>(&text).unwrap(), request);
        assert!(request.request.changes());
        assert!(Request::Reload.changes());
        assert!(!Request::Status.changes());
    }

    #[test]
    fn reload_outcomes_read_as_before() {
        assert_eq!(ReloadOutcome::Reloaded.to_string(), "reloaded");
        assert_eq!(
            ReloadOutcome::Refused { errors: 1 }.to_string(),
            "reload refused: 1 error(s); going on with the old configuration"
        );
        let not_updated = ReloadOutcome::TableNotUpdated { error: "x".into() };
        assert!(not_updated.to_string().starts_with("reloaded"));
        assert!(not_updated.is_in());
        assert!(!ReloadOutcome::TableUnreadable { error: "x".into() }.is_in());
    }

    #[test]
    fn outcomes_read_back_from_their_words() {
        for outcome in [
            ReloadOutcome::Reloaded,
            ReloadOutcome::TableNotUpdated {
                error: "cannot read: x".into(),
            },
            ReloadOutcome::Refused { errors: 3 },
            ReloadOutcome::TableUnreadable { error: "y".into() },
        ] {
            assert_eq!(ReloadOutcome::from_words(&outcome.to_string()), outcome);
        }
    }
}
