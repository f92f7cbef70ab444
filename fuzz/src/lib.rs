//! Shared code of Parapet's fuzz targets: turning raw bytes into a request head the way
//! hyper does, and running every request-head function of `parapet-proxy` on it with the
//! checks that must hold whatever the input.
//!
//! A failed `assert!` here is a finding just like a panic inside the gateway: it means a
//! security property documented in `hygiene.rs`, `forward.rs` or `telemetry/access.rs` does
//! not hold for some input.
//!
//! The JWT targets' verifier and checks are in [`jwt`], the HTTP Message Signature targets'
//! input form, keys and models in [`signature`].

pub mod jwt;
pub mod signature;

use http::{HeaderMap, HeaderName, HeaderValue, Method, Uri, Version, header, request::Parts};
use ipnet::IpNet;
use parapet_proxy::forward::{self, HOP_BY_HOP, Origin};
use parapet_proxy::hygiene;
use parapet_proxy::telemetry::access::{REDACTED, Redactor, SECRET_HEADERS, SECRET_PARAMS};
use std::net::IpAddr;

/// hyper's server is configured with `.max_headers(256)` (server/listener.rs).
pub const MAX_HEADERS: usize = 256;
/// hyper refuses request targets longer than this (`MAX_URI_LEN` in hyper's h1 role.rs).
pub const MAX_URI_LEN: usize = (u16::MAX - 1) as usize;

/// Parses `bytes` as an HTTP/1.1 request head with httparse and builds the request parts
/// the way hyper 1.x's `Server::parse` does (method, target, version, headers in order).
/// `None` when httparse or the http crate refuse it, or the head is incomplete.
///
/// Unlike hyper this does not fold repeated `Content-Length` headers nor drop
/// `Content-Length` next to `Transfer-Encoding`, so the hygiene checks see more than they
/// would behind hyper's HTTP/1 parser (as they do behind HTTP/2).
pub fn parse_head(bytes: &[u8]) -> Option<Parts> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut req = httparse::Request::new(&mut headers);
    // hyper's default parser config: no lenient options are enabled by Parapet.
    let config = httparse::ParserConfig::default();
    match config.parse_request(&mut req, bytes) {
        Ok(httparse::Status::Complete(_)) => {}
        Ok(httparse::Status::Partial) | Err(_) => return None,
    }
    let path = req.path?;
    if path.len() > MAX_URI_LEN {
        return None;
    }
    let method = Method::from_bytes(req.method?.as_bytes()).ok()?;
    let uri = Uri::try_from(path.as_bytes()).ok()?;
    let version = if req.version? == 1 {
        Version::HTTP_11
    } else {
        Version::HTTP_10
    };
    let mut builder = http::Request::builder()
        .method(method)
        .uri(uri)
        .version(version);
    for h in req.headers.iter() {
        // hyper treats a name httparse accepted but http refuses as an internal error, and
        // takes values unchecked; both are valid for http whenever httparse accepted them.
        let name = HeaderName::from_bytes(h.name.as_bytes()).ok()?;
        let value = HeaderValue::from_bytes(h.value).ok()?;
        builder = builder.header(name, value);
    }
    Some(builder.body(()).ok()?.into_parts().0)
}

/// Where a request came from and how the gateway is configured, for one run.
pub struct Env<'a> {
    /// TCP peer.
    pub peer: IpAddr,
    /// `trusted_proxies`.
    pub proxies: &'a [IpNet],
    /// TLS listener or not.
    pub tls: bool,
    /// Access-log redaction rules.
    pub redactor: &'a Redactor,
    /// The header names the redactor logs (`log.headers`).
    pub logged_headers: &'a [String],
    /// `log.redact_headers`.
    pub redact_headers: &'a [String],
    /// `log.redact_query`.
    pub redact_query: &'a [String],
    /// `identity.api_keys`: its header and refused query parameters are secrets too.
    pub api_keys: &'a parapet_config::ApiKeys,
}

