//! Protocol anomalies a value can carry: NUL bytes and control characters, invalid or
//! overlong UTF-8 and IIS `%u` encodings, JavaScript escapes of plain letters, abusive or
//! malformed `Range` headers and the obsolete `Request-Range`, content types and charsets
//! that bypass body parsers (`charset=utf-7`, a `boundary` on a non-multipart type or none
//! on a multipart one, repeated or malformed parameters, a media type that is not
//! `type/subtype`, an unregistered `multipart/` subtype, a charset re-declared by
//! `X-Up-Devcap-Post-Charset` or a form's `_charset_` field), malformed fetch-metadata
//! headers, a `Connection` header repeating an option or asking for both `keep-alive` and
//! `close`, headers that proxies and WebDAV servers act on (a `Content-Range` only when it
//! is not a well-formed upload range), HTTP-method overrides (`_method` holding any 3–10
//! letter token, but a posted form's `_method=post`), `unix:` socket targets for mod_proxy,
//! version-1 cookies, backup and secret file extensions in the path, scanners' User-Agents,
//! multipart field and file names that split Content-Disposition parsers (`"`, `;`, `=`),
//! `Accept` charsets response inspection cannot read, over-long or unknown
//! `Accept-Encoding`, a request `Content-Encoding` (bodies are not inflated, so not
//! inspected), and at paranoia 2–4 `Accept-Charset`, a letter or digit percent-encoded
//! twice (`%2561`), any `Range`, malformed `Cache-Control`, array parameter names with a
//! tail (`foo[1]a`) and header values outside CRS's header byte range.
//!
//! HTTP framing (missing or duplicate `Host`, `Content-Length` against `Transfer-Encoding`,
//! request-line syntax) is the gateway's HTTP layer's business: it refuses such requests
//! before any value is inspected, so it is not repeated here. What only the request as a
//! whole shows (a body on GET, a missing header, repeated parameters) is out of a value's
//! sight.
//!
//! How: byte tests first (a scan for bytes below 0x20 or above 0x7E, which a plain value
//! does not have); header rules run only for the header they are about, by name.

use crate::decode::{Decoders, hex};
use crate::detector::{Detector, Features, Input, Sink, WordSet};
use crate::location::Part;
use crate::needle;
use crate::rule::{Class, Rule, Severity};

/// A NUL byte.
pub(crate) static NUL: Rule = Rule {
    id: "protocol.nul-byte",
    class: Class::Protocol,
    paranoia: 1,
    severity: Severity::Critical,
    description: "NUL byte in a value",
};

/// A control character (other than tab, CR, LF) outside the body.
pub(crate) static CONTROL: Rule = Rule {
    id: "protocol.control-char",
    class: Class::Protocol,
    paranoia: 1,
    severity: Severity::Critical,
    description: "control character in a name, path, query, header or cookie",
};

/// A control character in a body value.
pub(crate) static BODY_CONTROL: Rule = Rule {
    id: "protocol.body-control-char",
    class: Class::Protocol,
    paranoia: 2,
    severity: Severity::Warning,
    description: "control character in a body value",
};

/// Overlong or impossible UTF-8 (`%C0%AF`, bytes F5–FF): the classic filter bypass.
pub(crate) static OVERLONG: Rule = Rule {
    id: "protocol.overlong-utf8",
    class: Class::Protocol,
    paranoia: 1,
    severity: Severity::Critical,
    description: "overlong or impossible UTF-8 encoding",
};

/// Other invalid UTF-8 (truncated sequences, stray continuation bytes) in decoded text.
pub(crate) static INVALID_UTF8: Rule = Rule {
    id: "protocol.invalid-utf8",
    class: Class::Protocol,
    paranoia: 1,
    severity: Severity::Critical,
    description: "invalid UTF-8 in a percent-decoded value",
};

/// IIS `%uXXXX` encoding, or a JavaScript escape of a plain ASCII letter.
pub(crate) static UNICODE_ESCAPE: Rule = Rule {
    id: "protocol.unicode-escape",
    class: Class::Protocol,
    paranoia: 1,
    // Evidence of evasion, not an attack: what the escape hides is judged on the decoded
    // form, and the two add up.
    severity: Severity::Warning,
    description: "%u encoding or \\u escape of an ASCII letter (filter evasion)",
};

/// A `Range` header with many, overlapping or reversed ranges, or no `bytes=` unit; any
/// `Request-Range`.
pub(crate) static RANGE: Rule = Rule {
    id: "protocol.range",
    class: Class::Protocol,
    paranoia: 1,
    severity: Severity::Critical,
    description: "abusive or malformed Range, or obsolete Request-Range header",
};

/// A charset other than the common ones, or several charsets (in a Content-Type, an
/// `Accept`, or a form's `_charset_` field).
pub(crate) static CHARSET: Rule = Rule {
    id: "protocol.charset",
    class: Class::Protocol,
    paranoia: 1,
    severity: Severity::Critical,
    description: "unusual or repeated charset in a Content-Type or a _charset_ field (utf-7, ebcdic…)",
};

/// A Content-Type with a boundary on a non-multipart type (or none on a multipart one), or a
/// parameter without a value.
pub(crate) static CONTENT_TYPE: Rule = Rule {
    id: "protocol.content-type",
    class: Class::Protocol,
    paranoia: 1,
    severity: Severity::Critical,
    description: "malformed Content-Type (boundary on a non-multipart type or none on a multipart one, bare parameter)",
};

/// A header whose value must be a structured boolean (`?0`/`?1`) that is not.
pub(crate) static FETCH_METADATA: Rule = Rule {
    id: "protocol.fetch-metadata",
    class: Class::Protocol,
    paranoia: 1,
    severity: Severity::Critical,
    description: "malformed Sec-Fetch-User / Sec-CH-UA-Mobile header",
};

/// Headers that proxies or WebDAV servers act on (`Proxy`, `If`, `Lock-Token`,
/// `Content-Range`, method overrides).
pub(crate) static RESTRICTED_HEADER: Rule = Rule {
    id: "protocol.restricted-header",
    class: Class::Protocol,
    paranoia: 1,
    severity: Severity::Critical,
    description: "restricted request header (Proxy, If, Lock-Token, Content-Range…)",
};

/// A request method an API does not answer: `TRACE` (cross-site tracing), `CONNECT`,
/// WebDAV's, or made-up ones (`FOO`, `SUBSCRIBE`) that probe for handlers.
pub(crate) static METHOD: Rule = Rule {
    id: "protocol.method",
    class: Class::Protocol,
    paranoia: 1,
    severity: Severity::Critical,
    description: "request method other than GET, HEAD, POST, PUT, DELETE, PATCH and OPTIONS",
};

