// SPDX-License-Identifier: MIT OR Apache-2.0
//! The kernel's settings wanted against those in force: the connection
//! timeouts (`ipvsadm --set`) and the namespace's IPVS sysctls. A setting
//! not named keeps the kernel's value; one already right is no change.

use std::fmt;

use ipvs::{Sysctl, Timeouts};

/// A change to the kernel's settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KernelChange {
    /// Set the connection timeouts (in seconds; all three are written,
    /// those not wanted as they were).
    Timeouts {
        /// In force.
        before: Timeouts,
        /// Wanted.
        after: Timeouts,
    },
    /// Write a sysctl.
    Sysctl {
        /// Which.
        sysctl: Sysctl,
        /// In force.
        before: i64,
        /// Wanted.
        after: i64,
    },
}

/// The timeouts to set: `wanted` names a value with anything but 0 (the
/// kernel's own "leave it" on write); `None` when every named one is in
/// force already.
pub fn timeouts(wanted: Timeouts, current: Timeouts) -> Option<KernelChange> {
    let pick = |wanted: u32, current: u32| if wanted == 0 { current } else { wanted };
    let after = Timeouts {
        tcp: pick(wanted.tcp, current.tcp),
        tcp_fin: pick(wanted.tcp_fin, current.tcp_fin),
        udp: pick(wanted.udp, current.udp),
    };
    (after != current).then_some(KernelChange::Timeouts {
        before: current,
        after,
    })
}

/// A sysctl to write; `None` when it holds the wanted value already.
pub fn sysctl(sysctl: Sysctl, wanted: i64, current: i64) -> Option<KernelChange> {
    (wanted != current).then_some(KernelChange::Sysctl {
        sysctl,
        before: current,
        after: wanted,
    })
}

impl fmt::Display for KernelChange {
    /// `~ timeouts tcp 900s -> 7200s, udp 300s -> 60s` (only those that
    /// change) or `~ sysctl net.ipv4.vs.expire_nodest_conn 0 -> 1`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Timeouts { before, after } => {
                f.write_str("~ timeouts")?;
                let pairs = [
                    ("tcp", before.tcp, after.tcp),
                    ("tcpfin", before.tcp_fin, after.tcp_fin),
                    ("udp", before.udp, after.udp),
                ];
                let mut first = true;
                for (name, before, after) in pairs {
                    if before != after {
                        let comma = if first { "" } else { "," };
                        write!(f, "{comma} {name} {before}s -> {after}s")?;
                        first = false;
                    }
                }
                Ok(())
            }
            Self::Sysctl {
                sysctl,
                before,
                after,
            } => write!(f, "~ sysctl {sysctl} {before} -> {after}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The kernel's defaults.
    const KERNEL: Timeouts = Timeouts {
        tcp: 900,
        tcp_fin: 120,
        udp: 300,
    };

    #[test]
    fn only_the_named_timeouts_change_and_the_others_are_written_as_they_are() {
        let wanted = Timeouts {
            tcp: 7200,
            tcp_fin: 0,
            udp: 60,
        };
        let change = timeouts(wanted, KERNEL).unwrap();
        assert_eq!(
            change,
            KernelChange::Timeouts {
                before: KERNEL,
                after: Timeouts {
                    tcp: 7200,
                    tcp_fin: 120,
                    udp: 60
                }
            }
        );
        assert_eq!(
            change.to_string(),
            "~ timeouts tcp 900s -> 7200s, udp 300s -> 60s"
        );
    }

    #[test]
    fn timeouts_in_force_or_not_named_are_no_change() {
        assert_eq!(timeouts(Timeouts::default(), KERNEL), None);
        let wanted = Timeouts {
            tcp: 900,
            ..Timeouts::default()
        };
        assert_eq!(timeouts(wanted, KERNEL), None);
        let wanted = Timeouts {
            tcp_fin: 30,
            ..Timeouts::default()
        };
        assert_eq!(
            timeouts(wanted, KERNEL).unwrap().to_string(),
            "~ timeouts tcpfin 120s -> 30s"
        );
    }

    #[test]
    fn a_sysctl_changes_only_when_it_differs() {
        assert_eq!(sysctl(Sysctl::ExpireNodestConn, 1, 1), None);
        let change = sysctl(Sysctl::ExpireNodestConn, 1, 0).unwrap();
        assert_eq!(
            change.to_string(),
            "~ sysctl net.ipv4.vs.expire_nodest_conn 0 -> 1"
        );
        assert_eq!(
            sysctl(Sysctl::ConnReuseMode, 0, 1).unwrap().to_string(),
            "~ sysctl net.ipv4.vs.conn_reuse_mode 1 -> 0"
        );
    }
}
