//! Request heads built directly with the `http` crate from structured input, so that what
//! `http` accepts but httparse would never hand over is covered too: HTTP/2 and HTTP/3
//! versions (absolute targets without Host), header values with leading or trailing
//! whitespace, empty values, targets built from parts, and arbitrary peers, trusted proxies
//! and access-log rules. Runs the same functions and checks as `request_head`.
#![no_main]

use arbitrary::Arbitrary;
use http::{HeaderName, HeaderValue, Method, Uri, Version};
use ipnet::IpNet;
use libfuzzer_sys::fuzz_target;
use parapet_fuzz::{LogRules, exercise};
use std::net::IpAddr;

/// Header names the gateway treats specially.
const NAMES: [&str; 24] = [
    "host",
    "content-length",
    "transfer-encoding",
    "connection",
    "upgrade",
    "keep-alive",
    "proxy-connection",
    "te",
    "trailer",
    "proxy-authorization",
    "x-forwarded-for",
    "x-forwarded-proto",
    "x-forwarded-host",
    "x-real-ip",
    "forwarded",
    "x-request-id",
    "authorization",
    "cookie",
    "x-api-key",
    "user-agent",
    "x-session",
    "content-type",
    "expect",
    "sec-websocket-key",
];

/// Values that matter to the framing, forwarding and upgrade logic.
const VALUES: [&str; 20] = [
    "chunked",
    "Chunked",
    "gzip, chunked",
    "chunked, chunked",
    "identity",
    "0",
    "5",
    "+5",
    "5, 5",
    "18446744073709551616",
    "upgrade",
    "close, x-secret",
    "keep-alive, Upgrade",
    "websocket",
    "10.0.0.5, 198.51.100.7",
    "1.1.1.1, garbage, ::ffff:10.0.0.1",
    "for=6.6.6.6;proto=https",
    "api.example:8080",
    "[::1]:443",
    "user@evil",
];

const METHODS: [&str; 10] = [
    "GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "CONNECT", "TRACE", "PRI",
];

#[derive(Arbitrary, Debug)]
enum MethodIn {
    Known(u8),
    Raw(Vec<u8>),
}

#[derive(Arbitrary, Debug)]
enum UriIn {
    /// Any text through `Uri::try_from`.
    Raw(String),
    /// Built from parts with `Uri::builder`, as the h2 crate does from pseudo-headers.
    Parts {
        scheme: Option<SchemeIn>,
        authority: Option<String>,
        path_and_query: Option<String>,
    },
}

#[derive(Arbitrary, Debug)]
enum SchemeIn {
    Http,
    Https,
    Other(String),
}

#[derive(Arbitrary, Debug)]
enum NameIn {
    Known(u8),
    Raw(Vec<u8>),
}

#[derive(Arbitrary, Debug)]
enum ValueIn {
    Known(u8),
    /// A known value with whitespace around it (httparse trims it; http keeps it).
    Padded(u8, Pad, Pad),
    Raw(Vec<u8>),
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Pad {
    None,
    Space,
    Tab,
    Spaces,
}

impl Pad {
    fn as_str(self) -> &'static str {
        match self {
            Pad::None => "",
            Pad::Space => " ",
            Pad::Tab => "\t",
            Pad::Spaces => " \t ",
        }
    }
}

#[derive(Arbitrary, Debug)]
struct Input {
    method: MethodIn,
    uri: UriIn,
    version: u8,
    headers: Vec<(NameIn, ValueIn)>,
    peer: IpAddr,
    proxies: Vec<(IpAddr, u8)>,
    tls: bool,
    log_headers: Vec<NameIn>,
    redact_headers: Vec<NameIn>,
    redact_query: Vec<String>,
}

fn method(m: &MethodIn) -> Option<Method> {
    match m {
        MethodIn::Known(i) => {
            Method::from_bytes(METHODS[*i as usize % METHODS.len()].as_bytes()).ok()
        }
        MethodIn::Raw(b) => Method::from_bytes(b).ok(),
    }
}

fn uri(u: &UriIn) -> Option<Uri> {
    match u {
        UriIn::Raw(s) => Uri::try_from(s.as_str()).ok(),
        UriIn::Parts {
            scheme,
            authority,
            path_and_query,
        } => {
            let mut b = Uri::builder();
            match scheme {
                Some(SchemeIn::Http) => b = b.scheme("http"),
                Some(SchemeIn::Https) => b = b.scheme("https"),
                Some(SchemeIn::Other(s)) => b = b.scheme(s.as_str()),
                None => {}
            }
            if let Some(a) = authority {
                b = b.authority(a.as_str());
            }
            if let Some(p) = path_and_query {
                b = b.path_and_query(p.as_str());
            }
            b.build().ok()
        }
    }
}

fn version(v: u8) -> Version {
    match v % 5 {
        0 => Version::HTTP_09,
        1 => Version::HTTP_10,
        2 => Version::HTTP_11,
        3 => Version::HTTP_2,
        _ => Version::HTTP_3,
    }
}

fn name_bytes(n: &NameIn) -> Vec<u8> {
    match n {
        NameIn::Known(i) => NAMES[*i as usize % NAMES.len()].as_bytes().to_vec(),
        NameIn::Raw(b) => b.clone(),
    }
}

fn name(n: &NameIn) -> Option<HeaderName> {
    HeaderName::from_bytes(&name_bytes(n)).ok()
}

fn value(v: &ValueIn) -> Option<HeaderValue> {
    let known = |i: &u8| VALUES[*i as usize % VALUES.len()];
    match v {
        ValueIn::Known(i) => HeaderValue::from_str(known(i)).ok(),
        ValueIn::Padded(i, before, after) => HeaderValue::from_str(&format!(
            "{}{}{}",
            before.as_str(),
            known(i),
            after.as_str()
        ))
        .ok(),
        ValueIn::Raw(b) => HeaderValue::from_bytes(b).ok(),
    }
}

fn log_name(n: &NameIn) -> String {
    // The config lower-cases names; raw ones may still be anything.
    String::from_utf8_lossy(&name_bytes(n))
        .trim()
        .to_ascii_lowercase()
}

fuzz_target!(|input: Input| {
    let (Some(method), Some(uri)) = (method(&input.method), uri(&input.uri)) else {
        return;
    };
    let mut builder = http::Request::builder()
        .method(method)
        .uri(uri)
        .version(version(input.version));
    for (n, v) in &input.headers {
        if let (Some(n), Some(v)) = (name(n), value(v)) {
            builder = builder.header(n, v);
        }
    }
    let Ok(request) = builder.body(()) else {
        return;
    };
    let (parts, ()) = request.into_parts();
    let proxies: Vec<IpNet> = input
        .proxies
        .iter()
        .filter_map(|(ip, len)| IpNet::new(*ip, *len).ok().map(|n| n.trunc()))
        .collect();
    let rules = LogRules::new(
        input.log_headers.iter().map(log_name).collect(),
        input.redact_headers.iter().map(log_name).collect(),
        input.redact_query.clone(),
    );
    exercise(&parts, &rules.env(input.peer, &proxies, input.tls));
});
