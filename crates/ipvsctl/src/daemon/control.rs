// SPDX-License-Identifier: MIT OR Apache-2.0
//! What the daemon's loop is asked to do. SIGHUP, SIGTERM and SIGINT
//! ([`signals`](super::signals)) and the control socket
//! ([`socket`](super::socket)) become these; host tests send them
//! directly.

use tokio::sync::oneshot;

use super::protocol::{ReloadOutcome, Request, Response, ResyncReport, Status};

/// An order to the loop.
#[derive(Debug)]
pub enum Control {
    /// Re-read the files; the outcome goes to the sender, if one waits
    /// (`ipvsctl reload`; SIGHUP does not wait).
    Reload(Option<oneshot::Sender<ReloadOutcome>>),
    /// Say how every virtual and real is doing.
    Status(oneshot::Sender<Status>),
    /// A drain, disable, enable or weight, asked by `who` (a user name);
    /// the answer goes to `reply`.
    Override {
        /// What is asked.
        request: Request,
        /// Who asks.
        who: String,
        /// Where the answer goes.
        reply: oneshot::Sender<Response>,
    },
    /// Read the table now and restore the declared state of the managed
    /// services; the report goes to the sender.
    Resync(oneshot::Sender<ResyncReport>),
    /// Stop (SIGTERM, SIGINT).
    Stop,
}
