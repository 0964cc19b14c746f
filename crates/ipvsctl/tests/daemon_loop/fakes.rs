// SPDX-License-Identifier: MIT OR Apache-2.0
//! The daemon's loop on the host: a table kept in memory in place of the
//! kernel's, checks that run nothing (the tests send the transitions), and
//! a handle to drive the loop and look at what it did. Two test binaries
//! share it, each using part of it.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use health::{Health, Target, TargetKey, TargetStatus, Transition};
use ipvs::{
    DestinationEntry, Operation, OperationFailure, ServiceEntry, ServiceKey, Stats, SyncDaemon,
    SyncState, Sysctl, TableEntry, Timeouts,
};
use ipvsctl::daemon::announce::RouteTable;
use ipvsctl::daemon::events::{Emitter, Fired};
use ipvsctl::daemon::notify::Notifier;
use ipvsctl::daemon::protocol::{ReloadOutcome, Request, Response, ResyncReport, Status};
use ipvsctl::daemon::{Checks, Control, Daemon, Inputs, OverrideStore, Setup, TableReader};
use ipvsctl::record::Record;
use ipvsctl::table::Table;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

/// The IPVS table, in memory. Clones share it.
#[derive(Clone, Default)]
pub struct MemoryTable {
    entries: Arc<Mutex<Vec<TableEntry>>>,
    settings: Arc<Mutex<KernelSettings>>,
    /// While set, the kernel refuses to add this destination.
    refused: Arc<Mutex<Option<SocketAddr>>>,
    /// While set, the kernel refuses a service with this scheduler (its
    /// module missing).
    refused_scheduler: Arc<Mutex<Option<String>>>,
    /// Every operation the kernel took, in order.
    taken: Arc<Mutex<Vec<String>>>,
}

/// The timeouts and sysctls, in memory: the kernel's defaults at first.
pub struct KernelSettings {
    pub timeouts: Timeouts,
    pub sysctls: std::collections::BTreeMap<Sysctl, i64>,
}

impl Default for KernelSettings {
    fn default() -> Self {
        Self {
            timeouts: Timeouts {
                tcp: 900,
                tcp_fin: 120,
                udp: 300,
            },
            sysctls: [
                (Sysctl::ExpireNodestConn, 0),
                (Sysctl::ExpireQuiescentTemplate, 0),
                (Sysctl::ConnReuseMode, 1),
                (Sysctl::SloppyTcp, 0),
                (Sysctl::SloppySctp, 0),
            ]
            .into(),
        }
    }
}