/// A redactor and the lists it was built from.
pub struct LogRules {
    /// `log.headers`.
    pub headers: Vec<String>,
    /// `log.redact_headers`.
    pub redact_headers: Vec<String>,
    /// `log.redact_query`.
    pub redact_query: Vec<String>,
    /// `identity.api_keys` (the defaults).
    pub api_keys: parapet_config::ApiKeys,
    /// Built from the above.
    pub redactor: Redactor,
}

impl LogRules {
    /// Rules from the three lists, with the default API-key settings.
    pub fn new(
        headers: Vec<String>,
        redact_headers: Vec<String>,
        redact_query: Vec<String>,
    ) -> Self {
        let api_keys = parapet_config::Identity::default().api_keys;
        let redactor = Redactor::new(
            &parapet_config::Log {
                access: parapet_config::LogTarget::Off,
                events: parapet_config::LogTarget::Off,
                headers: headers.clone(),
                redact_headers: redact_headers.clone(),
                redact_query: redact_query.clone(),
            },
            &api_keys,
        );
        LogRules {
            headers,
            redact_headers,
            redact_query,
            api_keys,
            redactor,
        }
    }

    /// Rules that log a few ordinary and a few secret headers.
    pub fn typical() -> Self {
        LogRules::new(
            [
                "user-agent",
                "authorization",
                "cookie",
                "x-session",
                "x-api-key",
                "x-forwarded-for",
                "host",
            ]
            .map(String::from)
            .to_vec(),
            vec!["x-session".into()],
            vec!["sig".into()],
        )
    }

    /// An [`Env`] with these rules.
    pub fn env<'a>(&'a self, peer: IpAddr, proxies: &'a [IpNet], tls: bool) -> Env<'a> {
        Env {
            peer,
            proxies,
            tls,
            redactor: &self.redactor,
            logged_headers: &self.headers,
            redact_headers: &self.redact_headers,
            redact_query: &self.redact_query,
            api_keys: &self.api_keys,
        }
    }
}

/// Runs, on `parts`, what the gateway runs on every request head (service.rs `handle`,
/// `exchange`, `prepare_upstream_request`, `LogLine::start`) and checks the properties that
/// must hold whatever the input.
pub fn exercise(parts: &Parts, env: &Env<'_>) {
    // Before any check: client address, request id and the access log's view.
    let client = forward::client_ip(env.peer, &parts.headers, env.proxies);
    if !Origin::is_trusted(env.peer, env.proxies) {
        assert_eq!(
            client,
            env.peer.to_canonical(),
            "untrusted peer's XFF believed"
        );
    }
    let id = forward::request_id(&parts.headers);
    assert!(
        !id.is_empty()
            && id.len() <= 128
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._:-".contains(&b)),
        "unsafe request id {id:?}"
    );
    check_target_redacted(env, &parts.uri);
    check_headers_redacted(env, &parts.headers);

    let verdict = hygiene::check(parts);
    let _ = hygiene::head_size(parts);
    if verdict.is_ok() {
        check_accepted_head(parts);
    }

    // Hop-by-hop removal runs on the request (after hygiene) and on responses (always).
    for keep_upgrade in [false, true] {
        let mut headers = parts.headers.clone();
        forward::strip_hop_by_hop(&mut headers, keep_upgrade);
        check_stripped(&parts.headers, &headers, keep_upgrade);
    }

    // The upstream request: only for heads hygiene let through, as in the gateway.
    if verdict.is_err() {
        return;
    }
    let upgrade = forward::is_upgrade(parts);
    let mut headers = parts.headers.clone();
    forward::strip_hop_by_hop(&mut headers, upgrade);
    headers.remove(header::HOST);
    let host = forward::request_authority(parts);
    // The router's view of it: must not panic on any authority.
    let _ = host.map(forward::host_of);
    let peer_trusted = Origin::is_trusted(env.peer, env.proxies);
    let origin = Origin {
        peer: env.peer,
        peer_trusted,
        scheme: if env.tls { "https" } else { "http" },
        host,
    };
    forward::set_forwarding(&mut headers, &origin);
    check_forwarding(&headers, &origin);
}

