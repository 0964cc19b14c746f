// SPDX-License-Identifier: MIT OR Apache-2.0
//! The IPVS client: a handle on the kernel's IPVS in the caller's network
//! namespace, and the verbs that read and change it one request at a time.
//! How a request travels is in the private `exchange` module; many writes
//! at once in [`crate::batch`]; the whole table in [`crate::table`].

use std::collections::HashSet;
use std::net::SocketAddr;

use crate::daemon::{SyncDaemon, SyncState};
use crate::destination::{Destination, DestinationEntry};
use crate::error::{Error, Result};
use crate::message::{IpvsAttribute, IpvsCommand};
use crate::operation::{Operation, Request};
use crate::service::{Service, ServiceEntry, ServiceKey};
use crate::settings::{Info, Timeouts};
use crate::socket::Socket;

/// What the client has sent since it was opened: used to prove that a
/// no-op costs no write and a one-weight change costs one message.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counters {
    /// Requests that change the table (or sync daemons, timeouts, counters).
    pub writes: u64,
    /// Dump requests.
    pub dumps: u64,
    /// Other read requests (get one service, info, timeouts).
    pub reads: u64,
    /// `sendmsg` calls.
    pub send_calls: u64,
}

/// A connection to the kernel's IPVS, in the network namespace the caller
/// was in when it was opened.
pub struct Ipvs {
    pub(crate) socket: Socket,
    /// The generic-netlink id of the IPVS family, resolved once.
    pub(crate) family_id: u16,
    /// The sequence number of the last request encoded.
    pub(crate) sequence: u32,
    pub(crate) counters: Counters,
}

impl Ipvs {
    /// Opens a socket and resolves the IPVS family.
    ///
    /// Fails with [`Error::NoIpvs`] when the kernel has no IPVS.
    pub fn connect() -> Result<Self> {
        let mut ipvs = Self {
            socket: Socket::open()?,
            family_id: 0,
            sequence: 0,
            counters: Counters::default(),
        };
        ipvs.family_id = ipvs.resolve_family()?;
        Ok(ipvs)
    }

    /// What has been sent so far.
    pub fn counters(&self) -> Counters {
        self.counters
    }

    /// The generic-netlink id the kernel gave the IPVS family.
    pub fn family_id(&self) -> u16 {
        self.family_id
    }

    /// Version and connection table size (`GET_INFO`).
    pub fn info(&mut self) -> Result<Info> {
        let replies = self.read(Request::other(
            IpvsCommand::GetInfo,
            vec![],
            "get IPVS info".into(),
        ))?;
        Ok(replies
            .first()
            .map(|m| Info::from_attributes(&m.attributes))
            .unwrap_or_default())
    }

    /// Every virtual service (`ipvsadm -L`, services only).
    ///
    /// Kernel quirk: the kernel keeps one service table for all network
    /// namespaces and resumes a multi-datagram dump by position in it, so a
    /// service added or deleted in *another* namespace during a large dump
    /// can make this dump skip or repeat an entry (ipvsadm has the same
    /// problem). Repeats are dropped here.
    pub fn services(&mut self) -> Result<Vec<ServiceEntry>> {
        let mut seen = HashSet::new();
        self.dump(
            Request::other(IpvsCommand::GetService, vec![], "list services".into()),
            |attribute| {
                let IpvsAttribute::Service(attrs) = attribute else {
                    return None;
                };
                match ServiceEntry::from_attributes(&attrs) {
                    Ok(entry) if !seen.insert(entry.service.key) => None,
                    decoded => Some(decoded),
                }
            },
        )
    }

    /// One service, or an [`Error::Request`] of kind
    /// [`crate::ErrorKind::NoSuchService`].
    pub fn service(&mut self, key: &ServiceKey) -> Result<ServiceEntry> {
        let replies = self.read(Request::other(
            IpvsCommand::GetService,
            vec![IpvsAttribute::Service(key.to_attributes())],
            format!("get service {key}"),
        ))?;
        replies
            .iter()
            .flat_map(|m| &m.attributes)
            .find_map(|a| match a {
                IpvsAttribute::Service(attrs) => Some(ServiceEntry::from_attributes(attrs)),
                _ => None,
            })
            .ok_or_else(|| Error::Protocol(format!("no service in the reply to get {key}")))?
            .map_err(Error::decode)
    }

