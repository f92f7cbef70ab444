//! Identity to the upstream: the client's own identity headers are removed from every
//! request, and the verified identity is set in configured headers and, optionally, in a
//! short-lived HS256 JWT signed by Parapet that the upstream can verify.

use http::{HeaderMap, HeaderName, HeaderValue};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use parapet_policy::Identity;
use std::time::{SystemTime, UNIX_EPOCH};

/// Applies `identity.forward` to requests.
pub struct Forwarder {
    consumer: Option<HeaderName>,
    scopes: Option<HeaderName>,
    roles: Option<HeaderName>,
    /// Every header removed from client requests.
    strip: Vec<HeaderName>,
    jwt: Option<Signer>,
}

struct Signer {
    header: HeaderName,
    issuer: String,
    audience: String,
    ttl: u64,
    key: EncodingKey,
}

impl std::fmt::Debug for Forwarder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Forwarder")
            .field("strip", &self.strip)
            .field("jwt", &self.jwt.as_ref().map(|s| &s.header))
            .finish_non_exhaustive()
    }
}

/// The claims of the forwarded token.
#[derive(serde::Serialize)]
struct Claims<'a> {
    iss: &'a str,
    aud: &'a str,
    sub: &'a str,
    iat: u64,
    exp: u64,
    auth_method: &'static str,
    #[serde(skip_serializing_if = "str::is_empty")]
    scope: &'a str,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    roles: &'a [String],
}

impl Forwarder {
    /// A forwarder from validated settings (header names are known valid).
    pub fn new(f: &parapet_config::Forward) -> Self {
        let name = |h: &Option<String>| {
            h.as_deref()
                .and_then(|h| HeaderName::from_bytes(h.as_bytes()).ok())
        };
        let jwt = f.jwt.as_ref().and_then(|j| {
            Some(Signer {
                header: HeaderName::from_bytes(j.header.as_bytes()).ok()?,
                issuer: j.issuer.clone(),
                audience: j.audience.clone(),
                ttl: j.ttl.as_secs().max(1),
                key: EncodingKey::from_secret(&j.secret.0),
            })
        });
        let (consumer, scopes, roles) = (
            name(&f.consumer_header),
            name(&f.scopes_header),
            name(&f.roles_header),
        );
        // The default names are removed even when turned off or renamed: an upstream may
        // still read them, and a client must never be able to set them.
        let defaults = parapet_config::Forward::default();
        let default_names = [
            defaults.consumer_header,
            defaults.scopes_header,
            defaults.roles_header,
            Some("x-parapet-identity".to_string()),
        ];
        let mut strip: Vec<HeaderName> = [&consumer, &scopes, &roles]
            .into_iter()
            .flatten()
            .cloned()
            .chain(jwt.as_ref().map(|s| s.header.clone()))
            .chain(default_names.iter().filter_map(name))
            .chain(
                f.strip
                    .iter()
                    .filter_map(|h| HeaderName::from_bytes(h.as_bytes()).ok()),
            )
            .collect();
        strip.sort_by(|a, b| a.as_str().cmp(b.as_str()));
        strip.dedup();
        Forwarder {
            consumer,
            scopes,
            roles,
            strip,
            jwt,
        }
    }

    /// Removes client-supplied identity headers.
    pub fn strip(&self, headers: &mut HeaderMap) {
        // Most requests carry none: one pass over the few names present says so, where
        // removing each name would look each one up.
        if headers.keys().any(|n| self.strip.contains(n)) {
            for h in &self.strip {
                headers.remove(h);
            }
        }
    }

    /// Sets the verified identity's headers.
    pub fn apply(&self, id: &Identity, headers: &mut HeaderMap) {
        let mut set = |name: &Option<HeaderName>, value: String| {
            if let (Some(n), Ok(v)) = (name, HeaderValue::from_str(&value)) {
                headers.insert(n.clone(), v);
            }
        };
        set(&self.consumer, id.consumer.clone());
        set(&self.scopes, id.scopes.join(" "));
        set(&self.roles, id.roles.join(","));
        if let Some(s) = &self.jwt {
            let now = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_secs());
            let scope = id.scopes.join(" ");
            let claims = Claims {
                iss: &s.issuer,
                aud: &s.audience,
                sub: &id.consumer,
                iat: now,
                exp: now + s.ttl,
                auth_method: id.method,
                scope: &scope,
                roles: &id.roles,
            };
            match jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &s.key)
                .map(|t| HeaderValue::from_str(&t))
            {
                Ok(Ok(v)) => {
                    headers.insert(s.header.clone(), v);
                }
                _ => tracing::error!("could not sign the identity token for the upstream"),
            }
        }
    }
}