/// `_method=` parameter overriding the HTTP method.
pub(crate) static METHOD_OVERRIDE: Rule = Rule {
    id: "protocol.method-override",
    class: Class::Protocol,
    paranoia: 1,
    severity: Severity::Critical,
    description: "HTTP method override through a _method parameter",
};

/// `unix:/path|http://…`: mod_proxy's Unix-socket target syntax.
pub(crate) static UNIX_SOCKET: Rule = Rule {
    id: "protocol.unix-socket",
    class: Class::Protocol,
    paranoia: 1,
    severity: Severity::Critical,
    description: "mod_proxy unix: socket target (SSRF)",
};

/// A version-1 cookie attribute (`$Version`, `$Path`), which parsers disagree about.
pub(crate) static OLD_COOKIE: Rule = Rule {
    id: "protocol.cookie-v1",
    class: Class::Protocol,
    paranoia: 1,
    severity: Severity::Critical,
    description: "RFC 2109 cookie attribute ($Version) in a Cookie header",
};

/// A path segment naming a backup, dump or secret file.
pub(crate) static RESTRICTED_EXTENSION: Rule = Rule {
    id: "protocol.restricted-extension",
    class: Class::Protocol,
    paranoia: 1,
    severity: Severity::Critical,
    description: "backup, dump or key file requested (.bak, .sql, .pem, ~…)",
};

/// A security scanner's User-Agent.
pub(crate) static SCANNER: Rule = Rule {
    id: "protocol.scanner",
    class: Class::Protocol,
    paranoia: 1,
    severity: Severity::Critical,
    description: "security scanner User-Agent",
};

/// IIS `%uFFxx`: a full-width character that a Windows server folds to its ASCII twin.
pub(crate) static FULLWIDTH_ESCAPE: Rule = Rule {
    id: "protocol.fullwidth-escape",
    class: Class::Protocol,
    paranoia: 1,
    severity: Severity::Critical,
    description: "%uFFxx encoding of a full-width character (IIS filter evasion)",
};

/// A multipart field or file name holding a quote, `;` or `=`, which parsers of
/// Content-Disposition split differently.
pub(crate) static MULTIPART_NAME: Rule = Rule {
    id: "protocol.multipart-name",
    class: Class::Protocol,
    paranoia: 1,
    severity: Severity::Critical,
    description: "multipart field or file name with a double quote, ; or = (parser confusion)",
};

/// A file name with a backslash: a Windows path that old browsers send, or an escape that
/// parsers of Content-Disposition read differently. (An apostrophe is not flagged:
/// `O'Brien.pdf` is a real name.)
pub(crate) static FILENAME_CHARS: Rule = Rule {
    id: "protocol.filename-chars",
    class: Class::Protocol,
    paranoia: 3,
    severity: Severity::Critical,
    description: "multipart file name with a backslash",
};

/// An `Accept-Encoding` longer than any browser sends (CVE-2022-21907 in http.sys).
pub(crate) static ACCEPT_ENCODING_LENGTH: Rule = Rule {
    id: "protocol.accept-encoding-length",
    class: Class::Protocol,
    paranoia: 1,
    severity: Severity::Critical,
    description: "Accept-Encoding header longer than 100 bytes",
};

/// An `Accept-Encoding` naming a coding no server implements.
pub(crate) static ACCEPT_ENCODING: Rule = Rule {
    id: "protocol.accept-encoding",
    class: Class::Protocol,
    paranoia: 3,
    severity: Severity::Critical,
    description: "Accept-Encoding with an unknown content coding",
};

/// Request headers that only old or unusual clients send (`Accept-Charset`), and any
/// `Range` on a request.
pub(crate) static UNUSUAL_HEADER: Rule = Rule {
    id: "protocol.unusual-header",
    class: Class::Protocol,
    paranoia: 2,
    severity: Severity::Critical,
    description: "obsolete Accept-Charset request header",
};

/// A `Range` header at all (responses cut in pieces slip past response inspection).
pub(crate) static RANGE_ANY: Rule = Rule {
    id: "protocol.range-any",
    class: Class::Protocol,
    paranoia: 3,
    severity: Severity::Critical,
    description: "Range request header",
};

/// A request `Cache-Control` with a directive requests do not have or a malformed list.
pub(crate) static CACHE_CONTROL: Rule = Rule {
    id: "protocol.cache-control",
    class: Class::Protocol,
    paranoia: 3,
    severity: Severity::Critical,
    description: "request Cache-Control with an unknown directive or a malformed list",
};

/// A parameter name with text after an array subscript (`foo[1]a`): parsers of array
/// parameters read it differently.
pub(crate) static ARRAY_NAME: Rule = Rule {
    id: "protocol.array-name",
    class: Class::Protocol,
    paranoia: 3,
    severity: Severity::Critical,
    description: "parameter name with characters after an array subscript (foo[1]a)",
};

/// A `Connection` header naming an option twice, or both `keep-alive` and `close`.
pub(crate) static CONNECTION: Rule = Rule {
    id: "protocol.connection",
    class: Class::Protocol,
    paranoia: 1,
    severity: Severity::Critical,
    description: "Connection header with a repeated or conflicting option (keep-alive and close)",
};

/// A percent-encoded `%` whose escape spells a letter or a digit (`%2561`, `%25%36%31`):
/// no encoder escapes those, so the value was encoded twice to slip past a filter. What it
/// hides is judged on the decoded form: at paranoia 1 encoding alone is no attack.
pub(crate) static DOUBLE_ENCODING: Rule = Rule {
    id: "protocol.double-encoding",
    class: Class::Protocol,
    paranoia: 2,
    severity: Severity::Critical,
    description: "double percent-encoding of a letter or digit (%2561, %25%36%31)",
};

/// A header holding, once percent-decoded, a byte outside the few that plain header values
/// are made of (CRS's paranoia-4 byte range for headers).
pub(crate) static HEADER_BYTES: Rule = Rule {
    id: "protocol.header-bytes",
    class: Class::Protocol,
    paranoia: 4,
    severity: Severity::Critical,
    description: "header value with a byte other than letters, digits, space and \" & * + , - . / : ; = _",
};

/// The protocol detector.
pub(crate) static DETECTOR: Detector = Detector {
    class: Class::Protocol,
    rules: &[
        &NUL,
        &CONTROL,
        &BODY_CONTROL,
        &OVERLONG,
        &INVALID_UTF8,
        &UNICODE_ESCAPE,
        &RANGE,
        &CHARSET,
        &CONTENT_TYPE,
        &FETCH_METADATA,
        &RESTRICTED_HEADER,
        &METHOD,
        &METHOD_OVERRIDE,
        &UNIX_SOCKET,
        &OLD_COOKIE,
        &RESTRICTED_EXTENSION,
        &SCANNER,
        &FULLWIDTH_ESCAPE,
        &MULTIPART_NAME,
        &FILENAME_CHARS,
        &ACCEPT_ENCODING_LENGTH,
        &ACCEPT_ENCODING,
        &UNUSUAL_HEADER,
        &RANGE_ANY,
        &CACHE_CONTROL,
        &ARRAY_NAME,
        &CONNECTION,
        &DOUBLE_ENCODING,
        &HEADER_BYTES,
    ],
    alnum: true,
    scan,
};

