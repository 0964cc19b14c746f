// SPDX-License-Identifier: MIT OR Apache-2.0
//! The daemon's side of overrides and maintenance files: an override
//! request applied and its virtuals re-planned; what the maintenance
//! directories say, taken in; what a reload changes for both; and the
//! holds the health rule is given.

use std::collections::{BTreeSet, HashMap};
use std::net::SocketAddr;

use health::TargetKey;
use ipvs::ServiceKey;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tracing::{error, info, warn};

use super::checks::Checks;
use super::events::Event;
use super::health_table::Hold;
use super::maintenance::{self, Found, Watched};
use super::overrides::{self, Action};
use super::protocol::{Changed, ChangedReal, Request, Response};
use super::serve::Daemon;
use crate::desired;
use crate::metrics::RealState;
use crate::table::Table;

impl<T: Table, C: Checks> Daemon<T, C> {
    /// What operators and maintenance files put on a virtual's reals: a
    /// `disable` goes over a maintenance file, which goes over a drain or
    /// a weight.
    pub(super) fn holds_of(&self, service: &ServiceKey) -> HashMap<SocketAddr, Hold> {
        let mut holds = self.overrides.holds(service);
        for key in self.maintenance.keys().filter(|k| k.service == *service) {
            if holds.get(&key.real) != Some(&Hold::Disable) {
                holds.insert(key.real, Hold::Maintenance);
            }
        }
        holds
    }

    /// Tells the metrics endpoint which reals are drained or disabled (by
    /// an operator or a maintenance file); a weight shows as the weight.
    pub(super) fn publish_overrides(&mut self) {
        let Some(metrics) = &mut self.metrics else {
            return;
        };
        let mut states = HashMap::new();
        for (key, o) in self.overrides.iter() {
            match o.action {
                Action::Drain => {
                    states.insert(key.clone(), RealState::Drained);
                }
                Action::Disable => {
                    states.insert(key.clone(), RealState::Disabled);
                }
                Action::Weight(_) => {}
            }
        }
        for key in self.maintenance.keys() {
            states.insert(key.clone(), RealState::Disabled);
        }
        metrics.overrides(states);
    }

    /// Applies a drain, disable, enable or weight asked by `who`.
    pub(super) fn on_override(&mut self, request: Request, who: &str) -> Response {
        let (selection, action) = match request {
            Request::Drain(s) => (s, Some(Action::Drain)),
            Request::Disable(s) => (s, Some(Action::Disable)),
            Request::Enable(s) => (s, None),
            Request::Weight(w) if w.weight <= 65535 => {
                (w.selection, Some(Action::Weight(w.weight)))
            }
            Request::Weight(w) => {
                return Response::Error(format!("weight {} is out of range 0-65535", w.weight))
            }
            Request::Status
            | Request::Reload
            | Request::Resync
            | Request::DrainDirector
            | Request::EnableDirector => return Response::Error("not an override".to_string()),
        };
        let keys = match overrides::select(&self.config, &selection) {
            Ok(keys) => keys,
            Err(message) => return Response::Error(message),
        };
        // Only a real whose override changes is an event (an `enable` of a
        // real with none, or a second drain, tells the hooks nothing).
        let changed: Vec<TargetKey<ServiceKey>> = keys
            .iter()
            .filter(|key| self.overrides.get(key).map(|o| o.action) != action)
            .cloned()
            .collect();
        self.overrides
            .set(&keys, action, who, selection.reason.as_deref());
        self.publish_overrides();
        let reason = match &selection.reason {
            Some(why) => format!("{why} (by {who})"),
            None => format!("by {who}"),
        };
        for key in &changed {
            self.emit(override_event(key, action, reason.clone()));
        }
        let services: BTreeSet<ServiceKey> = keys.iter().map(|k| k.service).collect();
        if let Err(e) = self.sync_services(&services) {
            error!("cannot update the table: {e:#}");
            return Response::Error(format!(
                "the override is kept, but the table could not be updated: {e}"
            ));
        }
        Response::Changed(Changed {
            reals: keys
                .iter()
                .map(|k| ChangedReal {
                    service: k.service.to_string(),
                    real: ipvs::net::socket_text(&k.real.ip(), k.real.port()),
                })
                .collect(),
        })
    }

