//! Turns the schemas of a description into what the JSON Schema 2020-12 validator checks,
//! once per direction:
//!
//! - OpenAPI 3.0 dialect → 2020-12: `nullable`, boolean `exclusiveMinimum`/`exclusiveMaximum`.
//! - `discriminator` with `oneOf`/`anyOf` → a choice by the discriminating property, so that
//!   overlapping branches (the usual case: branches without `additionalProperties: false`)
//!   do not make a valid body fail `oneOf`'s "exactly one".
//! - `readOnly` properties are not required in requests, `writeOnly` ones not in responses
//!   (OpenAPI 3.0 section 4.7.25.1, JSON Schema validation section 9.4).
//!
//! Every other keyword is left as written.

use super::{Documents, Loc, METHODS, Version};
use serde_json::{Map, Value, json};
use std::collections::BTreeSet;

/// Which messages a view of the schemas checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// Client to API: `readOnly` properties are not required (and are refused elsewhere).
    Request,
    /// API to client: `writeOnly` properties are not required (and are removed elsewhere).
    Response,
}

/// Where the schemas of `docs` are: every schema reachable from the operations and
/// components, through `$ref`s across files.
pub fn schema_locations(docs: &Documents) -> BTreeSet<Loc> {
    let mut walk = Walk {
        docs,
        schemas: BTreeSet::new(),
        seen: BTreeSet::new(),
        nesting: 0,
    };
    let root = Loc {
        file: 0,
        pointer: String::new(),
    };
    walk.document(&root);
    walk.schemas
}

/// The files of `docs`, with every schema at `locations` converted for `direction`.
pub fn view(docs: &Documents, locations: &BTreeSet<Loc>, direction: Direction) -> Vec<Value> {
    let mut values = docs.values.clone();
    for loc in locations {
        let Some(node) = values[loc.file].pointer(&loc.pointer).cloned() else {
            continue;
        };
        let mut node = node;
        convert(docs, loc.file, &mut node, direction);
        if let Some(slot) = values[loc.file].pointer_mut(&loc.pointer) {
            *slot = node;
        }
    }
    values
}

struct Walk<'a> {
    docs: &'a Documents,
    schemas: BTreeSet<Loc>,
    seen: BTreeSet<Loc>,
    /// Schemas being walked, one referencing the next.
    nesting: usize,
}

