// SPDX-License-Identifier: MIT OR Apache-2.0
//! ldirectord's `.cf` files, read into the same raw document as TOML.
//!
//! The reader follows `read_config` of ldirectord (ClusterLabs
//! resource-agents, `ldirectord/ldirectord.in`): the same directives, the
//! same defaults, the same errors, each at its `FILE:LINE:COL`. Every error
//! of a file is reported, not only the first.
//!
//! **ldirectord's defaults are written into the document**, because
//! ipvsctl's own defaults differ:
//! - `checkinterval` 10 s → `defaults.check_interval = 10`;
//! - `checktimeout` 5 s and `negotiatetimeout` 30 s, each the other's
//!   fallback, the virtual's before the global one → `check.timeout` of
//!   every virtual (`defaults.check_timeout`: the global checktimeout);
//! - `failurecount` 1, and one good check brings a server back →
//!   `defaults.check_fall`, `defaults.check_rise = 1`;
//! - `quiescent = no` (the code's default; ldirectord's manual says yes) →
//!   `defaults.quiescent = false`; `cleanstop = yes` → `defaults.cleanstop`;
//! - scheduler `wrr`; protocol `tcp`, or `udp` when the port is written
//!   `53` or `domain` → `scheduler` and `protocol` on every virtual;
//! - `checktype = negotiate`, with the service of the port (80 http,
//!   443 https, 3306 mysql, …; `none` for other ports and firewall marks)
//!   → a `check` on every virtual;
//! - real weight 1 → `weight = 1`; fallback forward `gate` with weight 1,
//!   on the virtual's port → `fallback = "ip:port"` (or `"ip"`, and the
//!   validator adds the virtual's port), a table for masq and ipip.
//!
//! **Checks**: `connect` → `connect` (on a UDP virtual ldirectord pings
//! instead: a warning); `negotiate` with service `http`/`https` →
//! `http`/`https` (`request`, `receive`, `virtualhost` → `host`,
//! `httpmethod` → `method`; a receive with regular-expression characters
//! gets a warning: ldirectord matches a regex, ipvsctl the text); with
//! service `none` → `none` (ldirectord's `check_none` counts every server
//! up; a warning when that came from the defaults alone); with any other
//! service (mysql, dns, ldap, smtp, …) → `connect`, with a warning;
//! `checktype = N` → as `negotiate`, with a warning (the N connect checks
//! between two negotiate checks are not kept); `on` → `none`; `off` → `off`;
//! `external` → `external` with `command = [checkcommand, "{vip}",
//! "{vport}", "{ip}", "{port}"]`, ldirectord's arguments (virtual address or
//! mark, virtual port, real address, real port; no `checkcommand`:
//! `/bin/true`, with a warning). The timeout is `negotiatetimeout` for
//! negotiate checks and `checktimeout` for the others, as in ldirectord.
//! `checkport` → `check.port` (for a firewall mark whose reals have no port,
//! the service's port); `failurecount` → `check.fall`; `checkinterval` in a
//! virtual → `check.interval` only with `fork = yes`, as in ldirectord.
//! A global `fallback`/`fallback6` is copied into every IPv4/IPv6 address
//! virtual without one (not into firewall-mark virtuals, where ldirectord
//! cannot use it: a warning). `servicename` becomes the virtual's `name`.
//!
//! **More lenient than ldirectord.** These accept files ldirectord refuses;
//! apart from the quote and white-space details noted, no file ldirectord
//! accepts is read differently:
//! - Any indentation (one space or tab is enough) puts a line in the
//!   virtual block above; ldirectord needs four columns (a tab counts four).
//! - Blank lines do not end a virtual block; in ldirectord they do, and an
//!   indented line after one is an error.
//! - A `#` outside double quotes starts a comment, on every line; ldirectord
//!   strips comments only inside virtual blocks, so `autoreload = yes  #
//!   comment` fails there. Inside virtual blocks ldirectord also cuts at a
//!   `#` within quotes (`virtualhost = "a#b"` is `a` there, `a#b` here).
//! - Quotes are optional around any value and allowed around any value (and
//!   taken off); ldirectord requires them on `request`, `receive`, `login`,
//!   `passwd`, `database`, `secret`, `callback` and `logfile`, refuses them
//!   on yes/no values and addresses, and keeps them in `servicename`.
//! - White space (and `\r`) around a value is ignored; ldirectord refuses
//!   `quiescent = no ` for it, and keeps it in `virtualhost`.
//! - Where ldirectord reads only the start of a value (`checkinterval = 2s`
//!   is 2, `scheduler = lc // comment` is `lc`, `virtual = ip:port junk`),
//!   so does ipvsctl, with a warning about the rest.
//!
//! **Stricter than ldirectord**:
//! - Addresses must be IP literals (dotted quads for IPv4, bracketed IPv6):
//!   host names are not resolved, there is no DNS when a file is read. Port
//!   names come from a fixed table of common `/etc/services` names, not from
//!   the host's file.
//! - `virtual = a.b.c.d` (no port) is refused; ldirectord takes its first
//!   number as a firewall mark. Numbers must start the value (ldirectord
//!   takes the first digits anywhere in it).
//! - Not supported, so refused: `checktype = ping` (ICMP checks need raw
//!   sockets), `checktype = external-perl`, `schedflags`, `ops = yes`,
//!   per-real request/receive strings and `l:`/`u:` thresholds, a full URL
//!   in `request`, `real` ranges of more than 4096 addresses.
//!
//! As in ldirectord: a custom `service` (a site's patched ldirectord) is
//! refused; `timeout` and `connecttimeout` are refused (removed from
//! ldirectord); an unknown directive is refused; `real=` needs a forward
//! method. Directives ipvsctl has no use for (`autoreload`, `callback`,
//! `logfile`, `emailalert*`, `smtp`, `execute`, `fork`, `supervised`,
//! `readdquiescent`, `maintenancedir`, `fallbackcommand`, `monitorfile`,
//! `checkcount`, `login`, `passwd`, `database`, `secret`, `load`, `comment`,
//! a virtual's `cleanstop`) are read, their yes/no values checked, and
//! ignored with a warning.

