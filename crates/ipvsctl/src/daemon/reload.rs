// SPDX-License-Identifier: MIT OR Apache-2.0
//! Reload: re-read the files; a broken configuration is refused and the old
//! one goes on, with the health of every real; a good one keeps the health
//! of the reals it still has.

use std::collections::BTreeSet;
use std::path::PathBuf;

use health::{Health, TargetKey};
use tracing::{error, info, warn};

use super::checks::Checks;
use super::events::Event;
use super::protocol::ReloadOutcome;
use super::serve::Daemon;
use crate::table::Table;

/// What a reload read, off the daemon's loop: listing the directory,
/// reading the files and resolving the host names of `.cf` files (a
/// resolver that hangs holds this thread, up to its bound, not the loop).
pub(super) enum Read {
    /// Nothing was read: the directory could not be listed (or holds no
    /// `*.toml`), or the reading thread failed.
    Unread(String),
    /// The files, and what they hold.
    Loaded(
        Vec<PathBuf>,
        Box<Result<config::Loaded, Vec<config::Diagnostic>>>,
    ),
}

/// Reads `files`, or the `*.toml` of `directory` when it is given. Blocks:
/// run it on a thread of its own ([`tokio::task::spawn_blocking`]).
pub(super) fn read(files: Vec<PathBuf>, directory: Option<PathBuf>) -> Read {
    let files = match directory {
        Some(directory) => match crate::config_files::toml_files_in(&directory) {
            Ok(files) => files,
            Err(e) => return Read::Unread(e.to_string()),
        },
        None => files,
    };
    let loaded = config::load(&files);
    Read::Loaded(files, Box::new(loaded))
}

impl<T: Table, C: Checks> Daemon<T, C> {
    /// A reload begins: systemd and the autoreload watch are told, and the
    /// files are read off the loop; [`Daemon::reload`] takes what was read.
    pub(super) fn start_reload(&mut self) -> tokio::task::JoinHandle<Read> {
        self.notifier.reloading();
        self.autoreload.reloading();
        let (files, directory) = (self.files.clone(), self.directory.clone());
        tokio::task::spawn_blocking(move || read(files, directory))
    }

    /// Ends a reload with what was read, telling systemd and the metrics
    /// endpoint; returns what happened.
    pub(super) fn reload(&mut self, read: Read) -> ReloadOutcome {
        self.reloading = true;
        let outcome = self.reload_files(read);
        self.reloading = false;
        self.notifier.ready(&outcome.to_string());
        if let Some(metrics) = &mut self.metrics {
            metrics.reload(&outcome, &self.config);
        }
        outcome
    }

    fn reload_files(&mut self, read: Read) -> ReloadOutcome {
        let outcome = self.reload_config(read);
        let event = match &outcome {
            ReloadOutcome::Refused { .. } => None,
            ReloadOutcome::Reloaded => Some(Event::ReloadApplied { problem: None }),
            ReloadOutcome::TableUnreadable { error } | ReloadOutcome::TableNotUpdated { error } => {
                Some(Event::ReloadApplied {
                    problem: Some(error.clone()),
                })
            }
        };
        if let Some(event) = event {
            self.events.set_max_running(self.config.hooks_max_running);
            self.emit(event);
        }
        outcome
    }

    fn reload_config(&mut self, read: Read) -> ReloadOutcome {
        let loaded = match read {
            Read::Unread(e) => {
                let outcome = ReloadOutcome::Refused { errors: 1 };
                error!("{e}");
                error!("{outcome}");
                self.emit(Event::ReloadRefused {
                    errors: 1,
                    first: e,
                });
                return outcome;
            }
            Read::Loaded(files, loaded) => {
                self.files = files;
                loaded
            }
        };
        info!("reloading {}", files_text(&self.files));
        let loaded = match *loaded {
            Ok(loaded) => loaded,
            Err(diagnostics) => {
                for d in &diagnostics {
                    error!("{d}");
                }
                let outcome = ReloadOutcome::Refused {
                    errors: diagnostics.iter().filter(|d| d.is_error()).count(),
                };
                error!("{outcome}");
                let first = diagnostics.iter().find(|d| d.is_error());
                self.emit(Event::ReloadRefused {
                    errors: diagnostics.iter().filter(|d| d.is_error()).count(),
                    first: first.map(ToString::to_string).unwrap_or_default(),
                });
                return outcome;
            }
        };
        for warning in &loaded.warnings {
            warn!("{warning}");
        }
        self.config = loaded.config;
        self.autoreload.follow(
            &self.files,
            self.directory.as_deref(),
            self.config.autoreload,
        );
        let table = match self.table.entries() {
            Ok(table) => table,
            Err(e) => {
                error!("cannot read the table: {e}");
                return ReloadOutcome::TableUnreadable {
                    error: e.to_string(),
                };
            }
        };
        let targets = self.targets(&table);
        let keys: BTreeSet<&TargetKey<_>> = targets.iter().map(|t| &t.key).collect();
        self.health.retain(|k, _| keys.contains(k));
        for t in &targets {
            self.health
                .entry(t.key.clone())
                .or_insert(Health::from(t.initially_up));
        }
        self.checks.reconcile(targets);
        match self.sync_all(&table) {
            Ok(()) => ReloadOutcome::Reloaded,
            Err(e) => {
                error!("cannot update the table: {e:#}");
                ReloadOutcome::TableNotUpdated {
                    error: e.to_string(),
                }
            }
        }
    }
}

fn files_text(files: &[PathBuf]) -> String {
    files
        .iter()
        .map(|f| f.display().to_string())
        .collect::<Vec<_>>()
        .join(" ")
}
