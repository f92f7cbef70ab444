//! Compiled schemas: a JSON Schema 2020-12 validator per schema and direction (compiled once,
//! at load), and a *shape* tree that knows what the validator does not check by itself:
//! which properties a schema declares (unknown ones are refused in strict mode and removed
//! from responses), which are `readOnly` (refused in requests: mass assignment) and which
//! are `writeOnly` (removed from responses).

use crate::spec::convert::{self, Direction, discriminator_values};
use crate::spec::{Documents, Loc, SpecError};
use crate::violation::{Part, Violation, push_token};
use jsonschema::{Draft, PatternOptions, Registry, Validator};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write;

/// Formats OpenAPI adds to JSON Schema's: `byte` (base64), and those that only document
/// here (`binary`, `password`, `float`, `double`; `int32`/`int64` are checked on numbers).
fn openapi_formats(o: jsonschema::ValidationOptions<'_>) -> jsonschema::ValidationOptions<'_> {
    // int32/int64 describe numbers (checked by the structure walk); on strings they only
    // document, as some APIs send 64-bit integers as strings.
    o.with_format("int32", |_: &str| true)
        .with_format("int64", |_: &str| true)
        .with_format("byte", is_base64)
        .with_format("binary", |_: &str| true)
        .with_format("password", |_: &str| true)
        .with_format("float", |_: &str| true)
        .with_format("double", |_: &str| true)
}

fn is_base64(s: &str) -> bool {
    let bytes = s.as_bytes();
    if !bytes.len().is_multiple_of(4) {
        return false;
    }
    let body = s.trim_end_matches('=');
    bytes.len() - body.len() <= 2
        && body
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/')
}

/// Integer formats are checked on numbers (JSON Schema formats apply to strings only): an
/// integral value out of the format's range breaks it; a fractional one is left to `type`.
fn integer_format_violation(format: &str, v: &Value) -> bool {
    let Value::Number(n) = v else { return false };
    let integral = match (n.as_i64(), n.as_u64(), n.as_f64()) {
        (Some(i), _, _) => i128::from(i),
        (None, Some(u), _) => i128::from(u),
        (None, None, Some(f)) if f.fract() == 0.0 && f.abs() >= 1e30 => return true,
        (None, None, Some(f)) if f.fract() == 0.0 => f as i128,
        _ => return false,
    };
    match format {
        "int32" => i32::try_from(integral).is_err(),
        "int64" => i64::try_from(integral).is_err(),
        _ => false,
    }
}

/// Index of a shape in [`Shapes`].
pub type ShapeId = usize;

/// A property a schema declares.
#[derive(Clone, Debug, Default)]
struct Prop {
    shape: ShapeId,
    read_only: bool,
    write_only: bool,
}

/// What a schema says about the structure of an instance.
#[derive(Clone, Debug, Default)]
struct Shape {
    /// Declared properties.
    props: BTreeMap<String, Prop>,
    /// Declares that other properties are allowed (`additionalProperties` not `false`,
    /// `patternProperties`, `unevaluatedProperties` not `false`).
    open: bool,
    /// Declares `additionalProperties: false` or `unevaluatedProperties: false`.
    closed: bool,
    /// The schema of other properties.
    additional: Option<ShapeId>,
    /// Items of an array.
    items: Option<ShapeId>,
    /// Leading items of an array (`prefixItems`).
    prefix: Vec<ShapeId>,
    /// Schemas that apply together (`allOf`, `$ref`).
    all: Vec<ShapeId>,
    /// Alternatives (`oneOf`, `anyOf`).
    any: Vec<ShapeId>,
    /// The discriminating property and the branch each value selects.
    discriminator: Option<(String, HashMap<String, ShapeId>)>,
    /// The integer format to check on numbers.
    int_format: Option<&'static str>,
}

/// Every shape of a contract.
#[derive(Debug, Default)]
pub struct Shapes {
    nodes: Vec<Shape>,
}

/// A schema compiled for one direction.
#[derive(Debug)]
pub struct Schema {
    validator: Validator,
    shape: ShapeId,
}

/// Compiles the schemas of a description.
pub struct Compiler<'d> {
    docs: &'d Documents,
    request: Registry<'static>,
    response: Registry<'static>,
    shapes: Shapes,
    compiled: HashMap<Loc, ShapeId>,
    /// Shapes being compiled, one inside the other.
    nesting: usize,
}

