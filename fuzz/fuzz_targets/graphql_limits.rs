//! The GraphQL threat limits (parapet-contract `limits/graphql.rs`) on any bytes, read as a
//! document (lossy UTF-8), as a GET query string, and as a JSON body when they parse as
//! JSON. Checks:
//!
//! - nothing panics or overflows the stack (apollo-parser runs under its token and recursion
//!   limits; fragments are expanded without recursion);
//! - a breach names one of the GraphQL rules;
//! - the three ways to send a document agree: `check_document(text)`, `check_body` of
//!   `{"query": text}` (and of a batch of one), and `check_query_string` of
//!   `query=<text percent-encoded>` give the same verdict, pointing at `/query` (`/0/query`
//!   in the batch);
//! - the limits are monotone: a document accepted under small limits is accepted under the
//!   defaults; allowing introspection never adds a `graphql.introspection` breach.
#![no_main]

use libfuzzer_sys::fuzz_target;
use parapet_contract::limits::graphql::{
    GraphqlBreach, GraphqlLimits, check_body, check_document, check_query_string,
};
use serde_json::{Value, json};

const RULES: [&str; 8] = [
    "graphql.syntax",
    "graphql.max_depth",
    "graphql.max_aliases",
    "graphql.max_fields",
    "graphql.max_batch",
    "graphql.max_tokens",
    "graphql.max_query_length",
    "graphql.introspection",
];

fn known(verdict: &Result<(), GraphqlBreach>) {
    if let Err(breach) = verdict {
        assert!(RULES.contains(&breach.rule), "unknown rule {}", breach.rule);
        assert!(
            breach.pointer.is_empty() || breach.pointer.starts_with('/'),
            "bad pointer: {breach:?}"
        );
    }
}

/// `text` as a query string value: unreserved bytes as they are, space as `+`, every other
/// byte percent-encoded.
fn form_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 3);
    for &b in text.as_bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                out.push(char::from(b))
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// The verdict with its pointer moved from `/query` to `pointer`.
fn at(verdict: &Result<(), GraphqlBreach>, pointer: &str) -> Result<(), GraphqlBreach> {
    verdict.clone().map_err(|breach| GraphqlBreach {
        rule: breach.rule,
        pointer: pointer.to_owned(),
    })
}

fuzz_target!(|data: &[u8]| {
    let defaults = GraphqlLimits::default();
    let small = GraphqlLimits {
        max_depth: 3,
        max_aliases: 2,
        max_fields: 8,
        max_batch: 2,
        max_tokens: 64,
        introspection: false,
        max_query_length: 512,
    };
    let open = GraphqlLimits {
        introspection: true,
        ..GraphqlLimits::default()
    };
    let text = String::from_utf8_lossy(data);

    let verdict = check_document(&text, &defaults);
    known(&verdict);
    if let Err(breach) = &verdict {
        assert_eq!(breach.pointer, "/query");
    }
    let small_verdict = check_document(&text, &small);
    known(&small_verdict);
    if small_verdict.is_ok() {
        assert_eq!(verdict, Ok(()), "accepted under small limits only");
    }
    let open_verdict = check_document(&text, &open);
    known(&open_verdict);
    if let Err(breach) = &open_verdict {
        assert_ne!(breach.rule, "graphql.introspection");
    }
    if verdict.is_ok() {
        assert_eq!(open_verdict, Ok(()));
    }

    let body = json!({ "query": text });
    assert_eq!(check_body(&body, &defaults), verdict);
    let batch = Value::Array(vec![body]);
    assert_eq!(check_body(&batch, &defaults), at(&verdict, "/0/query"));
    let get = format!("operationName=x&query={}", form_encode(&text));
    assert_eq!(check_query_string(&get, &defaults), verdict);

    known(&check_query_string(&text, &defaults));
    known(&check_query_string(&text, &small));
    if let Ok(value) = serde_json::from_slice::<Value>(data) {
        known(&check_body(&value, &defaults));
        known(&check_body(&value, &small));
    }
});