fn scan(input: &Input<'_>, sink: &mut Sink<'_>) {
    let text = input.text;
    let lower = input.lower;
    if input.features.any(Features::CONTROL | Features::HIGH) {
        bytes(input, sink);
    }
    // Escapes are looked for in the raw value, once: on its raw form.
    if input.decoded_by.is_empty() && input.features.any(Features::ESCAPE) {
        if let Some(at) = fullwidth_escape(input.raw) {
            sink.report(&FULLWIDTH_ESCAPE, at..at + 6);
        }
        if let Some(at) = escape(input.raw) {
            sink.report(&UNICODE_ESCAPE, at..at + 2);
        }
        if let Some(at) = double_encoding(input.raw) {
            sink.report(&DOUBLE_ENCODING, at..at + 3);
        }
    }
    match input.part {
        Part::Method if input.decoded_by.is_empty() && !is_api_method(text) => {
            sink.report(&METHOD, 0..text.len())
        }
        Part::Header => header(input, sink),
        Part::Query | Part::Body
            if input.name == "_method"
                && is_method(lower.trim_ascii())
                // A form posted with `_method=post` overrides nothing.
                && !(input.part == Part::Body && lower.trim_ascii() == b"post") =>
        {
            sink.report(&METHOD_OVERRIDE, 0..text.len())
        }
        // The field browsers fill with the charset they encoded the form in.
        Part::Query | Part::Body
            if input.name == "_charset_"
                && input.decoded_by.is_empty()
                && !CHARSETS.contains(&lower.trim_ascii()) =>
        {
            sink.report(&CHARSET, 0..text.len())
        }
        Part::CookieName if matches!(lower, b"$version" | b"$path" | b"$domain" | b"$port") => {
            sink.report(&OLD_COOKIE, 0..text.len())
        }
        Part::Path if restricted_extension(lower) => {
            sink.report(&RESTRICTED_EXTENSION, 0..text.len())
        }
        // Multipart field names (and form keys, top-level JSON keys) come with an empty
        // name; nested JSON keys are data.
        Part::FileName | Part::BodyKey
            if (input.part == Part::FileName || input.name.is_empty())
                && input
                    .features
                    .any(Features::QUOTE | Features::SEPARATOR | Features::EQUALS) =>
        {
            if let Some(at) = disposition_breaker(text) {
                sink.report(&MULTIPART_NAME, at..at + 1);
            }
            if input.part == Part::FileName
                && let Some(at) = memchr::memchr(b'\\', text)
            {
                sink.report(&FILENAME_CHARS, at..at + 1);
            }
        }
        Part::FileName if input.features.any(Features::ESCAPE) => {
            if let Some(at) = disposition_breaker(text) {
                sink.report(&MULTIPART_NAME, at..at + 1);
            }
            if let Some(at) = memchr::memchr(b'\\', text) {
                sink.report(&FILENAME_CHARS, at..at + 1);
            }
        }
        _ => {}
    }
    if matches!(input.part, Part::QueryName | Part::BodyKey)
        && input.features.any(Features::BRACKET)
        && let Some(at) = array_name(text)
    {
        sink.report(&ARRAY_NAME, at..text.len());
    }
    // `unix:…|…`: a `:` and a `|`.
    if matches!(input.part, Part::Query | Part::QueryName | Part::Path)
        && input.features.any(Features::COLON)
        && input.features.any(Features::SEPARATOR)
        && let Some(at) = needle::find(lower, b"unix:")
        && memchr::memchr(b'|', &lower[at..]).is_some()
    {
        sink.report(&UNIX_SOCKET, at..at + 5);
    }
}

/// Where a `%uFFxx` escape (a full-width form) appears in the raw value.
fn fullwidth_escape(raw: &[u8]) -> Option<usize> {
    memchr::memchr_iter(b'%', raw).find(|&i| {
        raw.len() >= i + 6
            && matches!(raw[i + 1], b'u' | b'U')
            && raw[i + 2..i + 4].eq_ignore_ascii_case(b"ff")
            && raw[i + 4..i + 6].iter().all(u8::is_ascii_hexdigit)
    })
}

/// Where a name has a double quote, an `=`, a `;` that does not end an HTML entity
/// (`&amp;`, `&eacute;`), or a final backslash (it escaped the closing quote, which the
/// splitter took as the end: `filename="te\"st"`).
fn disposition_breaker(text: &[u8]) -> Option<usize> {
    if text.ends_with(b"\\") {
        return Some(text.len() - 1);
    }
    text.iter().enumerate().find_map(|(i, &b)| match b {
        b'"' | b'=' => Some(i),
        b';' => {
            let word = text[..i]
                .iter()
                .rev()
                .take_while(|c| c.is_ascii_alphanumeric())
                .count();
            let entity = word > 0 && i > word && text[i - word - 1] == b'&';
            (!entity).then_some(i)
        }
        _ => None,
    })
}

/// Where a parameter name has text after a `]` before its end or before another `[`
/// (`foo[1]a`, `foo[1]a[2]`); `a[b][c]` and `a[]` are ordinary.
fn array_name(text: &[u8]) -> Option<usize> {
    let open = memchr::memchr(b'[', text)?;
    let mut i = open;
    while let Some(close) = memchr::memchr(b']', &text[i..]).map(|p| i + p) {
        match text.get(close + 1) {
            None | Some(b'[') => {}
            Some(_) => return Some(close),
        }
        i = close + 1;
        if i >= text.len() {
            break;
        }
    }
    None
}

/// Whether a `_method` value can name a method: three to ten letters (the standard and
/// WebDAV methods, and the unknown ones a framework may route anyway).
fn is_method(lower: &[u8]) -> bool {
    (3..=10).contains(&lower.len()) && lower.iter().all(u8::is_ascii_alphabetic)
}

/// Whether a request method is one an API answers: methods are case-sensitive (RFC 9110
/// §9.1), so `get` is not `GET`.
pub(crate) fn is_api_method(method: &[u8]) -> bool {
    matches!(
        method,
        b"GET" | b"HEAD" | b"POST" | b"PUT" | b"DELETE" | b"PATCH" | b"OPTIONS"
    )
}

