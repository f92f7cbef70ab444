//! Upstream groups: keep-alive connection pools, round-robin over healthy targets, passive
//! ejection on failures and active health checks.

mod client;
mod health;

pub use client::{Client, Error, Pool, UpstreamBody, build_client};

use crate::telemetry::Metrics;
use http::Uri;
use parapet_config::Upstream;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::time::Instant;
use tokio::task::JoinHandle;

/// One target of a group and its health.
#[derive(Debug)]
pub struct Target {
    /// Base URL (`scheme://authority`).
    pub base: Uri,
    /// Label used in logs and metrics (`host:port`).
    pub label: String,
    /// Its idle keep-alive connections.
    pub pool: Arc<Pool>,
    /// Result of the active health check (true when none is configured).
    active_ok: AtomicBool,
    /// Consecutive passive failures.
    failures: AtomicU32,
    /// Milliseconds since the group's epoch until which the target is ejected.
    ejected_until: AtomicU64,
}

/// A running upstream group. Dropping it stops its health checker.
pub struct Group {
    /// Its validated config.
    pub config: Arc<Upstream>,
    /// The targets.
    pub targets: Vec<Target>,
    /// Opens connections to the targets.
    pub client: Client,
    next: AtomicUsize,
    epoch: Instant,
    metrics: Arc<Metrics>,
    checker: std::sync::Mutex<Option<JoinHandle<()>>>,
}

impl Group {
    /// Builds the group and starts its active health checker, if any.
    pub fn start(
        config: Arc<Upstream>,
        metrics: Arc<Metrics>,
    ) -> Result<Arc<Group>, rustls::Error> {
        let client = build_client(&config)?;
        let targets = config
            .targets
            .iter()
            .map(|t| Target {
                base: t.clone(),
                label: t
                    .authority()
                    .map_or_else(|| t.to_string(), |a| a.to_string()),
                pool: Pool::new(t.clone()),
                active_ok: AtomicBool::new(true),
                failures: AtomicU32::new(0),
                ejected_until: AtomicU64::new(0),
            })
            .collect();
        let group = Arc::new(Group {
            config,
            targets,
            client,
            next: AtomicUsize::new(0),
            epoch: Instant::now(),
            metrics,
            checker: std::sync::Mutex::new(None),
        });
        for t in &group.targets {
            group.publish(t);
        }
        if group.config.health.is_some() {
            let handle = tokio::spawn(health::run(Arc::downgrade(&group)));
            if let Ok(mut slot) = group.checker.lock() {
                *slot = Some(handle);
            }
        }
        Ok(group)
    }

    fn now_ms(&self) -> u64 {
        self.epoch.elapsed().as_millis() as u64
    }

    /// Whether `t` is in rotation now.
    pub fn is_available(&self, t: &Target) -> bool {
        t.active_ok.load(Ordering::Relaxed)
            && t.ejected_until.load(Ordering::Relaxed) <= self.now_ms()
    }

    /// The next target in round-robin order that is in rotation, or `None` when all are out.
    pub fn pick(&self) -> Option<&Target> {
        let n = self.targets.len();
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        (0..n)
            .map(|i| &self.targets[(start + i) % n])
            .find(|t| self.is_available(t))
    }

    /// Records a successful exchange with `t`.
    pub fn success(&self, t: &Target) {
        if t.failures.load(Ordering::Relaxed) != 0 {
            t.failures.store(0, Ordering::Relaxed);
        }
    }

    /// Records a failed exchange (connection error or 502/503/504) with `t`; ejects it for the
    /// cooldown after `passive_failures` in a row.
    pub fn failure(&self, t: &Target) {
        let n = t.failures.fetch_add(1, Ordering::Relaxed) + 1;
        if n >= self.config.passive_failures {
            t.failures.store(0, Ordering::Relaxed);
            let until = self.now_ms() + self.config.passive_cooldown.as_millis() as u64;
            t.ejected_until.store(until, Ordering::Relaxed);
            tracing::warn!(upstream = %self.config.name, target = %t.label, "target ejected after {n} failures");
            self.publish(t);
        }
    }

    fn set_active(&self, t: &Target, ok: bool) {
        if t.active_ok.swap(ok, Ordering::Relaxed) != ok {
            tracing::warn!(upstream = %self.config.name, target = %t.label, healthy = ok, "health check changed state");
            self.publish(t);
        }
    }

    fn publish(&self, t: &Target) {
        let labels = vec![
            ("upstream", self.config.name.clone()),
            ("target", t.label.clone()),
        ];
        self.metrics
            .upstream_healthy
            .get_or_create(&labels)
            .set(i64::from(self.is_available(t)));
    }

    /// Sends `req` (origin-form URI) to `target`, on a pooled connection or a new one.
    pub async fn send(
        &self,
        target: &Target,
        req: http::Request<crate::body::ProxyBody>,
    ) -> Result<http::Response<UpstreamBody>, Error> {
        self.client.send(&target.pool, req).await
    }

    /// Whether at least one target is in rotation.
    pub fn is_ready(&self) -> bool {
        self.targets.iter().any(|t| self.is_available(t))
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        if let Ok(mut slot) = self.checker.lock()
            && let Some(h) = slot.take()
        {
            h.abort();
        }
    }
}
