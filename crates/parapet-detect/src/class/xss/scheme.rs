//! Dangerous URL schemes (`javascript:`, `vbscript:`, `livescript:`, `data:` with an HTML,
//! SVG, XML or script media type), matched the way a browser reads an attribute value:
//! character references are decoded (`&#106;`, `&#x6A;`, `&colon;`, `&Tab;`), and tabs,
//! newlines, other control characters and CSS backslashes inside the scheme are ignored, so
//! `jav&#x09;ascript:` and `java\0script:` match like `javascript:`.

/// What a matched scheme runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Scheme {
    /// `javascript:`, `vbscript:`, `livescript:`: the rest is script.
    Script,
    /// `data:` with a media type a browser renders as a document or runs as script.
    DataDocument,
}

/// Reads "logical" characters: decodes character references, skips what a URL parser or an
/// old browser ignores inside a scheme. Bytes are already ASCII-lowercased.
pub(super) struct Reader<'a> {
    s: &'a [u8],
    pub(super) pos: usize,
}

/// A character reference decoded to something other than ASCII (never part of a scheme).
const OTHER: u8 = 0xff;
/// A decoded character the reader skips (a control character or whitespace reference).
const SKIP: u8 = 0;

impl<'a> Reader<'a> {
    pub(super) fn new(s: &'a [u8], pos: usize) -> Self {
        Reader { s, pos }
    }

    /// The next logical character, skipping control characters and backslashes; spaces are
    /// returned (a scheme cannot hold one).
    pub(super) fn next_char(&mut self) -> Option<u8> {
        loop {
            let b = *self.s.get(self.pos)?;
            self.pos += 1;
            let c = if b == b'&' { self.reference() } else { b };
            match c {
                SKIP | 0x01..=0x1f | b'\\' => continue,
                _ => return Some(c),
            }
        }
    }

    /// Decodes the reference after a `&` (the reader is past it); `&` itself when it is none.
    fn reference(&mut self) -> u8 {
        let rest = self.s.get(self.pos..).unwrap_or_default();
        if rest.first() == Some(&b'#') {
            let (hex, mut i) = match rest.get(1) {
                Some(b'x') => (true, 2),
                _ => (false, 1),
            };
            let start = i;
            let mut value: u32 = 0;
            while let Some(&d) = rest.get(i) {
                let digit = match d {
                    b'0'..=b'9' => u32::from(d - b'0'),
                    b'a'..=b'f' if hex => u32::from(d - b'a' + 10),
                    _ => break,
                };
                value = value
                    .saturating_mul(if hex { 16 } else { 10 })
                    .saturating_add(digit);
                i += 1;
            }
            if i == start {
                return b'&';
            }
            if rest.get(i) == Some(&b';') {
                i += 1;
            }
            self.pos += i;
            return match value {
                0..=0x20 => SKIP,
                0x21..=0x7f => (value as u8).to_ascii_lowercase(),
                _ => OTHER,
            };
        }
        for (name, c) in [
            (&b"tab;"[..], SKIP),
            (b"newline;", SKIP),
            (b"colon;", b':'),
            (b"sol;", b'/'),
            (b"lpar;", b'('),
            (b"rpar;", b')'),
            (b"plus;", b'+'),
            (b"comma;", b','),
        ] {
            if rest.starts_with(name) {
                self.pos += name.len();
                return c;
            }
        }
        b'&'
    }
}

/// Media types of `data:` URLs that a browser renders as a document or runs.
const DOCUMENT_TYPES: &[&[u8]] = &[
    b"text/html",
    b"image/svg",
    b"application/xhtml",
    b"text/xml",
    b"application/xml",
    b"text/javascript",
    b"application/javascript",
    b"application/x-javascript",
    b"text/ecmascript",
    b"application/ecmascript",
    b"text/vbscript",
];

