// SPDX-License-Identifier: MIT OR Apache-2.0
//! `[announce]`, the loop's side: open and adopt at start, wait for the
//! first checks, add and remove routes after every re-plan, withdraw on
//! stop, follow a reload, `drain --director` and `enable --director`, and
//! tell `status` and the metrics. What is announced is decided in
//! [`super::announce`].

use std::collections::{BTreeSet, HashMap};
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use health::Health;
use ipvs::ServiceKey;
use tokio::time::Instant;
use tracing::{error, info, warn};

use super::announce::{announces, served};
use super::checks::Checks;
use super::events::Event;
use super::protocol::{AnnounceStatus, DirectorState, Response};
use super::serve::Daemon;
use crate::desired;
use crate::table::Table;

impl<T: Table, C: Checks> Daemon<T, C> {
    /// At start: open the route table, adopt our routes.
    pub(super) fn announce_start(&mut self, grace: Duration) {
        self.announcing.started = Instant::now();
        self.announcing.grace = grace;
        if self.announcing.drained && self.config.announce.is_some() {
            warn!(
                "director drained ({} is there): announcing nothing until `ipvsctl enable --director`",
                self.announcing.drained_file.display()
            );
        }
        self.announce_open();
    }

    fn announce_open(&mut self) {
        let Some(announce) = self.config.announce else {
            return;
        };
        let Some(opener) = &mut self.announcing.opener else {
            return;
        };
        match opener(&announce) {
            Ok(mut routes) => {
                match routes.list() {
                    Ok(found) => {
                        if !found.is_empty() {
                            info!(
                                "announce: found our routes to {} (protocol {}, table {})",
                                list(&found),
                                announce.protocol,
                                announce.table
                            );
                        }
                        self.announcing.announced = found.into_iter().collect();
                    }
                    Err(e) => error!("announce: cannot list our routes: {e:#}"),
                }
                self.announcing.routes = Some((announce, routes));
            }
            Err(e) => error!("announce: cannot open the route table: {e:#}"),
        }
    }

    /// The addresses to announce now.
    fn announce_wanted(&self) -> BTreeSet<IpAddr> {
        let Some(announce) = self.config.announce else {
            return BTreeSet::new();
        };
        let declared = self
            .config
            .virtuals
            .iter()
            .filter_map(|v| Some((v, announces(v)?)));
        if self.announcing.drained {
            return BTreeSet::new();
        }
        if !self.announcing.ready {
            // Adopted routes of declared addresses stay; nothing new yet.
            return declared
                .map(|(_, a)| a)
                .filter(|a| self.announcing.announced.contains(a))
                .collect();
        }
        let mut health: HashMap<ServiceKey, HashMap<SocketAddr, Health>> = HashMap::new();
        for (key, h) in &self.health {
            health.entry(key.service).or_default().insert(key.real, *h);
        }
        let none = HashMap::new();
        declared
            .filter(|(v, _)| {
                let key = desired::service_key(&v.key);
                served(
                    v,
                    health.get(&key).unwrap_or(&none),
                    &self.holds_of(&key),
                    announce.with_fallback,
                )
            })
            .map(|(_, a)| a)
            .collect()
    }

    /// Adds and removes routes so that what is announced is what is
    /// wanted.
    pub(super) fn announce_sync(&mut self) {
        if self.announcing.routes.is_none() {
            return;
        }
        let wanted = self.announce_wanted();
        let add: Vec<IpAddr> = wanted
            .difference(&self.announcing.announced)
            .copied()
            .collect();
        let remove: Vec<IpAddr> = self
            .announcing
            .announced
            .difference(&wanted)
            .copied()
            .collect();
        for address in remove {
            self.withdraw(address, "no real up");
        }
        for address in add {
            let Some((_, routes)) = &mut self.announcing.routes else {
                return;
            };
            match routes.add(address) {
                Ok(()) => {
                    info!("announce: {address} announced");
                    self.announcing.announced.insert(address);
                    self.emit(Event::Announced { address });
                }
                Err(e) => error!("announce: {e:#}"),
            }
        }
        self.publish_announced();
    }

    fn withdraw(&mut self, address: IpAddr, why: &str) {
        let Some((_, routes)) = &mut self.announcing.routes else {
            return;
        };
        match routes.remove(address) {
            Ok(()) => {
                info!("announce: {address} withdrawn ({why})");
                self.announcing.announced.remove(&address);
                self.emit(Event::Withdrawn {
                    address,
                    reason: why.to_string(),
                });
            }
            Err(e) => error!("announce: {e:#}"),
        }
    }

