// SPDX-License-Identifier: MIT OR Apache-2.0
//! What the daemon writes: the check targets of the configuration and the
//! health they start with, and the table re-planned for some virtuals (on
//! a transition) or for all (at start and on reload).

use std::collections::{BTreeSet, HashMap};
use std::net::SocketAddr;

use health::{Health, Target, TargetKey};
use ipvs::{ServiceKey, TableEntry};
use planner::{Ownership, Plan};
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

    /// The health of the virtual's reals, by address: looked up real by
    /// real (not a scan of every real of every virtual, which at start-up
    /// made 2,000 × 5 cost 2,000 × 10,000 steps).
    fn health_of(
        &self,
        virtual_: &config::model::Virtual,
        service: &ServiceKey,
    ) -> HashMap<SocketAddr, Health> {
        virtual_
            .reals
            .iter()
            .filter_map(|r| {
                let key = TargetKey {
                    service: *service,
                    real: r.address,
                };
                self.health.get(&key).map(|h| (r.address, *h))
            })
            .collect()
    }

    /// Re-plans the given virtuals against their current kernel entries.
    pub(super) fn sync_services(&mut self, services: &BTreeSet<ServiceKey>) -> anyhow::Result<()> {
        let mut desired_services = Vec::new();
        let mut actual = Vec::new();
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
                &self.health_of(v, &key),
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
        Ok(())
    }

    /// Plans every declared virtual against the whole table (`table`, as
    /// just read by the caller: at start and on reload the daemon reads it
    /// once, for adoption and for this), with the ownership record (as
    /// `apply` does), and saves the record.
    pub(super) fn sync_all(&mut self, table: &[TableEntry]) -> anyhow::Result<()> {
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
                let hold = self.starting.contains(&key);
                health_table::desired_service(
                    v,
                    &self.health_of(v, &key),
                    &self.holds_of(&key),
                    current,
                    hold,
                )
            })
            .collect();
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

    /// Makes the plan's changes; whether the kernel took every one.
    fn execute(&mut self, plan: &Plan) -> bool {
        match execute::table_changes(&mut self.table, &plan.changes, &mut Log) {
            Ok(refused) => refused == 0,
            Err(e) => {
                error!("cannot write the table: {e}");
                false
            }
        }
    }
}
