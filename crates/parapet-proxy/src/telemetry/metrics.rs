//! Prometheus metrics, served as text by the admin listener.

use arc_swap::ArcSwapOption;
use parapet_identity::jwt::{IssuerKeys, JwtVerifier};
use parapet_state::State;
use prometheus_client::collector::Collector;
use prometheus_client::encoding::text::encode;
use prometheus_client::encoding::{
    DescriptorEncoder, EncodeLabelSet, EncodeLabelValue, EncodeMetric, LabelValueEncoder,
};
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::{ConstGauge, Gauge};
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use std::borrow::Cow;
use std::fmt::Write;
use std::sync::Arc;

type Labels = Vec<(&'static str, String)>;

/// A label value shared with the config snapshot (an API or route name): cloning it is a
/// reference-count increment, not a copy.
#[derive(Clone, Debug, Hash, PartialEq, Eq)]
pub struct Name(pub Arc<str>);

impl EncodeLabelValue for Name {
    fn encode(&self, encoder: &mut LabelValueEncoder) -> std::fmt::Result {
        encoder.write_str(&self.0)
    }
}

/// Labels of the per-request metrics, built on every request without allocating.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    /// API name, `-` when none matched.
    pub api: Name,
    /// Route template, `-` for API defaults.
    pub route: Name,
    /// Method.
    pub method: Cow<'static, str>,
    /// Status sent.
    pub status: u16,
}

/// Labels of the latency histogram.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ApiLabel {
    /// API name.
    pub api: Name,
}

/// The request counter and latency histogram of one label set, kept by a connection: its
/// next request usually has the same labels (keep-alive), and finding them in their
/// families hashes every label.
#[derive(Debug)]
pub struct RequestMetrics {
    labels: RequestLabels,
    requests: Counter,
    duration: Histogram,
}

impl Metrics {
    /// Counts a request answered with `labels` that took `seconds`, through `last` (the
    /// handles of the last label set seen, replaced when these differ).
    pub fn record_request(
        &self,
        last: &std::sync::Mutex<Option<RequestMetrics>>,
        labels: RequestLabels,
        seconds: f64,
    ) {
        let mut last = match last.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        let handles = match last.take() {
            Some(handles) if handles.labels == labels => handles,
            _ => RequestMetrics {
                requests: self.requests.get_or_create_owned(&labels),
                duration: self.duration.get_or_create_owned(&ApiLabel {
                    api: labels.api.clone(),
                }),
                labels,
            },
        };
        handles.duration.observe(seconds);
        handles.requests.inc();
        *last = Some(handles);
    }
}

/// The method as a label value, borrowed for the standard methods.
pub fn method_label(method: &http::Method) -> Cow<'static, str> {
    const STANDARD: [&str; 9] = [
        "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH",
    ];
    match STANDARD.iter().find(|m| **m == method.as_str()) {
        Some(m) => Cow::Borrowed(m),
        None => Cow::Owned(method.as_str().to_string()),
    }
}

/// Every metric the gateway exports.
pub struct Metrics {
    registry: Registry,
    /// Requests answered, by API, route, method and status.
    pub requests: Family<RequestLabels, Counter>,
    /// Time from request to the end of the response, by API.
    pub duration: Family<ApiLabel, Histogram>,
    /// Refusals and monitor hits, by policy, reason and action.
    pub refusals: Family<Labels, Counter>,
    /// 1 when a target is in rotation, by upstream and target.
    pub upstream_healthy: Family<Labels, Gauge>,
    /// Failed upstream exchanges, by upstream and kind.
    pub upstream_errors: Family<Labels, Counter>,
    /// Open client connections.
    pub connections_active: Gauge,
    /// Client connections closed on accept (`limit`, `policy`), or because a request head
    /// did not arrive in time (`header_timeout`), by reason.
    pub connections_rejected: Family<Labels, Counter>,
    /// Log lines dropped because a queue was full, by log.
    pub log_dropped: Family<Labels, Counter>,
    /// Configuration reloads, by result.
    pub reloads: Family<Labels, Counter>,
    /// The JWT key caches of the configuration in force.
    pub jwt_keys: Arc<JwtKeyCollector>,
    /// The traffic state backend of the configuration in force.
    pub state: Arc<StateCollector>,
}

/// Exports the health of the traffic state backend at scrape time
/// (`parapet_state_reachable`, `parapet_state_unavailable_total`).
#[derive(Debug, Default)]
pub struct StateCollector {
    state: ArcSwapOption<State>,
}

impl StateCollector {
    /// Points the collector at the state of the snapshot now in force.
    pub fn watch(&self, state: &State) {
        self.state.store(Some(Arc::new(state.clone())));
    }
}

