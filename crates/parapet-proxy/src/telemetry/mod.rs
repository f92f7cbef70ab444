//! What the gateway records: Prometheus metrics, the JSON-lines access log and security
//! events. Nothing here blocks a request: log lines go through bounded queues to writer
//! threads, and a full queue drops the line and counts it.

pub mod access;
pub mod metrics;
pub mod sink;

pub use metrics::Metrics;
pub use sink::LogSink;
