//! OpenAPI parameter deserialization (OpenAPI 3.1.0 section 4.8.12.4, "Style Values" and
//! "Style Examples"): raw path, query, header and cookie strings become
//! [`serde_json::Value`]s that the JSON Schema validator then checks.
//!
//! The declared types only guide coercion: a string that does not parse as the declared type
//! stays a string, so that the schema validator reports a `type` violation. Nothing here
//! fails for type reasons; a [`ParamError`] means the raw text could not be read as the
//! declared style at all (bad percent-encoding, a label value without its `.`, an odd
//! key/value list, a repeated parameter…).
//!
//! Decoding rules, for the caller:
//!
//! - Path values and cookie values are percent-decoded *after* they are split on the style's
//!   delimiters (`,` `.` `;` `=`), so an encoded delimiter (`%2C`) stays inside an item.
//!   `+` is not a space there.
//! - Query strings are percent-decoded (with `+` as a space) by [`split_query`] before the
//!   styles split them, as server frameworks do: an encoded delimiter (`%2C`, `%7C`, `%20`)
//!   splits like a literal one. spaceDelimited needs this anyway (`+` and `%20` are both its
//!   delimiter).
//! - Header values are never percent-decoded; list items, keys and values are trimmed of
//!   optional whitespace (RFC 9110 section 5.6.1).
//! - Percent-decoding is strict: a `%` not followed by two hex digits, or bytes that are not
//!   UTF-8 once decoded, are a `param.encoding` error, never replaced or kept literally.
//! - Empty lists: a delimited array or object with an empty value (`color=`, `.`, `;color`,
//!   an empty path segment or header) is `[]` or `{}`; a scalar is `""`.

use crate::violation::Part;
use serde_json::{Map, Number, Value};
use std::fmt;

/// Where a parameter lives (OpenAPI `in`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Location {
    /// A path template variable.
    Path,
    /// A query string parameter.
    Query,
    /// A request header.
    Header,
    /// A cookie of the `Cookie` header.
    Cookie,
}

impl Location {
    /// Parses an OpenAPI `in` value (`path`, `query`, `header`, `cookie`).
    pub fn parse(s: &str) -> Option<Location> {
        match s {
            "path" => Some(Location::Path),
            "query" => Some(Location::Query),
            "header" => Some(Location::Header),
            "cookie" => Some(Location::Cookie),
            _ => None,
        }
    }

    /// The message part that violations of a parameter here are reported in.
    pub fn part(self) -> Part {
        match self {
            Location::Path => Part::Path,
            Location::Query => Part::Query,
            Location::Header => Part::Header,
            Location::Cookie => Part::Cookie,
        }
    }
}

/// OpenAPI `style`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    /// `form`: `color=blue,black` or, exploded, `color=blue&color=black` (query, cookie).
    Form,
    /// `simple`: `blue,black` (path, header).
    Simple,
    /// `label`: `.blue.black` (path).
    Label,
    /// `matrix`: `;color=blue,black` or, exploded, `;color=blue;color=black` (path).
    Matrix,
    /// `deepObject`: `color[R]=100&color[G]=200` (query, objects only).
    DeepObject,
    /// `spaceDelimited`: `color=blue%20black` (query).
    SpaceDelimited,
    /// `pipeDelimited`: `color=blue|black` (query).
    PipeDelimited,
}

impl Style {
    /// Parses an OpenAPI `style` value (case-sensitive, as in the specification).
    pub fn parse(s: &str) -> Option<Style> {
        match s {
            "form" => Some(Style::Form),
            "simple" => Some(Style::Simple),
            "label" => Some(Style::Label),
            "matrix" => Some(Style::Matrix),
            "deepObject" => Some(Style::DeepObject),
            "spaceDelimited" => Some(Style::SpaceDelimited),
            "pipeDelimited" => Some(Style::PipeDelimited),
            _ => None,
        }
    }

    /// The OpenAPI name of this style.
    pub fn as_str(self) -> &'static str {
        match self {
            Style::Form => "form",
            Style::Simple => "simple",
            Style::Label => "label",
            Style::Matrix => "matrix",
            Style::DeepObject => "deepObject",
            Style::SpaceDelimited => "spaceDelimited",
            Style::PipeDelimited => "pipeDelimited",
        }
    }

    /// The default style of a location: `form` for query and cookie, `simple` for path and
    /// header.
    pub fn default_for(l: Location) -> Style {
        match l {
            Location::Query | Location::Cookie => Style::Form,
            Location::Path | Location::Header => Style::Simple,
        }
    }

    /// Whether the specification allows this style at `l`: path takes simple, label and
    /// matrix; query takes form, spaceDelimited, pipeDelimited and deepObject; header takes
    /// simple; cookie takes form.
    pub fn allowed_in(self, l: Location) -> bool {
        match l {
            Location::Path => matches!(self, Style::Simple | Style::Label | Style::Matrix),
            Location::Query => matches!(
                self,
                Style::Form | Style::SpaceDelimited | Style::PipeDelimited | Style::DeepObject
            ),
            Location::Header => self == Style::Simple,
            Location::Cookie => self == Style::Form,
        }
    }
}

/// The JSON type a scalar string should become.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scalar {
    /// Kept as a string.
    String,
    /// `-?[0-9]+` that fits an i64 or u64 becomes a number; anything else stays a string.
    Integer,
    /// An integer as for [`Scalar::Integer`], else JSON number syntax that is a finite f64,
    /// becomes a number; anything else stays a string.
    Number,
    /// Exactly `true` or `false` becomes a boolean; anything else stays a string.
    Boolean,
    /// Exactly `null` becomes null; anything else (the empty string too) stays a string.
    Null,
    /// No single declared type: kept as a string (never guessed).
    Any,
}

/// The shape the schema gives a parameter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Shape {
    /// A primitive of the given type.
    Scalar(Scalar),
    /// An array whose items have the given type.
    Array(Scalar),
    /// An object: its declared properties with their types, then the type of any other
    /// property (used for non-exploded and deepObject values; exploded form objects only
    /// read declared properties).
    Object(Vec<(String, Scalar)>, Scalar),
}

/// Everything needed to deserialize one parameter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParamSpec {
    /// The parameter's name, as declared (case-sensitive; the caller matches header names
    /// case-insensitively before calling [`header_value`]).
    pub name: String,
    /// Where it lives.
    pub location: Location,
    /// Its style (the location's default when the spec gives none).
    pub style: Style,
    /// Whether arrays and objects are exploded (true by default for form, false otherwise).
    pub explode: bool,
    /// The shape its schema gives it.
    pub shape: Shape,
    /// OpenAPI `allowReserved`. Deserialization does not depend on it: reserved characters
    /// are accepted unencoded either way.
    pub allow_reserved: bool,
}

impl ParamSpec {
    /// A parameter spec with OpenAPI's defaults: `style` defaults to
    /// [`Style::default_for`] the location, `explode` to true for form and false otherwise,
    /// `allow_reserved` to false.
    pub fn new(
        name: impl Into<String>,
        location: Location,
        style: Option<Style>,
        explode: Option<bool>,
        shape: Shape,
    ) -> Self {
        let style = style.unwrap_or(Style::default_for(location));
        ParamSpec {
            name: name.into(),
            location,
            style,
            explode: explode.unwrap_or(style == Style::Form),
            shape,
            allow_reserved: false,
        }
    }