/// How deep schemas may nest (through properties, items and references) before the rest
/// is taken as allowing anything.
pub const MAX_NESTING: usize = 200;

impl<'d> Compiler<'d> {
    /// Prepares both views of `docs` for compiling.
    pub fn new(docs: &'d Documents) -> Result<Self, SpecError> {
        let locations = convert::schema_locations(docs);
        let registry = |d: Direction| {
            let values = convert::view(docs, &locations, d);
            let pairs: Vec<(String, Value)> = values
                .into_iter()
                .enumerate()
                .map(|(i, v)| (docs.uri(i), v))
                .collect();
            Registry::new()
                .draft(Draft::Draft202012)
                .extend(pairs)
                .and_then(|b| b.prepare())
                .map_err(|e| SpecError::new(&docs.files[0], "", format!("schemas: {e}")))
        };
        Ok(Compiler {
            docs,
            request: registry(Direction::Request)?,
            response: registry(Direction::Response)?,
            shapes: Shapes::default(),
            compiled: HashMap::new(),
            nesting: 0,
        })
    }

    /// The schema at `loc`, compiled for `direction`.
    pub fn schema(&mut self, loc: &Loc, direction: Direction) -> Result<Schema, SpecError> {
        let registry = match direction {
            Direction::Request => &self.request,
            Direction::Response => &self.response,
        };
        let mut reference = self.docs.uri(loc.file);
        reference.push('#');
        reference.push_str(&pointer_fragment(&loc.pointer));
        let options = jsonschema::options()
            .with_draft(Draft::Draft202012)
            .with_registry(registry)
            .should_validate_formats(true)
            .with_pattern_options(PatternOptions::fancy_regex().backtrack_limit(100_000));
        let validator = openapi_formats(options)
            .build(&serde_json::json!({ "$ref": reference }))
            .map_err(|e| {
                let at = e.instance_path().as_str();
                let reason = if at.is_empty() {
                    e.to_string()
                } else {
                    format!("{e} (at {at} of the schema)")
                };
                SpecError::new(&self.docs.files[loc.file], &loc.pointer, reason)
            })?;
        let shape = self.shape(loc);
        Ok(Schema { validator, shape })
    }

    /// The shapes compiled so far (all of them, once every schema is compiled).
    pub fn finish(self) -> Shapes {
        self.shapes
    }

    /// The shape of the schema at `loc`. References nest at most [`MAX_NESTING`] deep; a
    /// deeper schema is taken as allowing anything (a hostile spec cannot exhaust the stack).
    fn shape(&mut self, loc: &Loc) -> ShapeId {
        if let Some(id) = self.compiled.get(loc) {
            return *id;
        }
        if self.nesting >= MAX_NESTING {
            let id = self.shapes.nodes.len();
            self.shapes.nodes.push(Shape {
                open: true,
                ..Shape::default()
            });
            return id;
        }
        self.nesting += 1;
        let id = self.shape_of(loc);
        self.nesting -= 1;
        id
    }

