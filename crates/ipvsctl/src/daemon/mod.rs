// SPDX-License-Identifier: MIT OR Apache-2.0
//! `ipvsctl run`: health checks drive the table.
//!
//! The daemon owns the declared services, like `apply`, and changes only
//! what health asks for:
//! - at start it adopts the kernel table: a real already in with its weight
//!   counts as up until its checks say otherwise, so a restart removes and
//!   re-adds nothing;
//! - on each transition it re-plans the virtuals concerned and writes the
//!   difference (see [`health_table`]);
//! - SIGHUP (or `ipvsctl reload`) re-reads the files; a broken file is
//!   refused and the old configuration goes on;
//! - SIGTERM/SIGINT exit at once and leave the table as it is, unless
//!   `cleanstop` asks to remove the managed services.

pub mod control;
pub mod health_table;
mod notify;
mod status;

use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;

use config::Config;
use health::{Engine, Health, Target, TargetKey, Transition};
use ipvs::{Ipvs, ServiceKey, TableEntry};
use planner::Ownership;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::signal::unix::{signal, SignalKind};
use tracing::{error, info, warn};

use crate::{desired, exit, record};

/// Runs the daemon until SIGTERM or SIGINT.
pub fn run(files: Vec<PathBuf>) -> anyhow::Result<i32> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_target(false)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_max_level(tracing::Level::INFO)
        .init();
    let config = match config::load(&files) {
        Ok(loaded) => {
            for warning in &loaded.warnings {
                warn!("{warning}");
            }
            loaded.config
        }
        Err(diagnostics) => {
            for d in &diagnostics {
                error!("{d}");
            }
            return Ok(exit::FAILURE);
        }
    };
    match health::raise_nofile_limit() {
        Ok(limit) => info!("file descriptor limit {limit}"),
        Err(e) => warn!("cannot raise the file descriptor limit: {e}"),
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let mut daemon = Daemon {
            files,
            config,
            ipvs: Ipvs::connect()?,
            health: HashMap::new(),
            starting: BTreeSet::new(),
            notifier: notify::Notifier::from_environment(),
        };
        daemon.serve().await
    })
}

struct Daemon {
    files: Vec<PathBuf>,
    config: Config,
    ipvs: Ipvs,
    /// Health of every real, by virtual and address.
    health: HashMap<TargetKey, Health>,
    /// Virtuals whose reals have not had their first check since start:
    /// their fallback waits (see [`health_table::desired_service`]).
    starting: BTreeSet<String>,
    /// systemd, when it runs the daemon.
    notifier: notify::Notifier,
}

