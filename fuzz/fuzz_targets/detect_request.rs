//! parapet-detect's engine on whole requests, through its public API. Structured input
//! (`arbitrary`): paranoia level, method, path, query string, headers (names from a list of
//! real ones or arbitrary, values as bytes), content type (JSON, form, multipart with a
//! boundary, XML, GraphQL, text, none, or arbitrary) and body. Nothing may panic, and the
//! verdict is consistent:
//!
//! - the score is the sum of the severities of the hits, and `attack` says whether it
//!   reached the threshold;
//! - no rule is reported twice for one location, and no rule above the paranoia level is
//!   reported;
//! - snippets are printable ASCII (other bytes escaped as `\xNN`), plus an ellipsis;
//! - scanning the same request twice gives the same verdict.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use parapet_detect::{Engine, Settings, Verdict};
use std::sync::LazyLock;

const HEADERS: [&str; 8] = [
    "user-agent",
    "referer",
    "cookie",
    "x-forwarded-for",
    "accept-language",
    "content-type",
    "x-custom",
    "authorization",
];

const CONTENT_TYPES: [&str; 9] = [
    "application/json",
    "application/json; charset=utf-8",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=XyZ",
    "application/xml",
    "text/xml",
    "application/graphql",
    "text/plain",
    "application/vnd.api+json",
];

#[derive(Arbitrary, Debug)]
enum Name {
    Known(u8),
    Other(String),
}

#[derive(Arbitrary, Debug)]
enum ContentType {
    Known(u8),
    Other(String),
    None,
}

#[derive(Arbitrary, Debug)]
struct Request {
    paranoia: u8,
    method: String,
    path: String,
    query: String,
    headers: Vec<(Name, Vec<u8>)>,
    content_type: ContentType,
    body: Vec<u8>,
}

static ENGINES: LazyLock<Vec<Engine>> = LazyLock::new(|| {
    (1..=4)
        .map(|paranoia| {
            Engine::new(Settings {
                paranoia,
                ..Settings::default()
            })
            .expect("paranoia 1-4 is valid")
        })
        .collect()
});

fn scan(engine: &Engine, r: &Request) -> Verdict {
    let mut scan = engine.scan();
    scan.method(&r.method);
    scan.path(&r.path);
    scan.query(&r.query);
    for (name, value) in r.headers.iter().take(16) {
        let name = match name {
            Name::Known(i) => HEADERS[usize::from(*i) % HEADERS.len()],
            Name::Other(s) => s.as_str(),
        };
        scan.header(name, value);
    }
    let content_type = match &r.content_type {
        ContentType::Known(i) => Some(CONTENT_TYPES[usize::from(*i) % CONTENT_TYPES.len()]),
        ContentType::Other(s) => Some(s.as_str()),
        ContentType::None => None,
    };
    scan.body(content_type, &r.body);
    scan.finish()
}

fuzz_target!(|r: Request| {
    let engine = &ENGINES[usize::from(r.paranoia % 4)];
    let settings = engine.settings();
    let verdict = scan(engine, &r);
    let sum: u32 = verdict.hits.iter().map(|h| h.rule.severity.score()).sum();
    assert_eq!(verdict.score, sum, "score is not the sum of the hits: {verdict:?}");
    assert_eq!(verdict.attack, verdict.score >= settings.threshold);
    for (i, hit) in verdict.hits.iter().enumerate() {
        assert!(hit.rule.paranoia <= settings.paranoia, "{hit:?}");
        assert!(
            !verdict.hits[..i]
                .iter()
                .any(|h| h.rule.id == hit.rule.id && h.location == hit.location),
            "{hit:?} reported twice"
        );
        let snippet = hit.snippet.strip_suffix('…').unwrap_or(&hit.snippet);
        assert!(
            snippet.bytes().all(|b| b.is_ascii_graphic() || b == b' '),
            "{hit:?}"
        );
    }
    assert_eq!(scan(engine, &r), verdict, "a second scan differs");
});
