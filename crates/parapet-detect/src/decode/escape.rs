//! Backslash escapes: JavaScript and JSON string escapes (`\x3c`, `\u003c`, surrogate pairs,
//! `\u{3c}`, octal `\74`, `\n`, and `\` before any other character, which JavaScript
//! drops), and CSS escapes (`\3c `: one to six hex digits and an optional space, or `\`
//! before any other character).

use super::{Decoders, hex, push_char};

/// Decodes the JavaScript escapes of `src` into `out`. [`Decoders::JSON`] when `src` is a
/// JSON document (it starts with `{`, `[` or `"`: its strings are decoded), else
/// [`Decoders::JS`]; `None` when nothing changed.
pub(super) fn js(src: &[u8], out: &mut Vec<u8>) -> Option<Decoders> {
    let first = memchr::memchr(b'\\', src)?;
    out.extend_from_slice(&src[..first]);
    let mut i = first;
    let mut changed = false;
    while i < src.len() {
        let Some(bs) = memchr::memchr(b'\\', &src[i..]) else {
            out.extend_from_slice(&src[i..]);
            break;
        };
        out.extend_from_slice(&src[i..i + bs]);
        i += bs;
        match js_escape(&src[i + 1..], out) {
            Some(used) => {
                changed = true;
                i += 1 + used;
            }
            None => {
                out.push(b'\\');
                i += 1;
            }
        }
    }
    if !changed {
        return None;
    }
    let json = matches!(
        src.iter().find(|b| !b.is_ascii_whitespace()),
        Some(b'{' | b'[' | b'"')
    );
    Some(if json { Decoders::JSON } else { Decoders::JS })
}

/// Decodes the escape `rest` (what follows a `\`) starts with; how many bytes it used.
fn js_escape(rest: &[u8], out: &mut Vec<u8>) -> Option<usize> {
    let &c = rest.first()?;
    match c {
        b'x' => {
            let cp = hex_n(rest.get(1..3)?)?;
            push_char(out, cp).then_some(3)
        }
        b'u' if rest.get(1) == Some(&b'{') => {
            let close = rest.iter().take(9).position(|&b| b == b'}')?;
            let digits = rest.get(2..close)?;
            if digits.is_empty() || digits.len() > 6 {
                return None;
            }
            push_char(out, hex_n(digits)?).then_some(close + 1)
        }
        b'u' => {
            let hi = hex_n(rest.get(1..5)?)?;
            if (0xD800..0xDC00).contains(&hi)
                && rest.get(5..7) == Some(b"\\u")
                && let Some(lo) = rest.get(7..11).and_then(hex_n)
                && (0xDC00..0xE000).contains(&lo)
            {
                let cp = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
                return push_char(out, cp).then_some(11);
            }
            push_char(out, hi).then_some(5)
        }
        b'0'..=b'7' => {
            // Up to three octal digits, at most \377.
            let mut cp = 0u32;
            let mut len = 0;
            for &d in rest.iter().take(3) {
                if !(b'0'..=b'7').contains(&d) || cp * 8 + u32::from(d - b'0') > 0o377 {
                    break;
                }
                cp = cp * 8 + u32::from(d - b'0');
                len += 1;
            }
            push_char(out, cp).then_some(len)
        }
        b'n' => Some(simple(out, b'\n')),
        b'r' => Some(simple(out, b'\r')),
        b't' => Some(simple(out, b'\t')),
        b'b' => Some(simple(out, 0x08)),
        b'f' => Some(simple(out, 0x0C)),
        b'v' => Some(simple(out, 0x0B)),
        // A line continuation: the backslash and the line break disappear.
        b'\n' => Some(1),
        b'\r' => Some(if rest.get(1) == Some(&b'\n') { 2 } else { 1 }),
        // Any other character stands for itself (`\'`, `\"`, `\\`, `\/`, `\a`); a byte of
        // a multi-byte character is copied as is, the rest follows unchanged.
        _ => Some(simple(out, c)),
    }
}

fn simple(out: &mut Vec<u8>, b: u8) -> usize {
    out.push(b);
    1
}

/// Hex digits (at most 8) as a number.
fn hex_n(digits: &[u8]) -> Option<u32> {
    let mut cp = 0u32;
    for &d in digits.iter().take(8) {
        cp = cp << 4 | u32::from(hex(d)?);
    }
    Some(cp)
}

