// SPDX-License-Identifier: MIT OR Apache-2.0
//! Reading typed values out of a raw table, noting every problem with its
//! place: wrong types, and keys nobody asked for.

use std::ops::Range;

use crate::diagnostic::Diagnostic;
use crate::source::SourceFile;
use crate::tree::{Item, Table, Value};

/// Collects diagnostics for one file.
pub(crate) struct Checker<'a> {
    pub(crate) source: &'a SourceFile,
    pub(crate) diagnostics: Vec<Diagnostic>,
}

/// A table being read, with its key path (`virtual[0].real[1]`).
pub(crate) struct Fields<'t> {
    pub(crate) table: &'t Table,
    pub(crate) path: String,
    pub(crate) span: Range<usize>,
}

impl<'a> Checker<'a> {
    pub(crate) fn new(source: &'a SourceFile) -> Self {
        Self {
            source,
            diagnostics: Vec::new(),
        }
    }

    pub(crate) fn error(
        &mut self,
        span: &Range<usize>,
        key: Option<String>,
        message: impl Into<String>,
    ) {
        self.diagnostics
            .push(Diagnostic::error(self.source, span, key, message));
    }

    pub(crate) fn warning(
        &mut self,
        span: &Range<usize>,
        key: Option<String>,
        message: impl Into<String>,
    ) {
        self.diagnostics
            .push(Diagnostic::warning(self.source, span, key, message));
    }

    /// Refuses every key of the table that is not in `known`.
    pub(crate) fn only(&mut self, fields: &Fields<'_>, known: &[&str]) {
        for (key, _) in &fields.table.entries {
            if !known.contains(&key.name.as_str()) {
                let hint = match closest(&key.name, known) {
                    Some(near) => format!("; did you mean `{near}`?"),
                    None => format!(" (known keys: {})", known.join(", ")),
                };
                self.error(
                    &key.span,
                    Some(fields.key(&key.name)),
                    format!("unknown key{hint}"),
                );
            }
        }
    }

    fn typed<'t, T>(
        &mut self,
        fields: &Fields<'t>,
        name: &str,
        expected: &str,
        pick: impl Fn(&'t Value) -> Option<T>,
    ) -> Option<(T, &'t Item)> {
        let item = fields.table.get(name)?;
        match pick(&item.value) {
            Some(value) => Some((value, item)),
            None => {
                self.error(
                    &item.span,
                    Some(fields.key(name)),
                    format!("expected {expected}, found {}", item.value.kind()),
                );
                None
            }
        }
    }

    pub(crate) fn string<'t>(
        &mut self,
        fields: &Fields<'t>,
        name: &str,
    ) -> Option<(&'t str, &'t Item)> {
        self.typed(fields, name, "a string", |v| match v {
            Value::String(s) => Some(s.as_str()),
            _ => None,
        })
    }

    pub(crate) fn integer<'t>(
        &mut self,
        fields: &Fields<'t>,
        name: &str,
    ) -> Option<(i64, &'t Item)> {
        self.typed(fields, name, "an integer", |v| match v {
            Value::Integer(n) => Some(*n),
            _ => None,
        })
    }

    /// An integer or a float.
    pub(crate) fn number<'t>(
        &mut self,
        fields: &Fields<'t>,
        name: &str,
    ) -> Option<(f64, &'t Item)> {
        self.typed(fields, name, "a number", |v| match v {
            Value::Integer(n) => Some(*n as f64),
            Value::Float(x) => Some(*x),
            _ => None,
        })
    }

    pub(crate) fn boolean<'t>(
        &mut self,
        fields: &Fields<'t>,
        name: &str,
    ) -> Option<(bool, &'t Item)> {
        self.typed(fields, name, "true or false", |v| match v {
            Value::Boolean(b) => Some(*b),
            _ => None,
        })
    }

    pub(crate) fn table<'t>(&mut self, fields: &Fields<'t>, name: &str) -> Option<Fields<'t>> {
        let (table, item) = self.typed(fields, name, "a table", |v| match v {
            Value::Table(t) => Some(t),
            _ => None,
        })?;
        Some(Fields {
            table,
            path: fields.key(name),
            span: item.span.clone(),
        })
    }

    /// An array of tables (`[[virtual]]`); a single table is refused.
    pub(crate) fn tables<'t>(&mut self, fields: &Fields<'t>, name: &str) -> Vec<Fields<'t>> {
        let Some((items, _)) = self.typed(fields, name, "an array of tables", |v| match v {
            Value::Array(items) => Some(items),
            _ => None,
        }) else {
            return Vec::new();
        };
        let mut tables = Vec::new();
        for (index, item) in items.iter().enumerate() {
            let path = format!("{}[{index}]", fields.key(name));
            match &item.value {
                Value::Table(table) => tables.push(Fields {
                    table,
                    path,
                    span: item.span.clone(),
                }),
                other => self.error(
                    &item.span,
                    Some(path),
                    format!("expected a table, found {}", other.kind()),
                ),
            }
        }
        tables
    }
}

impl Fields<'_> {
    /// The path of a key of this table.
    pub(crate) fn key(&self, name: &str) -> String {
        if self.path.is_empty() {
            name.to_string()
        } else {
            format!("{}.{name}", self.path)
        }
    }
}

/// The known key nearest to a misspelt one (at most two edits away).
fn closest<'k>(name: &str, known: &[&'k str]) -> Option<&'k str> {
    known
        .iter()
        .map(|k| (edit_distance(name, k), *k))
        .filter(|(d, _)| *d <= 2)
        .min()
        .map(|(_, k)| k)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous + usize::from(ca != *cb);
            previous = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(row[j + 1] + 1);
        }
    }
    row[b.len()]
}
