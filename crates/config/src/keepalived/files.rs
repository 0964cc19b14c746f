// SPDX-License-Identifier: MIT OR Apache-2.0
//! The files of a keepalived configuration as one stream of words: the
//! main file with each `include PATTERN` replaced by the files it matches
//! (a glob, relative to the directory of the file that includes it, in
//! name order), conditional lines kept or left out by the config id, and
//! parameters replaced.

use std::collections::HashMap;
use std::ops::Range;
use std::path::{Path, PathBuf};

use crate::diagnostic::Diagnostic;
use crate::source::SourceFile;

use super::glob;
use super::lexer::{self, Condition, Word};

/// How deep includes may nest (keepalived's own limit is of this order).
const MAX_DEPTH: usize = 8;
/// How many files one configuration may read.
const MAX_FILES: usize = 256;
/// The largest file read.
const MAX_BYTES: u64 = 8 << 20;
/// How much parameters may add to the words of all files together.
const MAX_GROWTH: usize = 16 << 20;

/// A word and the file it is in, or the end of a line.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Token {
    /// A word of file `file` (an index into [`Files::sources`]).
    Word(usize, Word),
    /// The end of a line.
    Newline,
}

/// The files read, their words, and what was found wrong.
#[derive(Debug, Default)]
pub(super) struct Files {
    /// Every file read, the main one first.
    pub sources: Vec<SourceFile>,
    /// The words of all of them, includes spliced in.
    pub tokens: Vec<Token>,
    /// Errors (a file that cannot be read, includes too deep).
    pub errors: Vec<Diagnostic>,
    /// Warnings (an include matching nothing, a conditional line).
    pub warnings: Vec<Diagnostic>,
    parameters: HashMap<String, String>,
    config_id: Option<String>,
    /// Bytes added by parameters so far.
    grown: usize,
}

impl Files {
    /// The main file given as text, and what it includes (relative to
    /// its path's directory).
    pub fn from_source(source: SourceFile, config_id: Option<&str>) -> Files {
        let mut files = Files {
            config_id: config_id.map(str::to_string),
            ..Files::default()
        };
        files.file(source, 0);
        files
    }

    /// Reads `path` and what it includes. `config_id` is keepalived's
    /// `-i` (by default its host name): `@id` lines are read under it.
    pub fn read(path: &Path, config_id: Option<&str>) -> Files {
        let mut files = Files {
            config_id: config_id.map(str::to_string),
            ..Files::default()
        };
        match read_text(path) {
            Ok(text) => files.file(SourceFile::new(path, text), 0),
            Err(message) => files.errors.push(Diagnostic {
                severity: crate::Severity::Error,
                file: path.to_path_buf(),
                location: crate::source::Location { line: 1, column: 1 },
                key: None,
                message,
            }),
        }
        files
    }

    /// Reads one file's lines at include depth `depth`.
    fn file(&mut self, source: SourceFile, depth: usize) {
        let index = self.sources.len();
        self.sources.push(source);
        let text = self.sources[index].text().to_string();
        let mut start = 0;
        for raw in text.split_inclusive('\n') {
            let line_start = start;
            start += raw.len();
            let raw = raw.trim_end_matches(['\n', '\r']);
            let line = lexer::line(raw, line_start);
            if !self.wanted(&line.condition) {
                continue;
            }
            let body = match line.words.first() {
                Some(first) => &raw[first.span.start - line_start..],
                None => continue,
            };
            if let Some((name, value)) = lexer::definition(body) {
                self.parameters.insert(name, value);
                continue;
            }
            let mut words = line.words;
            for w in &mut words {
                if w.text.contains('$') && self.grown <= MAX_GROWTH {
                    let replaced = lexer::substitute(&w.text, &self.parameters);
                    self.grown += replaced.len().saturating_sub(w.text.len());
                    if self.grown > MAX_GROWTH {
                        let message = "parameters make the configuration larger than 16 MiB";
                        let d = Diagnostic::error(&self.sources[index], &w.span, None, message);
                        self.errors.push(d);
                    }
                    w.text = replaced;
                }
            }
            if words
                .first()
                .is_some_and(|w| w.text == "include" && !w.quoted)
            {
                self.include(index, &words, depth);
                continue;
            }
            self.tokens
                .extend(words.into_iter().map(|w| Token::Word(index, w)));
            self.tokens.push(Token::Newline);
        }
    }

    /// Whether a line with this condition is read.
    fn wanted(&self, condition: &Condition) -> bool {
        let id = self.config_id.as_deref();
        match condition {
            Condition::Always => true,
            Condition::Only(want) => id == Some(want.as_str()),
            Condition::Except(not) => id != Some(not.as_str()),
        }
    }

    /// `include PATTERN`: the files it matches, each read in its turn.
    fn include(&mut self, file: usize, words: &[Word], depth: usize) {
        let source = &self.sources[file];
        let Some(pattern) = words.get(1) else {
            let span = words.first().map_or(0..0, |w| w.span.clone());
            self.error(file, &span, "missing: the file (or glob) to include");
            return;
        };
        if depth + 1 > MAX_DEPTH {
            let message = format!("includes nest deeper than {MAX_DEPTH} files (a loop?)");
            self.error(file, &pattern.span, &message);
            return;
        }
        let base = source
            .path()
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        let full = if Path::new(&pattern.text).is_absolute() {
            PathBuf::from(&pattern.text)
        } else {
            base.join(&pattern.text)
        };
        let matches = glob::expand(&full);
        if matches.is_empty() {
            let message = format!("`{}` matches no file: nothing included", full.display());
            self.warn(file, &pattern.span, &message);
        }
        for path in matches {
            if self.sources.len() >= MAX_FILES {
                let message = format!("more than {MAX_FILES} files included");
                self.error(file, &pattern.span, &message);
                return;
            }
            match read_text(&path) {
                Ok(text) => self.file(SourceFile::new(path, text), depth + 1),
                Err(message) => self.error(file, &pattern.span, &message),
            }
        }
    }

    fn error(&mut self, file: usize, span: &Range<usize>, message: &str) {
        let d = Diagnostic::error(&self.sources[file], span, Some("include".into()), message);
        self.errors.push(d);
    }

    fn warn(&mut self, file: usize, span: &Range<usize>, message: &str) {
        let d = Diagnostic::warning(&self.sources[file], span, Some("include".into()), message);
        self.warnings.push(d);
    }
}

/// A file's text, or why not (too large, unreadable, not UTF-8).
fn read_text(path: &Path) -> Result<String, String> {
    let meta =
        std::fs::metadata(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    if meta.len() > MAX_BYTES {
        return Err(format!(
            "{} is larger than {} MiB",
            path.display(),
            MAX_BYTES >> 20
        ));
    }
    std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}
