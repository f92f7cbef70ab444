//! Splitting a request into the values the engine inspects: path segments, query and form
//! parameters, header values and cookies, and the leaves and keys of structured bodies.

mod graphql;
mod json;
mod multipart;
mod xml;

use crate::engine::Scan;
use crate::location::Part;

/// Headers that carry nothing an application reads as data, or that the gateway itself
/// checks (framing, credentials): not inspected. (`Connection` is: the HTTP layer reads
/// only its `close`, and a repeated or conflicting option is a protocol anomaly.)
const SKIPPED_HEADERS: &[&str] = &[
    "host",
    "content-length",
    "transfer-encoding",
    "authorization",
    "proxy-authorization",
];

impl Scan<'_> {
    /// Inspects the request method.
    pub fn method(&mut self, method: &str) {
        // The methods APIs use raise nothing at any paranoia level (a test checks it): only
        // the others are worth the work.
        if !crate::class::is_api_method(method.as_bytes()) {
            self.value(Part::Method, "", method.as_bytes(), false);
        }
    }

    /// Inspects a path as received (percent-encoded, without the query string): each
    /// segment, and the whole path for the traversal detector.
    pub fn path(&mut self, raw_path: &str) {
        for segment in raw_path.split('/').filter(|s| !s.is_empty()) {
            self.value(Part::Path, "", segment.as_bytes(), false);
        }
        // The whole path too, for what spans segments (`/etc/passwd`, `/proc/self/environ`),
        // unless it is plain words between slashes, whose segments say it all.
        if raw_path.trim_matches('/').contains('/') && !self.is_plain_path(raw_path.as_bytes()) {
            self.value(Part::Path, "", raw_path.as_bytes(), false);
        }
    }

    /// Inspects a query string as received (without the `?`): each name and value.
    pub fn query(&mut self, raw_query: &str) {
        self.form_fields(raw_query.as_bytes(), Part::QueryName, Part::Query);
    }

    /// Inspects one header. `Cookie` is split into cookies; the framing and credential
    /// headers are not inspected.
    pub fn header(&mut self, name: &str, value: &[u8]) {
        if SKIPPED_HEADERS.iter().any(|h| name.eq_ignore_ascii_case(h)) {
            return;
        }
        if name.eq_ignore_ascii_case("cookie") {
            for pair in value.split(|&b| b == b';') {
                let pair = pair.trim_ascii();
                let (cookie, v) = split_once(pair, b'=');
                let cookie = String::from_utf8_lossy(cookie);
                self.value(Part::CookieName, "", cookie.as_bytes(), false);
                self.value(Part::Cookie, &cookie, v, false);
            }
            return;
        }
        // Names from `http` are lowercase already: no copy then.
        let lower = if name.bytes().any(|b| b.is_ascii_uppercase()) {
            std::borrow::Cow::Owned(name.to_ascii_lowercase())
        } else {
            std::borrow::Cow::Borrowed(name)
        };
        self.value(Part::Header, &lower, value, false);
    }

    /// Inspects a body according to its media type: JSON (and GraphQL over JSON), forms,
    /// multipart, XML; any other body is inspected as one text value.
    pub fn body(&mut self, content_type: Option<&str>, body: &[u8]) {
        if body.is_empty() {
            return;
        }
        let media = content_type
            .map(|ct| {
                ct.split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase()
            })
            .unwrap_or_default();
        if media == "application/x-www-form-urlencoded" {
            self.form_fields(body, Part::BodyKey, Part::Body);
        } else if media.starts_with("multipart/") {
            match content_type.and_then(multipart::boundary) {
                Some(boundary) => self.multipart(body, &boundary),
                None => self.value(Part::Body, "", body, false),
            }
        } else if media.ends_with("/xml") || media.ends_with("+xml") {
            self.xml(body);
        } else if media == "application/json"
            || media.ends_with("+json")
            || matches!(body.trim_ascii_start().first(), Some(b'{' | b'['))
        {
            // Whatever its media type says, a body that opens like JSON is walked as JSON
            // (clients lie about Content-Type); what is not JSON is then inspected as text.
            self.json(body);
        } else if media.is_empty() && looks_like_form(body) {
            // No media type, but a form's shape: servers that default to forms read it so.
            self.form_fields(body, Part::BodyKey, Part::Body);
        } else {
            // Without a media type, the body may still be read as URL-encoded (`+` a space).
            self.value(Part::Body, "", body, media.is_empty());
        }
    }

    /// Inspects `name=value&…` pairs, names and values still percent-encoded.
    fn form_fields(&mut self, raw: &[u8], name_part: Part, value_part: Part) {
        for pair in raw.split(|&b| b == b'&').filter(|p| !p.is_empty()) {
            let (name, value) = split_once(pair, b'=');
            self.value(name_part, "", name, true);
            let name = decode_name(name);
            if value_part == Part::Query && name == "query" {
                // GraphQL over GET: the document's literals only.
                let document = decode_name(value);
                if graphql::looks_like_graphql(document.as_bytes()) {
                    self.graphql(document.as_bytes(), &name);
                    continue;
                }
            }
            self.value(value_part, &name, value, true);
        }
    }
}

