// SPDX-License-Identifier: MIT OR Apache-2.0
//! A `.cf` file's lines: blank or comment, or `name = value` with where the
//! name and the value stand.

use std::ops::Range;

/// One line of the file.
#[derive(Debug, Clone)]
pub(super) struct Line<'a> {
    /// Whether it starts with a space or a tab.
    pub indented: bool,
    /// What it holds.
    pub kind: LineKind<'a>,
}

/// What a line holds.
#[derive(Debug, Clone)]
pub(super) enum LineKind<'a> {
    /// Empty, only white space, or only a comment.
    Blank,
    /// `name = value`, or a bare word.
    Directive(Directive<'a>),
}

/// `name = value`.
#[derive(Debug, Clone)]
pub(super) struct Directive<'a> {
    /// The name, when the line starts with one (`[vip]` has none).
    pub name: &'a str,
    /// Where the name is (where the line's text starts, when it has none).
    pub name_span: Range<usize>,
    /// Whether `=` follows the name.
    pub has_equals: bool,
    /// The line's text without comment and surrounding white space, to name
    /// it in messages.
    pub text: &'a str,
    /// Where that text is.
    pub text_span: Range<usize>,
    /// The value after `=`, trimmed, its trailing comment removed; quotes
    /// kept.
    pub value: &'a str,
    /// Where the value is.
    pub value_span: Range<usize>,
}

/// Splits a file into lines. A `#` outside double quotes starts a comment;
/// a trailing `\r` is dropped.
pub(super) fn lines(text: &str) -> Vec<Line<'_>> {
    let mut out = Vec::new();
    let mut start = 0;
    for raw in text.split('\n') {
        let line_start = start;
        start += raw.len() + 1;
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        let content = &raw[..comment_start(raw)];
        let indented = content.starts_with([' ', '\t']);
        let trimmed_start = content.len() - content.trim_start().len();
        let body = content.trim();
        if body.is_empty() {
            out.push(Line {
                indented,
                kind: LineKind::Blank,
            });
            continue;
        }
        let body_start = line_start + trimmed_start;
        out.push(Line {
            indented,
            kind: LineKind::Directive(directive(body, body_start)),
        });
    }
    out
}

/// Where a comment starts (the line's length when it has none).
fn comment_start(line: &str) -> usize {
    let mut quoted = false;
    for (index, byte) in line.bytes().enumerate() {
        match byte {
            b'"' => quoted = !quoted,
            b'#' if !quoted => return index,
            _ => {}
        }
    }
    line.len()
}

fn directive(body: &str, at: usize) -> Directive<'_> {
    let name_len = body
        .bytes()
        .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
        .count();
    let name = &body[..name_len];
    let after = &body[name_len..];
    let spaces = after.len() - after.trim_start().len();
    let has_equals = after[spaces..].starts_with('=');
    let (value, value_start) = if has_equals {
        let rest = &after[spaces + 1..];
        let lead = rest.len() - rest.trim_start().len();
        (rest.trim(), at + name_len + spaces + 1 + lead)
    } else {
        ("", at + body.len())
    };
    let text = match body.find('=') {
        Some(eq) if !has_equals => body[..eq].trim_end(),
        _ => body,
    };
    Directive {
        name,
        name_span: at..at + name_len,
        has_equals,
        text,
        text_span: at..at + body.len(),
        value,
        value_span: value_start..value_start + value.len(),
    }
}

/// A value without its double quotes, and the span of what is inside them.
/// `Err` when a quote is not closed. Text after the closing quote is
/// returned as the third element.
pub(super) fn unquote(value: &str, span: Range<usize>) -> Result<Unquoted<'_>, ()> {
    let Some(inner) = value.strip_prefix('"') else {
        return Ok(Unquoted {
            text: value,
            span,
            after: "",
        });
    };
    let Some(close) = inner.rfind('"') else {
        return Err(());
    };
    Ok(Unquoted {
        text: &inner[..close],
        span: span.start + 1..span.start + 1 + close,
        after: inner[close + 1..].trim(),
    })
}

/// A value with its quotes taken off.
#[derive(Debug, Clone)]
pub(super) struct Unquoted<'a> {
    /// The text inside the quotes (or the whole value).
    pub text: &'a str,
    /// Where that text is.
    pub span: Range<usize>,
    /// What followed the closing quote.
    pub after: &'a str,
}

/// Splits a value into white-space separated words with their spans.
pub(super) fn words(value: &str, span_start: usize) -> Vec<(&str, Range<usize>)> {
    let mut out = Vec::new();
    let mut rest = value;
    let mut offset = span_start;
    loop {
        let lead = rest.len() - rest.trim_start().len();
        rest = &rest[lead..];
        offset += lead;
        if rest.is_empty() {
            return out;
        }
        let len = rest.find(char::is_whitespace).unwrap_or(rest.len());
        out.push((&rest[..len], offset..offset + len));
        rest = &rest[len..];
        offset += len;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn only(text: &str) -> Directive<'_> {
        match lines(text).remove(0).kind {
            LineKind::Directive(d) => d,
            LineKind::Blank => panic!("blank"),
        }
    }

    #[test]
    fn directive_parts() {
        let d = only("    real = 10.0.0.1:80 gate 2  # web\n");
        assert_eq!((d.name, d.name_span.clone()), ("real", 4..8));
        assert_eq!(
            (d.value, d.value_span.clone()),
            ("10.0.0.1:80 gate 2", 11..29)
        );
        let d = only("receive=\"a#b\" # c");
        assert_eq!(d.value, "\"a#b\"");
        let d = only("eth0:1=192.168.1.1");
        assert_eq!((d.name, d.has_equals, d.text), ("eth0", false, "eth0:1"));
        let d = only("...");
        assert_eq!((d.name, d.has_equals, d.text), ("...", false, "..."));
        let d = only("[vip]");
        assert_eq!((d.name, d.text, d.name_span), ("", "[vip]", 0..0));
    }

    #[test]
    fn blank_and_comment_lines() {
        let all = lines("\n  \t\n# x\n\t# y\r\nquiescent=no\r\n");
        assert_eq!(all.len(), 6);
        assert!(all[..4].iter().all(|l| matches!(l.kind, LineKind::Blank)));
        match &all[4].kind {
            LineKind::Directive(d) => assert_eq!(d.value, "no"),
            LineKind::Blank => panic!(),
        }
    }

    #[test]
    fn quotes_and_words() {
        let u = unquote("\"index.html\"", 10..22).unwrap();
        assert_eq!((u.text, u.span, u.after), ("index.html", 11..21, ""));
        assert!(unquote("\"open", 0..5).is_err());
        assert_eq!(words(" a  bc ", 5), vec![("a", 6..7), ("bc", 9..11)]);
    }
}