impl Walk<'_> {
    /// Follows a reference object to what it names (for non-schema objects).
    fn deref(&mut self, loc: &Loc) -> Option<Loc> {
        self.docs.resolve(loc).map(|(l, _)| l)
    }

    fn keys(&self, loc: &Loc) -> Vec<String> {
        match self.docs.get(loc) {
            Some(Value::Object(m)) => m.keys().cloned().collect(),
            _ => Vec::new(),
        }
    }

    fn count(&self, loc: &Loc) -> usize {
        self.docs
            .get(loc)
            .and_then(Value::as_array)
            .map_or(0, Vec::len)
    }

    fn document(&mut self, root: &Loc) {
        let paths = root.child("paths");
        for p in self.keys(&paths) {
            let item = paths.child(&p);
            self.path_item(&item);
        }
        let webhooks = root.child("webhooks");
        for w in self.keys(&webhooks) {
            let item = webhooks.child(&w);
            self.path_item(&item);
        }
        let components = root.child("components");
        let schemas = components.child("schemas");
        for s in self.keys(&schemas) {
            let loc = schemas.child(&s);
            self.schema(&loc);
        }
        for (kind, f) in [
            ("parameters", Walk::parameter as fn(&mut Self, &Loc)),
            ("headers", Walk::parameter),
            ("requestBodies", Walk::content_holder),
            ("responses", Walk::response),
            ("pathItems", Walk::path_item),
        ] {
            let group = components.child(kind);
            for k in self.keys(&group) {
                let loc = group.child(&k);
                f(self, &loc);
            }
        }
    }

    fn path_item(&mut self, loc: &Loc) {
        let Some(loc) = self.deref(loc) else { return };
        if !self.seen.insert(loc.clone()) {
            return;
        }
        self.parameters(&loc.child("parameters"));
        for m in METHODS {
            let op = loc.child(m);
            if self.docs.get(&op).is_some() {
                self.parameters(&op.child("parameters"));
                self.content_holder(&op.child("requestBody"));
                let responses = op.child("responses");
                for code in self.keys(&responses) {
                    let r = responses.child(&code);
                    self.response(&r);
                }
                let callbacks = op.child("callbacks");
                for c in self.keys(&callbacks) {
                    let Some(cb) = self.deref(&callbacks.child(&c)) else {
                        continue;
                    };
                    for expr in self.keys(&cb) {
                        let item = cb.child(&expr);
                        self.path_item(&item);
                    }
                }
            }
        }
    }

    fn parameters(&mut self, loc: &Loc) {
        for p in loc.items(self.count(loc)) {
            self.parameter(&p);
        }
    }

    /// A parameter or a header: a `schema`, or a `content` map.
    fn parameter(&mut self, loc: &Loc) {
        let Some(loc) = self.deref(loc) else { return };
        self.schema(&loc.child("schema"));
        self.content(&loc.child("content"));
    }

    /// A request body (something with `content`).
    fn content_holder(&mut self, loc: &Loc) {
        let Some(loc) = self.deref(loc) else { return };
        self.content(&loc.child("content"));
    }

    fn response(&mut self, loc: &Loc) {
        let Some(loc) = self.deref(loc) else { return };
        self.content(&loc.child("content"));
        let headers = loc.child("headers");
        for h in self.keys(&headers) {
            let header = headers.child(&h);
            self.parameter(&header);
        }
    }

    fn content(&mut self, loc: &Loc) {
        for media in self.keys(loc) {
            let m = loc.child(&media);
            self.schema(&m.child("schema"));
        }
    }

    /// A schema: recorded, and the schemas it references walked too.
    fn schema(&mut self, loc: &Loc) {
        let Some(value) = self.docs.get(loc) else {
            return;
        };
        // Reference chains nest no deeper than the shapes compiled from them.
        if self.nesting >= crate::schema::MAX_NESTING || !self.schemas.insert(loc.clone()) {
            return;
        }
        let mut refs = Vec::new();
        super::collect_refs(value, &mut String::new(), &mut refs);
        self.nesting += 1;
        for (_, r) in refs {
            if let Some(target) = self.docs.target(loc.file, &r) {
                self.schema(&target);
            }
        }
        self.nesting -= 1;
    }
}

/// Keywords whose value is a schema.
const SCHEMA_KEYWORDS: [&str; 10] = [
    "additionalProperties",
    "items",
    "not",
    "if",
    "then",
    "else",
    "contains",
    "propertyNames",
    "unevaluatedItems",
    "unevaluatedProperties",
];
/// Keywords whose value is an array of schemas.
const SCHEMA_ARRAY_KEYWORDS: [&str; 4] = ["allOf", "anyOf", "oneOf", "prefixItems"];
/// Keywords whose value is a map of schemas.
const SCHEMA_MAP_KEYWORDS: [&str; 5] = [
    "properties",
    "patternProperties",
    "dependentSchemas",
    "$defs",
    "definitions",
];

/// Converts one schema (and the schemas nested in it, not those it references) in place.
fn convert(docs: &Documents, file: usize, node: &mut Value, direction: Direction) {
    let Value::Object(map) = node else { return };
    if docs.version == Version::V30 {
        dialect_30(map);
    }
    skip_required(docs, file, map, direction);
    discriminate(map);
    for k in SCHEMA_KEYWORDS {
        if let Some(v) = map.get_mut(k) {
            convert(docs, file, v, direction);
        }
    }
    for k in SCHEMA_ARRAY_KEYWORDS {
        if let Some(Value::Array(items)) = map.get_mut(k) {
            for v in items {
                convert(docs, file, v, direction);
            }
        }
    }
    for k in SCHEMA_MAP_KEYWORDS {
        if let Some(Value::Object(m)) = map.get_mut(k) {
            for v in m.values_mut() {
                convert(docs, file, v, direction);
            }
        }
    }
}

