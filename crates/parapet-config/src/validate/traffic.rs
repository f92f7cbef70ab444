//! Validation of traffic control: the `state` backend and the `rate_limit`, `quota`,
//! `spike_arrest`, `concurrency` and `sensitive` blocks.

use super::Checker;
use crate::file::{self, OneOrMany, SpannedStr};
use crate::model::*;
use serde_saphyr::{Location, Spanned};
use std::time::Duration;

/// The `state` block.
pub(super) fn state(spec: &Option<Spanned<file::StateSpec>>, c: &mut Checker) -> StateConfig {
    let d = StateConfig::default();
    let Some(spec) = spec else { return d };
    match &spec.value {
        file::StateSpec::Short(s) if s.value.trim() == "memory" => d,
        file::StateSpec::Short(s) => StateConfig {
            redis: redis_url(s, within(&s.referenced, &spec.referenced), c)
                .map(RedisTarget::Single),
            ..d
        },
        file::StateSpec::Full(b) => {
            let redis = match (&b.redis, &b.cluster) {
                (Some(_), Some(nodes)) => {
                    c.error(
                        &nodes.referenced,
                        "give either redis (one node) or cluster (seed nodes), not both",
                    );
                    None
                }
                (Some(url), None) => redis_url(url, within(&url.referenced, &spec.referenced), c)
                    .map(RedisTarget::Single),
                (None, Some(nodes)) => {
                    if nodes.value.is_empty() {
                        c.error(&nodes.referenced, "cluster needs at least one seed node");
                    }
                    let urls: Vec<String> = nodes
                        .value
                        .iter()
                        .filter_map(|n| redis_url(n, within(&n.referenced, &spec.referenced), c))
                        .collect();
                    Some(RedisTarget::Cluster(urls))
                }
                (None, None) => None,
            };
            let timeout = c.positive_duration(&b.timeout, d.timeout, "timeout");
            if let Some(t) = &b.timeout
                && t.value.0 > Duration::from_secs(5)
            {
                c.warn(
                    &t.referenced,
                    "a state timeout above 5s holds requests that long whenever Redis stalls",
                );
            }
            StateConfig {
                redis,
                timeout,
                prefix: b.prefix.as_ref().map_or(d.prefix, |p| p.value.clone()),
                max_keys: b.max_keys.as_ref().map_or(d.max_keys, |m| {
                    if m.value == 0 {
                        c.error(&m.referenced, "max_keys must be at least 1");
                    }
                    usize::try_from(m.value).unwrap_or(usize::MAX)
                }),
            }
        }
    }
}

/// A `redis://` URL with a host.
fn redis_url(s: &SpannedStr, at: &Location, c: &mut Checker) -> Option<String> {
    let url = s.value.trim();
    if url.starts_with("rediss://") {
        c.error(at, "TLS to Redis (rediss://) is not supported yet; use redis:// on a private network or a TLS sidecar");
        return None;
    }
    let Some(rest) = url.strip_prefix("redis://") else {
        c.error(
            at,
            format!(
                "invalid state {:?}: write memory or redis://host:port",
                s.value
            ),
        );
        return None;
    };
    let authority = rest.split('/').next().unwrap_or("");
    let host = authority.rsplit('@').next().unwrap_or("");
    if host.is_empty() || host.starts_with(':') {
        c.error(at, "the Redis URL has no host: write redis://host:port");
        return None;
    }
    Some(url.to_string())
}

/// A rate: `N/s`, `N/min`, `N/h`, `N/day` or `N/<duration>`.
fn rate(s: &SpannedStr, c: &mut Checker) -> Option<Rate> {
    let parsed = parse_rate(&s.value);
    if parsed.is_none() {
        c.error(&s.referenced, format!("invalid rate {:?}: write N/s, N/min, N/h, N/day or N/<duration> such as 100/10s (N at least 1, at most one per microsecond)", s.value));
    }
    parsed
}

fn parse_rate(text: &str) -> Option<Rate> {
    let (n, per) = text.trim().split_once('/')?;
    let count: u32 = n.trim().parse().ok().filter(|n| *n > 0)?;
    let period = match per.trim() {
        "s" | "sec" | "second" => Duration::from_secs(1),
        "m" | "min" | "minute" => Duration::from_secs(60),
        "h" | "hour" => Duration::from_secs(3600),
        "d" | "day" => Duration::from_secs(86_400),
        other => humantime::parse_duration(other).ok()?,
    };
    // The limiter counts in microseconds: one request per µs is the finest rate.
    let finest = period.as_micros() >= u128::from(count);
    (!period.is_zero() && finest).then_some(Rate { count, period })
}

