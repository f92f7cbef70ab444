//! Validation of identity: the store, consumers, credential sources, and the `authn` /
//! `authz` blocks of routes.

use super::Checker;
use crate::file::{self, SpannedStr};
use crate::model::*;
use serde_saphyr::{Location, Spanned};
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

const SECOND: Duration = Duration::from_secs(1);

/// The whole identity configuration.
pub(super) fn identity(f: &file::File, c: &mut Checker) -> Identity {
    let d = Identity::default();
    let file::Identity {
        api_keys,
        jwt,
        introspection,
        brute_force,
        forward,
    } = &f.identity;
    let mut ids = BTreeSet::new();
    let mut certificate_names = BTreeMap::new();
    let mut signing_key_ids = BTreeSet::new();
    let consumers = f
        .consumers
        .iter()
        .filter_map(|x| {
            if !ids.insert(x.value.id.value.clone()) {
                c.error(
                    &x.value.id.referenced,
                    format!("consumer {:?} is declared twice", x.value.id.value),
                );
            }
            for name in &x.value.certificates {
                let previous =
                    certificate_names.insert(name.value.clone(), x.value.id.value.clone());
                if let Some(other) = previous.filter(|o| *o != x.value.id.value) {
                    c.error(
                        &name.referenced,
                        format!("certificate name {:?} already belongs to consumer {other:?}: a certificate must name one consumer", name.value),
                    );
                }
            }
            for k in &x.value.signing_keys {
                if !signing_key_ids.insert(k.value.id.value.clone()) {
                    c.error(
                        &k.value.id.referenced,
                        format!("signing key id {:?} is used twice: a key id must name one key", k.value.id.value),
                    );
                }
            }
            consumer(&x.value, c)
        })
        .collect();
    let mut issuers = BTreeSet::new();
    Identity {
        store: f.store.as_ref().map(|s| c.resolve(s)),
        consumers,
        api_keys: api_keys
            .as_ref()
            .map_or(d.api_keys, |k| self::api_keys(k, c)),
        jwt: jwt
            .iter()
            .filter_map(|j| {
                if !issuers.insert(j.value.issuer.value.clone()) {
                    c.error(
                        &j.value.issuer.referenced,
                        format!("issuer {:?} is declared twice", j.value.issuer.value),
                    );
                }
                jwt_issuer(j, c).map(std::sync::Arc::new)
            })
            .collect(),
        introspection: introspection
            .as_ref()
            .and_then(|i| self::introspection(i, c))
            .map(std::sync::Arc::new),
        mtls: MtlsIdentity::Listed,
        brute_force: brute_force
            .as_ref()
            .map_or(d.brute_force, |b| self::brute_force(b, c)),
        forward: forward.as_ref().map_or(d.forward, |x| self::forward(x, c)),
    }
}

fn consumer(x: &file::Consumer, c: &mut Checker) -> Option<Consumer> {
    let id = &x.id;
    let valid_id = !id.value.is_empty()
        && id.value.len() <= 128
        && id
            .value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._@:-".contains(&b));
    if !valid_id {
        c.error(
            &id.referenced,
            format!(
                "consumer id {:?} must be 1 to 128 characters of letters, digits and . _ @ : -",
                id.value
            ),
        );
        return None;
    }
    if let Some(n) = &x.name
        && (n.value.trim().is_empty() || n.value.chars().count() > 256)
    {
        c.error(&n.referenced, "a consumer name must be 1 to 256 characters");
    }
    if let Some(r) = &x.rate_plan
        && r.value.trim().is_empty()
    {
        c.error(&r.referenced, "rate_plan must not be empty");
    }
    Some(Consumer {
        id: id.value.clone(),
        name: x
            .name
            .as_ref()
            .map_or_else(|| id.value.clone(), |n| n.value.clone()),
        scopes: words(&x.scopes, "scope", c),
        roles: words(&x.roles, "role", c),
        rate_plan: x.rate_plan.as_ref().map(|r| r.value.clone()),
        metadata: x.metadata.clone(),
        certificates: x.certificates.iter().map(|s| s.value.clone()).collect(),
        signing_keys: x
            .signing_keys
            .iter()
            .filter_map(|k| signing_key(k, c))
            .collect(),
    })
}

