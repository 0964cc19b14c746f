// SPDX-License-Identifier: MIT OR Apache-2.0
//! The table wanted.

use ipvs::{Destination, Service};

/// A service as it should be, with every destination it should have.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DesiredService {
    /// The service.
    pub service: Service,
    /// Its destinations.
    pub destinations: Vec<Destination>,
}