mod address;
mod emit;
mod lexer;
mod services;

use std::ops::Range;

use crate::diagnostic::Diagnostic;
use crate::source::SourceFile;
use crate::tree::{Table, Value};

use address::{FallbackLine, Family, Problem, Target};
use lexer::{Directive, LineKind, Unquoted};

/// Reads an ldirectord configuration into the raw document (in the TOML
/// schema's keys), with warnings; or every error found.
pub fn read(source: &SourceFile) -> Result<(Table, Vec<Diagnostic>), Vec<Diagnostic>> {
    let mut reader = Reader {
        source,
        errors: Vec::new(),
        warnings: Vec::new(),
        globals: Globals::default(),
        virtuals: Vec::new(),
    };
    reader.read_lines();
    let table = reader.document();
    let by_place = |d: &Diagnostic| d.location;
    if reader.errors.is_empty() {
        reader.warnings.sort_by_key(by_place);
        Ok((table, reader.warnings))
    } else {
        reader.errors.sort_by_key(by_place);
        Err(reader.errors)
    }
}

/// Directives only a virtual block may hold.
const VIRTUAL_ONLY: &[&str] = &[
    "real",
    "real6",
    "request",
    "receive",
    "checktype",
    "checkcommand",
    "checkport",
    "login",
    "passwd",
    "database",
    "secret",
    "load",
    "scheduler",
    "persistent",
    "schedflags",
    "netmask",
    "protocol",
    "ops",
    "service",
    "httpmethod",
    "virtualhost",
    "monitorfile",
    "servicename",
    "comment",
];

