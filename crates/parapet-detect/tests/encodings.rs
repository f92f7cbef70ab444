//! The engine against encodings, through the public API: a well-known attack wrapped in any
//! supported encoding (URL, double URL, HTML entities, JavaScript escapes, base64,
//! fullwidth, and chains of them), sent in a query parameter or a JSON body, is still an
//! attack; a benign value wrapped the same ways stays benign.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use parapet_detect::{Engine, Settings};
use std::fmt::Write;

/// Attacks of several classes, each caught at paranoia 1 in plain text.
const ATTACKS: &[&str] = &[
    "' or 1=1--",
    "<script>alert(1)</script>",
    "../../../../etc/passwd",
    "${jndi:ldap://x/a}",
    "; cat /etc/passwd",
];

/// Benign values that look a little like attacks.
const BENIGN: &[&str] = &[
    "hello world",
    "O'Brien",
    "Tom & Jerry",
    "Select your plan",
    "café au lait",
    "https://example.com/a/b?c=d",
    "2024-01-01T10:00:00Z",
    "5 < 6 and 7 > 3",
    "user@example.com",
    "Please cat-sit my /home while I'm away",
];

type Encoder = fn(&str) -> String;

/// The encodings, by name.
const ENCODINGS: &[(&str, Encoder)] = &[
    ("plain", |s| s.to_owned()),
    ("url", url_all),
    ("double url", |s| url_all(&url_all(s))),
    ("html decimal", |s| {
        s.chars().fold(String::new(), |mut o, c| {
            let _ = write!(o, "&#{};", c as u32);
            o
        })
    }),
    ("html hex", |s| {
        s.chars().fold(String::new(), |mut o, c| {
            let _ = write!(o, "&#x{:x};", c as u32);
            o
        })
    }),
    ("html named", |s| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('\'', "&apos;")
            .replace('"', "&quot;")
    }),
    ("js hex", |s| {
        s.chars().fold(String::new(), |mut o, c| {
            let _ = write!(o, "\\x{:02x}", c as u32);
            o
        })
    }),
    ("js unicode", |s| {
        s.chars().fold(String::new(), |mut o, c| {
            let _ = write!(o, "\\u{:04x}", c as u32);
            o
        })
    }),
    ("base64", base64),
    ("fullwidth", |s| {
        s.chars()
            .map(|c| match c {
                '!'..='~' => char::from_u32(c as u32 - 0x21 + 0xFF01).unwrap_or(c),
                ' ' => '\u{3000}',
                _ => c,
            })
            .collect()
    }),
    ("url of html", |s| {
        url_all(&s.replace('<', "&lt;").replace('>', "&gt;"))
    }),
    ("base64 of url", |s| base64(&url_all(s))),
];

fn url_all(s: &str) -> String {
    s.bytes().fold(String::new(), |mut o, b| {
        let _ = write!(o, "%{b:02X}");
        o
    })
}

fn base64(s: &str) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in s.as_bytes().chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
        for k in 0..=chunk.len() {
            out.push(char::from(A[(n >> (18 - 6 * k) & 63) as usize]));
        }
        for _ in chunk.len()..3 {
            out.push('=');
        }
    }
    out
}

/// Whether the engine calls a request with `value` (already encoded) in a query parameter
/// an attack; the value is percent-encoded once more, as a query string carries it.
fn query_attack(engine: &Engine, value: &str) -> bool {
    let mut scan = engine.scan();
    scan.query(&format!("q={}", url_all(value)));
    scan.finish().attack
}

/// Whether the engine calls a JSON body with `value` in a string an attack.
fn json_attack(engine: &Engine, value: &str) -> bool {
    let body = format!("{{\"q\":{}}}", json_string(value));
    let mut scan = engine.scan();
    scan.body(Some("application/json"), body.as_bytes());
    scan.finish().attack
}

fn json_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn engine() -> Engine {
    Engine::new(Settings::default()).expect("the default settings are valid")
}

#[test]
fn an_encoded_attack_is_still_an_attack() {
    let engine = engine();
    let mut missed = Vec::new();
    for attack in ATTACKS {
        for (name, encode) in ENCODINGS {
            let value = encode(attack);
            if !query_attack(&engine, &value) {
                missed.push(format!("query, {name}: {attack:?} as {value:?}"));
            }
            if !json_attack(&engine, &value) {
                missed.push(format!("json, {name}: {attack:?} as {value:?}"));
            }
        }
    }
    assert!(missed.is_empty(), "missed:\n{}", missed.join("\n"));
}

#[test]
fn an_encoded_benign_value_stays_benign() {
    let engine = engine();
    let mut flagged = Vec::new();
    for value in BENIGN {
        for (name, encode) in ENCODINGS {
            let encoded = encode(value);
            if query_attack(&engine, &encoded) {
                flagged.push(format!("query, {name}: {value:?} as {encoded:?}"));
            }
            if json_attack(&engine, &encoded) {
                flagged.push(format!("json, {name}: {value:?} as {encoded:?}"));
            }
        }
    }
    assert!(flagged.is_empty(), "flagged:\n{}", flagged.join("\n"));
}

/// A Windows path's backslashes are not escapes, though `\c` is a CSS form feed and `\f` a
/// JavaScript one: in a query (percent-encoded) or a JSON body, it is benign.
#[test]
fn a_windows_path_is_not_made_of_escapes() {
    let engine = engine();
    for path in [
        r"C:\temp\c",
        r"C:\Users\ada\Desktop\f",
        r"C:\Program Files\app\bin",
        r"\\fileserver\b\1",
        // Named in prose.
        r"see C:\files now",
        r"Save it under C:\Program Files (x86)\MyApp\config.ini",
        r"My files are in \\fileserver\share",
    ] {
        assert!(!query_attack(&engine, path), "query: {path}");
        assert!(!json_attack(&engine, path), "json: {path}");
    }
    // An escape that spells a control byte elsewhere is still an anomaly.
    assert!(query_attack(&engine, r"\1=\1AND\1=\1;"));
}

/// A `%` the user typed and the client encoded (`%25ab`) is text: the bytes a second
/// percent-decoding makes of it are not the request's, while the same byte encoded once
/// (`%ab`) is invalid UTF-8 in the query.
#[test]
fn percent_signs_typed_by_users_are_text() {
    let engine = engine();
    for text in [
        "The SQL LIKE '%abc%' pattern is slow",
        "50% off, code %ab12",
    ] {
        assert!(!query_attack(&engine, text), "{text}");
    }
    let mut scan = engine.scan();
    scan.query("q=a%abc");
    assert!(scan.finish().attack);
}
