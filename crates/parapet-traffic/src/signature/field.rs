//! Reading header fields: combining field lines and parsing structured dictionaries.

use http::HeaderMap;
use sfv::{Dictionary, Parser};

/// Largest combined value accepted for a structured field this module parses.
pub(super) const MAX_STRUCTURED_FIELD_LEN: usize = 8 * 1024;

/// A field value that is not visible ASCII, too long, or not a valid structured field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct BadField;

/// All field lines of `name`, each trimmed of surrounding whitespace and joined with `", "`
/// (RFC 9421 §2.1). `None` when the field is absent.
pub(super) fn combined_value(headers: &HeaderMap, name: &str) -> Result<Option<String>, BadField> {
    let mut lines = headers.get_all(name).iter().peekable();
    if lines.peek().is_none() {
        return Ok(None);
    }
    let mut combined = String::new();
    for (index, line) in lines.enumerate() {
        let text = line.to_str().map_err(|_| BadField)?;
        if index > 0 {
            combined.push_str(", ");
        }
        combined.push_str(text.trim_matches([' ', '\t']));
    }
    Ok(Some(combined))
}

/// Parses the field `name` as a structured-field Dictionary (RFC 9651 §3.2).
/// `None` when the field is absent; refuses values above [`MAX_STRUCTURED_FIELD_LEN`].
pub(super) fn dictionary(headers: &HeaderMap, name: &str) -> Result<Option<Dictionary>, BadField> {
    let raw_len: usize = headers.get_all(name).iter().map(|line| line.len()).sum();
    if raw_len > MAX_STRUCTURED_FIELD_LEN {
        return Err(BadField);
    }
    let Some(value) = combined_value(headers, name)? else {
        return Ok(None);
    };
    if value.len() > MAX_STRUCTURED_FIELD_LEN {
        return Err(BadField);
    }
    Parser::new(&value).parse().map(Some).map_err(|_| BadField)
}
