//! Headers between client and upstream: the client's address behind trusted proxies,
//! `Forwarded` / `X-Forwarded-*`, hop-by-hop removal and the request id.

use http::{HeaderMap, HeaderName, HeaderValue, Version, header};
use ipnet::IpNet;
use std::net::IpAddr;
use std::sync::{Mutex, PoisonError};

static X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");
static X_FORWARDED_PROTO: HeaderName = HeaderName::from_static("x-forwarded-proto");
static X_FORWARDED_HOST: HeaderName = HeaderName::from_static("x-forwarded-host");
static X_REAL_IP: HeaderName = HeaderName::from_static("x-real-ip");
/// The request id header.
pub static X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Headers that belong to one connection and are never forwarded (RFC 9110 §7.6.1).
pub const HOP_BY_HOP: [&str; 8] = [
    "connection",
    "keep-alive",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "proxy-authorization",
];

fn trusted(ip: IpAddr, proxies: &[IpNet]) -> bool {
    let ip = ip.to_canonical();
    proxies.iter().any(|n| n.contains(&ip))
}

/// The client address: the peer itself, unless the peer is a trusted proxy, in which case
/// the right-most `X-Forwarded-For` entry that is not itself a trusted proxy. An entry that
/// does not parse stops the walk at the last address known good.
pub fn client_ip(peer: IpAddr, headers: &HeaderMap, proxies: &[IpNet]) -> IpAddr {
    if !trusted(peer, proxies) {
        return peer.to_canonical();
    }
    let mut client = peer.to_canonical();
    let entries = headers
        .get_all(&X_FORWARDED_FOR)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','));
    let entries: Vec<&str> = entries.collect();
    for entry in entries.iter().rev() {
        match entry.trim().parse::<IpAddr>() {
            Ok(ip) => {
                client = ip.to_canonical();
                if !trusted(ip, proxies) {
                    break;
                }
            }
            Err(_) => break,
        }
    }
    client
}

/// What the gateway knows about how the request reached it.
pub struct Origin<'a> {
    /// TCP peer.
    pub peer: IpAddr,
    /// Whether the peer is a trusted proxy (its forwarding headers are kept and extended).
    pub peer_trusted: bool,
    /// `https` on TLS listeners, `http` otherwise.
    pub scheme: &'static str,
    /// Host the client asked for.
    pub host: Option<&'a str>,
}

impl Origin<'_> {
    /// Whether `peer` is in `proxies`.
    pub fn is_trusted(peer: IpAddr, proxies: &[IpNet]) -> bool {
        trusted(peer, proxies)
    }
}

/// Whether `name` is in [`HOP_BY_HOP`].
fn is_hop_by_hop(name: &HeaderName) -> bool {
    name == header::CONNECTION
        || name == header::TE
        || name == header::TRAILER
        || name == header::TRANSFER_ENCODING
        || name == header::UPGRADE
        || name == header::PROXY_AUTHORIZATION
        || name.as_str() == "keep-alive"
        || name.as_str() == "proxy-connection"
}

/// Removes hop-by-hop headers, including every header the `Connection` header names.
/// With `keep_upgrade`, `Connection: upgrade` and `Upgrade` survive (WebSocket handshakes).
pub fn strip_hop_by_hop(headers: &mut HeaderMap, keep_upgrade: bool) {
    // With `keep_upgrade`, `Connection` is replaced below whatever it named.
    let kept =
        |name: &HeaderName| keep_upgrade && (name == header::CONNECTION || name == header::UPGRADE);
    // The names to remove are found by scans of the few names present (no lookup by a name
    // parsed from text); most messages have none, or `Connection` alone, whose usual values
    // (`keep-alive`, `close`) name no other header present.
    let mut doomed: Vec<HeaderName> = Vec::new();
    let named = headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        // Hop-by-hop names go below anyway.
        .filter(|token| !HOP_BY_HOP.iter().any(|h| h.eq_ignore_ascii_case(token)));
    for token in named {
        let found = headers
            .keys()
            .find(|n| n.as_str().eq_ignore_ascii_case(token) && !kept(n));
        if let Some(name) = found
            && !doomed.contains(name)
        {
            doomed.push(name.clone());
        }
    }
    doomed.extend(
        headers
            .keys()
            .filter(|n| is_hop_by_hop(n) && !kept(n))
            .cloned(),
    );
    for name in doomed {
        headers.remove(name);
    }
    if keep_upgrade {
        headers.insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
    }
}

