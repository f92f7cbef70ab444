//! The in-process backend: exact, lock-sharded maps. It is the only backend with
//! `state: memory`, and the fallback of every Redis operation when Redis is unreachable.
//!
//! Every map is bounded, per kind: when a shard is full, expired entries are swept. If a
//! counter shard is still full, the new key shares one overflow counter with every other
//! newcomer (their limits then count together): memory stays bounded under key-rotation
//! floods, and the flood is still limited rather than waved through. A record (nonce,
//! idempotency claim, revocation) is never shared with another key: a full record shard
//! drops the record that expires soonest.

use crate::gcra::{Gcra, Outcome};
use crate::key::{Key, Kind};
use crate::window::Window;
use crate::{QuotaOutcome, Record};
use parapet_store::Store;
use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasher, RandomState};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

const SHARDS: usize = 32;

/// A bounded map split into independently locked shards.
struct Sharded<V> {
    shards: Vec<Mutex<HashMap<Key, V>>>,
    per_shard: usize,
    hasher: RandomState,
}

impl<V> Sharded<V> {
    fn new(capacity: usize) -> Self {
        Sharded {
            shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
            per_shard: (capacity / SHARDS).max(1),
            hasher: RandomState::new(),
        }
    }

    /// Runs `f` on the entry of `key` (created by the caller when absent), with the
    /// shard locked. `expired` says which entries a sweep of a full shard may drop.
    fn with<R>(
        &self,
        key: &Key,
        expired: impl Fn(&V) -> bool,
        f: impl FnOnce(&mut HashMap<Key, V>, Key) -> R,
    ) -> R {
        let mut map = self.shard(key);
        let mut key = *key;
        if map.len() >= self.per_shard && !map.contains_key(&key) {
            map.retain(|_, v| !expired(v));
            if map.len() >= self.per_shard {
                key = overflow(key);
            }
        }
        f(&mut map, key)
    }

    /// The shard of `key`, locked.
    fn shard(&self, key: &Key) -> std::sync::MutexGuard<'_, HashMap<Key, V>> {
        let shard = &self.shards[(self.hasher.hash_one(key) as usize) % SHARDS];
        shard.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|s| s.lock().unwrap_or_else(PoisonError::into_inner).len())
            .sum()
    }
}

/// A record and when it expires.
type Timed = (Instant, Record);

impl Sharded<Timed> {
    /// Runs `f` on the live record of `key` with the shard locked; `f` may insert. When
    /// `inserting` into a full shard, expired records are dropped, then the one expiring
    /// soonest.
    fn with_record<R>(
        &self,
        key: &Key,
        inserting: bool,
        f: impl FnOnce(&mut HashMap<Key, Timed>, Option<&Record>) -> R,
    ) -> R {
        let now = Instant::now();
        let mut map = self.shard(key);
        if inserting && map.len() >= self.per_shard && !map.contains_key(key) {
            map.retain(|_, (until, _)| *until > now);
            if map.len() >= self.per_shard
                && let Some(soonest) = map
                    .iter()
                    .min_by_key(|(_, (until, _))| *until)
                    .map(|(k, _)| *k)
            {
                map.remove(&soonest);
            }
        }
        let live = map
            .get(key)
            .filter(|(until, _)| *until > now)
            .map(|(_, r)| r.clone());
        f(&mut map, live.as_ref())
    }
}

/// The key every newcomer to a full counter shard shares.
fn overflow(key: Key) -> Key {
    Key::new(key.kind(), [b"overflow".as_slice()])
}

/// A quota counter of one window, and whether the store has its latest value.
struct Usage {
    window: i64,
    /// Unix second the window ends (day and month windows are compared by it: their ids
    /// count different units).
    end: u64,
    used: u64,
    saved: bool,
}

/// The in-process state.
pub struct Memory {
    epoch: Instant,
    rates: Sharded<u64>,
    quotas: Sharded<Usage>,
    nonces: Sharded<Timed>,
    idempotency: Sharded<Timed>,
    revocations: Sharded<Timed>,
    store: Option<Arc<Store>>,
}

impl std::fmt::Debug for Memory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Memory")
            .field("rates", &self.rates.len())
            .field("quotas", &self.quotas.len())
            .field("nonces", &self.nonces.len())
            .field("idempotency", &self.idempotency.len())
            .field("revocations", &self.revocations.len())
            .finish()
    }
}

impl Memory {
    /// Empty state holding at most `capacity` keys of each kind; quota usage is
    /// persisted in `store` when given.
    pub fn new(capacity: usize, store: Option<Arc<Store>>) -> Memory {
        Memory {
            epoch: Instant::now(),
            rates: Sharded::new(capacity),
            quotas: Sharded::new(capacity),
            nonces: Sharded::new(capacity),
            idempotency: Sharded::new(capacity),
            revocations: Sharded::new(capacity),
            store,
        }
    }

