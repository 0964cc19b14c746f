// SPDX-License-Identifier: MIT OR Apache-2.0
//! The values of an HTTP(S) check that keep their own rules (re-exported
//! by [`crate::model`]): [`Pattern`], a compiled regular expression shared
//! by the patterns written the same, and [`StatusCodes`], one code or codes
//! and ranges.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError, Weak};

/// A compiled regular expression (the `regex` crate's syntax), matched
/// against bytes. Two patterns are equal when they were written the same.
///
/// Patterns written the same share one compiled program: a compiled
/// pattern costs about 10 KiB (30 KiB and more with Unicode classes once
/// it has searched), and a site's virtuals tend to repeat one `receive`.
#[derive(Clone)]
pub struct Pattern(Arc<regex::bytes::Regex>);

/// The patterns compiled and still in use, by their text.
struct Compiled {
    by_text: BTreeMap<String, Weak<regex::bytes::Regex>>,
    /// Forget the unused ones when there are this many entries.
    prune_at: usize,
}

static COMPILED: Mutex<Compiled> = Mutex::new(Compiled {
    by_text: BTreeMap::new(),
    prune_at: 64,
});

impl Pattern {
    /// Compiles `text`, or shares the program of a pattern written the same
    /// that is still in use; `Err` says in one line why it is not a regular
    /// expression this crate accepts (look-around and back-references are
    /// not).
    pub fn new(text: &str) -> Result<Self, String> {
        let mut compiled = COMPILED.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(regex) = compiled.by_text.get(text).and_then(Weak::upgrade) {
            return Ok(Self(regex));
        }
        let regex = regex::bytes::Regex::new(text).map_err(|e| {
            // The syntax error's text is several lines (the pattern, a
            // caret); its last line says what is wrong.
            let text = e.to_string();
            let last = text.lines().last().unwrap_or_default();
            last.strip_prefix("error: ").unwrap_or(last).to_string()
        })?;
        let regex = Arc::new(regex);
        if compiled.by_text.len() >= compiled.prune_at {
            compiled.by_text.retain(|_, r| r.strong_count() > 0);
            compiled.prune_at = (compiled.by_text.len() * 2).max(64);
        }
        compiled
            .by_text
            .insert(text.to_string(), Arc::downgrade(&regex));
        Ok(Self(regex))
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// Whether it matches somewhere in `haystack`.
    pub fn is_match(&self, haystack: &[u8]) -> bool {
        self.0.is_match(haystack)
    }
}

impl PartialEq for Pattern {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for Pattern {}

impl std::fmt::Debug for Pattern {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Pattern({:?})", self.as_str())
    }
}

/// The HTTP statuses a check accepts: one code (`status = 200`), or codes
/// and ranges (`status = "200-299,401"`), each within 100-599. Never empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusCodes(Vec<(u16, u16)>);

impl StatusCodes {
    /// The codes a check accepts.
    pub const RANGE: std::ops::RangeInclusive<u16> = 100..=599;

    /// One code; `None` outside 100-599.
    pub fn one(code: u16) -> Option<Self> {
        Self::RANGE
            .contains(&code)
            .then(|| Self(vec![(code, code)]))
    }

    /// `200`, `200-299,401`, `200, 301-302` (spaces allowed around the
    /// commas and dashes); `Err` says why not.
    pub fn parse(text: &str) -> Result<Self, String> {
        let code = |word: &str| -> Result<u16, String> {
            let word = word.trim();
            match word.parse::<u16>() {
                Ok(n) if Self::RANGE.contains(&n) => Ok(n),
                Ok(_) => Err(format!("{word} is not an HTTP status (100-599)")),
                Err(_) => Err(format!(
                    "`{word}` is not a status code: write codes and ranges such as \"200-299,401\""
                )),
            }
        };
        if text.trim().is_empty() {
            return Err("empty: write codes and ranges such as \"200-299,401\"".to_string());
        }
        let mut ranges = Vec::new();
        for part in text.split(',') {
            let range = match part.split_once('-') {
                Some((low, high)) => {
                    let (low, high) = (code(low)?, code(high)?);
                    if low > high {
                        return Err(format!("{low}-{high} is an empty range"));
                    }
                    (low, high)
                }
                None => {
                    let n = code(part)?;
                    (n, n)
                }
            };
            ranges.push(range);
        }
        Ok(Self(ranges))
    }

    /// Whether `code` is one of them.
    pub fn contains(&self, code: u16) -> bool {
        self.0
            .iter()
            .any(|(low, high)| (*low..=*high).contains(&code))
    }

    /// The single code, when that is what was written (`status = 200`).
    pub fn single(&self) -> Option<u16> {
        match self.0[..] {
            [(low, high)] if low == high => Some(low),
            _ => None,
        }
    }
}

impl std::fmt::Display for StatusCodes {
    /// `200` or `200-299,401`, as it is written in a file.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, (low, high)) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            if low == high {
                write!(f, "{low}")?;
            } else {
                write!(f, "{low}-{high}")?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_written_the_same_share_their_program() {
        let a = Pattern::new("OK web[0-9]+ shared").unwrap();
        let b = Pattern::new("OK web[0-9]+ shared").unwrap();
        let c = Pattern::new("OK web[0-9]* shared").unwrap();
        assert!(Arc::ptr_eq(&a.0, &b.0));
        assert!(!Arc::ptr_eq(&a.0, &c.0));
        assert_eq!(a, b);
        assert_ne!(a, c);
        // Once no pattern uses it, it is compiled anew (and the old one freed).
        let weak = Arc::downgrade(&a.0);
        drop((a, b));
        assert_eq!(weak.strong_count(), 0);
        assert!(Pattern::new("OK web[0-9]+ shared")
            .unwrap()
            .is_match(b"OK web1 shared"));
    }

    #[test]
    fn a_bad_pattern_says_why_in_one_line() {
        assert_eq!(Pattern::new("(").unwrap_err(), "unclosed group");
        assert_eq!(
            Pattern::new("a(?=b)").unwrap_err(),
            "look-around, including look-ahead and look-behind, is not supported"
        );
    }
}
