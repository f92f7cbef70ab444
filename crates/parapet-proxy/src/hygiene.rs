//! Strict request-head checks that close request smuggling and desync.
//!
//! hyper parses the bytes and already refuses obs-fold, bare CR, NUL and other control bytes
//! in the head, and malformed chunk sizes; these checks refuse what it accepts but a
//! security gateway must not forward: both Content-Length and Transfer-Encoding, repeated
//! or non-numeric Content-Length, any Transfer-Encoding other than one `chunked`, a missing
//! or repeated Host, an absolute-form target naming another authority, and paths with dot
//! segments. A request that fails is answered 400 and its connection closed.

use crate::problem;
use http::{HeaderMap, HeaderValue, Method, Version, header, request::Parts};
use parapet_policy::Reason;
use std::sync::{Mutex, PoisonError};

/// Checks a request head; `Err` carries the reason to refuse it with.
pub fn check(parts: &Parts) -> Result<(), Reason> {
    check_on(parts, &KnownHost::default())
}

/// [`check`] for a request of a connection whose last valid `Host` is in `known`.
pub fn check_on(parts: &Parts, known: &KnownHost) -> Result<(), Reason> {
    check_framing(&parts.headers, parts.version)?;
    check_target(parts, known)?;
    check_path(parts.uri.path())
}

/// The last `Host` value found valid on a connection: its requests usually all send the
/// same one, which then needs no parsing again.
#[derive(Debug, Default)]
pub struct KnownHost(Mutex<Option<HeaderValue>>);

impl KnownHost {
    /// Whether `host` is an authority without userinfo.
    fn is_valid(&self, host: &HeaderValue) -> bool {
        let mut known = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if known.as_ref() == Some(host) {
            return true;
        }
        let valid = host
            .to_str()
            .ok()
            .and_then(|s| s.parse::<http::uri::Authority>().ok())
            .is_some_and(|a| !a.as_str().contains('@'));
        if valid {
            *known = Some(host.clone());
        }
        valid
    }
}

fn check_framing(headers: &HeaderMap, version: Version) -> Result<(), Reason> {
    let mut lengths = headers.get_all(header::CONTENT_LENGTH).iter();
    let length = lengths.next();
    if lengths.next().is_some() {
        return Err(problem::INVALID_FRAMING);
    }
    if let Some(v) = length
        && (v.is_empty() || v.len() > 19 || !v.as_bytes().iter().all(u8::is_ascii_digit))
    {
        return Err(problem::INVALID_FRAMING);
    }
    let mut encodings = headers.get_all(header::TRANSFER_ENCODING).iter();
    if let Some(te) = encodings.next() {
        let single_chunked = te.as_bytes().trim_ascii().eq_ignore_ascii_case(b"chunked");
        if !single_chunked
            || encodings.next().is_some()
            || length.is_some()
            || version != Version::HTTP_11
        {
            return Err(problem::INVALID_FRAMING);
        }
    }
    Ok(())
}

fn check_target(parts: &Parts, known: &KnownHost) -> Result<(), Reason> {
    if parts.method == Method::CONNECT {
        return Err(problem::TUNNEL_NOT_ALLOWED);
    }
    if parts.uri.path() == "*" || !parts.uri.path().starts_with('/') {
        return Err(problem::INVALID_TARGET);
    }
    let mut hosts = parts.headers.get_all(header::HOST).iter();
    let host = hosts.next();
    if hosts.next().is_some() {
        return Err(problem::INVALID_HOST);
    }
    if let Some(h) = host
        && !known.is_valid(h)
    {
        return Err(problem::INVALID_HOST);
    }
    match (parts.version, parts.uri.authority(), host) {
        // HTTP/1.1 requires Host; an absolute-form target must name the same authority.
        (Version::HTTP_11, _, None) => Err(problem::INVALID_HOST),
        (_, Some(a), Some(h))
            if !a
                .as_str()
                .eq_ignore_ascii_case(h.to_str().unwrap_or_default()) =>
        {
            Err(problem::INVALID_TARGET)
        }
        (Version::HTTP_10 | Version::HTTP_11, Some(_), _)
            if parts
                .uri
                .scheme_str()
                .is_none_or(|s| s != "http" && s != "https") =>
        {
            Err(problem::INVALID_TARGET)
        }
        _ => Ok(()),
    }
}

/// Refuses paths that servers normalize differently, so that route matching sees the path
/// the upstream will act on: dot segments (`.`, `..`) in any encoding or with path
/// parameters (`..;`), empty segments (`//`), encoded slashes and backslashes (`%2f`,
/// `%5c`, `\`, as Apache refuses by default) and encoded NULs.
fn check_path(path: &str) -> Result<(), Reason> {
    // Most paths hold none of the bytes the checks look for, nor `//`: skip the copy.
    let mut prev = 0u8;
    let plain = path.bytes().all(|b| {
        let suspect = matches!(b, b'.' | b'%' | b'\\' | b';') || (b == b'/' && prev == b'/');
        prev = b;
        !suspect
    });
    if plain {
        return Ok(());
    }
    let lowered = path.to_ascii_lowercase();
    if ["\\", "%5c", "%2f", "%00", "//"]
        .iter()
        .any(|bad| lowered.contains(bad))
    {
        return Err(problem::PATH_NOT_NORMALIZED);
    }
    let dotted = lowered.replace("%2e", ".");
    let dot_segment = |seg: &str| matches!(seg.split(';').next(), Some("." | ".."));
    if dotted.split('/').any(dot_segment) {
        return Err(problem::PATH_NOT_NORMALIZED);
    }
    Ok(())
}