    /// Checks what the functions of this module cannot work with, for the spec loader to
    /// refuse at load time: a style not allowed at the location ([`Style::allowed_in`]), or
    /// deepObject on anything but an object. Both fail every request at run time with
    /// `param.style`. Scalars with spaceDelimited or pipeDelimited are accepted (the value is
    /// read whole); deepObject ignores `explode`.
    pub fn validate(&self) -> Result<(), ParamError> {
        if !self.style.allowed_in(self.location) {
            return Err(ParamError::STYLE);
        }
        if self.style == Style::DeepObject && !matches!(self.shape, Shape::Object(..)) {
            return Err(ParamError::STYLE);
        }
        Ok(())
    }
}

/// Why a raw value could not be deserialized at all. Its `rule` is stable and used as the
/// violation's rule: [`ParamError::STYLE`], [`ParamError::ENCODING`] or
/// [`ParamError::REPEATED`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParamError {
    /// The violated rule: `param.style`, `param.encoding` or `param.repeated`.
    pub rule: &'static str,
}

impl ParamError {
    /// The value is not in the form of its style (label value without its leading `.`,
    /// matrix value without `;name=`, odd key/value list for a non-exploded object, exploded
    /// object entry without `=`, malformed deepObject name), or the style is not allowed at
    /// the location.
    pub const STYLE: ParamError = ParamError {
        rule: "param.style",
    };
    /// Bad percent-encoding: `%` without two hex digits, or bytes that are not UTF-8 once
    /// decoded.
    pub const ENCODING: ParamError = ParamError {
        rule: "param.encoding",
    };
    /// A parameter that takes one value was given several (a repeated non-array query
    /// parameter or cookie, or a repeated object property): HTTP parameter pollution.
    pub const REPEATED: ParamError = ParamError {
        rule: "param.repeated",
    };
}

impl fmt::Display for ParamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "parameter value breaks {}", self.rule)
    }
}

impl std::error::Error for ParamError {}

/// A query string (without its leading `?`) split on `&` into percent-decoded
/// (name, value) pairs, `+` as a space, in order. Empty segments (`a=1&&b=2`, a trailing
/// `&`) are skipped; a segment without `=` has the empty value. Only `&` separates pairs
/// (never `;`). Bad percent-encoding or non-UTF-8 bytes in any name or value fail the whole
/// query with `param.encoding`.
pub fn split_query(query: &str) -> Result<Vec<(String, String)>, ParamError> {
    query
        .split('&')
        .filter(|segment| !segment.is_empty())
        .map(|segment| {
            let (name, value) = segment.split_once('=').unwrap_or((segment, ""));
            Ok((percent_decode(name, true)?, percent_decode(value, true)?))
        })
        .collect()
}

/// `Cookie` header values split into (name, value) pairs in order (RFC 6265 section 4.2:
/// `; ` separated; any whitespace around names and values is trimmed). Nothing is decoded
/// and quotes are kept; [`cookie_value`] applies the form style. A piece without `=` is a
/// cookie of that name with the empty value (as Go's net/http reads it); empty pieces are
/// skipped.
pub fn split_cookies(headers: &[&str]) -> Vec<(String, String)> {
    headers
        .iter()
        .flat_map(|header| header.split(';'))
        .map(|piece| piece.trim_matches(OWS))
        .filter(|piece| !piece.is_empty())
        .map(|piece| {
            let (name, value) = piece.split_once('=').unwrap_or((piece, ""));
            (
                name.trim_matches(OWS).to_owned(),
                value.trim_matches(OWS).to_owned(),
            )
        })
        .collect()
}

/// The value of a query parameter from all the pairs of [`split_query`]; `None` when absent.
///
/// - form, spaceDelimited, pipeDelimited, not exploded (or any scalar): the single pair
///   named `name`, split on `,`, ` ` or `|` for arrays and objects (objects as
///   `key,value,key,value`). Repeated: `param.repeated`.
/// - Exploded arrays: every pair named `name`, each an item (never split), in order.
/// - Exploded objects: every pair whose name is a *declared* property (other pairs are left
///   to the caller's unknown-parameter check); absent when none is there. A repeated
///   property is `param.repeated`.
/// - deepObject: the `name[prop]=value` pairs (explode ignored). A pair named `name` alone,
///   `name[]`, or a nested `name[a][b]` is `param.style`; a repeated property is
///   `param.repeated`.
/// - A style not allowed in the query, or deepObject on a non-object that is present:
///   `param.style`.
pub fn query_value(
    spec: &ParamSpec,
    pairs: &[(String, String)],
) -> Result<Option<Value>, ParamError> {
    let delimiter = match spec.style {
        Style::Form => ',',
        Style::SpaceDelimited => ' ',
        Style::PipeDelimited => '|',
        Style::DeepObject => return deep_object(spec, pairs),
        Style::Simple | Style::Label | Style::Matrix => return Err(ParamError::STYLE),
    };
    match (&spec.shape, spec.explode) {
        (Shape::Array(item), true) => {
            let items: Vec<Value> = pairs
                .iter()
                .filter(|(name, _)| *name == spec.name)
                .map(|(_, value)| coerce(value.clone(), *item))
                .collect();
            Ok((!items.is_empty()).then_some(Value::Array(items)))
        }
        (Shape::Object(props, _), true) => {
            let mut map = Map::new();
            for (name, value) in pairs {
                if let Some((_, scalar)) = props.iter().find(|(prop, _)| prop == name) {
                    if map.contains_key(name) {
                        return Err(ParamError::REPEATED);
                    }
                    map.insert(name.clone(), coerce(value.clone(), *scalar));
                }
            }
            Ok((!map.is_empty()).then_some(Value::Object(map)))
        }
        (shape, _) => match single(&spec.name, pairs)? {
            None => Ok(None),
            Some(value) => delimited(
                value,
                shape,
                &[delimiter],
                false,
                Text::Decoded,
                Bare::Refuse,
            )
            .map(Some),
        },
    }
}

/// Whether a query pair name belongs to this parameter, for the strict mode's unknown
/// parameter check: a declared property name for exploded form (spaceDelimited,
/// pipeDelimited) objects; `name` and every `name[…]` for deepObject (so that a malformed
/// one is refused by [`query_value`] rather than passed on); `name` otherwise.
pub fn claims(spec: &ParamSpec, pair_name: &str) -> bool {
    match (spec.style, &spec.shape, spec.explode) {
        (Style::DeepObject, _, _) => pair_name
            .strip_prefix(spec.name.as_str())
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('[')),
        (
            Style::Form | Style::SpaceDelimited | Style::PipeDelimited,
            Shape::Object(props, _),
            true,
        ) => props.iter().any(|(prop, _)| prop == pair_name),
        _ => pair_name == spec.name,
    }
}

/// A path parameter from its raw, still percent-encoded segment value, per its style:
/// simple `blue,black`; label `.blue.black` (not exploded, `,` separates too, as in
/// OpenAPI 3.1.1 and RFC 6570: `.blue,black`); matrix `;color=blue,black` or
/// `;color=blue;color=black`. Parts are percent-decoded after splitting. Label values
/// without their `.`, matrix values without `;name`, and other styles are `param.style`.
pub fn path_value(spec: &ParamSpec, raw: &str) -> Result<Value, ParamError> {
    match spec.style {
        Style::Simple => delimited(
            raw,
            &spec.shape,
            &[','],
            spec.explode,
            Text::Encoded,
            Bare::Refuse,
        ),
        Style::Label => {
            let rest = raw.strip_prefix('.').ok_or(ParamError::STYLE)?;
            let delimiters: &[char] = if spec.explode { &['.'] } else { &['.', ','] };
            delimited(
                rest,
                &spec.shape,
                delimiters,
                spec.explode,
                Text::Encoded,
                Bare::Refuse,
            )
        }
        Style::Matrix => matrix(spec, raw),
        Style::Form | Style::DeepObject | Style::SpaceDelimited | Style::PipeDelimited => {
            Err(ParamError::STYLE)
        }
    }
}

