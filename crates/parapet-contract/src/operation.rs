//! One operation of the contract, compiled: its parameters (deserialized by style, then
//! validated), its request body by media type, and its responses by status and media type.

use crate::body::{self, BodyLimits, Field, Kind};
use crate::params::{self, Location, ParamSpec, Scalar, Shape, Style};
use crate::schema::{Findings, Judge, Schema, Shapes};
use crate::spec::convert::Direction;
use crate::violation::{Part, Violation, push_token};
use http::HeaderMap;
use serde_json::Value;

/// A declared parameter.
#[derive(Debug)]
pub struct Param {
    /// How it is deserialized.
    pub spec: ParamSpec,
    /// Whether it must be present.
    pub required: bool,
    /// Its schema.
    pub schema: Option<Schema>,
    /// Declared with `content: application/json`: the raw value is JSON.
    pub json: bool,
    /// Its schema types it (see [`crate::typed`]): once validated, it holds no free text.
    pub typed: bool,
}

/// A declared request or response media type.
#[derive(Debug)]
pub struct Media {
    /// The media range as declared (`application/json`, `image/*`).
    pub range: String,
    /// How bodies of it are read.
    pub kind: Kind,
    /// Its schema.
    pub schema: Option<Schema>,
    /// Form and multipart fields.
    pub fields: Vec<Field>,
    /// JSON pointers of the typed values of its bodies (see [`crate::typed`]); for requests.
    pub typed: Vec<String>,
}

impl Media {
    /// How a message of media type `content_type` selected by this one is read: by the
    /// declared type, or, for a range (`*/*`, `application/*`), by the type sent.
    pub fn kind_for(&self, content_type: &str) -> Kind {
        if self.range.contains('*') {
            Kind::of(&body::essence(content_type))
        } else {
            self.kind
        }
    }
}

/// The declared request body.
#[derive(Debug)]
pub struct RequestBody {
    /// Whether a body must be sent.
    pub required: bool,
    /// Its media types.
    pub media: Vec<Media>,
}

/// A declared response: a status (`200`), a range (`2XX`) or `default`.
#[derive(Debug)]
pub struct Response {
    /// `200`, `2XX` or `default`, as declared.
    pub status: String,
    /// Its media types (empty: no body declared).
    pub media: Vec<Media>,
}

/// A compiled operation.
#[derive(Debug)]
pub struct Operation {
    /// `GET /books/{id}`.
    pub name: std::sync::Arc<str>,
    /// Its position in [`crate::Contract::operation`].
    pub index: usize,
    /// `operationId`, when declared.
    pub id: Option<String>,
    /// Parameters: path-level ones, overridden by operation-level ones.
    pub params: Vec<Param>,
    /// The request body.
    pub body: Option<RequestBody>,
    /// The responses.
    pub responses: Vec<Response>,
}

/// How strictly to check, and how many violations to report.
#[derive(Clone, Debug)]
pub struct Checks {
    /// Refuse undeclared query parameters and undeclared body properties.
    pub strict: bool,
    /// Most violations listed.
    pub max_violations: usize,
    /// Threat limits on bodies.
    pub limits: BodyLimits,
}

impl Default for Checks {
    fn default() -> Self {
        Checks {
            strict: false,
            max_violations: 10,
            limits: BodyLimits::default(),
        }
    }
}

/// Headers a parameter may not describe (OpenAPI: they are ignored when declared).
const IGNORED_HEADERS: [&str; 3] = ["accept", "content-type", "authorization"];

/// The media type of `list` that `content_type` selects, the most specific first.
pub fn select<'m>(list: &'m [Media], content_type: &str) -> Option<&'m Media> {
    let essence = body::essence(content_type);
    list.iter()
        .filter_map(|m| body::covers(&m.range, &essence).map(|s| (s, m)))
        .max_by_key(|(s, _)| *s)
        .map(|(_, m)| m)
}

/// What the body phase is to do with a request's body.
#[derive(Debug)]
pub enum BodyPlan<'o> {
    /// Nothing to check (no body, and none required).
    None,
    /// Read and check it as this media type.
    Check(&'o Media),
    /// Its media type is not declared (415).
    Unsupported,
    /// A violation to report without reading it (missing, or not allowed).
    Refuse(Violation),
}

