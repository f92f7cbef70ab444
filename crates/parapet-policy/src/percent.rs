//! Percent-decoding of URL parts (path segments, query names and values), shared by every
//! policy and the router so that they all compare the same decoded text.

use std::borrow::Cow;

/// Decodes `%XX` escapes (and, for query strings, `+` as a space). `None` when an escape is
/// not two hex digits or the result is not UTF-8.
pub fn decode(s: &str, plus_is_space: bool) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' => {
                let hex = b.get(i + 1..i + 3)?;
                let digit = |c: u8| (c as char).to_digit(16);
                out.push((digit(hex[0])? * 16 + digit(hex[1])?) as u8);
                i += 3;
            }
            b'+' if plus_is_space => {
                out.push(b' ');
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

/// `s` decoded, or as written when it does not decode (so that it never equals a clean
/// value it was not).
pub fn decode_or_raw(s: &str, plus_is_space: bool) -> Cow<'_, str> {
    let escaped = s.contains('%') || (plus_is_space && s.contains('+'));
    match escaped.then(|| decode(s, plus_is_space)).flatten() {
        Some(text) => Cow::Owned(text),
        None => Cow::Borrowed(s),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_plus() {
        assert_eq!(decode("a%40b+c", true).as_deref(), Some("a@b c"));
        assert_eq!(decode("a%40b+c", false).as_deref(), Some("a@b+c"));
        assert_eq!(decode("%zz", true), None);
        assert_eq!(decode("%+1", true), None, "a sign is not a hex digit");
        assert_eq!(decode("%ff", true), None, "not UTF-8");
        assert_eq!(decode_or_raw("x%zz%41", false), "x%zz%41");
        assert_eq!(decode_or_raw("%61lice", false), "alice");
    }
}
