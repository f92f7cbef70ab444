//! Prometheus metrics, served as text by the admin listener.

use prometheus_client::encoding::text::encode;
use prometheus_client::encoding::{EncodeLabelSet, EncodeLabelValue, LabelValueEncoder};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
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
    /// Client connections closed on accept, by reason.
    pub connections_rejected: Family<Labels, Counter>,
    /// Log lines dropped because a queue was full, by log.
    pub log_dropped: Family<Labels, Counter>,
    /// Configuration reloads, by result.
    pub reloads: Family<Labels, Counter>,
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
            "Client connections closed on accept",
            m.connections_rejected.clone(),
        );
        registry.register(
            "log_dropped",
            "Log lines dropped because the queue was full",
            m.log_dropped.clone(),
        );
        registry.register("config_reloads", "Configuration reloads", m.reloads.clone());
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
