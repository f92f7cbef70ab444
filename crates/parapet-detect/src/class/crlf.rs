//! CRLF injection: header injection and HTTP response splitting through values that reach
//! response headers (redirect targets, cookies, language switches), request smuggling
//! through values that reach a back-end request line, and line breaks in names and paths.
//!
//! How: `memchr2` for CR/LF (nothing to do for the common value without one, except the
//! request-line check, gated on `http/`); after a line break, a header name and a colon, a
//! status line (`HTTP/1.1 200`), a blank line, or a request line (`GET / HTTP/1.1`).

use crate::decode::Decoders;
use crate::detector::{Detector, Features, Input, Sink, WordSet};
use crate::location::Part;
use crate::rule::{Class, Rule, Severity};

/// A line break followed by a header field (`\r\nSet-Cookie: …`).
pub(crate) static HEADER_INJECTION: Rule = Rule {
    id: "crlf.header-injection",
    class: Class::Crlf,
    paranoia: 1,
    severity: Severity::Critical,
    description: "CR/LF followed by a header field (header injection)",
};

/// A line break followed by a status line or an empty line: a second response.
pub(crate) static RESPONSE_SPLITTING: Rule = Rule {
    id: "crlf.response-splitting",
    class: Class::Crlf,
    paranoia: 1,
    severity: Severity::Critical,
    description: "HTTP response splitting (status line or blank line after CR/LF)",
};

/// A request line (`GET /x HTTP/1.1`) inside a value: request smuggling or splitting.
pub(crate) static REQUEST_LINE: Rule = Rule {
    id: "crlf.request-smuggling",
    class: Class::Crlf,
    paranoia: 1,
    severity: Severity::Critical,
    description: "HTTP request line inside a value (request smuggling)",
};

/// A line break in a parameter name, cookie name, file name or path segment.
pub(crate) static NEWLINE_IN_NAME: Rule = Rule {
    id: "crlf.newline-in-name",
    class: Class::Crlf,
    paranoia: 1,
    severity: Severity::Critical,
    description: "CR/LF in a parameter name, path or file name",
};

/// A line break in a query-string value.
pub(crate) static NEWLINE_IN_QUERY: Rule = Rule {
    id: "crlf.newline-in-query",
    class: Class::Crlf,
    paranoia: 2,
    severity: Severity::Critical,
    description: "CR/LF in a query-string value",
};

/// `<meta http-equiv="Refresh|Set-Cookie|Location">`: response headers set from markup.
pub(crate) static META_HTTP_EQUIV: Rule = Rule {
    id: "crlf.meta-http-equiv",
    class: Class::Crlf,
    paranoia: 1,
    severity: Severity::Critical,
    description: "<meta http-equiv> setting a refresh, cookie or location",
};

/// The crlf detector.
pub(crate) static DETECTOR: Detector = Detector {
    class: Class::Crlf,
    rules: &[
        &HEADER_INJECTION,
        &RESPONSE_SPLITTING,
        &REQUEST_LINE,
        &NEWLINE_IN_NAME,
        &NEWLINE_IN_QUERY,
        &META_HTTP_EQUIV,
    ],
    alnum: false,
    scan,
};

/// Methods a smuggled request line may start with.
const METHODS: &[&[u8]] = &[
    b"get",
    b"post",
    b"head",
    b"put",
    b"delete",
    b"options",
    b"trace",
    b"connect",
    b"patch",
    b"propfind",
];

/// Whether `part` is one where a line break has no business (it is a name or a path).
fn is_name_part(part: Part) -> bool {
    matches!(
        part,
        Part::QueryName | Part::CookieName | Part::FileName | Part::Path | Part::Method
    )
}

/// Whether a line break in `part` may reach a response or request header: everything but
/// body text, where multi-line text is ordinary; a body value counts when its first line
/// has no space (an address or an id, as such payloads start, or nothing: the value opens
/// with the line break) and opens no iCalendar or vCard object.
fn header_bound(part: Part, lower: &[u8], first_break: usize) -> bool {
    match part {
        Part::Body | Part::BodyKey => {
            let first_line = &lower[..first_break];
            !first_line.contains(&b' ') && !calendar_or_card(first_line)
        }
        _ => true,
    }
}

/// Whether a body value's first line opens an iCalendar or vCard object (`BEGIN:VEVENT`,
/// `BEGIN:VCARD`): its property lines (`LOCATION:Room 4`) are the format's, and such a
/// document is stored or sent as a file, not copied into a response header.
fn calendar_or_card(first_line: &[u8]) -> bool {
    matches!(
        first_line,
        b"begin:vcalendar" | b"begin:vevent" | b"begin:vtodo" | b"begin:vjournal" | b"begin:vcard"
    )
}

/// The words looked for, for the [`super::TRIGGER_WORDS`], in the order of [`Word`].
pub(super) const WORDS: [&[u8]; 2] = [b"http-equiv", b"http/"];

