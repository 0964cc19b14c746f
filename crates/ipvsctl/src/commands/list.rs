// SPDX-License-Identifier: MIT OR Apache-2.0
//! `ipvsctl list [--json]`: the kernel's table.

use std::cmp::Ordering;
use std::io::Write;

use ipvs::{Ipvs, TableEntry};

use crate::exit;
use crate::render::{ipvsadm, json};

/// Prints the table; exit code 0.
pub fn run(as_json: bool) -> anyhow::Result<i32> {
    let mut ipvs = Ipvs::connect()?;
    let info = ipvs.info()?;
    let mut table = ipvs.table()?;
    sort_like_ipvsadm(&mut table);
    let text = if as_json {
        json::table(&info, &table)?
    } else {
        ipvsadm::table(&info, &table)
    };
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(text.as_bytes())?;
    Ok(exit::SUCCESS)
}

/// `ipvsadm -L` sorts services by fwmark, family, protocol, address and
/// port, and destinations by address and port.
fn sort_like_ipvsadm(table: &mut [TableEntry]) {
    table.sort_by(service_order);
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
