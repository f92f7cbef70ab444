//! CSS that runs code: IE's `expression(…)`, Mozilla's `-moz-binding` (and the drafted
//! `binding`), IE's `behavior:` (HTC components). CSS lets an attacker hide these behind
//! comments (`exp/**/ression(`), backslashes (`exp\ression`) and whitespace, so the text is
//! read with those removed.
//!
//! Also CSS injection into a style attribute ([`injection`]): text that leaves the
//! declaration list the attribute holds, through a brace or bracket that CSS error recovery
//! treats as a block, an unquoted `url(` that swallows `;`, spaces or a comment, or CSS
//! escapes of `<` and `>` that rebuild markup.

use crate::needle;
use memchr::memmem::Finder;
use std::sync::LazyLock;

/// Needles inside a style attribute or a `<style>` element.
const IN_STYLE: &[&[u8]] = &[
    b"expression(",
    b"binding:",
    b"behavior:",
    b"behaviour:",
    b"javascript:",
    b"vbscript:",
    b"@import",
];

/// Needles anywhere in a value: the property separator must be there, so that prose about
/// "a regular expression (…)" does not match.
const ANYWHERE: &[&[u8]] = &[
    b":expression(",
    b"-moz-binding:",
    b"behavior:url(",
    b"url(javascript",
    b"url(vbscript",
];

static BINDING: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b"binding"));

/// Whether a value may hold one of the needles [`code`] looks for anywhere: every one has
/// a `(` or the word `binding`, unless an escape or a comment spells it.
pub(super) fn may_run(text: &[u8]) -> bool {
    memchr::memchr2(b'(', b'\\', text).is_some()
        || memchr::memchr_iter(b'/', text).any(|p| text.get(p + 1) == Some(&b'*'))
        || (memchr::memchr(b'b', text).is_some() && BINDING.find(text).is_some())
}

/// Where (offset in `css`) code-running CSS begins, if any; `anywhere` selects the stricter
/// needles for values that are not known to be CSS.
pub(super) fn code(css: &[u8], anywhere: bool) -> Option<usize> {
    let needles = if anywhere { ANYWHERE } else { IN_STYLE };
    // Progress into each needle, and where its current partial match began.
    let mut progress = [0usize; 7];
    let mut began = [0usize; 7];
    let mut i = 0;
    while i < css.len() {
        let b = css[i];
        if b == b'/' && css.get(i + 1) == Some(&b'*') {
            i = needle::find(&css[i + 2..], b"*/").map_or(css.len(), |e| i + 2 + e + 2);
            continue;
        }
        i += 1;
        let b = if b == b'\\' {
            // A CSS escape: `\28` is `(`; a backslash before anything else is dropped.
            let after = i;
            let mut value = 0u32;
            let mut n = 0;
            while n < 6
                && let Some(d) = css.get(i).and_then(|&d| (d as char).to_digit(16))
            {
                value = value * 16 + d;
                i += 1;
                n += 1;
            }
            match u8::try_from(value) {
                Ok(c) if n > 0 && (0x21..0x7f).contains(&c) => {
                    if css.get(i) == Some(&b' ') {
                        i += 1;
                    }
                    c.to_ascii_lowercase()
                }
                // Not an escape of a printable character (old parsers dropped the backslash).
                _ => {
                    i = after;
                    continue;
                }
            }
        } else {
            b
        };
        if b <= b' ' {
            continue;
        }
        for (n, needle) in needles.iter().enumerate() {
            if needle.get(progress[n]) == Some(&b) {
                if progress[n] == 0 {
                    began[n] = i - 1;
                }
                progress[n] += 1;
                if progress[n] == needle.len() {
                    return Some(began[n]);
                }
            } else if needle.first() == Some(&b) {
                progress[n] = 1;
                began[n] = i - 1;
            } else {
                progress[n] = 0;
            }
        }
    }
    None
}

