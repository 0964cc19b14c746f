// SPDX-License-Identifier: MIT OR Apache-2.0
//! `ipvsctl plan FILE... [--json] [--prune]`: what `apply` would change.

use std::collections::BTreeSet;
use std::path::PathBuf;

use ipvs::{Ipvs, ServiceKey};
use planner::{Change, Ownership, Plan};
use serde::Serialize;

use crate::record::Record;
use crate::{desired, exit, report};

/// Exit code when the table would change.
pub const CHANGES: i32 = 2;

/// The plan against the current table, with the ownership record used.
pub struct Planned {
    /// The changes and what is left alone.
    pub plan: Plan,
    /// The services the configuration declares.
    pub wanted: BTreeSet<ServiceKey>,
    /// The record read (`None`: there was none).
    pub managed: Option<BTreeSet<ServiceKey>>,
}

/// Reads the table and plans against it.
pub fn compute(ipvs: &mut Ipvs, config: &config::Config, prune: bool) -> anyhow::Result<Planned> {
    let desired = desired::table(config);
    let actual = ipvs.table()?;
    let managed = Record::here().load();
    let plan = planner::plan(
        &desired,
        &actual,
        &Ownership {
            managed: managed.clone(),
            prune,
        },
    );
    let wanted = desired.iter().map(|d| d.service.key).collect();
    Ok(Planned {
        plan,
        wanted,
        managed,
    })
}

/// Prints the services left alone, on stderr.
pub fn mention_left_alone(planned: &Planned) {
    for key in &planned.plan.left_alone {
        eprintln!("note: left alone: {key} (not declared here; --prune removes it)");
    }
    if planned.managed.is_none() && !planned.plan.left_alone.is_empty() {
        eprintln!(
            "note: no record of managed services ({}): services not in the configuration are left alone",
            Record::here().path().display()
        );
    }
}

/// Prints the plan; exit 0 when nothing would change, 2 when something would.
pub fn run(files: &[PathBuf], json: bool, prune: bool) -> anyhow::Result<i32> {
    let Some(config) = report::load(files) else {
        return Ok(exit::FAILURE);
    };
    let mut ipvs = Ipvs::connect()?;
    let planned = compute(&mut ipvs, &config, prune)?;
    let sync_changes = crate::sync_daemons::plan(&mut ipvs, &config)?;
    let kernel_changes = crate::kernel_settings::plan(&mut ipvs, &config)?;
    let nothing = planned.plan.is_empty() && sync_changes.is_empty() && kernel_changes.is_empty();
    if json {
        let mut plan = json_plan(&planned.plan);
        plan.sync = sync_changes.iter().map(ToString::to_string).collect();
        plan.kernel = kernel_changes.iter().map(ToString::to_string).collect();
        println!("{}", serde_json::to_string_pretty(&plan)?);
    } else {
        mention_left_alone(&planned);
        if nothing {
            println!("no changes");
        }
        for change in &planned.plan.changes {
            println!("{change}");
        }
        for change in &sync_changes {
            println!("{change}");
        }
        for change in &kernel_changes {
            println!("{change}");
        }
    }
    Ok(if nothing { exit::SUCCESS } else { CHANGES })
}

#[derive(Serialize)]
struct JsonPlan {
    changes: Vec<JsonChange>,
    left_alone: Vec<String>,
    sync: Vec<String>,
    /// Timeouts and IPVS sysctls: `~ timeouts tcp 900s -> 7200s`.
    kernel: Vec<String>,
}

#[derive(Serialize)]
struct JsonChange {
    action: &'static str,
    object: &'static str,
    service: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    real: Option<String>,
    text: String,
}

fn json_plan(plan: &Plan) -> JsonPlan {
    JsonPlan {
        changes: plan.changes.iter().map(json_change).collect(),
        left_alone: plan.left_alone.iter().map(ToString::to_string).collect(),
        sync: Vec::new(),
        kernel: Vec::new(),
    }
}

fn json_change(change: &Change) -> JsonChange {
    let action = match change.sign() {
        '+' => "add",
        '~' => "edit",
        _ => "delete",
    };
    let (object, service, real) = match change {
        Change::AddService(s) => ("service", s.key, None),
        Change::EditService { after, .. } => ("service", after.key, None),
        Change::DeleteService(k) => ("service", *k, None),
        Change::AddReal { service, real } | Change::DeleteReal { service, real } => {
            ("real", *service, Some(real.address))
        }
        Change::EditReal { service, after, .. } => ("real", *service, Some(after.address)),
    };
    JsonChange {
        action,
        object,
        service: service.to_string(),
        real: real.map(|a| ipvs::net::socket_text(&a.ip(), a.port())),
        text: change.to_string(),
    }
}