/// Whether a dangerous scheme starts at `pos` of `lower` (leading spaces and ignorable
/// characters allowed); returns what it is and the offset just past its `:` (and, for
/// `data:`, past the media type).
pub(super) fn at(lower: &[u8], pos: usize) -> Option<(Scheme, usize)> {
    let mut r = Reader::new(lower, pos);
    let mut first = r.next_char()?;
    while first == b' ' {
        first = r.next_char()?;
    }
    let rest: &[u8] = match first {
        b'j' => b"avascript:",
        b'v' => b"bscript:",
        b'l' => b"ivescript:",
        b'd' => b"ata:",
        _ => return None,
    };
    for &want in rest {
        if r.next_char()? != want {
            return None;
        }
    }
    if first != b'd' {
        return Some((Scheme::Script, r.pos));
    }
    let after = r.pos;
    'types: for ty in DOCUMENT_TYPES {
        let mut t = Reader::new(lower, after);
        let mut c = t.next_char();
        while c == Some(b' ') {
            c = t.next_char();
        }
        for (k, &want) in ty.iter().enumerate() {
            if k > 0 {
                c = t.next_char();
            }
            if c != Some(want) {
                continue 'types;
            }
        }
        return Some((Scheme::DataDocument, t.pos));
    }
    // `data:,<svg …>`: no media type, markup right after the comma.
    let mut t = Reader::new(lower, after);
    let mut c = t.next_char();
    while c == Some(b' ') {
        c = t.next_char();
    }
    if c == Some(b',') {
        let mut c = t.next_char();
        while c == Some(b' ') {
            c = t.next_char();
        }
        if c == Some(b'<') {
            return Some((Scheme::DataDocument, t.pos));
        }
    }
    None
}

/// Whether the script after a `javascript:` at `pos` looks like code rather than prose
/// ("JavaScript: the good parts"): its first word holds a call, an assignment, an index or
/// a template.
pub(super) fn code_follows(lower: &[u8], pos: usize) -> bool {
    let mut r = Reader::new(lower, pos);
    let mut c = r.next_char();
    while c == Some(b' ') {
        c = r.next_char();
    }
    let mut n = 0;
    while let Some(ch) = c {
        match ch {
            b'(' | b'`' | b'=' | b'[' | b'{' | b'\'' | b'"' | b';' => return true,
            b' ' => return false,
            _ => {}
        }
        n += 1;
        if n > 64 {
            return false;
        }
        c = r.next_char();
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scheme(s: &str) -> Option<Scheme> {
        at(s.to_ascii_lowercase().as_bytes(), 0).map(|(k, _)| k)
    }

    #[test]
    fn plain_and_obfuscated_schemes() {
        for s in [
            "javascript:alert(1)",
            "  JavaScript:x",
            "jav&#x09;ascript:alert(1)",
            "jav\tascript:alert(1)",
            "java\0script:",
            "&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)",
            "&#0000106&#0000097vascript:alert(1)",
            "&#x6A;avascript&colon;alert(1)",
            "ja&Tab;vascr&NewLine;ipt&colon;confirm(1)",
            "\\ja\\vasc\\ript:alert(1)",
            "vbscript:msgbox(1)",
        ] {
            assert_eq!(scheme(s), Some(Scheme::Script), "{s}");
        }
        for s in [
            "data:text/html,<script>",
            "data:text/html;base64,PHNjcmlwdD4=",
            "data:image/svg+xml,<svg onload=alert(1)>",
            "DATA: text/html,x",
            " data: , <x>",
        ] {
            assert_eq!(scheme(s), Some(Scheme::DataDocument), "{s}");
        }
    }

    #[test]
    fn benign_look_alikes() {
        for s in [
            "java script:",
            "https://example.com/",
            "data:image/png;base64,iVBOR",
            "database: postgres",
            "javascripts:",
            "&amp;",
            "&#",
            "",
        ] {
            assert_eq!(scheme(s), None, "{s}");
        }
    }

    #[test]
    fn code_after_the_scheme() {
        let code = |s: &str| code_follows(s.as_bytes(), 0);
        assert!(code("alert(1)"));
        assert!(code(" window.location='x'"));
        assert!(code("alert`1`"));
        assert!(!code(" the good parts (2008)"));
        assert!(!code(""));
    }
}
