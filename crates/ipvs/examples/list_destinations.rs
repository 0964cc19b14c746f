// SPDX-License-Identifier: MIT OR Apache-2.0
//! Dumps every service and its destinations, and says how long each step
//! took: a smoke test of the dumps, and a profile of `ipvsctl list`.
//!
//! `cargo run --example list_destinations` (as root, on an IPVS kernel).

use std::time::Instant;

fn main() -> Result<(), ipvs::Error> {
    let start = Instant::now();
    let mut ipvs = ipvs::Ipvs::connect()?;
    let connected = start.elapsed();
    let services = ipvs.services()?;
    let listed = start.elapsed();
    let mut destinations = 0;
    for service in &services {
        destinations += ipvs.destinations(&service.service.key)?.len();
    }
    let dumped = start.elapsed();
    println!(
        "{} services, {destinations} destinations; connect {connected:?}, services {:?}, destinations {:?}; {:?}",
        services.len(),
        listed - connected,
        dumped - listed,
        ipvs.counters()
    );
    Ok(())
}