    fn shape_of(&mut self, loc: &Loc) -> ShapeId {
        let id = self.shapes.nodes.len();
        self.shapes.nodes.push(Shape::default());
        self.compiled.insert(loc.clone(), id);
        let Some(Value::Object(map)) = self.docs.get(loc).cloned() else {
            // `true`, or a missing target (already reported by the validator): anything.
            self.shapes.nodes[id].open = true;
            return id;
        };
        let mut shape = Shape::default();
        let at = |token: &str| loc.child(token);
        if let Some(r) = map.get("$ref").and_then(Value::as_str)
            && let Some(target) = self.docs.target(loc.file, r)
        {
            shape.all.push(self.shape(&target));
        }
        if let Some(Value::Object(props)) = map.get("properties") {
            let props_loc = at("properties");
            for (name, schema) in props {
                let prop_loc = props_loc.child(name);
                let prop = Prop {
                    shape: self.shape(&prop_loc),
                    read_only: convert::marked(self.docs, loc.file, schema, "readOnly"),
                    write_only: convert::marked(self.docs, loc.file, schema, "writeOnly"),
                };
                shape.props.insert(name.clone(), prop);
            }
        }
        for key in ["additionalProperties", "unevaluatedProperties"] {
            match map.get(key) {
                Some(Value::Bool(false)) => shape.closed = true,
                Some(Value::Object(_)) => {
                    shape.open = true;
                    shape.additional = Some(self.shape(&at(key)));
                }
                Some(_) => shape.open = true,
                None => {}
            }
        }
        if map.contains_key("patternProperties") {
            shape.open = true;
        }
        match map.get("items") {
            Some(Value::Object(_)) => shape.items = Some(self.shape(&at("items"))),
            Some(Value::Array(items)) => {
                // Draft 4 style tuple items, seen in some 3.0 descriptions.
                for l in at("items").items(items.len()) {
                    shape.prefix.push(self.shape(&l));
                }
            }
            _ => {}
        }
        if let Some(Value::Array(items)) = map.get("prefixItems") {
            for l in at("prefixItems").items(items.len()) {
                shape.prefix.push(self.shape(&l));
            }
        }
        for (key, all) in [("allOf", true), ("oneOf", false), ("anyOf", false)] {
            let Some(Value::Array(items)) = map.get(key) else {
                continue;
            };
            for l in at(key).items(items.len()) {
                let s = self.shape(&l);
                if all {
                    shape.all.push(s);
                } else {
                    shape.any.push(s);
                }
            }
        }
        // Properties declared under a condition are declared (the validator judges whether
        // they apply).
        for key in ["then", "else"] {
            if map.get(key).is_some_and(Value::is_object) {
                shape.any.push(self.shape(&at(key)));
            }
        }
        if let Some(Value::Object(deps)) = map.get("dependentSchemas") {
            let base = at("dependentSchemas");
            for name in deps.keys() {
                shape.any.push(self.shape(&base.child(name)));
            }
        }
        if let Some((property, values)) = discriminator_values(&map) {
            let mut branches = HashMap::new();
            for (value, target) in values {
                if let Some(t) = self.docs.target(loc.file, &target) {
                    branches.insert(value, self.shape(&t));
                }
            }
            shape.discriminator = Some((property, branches));
        }
        shape.int_format = match map.get("format").and_then(Value::as_str) {
            Some("int32") => Some("int32"),
            Some("int64") => Some("int64"),
            _ => None,
        };
        self.shapes.nodes[id] = shape;
        id
    }
}

/// A JSON pointer as a URI fragment (percent-encoding what a fragment cannot hold).
fn pointer_fragment(pointer: &str) -> String {
    const FRAGMENT: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS
        .add(b' ')
        .add(b'"')
        .add(b'#')
        .add(b'%')
        .add(b'<')
        .add(b'>')
        .add(b'[')
        .add(b']')
        .add(b'\\')
        .add(b'^')
        .add(b'`')
        .add(b'{')
        .add(b'|')
        .add(b'}');
    percent_encoding::utf8_percent_encode(pointer, FRAGMENT).to_string()
}

/// How to judge the structure of an instance, beyond the validator.
#[derive(Clone, Copy, Debug)]
pub struct Judge {
    /// Which message.
    pub direction: Direction,
    /// Requests: refuse properties no schema declares (an absent `additionalProperties`
    /// counts as `false`, except on free-form objects that declare no property at all).
    pub strict: bool,
    /// Responses: remove undeclared and `writeOnly` properties.
    pub filter: bool,
    /// Most violations kept.
    pub max: usize,
}

