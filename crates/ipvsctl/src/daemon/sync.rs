// SPDX-License-Identifier: MIT OR Apache-2.0
//! What the daemon writes: the check targets of the configuration and the
//! health they start with, and the table re-planned for some virtuals (on
//! a transition) or for all (at start and on reload).

use std::collections::{BTreeSet, HashMap};
use std::net::SocketAddr;

use health::{Health, Target, TargetKey};
use ipvs::{ServiceKey, TableEntry};
use planner::{DesiredService, Ownership, Plan};
use tracing::{error, info};

use super::checks::Checks;
use super::health_table;
use super::serve::Daemon;
use crate::desired;
use crate::execute::{self, Kind, Report, Step};
use crate::table::Table;

/// Logs what was made and what the kernel refused.
struct Log;

impl Report for Log {
    fn made(&mut self, step: Step<'_>) {
        match step {
            Step::Table(change) => info!("table: {change}"),
            Step::Sync(change) => info!("{change}"),
            Step::Kernel(change) => info!("{change}"),
        }
    }

    fn refused(&mut self, kind: Kind, error: &ipvs::Error) {
        match kind {
            Kind::Table => error!("table: {error}"),
            Kind::Sync | Kind::Kernel => error!("{error}"),
        }
    }
}

impl<T: Table, C: Checks> Daemon<T, C> {
    /// Health at start: in the kernel with the configured weight = up.
    pub(super) fn adopt(&mut self, table: &[TableEntry]) {
        let targets = self.targets(table);
        self.health = targets
            .iter()
            .map(|t| (t.key.clone(), Health::from(t.initially_up)))
            .collect();
        self.checks.reconcile(targets);
    }

    /// The check targets of the configuration; `table` says which reals
    /// are adopted (only for reals whose health is not known yet).
    pub(super) fn targets(&self, table: &[TableEntry]) -> Vec<Target<ServiceKey>> {
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
                    service: key,
                    real: real.address,
                };
                let initially_up = match self.health.get(&target_key) {
                    Some(health) => *health == Health::Up,
                    None => health_table::adopted(
                        real,
                        current,
                        self.overrides.get(&target_key).map(|o| o.action.hold()),
                    ),
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

    /// The health of the reals of `services` (all when `None`), by
    /// service: one pass over the health of every real, so that planning
    /// many virtuals stays linear in the reals.
    fn health_by_service(
        &self,
        services: Option<&BTreeSet<ServiceKey>>,
    ) -> HashMap<ServiceKey, HashMap<SocketAddr, Health>> {
        let mut by_service: HashMap<ServiceKey, HashMap<SocketAddr, Health>> = HashMap::new();
        for (key, health) in &self.health {
            if services.is_none_or(|s| s.contains(&key.service)) {
                by_service
                    .entry(key.service)
                    .or_default()
                    .insert(key.real, *health);
            }
        }
        by_service
    }

    /// Re-plans the given virtuals against their current kernel entries.
    pub(super) fn sync_services(&mut self, services: &BTreeSet<ServiceKey>) -> anyhow::Result<()> {
        let mut desired_services = Vec::new();
        let mut actual = Vec::new();
        let health = self.health_by_service(Some(services));
        let none = HashMap::new();
        for v in &self.config.virtuals {
            let key = desired::service_key(&v.key);
            if !services.contains(&key) {
                continue;
            }
            let entry = self.table.entry(&key)?;
            let current = entry.as_ref().map_or(&[][..], |e| &e.destinations[..]);
            let hold = self.starting.contains(&key);
            desired_services.push(health_table::desired_service(
                v,
                health.get(&key).unwrap_or(&none),
                &self.holds_of(&key),
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
        // The fallback's events once the kernel has it so (a refused
        // write is tried again, and told, at the next re-plan).
        if self.execute(&plan) {
            self.note_fallbacks(&desired_services);
        }
        self.announce_sync();
        Ok(())
    }

    /// Plans every declared virtual against the whole table (`table`, as
    /// just read by the caller: at start and on reload the daemon reads it
    /// once, for adoption and for this), with the ownership record (as
    /// `apply` does), and saves the record.
    pub(super) fn sync_all(&mut self, table: &[TableEntry]) -> anyhow::Result<()> {
        let desired_services = self.desired_all(table);
        let managed = self.record.load();
        let plan = planner::plan(
            &desired_services,
            table,
            &Ownership {
                managed: managed.clone(),
                prune: false,
            },
        );
        for key in &plan.left_alone {
            info!("left alone: {key} (not declared here)");
        }
        let wanted: BTreeSet<_> = desired_services.iter().map(|d| d.service.key).collect();
        // Written ahead, as `apply` does: a daemon killed half-way leaves
        // no service of its making unowned.
        if !plan.changes.is_empty() {
            let mut ours = wanted.clone();
            ours.extend(managed.iter().flatten().copied());
            self.record.save(&ours)?;
        }
        if self.execute(&plan) {
            self.note_fallbacks(&desired_services);
        }
        self.record.save(&wanted)?;
        self.announce_sync();
        let changes = crate::sync_daemons::plan(&mut self.table, &self.config)?;
        execute::sync_changes(&mut self.table, &changes, &mut Log);
        // A timeout or sysctl the kernel refuses (or lacks) is logged; the
        // table above is the daemon's job and goes on regardless.
        match crate::kernel_settings::plan(&mut self.table, &self.config) {
            Ok(changes) => {
                execute::kernel_changes(&mut self.table, &changes, &mut Log);
            }
            Err(e) => error!("cannot read the kernel's settings: {e}"),
        }
        Ok(())
    }

    /// Every declared virtual as it should be now, against `table` (the
    /// whole table, as just read). The health and the table are indexed
    /// by service once, so that this stays linear in the reals (a resync
    /// makes it every period).
    pub(super) fn desired_all(&self, table: &[TableEntry]) -> Vec<DesiredService> {
        let health = self.health_by_service(None);
        let entries: HashMap<ServiceKey, &TableEntry> =
            table.iter().map(|e| (e.service.service.key, e)).collect();
        let none = HashMap::new();
        self.config
            .virtuals
            .iter()
            .map(|v| {
                let key = desired::service_key(&v.key);
                let current = entries.get(&key).map_or(&[][..], |e| &e.destinations[..]);
                let hold = self.starting.contains(&key);
                health_table::desired_service(
                    v,
                    health.get(&key).unwrap_or(&none),
                    &self.holds_of(&key),
                    current,
                    hold,
                )
            })
            .collect()
    }

    /// Makes the plan's changes; whether the kernel took every one (a
    /// service with a refused change is retried, and so told, by the next
    /// resync).
    fn execute(&mut self, plan: &Plan) -> bool {
        let taken = match execute::table_changes(&mut self.table, &plan.changes, &mut Log) {
            Ok(refused) => refused == 0,
            Err(e) => {
                error!("cannot write the table: {e}");
                false
            }
        };
        self.resyncs.settle(&plan.changes, taken);
        taken
    }
}