/// Sets `X-Forwarded-For/Proto/Host` and `Forwarded` for the upstream. Client-supplied values
/// survive only when the peer is a trusted proxy; otherwise they are replaced.
pub fn set_forwarding(headers: &mut HeaderMap, origin: &Origin<'_>) {
    let host = origin.host.and_then(|h| HeaderValue::from_str(h).ok());
    Forwarding::new(origin.peer, origin.scheme).apply(headers, origin.peer_trusted, host.as_ref());
}

/// What the forwarding headers say about one connection (its peer and scheme), written
/// out once when it opens so that each of its requests only copies it.
#[derive(Debug)]
pub struct Forwarding {
    scheme: &'static str,
    /// The peer as an `X-Forwarded-For` entry.
    peer: HeaderValue,
    /// `for=…;proto=…`: this hop's `Forwarded` element, without the host.
    element: String,
    /// The host of the last request without a prior `Forwarded`, and the value built for it.
    last: Mutex<Option<(Option<HeaderValue>, HeaderValue)>>,
}

impl Forwarding {
    /// The forwarding of a connection from `peer` over `scheme` (`http` or `https`).
    pub fn new(peer: IpAddr, scheme: &'static str) -> Self {
        let peer = peer.to_canonical();
        let element = match peer {
            IpAddr::V4(v4) => format!("for={v4};proto={scheme}"),
            IpAddr::V6(v6) => format!("for=\"[{v6}]\";proto={scheme}"),
        };
        Forwarding {
            scheme,
            // An IP address is always a valid header value.
            peer: HeaderValue::from_str(&peer.to_string())
                .unwrap_or_else(|_| HeaderValue::from_static("unknown")),
            element,
            last: Mutex::new(None),
        }
    }

    /// Sets `X-Forwarded-For/Proto/Host` and `Forwarded` for one request whose client asked
    /// for `host`. Client-supplied values survive only when `peer_trusted`; otherwise they
    /// are replaced.
    pub fn apply(&self, headers: &mut HeaderMap, peer_trusted: bool, host: Option<&HeaderValue>) {
        let host = host.filter(|h| !h.is_empty());
        const FORWARDING: [&HeaderName; 5] = [
            &X_FORWARDED_FOR,
            &X_FORWARDED_PROTO,
            &X_FORWARDED_HOST,
            &X_REAL_IP,
            &header::FORWARDED,
        ];
        // Whether the client's own values are there (and kept): an untrusted peer's go. One
        // pass over the names present finds whether it sent any (most send none).
        let kept =
            |headers: &HeaderMap, name: &HeaderName| peer_trusted && headers.contains_key(name);
        if !peer_trusted && headers.keys().any(|n| FORWARDING.contains(&n)) {
            for name in FORWARDING {
                headers.remove(name);
            }
        }
        if kept(headers, &X_FORWARDED_FOR) {
            let mut xff = String::with_capacity(64);
            append_prior(&mut xff, headers, &X_FORWARDED_FOR);
            xff.push_str(self.peer.to_str().unwrap_or_default());
            set(headers, &X_FORWARDED_FOR, xff);
        } else {
            headers.insert(X_FORWARDED_FOR.clone(), self.peer.clone());
        }
        if !kept(headers, &X_FORWARDED_PROTO) {
            headers.insert(
                X_FORWARDED_PROTO.clone(),
                HeaderValue::from_static(self.scheme),
            );
        }
        if let Some(host) = host
            && !kept(headers, &X_FORWARDED_HOST)
        {
            headers.insert(X_FORWARDED_HOST.clone(), host.clone());
        }
        if kept(headers, &header::FORWARDED) {
            let mut forwarded = String::with_capacity(128);
            append_prior(&mut forwarded, headers, &header::FORWARDED);
            self.write_element(&mut forwarded, host);
            set(headers, &header::FORWARDED, forwarded);
            return;
        }
        // Without a prior value, the value depends on the host only: the last one built is
        // kept (a connection's requests usually all ask for the same host).
        let mut last = self.last.lock().unwrap_or_else(PoisonError::into_inner);
        let value = match last.as_ref() {
            Some((h, value)) if h.as_ref() == host => Some(value.clone()),
            _ => {
                let mut forwarded = String::with_capacity(self.element.len() + 64);
                self.write_element(&mut forwarded, host);
                let value = HeaderValue::from_maybe_shared(bytes::Bytes::from(forwarded)).ok();
                if let Some(value) = &value {
                    *last = Some((host.cloned(), value.clone()));
                }
                value
            }
        };
        drop(last);
        if let Some(value) = value {
            headers.insert(header::FORWARDED, value);
        }
    }