/// What a check found.
#[derive(Debug, Default)]
pub struct Findings {
    /// Broken rules, at most the limit given.
    pub violations: Vec<Violation>,
    /// Whether more were found than kept.
    pub truncated: bool,
    /// Pointers of the properties removed from a response.
    pub removed: Vec<String>,
}

impl Findings {
    /// Records a violation unless `max` are already kept.
    pub fn push(&mut self, v: Violation, max: usize) {
        if self.violations.len() < max {
            self.violations.push(v);
        } else {
            self.truncated = true;
        }
    }
}

impl Schema {
    /// Whether `value` passes the validator (the fast path of a check).
    pub fn is_valid(&self, value: &Value) -> bool {
        self.validator.is_valid(value)
    }

    /// Checks `value` (a `part` of a message): the validator's errors, then the structure
    /// rules of `judge`, which may also remove properties from it.
    pub fn check(
        &self,
        shapes: &Shapes,
        value: &mut Value,
        part: Part,
        prefix: &str,
        judge: Judge,
        out: &mut Findings,
    ) {
        let max = judge.max;
        if !self.validator.is_valid(value) {
            for e in self.validator.iter_errors(value) {
                let mut pointer = format!("{prefix}{}", e.instance_path().as_str());
                let rule = e.kind().keyword().to_string();
                if let jsonschema::error::ValidationErrorKind::Required { property } = e.kind()
                    && let Some(p) = property.as_str()
                {
                    push_token(&mut pointer, p);
                }
                out.push(Violation::new(part, pointer, rule), max);
                if out.truncated {
                    break;
                }
            }
        }
        let mut walk = Walk {
            shapes,
            judge,
            part,
            max,
            out,
            scratch: Vec::with_capacity(32),
        };
        let mut pointer = prefix.to_string();
        walk.value(&[self.shape], value, &mut pointer, 0);
    }
}

/// The most schemas that apply together to one value (`allOf`, references, alternatives
/// without a discriminator); past it, the remaining ones are not consulted.
const MAX_FLATTENED: usize = 256;

/// How deep the structure walk goes (the JSON limits keep bodies far shallower).
const MAX_WALK_DEPTH: usize = 128;

struct Walk<'a> {
    shapes: &'a Shapes,
    judge: Judge,
    part: Part,
    max: usize,
    out: &'a mut Findings,
    /// The flattened shapes of the values being walked, a stack shared by every level (so
    /// a walk allocates it once): a level's shapes are `scratch[start..end]`.
    scratch: Vec<ShapeId>,
}

