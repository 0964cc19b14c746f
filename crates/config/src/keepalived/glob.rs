// SPDX-License-Identifier: MIT OR Apache-2.0
//! The file globs of keepalived's `include`: `*`, `?` and `[…]` in any
//! part of the path, matches in name order, hidden files only when the
//! pattern's part starts with a dot.

use std::path::{Component, Path, PathBuf};

/// How many paths one pattern may match.
const MAX_MATCHES: usize = 1024;

/// The existing files `pattern` names, sorted.
pub(super) fn expand(pattern: &Path) -> Vec<PathBuf> {
    let mut found = vec![PathBuf::new()];
    let parts: Vec<Component<'_>> = pattern.components().collect();
    for (i, part) in parts.iter().enumerate() {
        let last = i + 1 == parts.len();
        let text = part.as_os_str().to_string_lossy();
        if !matches!(part, Component::Normal(_)) || !has_wildcard(&text) {
            found = found
                .into_iter()
                .map(|p| p.join(part.as_os_str()))
                .filter(|p| if last { p.is_file() } else { p.exists() })
                .collect();
            continue;
        }
        let mut next = Vec::new();
        for dir in &found {
            let listed = if dir.as_os_str().is_empty() {
                Path::new(".")
            } else {
                dir.as_path()
            };
            let Ok(entries) = std::fs::read_dir(listed) else {
                continue;
            };
            let mut names: Vec<String> = entries
                .filter_map(Result::ok)
                .filter_map(|e| e.file_name().into_string().ok())
                .filter(|n| !n.starts_with('.') || text.starts_with('.'))
                .filter(|n| matches(text.as_bytes(), n.as_bytes()))
                .collect();
            names.sort();
            for n in names {
                let p = dir.join(n);
                if (last && p.is_file()) || (!last && p.is_dir()) {
                    next.push(p);
                }
                if next.len() >= MAX_MATCHES {
                    break;
                }
            }
        }
        found = next;
    }
    found.truncate(MAX_MATCHES);
    found
}

fn has_wildcard(text: &str) -> bool {
    text.contains(['*', '?', '['])
}

/// Whether `name` matches the glob `pattern` (one path part).
fn matches(pattern: &[u8], name: &[u8]) -> bool {
    // Iterative, with one backtrack point for the last `*`.
    let (mut p, mut n) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while n < name.len() {
        let step = match pattern.get(p) {
            Some(b'*') => {
                star = Some((p, n));
                p += 1;
                continue;
            }
            Some(b'?') => Some(p + 1),
            Some(b'[') => class(pattern, p, name[n]),
            Some(&c) if c == name[n] => Some(p + 1),
            _ => None,
        };
        match (step, star) {
            (Some(next), _) => {
                p = next;
                n += 1;
            }
            (None, Some((sp, sn))) => {
                p = sp + 1;
                n = sn + 1;
                star = Some((sp, sn + 1));
            }
            (None, None) => return false,
        }
    }
    pattern[p..].iter().all(|&c| c == b'*')
}

/// `[…]` at `start`: the index after it when `c` is in it.
fn class(pattern: &[u8], start: usize, c: u8) -> Option<usize> {
    let mut i = start + 1;
    let negate = matches!(pattern.get(i), Some(b'!' | b'^'));
    if negate {
        i += 1;
    }
    let mut hit = false;
    let mut first = true;
    while let Some(&b) = pattern.get(i) {
        if b == b']' && !first {
            return (hit != negate).then_some(i + 1);
        }
        first = false;
        if pattern.get(i + 1) == Some(&b'-') && pattern.get(i + 2).is_some_and(|&e| e != b']') {
            let end = pattern[i + 2];
            hit |= (b..=end).contains(&c);
            i += 3;
        } else {
            hit |= b == c;
            i += 1;
        }
    }
    // No closing `]`: a literal `[`.
    (c == b'[').then_some(start + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns() {
        assert!(matches(b"*.conf", b"a.conf"));
        assert!(!matches(b"*.conf", b"a.conf.bak"));
        assert!(matches(b"v?.conf", b"v1.conf"));
        assert!(matches(b"[ab]*", b"b"));
        assert!(!matches(b"[!ab]*", b"b"));
        assert!(matches(b"[0-9]x", b"7x"));
        assert!(matches(b"a*b*c", b"aXbYbZc"));
        assert!(!matches(b"a*b*c", b"aXbYbZ"));
        assert!(matches(b"[", b"["));
    }

    #[test]
    fn expands_in_name_order() {
        let dir = std::env::temp_dir().join(format!("ka-glob-{}", std::process::id()));
        let _ = std::fs::create_dir_all(dir.join("d"));
        for n in ["b.conf", "a.conf", ".h.conf", "c.txt"] {
            let _ = std::fs::write(dir.join("d").join(n), "");
        }
        let got = expand(&dir.join("*").join("*.conf"));
        let names: Vec<_> = got
            .iter()
            .filter_map(|p| p.file_name())
            .map(|n| n.to_string_lossy().to_string())
            .collect();
        assert_eq!(names, ["a.conf", "b.conf"]);
        assert!(expand(&dir.join("nothing*")).is_empty());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
