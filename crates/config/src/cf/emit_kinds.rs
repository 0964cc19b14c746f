// SPDX-License-Identifier: MIT OR Apache-2.0
//! The settings of the checks ldirectord's `service=dns` and
//! `service=simpletcp` become (`dns`, and `tcp` or `udp` by the virtual's
//! protocol), translated from ldirectord's reading of them.

use crate::tree::Table;
use crate::words::CheckType as TomlCheck;

use super::emit::{put_at, string};
use super::spec::VirtualSpec;
use super::Reader;

impl Reader<'_> {
    /// `request` and `receive` as ldirectord's check uses them: the `/`
    /// its reader puts in front of every request dropped again (its DNS
    /// and simpletcp checks drop it), for simpletcp `\n` sent as a newline;
    /// `receive` is a regular expression (`receive_regex`), as for HTTP.
    pub(super) fn sent_and_received(&mut self, v: &VirtualSpec, kind: TomlCheck, t: &mut Table) {
        if let Some(request) = &v.request {
            let mut text = request.value.strip_prefix('/').unwrap_or(&request.value);
            let sent;
            if kind != TomlCheck::Dns {
                sent = text.replace("\\n", "\n");
                text = &sent;
            }
            if !text.is_empty() {
                put_at(t, "request", request, string(text));
            }
        }
        if let Some(receive) = v.receive.as_ref().filter(|r| !r.value.is_empty()) {
            put_at(t, "receive_regex", receive, string(&receive.value));
        }
    }
}