impl Daemon {
    async fn serve(&mut self) -> anyhow::Result<i32> {
        // First, so that a second daemon stops before touching the table.
        let listener = control::bind()?;
        let (sender, mut transitions) = tokio::sync::mpsc::unbounded_channel();
        let engine = Engine::start(sender);
        let table = self.ipvs.table()?;
        self.adopt(&engine, &table);
        self.starting = self
            .config
            .virtuals
            .iter()
            .map(|v| desired::service_key(&v.key).to_string())
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
        self.sync_all()?;
        let mut watchdog = self.notifier.watchdog_interval().map(tokio::time::interval);
        let mut hangup = signal(SignalKind::hangup())?;
        let mut terminate = signal(SignalKind::terminate())?;
        let mut interrupt = signal(SignalKind::interrupt())?;
        info!(
            "running: {} virtual services, {} reals; control socket {}",
            self.config.virtuals.len(),
            self.health.len(),
            control::socket_path().display()
        );
        self.notifier
            .ready(&format!("{} virtual services", self.config.virtuals.len()));
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
                () = &mut started, if !self.starting.is_empty() => {
                    let waiting = std::mem::take(&mut self.starting);
                    if let Err(e) = self.sync_services(&waiting) {
                        error!("cannot update the table: {e:#}");
                    }
                }
                _ = hangup.recv() => {
                    self.reload(&engine);
                }
                _ = terminate.recv() => break,
                _ = interrupt.recv() => break,
                Ok((stream, _)) = listener.accept() => self.on_request(&engine, stream).await,
            }
        }
        self.notifier.stopping();
        engine.shutdown().await;
        if self.config.cleanstop {
            self.clean_stop();
        } else {
            info!("stopping; the table stays as it is");
        }
        let _ = std::fs::remove_file(control::socket_path());
        Ok(exit::SUCCESS)
    }

    /// Health at start: in the kernel with the configured weight = up.
    fn adopt(&mut self, engine: &Engine, table: &[TableEntry]) {
        let targets = self.targets(table);
        self.health = targets
            .iter()
            .map(|t| {
                (
                    t.key.clone(),
                    if t.initially_up {
                        Health::Up
                    } else {
                        Health::Down
                    },
                )
            })
            .collect();
        engine.reconcile(targets);
    }

    /// The check targets of the configuration; `table` says which reals
    /// are adopted (only for reals whose health is not known yet).
    fn targets(&self, table: &[TableEntry]) -> Vec<Target> {
        let mut targets = Vec::new();
        for v in &self.config.virtuals {
            let key = desired::service_key(&v.key);
            let current: &[ipvs::DestinationEntry] = table
                .iter()
                .find(|e| e.service.service.key == key)
                .map_or(&[], |e| &e.destinations);
            let (virtual_host, virtual_port) = match key {
                ServiceKey::Address { address, .. } => (address.ip().to_string(), address.port()),
                ServiceKey::Fwmark { mark, .. } => (mark.to_string(), 0),
            };
            for real in &v.reals {
                let target_key = TargetKey {
                    service: key.to_string(),
                    real: real.address,
                };
                let initially_up = match self.health.get(&target_key) {
                    Some(health) => *health == Health::Up,
                    None => health_table::adopted(real, current),
                };
                targets.push(Target {
                    key: target_key,
                    check: v.check.clone(),
                    virtual_host: virtual_host.clone(),
                    virtual_port,
                    initially_up,
                });
            }
        }
        targets
    }

    fn on_transitions(&mut self, batch: Vec<Transition>) {
        let mut affected = BTreeSet::new();
        for t in batch {
            let word = if t.health == Health::Up { "up" } else { "down" };
            info!(
                "real {} of {} {word}: {}",
                socket_text(&t.key.real),
                t.key.service,
                t.reason
            );
            affected.insert(t.key.service.clone());
            self.starting.remove(&t.key.service);
            self.health.insert(t.key, t.health);
        }
        if let Err(e) = self.sync_services(&affected) {
            error!("cannot update the table: {e:#}");
        }
    }

    fn health_of(&self, service: &str) -> HashMap<std::net::SocketAddr, Health> {
        self.health
            .iter()
            .filter(|(k, _)| k.service == service)
            .map(|(k, h)| (k.real, *h))
            .collect()
    }

    /// Re-plans the given virtuals against their current kernel entries.
    fn sync_services(&mut self, services: &BTreeSet<String>) -> anyhow::Result<()> {
        let mut desired_services = Vec::new();
        let mut actual = Vec::new();
        for v in &self.config.virtuals {
            let key = desired::service_key(&v.key);
            if !services.contains(&key.to_string()) {
                continue;
            }
            let entry = match self.ipvs.service(&key) {
                Ok(service) => Some(TableEntry {
                    destinations: self.ipvs.destinations(&key)?,
                    service,
                }),
                Err(e) if e.kind() == Some(&ipvs::ErrorKind::NoSuchService) => None,
                Err(e) => return Err(e.into()),
            };
            let current = entry.as_ref().map_or(&[][..], |e| &e.destinations[..]);
            let hold = self.starting.contains(&key.to_string());
            desired_services.push(health_table::desired_service(
                v,
                &self.health_of(&key.to_string()),
                current,
                hold,
            ));
            actual.extend(entry);
        }
        let managed: BTreeSet<ServiceKey> =
            desired_services.iter().map(|d| d.service.key).collect();
        let plan = planner::plan(
            &desired_services,
            &actual,
            &Ownership {
                managed: Some(managed),
                prune: false,
            },
        );
        self.execute(&plan);
        Ok(())
    }

    /// Plans every declared virtual against the whole table, with the
    /// ownership record (as `apply` does), and saves the record.
    fn sync_all(&mut self) -> anyhow::Result<()> {
        let table = self.ipvs.table()?;
        let desired_services: Vec<_> = self
            .config
            .virtuals
            .iter()
            .map(|v| {
                let key = desired::service_key(&v.key);
                let current = table
                    .iter()
                    .find(|e| e.service.service.key == key)
                    .map_or(&[][..], |e| &e.destinations[..]);
                let hold = self.starting.contains(&key.to_string());
                health_table::desired_service(v, &self.health_of(&key.to_string()), current, hold)
            })
            .collect();
        let managed = record::load();
        let plan = planner::plan(
            &desired_services,
            &table,
            &Ownership {
                managed,
                prune: false,
            },
        );
        for key in &plan.left_alone {
            info!("left alone: {key} (not declared here)");
        }
        self.execute(&plan);
        let wanted: BTreeSet<_> = desired_services.iter().map(|d| d.service.key).collect();
        record::save(&wanted)?;
        for change in crate::sync_daemons::plan(&mut self.ipvs, &self.config)? {
            match crate::sync_daemons::execute(&mut self.ipvs, &change) {
                Ok(()) => info!("{change}"),
                Err(e) => error!("{e}"),
            }
        }
        Ok(())
    }

    fn execute(&mut self, plan: &planner::Plan) {
        if plan.is_empty() {
            return;
        }
        let operations: Vec<_> = plan.changes.iter().map(|c| c.operation()).collect();
        match self.ipvs.execute(&operations) {
            Ok(failures) => {
                let failed: BTreeSet<usize> = failures.iter().map(|f| f.index).collect();
                for (index, change) in plan.changes.iter().enumerate() {
                    if !failed.contains(&index) {
                        info!("table: {change}");
                    }
                }
                for failure in failures {
                    error!("table: {}", failure.error);
                }
            }
            Err(e) => error!("cannot write the table: {e}"),
        }
    }

    /// Re-reads the files; a broken configuration is refused and the old
    /// one goes on. Returns what happened, in words.
    fn reload(&mut self, engine: &Engine) -> String {
        self.notifier.reloading();
        let outcome = self.reload_files(engine);
        self.notifier.ready(&outcome);
        outcome
    }

    fn reload_files(&mut self, engine: &Engine) -> String {
        info!("reloading {}", files_text(&self.files));
        let loaded = match config::load(&self.files) {
            Ok(loaded) => loaded,
            Err(diagnostics) => {
                for d in &diagnostics {
                    error!("{d}");
                }
                let message = format!(
                    "reload refused: {} error(s); going on with the old configuration",
                    diagnostics.iter().filter(|d| d.is_error()).count()
                );
                error!("{message}");
                return message;
            }
        };
        for warning in &loaded.warnings {
            warn!("{warning}");
        }
        self.config = loaded.config;
        let table = match self.ipvs.table() {
            Ok(table) => table,
            Err(e) => {
                error!("cannot read the table: {e}");
                return format!("reload failed: cannot read the table: {e}");
            }
        };
        let targets = self.targets(&table);
        let keys: BTreeSet<&TargetKey> = targets.iter().map(|t| &t.key).collect();
        self.health.retain(|k, _| keys.contains(k));
        for t in &targets {
            self.health
                .entry(t.key.clone())
                .or_insert(if t.initially_up {
                    Health::Up
                } else {
                    Health::Down
                });
        }
        engine.reconcile(targets);
        match self.sync_all() {
            Ok(()) => "reloaded".to_string(),
            Err(e) => {
                error!("cannot update the table: {e:#}");
                format!("reloaded, but the table could not be updated: {e}")
            }
        }
    }

    async fn on_request(&mut self, engine: &Engine, stream: tokio::net::UnixStream) {
        let (reader, mut writer) = stream.into_split();
        let mut line = String::new();
        let read = tokio::time::timeout(
            std::time::Duration::from_secs(5),
            BufReader::new(reader).read_line(&mut line),
        )
        .await;
        if !matches!(read, Ok(Ok(_))) {
            return;
        }
        let answer = match line.trim() {
            "status" => status::json(&self.config, engine.snapshot(), &mut self.ipvs),
            "reload" => serde_json::json!({ "message": self.reload(engine) }).to_string(),
            other => {
                serde_json::json!({ "error": format!("unknown request `{other}`") }).to_string()
            }
        };
        let _ = writer.write_all(answer.as_bytes()).await;
        let _ = writer.shutdown().await;
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
        match self.ipvs.execute(&operations) {
            Ok(failures) => {
                for f in failures {
                    warn!("cleanstop: {}", f.error);
                }
                record::clear();
                info!(
                    "stopping; removed the {} managed services (cleanstop)",
                    keys.len()
                );
            }
            Err(e) => error!("cleanstop: {e}"),
        }
    }
}

fn socket_text(address: &std::net::SocketAddr) -> String {
    ipvs::net::socket_text(&address.ip(), address.port())
}

fn files_text(files: &[PathBuf]) -> String {
    files
        .iter()
        .map(|f| f.display().to_string())
        .collect::<Vec<_>>()
        .join(" ")
}
