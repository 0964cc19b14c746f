// SPDX-License-Identifier: MIT OR Apache-2.0
//! The raw document to the checked [`Config`]: every key known, every value
//! in range, every default filled in. All problems of all files are found
//! in one pass; any error means no configuration at all.
//!
//! One file per TOML table: this file reads the top table and
//! `[defaults]`, `sync` reads `[sync]`, `kernel` reads `[timeouts]` and
//! `[kernel]`, `metrics` `[metrics]`, `virtuals` a `[[virtual]]`,
//! `reals` its `[[virtual.real]]` and `fallback`, `check` a `check`,
//! `hooks` a `[[hook]]` (top or virtual); `merge` puts the files together. The keys a table knows are the keys
//! read from it (see `fields`).

mod announce;
mod check;
mod check_kinds;
mod control;
mod hooks;
mod kernel;
mod mail;
mod merge;
mod metrics;
mod password;
mod reals;
mod resync;
mod sync;
mod values;
mod virtuals;

use std::time::Duration;

use crate::diagnostic::Diagnostic;
use crate::fields::{Checker, Fields};
use crate::model::{
    Announce, Config, ControlSocket, Family, Hook, Kernel, Metrics, Origin, Sync, Timeouts,
    Virtual, VirtualKey,
};
use crate::source::SourceFile;
use crate::tree::Table;
use crate::words::PROTOCOL;

use reals::FallbackSpec;
use values::{count, directory, seconds};

/// Schedulers the kernel ships (`ip_vs_<name>`).
pub const SCHEDULERS: &[&str] = &[
    "rr", "wrr", "lc", "wlc", "lblc", "lblcr", "dh", "sh", "sed", "nq", "fo", "ovf", "mh", "twos",
];

/// Default time between checks.
pub const DEFAULT_CHECK_INTERVAL: Duration = Duration::from_secs(5);
/// Default check timeout.
pub const DEFAULT_CHECK_TIMEOUT: Duration = Duration::from_secs(3);
/// Default scheduler.
pub const DEFAULT_SCHEDULER: &str = "wlc";

/// Checks every file's raw document and puts them together. `Ok` carries
/// the configuration and its warnings; `Err` every diagnostic, errors first.
pub fn validate(
    files: &[(SourceFile, Table)],
) -> Result<(Config, Vec<Diagnostic>), Vec<Diagnostic>> {
    let mut diagnostics = Vec::new();
    let mut parts = Vec::new();
    for (source, table) in files {
        let mut checker = Checker::new(source);
        let part = file(&mut checker, table);
        let mut found = checker.diagnostics;
        found.sort_by_key(|d| d.location);
        diagnostics.extend(found);
        parts.push(part);
    }
    let config = merge::merge(parts, &mut diagnostics);
    if diagnostics.iter().any(Diagnostic::is_error) {
        diagnostics.sort_by_key(|d| d.severity);
        Err(diagnostics)
    } else {
        Ok((config, diagnostics))
    }
}

/// `tcp 192.168.0.3:80`, `fwmark 7`.
pub fn key_text(key: &VirtualKey) -> String {
    match key {
        VirtualKey::Address { protocol, address } => {
            format!("{} {address}", PROTOCOL.name(*protocol))
        }
        VirtualKey::Fwmark {
            family: Family::Ipv4,
            mark,
        } => format!("fwmark {mark}"),
        VirtualKey::Fwmark {
            family: Family::Ipv6,
            mark,
        } => format!("fwmark {mark} ipv6"),
    }
}

/// One file's contribution, before files are put together.
struct FilePart {
    sync: Option<(Sync, Origin)>,
    metrics: Option<(Metrics, Origin)>,
    announce: Option<(Announce, Origin)>,
    cleanstop: Option<(bool, Origin)>,
    autoreload: Option<(bool, Origin)>,
    resync: Option<(Option<Duration>, Origin)>,
    timeouts: Option<(Timeouts, Origin)>,
    kernel: Option<(Kernel, Origin)>,
    control: Option<(ControlSocket, Origin)>,
    virtuals: Vec<Virtual>,
    hooks: Vec<Hook>,
    hooks_max_running: Option<(usize, Origin)>,
}

/// What `[defaults]` sets for the whole configuration rather than for
/// each virtual.
#[derive(Default)]
struct Global {
    cleanstop: Option<(bool, Origin)>,
    autoreload: Option<(bool, Origin)>,
    resync: Option<(Option<Duration>, Origin)>,
}

/// `[defaults]` of one file: what its virtuals inherit.
struct Defaults<'t> {
    interval: Duration,
    timeout: Duration,
    rise: u32,
    fall: u32,
    quiescent: bool,
    fallback: Option<(FallbackSpec, String)>,
    /// `maintenance_dir`.
    maintenance_dir: Option<std::path::PathBuf>,
    /// `defaults.check`, read again by every virtual without its own.
    check: Option<Fields<'t>>,
    /// `hooks_max_running` (global, not inherited), with where it is.
    hooks_max_running: Option<(usize, Origin)>,
}