fn signing_key(k: &Spanned<file::SigningKey>, c: &mut Checker) -> Option<SigningKey> {
    let v = &k.value;
    let material = match (&v.hmac_sha256, &v.ed25519) {
        (Some(secret), None) => {
            let secret = self::secret(secret, c)?;
            if secret.0.len() < 32 {
                c.error(
                    &k.referenced,
                    "an hmac_sha256 signing secret must be at least 32 bytes",
                );
            }
            SigningMaterial::HmacSha256(secret)
        }
        (None, Some(path)) => {
            let (_, pem) = c.read(path)?;
            let pem = String::from_utf8(pem)
                .ok()
                .filter(|p| p.contains("-----BEGIN PUBLIC KEY-----"));
            let Some(pem) = pem else {
                c.error(
                    &path.referenced,
                    "ed25519 must be a PEM file holding a PUBLIC KEY",
                );
                return None;
            };
            SigningMaterial::Ed25519Pem(pem)
        }
        _ => {
            c.error(
                &k.referenced,
                "a signing key has either hmac_sha256 (a secret) or ed25519 (a public key file)",
            );
            return None;
        }
    };
    if v.id.value.trim().is_empty() || v.id.value.len() > 256 {
        c.error(
            &v.id.referenced,
            "a signing key id must be 1 to 256 characters",
        );
    }
    Some(SigningKey {
        id: v.id.value.clone(),
        material,
    })
}

/// Scope and role names: non-empty, without whitespace.
fn words(list: &[SpannedStr], what: &str, c: &mut Checker) -> Vec<String> {
    list.iter()
        .filter_map(|w| {
            if w.value.is_empty() || w.value.contains(char::is_whitespace) {
                c.error(
                    &w.referenced,
                    format!("{what} {:?} must be a non-empty word", w.value),
                );
                None
            } else {
                Some(w.value.clone())
            }
        })
        .collect()
}

/// A header name, lower-cased, or an error.
fn header_name(s: &SpannedStr, c: &mut Checker) -> Option<String> {
    match http::HeaderName::from_bytes(s.value.as_bytes()) {
        Ok(h) => Some(h.as_str().to_string()),
        Err(_) => {
            c.error(
                &s.referenced,
                format!("{:?} is not a valid header name", s.value),
            );
            None
        }
    }
}

fn api_keys(k: &file::ApiKeys, c: &mut Checker) -> ApiKeys {
    let d = Identity::default().api_keys;
    ApiKeys {
        header: k
            .header
            .as_ref()
            .and_then(|h| header_name(h, c))
            .unwrap_or(d.header),
        refused_query_params: k
            .refused_query_params
            .as_ref()
            .map_or(d.refused_query_params, |list| {
                list.iter().map(|s| s.value.to_ascii_lowercase()).collect()
            }),
    }
}

/// Reads a secret from its environment variable or file.
pub(super) fn secret(s: &Spanned<file::SecretSource>, c: &mut Checker) -> Option<Secret> {
    let value = match (&s.value.env, &s.value.file) {
        (Some(name), None) => match std::env::var(&name.value) {
            Ok(v) => v.into_bytes(),
            Err(_) => {
                c.error(
                    &name.referenced,
                    format!("environment variable {} is not set", name.value),
                );
                return None;
            }
        },
        (None, Some(path)) => {
            let (_, mut bytes) = c.read(path)?;
            while bytes.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
                bytes.pop();
            }
            bytes
        }
        _ => {
            c.error(
                &s.referenced,
                "give the secret as { env: NAME } or { file: PATH }",
            );
            return None;
        }
    };
    if value.is_empty() {
        c.error(&s.referenced, "the secret is empty");
        return None;
    }
    Some(Secret(value))
}

/// An HMAC key: at least 256 bits.
fn hmac_key(s: &Spanned<file::SecretSource>, c: &mut Checker) -> Option<Secret> {
    let key = secret(s, c)?;
    if key.0.len() < 32 {
        c.error(
            &s.referenced,
            "an HMAC secret must be at least 32 bytes (256 bits)",
        );
    }
    Some(key)
}

/// An `http(s)://` URL for the gateway's own outgoing calls (JWKS, introspection).
fn fetch_url(s: &SpannedStr, c: &mut Checker) -> Option<String> {
    match s.value.parse::<http::Uri>() {
        Ok(u) if matches!(u.scheme_str(), Some("http" | "https")) && u.host().is_some() => {
            let loopback = u.host().is_some_and(|h| {
                h == "localhost"
                    || h.trim_matches(['[', ']'])
                        .parse::<std::net::IpAddr>()
                        .is_ok_and(|ip| ip.is_loopback())
            });
            if u.scheme_str() == Some("http") && !loopback {
                c.warn(
                    &s.referenced,
                    format!("{} is plain http: keys and tokens can be read or changed on the way; use https", s.value),
                );
            }
            Some(s.value.clone())
        }
        _ => {
            c.error(
                &s.referenced,
                format!("{:?} must be an http:// or https:// URL", s.value),
            );
            None
        }
    }
}

