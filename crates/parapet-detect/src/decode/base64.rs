//! Base64: a whole value that is base64 (the standard alphabet or the URL-safe one, padded
//! or not) and decodes to text. Shape is checked first, cheaply: at least [`MIN_LEN`]
//! characters of one alphabet, padding only at the end, and the first character of most
//! 4-character groups in the range that encodes a printable ASCII byte or a UTF-8 lead. Then the decoded
//! bytes must be UTF-8 with few control characters, so ids, hashes and binary blobs are
//! not taken for text.

/// The shortest value taken for base64, padding included (5 or 6 bytes of text).
const MIN_LEN: usize = 8;

/// Each byte's base64 digit value (bits 0–5), with [`STANDARD`] for `+` and `/`, [`URL_SAFE`]
/// for `-` and `_`, and both for a byte outside the alphabets (so one pass tells a value
/// of one alphabet from one that mixes them or is not base64).
static DIGITS: [u8; 256] = {
    let mut t = [STANDARD | URL_SAFE; 256];
    let mut i = 0;
    while i < 26 {
        t[b'A' as usize + i] = i as u8;
        t[b'a' as usize + i] = 26 + i as u8;
        if i < 10 {
            t[b'0' as usize + i] = 52 + i as u8;
        }
        i += 1;
    }
    t[b'+' as usize] = 62 | STANDARD;
    t[b'/' as usize] = 63 | STANDARD;
    t[b'-' as usize] = 62 | URL_SAFE;
    t[b'_' as usize] = 63 | URL_SAFE;
    t
};
/// The standard alphabet's own digits (`+`, `/`).
const STANDARD: u8 = 0x40;
/// The URL-safe alphabet's own digits (`-`, `_`).
const URL_SAFE: u8 = 0x80;

/// Whether the first digit of a 4-character group encodes a byte that text starts with:
/// printable ASCII (0x20 to 0x7F: `I`–`Z`, `a`–`f`) or a UTF-8 lead byte (0xC0 to 0xF7:
/// `w`–`9`).
fn texty(digit: u8) -> bool {
    matches!(digit & 0x3F, 8..32 | 48..62)
}

/// Whether `src` looks like base64 of text: long enough, one alphabet, padding only at the
/// end, a length that base64 can have, not only hex digits and dashes (hashes, UUIDs), and
/// at least three quarters of its 4-character groups starting with a [`texty`] digit.
pub(crate) fn shaped(src: &[u8]) -> bool {
    let body = trim_padding(src);
    let padding = src.len() - body.len();
    if src.len() < MIN_LEN || body.len() % 4 == 1 || padding > 2 {
        return false;
    }
    if padding > 0 && !src.len().is_multiple_of(4) {
        return false;
    }
    if !starts_text(DIGITS[usize::from(src[0])]) {
        return false;
    }
    // Hex (hashes, UUIDs) is not taken for base64: base64 of text has other letters.
    if body.iter().all(|&b| b.is_ascii_hexdigit() || b == b'-') {
        return false;
    }
    let mut seen = 0u8;
    let mut groups = 0usize;
    let mut starts = 0usize;
    for group in body.chunks(4) {
        groups += 1;
        starts += group
            .first()
            .map_or(0, |&b| usize::from(texty(DIGITS[usize::from(b)])));
        for &b in group {
            seen |= DIGITS[usize::from(b)];
        }
    }
    seen & (STANDARD | URL_SAFE) != STANDARD | URL_SAFE && starts * 4 >= groups * 3
}

/// Whether a value whose first digit is `digit` may decode to UTF-8: its first byte, the
/// digit's six bits and two more, is not a continuation byte (0x80 to 0xBF: `g`–`v`) nor
/// 0xF8 to 0xFF (`+`, `/`, `-`, `_`), which no UTF-8 text starts with. An id (`tkt_0001…`)
/// or a path (`/api/users/1`) is then not decoded in vain.
fn starts_text(digit: u8) -> bool {
    !matches!(digit & 0x3F, 32..48 | 62..64)
}

fn trim_padding(src: &[u8]) -> &[u8] {
    let pad = src.iter().rev().take_while(|&&b| b == b'=').count();
    &src[..src.len() - pad]
}

