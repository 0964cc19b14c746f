// SPDX-License-Identifier: MIT OR Apache-2.0
//! Files put together: one desired state, no virtual twice, one `[sync]`,
//! one `[timeouts]`, one `[kernel]`, one `[control]`, one `[metrics]`, one `cleanstop`,
//! `autoreload`, `resync` and `hooks_max_running`, and no mixed families while the sync daemon runs.

use std::collections::HashMap;

use crate::diagnostic::{Diagnostic, Severity};
use crate::model::{Config, Family, Origin, VirtualKey, DEFAULT_HOOKS_MAX_RUNNING, DEFAULT_RESYNC};

use super::{key_text, FilePart};

/// Puts the files' parts together, in file order.
pub(super) fn merge(parts: Vec<FilePart>, diagnostics: &mut Vec<Diagnostic>) -> Config {
    let mut config = Config {
        sync: None,
        cleanstop: false,
        control: Default::default(),
        virtuals: Vec::new(),
        hooks: Vec::new(),
        hooks_max_running: DEFAULT_HOOKS_MAX_RUNNING,
        autoreload: false,
        resync: Some(DEFAULT_RESYNC),
        timeouts: Default::default(),
        kernel: Default::default(),
        metrics: None,
        announce: None,
    };
    let mut autoreload_origin: Option<Origin> = None;
    let mut resync_origin: Option<Origin> = None;
    let mut timeouts_origin: Option<Origin> = None;
    let mut kernel_origin: Option<Origin> = None;
    let mut control_origin: Option<Origin> = None;
    let mut max_running_origin: Option<Origin> = None;
    let mut sync_origin: Option<Origin> = None;
    let mut metrics_origin: Option<Origin> = None;
    let mut announce_origin: Option<Origin> = None;
    let mut cleanstop_origin: Option<Origin> = None;
    let mut seen: HashMap<VirtualKey, Origin> = HashMap::new();
    for part in parts {
        if let Some((sync, origin)) = part.sync {
            match &sync_origin {
                Some(first) => diagnostics.push(Diagnostic {
                    key: Some("sync".into()),
                    message: format!("a second [sync] (the first is at {})", place(first)),
                    ..at(&origin)
                }),
                None => {
                    config.sync = Some(sync);
                    sync_origin = Some(origin);
                }
            }
        }
        if let Some((metrics, origin)) = part.metrics {
            match &metrics_origin {
                Some(first) => diagnostics.push(Diagnostic {
                    key: Some("metrics".into()),
                    message: format!("a second [metrics] (the first is at {})", place(first)),
                    ..at(&origin)
                }),
                None => {
                    config.metrics = Some(metrics);
                    metrics_origin = Some(origin);
                }
            }
        }
        if let Some((announce, origin)) = part.announce {
            match &announce_origin {
                Some(first) => diagnostics.push(Diagnostic {
                    key: Some("announce".into()),
                    message: format!("a second [announce] (the first is at {})", place(first)),
                    ..at(&origin)
                }),
                None => {
                    config.announce = Some(announce);
                    announce_origin = Some(origin);
                }
            }
        }
        if let Some((cleanstop, origin)) = part.cleanstop {
            match &cleanstop_origin {
                Some(first) if cleanstop != config.cleanstop => diagnostics.push(Diagnostic {
                    key: Some("defaults.cleanstop".into()),
                    message: format!("differs from the cleanstop at {}", place(first)),
                    ..at(&origin)
                }),
                _ => {
                    config.cleanstop = cleanstop;
                    cleanstop_origin = Some(origin);
                }
            }
        }
        if let Some((autoreload, origin)) = part.autoreload {
            match &autoreload_origin {
                Some(first) if autoreload != config.autoreload => diagnostics.push(Diagnostic {
                    key: Some("defaults.autoreload".into()),
                    message: format!("differs from the autoreload at {}", place(first)),
                    ..at(&origin)
                }),
                _ => {
                    config.autoreload = autoreload;
                    autoreload_origin = Some(origin);
                }
            }
        }
        if let Some((resync, origin)) = part.resync {
            match &resync_origin {
                Some(first) if resync != config.resync => diagnostics.push(Diagnostic {
                    key: Some("defaults.resync".into()),
                    message: format!("differs from the resync at {}", place(first)),
                    ..at(&origin)
                }),
                _ => {
                    config.resync = resync;
                    resync_origin = Some(origin);
                }
            }
        }
        once(
            &mut config.timeouts,
            &mut timeouts_origin,
            part.timeouts,
            "timeouts",
            diagnostics,
        );
        once(
            &mut config.kernel,
            &mut kernel_origin,
            part.kernel,
            "kernel",
            diagnostics,
        );
        if let Some((control, origin)) = part.control {
            match &control_origin {
                Some(first) => diagnostics.push(Diagnostic {
                    key: Some("control".into()),
                    message: format!("a second [control] (the first is at {})", place(first)),
                    ..at(&origin)
                }),
                None => {
                    config.control = control;
                    control_origin = Some(origin);
                }
            }
        }
        if let Some((max, origin)) = part.hooks_max_running {
            match &max_running_origin {
                Some(first) if max != config.hooks_max_running => diagnostics.push(Diagnostic {
                    key: Some("defaults.hooks_max_running".into()),
                    message: format!("differs from the hooks_max_running at {}", place(first)),
                    ..at(&origin)
                }),
                _ => {
                    config.hooks_max_running = max;
                    max_running_origin = Some(origin);
                }
            }
        }
        config.hooks.extend(part.hooks);
        for virtual_ in part.virtuals {
            if let Some(first) = seen.get(&virtual_.key) {
                diagnostics.push(Diagnostic {
                    message: format!(
                        "duplicate virtual {} (first declared at {})",
                        key_text(&virtual_.key),
                        place(first)
                    ),
                    ..at(&virtual_.origin)
                });
                continue;
            }
            seen.insert(virtual_.key, virtual_.origin.clone());
            config.virtuals.push(virtual_);
        }
    }
    // The kernel refuses a sync daemon while any destination is of another
    // family than its service (and such destinations while it syncs).
    if let (Some(sync_origin), true) = (&sync_origin, config.sync.is_some()) {
        for v in &config.virtuals {
            let mixed = v
                .reals
                .iter()
                .chain(&v.fallback)
                .find(|r| Family::of(r.address.ip()) != v.key.family());
            if let Some(real) = mixed {
                diagnostics.push(Diagnostic {
                    message: format!(
                        "{} has a real of the other address family ({}), and [sync] is set at {}: \
                         the kernel's sync daemon does not work with mixed-family destinations",
                        key_text(&v.key),
                        real.address,
                        place(sync_origin)
                    ),
                    ..at(&v.origin)
                });
            }
        }
    }
    // `announce = true` asks for what only `[announce]` says how to do.
    if config.announce.is_none() {
        for v in config.virtuals.iter().filter(|v| v.announce == Some(true)) {
            diagnostics.push(Diagnostic {
                key: Some("announce".into()),
                message: format!(
                    "{} has `announce = true` but no file has an [announce] section \
                     (an empty [announce] announces every virtual)",
                    key_text(&v.key)
                ),
                ..at(&v.origin)
            });
        }
    }
    config
}

/// A table only one file may hold: the first is kept, a second refused.
fn once<T>(
    slot: &mut T,
    first: &mut Option<Origin>,
    part: Option<(T, Origin)>,
    table: &str,
    diagnostics: &mut Vec<Diagnostic>,
) {
    let Some((value, origin)) = part else {
        return;
    };
    match first {
        Some(first) => diagnostics.push(Diagnostic {
            key: Some(table.into()),
            message: format!("a second [{table}] (the first is at {})", place(first)),
            ..at(&origin)
        }),
        None => {
            *slot = value;
            *first = Some(origin);
        }
    }
}

/// An error at an origin, with no key and no message yet.
fn at(origin: &Origin) -> Diagnostic {
    Diagnostic {
        severity: Severity::Error,
        file: origin.file.clone(),
        location: origin.location,
        key: None,
        message: String::new(),
    }
}

/// `FILE:LINE:COL` of an origin.
fn place(origin: &Origin) -> String {
    format!("{}:{}", origin.file.display(), origin.location)
}
