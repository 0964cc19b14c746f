// SPDX-License-Identifier: MIT OR Apache-2.0
//! The daemon's loop: it takes its inputs ([`Control`]s, health
//! [`Transition`]s) and works on the table through [`Table`] and on the
//! checks through [`Checks`], so that it runs as well on the kernel (the
//! edge, [`super::run`]) as on a table kept in memory (host tests).

use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;

use config::Config;
use health::{Health, TargetKey, Transition};
use ipvs::ServiceKey;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender};
use tracing::{error, info, warn};

use super::announce::{Announcing, RouteOpener, DRAINED_FILE};
use super::autoreload::AutoReload;
use super::checks::Checks;
use super::control::Control;
use super::events::{Emitter, Event};
use super::maintenance::{Found, Watched};
use super::notify::Notifier;
use super::override_store::OverrideStore;
use super::overrides::Overrides;
use super::protocol::ReloadOutcome;
use super::protocol::Request;
use super::reload;
use super::resync::{self, Read, Resyncs, TableReader};
use super::status;
use crate::metrics::Publisher;
use crate::record::Record;
use crate::table::Table;
use crate::{desired, exit};

/// What the daemon starts from.
pub struct Setup<T, C> {
    /// The configuration files, re-read on reload.
    pub files: Vec<PathBuf>,
    /// Their configuration, as loaded at start.
    pub config: Config,
    /// The IPVS table.
    pub table: T,
    /// The health checks.
    pub checks: C,
    /// systemd, when it runs the daemon.
    pub notifier: Notifier,
    /// The record of the services ipvsctl manages.
    pub record: Record,
    /// The control socket's address (for the log).
    pub socket: super::socket::Address,
    /// Who may use the control socket (its group is set again on reload).
    pub access: super::socket::Access,
    /// Where overrides are kept.
    pub overrides: OverrideStore,
    /// Where `autoreload` sends its reloads: the loop's own controls.
    pub reloads: UnboundedSender<Control>,
}

/// What the loop listens to.
pub struct Inputs {
    /// Orders: reload, status, stop. The loop stops when every sender is
    /// gone.
    pub controls: UnboundedReceiver<Control>,
    /// Changes of health, from the checks.
    pub transitions: UnboundedReceiver<Transition<ServiceKey>>,
}

/// The running daemon.
pub struct Daemon<T, C> {
    pub(super) files: Vec<PathBuf>,
    /// The configuration directory, listed again at each reload, when the
    /// files come from one.
    pub(super) directory: Option<PathBuf>,
    pub(super) config: Config,
    pub(super) table: T,
    pub(super) checks: C,
    /// Health of every real, by virtual and address.
    pub(super) health: HashMap<TargetKey<ServiceKey>, Health>,
    /// Virtuals whose reals have not had their first check since start:
    /// their fallback waits (see [`super::health_table::desired_service`]).
    pub(super) starting: BTreeSet<ServiceKey>,
    pub(super) notifier: Notifier,
    pub(super) record: Record,
    pub(super) socket: super::socket::Address,
    pub(super) access: super::socket::Access,
    /// Drains, disables and weights, kept across restarts.
    pub(super) overrides: Overrides,
    /// Reals a file in a maintenance directory takes out.
    pub(super) maintenance: Found,
    /// The maintenance directories the watcher scans.
    pub(super) watching: tokio::sync::watch::Sender<Watched>,
    /// Where events go (the hook runner).
    pub(super) events: Emitter,
    /// Virtuals whose fallback is in (see [`super::emit`]).
    pub(super) fallbacks_in: BTreeSet<ServiceKey>,
    /// A reload is being made (the state events are sent in).
    pub(super) reloading: bool,
    /// The watch on the files, while `autoreload` is on.
    pub(super) autoreload: AutoReload,
    /// The metrics endpoint's facts, when `[metrics]` is set.
    pub(super) metrics: Option<Publisher>,
    /// What the resyncs did.
    pub(super) resyncs: Resyncs,
    /// Where the resyncs' reads come back (taken by the loop).
    reads: Option<UnboundedReceiver<Read>>,
    /// `[announce]`: the routes, what is announced, drained or not.
    pub(super) announcing: Announcing,
}

