//! The access log record, with secrets redacted.
//!
//! Header values are logged only for the names in `log.headers`; Authorization, cookies,
//! API-key headers (the configured one too) and `log.redact_headers` are always written as
//! `[REDACTED]`. Query values of credential-like parameters, `log.redact_query`, and any
//! value shaped like a Parapet API key (`pk_…`) are redacted the same way. Every
//! string goes through JSON escaping, so a client cannot forge log lines.

use parapet_identity::credentials::decoded;
use serde::Serialize;
use std::collections::BTreeMap;
use std::net::IpAddr;

/// Replacement for redacted values.
pub const REDACTED: &str = "[REDACTED]";

/// Header names whose values are never logged.
pub const SECRET_HEADERS: [&str; 8] = [
    "authorization",
    "proxy-authorization",
    "cookie",
    "set-cookie",
    "x-api-key",
    "api-key",
    "x-auth-token",
    "x-csrf-token",
];

/// Query parameter names whose values are never logged.
pub const SECRET_PARAMS: [&str; 10] = [
    "api_key",
    "apikey",
    "key",
    "token",
    "access_token",
    "refresh_token",
    "id_token",
    "password",
    "secret",
    "client_secret",
];

/// One access log line.
#[derive(Serialize)]
pub struct AccessRecord<'a> {
    /// RFC 3339 time the request started.
    pub time: String,
    /// Request id.
    pub request_id: &'a str,
    /// Client address.
    pub client_ip: IpAddr,
    /// HTTP version.
    pub protocol: &'static str,
    /// Method.
    pub method: &'a str,
    /// Path with redacted query.
    pub target: String,
    /// Status sent.
    pub status: u16,
    /// Response body bytes sent.
    pub bytes: u64,
    /// Milliseconds from request to end of response.
    pub duration_ms: f64,
    /// API name.
    pub api: Option<&'a str>,
    /// Route template.
    pub route: Option<&'a str>,
    /// Upstream target that answered.
    pub upstream: Option<String>,
    /// Consumer.
    pub consumer: Option<&'a str>,
    /// Verified client certificate subject.
    pub tls_client: Option<&'a str>,
    /// Selected request headers.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
}

/// Redaction rules built once per config snapshot.
#[derive(Debug, Default)]
pub struct Redactor {
    logged_headers: Vec<String>,
    secret_headers: Vec<String>,
    secret_params: Vec<String>,
}

impl Redactor {
    /// Rules for `log`, with the API-key header and key parameter names of `keys`.
    pub fn new(log: &parapet_config::Log, keys: &parapet_config::ApiKeys) -> Self {
        Redactor {
            logged_headers: log.headers.clone(),
            secret_headers: SECRET_HEADERS
                .iter()
                .map(|s| s.to_string())
                .chain(log.redact_headers.iter().cloned())
                .chain([keys.header.clone()])
                .collect(),
            secret_params: SECRET_PARAMS
                .iter()
                .map(|s| s.to_string())
                .chain(log.redact_query.iter().cloned())
                .chain(keys.refused_query_params.iter().cloned())
                .collect(),
        }
    }

    /// The configured headers of `headers`, secrets redacted.
    pub fn headers(&self, headers: &http::HeaderMap) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        for name in &self.logged_headers {
            let values: Vec<&str> = headers
                .get_all(name.as_str())
                .iter()
                .map(|v| v.to_str().unwrap_or("[binary]"))
                .collect();
            if values.is_empty() {
                continue;
            }
            let value = if self.secret_headers.contains(name) {
                REDACTED.to_string()
            } else {
                values.join(", ")
            };
            out.insert(name.clone(), value);
        }
        out
    }

    /// `path?query` with the values of secret parameters replaced.
    pub fn target(&self, uri: &http::Uri) -> String {
        let Some(query) = uri.query() else {
            return uri.path().to_string();
        };
        let mut out = String::with_capacity(uri.path().len() + query.len() + 1);
        out.push_str(uri.path());
        out.push('?');
        for (i, pair) in query.split('&').enumerate() {
            if i > 0 {
                out.push('&');
            }
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            let name_text = decoded(name);
            let secret = self
                .secret_params
                .iter()
                .any(|s| s.eq_ignore_ascii_case(&name_text))
                || decoded(value).starts_with("pk_");
            if pair.contains('=') && secret {
                out.push_str(name);
                out.push('=');
                out.push_str(REDACTED);
            } else {
                out.push_str(pair);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn redactor(headers: &[&str]) -> Redactor {
        Redactor::new(
            &parapet_config::Log {
                access: parapet_config::LogTarget::Off,
                events: parapet_config::LogTarget::Off,
                headers: headers.iter().map(|s| s.to_string()).collect(),
                redact_headers: vec!["x-session".into()],
                redact_query: vec!["sig".into()],
            },
            &parapet_config::ApiKeys {
                header: "x-key".into(),
                refused_query_params: vec!["k".into()],
            },
        )
    }

    #[test]
    fn secrets_never_reach_the_log() {
        let r = redactor(&["authorization", "user-agent", "x-session", "x-key"]);
        let mut h = http::HeaderMap::new();
        h.insert("x-key", "pk_abc".parse().unwrap());
        h.insert("authorization", "Bearer s3cr3t".parse().unwrap());
        h.insert("x-session", "abc".parse().unwrap());
        h.insert("user-agent", "curl/8".parse().unwrap());
        let out = r.headers(&h);
        assert_eq!(out["authorization"], REDACTED);
        assert_eq!(out["x-session"], REDACTED);
        assert_eq!(out["user-agent"], "curl/8");
        assert_eq!(out["x-key"], REDACTED);
        let uri: http::Uri = "/a?q=1&api%5Fkey=s3cr3t&SIG=x&flag&k=1&n=pk%5Fzz"
            .parse()
            .unwrap();
        assert_eq!(
            r.target(&uri),
            "/a?q=1&api%5Fkey=[REDACTED]&SIG=[REDACTED]&flag&k=[REDACTED]&n=[REDACTED]"
        );
    }
}
