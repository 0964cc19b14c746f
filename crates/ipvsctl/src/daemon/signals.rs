// SPDX-License-Identifier: MIT OR Apache-2.0
//! Signals, mapped at the edge to [`Control`]s: SIGHUP reloads, SIGTERM and
//! SIGINT stop.
//!
//! The handlers are installed first thing at start ([`Signals::install`],
//! before the files are read): a SIGHUP that comes while a large
//! configuration loads is kept and becomes a reload once the loop serves,
//! instead of killing the daemon (exit 129); a SIGTERM then stops it.

use tokio::signal::unix::{signal, Signal, SignalKind};
use tokio::sync::mpsc::UnboundedSender;

use super::control::Control;

/// The daemon's signals, caught from [`Signals::install`] on.
pub struct Signals {
    hangup: Signal,
    terminate: Signal,
    interrupt: Signal,
}

impl Signals {
    /// Installs the handlers: from now on these signals no longer kill the
    /// process; each that arrives is kept until [`Signals::forward`]. Needs
    /// a runtime entered (`Runtime::enter`).
    pub fn install() -> std::io::Result<Self> {
        Ok(Self {
            hangup: signal(SignalKind::hangup())?,
            terminate: signal(SignalKind::terminate())?,
            interrupt: signal(SignalKind::interrupt())?,
        })
    }

    /// Forwards them to the loop, for as long as it listens (those that
    /// came since [`Signals::install`] first).
    pub fn forward(self, controls: UnboundedSender<Control>) {
        let Self {
            mut hangup,
            mut terminate,
            mut interrupt,
        } = self;
        tokio::spawn(async move {
            loop {
                let control = tokio::select! {
                    _ = hangup.recv() => Control::Reload(None),
                    _ = terminate.recv() => Control::Stop,
                    _ = interrupt.recv() => Control::Stop,
                };
                if controls.send(control).is_err() {
                    return;
                }
            }
        });
    }
}
