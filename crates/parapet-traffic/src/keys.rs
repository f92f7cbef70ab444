//! State keys of a request: the values a limit counts by, read from the request, its
//! identity and (for `body.*` parts) its JSON body.
//!
//! Every part is tagged, and an absent value is distinct from an empty one: all requests
//! lacking a value share one bucket (a client cannot escape a limit by leaving a field
//! out; another limit, usually per IP, still applies to it).

use parapet_config::KeyPart;
use parapet_policy::values::{claim, json_field, query_value};
use parapet_policy::{Decision, RequestContext, Step};
use parapet_state::{Key, Kind};
use serde_json::Value;
use std::net::IpAddr;

/// Builds the key of `kind` for the limit declared in `scope` as `name`, counting by
/// `parts` of this request.
pub(crate) fn key(
    kind: Kind,
    scope: &str,
    name: &str,
    parts: &[KeyPart],
    ctx: &RequestContext,
    req: &http::request::Parts,
    body: Option<&Value>,
) -> Key {
    let values: Vec<Vec<u8>> = parts
        .iter()
        .map(|p| tagged(value(p, ctx, req, body)))
        .collect();
    let head = [scope.as_bytes(), name.as_bytes()];
    Key::new(
        kind,
        head.into_iter().chain(values.iter().map(Vec::as_slice)),
    )
}

/// `=value` when present, `!` when absent.
fn tagged(v: Option<String>) -> Vec<u8> {
    match v {
        Some(v) => {
            let mut out = Vec::with_capacity(v.len() + 1);
            out.push(b'=');
            out.extend_from_slice(v.as_bytes());
            out
        }
        None => vec![b'!'],
    }
}

/// The value of one key part.
pub(crate) fn value(
    part: &KeyPart,
    ctx: &RequestContext,
    req: &http::request::Parts,
    body: Option<&Value>,
) -> Option<String> {
    match part {
        // Anonymous callers are counted by address, each apart.
        KeyPart::Consumer => Some(match ctx.consumer() {
            Some(c) => format!("c:{c}"),
            None => format!("ip:{}", network(ctx.client_ip)),
        }),
        KeyPart::Ip => Some(network(ctx.client_ip)),
        KeyPart::Route => Some(ctx.route.as_deref().unwrap_or("-").to_string()),
        KeyPart::Header(name) => {
            let mut values = req.headers.get_all(name.as_str()).iter();
            let first = values.next()?;
            // A repeated header is ambiguous: count it apart from any single value.
            if values.next().is_some() {
                return Some("\u{0}repeated".into());
            }
            Some(String::from_utf8_lossy(first.as_bytes()).into_owned())
        }
        KeyPart::Claim(path) => claim(ctx.identity.as_deref()?, path),
        KeyPart::Query(name) => query_value(req.uri.query(), name),
        KeyPart::Path(name) => ctx
            .path_params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone()),
        KeyPart::Body(path) => json_field(body?, path),
        KeyPart::Username(inner) => value(inner, ctx, req, body).map(|v| v.trim().to_lowercase()),
    }
}

/// The address a client is counted by: itself for IPv4, its /64 for IPv6 (one subscriber
/// line or host usually holds a whole /64, so counting addresses would let it multiply its
/// budget by 2^64).
fn network(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
    }
}

/// Whether counting by `parts` needs the body.
pub(crate) fn needs_body(parts: &[KeyPart]) -> bool {
    parts.iter().any(KeyPart::in_body)
}

/// A policy that counts requests by key parts: decided on the request head, or once the
/// body is read when a part is a body field. Its `Policy` phases call [`on_head`] and
/// [`on_body`].
pub(crate) trait Counting {
    /// Whether a key part is a body field.
    fn on_body(&self) -> bool;

    /// Counts the request; `body` is its JSON when [`Counting::on_body`] (or when it is
    /// not JSON, `None`).
    fn count<'a>(
        &'a self,
        ctx: &'a mut RequestContext,
        req: &http::request::Parts,
        body: Option<&Value>,
    ) -> Step<'a>;
}

/// The request-head phase of a [`Counting`] policy.
pub(crate) fn on_head<'a>(
    policy: &'a impl Counting,
    ctx: &'a mut RequestContext,
    req: &http::request::Parts,
) -> Step<'a> {
    if policy.on_body() {
        return Decision::Continue.into();
    }
    policy.count(ctx, req, None)
}

/// The request-body phase of a [`Counting`] policy.
pub(crate) fn on_body<'a>(
    policy: &'a impl Counting,
    ctx: &'a mut RequestContext,
    req: &http::request::Parts,
    body: &[u8],
) -> Step<'a> {
    if !policy.on_body() {
        return Decision::Continue.into();
    }
    let json: Option<Value> = serde_json::from_slice(body).ok();
    policy.count(ctx, req, json.as_ref())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use std::net::{IpAddr, Ipv4Addr};

    fn ctx() -> RequestContext {
        let ip = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 7));
        RequestContext::new("r".into(), ip, ip)
    }

    fn req(headers: &[(&str, &str)]) -> http::request::Parts {
        let mut b = http::Request::builder().uri("/x?u=bob");
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        b.body(()).unwrap().into_parts().0
    }

    #[test]
    fn absent_empty_and_repeated_values_are_distinct() {
        let (c, r) = (ctx(), req(&[("x-a", ""), ("x-b", "1"), ("x-b", "2")]));
        let k = |part: KeyPart| key(Kind::Rate, "s", "n", &[part], &c, &r, None);
        let absent = k(KeyPart::Header("x-z".into()));
        let empty = k(KeyPart::Header("x-a".into()));
        let repeated = k(KeyPart::Header("x-b".into()));
        assert_ne!(absent, empty);
        assert_ne!(empty, repeated);
        assert_ne!(absent, repeated);
    }

    #[test]
    fn consumers_and_anonymous_addresses_never_collide() {
        let mut c = ctx();
        let r = req(&[]);
        let anonymous = value(&KeyPart::Consumer, &c, &r, None).unwrap();
        assert_eq!(anonymous, "ip:192.0.2.7");
        c.identity = Some(std::sync::Arc::new(parapet_policy::Identity {
            consumer: "ip:192.0.2.7".into(),
            ..Default::default()
        }));
        assert_ne!(value(&KeyPart::Consumer, &c, &r, None).unwrap(), anonymous);
    }

    #[test]
    fn ipv6_clients_are_counted_by_their_64() {
        let ip = |s: &str| network(s.parse().unwrap());
        assert_eq!(ip("2001:db8:1:2:aaaa::1"), ip("2001:db8:1:2:ffff::9"));
        assert_ne!(ip("2001:db8:1:2::1"), ip("2001:db8:1:3::1"));
        assert_eq!(ip("::ffff:192.0.2.7"), "192.0.2.7");
        assert_eq!(ip("192.0.2.7"), "192.0.2.7");
    }

    #[test]
    fn body_and_query_values_are_read() {
        let (c, r) = (ctx(), req(&[]));
        let body: Value = serde_json::from_str(r#"{"user": {"name": "alice"}}"#).unwrap();
        let path = KeyPart::Body(vec!["user".into(), "name".into()]);
        assert_eq!(value(&path, &c, &r, Some(&body)).as_deref(), Some("alice"));
        assert_eq!(value(&path, &c, &r, None), None);
        assert_eq!(
            value(&KeyPart::Query("u".into()), &c, &r, None).as_deref(),
            Some("bob")
        );
    }
}