    /// The destinations of a service (`ipvsadm -L` for one service).
    ///
    /// Kernel quirk: the dump of a service that does not exist is empty,
    /// not an error; use [`Ipvs::service`] to tell the two apart.
    pub fn destinations(&mut self, key: &ServiceKey) -> Result<Vec<DestinationEntry>> {
        let family = key.family();
        self.dump(
            Request::other(
                IpvsCommand::GetDest,
                vec![IpvsAttribute::Service(key.to_attributes())],
                format!("list destinations of {key}"),
            ),
            |attribute| match attribute {
                IpvsAttribute::Destination(attrs) => {
                    Some(DestinationEntry::from_attributes(&attrs, family))
                }
                _ => None,
            },
        )
    }

    /// Adds a service (`ipvsadm -A`).
    pub fn add_service(&mut self, service: &Service) -> Result<()> {
        self.write(Operation::AddService(service.clone()).to_request())
    }

    /// Edits a service (`ipvsadm -E`).
    pub fn edit_service(&mut self, service: &Service) -> Result<()> {
        self.write(Operation::EditService(service.clone()).to_request())
    }

    /// Deletes a service and its destinations (`ipvsadm -D`).
    pub fn delete_service(&mut self, key: &ServiceKey) -> Result<()> {
        self.write(Operation::DeleteService(*key).to_request())
    }

    /// Adds a destination to a service (`ipvsadm -a`).
    pub fn add_destination(&mut self, key: &ServiceKey, destination: &Destination) -> Result<()> {
        self.write(Operation::AddDestination(*key, *destination).to_request())
    }

    /// Edits a destination (`ipvsadm -e`).
    pub fn edit_destination(&mut self, key: &ServiceKey, destination: &Destination) -> Result<()> {
        self.write(Operation::EditDestination(*key, *destination).to_request())
    }

    /// Deletes a destination (`ipvsadm -d`).
    pub fn delete_destination(&mut self, key: &ServiceKey, address: &SocketAddr) -> Result<()> {
        self.write(Operation::DeleteDestination(*key, *address).to_request())
    }

    /// The running sync daemons (`ipvsadm -L --daemon`).
    pub fn sync_daemons(&mut self) -> Result<Vec<SyncDaemon>> {
        let mut daemons = self.dump(
            Request::other(IpvsCommand::GetDaemon, vec![], "list sync daemons".into()),
            |attribute| match attribute {
                IpvsAttribute::Daemon(attrs) => Some(SyncDaemon::from_attributes(&attrs)),
                _ => None,
            },
        )?;
        daemons.sort_by_key(|d| d.state);
        Ok(daemons)
    }

    /// Starts a sync daemon (`ipvsadm --start-daemon`).
    pub fn start_sync_daemon(&mut self, daemon: &SyncDaemon) -> Result<()> {
        self.write(Request::start_daemon(daemon))
    }

    /// Stops the sync daemon in a state (`ipvsadm --stop-daemon`).
    pub fn stop_sync_daemon(&mut self, state: SyncState) -> Result<()> {
        self.write(Request::stop_daemon(state))
    }

    /// The connection timeouts (`ipvsadm -L --timeout`).
    pub fn timeouts(&mut self) -> Result<Timeouts> {
        let replies = self.read(Request::other(
            IpvsCommand::GetConfig,
            vec![],
            "get timeouts".into(),
        ))?;
        Ok(replies
            .first()
            .map(|m| Timeouts::from_attributes(&m.attributes))
            .unwrap_or_default())
    }

    /// Sets the connection timeouts; a 0 leaves that one as it is
    /// (`ipvsadm --set`).
    pub fn set_timeouts(&mut self, timeouts: Timeouts) -> Result<()> {
        self.write(Request::set_timeouts(timeouts))
    }

    /// Zeroes the counters of one service, or of all (`ipvsadm -Z`).
    pub fn zero(&mut self, key: Option<&ServiceKey>) -> Result<()> {
        self.write(Request::zero(key))
    }

    /// Deletes every service (`ipvsadm -C`).
    pub fn flush(&mut self) -> Result<()> {
        self.write(Request::flush())
    }
}