/// Control bytes (but tab, CR, LF), DEL and bytes above ASCII: NUL, other controls, and
/// overlong or invalid UTF-8. Called when the form's features hold `CONTROL` or `HIGH`.
fn bytes(input: &Input<'_>, sink: &mut Sink<'_>) {
    let text = input.text;
    let Some(first) = text
        .iter()
        .position(|&b| b < 0x20 && !matches!(b, b'\t' | b'\r' | b'\n') || b >= 0x7f)
    else {
        return;
    };
    let rest = &text[first..];
    if let Some(i) = memchr::memchr(0, rest) {
        sink.report(&NUL, first + i..first + i + 1);
    }
    // A Windows path's backslashes separate names: the control bytes that escape decoders
    // read in one (`C:\temp\c` holds a CSS form feed) are not in the value, nor in the rest
    // of a value that holds one (prose naming a folder).
    let path_escapes = !Decoders::TRANSPORT.contains(input.decoded_by) && windows_path(input.raw);
    if !path_escapes
        && let Some(i) = rest
            .iter()
            .position(|&b| (b < 0x20 && !matches!(b, b'\t' | b'\r' | b'\n' | 0)) || b == 0x7f)
    {
        let span = first + i..first + i + 1;
        if matches!(input.part, Part::Body) {
            sink.report(&BODY_CONTROL, span);
        } else {
            sink.report(&CONTROL, span);
        }
    }
    if let Err(e) = std::str::from_utf8(rest) {
        let at = first + e.valid_up_to();
        let b = text[at];
        let next = text.get(at + 1).copied().unwrap_or(0);
        let overlong = matches!(b, 0xc0 | 0xc1 | 0xf5..=0xff)
            || (b == 0xe0 && next < 0xa0)
            || (b == 0xf0 && next < 0x90);
        if overlong {
            sink.report(&OVERLONG, at..at + 1);
        } else if input.decoded_by.contains(Decoders::URL)
            && !input.decoded_by.contains(Decoders::URL_TWICE)
            && !matches!(input.part, Part::Body | Part::BodyKey)
        {
            sink.report(&INVALID_UTF8, at..at + 1);
        }
    }
}

/// Whether a raw value holds a Windows path, `C:\` or `\\server` at the start of a word
/// ("see C:\files now"), its bytes percent-encoded or not.
fn windows_path(raw: &[u8]) -> bool {
    // The last four bytes read, percent-decoded; a space before the value.
    let mut last = [b' '; 4];
    let mut rest = raw;
    loop {
        let byte;
        (byte, rest) = match rest {
            [b'%', high, low, tail @ ..] if let (Some(h), Some(l)) = (hex(*high), hex(*low)) => {
                (h << 4 | l, tail)
            }
            [b, tail @ ..] => (*b, tail),
            [] => return false,
        };
        last = [last[1], last[2], last[3], byte];
        let [before, a, b, c] = last;
        let word_start = !before.is_ascii_alphanumeric();
        let drive = a.is_ascii_alphabetic() && b == b':' && c == b'\\';
        let server = a == b'\\' && b == b'\\' && c.is_ascii_alphanumeric();
        if word_start && (drive || server) {
            return true;
        }
    }
}

/// Where a `%25` is followed by two hex digits, each as is or percent-encoded itself, that
/// spell an ASCII letter or digit (`%2561`, `%25%36%31`: `a` encoded twice).
fn double_encoding(raw: &[u8]) -> Option<usize> {
    // One hex digit at the start of `s`, as is or percent-encoded: its value and length.
    let digit = |s: &[u8]| match s {
        [b'%', high, low, ..] => Some((hex((hex(*high)? << 4) | hex(*low)?)?, 3)),
        [b, ..] => Some((hex(*b)?, 1)),
        [] => None,
    };
    memchr::memchr_iter(b'%', raw).find(|&i| {
        raw.get(i + 1..i + 3) == Some(b"25")
            && digit(&raw[i + 3..]).is_some_and(|(high, n)| {
                digit(&raw[i + 3 + n..])
                    .is_some_and(|(low, _)| ((high << 4) | low).is_ascii_alphanumeric())
            })
    })
}

/// Where `%uXXXX` or a `\u00XX` escape of an ASCII letter appears in the raw value.
fn escape(raw: &[u8]) -> Option<usize> {
    let hex4 = |s: &[u8]| s.len() >= 4 && s[..4].iter().all(u8::is_ascii_hexdigit);
    for i in memchr::memchr_iter(b'%', raw) {
        if matches!(raw.get(i + 1), Some(b'u' | b'U')) && hex4(&raw[i + 2..]) {
            return Some(i);
        }
    }
    // `\u0061` (possibly `%5Cu0061`, URL-encoded): at a `\` or a `%`.
    for i in memchr::memchr2_iter(b'\\', b'%', raw) {
        let esc = if raw[i] == b'\\' {
            Some(i + 1)
        } else if raw[i..].len() >= 3 && raw[i..i + 3].eq_ignore_ascii_case(b"%5c") {
            Some(i + 3)
        } else {
            None
        };
        if let Some(u) = esc
            && matches!(raw.get(u), Some(b'u'))
            && hex4(&raw[u + 1..])
        {
            let code =
                u16::from_str_radix(std::str::from_utf8(&raw[u + 1..u + 5]).unwrap_or("0"), 16)
                    .unwrap_or(0);
            if let Ok(c) = u8::try_from(code)
                && c.is_ascii_alphabetic()
            {
                return Some(i);
            }
        }
    }
    None
}

/// Checks the headers whose values have a grammar, by name.
fn header(input: &Input<'_>, sink: &mut Sink<'_>) {
    let lower = input.lower;
    let all = 0..lower.len();
    if input.paranoia >= 4
        && input.decoded_by.is_empty()
        && let Some(at) = header_byte(input.name, lower)
    {
        sink.report(&HEADER_BYTES, at..at + 1);
    }
    match input.name {
        "range" => {
            if range_abuse(lower) {
                sink.report(&RANGE, all.clone());
            }
            sink.report(&RANGE_ANY, all);
        }
        "request-range" => sink.report(&RANGE, all),
        "content-type" => content_type(lower, sink),
        "sec-fetch-user" | "sec-ch-ua-mobile" if !matches!(lower.trim_ascii(), b"?0" | b"?1") => {
            sink.report(&FETCH_METADATA, all)
        }
        "accept" => accept_charset(lower, sink),
        "accept-encoding" => {
            if lower.len() > 100 {
                sink.report(&ACCEPT_ENCODING_LENGTH, all.clone());
            }
            if !accept_encoding(lower) {
                sink.report(&ACCEPT_ENCODING, all);
            }
        }
        "accept-charset" => sink.report(&UNUSUAL_HEADER, all),
        "connection" if input.features.any(Features::COMMA) && !connection(lower) => {
            sink.report(&CONNECTION, all)
        }
        "cache-control" if !cache_control(lower) => sink.report(&CACHE_CONTROL, all),
        // A compressed body is not inspected: the gateway does not inflate request bodies.
        "content-encoding" if lower.trim_ascii() != b"identity" => {
            sink.report(&RESTRICTED_HEADER, all)
        }
        "proxy"
        | "if"
        | "lock-token"
        | "x-http-method-override"
        | "x-http-method"
        | "x-method-override" => sink.report(&RESTRICTED_HEADER, all),
        // A resumable upload's `bytes 0-1023/4096` is ordinary; anything else is not.
        "content-range" if !content_range(lower.trim_ascii()) => {
            sink.report(&RESTRICTED_HEADER, all)
        }
        // Headers that re-declare the body's charset (old WAP gateways): an EBCDIC or UTF-7
        // body slips past a parser that trusts the Content-Type.
        "x-up-devcap-post-charset" | "x-charset" if !CHARSETS.contains(&lower.trim_ascii()) => {
            sink.report(&CHARSET, all)
        }
        "user-agent" => {
            // The first name of the list found, where it first occurs.
            if let Some(m) = input
                .words(WordSet::Scanner)
                .min_by_key(|m| (m.pattern(), m.start()))
            {
                sink.report(&SCANNER, m.start()..lower.len());
            }
        }
        _ => {}
    }
}

