//! Covered components (RFC 9421 §2): parsing identifiers and deriving their values from a request.

use http::header::HOST;
use http::request::Parts;
use http::uri::Authority;
use http::{HeaderName, Method};
use sfv::{BareItem, Item, ItemSerializer, Parameters};

use super::SignatureError;
use super::field;

/// A component the verifier knows how to derive from a request.
#[derive(Debug)]
enum Kind {
    Method,
    TargetUri,
    Authority,
    Scheme,
    RequestTarget,
    Path,
    Query,
    QueryParam(String),
    Field(HeaderName),
}

/// One entry of a signature's covered components.
#[derive(Debug)]
pub(super) struct Component {
    kind: Kind,
    /// The identifier as serialized in the signature base, e.g. `"@query-param";name="Pet"`.
    serialized: String,
    /// The identifier as reported to callers, e.g. `@query-param;name="Pet"`.
    pub(super) display: String,
}

impl Component {
    /// Parses one member of the covered-components inner list.
    pub(super) fn parse(item: &Item) -> Result<Self, SignatureError> {
        let Some(name) = item.bare_item.as_string().map(|name| name.as_str()) else {
            return Err(SignatureError::Malformed);
        };
        let display = describe(name, &item.params);
        let kind = kind(name, &item.params, &display)?;
        let serialized = ItemSerializer::new()
            .bare_item(&item.bare_item)
            .parameters(&item.params)
            .finish();
        Ok(Self {
            kind,
            serialized,
            display,
        })
    }

    /// The signature-base line for this component, without the trailing newline.
    pub(super) fn base_line(&self, request: &RequestView<'_>) -> Result<String, SignatureError> {
        let value = request.value(&self.kind, &self.display)?;
        Ok(format!("{}: {value}", self.serialized))
    }

    /// Whether this component is the one a policy names, e.g. `content-digest` or
    /// `@query-param;name="id"`. Names compare case-insensitively, parameters exactly.
    pub(super) fn matches(&self, required: &str) -> bool {
        let (name, params) = split_params(&self.display);
        let (want_name, want_params) = split_params(required.trim());
        name.eq_ignore_ascii_case(want_name) && params == want_params
    }
}

fn split_params(identifier: &str) -> (&str, &str) {
    identifier
        .find(';')
        .map_or((identifier, ""), |at| identifier.split_at(at))
}

/// `name;param=value` in sfv syntax, for errors and [`super::Verified::covered`].
fn describe(name: &str, params: &Parameters) -> String {
    let mut text = name.to_owned();
    for (key, value) in params {
        text.push(';');
        text.push_str(key.as_str());
        if *value != BareItem::Boolean(true) {
            text.push('=');
            text.push_str(&ItemSerializer::new().bare_item(value).finish());
        }
    }
    text
}

/// Which component `name` with `params` denotes. Unknown derived components and every
/// component parameter other than `@query-param`'s `name` (`sf`, `key`, `bs`, `req`, `tr`, ...)
/// are unsupported.
fn kind(name: &str, params: &Parameters, display: &str) -> Result<Kind, SignatureError> {
    let unsupported = || SignatureError::UnsupportedComponent(display.to_owned());
    if name == "@query-param" {
        return query_param_kind(params).ok_or_else(unsupported)?;
    }
    if !params.is_empty() {
        return Err(unsupported());
    }
    match name {
        "@method" => Ok(Kind::Method),
        "@target-uri" => Ok(Kind::TargetUri),
        "@authority" => Ok(Kind::Authority),
        "@scheme" => Ok(Kind::Scheme),
        "@request-target" => Ok(Kind::RequestTarget),
        "@path" => Ok(Kind::Path),
        "@query" => Ok(Kind::Query),
        _ if name.starts_with('@') => Err(unsupported()),
        _ => field_kind(name),
    }
}

/// `None` when parameters other than a single `name` are present.
fn query_param_kind(params: &Parameters) -> Option<Result<Kind, SignatureError>> {
    let mut names = params.iter();
    match (names.next(), names.next()) {
        (Some((key, value)), None) if key.as_str() == "name" => Some(
            value
                .as_string()
                .map(|name| Kind::QueryParam(name.as_str().to_owned()))
                .ok_or(SignatureError::Malformed),
        ),
        (None, _) => Some(Err(SignatureError::Malformed)),
        _ => None,
    }
}

fn field_kind(name: &str) -> Result<Kind, SignatureError> {
    if name.bytes().any(|b| b.is_ascii_uppercase()) {
        return Err(SignatureError::Malformed);
    }
    HeaderName::from_bytes(name.as_bytes())
        .map(Kind::Field)
        .map_err(|_| SignatureError::Malformed)
}

