// SPDX-License-Identifier: MIT OR Apache-2.0
//! The table as `ipvsadm -Ln` prints it, column for column, so scripts and
//! eyes used to ipvsadm read it unchanged.

use std::fmt::Write;

use ipvs::net::socket_text;
use ipvs::{AddressFamily, Info, Netmask, Protocol, Service, ServiceFlags, ServiceKey, TableEntry};

/// The whole listing.
pub fn table(info: &Info, table: &[TableEntry]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{info}");
    out.push_str("Prot LocalAddress:Port Scheduler Flags\n");
    out.push_str("  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n");
    for entry in table {
        let service = &entry.service.service;
        out.push_str(&service_line(service));
        out.push('\n');
        for d in &entry.destinations {
            let dest = &d.destination;
            let _ = writeln!(
                out,
                "  -> {:<28} {:<7} {:<6} {:<10} {:<10}",
                socket_text(&dest.address.ip(), dest.address.port()),
                dest.forward.ipvsadm_name(),
                dest.weight,
                d.active_connections,
                d.inactive_connections
            );
        }
    }
    out
}

/// `TCP  10.0.0.1:80 wlc persistent 3600 mask 255.255.255.0`.
pub fn service_line(service: &Service) -> String {
    let mut line = match service.key {
        ServiceKey::Address { protocol, address } => {
            format!(
                "{:<4} {}",
                protocol_name(protocol),
                socket_text(&address.ip(), address.port())
            )
        }
        ServiceKey::Fwmark {
            family: AddressFamily::Inet,
            mark,
        } => format!("FWM  {mark}"),
        ServiceKey::Fwmark {
            family: AddressFamily::Inet6,
            mark,
        } => format!("FWM  {mark} IPv6"),
    };
    let _ = write!(line, " {}", service.scheduler);
    let sched_flags = sched_flag_names(&service.scheduler, service.flags);
    if !sched_flags.is_empty() {
        let _ = write!(line, " ({})", sched_flags.join(","));
    }
    if service.flags.contains(ServiceFlags::PERSISTENT) {
        let _ = write!(line, " persistent {}", service.timeout);
        match service.netmask {
            Netmask::V4(mask) if mask.octets() != [255; 4] => {
                let _ = write!(line, " mask {mask}");
            }
            Netmask::V6(prefix) if prefix != 128 => {
                let _ = write!(line, " mask {prefix}");
            }
            _ => {}
        }
        if let Some(pe) = &service.persistence_engine {
            let _ = write!(line, " pe {pe}");
        }
    }
    if service.flags.contains(ServiceFlags::ONE_PACKET) {
        line.push_str(" ops");
    }
    line
}

fn protocol_name(protocol: Protocol) -> String {
    match protocol {
        Protocol::Tcp => "TCP".into(),
        Protocol::Udp => "UDP".into(),
        Protocol::Sctp => "SCTP".into(),
        other => other.to_string().to_uppercase(),
    }
}

/// The names ipvsadm gives the scheduler flags: `sh-fallback`, `sh-port`
/// (and `mh-…`) for those schedulers, `flag-N` for the others.
pub fn sched_flag_names(scheduler: &str, flags: ServiceFlags) -> Vec<String> {
    let bits = [
        (ServiceFlags::SCHED1, "fallback", 1),
        (ServiceFlags::SCHED2, "port", 2),
        (ServiceFlags::SCHED3, "", 3),
    ];
    bits.iter()
        .filter(|(flag, ..)| flags.contains(*flag))
        .map(|(_, name, n)| match scheduler {
            "sh" | "mh" if !name.is_empty() => format!("{scheduler}-{name}"),
            _ => format!("flag-{n}"),
        })
        .collect()
}