/// A header value, simple style: not percent-decoded, items (and object keys and values)
/// trimmed of spaces and tabs. The caller joins repeated header lines with `,` (or refuses
/// them) first. Styles other than simple are `param.style`.
pub fn header_value(spec: &ParamSpec, raw: &str) -> Result<Value, ParamError> {
    if spec.style != Style::Simple {
        return Err(ParamError::STYLE);
    }
    delimited(
        raw,
        &spec.shape,
        &[','],
        spec.explode,
        Text::Header,
        Bare::Refuse,
    )
}

/// A cookie value (from [`split_cookies`]), form style: arrays `blue,black`, objects
/// `R,100,G,200`, percent-decoded after splitting. `explode` is ignored: one cookie holds
/// one value, so exploded arrays and objects are read as comma lists too. Styles other than
/// form are `param.style`.
pub fn cookie_value(spec: &ParamSpec, raw: &str) -> Result<Value, ParamError> {
    if spec.style != Style::Form {
        return Err(ParamError::STYLE);
    }
    delimited(raw, &spec.shape, &[','], false, Text::Encoded, Bare::Refuse)
}

/// The value of a cookie parameter from all the pairs of [`split_cookies`]; `None` when
/// absent. A cookie name sent twice is `param.repeated` (browsers do send two cookies of
/// one name set for different paths; which one the API reads is up to it, so neither can be
/// validated for it).
pub fn cookie_param(
    spec: &ParamSpec,
    cookies: &[(String, String)],
) -> Result<Option<Value>, ParamError> {
    match single(&spec.name, cookies)? {
        None => Ok(None),
        Some(raw) => cookie_value(spec, raw).map(Some),
    }
}

/// Optional whitespace (RFC 9110 section 5.6.3).
const OWS: [char; 2] = [' ', '\t'];

/// How the text of an item is read.
#[derive(Clone, Copy)]
enum Text {
    /// Percent-encoded, `+` is not a space (path, cookie).
    Encoded,
    /// Already decoded (query, by [`split_query`]).
    Decoded,
    /// Literal, trimmed of optional whitespace (header).
    Header,
}

impl Text {
    fn read(self, raw: &str) -> Result<String, ParamError> {
        match self {
            Text::Encoded => percent_decode(raw, false),
            Text::Decoded => Ok(raw.to_owned()),
            Text::Header => Ok(raw.trim_matches(OWS).to_owned()),
        }
    }
}

/// What an exploded object entry without `=` means.
#[derive(Clone, Copy)]
enum Bare {
    /// `param.style` (simple, label, form).
    Refuse,
    /// A property with the empty value (matrix, a named operator in RFC 6570).
    Empty,
}

/// The single value of `name` among `pairs`; `param.repeated` when there are several.
fn single<'a>(name: &str, pairs: &'a [(String, String)]) -> Result<Option<&'a str>, ParamError> {
    let mut found = None;
    for (n, value) in pairs {
        if n == name {
            if found.is_some() {
                return Err(ParamError::REPEATED);
            }
            found = Some(value.as_str());
        }
    }
    Ok(found)
}

/// The parts of a delimited list; none for the empty string.
fn parts<'a>(content: &'a str, delimiters: &[char]) -> Vec<&'a str> {
    if content.is_empty() {
        Vec::new()
    } else {
        content.split(|c| delimiters.contains(&c)).collect()
    }
}

/// `content` read as `shape`: a scalar whole; an array split on `delimiters`; an object split
/// on `delimiters` into `key,value` pairs or, exploded, into `key=value` entries. Each piece
/// is read with `text` after splitting.
fn delimited(
    content: &str,
    shape: &Shape,
    delimiters: &[char],
    explode: bool,
    text: Text,
    bare: Bare,
) -> Result<Value, ParamError> {
    match shape {
        Shape::Scalar(scalar) => Ok(coerce(text.read(content)?, *scalar)),
        Shape::Array(item) => parts(content, delimiters)
            .into_iter()
            .map(|part| Ok(coerce(text.read(part)?, *item)))
            .collect::<Result<Vec<Value>, ParamError>>()
            .map(Value::Array),
        Shape::Object(props, other) => {
            let parts = parts(content, delimiters);
            let mut map = Map::new();
            if explode {
                for part in parts {
                    let (key, value) = match (part.split_once('='), bare) {
                        (Some(entry), _) => entry,
                        (None, Bare::Empty) => (part, ""),
                        (None, Bare::Refuse) => return Err(ParamError::STYLE),
                    };
                    insert(&mut map, text.read(key)?, text.read(value)?, props, *other)?;
                }
            } else {
                if !parts.len().is_multiple_of(2) {
                    return Err(ParamError::STYLE);
                }
                for entry in parts.chunks_exact(2) {
                    if let [key, value] = entry {
                        insert(&mut map, text.read(key)?, text.read(value)?, props, *other)?;
                    }
                }
            }
            Ok(Value::Object(map))
        }
    }
}

/// Adds a property, coerced with its declared type (or `other`); `param.repeated` when it is
/// already there.
fn insert(
    map: &mut Map<String, Value>,
    key: String,
    value: String,
    props: &[(String, Scalar)],
    other: Scalar,
) -> Result<(), ParamError> {
    if map.contains_key(&key) {
        return Err(ParamError::REPEATED);
    }
    let scalar = props
        .iter()
        .find(|(prop, _)| *prop == key)
        .map_or(other, |(_, scalar)| *scalar);
    map.insert(key, coerce(value, scalar));
    Ok(())
}

/// A matrix path value: `;name`, `;name=value` (lists split on `,`) or, exploded,
/// `;name=a;name=b` and `;R=100;G=200`.
fn matrix(spec: &ParamSpec, raw: &str) -> Result<Value, ParamError> {
    let rest = raw.strip_prefix(';').ok_or(ParamError::STYLE)?;
    let parts: Vec<&str> = rest.split(';').collect();
    // The raw value of a `name=value` (or bare `name`, the empty value) part.
    let named = |part: &'_ str| -> Result<String, ParamError> {
        let (name, value) = part.split_once('=').unwrap_or((part, ""));
        if percent_decode(name, false)? != spec.name {
            return Err(ParamError::STYLE);
        }
        Ok(value.to_owned())
    };
    let exploded_container = spec.explode && !matches!(spec.shape, Shape::Scalar(_));
    if !exploded_container {
        let [part] = parts.as_slice() else {
            return Err(ParamError::STYLE);
        };
        let value = named(part)?;
        return delimited(
            &value,
            &spec.shape,
            &[','],
            false,
            Text::Encoded,
            Bare::Refuse,
        );
    }
    // `;color` alone is the empty array or object (the "empty" column of the table).
    if let [part] = parts.as_slice()
        && !part.contains('=')
        && percent_decode(part, false)? == spec.name
    {
        return delimited("", &spec.shape, &[';'], true, Text::Encoded, Bare::Empty);
    }
    match &spec.shape {
        Shape::Array(item) => parts
            .into_iter()
            .map(|part| Ok(coerce(percent_decode(&named(part)?, false)?, *item)))
            .collect::<Result<Vec<Value>, ParamError>>()
            .map(Value::Array),
        shape => delimited(rest, shape, &[';'], true, Text::Encoded, Bare::Empty),
    }
}

