// SPDX-License-Identifier: MIT OR Apache-2.0
//! `ipvsctl remove FILE...`: delete the services the files declare, as a
//! director that becomes passive must (its partner now holds the VIP),
//! once its daemon has stopped.

use std::path::PathBuf;

use ipvs::{Ipvs, Operation};

use crate::commands::daemon_guard::{self, Writer};
use crate::record::Record;
use crate::{desired, exit, report};

/// Deletes the declared services that are in the table (refused while a
/// daemon manages this namespace, unless `force`).
pub fn run(files: &[PathBuf], force: bool) -> anyhow::Result<i32> {
    if let Some(refused) = daemon_guard::refusal(Writer::Remove, force) {
        eprintln!("error: {refused}");
        return Ok(exit::FAILURE);
    }
    let Some(config) = report::load(files) else {
        return Ok(exit::FAILURE);
    };
    let mut ipvs = Ipvs::connect()?;
    let present: Vec<_> = ipvs
        .services()?
        .into_iter()
        .map(|s| s.service.key)
        .collect();
    let keys: Vec<_> = config
        .virtuals
        .iter()
        .map(|v| desired::service_key(&v.key))
        .filter(|k| present.contains(k))
        .collect();
    let operations: Vec<_> = keys.iter().map(|k| Operation::DeleteService(*k)).collect();
    let failures = ipvs.execute(&operations)?;
    for (index, key) in keys.iter().enumerate() {
        if !failures.iter().any(|f| f.index == index) {
            println!("- service {key}");
        }
    }
    for failure in &failures {
        eprintln!("error: {}", failure.error);
    }
    let record = Record::here();
    if let Some(mut managed) = record.load() {
        for key in &keys {
            managed.remove(key);
        }
        record.save(&managed)?;
    }
    if keys.is_empty() {
        println!("no changes");
    }
    Ok(if failures.is_empty() {
        exit::SUCCESS
    } else {
        exit::FAILURE
    })
}
