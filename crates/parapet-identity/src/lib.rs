//! Identity and access control: who is calling (API keys, JWT, OAuth2 introspection, mTLS)
//! and what they may do (function- and object-level authorization), with brute-force
//! defence and the verified identity forwarded to the upstream.
//!
//! [`Runtime`] holds what outlives a single route and, when unchanged, a reload: the store,
//! the JWT key caches, the introspection cache and the failure counters. Its
//! [`Runtime::policies`] builds the identity policies of one route.

pub mod authn;
pub mod authz;
pub mod brute_force;
pub mod credentials;
pub mod forward;
pub mod introspection;
pub mod jwt;
pub mod revocation;

use authn::{Authn, Verifiers};
use authz::Authz;
use brute_force::{BruteForce, Guard};
use forward::Forwarder;
use introspection::Introspector;
use jwt::JwtVerifier;
use parapet_config::{Authn as AuthnConfig, PolicySet};
use parapet_policy::Policy;
use parapet_store::{Origin, Store};
use revocation::Revocations;
use std::sync::Arc;

/// Identity state of one configuration.
#[derive(Debug)]
pub struct Runtime {
    settings: parapet_config::Identity,
    verifiers: Arc<Verifiers>,
}

impl Runtime {
    /// Builds the runtime for `settings`, reusing from `previous` the store (same file), the
    /// key caches of unchanged issuers, an unchanged introspection cache and unchanged
    /// failure counters. Config-declared consumers are written to the store.
    pub fn build(
        settings: &parapet_config::Identity,
        previous: Option<&Runtime>,
    ) -> Result<Runtime, String> {
        let prev = previous.map(|p| &p.verifiers);
        let store = match prev {
            Some(p) if previous.is_some_and(|r| r.settings.store == settings.store) => {
                write_consumers(&p.store, settings)?;
                p.store.clone()
            }
            _ => Arc::new(open_store(settings)?),
        };
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .user_agent("parapet")
            .build()
            .map_err(|e| format!("HTTP client: {e}"))?;
        let jwt = Arc::new(JwtVerifier::new(
            &settings.jwt,
            http.clone(),
            prev.map(|p| p.jwt.as_ref()),
        )?);
        let introspection = settings.introspection.as_ref().map(|s| {
            match prev.and_then(|p| p.introspection.as_ref()) {
                Some(i) if i.settings() == s => i.clone(),
                _ => Arc::new(Introspector::new(s.clone(), http.clone())),
            }
        });
        let guard = match prev {
            Some(p) if *p.guard.settings() == settings.brute_force => p.guard.clone(),
            _ => Arc::new(Guard::new(settings.brute_force.clone())),
        };
        Ok(Runtime {
            verifiers: Arc::new(Verifiers {
                store,
                jwt,
                introspection,
                guard,
                api_keys: settings.api_keys.clone(),
                jwt_claims: settings
                    .jwt
                    .iter()
                    .map(|j| (j.issuer.clone(), j.claims.clone()))
                    .collect(),
                forwarder: Forwarder::new(&settings.forward),
            }),
            settings: settings.clone(),
        })
    }

    /// Starts background work (JWKS refresh). Call inside the runtime that serves requests.
    pub fn start(&self) {
        self.verifiers.jwt.start();
    }

    /// The identity policies of a route: brute-force defence and authentication for every
    /// route that requires credentials, authentication alone (to strip client identity
    /// headers, or to refuse an unconfigured route) otherwise, and authorization when set.
    /// Authentication also refuses credentials marked in `revocations`.
    pub fn policies(&self, set: &PolicySet, revocations: &Revocations) -> Vec<Arc<dyn Policy>> {
        let mut out: Vec<Arc<dyn Policy>> = Vec::new();
        if matches!(set.authn, Some(AuthnConfig::Required { .. })) {
            out.push(Arc::new(BruteForce::new(
                self.verifiers.guard.clone(),
                self.settings.api_keys.header.clone(),
            )));
        }
        out.push(Arc::new(Authn::new(
            self.verifiers.clone(),
            set.authn.as_ref(),
            revocations.clone(),
        )));
        // An empty `authz: {}` (a public route clearing inherited rules) checks nothing.
        if let Some(z) = set
            .authz
            .as_ref()
            .filter(|z| !(z.scopes.is_empty() && z.roles.is_empty() && z.object.is_empty()))
        {
            out.push(Arc::new(Authz::new(z.clone())));
        }
        out
    }

    /// The store of consumers and keys.
    pub fn store(&self) -> &Arc<Store> {
        &self.verifiers.store
    }

    /// The JWT verifier (its key cache is shown on the admin API).
    pub fn jwt(&self) -> &Arc<JwtVerifier> {
        &self.verifiers.jwt
    }
}

/// Opens the configured store (in memory without `store:`) and writes the config-declared
/// consumers to it.
pub fn open_store(settings: &parapet_config::Identity) -> Result<Store, String> {
    let store = match &settings.store {
        Some(p) => Store::open(p).map_err(|e| format!("store {}: {e}", p.display()))?,
        None => Store::in_memory().map_err(|e| format!("in-memory store: {e}"))?,
    };
    write_consumers(&store, settings)?;
    Ok(store)
}

/// Makes the store's config-declared consumers those of `settings`, in one transaction:
/// consumers removed from the file are deleted with their keys; API-created ones stay.
fn write_consumers(store: &Store, settings: &parapet_config::Identity) -> Result<(), String> {
    let consumers: Vec<_> = settings.consumers.iter().map(to_store).collect();
    let removed = store
        .sync_config_consumers(&consumers)
        .map_err(|e| format!("consumers: {e}"))?;
    if !removed.is_empty() {
        tracing::info!(
            ?removed,
            "consumers removed from the configuration were deleted"
        );
    }
    Ok(())
}

/// A config-declared consumer as stored (certificate names normalized).
fn to_store(c: &parapet_config::Consumer) -> parapet_store::Consumer {
    parapet_store::Consumer {
        id: c.id.clone(),
        name: c.name.clone(),
        scopes: c.scopes.clone(),
        roles: c.roles.clone(),
        rate_plan: c.rate_plan.clone(),
        metadata: c.metadata.clone(),
        certificates: c.certificates.iter().map(|n| certificate_name(n)).collect(),
        origin: Origin::Config,
    }
}

/// A certificate name as stored and looked up: SANs (`DNS:`, `URI:`, `email:`, `IP:`)
/// as written, subject DNs without spaces around `,` and `=`.
pub fn certificate_name(name: &str) -> String {
    const SAN: [&str; 4] = ["DNS:", "URI:", "email:", "IP:"];
    if SAN.iter().any(|p| name.starts_with(p)) {
        name.to_string()
    } else {
        authn::normalize_dn(name)
    }
}
