//! The file format of contract enforcement: the `contract` block of routes (modes, strict
//! mode, the response exposure filter and the JSON/XML/GraphQL/multipart threat limits).
//! The spec itself is named by the API's `contract:` key.

use crate::units::ByteSize;
use serde::Deserialize;
use serde_saphyr::Spanned;

/// `enforce`, `monitor` or `off`.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq, Hash)]
#[serde(rename_all = "lowercase")]
pub enum CheckMode {
    /// Refuse what breaks the contract.
    #[default]
    Enforce,
    /// Record it only.
    Monitor,
    /// Do not check.
    Off,
}

/// What to do with a request for an endpoint the contract does not declare.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq, Hash)]
#[serde(rename_all = "lowercase")]
pub enum UnknownEndpoints {
    /// Refuse it: 404 (unknown path) or 405 (known path, other method), with a
    /// `shadow-endpoint` event.
    #[default]
    Deny,
    /// Let it through with a `shadow-endpoint` event.
    Monitor,
    /// Let it through silently (a route that is deliberately not in the contract).
    Allow,
}

/// The `contract` policy block.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Contract {
    /// How requests are checked (default `enforce`).
    #[serde(default)]
    pub requests: Option<CheckMode>,
    /// How responses are checked (default `monitor`).
    #[serde(default)]
    pub responses: Option<CheckMode>,
    /// Endpoints the contract does not declare (default `deny`).
    #[serde(default)]
    pub unknown_endpoints: Option<UnknownEndpoints>,
    /// Refuse undeclared query parameters and body properties (default false).
    #[serde(default)]
    pub strict: Option<bool>,
    /// Remove undeclared and `writeOnly` properties from responses (default true).
    #[serde(default)]
    pub filter_responses: Option<bool>,
    /// Most violations listed in a refusal (default 10).
    #[serde(default)]
    pub max_violations: Option<Spanned<u32>>,
    /// JSON threat limits.
    #[serde(default)]
    pub json: Option<JsonLimits>,
    /// XML threat limits.
    #[serde(default)]
    pub xml: Option<XmlLimits>,
    /// Multipart limits.
    #[serde(default)]
    pub multipart: Option<MultipartLimits>,
    /// GraphQL limits: the route is a GraphQL endpoint (POST bodies and GET queries).
    #[serde(default)]
    pub graphql: Option<GraphqlLimits>,
}

/// JSON threat limits.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsonLimits {
    /// Nesting of arrays and objects.
    #[serde(default)]
    pub max_depth: Option<Spanned<u32>>,
    /// Members of one object.
    #[serde(default)]
    pub max_keys: Option<Spanned<u32>>,
    /// Items of one array.
    #[serde(default)]
    pub max_array_length: Option<Spanned<u32>>,
    /// Bytes of one string.
    #[serde(default)]
    pub max_string_length: Option<Spanned<ByteSize>>,
    /// Characters of one number.
    #[serde(default)]
    pub max_number_length: Option<Spanned<u32>>,
}

/// XML threat limits (DTDs and entities are always refused).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct XmlLimits {
    /// Nesting of elements.
    #[serde(default)]
    pub max_depth: Option<Spanned<u32>>,
    /// Elements in the document.
    #[serde(default)]
    pub max_elements: Option<Spanned<u32>>,
    /// Attributes of one element.
    #[serde(default)]
    pub max_attributes: Option<Spanned<u32>>,
    /// Bytes of one text node or attribute value.
    #[serde(default)]
    pub max_text_length: Option<Spanned<ByteSize>>,
}

/// Multipart limits.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MultipartLimits {
    /// Bytes of one part (an uploaded file).
    #[serde(default)]
    pub max_part_size: Option<Spanned<ByteSize>>,
    /// Parts of one body.
    #[serde(default)]
    pub max_parts: Option<Spanned<u32>>,
}

/// GraphQL limits.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GraphqlLimits {
    /// Nesting of selection sets.
    #[serde(default)]
    pub max_depth: Option<Spanned<u32>>,
    /// Aliases in one document.
    #[serde(default)]
    pub max_aliases: Option<Spanned<u32>>,
    /// Field selections, fragments expanded.
    #[serde(default)]
    pub max_fields: Option<Spanned<u32>>,
    /// Operations in one batch.
    #[serde(default)]
    pub max_batch: Option<Spanned<u32>>,
    /// Lexical tokens in one document.
    #[serde(default)]
    pub max_tokens: Option<Spanned<u32>>,
    /// Whether `__schema` and `__type` queries are allowed (default false).
    #[serde(default)]
    pub introspection: Option<bool>,
}
