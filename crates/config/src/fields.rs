// SPDX-License-Identifier: MIT OR Apache-2.0
//! Reading typed values out of a raw table, noting every problem with its
//! place: wrong types, words not among a key's choices, and keys nobody
//! asked for.
//!
//! The reads are the schema. A [`Fields`] notes every key read from it, and
//! [`Checker::read`] then refuses the keys of the table that no read asked
//! for, suggesting the nearest known one (the idea of cargo-deny's
//! `TableHelper::finalize`). Adding a key is adding its read; the keys are
//! listed to the user in the order of their first reads.

use std::cell::RefCell;
use std::ops::Range;

use crate::diagnostic::Diagnostic;
use crate::source::SourceFile;
use crate::tree::{Item, Table, Value};
use crate::words::{Refused, Words};

/// Collects diagnostics for one file.
pub(crate) struct Checker<'a> {
    pub(crate) source: &'a SourceFile,
    pub(crate) diagnostics: Vec<Diagnostic>,
}

/// A table being read, with its key path (`virtual[0].real[1]`) and the
/// keys read from it so far.
pub(crate) struct Fields<'t> {
    table: &'t Table,
    pub(crate) path: String,
    pub(crate) span: Range<usize>,
    read: RefCell<Vec<&'static str>>,
}

impl<'t> Fields<'t> {
    /// The document's top table.
    pub(crate) fn top(table: &'t Table) -> Self {
        Self::new(table, String::new(), 0..0)
    }

    fn new(table: &'t Table, path: String, span: Range<usize>) -> Self {
        Self {
            table,
            path,
            span,
            read: RefCell::new(Vec::new()),
        }
    }

    /// The same table with no key read yet, to be read again (a default
    /// check, read by each virtual that uses it).
    pub(crate) fn again(&self) -> Self {
        Self::new(self.table, self.path.clone(), self.span.clone())
    }

    /// The item under a key, noting the key as known.
    pub(crate) fn get(&self, name: &'static str) -> Option<&'t Item> {
        let mut read = self.read.borrow_mut();
        if !read.contains(&name) {
            read.push(name);
        }
        self.table.get(name)
    }

    /// Whether the table holds a key, noting the key as known.
    pub(crate) fn has(&self, name: &'static str) -> bool {
        self.get(name).is_some()
    }

    /// The path of a key of this table.
    pub(crate) fn key(&self, name: &str) -> String {
        if self.path.is_empty() {
            name.to_string()
        } else {
            format!("{}.{name}", self.path)
        }
    }
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

    /// Reads a table with `body`, then refuses every key of it that `body`
    /// did not read.
    pub(crate) fn read<'t, T>(
        &mut self,
        fields: Fields<'t>,
        body: impl FnOnce(&mut Self, &Fields<'t>) -> T,
    ) -> T {
        let value = body(self, &fields);
        let known = fields.read.borrow();
        for (key, _) in &fields.table.entries {
            if known.contains(&key.name.as_str()) {
                continue;
            }
            let hint = match closest(&key.name, &known) {
                Some(near) => format!("; did you mean `{near}`?"),
                None => format!(" (known keys: {})", known.join(", ")),
            };
            self.error(
                &key.span,
                Some(fields.key(&key.name)),
                format!("unknown key{hint}"),
            );
        }
        value
    }

    fn typed<'t, T>(
        &mut self,
        fields: &Fields<'t>,
        name: &'static str,
        expected: &str,
        pick: impl Fn(&'t Value) -> Option<T>,
    ) -> Option<(T, &'t Item)> {
        let item = fields.get(name)?;
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
        name: &'static str,
    ) -> Option<(&'t str, &'t Item)> {
        self.typed(fields, name, "a string", |v| match v {
            Value::String(s) => Some(s.as_str()),
            _ => None,
        })
    }

    /// A string that must be one of `words`: `None` when the key is absent
    /// (or not a string, which is reported), `Err` when the word is not one
    /// of them (reported with the words it may be).
    pub(crate) fn word<T: Copy>(
        &mut self,
        fields: &Fields<'_>,
        name: &'static str,
        words: &Words<T>,
    ) -> Option<Result<T, Refused>> {
        let (text, item) = self.string(fields, name)?;
        Some(self.parse_word(fields, name, words, text, item))
    }

    /// `text`, the value of `name`, as one of `words`.
    pub(crate) fn parse_word<T: Copy>(
        &mut self,
        fields: &Fields<'_>,
        name: &str,
        words: &Words<T>,
        text: &str,
        item: &Item,
    ) -> Result<T, Refused> {
        words.parse(text).map_err(|message| {
            self.error(&item.span, Some(fields.key(name)), message);
            Refused
        })
    }

    pub(crate) fn integer<'t>(
        &mut self,
        fields: &Fields<'t>,
        name: &'static str,
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
        name: &'static str,
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
        name: &'static str,
    ) -> Option<(bool, &'t Item)> {
        self.typed(fields, name, "true or false", |v| match v {
            Value::Boolean(b) => Some(*b),
            _ => None,
        })
    }

    pub(crate) fn table<'t>(
        &mut self,
        fields: &Fields<'t>,
        name: &'static str,
    ) -> Option<Fields<'t>> {
        let (table, item) = self.typed(fields, name, "a table", |v| match v {
            Value::Table(t) => Some(t),
            _ => None,
        })?;
        Some(Fields::new(table, fields.key(name), item.span.clone()))
    }

    /// An array of tables (`[[virtual]]`); a single table is refused.
    pub(crate) fn tables<'t>(
        &mut self,
        fields: &Fields<'t>,
        name: &'static str,
    ) -> Vec<Fields<'t>> {
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
                Value::Table(table) => tables.push(Fields::new(table, path, item.span.clone())),
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
