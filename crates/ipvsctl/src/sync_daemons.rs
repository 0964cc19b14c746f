// SPDX-License-Identifier: MIT OR Apache-2.0
//! Making the running sync daemons what `[sync]` asks for (used by `apply`,
//! `plan` and `run`).

use ipvs::Ipvs;
use planner::SyncChange;

/// The changes `[sync]` needs against what runs now.
pub fn plan(ipvs: &mut Ipvs, config: &config::Config) -> anyhow::Result<Vec<SyncChange>> {
    let wanted = crate::desired::sync_daemons(config);
    if wanted.is_empty() {
        return Ok(Vec::new());
    }
    Ok(planner::sync::plan(&wanted, &ipvs.sync_daemons()?))
}

/// Makes one change; a restart stops the daemon of that role first.
pub fn execute(ipvs: &mut Ipvs, change: &SyncChange) -> Result<(), ipvs::Error> {
    match change {
        SyncChange::Start(daemon) => ipvs.start_sync_daemon(daemon),
        SyncChange::Restart { after, .. } => {
            ipvs.stop_sync_daemon(after.state)?;
            ipvs.start_sync_daemon(after)
        }
    }
}
