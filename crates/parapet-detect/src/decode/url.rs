//! URL decoding: percent-escapes (`%3C`), IIS `%u003C` escapes, `+` as a space in query
//! strings and forms; and overlong UTF-8, which a percent-decoded value may hold
//! (`%c0%ae%c0%ae%c0%af` is `../` to a lenient decoder).

use super::{Decoders, hex, push_char};

/// Percent-decodes `src` into `out`: `%HH` to the byte, `%uHHHH` to the character's UTF-8,
/// `+` to a space when `plus`. Malformed escapes are kept as they are. The decoders that
/// changed something, or `None`.
pub(super) fn percent(src: &[u8], plus: bool, out: &mut Vec<u8>) -> Option<Decoders> {
    let first = if plus {
        memchr::memchr2(b'%', b'+', src)
    } else {
        memchr::memchr(b'%', src)
    }?;
    out.extend_from_slice(&src[..first]);
    let mut by = Decoders::default();
    let mut i = first;
    while let Some(&b) = src.get(i) {
        match b {
            b'%' => {
                if let (Some(h), Some(l)) = (
                    src.get(i + 1).copied().and_then(hex),
                    src.get(i + 2).copied().and_then(hex),
                ) {
                    out.push(h << 4 | l);
                    by |= Decoders::URL;
                    i += 3;
                    continue;
                }
                if matches!(src.get(i + 1), Some(b'u' | b'U'))
                    && let Some(cp) = hex4(src.get(i + 2..i + 6))
                    && push_char(out, cp)
                {
                    by |= Decoders::URL_UNICODE;
                    i += 6;
                    continue;
                }
                out.push(b'%');
            }
            b'+' if plus => {
                out.push(b' ');
                by |= Decoders::URL;
            }
            _ => out.push(b),
        }
        i += 1;
    }
    (!by.is_empty()).then_some(by)
}

/// Four hex digits.
fn hex4(digits: Option<&[u8]>) -> Option<u32> {
    let digits = digits?;
    let mut cp = 0u32;
    for &d in digits {
        cp = cp << 4 | u32::from(hex(d)?);
    }
    Some(cp)
}

/// Replaces overlong UTF-8 sequences (two, three and four bytes spelling a character that
/// needs fewer) by the character's shortest encoding. Whether anything changed.
pub(super) fn overlong(src: &[u8], out: &mut Vec<u8>) -> bool {
    let Some(first) = src
        .iter()
        .position(|&b| matches!(b, 0xC0 | 0xC1 | 0xE0 | 0xF0))
    else {
        return false;
    };
    out.extend_from_slice(&src[..first]);
    let mut changed = false;
    let mut i = first;
    while let Some(&b) = src.get(i) {
        let cont = |k: usize| src.get(i + k).copied().filter(|c| c & 0xC0 == 0x80);
        // (code point, length) of an overlong sequence at `i`.
        let seq = match b {
            0xC0 | 0xC1 => cont(1).map(|c1| ((u32::from(b & 0x1F) << 6) | u32::from(c1 & 0x3F), 2)),
            // E0 followed by 80..9F: a code point below U+0800.
            0xE0 => match (cont(1), cont(2)) {
                (Some(c1), Some(c2)) if c1 < 0xA0 => {
                    Some(((u32::from(c1 & 0x3F) << 6) | u32::from(c2 & 0x3F), 3))
                }
                _ => None,
            },
            // F0 followed by 80..8F: a code point below U+10000.
            0xF0 => match (cont(1), cont(2), cont(3)) {
                (Some(c1), Some(c2), Some(c3)) if c1 < 0x90 => Some((
                    (u32::from(c1 & 0x3F) << 12)
                        | (u32::from(c2 & 0x3F) << 6)
                        | u32::from(c3 & 0x3F),
                    4,
                )),
                _ => None,
            },
            _ => None,
        };
        match seq {
            Some((cp, len)) if push_char(out, cp) => {
                changed = true;
                i += len;
            }
            _ => {
                out.push(b);
                i += 1;
            }
        }
    }
    changed
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &[u8], plus: bool) -> Option<(Vec<u8>, Decoders)> {
        let mut out = Vec::new();
        percent(s, plus, &mut out).map(|d| (out, d))
    }

    fn over(s: &[u8]) -> Option<Vec<u8>> {
        let mut out = Vec::new();
        overlong(s, &mut out).then_some(out)
    }

    #[test]
    fn percent_escapes() {
        assert_eq!(
            url(b"%3Cscript%3e", false),
            Some((b"<script>".to_vec(), Decoders::URL))
        );
        assert_eq!(
            url(b"a+b%20c", true),
            Some((b"a b c".to_vec(), Decoders::URL))
        );
        assert_eq!(
            url(b"a+b%20c", false),
            Some((b"a+b c".to_vec(), Decoders::URL))
        );
        // Double encoding is undone one layer at a time.
        assert_eq!(url(b"%253C", false).map(|r| r.0), Some(b"%3C".to_vec()));
    }

    #[test]
    fn malformed_escapes_are_kept() {
        assert_eq!(url(b"100%", false), None);
        assert_eq!(url(b"%zz%4", false), None);
        assert_eq!(url(b"%u00", false), None);
        assert_eq!(
            url(b"%uD800", false),
            None,
            "a lone surrogate is not a character"
        );
        assert_eq!(url(b"plain", true), None);
        assert_eq!(url(b"%", false), None);
    }

    #[test]
    fn iis_unicode_escapes() {
        assert_eq!(
            url(b"%u003Cscript%u003E", false),
            Some((b"<script>".to_vec(), Decoders::URL_UNICODE))
        );
        assert_eq!(
            url(b"%u00e9%41", false),
            Some((
                "éA".as_bytes().to_vec(),
                Decoders::URL_UNICODE | Decoders::URL
            ))
        );
    }

    #[test]
    fn overlong_utf8() {
        assert_eq!(over(b"\xc0\xae\xc0\xae\xc0\xaf"), Some(b"../".to_vec()));
        assert_eq!(over(b"\xc1\x9c"), Some(b"\\".to_vec()));
        assert_eq!(over(b"\xe0\x80\xaf"), Some(b"/".to_vec()));
        assert_eq!(over(b"\xf0\x80\x80\xbc"), Some(b"<".to_vec()));
        assert_eq!(over(b"x\xc0"), None, "truncated");
        assert_eq!(over(b"\xc0A"), None, "not a continuation");
        // Real UTF-8 (Thai starts with E0 A0..BF) is left alone.
        assert_eq!(over("ภาษา".as_bytes()), None);
        assert_eq!(over("plain é".as_bytes()), None);
    }
}
