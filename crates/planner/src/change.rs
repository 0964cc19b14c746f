// SPDX-License-Identifier: MIT OR Apache-2.0
//! One change to the table: how it reads in a plan, and the operation that
//! makes it.

use std::fmt;

use ipvs::net::socket_text;
use ipvs::{Destination, Forward, Netmask, Operation, Service, ServiceFlags, ServiceKey};

/// A change to the table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// A service to add.
    AddService(Service),
    /// A service whose settings change (never a delete and re-add:
    /// connections and counters survive).
    EditService {
        /// As it is.
        before: Service,
        /// As it will be.
        after: Service,
    },
    /// A service to delete, with its destinations.
    DeleteService(ServiceKey),
    /// A destination to add.
    AddReal {
        /// Its service.
        service: ServiceKey,
        /// The destination.
        real: Destination,
    },
    /// A destination whose forwarding, weight, thresholds or tunnel change.
    EditReal {
        /// Its service.
        service: ServiceKey,
        /// As it is.
        before: Destination,
        /// As it will be.
        after: Destination,
    },
    /// A destination to delete.
    DeleteReal {
        /// Its service.
        service: ServiceKey,
        /// The destination as it is.
        real: Destination,
    },
}

impl Change {
    /// The kernel operation that makes the change.
    pub fn operation(&self) -> Operation {
        match self {
            Self::AddService(s) => Operation::AddService(s.clone()),
            Self::EditService { after, .. } => Operation::EditService(after.clone()),
            Self::DeleteService(k) => Operation::DeleteService(*k),
            Self::AddReal { service, real } => Operation::AddDestination(*service, *real),
            Self::EditReal { service, after, .. } => Operation::EditDestination(*service, *after),
            Self::DeleteReal { service, real } => {
                Operation::DeleteDestination(*service, real.address)
            }
        }
    }

    /// `+`, `~` or `-`.
    pub fn sign(&self) -> char {
        match self {
            Self::AddService(_) | Self::AddReal { .. } => '+',
            Self::EditService { .. } | Self::EditReal { .. } => '~',
            Self::DeleteService(_) | Self::DeleteReal { .. } => '-',
        }
    }
}

/// ipvsctl's word for a forwarding method.
pub fn forward_word(forward: Forward) -> String {
    match forward {
        Forward::Route => "gate".into(),
        Forward::Masq => "masq".into(),
        Forward::Tunnel => "ipip".into(),
        other => other.to_string(),
    }
}

/// `wlc persistent 3600 mask 255.255.255.0`, `mh mh-fallback,mh-port`.
pub fn service_settings(service: &Service) -> String {
    let mut text = service.scheduler.clone();
    let flags = scheduler_flag_words(service);
    if !flags.is_empty() {
        text.push_str(&format!(" {flags}"));
    }
    if service.flags.contains(ServiceFlags::PERSISTENT) {
        text.push_str(&format!(" persistent {}", service.timeout));
        if service.netmask != Netmask::host(service.key.family()) {
            text.push_str(&format!(" mask {}", service.netmask));
        }
    }
    if let Some(pe) = &service.persistence_engine {
        text.push_str(&format!(" pe {pe}"));
    }
    text
}

/// The scheduler flags as ipvsadm's `-b` spells them for `mh` and `sh`
/// (`mh-fallback,mh-port`); empty for other schedulers or no flags.
fn scheduler_flag_words(service: &Service) -> String {
    let owner = match service.scheduler.as_str() {
        "mh" | "sh" => &service.scheduler,
        _ => return String::new(),
    };
    [
        (ServiceFlags::SCHED1, "fallback"),
        (ServiceFlags::SCHED2, "port"),
    ]
    .iter()
    .filter(|(flag, _)| service.flags.contains(*flag))
    .map(|(_, word)| format!("{owner}-{word}"))
    .collect::<Vec<_>>()
    .join(",")
}

fn real_text(real: &Destination) -> String {
    socket_text(&real.address.ip(), real.address.port())
}

fn persistence(service: &Service) -> String {
    if service.flags.contains(ServiceFlags::PERSISTENT) {
        service.timeout.to_string()
    } else {
        "none".into()
    }
}

fn service_differences(before: &Service, after: &Service) -> Vec<String> {
    let mut parts = Vec::new();
    if before.scheduler != after.scheduler {
        parts.push(format!(
            "scheduler {} -> {}",
            before.scheduler, after.scheduler
        ));
    }
    if persistence(before) != persistence(after) {
        parts.push(format!(
            "persistent {} -> {}",
            persistence(before),
            persistence(after)
        ));
    }
    if before.netmask != after.netmask {
        parts.push(format!("mask {} -> {}", before.netmask, after.netmask));
    }
    let (words_before, words_after) = (scheduler_flag_words(before), scheduler_flag_words(after));
    if words_before != words_after {
        let shown = |w: String| if w.is_empty() { "none".to_string() } else { w };
        parts.push(format!(
            "scheduler flags {} -> {}",
            shown(words_before),
            shown(words_after)
        ));
    } else if before.flags != after.flags && persistence(before) == persistence(after) {
        parts.push(format!(
            "flags {:#x} -> {:#x}",
            before.flags.bits(),
            after.flags.bits()
        ));
    }
    if before.persistence_engine != after.persistence_engine {
        let pe = |s: &Service| {
            s.persistence_engine
                .clone()
                .unwrap_or_else(|| "none".into())
        };
        parts.push(format!("pe {} -> {}", pe(before), pe(after)));
    }
    parts
}

fn real_differences(before: &Destination, after: &Destination) -> Vec<String> {
    let mut parts = Vec::new();
    if before.forward != after.forward {
        parts.push(format!(
            "forward {} -> {}",
            forward_word(before.forward),
            forward_word(after.forward)
        ));
    }
    if before.weight != after.weight {
        parts.push(format!("weight {} -> {}", before.weight, after.weight));
    }
    if before.upper_threshold != after.upper_threshold {
        parts.push(format!(
            "upper threshold {} -> {}",
            before.upper_threshold, after.upper_threshold
        ));
    }
    if before.lower_threshold != after.lower_threshold {
        parts.push(format!(
            "lower threshold {} -> {}",
            before.lower_threshold, after.lower_threshold
        ));
    }
    if before.tunnel != after.tunnel {
        parts.push(format!("tunnel {:?} -> {:?}", before.tunnel, after.tunnel));
    }
    parts
}

impl fmt::Display for Change {
    /// One plan line: `+ real 192.168.0.5:80 -> tcp 192.168.0.3:80 gate w1`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = self.sign();
        match self {
            Self::AddService(s) => write!(f, "{sign} service {} {}", s.key, service_settings(s)),
            Self::EditService { before, after } => write!(
                f,
                "{sign} service {} {}",
                after.key,
                service_differences(before, after).join(", ")
            ),
            Self::DeleteService(k) => write!(f, "{sign} service {k}"),
            Self::AddReal { service, real } => write!(
                f,
                "{sign} real {} -> {service} {} w{}",
                real_text(real),
                forward_word(real.forward),
                real.weight
            ),
            Self::EditReal {
                service,
                before,
                after,
            } => write!(
                f,
                "{sign} real {} -> {service} {}",
                real_text(after),
                real_differences(before, after).join(", ")
            ),
            Self::DeleteReal { service, real } => {
                write!(f, "{sign} real {} -> {service}", real_text(real))
            }
        }
    }
}
