//! The `RateLimit` and `RateLimit-Policy` response fields (IETF httpapi draft, structured
//! fields): each policy is an item named by a string, `q` its quota and `w` its window
//! in seconds; each current state gives `r` (remaining) and `t` (seconds to reset).

use http::HeaderValue;
use http::header::HeaderName;
use std::time::Duration;

/// `RateLimit-Policy`.
pub(crate) static RATELIMIT_POLICY: HeaderName = HeaderName::from_static("ratelimit-policy");
/// `RateLimit`.
pub(crate) static RATELIMIT: HeaderName = HeaderName::from_static("ratelimit");

/// A name as a structured-field string (printable ASCII; `"` and `\` escaped, others
/// replaced).
pub(crate) fn sf_string(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 2);
    out.push('"');
    for ch in name.chars() {
        match ch {
            '"' | '\\' => {
                out.push('\\');
                out.push(ch);
            }
            ' '..='~' => out.push(ch),
            _ => out.push('?'),
        }
    }
    out.push('"');
    out
}

/// Whole seconds, rounded up (a client waiting that long is never early).
pub(crate) fn ceil_secs(d: Duration) -> u64 {
    d.as_secs() + u64::from(d.subsec_nanos() > 0)
}

/// One `RateLimit-Policy` item.
pub(crate) fn policy_item(name: &str, quota: u64, window: Duration) -> String {
    format!(
        "{};q={quota};w={}",
        sf_string(name),
        ceil_secs(window).max(1)
    )
}

/// One `RateLimit` item.
pub(crate) fn state_item(name: &str, remaining: u64, reset: Duration) -> String {
    format!("{};r={remaining};t={}", sf_string(name), ceil_secs(reset))
}

/// A field value from items (they are ASCII by construction).
pub(crate) fn value(items: &[String]) -> Option<HeaderValue> {
    HeaderValue::from_str(&items.join(", ")).ok()
}

/// The `Retry-After` value for a wait.
pub(crate) fn retry_after(wait: Duration) -> HeaderValue {
    HeaderValue::from(ceil_secs(wait).max(1))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn items_are_structured_fields() {
        assert_eq!(
            policy_item("10/s per consumer", 10, Duration::from_millis(999)),
            r#""10/s per consumer";q=10;w=1"#
        );
        assert_eq!(
            state_item("a\"b\\c\u{e9}", 0, Duration::from_millis(1500)),
            r#""a\"b\\c?";r=0;t=2"#
        );
        let parsed = sfv::Parser::new(
            value(&[
                policy_item("x", 1, Duration::from_secs(60)),
                policy_item("y", 2, Duration::from_secs(3600)),
            ])
            .unwrap()
            .to_str()
            .unwrap(),
        )
        .parse::<sfv::List>()
        .unwrap();
        assert_eq!(parsed.len(), 2);
        assert_eq!(retry_after(Duration::from_millis(1)), "1");
    }
}
