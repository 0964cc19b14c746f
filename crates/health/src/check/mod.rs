// SPDX-License-Identifier: MIT OR Apache-2.0
//! The send/expect and DNS checks, one file each; what they share is here:
//! the read bound, the text search, and how received bytes are shown in a
//! reason.

pub(crate) mod dns;
pub(crate) mod tcp;
pub(crate) mod udp;

use config::model::Receive;

pub(crate) use crate::probe::timed_out;

/// At most this much of an answer is read (a TCP stream, a datagram, a
/// DNS message).
pub(crate) const READ_LIMIT: usize = 64 * 1024;

/// Whether `wanted` appears in `seen`, looking only at what a match could
/// touch past `from` (the bytes seen before the last read, less
/// `wanted.len() - 1`).
pub(crate) fn found_since(seen: &[u8], wanted: &[u8], from: usize) -> bool {
    if wanted.is_empty() {
        return true;
    }
    let from = from.saturating_sub(wanted.len() - 1);
    seen.get(from..)
        .is_some_and(|tail| tail.windows(wanted.len()).any(|w| w == wanted))
}

/// Whether `seen` holds what `receive` asks for; `from` is where the bytes
/// of the last read start (a text is looked for only where it could newly
/// appear; a regular expression is matched against all of `seen`).
pub(crate) fn holds(seen: &[u8], receive: &Receive, from: usize) -> bool {
    match receive {
        Receive::Text(text) => found_since(seen, text.as_bytes(), from),
        Receive::Regex(pattern) => pattern.is_match(seen),
    }
}

/// What is waited for, in a reason: `"PONG"`, or `a match of "P[IO]NG"`.
pub(crate) fn described(receive: &Receive) -> String {
    match receive {
        Receive::Text(text) => format!("{text:?}"),
        Receive::Regex(pattern) => format!("a match of {:?}", pattern.as_str()),
    }
}

/// The first bytes received, as a reason shows them: `"ERR nope\r\n"`
/// (escaped, at most 40 bytes, `…` when cut).
pub(crate) fn shown(bytes: &[u8]) -> String {
    const SHOWN: usize = 40;
    let cut = bytes.len() > SHOWN;
    let mut text = format!("\"{}", bytes[..bytes.len().min(SHOWN)].escape_ascii());
    if cut {
        text.push('…');
    }
    text.push('"');
    text
}

/// ` (got "…")`, or ` (nothing received)`.
pub(crate) fn got(bytes: &[u8]) -> String {
    if bytes.is_empty() {
        " (nothing received)".to_string()
    } else {
        format!(" (got {})", shown(bytes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_match_across_two_reads_is_found() {
        let seen = b"xxxxO";
        assert!(!found_since(seen, b"OK", 0));
        let seen = b"xxxxOK";
        assert!(
            found_since(seen, b"OK", 5),
            "the match starts before the new bytes"
        );
        assert!(!found_since(b"xxxxOx", b"OK", 5));
        assert!(found_since(b"", b"", 0));
    }

    #[test]
    fn received_bytes_are_shown_escaped_and_cut() {
        assert_eq!(shown(b"ERR\r\n"), "\"ERR\\r\\n\"");
        assert_eq!(shown(&[b'x'; 50]), format!("\"{}…\"", "x".repeat(40)));
        assert_eq!(got(b""), " (nothing received)");
        assert_eq!(got(b"\x00\xff"), " (got \"\\x00\\xff\")");
    }
}
