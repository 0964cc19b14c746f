// SPDX-License-Identifier: MIT OR Apache-2.0
//! ldirectord's `.cf` files, read into the same raw document as TOML.
//!
//! The reader follows `read_config` of ldirectord (ClusterLabs
//! resource-agents, `ldirectord/ldirectord.in`): the same directives, the
//! same defaults, the same errors, each at its `FILE:LINE:COL`. Every error
//! of a file is reported, not only the first. What it reads differently
//! from ldirectord, and why, is told to users in
//! `docs/ldirectord-compatibility.md`.
//!
//! | module         | job                                                        |
//! |----------------|------------------------------------------------------------|
//! | `lexer`        | lines: `name = value` with spans, comments, quotes         |
//! | `directives`   | every directive: where it may stand, how it is read        |
//! | `virtual_directives` | the virtual-block directives read by their own code  |
//! | `values`       | one directive's value as ldirectord reads it               |
//! | `address`      | `virtual=`, `real=` (ranges) and `fallback=` addresses     |
//! | `host_names`   | host names in those addresses, resolved once, time-bounded |
//! | `services`     | port names, ldirectord's services and their ports          |
//! | `spec`         | what was read: the global section and each virtual block   |
//! | `emit`         | what was read → the raw document, ldirectord's defaults in |
//! | `emit_check`   | checktype/service → the virtual's `check`, with its settings |
//! | `hook_directives` | `fallbackcommand`, `callback`, `emailalert*` read          |
//! | `emit_hooks`   | those → `hook` tables, with ldirectord's arguments         |

mod address;
mod directives;
mod emit;
mod emit_check;
mod emit_hooks;
mod emit_kinds;
mod getaddrinfo;
mod hook_directives;
mod host_names;
mod lexer;
mod services;
mod spec;
mod values;
mod virtual_directives;

use std::ops::Range;

use crate::diagnostic::Diagnostic;
use crate::source::SourceFile;
use crate::tree::Table;

use address::{Family, Problem};
use host_names::HostNames;
use lexer::{Directive, LineKind};
use spec::{Globals, VirtualSpec};

/// Reads an ldirectord configuration into the raw document (in the TOML
/// schema's keys), with warnings; or every error found.
pub fn read(source: &SourceFile) -> Result<(Table, Vec<Diagnostic>), Vec<Diagnostic>> {
    let mut reader = Reader {
        source,
        errors: Vec::new(),
        warnings: Vec::new(),
        globals: Globals::default(),
        virtuals: Vec::new(),
        names: HostNames::default(),
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

/// A file being read: what it says so far, and what is wrong with it.
struct Reader<'s> {
    source: &'s SourceFile,
    errors: Vec<Diagnostic>,
    warnings: Vec<Diagnostic>,
    globals: Globals,
    virtuals: Vec<VirtualSpec>,
    /// Host names looked up so far, and what they stood for.
    names: HostNames,
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

    /// The warnings of the host names just resolved for `key`.
    fn name_warnings(&mut self, key: &str) {
        for (span, message) in self.names.take_notes() {
            self.warning(&span, Some(key), message);
        }
    }

    /// Every line: a directive at column 0 is global or starts a virtual
    /// block; an indented one belongs to the block above.
    fn read_lines(&mut self) {
        let mut current: Option<VirtualSpec> = None;
        for line in lexer::lines(self.source.text()) {
            let LineKind::Directive(d) = line.kind else {
                continue;
            };
            if line.indented {
                match current.as_mut() {
                    Some(v) => self.directive(Some(v), &d),
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
                self.directive(None, &d);
            }
        }
        if let Some(v) = current.take() {
            self.virtuals.push(v);
        }
    }

    /// A `virtual=`/`virtual6=` line: a new block, its address or mark.
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
            target_span: d.value_span.clone(),
            ..VirtualSpec::default()
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
        match address::virtual_target(word, &span, family, &mut self.names) {
            Ok(target) => v.target = Some(target),
            Err(problem) => self.problem(d.name, problem),
        }
        self.name_warnings(d.name);
        v
    }
}