/// Directives only the global section may hold.
const GLOBAL_ONLY: &[&str] = &[
    "autoreload",
    "callback",
    "logfile",
    "execute",
    "fork",
    "supervised",
    "readdquiescent",
    "emailalertfrom",
    "maintenancedir",
];

/// A value with where its directive's name and its value are.
#[derive(Debug, Clone)]
struct At<T> {
    value: T,
    key: Range<usize>,
    span: Range<usize>,
}

/// The global section.
#[derive(Debug, Default)]
struct Globals {
    checktimeout: Option<At<i64>>,
    negotiatetimeout: Option<At<i64>>,
    checkinterval: Option<At<i64>>,
    failurecount: Option<At<i64>>,
    quiescent: Option<At<bool>>,
    cleanstop: Option<At<bool>>,
    fork: Option<At<bool>>,
    fallback: Option<At<FallbackLine>>,
    fallback6: Option<At<FallbackLine>>,
}

/// `checktype`.
#[derive(Debug, Clone, Copy, PartialEq)]
enum CheckType {
    Connect,
    Negotiate,
    /// `checktype = N`: N connect checks, then a negotiate check.
    Combined(u64),
    On,
    Off,
    External,
}

/// One `real=` line (a range gives several addresses).
#[derive(Debug, Clone)]
struct RealSpec {
    key: Range<usize>,
    /// The whole value.
    span: Range<usize>,
    line: address::RealLine,
}

/// One virtual block.
#[derive(Debug)]
struct VirtualSpec {
    key: Range<usize>,
    /// The `virtual=` line's text.
    line: Range<usize>,
    family: Family,
    /// `None` when the `virtual=` value is wrong (an error was reported).
    target: Option<Target>,
    /// Where the address (or mark) is.
    target_span: Range<usize>,
    protocol: Option<At<String>>,
    scheduler: Option<At<String>>,
    persistent: Option<At<i64>>,
    netmask: Option<At<Value>>,
    quiescent: Option<At<bool>>,
    fallback: Option<At<FallbackLine>>,
    checktype: Option<At<CheckType>>,
    service: Option<At<String>>,
    checkcommand: Option<At<String>>,
    checkport: Option<At<i64>>,
    checktimeout: Option<At<i64>>,
    negotiatetimeout: Option<At<i64>>,
    checkinterval: Option<At<i64>>,
    failurecount: Option<At<i64>>,
    request: Option<At<String>>,
    receive: Option<At<String>>,
    virtualhost: Option<At<String>>,
    httpmethod: Option<At<String>>,
    name: Option<At<String>>,
    reals: Vec<RealSpec>,
}

struct Reader<'s> {
    source: &'s SourceFile,
    errors: Vec<Diagnostic>,
    warnings: Vec<Diagnostic>,
    globals: Globals,
    virtuals: Vec<VirtualSpec>,
}

impl Directive<'_> {
    /// How the line is named in messages: its name, or its text when it is
    /// not `name = value`.
    fn shown(&self) -> &str {
        if self.has_equals && !self.name.is_empty() {
            self.name
        } else {
            self.text
        }
    }
}