impl Operation {
    /// Checks the parameters: `path` are the raw values the router captured, `query` the
    /// raw query string, `headers` the request headers.
    pub fn check_params(
        &self,
        shapes: &Shapes,
        path: &[(String, &str)],
        query: Option<&str>,
        headers: &HeaderMap,
        checks: &Checks,
        out: &mut Findings,
    ) {
        let max = checks.max_violations;
        let pairs = match params::split_query(query.unwrap_or("")) {
            Ok(p) => p,
            Err(e) => {
                out.push(Violation::new(Part::Query, "", e.rule), max);
                Vec::new()
            }
        };
        let cookie_headers: Vec<&str> = headers
            .get_all(http::header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect();
        let cookies = params::split_cookies(&cookie_headers);
        for p in &self.params {
            let (part, found) = match p.spec.location {
                Location::Path => (
                    Part::Path,
                    path.iter()
                        .find(|(n, _)| *n == p.spec.name)
                        .map(|(_, raw)| params::path_value(&p.spec, raw)),
                ),
                Location::Query => (
                    Part::Query,
                    params::query_value(&p.spec, &pairs).transpose(),
                ),
                Location::Header => {
                    if IGNORED_HEADERS
                        .iter()
                        .any(|h| h.eq_ignore_ascii_case(&p.spec.name))
                    {
                        continue;
                    }
                    let values: Vec<&str> = headers
                        .get_all(p.spec.name.as_str())
                        .iter()
                        .filter_map(|v| v.to_str().ok())
                        .collect();
                    let raw = (!values.is_empty()).then(|| values.join(", "));
                    (Part::Header, raw.map(|r| params::header_value(&p.spec, &r)))
                }
                Location::Cookie => (
                    Part::Cookie,
                    cookies
                        .iter()
                        .find(|(n, _)| *n == p.spec.name)
                        .map(|(_, raw)| params::cookie_value(&p.spec, raw)),
                ),
            };
            let mut pointer = String::new();
            push_token(&mut pointer, &p.spec.name);
            let mut value = match found {
                None if p.required => {
                    out.push(Violation::new(part, pointer, "required"), max);
                    continue;
                }
                None => continue,
                Some(Err(e)) => {
                    out.push(Violation::new(part, pointer, e.rule), max);
                    continue;
                }
                Some(Ok(v)) => v,
            };
            if p.json {
                let text = value.as_str().unwrap_or_default();
                match crate::limits::json::parse(text.as_bytes(), &checks.limits.json) {
                    Ok(v) => value = v,
                    Err(b) => {
                        out.push(Violation::new(part, pointer, b.rule), max);
                        continue;
                    }
                }
            }
            if let Some(schema) = &p.schema {
                let judge = Judge {
                    direction: Direction::Request,
                    strict: checks.strict,
                    filter: false,
                    max: checks.max_violations,
                };
                schema.check(shapes, &mut value, part, &pointer, judge, out);
            }
        }
        if checks.strict {
            let mut seen: Vec<&str> = Vec::new();
            for (name, _) in &pairs {
                let claimed = self
                    .params
                    .iter()
                    .any(|p| p.spec.location == Location::Query && params::claims(&p.spec, name));
                if !claimed && !seen.contains(&name.as_str()) {
                    seen.push(name);
                    let mut pointer = String::new();
                    push_token(&mut pointer, name);
                    out.push(
                        Violation::new(Part::Query, pointer, "unknown-parameter"),
                        max,
                    );
                }
            }
        }
    }

    /// What to do with the body of a request carrying `content_type`, of `length` bytes
    /// (`None` when unknown, e.g. chunked).
    pub fn body_plan(&self, content_type: Option<&str>, length: Option<u64>) -> BodyPlan<'_> {
        let empty = length == Some(0);
        let Some(declared) = &self.body else {
            return if empty || (length.is_none() && content_type.is_none()) {
                BodyPlan::None
            } else {
                BodyPlan::Refuse(Violation::new(Part::Body, "", "requestBody"))
            };
        };
        match content_type {
            None if empty => {
                if declared.required {
                    BodyPlan::Refuse(Violation::new(Part::Body, "", "required"))
                } else {
                    BodyPlan::None
                }
            }
            // Chunked without a media type: whether there is a body is known once it is
            // read (the body phase refuses one that arrives, and a missing required one).
            None if length.is_none() => BodyPlan::None,
            None => BodyPlan::Unsupported,
            Some(ct) => match select(&declared.media, ct) {
                Some(m) => BodyPlan::Check(m),
                None => BodyPlan::Unsupported,
            },
        }
    }

