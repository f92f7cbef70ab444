//! Finding the credential a request presents: an API key in its header, a bearer token in
//! `Authorization`, or a key misplaced in the query string.

use http::HeaderMap;
use sha2::{Digest, Sha256};

/// A credential found in a request.
#[derive(Debug)]
pub enum Presented<'a> {
    /// The value of the API-key header.
    ApiKey(&'a str),
    /// A bearer token.
    Bearer(&'a str),
}

impl<'a> Presented<'a> {
    /// The credential of `headers`: the API-key header first, then a bearer token.
    pub fn find(headers: &'a HeaderMap, api_key_header: &str) -> Option<Presented<'a>> {
        // A present header counts even when unreadable, as authentication reads it.
        if let Some(k) = headers.get(api_key_header) {
            return Some(Presented::ApiKey(k.to_str().unwrap_or_default().trim()));
        }
        bearer(headers).map(Presented::Bearer)
    }

    /// SHA-256 of the credential, to count failures per credential without keeping it.
    pub fn fingerprint(&self) -> [u8; 32] {
        let (Presented::ApiKey(s) | Presented::Bearer(s)) = self;
        Sha256::digest(s.as_bytes()).into()
    }
}

/// The token of `Authorization: Bearer <token>` (scheme case-insensitive, RFC 6750).
pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    let v = headers.get(http::header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = v.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// Whether a bearer token has the compact JWS shape: three base64url parts, the last one
/// possibly empty (as in an unsigned `alg: none` token, which the verifier then refuses).
pub fn looks_like_jwt(token: &str) -> bool {
    let mut parts = 0;
    for part in token.split('.') {
        parts += 1;
        let base64url = part
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !base64url || (part.is_empty() && parts < 3) {
            return false;
        }
    }
    parts == 3
}

/// The name of the first query parameter that carries an API key: one of `refused_names`
/// (case-insensitive), or any whose value has the shape of a Parapet key. Names and values
/// are compared decoded (`api%5Fkey` is `api_key`).
pub fn key_in_query<'q>(query: Option<&'q str>, refused_names: &[String]) -> Option<&'q str> {
    query?.split('&').find_map(|pair| {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let (name_text, value_text) = (decoded(name), decoded(value));
        let named = refused_names
            .iter()
            .any(|r| r.eq_ignore_ascii_case(&name_text));
        let shaped = value_text.starts_with("pk_") && value_text.len() >= 40;
        (named || shaped).then_some(name)
    })
}

/// A query name or value decoded (`+` is a space), or as written when it does not decode.
pub fn decoded(s: &str) -> std::borrow::Cow<'_, str> {
    parapet_policy::percent::decode_or_raw(s, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_tokens_are_read_case_insensitively() {
        let mut h = HeaderMap::new();
        h.insert("authorization", "bEaReR  abc.def.ghi ".parse().unwrap());
        assert_eq!(bearer(&h), Some("abc.def.ghi"));
        h.insert("authorization", "Basic dXNlcjpwYXNz".parse().unwrap());
        assert_eq!(bearer(&h), None);
    }

    #[test]
    fn jwt_shape() {
        assert!(looks_like_jwt("eyJh.eyJz.c2ln"));
        assert!(
            looks_like_jwt("eyJh.eyJz."),
            "unsigned tokens go to the verifier"
        );
        assert!(!looks_like_jwt("eyJh..c2ln"));
        assert!(!looks_like_jwt("opaque-token"));
        assert!(!looks_like_jwt("a.b.c.d"));
    }

    #[test]
    fn keys_in_the_query_are_found_by_name_or_shape() {
        let names = vec!["api_key".to_string()];
        assert_eq!(key_in_query(Some("a=1&API_KEY=x"), &names), Some("API_KEY"));
        let shaped = format!("q=1&token=pk_{}", "A".repeat(43));
        assert_eq!(key_in_query(Some(&shaped), &names), Some("token"));
        assert_eq!(key_in_query(Some("q=pk_short"), &names), None);
        assert_eq!(key_in_query(Some("api%5Fkey=x"), &names), Some("api%5Fkey"));
        let encoded = format!("t=pk%5F{}", "A".repeat(43));
        assert_eq!(key_in_query(Some(&encoded), &names), Some("t"));
        assert_eq!(key_in_query(None, &names), None);
    }
}