fn claim_names(n: &Option<file::ClaimNames>) -> ClaimNames {
    let d = ClaimNames::default();
    let Some(n) = n else { return d };
    let pick = |v: &Option<SpannedStr>, d: String| v.as_ref().map_or(d, |s| s.value.clone());
    ClaimNames {
        consumer: pick(&n.consumer, d.consumer),
        scopes: pick(&n.scopes, d.scopes),
        roles: pick(&n.roles, d.roles),
    }
}

fn jwt_issuer(j: &Spanned<file::JwtIssuer>, c: &mut Checker) -> Option<JwtIssuer> {
    let at = j.referenced;
    let j = &j.value;
    let mut algorithms = Vec::new();
    for a in &j.algorithms.value {
        match JwtAlgorithm::ALL.iter().find(|(n, _)| *n == a.value) {
            Some((_, alg)) => algorithms.push(*alg),
            None => {
                let names: Vec<&str> = JwtAlgorithm::ALL.iter().map(|(n, _)| *n).collect();
                c.error(
                    &a.referenced,
                    format!(
                        "algorithm {:?} is not accepted; choose from {}",
                        a.value,
                        names.join(", ")
                    ),
                );
            }
        }
    }
    if j.algorithms.value.is_empty() {
        c.error(&j.algorithms.referenced, "list at least one algorithm");
    }
    let hmac = algorithms.iter().filter(|a| a.is_hmac()).count();
    if hmac != 0 && hmac != algorithms.len() {
        c.error(
            &j.algorithms.referenced,
            "HMAC (HS*) and public-key algorithms cannot be mixed for one issuer: a public key must never be usable as an HMAC secret",
        );
    }
    let sources = [
        j.jwks_url.is_some(),
        j.discovery.as_ref().is_some_and(|d| d.value),
        !j.keys.is_empty(),
        j.secret.is_some(),
    ];
    match sources.iter().filter(|s| **s).count() {
        1 => {}
        0 => {
            c.error(&at, "give the issuer's keys: jwks_url, discovery: true, keys (PEM files) or secret (HMAC)");
            return None;
        }
        _ => {
            c.error(&at, "give only one of jwks_url, discovery, keys and secret");
            return None;
        }
    }
    let keys = if let Some(u) = &j.jwks_url {
        JwtKeys::Jwks(fetch_url(u, c)?)
    } else if j.discovery.as_ref().is_some_and(|d| d.value) {
        fetch_url(&j.issuer, c)?;
        JwtKeys::Discovery
    } else if let Some(s) = &j.secret {
        JwtKeys::Secret(hmac_key(s, c)?)
    } else {
        let mut pems = Vec::new();
        for k in &j.keys {
            let (path, bytes) = c.read(&k.file)?;
            let Ok(pem) = String::from_utf8(bytes) else {
                c.error(
                    &k.file.referenced,
                    format!("{} is not PEM text", path.display()),
                );
                continue;
            };
            if pem.contains("PRIVATE KEY") {
                c.error(
                    &k.file.referenced,
                    format!("{} holds a private key: give the issuer's public key or certificate, and keep the private key away from the gateway", path.display()),
                );
                continue;
            }
            pems.push(PemKey {
                kid: k.kid.as_ref().map(|s| s.value.clone()),
                pem,
                path,
            });
        }
        JwtKeys::Pem(pems)
    };
    let secret_keys = matches!(keys, JwtKeys::Secret(_));
    let mixed = hmac != 0 && hmac != algorithms.len();
    if !algorithms.is_empty() && !mixed && secret_keys != (hmac > 0) {
        c.error(
            &j.algorithms.referenced,
            if secret_keys {
                "secret gives an HMAC key: list only HS256, HS384 or HS512"
            } else {
                "public keys verify only RS*, PS*, ES* or EdDSA: HS* needs secret"
            },
        );
    }
    if j.audiences.is_empty() {
        c.warn(
            &j.issuer.referenced,
            format!(
                "issuer {:?} has no audiences: its tokens for any other service are accepted too",
                j.issuer.value
            ),
        );
    }
    Some(JwtIssuer {
        issuer: j.issuer.value.clone(),
        audiences: j.audiences.iter().map(|a| a.value.clone()).collect(),
        algorithms,
        keys,
        leeway: j
            .leeway
            .as_ref()
            .map_or(Duration::from_secs(30), |l| l.value.0),
        max_token_size: c
            .positive_size(&j.max_token_size, "max_token_size")
            .map_or(8 * 1024, |n| n as usize),
        refresh: c.positive_duration(&j.refresh, 600 * SECOND, "refresh"),
        refetch_min_interval: j
            .refetch_min_interval
            .as_ref()
            .map_or(30 * SECOND, |d| d.value.0),
        fetch_timeout: c.positive_duration(&j.fetch_timeout, 5 * SECOND, "fetch_timeout"),
        claims: claim_names(&j.claims),
    })
}

