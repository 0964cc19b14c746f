// SPDX-License-Identifier: MIT OR Apache-2.0
//! Host routes (`/32`, `/128`) of one routing protocol number, over
//! rtnetlink: add, remove, list. This is how a director announces a
//! virtual address to a routing daemon on the same host: BIRD's `kernel`
//! protocol with `learn` imports routes of other protocol numbers from the
//! kernel table and exports them by BGP.
//!
//! The crate knows routes only: nothing of IPVS, of configuration or of
//! health. Every route it makes carries the caller's protocol number, so a
//! restarted caller finds its own ([`Routes::list`]) and leaves every other
//! route alone.
//!
//! | module    | job                                                    |
//! |-----------|--------------------------------------------------------|
//! | this file | [`Routes`], [`Kind`]: what a caller asks               |
//! | `message` | the rtnetlink messages: build and read (pure)          |
//! | `socket`  | the socket: send a request, read its answer, bounded   |
//! | `error`   | [`Error`]                                              |

mod error;
mod message;
mod socket;

use std::net::IpAddr;

pub use error::Error;

/// The routing protocol numbers that belong to the kernel or to BIRD
/// itself: 0 unspec, 1 redirect, 2 kernel, 3 boot, 4 static (an
/// administrator's `ip route add`), 12 bird (BIRD deletes its own at start).
pub const RESERVED_PROTOCOLS: [u8; 6] = [0, 1, 2, 3, 4, 12];

/// What the routes are, in the kernel's words (`ip route`'s type).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `unicast … dev lo`: a route to this host itself. The local table,
    /// looked up first, keeps delivering the address locally (it must be
    /// on an interface, e.g. `lo`); the route only tells a routing daemon.
    Loopback,
    /// `blackhole`: the same for local delivery; a packet that is not
    /// for a local address is dropped instead of looping.
    Blackhole,
}

/// Where the routes go and how they are marked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Spec {
    /// The routing protocol number (`ip route … proto N`).
    pub protocol: u8,
    /// The routing table (254: main).
    pub table: u32,
    /// The route type.
    pub kind: Kind,
}

/// Host routes of one [`Spec`], in the network namespace the caller was
/// in when it was made.
pub struct Routes {
    spec: Spec,
    socket: socket::Socket,
    /// `lo`'s index, for [`Kind::Loopback`].
    loopback: u32,
}

impl Routes {
    /// Opens an rtnetlink socket for routes of `spec`.
    pub fn open(spec: Spec) -> Result<Self, Error> {
        let loopback = match spec.kind {
            Kind::Loopback => socket::interface_index("lo")?,
            Kind::Blackhole => 0,
        };
        Ok(Self {
            spec,
            socket: socket::Socket::open()?,
            loopback,
        })
    }

    /// The spec the routes follow.
    pub fn spec(&self) -> Spec {
        self.spec
    }

    /// Adds the host route to `address` (replacing one of the same
    /// destination in the table).
    pub fn add(&mut self, address: IpAddr) -> Result<(), Error> {
        let request = message::add(address, &self.spec, self.loopback);
        self.socket
            .change(request)
            .map_err(|e| e.about("add", address))
    }

    /// Removes the host route to `address` of our protocol; one that is not
    /// there is no error.
    pub fn remove(&mut self, address: IpAddr) -> Result<(), Error> {
        let request = message::remove(address, &self.spec);
        match self.socket.change(request) {
            Err(Error::Kernel { errno, .. }) if errno == libc::ESRCH => Ok(()),
            other => other.map_err(|e| e.about("remove", address)),
        }
    }

    /// The host routes of our protocol in our table, IPv4 and IPv6.
    pub fn list(&mut self) -> Result<Vec<IpAddr>, Error> {
        let mut found = Vec::new();
        for family in [message::Family::V4, message::Family::V6] {
            for route in self.socket.dump(message::dump(family))? {
                if let Some(address) = message::ours(&route, &self.spec) {
                    found.push(address);
                }
            }
        }
        found.sort();
        found.dedup();
        Ok(found)
    }
}