/// Total size of the request line and headers as received (approximately: names, values and
/// separators), compared with `server.max_header_bytes`.
pub fn head_size(parts: &Parts) -> usize {
    let line = parts.method.as_str().len()
        + parts.uri.path_and_query().map_or(1, |p| p.as_str().len())
        + 12;
    line + parts
        .headers
        .iter()
        .map(|(n, v)| n.as_str().len() + v.len() + 4)
        .sum::<usize>()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(version: Version, uri: &str, headers: &[(&str, &[u8])]) -> Parts {
        let mut b = http::Request::builder().version(version).uri(uri);
        for (n, v) in headers {
            b = b.header(*n, http::HeaderValue::from_bytes(v).unwrap());
        }
        b.body(()).unwrap().into_parts().0
    }

    fn code(p: &Parts) -> Option<&'static str> {
        check(p).err().map(|r| r.code)
    }

    const H11: Version = Version::HTTP_11;

    #[test]
    fn clean_requests_pass() {
        assert_eq!(
            code(&head(H11, "/users/1?x=2", &[("host", b"api.example")])),
            None
        );
        assert_eq!(
            code(&head(
                H11,
                "/",
                &[("host", b"a:8080"), ("content-length", b"5")]
            )),
            None
        );
        assert_eq!(
            code(&head(
                H11,
                "/",
                &[("host", b"a"), ("transfer-encoding", b"Chunked")]
            )),
            None
        );
        assert_eq!(code(&head(H11, "http://a/x", &[("host", b"a")])), None);
        assert_eq!(code(&head(Version::HTTP_10, "/", &[])), None);
    }

    #[test]
    fn framing_ambiguities_are_refused() {
        let cases: &[&[(&str, &[u8])]] = &[
            &[
                ("host", b"a"),
                ("content-length", b"5"),
                ("transfer-encoding", b"chunked"),
            ],
            &[
                ("host", b"a"),
                ("content-length", b"5"),
                ("content-length", b"5"),
            ],
            &[("host", b"a"), ("content-length", b"5, 5")],
            &[("host", b"a"), ("content-length", b"+5")],
            &[("host", b"a"), ("transfer-encoding", b"gzip, chunked")],
            &[
                ("host", b"a"),
                ("transfer-encoding", b"chunked"),
                ("transfer-encoding", b"chunked"),
            ],
            &[("host", b"a"), ("transfer-encoding", b"identity")],
        ];
        for c in cases {
            assert_eq!(code(&head(H11, "/", c)), Some("invalid-framing"), "{c:?}");
        }
        let te10 = head(Version::HTTP_10, "/", &[("transfer-encoding", b"chunked")]);
        assert_eq!(code(&te10), Some("invalid-framing"));
    }

    #[test]
    fn host_and_target_confusion_is_refused() {
        assert_eq!(code(&head(H11, "/", &[])), Some("invalid-host"));
        assert_eq!(
            code(&head(H11, "/", &[("host", b"a"), ("host", b"b")])),
            Some("invalid-host")
        );
        assert_eq!(
            code(&head(H11, "/", &[("host", b"user@a")])),
            Some("invalid-host")
        );
        assert_eq!(
            code(&head(H11, "http://evil/x", &[("host", b"a")])),
            Some("invalid-target")
        );
    }

    #[test]
    fn a_known_host_is_only_a_valid_one() {
        let known = KnownHost::default();
        let with = |host: &[u8]| check_on(&head(H11, "/", &[("host", host)]), &known);
        assert_eq!(with(b"user@a"), Err(problem::INVALID_HOST));
        assert_eq!(with(b"a:8080"), Ok(()));
        assert_eq!(with(b"a:8080"), Ok(()));
        assert_eq!(with(b"user@a"), Err(problem::INVALID_HOST));
        assert_eq!(with(b"a b"), Err(problem::INVALID_HOST));
        assert_eq!(with(b"b"), Ok(()));
        assert_eq!(with(b"a:8080"), Ok(()));
    }

    #[test]
    fn paths_servers_normalize_differently_are_refused() {
        for p in [
            "/a/../b",
            "/a/%2e%2e/b",
            "/a/%2E./b",
            "/./a",
            "/a/..",
            "/a\\b",
            "/a%5cb",
            "/a%00",
            "/public/..;/admin",
            "/public/.;x/admin",
            "//admin/x",
            "/public//admin",
            "/admin%2fx",
            "/a%2F.%2Fb",
        ] {
            assert_eq!(
                code(&head(H11, p, &[("host", b"a")])),
                Some("path-not-normalized"),
                "{p}"
            );
        }
        for p in [
            "/a/...b", "/a/b.c", "/v1.2/x", "/", "/a/", "/a;v=1/b", "/%20x",
        ] {
            assert_eq!(code(&head(H11, p, &[("host", b"a")])), None, "{p}");
        }
    }
}