fn introspection(i: &Spanned<file::Introspection>, c: &mut Checker) -> Option<Introspection> {
    let i = &i.value;
    let url = fetch_url(&i.url, c);
    let secret = secret(&i.client_secret, c);
    Some(Introspection {
        url: url?,
        client_id: i.client_id.value.clone(),
        client_secret: secret?,
        cache_max: c.positive_duration(&i.cache_max, 300 * SECOND, "cache_max"),
        negative_ttl: i.negative_ttl.as_ref().map_or(10 * SECOND, |d| d.value.0),
        timeout: c.positive_duration(&i.timeout, 5 * SECOND, "timeout"),
        cache_entries: u64::from(c.positive_u32(&i.cache_entries, 100_000, "cache_entries")),
        claims: claim_names(&i.claims),
    })
}

fn brute_force(b: &file::BruteForce, c: &mut Checker) -> BruteForce {
    let d = BruteForce::default();
    let action = match b.action.as_ref().map(|a| (a, a.value.as_str())) {
        None | Some((_, "block")) => BruteForceAction::Block,
        Some((_, "delay")) => {
            BruteForceAction::Delay(c.positive_duration(&b.delay, 2 * SECOND, "delay"))
        }
        Some((a, other)) => {
            c.error(
                &a.referenced,
                format!("action {other:?} must be block or delay"),
            );
            BruteForceAction::Block
        }
    };
    BruteForce {
        threshold: c.positive_u32(&b.threshold, d.threshold, "threshold"),
        window: c.positive_duration(&b.window, d.window, "window"),
        penalty: c.positive_duration(&b.penalty, d.penalty, "penalty"),
        action,
        mode: b.mode,
    }
}

fn forward(f: &file::Forward, c: &mut Checker) -> Forward {
    let d = Forward::default();
    let mut header = |v: &Option<SpannedStr>, d: Option<String>| match v {
        None => d,
        Some(s) if s.value == "off" => None,
        Some(s) => header_name(s, c),
    };
    let consumer_header = header(&f.consumer_header, d.consumer_header);
    let scopes_header = header(&f.scopes_header, d.scopes_header);
    let roles_header = header(&f.roles_header, d.roles_header);
    let strip = f.strip.iter().filter_map(|s| header_name(s, c)).collect();
    let jwt = f.jwt.as_ref().and_then(|j| {
        let secret = hmac_key(&j.secret, c)?;
        Some(ForwardJwt {
            header: j
                .header
                .as_ref()
                .and_then(|h| header_name(h, c))
                .unwrap_or_else(|| "x-parapet-identity".to_string()),
            issuer: j
                .issuer
                .as_ref()
                .map_or_else(|| "parapet".to_string(), |s| s.value.clone()),
            audience: j.audience.value.clone(),
            ttl: c.positive_duration(&j.ttl, 60 * SECOND, "ttl"),
            secret,
        })
    });
    Forward {
        consumer_header,
        scopes_header,
        roles_header,
        strip,
        jwt,
    }
}

/// The `authn` block of a route.
pub(super) fn authn(a: &Spanned<file::Authn>, id: &Identity, c: &mut Checker) -> Option<Authn> {
    let at = &a.referenced;
    let (methods, issuers, mode) = match &a.value {
        file::Authn::Keyword(k) if k == "public" => return Some(Authn::Public),
        file::Authn::Keyword(k) => (std::slice::from_ref(k), &[][..], Mode::Enforce),
        file::Authn::List(l) => (&l[..], &[][..], Mode::Enforce),
        file::Authn::Block(b) => (&b.methods[..], &b.issuers[..], b.mode),
    };
    let mut out = Vec::new();
    for m in methods {
        let method = match m.as_str() {
            "api_key" => AuthnMethod::ApiKey,
            "jwt" if id.jwt.is_empty() => {
                c.error(at, "jwt needs at least one issuer under identity.jwt");
                continue;
            }
            "jwt" => AuthnMethod::Jwt,
            "introspection" if id.introspection.is_none() => {
                c.error(at, "introspection needs identity.introspection");
                continue;
            }
            "introspection" => AuthnMethod::Introspection,
            "mtls" => AuthnMethod::Mtls,
            other => {
                c.error(at, format!("authn {other:?}: write public, or list methods among api_key, jwt, introspection, mtls"));
                continue;
            }
        };
        if out.contains(&method) {
            c.error(at, format!("method {} is listed twice", method.as_str()));
        }
        out.push(method);
    }
    if methods.is_empty() {
        c.error(at, "list at least one method, or write authn: public");
    }
    for i in issuers {
        if !id.jwt.iter().any(|j| &j.issuer == i) {
            c.error(
                at,
                format!("issuer {i:?} is not declared under identity.jwt"),
            );
        }
    }
    Some(Authn::Required {
        methods: out,
        issuers: issuers.to_vec(),
        mode,
    })
}

