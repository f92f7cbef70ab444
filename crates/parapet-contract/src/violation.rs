//! What a request or response broke: where (a part of the message and a JSON pointer into
//! it) and which rule. Violations name the schema keyword or limit, never echo the value.

use serde::Serialize;

/// The part of a message a violation is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Part {
    /// A path parameter.
    Path,
    /// A query parameter.
    Query,
    /// A header.
    Header,
    /// A cookie.
    Cookie,
    /// The body.
    Body,
}

/// One broken rule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Violation {
    /// Where: the message part.
    #[serde(rename = "in")]
    pub part: Part,
    /// Where in that part: a JSON pointer (RFC 6901). For parameters it starts with the
    /// parameter's name (`/limit`, `/filter/status`); for bodies it points into the body.
    pub pointer: String,
    /// Which rule: a JSON Schema keyword (`required`, `maxLength`…), an OpenAPI rule
    /// (`readOnly`, `unknown-parameter`…) or a threat limit (`json.max_depth`…).
    pub rule: String,
}

impl Violation {
    /// A violation of `rule` at `pointer` in `part`.
    pub fn new(part: Part, pointer: impl Into<String>, rule: impl Into<String>) -> Self {
        Violation {
            part,
            pointer: pointer.into(),
            rule: rule.into(),
        }
    }
}

/// Appends `token` to a JSON pointer, escaping `~` and `/` (RFC 6901 section 3).
pub fn push_token(pointer: &mut String, token: &str) {
    pointer.push('/');
    for c in token.chars() {
        match c {
            '~' => pointer.push_str("~0"),
            '/' => pointer.push_str("~1"),
            c => pointer.push(c),
        }
    }
}