    /// Appends this hop's `Forwarded` element for a request that asked for `host`.
    fn write_element(&self, out: &mut String, host: Option<&HeaderValue>) {
        out.push_str(&self.element);
        if let Some(host) = host.map(|h| h.to_str().unwrap_or_default()) {
            out.push_str(";host=\"");
            out.extend(host.chars().filter(|c| *c != '"' && *c != '\\'));
            out.push('"');
        }
    }
}

/// Appends the values of `name` already present, each followed by `, `.
fn append_prior(out: &mut String, headers: &HeaderMap, name: &HeaderName) {
    for v in headers.get_all(name).iter().filter_map(|v| v.to_str().ok()) {
        out.push_str(v);
        out.push_str(", ");
    }
}

/// Sets `name` to `value` when it is a valid header value (visible ASCII: what the values
/// it is built from are, having passed `to_str`).
fn set(headers: &mut HeaderMap, name: &HeaderName, value: String) {
    if let Ok(v) = HeaderValue::from_maybe_shared(bytes::Bytes::from(value)) {
        headers.insert(name.clone(), v);
    }
}

/// The client's `X-Request-Id` when it is 1–128 characters of `[A-Za-z0-9._:-]`, else a new
/// random one.
pub fn request_id(headers: &HeaderMap) -> String {
    let valid = |s: &str| {
        !s.is_empty()
            && s.len() <= 128
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._:-".contains(&b))
    };
    match headers.get(&X_REQUEST_ID).and_then(|v| v.to_str().ok()) {
        Some(id) if valid(id) => id.to_string(),
        _ => uuid::Uuid::new_v4()
            .simple()
            .encode_lower(&mut uuid::Uuid::encode_buffer())
            .to_owned(),
    }
}

/// [`request_authority`] as a header value (the `Host` header's own when it comes from it).
pub fn request_authority_value(parts: &http::request::Parts) -> Option<HeaderValue> {
    match parts.uri.authority() {
        Some(a) => HeaderValue::from_str(a.as_str()).ok(),
        None => parts
            .headers
            .get(header::HOST)
            .filter(|h| h.to_str().is_ok())
            .cloned(),
    }
}

/// The authority the client asked for: from the URI (HTTP/2, absolute form) or Host.
pub fn request_authority(parts: &http::request::Parts) -> Option<&str> {
    parts
        .uri
        .authority()
        .map(|a| a.as_str())
        .or_else(|| parts.headers.get(header::HOST)?.to_str().ok())
}

/// The host of an authority, without port or IPv6 brackets.
pub fn host_of(authority: &str) -> &str {
    if let Some(rest) = authority.strip_prefix('[') {
        return rest.split_once(']').map_or(rest, |(h, _)| h);
    }
    authority.rsplit_once(':').map_or(authority, |(h, _)| h)
}

