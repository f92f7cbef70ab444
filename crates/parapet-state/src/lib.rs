//! Parapet's shared traffic state: rate-limit counters (GCRA), quota usage, replay nonces,
//! idempotency records and revoked credentials.
//!
//! - With `state: memory` everything lives in this process ([`Memory`]); quota usage is
//!   written to the embedded store every second and on shutdown, so a restart neither
//!   resets nor loses it.
//! - With `state: redis://…` (Redis or Valkey, one node or a cluster) every replica shares
//!   the same counters through atomic server-side scripts ([`State`]'s async methods).
//!   Each call is bounded by a short timeout; when Redis is unreachable the calls fail
//!   at once with [`Unavailable`] (nothing waits on a dead server) and the caller picks
//!   its fallback: the local counters of [`State::local`], admit, or refuse. A monitor
//!   pings Redis and shared counting resumes as soon as it answers again.

mod gcra;
mod key;
mod memory;
mod redis;
#[cfg(feature = "testing")]
pub mod testing;
mod window;

pub use crate::redis::Target;
pub use gcra::{Gcra, Outcome};
pub use key::{Key, Kind};
pub use memory::Memory;
pub use window::{Period, Window};

use crate::redis::Conn;
use parapet_store::Store;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock, Weak};
use std::time::Duration;

/// An opaque stored value (a replay marker, a saved response).
pub type Record = bytes::Bytes;

/// A quota charge's answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QuotaOutcome {
    /// Whether the charge fit in the quota.
    pub allowed: bool,
    /// Usage of the window after the charge (before it, when refused).
    pub used: u64,
}

/// The shared backend could not answer in time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("shared state unavailable")]
pub struct Unavailable;

/// How the state is configured.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settings {
    /// Redis/Valkey, or `None` for in-process state only.
    pub remote: Option<Target>,
    /// Longest wait for one Redis operation.
    pub timeout: Duration,
    /// Prefix of every Redis key.
    pub prefix: String,
    /// Keys of each kind kept in memory.
    pub max_keys: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            remote: None,
            timeout: Duration::from_millis(50),
            prefix: "parapet:".into(),
            max_keys: 1_000_000,
        }
    }
}

/// What `/readyz` and the metrics say about the state backend.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Status {
    /// `memory` or `redis`.
    pub backend: &'static str,
    /// Whether the backend answers (always true for memory).
    pub reachable: bool,
    /// Operations that could not reach the backend, since start.
    pub unavailable: u64,
}

/// The Redis side of a [`State`].
struct Remote {
    target: Target,
    conn: OnceLock<Conn>,
    up: AtomicBool,
    timeout: Duration,
    prefix: String,
    unavailable: AtomicU64,
}

/// Traffic state: local, or shared through Redis with local fallback. Cheap to clone.
#[derive(Clone)]
pub struct State {
    settings: Settings,
    local: Arc<Memory>,
    remote: Option<Arc<Remote>>,
}

impl std::fmt::Debug for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("State")
            .field("settings", &self.settings)
            .field("status", &self.status())
            .finish()
    }
}

impl State {
    /// State with `settings`; quota usage of the local counters is persisted in `store`.
    /// Does no I/O: call [`State::start`] on a runtime to connect.
    pub fn new(settings: Settings, store: Option<Arc<Store>>) -> State {
        let remote = settings.remote.clone().map(|target| {
            Arc::new(Remote {
                target,
                conn: OnceLock::new(),
                up: AtomicBool::new(false),
                timeout: settings.timeout,
                prefix: settings.prefix.clone(),
                unavailable: AtomicU64::new(0),
            })
        });
        State {
            local: Arc::new(Memory::new(settings.max_keys, store)),
            settings,
            remote,
        }
    }

    /// The settings it was built with (a reload with the same ones keeps the state).
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Starts the background work: connecting to and watching Redis, saving quota usage.
    /// Both stop when the last clone of this state is dropped.
    pub fn start(&self) {
        let local = Arc::downgrade(&self.local);
        tokio::spawn(save_quotas(local));
        if let Some(remote) = &self.remote {
            tokio::spawn(watch(Arc::downgrade(remote)));
        }
    }

    /// Writes unsaved quota usage now (on shutdown).
    pub fn flush(&self) {
        self.local.flush_quotas();
    }

    /// Whether counters are shared through Redis (the async methods do I/O).
    pub fn is_shared(&self) -> bool {
        self.remote.is_some()
    }

    /// The in-process counters: the whole state with `memory`, the fallback with Redis.
    pub fn local(&self) -> &Memory {
        &self.local
    }

    /// Backend health.
    pub fn status(&self) -> Status {
        match &self.remote {
            None => Status {
                backend: "memory",
                reachable: true,
                unavailable: 0,
            },
            Some(r) => Status {
                backend: "redis",
                reachable: r.up.load(Ordering::Relaxed),
                unavailable: r.unavailable.load(Ordering::Relaxed),
            },
        }
    }

    /// Decides one request against every limit of `checks`, all or nothing: when one
    /// refuses, the others are refunded.
    pub async fn rate(
        &self,
        checks: &[(Key, Gcra)],
        cost: u32,
    ) -> Result<Vec<Outcome>, Unavailable> {
        let Some(remote) = &self.remote else {
            return Ok(self.local.rate(checks, cost));
        };
        let names: Vec<String> = checks
            .iter()
            .map(|(k, _)| k.redis_name(&remote.prefix))
            .collect();
        let calls = checks.iter().zip(&names).map(|((_, gcra), name)| {
            remote.call(move |c| async move { c.gcra(name, gcra, cost).await })
        });
        let outcomes = futures_util::future::join_all(calls)
            .await
            .into_iter()
            .collect::<Result<Vec<_>, _>>()?;
        if outcomes.iter().any(|o| !o.allowed()) {
            for ((name, (_, gcra)), outcome) in names.into_iter().zip(checks).zip(&outcomes) {
                if outcome.allowed() {
                    let remote = remote.clone();
                    let gcra = *gcra;
                    tokio::spawn(async move {
                        let _ = remote
                            .call(|c| async move { c.refund(&name, &gcra, cost).await })
                            .await;
                    });
                }
            }
        }
        Ok(outcomes)
    }