impl MemoryTable {
    fn lock(&self) -> MutexGuard<'_, Vec<TableEntry>> {
        self.entries.lock().unwrap()
    }

    /// The timeouts and sysctls in force.
    pub fn settings(&self) -> MutexGuard<'_, KernelSettings> {
        self.settings.lock().unwrap()
    }

    /// A service's destinations as (address, weight), sorted; `None`
    /// when there is no such service.
    pub fn reals(&self, key: &ServiceKey) -> Option<Vec<(String, u32)>> {
        let entries = self.lock();
        let entry = entries.iter().find(|e| e.service.service.key == *key)?;
        let mut reals: Vec<_> = entry
            .destinations
            .iter()
            .map(|d| (d.destination.address.to_string(), d.destination.weight))
            .collect();
        reals.sort();
        Some(reals)
    }

    /// A service's destinations as (address, weight) in the kernel's
    /// order (head first, as a dump gives them); `None` when there is no
    /// such service.
    pub fn in_order(&self, key: &ServiceKey) -> Option<Vec<(String, u32)>> {
        let entries = self.lock();
        let entry = entries.iter().find(|e| e.service.service.key == *key)?;
        Some(
            entry
                .destinations
                .iter()
                .map(|d| (d.destination.address.to_string(), d.destination.weight))
                .collect(),
        )
    }

    /// A service's flag bits; `None` when there is no such service.
    pub fn flags(&self, key: &ServiceKey) -> Option<u32> {
        let entries = self.lock();
        let entry = entries.iter().find(|e| e.service.service.key == *key)?;
        Some(entry.service.service.flags.bits())
    }

    /// From now on the kernel refuses to add `real` (`None`: refuses
    /// nothing), as it may for lack of memory or a module.
    pub fn refuse(&self, real: Option<&str>) {
        *self.refused.lock().unwrap() = real.map(|r| r.parse().unwrap());
    }

    /// From now on the kernel refuses to add or edit a service with this
    /// scheduler (`None`: refuses none), as it does when `ip_vs_<name>`
    /// cannot be loaded.
    pub fn refuse_scheduler(&self, scheduler: Option<&str>) {
        *self.refused_scheduler.lock().unwrap() = scheduler.map(str::to_string);
    }

    /// Every operation the kernel took so far (`ipvsadm`'s by hand not
    /// counted), as text.
    pub fn taken(&self) -> Vec<String> {
        self.taken.lock().unwrap().clone()
    }

    /// What an operator (or another tool) does with `ipvsadm`: any
    /// operation, behind the daemon's back.
    pub fn by_hand(&self, operation: &Operation) {
        apply(&mut self.lock(), operation);
    }

    /// A reader of the whole table, as the daemon's resyncs use off the
    /// loop.
    pub fn reader(&self) -> TableReader {
        let mut table = self.clone();
        Box::new(move || table.entries())
    }

    /// `ipvsadm -C`.
    pub fn flush(&self) {
        self.lock().clear();
    }

    /// Every service in the table, as `ipvsadm -Sn` would list them, in
    /// order: `tcp 10.0.0.1:80 rr [10.0.0.11:80 w1, …]`.
    pub fn saved(&self) -> Vec<String> {
        let mut lines: Vec<String> = self
            .lock()
            .iter()
            .map(|e| {
                let mut reals: Vec<String> = e
                    .destinations
                    .iter()
                    .map(|d| format!("{} w{}", d.destination.address, d.destination.weight))
                    .collect();
                reals.sort();
                format!(
                    "{} {} [{}]",
                    e.service.service.key,
                    e.service.service.scheduler,
                    reals.join(", ")
                )
            })
            .collect();
        lines.sort();
        lines
    }

    /// What an operator does with `ipvsadm -a` or `-e`: puts a destination
    /// in with that weight.
    pub fn set_by_hand(&self, key: &ServiceKey, real: &str, weight: u32) {
        let address: SocketAddr = real.parse().unwrap();
        let mut entries = self.lock();
        let entry = entries
            .iter_mut()
            .find(|e| e.service.service.key == *key)
            .expect("service in the table");
        entry
            .destinations
            .retain(|d| d.destination.address != address);
        entry.destinations.push(destination(ipvs::Destination::new(
            address,
            ipvs::Forward::Route,
            weight,
        )));
    }
}

fn destination(destination: ipvs::Destination) -> DestinationEntry {
    DestinationEntry {
        destination,
        active_connections: 0,
        inactive_connections: 0,
        persistent_connections: 0,
        stats: Stats::default(),
    }
}

