// SPDX-License-Identifier: MIT OR Apache-2.0
//! `[metrics]`: the daemon's Prometheus endpoint, `GET /metrics`.
//!
//! A scrape never touches the daemon's loop or the checks: it reads the
//! kernel table with its own netlink socket and the checks' totals from the
//! engine (a copy of a few integers per target), both on a blocking thread
//! and kept for [`MAX_AGE`], so that concurrent and rapid scrapes share one
//! read. What only the loop knows (the configured virtuals, reloads, the
//! time of the last good configuration, and, later, drains and disables) it
//! publishes on a watch channel when it changes ([`Facts`]).
//!
//! | module    | job                                                            |
//! |-----------|----------------------------------------------------------------|
//! | `facts`   | [`Facts`]: what the loop publishes; [`RealState`]              |
//! | `reading` | [`Reading`] and its cache: one table read per [`MAX_AGE`]      |
//! | `collect` | the exposition: every family, from a reading and the facts (a file each for kernel, health, daemon) |
//! | `server`  | the HTTP/1.1 server: bounded connections, time and bytes       |

mod collect;
mod facts;
mod reading;
mod server;

use std::sync::Arc;
use std::time::Duration;

pub use collect::{render, Format, FAMILIES};
pub use facts::{Facts, Publisher, RealState, Reloads, ResyncCounts, VirtualFacts};
pub use reading::{Cache, Reader, Reading};
pub use server::{serve, Limits};

/// How long one reading of the table and the checks serves scrapes.
pub const MAX_AGE: Duration = Duration::from_secs(1);

/// Starts the endpoint on the current runtime: binds `listen` now (an
/// error names the address), then serves in its own tasks. Returns the
/// address bound and the loop's end of the facts channel.
pub async fn start(
    listen: std::net::SocketAddr,
    reader: Reader,
) -> anyhow::Result<(std::net::SocketAddr, Publisher)> {
    use anyhow::Context as _;
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("[metrics] listen = \"{listen}\""))?;
    let bound = listener.local_addr()?;
    let (publisher, facts) = Publisher::new(listen);
    let cache = Arc::new(Cache::new(reader, MAX_AGE));
    tokio::spawn(serve(listener, cache, facts, Limits::default()));
    Ok((bound, publisher))
}

/// The daemon's reader: the kernel table through a netlink socket of its
/// own (the loop's is never shared), and the engine's totals.
pub fn kernel_reader(engine: Arc<health::Engine<ipvs::ServiceKey>>) -> anyhow::Result<Reader> {
    let mut table = ipvs::Ipvs::connect()?;
    Ok(Box::new(move || Reading {
        table: table.table().map_err(|e| e.to_string()),
        counts: engine.counts(),
        took: Duration::ZERO,
    }))
}
