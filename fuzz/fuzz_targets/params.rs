//! OpenAPI parameter deserialization (`parapet_contract::params`): an arbitrary parameter
//! spec (any location, style, explode and shape, valid for the location or not) and arbitrary
//! raw text through every function. Nothing may panic, and what the strict mode relies on
//! must hold: a query parameter has a value only if some pair is claimed by it, a parameter no
//! pair claims is absent, a claimed scalar given twice is refused, and errors name one of the
//! three stable rules.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use parapet_contract::params::{
    Location, ParamError, ParamSpec, Scalar, Shape, Style, claims, cookie_param, cookie_value,
    header_value, path_value, query_value, split_cookies, split_query,
};

/// Mirror of [`Location`].
#[derive(Arbitrary, Debug, Clone, Copy)]
enum FuzzLocation {
    Path,
    Query,
    Header,
    Cookie,
}

/// Mirror of [`Style`].
#[derive(Arbitrary, Debug, Clone, Copy)]
enum FuzzStyle {
    Form,
    Simple,
    Label,
    Matrix,
    DeepObject,
    SpaceDelimited,
    PipeDelimited,
}

/// Mirror of [`Scalar`].
#[derive(Arbitrary, Debug, Clone, Copy)]
enum FuzzScalar {
    String,
    Integer,
    Number,
    Boolean,
    Null,
    Any,
}

/// Mirror of [`Shape`].
#[derive(Arbitrary, Debug, Clone)]
enum FuzzShape {
    Scalar(FuzzScalar),
    Array(FuzzScalar),
    Object(Vec<(String, FuzzScalar)>, FuzzScalar),
}

/// Mirror of the arguments of [`ParamSpec::new`].
#[derive(Arbitrary, Debug, Clone)]
struct FuzzSpec {
    name: String,
    location: FuzzLocation,
    style: Option<FuzzStyle>,
    explode: Option<bool>,
    shape: FuzzShape,
    allow_reserved: bool,
}

/// One run: a spec and raw inputs for every function.
#[derive(Arbitrary, Debug)]
struct Input {
    spec: FuzzSpec,
    /// A raw query string, for [`split_query`].
    query: String,
    /// Already decoded pairs, for [`query_value`] without [`split_query`].
    pairs: Vec<(String, String)>,
    /// A raw path segment, header value or cookie value.
    raw: String,
    /// `Cookie` header values.
    cookies: Vec<String>,
    /// A style name for [`Style::parse`].
    style_name: String,
}

impl From<FuzzLocation> for Location {
    fn from(l: FuzzLocation) -> Self {
        match l {
            FuzzLocation::Path => Location::Path,
            FuzzLocation::Query => Location::Query,
            FuzzLocation::Header => Location::Header,
            FuzzLocation::Cookie => Location::Cookie,
        }
    }
}

impl From<FuzzStyle> for Style {
    fn from(s: FuzzStyle) -> Self {
        match s {
            FuzzStyle::Form => Style::Form,
            FuzzStyle::Simple => Style::Simple,
            FuzzStyle::Label => Style::Label,
            FuzzStyle::Matrix => Style::Matrix,
            FuzzStyle::DeepObject => Style::DeepObject,
            FuzzStyle::SpaceDelimited => Style::SpaceDelimited,
            FuzzStyle::PipeDelimited => Style::PipeDelimited,
        }
    }
}

impl From<FuzzScalar> for Scalar {
    fn from(s: FuzzScalar) -> Self {
        match s {
            FuzzScalar::String => Scalar::String,
            FuzzScalar::Integer => Scalar::Integer,
            FuzzScalar::Number => Scalar::Number,
            FuzzScalar::Boolean => Scalar::Boolean,
            FuzzScalar::Null => Scalar::Null,
            FuzzScalar::Any => Scalar::Any,
        }
    }
}

impl From<FuzzShape> for Shape {
    fn from(s: FuzzShape) -> Self {
        match s {
            FuzzShape::Scalar(s) => Shape::Scalar(s.into()),
            FuzzShape::Array(s) => Shape::Array(s.into()),
            FuzzShape::Object(props, other) => Shape::Object(
                props.into_iter().map(|(n, s)| (n, s.into())).collect(),
                other.into(),
            ),
        }
    }
}