/// Values inside untagged enums (`state: …`, `key: a` or `key: [a, b]`) lose their
/// location when parsed: errors about them point at the enclosing value instead.
fn within<'a>(inner: &'a Location, outer: &'a Location) -> &'a Location {
    if inner.line() == 0 { outer } else { inner }
}

/// One key part.
fn key_part(s: &SpannedStr, at: &Location, c: &mut Checker) -> Option<KeyPart> {
    let dotted = |p: &str| -> Vec<String> { p.split('.').map(str::to_string).collect() };
    let text = s.value.trim();
    let part = match text.split_once('.') {
        None => match text {
            "consumer" => Some(KeyPart::Consumer),
            "ip" => Some(KeyPart::Ip),
            "route" => Some(KeyPart::Route),
            _ => None,
        },
        Some((_, name)) if name.is_empty() || name.split('.').any(str::is_empty) => None,
        Some(("header", name)) => Some(KeyPart::Header(name.to_ascii_lowercase())),
        Some(("claim" | "claims", path)) => Some(KeyPart::Claim(dotted(path))),
        Some(("query", name)) => Some(KeyPart::Query(name.to_string())),
        Some(("path", name)) => Some(KeyPart::Path(name.to_string())),
        Some(("body", path)) => Some(KeyPart::Body(dotted(path))),
        Some(_) => None,
    };
    if part.is_none() {
        c.error(at, format!("invalid key {:?}: write consumer, ip, route, header.NAME, claim.PATH, query.NAME, path.NAME or body.PATH", s.value));
    }
    part
}

fn key(k: &Spanned<OneOrMany<SpannedStr>>, c: &mut Checker) -> Vec<KeyPart> {
    if k.value.as_slice().is_empty() {
        c.error(
            &k.referenced,
            "key is empty: name at least one of consumer, ip, route…",
        );
    }
    k.value
        .as_slice()
        .iter()
        .filter_map(|p| key_part(p, within(&p.referenced, &k.referenced), c))
        .collect()
}

fn key_or(
    k: &Option<Spanned<OneOrMany<SpannedStr>>>,
    default: KeyPart,
    c: &mut Checker,
) -> Vec<KeyPart> {
    k.as_ref().map_or_else(|| vec![default], |k| key(k, c))
}

/// The rate limits of a `rate_limit` list.
pub(super) fn rate_limits(
    list: &Spanned<Vec<Spanned<file::RateLimit>>>,
    scope: &str,
    c: &mut Checker,
) -> Vec<RateLimit> {
    let mut out: Vec<RateLimit> = Vec::new();
    for l in &list.value {
        let r = &l.value;
        let key = key(&r.key, c);
        let Some(rate) = rate(&r.rate, c) else {
            continue;
        };
        let burst = r.burst.as_ref().map_or(rate.count, |b| {
            if b.value == 0 {
                c.error(&b.referenced, "burst must be at least 1");
            }
            b.value
        });
        let keys: Vec<&str> = r
            .key
            .value
            .as_slice()
            .iter()
            .map(|k| k.value.trim())
            .collect();
        let name = r.name.as_ref().map_or_else(
            || format!("{} per {}", r.rate.value.trim(), keys.join("+")),
            |n| n.value.clone(),
        );
        if out.iter().any(|o| o.name == name) {
            c.error(
                &l.referenced,
                format!("two rate limits are named {name:?}: give one a distinct name"),
            );
        }
        out.push(RateLimit {
            name,
            scope: scope.to_string(),
            key,
            rate,
            burst: burst.max(1),
            on_unavailable: r.on_unavailable,
            mode: r.mode,
        });
    }
    out
}

