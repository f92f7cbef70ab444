//! Parapet's negative security model, as a pure engine (no I/O, no async): it inspects every
//! part of a request (path segments, query names and values, headers and cookies, JSON, XML,
//! form and multipart bodies, GraphQL literals), decodes each value the ways an attacker can
//! encode it, runs every attack class on every decoded form, and sums an anomaly score.
//!
//! ```text
//! request parts ─► request (split: path, query, cookies, bodies) ─► Scan::value
//!   ─► decode (URL, HTML, JS, base64, nested JSON, path…, bounded) ─► class::* detectors
//!   ─► Sink (paranoia filter) ─► Scan (exclusions, score, snippets) ─► Verdict
//! ```

mod class;
mod decode;
mod detector;
pub mod engine;
pub mod location;
mod needle;
mod request;
pub mod rule;
mod shape;

pub use engine::{
    Engine, Exclusion, Hit, LocationSelector, RuleSelector, Scan, Settings, SettingsError,
    TypedFields, Verdict, rules,
};
pub use location::{Location, Part};

/// For the `detect_decode` fuzz target only: the decoders' bounds, checked on one value.
#[doc(hidden)]
pub use decode::check_forms;
pub use rule::{Class, Rule, Severity};