/// The index of each word in [`WORDS`].
#[derive(Clone, Copy)]
enum Word {
    HttpEquiv = 0,
    Http = 1,
}

fn scan(input: &Input<'_>, sink: &mut Sink<'_>) {
    let lower = input.lower;
    if input.features.any(Features::DASH)
        && let Some(at) = input
            .word_starts(WordSet::Crlf, Word::HttpEquiv as usize)
            .next()
    {
        let rest = &lower[at + 10..lower.len().min(at + 40)];
        let rest: Vec<u8> = rest
            .iter()
            .copied()
            .filter(|b| b.is_ascii_alphabetic() || *b == b'-')
            .collect();
        if rest.starts_with(b"refresh")
            || rest.starts_with(b"set-cookie")
            || rest.starts_with(b"location")
        {
            sink.report(&META_HTTP_EQUIV, at..at + 10);
        }
    }
    if input.features.any(Features::SLASH) {
        request_line(
            lower,
            input.word_starts(WordSet::Crlf, Word::Http as usize),
            sink,
        );
    }
    if !input.features.any(Features::NEWLINE) {
        return;
    }
    let Some(first) = memchr::memchr2(b'\r', b'\n', lower) else {
        return;
    };
    if is_name_part(input.part) {
        sink.report(&NEWLINE_IN_NAME, first..first + 1);
    }
    // A line break a script's escape spells (`\r` in a regular expression, `C:\reports`)
    // is two characters in the query string, which no header receives as a line break.
    if input.part == Part::Query && !input.decoded_by.intersects(Decoders::JS) {
        sink.report(&NEWLINE_IN_QUERY, first..first + 1);
    }
    if !header_bound(input.part, lower, first) {
        return;
    }
    for nl in memchr::memchr2_iter(b'\r', b'\n', lower) {
        let mut i = nl;
        while i < lower.len() && matches!(lower[i], b'\r' | b'\n') {
            i += 1;
        }
        let breaks = &lower[nl..i];
        let line = &lower[i..];
        let blank_line = breaks.windows(2).filter(|w| w == b"\r\n").count() >= 2
            || breaks.iter().filter(|&&b| b == b'\n').count() >= 2;
        if blank_line && !line.is_empty() && input.part != Part::Body {
            sink.report(&RESPONSE_SPLITTING, nl..i);
        }
        if line.starts_with(b"http/1.") || line.starts_with(b"http/2") {
            sink.report(&RESPONSE_SPLITTING, nl..i + 6);
        }
        if let Some(end) = header_field(line) {
            // In body text (YAML, notes) `word:` lines are ordinary: only response headers
            // count there.
            let name = &line[..end - 1].trim_ascii_end();
            if input.part != Part::Body || RESPONSE_HEADERS.contains(name) {
                sink.report(&HEADER_INJECTION, nl..i + end);
            }
        }
    }
}

/// Response headers an injection into a body value would aim at.
const RESPONSE_HEADERS: &[&[u8]] = &[
    b"set-cookie",
    b"location",
    b"content-type",
    b"content-length",
    b"refresh",
    b"transfer-encoding",
    b"content-security-policy",
    b"access-control-allow-origin",
    b"x-xss-protection",
    b"cache-control",
    b"content-disposition",
];

/// Whether `line` starts with `Header-Name:` (blanks and stray line breaks allowed before
/// the colon); the end of the name and colon.
fn header_field(line: &[u8]) -> Option<usize> {
    let name = line
        .iter()
        .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'%'))
        .count();
    if name < 2 || !line[0].is_ascii_alphabetic() {
        return None;
    }
    let mut j = name;
    while j < line.len() && matches!(line[j], b' ' | b'\t' | b'\r' | b'\n') {
        j += 1;
    }
    (line.get(j) == Some(&b':')).then_some(j + 1)
}

