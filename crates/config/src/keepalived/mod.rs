// SPDX-License-Identifier: MIT OR Apache-2.0
//! keepalived's `keepalived.conf`, its IPVS part (`virtual_server`,
//! `virtual_server_group`, `real_server` and the checkers) read into the
//! raw document in ipvsctl's schema, so the one validator checks it and
//! the one writer prints it (`ipvsctl convert`).
//!
//! What keepalived does itself (VRRP, its addresses and scripts,
//! `global_defs`) is left to it, said in one warning. A setting with no
//! equal in ipvsctl is a warning at its `FILE:LINE`, an unknown keyword
//! too (keepalived logs and ignores those); what cannot be read (braces
//! that do not balance, a `virtual_server` without an address, a bad
//! number) is an error at its `FILE:LINE`, and nothing is converted.
//!
//! | module           | job                                                     |
//! |------------------|---------------------------------------------------------|
//! | `lexer`          | a line as words: comments, quotes, braces, `@id`, `$P`  |
//! | `glob`           | `include` globs                                         |
//! | `files`          | the main file with its includes as one stream of words  |
//! | `blocks`         | the words as a tree of statements and blocks            |
//! | `values`         | numbers, addresses, methods as keepalived writes them   |
//! | `groups`         | `virtual_server_group`: addresses, ranges, marks        |
//! | `virtual_server` | a `virtual_server` → `[[virtual]]` tables               |
//! | `real_server`    | a `real_server` → a real, its notify hooks              |
//! | `checkers`       | `TCP_CHECK`, `HTTP_GET`, `MISC_CHECK`… → a `check`      |

mod blocks;
mod checkers;
mod files;
mod glob;
mod groups;
mod lexer;
mod real_server;
mod values;
mod virtual_server;

use std::collections::HashMap;
use std::ops::Range;
use std::path::Path;

use crate::diagnostic::Diagnostic;
use crate::source::SourceFile;
use crate::tree::{Item, Key, Table, Value};

use blocks::Node;
use groups::Group;

/// The blocks keepalived keeps to itself: VRRP, its addresses, routes,
/// trackers, its global settings.
const KEEPALIVED_ONLY: &[&str] = &[
    "global_defs",
    "vrrp_instance",
    "vrrp_sync_group",
    "vrrp_script",
    "vrrp_track_file",
    "track_file",
    "track_process",
    "static_ipaddress",
    "static_routes",
    "static_rules",
    "linkbeat_interfaces",
    "garp_group",
    "bfd_instance",
    "net_namespace",
    "net_namespace_ipvs",
    "namespace_with_ipsets",
    "instance",
    "use_pid_dir",
    "SSL",
];

/// What reading a keepalived configuration gives: one raw document per
/// file that declares virtuals (the main file always first), and the
/// warnings.
pub type Documents = (Vec<(SourceFile, Table)>, Vec<Diagnostic>);

/// Reads `path` (and its includes) into raw documents in the TOML schema's
/// keys, with warnings; or every error found. `config_id` is keepalived's
/// `-i`: the `@id` lines read are those of that id.
pub fn read(path: &Path, config_id: Option<&str>) -> Result<Documents, Vec<Diagnostic>> {
    convert(files::Files::read(path, config_id))
}

/// [`read`], with the main file's text given (its includes are read from
/// beside its path).
pub fn read_source(
    source: SourceFile,
    config_id: Option<&str>,
) -> Result<Documents, Vec<Diagnostic>> {
    convert(files::Files::from_source(source, config_id))
}

/// The files read, converted.
fn convert(files: files::Files) -> Result<Documents, Vec<Diagnostic>> {
    let mut reader = Reader {
        sources: files.sources,
        errors: files.errors,
        warnings: files.warnings,
        groups: HashMap::new(),
        virtuals: Vec::new(),
        timeouts: None,
    };
    let (nodes, unbalanced) = blocks::parse(&files.tokens);
    for u in unbalanced {
        reader.error(u.file, &u.span, None, u.message);
    }
    reader.top(&nodes);
    let by_place = |d: &Diagnostic| (d.file.clone(), d.location);
    if !reader.errors.is_empty() {
        reader.errors.sort_by_key(by_place);
        return Err(reader.errors);
    }
    reader.warnings.sort_by_key(by_place);
    let documents = reader.documents();
    Ok((documents, reader.warnings))
}

/// A configuration being read.
struct Reader {
    sources: Vec<SourceFile>,
    errors: Vec<Diagnostic>,
    warnings: Vec<Diagnostic>,
    groups: HashMap<String, Group>,
    /// Each virtual's file and table.
    virtuals: Vec<(usize, Item)>,
    /// `[timeouts]` from `global_defs { lvs_timeouts … }`.
    timeouts: Option<Table>,
}

impl Reader {
    fn error(&mut self, file: usize, span: &Range<usize>, key: Option<&str>, message: &str) {
        let source = &self.sources[file];
        let d = Diagnostic::error(source, span, key.map(str::to_string), message);
        self.errors.push(d);
    }

    fn warning(&mut self, file: usize, span: &Range<usize>, key: Option<&str>, message: &str) {
        let source = &self.sources[file];
        let d = Diagnostic::warning(source, span, key.map(str::to_string), message);
        self.warnings.push(d);
    }

    /// An error at a statement, naming its keyword.
    fn error_at(&mut self, node: &Node, message: &str) {
        self.error(node.file, &node.span(), Some(node.name()), message);
    }

