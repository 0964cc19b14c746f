// SPDX-License-Identifier: MIT OR Apache-2.0
//! The planner: what the table should be, what it is, and what is ours in
//! it → the ordered list of changes that make it right. Pure: it reads no
//! file and touches no kernel, so every rule is a unit test.
//!
//! | module      | job                                                        |
//! |-------------|------------------------------------------------------------|
//! | [`desired`] | the table wanted: services with their destinations         |
//! | [`change`]  | one change, as a plan line (`+ real …`) and an operation   |
//! | [`plan`]    | the diff, in an order the kernel accepts                   |
//! | [`order`]   | the destination order `mh` and `sh` tables depend on       |
//! | [`sync`]    | the connection-sync daemons wanted against those running   |
//! | [`kernel`]  | timeouts and IPVS sysctls wanted against those in force    |
#![deny(missing_docs)]

pub mod change;
pub mod desired;
pub mod kernel;
pub mod order;
pub mod plan;
pub mod sync;

pub use change::Change;
pub use desired::DesiredService;
pub use kernel::KernelChange;
pub use plan::{plan, Ownership, Plan};
pub use sync::SyncChange;
