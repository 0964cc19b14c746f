// SPDX-License-Identifier: MIT OR Apache-2.0
//! What only the daemon's loop knows, published to the scrapes when it
//! changes: the configured virtuals, reloads, the last good configuration,
//! and the reals' operator states.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use config::Config;
use health::TargetKey;
use ipvs::ServiceKey;
use tokio::sync::watch;
use tracing::warn;

use crate::daemon::ReloadOutcome;
use crate::desired;

/// A real's state as `ipvsctl_real_state{state=…}` shows it: one series
/// per state, 1 for the real's state and 0 for the others.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RealState {
    /// Its checks say up.
    Up,
    /// Its checks say down.
    Down,
    /// Drained by the operator (weight 0, connections going on).
    Drained,
    /// Disabled by the operator (out of the table).
    Disabled,
}

impl RealState {
    /// Every state, in the order the series are written.
    pub const ALL: [RealState; 4] = [
        RealState::Up,
        RealState::Down,
        RealState::Drained,
        RealState::Disabled,
    ];

    /// The `state` label's value.
    pub fn label(self) -> &'static str {
        match self {
            RealState::Up => "up",
            RealState::Down => "down",
            RealState::Drained => "drained",
            RealState::Disabled => "disabled",
        }
    }
}

/// One configured virtual.
#[derive(Debug, Clone, PartialEq)]
pub struct VirtualFacts {
    /// Its kernel key.
    pub service: ServiceKey,
    /// Its `name`, if any.
    pub name: Option<String>,
    /// Its check's type (`connect`, `http`, …): the duration histogram's
    /// `kind` label.
    pub check_kind: &'static str,
}

/// Reloads since start, by outcome.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Reloads {
    /// Read and written to the table.
    pub applied: u64,
    /// Refused: the files had errors; the old configuration goes on.
    pub refused: u64,
    /// Taken, but the table could not be read or written.
    pub table_error: u64,
}

/// Resyncs of the table since start.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ResyncCounts {
    /// Resyncs made (periodic and asked).
    pub runs: u64,
    /// Differences from the declared state they repaired.
    pub repairs: u64,
}

/// What the loop publishes.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Facts {
    /// The configured virtuals, in file order.
    pub virtuals: Vec<VirtualFacts>,
    /// Reloads since start.
    pub reloads: Reloads,
    /// When the configuration in force was loaded (unix seconds).
    pub last_good_config_unix: f64,
    /// Operator states that override health (drained, disabled), by real.
    /// Empty until runtime overrides are published; a real not in it is up
    /// or down as its checks say.
    pub overrides: HashMap<TargetKey<ServiceKey>, RealState>,
    /// Resyncs since start.
    pub resyncs: ResyncCounts,
    /// `[announce]`: each announcing virtual, and whether its address is
    /// announced now.
    pub announced: Vec<(ServiceKey, bool)>,
}

/// The loop's end of the channel: it keeps the facts and publishes a copy
/// when they change (at start, on each reload).
#[derive(Debug)]
pub struct Publisher {
    /// Where the endpoint listens (a reload does not move it).
    listen: SocketAddr,
    facts: Facts,
    sender: watch::Sender<Arc<Facts>>,
}

impl Publisher {
    /// A publisher for the endpoint on `listen`, and the receiver the
    /// endpoint reads.
    pub fn new(listen: SocketAddr) -> (Self, watch::Receiver<Arc<Facts>>) {
        let (sender, receiver) = watch::channel(Arc::new(Facts::default()));
        (
            Publisher {
                listen,
                facts: Facts::default(),
                sender,
            },
            receiver,
        )
    }

    /// A configuration was loaded and is now in force.
    pub fn config(&mut self, config: &Config) {
        let wanted = config.metrics.map(|m| m.listen);
        if wanted != Some(self.listen) {
            let wanted = wanted.map_or("none".to_string(), |w| w.to_string());
            warn!(
                "[metrics] listen = {wanted}: the endpoint stays on {} until ipvsctl run restarts",
                self.listen
            );
        }
        self.facts.virtuals = config
            .virtuals
            .iter()
            .map(|v| VirtualFacts {
                service: desired::service_key(&v.key),
                name: v.name.clone(),
                check_kind: v.check.kind.type_name(),
            })
            .collect();
        self.facts.last_good_config_unix = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64());
        self.publish();
    }

    /// A reload ended so; `config` is the configuration now in force.
    pub fn reload(&mut self, outcome: &ReloadOutcome, config: &Config) {
        let reloads = &mut self.facts.reloads;
        match outcome {
            ReloadOutcome::Reloaded => reloads.applied += 1,
            ReloadOutcome::Refused { .. } => reloads.refused += 1,
            ReloadOutcome::TableUnreadable { .. } | ReloadOutcome::TableNotUpdated { .. } => {
                reloads.table_error += 1
            }
        }
        if matches!(outcome, ReloadOutcome::Refused { .. }) {
            self.publish();
        } else {
            self.config(config);
        }
    }

    /// The operator's overrides changed (drain, disable, enable, a
    /// maintenance file): `overrides` is every real that one holds, with the
    /// state to show (a weight override is no state of its own: the weight
    /// shows in `ipvsctl_real_weight`).
    pub fn overrides(&mut self, overrides: HashMap<TargetKey<ServiceKey>, RealState>) {
        if overrides != self.facts.overrides {
            self.facts.overrides = overrides;
            self.publish();
        }
    }

    /// A resync ran; `counts` are the totals since start.
    pub fn resync(&mut self, counts: ResyncCounts) {
        if counts != self.facts.resyncs {
            self.facts.resyncs = counts;
            self.publish();
        }
    }

    /// `[announce]`: which virtuals' addresses are announced now.
    pub fn announced(&mut self, announced: Vec<(ServiceKey, bool)>) {
        if announced != self.facts.announced {
            self.facts.announced = announced;
            self.publish();
        }
    }

    fn publish(&self) {
        // No receiver (the endpoint is gone) is nothing to tell.
        self.sender.send_replace(Arc::new(self.facts.clone()));
    }
}
