// SPDX-License-Identifier: MIT OR Apache-2.0
//! What the reader keeps of a `.cf` file before it writes the document: the
//! global section, each virtual block, each `real=` line, each value with
//! where its directive's name and its value stand.

use std::ops::Range;

use crate::tree::Value;

use super::address::{FallbackLine, Family, RealLine, Target};

/// A value with where its directive's name and its value are.
#[derive(Debug, Clone)]
pub(super) struct At<T> {
    pub(super) value: T,
    pub(super) key: Range<usize>,
    pub(super) span: Range<usize>,
}

/// What the global section and a virtual block both may set; a virtual's
/// own value comes before the global one.
#[derive(Debug, Default)]
pub(super) struct Common {
    pub(super) checktimeout: Option<At<i64>>,
    pub(super) negotiatetimeout: Option<At<i64>>,
    pub(super) checkinterval: Option<At<i64>>,
    pub(super) failurecount: Option<At<i64>>,
    pub(super) quiescent: Option<At<bool>>,
    /// `fallbackcommand`, `emailalert`, `emailalertstatus` (the statuses,
    /// comma separated; empty for `none`): see `hook_directives`.
    pub(super) fallbackcommand: Option<At<String>>,
    pub(super) emailalert: Option<At<String>>,
    pub(super) emailalertstatus: Option<At<String>>,
}

/// The global section.
#[derive(Debug, Default)]
pub(super) struct Globals {
    pub(super) common: Common,
    pub(super) cleanstop: Option<At<bool>>,
    pub(super) fork: Option<At<bool>>,
    pub(super) autoreload: Option<At<bool>>,
    /// `maintenancedir`: `maintenance_dir` of `[defaults]`.
    pub(super) maintenancedir: Option<At<String>>,
    pub(super) fallback: Option<At<FallbackLine>>,
    pub(super) fallback6: Option<At<FallbackLine>>,
    pub(super) callback: Option<At<String>>,
    pub(super) emailalertfrom: Option<At<String>>,
}

/// `checktype`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum CheckType {
    Connect,
    Negotiate,
    /// `checktype = N`: N connect checks, then a negotiate check.
    Combined(u64),
    On,
    Off,
    External,
    /// `checktype = ping`: ICMP echo.
    Ping,
}

/// One `real=` line (a range gives several addresses).
#[derive(Debug, Clone)]
pub(super) struct RealSpec {
    pub(super) key: Range<usize>,
    /// The whole value.
    pub(super) span: Range<usize>,
    pub(super) line: RealLine,
}

/// One virtual block.
#[derive(Debug, Default)]
pub(super) struct VirtualSpec {
    pub(super) key: Range<usize>,
    /// The `virtual=` line's text.
    pub(super) line: Range<usize>,
    pub(super) family: Family,
    /// `None` when the `virtual=` value is wrong (an error was reported).
    pub(super) target: Option<Target>,
    /// Where the address (or mark) is.
    pub(super) target_span: Range<usize>,
    pub(super) common: Common,
    pub(super) protocol: Option<At<String>>,
    pub(super) scheduler: Option<At<String>>,
    /// `schedflags`: ipvsadm's `-b` words, comma-separated.
    pub(super) schedflags: Option<At<String>>,
    pub(super) persistent: Option<At<i64>>,
    pub(super) netmask: Option<At<Value>>,
    pub(super) fallback: Option<At<FallbackLine>>,
    pub(super) checktype: Option<At<CheckType>>,
    pub(super) service: Option<At<String>>,
    pub(super) checkcommand: Option<At<String>>,
    pub(super) checkport: Option<At<i64>>,
    pub(super) request: Option<At<String>>,
    pub(super) receive: Option<At<String>>,
    pub(super) virtualhost: Option<At<String>>,
    pub(super) httpmethod: Option<At<String>>,
    pub(super) login: Option<At<String>>,
    pub(super) passwd: Option<At<String>>,
    pub(super) database: Option<At<String>>,
    pub(super) secret: Option<At<String>>,
    pub(super) name: Option<At<String>>,
    pub(super) reals: Vec<RealSpec>,
}