impl<T: Table, C: Checks> Daemon<T, C> {
    /// A daemon not yet serving.
    pub fn new(setup: Setup<T, C>) -> Self {
        let (resyncs, reads) = Resyncs::new();
        let announcing = Announcing::new(setup.overrides.path().with_file_name(DRAINED_FILE));
        Daemon {
            files: setup.files,
            directory: None,
            config: setup.config,
            table: setup.table,
            checks: setup.checks,
            health: HashMap::new(),
            starting: BTreeSet::new(),
            notifier: setup.notifier,
            record: setup.record,
            socket: setup.socket,
            access: setup.access,
            overrides: Overrides::load(setup.overrides),
            maintenance: Found::new(),
            watching: tokio::sync::watch::channel(Watched::new()).0,
            events: Emitter::none(),
            fallbacks_in: BTreeSet::new(),
            reloading: false,
            autoreload: AutoReload::new(setup.reloads),
            metrics: None,
            resyncs,
            reads: Some(reads),
            announcing,
        }
    }

    /// Announces the virtual addresses (`[announce]`) through the route
    /// tables `opener` opens; without one nothing is announced.
    pub fn announce_with(mut self, opener: RouteOpener) -> Self {
        self.announcing.with_opener(opener);
        self
    }

    /// Sends the daemon's events (with their hooks) to `events`.
    pub fn with_events(mut self, events: Emitter) -> Self {
        self.events = events;
        self
    }

    /// Takes the files from `directory` (its `*.toml`) at each reload, so
    /// that a file added to it or removed is seen; `None`: the files given.
    pub fn reading_directory(mut self, directory: Option<PathBuf>) -> Self {
        self.directory = directory;
        self
    }

    /// Reads the table for resyncs with `reader` (a netlink socket of its
    /// own), off the loop; without one the loop reads it itself.
    pub fn read_table_with(mut self, reader: TableReader) -> Self {
        self.resyncs.read_with(reader);
        self
    }

    /// Publishes what the metrics endpoint needs from the loop (the
    /// configuration in force, reloads) to `publisher`.
    pub fn publish_to(mut self, publisher: Publisher) -> Self {
        self.metrics = Some(publisher);
        self
    }

    /// Adopts the table, makes it right, then serves until told to stop.
    /// Returns the exit code.
    pub async fn serve(mut self, inputs: Inputs) -> anyhow::Result<i32> {
        let Inputs {
            mut controls,
            mut transitions,
        } = inputs;
        self.overrides.keep_only(&self.config);
        let (watcher, mut found) = self.watch_maintenance().await;
        let table = self.table.entries()?;
        self.adopt(&table);
        self.adopt_fallbacks(&table);
        self.starting = self
            .config
            .virtuals
            .iter()
            .map(|v| desired::service_key(&v.key))
            .collect();
        let grace = self
            .config
            .virtuals
            .iter()
            .map(|v| v.check.interval + v.check.timeout)
            .max()
            .unwrap_or_default();
        let started = tokio::time::sleep(grace);
        tokio::pin!(started);
        self.announce_start(grace);
        self.sync_all(&table)?;
        let mut announce_poll = tokio::time::interval(ANNOUNCE_POLL);
        self.autoreload.follow(
            &self.files,
            self.directory.as_deref(),
            self.config.autoreload,
        );
        if let Some(metrics) = &mut self.metrics {
            metrics.config(&self.config);
        }
        self.publish_overrides();
        let mut watchdog = self.notifier.watchdog_interval().map(tokio::time::interval);
        let mut reads = self.reads.take().unwrap_or_else(|| Resyncs::new().1);
        let mut resync_period = self.config.resync;
        let mut resync_timer = resync::timer(resync_period);
        info!(
            "running: {} virtual services, {} reals; control socket {}",
            self.config.virtuals.len(),
            self.health.len(),
            self.socket
        );
        self.notifier
            .ready(&format!("{} virtual services", self.config.virtuals.len()));
        // A reload under way: its read, and who waits for its outcome.
        let mut reloading: Option<tokio::task::JoinHandle<reload::Read>> = None;
        let mut reload_replies: Vec<Option<tokio::sync::oneshot::Sender<ReloadOutcome>>> =
            Vec::new();
        let mut reload_next = Vec::new();
        loop {
            tokio::select! {
                _ = async { watchdog.as_mut()?.tick().await; Some(()) }, if watchdog.is_some() => {
                    self.notifier.watchdog();
                }
                Some(first) = transitions.recv() => {
                    let mut batch = vec![first];
                    while let Ok(more) = transitions.try_recv() {
                        batch.push(more);
                    }
                    self.on_transitions(batch);
                }
                Some(now) = found.recv() => self.on_maintenance(now),
                _ = async { resync_timer.as_mut()?.tick().await; Some(()) }, if resync_timer.is_some() => {
                    self.resync(None);
                }
                Some(read) = reads.recv() => self.on_read(read),
                read = async { reloading.as_mut()?.await.ok() }, if reloading.is_some() => {
                    reloading = None;
                    // None: the reading thread panicked, so nothing was read.
                    let read = read.unwrap_or_else(|| {
                        reload::Read::Unread("the files could not be read".to_string())
                    });
                    let outcome = self.reload(read);
                    if outcome.is_in() {
                        self.after_reload();
                    }
                    if self.config.resync != resync_period {
                        resync_period = self.config.resync;
                        resync_timer = resync::timer(resync_period);
                    }
                    for reply in reload_replies.drain(..).flatten() {
                        let _ = reply.send(outcome.clone());
                    }
                    if !reload_next.is_empty() {
                        reload_replies = std::mem::take(&mut reload_next);
                        reloading = Some(self.start_reload());
                    }
                }
                _ = announce_poll.tick(), if self.announcing.waiting() => self.announce_poll(),
                () = &mut started, if !self.starting.is_empty() => {
                    let waiting = std::mem::take(&mut self.starting);
                    if let Err(e) = self.sync_services(&waiting) {
                        error!("cannot update the table: {e:#}");
                    }
                }
                control = controls.recv() => match control {
                    Some(Control::Reload(reply)) => {
                        // The files are read off the loop; a reload asked
                        // for while one reads comes after it (the files may
                        // have changed since that read began).
                        if reloading.is_some() {
                            reload_next.push(reply);
                        } else {
                            reload_replies.push(reply);
                            reloading = Some(self.start_reload());
                        }
                    }
                    Some(Control::Status(reply)) => {
                        let snapshot = self.checks.snapshot();
                        let mut status = status::status(
                            &self.config,
                            snapshot,
                            &status::Holds {
                                overrides: &self.overrides,
                                maintenance: &self.maintenance,
                            },
                            &mut self.table,
                        );
                        status.resync = Some(self.resync_status());
                        status.announce = self.announce_status();
                        let _ = reply.send(status);
                    }
                    Some(Control::Resync(reply)) => {
                        self.resync(Some(reply));
                    }
                    Some(Control::Override { request, who, reply }) => {
                        let response = match request {
                            Request::DrainDirector => self.on_director(true, &who),
                            Request::EnableDirector => self.on_director(false, &who),
                            request => self.on_override(request, &who),
                        };
                        let _ = reply.send(response);
                    }
                    Some(Control::Stop) | None => break,
                },
            }
        }
        self.notifier.stopping();
        // First: the router moves the flows away while the table stays.
        self.announce_stop();
        watcher.abort();
        self.checks.stop().await;
        if self.config.cleanstop {
            self.clean_stop();
        } else {
            info!("stopping; the table stays as it is");
        }
        Ok(exit::SUCCESS)
    }