/// The kernel refusing nothing: an operation on something missing is a
/// bug of the daemon's, and fails the test.
fn apply(entries: &mut Vec<TableEntry>, operation: &Operation) {
    let service = |entries: &mut Vec<TableEntry>, key: &ServiceKey| {
        entries
            .iter()
            .position(|e| e.service.service.key == *key)
            .unwrap_or_else(|| panic!("{operation}: no such service"))
    };
    match operation {
        Operation::AddService(s) => {
            assert!(
                entries.iter().all(|e| e.service.service.key != s.key),
                "{operation}: already exists"
            );
            entries.push(TableEntry {
                service: ServiceEntry {
                    service: s.clone(),
                    stats: Stats::default(),
                },
                destinations: Vec::new(),
            });
        }
        Operation::EditService(s) => {
            let i = service(entries, &s.key);
            entries[i].service.service = s.clone();
        }
        Operation::DeleteService(key) => {
            let i = service(entries, key);
            entries.remove(i);
        }
        Operation::AddDestination(key, d) => {
            let i = service(entries, key);
            let destinations = &mut entries[i].destinations;
            assert!(
                destinations
                    .iter()
                    .all(|e| e.destination.address != d.address),
                "{operation}: already exists"
            );
            // As the kernel: a new destination goes to the head of the
            // service's list (and a dump walks it from the head).
            destinations.insert(0, destination(*d));
        }
        Operation::EditDestination(key, d) => {
            let i = service(entries, key);
            let e = entries[i]
                .destinations
                .iter_mut()
                .find(|e| e.destination.address == d.address)
                .unwrap_or_else(|| panic!("{operation}: no such destination"));
            e.destination = *d;
        }
        Operation::DeleteDestination(key, address) => {
            let i = service(entries, key);
            let destinations = &mut entries[i].destinations;
            let before = destinations.len();
            destinations.retain(|e| e.destination.address != *address);
            assert!(
                destinations.len() < before,
                "{operation}: no such destination"
            );
        }
    }
}

impl Table for MemoryTable {
    fn entries(&mut self) -> ipvs::Result<Vec<TableEntry>> {
        Ok(self.lock().clone())
    }

    fn entry(&mut self, key: &ServiceKey) -> ipvs::Result<Option<TableEntry>> {
        Ok(self
            .lock()
            .iter()
            .find(|e| e.service.service.key == *key)
            .cloned())
    }

    fn destinations(&mut self, key: &ServiceKey) -> ipvs::Result<Vec<DestinationEntry>> {
        Ok(self.entry(key)?.map(|e| e.destinations).unwrap_or_default())
    }

    fn execute(&mut self, operations: &[Operation]) -> ipvs::Result<Vec<OperationFailure>> {
        let refused = *self.refused.lock().unwrap();
        let refused_scheduler = self.refused_scheduler.lock().unwrap().clone();
        let mut entries = self.lock();
        let mut failures = Vec::new();
        let mut failed_services = Vec::new();
        for (index, operation) in operations.iter().enumerate() {
            let refuse = match operation {
                Operation::AddDestination(_, d) => Some(d.address) == refused,
                Operation::AddService(s) | Operation::EditService(s) => {
                    Some(&s.scheduler) == refused_scheduler.as_ref()
                }
                _ => false,
            };
            // As the kernel: the reals of a service it did not add have
            // no service to go in.
            let orphan = match operation {
                Operation::AddDestination(key, _) => failed_services.contains(key),
                _ => false,
            };
            if refuse || orphan {
                if let Operation::AddService(s) = operation {
                    failed_services.push(s.key);
                }
                failures.push(OperationFailure {
                    index,
                    error: ipvs::Error::Protocol(format!("{operation}: refused by the test")),
                });
                continue;
            }
            apply(&mut entries, operation);
            self.taken.lock().unwrap().push(operation.to_string());
        }
        Ok(failures)
    }

    fn sync_daemons(&mut self) -> ipvs::Result<Vec<SyncDaemon>> {
        Ok(Vec::new())
    }

    fn start_sync_daemon(&mut self, _: &SyncDaemon) -> ipvs::Result<()> {
        Ok(())
    }

    fn stop_sync_daemon(&mut self, _: SyncState) -> ipvs::Result<()> {
        Ok(())
    }

    fn timeouts(&mut self) -> ipvs::Result<Timeouts> {
        Ok(self.settings().timeouts)
    }

    /// As the kernel: a 0 leaves that one as it is.
    fn set_timeouts(&mut self, t: Timeouts) -> ipvs::Result<()> {
        let mut settings = self.settings();
        let now = &mut settings.timeouts;
        for (now, new) in [
            (&mut now.tcp, t.tcp),
            (&mut now.tcp_fin, t.tcp_fin),
            (&mut now.udp, t.udp),
        ] {
            if new != 0 {
                *now = new;
            }
        }
        Ok(())
    }

