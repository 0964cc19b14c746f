// SPDX-License-Identifier: MIT OR Apache-2.0
//! The configuration in the kernel's terms: what `apply` wants the table to
//! be. Every configured real goes in with its configured weight (health is
//! the daemon's job) and no fallback, except in a virtual that has no reals:
//! its fallback is its only server, so it goes in (as ldirectord does).

use config::model::{Family, Forward, Netmask, Protocol, Real, Virtual, VirtualKey};
use ipvs::{AddressFamily, Destination, Service, ServiceKey};
use planner::DesiredService;

/// The table a configuration asks for.
pub fn table(config: &config::Config) -> Vec<DesiredService> {
    config
        .virtuals
        .iter()
        .map(|v| DesiredService {
            service: service(v),
            destinations: if v.reals.is_empty() {
                v.fallback.iter().map(destination).collect()
            } else {
                v.reals.iter().map(destination).collect()
            },
        })
        .collect()
}

/// A virtual's key in the kernel's terms.
pub fn service_key(key: &VirtualKey) -> ServiceKey {
    match *key {
        VirtualKey::Address { protocol, address } => ServiceKey::Address {
            protocol: match protocol {
                Protocol::Tcp => ipvs::Protocol::Tcp,
                Protocol::Udp => ipvs::Protocol::Udp,
                Protocol::Sctp => ipvs::Protocol::Sctp,
            },
            address,
        },
        VirtualKey::Fwmark { family, mark } => ServiceKey::Fwmark {
            family: match family {
                Family::Ipv4 => AddressFamily::Inet,
                Family::Ipv6 => AddressFamily::Inet6,
            },
            mark,
        },
    }
}

/// A virtual's service settings.
pub fn service(v: &Virtual) -> Service {
    let mut service = Service::new(service_key(&v.key), v.scheduler.clone());
    if let Some(timeout) = v.persistent {
        service = service.persistent(timeout);
    }
    if v.scheduler_flags.fallback {
        service.flags |= ipvs::ServiceFlags::SCHED1;
    }
    if v.scheduler_flags.port {
        service.flags |= ipvs::ServiceFlags::SCHED2;
    }
    match v.netmask {
        Some(Netmask::V4(mask)) => service.netmask = ipvs::Netmask::V4(mask),
        Some(Netmask::V6(prefix)) => service.netmask = ipvs::Netmask::V6(prefix),
        None => {}
    }
    service
}

/// A real (or fallback) as a destination.
pub fn destination(real: &Real) -> Destination {
    Destination::new(
        real.address,
        match real.forward {
            Forward::Gate => ipvs::Forward::Route,
            Forward::Masq => ipvs::Forward::Masq,
            Forward::Ipip => ipvs::Forward::Tunnel,
        },
        real.weight,
    )
}

/// The sync daemons a configuration asks for (none without `[sync]`).
pub fn sync_daemons(config: &config::Config) -> Vec<ipvs::SyncDaemon> {
    use config::model::SyncRole;
    let Some(sync) = &config.sync else {
        return Vec::new();
    };
    let states: &[ipvs::SyncState] = match sync.state {
        SyncRole::Master => &[ipvs::SyncState::Master],
        SyncRole::Backup => &[ipvs::SyncState::Backup],
        SyncRole::Both => &[ipvs::SyncState::Master, ipvs::SyncState::Backup],
    };
    states
        .iter()
        .map(|state| ipvs::SyncDaemon {
            max_length: sync.maxlen,
            group: sync.group,
            port: sync.port,
            ttl: sync.ttl,
            ..ipvs::SyncDaemon::new(*state, sync.interface.clone(), sync.syncid)
        })
        .collect()
}