/// Decodes `src` into `out` when it is base64 of text (see the module doc). Whether it was.
pub(super) fn decode(src: &[u8], out: &mut Vec<u8>) -> bool {
    if !shaped(src) {
        return false;
    }
    let body = trim_padding(src);
    for group in body.chunks(4) {
        let mut n = 0u32;
        for (i, &b) in group.iter().enumerate() {
            n |= u32::from(DIGITS[usize::from(b)] & 0x3F) << (18 - 6 * i);
        }
        let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        out.extend_from_slice(&bytes[..group.len().saturating_sub(1)]);
    }
    let Ok(text) = std::str::from_utf8(out) else {
        return false;
    };
    let controls = text
        .bytes()
        .filter(|&b| (b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r')) || b == 0x7F)
        .count();
    controls * 16 <= text.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(s: &str) -> Option<String> {
        let mut out = Vec::new();
        decode(s.as_bytes(), &mut out).then(|| String::from_utf8_lossy(&out).into_owned())
    }

    #[test]
    fn text_is_decoded() {
        assert_eq!(
            b64("PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==").as_deref(),
            Some("<script>alert(1)</script>")
        );
        assert_eq!(
            b64("PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg").as_deref(),
            Some("<script>alert(1)</script>")
        );
        assert_eq!(b64("JyBvciAxPTEtLQ==").as_deref(), Some("' or 1=1--"));
        // URL-safe: `?>` encodes with `_` and `-`.
        assert_eq!(b64("Pz4_Pz4-Pz4_").as_deref(), Some("?>??>>?>?"));
        assert_eq!(b64("Pz4/Pz4+Pz4/").as_deref(), Some("?>??>>?>?"));
        assert_eq!(
            b64("Q2Fmw6kgYXUgbGFpdCwgcyd2b3VzIHBsYcOudA==").as_deref(),
            Some("Café au lait, s'vous plaît")
        );
    }

    #[test]
    fn not_base64_of_text() {
        // Words, ids, hashes, numbers.
        for s in [
            "Something",
            "administrator",
            "password123",
            "550e8400e29b41d4a716446655440000",
            "1234567890123",
            "d41d8cd98f00b204e9800998ecf8427e",
            "AAAAAAAAAAAA",
            "SGVsbG8",          // too short
            "JChpZCk",          // too short without its padding
            "Pz4_Pz4+Pz4",      // mixed alphabets
            "ABCDEFGHabcdefgh", // group starts A, E (control bytes)
            "SGVs=bG8gd29ybGQ",
            "SGVsbG8gd29ybGQ===",
        ] {
            assert_eq!(b64(s), None, "{s}");
        }
    }

    #[test]
    fn a_first_digit_that_starts_no_text_is_refused_before_decoding() {
        // Whatever the second digit, the first byte is one UTF-8 text never starts with.
        for first in 0..64u8 {
            if starts_text(first) {
                continue;
            }
            for second in 0..64u8 {
                let byte = first << 2 | second >> 4;
                assert!(
                    matches!(byte, 0x80..=0xBF | 0xF8..=0xFF),
                    "{first} {second}: {byte:#x}"
                );
            }
        }
        assert!(!shaped(b"tkt_0000000001"));
        assert!(!shaped(b"/api/users/1"));
        // Text decodes as before: `"`, `'`, `<`, `{`, `~`, a UTF-8 lead.
        for text in [
            "\"quoted\"",
            "'or 1=1",
            "<svg onload>",
            "{\"a\":1}",
            "~/.ssh/id",
            "été",
        ] {
            let mut out = Vec::new();
            let encoded = crate::decode::props::base64_encode(text.as_bytes(), true);
            assert!(decode(encoded.as_bytes(), &mut out), "{text}: {encoded}");
            assert_eq!(out, text.as_bytes());
        }
    }

    #[test]
    fn binary_is_not_text() {
        // Random bytes: not UTF-8, or full of controls.
        assert_eq!(b64("AAECAwQFBgcICQoLDA0ODw=="), None);
        assert_eq!(b64("/9j/4AAQSkZJRgABAQ=="), None);
    }
}