/// Decodes the CSS escapes of `src` into `out`. Whether anything changed.
pub(super) fn css(src: &[u8], out: &mut Vec<u8>) -> bool {
    let Some(first) = memchr::memchr(b'\\', src) else {
        return false;
    };
    out.extend_from_slice(&src[..first]);
    let mut i = first;
    let mut changed = false;
    while i < src.len() {
        let Some(bs) = memchr::memchr(b'\\', &src[i..]) else {
            out.extend_from_slice(&src[i..]);
            break;
        };
        out.extend_from_slice(&src[i..i + bs]);
        i += bs;
        let rest = &src[i + 1..];
        let digits = rest
            .iter()
            .take(6)
            .take_while(|b| b.is_ascii_hexdigit())
            .count();
        if digits > 0 {
            let cp = rest.get(..digits).and_then(hex_n).unwrap_or(0);
            // CSS reads NUL, surrogates and values past U+10FFFF as U+FFFD.
            let cp = if cp == 0 || char::from_u32(cp).is_none() {
                0xFFFD
            } else {
                cp
            };
            // Never longer: `\0` (2 bytes) would become U+FFFD (3 bytes); keep it.
            if digits + 1 >= char::from_u32(cp).map_or(4, char::len_utf8) && push_char(out, cp) {
                let mut used = 1 + digits;
                match rest.get(digits) {
                    Some(b'\r') if rest.get(digits + 1) == Some(&b'\n') => used += 2,
                    Some(b' ' | b'\t' | b'\n' | b'\r' | 0x0C) => used += 1,
                    _ => {}
                }
                changed = true;
                i += used;
                continue;
            }
            out.push(b'\\');
            i += 1;
            continue;
        }
        match rest.first() {
            // A line continuation inside a CSS string.
            Some(b'\n' | 0x0C) => {
                changed = true;
                i += 2;
            }
            Some(&c) if c != b'\r' => {
                out.push(c);
                changed = true;
                i += 2;
            }
            _ => {
                out.push(b'\\');
                i += 1;
            }
        }
    }
    changed
}

#[cfg(test)]
mod tests {
    use super::*;

    fn js_(s: &str) -> Option<(String, Decoders)> {
        let mut out = Vec::new();
        js(s.as_bytes(), &mut out).map(|d| (String::from_utf8_lossy(&out).into_owned(), d))
    }

    fn j(s: &str) -> Option<String> {
        js_(s).map(|r| r.0)
    }

    fn c(s: &str) -> Option<String> {
        let mut out = Vec::new();
        css(s.as_bytes(), &mut out).then(|| String::from_utf8_lossy(&out).into_owned())
    }

    #[test]
    fn js_hex_and_unicode() {
        assert_eq!(
            js_(r"\x3cscript\x3E"),
            Some(("<script>".into(), Decoders::JS))
        );
        assert_eq!(j(r"\u003cimg\u003E").as_deref(), Some("<img>"));
        assert_eq!(j(r"\u{3c}\u{1F600}").as_deref(), Some("<😀"));
        assert_eq!(j(r"\ud83d\ude00").as_deref(), Some("😀"));
        assert_eq!(j(r"\74\76\0").as_deref(), Some("<>\0"));
        assert_eq!(j(r"\101\1011").as_deref(), Some("AA1"));
    }

    #[test]
    fn js_simple_escapes() {
        assert_eq!(
            j(r#"a\'b\"c\\d\/e\nf\tg"#).as_deref(),
            Some("a'b\"c\\d/e\nf\tg")
        );
        assert_eq!(j("a\\\nb").as_deref(), Some("ab"));
        assert_eq!(j(r"\a\l\e\r\t").as_deref(), Some("ale\r\t"));
    }

    #[test]
    fn js_malformed_escapes_are_kept() {
        assert_eq!(j(r"\x4"), None);
        assert_eq!(j(r"\u12"), None);
        assert_eq!(j(r"\u{110000}"), None);
        assert_eq!(j(r"\u{}"), None);
        assert_eq!(j(r"\ud800"), None, "a lone surrogate");
        assert_eq!(j("\\"), None);
        assert_eq!(j("no escapes"), None);
    }

    #[test]
    fn json_documents_are_tagged() {
        assert_eq!(
            js_(r#"{"q":"\u0027 or 1=1--"}"#),
            Some((r#"{"q":"' or 1=1--"}"#.into(), Decoders::JSON))
        );
        // A JSON string inside a JSON string: one layer per round.
        assert_eq!(
            j(r#"{\"q\":\"\\u003c\"}"#).as_deref(),
            Some(r#"{"q":"\u003c"}"#)
        );
    }

    #[test]
    fn css_escapes() {
        assert_eq!(c(r"\3c script\3e").as_deref(), Some("<script>"));
        assert_eq!(c(r"\000073 cript").as_deref(), Some("script"));
        assert_eq!(c(r"ja\vascript").as_deref(), Some("javascript"));
        assert_eq!(c(r"\75 rl(").as_deref(), Some("url("));
        assert_eq!(c(r"\0"), None, "U+FFFD would be longer");
        assert_eq!(c("plain"), None);
        assert_eq!(c("\\"), None);
    }
}
