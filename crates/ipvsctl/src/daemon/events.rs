// SPDX-License-Identifier: MIT OR Apache-2.0
//! What happened, as the loop reports it: one [`Event`] per real up or
//! down, per operator override, per fallback in or out, per reload. The
//! loop hands each to an [`Emitter`] together with the hooks that run on
//! it; the emitter never waits (a bounded channel's `try_send`: when it is
//! full the event is dropped with a log line), and the hook runner
//! ([`crate::hooks`]) runs them on its own task.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::SystemTime;

use config::model::{Hook, HookEvent};
use ipvs::ServiceKey;
use tokio::sync::mpsc::{self, error::TrySendError};
use tracing::warn;

/// Something the daemon did or saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A real passed its checks.
    RealUp {
        /// Its virtual.
        service: ServiceKey,
        /// The real.
        real: SocketAddr,
        /// The check's word on it.
        reason: String,
    },
    /// A real failed its checks.
    RealDown {
        /// Its virtual.
        service: ServiceKey,
        /// The real.
        real: SocketAddr,
        /// The check's word on it.
        reason: String,
    },
    /// An operator drained a real.
    RealDrained {
        /// Its virtual.
        service: ServiceKey,
        /// The real.
        real: SocketAddr,
        /// The operator's reason.
        reason: String,
    },
    /// An operator took a real out.
    RealDisabled {
        /// Its virtual.
        service: ServiceKey,
        /// The real.
        real: SocketAddr,
        /// The operator's reason.
        reason: String,
    },
    /// An operator put a real back under its checks.
    RealEnabled {
        /// Its virtual.
        service: ServiceKey,
        /// The real.
        real: SocketAddr,
        /// The operator's reason.
        reason: String,
    },
    /// An operator set a real's weight.
    RealWeight {
        /// Its virtual.
        service: ServiceKey,
        /// The real.
        real: SocketAddr,
        /// The weight it has now.
        weight: u32,
        /// The operator's reason.
        reason: String,
    },
    /// No real of the virtual is up: its fallback went in.
    FallbackIn {
        /// The virtual.
        service: ServiceKey,
        /// Its fallback server.
        fallback: SocketAddr,
    },
    /// A real of the virtual is up again: its fallback went out.
    FallbackOut {
        /// The virtual.
        service: ServiceKey,
        /// Its fallback server.
        fallback: SocketAddr,
    },
    /// A reload read good files; `problem` is set when the table could not
    /// be read or written afterwards.
    ReloadApplied {
        /// What went wrong after the files were taken, if anything.
        problem: Option<String>,
    },
    /// A reload was refused: the old configuration goes on.
    ReloadRefused {
        /// How many errors the files have.
        errors: usize,
        /// The first of them.
        first: String,
    },
    /// `[announce]`: the address's route is in: BIRD announces it.
    Announced {
        /// The virtual address.
        address: IpAddr,
    },
    /// `[announce]`: the address's route is out.
    Withdrawn {
        /// The virtual address.
        address: IpAddr,
        /// Why.
        reason: String,
    },
}

impl Event {
    /// Its kind, as hooks name it.
    pub fn kind(&self) -> HookEvent {
        match self {
            Self::RealUp { .. } => HookEvent::RealUp,
            Self::RealDown { .. } => HookEvent::RealDown,
            Self::RealDrained { .. } => HookEvent::RealDrained,
            Self::RealDisabled { .. } => HookEvent::RealDisabled,
            Self::RealEnabled { .. } => HookEvent::RealEnabled,
            Self::RealWeight { .. } => HookEvent::RealWeight,
            Self::FallbackIn { .. } => HookEvent::FallbackIn,
            Self::FallbackOut { .. } => HookEvent::FallbackOut,
            Self::ReloadApplied { .. } => HookEvent::ReloadApplied,
            Self::ReloadRefused { .. } => HookEvent::ReloadRefused,
            Self::Announced { .. } => HookEvent::Announced,
            Self::Withdrawn { .. } => HookEvent::Withdrawn,
        }
    }

