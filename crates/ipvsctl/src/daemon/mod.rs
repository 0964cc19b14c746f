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
//!   refused and the old configuration goes on; with `autoreload`, a change
//!   of a file does the same;
//! - SIGTERM/SIGINT exit at once and leave the table as it is, unless
//!   `cleanstop` asks to remove the managed services.
//!
//! | module         | job                                                          |
//! |----------------|--------------------------------------------------------------|
//! | this file      | the edge: tracing, runtime, kernel, socket, signals, engine  |
//! | `serve`        | the loop: [`Daemon::serve`] over its [`Inputs`]              |
//! | `sync`         | check targets and adopted health; re-plan and write          |
//! | `resync`       | every `[defaults] resync` and on demand: read, restore, log  |
//! | `repair`       | what a resync found, in words (pure)                         |
//! | `reload`       | re-read the files: a typed [`ReloadOutcome`]                 |
//! | `autoreload`   | watch the files (inotify), debounce, reload as SIGHUP does   |
//! | `health_table` | what health does to a virtual (pure)                         |
//! | `control`      | [`Control`]: what signals and the socket ask of the loop     |
//! | `signals`      | SIGHUP → reload, SIGTERM/SIGINT → stop; installed first      |
//! | `socket`       | the control socket, one per network namespace: guard, access, serve, request |
//! | `protocol`     | the control protocol: versioned JSON lines                   |
//! | `status`       | the answer to `status`                                       |
//! | `overrides`    | drain/disable/weight: who, when, why; which reals a name takes |
//! | `override_store` | the overrides' file, outliving restarts and reboots        |
//! | `overriding`   | the loop's side of overrides and maintenance files           |
//! | `maintenance`  | `maintenance_dir`: the naming rule, the polling watcher      |
//! | `checks`       | [`Checks`]: the health engine as the loop uses it            |
//! | `notify`       | systemd's notify protocol                                    |
//! | `events`       | [`events::Event`]: what happened, handed to the hook runner  |
//! | `emit`         | which hooks run on an event; fallback in/out remembered      |
//! | `announce`     | `[announce]`: the route table, what is announced (pure)      |
//! | `announcing`   | the loop's side of `[announce]`; drain/enable --director     |

pub mod announce;
mod announcing;
pub mod autoreload;
pub mod checks;
pub mod client_slots;
pub mod control;
mod emit;
pub mod events;
pub mod health_table;
pub mod maintenance;
pub mod notify;
pub mod override_store;
pub mod overrides;
mod overriding;
pub mod protocol;
mod reload;
mod repair;
pub mod resync;
pub mod serve;
mod signals;
pub mod socket;
mod status;
mod sync;

use std::path::Path;
use std::sync::Arc;

use health::{CheckThreads, Engine};
use ipvs::Ipvs;
use tracing::{error, info, warn};

pub use checks::Checks;
pub use control::Control;
pub use override_store::OverrideStore;
pub use protocol::ReloadOutcome;
pub use resync::TableReader;
pub use serve::{Daemon, Inputs, Setup};

use crate::config_files::ConfigFiles;
use crate::record::Record;
use crate::{exit, hooks};

/// Runs the daemon until SIGTERM or SIGINT, its checks on `check_threads`
/// threads of their own. A configuration directory is listed again at each
/// reload.
pub fn run(sources: ConfigFiles, check_threads: usize) -> anyhow::Result<i32> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_target(false)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_max_level(tracing::Level::INFO)
        .init();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    // Before anything slow (reading a large configuration): a SIGHUP from
    // now on is a reload, not the end of the daemon.
    let signals = {
        let _entered = runtime.enter();
        signals::Signals::install()?
    };
    let files = match sources.list() {
        Ok(files) => files,
        Err(e) => {
            error!("{e}");
            return Ok(exit::FAILURE);
        }
    };
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
    // The checks run on threads of their own (one by default: see the
    // health crate's "The engine's own cost"), so the table writes, on the
    // main runtime, never hold up a check.
    let checking = CheckThreads::start(check_threads)?;
    let check_runtimes = checking.handles();
    let code = runtime.block_on(async move {
        let table = Ipvs::connect()?;
        // First, so that a second daemon in this network namespace stops
        // before touching the table.
        let socket = socket::Address::here();
        let listener = socket.bind()?;
        let access = socket::Access::root_only();
        if let Err(e) = access.set_group(config.control.group.as_deref()) {
            error!("control socket: {e:#}");
        }
        let (controls, control_inputs) = tokio::sync::mpsc::unbounded_channel();
        signals.forward(controls.clone());
        tokio::spawn(socket::serve(listener, controls.clone(), access.clone()));
        let (transitions, transition_inputs) = tokio::sync::mpsc::unbounded_channel();
        let (events, fired) = events::Emitter::channel(hooks::QUEUE, config.hooks_max_running);
        tokio::spawn(hooks::run(
            fired,
            events.max_running(),
            hooks::QUEUE,
            hooks::log,
        ));
        let engine = Arc::new(Engine::start_on(check_runtimes, transitions));
        let metrics = match config.metrics {
            Some(m) => {
                let reader = crate::metrics::kernel_reader(Arc::clone(&engine))?;
                let (bound, publisher) = crate::metrics::start(m.listen, reader).await?;
                info!("metrics on http://{bound}/metrics");
                Some(publisher)
            }
            None => None,
        };
        let overrides = OverrideStore::here();
        if let Some(note) = overrides.note() {
            warn!("{note}");
        }
        // The resyncs' reads, off the loop, on a socket of their own.
        let mut reading = Ipvs::connect()?;
        let mut daemon = Daemon::new(Setup {
            files,
            config,
            table,
            checks: engine,
            notifier: notify::Notifier::from_environment(),
            record: Record::here(),
            socket: socket.clone(),
            access,
            overrides,
            reloads: controls,
        })
        .with_events(events)
        .reading_directory(sources.directory().map(Path::to_path_buf))
        .read_table_with(Box::new(move || reading.table()))
        .announce_with(announce::kernel_routes());
        if let Some(publisher) = metrics {
            daemon = daemon.publish_to(publisher);
        }
        let code = daemon
            .serve(Inputs {
                controls: control_inputs,
                transitions: transition_inputs,
            })
            .await;
        socket.remove();
        code
    });
    checking.stop();
    code
}