/// Whether a style attribute's value leaves its declaration list: a `{`, `}`, `[` or `]`
/// (template placeholders `{{…}}` aside), an unquoted `url(…)` holding blanks, `;`, `{`,
/// `}` or a comment (a `data:` URL may hold `;`), or a CSS escape of `<` or `>`.
pub(super) fn injection(style: &[u8]) -> bool {
    if needle::find(style, b"{{").is_none()
        && style
            .iter()
            .any(|&b| matches!(b, b'{' | b'}' | b'[' | b']'))
    {
        return true;
    }
    for at in needle::find_iter(style, b"url(") {
        let inner = style[at + 4..].trim_ascii_start();
        if matches!(inner.first(), Some(b'"' | b'\'')) {
            continue;
        }
        let end = memchr::memchr(b')', inner).unwrap_or(inner.len());
        let url = inner[..end].trim_ascii_end();
        let data = url.starts_with(b"data:");
        if url
            .iter()
            .any(|&b| b <= b' ' || b == b'{' || b == b'}' || (b == b';' && !data))
            || needle::find(url, b"/*").is_some()
        {
            return true;
        }
    }
    // `\3c`, `\00003e`: an escaped angle bracket.
    for at in memchr::memchr_iter(b'\\', style) {
        let hex: &[u8] = style.get(at + 1..).unwrap_or_default();
        let digits = hex
            .iter()
            .take(6)
            .take_while(|b| b.is_ascii_hexdigit())
            .count();
        let value = hex[..digits]
            .iter()
            .fold(0u32, |v, &d| v * 16 + (d as char).to_digit(16).unwrap_or(0));
        if digits > 0 && matches!(value, 0x3c | 0x3e) {
            return true;
        }
    }
    false
}

/// Where a style sheet escapes an at-rule or a value's first character (`@\69mport`,
/// `=\…`): a backslash right after `@` or `=` spells a keyword only a filter evasion
/// hides (CSS names fonts and content through quoted strings).
pub(super) fn escaped_rule(css: &[u8]) -> Option<usize> {
    memchr::memchr_iter(b'\\', css)
        .find(|&at| at > 0 && matches!(css[at - 1], b'@' | b'='))
        .map(|at| at - 1)
}

#[cfg(test)]
mod tests {
    use super::{code, escaped_rule, injection};

    #[test]
    fn escaped_at_rules() {
        assert_eq!(escaped_rule(br"@\69mport url(x)"), Some(0));
        assert_eq!(escaped_rule(br"a{b:c}=\x"), Some(6));
        assert_eq!(escaped_rule(br#"p::before{content:"\201c"}"#), None);
        assert_eq!(escaped_rule(br"@media print{p{margin:0}}"), None);
    }

    #[test]
    fn style_injection() {
        for s in [
            "font-family:foo}color=red;",
            "font-family:'foo[a];color:red;'",
            "background:url(http://foo.f/f oo/;color:red/*/foo.jpg);",
            "background:url(/f#[a]oo/;color:red/*/foo.jpg);",
            "font-family:',;a\\22\\3e\\3cimg\\20src\\3dx:1'",
        ] {
            assert!(injection(s.as_bytes()), "{s}");
        }
        for s in [
            "color: red; font-weight: bold",
            "background:url(https://example.com/a.png) no-repeat",
            "background-image:url('https://example.com/a b.png')",
            "background:url(data:image/png;base64,iVBOR)",
            "color: {{ theme.color }}",
            "font-family:\\5fae\\8f6f\\96c5\\9ed1",
        ] {
            assert!(!injection(s.as_bytes()), "{s}");
        }
    }

    #[test]
    fn code_running_css() {
        for s in [
            "width: expression(alert(1))",
            "x:exp/**/ression(alert(1))",
            "xss:expr\\ession(alert(1))",
            "-moz-binding:url(http://x/xss.xml#xss)",
            "behavior: url(xss.htc)",
            "x:expression\\28write(1)\\29",
            "background-image:\\0075\\0072\\006C\\0028'\\006a\\0061\\0076\\0061\\0073\\0063\\0072\\0069\\0070\\0074\\003a",
            "@im\\port'http://x/x.css'",
        ] {
            assert!(code(s.as_bytes(), false).is_some(), "{s}");
        }
        assert!(code(b"background:x;width:expression(alert(1))", true).is_some());
        assert!(code(b"-moz-binding: url(x)", true).is_some());
    }

    #[test]
    fn ordinary_css_and_prose() {
        for s in [
            "color: red; font-weight: bold",
            "background: url(https://example.com/a.png)",
            "text-align:center;margin:0 auto",
        ] {
            assert!(code(s.as_bytes(), false).is_none(), "{s}");
        }
        assert!(code(b"use a regular expression (regex) here", true).is_none());
        assert!(code(b"the expression(x) evaluates", true).is_none());
    }
}