/// The `authz` block of a route.
pub(super) fn authz(a: &Spanned<file::Authz>, c: &mut Checker) -> Option<Authz> {
    let at = &a.referenced;
    let a = &a.value;
    let list = |l: &file::OneOrMany<String>| l.as_slice().to_vec();
    let mut object = Vec::new();
    for text in a.object.as_slice() {
        match object_rule(text) {
            Ok(rule) => object.push(rule),
            Err(why) => c.error(at, format!("object rule {text:?}: {why}")),
        }
    }
    Some(Authz {
        scopes: list(&a.scopes),
        roles: list(&a.roles),
        object,
        unless_roles: list(&a.unless_role),
        mode: a.mode,
    })
}

/// Parses `path.id == claims.sub`.
fn object_rule(text: &str) -> Result<ObjectRule, String> {
    let (left, right) = text
        .split_once("==")
        .ok_or("write `request value == identity value`, e.g. path.id == claims.sub")?;
    let dotted = |s: &str| -> Vec<String> { s.split('.').map(str::to_string).collect() };
    let (source, name) = left
        .trim()
        .split_once('.')
        .ok_or("the left side must be path.NAME, query.NAME, header.NAME or body.FIELD")?;
    if name.is_empty() || name.split('.').any(str::is_empty) {
        return Err("empty name on the left side".into());
    }
    let left = match source {
        "path" => RequestValue::Path(name.to_string()),
        "query" => RequestValue::Query(name.to_string()),
        "header" => RequestValue::Header(name.to_ascii_lowercase()),
        "body" => RequestValue::Body(dotted(name)),
        _ => return Err("the left side must start with path., query., header. or body.".into()),
    };
    let r = right.trim();
    let right = if r == "consumer.id" {
        IdentityValue::Consumer
    } else if let Some(k) = r.strip_prefix("consumer.metadata.") {
        if k.is_empty() {
            return Err("empty metadata key on the right side".into());
        }
        IdentityValue::Metadata(k.to_string())
    } else if let Some(claim) = r.strip_prefix("claims.") {
        if claim.split('.').any(str::is_empty) {
            return Err("empty claim name on the right side".into());
        }
        IdentityValue::Claim(dotted(claim))
    } else {
        return Err(
            "the right side must be claims.NAME, consumer.id or consumer.metadata.KEY".into(),
        );
    };
    Ok(ObjectRule {
        left,
        right,
        text: text.trim().to_string(),
    })
}

/// Warnings and errors that need the route's path: every public route is listed, a route
/// without `authn` is refused at run time, and object rules name existing path parameters.
pub(super) fn check_route(at: &Location, key: &str, path: &str, set: &PolicySet, c: &mut Checker) {
    match &set.authn {
        Some(Authn::Public) => c.warn(
            at,
            format!("route {key:?} is public: anyone can call it without credentials"),
        ),
        None => c.warn(
            at,
            format!("route {key:?} has no authn: every request to it is refused (write authn: public to open it)"),
        ),
        Some(Authn::Required { .. }) => {}
    }
    if let Some(z) = &set.authz {
        if matches!(set.authn, Some(Authn::Public) | None)
            && (!z.scopes.is_empty() || !z.roles.is_empty() || !z.object.is_empty())
        {
            c.error(at, format!("route {key:?} has authz rules but no authn: no identity would ever satisfy them (a public route can clear inherited rules with authz: {{}})"));
        }
        for rule in &z.object {
            if let RequestValue::Path(p) = &rule.left
                && !path.contains(&format!("{{{p}}}"))
                && !path.contains(&format!("{{*{p}}}"))
            {
                c.error(
                    at,
                    format!(
                        "object rule {:?}: route {key:?} has no path parameter {{{p}}}",
                        rule.text
                    ),
                );
            }
        }
    }
}