impl Collector for StateCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> std::fmt::Result {
        let Some(state) = self.state.load_full() else {
            return Ok(());
        };
        let status = state.status();
        let labels = [("backend", status.backend)];
        let gauge = ConstGauge::new(i64::from(status.reachable));
        let mut family = encoder.encode_descriptor(
            "state_reachable",
            "1 while the traffic state backend answers (always 1 for memory)",
            None,
            gauge.metric_type(),
        )?;
        gauge.encode(family.encode_family(&labels)?)?;
        let counter = ConstCounter::new(status.unavailable);
        let mut family = encoder.encode_descriptor(
            "state_unavailable",
            "Traffic state operations that could not reach the backend (fallback used)",
            None,
            counter.metric_type(),
        )?;
        counter.encode(family.encode_family(&labels)?)
    }
}

/// A metric read from an issuer's key cache: name, help, value.
type Exported<T> = (&'static str, &'static str, fn(&IssuerKeys) -> T);

/// Exports the JWT key caches at scrape time: keys held, staleness and fetch counters per
/// issuer (`parapet_jwt_*`).
#[derive(Debug, Default)]
pub struct JwtKeyCollector {
    verifier: ArcSwapOption<JwtVerifier>,
}

impl JwtKeyCollector {
    /// Points the collector at the verifier of the snapshot now in force.
    pub fn watch(&self, verifier: Arc<JwtVerifier>) {
        self.verifier.store(Some(verifier));
    }
}

impl Collector for JwtKeyCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> std::fmt::Result {
        let Some(verifier) = self.verifier.load_full() else {
            return Ok(());
        };
        let caches = verifier.key_cache();
        if caches.is_empty() {
            return Ok(());
        }
        let gauges: [Exported<i64>; 2] = [
            ("jwt_keys", "Verification keys cached, by issuer", |c| {
                c.keys.len() as i64
            }),
            (
                "jwt_keys_stale",
                "1 while the last key fetch failed and older keys are served",
                |c| i64::from(c.stale),
            ),
        ];
        for (name, help, value) in gauges {
            let gauge = ConstGauge::new(0i64);
            let mut family = encoder.encode_descriptor(name, help, None, gauge.metric_type())?;
            for c in &caches {
                let labels = [("issuer", c.issuer.as_str())];
                ConstGauge::new(value(c)).encode(family.encode_family(&labels)?)?;
            }
        }
        let counters: [Exported<u64>; 4] = [
            ("jwt_key_fetches", "Successful JWKS fetches", |c| {
                c.fetches_ok
            }),
            ("jwt_key_fetch_failures", "Failed JWKS fetches", |c| {
                c.fetches_failed
            }),
            (
                "jwt_unknown_kid_refetches",
                "JWKS fetches triggered by an unknown kid",
                |c| c.unknown_kid_refetches,
            ),
            (
                "jwt_refetches_refused",
                "Unknown-kid refetches refused by the rate limit",
                |c| c.refetches_refused,
            ),
        ];
        for (name, help, value) in counters {
            let counter = ConstCounter::new(0u64);
            let mut family = encoder.encode_descriptor(name, help, None, counter.metric_type())?;
            for c in &caches {
                let labels = [("issuer", c.issuer.as_str())];
                ConstCounter::new(value(c)).encode(family.encode_family(&labels)?)?;
            }
        }
        Ok(())
    }
}

impl Metrics {
    /// Creates and registers the metrics.
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("parapet");
        let m = Metrics {
            requests: Family::default(),
            duration: Family::new_with_constructor(|| {
                Histogram::new(exponential_buckets(0.0005, 2.0, 16))
            }),
            refusals: Family::default(),
            upstream_healthy: Family::default(),
            upstream_errors: Family::default(),
            connections_active: Gauge::default(),
            connections_rejected: Family::default(),
            log_dropped: Family::default(),
            reloads: Family::default(),
            jwt_keys: Arc::default(),
            state: Arc::default(),
            registry: Registry::default(),
        };
        registry.register("requests", "Requests answered", m.requests.clone());
        registry.register(
            "request_duration_seconds",
            "Time from request to end of response",
            m.duration.clone(),
        );
        registry.register(
            "refusals",
            "Policy refusals and monitor-mode hits",
            m.refusals.clone(),
        );
        registry.register(
            "upstream_healthy",
            "Whether an upstream target is in rotation",
            m.upstream_healthy.clone(),
        );
        registry.register(
            "upstream_errors",
            "Failed upstream exchanges",
            m.upstream_errors.clone(),
        );
        registry.register(
            "connections_active",
            "Open client connections",
            m.connections_active.clone(),
        );
        registry.register(
            "connections_rejected",
            "Client connections closed on accept, or for a request head that did not arrive in time",
            m.connections_rejected.clone(),
        );
        registry.register(
            "log_dropped",
            "Log lines dropped because the queue was full",
            m.log_dropped.clone(),
        );
        registry.register("config_reloads", "Configuration reloads", m.reloads.clone());
        registry.register_collector(Box::new(m.jwt_keys.clone()));
        registry.register_collector(Box::new(m.state.clone()));
        Metrics { registry, ..m }
    }

    /// The Prometheus text exposition of every metric.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = encode(&mut out, &self.registry);
        out
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}
