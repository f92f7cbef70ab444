//! How a request's credential is found (parapet-identity `credentials.rs`): the bearer token
//! of `Authorization`, the JWT shape test that routes a bearer token to the JWT verifier or
//! to introspection, the API-key header, and API keys misplaced in the query string.
//!
//! The input is up to four lines: an `Authorization` value, an `X-Api-Key` value, a query
//! string, and a header name to look an API key up under. A header is set only when its
//! line is a valid header value (a missing line means no header). Checks:
//!
//! - nothing panics;
//! - `bearer` returns exactly the trimmed, non-empty rest of a visible-ASCII
//!   `Authorization` value whose scheme is `Bearer` (any case) followed by a space, as a
//!   slice of that value, and nothing otherwise;
//! - `looks_like_jwt` is true exactly for three `.`-separated base64url parts, the first
//!   two non-empty;
//! - `Presented::find` returns the trimmed `X-Api-Key` value when the header is there
//!   (empty when it is not visible ASCII), and the bearer token otherwise; under any other name it returns a slice of a header
//!   value or nothing;
//! - `key_in_query` returns, as a slice of the query, the name of the first `&`-separated
//!   parameter that has a refused name (the defaults, any case) or a value shaped like a
//!   Parapet key (`pk_`, 40 bytes or more), both compared percent-decoded, and nothing
//!   when there is none; also for the
//!   query as `http::Uri` gives it.
#![no_main]

use http::{HeaderMap, HeaderValue, Uri, header::AUTHORIZATION};
use libfuzzer_sys::fuzz_target;
use parapet_identity::credentials::{Presented, bearer, decoded, key_in_query, looks_like_jwt};
use std::sync::OnceLock;

const API_KEY_HEADER: &str = "x-api-key";

static REFUSED: OnceLock<Vec<String>> = OnceLock::new();

/// Whether `part` is a slice of `whole`.
fn within(part: &str, whole: &[u8]) -> bool {
    let (p, w) = (part.as_ptr() as usize, whole.as_ptr() as usize);
    p >= w && p + part.len() <= w + whole.len()
}

fn jwt_shape(token: &str) -> bool {
    let parts: Vec<&str> = token.split('.').collect();
    parts.len() == 3
        && !parts[0].is_empty()
        && !parts[1].is_empty()
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
}

fn check_shape(token: &str) {
    assert_eq!(
        looks_like_jwt(token),
        jwt_shape(token),
        "looks_like_jwt({token:?})"
    );
}

/// The bearer token `value` carries, by RFC 6750's grammar as `credentials.rs` reads it.
fn expected_bearer(value: &HeaderValue) -> Option<&str> {
    let v = value.to_str().ok()?;
    let scheme = v.get(..7)?;
    if !scheme.eq_ignore_ascii_case("bearer ") {
        return None;
    }
    let token = v[7..].trim();
    (!token.is_empty()).then_some(token)
}

/// The first parameter of `query` with a refused name or a key-shaped value.
fn expected_key_name<'q>(query: &'q str, refused: &[String]) -> Option<&'q str> {
    for pair in query.split('&') {
        let (name, value) = match pair.find('=') {
            Some(i) => (&pair[..i], &pair[i + 1..]),
            None => (pair, ""),
        };
        let (name_text, value_text) = (decoded(name), decoded(value));
        if refused.iter().any(|r| r.eq_ignore_ascii_case(&name_text))
            || (value_text.starts_with("pk_") && value_text.len() >= 40)
        {
            return Some(name);
        }
    }
    None
}

fn check_query(query: &str, refused: &[String]) {
    let found = key_in_query(Some(query), refused);
    assert_eq!(
        found,
        expected_key_name(query, refused),
        "key_in_query({query:?})"
    );
    if let Some(name) = found {
        assert!(within(name, query.as_bytes()), "not a slice of the query");
        let start = name.as_ptr() as usize - query.as_ptr() as usize;
        let end = start + name.len();
        assert!(start == 0 || query.as_bytes()[start - 1] == b'&');
        assert!(end == query.len() || matches!(query.as_bytes()[end], b'=' | b'&'));
    }
}

fuzz_target!(|data: &[u8]| {
    let refused = REFUSED.get_or_init(|| {
        parapet_config::Identity::default()
            .api_keys
            .refused_query_params
    });
    let mut lines = data.splitn(4, |&b| b == b'\n');
    let auth = lines.next();
    let api_key = lines.next();
    let query = lines.next().map(String::from_utf8_lossy);
    let other_name = lines.next().map(String::from_utf8_lossy);

    let mut headers = HeaderMap::new();
    if let Some(v) = auth.and_then(|a| HeaderValue::from_bytes(a).ok()) {
        headers.insert(AUTHORIZATION, v);
    }
    if let Some(v) = api_key.and_then(|a| HeaderValue::from_bytes(a).ok()) {
        headers.insert(API_KEY_HEADER, v);
    }

    // bearer
    let auth_value = headers.get(AUTHORIZATION);
    let token = bearer(&headers);
    assert_eq!(token, auth_value.and_then(expected_bearer), "bearer");
    if let (Some(t), Some(v)) = (token, auth_value) {
        assert!(
            within(t, v.as_bytes()),
            "bearer token is not a slice of the value"
        );
        check_shape(t);
    }
    if let Some(a) = auth {
        check_shape(&String::from_utf8_lossy(a));
    }

    // Presented::find with the configured header
    let key_value = headers.get(API_KEY_HEADER);
    let key_text = key_value.and_then(|v| v.to_str().ok());
    match Presented::find(&headers, API_KEY_HEADER) {
        Some(p @ Presented::ApiKey(k)) => {
            let v = key_value.expect("ApiKey without the header");
            assert_eq!(
                k,
                key_text.map_or("", str::trim),
                "ApiKey is not the trimmed value"
            );
            assert!(key_text.is_none() || within(k, v.as_bytes()));
            let _ = p.fingerprint();
        }
        Some(p @ Presented::Bearer(t)) => {
            assert!(key_value.is_none(), "bearer chosen over an API-key header");
            assert_eq!(Some(t), token);
            let _ = p.fingerprint();
        }
        None => {
            assert!(key_value.is_none(), "API-key header not found");
            assert!(token.is_none(), "bearer token not found");
        }
    }
    // ... and with any name
    if let Some(name) = &other_name
        && let Some(Presented::ApiKey(k)) = Presented::find(&headers, name)
    {
        assert!(
            k.is_empty() || headers.values().any(|v| within(k, v.as_bytes())),
            "ApiKey under {name:?} is no header's value"
        );
    }

    // key_in_query
    assert_eq!(key_in_query(None, refused), None);
    if let Some(q) = &query {
        check_query(q, refused);
        check_query(q, &[]);
        if let Ok(uri) = Uri::try_from(format!("/p?{q}"))
            && let Some(q) = uri.query()
        {
            check_query(q, refused);
        }
    }
});
