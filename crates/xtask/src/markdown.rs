// SPDX-License-Identifier: MIT OR Apache-2.0
//! CommonMark to roff (man(7) macros), for the subset a reference page
//! uses: headings (`#` is the page title and is dropped, `##` a section,
//! in capitals as man pages have them, `###` a subsection), paragraphs, emphasis, inline code (bold), fenced
//! code blocks, bullet and numbered lists (nested too), links (their
//! text). Anything else (HTML, images, tables are not parsed: no
//! extensions) is an error, so that the page never silently loses text.

use pulldown_cmark::{CodeBlockKind, Event, HeadingLevel, Parser, Tag, TagEnd};

/// The roff of `markdown` (without the `.TH` line).
pub fn to_roff(markdown: &str) -> Result<String, String> {
    let mut out = Roff::default();
    let mut in_title = false;
    let mut in_code_block = false;
    // Per open list: the next number, or None for bullets.
    let mut lists: Vec<Option<u64>> = Vec::new();
    for event in Parser::new(markdown) {
        match event {
            Event::Start(Tag::Heading { level, .. }) => match level {
                HeadingLevel::H1 => in_title = true,
                HeadingLevel::H2 => out.control(".SH \""),
                HeadingLevel::H3 => out.control(".SS \""),
                other => return Err(format!("heading level {other:?} is not used on man pages")),
            },
            Event::End(TagEnd::Heading(level)) => {
                if level == HeadingLevel::H1 {
                    in_title = false;
                } else {
                    out.raw("\"\n");
                }
            }
            _ if in_title => {}
            Event::Start(Tag::Paragraph) => {
                if lists.is_empty() {
                    out.control(".PP\n");
                } else if !out.item_start {
                    // A second paragraph in a list item.
                    out.control(".IP\n");
                }
                out.item_start = false;
            }
            Event::End(TagEnd::Paragraph) => out.end_line(),
            Event::Start(Tag::Emphasis) => out.raw("\\fI"),
            Event::Start(Tag::Strong) => out.raw("\\fB"),
            Event::End(TagEnd::Emphasis | TagEnd::Strong) => out.raw("\\fR"),
            Event::Start(Tag::Link { .. }) | Event::End(TagEnd::Link) => {}
            Event::Code(code) => {
                out.raw("\\fB");
                out.text(&code);
                out.raw("\\fR");
            }
            Event::Start(Tag::CodeBlock(kind)) => {
                if let CodeBlockKind::Indented = kind {
                    return Err("indented code block: fence it with ```".to_string());
                }
                in_code_block = true;
                out.control(if lists.is_empty() { ".PP\n" } else { ".IP\n" });
                out.control(".RS 4\n.nf\n");
            }
            Event::End(TagEnd::CodeBlock) => {
                in_code_block = false;
                out.control(".fi\n.RE\n");
            }
            Event::Text(text) if in_code_block => {
                for line in text.lines() {
                    out.text(line);
                    out.end_line();
                }
            }
            Event::Text(text) if out.in_section_heading() => out.text(&text.to_uppercase()),
            Event::Text(text) => out.text(&text),
            Event::SoftBreak => out.end_line(),
            Event::HardBreak => {
                out.end_line();
                out.control(".br\n");
            }
            Event::Start(Tag::List(first)) => {
                if !lists.is_empty() {
                    out.control(".RS 2\n");
                }
                lists.push(first);
            }
            Event::End(TagEnd::List(_)) => {
                lists.pop();
                if !lists.is_empty() {
                    out.control(".RE\n");
                }
            }
            Event::Start(Tag::Item) => {
                let mark = match lists.last_mut() {
                    Some(Some(n)) => {
                        *n += 1;
                        format!("{}.", *n - 1)
                    }
                    _ => "\\(bu".to_string(),
                };
                out.control(&format!(".IP {mark} 4\n"));
                out.item_start = true;
            }
            Event::End(TagEnd::Item) => {
                out.end_line();
                out.item_start = false;
            }
            Event::Rule => out.control(".PP\n"),
            other => return Err(format!("not convertible to a man page: {other:?}")),
        }
    }
    Ok(out.text)
}

/// roff being written: where lines start, and the escapes.
#[derive(Default)]
struct Roff {
    text: String,
    /// Just after a list item's `.IP`: its first paragraph needs no other.
    item_start: bool,
}

impl Roff {
    /// A request line (or the start of one), always at a line's start.
    fn control(&mut self, request: &str) {
        self.end_line();
        self.text.push_str(request);
    }

    /// roff as it is (font changes, a heading's closing quote).
    fn raw(&mut self, roff: &str) {
        self.text.push_str(roff);
    }

    /// Ends the line being written, if any.
    fn end_line(&mut self) {
        if !self.text.is_empty() && !self.text.ends_with('\n') {
            self.text.push('\n');
        }
    }

    /// Text, escaped: backslashes, minus signs, and a `.` or `'` that
    /// would start a line (and be read as a request).
    fn text(&mut self, text: &str) {
        let line_start = self.text.is_empty() || self.text.ends_with('\n');
        if line_start && (text.starts_with('.') || text.starts_with('\'')) {
            self.text.push_str("\\&");
        }
        for c in text.chars() {
            match c {
                '\\' => self.text.push_str("\\e"),
                '-' => self.text.push_str("\\-"),
                '"' if self.in_heading() => self.text.push_str("\\(dq"),
                c => self.text.push(c),
            }
        }
    }

    /// Whether the line being written is a `.SH "` heading.
    fn in_section_heading(&self) -> bool {
        let line = self.text.rsplit('\n').next().unwrap_or_default();
        line.starts_with(".SH \"")
    }

    /// Whether the line being written is a `.SH "`/`.SS "` heading.
    fn in_heading(&self) -> bool {
        let line = self.text.rsplit('\n').next().unwrap_or_default();
        line.starts_with(".SH \"") || line.starts_with(".SS \"")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_subset_becomes_man_macros() {
        let roff = to_roff(
            "# title\n\n## The file\n\nSome *words* and `key = 1`\n.dot and a-b \\ c.\n\n\
             ```toml\n[defaults]\n.x = 1\n```\n\n- one\n- two\n  - deep\n\n1. first\n2. second\n",
        )
        .unwrap();
        assert_eq!(
            roff,
            ".SH \"THE FILE\"\n.PP\nSome \\fIwords\\fR and \\fBkey = 1\\fR\n\\&.dot and a\\-b \\e c.\n\
             .PP\n.RS 4\n.nf\n[defaults]\n\\&.x = 1\n.fi\n.RE\n\
             .IP \\(bu 4\none\n.IP \\(bu 4\ntwo\n.RS 2\n.IP \\(bu 4\ndeep\n.RE\n\
             .IP 1. 4\nfirst\n.IP 2. 4\nsecond\n"
        );
    }

    #[test]
    fn what_a_man_page_cannot_hold_is_an_error() {
        assert!(to_roff("<b>html</b>\n").is_err());
        assert!(to_roff("#### deep\n").is_err());
        assert!(to_roff("para\n\n    indented code\n").is_err());
    }
}
