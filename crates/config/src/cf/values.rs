// SPDX-License-Identifier: MIT OR Apache-2.0
//! Reading one directive's value as ldirectord does: quotes, the leading
//! run of a value, numbers, yes/no, text, addresses, `checktype`,
//! `netmask`.

use crate::tree::Value;

use super::address::{self, FallbackLine, Family};
use super::lexer::{self, Directive, Unquoted};
use super::spec::{At, CheckType};
use super::Reader;

impl Reader<'_> {
    /// The value without quotes; an error when a quote is not closed, a
    /// warning for text after the closing quote.
    pub(super) fn unquoted<'d>(&mut self, d: &Directive<'d>) -> Option<Unquoted<'d>> {
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
    pub(super) fn leading(
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
    pub(super) fn number(&mut self, d: &Directive<'_>, min: i64) -> Option<At<i64>> {
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
    pub(super) fn yes_no(&mut self, d: &Directive<'_>) -> Option<At<bool>> {
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
    pub(super) fn text(&mut self, d: &Directive<'_>) -> Option<At<String>> {
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

    /// A directive ipvsctl has no use for: a warning saying why.
    pub(super) fn ignored(&mut self, d: &Directive<'_>, why: &str) {
        let message = format!("ignored: {} ({why})", d.name);
        self.warning(&d.name_span, None, message);
    }

    /// A `fallback=` value of a family.
    pub(super) fn fallback(
        &mut self,
        d: &Directive<'_>,
        family: Family,
    ) -> Option<At<FallbackLine>> {
        let u = self.unquoted(d)?;
        let read = address::fallback(u.text, &u.span, family, &mut self.names);
        self.name_warnings(d.name);
        match read {
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

    /// `checktype`: a word, or the number of connect checks between two
    /// negotiate checks.
    pub(super) fn checktype(&mut self, d: &Directive<'_>) -> Option<At<CheckType>> {
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
            "ping" => CheckType::Ping,
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

    /// `netmask`: a dotted quad for IPv4, a prefix length for IPv6.
    pub(super) fn netmask(&mut self, d: &Directive<'_>, family: Family) -> Option<At<Value>> {
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
