// SPDX-License-Identifier: MIT OR Apache-2.0
//! Making the running sync daemons what `[sync]` asks for (used by `apply`,
//! `plan`, `sync become` and `run`).

use planner::SyncChange;

use crate::table::Table;

/// The changes `[sync]` needs against what runs now.
pub fn plan<T: Table + ?Sized>(
    table: &mut T,
    config: &config::Config,
) -> anyhow::Result<Vec<SyncChange>> {
    let wanted = crate::desired::sync_daemons(config);
    if wanted.is_empty() {
        return Ok(Vec::new());
    }
    Ok(planner::sync::plan(&wanted, &table.sync_daemons()?))
}

/// Makes one change; a restart stops the daemon of that role first.
pub fn execute<T: Table + ?Sized>(table: &mut T, change: &SyncChange) -> Result<(), ipvs::Error> {
    match change {
        SyncChange::Start(daemon) => table.start_sync_daemon(daemon),
        SyncChange::Restart { after, .. } => {
            table.stop_sync_daemon(after.state)?;
            table.start_sync_daemon(after)
        }
    }
}
