// SPDX-License-Identifier: MIT OR Apache-2.0
//! Signals, mapped at the edge to [`Control`]s: SIGHUP reloads, SIGTERM and
//! SIGINT stop.

use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::mpsc::UnboundedSender;

use super::control::Control;

/// Installs the handlers (from now on these signals no longer kill the
/// process) and forwards them, for as long as the loop listens.
pub fn forward(controls: UnboundedSender<Control>) -> std::io::Result<()> {
    let mut hangup = signal(SignalKind::hangup())?;
    let mut terminate = signal(SignalKind::terminate())?;
    let mut interrupt = signal(SignalKind::interrupt())?;
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
    Ok(())
}