/// Reports `METHOD target HTTP/d.d` anywhere in the value (`versions`: where `http/` is).
fn request_line(lower: &[u8], versions: impl Iterator<Item = usize>, sink: &mut Sink<'_>) {
    for at in versions {
        let version = &lower[at + 5..];
        if !(version.first().is_some_and(u8::is_ascii_digit)) {
            continue;
        }
        // A request line ends the value or its line: a log line or prose quoting one goes
        // on (`"GET /a.gif HTTP/1.0" 200 2326`, `GET /api/orders HTTP/1.1 200`).
        let digits = version
            .iter()
            .take_while(|c| c.is_ascii_digit() || **c == b'.')
            .count();
        let after = version[digits..]
            .iter()
            .find(|c| !matches!(c, b' ' | b'\t'));
        if !matches!(after, None | Some(b'\r' | b'\n')) {
            continue;
        }
        // Back over ` target `, then the method.
        let before = &lower[..at];
        let Some(b) = before.strip_suffix(b" ") else {
            continue;
        };
        let Some(space) = b.iter().rposition(|&c| c == b' ') else {
            continue;
        };
        let target = &b[space + 1..];
        if target.is_empty()
            || !(target.starts_with(b"/") || target.starts_with(b"http") || target == b"*")
        {
            continue;
        }
        let m = &b[..space];
        let start = m
            .iter()
            .rposition(|c| !c.is_ascii_alphabetic())
            .map_or(0, |p| p + 1);
        // The method may be glued to what precedes it (`barGET /`): a suffix will do.
        if METHODS.iter().any(|method| m[start..].ends_with(method)) {
            sink.report(&REQUEST_LINE, start..at + 8.min(lower.len() - at));
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detector::matches;

    fn ids(part: Part, text: &str) -> Vec<&'static str> {
        matches(&DETECTOR, part, "q", text, 1)
    }

    #[test]
    fn a_line_break_spelled_by_a_script_escape_is_none_in_a_query() {
        let settings = crate::Settings {
            paranoia: 2,
            ..crate::Settings::default()
        };
        let engine = crate::Engine::new(settings).expect("valid settings");
        let ids = |query: &str| -> Vec<&'static str> {
            let mut scan = engine.scan();
            scan.query(query);
            scan.finish().hits.iter().map(|h| h.rule.id).collect()
        };
        // `C:\data\raw`, `\r\n` in a pattern.
        assert!(ids("path=C%3A%5Cdata%5Craw").is_empty());
        assert!(ids("pattern=%5Cr%5Cn").is_empty());
        // Sent as such, or as a character reference, it is one.
        assert!(ids("q=a%0D%0Ab").contains(&"crlf.newline-in-query"));
        assert!(ids("q=a%26%2310%3Bb").contains(&"crlf.newline-in-query"));
    }

    #[test]
    fn header_injection_and_splitting() {
        assert!(
            ids(
                Part::Query,
                "foobar\r\nContent-Length: 0\r\n\r\nHTTP/1.1 200 OK"
            )
            .contains(&"crlf.header-injection")
        );
        assert_eq!(
            ids(Part::Header, "Headerdata\rInjectedHeader: x"),
            ["crlf.header-injection"]
        );
        assert!(ids(Part::Query, "\r\nRemote-addr\r\r\r: foo").contains(&"crlf.header-injection"));
        assert_eq!(
            ids(Part::Cookie, "munch\r\n\r\n<HTML>"),
            ["crlf.response-splitting"]
        );
        assert_eq!(
            ids(Part::Body, "a@b.c\nSet-Cookie: x=1"),
            ["crlf.header-injection"]
        );
        // An iCalendar event's properties; the same lines after a plain first line.
        let event = "BEGIN:VEVENT\r\nSUMMARY:Dentist\r\nLOCATION:Room 4.01\r\nEND:VEVENT";
        assert!(ids(Part::Body, event).is_empty());
        assert_eq!(
            ids(Part::Body, "VEVENT\r\nLOCATION:Room 4.01"),
            ["crlf.header-injection"]
        );
        assert!(ids(Part::Header, event).contains(&"crlf.header-injection"));
    }

    #[test]
    fn request_lines() {
        assert_eq!(
            ids(Part::Body, "barGET /a.html HTTP/1.1"),
            ["crlf.request-smuggling"]
        );
        assert_eq!(
            ids(Part::Query, "GET http://www.foo.bar HTTP/1.2"),
            ["crlf.request-smuggling"]
        );
        assert!(ids(Part::Body, "we use HTTP/2 for get requests").is_empty());
        // It ends its line, trailing blanks aside; in a log line or prose, text follows.
        assert_eq!(
            ids(Part::Body, "x\r\nGET /admin HTTP/1.1 \r\nHost: a"),
            ["crlf.request-smuggling"]
        );
        for benign in [
            "127.0.0.1 - - [10/Oct/2000:13:55:36 -0700] \"GET /a.gif HTTP/1.0\" 200 2326",
            "Our logs show GET /api/orders HTTP/1.1 200",
        ] {
            assert!(ids(Part::Body, benign).is_empty(), "{benign}");
        }
    }

    #[test]
    fn names_and_benign_text() {
        assert_eq!(ids(Part::QueryName, "param\r\n"), ["crlf.newline-in-name"]);
        assert_eq!(ids(Part::Path, "foo\nbar"), ["crlf.newline-in-name"]);
        assert!(ids(Part::Body, "Dear team,\nNote: the build failed.\n\nThanks").is_empty());
        assert!(ids(Part::Body, "line one\nline two").is_empty());
        assert_eq!(
            ids(Part::Body, "\r\nContent-Length: 0"),
            ["crlf.header-injection"]
        );
        assert!(ids(Part::Body, "\nNote: bring a coat").is_empty());
        assert!(ids(Part::Body, "stages:\n  - test\n\ntest:\n  image: x").is_empty());
        assert_eq!(
            ids(Part::Query, "x<meta http-equiv=\"Refresh\" content=\"0\">"),
            ["crlf.meta-http-equiv"]
        );
    }
}
