//! The `authn` policy: verifies the credential a request presents (API key, JWT, opaque
//! token by introspection, client certificate), sets the request's [`Identity`], and hands
//! it to the upstream in place of the client's own identity headers (an API key itself is
//! not forwarded; bearer tokens are).
//!
//! Every authentication failure gets the same 401 body and goes through the same work, so
//! neither the answer nor its timing tells a missing key from a revoked one; the precise
//! cause is in the security event only.

use crate::brute_force::{self, Guard};
use crate::credentials::{self, Presented};
use crate::forward::Forwarder;
use crate::introspection::{IntrospectionFailure, Introspector};
use crate::jwt::{JwtFailure, JwtVerifier};
use crate::revocation::Revocations;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use http::{HeaderValue, header};
use parapet_config::{AuthnMethod, ClaimNames, Mode};
use parapet_policy::{
    ClientCert, Decision, Identity, Part, Policy, Refusal, RequestContext, Step, reasons,
    redact_snippet,
};
use parapet_store::{KeyCheck, Store};
use serde_json::{Map, Value};
use std::sync::Arc;
use std::time::{Instant, SystemTime};

reasons! {
    /// No valid credential: missing, unknown, revoked, expired, badly signed… all alike.
    UNAUTHENTICATED = (UNAUTHORIZED, "unauthenticated", "Authentication required");
    /// An API key was sent in the URL, where logs and caches keep it.
    CREDENTIAL_IN_URL = (BAD_REQUEST, "credential-in-url", "Credentials must not be sent in the URL");
    /// The route has no `authn` block and is not public: closed by default.
    NOT_CONFIGURED = (FORBIDDEN, "authn-not-configured", "Access to this route is not configured");
    /// A key server or introspection endpoint could not be reached: fail closed.
    UNAVAILABLE = (SERVICE_UNAVAILABLE, "authentication-unavailable", "Authentication temporarily unavailable");
}

/// What a route requires.
#[derive(Debug)]
enum Requirement {
    /// No `authn` block: every request is refused.
    Missing,
    /// Anonymous requests welcome (client identity headers are still removed).
    Public,
    /// One of these methods.
    Methods {
        methods: Vec<AuthnMethod>,
        issuers: Vec<String>,
        mode: Mode,
    },
}

/// Everything authentication draws on, shared by the routes of one configuration.
#[derive(Debug)]
pub struct Verifiers {
    /// Consumers and keys.
    pub store: Arc<Store>,
    /// JWT issuers and their keys.
    pub jwt: Arc<JwtVerifier>,
    /// Token introspection, when configured.
    pub introspection: Option<Arc<Introspector>>,
    /// Failure counting.
    pub guard: Arc<Guard>,
    /// API-key transport.
    pub api_keys: parapet_config::ApiKeys,
    /// JWT claim names, by issuer.
    pub jwt_claims: Vec<(String, ClaimNames)>,
    /// Identity to the upstream.
    pub forwarder: Forwarder,
}

/// The authentication policy of one route.
#[derive(Debug)]
pub struct Authn {
    verifiers: Arc<Verifiers>,
    requirement: Requirement,
    /// Hint in every 401 of this route: where to put credentials.
    hint: String,
    challenge: HeaderValue,
    /// Credentials revoked before they expire.
    revocations: Revocations,
}