/// A deepObject query parameter: `name[prop]=value` pairs.
fn deep_object(spec: &ParamSpec, pairs: &[(String, String)]) -> Result<Option<Value>, ParamError> {
    let Shape::Object(props, other) = &spec.shape else {
        return if pairs.iter().any(|(name, _)| claims(spec, name)) {
            Err(ParamError::STYLE)
        } else {
            Ok(None)
        };
    };
    let mut map = Map::new();
    for (name, value) in pairs {
        let Some(rest) = name.strip_prefix(spec.name.as_str()) else {
            continue;
        };
        if rest.is_empty() {
            return Err(ParamError::STYLE);
        }
        let Some(inner) = rest.strip_prefix('[') else {
            // Another parameter whose name starts with this one (`colors`).
            continue;
        };
        let key = inner
            .strip_suffix(']')
            .filter(|key| !key.is_empty() && !key.contains(['[', ']']))
            .ok_or(ParamError::STYLE)?;
        insert(&mut map, key.to_owned(), value.clone(), props, *other)?;
    }
    Ok((!map.is_empty()).then_some(Value::Object(map)))
}

/// The value of a hex digit.
fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Strict percent-decoding: `%` must be followed by two hex digits and the result must be
/// UTF-8, else `param.encoding`. With `plus_as_space`, `+` is a space (query strings).
fn percent_decode(raw: &str, plus_as_space: bool) -> Result<String, ParamError> {
    if !(raw.contains('%') || (plus_as_space && raw.contains('+'))) {
        return Ok(raw.to_owned());
    }
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'%' => {
                let high = bytes.get(i + 1).copied().and_then(hex);
                let low = bytes.get(i + 2).copied().and_then(hex);
                let (Some(high), Some(low)) = (high, low) else {
                    return Err(ParamError::ENCODING);
                };
                out.push((high << 4) | low);
                i += 3;
            }
            b'+' if plus_as_space => {
                out.push(b' ');
                i += 1;
            }
            _ => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).map_err(|_| ParamError::ENCODING)
}

/// `s` as `scalar`, or still a string when it does not parse as one.
fn coerce(s: String, scalar: Scalar) -> Value {
    let parsed = match scalar {
        Scalar::String | Scalar::Any => None,
        Scalar::Integer => integer(&s).map(Value::Number),
        Scalar::Number => integer(&s).or_else(|| number(&s)).map(Value::Number),
        Scalar::Boolean => match s.as_str() {
            "true" => Some(Value::Bool(true)),
            "false" => Some(Value::Bool(false)),
            _ => None,
        },
        Scalar::Null => (s == "null").then_some(Value::Null),
    };
    parsed.unwrap_or(Value::String(s))
}

/// `-?[0-9]+` fitting an i64 (or, non-negative, a u64).
fn integer(s: &str) -> Option<Number> {
    let digits = s.strip_prefix('-').unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if let Ok(n) = s.parse::<i64>() {
        return Some(Number::from(n));
    }
    if digits.len() == s.len() {
        return s.parse::<u64>().ok().map(Number::from);
    }
    None
}