/// The two limits of a sensitive route: per client IP and per submitted username.
pub(super) fn sensitive(
    s: &Spanned<file::Sensitive>,
    scope: &str,
    c: &mut Checker,
) -> Vec<RateLimit> {
    let v = &s.value;
    let username = key_part(&v.username, &v.username.referenced, c);
    if matches!(
        username,
        Some(KeyPart::Consumer | KeyPart::Ip | KeyPart::Route)
    ) {
        c.error(
            &v.username.referenced,
            "username must name a request value: body.PATH, query.NAME or header.NAME",
        );
    }
    let rate = match &v.rate {
        Some(r) => rate(r, c),
        None => parse_rate("10/min"),
    };
    let (Some(username), Some(rate)) = (username, rate) else {
        return Vec::new();
    };
    let limit = |name: &str, key: Vec<KeyPart>| RateLimit {
        name: name.to_string(),
        scope: scope.to_string(),
        key,
        rate,
        burst: rate.count,
        on_unavailable: v.on_unavailable,
        mode: Mode::Enforce,
    };
    vec![
        limit("sensitive per ip", vec![KeyPart::Ip]),
        limit(
            "sensitive per username",
            vec![KeyPart::Username(Box::new(username))],
        ),
    ]
}

/// The `quota` block.
pub(super) fn quota(q: &Spanned<file::Quota>, scope: &str, c: &mut Checker) -> Quota {
    let v = &q.value;
    let per = match v.per.value.trim() {
        "day" => QuotaPeriod::Day,
        "month" => QuotaPeriod::Month,
        other => {
            c.error(
                &v.per.referenced,
                format!("invalid quota period {other:?}: write day or month"),
            );
            QuotaPeriod::Day
        }
    };
    if v.limit.value == 0 {
        c.error(
            &v.limit.referenced,
            "a quota of 0 refuses everything; remove the route or set limit to at least 1",
        );
    }
    Quota {
        limit: v.limit.value,
        per,
        key: key_or(&v.key, KeyPart::Consumer, c),
        scope: scope.to_string(),
        on_unavailable: v.on_unavailable,
        mode: v.mode,
    }
}

/// The `spike_arrest` block.
pub(super) fn spike_arrest(
    s: &Spanned<file::SpikeArrest>,
    scope: &str,
    c: &mut Checker,
) -> Option<SpikeArrest> {
    let v = &s.value;
    let rate = rate(&v.rate, c)?;
    let max_delay = v.max_delay.as_ref().map_or(Duration::ZERO, |d| d.value.0);
    if max_delay > Duration::from_secs(30)
        && let Some(d) = &v.max_delay
    {
        c.warn(
            &d.referenced,
            "spike_arrest holds requests up to max_delay; more than 30s ties up connections",
        );
    }
    Some(SpikeArrest {
        rate,
        max_delay,
        key: key_or(&v.key, KeyPart::Route, c),
        scope: scope.to_string(),
        on_unavailable: v.on_unavailable,
        mode: v.mode,
    })
}

/// The `concurrency` block.
pub(super) fn concurrency(
    x: &Spanned<file::Concurrency>,
    scope: &str,
    c: &mut Checker,
) -> Concurrency {
    let v = &x.value;
    for n in [&v.per_consumer, &v.per_route].into_iter().flatten() {
        if n.value == 0 {
            c.error(&n.referenced, "a concurrency limit of 0 refuses everything");
        }
    }
    if v.per_consumer.is_none() && v.per_route.is_none() {
        c.error(
            &x.referenced,
            "concurrency needs per_consumer, per_route or both",
        );
    }
    Concurrency {
        per_consumer: v.per_consumer.as_ref().map(|n| n.value),
        per_route: v.per_route.as_ref().map(|n| n.value),
        scope: scope.to_string(),
        mode: v.mode,
    }
}

