// SPDX-License-Identifier: MIT OR Apache-2.0
//! `[metrics]`: the daemon's Prometheus endpoint.

use std::net::SocketAddr;

use crate::fields::{Checker, Fields};
use crate::model::Metrics;

/// `listen`: an address and a port, `127.0.0.1:9477` or `[::1]:9477`.
pub(super) fn metrics(checker: &mut Checker<'_>, m: &Fields<'_>) -> Option<Metrics> {
    let Some((text, item)) = checker.string(m, "listen") else {
        if !m.has("listen") {
            checker.error(
                &m.span,
                Some(m.key("listen")),
                "missing: the address:port to serve /metrics on, e.g. \"127.0.0.1:9477\"",
            );
        }
        return None;
    };
    match text.parse::<SocketAddr>() {
        Ok(listen) if listen.port() == 0 => {
            checker.error(
                &item.span,
                Some(m.key("listen")),
                format!("`{text}`: port 0 is not a port to scrape"),
            );
            None
        }
        Ok(listen) => Some(Metrics { listen }),
        Err(_) => {
            checker.error(
                &item.span,
                Some(m.key("listen")),
                format!(
                    "`{text}` is not an address:port (e.g. \"127.0.0.1:9477\" or \"[::1]:9477\")"
                ),
            );
            None
        }
    }
}
