// SPDX-License-Identifier: MIT OR Apache-2.0
//! `[announce]`: the director tells its routing daemon (BIRD) which virtual
//! addresses it serves, by a host route per address that BIRD's `kernel`
//! protocol learns and exports by BGP. ipvsctl speaks no BGP.
//!
//! - An address is announced while at least one virtual on it that
//!   announces (`[announce]` on, its `announce` not `false`, an address
//!   and not a fwmark) is served: a real up and taking traffic (not
//!   drained, disabled, in maintenance or at weight 0), or its fallback
//!   with `with_fallback`. One served port of a VIP keeps the VIP.
//! - Nothing is added before every real has had its first check (or the
//!   checks' grace passed) and `hold_down` after start: a director that
//!   starts never takes flows with a half-built table. Routes of ours found
//!   at start are adopted (kept, as the table is), those no longer
//!   declared are removed at once.
//! - `ipvsctl drain --director` withdraws every address and keeps the
//!   table and checks (held flows carry on if the router still sends
//!   them); `ipvsctl enable --director` announces again. The drain is kept
//!   in a file beside the overrides' ([`DRAINED_FILE`]), so it outlives
//!   restarts and reboots, as a drained real does.
//! - On stop (SIGTERM, SIGINT) every route is withdrawn. After `kill -9`
//!   the route stays until the next start fixes it (see the README).
//!
//! This file: the route table as the loop uses it, and what is announced
//! (pure); `announcing` is the loop's side.

use std::collections::{BTreeSet, HashMap};
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use config::model::{Announce, RouteType, Virtual, VirtualKey};
use health::Health;
use tokio::time::Instant;

use super::health_table::{self, Hold};

/// The host routes the daemon announces through (the `route` crate on
/// the kernel; a set in memory in host tests).
pub trait RouteTable: Send {
    /// Our routes now in the kernel.
    fn list(&mut self) -> anyhow::Result<Vec<IpAddr>>;
    /// Adds (or replaces) the route to `address`.
    fn add(&mut self, address: IpAddr) -> anyhow::Result<()>;
    /// Removes our route to `address`; none is no error.
    fn remove(&mut self, address: IpAddr) -> anyhow::Result<()>;
}

/// Opens the route table for an `[announce]` (at start, and on a reload
/// that changes it).
pub type RouteOpener = Box<dyn FnMut(&Announce) -> anyhow::Result<Box<dyn RouteTable>> + Send>;

impl RouteTable for route::Routes {
    fn list(&mut self) -> anyhow::Result<Vec<IpAddr>> {
        Ok(route::Routes::list(self)?)
    }
    fn add(&mut self, address: IpAddr) -> anyhow::Result<()> {
        Ok(route::Routes::add(self, address)?)
    }
    fn remove(&mut self, address: IpAddr) -> anyhow::Result<()> {
        Ok(route::Routes::remove(self, address)?)
    }
}

/// The kernel's route table, for the edge.
pub fn kernel_routes() -> RouteOpener {
    Box::new(|a: &Announce| {
        let spec = route::Spec {
            protocol: a.protocol,
            table: a.table,
            kind: match a.route_type {
                RouteType::Unicast => route::Kind::Loopback,
                RouteType::Blackhole => route::Kind::Blackhole,
            },
        };
        Ok(Box::new(route::Routes::open(spec)?) as Box<dyn RouteTable>)
    })
}

/// Whether a virtual announces under `[announce]`.
pub fn announces(v: &Virtual) -> Option<IpAddr> {
    match v.key {
        VirtualKey::Address { address, .. } if v.announce != Some(false) => Some(address.ip()),
        _ => None,
    }
}

/// Whether a virtual is served: a real up and taking traffic, or (with
/// `with_fallback`) its fallback. Pure.
pub fn served(
    v: &Virtual,
    health: &HashMap<SocketAddr, Health>,
    holds: &HashMap<SocketAddr, Hold>,
    with_fallback: bool,
) -> bool {
    let real_up = v.reals.iter().any(|r| {
        let up = health.get(&r.address) == Some(&Health::Up);
        match holds.get(&r.address) {
            None => up && r.weight > 0,
            Some(Hold::Weight(w)) => up && *w > 0,
            Some(Hold::Drain | Hold::Disable | Hold::Maintenance) => false,
        }
    });
    real_up || (with_fallback && health_table::fallback_of(v).is_some())
}

/// The file, beside the overrides' file, whose presence says the director
/// is drained (`ipvsctl drain --director`), so that a restart keeps it so.
pub const DRAINED_FILE: &str = "director-drained";

/// The announcing side of the daemon.
pub(super) struct Announcing {
    /// [`DRAINED_FILE`]'s path.
    pub(super) drained_file: PathBuf,
    pub(super) opener: Option<RouteOpener>,
    /// The table, with the `[announce]` it was opened for.
    pub(super) routes: Option<(Announce, Box<dyn RouteTable>)>,
    /// What we announce now.
    pub(super) announced: BTreeSet<IpAddr>,
    /// `ipvsctl drain --director`.
    pub(super) drained: bool,
    /// Every real checked once (or the grace passed) and the hold-down over.
    pub(super) ready: bool,
    /// When the daemon started serving.
    pub(super) started: Instant,
    /// The checks' grace: after it, a real never checked counts as checked.
    pub(super) grace: Duration,
}

impl Announcing {
    /// Drained if `drained_file` is there.
    pub(super) fn new(drained_file: PathBuf) -> Self {
        let drained = drained_file.exists();
        Self {
            drained_file,
            opener: None,
            routes: None,
            announced: BTreeSet::new(),
            drained,
            ready: false,
            started: Instant::now(),
            grace: Duration::ZERO,
        }
    }

    /// Announces through `opener`'s tables.
    pub(super) fn with_opener(&mut self, opener: RouteOpener) {
        self.opener = Some(opener);
    }

    /// Whether the loop should look again soon whether it may announce.
    pub(super) fn waiting(&self) -> bool {
        self.routes.is_some() && !self.ready
    }
}
