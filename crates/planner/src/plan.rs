// SPDX-License-Identifier: MIT OR Apache-2.0
//! The diff between the table wanted and the table as it is.
//!
//! Rules:
//! - Only what differs is changed. A service is keyed by protocol, address
//!   and port (or fwmark); a destination by address and port within it.
//!   A changed scheduler, persistence or weight is an edit, never a delete
//!   and re-add, so connections and counters survive.
//! - Equality is over what the kernel shows and the configuration sets, not
//!   counters.
//! - Ownership: a service in the table but not wanted is deleted only if it
//!   is ours (in the record of managed services) or `prune` is asked for;
//!   otherwise it is left alone and reported. Without a record (lost, or a
//!   first run) nothing unwanted is ours.
//! - Order: services deleted, services added, services edited; then, per
//!   service in the order wanted, destinations deleted, edited, added. The
//!   kernel needs a service before its destinations, nothing else.
//! - For a scheduler whose table depends on the destinations' order (`mh`,
//!   `sh`: see [`crate::order`]) the list is kept in the canonical order:
//!   the reals that must move are deleted with the unwanted ones and added
//!   again, last first, with the new ones.

use std::collections::{BTreeSet, HashMap};

use ipvs::{Destination, ServiceKey, TableEntry};

use crate::change::Change;
use crate::desired::DesiredService;
use crate::order;

/// What of the table is ours.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ownership {
    /// Services recorded as managed by earlier applies; `None` when there
    /// is no record.
    pub managed: Option<BTreeSet<ServiceKey>>,
    /// Delete every unwanted service, ours or not.
    pub prune: bool,
}

/// The changes, and what was left alone.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    /// The changes, in the order they must be made.
    pub changes: Vec<Change>,
    /// Services in the table that are not wanted and not ours.
    pub left_alone: Vec<ServiceKey>,
}

impl Plan {
    /// Whether nothing would change.
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }
}

/// Plans the changes that turn `actual` into `desired`.
pub fn plan(desired: &[DesiredService], actual: &[TableEntry], ownership: &Ownership) -> Plan {
    let actual_by_key: HashMap<ServiceKey, &TableEntry> =
        actual.iter().map(|e| (e.service.service.key, e)).collect();
    let wanted: BTreeSet<ServiceKey> = desired.iter().map(|d| d.service.key).collect();

    let mut result = Plan::default();
    let mut unwanted: Vec<ServiceKey> = actual_by_key
        .keys()
        .filter(|k| !wanted.contains(k))
        .copied()
        .collect();
    unwanted.sort();
    for key in unwanted {
        let ours = ownership.managed.as_ref().is_some_and(|m| m.contains(&key));
        if ours || ownership.prune {
            result.changes.push(Change::DeleteService(key));
        } else {
            result.left_alone.push(key);
        }
    }

    let mut edits = Vec::new();
    for d in desired {
        match actual_by_key.get(&d.service.key) {
            None => result.changes.push(Change::AddService(d.service.clone())),
            Some(entry) if entry.service.service != d.service => edits.push(Change::EditService {
                before: entry.service.service.clone(),
                after: d.service.clone(),
            }),
            Some(_) => {}
        }
    }
    result.changes.extend(edits);

    for d in desired {
        let current: &[ipvs::DestinationEntry] = actual_by_key
            .get(&d.service.key)
            .map_or(&[], |e| &e.destinations);
        let changes = if order::order_matters(&d.service.scheduler) {
            ordered_destination_changes(d.service.key, &d.destinations, current)
        } else {
            destination_changes(d.service.key, &d.destinations, current)
        };
        result.changes.extend(changes);
    }
    result
}

fn destination_changes(
    service: ServiceKey,
    wanted: &[Destination],
    current: &[ipvs::DestinationEntry],
) -> Vec<Change> {
    let current_by_address: HashMap<_, &Destination> = current
        .iter()
        .map(|e| (e.destination.address, &e.destination))
        .collect();
    let wanted_addresses: BTreeSet<_> = wanted.iter().map(|d| d.address).collect();

    let mut deletes: Vec<&Destination> = current
        .iter()
        .map(|e| &e.destination)
        .filter(|d| !wanted_addresses.contains(&d.address))
        .collect();
    deletes.sort_by_key(|d| d.address);
    let mut changes: Vec<Change> = deletes
        .into_iter()
        .map(|real| Change::DeleteReal {
            service,
            real: *real,
        })
        .collect();

    let mut adds = Vec::new();
    for real in wanted {
        match current_by_address.get(&real.address) {
            None => adds.push(Change::AddReal {
                service,
                real: *real,
            }),
            Some(before) if *before != real => changes.push(Change::EditReal {
                service,
                before: **before,
                after: *real,
            }),
            Some(_) => {}
        }
    }
    changes.extend(adds);
    changes
}

/// As [`destination_changes`], for a scheduler that needs the canonical
/// order: the prefix of that order that is out of place goes out with the
/// unwanted reals, then comes back, last first, each at the head.
fn ordered_destination_changes(
    service: ServiceKey,
    wanted: &[Destination],
    current: &[ipvs::DestinationEntry],
) -> Vec<Change> {
    let wanted = order::canonical(wanted);
    let wanted_addresses: Vec<_> = wanted.iter().map(|d| d.address).collect();
    let current_addresses: Vec<_> = current.iter().map(|e| e.destination.address).collect();
    let prefix = order::prefix_to_add(&wanted_addresses, &current_addresses);
    let (moved, kept) = wanted.split_at(prefix);
    let moved_addresses: BTreeSet<_> = moved.iter().map(|d| d.address).collect();
    let current_by_address: HashMap<_, &Destination> = current
        .iter()
        .map(|e| (e.destination.address, &e.destination))
        .collect();

    let mut changes: Vec<Change> = current
        .iter()
        .map(|e| &e.destination)
        .filter(|d| !wanted_addresses.contains(&d.address) || moved_addresses.contains(&d.address))
        .map(|real| Change::DeleteReal {
            service,
            real: *real,
        })
        .collect();
    for real in kept {
        if let Some(before) = current_by_address.get(&real.address) {
            if **before != *real {
                changes.push(Change::EditReal {
                    service,
                    before: **before,
                    after: *real,
                });
            }
        }
    }
    changes.extend(moved.iter().rev().map(|real| Change::AddReal {
        service,
        real: *real,
    }));
    changes
}