/// Where a header value has, once percent-decoded, a byte outside space, `"`, `&`, `*`–`;`,
/// `=`, letters and `_`; the headers whose values are free text (User-Agent, Referer,
/// cookies, client hints) are not held to it.
fn header_byte(name: &str, lower: &[u8]) -> Option<usize> {
    if matches!(
        name,
        "user-agent" | "referer" | "cookie" | "sec-fetch-user" | "sec-ch-ua" | "sec-ch-ua-mobile"
    ) {
        return None;
    }
    let plain = |b: u8| matches!(b, b' ' | b'"' | b'&' | b'*'..=b';' | b'=' | b'a'..=b'z' | b'_');
    let mut i = 0;
    while i < lower.len() {
        let (b, len) = match lower[i..] {
            [b'%', high, low, ..] => match (hex(high), hex(low)) {
                (Some(h), Some(l)) => ((h << 4 | l).to_ascii_lowercase(), 3),
                _ => (b'%', 1),
            },
            [b, ..] => (b, 1),
            [] => break,
        };
        if !plain(b) {
            return Some(i);
        }
        i += len;
    }
    None
}

/// Whether a `Connection` header names each option once, and not both `keep-alive` and
/// `close`.
fn connection(lower: &[u8]) -> bool {
    let options = || lower.split(|&b| b == b',').map(<[u8]>::trim_ascii);
    let has = |option: &[u8]| options().any(|o| o == option);
    !(has(b"close") && has(b"keep-alive"))
        && options()
            .enumerate()
            .all(|(i, option)| options().take(i).all(|o| o != option))
}

/// The scanner names, for the [`super::TRIGGER_WORDS`].
pub(super) fn scanner_words() -> Vec<&'static [u8]> {
    SCANNERS.iter().map(|s| s.as_bytes()).collect()
}

/// Scanner and attack-tool names as they appear in their User-Agents (lowercase).
const SCANNERS: &[&str] = &[
    "nikto",
    "sqlmap",
    "nessus",
    "havij",
    "arachni",
    "nuclei",
    "zgrab",
    "nmap",
    "masscan",
    "acunetix",
    "w3af",
    "dirbuster",
    "gobuster",
    "wpscan",
    "openvas",
    "netsparker",
    "jaeles",
    "commix",
    "fimap",
    "wfuzz",
    "ffuf",
    "feroxbuster",
    "whatweb",
    "skipfish",
    "paros",
    "webinspect",
    "appscan",
    "qualys",
    "zmeu",
    "morfeus",
    "jorgee",
    "dirb/",
    "brutus",
    "hydra",
    "nessus",
    "bsqlbf",
    "sqlninja",
    "xsser",
];

/// Whether a byte-range Range header is abusive or malformed: more than five ranges, a
/// range without a `-`, or a range whose end precedes its start.
fn range_abuse(lower: &[u8]) -> bool {
    let v = lower.trim_ascii();
    // Another unit (or none) is not this rule's business: servers ignore a Range they
    // cannot parse.
    let Some(ranges) = v.strip_prefix(b"bytes=") else {
        return false;
    };
    let mut count = 0;
    for r in ranges.split(|&b| b == b',') {
        let r = r.trim_ascii();
        if r.is_empty() {
            continue;
        }
        count += 1;
        if count > 5 {
            return true;
        }
        let Some(dash) = memchr::memchr(b'-', r) else {
            return true;
        };
        let (a, b) = (&r[..dash], &r[dash + 1..]);
        if let (Some(a), Some(b)) = (number(a), number(b))
            && b < a
        {
            return true;
        }
    }
    false
}

/// An `Accept` header's charset parameters: one outside [`CHARSETS`] asks for a response in
/// an encoding (EBCDIC, UTF-16…) that response inspection does not read.
fn accept_charset(lower: &[u8], sink: &mut Sink<'_>) {
    for param in lower.split(|&b| b == b';' || b == b',') {
        let param = param.trim_ascii();
        if let Some(value) = param.strip_prefix(b"charset") {
            let value = value.trim_ascii_start();
            let Some(value) = value.strip_prefix(b"=") else {
                continue;
            };
            let value = value.trim_ascii();
            let value = value
                .strip_prefix(b"\"")
                .and_then(|v| v.strip_suffix(b"\""))
                .unwrap_or(value);
            if !CHARSETS.contains(&value) {
                sink.report(&CHARSET, 0..lower.len());
                return;
            }
        }
    }
}

/// Whether each coding of an `Accept-Encoding` is a registered one (with a weight).
fn accept_encoding(lower: &[u8]) -> bool {
    lower.split(|&b| b == b',').all(|item| {
        let coding = item
            .split(|&b| b == b';')
            .next()
            .unwrap_or_default()
            .trim_ascii();
        matches!(
            coding,
            b"" | b"*"
                | b"gzip"
                | b"x-gzip"
                | b"deflate"
                | b"br"
                | b"zstd"
                | b"compress"
                | b"x-compress"
                | b"identity"
                | b"dcb"
                | b"dcz"
                | b"sdch"
        )
    })
}

/// Whether a request `Cache-Control` is a list of request directives, each once, with a
/// number where one is due.
fn cache_control(lower: &[u8]) -> bool {
    lower.split(|&b| b == b',').all(|item| {
        let item = item.trim_ascii();
        let (name, value) = match memchr::memchr(b'=', item) {
            Some(eq) => (item[..eq].trim_ascii(), Some(item[eq + 1..].trim_ascii())),
            None => (item, None),
        };
        let seconds =
            |v: Option<&[u8]>| v.is_some_and(|v| !v.is_empty() && v.iter().all(u8::is_ascii_digit));
        match name {
            b"max-age" | b"min-fresh" | b"stale-if-error" => seconds(value),
            b"max-stale" => value.is_none() || seconds(value),
            b"no-cache" | b"no-store" | b"no-transform" | b"only-if-cached" => value.is_none(),
            _ => false,
        }
    })
}

