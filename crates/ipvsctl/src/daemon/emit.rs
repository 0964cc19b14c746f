// SPDX-License-Identifier: MIT OR Apache-2.0
//! The loop's side of events: which hooks run on one (the global ones,
//! then its virtual's), in what state the daemon was, and the fallback of
//! each virtual remembered, so that its going in or out is an event.

use std::collections::BTreeSet;
use std::time::SystemTime;

use config::model::Hook;
use ipvs::{ServiceKey, TableEntry};
use planner::DesiredService;

use super::checks::Checks;
use super::events::{DaemonState, Event, Fired};
use super::health_table;
use super::serve::Daemon;
use crate::desired;
use crate::table::Table;

impl<T: Table, C: Checks> Daemon<T, C> {
    /// Hands an event to the hook runner, with the hooks that run on it
    /// (nothing is sent when none does). Never waits.
    pub(super) fn emit(&self, event: Event) {
        let kind = event.kind();
        let service = event.service();
        let virtual_ = service.and_then(|s| {
            self.config
                .virtuals
                .iter()
                .find(|v| desired::service_key(&v.key) == s)
        });
        let own: &[Hook] = virtual_.map_or(&[], |v| &v.hooks);
        let hooks: Vec<Hook> = self
            .config
            .hooks
            .iter()
            .chain(own)
            .filter(|h| h.runs_on(kind))
            .cloned()
            .collect();
        if hooks.is_empty() {
            return;
        }
        let state = if self.reloading {
            DaemonState::Reloading
        } else if service.is_some_and(|s| self.starting.contains(&s)) {
            DaemonState::Starting
        } else {
            DaemonState::Running
        };
        self.events.send(Fired {
            event,
            at: SystemTime::now(),
            state,
            virtual_name: virtual_.and_then(|v| v.name.clone()),
            config: self.files.first().cloned().unwrap_or_default(),
            hooks,
        });
    }

    /// At start: the virtuals whose fallback is in the kernel already (a
    /// restart is no event).
    pub(super) fn adopt_fallbacks(&mut self, table: &[TableEntry]) {
        self.fallbacks_in = self
            .config
            .virtuals
            .iter()
            .filter(|v| {
                let key = desired::service_key(&v.key);
                let current = table
                    .iter()
                    .find(|e| e.service.service.key == key)
                    .map_or(&[][..], |e| &e.destinations[..]);
                health_table::fallback_of(v)
                    .is_some_and(|f| current.iter().any(|e| e.destination.address == f.address))
            })
            .map(|v| desired::service_key(&v.key))
            .collect();
    }

    /// After a re-plan of `planned` that the kernel took whole: a fallback
    /// that went in or out is an event; virtuals no longer declared are
    /// forgotten.
    pub(super) fn note_fallbacks(&mut self, planned: &[DesiredService]) {
        let mut events = Vec::new();
        for d in planned {
            let key = d.service.key;
            let Some(v) = self
                .config
                .virtuals
                .iter()
                .find(|v| desired::service_key(&v.key) == key)
            else {
                continue;
            };
            let Some(fallback) = health_table::fallback_of(v) else {
                self.fallbacks_in.remove(&key);
                continue;
            };
            let now_in = d.destinations.iter().any(|x| x.address == fallback.address);
            let was_in = self.fallbacks_in.contains(&key);
            match (was_in, now_in) {
                (false, true) => {
                    self.fallbacks_in.insert(key);
                    events.push(Event::FallbackIn {
                        service: key,
                        fallback: fallback.address,
                    });
                }
                (true, false) => {
                    self.fallbacks_in.remove(&key);
                    events.push(Event::FallbackOut {
                        service: key,
                        fallback: fallback.address,
                    });
                }
                _ => {}
            }
        }
        let declared: BTreeSet<ServiceKey> = self
            .config
            .virtuals
            .iter()
            .map(|v| desired::service_key(&v.key))
            .collect();
        self.fallbacks_in.retain(|k| declared.contains(k));
        for event in events {
            self.emit(event);
        }
    }
}
