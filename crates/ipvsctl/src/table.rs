// SPDX-License-Identifier: MIT OR Apache-2.0
//! The kernel table as the daemon and `apply` use it: a small trait that
//! [`Ipvs`] implements, so that the daemon's loop runs on the host against
//! a table kept in memory (see `tests/daemon_loop.rs`).

use ipvs::{
    DestinationEntry, Ipvs, Operation, OperationFailure, ServiceKey, SyncDaemon, SyncState, Sysctl,
    Sysctls, TableEntry, Timeouts,
};

/// What ipvsctl reads from and writes to the IPVS table.
pub trait Table {
    /// Every service with its destinations (`ipvsadm -Ln`).
    fn entries(&mut self) -> ipvs::Result<Vec<TableEntry>>;

    /// One service with its destinations; `None` when there is no such
    /// service.
    fn entry(&mut self, key: &ServiceKey) -> ipvs::Result<Option<TableEntry>>;

    /// A service's destinations.
    fn destinations(&mut self, key: &ServiceKey) -> ipvs::Result<Vec<DestinationEntry>>;

    /// Makes the operations in one batch; returns those refused.
    fn execute(&mut self, operations: &[Operation]) -> ipvs::Result<Vec<OperationFailure>>;

    /// The running connection-sync daemons.
    fn sync_daemons(&mut self) -> ipvs::Result<Vec<SyncDaemon>>;

    /// Starts a sync daemon.
    fn start_sync_daemon(&mut self, daemon: &SyncDaemon) -> ipvs::Result<()>;

    /// Stops the sync daemon of that role.
    fn stop_sync_daemon(&mut self, state: SyncState) -> ipvs::Result<()>;

    /// The connection timeouts (`ipvsadm -L --timeout`).
    fn timeouts(&mut self) -> ipvs::Result<Timeouts>;

    /// Sets the connection timeouts; a 0 leaves that one as it is.
    fn set_timeouts(&mut self, timeouts: Timeouts) -> ipvs::Result<()>;

    /// A sysctl of the namespace's IPVS (`net.ipv4.vs.NAME`).
    fn sysctl(&mut self, sysctl: Sysctl) -> ipvs::Result<i64>;

    /// Writes a sysctl of the namespace's IPVS.
    fn set_sysctl(&mut self, sysctl: Sysctl, value: i64) -> ipvs::Result<()>;
}

impl Table for Ipvs {
    fn entries(&mut self) -> ipvs::Result<Vec<TableEntry>> {
        self.table()
    }

    fn entry(&mut self, key: &ServiceKey) -> ipvs::Result<Option<TableEntry>> {
        match self.service(key) {
            Ok(service) => Ok(Some(TableEntry {
                destinations: self.destinations(key)?,
                service,
            })),
            Err(e) if e.kind() == Some(&ipvs::ErrorKind::NoSuchService) => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn destinations(&mut self, key: &ServiceKey) -> ipvs::Result<Vec<DestinationEntry>> {
        Ipvs::destinations(self, key)
    }

    fn execute(&mut self, operations: &[Operation]) -> ipvs::Result<Vec<OperationFailure>> {
        Ipvs::execute(self, operations)
    }

    fn sync_daemons(&mut self) -> ipvs::Result<Vec<SyncDaemon>> {
        Ipvs::sync_daemons(self)
    }

    fn start_sync_daemon(&mut self, daemon: &SyncDaemon) -> ipvs::Result<()> {
        Ipvs::start_sync_daemon(self, daemon)
    }

    fn stop_sync_daemon(&mut self, state: SyncState) -> ipvs::Result<()> {
        Ipvs::stop_sync_daemon(self, state)
    }

    fn timeouts(&mut self) -> ipvs::Result<Timeouts> {
        Ipvs::timeouts(self)
    }

    fn set_timeouts(&mut self, timeouts: Timeouts) -> ipvs::Result<()> {
        Ipvs::set_timeouts(self, timeouts)
    }

    // The sysctls of the namespace the process (and so its netlink
    // socket) is in.
    fn sysctl(&mut self, sysctl: Sysctl) -> ipvs::Result<i64> {
        Ok(Sysctls::proc().read(sysctl)?)
    }

    fn set_sysctl(&mut self, sysctl: Sysctl, value: i64) -> ipvs::Result<()> {
        Ok(Sysctls::proc().write(sysctl, value)?)
    }
}
