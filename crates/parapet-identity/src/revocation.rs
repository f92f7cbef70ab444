//! Revoked credentials: a token's `jti`, an API key's id, a certificate's SHA-256.
//!
//! A revocation mark is written to the store (so a restart does not bring the credential
//! back, and replicas sharing the store file see it) and, with `state: redis://…`, to Redis
//! (so replicas with stores of their own see it too). Every authenticated request whose
//! identity names a credential is checked: one indexed store read, and one Redis `GET`
//! when the state is shared. While Redis is unreachable the store's marks still hold, and
//! requests are not refused for the outage. Marks are digests: the credential id itself is
//! written nowhere.

use parapet_policy::Identity;
use parapet_state::{Key, Kind, Record, State, Unavailable};
use parapet_store::Store;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

/// The revocation marks of a configuration.
#[derive(Clone, Debug)]
pub struct Revocations {
    state: State,
    store: Arc<Store>,
}

fn key(method: &str, credential: &str) -> Key {
    Key::new(Kind::Revocation, [method.as_bytes(), credential.as_bytes()])
}

impl Revocations {
    /// Marks kept in `store` and, when shared, in `state`.
    pub fn new(state: &State, store: &Arc<Store>) -> Revocations {
        Revocations {
            state: state.clone(),
            store: store.clone(),
        }
    }

    /// Revokes `credential` of `method` (`jwt`, `introspection`, `api_key`, `mtls`) for
    /// `ttl` (until the credential would have expired anyway). Fails when the mark could
    /// not reach the store or the shared state; what was written stays in force.
    pub async fn revoke(
        &self,
        method: &str,
        credential: &str,
        ttl: Duration,
    ) -> Result<(), Unavailable> {
        let key = key(method, credential);
        let stored = self
            .store
            .revoke_mark(&key.to_string(), SystemTime::now() + ttl);
        if let Err(e) = &stored {
            tracing::error!(error = %e, "could not save a revocation");
        }
        if self.state.is_shared() {
            self.state.put(&key, Record::from_static(b"1"), ttl).await?;
        }
        stored.map_err(|_| Unavailable)
    }

    /// Whether the credential behind `identity` was revoked.
    pub async fn is_revoked(&self, identity: &Identity) -> bool {
        let Some(credential) = &identity.credential else {
            return false;
        };
        let key = key(identity.method, credential);
        match self
            .store
            .is_mark_revoked(&key.to_string(), SystemTime::now())
        {
            Ok(true) => return true,
            Ok(false) => {}
            Err(e) => tracing::error!(error = %e, "could not read revocations"),
        }
        self.state.is_shared() && matches!(self.state.get(&key).await, Ok(Some(_)))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[tokio::test]
    async fn a_revoked_credential_is_known_and_others_are_not() {
        let store = Arc::new(Store::in_memory().unwrap());
        let revocations = Revocations::new(&State::new(Default::default(), None), &store);
        let id = |method, credential: Option<&str>| Identity {
            consumer: "alice".into(),
            method,
            credential: credential.map(str::to_string),
            ..Identity::default()
        };
        revocations
            .revoke("jwt", "j-1", Duration::from_secs(60))
            .await
            .unwrap();
        assert!(revocations.is_revoked(&id("jwt", Some("j-1"))).await);
        assert!(!revocations.is_revoked(&id("jwt", Some("j-2"))).await);
        assert!(
            !revocations.is_revoked(&id("api_key", Some("j-1"))).await,
            "per method"
        );
        assert!(!revocations.is_revoked(&id("jwt", None)).await);
    }
}