impl Reader<'_> {
    fn error(&mut self, span: &Range<usize>, key: Option<&str>, message: impl Into<String>) {
        let key = key.map(str::to_string);
        self.errors
            .push(Diagnostic::error(self.source, span, key, message));
    }

    fn warning(&mut self, span: &Range<usize>, key: Option<&str>, message: impl Into<String>) {
        let key = key.map(str::to_string);
        self.warnings
            .push(Diagnostic::warning(self.source, span, key, message));
    }

    fn problem(&mut self, key: &str, problem: Problem) {
        self.error(&problem.span, Some(key), problem.message);
    }

    fn read_lines(&mut self) {
        let mut current: Option<VirtualSpec> = None;
        for line in lexer::lines(self.source.text()) {
            let LineKind::Directive(d) = line.kind else {
                continue;
            };
            if line.indented {
                match current.as_mut() {
                    Some(v) => self.virtual_directive(v, &d),
                    None => self.error(
                        &d.text_span,
                        None,
                        format!(
                            "`{}` is indented, but there is no `virtual=` line above it",
                            d.shown()
                        ),
                    ),
                }
                continue;
            }
            if let Some(v) = current.take() {
                self.virtuals.push(v);
            }
            if d.has_equals && matches!(d.name, "virtual" | "virtual6") {
                current = Some(self.start_virtual(&d));
            } else {
                self.global_directive(&d);
            }
        }
        if let Some(v) = current.take() {
            self.virtuals.push(v);
        }
    }

    /// The value without quotes; an error when a quote is not closed, a
    /// warning for text after the closing quote.
    fn unquoted<'d>(&mut self, d: &Directive<'d>) -> Option<Unquoted<'d>> {
        match lexer::unquote(d.value, d.value_span.clone()) {
            Ok(u) => {
                if !u.after.is_empty() {
                    let message = format!("ignored: `{}` after the closing quote", u.after);
                    self.warning(&d.value_span, Some(d.name), message);
                }
                Some(u)
            }
            Err(()) => {
                self.error(&d.value_span, Some(d.name), "the closing quote is missing");
                None
            }
        }
    }

    /// The value's leading run of characters that `accept`, as ldirectord
    /// reads it (`scheduler = lc // comment` is `lc`); a warning for what
    /// follows, an error when there is no such run.
    fn leading(
        &mut self,
        d: &Directive<'_>,
        accept: fn(u8) -> bool,
        expected: &str,
    ) -> Option<At<String>> {
        let u = self.unquoted(d)?;
        let len = u.text.bytes().take_while(|&b| accept(b)).count();
        if len == 0 {
            let message = if u.text.is_empty() {
                format!("missing value: expected {expected}")
            } else {
                format!("expected {expected}, found `{}`", u.text)
            };
            self.error(&d.value_span, Some(d.name), message);
            return None;
        }
        let (word, rest) = u.text.split_at(len);
        if !rest.trim().is_empty() {
            let message = format!(
                "read as `{word}`: `{}` after it is ignored, as by ldirectord",
                rest.trim()
            );
            self.warning(&d.value_span, Some(d.name), message);
        }
        Some(At {
            value: word.to_string(),
            key: d.name_span.clone(),
            span: u.span.start..u.span.start + len,
        })
    }

    /// A whole number (ldirectord reads the leading digits), at least `min`.
    fn number(&mut self, d: &Directive<'_>, min: i64) -> Option<At<i64>> {
        let digits = self.leading(d, |b| b.is_ascii_digit(), "a whole number")?;
        let Ok(value) = digits.value.parse::<i64>() else {
            self.error(
                &digits.span,
                Some(d.name),
                format!("`{}` is too large", digits.value),
            );
            return None;
        };
        if value < min {
            self.error(
                &digits.span,
                Some(d.name),
                format!("must be {min} or more, found {value}"),
            );
            return None;
        }
        Some(At {
            value,
            key: digits.key,
            span: digits.span,
        })
    }

    /// `yes` or `no`.
    fn yes_no(&mut self, d: &Directive<'_>) -> Option<At<bool>> {
        let u = self.unquoted(d)?;
        let value = match u.text {
            "yes" => true,
            "no" => false,
            other => {
                let message = format!("expected yes or no, found `{other}`");
                self.error(&d.value_span, Some(d.name), message);
                return None;
            }
        };
        Some(At {
            value,
            key: d.name_span.clone(),
            span: u.span,
        })
    }

    /// A string value (quotes optional), not empty.
    fn text(&mut self, d: &Directive<'_>) -> Option<At<String>> {
        let u = self.unquoted(d)?;
        if u.text.is_empty() {
            self.error(&d.value_span, Some(d.name), "missing value");
            return None;
        }
        Some(At {
            value: u.text.to_string(),
            key: d.name_span.clone(),
            span: u.span,
        })
    }

    fn ignored(&mut self, d: &Directive<'_>, why: &str) {
        let message = format!("ignored: {} ({why})", d.name);
        self.warning(&d.name_span, None, message);
    }

    fn fallback(&mut self, d: &Directive<'_>, family: Family) -> Option<At<FallbackLine>> {
        let u = self.unquoted(d)?;
        match address::fallback(u.text, &u.span, family) {
            Ok(value) => Some(At {
                value,
                key: d.name_span.clone(),
                span: u.span,
            }),
            Err(problem) => {
                self.problem(d.name, problem);
                None
            }
        }
    }

    fn global_directive(&mut self, d: &Directive<'_>) {
        if !d.has_equals || d.name.is_empty() {
            if d.text == "supervised" {
                self.ignored(d, "ipvsctl has no background mode to turn off");
            } else {
                let message = format!("unknown directive `{}`", d.text);
                self.error(&d.text_span, None, message);
            }
            return;
        }
        match d.name {
            "checktimeout" => self.globals.checktimeout = self.number(d, 1),
            "negotiatetimeout" => self.globals.negotiatetimeout = self.number(d, 1),
            "checkinterval" => self.globals.checkinterval = self.number(d, 1),
            "failurecount" => self.globals.failurecount = self.number(d, 1),
            "quiescent" => self.globals.quiescent = self.yes_no(d),
            "cleanstop" => self.globals.cleanstop = self.yes_no(d),
            "fallback" => self.globals.fallback = self.fallback(d, Family::V4),
            "fallback6" => self.globals.fallback6 = self.fallback(d, Family::V6),
            "fork" => {
                self.globals.fork = self.yes_no(d);
                if self.globals.fork.as_ref().is_some_and(|f| f.value) {
                    self.warning(
                        &d.name_span,
                        None,
                        "fork = yes: ipvsctl runs every check on its own schedule anyway; \
                         it makes checkinterval inside virtual blocks count",
                    );
                } else {
                    self.ignored(d, "ipvsctl runs every check on its own schedule");
                }
            }
            "checkcount" => {
                self.number(d, 1);
                self.ignored(d, "deprecated by ldirectord, and only ping checks use it");
            }
            "connecttimeout" => self.error(
                &d.name_span,
                Some(d.name),
                "removed from ldirectord in favour of negotiatetimeout",
            ),
            "timeout" => self.error(
                &d.name_span,
                Some(d.name),
                "removed from ldirectord in favour of checktimeout and negotiatetimeout",
            ),
            "autoreload" => {
                self.yes_no(d);
                self.ignored(d, "ipvsctl does not watch the file for changes");
            }
            "readdquiescent" => {
                self.yes_no(d);
                self.ignored(d, "ipvsctl keeps quiescent servers in the table itself");
            }
            "supervised" => {
                self.yes_no(d);
                self.ignored(d, "ipvsctl has no background mode to turn off");
            }
            "callback" => self.ignored(d, "ipvsctl runs no program when the file changes"),
            "logfile" => self.ignored(d, "ipvsctl has its own logging"),
            "execute" => self.ignored(d, "ipvsctl does not start other ldirectord instances"),
            "emailalert" | "emailalertfreq" | "emailalertstatus" | "emailalertfrom" | "smtp" => {
                self.ignored(d, "ipvsctl sends no e-mail alerts")
            }
            "maintenancedir" => self.ignored(d, "ipvsctl has no maintenance files"),
            "fallbackcommand" => self.ignored(d, "ipvsctl runs no fallback command"),
            name if VIRTUAL_ONLY.contains(&name) => {
                let message = format!(
                    "`{name}` belongs in a virtual block: indent it under a `virtual=` line"
                );
                self.error(&d.name_span, None, message);
            }
            name => {
                let message = format!("unknown directive `{name}`");
                self.error(&d.name_span, None, message);
            }
        }
    }

    fn start_virtual(&mut self, d: &Directive<'_>) -> VirtualSpec {
        let family = if d.name == "virtual6" {
            Family::V6
        } else {
            Family::V4
        };
        let mut v = VirtualSpec {
            key: d.name_span.clone(),
            line: d.text_span.clone(),
            family,
            target: None,
            target_span: d.value_span.clone(),
            protocol: None,
            scheduler: None,
            persistent: None,
            netmask: None,
            quiescent: None,
            fallback: None,
            checktype: None,
            service: None,
            checkcommand: None,
            checkport: None,
            checktimeout: None,
            negotiatetimeout: None,
            checkinterval: None,
            failurecount: None,
            request: None,
            receive: None,
            virtualhost: None,
            httpmethod: None,
            name: None,
            reals: Vec::new(),
        };
        let Some(u) = self.unquoted(d) else {
            return v;
        };
        let words = lexer::words(u.text, u.span.start);
        let Some((word, span)) = words.first().cloned() else {
            self.error(
                &d.value_span,
                Some(d.name),
                "missing address: write ip:port or a firewall mark",
            );
            return v;
        };
        if let Some((_, rest)) = words.get(1) {
            let message = format!(
                "ignored: `{}` after the address, as by ldirectord",
                &self.source.text()[rest.start..u.span.end]
            );
            self.warning(rest, Some(d.name), message);
        }
        v.target_span = span.clone();
        match address::virtual_target(word, &span, family) {
            Ok(target) => v.target = Some(target),
            Err(problem) => self.problem(d.name, problem),
        }
        v
    }

    fn virtual_directive(&mut self, v: &mut VirtualSpec, d: &Directive<'_>) {
        if !d.has_equals || d.name.is_empty() {
            let message = format!("unknown directive `{}`", d.text);
            self.error(&d.text_span, None, message);
            return;
        }
        let fwmark = matches!(v.target, Some(Target::Fwmark(_)));
        match d.name {
            "real" | "real6" => self.real(v, d),
            "fallback" | "fallback6" => {
                if self.family_fits(v, d, "fallback") {
                    v.fallback = self.fallback(d, v.family);
                }
            }
            "request" => {
                let Some(mut request) = self.text(d) else {
                    return;
                };
                if request.value.starts_with("http://") || request.value.starts_with("https://") {
                    self.error(
                        &request.span,
                        Some(d.name),
                        "a full URL is not supported by ipvsctl: give the path (the check \
                         goes to each real server)",
                    );
                    return;
                }
                if !request.value.starts_with('/') {
                    request.value.insert(0, '/');
                }
                v.request = Some(request);
            }
            "receive" => v.receive = self.text(d),
            "checktype" => v.checktype = self.checktype(d),
            "checkcommand" => {
                let command = self.text(d);
                if let Some(c) = &command {
                    if c.value.contains(char::is_whitespace) {
                        let message = format!(
                            "ldirectord runs `{}` as one program name, without a shell",
                            c.value
                        );
                        self.warning(&c.span, Some(d.name), message);
                    }
                }
                v.checkcommand = command;
            }
            "checkport" => {
                if let Some(port) = self.number(d, 1) {
                    if port.value > 65535 {
                        self.error(&port.span, Some(d.name), "must be in range 1-65535");
                    } else {
                        v.checkport = Some(port);
                    }
                }
            }
            "checktimeout" => v.checktimeout = self.number(d, 1),
            "negotiatetimeout" => v.negotiatetimeout = self.number(d, 1),
            "checkinterval" => v.checkinterval = self.number(d, 1),
            "failurecount" => v.failurecount = self.number(d, 1),
            "checkcount" => {
                self.number(d, 1);
                self.ignored(d, "deprecated by ldirectord, and only ping checks use it");
            }
            "connecttimeout" => self.error(
                &d.name_span,
                Some(d.name),
                "removed from ldirectord in favour of negotiatetimeout",
            ),
            "login" | "passwd" | "database" | "secret" | "load" => self.ignored(
                d,
                "only ldirectord's service-specific negotiate checks use it",
            ),
            "scheduler" => {
                v.scheduler = self.leading(d, |b| b.is_ascii_lowercase(), "a scheduler name (a-z)")
            }
            "persistent" => v.persistent = self.number(d, 0),
            "schedflags" => self.error(&d.name_span, Some(d.name), "not supported by ipvsctl"),
            "netmask" => v.netmask = self.netmask(d, v.family),
            "protocol" => {
                let Some(p) =
                    self.leading(d, |b| b.is_ascii_alphanumeric() || b == b'_', "tcp or udp")
                else {
                    return;
                };
                match (fwmark, p.value.as_str()) {
                    (true, "fwm") => {}
                    (true, _) => self.error(
                        &p.span,
                        Some(d.name),
                        "must be fwm: the virtual service is a firewall mark",
                    ),
                    (false, "tcp" | "udp") => v.protocol = Some(p),
                    (false, other) => {
                        let message = format!("expected tcp or udp, found `{other}`");
                        self.error(&p.span, Some(d.name), message);
                    }
                }
            }
            "ops" => {
                if self.yes_no(d).is_some_and(|o| o.value) {
                    self.error(
                        &d.value_span,
                        Some(d.name),
                        "one-packet scheduling is not supported by ipvsctl",
                    );
                }
            }
            "service" => {
                let Some(s) =
                    self.leading(d, |b| b.is_ascii_alphanumeric() || b == b'_', "a service")
                else {
                    return;
                };
                if services::SERVICES.contains(&s.value.as_str()) {
                    v.service = Some(s);
                } else {
                    let message = format!(
                        "unknown service `{}` (ldirectord knows {})",
                        s.value,
                        services::SERVICES.join(", ")
                    );
                    self.error(&s.span, Some(d.name), message);
                }
            }
            "httpmethod" => {
                let Some(mut m) =
                    self.leading(d, |b| b.is_ascii_alphanumeric() || b == b'_', "GET or HEAD")
                else {
                    return;
                };
                m.value.make_ascii_uppercase();
                if matches!(m.value.as_str(), "GET" | "HEAD") {
                    v.httpmethod = Some(m);
                } else {
                    self.error(&m.span, Some(d.name), "expected GET or HEAD");
                }
            }
            "virtualhost" => {
                let Some(u) = self.unquoted(d) else { return };
                if u.text.is_empty() {
                    self.warning(&d.value_span, Some(d.name), "empty: ignored");
                } else {
                    v.virtualhost = Some(At {
                        value: u.text.to_string(),
                        key: d.name_span.clone(),
                        span: u.span,
                    });
                }
            }
            "quiescent" => v.quiescent = self.yes_no(d),
            "servicename" => v.name = self.text(d),
            "fallbackcommand" => self.ignored(d, "ipvsctl runs no fallback command"),
            "emailalert" | "emailalertfreq" | "emailalertstatus" | "smtp" => {
                self.ignored(d, "ipvsctl sends no e-mail alerts")
            }
            "monitorfile" => self.ignored(d, "ipvsctl writes no monitor file"),
            "comment" => self.ignored(d, "ipvsctl sends no e-mail notifications"),
            "cleanstop" => {
                self.yes_no(d);
                self.ignored(
                    d,
                    "ipvsctl's cleanstop is global: set it outside virtual blocks",
                );
            }
            "virtual" | "virtual6" => self.error(
                &d.name_span,
                None,
                format!(
                    "`{}` must start at column 0: an indented line belongs to the virtual above",
                    d.name
                ),
            ),
            "timeout" => self.error(
                &d.name_span,
                Some(d.name),
                "removed from ldirectord in favour of checktimeout and negotiatetimeout",
            ),
            name if GLOBAL_ONLY.contains(&name) => {
                let message = format!(
                    "`{name}` is a global directive: write it at column 0, outside virtual blocks"
                );
                self.error(&d.name_span, None, message);
            }
            name => {
                let message = format!("unknown directive `{name}`");
                self.error(&d.name_span, None, message);
            }
        }
    }

    /// Whether `real`/`real6` (`fallback`/`fallback6`) fits the block's family.
    fn family_fits(&mut self, v: &VirtualSpec, d: &Directive<'_>, base: &str) -> bool {
        let six = d.name.ends_with('6');
        match (v.family, six) {
            (Family::V4, true) => {
                let message = format!("`{}` is for virtual6 blocks: use `{base}`", d.name);
                self.error(&d.name_span, None, message);
                false
            }
            (Family::V6, false) => {
                let message = format!("a virtual6 block takes `{base}6`, not `{base}`");
                self.error(&d.name_span, None, message);
                false
            }
            _ => true,
        }
    }

    fn real(&mut self, v: &mut VirtualSpec, d: &Directive<'_>) {
        if !self.family_fits(v, d, "real") {
            return;
        }
        let Some(u) = self.unquoted(d) else { return };
        match address::real(u.text, &u.span, v.family) {
            Ok(line) => v.reals.push(RealSpec {
                key: d.name_span.clone(),
                span: u.span,
                line,
            }),
            Err(problems) => {
                for problem in problems {
                    self.problem(d.name, problem);
                }
            }
        }
    }

    fn checktype(&mut self, d: &Directive<'_>) -> Option<At<CheckType>> {
        let u = self.unquoted(d)?;
        let words = lexer::words(u.text, u.span.start);
        let (word, span) = words.first().cloned().unwrap_or(("", u.span.clone()));
        let rest = &self.source.text()[span.end..u.span.end];
        let rest = rest.trim();
        let kind = match word {
            "connect" => CheckType::Connect,
            "negotiate" => CheckType::Negotiate,
            "on" => CheckType::On,
            "off" => CheckType::Off,
            "external" => CheckType::External,
            "ping" => {
                self.error(
                    &span,
                    Some(d.name),
                    "`ping` is not supported by ipvsctl: ICMP checks need raw sockets",
                );
                return None;
            }
            "external-perl" => {
                self.error(
                    &span,
                    Some(d.name),
                    "`external-perl` is not supported by ipvsctl: use checktype=external",
                );
                return None;
            }
            n if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) => {
                CheckType::Combined(n.parse().unwrap_or(u64::MAX))
            }
            other => {
                let message = format!(
                    "expected connect, negotiate, on, off, ping, external, external-perl or a \
                     number, found `{other}`"
                );
                self.error(&d.value_span, Some(d.name), message);
                return None;
            }
        };
        if !rest.is_empty() {
            let message =
                format!("read as `{word}`: `{rest}` after it is ignored, as by ldirectord");
            self.warning(&d.value_span, Some(d.name), message);
        }
        Some(At {
            value: kind,
            key: d.name_span.clone(),
            span,
        })
    }

    fn netmask(&mut self, d: &Directive<'_>, family: Family) -> Option<At<Value>> {
        let u = self.unquoted(d)?;
        let text = u.text;
        let value = match family {
            Family::V6 => match text.parse::<i64>() {
                Ok(n) if (1..=128).contains(&n) && text.bytes().all(|b| b.is_ascii_digit()) => {
                    Value::Integer(n)
                }
                _ => {
                    let message = format!("expected a prefix length 1-128, found `{text}`");
                    self.error(&d.value_span, Some(d.name), message);
                    return None;
                }
            },
            Family::V4 => {
                let parts: Vec<&str> = text.split('.').collect();
                let dotted = parts.len() == 4
                    && parts
                        .iter()
                        .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
                if !dotted {
                    let message =
                        format!("expected a dotted quad like 255.255.255.0, found `{text}`");
                    self.error(&d.value_span, Some(d.name), message);
                    return None;
                }
                Value::String(text.to_string())
            }
        };
        Some(At {
            value,
            key: d.name_span.clone(),
            span: u.span,
        })
    }
}