fn number(s: &[u8]) -> Option<u64> {
    std::str::from_utf8(s.trim_ascii()).ok()?.parse().ok()
}

/// Charsets request bodies are sent in.
const CHARSETS: &[&[u8]] = &[
    b"utf-8",
    b"utf8",
    b"iso-8859-1",
    b"iso-8859-15",
    b"windows-1252",
    b"us-ascii",
    b"ascii",
    b"latin1",
];

fn content_type(lower: &[u8], sink: &mut Sink<'_>) {
    let all = 0..lower.len();
    let mut parts = lower.split(|&b| b == b';');
    let media = parts.next().unwrap_or_default().trim_ascii();
    if !media.is_empty() && !media_type(media) {
        sink.report(&CONTENT_TYPE, all.clone());
    }
    let mut charsets = 0;
    let mut boundary = false;
    for param in parts {
        let param = param.trim_ascii();
        if param.is_empty() {
            continue;
        }
        let Some(eq) = memchr::memchr(b'=', param) else {
            sink.report(&CONTENT_TYPE, all.clone());
            continue;
        };
        let (name, value) = (param[..eq].trim_ascii(), param[eq + 1..].trim_ascii());
        // More than one space on a side of `=`: parsers disagree on where the value starts.
        let spaces =
            |s: &mut dyn Iterator<Item = &u8>| s.take_while(|b| b.is_ascii_whitespace()).count();
        if spaces(&mut param[eq + 1..].iter()) > 1 || spaces(&mut param[..eq].iter().rev()) > 1 {
            sink.report(&CONTENT_TYPE, all.clone());
        }
        let value = value
            .strip_prefix(b"\"")
            .and_then(|v| v.strip_suffix(b"\""))
            .or_else(|| value.strip_prefix(b"'").and_then(|v| v.strip_suffix(b"'")))
            .unwrap_or(value);
        if name == b"charset" {
            charsets += 1;
            if !CHARSETS.contains(&value) || charsets > 1 {
                sink.report(&CHARSET, all.clone());
            }
        } else if name == b"boundary" {
            boundary = true;
            if !media.starts_with(b"multipart/") || needle::find(value, b"charset").is_some() {
                sink.report(&CONTENT_TYPE, all.clone());
            }
        }
    }
    // A multipart body cannot be split without its boundary: no client sends one so.
    if !boundary && media.starts_with(b"multipart/") {
        sink.report(&CONTENT_TYPE, all);
    }
}

/// Whether a Content-Range value is `bytes first-last/length`, `bytes first-last/*` or
/// `bytes */length`.
fn content_range(v: &[u8]) -> bool {
    let Some(rest) = v.strip_prefix(b"bytes ") else {
        return false;
    };
    let Some(slash) = memchr::memchr(b'/', rest) else {
        return false;
    };
    let (range, length) = (rest[..slash].trim_ascii(), rest[slash + 1..].trim_ascii());
    let digits = |s: &[u8]| !s.is_empty() && s.iter().all(u8::is_ascii_digit);
    let length_ok = length == b"*" || digits(length);
    let range_ok = range == b"*"
        || memchr::memchr(b'-', range)
            .is_some_and(|d| digits(&range[..d]) && digits(&range[d + 1..]));
    length_ok && range_ok
}

/// Whether a media type has the `type/subtype` form with token characters on both sides,
/// and, for `multipart`, a registered subtype (a parser may treat any `multipart/…` as a
/// form it does not expect).
fn media_type(media: &[u8]) -> bool {
    let Some(slash) = memchr::memchr(b'/', media) else {
        return false;
    };
    let (ty, sub) = (&media[..slash], &media[slash + 1..]);
    let token = |s: &[u8]| {
        !s.is_empty()
            && s.iter().all(|&b| {
                b.is_ascii_alphanumeric()
                    || matches!(
                        b,
                        b'!' | b'#' | b'$' | b'&' | b'-' | b'^' | b'_' | b'.' | b'+' | b'*'
                    )
            })
    };
    if !(token(ty) && token(sub)) {
        return false;
    }
    ty != b"multipart"
        || matches!(
            sub,
            b"form-data"
                | b"mixed"
                | b"related"
                | b"alternative"
                | b"byteranges"
                | b"signed"
                | b"encrypted"
                | b"digest"
                | b"parallel"
                | b"report"
                | b"x-mixed-replace"
        )
}

