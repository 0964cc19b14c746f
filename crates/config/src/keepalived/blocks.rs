// SPDX-License-Identifier: MIT OR Apache-2.0
//! The words of a keepalived configuration as a tree: a statement is a
//! keyword and its arguments up to the end of the line, with a block
//! `{ … }` when one opens on its line (or alone on the next line).
//! Unbalanced braces are errors at the brace.

use std::ops::Range;

use super::files::Token;
use super::lexer::Word;

/// How deep blocks may nest.
const MAX_DEPTH: usize = 32;

/// A statement: `keyword args… [{ children }]`.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Node {
    /// The file it is in.
    pub file: usize,
    /// Its first word.
    pub keyword: Word,
    /// The words after it on its line.
    pub args: Vec<Word>,
    /// Its block, if it has one.
    pub children: Option<Vec<Node>>,
}

impl Node {
    /// The keyword.
    pub fn name(&self) -> &str {
        &self.keyword.text
    }

    /// The span from the keyword to its last argument.
    pub fn span(&self) -> Range<usize> {
        let end = self
            .args
            .last()
            .map_or(self.keyword.span.end, |w| w.span.end);
        self.keyword.span.start..end.max(self.keyword.span.start)
    }

    /// The children (none when it has no block).
    pub fn block(&self) -> &[Node] {
        self.children.as_deref().unwrap_or(&[])
    }

    /// The first argument's text.
    pub fn arg(&self, i: usize) -> Option<&Word> {
        self.args.get(i)
    }
}

/// A brace that does not balance.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Unbalanced {
    /// The file.
    pub file: usize,
    /// The brace.
    pub span: Range<usize>,
    /// What is wrong.
    pub message: &'static str,
}

/// The statements of the stream, or the braces that do not balance.
pub(super) fn parse(tokens: &[Token]) -> (Vec<Node>, Vec<Unbalanced>) {
    let mut parser = Parser {
        tokens,
        at: 0,
        errors: Vec::new(),
    };
    let nodes = parser.items(0);
    (nodes, parser.errors)
}

struct Parser<'t> {
    tokens: &'t [Token],
    at: usize,
    errors: Vec<Unbalanced>,
}

/// How a run of statements ended.
enum End {
    /// At a `}`.
    Closed,
    /// At the end of the stream.
    Eof,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    /// Statements up to the `}` that closes this level (consumed) or the
    /// end.
    fn items(&mut self, depth: usize) -> Vec<Node> {
        self.items_to_end(depth).0
    }

    fn items_to_end(&mut self, depth: usize) -> (Vec<Node>, End) {
        let mut nodes: Vec<Node> = Vec::new();
        let mut line_start = true;
        while let Some(token) = self.peek().cloned() {
            let (file, word) = match token {
                Token::Newline => {
                    self.at += 1;
                    line_start = true;
                    continue;
                }
                Token::Word(file, word) => (file, word),
            };
            if word.is_close() {
                self.at += 1;
                if depth == 0 {
                    self.errors.push(Unbalanced {
                        file,
                        span: word.span,
                        message: "`}` closes no block",
                    });
                    continue;
                }
                return (nodes, End::Closed);
            }
            if word.is_open() {
                // `{` alone opens the block of the statement above it.
                self.at += 1;
                let children = self.block(file, &word, depth);
                match nodes.last_mut() {
                    Some(last) if line_start && last.children.is_none() => {
                        last.children = Some(children);
                    }
                    _ => self.errors.push(Unbalanced {
                        file,
                        span: word.span,
                        message: "`{` without a keyword before it",
                    }),
                }
                line_start = false;
                continue;
            }
            self.at += 1;
            let mut node = Node {
                file,
                keyword: word,
                args: Vec::new(),
                children: None,
            };
            while let Some(Token::Word(_, w)) = self.peek() {
                if w.is_close() {
                    break;
                }
                if w.is_open() {
                    let w = w.clone();
                    self.at += 1;
                    node.children = Some(self.block(file, &w, depth));
                    break;
                }
                node.args.push(w.clone());
                self.at += 1;
            }
            line_start = false;
            nodes.push(node);
        }
        (nodes, End::Eof)
    }

    /// The children after an opening brace, up to its `}`.
    fn block(&mut self, file: usize, open: &Word, depth: usize) -> Vec<Node> {
        if depth + 1 > MAX_DEPTH {
            self.errors.push(Unbalanced {
                file,
                span: open.span.clone(),
                message: "blocks nest too deep",
            });
            self.at = self.tokens.len();
            return Vec::new();
        }
        let (children, end) = self.items_to_end(depth + 1);
        if let End::Eof = end {
            self.errors.push(Unbalanced {
                file,
                span: open.span.clone(),
                message: "this `{` is never closed",
            });
        }
        children
    }
}

#[cfg(test)]
mod tests {
    use super::super::lexer;
    use super::*;

    fn tokens(text: &str) -> Vec<Token> {
        let mut out = Vec::new();
        let mut start = 0;
        for l in text.split_inclusive('\n') {
            let line = lexer::line(l.trim_end(), start);
            start += l.len();
            out.extend(line.words.into_iter().map(|w| Token::Word(0, w)));
            out.push(Token::Newline);
        }
        out
    }

    #[test]
    fn nested_blocks_and_inline_ones() {
        let (nodes, errors) = parse(&tokens(
            "virtual_server 10.0.0.1 80 {\n real_server 10.0.1.1 80\n {\n weight 2\n HTTP_GET { url { path / } }\n }\n}\n",
        ));
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(nodes.len(), 1);
        let vs = &nodes[0];
        assert_eq!(vs.name(), "virtual_server");
        assert_eq!(vs.args.len(), 2);
        let rs = &vs.block()[0];
        assert_eq!(rs.block()[0].name(), "weight");
        let get = &rs.block()[1];
        assert_eq!(get.block()[0].block()[0].name(), "path");
    }

    #[test]
    fn unbalanced() {
        let (_, errors) = parse(&tokens("a {\n b\n"));
        assert_eq!(errors[0].message, "this `{` is never closed");
        assert_eq!(errors[0].span, 2..3);
        let (_, errors) = parse(&tokens("a\n}\n"));
        assert_eq!(errors[0].message, "`}` closes no block");
        let (_, errors) = parse(&tokens("{\n}\n"));
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].message, "`{` without a keyword before it");
    }

    #[test]
    fn deep_nesting_is_refused_not_overflowed() {
        let text = "a {\n".repeat(10_000);
        let (_, errors) = parse(&tokens(&text));
        assert!(errors.iter().any(|e| e.message == "blocks nest too deep"));
    }
}