impl From<FuzzSpec> for ParamSpec {
    fn from(s: FuzzSpec) -> Self {
        let mut spec = ParamSpec::new(
            s.name,
            s.location.into(),
            s.style.map(Style::from),
            s.explode,
            s.shape.into(),
        );
        spec.allow_reserved = s.allow_reserved;
        spec
    }
}

/// Every error names one of the stable rules.
fn check_error(e: &ParamError) {
    assert!(
        matches!(e.rule, "param.style" | "param.encoding" | "param.repeated"),
        "unknown rule {}",
        e.rule
    );
    let _ = e.to_string();
}

/// A result renders, and its error has a stable rule.
fn check<T: std::fmt::Debug>(result: &Result<T, ParamError>) {
    match result {
        Ok(value) => {
            let _ = format!("{value:?}");
        }
        Err(e) => check_error(e),
    }
}

/// The strict mode's invariants of [`query_value`] against [`claims`].
fn check_query(spec: &ParamSpec, pairs: &[(String, String)]) {
    let result = query_value(spec, pairs);
    check(&result);
    let claimed = pairs.iter().filter(|(n, _)| claims(spec, n)).count();
    let query_style = spec.style.allowed_in(Location::Query);
    if let Ok(Some(value)) = &result {
        assert!(claimed > 0, "a value no pair is claimed for: {value:?}");
        let _ = serde_json::to_string(value);
    }
    if claimed == 0 && query_style {
        assert_eq!(result, Ok(None), "a parameter no pair claims is not absent");
    }
    let scalar = matches!(spec.shape, Shape::Scalar(_));
    if scalar && query_style && spec.style != Style::DeepObject && claimed > 1 {
        assert_eq!(
            result,
            Err(ParamError::REPEATED),
            "a repeated scalar query parameter is accepted"
        );
    }
}

fuzz_target!(|input: Input| {
    let _ = Style::parse(&input.style_name);
    let _ = Location::parse(&input.style_name);
    let spec: ParamSpec = input.spec.into();
    let _ = spec.validate();

    // Query: raw through split_query, and pairs as given.
    match split_query(&input.query) {
        Ok(pairs) => {
            for (name, _) in &pairs {
                let _ = claims(&spec, name);
            }
            check_query(&spec, &pairs);
        }
        Err(e) => check_error(&e),
    }
    check_query(&spec, &input.pairs);
    // The raw value as the parameter's own pair, once and twice.
    let own = vec![(spec.name.clone(), input.raw.clone())];
    check_query(&spec, &own);
    let twice = vec![
        (spec.name.clone(), input.raw.clone()),
        (spec.name.clone(), input.raw.clone()),
    ];
    check_query(&spec, &twice);

    // Path, header and cookie values, each with the spec as given and with the location's
    // default style.
    check(&path_value(&spec, &input.raw));
    check(&header_value(&spec, &input.raw));
    check(&cookie_value(&spec, &input.raw));
    for location in [Location::Path, Location::Header, Location::Cookie] {
        let mut defaulted = spec.clone();
        defaulted.location = location;
        defaulted.style = Style::default_for(location);
        let result = match location {
            Location::Path => path_value(&defaulted, &input.raw),
            Location::Header => header_value(&defaulted, &input.raw),
            _ => cookie_value(&defaulted, &input.raw),
        };
        check(&result);
        // Default styles are allowed at their location, so only the value can be wrong.
        assert!(
            defaulted.validate().is_ok(),
            "a default style does not validate"
        );
    }

    let headers: Vec<&str> = input.cookies.iter().map(String::as_str).collect();
    let cookies = split_cookies(&headers);
    for (name, value) in &cookies {
        assert!(!name.starts_with([' ', '\t']) && !name.ends_with([' ', '\t']));
        assert!(!value.starts_with([' ', '\t']) && !value.ends_with([' ', '\t']));
        assert!(!name.contains(';') && !value.contains(';'));
    }
    check(&cookie_param(&spec, &cookies));
});