    fn now_us(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_micros()).unwrap_or(u64::MAX)
    }

    /// Decides one request against every limit in `checks`, all or nothing: when one
    /// refuses, none is charged.
    pub fn rate(&self, checks: &[(Key, Gcra)], cost: u32) -> Vec<Outcome> {
        let now = self.now_us();
        let expired = |tat: &u64| *tat <= now;
        let outcomes: Vec<Outcome> = checks
            .iter()
            .map(|(key, gcra)| {
                self.rates.with(key, expired, |map, key| {
                    let (tat, outcome) = gcra.decide(map.get(&key).copied(), now, cost);
                    if outcome.allowed() {
                        map.insert(key, tat);
                    }
                    outcome
                })
            })
            .collect();
        if outcomes.iter().any(|o| !o.allowed()) {
            for ((key, gcra), outcome) in checks.iter().zip(&outcomes) {
                if outcome.allowed() {
                    self.refund(key, gcra, cost);
                }
            }
        }
        outcomes
    }

    /// Gives back `cost` to a limit that admitted a request another limit refused.
    pub fn refund(&self, key: &Key, gcra: &Gcra, cost: u32) {
        let now = self.now_us();
        self.rates.with(
            key,
            |tat| *tat <= now,
            |map, key| {
                if let Some(tat) = map.get_mut(&key) {
                    *tat = gcra.refund(*tat, now, cost);
                }
            },
        );
    }

    /// Charges `cost` to the quota `key` of `window` unless that would exceed `max`.
    pub fn quota(&self, key: &Key, window: Window, max: u64, cost: u64) -> QuotaOutcome {
        self.quotas.with(
            key,
            // Ended, and saved (an unsaved count would be lost).
            |u| u.end < window.end && u.saved,
            |map, key| {
                let usage = map.entry(key).or_insert_with(|| Usage {
                    window: i64::MIN,
                    end: 0,
                    used: 0,
                    saved: true,
                });
                if usage.window != window.id {
                    *usage = Usage {
                        window: window.id,
                        end: window.end,
                        used: self.load_usage(&key, window.id),
                        saved: true,
                    };
                }
                if usage.used.saturating_add(cost) > max {
                    return QuotaOutcome {
                        allowed: false,
                        used: usage.used,
                    };
                }
                usage.used += cost;
                usage.saved = false;
                QuotaOutcome {
                    allowed: true,
                    used: usage.used,
                }
            },
        )
    }

    fn load_usage(&self, key: &Key, window: i64) -> u64 {
        let Some(store) = &self.store else { return 0 };
        store
            .quota_used(&key.to_string(), window)
            .unwrap_or_else(|e| {
                tracing::warn!(error = %e, "could not read quota usage; counting from zero");
                0
            })
    }

    /// Writes quota usage changed since the last call to the store.
    pub fn flush_quotas(&self) {
        let Some(store) = &self.store else { return };
        let mut dirty = Vec::new();
        for shard in &self.quotas.shards {
            let mut map = shard.lock().unwrap_or_else(PoisonError::into_inner);
            for (key, usage) in map.iter_mut().filter(|(_, u)| !u.saved) {
                usage.saved = true;
                dirty.push((key.to_string(), usage.window, usage.used));
            }
        }
        if dirty.is_empty() {
            return;
        }
        if let Err(e) = store.save_quota_usage(&dirty) {
            tracing::warn!(error = %e, "could not save quota usage; will retry");
            let unsaved: HashSet<String> = dirty.into_iter().map(|(k, _, _)| k).collect();
            for shard in &self.quotas.shards {
                let mut map = shard.lock().unwrap_or_else(PoisonError::into_inner);
                for (key, usage) in map.iter_mut() {
                    if unsaved.contains(&key.to_string()) {
                        usage.saved = false;
                    }
                }
            }
        }
    }

    /// The record map of `key`'s kind.
    fn records(&self, key: &Key) -> &Sharded<Timed> {
        match key.kind() {
            Kind::Idempotency => &self.idempotency,
            Kind::Revocation => &self.revocations,
            Kind::Nonce | Kind::Rate | Kind::Quota => &self.nonces,
        }
    }

    /// Stores `record` under `key` for `ttl` unless a live one is there; returns the live
    /// one when there is.
    pub fn put_if_absent(&self, key: &Key, record: Record, ttl: Duration) -> Option<Record> {
        self.records(key)
            .with_record(key, true, |map, live| match live {
                Some(existing) => Some(existing.clone()),
                None => {
                    map.insert(*key, (Instant::now() + ttl, record));
                    None
                }
            })
    }

    /// Replaces the record under `key` for `ttl`.
    pub fn put(&self, key: &Key, record: Record, ttl: Duration) {
        self.records(key).with_record(key, true, |map, _| {
            map.insert(*key, (Instant::now() + ttl, record));
        });
    }

    /// The live record under `key`.
    pub fn get(&self, key: &Key) -> Option<Record> {
        self.records(key)
            .with_record(key, false, |_, live| live.cloned())
    }

    /// Removes the record under `key`.
    pub fn remove(&self, key: &Key) {
        self.records(key).shard(key).remove(key);
    }
}