/// An HTTP/1.1 `Connection: upgrade` request with an `Upgrade` header (WebSocket).
pub fn is_upgrade(parts: &http::request::Parts) -> bool {
    parts.version == Version::HTTP_11
        && parts.headers.contains_key(header::UPGRADE)
        && parts
            .headers
            .get_all(header::CONNECTION)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .any(|v| {
                v.split(',')
                    .any(|t| t.trim().eq_ignore_ascii_case("upgrade"))
            })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (n, v) in pairs {
            h.append(
                HeaderName::from_bytes(n.as_bytes()).unwrap(),
                v.parse().unwrap(),
            );
        }
        h
    }

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_proxies() {
        let proxies: Vec<IpNet> = vec!["10.0.0.0/8".parse().unwrap()];
        let h = map(&[("x-forwarded-for", "198.51.100.7, 10.0.0.5")]);
        assert_eq!(
            client_ip("10.0.0.1".parse().unwrap(), &h, &proxies),
            "198.51.100.7".parse::<IpAddr>().unwrap()
        );
        assert_eq!(
            client_ip("192.0.2.1".parse().unwrap(), &h, &proxies),
            "192.0.2.1".parse::<IpAddr>().unwrap()
        );
        let spoofed = map(&[("x-forwarded-for", "1.1.1.1, garbage, 198.51.100.7")]);
        assert_eq!(
            client_ip("10.0.0.1".parse().unwrap(), &spoofed, &proxies),
            "198.51.100.7".parse::<IpAddr>().unwrap()
        );
    }

    #[test]
    fn untrusted_forwarding_headers_are_replaced() {
        let mut h = map(&[
            ("x-forwarded-for", "6.6.6.6"),
            ("forwarded", "for=6.6.6.6"),
            ("x-real-ip", "6.6.6.6"),
        ]);
        let origin = Origin {
            peer: "192.0.2.1".parse().unwrap(),
            peer_trusted: false,
            scheme: "https",
            host: Some("api.example"),
        };
        set_forwarding(&mut h, &origin);
        assert_eq!(h["x-forwarded-for"], "192.0.2.1");
        assert_eq!(
            h["forwarded"],
            "for=192.0.2.1;proto=https;host=\"api.example\""
        );
        assert_eq!(h["x-forwarded-proto"], "https");
        assert!(!h.contains_key("x-real-ip"));
    }

    #[test]
    fn a_trusted_proxy_s_forwarding_headers_are_extended() {
        let mut h = map(&[
            ("x-forwarded-for", "198.51.100.7"),
            ("forwarded", "for=198.51.100.7"),
            ("x-forwarded-proto", "https"),
            ("x-real-ip", "198.51.100.7"),
        ]);
        let host = HeaderValue::from_static("api.example:8443");
        let forwarding = Forwarding::new("::ffff:10.0.0.1".parse().unwrap(), "http");
        forwarding.apply(&mut h, true, Some(&host));
        assert_eq!(h["x-forwarded-for"], "198.51.100.7, 10.0.0.1");
        assert_eq!(
            h["forwarded"],
            "for=198.51.100.7, for=10.0.0.1;proto=http;host=\"api.example:8443\""
        );
        assert_eq!(h["x-forwarded-proto"], "https");
        assert_eq!(h["x-forwarded-host"], "api.example:8443");
        assert_eq!(h["x-real-ip"], "198.51.100.7");
        // The same connection, an untrusted peer's request without a host.
        let mut h = map(&[("x-forwarded-host", "evil")]);
        let forwarding = Forwarding::new("2001:db8::1".parse().unwrap(), "https");
        forwarding.apply(&mut h, false, None);
        assert_eq!(h["x-forwarded-for"], "2001:db8::1");
        assert_eq!(h["forwarded"], "for=\"[2001:db8::1]\";proto=https");
        assert!(!h.contains_key("x-forwarded-host"));
        // Later requests on the connection, each with its own host.
        for host in ["a.example", "b.example", "b.example", "a.example"] {
            let mut h = HeaderMap::new();
            forwarding.apply(&mut h, false, Some(&HeaderValue::from_static(host)));
            assert_eq!(
                h["forwarded"],
                format!("for=\"[2001:db8::1]\";proto=https;host=\"{host}\"")
            );
        }
    }

    #[test]
    fn hop_by_hop_headers_go_including_those_named_by_connection() {
        let mut h = map(&[
            ("connection", "close, x-secret"),
            ("x-secret", "1"),
            ("keep-alive", "5"),
            ("te", "trailers"),
            ("x-keep", "1"),
        ]);
        strip_hop_by_hop(&mut h, false);
        assert_eq!(h.len(), 1);
        assert!(h.contains_key("x-keep"));

        let mut h = map(&[
            ("connection", "Upgrade, X-Secret"),
            ("upgrade", "websocket"),
            ("x-secret", "1"),
            ("transfer-encoding", "chunked"),
            ("x-keep", "1"),
        ]);
        strip_hop_by_hop(&mut h, true);
        assert_eq!(h.len(), 3);
        assert_eq!(h["connection"], "upgrade");
        assert_eq!(h["upgrade"], "websocket");
        assert!(h.contains_key("x-keep"));

        // Every `Connection` line counts; the names it gives are not case-sensitive.
        let mut h = map(&[
            ("connection", "keep-alive"),
            ("connection", " X-Other ,close"),
            ("x-other", "1"),
            ("proxy-connection", "keep-alive"),
            ("x-keep", "1"),
        ]);
        strip_hop_by_hop(&mut h, false);
        assert_eq!(h.len(), 1);
        assert!(h.contains_key("x-keep"));
    }

    #[test]
    fn request_ids_are_kept_only_when_safe() {
        assert_eq!(request_id(&map(&[("x-request-id", "abc-123")])), "abc-123");
        assert_ne!(request_id(&map(&[("x-request-id", "a b\"c")])), "a b\"c");
        assert_eq!(request_id(&HeaderMap::new()).len(), 32);
    }
}