    fn sysctl(&mut self, sysctl: Sysctl) -> ipvs::Result<i64> {
        Ok(self.settings().sysctls[&sysctl])
    }

    fn set_sysctl(&mut self, sysctl: Sysctl, value: i64) -> ipvs::Result<()> {
        self.settings().sysctls.insert(sysctl, value);
        Ok(())
    }
}

/// Checks that probe nothing; they remember the targets last given.
#[derive(Clone, Default)]
pub struct Recorded {
    targets: Arc<Mutex<Vec<Target<ServiceKey>>>>,
    reconciles: Arc<Mutex<usize>>,
}

impl Recorded {
    /// Whether the target of that real is given as initially up.
    pub fn initially_up(&self, service: &ServiceKey, real: &str) -> Option<bool> {
        let real: SocketAddr = real.parse().unwrap();
        self.targets
            .lock()
            .unwrap()
            .iter()
            .find(|t| t.key.service == *service && t.key.real == real)
            .map(|t| t.initially_up)
    }

    /// How many times the targets were given.
    pub fn reconciles(&self) -> usize {
        *self.reconciles.lock().unwrap()
    }
}

impl Checks for Recorded {
    fn reconcile(&self, targets: Vec<Target<ServiceKey>>) {
        *self.targets.lock().unwrap() = targets;
        *self.reconciles.lock().unwrap() += 1;
    }

    fn snapshot(&self) -> Vec<TargetStatus<ServiceKey>> {
        Vec::new()
    }

    async fn stop(&self) {}
}

/// `[announce]`'s host routes, in memory. Clones share them.
#[derive(Clone, Default)]
pub struct MemoryRoutes {
    routes: Arc<Mutex<std::collections::BTreeSet<std::net::IpAddr>>>,
    /// Every add and remove, in order (`+10.0.0.1`, `-10.0.0.1`).
    log: Arc<Mutex<Vec<String>>>,
}

