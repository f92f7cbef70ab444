//! Values read from a request or an identity, the way every policy reads them: a query
//! parameter, a JSON body field, a token claim. One reading for all, so that an
//! authorization rule and a rate-limit key never disagree on what `body.user` is.

use crate::Identity;
use crate::percent::decode;
use serde_json::Value;

/// A JSON scalar as text (`42` and `"42"` both give `42`); objects and arrays never match.
pub fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// The scalar at the dotted `path` of a JSON document (`["owner", "id"]`).
pub fn json_field(doc: &Value, path: &[String]) -> Option<String> {
    let mut cur = doc;
    for seg in path {
        cur = cur.get(seg)?;
    }
    scalar(cur)
}

/// The scalar at the dotted `path` of the identity's claims.
pub fn claim(id: &Identity, path: &[String]) -> Option<String> {
    let (first, rest) = path.split_first()?;
    json_field(id.claims.get(first)?, rest)
}

/// The single value of query parameter `name`, percent-decoded; `None` when absent or
/// repeated (a repeated parameter is ambiguous: different layers pick different copies).
pub fn query_value(query: Option<&str>, name: &str) -> Option<String> {
    let mut found = None;
    for pair in query?.split('&') {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        if decode(k, true).as_deref() == Some(name) {
            if found.is_some() {
                return None;
            }
            found = Some(decode(v, true)?);
        }
    }
    found
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn query_values_are_decoded_and_repeats_are_refused() {
        assert_eq!(
            query_value(Some("a=1&id=b%40c+d"), "id").as_deref(),
            Some("b@c d")
        );
        assert_eq!(query_value(Some("id=1&id=2"), "id"), None);
        assert_eq!(query_value(Some("x=1"), "id"), None);
        assert_eq!(query_value(Some("id=%zz"), "id"), None);
    }

    #[test]
    fn fields_and_claims_are_scalars_at_a_dotted_path() {
        let doc = serde_json::json!({"a": {"b": 7, "c": [1]}, "s": "x"});
        let path = |p: &str| -> Vec<String> { p.split('.').map(str::to_string).collect() };
        assert_eq!(json_field(&doc, &path("a.b")).as_deref(), Some("7"));
        assert_eq!(json_field(&doc, &path("s")).as_deref(), Some("x"));
        assert_eq!(json_field(&doc, &path("a.c")), None);
        assert_eq!(json_field(&doc, &path("a.z")), None);
        let mut id = Identity::default();
        id.claims.insert("org".into(), doc);
        assert_eq!(claim(&id, &path("org.a.b")).as_deref(), Some("7"));
        assert_eq!(claim(&id, &[]), None);
    }
}
