//! HTML character references: named ones (a compact table of the names that spell ASCII
//! punctuation and whitespace, the characters markup and script attacks are made of),
//! decimal (`&#60;`) and hexadecimal (`&#x3C;`), with or without the closing `;` and with
//! any number of leading zeros, as browsers read them.

use super::push_char;

/// Named references, lowercase (matched without regard to case: `&LT;` and `&Tab;` are
/// references too), with the text they stand for. Every name is at least as long as its
/// text's UTF-8, so decoding never lengthens a value.
const NAMED: &[(&[u8], &str)] = &[
    (b"amp", "&"),
    (b"apos", "'"),
    (b"ast", "*"),
    (b"bsol", "\\"),
    (b"colon", ":"),
    (b"comma", ","),
    (b"commat", "@"),
    (b"dollar", "$"),
    (b"equals", "="),
    (b"excl", "!"),
    (b"grave", "`"),
    (b"gt", ">"),
    (b"hat", "^"),
    (b"lbrace", "{"),
    (b"lbrack", "["),
    (b"lcub", "{"),
    (b"lowbar", "_"),
    (b"lpar", "("),
    (b"lsqb", "["),
    (b"lt", "<"),
    (b"midast", "*"),
    (b"nbsp", "\u{a0}"),
    (b"newline", "\n"),
    (b"num", "#"),
    (b"percnt", "%"),
    (b"period", "."),
    (b"plus", "+"),
    (b"quest", "?"),
    (b"quot", "\""),
    (b"rbrace", "}"),
    (b"rbrack", "]"),
    (b"rcub", "}"),
    (b"rpar", ")"),
    (b"rsqb", "]"),
    (b"semi", ";"),
    (b"sol", "/"),
    (b"tab", "\t"),
    (b"verbar", "|"),
    (b"vert", "|"),
];

/// The legacy names browsers also accept without the `;` (`&ltscript`).
const LEGACY: &[&[u8]] = &[b"amp", b"gt", b"lt", b"nbsp", b"quot"];

/// The longest name in [`NAMED`].
const LONGEST: usize = 7;

/// Decodes the character references of `src` into `out`; references that are not
/// understood are kept. Whether anything changed.
pub(super) fn decode(src: &[u8], out: &mut Vec<u8>) -> bool {
    let Some(first) = memchr::memchr(b'&', src) else {
        return false;
    };
    out.extend_from_slice(&src[..first]);
    let mut changed = false;
    let mut i = first;
    while i < src.len() {
        let Some(amp) = memchr::memchr(b'&', &src[i..]) else {
            out.extend_from_slice(&src[i..]);
            break;
        };
        out.extend_from_slice(&src[i..i + amp]);
        i += amp;
        match reference(&src[i + 1..], out) {
            Some(used) => {
                changed = true;
                i += 1 + used;
            }
            None => {
                out.push(b'&');
                i += 1;
            }
        }
    }
    changed
}

/// Decodes the reference that `rest` (what follows a `&`) starts with, appending its text;
/// how many bytes of `rest` it used, or `None` (nothing appended).
fn reference(rest: &[u8], out: &mut Vec<u8>) -> Option<usize> {
    if rest.first() == Some(&b'#') {
        return numeric(&rest[1..], out).map(|n| n + 1);
    }
    let name_len = rest
        .iter()
        .take(LONGEST + 1)
        .take_while(|b| b.is_ascii_alphanumeric())
        .count();
    let name = &rest[..name_len];
    if rest.get(name_len) == Some(&b';')
        && let Some(text) = lookup(name)
    {
        out.extend_from_slice(text.as_bytes());
        return Some(name_len + 1);
    }
    // Without the `;`, the longest legacy name the reference starts with.
    let (len, text) = LEGACY
        .iter()
        .filter(|n| name.len() >= n.len() && name[..n.len()].eq_ignore_ascii_case(n))
        .map(|n| (n.len(), lookup(n)))
        .max_by_key(|(len, _)| *len)?;
    out.extend_from_slice(text?.as_bytes());
    Some(len)
}

fn lookup(name: &[u8]) -> Option<&'static str> {
    NAMED
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, t)| *t)
}

/// Decodes `x3C;`, `60`, `0000060;` (what follows `&#`); how many bytes it used.
fn numeric(rest: &[u8], out: &mut Vec<u8>) -> Option<usize> {
    let (radix, start) = match rest.first() {
        Some(b'x' | b'X') => (16, 1),
        _ => (10, 0),
    };
    let mut cp: u32 = 0;
    let mut len = start;
    for &b in &rest[start..] {
        let Some(d) = (b as char).to_digit(radix) else {
            break;
        };
        // Past U+10FFFF the reference is not a character: stop growing (no overflow).
        cp = (cp.saturating_mul(radix) + d).min(0x11_0000);
        len += 1;
    }
    if len == start {
        return None;
    }
    if !push_char(out, cp) {
        return None;
    }
    Some(if rest.get(len) == Some(&b';') {
        len + 1
    } else {
        len
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn html(s: &str) -> Option<String> {
        let mut out = Vec::new();
        decode(s.as_bytes(), &mut out).then(|| String::from_utf8_lossy(&out).into_owned())
    }

    #[test]
    fn named() {
        assert_eq!(html("&lt;script&gt;").as_deref(), Some("<script>"));
        assert_eq!(html("&LT;b&GT;").as_deref(), Some("<b>"));
        assert_eq!(
            html("javascript&colon;alert&lpar;1&rpar;").as_deref(),
            Some("javascript:alert(1)")
        );
        assert_eq!(
            html("java&Tab;script&NewLine;&quot;&apos;&sol;&bsol;&semi;&equals;").as_deref(),
            Some("java\tscript\n\"'/\\;=")
        );
        assert_eq!(html("a&nbsp;b").as_deref(), Some("a\u{a0}b"));
    }

    #[test]
    fn legacy_names_without_semicolon() {
        assert_eq!(html("&ltscript&gt").as_deref(), Some("<script>"));
        assert_eq!(html("&quotx").as_deref(), Some("\"x"));
        // Other names need their `;`.
        assert_eq!(html("&colonx"), None);
    }

    #[test]
    fn numeric_references() {
        assert_eq!(html("&#60;&#x3e;").as_deref(), Some("<>"));
        assert_eq!(html("&#60&#X3C").as_deref(), Some("<<"));
        assert_eq!(html("&#0000060;&#x00003c").as_deref(), Some("<<"));
        assert_eq!(html("&#233;").as_deref(), Some("é"));
        assert_eq!(html("&#128512;").as_deref(), Some("😀"));
    }

    #[test]
    fn not_references() {
        assert_eq!(html("Tom & Jerry"), None);
        assert_eq!(html("a=1&b=2&c"), None);
        assert_eq!(html("&#;&#x;&unknown;&"), None);
        assert_eq!(html("&#xD800;"), None, "a surrogate is not a character");
        assert_eq!(html("&#99999999999999999999;"), None);
        assert_eq!(html("AT&T"), None);
    }

    #[test]
    fn double_encoding_is_undone_one_layer_at_a_time() {
        assert_eq!(html("&amp;lt;").as_deref(), Some("&lt;"));
    }

    #[test]
    fn never_longer() {
        for (name, text) in NAMED {
            assert!(name.len() + 1 >= text.len(), "{name:?}");
            assert!(name.len() <= LONGEST);
        }
        for name in LEGACY {
            assert!(lookup(name).is_some());
        }
    }
}