    fn on_transitions(&mut self, batch: Vec<Transition<ServiceKey>>) {
        let mut affected = BTreeSet::new();
        for t in batch {
            info!(
                "real {} of {} {}: {}",
                socket_text(&t.key.real),
                t.key.service,
                t.health,
                t.reason
            );
            affected.insert(t.key.service);
            let (service, real) = (t.key.service, t.key.real);
            let reason = t.reason.clone();
            let health = t.health;
            self.health.insert(t.key, t.health);
            self.emit(match health {
                Health::Up => Event::RealUp {
                    service,
                    real,
                    reason,
                },
                Health::Down => Event::RealDown {
                    service,
                    real,
                    reason,
                },
            });
            self.starting.remove(&service);
        }
        if let Err(e) = self.sync_services(&affected) {
            error!("cannot update the table: {e:#}");
        }
    }

    /// `cleanstop`: remove the managed services on the way out.
    fn clean_stop(&mut self) {
        let keys: Vec<ServiceKey> = self
            .config
            .virtuals
            .iter()
            .map(|v| desired::service_key(&v.key))
            .collect();
        let operations: Vec<_> = keys
            .iter()
            .map(|k| ipvs::Operation::DeleteService(*k))
            .collect();
        match self.table.execute(&operations) {
            Ok(failures) => {
                for f in failures {
                    warn!("cleanstop: {}", f.error);
                }
                self.record.clear();
                info!(
                    "stopping; removed the {} managed services (cleanstop)",
                    keys.len()
                );
            }
            Err(e) => error!("cleanstop: {e}"),
        }
    }
}

/// How often the loop looks whether every real has had its first check,
/// while `[announce]` waits for it.
const ANNOUNCE_POLL: std::time::Duration = std::time::Duration::from_millis(200);

pub(super) fn socket_text(address: &std::net::SocketAddr) -> String {
    ipvs::net::socket_text(&address.ip(), address.port())
}
