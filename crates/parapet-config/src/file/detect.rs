//! The file format of attack detection: the `detect` block of routes.

use super::Mode;
use serde::Deserialize;
use serde_saphyr::Spanned;

/// The `detect` policy block.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Detect {
    /// Enforce (403) or monitor (event only); default enforce.
    #[serde(default)]
    pub mode: Mode,
    /// Paranoia level 1–4 (default 1): higher levels run more rules.
    #[serde(default)]
    pub paranoia: Option<Spanned<u8>>,
    /// The anomaly score from which a request is refused (default 5).
    #[serde(default)]
    pub threshold: Option<Spanned<u32>>,
    /// Skip the free-text detectors on values the contract validates as typed (integers,
    /// uuids, enums, dates…); default true.
    #[serde(default)]
    pub typed_fields: Option<bool>,
    /// Rules turned off, everywhere or in some places.
    #[serde(default)]
    pub exclusions: Vec<Spanned<DetectExclusion>>,
}

/// One exclusion: `rules` (classes or rule ids; all when omitted) turned off `in` some
/// locations (everywhere when omitted).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DetectExclusion {
    /// Classes (`sqli`) or rule ids (`sqli.tautology`).
    #[serde(default)]
    pub rules: Vec<Spanned<String>>,
    /// Locations: `part` or `part:name` (`body:/post/content`, `query:q`,
    /// `header:user-agent`, `cookie:session`); a name ending in `*` is a prefix.
    #[serde(default, rename = "in")]
    pub locations: Vec<Spanned<String>>,
}
