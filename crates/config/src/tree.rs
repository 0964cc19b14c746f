// SPDX-License-Identifier: MIT OR Apache-2.0
//! The raw document: what a file says, key by key, with where each key and
//! value stands. Both readers (TOML and ldirectord `.cf`) produce it, so one
//! validator checks both.

use std::ops::Range;

/// A value with the byte range it came from in its file.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    /// Bytes of the source file this value was read from.
    pub span: Range<usize>,
    /// The value.
    pub value: Value,
}

/// A raw value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A string.
    String(String),
    /// An integer.
    Integer(i64),
    /// A float.
    Float(f64),
    /// A boolean.
    Boolean(bool),
    /// An array.
    Array(Vec<Item>),
    /// A table.
    Table(Table),
}

impl Value {
    /// The word used in "expected …, found …" messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::String(_) => "a string",
            Self::Integer(_) => "an integer",
            Self::Float(_) => "a float",
            Self::Boolean(_) => "a boolean",
            Self::Array(_) => "an array",
            Self::Table(_) => "a table",
        }
    }
}

/// A key with where it stands.
#[derive(Debug, Clone, PartialEq)]
pub struct Key {
    /// The key's name.
    pub name: String,
    /// Bytes of the source file the key was read from.
    pub span: Range<usize>,
}

/// A table: keys in the order they were written.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Table {
    /// The entries.
    pub entries: Vec<(Key, Item)>,
}

impl Table {
    /// The item under a key.
    pub fn get(&self, name: &str) -> Option<&Item> {
        self.entries
            .iter()
            .find(|(k, _)| k.name == name)
            .map(|(_, v)| v)
    }

    /// Adds an entry.
    pub fn insert(&mut self, key: Key, item: Item) {
        self.entries.push((key, item));
    }
}

impl Item {
    /// An item.
    pub fn new(span: Range<usize>, value: Value) -> Self {
        Self { span, value }
    }

    /// A string item.
    pub fn string(span: Range<usize>, text: impl Into<String>) -> Self {
        Self::new(span, Value::String(text.into()))
    }
}

impl Key {
    /// A key.
    pub fn new(name: impl Into<String>, span: Range<usize>) -> Self {
        Self {
            name: name.into(),
            span,
        }
    }
}