/// Why a credential was not accepted.
enum Failure {
    /// Uniform 401, with the event's cause.
    Rejected(&'static str),
    /// 503: a dependency is down.
    Unavailable(&'static str),
}

impl Authn {
    /// The policy for a route's `authn` block (`None`: not configured).
    pub fn new(
        verifiers: Arc<Verifiers>,
        config: Option<&parapet_config::Authn>,
        revocations: Revocations,
    ) -> Self {
        let requirement = match config {
            None => Requirement::Missing,
            Some(parapet_config::Authn::Public) => Requirement::Public,
            Some(parapet_config::Authn::Required {
                methods,
                issuers,
                mode,
            }) => Requirement::Methods {
                methods: methods.clone(),
                issuers: issuers.clone(),
                mode: *mode,
            },
        };
        let methods: &[AuthnMethod] = match &requirement {
            Requirement::Methods { methods, .. } => methods,
            _ => &[],
        };
        let mut ways = Vec::new();
        if methods.contains(&AuthnMethod::ApiKey) {
            ways.push(format!(
                "an API key in the {} header",
                verifiers.api_keys.header
            ));
        }
        if methods
            .iter()
            .any(|m| matches!(m, AuthnMethod::Jwt | AuthnMethod::Introspection))
        {
            ways.push("a bearer token in the Authorization header".to_string());
        }
        if methods.contains(&AuthnMethod::Mtls) {
            ways.push("a client certificate".to_string());
        }
        let bearer = ways.iter().any(|w| w.starts_with("a bearer"));
        // RFC 9110 wants a challenge on every 401; mutual TLS has no registered scheme.
        let challenge = HeaderValue::from_static(if bearer {
            "Bearer realm=\"api\""
        } else if methods.contains(&AuthnMethod::ApiKey) {
            "ApiKey realm=\"api\""
        } else {
            "Certificate realm=\"api\""
        });
        Authn {
            hint: format!("Send {}.", ways.join(" or ")),
            verifiers,
            revocations,
            requirement,
            challenge,
        }
    }

    fn unauthenticated(&self, cause: &'static str) -> Decision {
        Refusal::new(UNAUTHENTICATED, Part::Header(Some("authorization".into())))
            .cause(cause)
            .detail(self.hint.clone())
            .header(header::WWW_AUTHENTICATE, self.challenge.clone())
            .into()
    }

    /// Verifies the first credential the request presents among `methods`.
    async fn verify(
        &self,
        ctx: &RequestContext,
        req: &http::request::Parts,
        methods: &[AuthnMethod],
        issuers: &[String],
    ) -> Result<Identity, Failure> {
        let v = &self.verifiers;
        let bearer = credentials::bearer(&req.headers);
        for method in methods {
            match method {
                AuthnMethod::ApiKey => {
                    if let Some(key) = req.headers.get(v.api_keys.header.as_str()) {
                        let key = key.to_str().unwrap_or_default().trim();
                        return self.api_key(key);
                    }
                }
                AuthnMethod::Jwt => {
                    // Without introspection as an alternative, every bearer token is a JWT
                    // to verify (and a malformed one is named so in the event).
                    let jwt_only = !methods.contains(&AuthnMethod::Introspection);
                    if let Some(token) =
                        bearer.filter(|t| jwt_only || credentials::looks_like_jwt(t))
                    {
                        return self.jwt(ctx, token, issuers).await;
                    }
                }
                AuthnMethod::Introspection => {
                    if let (Some(token), Some(i)) = (bearer, &v.introspection) {
                        return self.introspect(ctx, i, token).await;
                    }
                }
                AuthnMethod::Mtls => {
                    if let Some(cert) = &ctx.client_cert {
                        return self.certificate(cert);
                    }
                }
            }
        }
        Err(Failure::Rejected("credential-missing"))
    }

    fn api_key(&self, key: &str) -> Result<Identity, Failure> {
        match self.verifiers.store.check_key(key, SystemTime::now()) {
            Ok(KeyCheck::Valid { key, consumer }) => Ok(Identity {
                consumer: consumer.id,
                method: "api_key",
                scopes: consumer.scopes,
                roles: consumer.roles,
                metadata: consumer.metadata,
                rate_plan: consumer.rate_plan,
                credential: Some(key.id),
                ..Identity::default()
            }),
            Ok(KeyCheck::Unknown) => Err(Failure::Rejected("api-key-unknown")),
            Ok(KeyCheck::Revoked) => Err(Failure::Rejected("api-key-revoked")),
            Ok(KeyCheck::Expired) => Err(Failure::Rejected("api-key-expired")),
            Err(e) => {
                tracing::error!(error = %e, "API key lookup failed");
                Err(Failure::Unavailable("store-error"))
            }
        }
    }

    async fn jwt(
        &self,
        ctx: &RequestContext,
        token: &str,
        issuers: &[String],
    ) -> Result<Identity, Failure> {
        let verified = self
            .verifiers
            .jwt
            .verify(token, issuers)
            .await
            .map_err(|f| match f {
                JwtFailure::KeysUnavailable => Failure::Unavailable(f.cause()),
                _ => Failure::Rejected(f.cause()),
            })?;
        let names = self
            .verifiers
            .jwt_claims
            .iter()
            .find(|(iss, _)| *iss == verified.issuer)
            .map(|(_, n)| n.clone())
            .unwrap_or_default();
        check_binding(ctx, &verified.claims)?;
        let mut identity = from_claims("jwt", verified.claims, &names)?;
        identity.issuer = Some(verified.issuer);
        Ok(identity)
    }

    async fn introspect(
        &self,
        ctx: &RequestContext,
        introspector: &Introspector,
        token: &str,
    ) -> Result<Identity, Failure> {
        let active = introspector.introspect(token).await.map_err(|f| match f {
            IntrospectionFailure::Unavailable => Failure::Unavailable(f.cause()),
            IntrospectionFailure::Inactive => Failure::Rejected(f.cause()),
        })?;
        check_binding(ctx, &active.claims)?;
        let names = &introspector.settings().claims;
        let mut claims = active.claims;
        if !claims.contains_key(&names.consumer)
            && let Some(client) = claims.get("client_id").cloned()
        {
            claims.insert(names.consumer.clone(), client);
        }
        from_claims("introspection", claims, names)
    }

    fn certificate(&self, cert: &ClientCert) -> Result<Identity, Failure> {
        let subject = normalize_dn(&cert.subject);
        let mut names: Vec<&str> = vec![&subject];
        names.extend(cert.sans.iter().map(String::as_str));
        match self.verifiers.store.consumer_by_certificate(&names) {
            Ok(Some(c)) => Ok(Identity {
                consumer: c.id,
                method: "mtls",
                scopes: c.scopes,
                roles: c.roles,
                metadata: c.metadata,
                rate_plan: c.rate_plan,
                credential: Some(URL_SAFE_NO_PAD.encode(cert.sha256)),
                ..Identity::default()
            }),
            Ok(None) => Err(Failure::Rejected("certificate-not-mapped")),
            Err(parapet_store::StoreError::Invalid(why)) => {
                tracing::warn!(%why, "ambiguous client certificate");
                Err(Failure::Rejected("certificate-ambiguous"))
            }
            Err(e) => {
                tracing::error!(error = %e, "certificate lookup failed");
                Err(Failure::Unavailable("store-error"))
            }
        }
    }
}

/// RFC 8705: a token carrying `cnf.x5t#S256` is usable only over a TLS connection whose
/// client certificate has that thumbprint.
fn check_binding(ctx: &RequestContext, claims: &Map<String, Value>) -> Result<(), Failure> {
    let Some(bound) = claims
        .get("cnf")
        .and_then(|c| c.get("x5t#S256"))
        .and_then(Value::as_str)
    else {
        return Ok(());
    };
    let presented = ctx
        .client_cert
        .as_ref()
        .map(|c| URL_SAFE_NO_PAD.encode(c.sha256));
    let same = presented.is_some_and(|p| {
        subtle::ConstantTimeEq::ct_eq(p.as_bytes(), bound.trim_end_matches('=').as_bytes()).into()
    });
    if same {
        Ok(())
    } else {
        Err(Failure::Rejected("token-certificate-mismatch"))
    }
}

/// The identity named by token claims.
fn from_claims(
    method: &'static str,
    claims: Map<String, Value>,
    names: &ClaimNames,
) -> Result<Identity, Failure> {
    let consumer = claims
        .get(&names.consumer)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .ok_or(Failure::Rejected("token-without-subject"))?
        .to_string();
    let scopes = words(claims.get(&names.scopes).or_else(|| claims.get("scp")));
    let roles = words(claims.get(&names.roles));
    let credential = claims
        .get("jti")
        .and_then(Value::as_str)
        .map(str::to_string);
    Ok(Identity {
        consumer,
        method,
        scopes,
        roles,
        credential,
        claims,
        ..Identity::default()
    })
}

/// A space-separated string or an array of strings.
fn words(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::String(s)) => s.split_whitespace().map(str::to_string).collect(),
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        _ => Vec::new(),
    }
}