    /// Takes in what the maintenance directories say now.
    pub(super) fn on_maintenance(&mut self, found: Found) {
        let mut affected = BTreeSet::new();
        for (key, marker) in &found {
            if self.maintenance.get(key).map(|m| &m.file) != Some(&marker.file) {
                self.emit(Event::RealDisabled {
                    service: key.service,
                    real: key.real,
                    reason: format!("maintenance: {} is there", marker.file.display()),
                });
                info!(
                    "real {} of {} in maintenance: {} is there",
                    ipvs::net::socket_text(&key.real.ip(), key.real.port()),
                    key.service,
                    marker.file.display()
                );
                affected.insert(key.service);
            }
        }
        let ended: Vec<TargetKey<ServiceKey>> = self
            .maintenance
            .keys()
            .filter(|k| !found.contains_key(*k))
            .cloned()
            .collect();
        for key in &ended {
            self.emit(Event::RealEnabled {
                service: key.service,
                real: key.real,
                reason: "maintenance: no file for it any more".to_string(),
            });
            info!(
                "real {} of {} out of maintenance: no file for it any more",
                ipvs::net::socket_text(&key.real.ip(), key.real.port()),
                key.service
            );
            affected.insert(key.service);
        }
        self.maintenance = found;
        self.publish_overrides();
        if let Err(e) = self.sync_services(&affected) {
            error!("cannot update the table: {e:#}");
        }
    }

    /// Reads the maintenance directories once (before the first sync, so
    /// that a real in maintenance never goes in; bounded by
    /// [`maintenance::PERIOD`]), then starts the watcher; what it finds
    /// comes on the receiver.
    pub(super) async fn watch_maintenance(&mut self) -> (JoinHandle<()>, mpsc::Receiver<Found>) {
        let watched = self.watched();
        if !watched.is_empty() {
            let first = maintenance::scan_once(watched.clone());
            match tokio::time::timeout(maintenance::PERIOD, first).await {
                Ok(found) => self.maintenance = found,
                Err(_) => warn!("maintenance directories: the first scan is slow; going on"),
            }
        }
        let (found_sender, found) = mpsc::channel(1);
        let watcher = tokio::spawn(maintenance::watch(self.watching.subscribe(), found_sender));
        let _ = self.watching.send(watched);
        (watcher, found)
    }

    /// The maintenance directories of the configuration, each with the
    /// reals it may take out.
    pub(super) fn watched(&self) -> Watched {
        let mut watched: Watched = Vec::new();
        for v in &self.config.virtuals {
            let Some(dir) = &v.maintenance_dir else {
                continue;
            };
            let service = desired::service_key(&v.key);
            let keys = v.reals.iter().map(|r| TargetKey {
                service,
                real: r.address,
            });
            match watched.iter_mut().find(|(d, _)| d == dir) {
                Some((_, reals)) => reals.extend(keys),
                None => watched.push((dir.clone(), keys.collect())),
            }
        }
        watched
    }

    /// After a reload that took: overrides of reals gone are dropped, the
    /// maintenance directories are those of the new configuration, and the
    /// control socket's group is the new one.
    pub(super) fn after_reload(&mut self) {
        self.overrides.keep_only(&self.config);
        let watched = self.watched();
        self.maintenance
            .retain(|key, _| watched.iter().any(|(_, reals)| reals.contains(key)));
        let _ = self.watching.send(watched);
        self.publish_overrides();
        self.announce_reloaded();
        if let Err(e) = self.access.set_group(self.config.control.group.as_deref()) {
            error!("control socket: {e:#}");
        }
    }
}

/// The hook event of an override put on (or taken off, `None`) `key`.
fn override_event(key: &TargetKey<ServiceKey>, action: Option<Action>, reason: String) -> Event {
    let (service, real) = (key.service, key.real);
    match action {
        Some(Action::Drain) => Event::RealDrained {
            service,
            real,
            reason,
        },
        Some(Action::Disable) => Event::RealDisabled {
            service,
            real,
            reason,
        },
        Some(Action::Weight(weight)) => Event::RealWeight {
            service,
            real,
            weight,
            reason,
        },
        None => Event::RealEnabled {
            service,
            real,
            reason,
        },
    }
}
