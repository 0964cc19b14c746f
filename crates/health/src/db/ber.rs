// SPDX-License-Identifier: MIT OR Apache-2.0
//! The little of BER (X.690) that LDAP's bind and search use: a tag, a
//! definite length, the contents; integers, strings, enumerations and
//! sequences.

/// One element: its tag and contents.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Element<'a> {
    pub(super) tag: u8,
    pub(super) contents: &'a [u8],
}

/// Writes `tag`, the length of `contents`, and `contents`.
pub(super) fn element(tag: u8, contents: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = contents.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = (len as u32).to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        out.push(0x80 | (4 - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
    out.extend_from_slice(contents);
    out
}

/// A non-negative INTEGER (or ENUMERATED, with its tag).
pub(super) fn integer(tag: u8, value: u32) -> Vec<u8> {
    let bytes = value.to_be_bytes();
    let mut skip = bytes.iter().take_while(|b| **b == 0).count().min(3);
    // Keep a leading zero byte when the next has its top bit set.
    if skip > 0 && bytes[skip] & 0x80 != 0 {
        skip -= 1;
    }
    element(tag, &bytes[skip..])
}

/// Reads a length after the tag: the length and how many bytes it took;
/// `None` for an indefinite or absurd one (over four bytes).
pub(super) fn length(bytes: &[u8]) -> Option<(usize, usize)> {
    let first = *bytes.first()?;
    if first < 0x80 {
        return Some((usize::from(first), 1));
    }
    let n = usize::from(first & 0x7f);
    if n == 0 || n > 4 {
        return None;
    }
    let value = bytes
        .get(1..=n)?
        .iter()
        .fold(0usize, |v, b| v << 8 | usize::from(*b));
    Some((value, 1 + n))
}

/// Reads the elements of a constructed element's contents, in order.
pub(super) struct Elements<'a>(pub(super) &'a [u8]);

impl<'a> Elements<'a> {
    /// The next element, `None` at the end or when it is cut short.
    pub(super) fn next_element(&mut self) -> Option<Element<'a>> {
        let tag = *self.0.first()?;
        let (len, size) = length(self.0.get(1..)?)?;
        let start = 1 + size;
        let contents = self.0.get(start..start.checked_add(len)?)?;
        self.0 = &self.0[start + len..];
        Some(Element { tag, contents })
    }
}

/// An INTEGER's or ENUMERATED's value (at most four bytes, non-negative).
pub(super) fn unsigned(contents: &[u8]) -> Option<u32> {
    if contents.is_empty() || contents.len() > 5 || contents[0] & 0x80 != 0 {
        return None;
    }
    Some(contents.iter().fold(0u32, |v, b| v << 8 | u32::from(*b)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_short_and_long() {
        assert_eq!(element(0x04, b"ab"), b"\x04\x02ab");
        let long = element(0x04, &[0; 300]);
        assert_eq!(&long[..4], b"\x04\x82\x01\x2c");
        assert_eq!(length(&long[1..]), Some((300, 3)));
        assert_eq!(length(&[0x80]), None, "indefinite");
        assert_eq!(length(&[0x85, 1, 1, 1, 1, 1]), None);
        assert_eq!(length(&[0x82, 1]), None, "cut short");
    }

    #[test]
    fn integers_are_minimal_and_positive() {
        assert_eq!(integer(0x02, 3), b"\x02\x01\x03");
        assert_eq!(integer(0x02, 0), b"\x02\x01\x00");
        assert_eq!(integer(0x02, 128), b"\x02\x02\x00\x80");
        assert_eq!(integer(0x0a, 0x1_0000), b"\x0a\x03\x01\x00\x00");
        assert_eq!(unsigned(&[0x00, 0x80]), Some(128));
        assert_eq!(unsigned(&[0x80]), None);
        assert_eq!(unsigned(&[]), None);
    }

    #[test]
    fn elements_in_order_and_cut_short() {
        let bytes = [0x02, 0x01, 0x07, 0x04, 0x02, b'h', b'i', 0x04, 0x05, b'x'];
        let mut e = Elements(&bytes);
        assert_eq!(e.next_element().map(|e| e.tag), Some(0x02));
        assert_eq!(e.next_element().map(|e| e.contents), Some(&b"hi"[..]));
        assert_eq!(e.next_element(), None, "claims 5 bytes, has 1");
    }
}
