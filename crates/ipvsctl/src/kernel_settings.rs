// SPDX-License-Identifier: MIT OR Apache-2.0
//! Making the kernel's connection timeouts and IPVS sysctls what
//! `[timeouts]` and `[kernel]` ask for (used by `plan`, `apply` and `run`).
//! Only what the configuration names is read: a sysctl this kernel lacks
//! is an error only when it is asked for.

use ipvs::{Sysctl, Timeouts};
use planner::KernelChange;

use crate::table::Table;

/// The timeouts `[timeouts]` asks for, in seconds; 0: keep the kernel's.
pub fn wanted_timeouts(config: &config::Config) -> Timeouts {
    let seconds = |d: Option<std::time::Duration>| {
        d.map_or(0, |d| u32::try_from(d.as_secs()).unwrap_or(u32::MAX))
    };
    Timeouts {
        tcp: seconds(config.timeouts.tcp),
        tcp_fin: seconds(config.timeouts.tcp_fin),
        udp: seconds(config.timeouts.udp),
    }
}

/// The sysctls `[kernel]` names, with the values wanted.
pub fn wanted_sysctls(config: &config::Config) -> Vec<(Sysctl, i64)> {
    let k = &config.kernel;
    let flag = |b: Option<bool>| b.map(i64::from);
    [
        (Sysctl::ExpireNodestConn, flag(k.expire_nodest_conn)),
        (
            Sysctl::ExpireQuiescentTemplate,
            flag(k.expire_quiescent_template),
        ),
        (Sysctl::ConnReuseMode, k.conn_reuse_mode.map(i64::from)),
        (Sysctl::SloppyTcp, flag(k.sloppy_tcp)),
        (Sysctl::SloppySctp, flag(k.sloppy_sctp)),
    ]
    .into_iter()
    .filter_map(|(sysctl, value)| Some((sysctl, value?)))
    .collect()
}

/// The changes the configuration needs against what is in force.
pub fn plan<T: Table + ?Sized>(
    table: &mut T,
    config: &config::Config,
) -> ipvs::Result<Vec<KernelChange>> {
    let mut changes = Vec::new();
    let timeouts = wanted_timeouts(config);
    if timeouts != Timeouts::default() {
        changes.extend(planner::kernel::timeouts(timeouts, table.timeouts()?));
    }
    for (sysctl, wanted) in wanted_sysctls(config) {
        let current = table.sysctl(sysctl)?;
        changes.extend(planner::kernel::sysctl(sysctl, wanted, current));
    }
    Ok(changes)
}

/// Makes one change.
pub fn execute<T: Table + ?Sized>(table: &mut T, change: &KernelChange) -> ipvs::Result<()> {
    match *change {
        KernelChange::Timeouts { after, .. } => table.set_timeouts(after),
        KernelChange::Sysctl { sysctl, after, .. } => table.set_sysctl(sysctl, after),
    }
}