    /// Charges `cost` to quota `key` in `window` unless usage would exceed `max`.
    pub async fn quota(
        &self,
        key: &Key,
        window: Window,
        max: u64,
        cost: u64,
    ) -> Result<QuotaOutcome, Unavailable> {
        let Some(remote) = &self.remote else {
            return Ok(self.local.quota(key, window, max, cost));
        };
        let name = redis::quota_name(key, &remote.prefix, window);
        remote
            .call(|c| async move { c.quota(&name, window, max, cost).await })
            .await
    }

    /// Stores `record` for `ttl` unless a live record is under `key`; returns that one.
    pub async fn put_if_absent(
        &self,
        key: &Key,
        record: Record,
        ttl: Duration,
    ) -> Result<Option<Record>, Unavailable> {
        let Some(remote) = &self.remote else {
            return Ok(self.local.put_if_absent(key, record, ttl));
        };
        let name = key.redis_name(&remote.prefix);
        remote
            .call(|c| async move { c.put_if_absent(&name, &record, ttl).await })
            .await
    }

    /// Replaces the record under `key` for `ttl`.
    pub async fn put(&self, key: &Key, record: Record, ttl: Duration) -> Result<(), Unavailable> {
        let Some(remote) = &self.remote else {
            self.local.put(key, record, ttl);
            return Ok(());
        };
        let name = key.redis_name(&remote.prefix);
        remote
            .call(|c| async move { c.put(&name, &record, ttl).await })
            .await
    }

    /// The live record under `key`.
    pub async fn get(&self, key: &Key) -> Result<Option<Record>, Unavailable> {
        let Some(remote) = &self.remote else {
            return Ok(self.local.get(key));
        };
        let name = key.redis_name(&remote.prefix);
        remote.call(|c| async move { c.get(&name).await }).await
    }

    /// Removes the record under `key`.
    pub async fn remove(&self, key: &Key) -> Result<(), Unavailable> {
        let Some(remote) = &self.remote else {
            self.local.remove(key);
            return Ok(());
        };
        let name = key.redis_name(&remote.prefix);
        remote.call(|c| async move { c.remove(&name).await }).await
    }
}

impl Remote {
    /// Runs one operation within the timeout; fails at once while Redis is known down.
    async fn call<'c, T, F>(&'c self, op: impl FnOnce(&'c Conn) -> F) -> Result<T, Unavailable>
    where
        F: Future<Output = ::redis::RedisResult<T>>,
    {
        let conn = match self.conn.get() {
            Some(c) if self.up.load(Ordering::Relaxed) => c,
            _ => return Err(self.unavailable()),
        };
        match tokio::time::timeout(self.timeout, op(conn)).await {
            Ok(Ok(v)) => Ok(v),
            // A lost connection takes the backend down for every caller; a command error
            // (out of memory, an old server refusing a command) fails this call only.
            Ok(Err(e))
                if e.is_io_error()
                    || e.is_connection_dropped()
                    || e.is_connection_refusal()
                    || e.is_timeout() =>
            {
                self.down(&e.to_string());
                Err(self.unavailable())
            }
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "shared state (Redis) refused a command; fallback used");
                Err(self.unavailable())
            }
            Err(_) => {
                self.down("timed out");
                Err(self.unavailable())
            }
        }
    }

    fn unavailable(&self) -> Unavailable {
        self.unavailable.fetch_add(1, Ordering::Relaxed);
        Unavailable
    }

    fn down(&self, why: &str) {
        if self.up.swap(false, Ordering::Relaxed) {
            tracing::warn!(
                error = why,
                "shared state (Redis) unreachable; local fallback in use"
            );
        }
    }

    fn back_up(&self) {
        if !self.up.swap(true, Ordering::Relaxed) {
            tracing::info!("shared state (Redis) reachable; counting is shared again");
        }
    }
}

/// How often Redis is pinged while up, and retried while down.
const WATCH_UP: Duration = Duration::from_secs(1);
const WATCH_DOWN: Duration = Duration::from_millis(200);

/// Connects to Redis, then pings it, flipping the state up and down.
async fn watch(remote: Weak<Remote>) {
    loop {
        let Some(r) = remote.upgrade() else { return };
        let healthy = match r.conn.get() {
            Some(conn) => matches!(
                tokio::time::timeout(r.timeout.max(Duration::from_millis(200)), conn.ping()).await,
                Ok(Ok(()))
            ),
            None => match Conn::open(&r.target, r.timeout.max(Duration::from_millis(200))).await {
                Ok(conn) => {
                    let _ = r.conn.set(conn);
                    true
                }
                Err(e) => {
                    tracing::debug!(error = %e, "cannot connect to the shared state (Redis) yet");
                    false
                }
            },
        };
        if healthy {
            r.back_up();
        } else {
            r.down("ping failed");
        }
        drop(r);
        tokio::time::sleep(if healthy { WATCH_UP } else { WATCH_DOWN }).await;
    }
}

/// How often quota usage is written to the store.
const SAVE_EVERY: Duration = Duration::from_secs(1);

async fn save_quotas(local: Weak<Memory>) {
    loop {
        tokio::time::sleep(SAVE_EVERY).await;
        let Some(local) = local.upgrade() else { return };
        tokio::task::spawn_blocking(move || local.flush_quotas());
    }
}
