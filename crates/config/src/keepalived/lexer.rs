// SPDX-License-Identifier: MIT OR Apache-2.0
//! One line of a keepalived file as words: `!` and `#` start a comment,
//! `"…"` is one word, `{` and `}` are words of their own (also when
//! written against another word), `@id`/`@^id` make a line conditional,
//! `$NAME=VALUE` defines a parameter that `$NAME` and `${NAME}` stand for.

use std::collections::HashMap;
use std::ops::Range;

/// A word of a line, with its bytes in its file.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Word {
    /// The text (unquoted, parameters replaced).
    pub text: String,
    /// Where it stands.
    pub span: Range<usize>,
    /// Whether it was written in quotes (a quoted `{` is a word).
    pub quoted: bool,
}

impl Word {
    /// Whether it opens a block.
    pub fn is_open(&self) -> bool {
        !self.quoted && self.text == "{"
    }

    /// Whether it closes a block.
    pub fn is_close(&self) -> bool {
        !self.quoted && self.text == "}"
    }
}

/// What a line's `@` prefix says.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Condition {
    /// No prefix.
    Always,
    /// `@id`: only under that config id.
    Only(String),
    /// `@^id`: under any other config id.
    Except(String),
}

/// A line split into words.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Line {
    /// Its `@` prefix.
    pub condition: Condition,
    /// Its words, comments left out.
    pub words: Vec<Word>,
}

/// The words of the line `text` starting at byte `start` of its file.
pub(super) fn line(text: &str, start: usize) -> Line {
    let mut words = Vec::new();
    let mut condition = Condition::Always;
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() && bytes[i].is_ascii_whitespace() {
        i += 1;
    }
    if bytes.get(i) == Some(&b'@') {
        let from = i + 1;
        let mut end = from;
        while end < bytes.len() && !bytes[end].is_ascii_whitespace() {
            end += 1;
        }
        let id = &text[from..end];
        condition = match id.strip_prefix('^') {
            Some(rest) => Condition::Except(rest.to_string()),
            None => Condition::Only(id.to_string()),
        };
        i = end;
    }
    while i < bytes.len() {
        let c = bytes[i];
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        if c == b'!' || c == b'#' {
            break;
        }
        if c == b'{' || c == b'}' {
            words.push(Word {
                text: (c as char).to_string(),
                span: start + i..start + i + 1,
                quoted: false,
            });
            i += 1;
            continue;
        }
        if c == b'"' {
            let from = i;
            let mut out = String::new();
            i += 1;
            let mut piece = i;
            while i < bytes.len() && bytes[i] != b'"' {
                if bytes[i] == b'\\' && bytes.get(i + 1) == Some(&b'"') {
                    out.push_str(&text[piece..i]);
                    out.push('"');
                    i += 2;
                    piece = i;
                    continue;
                }
                i += 1;
            }
            out.push_str(&text[piece..i.min(bytes.len())]);
            i = (i + 1).min(bytes.len());
            words.push(Word {
                text: out,
                span: start + from..start + i,
                quoted: true,
            });
            continue;
        }
        let from = i;
        while i < bytes.len() && !bytes[i].is_ascii_whitespace() && !matches!(bytes[i], b'{' | b'}')
        {
            // `${NAME}` is part of the word.
            if bytes[i] == b'$' && bytes.get(i + 1) == Some(&b'{') {
                match text[i..].find('}') {
                    Some(end) => i += end + 1,
                    None => i = bytes.len(),
                }
                continue;
            }
            i += 1;
        }
        words.push(Word {
            text: text[from..i].to_string(),
            span: start + from..start + i,
            quoted: false,
        });
    }
    Line { condition, words }
}

/// A parameter definition, `$NAME=VALUE` (no space before `=`).
pub(super) fn definition(text: &str) -> Option<(String, String)> {
    let rest = text.trim_start().strip_prefix('$')?;
    let (name, value) = rest.split_once('=')?;
    let good = !name.is_empty()
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    good.then(|| (name.to_string(), value.trim().to_string()))
}

/// How many times replacement goes on inside replaced text.
const MAX_PASSES: usize = 8;
/// The longest a word grows by replacement (`$A=$A$A…` doubles it at each
/// pass).
const MAX_WORD: usize = 4096;

/// `text` with `${NAME}` and `$NAME` of the defined parameters replaced
/// (recursively, a bounded number of times); unknown ones are kept.
pub(super) fn substitute(text: &str, parameters: &HashMap<String, String>) -> String {
    let mut current = text.to_string();
    for _ in 0..MAX_PASSES {
        if !current.contains('$') || parameters.is_empty() {
            break;
        }
        let next = substitute_once(&current, parameters);
        if next == current || next.len() > MAX_WORD {
            break;
        }
        current = next;
    }
    current
}

fn substitute_once(text: &str, parameters: &HashMap<String, String>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let (name, used) = if let Some(inner) = after.strip_prefix('{') {
            match inner.find('}') {
                Some(end) => (&inner[..end], end + 2),
                None => ("", 0),
            }
        } else {
            let end = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            (&after[..end], end)
        };
        match parameters.get(name) {
            Some(value) if used > 0 && out.len() + value.len() <= MAX_WORD => {
                out.push_str(value);
                rest = &after[used..];
            }
            _ => {
                out.push('$');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(l: &Line) -> Vec<&str> {
        l.words.iter().map(|w| w.text.as_str()).collect()
    }

    #[test]
    fn comments_quotes_and_braces() {
        let l = line("  real_server 10.0.0.1 80{ ! weight", 0);
        assert_eq!(texts(&l), ["real_server", "10.0.0.1", "80", "{"]);
        assert!(l.words[3].is_open());
        let l = line("misc_path \"/bin/check -p 80\" # x", 0);
        assert_eq!(texts(&l), ["misc_path", "/bin/check -p 80"]);
        assert!(l.words[1].quoted);
        let l = line("real_server ${NET}.1 $P{", 0);
        assert_eq!(texts(&l), ["real_server", "${NET}.1", "$P", "{"]);
        let l = line("url { path /a }", 10);
        assert_eq!(texts(&l), ["url", "{", "path", "/a", "}"]);
        assert_eq!(l.words[0].span, 10..13);
    }

    #[test]
    fn unterminated_quote_takes_the_rest() {
        let l = line("misc_path \"/bin/x", 0);
        assert_eq!(texts(&l), ["misc_path", "/bin/x"]);
    }

    #[test]
    fn conditions() {
        assert_eq!(line("@a x", 0).condition, Condition::Only("a".into()));
        assert_eq!(line(" @^b x", 0).condition, Condition::Except("b".into()));
        assert_eq!(texts(&line("@a x y", 0)), ["x", "y"]);
    }

    #[test]
    fn parameters() {
        assert_eq!(
            definition("$BASE=10.0.${SUB}"),
            Some(("BASE".into(), "10.0.${SUB}".into()))
        );
        assert_eq!(definition("$1X=2"), None);
        assert_eq!(definition("x=2"), None);
        let mut p = HashMap::new();
        p.insert("BASE".to_string(), "10.0.${SUB}".to_string());
        p.insert("SUB".to_string(), "3".to_string());
        assert_eq!(substitute("${BASE}.1", &p), "10.0.3.1");
        assert_eq!(substitute("$SUB", &p), "3");
        assert_eq!(substitute("$NOPE x", &p), "$NOPE x");
        p.insert("LOOP".to_string(), "$LOOP".repeat(50));
        assert!(substitute(&"$LOOP ".repeat(100), &p).len() <= 2 * MAX_WORD);
    }
}
