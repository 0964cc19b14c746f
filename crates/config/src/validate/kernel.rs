// SPDX-License-Identifier: MIT OR Apache-2.0
//! `[timeouts]` and `[kernel]`: the kernel's connection timeouts and the
//! namespace's IPVS sysctls. A key left out keeps the kernel's value.

use std::time::Duration;

use crate::fields::{Checker, Fields};
use crate::model::{Kernel, Timeouts};

use super::values::ranged;

/// The longest timeout: the kernel keeps `seconds × HZ` in an `int` and
/// refuses more than `INT_MAX / HZ` (this is that at HZ=1000, the
/// largest HZ).
pub const MAX_TIMEOUT_SECONDS: i64 = i32::MAX as i64 / 1000;

/// `tcp`, `tcpfin`, `udp`: whole seconds.
pub(super) fn timeouts(checker: &mut Checker<'_>, t: &Fields<'_>) -> Timeouts {
    let mut read =
        |name| ranged::<u64>(checker, t, name, 1..=MAX_TIMEOUT_SECONDS).map(Duration::from_secs);
    Timeouts {
        tcp: read("tcp"),
        tcp_fin: read("tcpfin"),
        udp: read("udp"),
    }
}

/// `expire_nodest_conn`, `expire_quiescent_template`, `conn_reuse_mode`,
/// `sloppy_tcp`, `sloppy_sctp`.
pub(super) fn kernel(checker: &mut Checker<'_>, k: &Fields<'_>) -> Kernel {
    let flag = |checker: &mut Checker<'_>, name| checker.boolean(k, name).map(|(b, _)| b);
    Kernel {
        expire_nodest_conn: flag(checker, "expire_nodest_conn"),
        expire_quiescent_template: flag(checker, "expire_quiescent_template"),
        conn_reuse_mode: ranged(checker, k, "conn_reuse_mode", 0..=3),
        sloppy_tcp: flag(checker, "sloppy_tcp"),
        sloppy_sctp: flag(checker, "sloppy_sctp"),
    }
}
