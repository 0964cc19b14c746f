// SPDX-License-Identifier: MIT OR Apache-2.0
//! `ipvsctl list [--json] [--kernel-order] [--fingerprint]`: the kernel's
//! table.

use std::cmp::Ordering;
use std::io::Write;

use ipvs::{Ipvs, TableEntry};

use crate::exit;
use crate::render::{fingerprint, ipvsadm, json};

/// How to print the table.
#[derive(Debug, Clone, Copy, Default)]
pub struct Shape {
    /// JSON instead of ipvsadm's text.
    pub json: bool,
    /// Reals in the kernel's order instead of by address.
    pub kernel_order: bool,
    /// The fingerprint lines instead.
    pub fingerprint: bool,
}

/// Prints the table; exit code 0.
pub fn run(shape: Shape) -> anyhow::Result<i32> {
    let mut ipvs = Ipvs::connect()?;
    let info = ipvs.info()?;
    let mut table = ipvs.table()?;
    table.sort_by(service_order);
    if !shape.kernel_order && !shape.fingerprint {
        sort_reals(&mut table);
    }
    let text = if shape.fingerprint {
        fingerprint::table(&table)
    } else if shape.json {
        let order = if shape.kernel_order {
            json::RealOrder::Kernel
        } else {
            json::RealOrder::Address
        };
        json::table(&info, &table, order)?
    } else {
        ipvsadm::table(&info, &table)
    };
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(text.as_bytes())?;
    Ok(exit::SUCCESS)
}

/// `ipvsadm -L` sorts services by fwmark, family, protocol, address and
/// port ([`service_order`]), and destinations by address and port (unless
/// `--nosort`).
fn sort_reals(table: &mut [TableEntry]) {
    for entry in table.iter_mut() {
        entry.destinations.sort_by_key(|d| d.destination.address);
    }
}

fn service_order(a: &TableEntry, b: &TableEntry) -> Ordering {
    use ipvs::ServiceKey::*;
    let rank = |e: &TableEntry| match e.service.service.key {
        Address { protocol, address } => (
            0,
            ipvs::AddressFamily::of(&address.ip()),
            protocol,
            Some(address),
        ),
        Fwmark { family, mark } => (mark, family, ipvs::Protocol::Tcp, None),
    };
    rank(a).cmp(&rank(b))
}
