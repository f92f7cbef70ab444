//! Revoked credentials, shared by every replica through the traffic state (Redis when
//! `state: redis://…`): a token's `jti`, an API key's id, a certificate's SHA-256.
//!
//! Revoking an API key in the store already reaches every replica that shares the store
//! file; a revocation mark in the state also reaches replicas with stores of their own,
//! and it is the only way to revoke a token before it expires. Every authenticated request
//! whose identity names a credential is checked (one lookup: in memory, or one Redis `GET`).
//! A replica also checks the marks written through its own admin API, so one written
//! while Redis was unreachable stays in force there; requests are not refused for an
//! outage. Marks live as long as the state: with `state: memory` a restart forgets them,
//! as does a Redis without persistence.

use parapet_policy::Identity;
use parapet_state::{Key, Kind, Record, State, Unavailable};
use std::time::Duration;

/// The revocation marks of a configuration's state.
#[derive(Clone, Debug)]
pub struct Revocations {
    state: State,
}

fn key(method: &str, credential: &str) -> Key {
    Key::new(Kind::Revocation, [method.as_bytes(), credential.as_bytes()])
}

impl Revocations {
    /// Marks kept in `state`.
    pub fn new(state: &State) -> Revocations {
        Revocations {
            state: state.clone(),
        }
    }

    /// Revokes `credential` of `method` (`jwt`, `introspection`, `api_key`, `mtls`) for
    /// `ttl` (until the credential would have expired anyway). The mark is kept locally too,
    /// so this replica honours it through a Redis outage.
    pub async fn revoke(
        &self,
        method: &str,
        credential: &str,
        ttl: Duration,
    ) -> Result<(), Unavailable> {
        let key = key(method, credential);
        let mark = Record::from_static(b"1");
        self.state.local().put(&key, mark.clone(), ttl);
        if self.state.is_shared() {
            self.state.put(&key, mark, ttl).await?;
        }
        Ok(())
    }

    /// Whether the credential behind `identity` was revoked.
    pub async fn is_revoked(&self, identity: &Identity) -> bool {
        let Some(credential) = &identity.credential else {
            return false;
        };
        let key = key(identity.method, credential);
        // This replica's own marks count too: one written while Redis was down never
        // reached it.
        if self.state.local().get(&key).is_some() {
            return true;
        }
        matches!(self.state.get(&key).await, Ok(Some(_)))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[tokio::test]
    async fn a_revoked_credential_is_known_and_others_are_not() {
        let revocations = Revocations::new(&State::new(Default::default(), None));
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
