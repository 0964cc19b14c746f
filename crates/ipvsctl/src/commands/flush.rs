// SPDX-License-Identifier: MIT OR Apache-2.0
//! `ipvsctl flush --yes`: empty the table.

use ipvs::Ipvs;

use crate::commands::daemon_guard::{self, Writer};
use crate::exit;
use crate::record::Record;

/// Deletes every service, ours or not, when `yes` (and no daemon manages
/// this namespace, unless `force`).
pub fn run(yes: bool, force: bool) -> anyhow::Result<i32> {
    if let Some(refused) = daemon_guard::refusal(Writer::Flush, force) {
        eprintln!("error: {refused}");
        return Ok(exit::FAILURE);
    }
    if !yes {
        eprintln!(
            "error: flush deletes every virtual service in the table, managed or not; \
             run `ipvsctl flush --yes` to do it"
        );
        return Ok(exit::FAILURE);
    }
    let mut ipvs = Ipvs::connect()?;
    let count = ipvs.services()?.len();
    ipvs.flush()?;
    Record::here().clear();
    println!(
        "flushed {count} virtual service{}",
        if count == 1 { "" } else { "s" }
    );
    Ok(exit::SUCCESS)
}
