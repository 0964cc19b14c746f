// SPDX-License-Identifier: MIT OR Apache-2.0
//! Control of the Linux kernel's IP Virtual Server (IPVS, "LVS") table over
//! generic netlink — the family named `"IPVS"` — with no libnl and no `ipvsadm`.
//!
//! The crate knows the kernel's objects and nothing about configuration files
//! or health checks. Modules, and the `ipvsadm` commands they stand for:
//!
//! | module          | what it covers                                   | ipvsadm        |
//! |-----------------|--------------------------------------------------|----------------|
//! | [`service`]     | virtual services: key, scheduler, flags, netmask | `-A -E -D -L`  |
//! | [`destination`] | real servers of a service: forwarding, weight    | `-a -e -d`     |
//! | [`daemon`]      | connection-sync daemons (master / backup)        | `--start-daemon --stop-daemon -L --daemon` |
//! | [`stats`]       | counters and rates of services and destinations  | `-L --stats --rate` |
//! | [`settings`]    | protocol timeouts and general information        | `--set`, `-L --timeout` |
//! | [`sysctl`]      | the namespace's `/proc/sys/net/ipv4/vs` settings | (`sysctl -w`)  |
//! | [`client`]      | [`Ipvs`]: connecting, and one verb per request   | all of them    |
//! | [`batch`]       | many writes sent without a round trip each       | `-R`           |
//! | [`table`]       | every service with its destinations              | `-Ln`          |
//! | [`operation`]   | what is sent: [`Operation`] and each request     |                |
//! | [`message`]     | the generic-netlink message and its commands     |                |
//! | [`error`]       | what can go wrong, in words an operator reads    |                |
//!
//! How a request travels, inside the crate: `exchange` encodes requests and
//! reads replies until the last one is answered (every verb, dump and
//! batch chunk goes through it); `family` reads the family lookup's answer; `reply` reads one datagram into replies
//! (ACK, refusal with the kernel's reason, end of dump); `socket` owns the
//! netlink socket (buffer sizes, `send`, `recv`) and knows no protocol.
//!
//! Wire types (the `*Attribute` enums, one per nested attribute set of
//! `include/uapi/linux/ip_vs.h`) are kept apart from the domain types
//! ([`Service`], [`Destination`], [`SyncDaemon`], …) that callers use.
//! Attribute enums are `#[non_exhaustive]` and keep anything they do not know
//! in an `Other` variant, so a newer kernel never makes this crate fail.
#![deny(missing_docs)]

pub mod batch;
pub mod client;
pub mod daemon;
pub mod destination;
pub mod error;
pub mod message;
pub mod net;
pub mod operation;
pub mod service;
pub mod settings;
pub mod stats;
pub mod sysctl;
pub mod table;

mod exchange;
mod family;
mod reply;
mod socket;
mod wire;

#[cfg(all(test, target_endian = "little"))]
mod fuzz_tests;

pub use batch::OperationFailure;
pub use client::{Counters, Ipvs};
pub use daemon::{SyncDaemon, SyncState};
pub use destination::{Destination, DestinationEntry, Forward, Tunnel, TunnelFlags, TunnelType};
pub use error::{Error, ErrorKind, Result};
pub use net::{AddressFamily, Protocol};
pub use operation::Operation;
pub use service::{Netmask, Service, ServiceEntry, ServiceFlags, ServiceKey};
pub use settings::{Info, Timeouts};
pub use stats::Stats;
pub use sysctl::{Sysctl, SysctlError, Sysctls};
pub use table::TableEntry;
