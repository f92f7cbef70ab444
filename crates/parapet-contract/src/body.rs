//! Request bodies by media type: which declared media type a `Content-Type` selects, and
//! how each kind is read into a value the schema checks: JSON (through the threat-limited
//! parser), `application/x-www-form-urlencoded` and `multipart/form-data` (fields coerced by
//! the types their schema declares), XML (threat limits only), and any other declared type
//! accepted as opaque bytes: a declared upload is never refused for its content.

use crate::limits::json::{self, JsonLimits};
use crate::limits::xml::{self, XmlLimits};
use crate::params::{self, Location, ParamSpec, Shape, Style};
use crate::violation::{Part, Violation};
use serde_json::{Map, Value};
use std::task::{Context, Poll, Waker};

/// How a media type is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `application/json`, `*/*+json`.
    Json,
    /// `application/x-www-form-urlencoded`.
    Form,
    /// `multipart/form-data` (and other `multipart/*`).
    Multipart,
    /// `application/xml`, `text/xml`, `*/*+xml`.
    Xml,
    /// Anything else: not parsed.
    Opaque,
}

impl Kind {
    /// The kind of an essence (`type/subtype`, lower case, no parameters).
    pub fn of(essence: &str) -> Kind {
        let (ty, sub) = essence.split_once('/').unwrap_or((essence, ""));
        match (ty, sub) {
            (_, "json") | (_, "json-patch+json") => Kind::Json,
            (_, s) if s.ends_with("+json") => Kind::Json,
            ("application", "x-www-form-urlencoded") => Kind::Form,
            ("multipart", _) => Kind::Multipart,
            (_, "xml") => Kind::Xml,
            (_, s) if s.ends_with("+xml") => Kind::Xml,
            _ => Kind::Opaque,
        }
    }
}

/// The essence of a `Content-Type` value: `type/subtype`, lower case, without parameters.
pub fn essence(content_type: &str) -> String {
    content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

/// Whether the media range `range` (`application/json`, `image/*`, `*/*`) covers `essence`,
/// and how specifically (higher is more specific).
pub fn covers(range: &str, essence: &str) -> Option<u8> {
    let range = range.split(';').next().unwrap_or("").trim();
    if range.eq_ignore_ascii_case(essence) {
        return Some(3);
    }
    let (rt, rs) = range.split_once('/')?;
    let (et, _) = essence.split_once('/')?;
    match (rt, rs) {
        ("*", "*") => Some(1),
        (t, "*") if t.eq_ignore_ascii_case(et) => Some(2),
        _ => None,
    }
}

/// Limits applied while reading bodies.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BodyLimits {
    /// JSON threat limits.
    pub json: JsonLimits,
    /// XML threat limits.
    pub xml: XmlLimits,
    /// Largest part of a multipart body.
    pub max_part_size: u64,
    /// Most parts in a multipart body (and fields in a form).
    pub max_parts: usize,
}

impl Default for BodyLimits {
    fn default() -> Self {
        BodyLimits {
            json: JsonLimits::default(),
            xml: XmlLimits::default(),
            max_part_size: 10 * 1024 * 1024,
            max_parts: 1000,
        }
    }
}

/// A form field's declared shape and, for multipart, the media types its parts may have.
#[derive(Clone, Debug)]
pub struct Field {
    /// How the field's text is coerced.
    pub spec: ParamSpec,
    /// `encoding.<field>.contentType` (multipart): allowed part media ranges.
    pub content_types: Vec<String>,
    /// Declared as bytes (`format: binary` or `byte`, `contentEncoding`,
    /// `contentMediaType`): a part's content is not text to validate.
    pub binary: bool,
}

/// A field of the form, coerced when declared (kept a string otherwise).
fn field_value(fields: &[Field], name: &str, text: String) -> (Value, bool) {
    match fields.iter().find(|f| f.spec.name == name) {
        Some(f) => {
            let v = params::query_value(&f.spec, &[(name.to_string(), text.clone())])
                .ok()
                .flatten()
                .unwrap_or(Value::String(text));
            (v, matches!(f.spec.shape, Shape::Array(_)))
        }
        None => (Value::String(text), false),
    }
}

/// Adds a field to the object a form becomes: repeated names become arrays when the field
/// is declared an array; otherwise a repeat is refused (parameter pollution).
fn add_field(
    obj: &mut Map<String, Value>,
    name: String,
    value: Value,
    array: bool,
) -> Result<(), Violation> {
    let mut pointer = String::new();
    crate::violation::push_token(&mut pointer, &name);
    match (obj.get_mut(&name), value) {
        (None, v) => {
            obj.insert(name, v);
            Ok(())
        }
        (Some(Value::Array(items)), Value::Array(more)) if array => {
            items.extend(more);
            Ok(())
        }
        (Some(_), _) => Err(Violation::new(Part::Body, pointer, "param.repeated")),
    }
}