/// The request as the verifier sees it.
pub(super) struct RequestView<'a> {
    parts: &'a Parts,
    scheme: String,
}

impl<'a> RequestView<'a> {
    /// `scheme_hint` applies when the request URI carries no scheme (origin-form requests);
    /// without either, the scheme is `http`.
    pub(super) fn new(parts: &'a Parts, scheme_hint: Option<&str>) -> Self {
        let scheme = parts
            .uri
            .scheme_str()
            .or(scheme_hint)
            .unwrap_or("http")
            .to_ascii_lowercase();
        Self { parts, scheme }
    }

    fn value(&self, kind: &Kind, display: &str) -> Result<String, SignatureError> {
        let absent = || SignatureError::AbsentComponent(display.to_owned());
        match kind {
            Kind::Method => Ok(self.parts.method.as_str().to_owned()),
            Kind::TargetUri => Ok(format!(
                "{}://{}{}",
                self.scheme,
                self.authority()?.ok_or_else(absent)?,
                self.path_and_query()
            )),
            Kind::Authority => self.authority()?.ok_or_else(absent),
            Kind::Scheme => Ok(self.scheme.clone()),
            Kind::RequestTarget => self.request_target()?.ok_or_else(absent),
            Kind::Path => Ok(self.path().to_owned()),
            Kind::Query => Ok(format!("?{}", self.parts.uri.query().unwrap_or(""))),
            Kind::QueryParam(name) => self.query_param(name, display),
            Kind::Field(name) => field::combined_value(&self.parts.headers, name.as_str())
                .map_err(|_| SignatureError::Malformed)?
                .ok_or_else(absent),
        }
    }

    /// The authority from the URI, else from `Host`; lowercased, default port removed
    /// (RFC 9421 §2.2.3).
    fn authority(&self) -> Result<Option<String>, SignatureError> {
        let Some(authority) = self.raw_authority()? else {
            return Ok(None);
        };
        let host = authority.host().to_ascii_lowercase();
        let default_port = match self.scheme.as_str() {
            "https" => Some(443),
            "http" => Some(80),
            _ => None,
        };
        Ok(Some(match authority.port_u16() {
            Some(port) if Some(port) != default_port => format!("{host}:{port}"),
            _ => host,
        }))
    }

    fn raw_authority(&self) -> Result<Option<Authority>, SignatureError> {
        if let Some(authority) = self.parts.uri.authority() {
            return Ok(Some(authority.clone()));
        }
        let Some(host) = self.parts.headers.get(HOST) else {
            return Ok(None);
        };
        Authority::try_from(host.as_bytes())
            .map(Some)
            .map_err(|_| SignatureError::Malformed)
    }

    fn path(&self) -> &str {
        match self.parts.uri.path() {
            "" => "/",
            path => path,
        }
    }

    fn path_and_query(&self) -> String {
        match self.parts.uri.query() {
            Some(query) => format!("{}?{query}", self.path()),
            None => self.path().to_owned(),
        }
    }

    /// Origin-form `path?query`, or the authority for `CONNECT` (RFC 9421 §2.2.5).
    fn request_target(&self) -> Result<Option<String>, SignatureError> {
        if self.parts.method == Method::CONNECT {
            return Ok(self.raw_authority()?.map(|a| a.as_str().to_owned()));
        }
        Ok(Some(self.path_and_query()))
    }

    /// The single value of the query parameter `name` (RFC 9421 §2.2.8). `name` is compared in
    /// its normalized (percent-encoded) form.
    fn query_param(&self, name: &str, display: &str) -> Result<String, SignatureError> {
        let query = self.parts.uri.query().unwrap_or("");
        let mut values = query
            .split('&')
            .filter(|pair| !pair.is_empty())
            .map(|pair| pair.split_once('=').unwrap_or((pair, "")))
            .filter(|(key, _)| normalize_query_part(key) == name)
            .map(|(_, value)| normalize_query_part(value));
        match (values.next(), values.next()) {
            (Some(value), None) => Ok(value),
            (None, _) => Err(SignatureError::AbsentComponent(display.to_owned())),
            (Some(_), Some(_)) => Err(SignatureError::AmbiguousComponent(display.to_owned())),
        }
    }
}