/// OpenAPI 3.0's own keywords, as JSON Schema 2020-12 says them.
fn dialect_30(map: &mut Map<String, Value>) {
    for (exclusive, bound) in [
        ("exclusiveMinimum", "minimum"),
        ("exclusiveMaximum", "maximum"),
    ] {
        match map.get(exclusive) {
            Some(Value::Bool(true)) => {
                let limit = map.remove(bound).unwrap_or(Value::Null);
                if limit.is_number() {
                    map.insert(exclusive.into(), limit);
                } else {
                    map.remove(exclusive);
                }
            }
            Some(Value::Bool(false)) => {
                map.remove(exclusive);
            }
            _ => {}
        }
    }
    if map.remove("nullable") != Some(Value::Bool(true)) {
        return;
    }
    match map.get_mut("type") {
        Some(Value::String(t)) => {
            let t = std::mem::take(t);
            map.insert("type".into(), json!([t, "null"]));
            if let Some(Value::Array(values)) = map.get_mut("enum")
                && !values.contains(&Value::Null)
            {
                values.push(Value::Null);
            }
        }
        Some(_) => {}
        None => {
            // `nullable` next to `$ref`/`allOf`…: null, or whatever the rest allows.
            let rest = std::mem::take(map);
            map.insert("anyOf".into(), json!([{ "type": "null" }, rest]));
        }
    }
}

/// Whether property `schema` (found in `file`) is marked `keyword: true`: itself, through
/// `$ref`s, or through one of its `allOf` members.
pub fn marked(docs: &Documents, file: usize, schema: &Value, keyword: &str) -> bool {
    marked_within(docs, file, schema, keyword, 0)
}

fn marked_within(docs: &Documents, file: usize, schema: &Value, keyword: &str, depth: u8) -> bool {
    if depth > 16 {
        return false;
    }
    if schema.get(keyword) == Some(&Value::Bool(true)) {
        return true;
    }
    if let Some(r) = schema.get("$ref").and_then(Value::as_str)
        && let Some(loc) = docs.target(file, r)
        && let Some(target) = docs.get(&loc)
        && marked_within(docs, loc.file, target, keyword, depth + 1)
    {
        return true;
    }
    schema
        .get("allOf")
        .and_then(Value::as_array)
        .is_some_and(|all| {
            all.iter()
                .any(|s| marked_within(docs, file, s, keyword, depth + 1))
        })
}

/// The properties a schema declares itself and through its `allOf` members (references
/// followed), each with the file it was found in.
fn declared_properties<'d>(
    docs: &'d Documents,
    file: usize,
    map: &'d Map<String, Value>,
) -> Vec<(usize, &'d Map<String, Value>)> {
    let mut out = Vec::new();
    if let Some(Value::Object(props)) = map.get("properties") {
        out.push((file, props));
    }
    for member in map
        .get("allOf")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let (f, m) = match member.get("$ref").and_then(Value::as_str) {
            Some(r) => match docs.target(file, r).and_then(|l| docs.resolve(&l)) {
                Some((loc, v)) => (loc.file, v),
                None => continue,
            },
            None => (file, member),
        };
        if let Some(Value::Object(props)) = m.get("properties") {
            out.push((f, props));
        }
    }
    out
}