impl Default for Defaults<'_> {
    fn default() -> Self {
        Self {
            interval: DEFAULT_CHECK_INTERVAL,
            timeout: DEFAULT_CHECK_TIMEOUT,
            rise: 1,
            fall: 1,
            quiescent: false,
            fallback: None,
            maintenance_dir: None,
            check: None,
            hooks_max_running: None,
        }
    }
}

/// Where a table or value stands, as a virtual's or `[sync]`'s origin.
fn origin(checker: &Checker<'_>, span: &std::ops::Range<usize>) -> Origin {
    Origin {
        file: checker.source.path().to_path_buf(),
        location: checker.source.location_of(span),
    }
}

/// The top table: `[defaults]`, `[sync]`, `[metrics]`, `[[virtual]]`.
fn file(checker: &mut Checker<'_>, table: &Table) -> FilePart {
    checker.read(Fields::top(table), |checker, top| {
        let (defaults, global) = match checker.table(top, "defaults") {
            Some(d) => checker.read(d, defaults),
            None => (Defaults::default(), Global::default()),
        };
        let sync = checker.table(top, "sync").and_then(|s| {
            let origin = origin(checker, &s.span);
            checker.read(s, sync::sync).map(|sync| (sync, origin))
        });
        let control = checker.table(top, "control").map(|c| {
            let origin = origin(checker, &c.span);
            (checker.read(c, control::control), origin)
        });
        let hooks = hooks::hooks(checker, top);
        let timeouts = checker.table(top, "timeouts").map(|t| {
            let origin = origin(checker, &t.span);
            (checker.read(t, kernel::timeouts), origin)
        });
        let kernel = checker.table(top, "kernel").map(|k| {
            let origin = origin(checker, &k.span);
            (checker.read(k, kernel::kernel), origin)
        });
        let metrics = checker.table(top, "metrics").and_then(|m| {
            let origin = origin(checker, &m.span);
            checker
                .read(m, metrics::metrics)
                .map(|metrics| (metrics, origin))
        });
        let announce = checker.table(top, "announce").and_then(|a| {
            let origin = origin(checker, &a.span);
            checker
                .read(a, announce::announce)
                .map(|announce| (announce, origin))
        });
        let mut virtuals = Vec::new();
        for v in checker.tables(top, "virtual") {
            let virtual_ = checker.read(v, |checker, v| virtuals::virtual_(checker, v, &defaults));
            virtuals.extend(virtual_);
        }
        FilePart {
            sync,
            cleanstop: global.cleanstop,
            autoreload: global.autoreload,
            resync: global.resync,
            timeouts,
            kernel,
            control,
            metrics,
            announce,
            virtuals,
            hooks,
            hooks_max_running: defaults.hooks_max_running.clone(),
        }
    })
}

/// `[defaults]`, and its `cleanstop`, `autoreload` and `resync` (which
/// are not inherited but global).
fn defaults<'t>(checker: &mut Checker<'_>, d: &Fields<'t>) -> (Defaults<'t>, Global) {
    let mut defaults = Defaults::default();
    if let Some(v) = seconds(checker, d, "check_interval") {
        defaults.interval = v;
    }
    if let Some(v) = seconds(checker, d, "check_timeout") {
        defaults.timeout = v;
    }
    if let Some(v) = count(checker, d, "check_rise") {
        defaults.rise = v;
    }
    if let Some(v) = count(checker, d, "check_fall") {
        defaults.fall = v;
    }
    if let Some((q, _)) = checker.boolean(d, "quiescent") {
        defaults.quiescent = q;
    }
    defaults.fallback = reals::fallback(checker, d).map(|f| (f, d.key("fallback")));
    let cleanstop = checker
        .boolean(d, "cleanstop")
        .map(|(c, item)| (c, origin(checker, &item.span)));
    defaults.maintenance_dir = directory(checker, d, "maintenance_dir");
    defaults.check = checker.table(d, "check");
    defaults.hooks_max_running = hooks::max_running(checker, d).map(|n| {
        (
            n,
            origin(
                checker,
                &d.get("hooks_max_running")
                    .map_or(d.span.clone(), |i| i.span.clone()),
            ),
        )
    });
    let autoreload = checker
        .boolean(d, "autoreload")
        .map(|(a, item)| (a, origin(checker, &item.span)));
    let resync = resync::resync(checker, d).map(|(r, item)| (r, origin(checker, &item.span)));
    (
        defaults,
        Global {
            cleanstop,
            autoreload,
            resync,
        },
    )
}
