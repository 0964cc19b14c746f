// SPDX-License-Identifier: MIT OR Apache-2.0
//! TOML text to the raw document, keeping every key's and value's span.

use toml::de::{DeTable, DeValue};

use crate::diagnostic::Diagnostic;
use crate::source::SourceFile;
use crate::tree::{Item, Key, Table, Value};

/// Reads a TOML file into the raw document, or says where its syntax breaks.
pub fn read(source: &SourceFile) -> Result<Table, Vec<Diagnostic>> {
    let parsed = DeTable::parse(source.text()).map_err(|error| {
        let span = error.span().unwrap_or(0..0);
        let message = error.message().trim().replace('\n', " ");
        vec![Diagnostic::error(
            source,
            &span,
            None,
            format!("TOML syntax: {message}"),
        )]
    })?;
    let mut errors = Vec::new();
    let table = table(source, parsed.get_ref(), &mut errors);
    if errors.is_empty() {
        Ok(table)
    } else {
        Err(errors)
    }
}

fn table(source: &SourceFile, de: &DeTable<'_>, errors: &mut Vec<Diagnostic>) -> Table {
    let mut table = Table::default();
    for (key, value) in de.iter() {
        let key = Key::new(key.get_ref().as_ref(), key.span());
        if let Some(item) = item(source, value.get_ref(), value.span(), &key.name, errors) {
            table.insert(key, item);
        }
    }
    table
}

fn item(
    source: &SourceFile,
    value: &DeValue<'_>,
    span: std::ops::Range<usize>,
    key: &str,
    errors: &mut Vec<Diagnostic>,
) -> Option<Item> {
    let value = match value {
        DeValue::String(s) => Value::String(s.to_string()),
        DeValue::Integer(i) => {
            let digits = i.as_str().replace('_', "");
            match i64::from_str_radix(&digits, i.radix()) {
                Ok(n) => Value::Integer(n),
                Err(_) => {
                    errors.push(Diagnostic::error(
                        source,
                        &span,
                        Some(key.to_string()),
                        "integer out of range",
                    ));
                    return None;
                }
            }
        }
        DeValue::Float(f) => match f.as_str().replace('_', "").parse::<f64>() {
            Ok(x) => Value::Float(x),
            Err(_) => {
                errors.push(Diagnostic::error(
                    source,
                    &span,
                    Some(key.to_string()),
                    "bad float",
                ));
                return None;
            }
        },
        DeValue::Boolean(b) => Value::Boolean(*b),
        DeValue::Datetime(_) => {
            errors.push(Diagnostic::error(
                source,
                &span,
                Some(key.to_string()),
                "a date is not a valid value here",
            ));
            return None;
        }
        DeValue::Array(array) => Value::Array(
            array
                .iter()
                .filter_map(|v| item(source, v.get_ref(), v.span(), key, errors))
                .collect(),
        ),
        DeValue::Table(t) => Value::Table(table(source, t, errors)),
    };
    Some(Item::new(span, value))
}