/// A distinguished name with the spaces around `,` and `=` removed, so that
/// `CN=alice, O=Example` and `CN=alice,O=Example` name the same subject.
pub fn normalize_dn(dn: &str) -> String {
    dn.split(',')
        .map(|rdn| {
            let (k, v) = rdn.split_once('=').unwrap_or((rdn, ""));
            format!("{}={}", k.trim(), v.trim())
        })
        .collect::<Vec<_>>()
        .join(",")
}

impl Policy for Authn {
    fn name(&self) -> &'static str {
        "authn"
    }

    fn order(&self) -> u16 {
        300
    }

    fn mode(&self) -> Mode {
        match &self.requirement {
            Requirement::Methods { mode, .. } => *mode,
            _ => Mode::Enforce,
        }
    }

    fn on_request_headers<'a>(
        &'a self,
        ctx: &'a mut RequestContext,
        req: &'a mut http::request::Parts,
    ) -> Step<'a> {
        self.verifiers.forwarder.strip(&mut req.headers);
        let (methods, issuers) = match &self.requirement {
            Requirement::Missing => {
                return Decision::from(Refusal::new(NOT_CONFIGURED, Part::Path)).into();
            }
            Requirement::Public => return Decision::Continue.into(),
            Requirement::Methods {
                methods, issuers, ..
            } => (methods, issuers),
        };
        let v = &self.verifiers;
        if methods.contains(&AuthnMethod::ApiKey)
            && let Some(name) =
                credentials::key_in_query(req.uri.query(), &v.api_keys.refused_query_params)
        {
            let detail = format!(
                "Send the API key in the {} header, never in the URL.",
                v.api_keys.header
            );
            return Decision::from(
                Refusal::new(CREDENTIAL_IN_URL, Part::Query(Some(redact_snippet(name))))
                    .detail(detail),
            )
            .into();
        }
        Step::Later(Box::pin(async move {
            let verified = match self.verify(ctx, req, methods, issuers).await {
                Ok(identity) if self.revocations.is_revoked(&identity).await => {
                    Err(Failure::Rejected("credential-revoked"))
                }
                other => other,
            };
            match verified {
                Ok(identity) => {
                    // The upstream gets the identity, not the key: a key is a secret
                    // between the client and the gateway.
                    if identity.method == "api_key" {
                        req.headers.remove(v.api_keys.header.as_str());
                    }
                    v.forwarder.apply(&identity, &mut req.headers);
                    ctx.identity = Some(Arc::new(identity));
                    Decision::Continue
                }
                Err(Failure::Unavailable(cause)) => Refusal::new(UNAVAILABLE, Part::Header(None))
                    .cause(cause)
                    .into(),
                Err(Failure::Rejected(cause)) => {
                    // A request without credentials guesses nothing: only attempts count.
                    if cause != "credential-missing" {
                        let presented = Presented::find(&req.headers, &v.api_keys.header);
                        let sources = brute_force::sources(ctx, presented.as_ref());
                        v.guard.failure(&sources, Instant::now());
                    }
                    self.unauthenticated(cause)
                }
            }
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distinguished_names_compare_without_spaces() {
        assert_eq!(normalize_dn("CN=alice, O=Example"), "CN=alice,O=Example");
        assert_eq!(normalize_dn("CN = alice ,O= Example"), "CN=alice,O=Example");
    }

    #[test]
    fn scopes_read_strings_and_arrays() {
        assert_eq!(words(Some(&Value::from("a b"))), ["a", "b"]);
        assert_eq!(words(Some(&serde_json::json!(["a", 1, "b"]))), ["a", "b"]);
        assert!(words(None).is_empty());
    }
}