/// Whether a path segment names a backup, dump or key file.
fn restricted_extension(lower: &[u8]) -> bool {
    const EXTENSIONS: &[&[u8]] = &[
        b".bak",
        b".backup",
        b".old",
        b".orig",
        b".save",
        b".swp",
        b".tmp",
        b".sql",
        b".db",
        b".sqlite",
        b".sqlite3",
        b".mdb",
        b".rdb",
        b".dump",
        b".pem",
        b".key",
        b".p12",
        b".pfx",
        b".jks",
        b".keystore",
        b".htpasswd",
        b".htaccess",
        b".git",
        b".svn",
        b".env",
        b".dist",
        b".conf",
        b".cnf",
        b".ini",
        b".config",
    ];
    if lower.ends_with(b"~") && lower.len() > 1 {
        return true;
    }
    let Some(dot) = lower.iter().rposition(|&b| b == b'.') else {
        return false;
    };
    EXTENSIONS.contains(&&lower[dot..])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detector::matches;
    use proptest::prelude::*;

    proptest! {
        /// [`escape`] looks for `\u00XX` only where a `\` or a `%` is: as a look at every
        /// byte would find it.
        #[test]
        fn escapes_are_found_at_any_byte(
            pieces in proptest::collection::vec(
                proptest::sample::select(vec![
                    &b"\\"[..], b"%5c", b"%5C", b"%", b"u", b"U", b"0061", b"0041", b"00",
                    b"6", b"ff", b"x", b" ",
                ]),
                0..8,
            )
        ) {
            let raw = pieces.concat();
            let every_byte = (0..raw.len()).find(|&i| {
                let u = if raw[i] == b'\\' {
                    i + 1
                } else if raw[i..].len() >= 3 && raw[i..i + 3].eq_ignore_ascii_case(b"%5c") {
                    i + 3
                } else {
                    return false;
                };
                raw.get(u) == Some(&b'u')
                    && raw.len() >= u + 5
                    && raw[u + 1..u + 5].iter().all(u8::is_ascii_hexdigit)
                    && u16::from_str_radix(std::str::from_utf8(&raw[u + 1..u + 5]).unwrap_or("0"), 16)
                        .ok()
                        .and_then(|c| u8::try_from(c).ok())
                        .is_some_and(|c| c.is_ascii_alphabetic())
            });
            let percent_u = memchr::memchr_iter(b'%', &raw).find(|&i| {
                matches!(raw.get(i + 1), Some(b'u' | b'U'))
                    && raw.len() >= i + 6
                    && raw[i + 2..i + 6].iter().all(u8::is_ascii_hexdigit)
            });
            prop_assert_eq!(escape(&raw), percent_u.or(every_byte));
        }
    }

    fn ids(part: Part, name: &str, text: &str) -> Vec<&'static str> {
        matches(&DETECTOR, part, name, text, 1)
    }

    #[test]
    fn bytes_and_escapes() {
        assert_eq!(ids(Part::Query, "q", "a\0b"), ["protocol.nul-byte"]);
        assert_eq!(ids(Part::Cookie, "c", "a\x03"), ["protocol.control-char"]);
        assert!(ids(Part::Body, "b", "tab\tand\nnewline").is_empty());
        assert_eq!(ids(Part::Query, "q", "\u{e9}t\u{e9}"), Vec::<&str>::new());
        assert_eq!(
            matches(&DETECTOR, Part::Query, "q", "%u0041", 1),
            ["protocol.unicode-escape"]
        );
        assert_eq!(
            ids(Part::Body, "q", "\\u0061lert"),
            ["protocol.unicode-escape"]
        );
        assert!(ids(Part::Body, "q", "\\u003cb\\u003e").is_empty());
    }

    #[test]
    fn headers() {
        assert_eq!(
            ids(Part::Header, "range", "bytes=0-,5-0"),
            ["protocol.range"]
        );
        assert_eq!(
            ids(Part::Header, "range", "bytes=1-2,3-4,5-6,7-8,9-10,11-12"),
            ["protocol.range"]
        );
        assert!(ids(Part::Header, "range", "bytes=0-1023").is_empty());
        assert_eq!(
            ids(Part::Header, "request-range", "bytes=0-1"),
            ["protocol.range"]
        );
        assert_eq!(
            ids(Part::Header, "content-type", "text/plain; charset=utf-7"),
            ["protocol.charset"]
        );
        assert_eq!(
            ids(
                Part::Header,
                "content-type",
                "application/x-www-form-urlencoded;boundary=\"x\""
            ),
            ["protocol.content-type"]
        );
        assert!(
            ids(
                Part::Header,
                "content-type",
                "application/json; charset=UTF-8"
            )
            .is_empty()
        );
        assert!(
            ids(
                Part::Header,
                "content-type",
                "multipart/form-data; boundary=----abc"
            )
            .is_empty()
        );
        assert_eq!(
            ids(Part::Header, "sec-fetch-user", "foo"),
            ["protocol.fetch-metadata"]
        );
        assert!(ids(Part::Header, "sec-fetch-user", "?1").is_empty());
        assert_eq!(
            ids(Part::Header, "content-range", "test"),
            ["protocol.restricted-header"]
        );
        assert!(ids(Part::Header, "content-range", "bytes 4096-8191/8192").is_empty());
        assert!(ids(Part::Header, "content-range", "bytes */8192").is_empty());
        assert_eq!(
            ids(Part::Header, "x-up-devcap-post-charset", "ibm500"),
            ["protocol.charset"]
        );
        for bad in [
            "my-new-content-type",
            "application",
            "multipart/; boundary=0",
            "multipart/foo",
        ] {
            assert_eq!(
                ids(Part::Header, "content-type", bad),
                ["protocol.content-type"],
                "{bad}"
            );
        }
        for good in [
            "application/soap+xml; charset=utf-8",
            "application/vnd.api+json",
            "multipart/related; boundary=x",
            "text/plain",
        ] {
            assert!(ids(Part::Header, "content-type", good).is_empty(), "{good}");
        }
        assert_eq!(
            ids(Part::Header, "user-agent", "sqlmap/1.5"),
            ["protocol.scanner"]
        );
        assert!(ids(Part::Header, "user-agent", "Mozilla/5.0 (X11) Firefox/120").is_empty());
    }

    #[test]
    fn new_header_rules() {
        let at = |part, name, text, pl| matches(&DETECTOR, part, name, text, pl);
        assert_eq!(
            ids(Part::Query, "q", "%uff0F"),
            ["protocol.fullwidth-escape", "protocol.unicode-escape"]
        );
        for accept in [
            "text/html;q=0.9;charset=CP1026,*/*;q=0.8",
            "text/html; charset=CP1026",
            "text/html;q=0.9;charset=\"iso-8859-1\",*/*;q=0.8;charset=utf-16",
        ] {
            assert_eq!(ids(Part::Header, "accept", accept), ["protocol.charset"]);
        }
        for accept in [
            "application/json, text/plain, */*",
            "text/html;charset=\"utf-8\"",
        ] {
            assert!(ids(Part::Header, "accept", accept).is_empty(), "{accept}");
        }
        let long = format!("gzip, {}", "A".repeat(120));
        assert_eq!(
            ids(Part::Header, "accept-encoding", &long),
            ["protocol.accept-encoding-length"]
        );
        assert!(ids(Part::Header, "accept-encoding", "gzip, deflate, br, zstd").is_empty());
        assert_eq!(
            at(Part::Header, "accept-encoding", "foobar", 3),
            ["protocol.accept-encoding"]
        );
        assert!(
            at(
                Part::Header,
                "accept-encoding",
                "gzip;q=1.0, identity; q=0.5, *;q=0",
                3
            )
            .is_empty()
        );
        assert_eq!(
            ids(Part::Header, "content-encoding", "deflate"),
            ["protocol.restricted-header"]
        );
        assert!(ids(Part::Header, "accept-charset", "utf-8").is_empty());
        assert_eq!(
            at(Part::Header, "accept-charset", "utf-8", 2),
            ["protocol.unusual-header"]
        );
        assert!(ids(Part::Header, "range", "1-2").is_empty());
        assert_eq!(at(Part::Header, "range", "1-2", 3), ["protocol.range-any"]);
        for bad in [
            "private",
            "foo=bar",
            "max-age=1, foo=bar",
            "max-age=1,,,max-stale=2",
        ] {
            assert_eq!(
                at(Part::Header, "cache-control", bad, 3),
                ["protocol.cache-control"],
                "{bad}"
            );
        }
        for good in ["no-cache", "max-age=0", "no-cache, no-store, max-stale"] {
            assert!(
                at(Part::Header, "cache-control", good, 3).is_empty(),
                "{good}"
            );
        }
        assert_eq!(
            ids(
                Part::Header,
                "content-type",
                "multipart/form-data; boundary=  test_data_123456"
            ),
            ["protocol.content-type"]
        );
        assert!(
            ids(
                Part::Header,
                "content-type",
                "multipart/form-data; boundary = x"
            )
            .is_empty()
        );
    }

    #[test]
    fn connection_charset_field_and_boundary() {
        for bad in [
            "keep-alive,keep-alive",
            "keep-alive,close",
            "close, close",
            "Keep-Alive, Close",
        ] {
            assert_eq!(
                ids(Part::Header, "connection", bad),
                ["protocol.connection"],
                "{bad}"
            );
        }
        for good in [
            "keep-alive",
            "close",
            "Upgrade",
            "keep-alive, Upgrade",
            "TE, close",
        ] {
            assert!(ids(Part::Header, "connection", good).is_empty(), "{good}");
        }
        for bad in ["utf-7", "utf-", "ibm037\n"] {
            assert_eq!(
                ids(Part::Body, "_charset_", bad),
                ["protocol.charset"],
                "{bad}"
            );
        }
        assert_eq!(ids(Part::Query, "_charset_", "UTF-7"), ["protocol.charset"]);
        for good in ["UTF-8", "utf-8", "windows-1252"] {
            assert!(ids(Part::Body, "_charset_", good).is_empty(), "{good}");
        }
        assert!(ids(Part::Body, "charset", "utf-7 is an encoding").is_empty());
        for bad in [
            "multipart/related",
            "Multipart/Related",
            "multipart/form-data",
        ] {
            assert_eq!(
                ids(Part::Header, "content-type", bad),
                ["protocol.content-type"],
                "{bad}"
            );
        }
        assert!(
            ids(
                Part::Header,
                "content-type",
                "multipart/related; type=\"application/json\"; boundary=abc"
            )
            .is_empty()
        );
    }

    #[test]
    fn header_bytes() {
        let at = |name, text| matches(&DETECTOR, Part::Header, name, text, 4);
        for (name, bad) in [
            ("test", "ThisIsATest%60"),
            ("x-note", "a<b"),
            ("x-note", "why?"),
        ] {
            assert_eq!(at(name, bad), ["protocol.header-bytes"], "{bad}");
        }
        for (name, good) in [
            ("test", "ThisISATEST%5F"),
            ("accept", "application/json, text/plain, */*"),
            ("accept-language", "en-US,en;q=0.9"),
            ("sec-ch-ua-platform", "\"macOS\""),
            ("if-none-match", "W/\"5e1-abc\""),
            ("user-agent", "Mozilla/5.0 (X11; Linux x86_64)"),
            ("sec-ch-ua", "\"Not?A_Brand\";v=\"8\""),
            ("cookie", "ThisIsATest%60"),
        ] {
            assert!(at(name, good).is_empty(), "{good}");
        }
        assert!(ids(Part::Header, "x-note", "a<b").is_empty());
    }

    #[test]
    fn double_encoding() {
        let ids = |part, name, text| matches(&DETECTOR, part, name, text, 2);
        assert!(matches(&DETECTOR, Part::Query, "q", "%2561lert", 1).is_empty());
        for bad in [
            "%25%37%33%25%36%46",
            "%2561lert",
            "x=%2541",
            "%25%36f",
            "%256%46",
        ] {
            assert_eq!(
                ids(Part::Query, "q", bad),
                ["protocol.double-encoding"],
                "{bad}"
            );
        }
        for good in [
            "https%3A%2F%2Fshop.example.com%2Fsearch%3Fq%3Dred%2520shoes",
            "caf%25C3%25A9",
            "100%25",
            "50%25 off",
            "%252F",
            "%25%",
            "%25%3",
        ] {
            assert!(ids(Part::Query, "q", good).is_empty(), "{good}");
        }
    }

    #[test]
    fn multipart_and_array_names() {
        for name in ["fi=le", "fi;le", ";zzzz", "amp;zzz", "&amp;fi;zzz", "a\"b"] {
            assert_eq!(
                ids(Part::BodyKey, "", name),
                ["protocol.multipart-name"],
                "{name}"
            );
        }
        for name in ["file", "caf&eacute;", "billing[first_name]"] {
            assert!(ids(Part::BodyKey, "", name).is_empty(), "{name}");
        }
        // Nested JSON keys are data.
        assert!(ids(Part::BodyKey, "/labels", "a=b").is_empty());
        assert_eq!(
            ids(Part::FileName, "file", "file=.txt"),
            ["protocol.multipart-name"]
        );
        assert!(
            matches(
                &DETECTOR,
                Part::FileName,
                "file",
                "Aiden_D'Arcy_resume.txt",
                4
            )
            .is_empty()
        );
        assert_eq!(
            ids(Part::FileName, "file", "te\\"),
            ["protocol.multipart-name"]
        );
        assert!(ids(Part::FileName, "file", "C:\\Users\\me\\notes.txt").is_empty());
        assert_eq!(
            matches(&DETECTOR, Part::FileName, "file", "C:\\te'st.txt", 3),
            ["protocol.filename-chars"]
        );
        for name in ["foo[1]a", "foo[1]a[2]"] {
            assert_eq!(
                matches(&DETECTOR, Part::QueryName, "", name, 3),
                ["protocol.array-name"]
            );
        }
        for name in ["filters[views][$gte]", "expand[]", "sort[0]", "foo"] {
            assert!(
                matches(&DETECTOR, Part::QueryName, "", name, 4).is_empty(),
                "{name}"
            );
        }
    }

    #[test]
    fn names_and_paths() {
        assert_eq!(
            ids(Part::Query, "_method", "DELETE"),
            ["protocol.method-override"]
        );
        assert!(ids(Part::Query, "_method", "X").is_empty());
        assert_eq!(
            ids(Part::Query, "_method", "POST"),
            ["protocol.method-override"]
        );
        assert!(ids(Part::Body, "_method", "post").is_empty());
        assert!(ids(Part::Query, "_method", "DELETE1").is_empty());
        assert!(ids(Part::Query, "_method", "UNSUBSCRIBE").is_empty());
        for method in ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"] {
            assert!(ids(Part::Method, "", method).is_empty(), "{method}");
        }
        for method in ["TRACE", "CONNECT", "PROPFIND", "FOO", "SUBSCRIBE", "get"] {
            assert_eq!(
                ids(Part::Method, "", method),
                ["protocol.method"],
                "{method}"
            );
        }
        assert_eq!(
            ids(Part::CookieName, "", "$Version"),
            ["protocol.cookie-v1"]
        );
        assert_eq!(
            ids(Part::Path, "", "dump.rdb"),
            ["protocol.restricted-extension"]
        );
        assert_eq!(
            ids(Part::Path, "", "index.php~"),
            ["protocol.restricted-extension"]
        );
        assert!(ids(Part::Path, "", "report.json").is_empty());
        assert_eq!(
            ids(Part::Query, "q", "unix:AAAA|http://x/"),
            ["protocol.unix-socket"]
        );
    }
}
