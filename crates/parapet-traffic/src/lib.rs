//! Traffic control: rate limits, quotas, spike arrest, concurrency limits, replay
//! protection (nonces, timestamps, HTTP message signatures) and idempotency keys.
//!
//! [`Runtime`] holds what outlives a route and, when unchanged, a reload: the traffic
//! [`State`] (local or Redis), the in-flight counters and the consumers' signing keys. Its
//! [`Runtime::policies`] builds the traffic policies of one route.

pub mod concurrency;
mod headers;
pub mod idempotency;
mod keys;
pub mod quota;
pub mod rate_limit;
pub mod replay;
pub mod signature;
pub mod spike_arrest;

use concurrency::{Concurrency, Slots};
use http::HeaderValue;
use http::header::RETRY_AFTER;
use idempotency::Idempotency;
use parapet_config::{Consumer, PolicySet, RedisTarget, StateConfig};
use parapet_policy::{Decision, Part, Policy, Refusal, reasons};
use parapet_state::{Settings, State, Target};
use parapet_store::Store;
use quota::Quota;
use rate_limit::RateLimits;
use replay::{Replay, SigningKeys};
use spike_arrest::SpikeArrest;
use std::sync::Arc;

reasons! {
    /// The shared state is unreachable and the policy fails closed.
    STATE_UNAVAILABLE = (SERVICE_UNAVAILABLE, "state-unavailable", "Service temporarily unavailable");
}

/// The refusal of a policy that fails closed while the shared state is unreachable.
pub(crate) fn unavailable() -> Decision {
    Refusal::new(STATE_UNAVAILABLE, Part::Connection)
        .header(RETRY_AFTER, HeaderValue::from_static("1"))
        .into()
}

/// Traffic state of one configuration.
#[derive(Debug)]
pub struct Runtime {
    config: StateConfig,
    state: State,
    slots: Arc<Slots>,
    signing_keys: Arc<SigningKeys>,
    /// Whether `state` was made for this runtime (not reused from the previous one).
    new_state: bool,
}

impl Runtime {
    /// The runtime for `config`, reusing `previous`'s state when its settings are the same
    /// (counters survive a reload); quota usage of the local state is saved in `store`;
    /// request signatures are checked with the keys of `consumers`.
    pub fn build(
        config: &StateConfig,
        store: &Arc<Store>,
        consumers: &[Consumer],
        previous: Option<&Runtime>,
    ) -> Runtime {
        let slots = previous.map_or_else(Arc::default, |p| p.slots.clone());
        let signing_keys = Arc::new(SigningKeys::new(consumers));
        if let Some(p) = previous.filter(|p| p.config == *config) {
            return Runtime {
                config: config.clone(),
                state: p.state.clone(),
                slots,
                signing_keys,
                new_state: false,
            };
        }
        let settings = Settings {
            remote: config.redis.as_ref().map(|r| match r {
                RedisTarget::Single(url) => Target::Single(url.clone()),
                RedisTarget::Cluster(nodes) => Target::Cluster(nodes.clone()),
            }),
            timeout: config.timeout,
            prefix: config.prefix.clone(),
            max_keys: config.max_keys,
        };
        Runtime {
            config: config.clone(),
            state: State::new(settings, Some(store.clone())),
            slots,
            signing_keys,
            new_state: true,
        }
    }

    /// Starts the background work of a new state (Redis connection, quota saving) on the
    /// current runtime; a state reused from the previous runtime is already running.
    pub fn start(&self) {
        if self.new_state {
            self.state.start();
        }
    }

    /// The traffic state.
    pub fn state(&self) -> &State {
        &self.state
    }

    /// The traffic policies of a route.
    pub fn policies(&self, set: &PolicySet) -> Vec<Arc<dyn Policy>> {
        let mut out: Vec<Arc<dyn Policy>> = Vec::new();
        for group in RateLimits::build(&set.rate_limits, &self.state) {
            out.push(Arc::new(group));
        }
        if let Some(q) = &set.quota {
            out.push(Arc::new(Quota::new(q, &self.state)));
        }
        if let Some(s) = &set.spike_arrest {
            out.push(Arc::new(SpikeArrest::new(s, &self.state)));
        }
        if let Some(c) = &set.concurrency {
            out.push(Arc::new(Concurrency::new(c, &self.slots)));
        }
        if let Some(r) = &set.replay {
            out.push(Arc::new(Replay::new(r, &self.signing_keys, &self.state)));
        }
        if let Some(i) = &set.idempotency {
            out.push(Arc::new(Idempotency::new(i, &self.state)));
        }
        out
    }
}