    /// Reads and checks a body of media type `media`; returns the value it was read into
    /// (JSON, form and multipart bodies), for other checks to reuse without parsing again.
    pub fn check_body(
        &self,
        shapes: &Shapes,
        media: &Media,
        content_type: &str,
        body: &[u8],
        checks: &Checks,
        out: &mut Findings,
    ) -> Option<Value> {
        let max = checks.max_violations;
        if body.is_empty() {
            if self.body.as_ref().is_some_and(|b| b.required) {
                out.push(Violation::new(Part::Body, "", "required"), max);
            }
            return None;
        }
        match body::read(
            media.kind_for(content_type),
            body,
            content_type,
            &media.fields,
            &checks.limits,
        ) {
            Err(v) => {
                out.push(v, max);
                None
            }
            Ok(None) => None,
            Ok(Some(mut value)) => {
                if let Some(schema) = &media.schema {
                    let judge = Judge {
                        direction: Direction::Request,
                        strict: checks.strict,
                        filter: false,
                        max: checks.max_violations,
                    };
                    schema.check(shapes, &mut value, Part::Body, "", judge, out);
                }
                Some(value)
            }
        }
    }

    /// The declared response for `status` (exact, then range, then `default`).
    pub fn response(&self, status: u16) -> Option<&Response> {
        // Asked up to three times per response: compared without building strings.
        let exact = |r: &&Response| r.status.parse::<u16>() == Ok(status);
        let range = |r: &&Response| {
            let b = r.status.as_bytes();
            b.len() == 3
                && u16::from(b[0].wrapping_sub(b'0')) == status / 100
                && b[1..].eq_ignore_ascii_case(b"XX")
        };
        let responses = || self.responses.iter();
        responses()
            .find(exact)
            .or_else(|| responses().find(range))
            .or_else(|| responses().find(|r| r.status == "default"))
    }
}

/// The scalar a JSON Schema `type` names.
fn scalar(t: Option<&str>) -> Scalar {
    match t {
        Some("integer") => Scalar::Integer,
        Some("number") => Scalar::Number,
        Some("boolean") => Scalar::Boolean,
        Some("string") => Scalar::String,
        Some("null") => Scalar::Null,
        _ => Scalar::Any,
    }
}

/// The `type` of a schema: the string, or the first non-null of an array of types.
/// The single non-null `type` a schema declares.
pub(crate) fn type_of(schema: &Value) -> Option<&str> {
    match schema.get("type")? {
        Value::String(s) => Some(s),
        Value::Array(types) => types
            .iter()
            .filter_map(Value::as_str)
            .find(|t| *t != "null"),
        _ => None,
    }
}

/// The shape a (resolved) parameter schema gives its raw values; `resolve` follows a
/// nested `$ref`.
pub fn shape_of<'v>(schema: &'v Value, resolve: &dyn Fn(&'v Value) -> &'v Value) -> Shape {
    let schema = resolve(schema);
    match type_of(schema) {
        Some("array") => {
            let items = schema.get("items").map(resolve);
            Shape::Array(scalar(items.and_then(type_of)))
        }
        Some("object") => object_shape(schema, resolve),
        None if schema.get("properties").is_some() => object_shape(schema, resolve),
        t => Shape::Scalar(scalar(t)),
    }
}

fn object_shape<'v>(schema: &'v Value, resolve: &dyn Fn(&'v Value) -> &'v Value) -> Shape {
    let props = schema
        .get("properties")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), scalar(type_of(resolve(v)))))
                .collect()
        })
        .unwrap_or_default();
    let other = schema
        .get("additionalProperties")
        .map(resolve)
        .and_then(type_of);
    Shape::Object(props, scalar(other))
}

/// The style a parameter declares, checked against its location.
pub fn style(s: Option<&str>) -> Result<Option<Style>, String> {
    match s {
        None => Ok(None),
        Some(s) => Style::parse(s)
            .map(Some)
            .ok_or_else(|| format!("unknown style {s:?}")),
    }
}