    /// The virtual it is about (none for a reload).
    pub fn service(&self) -> Option<ServiceKey> {
        match self {
            Self::RealUp { service, .. }
            | Self::RealDown { service, .. }
            | Self::RealDrained { service, .. }
            | Self::RealDisabled { service, .. }
            | Self::RealEnabled { service, .. }
            | Self::RealWeight { service, .. }
            | Self::FallbackIn { service, .. }
            | Self::FallbackOut { service, .. } => Some(*service),
            Self::ReloadApplied { .. }
            | Self::ReloadRefused { .. }
            | Self::Announced { .. }
            | Self::Withdrawn { .. } => None,
        }
    }
}

/// What the daemon was doing when the event happened (ldirectord's
/// "daemon status", which `emailalertstatus` filters on).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DaemonState {
    /// The virtual has had no change of health since the daemon started
    /// (its first check results are coming in).
    Starting,
    /// Serving.
    Running,
    /// Re-reading the files.
    Reloading,
}

impl DaemonState {
    /// `starting`, `running`, `reloading`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Starting => "starting",
            Self::Running => "running",
            Self::Reloading => "reloading",
        }
    }
}

/// An event as it is handed to the hook runner.
#[derive(Debug, Clone)]
pub struct Fired {
    /// What happened.
    pub event: Event,
    /// When.
    pub at: SystemTime,
    /// What the daemon was doing.
    pub state: DaemonState,
    /// The virtual's `name`, if it has one.
    pub virtual_name: Option<String>,
    /// The daemon's first configuration file.
    pub config: PathBuf,
    /// The hooks that run on it (the global ones, then the virtual's).
    pub hooks: Vec<Hook>,
}

/// The loop's end of the channel to the hook runner.
#[derive(Debug, Clone)]
pub struct Emitter {
    sender: Option<mpsc::Sender<Fired>>,
    max_running: Arc<AtomicUsize>,
}

impl Emitter {
    /// Sends nothing (no runner).
    pub fn none() -> Self {
        Self {
            sender: None,
            max_running: Arc::new(AtomicUsize::new(1)),
        }
    }

    /// An emitter and the runner's end: at most `capacity` events wait in
    /// the channel; `max_running` is shared with the runner (a reload may
    /// change it).
    pub fn channel(capacity: usize, max_running: usize) -> (Self, mpsc::Receiver<Fired>) {
        let (sender, receiver) = mpsc::channel(capacity.max(1));
        let emitter = Self {
            sender: Some(sender),
            max_running: Arc::new(AtomicUsize::new(max_running.max(1))),
        };
        (emitter, receiver)
    }

    /// How many hooks may run at once (read by the runner before it starts
    /// each one).
    pub fn max_running(&self) -> Arc<AtomicUsize> {
        Arc::clone(&self.max_running)
    }

    /// Sets how many hooks may run at once.
    pub fn set_max_running(&self, n: usize) {
        self.max_running.store(n.max(1), Ordering::Relaxed);
    }

    /// Hands an event over without waiting; a full channel drops it, with
    /// a log line.
    pub fn send(&self, fired: Fired) {
        let Some(sender) = &self.sender else { return };
        match sender.try_send(fired) {
            Ok(()) => {}
            Err(TrySendError::Full(fired)) => warn!(
                "hooks: queue full, {} not run on {}",
                hook_count(fired.hooks.len()),
                fired.event.kind().name()
            ),
            Err(TrySendError::Closed(fired)) => warn!(
                "hooks: runner gone, {} not run on {}",
                hook_count(fired.hooks.len()),
                fired.event.kind().name()
            ),
        }
    }
}

fn hook_count(n: usize) -> String {
    if n == 1 {
        "1 hook".to_string()
    } else {
        format!("{n} hooks")
    }
}