impl Walk<'_> {
    /// Appends the shapes that apply together at `id`: itself, what it references and its
    /// `allOf`, and for alternatives the branch a discriminator selects (or every branch).
    fn flatten(&mut self, id: ShapeId, value: &Value, start: usize) {
        if self.scratch[start..].contains(&id) || self.scratch.len() - start > MAX_FLATTENED {
            return;
        }
        self.scratch.push(id);
        let shapes = self.shapes;
        let shape = &shapes.nodes[id];
        for &s in &shape.all {
            self.flatten(s, value, start);
        }
        let chosen = shape.discriminator.as_ref().and_then(|(prop, branches)| {
            value
                .get(prop)
                .and_then(Value::as_str)
                .and_then(|v| branches.get(v))
        });
        match chosen {
            Some(&branch) => self.flatten(branch, value, start),
            None => {
                for &s in &shape.any {
                    self.flatten(s, value, start);
                }
            }
        }
    }

    /// Walks `value` with the shapes `ids`, which apply together.
    fn value(&mut self, ids: &[ShapeId], value: &mut Value, pointer: &mut String, depth: usize) {
        if depth > MAX_WALK_DEPTH
            || matches!(value, Value::String(_) | Value::Bool(_) | Value::Null)
        {
            return;
        }
        let start = self.scratch.len();
        for &id in ids {
            self.flatten(id, value, start);
        }
        let end = self.scratch.len();
        let shapes = self.shapes;
        match value {
            Value::Object(map) => self.object(start..end, map, pointer, depth),
            Value::Array(items) => {
                let tuple = (start..end).any(|n| !shapes.nodes[self.scratch[n]].prefix.is_empty());
                let mut item_shapes: Vec<ShapeId> = Vec::new();
                for (i, item) in items.iter_mut().enumerate() {
                    if i == 0 || tuple {
                        item_shapes.clear();
                        item_shapes.extend((start..end).filter_map(|n| {
                            let s = &shapes.nodes[self.scratch[n]];
                            s.prefix.get(i).copied().or(s.items)
                        }));
                    }
                    if item_shapes.is_empty() {
                        continue;
                    }
                    let len = pointer.len();
                    let _ = write!(pointer, "/{i}");
                    self.value(&item_shapes, item, pointer, depth + 1);
                    pointer.truncate(len);
                }
            }
            Value::Number(_) => {
                let format = (start..end).find_map(|n| shapes.nodes[self.scratch[n]].int_format);
                if let Some(f) = format
                    && integer_format_violation(f, value)
                {
                    self.out.push(
                        Violation::new(self.part, pointer.clone(), "format"),
                        self.max,
                    );
                }
            }
            _ => {}
        }
        self.scratch.truncate(start);
    }

    fn object(
        &mut self,
        nodes: std::ops::Range<usize>,
        map: &mut serde_json::Map<String, Value>,
        pointer: &mut String,
        depth: usize,
    ) {
        let shapes = self.shapes;
        let shape = |w: &Self, i: usize| &shapes.nodes[w.scratch[i]];
        let declares = nodes.clone().any(|i| !shape(self, i).props.is_empty());
        let closed = nodes.clone().any(|i| shape(self, i).closed);
        let open = nodes.clone().any(|i| shape(self, i).open) || (!declares && !closed);
        let additional: Vec<ShapeId> = nodes
            .clone()
            .filter_map(|i| shape(self, i).additional)
            .collect();
        let mut remove = Vec::new();
        let mut declared: Vec<ShapeId> = Vec::new();
        for (key, v) in map.iter_mut() {
            // Every schema that applies and declares the property counts: one marks it
            // readOnly, another gives its type.
            declared.clear();
            let (mut read_only, mut write_only) = (false, false);
            for i in nodes.clone() {
                if let Some(p) = shape(self, i).props.get(key) {
                    read_only |= p.read_only;
                    write_only |= p.write_only;
                    declared.push(p.shape);
                }
            }
            let len = pointer.len();
            push_token(pointer, key);
            match (declared.is_empty(), self.judge.direction) {
                (false, Direction::Request) if read_only => {
                    self.out.push(
                        Violation::new(self.part, pointer.clone(), "readOnly"),
                        self.max,
                    );
                }
                (false, Direction::Response) if write_only && self.judge.filter => {
                    remove.push(key.clone());
                    self.out.removed.push(pointer.clone());
                }
                (false, _) => {
                    let ids = std::mem::take(&mut declared);
                    self.value(&ids, v, pointer, depth + 1);
                    declared = ids;
                }
                (true, _) if open => {
                    if !additional.is_empty() {
                        self.value(&additional, v, pointer, depth + 1);
                    }
                }
                (true, Direction::Request) if self.judge.strict && !closed => {
                    self.out.push(
                        Violation::new(self.part, pointer.clone(), "additionalProperties"),
                        self.max,
                    );
                }
                (true, Direction::Response) if self.judge.filter => {
                    remove.push(key.clone());
                    self.out.removed.push(pointer.clone());
                }
                (true, _) => {}
            }
            pointer.truncate(len);
        }
        for key in remove {
            map.remove(&key);
        }
    }
}