/// A form body as an object.
pub fn form(body: &[u8], fields: &[Field], limits: &BodyLimits) -> Result<Value, Violation> {
    let text =
        std::str::from_utf8(body).map_err(|_| Violation::new(Part::Body, "", "param.encoding"))?;
    let pairs = params::split_query(text).map_err(|e| Violation::new(Part::Body, "", e.rule))?;
    if pairs.len() > limits.max_parts {
        return Err(Violation::new(Part::Body, "", "form.max_fields"));
    }
    let mut obj = Map::new();
    for (name, value) in pairs {
        let (v, array) = field_value(fields, &name, value);
        add_field(&mut obj, name, v, array)?;
    }
    Ok(Value::Object(obj))
}

/// A multipart body as an object: text parts coerced like form fields, file parts (with a
/// file name, or not UTF-8) as empty strings once their size and media type are checked.
pub fn multipart(
    body: &[u8],
    content_type: &str,
    fields: &[Field],
    limits: &BodyLimits,
) -> Result<Value, Violation> {
    let refuse = |rule: &str| Violation::new(Part::Body, "", rule);
    let boundary = multer::parse_boundary(content_type).map_err(|_| refuse("multipart.syntax"))?;
    let stream = futures_util::stream::once(std::future::ready(Ok::<_, std::io::Error>(
        bytes::Bytes::copy_from_slice(body),
    )));
    let constraints = multer::Constraints::new()
        .size_limit(multer::SizeLimit::new().per_field(limits.max_part_size));
    let mut mp = multer::Multipart::with_constraints(stream, boundary, constraints);
    let mut obj = Map::new();
    let mut count = 0;
    // The body is in memory, so every poll completes at once; a pending one cannot happen
    // and is treated as malformed input rather than waited for.
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        let field = match std::pin::pin!(mp.next_field()).as_mut().poll(&mut cx) {
            Poll::Ready(Ok(Some(f))) => f,
            Poll::Ready(Ok(None)) => break,
            Poll::Ready(Err(multer::Error::FieldSizeExceeded { .. })) => {
                return Err(refuse("multipart.max_part_size"));
            }
            Poll::Ready(Err(_)) | Poll::Pending => return Err(refuse("multipart.syntax")),
        };
        count += 1;
        if count > limits.max_parts {
            return Err(refuse("multipart.max_parts"));
        }
        let name = field.name().unwrap_or_default().to_string();
        let part_type = field
            .content_type()
            .map(|m| m.essence_str().to_ascii_lowercase());
        let declared = fields.iter().find(|f| f.spec.name == name);
        let mut pointer = String::new();
        crate::violation::push_token(&mut pointer, &name);
        if let (Some(f), Some(t)) = (declared, part_type.as_deref())
            && !f.content_types.is_empty()
            && !f.content_types.iter().any(|r| covers(r, t).is_some())
        {
            return Err(Violation::new(Part::Body, pointer, "encoding.contentType"));
        }
        let data = match std::pin::pin!(field.bytes()).as_mut().poll(&mut cx) {
            Poll::Ready(Ok(b)) => b,
            Poll::Ready(Err(multer::Error::FieldSizeExceeded { .. })) => {
                return Err(Violation::new(
                    Part::Body,
                    pointer,
                    "multipart.max_part_size",
                ));
            }
            Poll::Ready(Err(_)) | Poll::Pending => return Err(refuse("multipart.syntax")),
        };
        // Only a field declared as bytes is taken as such: a part with a file name is text
        // like any other otherwise (its name does not exempt it from the schema).
        let binary = declared.is_some_and(|f| f.binary);
        let text = if binary {
            None
        } else {
            match String::from_utf8(data.to_vec()) {
                Ok(t) => Some(t),
                Err(_) if declared.is_some() => {
                    return Err(Violation::new(Part::Body, pointer, "param.encoding"));
                }
                // An undeclared part (refused in strict mode) that is not text.
                Err(_) => None,
            }
        };
        let (value, array) = match text {
            Some(t) => field_value(fields, &name, t),
            None => {
                let array = declared.is_some_and(|f| matches!(f.spec.shape, Shape::Array(_)));
                let v = Value::String(String::new());
                (if array { Value::Array(vec![v]) } else { v }, array)
            }
        };
        add_field(&mut obj, name, value, array)?;
    }
    Ok(Value::Object(obj))
}

use std::future::Future;

/// Reads `body` of `kind` into a value the schema checks (`None` for kinds not checked
/// against a schema), enforcing the threat limits of the kind.
pub fn read(
    kind: Kind,
    body: &[u8],
    content_type: &str,
    fields: &[Field],
    limits: &BodyLimits,
) -> Result<Option<Value>, Violation> {
    match kind {
        Kind::Json => json::parse(body, &limits.json)
            .map(Some)
            .map_err(|b| b.violation()),
        Kind::Form => form(body, fields, limits).map(Some),
        Kind::Multipart => multipart(body, content_type, fields, limits).map(Some),
        Kind::Xml => xml::check(body, &limits.xml)
            .map(|()| None)
            .map_err(|b| b.violation()),
        Kind::Opaque => Ok(None),
    }
}

/// The field specs of a form schema's properties (form style, exploded).
pub fn form_field(name: &str, shape: Shape, content_types: Vec<String>, binary: bool) -> Field {
    Field {
        spec: ParamSpec::new(
            name.to_string(),
            Location::Query,
            Some(Style::Form),
            Some(true),
            shape,
        ),
        content_types,
        binary,
    }
}