/// Decodes per `application/x-www-form-urlencoded` parsing, then re-encodes with the
/// `application/x-www-form-urlencoded` percent-encode set and spaces as `%20` (WHATWG URL).
fn normalize_query_part(raw: &str) -> String {
    let decoded = percent_decode(raw.as_bytes());
    let text = String::from_utf8_lossy(&decoded);
    let mut encoded = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'*' | b'-' | b'.' | b'_') {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

/// Percent-decodes, treating `+` as a space; malformed escapes are kept literally.
fn percent_decode(raw: &[u8]) -> Vec<u8> {
    let mut decoded = Vec::with_capacity(raw.len());
    let mut index = 0;
    while let Some(&byte) = raw.get(index) {
        let escaped = (byte == b'%')
            .then(|| Some((hex(*raw.get(index + 1)?)? << 4) | hex(*raw.get(index + 2)?)?))
            .flatten();
        match (escaped, byte) {
            (Some(value), _) => {
                decoded.push(value);
                index += 3;
            }
            (None, b'+') => {
                decoded.push(b' ');
                index += 1;
            }
            (None, _) => {
                decoded.push(byte);
                index += 1;
            }
        }
    }
    decoded
}

fn hex(digit: u8) -> Option<u8> {
    char::from(digit)
        .to_digit(16)
        .and_then(|value| u8::try_from(value).ok())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use http::Request;
    use sfv::Parser;

    use super::*;

    fn parts(method: &str, uri: &str, headers: &[(&str, &str)]) -> Parts {
        let mut builder = Request::builder().method(method).uri(uri);
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        builder.body(()).unwrap().into_parts().0
    }

    fn line(
        parts: &Parts,
        scheme_hint: Option<&str>,
        identifier: &str,
    ) -> Result<String, SignatureError> {
        let item: Item = Parser::new(identifier).parse().unwrap();
        let view = RequestView::new(parts, scheme_hint);
        Component::parse(&item)?.base_line(&view)
    }

    #[test]
    fn derived_components_match_rfc_9421_section_2_2() {
        let request = parts("POST", "/path?param=value", &[("host", "www.example.com")]);
        let https = Some("https");
        let expect = [
            ("\"@method\"", "\"@method\": POST"),
            (
                "\"@target-uri\"",
                "\"@target-uri\": https://www.example.com/path?param=value",
            ),
            ("\"@authority\"", "\"@authority\": www.example.com"),
            ("\"@scheme\"", "\"@scheme\": https"),
            (
                "\"@request-target\"",
                "\"@request-target\": /path?param=value",
            ),
            ("\"@path\"", "\"@path\": /path"),
            ("\"@query\"", "\"@query\": ?param=value"),
        ];
        for (identifier, want) in expect {
            assert_eq!(line(&request, https, identifier).unwrap(), want);
        }
    }

    #[test]
    fn absolute_form_uri_supplies_scheme_and_authority() {
        let request = parts(
            "GET",
            "https://Example.com:443/a?b",
            &[("host", "ignored.test")],
        );
        assert_eq!(
            line(&request, None, "\"@authority\"").unwrap(),
            "\"@authority\": example.com"
        );
        assert_eq!(
            line(&request, None, "\"@scheme\"").unwrap(),
            "\"@scheme\": https"
        );
        assert_eq!(
            line(&request, None, "\"@target-uri\"").unwrap(),
            "\"@target-uri\": https://example.com/a?b"
        );
    }

    #[test]
    fn authority_keeps_non_default_port_and_defaults_to_http() {
        let request = parts("GET", "/", &[("host", "Example.com:8080")]);
        assert_eq!(
            line(&request, None, "\"@authority\"").unwrap(),
            "\"@authority\": example.com:8080"
        );
        assert_eq!(
            line(&request, None, "\"@scheme\"").unwrap(),
            "\"@scheme\": http"
        );
        let request = parts("GET", "/", &[("host", "[2001:db8::1]:80")]);
        assert_eq!(
            line(&request, None, "\"@authority\"").unwrap(),
            "\"@authority\": [2001:db8::1]"
        );
        let request = parts("GET", "/", &[]);
        assert_eq!(
            line(&request, None, "\"@authority\""),
            Err(SignatureError::AbsentComponent("@authority".into()))
        );
    }

    #[test]
    fn query_is_question_mark_when_empty() {
        let request = parts("GET", "/path", &[]);
        assert_eq!(line(&request, None, "\"@query\"").unwrap(), "\"@query\": ?");
        let request = parts("GET", "/path?param=value&foo=bar&baz=bat%2Dman", &[]);
        assert_eq!(
            line(&request, None, "\"@query\"").unwrap(),
            "\"@query\": ?param=value&foo=bar&baz=bat%2Dman"
        );
    }

    #[test]
    fn query_params_are_normalized_per_rfc_9421_section_2_2_8() {
        let uri = "/parameters?var=this%20is%20a%20big%0Along%20string\
                   &bar=with+plus+whitespace&fa%C3%A7ade%22%3A%20=something";
        let request = parts("GET", uri, &[]);
        let expect = [
            (
                "\"@query-param\";name=\"var\"",
                "this%20is%20a%20big%0Along%20string",
            ),
            ("\"@query-param\";name=\"bar\"", "with%20plus%20whitespace"),
            (
                "\"@query-param\";name=\"fa%C3%A7ade%22%3A%20\"",
                "something",
            ),
        ];
        for (identifier, value) in expect {
            assert_eq!(
                line(&request, None, identifier).unwrap(),
                format!("{identifier}: {value}")
            );
        }
        let request = parts("GET", "/path?param=value&foo=bar&baz=batman&qux=", &[]);
        assert_eq!(
            line(&request, None, "\"@query-param\";name=\"qux\"").unwrap(),
            "\"@query-param\";name=\"qux\": "
        );
    }

    #[test]
    fn query_param_absent_or_repeated_is_refused() {
        let request = parts("GET", "/p?a=1&a=2", &[]);
        let repeated = line(&request, None, "\"@query-param\";name=\"a\"");
        assert_eq!(
            repeated,
            Err(SignatureError::AmbiguousComponent(
                "@query-param;name=\"a\"".into()
            ))
        );
        let absent = line(&request, None, "\"@query-param\";name=\"b\"");
        assert_eq!(
            absent,
            Err(SignatureError::AbsentComponent(
                "@query-param;name=\"b\"".into()
            ))
        );
        let nameless = line(&request, None, "\"@query-param\"");
        assert_eq!(nameless, Err(SignatureError::Malformed));
    }

    #[test]
    fn header_fields_are_trimmed_and_combined() {
        let request = parts(
            "GET",
            "/",
            &[
                ("x-ows-header", "   Leading and trailing whitespace.   "),
                ("cache-control", "max-age=60"),
                ("cache-control", "   must-revalidate"),
                ("x-empty-header", ""),
            ],
        );
        let expect = [
            (
                "\"x-ows-header\"",
                "\"x-ows-header\": Leading and trailing whitespace.",
            ),
            (
                "\"cache-control\"",
                "\"cache-control\": max-age=60, must-revalidate",
            ),
            ("\"x-empty-header\"", "\"x-empty-header\": "),
        ];
        for (identifier, want) in expect {
            assert_eq!(line(&request, None, identifier).unwrap(), want);
        }
    }

    #[test]
    fn unsupported_parameters_and_components_are_refused() {
        let request = parts("GET", "/", &[("content-type", "text/plain")]);
        for (identifier, display) in [
            ("\"content-type\";sf", "content-type;sf"),
            ("\"content-type\";key=\"a\"", "content-type;key=\"a\""),
            ("\"content-type\";bs", "content-type;bs"),
            ("\"content-type\";req", "content-type;req"),
            ("\"content-type\";tr", "content-type;tr"),
            ("\"@method\";req", "@method;req"),
            ("\"@status\"", "@status"),
            (
                "\"@query-param\";name=\"a\";req",
                "@query-param;name=\"a\";req",
            ),
        ] {
            assert_eq!(
                line(&request, None, identifier),
                Err(SignatureError::UnsupportedComponent(display.into())),
                "{identifier}"
            );
        }
        assert_eq!(
            line(&request, None, "\"Content-Type\""),
            Err(SignatureError::Malformed)
        );
        assert_eq!(
            line(&request, None, "content-type"),
            Err(SignatureError::Malformed)
        );
    }

    #[test]
    fn required_names_compare_case_insensitively() {
        let item: Item = Parser::new("\"@query-param\";name=\"Pet\"")
            .parse()
            .unwrap();
        let component = Component::parse(&item).unwrap();
        assert!(component.matches("@Query-Param;name=\"Pet\""));
        assert!(!component.matches("@query-param;name=\"pet\""));
        assert!(!component.matches("@query-param"));
    }

    #[test]
    fn percent_decoding_keeps_malformed_escapes() {
        assert_eq!(normalize_query_part("%zz%4"), "%25zz%254");
        assert_eq!(normalize_query_part("a~b"), "a%7Eb");
        assert_eq!(normalize_query_part("%FF"), "%EF%BF%BD");
    }
}