/// The `replay` block.
pub(super) fn replay(r: &Spanned<file::Replay>, scope: &str, c: &mut Checker) -> Replay {
    let v = &r.value;
    let window = c.positive_duration(&v.window, Duration::from_secs(300), "window");
    let signature = v
        .signature
        .as_ref()
        .map(|s| signature_requirement(&s.value, c));
    let nonce = match &v.nonce {
        None if signature.is_some() => NonceSource::Signature,
        None => NonceSource::Header("x-nonce".into()),
        Some(n) => match n.value.trim() {
            "jti" => NonceSource::Jti,
            "signature" => NonceSource::Signature,
            other => match other.strip_prefix("header.") {
                Some(h) if !h.is_empty() => NonceSource::Header(h.to_ascii_lowercase()),
                _ => {
                    c.error(&n.referenced, "nonce must be header.NAME, jti or signature");
                    NonceSource::Jti
                }
            },
        },
    };
    let timestamp = match &v.timestamp {
        None => match nonce {
            NonceSource::Signature => TimestampSource::Created,
            NonceSource::Jti => TimestampSource::Iat,
            NonceSource::Header(_) if signature.is_some() => TimestampSource::Created,
            NonceSource::Header(_) => TimestampSource::Header("x-timestamp".into()),
        },
        Some(t) => match t.value.trim() {
            "iat" => TimestampSource::Iat,
            "created" => TimestampSource::Created,
            other => match other.strip_prefix("header.") {
                Some(h) if !h.is_empty() => TimestampSource::Header(h.to_ascii_lowercase()),
                _ => {
                    c.error(
                        &t.referenced,
                        "timestamp must be header.NAME, iat or created",
                    );
                    TimestampSource::Iat
                }
            },
        },
    };
    let needs_signature =
        matches!(nonce, NonceSource::Signature) || matches!(timestamp, TimestampSource::Created);
    if needs_signature && signature.is_none() {
        c.error(
            &r.referenced,
            "nonce: signature and timestamp: created need a signature block",
        );
    }
    Replay {
        window,
        nonce,
        timestamp,
        signature,
        scope: scope.to_string(),
        on_unavailable: v.on_unavailable,
        mode: v.mode,
    }
}

fn signature_requirement(s: &file::SignatureRequirement, c: &mut Checker) -> SignatureRequirement {
    let components = match &s.components {
        None => ["@method", "@authority", "@path", "@query"].map(str::to_string).to_vec(),
        Some(list) => list
            .iter()
            .filter_map(|x| {
                let name = x.value.trim().to_ascii_lowercase();
                let known = name.starts_with('@') && ["@method", "@target-uri", "@authority", "@scheme", "@request-target", "@path", "@query"].contains(&name.as_str());
                let header = !name.starts_with('@') && !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
                if known || header {
                    Some(name)
                } else {
                    c.error(&x.referenced, format!("cannot require component {:?}: use @method, @target-uri, @authority, @scheme, @request-target, @path, @query or a header name", x.value));
                    None
                }
            })
            .collect(),
    };
    SignatureRequirement {
        components,
        label: s.label.as_ref().map(|l| l.value.clone()),
    }
}

/// The `idempotency` block.
pub(super) fn idempotency(
    i: &Spanned<file::Idempotency>,
    scope: &str,
    c: &mut Checker,
) -> Idempotency {
    let v = &i.value;
    let header = v.header.as_ref().map_or_else(
        || "idempotency-key".to_string(),
        |h| h.value.trim().to_ascii_lowercase(),
    );
    if http::HeaderName::from_bytes(header.as_bytes()).is_err()
        && let Some(h) = &v.header
    {
        c.error(&h.referenced, format!("invalid header name {:?}", h.value));
    }
    Idempotency {
        header,
        ttl: c.positive_duration(&v.ttl, Duration::from_secs(86_400), "ttl"),
        required: v.required,
        max_body: c
            .positive_size(&v.max_body, "max_body")
            .unwrap_or(1024 * 1024),
        scope: scope.to_string(),
        on_unavailable: v.on_unavailable,
        mode: v.mode,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn rates_read_units_and_durations() {
        let r = |t| parse_rate(t).map(|r| (r.count, r.period.as_secs_f64()));
        assert_eq!(r("10/s"), Some((10, 1.0)));
        assert_eq!(r(" 5 / min"), Some((5, 60.0)));
        assert_eq!(r("1000/h"), Some((1000, 3600.0)));
        assert_eq!(r("3/day"), Some((3, 86_400.0)));
        assert_eq!(r("100/10s"), Some((100, 10.0)));
        assert_eq!(r("1/250ms"), Some((1, 0.25)));
        assert_eq!(r("1000000/s"), Some((1_000_000, 1.0)));
        for bad in [
            "0/s",
            "10",
            "x/s",
            "10/fortnight",
            "-1/s",
            "10/0s",
            "1000001/s",
        ] {
            assert_eq!(parse_rate(bad), None, "{bad}");
        }
    }
}