    /// A warning at a statement, naming its keyword.
    fn warn_at(&mut self, node: &Node, message: &str) {
        self.warning(node.file, &node.span(), Some(node.name()), message);
    }

    /// The top-level statements: groups first (a `virtual_server group`
    /// may come before its group), then the virtuals.
    fn top(&mut self, nodes: &[Node]) {
        for n in nodes.iter().filter(|n| n.name() == "virtual_server_group") {
            self.group(n);
        }
        let mut left: Vec<&Node> = Vec::new();
        for n in nodes {
            match n.name() {
                "virtual_server_group" => {}
                "virtual_server" => self.virtual_server(n),
                name if KEEPALIVED_ONLY.contains(&name) => {
                    if name == "global_defs" {
                        self.global_defs(n);
                    }
                    left.push(n);
                }
                _ => self.warn_at(n, "unknown keyword: ignored (as keepalived does)"),
            }
        }
        self.left_to_keepalived(&left);
    }

    /// One warning for every block keepalived keeps.
    fn left_to_keepalived(&mut self, left: &[&Node]) {
        let Some(first) = left.first() else {
            return;
        };
        let mut names: Vec<&str> = Vec::new();
        for n in left {
            if !names.contains(&n.name()) {
                names.push(n.name());
            }
        }
        let message = format!(
            "left to keepalived ({}): run keepalived with these for the VIP, ipvsctl for IPVS",
            names.join(", ")
        );
        self.warning(first.file, &first.keyword.span, None, &message);
    }

    /// `global_defs`: `lvs_timeouts` is ipvsctl's `[timeouts]`;
    /// `lvs_sync_daemon` needs a hand (its role follows VRRP).
    fn global_defs(&mut self, n: &Node) {
        for c in n.block() {
            match c.name() {
                "lvs_timeouts" => self.lvs_timeouts(c),
                "lvs_sync_daemon" => self.warn_at(
                    c,
                    "not converted: write ipvsctl's [sync] (state = \"both\" on every director)",
                ),
                "lvs_flush" | "lvs_flush_onstop" => self.warn_at(
                    c,
                    "not converted: ipvsctl changes only the services it declares",
                ),
                _ => {}
            }
        }
    }

    /// `lvs_timeouts tcp N tcpfin N udp N`.
    fn lvs_timeouts(&mut self, c: &Node) {
        let mut t = Table::default();
        let mut i = 0;
        while let Some(word) = c.args.get(i) {
            let name = match word.text.as_str() {
                "tcp" => "tcp",
                "tcpfin" => "tcpfin",
                "udp" => "udp",
                other => {
                    let message = format!("`{other}`: expected tcp, tcpfin or udp");
                    self.error(c.file, &word.span, Some("lvs_timeouts"), &message);
                    return;
                }
            };
            let Some(value) = c.args.get(i + 1) else {
                self.error(c.file, &word.span, Some("lvs_timeouts"), "missing: seconds");
                return;
            };
            match value.text.parse::<i64>() {
                Ok(seconds) => put(
                    &mut t,
                    name,
                    &word.span,
                    &value.span,
                    Value::Integer(seconds),
                ),
                Err(_) => {
                    let message = format!("`{}` is not a number of seconds", value.text);
                    self.error(c.file, &value.span, Some("lvs_timeouts"), &message);
                    return;
                }
            }
            i += 2;
        }
        if c.file == 0 {
            self.timeouts = Some(t);
        } else {
            self.warn_at(
                c,
                "not converted: lvs_timeouts is read in the main file only",
            );
        }
    }

    /// One document per file with virtuals; the main file's holds
    /// `[defaults]` (keepalived removes its services when it stops:
    /// `cleanstop = true`) and `[timeouts]`.
    fn documents(&mut self) -> Vec<(SourceFile, Table)> {
        let mut tables: Vec<Table> = vec![Table::default(); self.sources.len()];
        let mut defaults = Table::default();
        put(
            &mut defaults,
            "cleanstop",
            &(0..0),
            &(0..0),
            Value::Boolean(true),
        );
        put(
            &mut tables[0],
            "defaults",
            &(0..0),
            &(0..0),
            Value::Table(defaults),
        );
        if let Some(t) = self.timeouts.take() {
            put(
                &mut tables[0],
                "timeouts",
                &(0..0),
                &(0..0),
                Value::Table(t),
            );
        }
        let mut per_file: Vec<Vec<Item>> = vec![Vec::new(); self.sources.len()];
        for (file, item) in std::mem::take(&mut self.virtuals) {
            per_file[file].push(item);
        }
        for (file, items) in per_file.into_iter().enumerate() {
            if let Some(first) = items.first() {
                let span = first.span.clone();
                put(
                    &mut tables[file],
                    "virtual",
                    &span,
                    &span,
                    Value::Array(items),
                );
            }
        }
        self.sources
            .iter()
            .cloned()
            .zip(tables)
            .enumerate()
            .filter(|(i, (_, t))| *i == 0 || !t.entries.is_empty())
            .map(|(_, pair)| pair)
            .collect()
    }
}

/// Adds `name = value` to a table.
fn put(table: &mut Table, name: &str, key: &Range<usize>, span: &Range<usize>, value: Value) {
    table.insert(Key::new(name, key.clone()), Item::new(span.clone(), value));
}