/// JSON number syntax (RFC 8259 section 6) that is a finite f64.
fn number(s: &str) -> Option<Number> {
    // serde_json skips whitespace around the number; JSON numbers start with `-` or a digit
    // and end with a digit.
    let first = s.bytes().next()?;
    let last = s.bytes().last()?;
    if !(first == b'-' || first.is_ascii_digit()) || !last.is_ascii_digit() {
        return None;
    }
    serde_json::from_str::<Number>(s)
        .ok()
        .filter(|n| n.as_f64().is_some_and(f64::is_finite))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn rgb() -> Shape {
        Shape::Object(
            vec![
                ("R".to_owned(), Scalar::Integer),
                ("G".to_owned(), Scalar::Integer),
                ("B".to_owned(), Scalar::Integer),
            ],
            Scalar::String,
        )
    }

    fn string() -> Shape {
        Shape::Scalar(Scalar::String)
    }

    fn strings() -> Shape {
        Shape::Array(Scalar::String)
    }

    fn spec(location: Location, style: Style, explode: bool, shape: Shape) -> ParamSpec {
        ParamSpec::new("color", location, Some(style), Some(explode), shape)
    }

    fn path(style: Style, explode: bool, shape: Shape, raw: &str) -> Result<Value, ParamError> {
        path_value(&spec(Location::Path, style, explode, shape), raw)
    }

    fn query(
        style: Style,
        explode: bool,
        shape: Shape,
        raw: &str,
    ) -> Result<Option<Value>, ParamError> {
        query_value(
            &spec(Location::Query, style, explode, shape),
            &split_query(raw)?,
        )
    }

    fn header(explode: bool, shape: Shape, raw: &str) -> Result<Value, ParamError> {
        header_value(&spec(Location::Header, Style::Simple, explode, shape), raw)
    }

    fn cookie(explode: bool, shape: Shape, raw_header: &str) -> Result<Option<Value>, ParamError> {
        cookie_param(
            &spec(Location::Cookie, Style::Form, explode, shape),
            &split_cookies(&[raw_header]),
        )
    }

    fn blue() -> Value {
        json!("blue")
    }

    fn colors() -> Value {
        json!(["blue", "black", "brown"])
    }

    fn color_object() -> Value {
        json!({"R": 100, "G": 200, "B": 150})
    }

    // ---- The "Style Examples" table, row by row ----

    #[test]
    fn params_table_matrix_not_exploded() {
        assert_eq!(
            path(Style::Matrix, false, string(), ";color").unwrap(),
            json!("")
        );
        assert_eq!(
            path(Style::Matrix, false, string(), ";color=blue").unwrap(),
            blue()
        );
        assert_eq!(
            path(Style::Matrix, false, strings(), ";color=blue,black,brown").unwrap(),
            colors()
        );
        assert_eq!(
            path(Style::Matrix, false, rgb(), ";color=R,100,G,200,B,150").unwrap(),
            color_object()
        );
        assert_eq!(
            path(Style::Matrix, false, strings(), ";color").unwrap(),
            json!([])
        );
        assert_eq!(
            path(Style::Matrix, false, rgb(), ";color").unwrap(),
            json!({})
        );
    }

    #[test]
    fn params_table_matrix_exploded() {
        assert_eq!(
            path(Style::Matrix, true, string(), ";color").unwrap(),
            json!("")
        );
        assert_eq!(
            path(Style::Matrix, true, string(), ";color=blue").unwrap(),
            blue()
        );
        assert_eq!(
            path(
                Style::Matrix,
                true,
                strings(),
                ";color=blue;color=black;color=brown"
            )
            .unwrap(),
            colors()
        );
        assert_eq!(
            path(Style::Matrix, true, rgb(), ";R=100;G=200;B=150").unwrap(),
            color_object()
        );
        assert_eq!(
            path(Style::Matrix, true, strings(), ";color").unwrap(),
            json!([])
        );
        assert_eq!(
            path(Style::Matrix, true, rgb(), ";color").unwrap(),
            json!({})
        );
    }

    #[test]
    fn params_table_label_not_exploded() {
        assert_eq!(path(Style::Label, false, string(), ".").unwrap(), json!(""));
        assert_eq!(
            path(Style::Label, false, string(), ".blue").unwrap(),
            blue()
        );
        // OpenAPI 3.0.x / 3.1.0 form…
        assert_eq!(
            path(Style::Label, false, strings(), ".blue.black.brown").unwrap(),
            colors()
        );
        assert_eq!(
            path(Style::Label, false, rgb(), ".R.100.G.200.B.150").unwrap(),
            color_object()
        );
        // …and the OpenAPI 3.1.1 / RFC 6570 form.
        assert_eq!(
            path(Style::Label, false, strings(), ".blue,black,brown").unwrap(),
            colors()
        );
        assert_eq!(
            path(Style::Label, false, rgb(), ".R,100,G,200,B,150").unwrap(),
            color_object()
        );
        assert_eq!(
            path(Style::Label, false, strings(), ".").unwrap(),
            json!([])
        );
        assert_eq!(path(Style::Label, false, rgb(), ".").unwrap(), json!({}));
    }

    #[test]
    fn params_table_label_exploded() {
        assert_eq!(path(Style::Label, true, string(), ".").unwrap(), json!(""));
        assert_eq!(path(Style::Label, true, string(), ".blue").unwrap(), blue());
        assert_eq!(
            path(Style::Label, true, strings(), ".blue.black.brown").unwrap(),
            colors()
        );
        assert_eq!(
            path(Style::Label, true, rgb(), ".R=100.G=200.B=150").unwrap(),
            color_object()
        );
        // Exploded, `,` is not a delimiter.
        assert_eq!(
            path(Style::Label, true, strings(), ".blue,black").unwrap(),
            json!(["blue,black"])
        );
    }

    #[test]
    fn params_table_form_not_exploded() {
        assert_eq!(
            query(Style::Form, false, string(), "color=").unwrap(),
            Some(json!(""))
        );
        assert_eq!(
            query(Style::Form, false, string(), "color=blue").unwrap(),
            Some(blue())
        );
        assert_eq!(
            query(Style::Form, false, strings(), "color=blue,black,brown").unwrap(),
            Some(colors())
        );
        assert_eq!(
            query(Style::Form, false, rgb(), "color=R,100,G,200,B,150").unwrap(),
            Some(color_object())
        );
        assert_eq!(
            query(Style::Form, false, strings(), "color=").unwrap(),
            Some(json!([]))
        );
        assert_eq!(
            query(Style::Form, false, rgb(), "color=").unwrap(),
            Some(json!({}))
        );
    }

    #[test]
    fn params_table_form_exploded() {
        assert_eq!(
            query(Style::Form, true, string(), "color=").unwrap(),
            Some(json!(""))
        );
        assert_eq!(
            query(Style::Form, true, string(), "color=blue").unwrap(),
            Some(blue())
        );
        assert_eq!(
            query(
                Style::Form,
                true,
                strings(),
                "color=blue&color=black&color=brown"
            )
            .unwrap(),
            Some(colors())
        );
        assert_eq!(
            query(Style::Form, true, rgb(), "R=100&G=200&B=150").unwrap(),
            Some(color_object())
        );
        // Exploded items are never split.
        assert_eq!(
            query(Style::Form, true, strings(), "color=a,b&color=c").unwrap(),
            Some(json!(["a,b", "c"]))
        );
    }

    #[test]
    fn params_table_simple() {
        for explode in [false, true] {
            assert_eq!(
                path(Style::Simple, explode, string(), "blue").unwrap(),
                blue()
            );
            assert_eq!(
                path(Style::Simple, explode, strings(), "blue,black,brown").unwrap(),
                colors()
            );
            assert_eq!(header(explode, string(), "blue").unwrap(), blue());
            assert_eq!(
                header(explode, strings(), "blue,black,brown").unwrap(),
                colors()
            );
        }
        assert_eq!(
            path(Style::Simple, false, rgb(), "R,100,G,200,B,150").unwrap(),
            color_object()
        );
        assert_eq!(
            path(Style::Simple, true, rgb(), "R=100,G=200,B=150").unwrap(),
            color_object()
        );
        assert_eq!(
            header(false, rgb(), "R,100,G,200,B,150").unwrap(),
            color_object()
        );
        assert_eq!(
            header(true, rgb(), "R=100,G=200,B=150").unwrap(),
            color_object()
        );
    }

    #[test]
    fn params_table_space_delimited() {
        assert_eq!(
            query(
                Style::SpaceDelimited,
                false,
                strings(),
                "color=blue%20black%20brown"
            )
            .unwrap(),
            Some(colors())
        );
        assert_eq!(
            query(
                Style::SpaceDelimited,
                false,
                strings(),
                "color=blue+black+brown"
            )
            .unwrap(),
            Some(colors())
        );
        assert_eq!(
            query(
                Style::SpaceDelimited,
                false,
                rgb(),
                "color=R%20100%20G%20200%20B%20150"
            )
            .unwrap(),
            Some(color_object())
        );
    }

    #[test]
    fn params_table_pipe_delimited() {
        assert_eq!(
            query(
                Style::PipeDelimited,
                false,
                strings(),
                "color=blue|black|brown"
            )
            .unwrap(),
            Some(colors())
        );
        assert_eq!(
            query(
                Style::PipeDelimited,
                false,
                strings(),
                "color=blue%7Cblack%7Cbrown"
            )
            .unwrap(),
            Some(colors())
        );
        assert_eq!(
            query(
                Style::PipeDelimited,
                false,
                rgb(),
                "color=R|100|G|200|B|150"
            )
            .unwrap(),
            Some(color_object())
        );
    }

    #[test]
    fn params_table_deep_object() {
        assert_eq!(
            query(
                Style::DeepObject,
                true,
                rgb(),
                "color[R]=100&color[G]=200&color[B]=150"
            )
            .unwrap(),
            Some(color_object())
        );
        assert_eq!(
            query(
                Style::DeepObject,
                true,
                rgb(),
                "color%5BR%5D=100&color%5BG%5D=200&color%5BB%5D=150"
            )
            .unwrap(),
            Some(color_object())
        );
    }

    #[test]
    fn params_table_cookie() {
        for explode in [false, true] {
            assert_eq!(
                cookie(explode, string(), "color=blue").unwrap(),
                Some(blue())
            );
            assert_eq!(
                cookie(explode, strings(), "color=blue,black,brown").unwrap(),
                Some(colors())
            );
            assert_eq!(
                cookie(explode, rgb(), "color=R,100,G,200,B,150").unwrap(),
                Some(color_object())
            );
        }
        assert_eq!(cookie(false, string(), "color=").unwrap(), Some(json!("")));
        assert_eq!(cookie(false, strings(), "color=").unwrap(), Some(json!([])));
    }

    // ---- Defaults, locations, claims ----

    #[test]
    fn params_defaults() {
        assert_eq!(Style::default_for(Location::Query), Style::Form);
        assert_eq!(Style::default_for(Location::Cookie), Style::Form);
        assert_eq!(Style::default_for(Location::Path), Style::Simple);
        assert_eq!(Style::default_for(Location::Header), Style::Simple);
        let q = ParamSpec::new("a", Location::Query, None, None, strings());
        assert_eq!(
            (q.style, q.explode, q.allow_reserved),
            (Style::Form, true, false)
        );
        let p = ParamSpec::new("a", Location::Path, None, None, strings());
        assert_eq!((p.style, p.explode), (Style::Simple, false));
        let d = ParamSpec::new(
            "a",
            Location::Query,
            Some(Style::PipeDelimited),
            None,
            rgb(),
        );
        assert!(!d.explode);
        for style in [
            Style::Form,
            Style::Simple,
            Style::Label,
            Style::Matrix,
            Style::DeepObject,
            Style::SpaceDelimited,
            Style::PipeDelimited,
        ] {
            assert_eq!(Style::parse(style.as_str()), Some(style));
        }
        assert_eq!(Style::parse("Form"), None);
        assert_eq!(Style::parse("deepobject"), None);
        assert_eq!(Location::parse("cookie"), Some(Location::Cookie));
        assert_eq!(Location::Cookie.part(), Part::Cookie);
    }

    #[test]
    fn params_style_not_allowed() {
        let deep_path = spec(Location::Path, Style::DeepObject, true, rgb());
        assert_eq!(deep_path.validate(), Err(ParamError::STYLE));
        assert_eq!(path_value(&deep_path, "x"), Err(ParamError::STYLE));
        assert_eq!(
            path(Style::Form, false, string(), "x"),
            Err(ParamError::STYLE)
        );
        let matrix_query = spec(Location::Query, Style::Matrix, false, string());
        assert_eq!(matrix_query.validate(), Err(ParamError::STYLE));
        assert_eq!(query_value(&matrix_query, &[]), Err(ParamError::STYLE));
        let label_header = spec(Location::Header, Style::Label, false, string());
        assert_eq!(header_value(&label_header, ".x"), Err(ParamError::STYLE));
        let simple_cookie = spec(Location::Cookie, Style::Simple, false, string());
        assert_eq!(cookie_value(&simple_cookie, "x"), Err(ParamError::STYLE));
        let deep_scalar = spec(Location::Query, Style::DeepObject, true, string());
        assert_eq!(deep_scalar.validate(), Err(ParamError::STYLE));
        assert_eq!(
            query_value(&deep_scalar, &split_query("color=x").unwrap()),
            Err(ParamError::STYLE)
        );
        assert_eq!(
            query_value(&deep_scalar, &split_query("other=x").unwrap()),
            Ok(None)
        );
        assert_eq!(
            spec(Location::Query, Style::DeepObject, true, rgb()).validate(),
            Ok(())
        );
        assert_eq!(
            spec(Location::Path, Style::Label, true, rgb()).validate(),
            Ok(())
        );
        assert_eq!(
            ParamError::STYLE.to_string(),
            "parameter value breaks param.style"
        );
    }

    #[test]
    fn params_claims() {
        let form = spec(Location::Query, Style::Form, true, strings());
        assert!(claims(&form, "color"));
        assert!(!claims(&form, "colors"));
        assert!(!claims(&form, "color[R]"));
        let exploded = spec(Location::Query, Style::Form, true, rgb());
        assert!(claims(&exploded, "R"));
        assert!(!claims(&exploded, "color"));
        assert!(!claims(&exploded, "X"));
        let flat = spec(Location::Query, Style::Form, false, rgb());
        assert!(claims(&flat, "color"));
        assert!(!claims(&flat, "R"));
        let deep = spec(Location::Query, Style::DeepObject, true, rgb());
        assert!(claims(&deep, "color[R]"));
        assert!(claims(&deep, "color[X]"));
        assert!(claims(&deep, "color"));
        assert!(claims(&deep, "color[a][b]"));
        assert!(!claims(&deep, "colors[R]"));
        assert!(!claims(&deep, "R"));
    }

    #[test]
    fn params_absent() {
        for style in [Style::Form, Style::SpaceDelimited, Style::PipeDelimited] {
            for explode in [false, true] {
                for shape in [string(), strings(), rgb()] {
                    assert_eq!(
                        query(style, explode, shape, "other=1&colors=2&color[R]=3"),
                        Ok(None)
                    );
                }
            }
        }
        assert_eq!(
            query(Style::DeepObject, true, rgb(), "other=1&colors[R]=2"),
            Ok(None)
        );
        assert_eq!(cookie(false, string(), "other=1"), Ok(None));
    }

    // ---- Coercion ----

    #[test]
    fn params_coercion() {
        let c = |s: &str, scalar| coerce(s.to_owned(), scalar);
        assert_eq!(c("42", Scalar::Integer), json!(42));
        assert_eq!(c("-42", Scalar::Integer), json!(-42));
        assert_eq!(c("007", Scalar::Integer), json!(7));
        assert_eq!(c("-0", Scalar::Integer), json!(0));
        assert_eq!(c("18446744073709551615", Scalar::Integer), json!(u64::MAX));
        assert_eq!(c("-9223372036854775808", Scalar::Integer), json!(i64::MIN));
        assert_eq!(
            c("18446744073709551616", Scalar::Integer),
            json!("18446744073709551616")
        );
        assert_eq!(
            c("-9223372036854775809", Scalar::Integer),
            json!("-9223372036854775809")
        );
        for s in ["", "-", "+1", " 1", "1 ", "1.0", "1e3", "0x10", "١"] {
            assert_eq!(c(s, Scalar::Integer), json!(s), "{s:?}");
        }
        assert_eq!(c("1.5", Scalar::Number), json!(1.5));
        assert_eq!(c("-1.5e3", Scalar::Number), json!(-1500.0));
        assert_eq!(c("7", Scalar::Number), json!(7));
        assert!(c("7", Scalar::Number).is_i64());
        assert_eq!(c("1E2", Scalar::Number), json!(100.0));
        assert_eq!(
            c("18446744073709551616", Scalar::Number),
            json!(18446744073709551616.0)
        );
        for s in [
            "", "1.", ".5", "+1", " 1", "1 ", "1e", "NaN", "inf", "Infinity", "1e400", "-1e400",
            "0x10", "1_000",
        ] {
            assert_eq!(c(s, Scalar::Number), json!(s), "{s:?}");
        }
        assert_eq!(c("true", Scalar::Boolean), json!(true));
        assert_eq!(c("false", Scalar::Boolean), json!(false));
        for s in ["True", "1", "", "yes", "false "] {
            assert_eq!(c(s, Scalar::Boolean), json!(s));
        }
        assert_eq!(c("null", Scalar::Null), Value::Null);
        assert_eq!(c("", Scalar::Null), json!(""));
        assert_eq!(c("Null", Scalar::Null), json!("Null"));
        for s in ["42", "true", "null", "x"] {
            assert_eq!(c(s, Scalar::String), json!(s));
            assert_eq!(c(s, Scalar::Any), json!(s));
        }
    }

    #[test]
    fn params_coercion_in_containers() {
        assert_eq!(
            path(Style::Simple, false, Shape::Array(Scalar::Integer), "1,x,3").unwrap(),
            json!([1, "x", 3])
        );
        let shape = Shape::Object(
            vec![
                ("n".to_owned(), Scalar::Integer),
                ("b".to_owned(), Scalar::Boolean),
            ],
            Scalar::Number,
        );
        assert_eq!(
            path(Style::Simple, true, shape.clone(), "n=1,b=true,x=2.5,y=z").unwrap(),
            json!({"n": 1, "b": true, "x": 2.5, "y": "z"})
        );
        assert_eq!(
            query(
                Style::DeepObject,
                true,
                shape.clone(),
                "color[n]=no&color[x]=1"
            )
            .unwrap(),
            Some(json!({"n": "no", "x": 1}))
        );
        // Exploded form objects read declared properties only.
        assert_eq!(
            query(Style::Form, true, shape, "n=1&x=2&b=false").unwrap(),
            Some(json!({"n": 1, "b": false}))
        );
        assert_eq!(
            query(
                Style::Form,
                true,
                Shape::Array(Scalar::Boolean),
                "color=true&color=1"
            )
            .unwrap(),
            Some(json!([true, "1"]))
        );
        assert_eq!(
            query(
                Style::Form,
                true,
                Shape::Scalar(Scalar::Integer),
                "color=12"
            )
            .unwrap(),
            Some(json!(12))
        );
    }

    // ---- Encoded delimiters and percent-encoding ----

    #[test]
    fn params_encoded_delimiters_stay_in_values() {
        assert_eq!(
            path(Style::Simple, false, strings(), "a%2Cb,c").unwrap(),
            json!(["a,b", "c"])
        );
        assert_eq!(
            path(Style::Label, true, strings(), ".a%2Eb.c").unwrap(),
            json!(["a.b", "c"])
        );
        assert_eq!(
            path(Style::Label, false, strings(), ".a%2Cb.c%2Ed").unwrap(),
            json!(["a,b", "c.d"])
        );
        assert_eq!(
            path(Style::Matrix, true, strings(), ";color=a%3Bb;color=c%3Dd").unwrap(),
            json!(["a;b", "c=d"])
        );
        assert_eq!(
            path(Style::Matrix, false, strings(), ";color=a%2Cb,c").unwrap(),
            json!(["a,b", "c"])
        );
        assert_eq!(
            path(Style::Simple, true, rgb(), "R=1%3D2,G%2C=3").unwrap(),
            json!({"R": "1=2", "G,": "3"})
        );
        assert_eq!(
            path(Style::Matrix, true, rgb(), ";R%3Dx=1").unwrap(),
            json!({"R=x": "1"})
        );
        assert_eq!(
            path(Style::Simple, false, string(), "a%2Cb,c%2Fd+e").unwrap(),
            json!("a,b,c/d+e")
        );
        assert_eq!(
            path(Style::Simple, false, string(), "caf%C3%A9").unwrap(),
            json!("café")
        );
        // The matrix name may be encoded too.
        assert_eq!(
            path(Style::Matrix, false, string(), ";colo%72=x").unwrap(),
            json!("x")
        );
        // Primitives are never split: label numbers keep their dot.
        assert_eq!(
            path(Style::Label, false, Shape::Scalar(Scalar::Number), ".1.5").unwrap(),
            json!(1.5)
        );
        assert_eq!(
            cookie(false, strings(), "color=a%2Cb,c").unwrap(),
            Some(json!(["a,b", "c"]))
        );
        // Headers are not percent-decoded; items are trimmed.
        assert_eq!(
            header(false, strings(), "a%2Cb, c ,\td").unwrap(),
            json!(["a%2Cb", "c", "d"])
        );
        assert_eq!(
            header(true, rgb(), "R = 1, G=2").unwrap(),
            json!({"R": 1, "G": 2})
        );
        // In the query, decoding comes first: encoded delimiters split like literal ones.
        assert_eq!(
            query(Style::Form, false, strings(), "color=a%2Cb,c").unwrap(),
            Some(json!(["a", "b", "c"]))
        );
    }

    #[test]
    fn params_split_query() {
        assert_eq!(
            split_query("a=1&b=x+y%20z&&c&=v&d==e&").unwrap(),
            vec![
                ("a".to_owned(), "1".to_owned()),
                ("b".to_owned(), "x y z".to_owned()),
                ("c".to_owned(), String::new()),
                (String::new(), "v".to_owned()),
                ("d".to_owned(), "=e".to_owned()),
            ]
        );
        assert_eq!(
            split_query("n%61me%2B=%26%3D%2B").unwrap(),
            vec![("name+".to_owned(), "&=+".to_owned())]
        );
        assert_eq!(split_query("").unwrap(), vec![]);
        assert_eq!(
            split_query("a;b=1").unwrap(),
            vec![("a;b".to_owned(), "1".to_owned())]
        );
    }

    #[test]
    fn params_invalid_percent_encoding() {
        for bad in [
            "%",
            "%4",
            "%zz",
            "%G1",
            "a=%",
            "a=%ff",
            "a=%C3",
            "%80=1",
            "a=%e9t%e9",
        ] {
            assert_eq!(split_query(bad), Err(ParamError::ENCODING), "{bad:?}");
        }
        // A bad pair fails the whole query.
        assert_eq!(split_query("ok=1&bad=%FF"), Err(ParamError::ENCODING));
        assert_eq!(
            path(Style::Simple, false, string(), "%FF"),
            Err(ParamError::ENCODING)
        );
        assert_eq!(
            path(Style::Simple, false, strings(), "a,%2"),
            Err(ParamError::ENCODING)
        );
        // A UTF-8 sequence split by a delimiter is invalid in each part.
        assert_eq!(
            path(Style::Simple, false, strings(), "%C3,%A9"),
            Err(ParamError::ENCODING)
        );
        assert_eq!(
            path(Style::Label, false, string(), ".%C3%28"),
            Err(ParamError::ENCODING)
        );
        assert_eq!(
            path(Style::Matrix, false, string(), ";color=%ZZ"),
            Err(ParamError::ENCODING)
        );
        assert_eq!(
            path(Style::Matrix, false, string(), ";col%or=x"),
            Err(ParamError::ENCODING)
        );
        assert_eq!(
            cookie(false, string(), "color=%E2%82"),
            Err(ParamError::ENCODING)
        );
        // `%00` is valid UTF-8: decoded, left to the schema.
        assert_eq!(
            path(Style::Simple, false, string(), "a%00b").unwrap(),
            json!("a\u{0}b")
        );
    }

    // ---- Malformed styles ----

    /// The rule of an error, `"ok"` for a success.
    fn rule<T>(result: Result<T, ParamError>) -> &'static str {
        result.err().map_or("ok", |e| e.rule)
    }

    #[test]
    fn params_style_errors() {
        let style = "param.style";
        assert_eq!(rule(path(Style::Label, false, string(), "blue")), style);
        assert_eq!(rule(path(Style::Label, true, strings(), "")), style);
        assert_eq!(
            rule(path(Style::Matrix, false, string(), "color=blue")),
            style
        );
        assert_eq!(rule(path(Style::Matrix, false, string(), "")), style);
        assert_eq!(rule(path(Style::Matrix, false, string(), ";")), style);
        assert_eq!(
            rule(path(Style::Matrix, false, string(), ";other=blue")),
            style
        );
        assert_eq!(
            rule(path(Style::Matrix, false, string(), ";color=a;x=b")),
            style
        );
        assert_eq!(
            rule(path(Style::Matrix, false, strings(), ";color=a;color=b")),
            style
        );
        assert_eq!(
            rule(path(Style::Matrix, true, strings(), ";color=a;other=b")),
            style
        );
        // Odd key/value lists.
        assert_eq!(rule(path(Style::Simple, false, rgb(), "R,100,G")), style);
        assert_eq!(rule(path(Style::Label, false, rgb(), ".R.100.G")), style);
        assert_eq!(rule(path(Style::Matrix, false, rgb(), ";color=R")), style);
        assert_eq!(rule(query(Style::Form, false, rgb(), "color=R,1,G")), style);
        assert_eq!(
            rule(query(Style::PipeDelimited, false, rgb(), "color=R|1|G")),
            style
        );
        assert_eq!(rule(header(false, rgb(), "R")), style);
        assert_eq!(rule(cookie(false, rgb(), "color=R")), style);
        // Exploded entries without `=` (matrix reads them as empty values).
        assert_eq!(rule(path(Style::Simple, true, rgb(), "R=1,G")), style);
        assert_eq!(rule(path(Style::Label, true, rgb(), ".R=1.G")), style);
        assert_eq!(rule(header(true, rgb(), "R=1,G")), style);
        assert_eq!(
            path(Style::Matrix, true, rgb(), ";R=1;G").unwrap(),
            json!({"R": 1, "G": ""})
        );
        assert_eq!(
            path(Style::Matrix, true, strings(), ";color=a;color").unwrap(),
            json!(["a", ""])
        );
        // deepObject names.
        for bad in [
            "color=1",
            "color[]=1",
            "color[a][b]=1",
            "color[a=1",
            "color[a]x=1",
        ] {
            assert_eq!(
                rule(query(Style::DeepObject, true, rgb(), bad)),
                style,
                "{bad:?}"
            );
        }
    }

    // ---- HTTP parameter pollution ----

    #[test]
    fn params_repeated_refused() {
        let repeated = "param.repeated";
        assert_eq!(
            rule(query(Style::Form, true, string(), "color=a&color=b")),
            repeated
        );
        assert_eq!(
            rule(query(Style::Form, false, string(), "color=a&color=b")),
            repeated
        );
        // Also when the names only match once decoded.
        let integer = Shape::Scalar(Scalar::Integer);
        assert_eq!(
            rule(query(Style::Form, true, integer, "color=1&c%6Flor=2")),
            repeated
        );
        assert_eq!(
            rule(query(Style::Form, true, string(), "color=a&color=")),
            repeated
        );
        // Non-exploded arrays and objects take one value too.
        assert_eq!(
            rule(query(Style::Form, false, strings(), "color=a&color=b")),
            repeated
        );
        assert_eq!(
            rule(query(
                Style::SpaceDelimited,
                false,
                strings(),
                "color=a&color=b"
            )),
            repeated
        );
        assert_eq!(
            rule(query(
                Style::PipeDelimited,
                false,
                rgb(),
                "color=R|1&color=G|2"
            )),
            repeated
        );
        // Repeated object properties, in every object form.
        assert_eq!(
            rule(query(Style::Form, true, rgb(), "R=1&G=2&R=3")),
            repeated
        );
        assert_eq!(
            rule(query(
                Style::DeepObject,
                true,
                rgb(),
                "color[R]=1&color[R]=2"
            )),
            repeated
        );
        assert_eq!(
            rule(query(Style::Form, false, rgb(), "color=R,1,R,2")),
            repeated
        );
        assert_eq!(rule(path(Style::Simple, true, rgb(), "R=1,R=2")), repeated);
        // Keys are compared decoded.
        assert_eq!(
            rule(path(Style::Simple, false, rgb(), "R,1,%52,2")),
            repeated
        );
        assert_eq!(rule(path(Style::Matrix, true, rgb(), ";R=1;R=2")), repeated);
        assert_eq!(rule(path(Style::Label, true, rgb(), ".R=1.R=2")), repeated);
        assert_eq!(rule(header(true, rgb(), "R=1, R=2")), repeated);
        assert_eq!(rule(cookie(false, string(), "color=a; color=b")), repeated);
        // Exploded arrays repeat by design.
        assert_eq!(
            query(Style::Form, true, strings(), "color=a&x=1&color=b").unwrap(),
            Some(json!(["a", "b"]))
        );
        assert_eq!(
            query(Style::SpaceDelimited, true, strings(), "color=a&color=b").unwrap(),
            Some(json!(["a", "b"]))
        );
    }

    // ---- Cookies ----

    #[test]
    fn params_split_cookies() {
        assert_eq!(
            split_cookies(&["a=1; b=2;c=3", " d = x y ;; e ; f=\"q\"", ""]),
            vec![
                ("a".to_owned(), "1".to_owned()),
                ("b".to_owned(), "2".to_owned()),
                ("c".to_owned(), "3".to_owned()),
                ("d".to_owned(), "x y".to_owned()),
                ("e".to_owned(), String::new()),
                ("f".to_owned(), "\"q\"".to_owned()),
            ]
        );
        assert_eq!(
            split_cookies(&["a=b=c"]),
            vec![("a".to_owned(), "b=c".to_owned())]
        );
        assert_eq!(split_cookies(&[]), vec![]);
        // Across several headers, repeats are seen.
        assert_eq!(
            cookie(false, string(), "color=a").unwrap(),
            Some(json!("a"))
        );
        let spec = spec(Location::Cookie, Style::Form, false, string());
        assert_eq!(
            cookie_param(&spec, &split_cookies(&["color=a", "color=b"])),
            Err(ParamError::REPEATED)
        );
        // Cookie values are percent-decoded, `+` stays.
        assert_eq!(
            cookie(false, string(), "color=a+b%20c").unwrap(),
            Some(json!("a+b c"))
        );
        assert_eq!(
            cookie(
                true,
                Shape::Array(Scalar::Integer),
                "other=x; color=1,2,three"
            )
            .unwrap(),
            Some(json!([1, 2, "three"]))
        );
    }

    // ---- Round trips ----

    proptest! {
        #[test]
        fn params_roundtrip_integer_arrays(items in proptest::collection::vec(any::<i64>(), 0..8)) {
            let shape = Shape::Array(Scalar::Integer);
            let expected = json!(items);
            let joined = items.iter().map(i64::to_string).collect::<Vec<_>>().join(",");

            let flat = spec(Location::Query, Style::Form, false, shape.clone());
            let pairs = split_query(&format!("x=1&color={joined}")).unwrap();
            prop_assert_eq!(query_value(&flat, &pairs).unwrap(), Some(expected.clone()));

            let exploded = spec(Location::Query, Style::Form, true, shape.clone());
            let repeated = items.iter().map(|i| format!("color={i}")).collect::<Vec<_>>().join("&");
            let pairs = split_query(&repeated).unwrap();
            let value = query_value(&exploded, &pairs).unwrap();
            if items.is_empty() {
                prop_assert_eq!(value, None);
            } else {
                prop_assert_eq!(value, Some(expected.clone()));
            }

            for explode in [false, true] {
                let simple = spec(Location::Path, Style::Simple, explode, shape.clone());
                prop_assert_eq!(path_value(&simple, &joined).unwrap(), expected.clone());
                let header_spec = spec(Location::Header, Style::Simple, explode, shape.clone());
                prop_assert_eq!(header_value(&header_spec, &joined).unwrap(), expected.clone());
            }
        }

        #[test]
        fn params_roundtrip_encoded_string_arrays(items in proptest::collection::vec(".*", 1..6)) {
            let encode = |s: &String| {
                percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC)
                    .to_string()
            };
            let expected = json!(items);
            let encoded: Vec<String> = items.iter().map(encode).collect();
            // Simple path arrays: items keep their (encoded) commas.
            let simple = spec(Location::Path, Style::Simple, false, strings());
            let value = path_value(&simple, &encoded.join(",")).unwrap();
            if items.len() == 1 && items[0].is_empty() {
                prop_assert_eq!(value, json!([]));
            } else {
                prop_assert_eq!(value, expected.clone());
            }
            // Exploded matrix and form arrays, any item.
            let matrix = spec(Location::Path, Style::Matrix, true, strings());
            let raw: String = encoded.iter().map(|e| format!(";color={e}")).collect();
            prop_assert_eq!(path_value(&matrix, &raw).unwrap(), expected.clone());
            let form = spec(Location::Query, Style::Form, true, strings());
            let raw = encoded.iter().map(|e| format!("color={e}")).collect::<Vec<_>>().join("&");
            prop_assert_eq!(query_value(&form, &split_query(&raw).unwrap()).unwrap(), Some(expected));
        }
    }
}
