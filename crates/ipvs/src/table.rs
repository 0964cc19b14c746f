// SPDX-License-Identifier: MIT OR Apache-2.0
//! The whole table: every service with its destinations.

use crate::client::Ipvs;
use crate::destination::DestinationEntry;
use crate::error::{Error, ErrorKind, Result};
use crate::service::ServiceEntry;

/// A service and its destinations, as read from the kernel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableEntry {
    /// The service.
    pub service: ServiceEntry,
    /// Its destinations, in the kernel's order.
    pub destinations: Vec<DestinationEntry>,
}

impl Ipvs {
    /// Reads every service and its destinations: one dump of services, then
    /// one dump of destinations per service. A service deleted by someone
    /// else between the two is left out.
    pub fn table(&mut self) -> Result<Vec<TableEntry>> {
        let services = self.services()?;
        let mut table = Vec::with_capacity(services.len());
        for service in services {
            match self.destinations(&service.service.key) {
                Ok(destinations) => table.push(TableEntry {
                    service,
                    destinations,
                }),
                Err(Error::Request {
                    kind: ErrorKind::NoSuchService,
                    ..
                }) => continue,
                Err(error) => return Err(error),
            }
        }
        Ok(table)
    }
}