/// `path?query` with every secret parameter's value replaced, the path untouched.
fn check_target_redacted(env: &Env<'_>, uri: &Uri) {
    let out = env.redactor.target(uri);
    let (path, query) = match out.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (out.as_str(), None),
    };
    assert_eq!(path, uri.path(), "redaction changed the path");
    assert_eq!(query.is_some(), uri.query().is_some());
    let Some(query) = query else { return };
    for pair in query.split('&') {
        if let Some((name, value)) = pair.split_once('=') {
            let secret = SECRET_PARAMS
                .iter()
                .copied()
                .chain(env.redact_query.iter().map(String::as_str))
                .chain(env.api_keys.refused_query_params.iter().map(String::as_str))
                .any(|s| s.eq_ignore_ascii_case(name));
            if secret {
                assert_eq!(value, REDACTED, "secret query parameter {name:?} logged");
            }
        }
    }
}

/// Secret headers are logged as `[REDACTED]` only.
fn check_headers_redacted(env: &Env<'_>, headers: &HeaderMap) {
    let out = env.redactor.headers(headers);
    for (name, value) in &out {
        assert!(
            env.logged_headers.contains(name),
            "unlisted header {name:?} logged"
        );
        let secret = SECRET_HEADERS.contains(&name.as_str())
            || env.redact_headers.contains(name)
            || *name == env.api_keys.header;
        if secret {
            assert_eq!(value, REDACTED, "secret header {name:?} logged");
        }
    }
}

/// What `hygiene::check` promises about a head it accepts (see the module docs of
/// parapet-proxy's hygiene.rs).
fn check_accepted_head(parts: &Parts) {
    assert_ne!(parts.method, Method::CONNECT, "CONNECT accepted");
    let path = parts.uri.path();
    assert!(path.starts_with('/'), "path {path:?} accepted");
    let hosts = parts.headers.get_all(header::HOST).iter().count();
    assert!(hosts <= 1, "{hosts} Host headers accepted");
    if parts.version == Version::HTTP_11 {
        assert_eq!(hosts, 1, "HTTP/1.1 without Host accepted");
    }
    let lengths: Vec<&HeaderValue> = parts
        .headers
        .get_all(header::CONTENT_LENGTH)
        .iter()
        .collect();
    assert!(lengths.len() <= 1, "repeated Content-Length accepted");
    for l in &lengths {
        assert!(
            !l.is_empty() && l.as_bytes().iter().all(u8::is_ascii_digit),
            "Content-Length {l:?} accepted"
        );
    }
    let encodings: Vec<&HeaderValue> = parts
        .headers
        .get_all(header::TRANSFER_ENCODING)
        .iter()
        .collect();
    if !encodings.is_empty() {
        assert_eq!(encodings.len(), 1, "repeated Transfer-Encoding accepted");
        assert!(
            encodings[0]
                .as_bytes()
                .trim_ascii()
                .eq_ignore_ascii_case(b"chunked"),
            "Transfer-Encoding {:?} accepted",
            encodings[0]
        );
        assert!(
            lengths.is_empty(),
            "Content-Length with Transfer-Encoding accepted"
        );
        assert_eq!(
            parts.version,
            Version::HTTP_11,
            "Transfer-Encoding before HTTP/1.1"
        );
    }
    if let (Some(a), Some(h)) = (parts.uri.authority(), parts.headers.get(header::HOST)) {
        assert!(
            h.to_str().is_ok_and(|h| h.eq_ignore_ascii_case(a.as_str())),
            "absolute-form target {a} accepted with Host {h:?}"
        );
    }
    // No dot segment in any case or `%2e` spelling, no `..` next to an encoded slash, no
    // backslash, encoded backslash or encoded NUL.
    let decoded = dots_decoded(path);
    let has = |needle: &[u8]| decoded.windows(needle.len()).any(|w| w == needle);
    assert!(
        !has(b"\\") && !has(b"%5c") && !has(b"%00"),
        "path {path:?} with backslash or NUL accepted"
    );
    assert!(
        !decoded
            .split(|&b| b == b'/')
            .any(|seg| seg == b"." || seg == b"..")
            && !has(b"%2f..")
            && !has(b"..%2f"),
        "path {path:?} with a dot segment accepted"
    );
}