/// Whether a body without a media type reads as `name=value&…`: it opens with a
/// parameter name (1 to 64 name characters) and `=`.
fn looks_like_form(body: &[u8]) -> bool {
    let name = body
        .iter()
        .take_while(|&&b| {
            b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b'[' | b']')
        })
        .count();
    (1..=64).contains(&name) && body.get(name) == Some(&b'=')
}

/// A parameter name, percent-decoded, for locations and exclusions.
fn decode_name(raw: &[u8]) -> String {
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        match raw[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < raw.len() => {
                match std::str::from_utf8(&raw[i + 1..i + 3])
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn split_once(pair: &[u8], sep: u8) -> (&[u8], &[u8]) {
    match memchr::memchr(sep, pair) {
        Some(i) => (&pair[..i], &pair[i + 1..]),
        None => (pair, &[]),
    }
}

#[cfg(test)]
mod tests {
    use crate::{Engine, Settings};

    /// The rule ids a request with `headers` and a body of `content_type` raises.
    fn rules(
        headers: &[(&str, &str)],
        content_type: Option<&str>,
        body: &str,
    ) -> Vec<&'static str> {
        let engine = Engine::new(Settings::default()).expect("the default settings are valid");
        let mut scan = engine.scan();
        for (name, value) in headers {
            scan.header(name, value.as_bytes());
        }
        scan.body(content_type, body.as_bytes());
        scan.finish().hits.iter().map(|h| h.rule.id).collect()
    }

    #[test]
    fn the_api_methods_raise_nothing() {
        for paranoia in 1..=4 {
            let settings = Settings {
                paranoia,
                ..Settings::default()
            };
            let engine = Engine::new(settings).expect("valid settings");
            for method in ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"] {
                assert!(crate::class::is_api_method(method.as_bytes()));
                let mut scan = engine.scan();
                scan.value(crate::Part::Method, "", method.as_bytes(), false);
                assert!(scan.finish().hits.is_empty(), "{method} at PL{paranoia}");
            }
            let mut scan = engine.scan();
            scan.method("TRACE");
            assert!(scan.finish().attack);
        }
    }

    #[test]
    fn connection_is_inspected() {
        assert_eq!(
            rules(&[("Connection", "keep-alive, close")], None, ""),
            ["protocol.connection"]
        );
        assert!(rules(&[("Connection", "keep-alive")], None, "").is_empty());
        assert!(rules(&[("Host", "localhost"), ("Content-Length", "0")], None, "").is_empty());
    }

    #[test]
    fn multipart_charset_field() {
        let form = |charset: &str| {
            format!(
                "--b\r\nContent-Disposition: form-data; name=\"_charset_\"\r\n\r\n{charset}\r\n\
                 --b\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhello\r\n--b--\r\n"
            )
        };
        let ct = Some("multipart/form-data; boundary=b");
        assert_eq!(rules(&[], ct, &form("utf-7")), ["protocol.charset"]);
        assert!(rules(&[], ct, &form("UTF-8")).is_empty());
    }

    /// Words for paths: every piece of a string literal in the detectors' sources (command
    /// names, SQL keywords, file names, trigger words…), and a few directory names.
    static PATH_WORDS: std::sync::LazyLock<Vec<String>> = std::sync::LazyLock::new(|| {
        let sources = [
            include_str!("../class/command/lexicon.rs"),
            include_str!("../class/command/mod.rs"),
            include_str!("../class/sqli/mod.rs"),
            include_str!("../class/sqli/tokenizer.rs"),
            include_str!("../class/sqli/judge.rs"),
            include_str!("../class/path.rs"),
            include_str!("../class/java.rs"),
            include_str!("../class/php.rs"),
            include_str!("../class/ssrf.rs"),
            include_str!("../class/xss/mod.rs"),
            include_str!("../class/template.rs"),
            include_str!("../class/protocol.rs"),
            include_str!("../class/session.rs"),
            include_str!("../class/nosql.rs"),
            include_str!("../class/prototype.rs"),
            include_str!("../class/crlf.rs"),
        ];
        // Quoted: a literal of its own.
        let extra = "\"etc bin sbin usr local proc self environ passwd var log windows system32 \
                     boot home root tmp dev tcp api v1 users 42 admin\"";
        let path_byte = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '-');
        crate::detector::tests::literal_pieces(&[&sources[..], &[extra]].concat(), path_byte, 24)
    });

    static ENGINES: std::sync::LazyLock<Vec<Engine>> = std::sync::LazyLock::new(|| {
        (1..=4)
            .map(|paranoia| {
                let settings = Settings {
                    paranoia,
                    ..Settings::default()
                };
                Engine::new(settings).expect("valid settings")
            })
            .collect()
    });

    /// The rules `path` raises: its segments, and the whole path when `whole`.
    fn path_rules(engine: &Engine, path: &str, whole: bool) -> Vec<&'static str> {
        let mut scan = engine.scan();
        for segment in path.split('/').filter(|s| !s.is_empty()) {
            scan.value(crate::Part::Path, "", segment.as_bytes(), false);
        }
        if whole {
            scan.value(crate::Part::Path, "", path.as_bytes(), false);
        }
        let mut ids: Vec<_> = scan.finish().hits.iter().map(|h| h.rule.id).collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }

    #[test]
    fn paths_that_span_segments_are_inspected_whole() {
        for path in [
            "/etc/passwd",
            "/usr/bin/id",
            "/api/0x2e0x2e/x",
            "/keys/id_rsa",
            "/a//b",
            "/a/b.c",
        ] {
            assert!(!ENGINES[0].scan().is_plain_path(path.as_bytes()), "{path}");
        }
        assert!(ENGINES[0].scan().is_plain_path(b"/api/v2/users/42"));
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(4096))]
        /// A path the gate leaves to its segments raises nothing more when inspected whole.
        #[test]
        fn a_plain_path_raises_nothing_more_whole(
            words in proptest::collection::vec(proptest::sample::select(&PATH_WORDS[..]), 2..5),
            upper in proptest::prelude::any::<bool>(),
            trailing in proptest::prelude::any::<bool>(),
        ) {
            let mut path = format!("/{}", words.join("/"));
            if upper {
                path = path.to_ascii_uppercase();
            }
            if trailing {
                path.push('/');
            }
            for engine in ENGINES.iter() {
                if engine.scan().is_plain_path(path.as_bytes()) {
                    proptest::prop_assert_eq!(
                        path_rules(engine, &path, true),
                        path_rules(engine, &path, false),
                        "{}", path
                    );
                }
            }
        }
    }
}