/// Drops from `required` the properties the other direction owns.
fn skip_required(docs: &Documents, file: usize, map: &mut Map<String, Value>, d: Direction) {
    let keyword = match d {
        Direction::Request => "readOnly",
        Direction::Response => "writeOnly",
    };
    // `allOf: [{$ref: User}, {required: [id]}]`: `id` is declared by a sibling.
    let skipped: Vec<String> = declared_properties(docs, file, map)
        .into_iter()
        .flat_map(|(f, props)| {
            props
                .iter()
                .filter(move |(_, s)| marked(docs, f, s, keyword))
                .map(|(k, _)| k.clone())
        })
        .collect();
    if skipped.is_empty() {
        return;
    }
    let keep = |r: &Value| r.as_str().is_none_or(|r| !skipped.iter().any(|s| s == r));
    if let Some(Value::Array(required)) = map.get_mut("required") {
        required.retain(keep);
    }
    for member in map
        .get_mut("allOf")
        .and_then(Value::as_array_mut)
        .into_iter()
        .flatten()
    {
        if let Some(Value::Array(required)) = member.get_mut("required") {
            required.retain(keep);
        }
    }
}

/// The schema a discriminator value selects, as a `$ref` string.
fn mapping_target(value: &str) -> String {
    let file = [".json", ".yaml", ".yml"]
        .iter()
        .any(|e| value.ends_with(e));
    if value.contains('#') || value.contains('/') || file {
        value.to_string()
    } else {
        // A schema name, which may hold dots (`com.example.Dog`).
        format!("#/components/schemas/{value}")
    }
}

/// The discriminator values of a schema with a `discriminator`, each with the `$ref` it
/// selects: the explicit mapping, then each referenced `oneOf`/`anyOf` branch by its name.
/// (A base schema that its subtypes extend through `allOf` has the mapping only.)
pub fn discriminator_values(map: &Map<String, Value>) -> Option<(String, Vec<(String, String)>)> {
    let disc = map.get("discriminator")?;
    let property = disc.get("propertyName")?.as_str()?.to_string();
    let branches = map
        .get("oneOf")
        .or_else(|| map.get("anyOf"))
        .and_then(Value::as_array);
    let mut values: Vec<(String, String)> = Vec::new();
    if let Some(Value::Object(mapping)) = disc.get("mapping") {
        for (k, v) in mapping {
            if let Some(v) = v.as_str() {
                values.push((k.clone(), mapping_target(v)));
            }
        }
    }
    for b in branches.into_iter().flatten() {
        let Some(r) = b.get("$ref").and_then(Value::as_str) else {
            continue;
        };
        if values.iter().any(|(_, target)| target == r) {
            continue;
        }
        let name = r.rsplit('/').next().unwrap_or(r);
        if !values.iter().any(|(k, _)| k == name) {
            values.push((name.to_string(), r.to_string()));
        }
    }
    Some((property, values))
}

/// `oneOf` + `discriminator` → the branch the discriminating property names.
fn discriminate(map: &mut Map<String, Value>) {
    let Some((property, values)) = discriminator_values(map) else {
        return;
    };
    // Only the alternatives the discriminator chooses among are replaced (a sibling
    // `anyOf` stays); a base schema without alternatives is left as written.
    let Some(key) = ["oneOf", "anyOf"]
        .into_iter()
        .find(|k| map.contains_key(*k))
    else {
        return;
    };
    if values.is_empty() {
        return;
    }
    map.remove(key);
    let names: Vec<&str> = values.iter().map(|(k, _)| k.as_str()).collect();
    let mut all_of = vec![json!({
        "type": "object",
        "required": [property],
        "properties": { property.clone(): { "enum": names } }
    })];
    for (value, target) in &values {
        all_of.push(json!({
            "if": { "properties": { property.clone(): { "const": value } } },
            "then": { "$ref": target }
        }));
    }
    match map.get_mut("allOf") {
        Some(Value::Array(existing)) => existing.extend(all_of),
        _ => {
            map.insert("allOf".into(), Value::Array(all_of));
        }
    }
}