impl MemoryRoutes {
    /// The routes now.
    pub fn now(&self) -> Vec<String> {
        self.routes
            .lock()
            .unwrap()
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    /// Every add and remove so far.
    pub fn log(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }

    /// A route of ours left from before (a daemon killed).
    pub fn left(&self, address: &str) {
        self.routes.lock().unwrap().insert(address.parse().unwrap());
    }

    fn opener(&self) -> ipvsctl::daemon::announce::RouteOpener {
        let routes = self.clone();
        Box::new(move |_| Ok(Box::new(routes.clone()) as Box<dyn RouteTable>))
    }
}

impl RouteTable for MemoryRoutes {
    fn list(&mut self) -> anyhow::Result<Vec<std::net::IpAddr>> {
        Ok(self.routes.lock().unwrap().iter().copied().collect())
    }
    fn add(&mut self, address: std::net::IpAddr) -> anyhow::Result<()> {
        self.routes.lock().unwrap().insert(address);
        self.log.lock().unwrap().push(format!("+{address}"));
        Ok(())
    }
    fn remove(&mut self, address: std::net::IpAddr) -> anyhow::Result<()> {
        self.routes.lock().unwrap().remove(&address);
        self.log.lock().unwrap().push(format!("-{address}"));
        Ok(())
    }
}

/// A fresh directory for the daemon `name`, with `toml` as its `www.toml`:
/// the directory and the file.
fn site_dir(name: &str, toml: &str) -> (PathBuf, PathBuf) {
    let dir = std::env::temp_dir().join(format!("ipvsctl-loop-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("www.toml");
    std::fs::write(&config, toml).unwrap();
    (dir, config)
}

/// A daemon running on a [`MemoryTable`], its files in a directory of its
/// own.
pub struct Running {
    pub table: MemoryTable,
    /// `[announce]`'s routes.
    pub routes: MemoryRoutes,
    pub checks: Recorded,
    pub dir: PathBuf,
    /// The configuration file, in `dir`.
    pub config: PathBuf,
    controls: mpsc::UnboundedSender<Control>,
    transitions: mpsc::UnboundedSender<Transition<ServiceKey>>,
    task: JoinHandle<anyhow::Result<i32>>,
    /// The reloads `autoreload` sent (each passed on to the loop).
    autoreloads: Arc<AtomicUsize>,
}

/// The longest a test waits for the loop (virtual time: the tests run with
/// paused time, so waiting costs nothing).
const PATIENCE: Duration = Duration::from_secs(60);

impl Running {
    /// Starts a daemon on an empty table with this configuration, and
    /// waits until it serves.
    pub async fn start(name: &str, toml: &str) -> Self {
        Self::start_sending(name, toml, MemoryTable::default(), Emitter::none()).await
    }

    /// Starts a daemon as [`Running::start`] does, and returns its events
    /// as the hook runner would get them.
    #[allow(dead_code)]
    pub async fn start_with_events(name: &str, toml: &str) -> (Self, mpsc::Receiver<Fired>) {
        let (emitter, fired) = Emitter::channel(64, 1);
        let table = MemoryTable::default();
        (Self::start_sending(name, toml, table, emitter).await, fired)
    }

    /// As [`Running::start_with_events`], on a table that has entries.
    #[allow(dead_code)]
    pub async fn start_on_with_events(
        name: &str,
        toml: &str,
        table: MemoryTable,
    ) -> (Self, mpsc::Receiver<Fired>) {
        let (emitter, fired) = Emitter::channel(64, 1);
        (Self::start_sending(name, toml, table, emitter).await, fired)
    }

    async fn start_sending(name: &str, toml: &str, table: MemoryTable, events: Emitter) -> Self {
        let reader = table.reader();
        Self::start_reading(name, toml, table, events, reader).await
    }

    /// As [`Running::start`], on `table`, the resyncs reading it with
    /// `reader`.
    pub async fn start_with_reader(
        name: &str,
        toml: &str,
        table: MemoryTable,
        reader: TableReader,
    ) -> Self {
        Self::start_reading(name, toml, table, Emitter::none(), reader).await
    }

    async fn start_reading(
        name: &str,
        toml: &str,
        table: MemoryTable,
        events: Emitter,
        reader: TableReader,
    ) -> Self {
        let (dir, config) = site_dir(name, toml);
        Self::serve_in(
            dir,
            config,
            table,
            events,
            reader,
            false,
            MemoryRoutes::default(),
        )
        .await
    }

    /// As [`Running::start`], with `[announce]`'s routes as `routes` has
    /// them (routes left from before).
    #[allow(dead_code)]
    pub async fn start_with_routes(name: &str, toml: &str, routes: MemoryRoutes) -> Self {
        let (dir, config) = site_dir(name, toml);
        let table = MemoryTable::default();
        let reader = table.reader();
        Self::serve_in(dir, config, table, Emitter::none(), reader, false, routes).await
    }

    /// Starts a daemon as [`Running::start`] does, but reading the `*.toml`
    /// of its directory (as with no FILE given), listed again at each reload.
    #[allow(dead_code)]
    pub async fn start_from_directory(name: &str, toml: &str) -> Self {
        let (dir, config) = site_dir(name, toml);
        let table = MemoryTable::default();
        let reader = table.reader();
        Self::serve_in(
            dir,
            config,
            table,
            Emitter::none(),
            reader,
            true,
            MemoryRoutes::default(),
        )
        .await
    }

    /// A daemon on `table` with the files of `dir`, serving, its events
    /// sent to `events`, its resyncs reading with `reader` (off the loop);
    /// `from_directory`: the files are the `*.toml` of `dir`, listed again
    /// at each reload.
    async fn serve_in(
        dir: PathBuf,
        config: PathBuf,
        table: MemoryTable,
        events: Emitter,
        reader: TableReader,
        from_directory: bool,
        routes: MemoryRoutes,
    ) -> Self {
        let files = vec![config.clone()];
        let loaded = config::load(&files).expect("a good configuration");
        let checks = Recorded::default();
        let (controls, control_inputs) = mpsc::unbounded_channel();
        let (transitions, transition_inputs) = mpsc::unbounded_channel();
        // autoreload's reloads, passed on to the loop and counted once the
        // loop has done them (a reload reads its files off the loop, so
        // "sent" is not "done").
        let (reloads, mut reload_inputs) = mpsc::unbounded_channel::<Control>();
        let autoreloads = Arc::new(AtomicUsize::new(0));
        let (to_loop, counter) = (controls.clone(), autoreloads.clone());
        tokio::spawn(async move {
            while let Some(control) = reload_inputs.recv().await {
                let (control, done) = match control {
                    Control::Reload(None) => {
                        let (reply, done) = oneshot::channel();
                        (Control::Reload(Some(reply)), Some(done))
                    }
                    other => (other, None),
                };
                if to_loop.send(control).is_err() {
                    return;
                }
                if let Some(done) = done {
                    if done.await.is_err() {
                        return;
                    }
                }
                counter.fetch_add(1, Ordering::SeqCst);
            }
        });
        let daemon = Daemon::new(Setup {
            files,
            config: loaded.config,
            table: table.clone(),
            checks: checks.clone(),
            notifier: Notifier::none(),
            record: Record::at(dir.join("managed")),
            socket: ipvsctl::daemon::socket::Address::Path(dir.join("ipvsctl.sock")),
            access: ipvsctl::daemon::socket::Access::root_only(),
            overrides: OverrideStore::at(dir.join("overrides.json")),
            reloads,
        })
        .with_events(events)
        .reading_directory(from_directory.then(|| dir.clone()))
        .read_table_with(reader)
        .announce_with(routes.opener());
        let task = tokio::spawn(daemon.serve(Inputs {
            controls: control_inputs,
            transitions: transition_inputs,
        }));
        let running = Running {
            table,
            routes,
            checks,
            dir,
            config,
            controls,
            transitions,
            task,
            autoreloads,
        };
        running.status().await;
        running
    }

    /// Stops the loop and starts another on the same table and files (a
    /// daemon restart).
    pub async fn restart(self) -> Self {
        self.controls.send(Control::Stop).unwrap();
        assert_eq!(self.task.await.unwrap().unwrap(), 0);
        let reader = self.table.reader();
        Self::serve_in(
            self.dir,
            self.config,
            self.table,
            Emitter::none(),
            reader,
            false,
            self.routes,
        )
        .await
    }

    /// What `ipvsctl drain|disable|enable|weight` asks, as root.
    pub async fn ask(&self, request: Request) -> Response {
        let (reply, answer) = oneshot::channel();
        self.controls
            .send(Control::Override {
                request,
                who: "root".to_string(),
                reply,
            })
            .unwrap();
        tokio::time::timeout(PATIENCE, answer)
            .await
            .expect("the loop answers")
            .expect("the loop is running")
    }

    /// Waits until the status shows that real's override as `action`
    /// (`None`: no override).
    pub async fn until_override(&self, real: &str, action: Option<&str>) {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            let status = self.status().await;
            let shown = status
                .virtuals
                .iter()
                .flat_map(|v| &v.reals)
                .find(|r| r.address == real)
                .and_then(|r| r.override_.as_ref())
                .map(|o| o.action.clone());
            if shown.as_deref() == action {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{real}: wanted override {action:?}, the status shows {shown:?}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// What `ipvsctl resync` asks; the loop's report.
    pub async fn resync(&self) -> ResyncReport {
        let (reply, answer) = oneshot::channel();
        self.controls.send(Control::Resync(reply)).unwrap();
        tokio::time::timeout(PATIENCE, answer)
            .await
            .expect("the loop answers")
            .expect("the loop is running")
    }

    /// What SIGHUP asks: a reload nobody waits for.
    pub fn sighup(&self) {
        self.controls.send(Control::Reload(None)).unwrap();
    }

    /// The status, once the loop answers (so also: the loop serves).
    pub async fn status(&self) -> Status {
        let (reply, answer) = oneshot::channel();
        self.controls.send(Control::Status(reply)).unwrap();
        tokio::time::timeout(PATIENCE, answer)
            .await
            .expect("the loop answers")
            .expect("the loop is running")
    }

    /// Rewrites the configuration file and reloads.
    pub async fn reload(&self, toml: &str) -> ReloadOutcome {
        std::fs::write(&self.config, toml).unwrap();
        self.reload_as_is().await
    }

    /// Reloads the files as they are (SIGHUP, `ipvsctl reload`).
    pub async fn reload_as_is(&self) -> ReloadOutcome {
        let (reply, answer) = oneshot::channel();
        self.controls.send(Control::Reload(Some(reply))).unwrap();
        tokio::time::timeout(PATIENCE, answer)
            .await
            .expect("the loop answers")
            .expect("the loop is running")
    }

    /// How many reloads `autoreload` has sent so far.
    pub fn autoreloads(&self) -> usize {
        self.autoreloads.load(Ordering::SeqCst)
    }

    /// Waits until `autoreload` has sent `n` reloads, then until the loop
    /// has served them (a status asked after them is answered).
    pub async fn until_autoreloads(&self, n: usize) {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        while self.autoreloads() < n {
            assert!(
                tokio::time::Instant::now() < deadline,
                "{} autoreloads, wanted {n}",
                self.autoreloads()
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        self.status().await;
    }

    /// Where the loop's controls go (for a control socket served to it).
    #[allow(dead_code)]
    pub fn controls(&self) -> mpsc::UnboundedSender<Control> {
        self.controls.clone()
    }

    /// The configuration file.
    pub fn config_file(&self) -> &std::path::Path {
        &self.config
    }

    /// What the checks would send: that real of that virtual is up or down.
    pub fn health(&self, service: &ServiceKey, real: &str, health: Health) {
        let transition = Transition {
            key: TargetKey {
                service: *service,
                real: real.parse().unwrap(),
            },
            health,
            reason: "told by the test".to_string(),
        };
        self.transitions.send(transition).unwrap();
    }

    /// Waits until the service has exactly these destinations (address,
    /// weight); fails with what it has instead.
    pub async fn until_reals(&self, service: &ServiceKey, wanted: &[(&str, u32)]) {
        let mut wanted: Vec<(String, u32)> =
            wanted.iter().map(|(a, w)| (a.to_string(), *w)).collect();
        wanted.sort();
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            let reals = self.table.reals(service);
            if reals.as_ref() == Some(&wanted) {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{service}: wanted {wanted:?}, the table has {reals:?}"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Waits out the start: the fallbacks held back until the reals' first
    /// checks may go in from then on.
    pub async fn past_the_start(&self) {
        tokio::time::sleep(Duration::from_secs(30)).await;
        self.status().await;
    }

    /// Stops the daemon; its exit code.
    pub async fn stop(self) -> i32 {
        self.controls.send(Control::Stop).unwrap();
        let code = self.task.await.unwrap().unwrap();
        let _ = std::fs::remove_dir_all(&self.dir);
        code
    }
}

/// The site most loop tests run: one virtual `www` with a fallback and two
/// reals, checked every 5 s.
pub const TWO_REALS: &str = r#"
[defaults]
check_interval = 5
check_timeout = 1

[[virtual]]
name = "www"
address = "10.0.0.1:80"
scheduler = "rr"
fallback = "127.0.0.1:80"
check = { type = "connect" }

  [[virtual.real]]
  address = "10.0.0.11:80"

  [[virtual.real]]
  address = "10.0.0.12:80"
"#;

/// The virtual of [`TWO_REALS`] (and of other sites' `www`).
pub fn www() -> ServiceKey {
    ServiceKey::tcp("10.0.0.1:80".parse().unwrap())
}

/// The other sites' `mail` virtual.
pub fn mail() -> ServiceKey {
    ServiceKey::tcp("10.0.0.2:25".parse().unwrap())
}