/// Lower-cases `path` and decodes `%2e` only, as hygiene does before looking for dot
/// segments (`%2f` stays encoded: it is not a separator for the router).
fn dots_decoded(path: &str) -> Vec<u8> {
    path.to_ascii_lowercase().replace("%2e", ".").into_bytes()
}

/// No hop-by-hop header, nor any header `Connection` named, survives (except `Upgrade` and
/// `Connection: upgrade` for upgrades).
fn check_stripped(before: &HeaderMap, after: &HeaderMap, keep_upgrade: bool) {
    for name in HOP_BY_HOP {
        if keep_upgrade && (name == "connection" || name == "upgrade") {
            continue;
        }
        assert!(!after.contains_key(name), "hop-by-hop {name} kept");
    }
    let named = before
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|n| HeaderName::from_bytes(n.trim().as_bytes()).ok());
    for name in named {
        if keep_upgrade && (name == header::UPGRADE || name == header::CONNECTION) {
            continue;
        }
        assert!(
            !after.contains_key(&name),
            "{name} named by Connection kept"
        );
    }
    if keep_upgrade {
        let values: Vec<&HeaderValue> = after.get_all(header::CONNECTION).iter().collect();
        assert_eq!(values, [&HeaderValue::from_static("upgrade")]);
    }
}

/// The forwarding headers the upstream sees: the peer is always the last hop, and a
/// client's own values survive only from a trusted proxy.
fn check_forwarding(after: &HeaderMap, origin: &Origin<'_>) {
    let peer = origin.peer.to_canonical().to_string();
    let xff: Vec<&HeaderValue> = after.get_all("x-forwarded-for").iter().collect();
    assert_eq!(xff.len(), 1, "X-Forwarded-For not set once");
    let xff = xff[0].to_str().expect("X-Forwarded-For is text");
    assert!(
        xff.ends_with(&peer),
        "X-Forwarded-For {xff:?} does not end with the peer"
    );
    let forwarded: Vec<&HeaderValue> = after.get_all(header::FORWARDED).iter().collect();
    assert_eq!(forwarded.len(), 1, "Forwarded not set once");
    let proto = after
        .get("x-forwarded-proto")
        .expect("X-Forwarded-Proto set");
    if !origin.peer_trusted {
        assert_eq!(xff, peer, "untrusted X-Forwarded-For kept");
        assert!(!after.contains_key("x-real-ip"), "untrusted X-Real-IP kept");
        assert_eq!(proto, origin.scheme, "untrusted X-Forwarded-Proto kept");
        let f = forwarded[0].to_str().expect("Forwarded is text");
        assert!(f.starts_with("for="), "untrusted Forwarded {f:?} kept");
        assert!(!f.contains(", "), "untrusted Forwarded {f:?} kept");
        if let Some(h) = after.get("x-forwarded-host") {
            assert_eq!(Some(h.as_bytes()), origin.host.map(str::as_bytes));
        }
    }
}

/// A few peers against `trusted_proxies = [10.0.0.0/8, 2001:db8:1::/48]`: trusted and not,
/// v4, v6 and v4-mapped v6.
pub fn fixed_peers() -> (Vec<IpAddr>, Vec<IpNet>) {
    let peers = [
        "10.0.0.1",
        "203.0.113.9",
        "::ffff:10.1.2.3",
        "2001:db8:1::7",
        "::1",
    ]
    .iter()
    .filter_map(|s| s.parse().ok())
    .collect();
    let proxies = ["10.0.0.0/8", "2001:db8:1::/48"]
        .iter()
        .filter_map(|s| s.parse().ok())
        .collect();
    (peers, proxies)
}