    /// While not ready: ready once every real of an announcing virtual
    /// has had its first check (or the grace passed) and the hold-down is
    /// over; then announce.
    pub(super) fn announce_poll(&mut self) {
        if !self.announcing.waiting() {
            return;
        }
        let Some(announce) = self.config.announce else {
            return;
        };
        let now = Instant::now();
        let since = now.duration_since(self.announcing.started);
        if since < announce.hold_down {
            return;
        }
        // A real the checks do not list yet is not checked yet.
        let all_checked = since >= self.announcing.grace || {
            let checked: BTreeSet<(ServiceKey, SocketAddr)> = self
                .checks
                .snapshot()
                .into_iter()
                .filter(|t| t.last.is_some())
                .map(|t| (t.key.service, t.key.real))
                .collect();
            self.config
                .virtuals
                .iter()
                .filter(|v| announces(v).is_some())
                .all(|v| {
                    let key = desired::service_key(&v.key);
                    v.reals.iter().all(|r| checked.contains(&(key, r.address)))
                })
        };
        if all_checked {
            info!("announce: every real has had its first check; announcing");
            self.announcing.ready = true;
            self.announce_sync();
        }
    }

    /// On stop: withdraw everything.
    pub(super) fn announce_stop(&mut self) {
        let all: Vec<IpAddr> = self.announcing.announced.iter().copied().collect();
        for address in all {
            self.withdraw(address, "stopping");
        }
    }

    /// After a reload: a changed `[announce]` (or none now) withdraws
    /// under the old one and opens the new.
    pub(super) fn announce_reloaded(&mut self) {
        let old = self.announcing.routes.as_ref().map(|(a, _)| *a);
        if old == self.config.announce {
            self.announce_sync();
            return;
        }
        self.announce_stop();
        self.announcing.routes = None;
        self.announcing.announced.clear();
        self.announce_open();
        self.announce_sync();
    }

    /// `ipvsctl drain --director` (`drain = true`) and `enable --director`.
    pub(super) fn on_director(&mut self, drain: bool, who: &str) -> Response {
        if self.config.announce.is_none() {
            return Response::Error(
                "no [announce] in the configuration: this director announces nothing to drain"
                    .to_string(),
            );
        }
        if drain != self.announcing.drained {
            if let Err(e) = self.keep_drained(drain, who) {
                return Response::Error(format!("{e:#}"));
            }
            self.announcing.drained = drain;
            if drain {
                warn!("director drained by {who}: withdrawing every address");
                let all: Vec<IpAddr> = self.announcing.announced.iter().copied().collect();
                for address in all {
                    self.withdraw(address, &format!("director drained by {who}"));
                }
            } else {
                info!("director enabled by {who}: announcing again");
            }
            self.announce_sync();
        }
        Response::Director(DirectorState {
            drained: self.announcing.drained,
            announced: self
                .announcing
                .announced
                .iter()
                .map(ToString::to_string)
                .collect(),
        })
    }

    /// Writes or removes the drained file.
    fn keep_drained(&self, drain: bool, who: &str) -> anyhow::Result<()> {
        let path = &self.announcing.drained_file;
        let done = if drain {
            crate::state_file::replace(path, format!("drained by {who}\n").as_bytes())
        } else {
            match std::fs::remove_file(path) {
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
                other => other,
            }
        };
        anyhow::Context::with_context(done, || {
            format!("cannot keep the director's drain in {}", path.display())
        })
    }

    /// What `status` shows.
    pub(super) fn announce_status(&self) -> Option<AnnounceStatus> {
        let announce = self.config.announce?;
        Some(AnnounceStatus {
            protocol: announce.protocol,
            table: announce.table,
            drained: self.announcing.drained,
            ready: self.announcing.ready,
            announced: self
                .announcing
                .announced
                .iter()
                .map(ToString::to_string)
                .collect(),
        })
    }

    /// Tells the metrics endpoint which virtuals are announced.
    fn publish_announced(&mut self) {
        let announced: Vec<(ServiceKey, bool)> = if self.config.announce.is_some() {
            self.config
                .virtuals
                .iter()
                .filter_map(|v| {
                    let a = announces(v)?;
                    Some((
                        desired::service_key(&v.key),
                        self.announcing.announced.contains(&a),
                    ))
                })
                .collect()
        } else {
            Vec::new()
        };
        if let Some(metrics) = &mut self.metrics {
            metrics.announced(announced);
        }
    }
}

fn list(addresses: &[IpAddr]) -> String {
    addresses
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}
