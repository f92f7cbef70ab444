//! A whole description, compiled: the router over its path templates and every operation.
//! Loading reports every problem found, each with its file and JSON pointer.

use crate::body::{self, Kind};
use crate::operation::{self, Media, Operation, Param, RequestBody, Response};
use crate::params::{Location, ParamSpec};
use crate::router::{RouteError, Router};
use crate::schema::{Compiler, Shapes};
use crate::spec::convert::Direction;
use crate::spec::{Documents, Loc, METHODS, SpecError, Version};
use http::Method;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// A compiled contract.
#[derive(Debug)]
pub struct Contract {
    router: Router,
    /// Per path template: its operations by method.
    paths: Vec<Vec<(Method, usize)>>,
    operations: Vec<Operation>,
    shapes: Shapes,
    files: Vec<PathBuf>,
    version: Version,
}

/// What the contract says of a method and path.
#[derive(Debug)]
pub enum Lookup<'c, 'p> {
    /// A declared operation, with the raw values of its path parameters.
    Found(&'c Operation, Vec<(String, &'p str)>),
    /// The path is declared, not with this method: these are.
    MethodNotAllowed(Vec<Method>),
    /// No declared path matches.
    NotFound,
}

impl Contract {
    /// Loads and compiles the description at `path` (and the files it references).
    pub fn load(path: &Path) -> Result<Contract, Vec<SpecError>> {
        let docs = Documents::load(path)?;
        let mut compiler = Compiler::new(&docs).map_err(|e| vec![e])?;
        let mut loader = Loader {
            docs: &docs,
            compiler: &mut compiler,
            errors: Vec::new(),
        };
        let mut router = Router::default();
        let mut paths = Vec::new();
        let mut operations = Vec::new();
        let root_paths = Loc {
            file: 0,
            pointer: "/paths".into(),
        };
        let templates: Vec<String> = docs
            .get(&root_paths)
            .and_then(Value::as_object)
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default();
        for template in templates {
            let item_loc = root_paths.child(&template);
            if !template.starts_with('/') {
                loader.error(&item_loc, "a path must start with /");
                continue;
            }
            let Some((item_loc, _)) = docs.resolve(&item_loc) else {
                loader.error(&item_loc, "unresolvable $ref");
                continue;
            };
            let mut ops = Vec::new();
            for m in METHODS {
                let op_loc = item_loc.child(m);
                if docs.get(&op_loc).is_none() {
                    continue;
                }
                let method =
                    Method::from_bytes(m.to_ascii_uppercase().as_bytes()).unwrap_or(Method::GET);
                if let Some(mut op) = loader.operation(&template, &method, &item_loc, &op_loc) {
                    op.index = operations.len();
                    ops.push((method, operations.len()));
                    operations.push(op);
                }
            }
            match router.insert(&template, paths.len()) {
                Ok(()) => paths.push(ops),
                Err(RouteError::Malformed) => loader.error(&item_loc, "malformed path template"),
                Err(RouteError::Duplicate(_)) => loader.error(
                    &item_loc,
                    "another path has the same template with other parameter names",
                ),
            }
        }
        let errors = loader.errors;
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Contract {
            router,
            paths,
            operations,
            shapes: compiler.finish(),
            files: docs.files.clone(),
            version: docs.version,
        })
    }

    /// What the contract declares for `method` on `path` (relative to the API's base path,
    /// still percent-encoded). `HEAD` falls back to `GET` when not declared itself.
    pub fn lookup<'p>(&self, method: &Method, path: &'p str) -> Lookup<'_, 'p> {
        let Some((idx, params)) = self.router.at(path) else {
            return Lookup::NotFound;
        };
        let ops = &self.paths[idx];
        let find = |m: &Method| ops.iter().find(|(om, _)| om == m).map(|(_, i)| *i);
        let found = find(method).or_else(|| {
            (method == Method::HEAD)
                .then(|| find(&Method::GET))
                .flatten()
        });
        match found {
            Some(i) => Lookup::Found(&self.operations[i], params),
            None => Lookup::MethodNotAllowed(ops.iter().map(|(m, _)| m.clone()).collect()),
        }
    }

    /// The shapes the operations' schemas use.
    pub fn shapes(&self) -> &Shapes {
        &self.shapes
    }

    /// Every file the description was read from (the root first): what hot reload watches.
    pub fn files(&self) -> &[PathBuf] {
        &self.files
    }

    /// The OpenAPI line.
    pub fn version(&self) -> Version {
        self.version
    }

    /// The operations.
    pub fn operations(&self) -> &[Operation] {
        &self.operations
    }

    /// The operation at `index` ([`Operation::index`]).
    pub fn operation(&self, index: usize) -> Option<&Operation> {
        self.operations.get(index)
    }
}

struct Loader<'a, 'd> {
    docs: &'d Documents,
    compiler: &'a mut Compiler<'d>,
    errors: Vec<SpecError>,
}

impl Loader<'_, '_> {
    fn error(&mut self, loc: &Loc, reason: impl Into<String>) {
        self.errors.push(SpecError::new(
            &self.docs.files[loc.file],
            &loc.pointer,
            reason,
        ));
    }

    fn resolve(&mut self, loc: &Loc) -> Option<(Loc, Value)> {
        match self.docs.resolve(loc) {
            Some((l, v)) => Some((l, v.clone())),
            None => {
                self.error(loc, "unresolvable $ref");
                None
            }
        }
    }

    fn operation(
        &mut self,
        template: &str,
        method: &Method,
        item: &Loc,
        op_loc: &Loc,
    ) -> Option<Operation> {
        let op = self.docs.get(op_loc)?.clone();
        // Operation-level parameters override path-level ones with the same name and `in`.
        let mut params: Vec<Param> = Vec::new();
        for list in [op_loc.child("parameters"), item.child("parameters")] {
            let count = self
                .docs
                .get(&list)
                .and_then(Value::as_array)
                .map_or(0, Vec::len);
            for entry in list.items(count) {
                let Some(p) = self.parameter(&entry) else {
                    continue;
                };
                let dup = params
                    .iter()
                    .any(|q| q.spec.name == p.spec.name && q.spec.location == p.spec.location);
                if !dup {
                    params.push(p);
                }
            }
        }
        for name in template_params(template) {
            let declared = params
                .iter()
                .any(|p| p.spec.location == Location::Path && p.spec.name == name);
            if !declared {
                self.error(op_loc, format!("path parameter {name:?} is not declared"));
            }
        }
        let body = if op.get("requestBody").is_some() {
            self.request_body(&op_loc.child("requestBody"))
        } else {
            None
        };
        let mut responses = Vec::new();
        let responses_loc = op_loc.child("responses");
        let codes: Vec<String> = self
            .docs
            .get(&responses_loc)
            .and_then(Value::as_object)
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default();
        for code in codes {
            let Some((r_loc, _)) = self.resolve(&responses_loc.child(&code)) else {
                continue;
            };
            let media = self.media(&r_loc.child("content"), Direction::Response);
            responses.push(Response {
                status: code,
                media,
            });
        }
        Some(Operation {
            name: format!("{method} {template}").into(),
            index: 0,
            id: op
                .get("operationId")
                .and_then(Value::as_str)
                .map(str::to_string),
            params,
            body,
            responses,
        })
    }

    fn parameter(&mut self, loc: &Loc) -> Option<Param> {
        let (loc, p) = self.resolve(loc)?;
        let name = p.get("name").and_then(Value::as_str).unwrap_or_default();
        let Some(location) = p
            .get("in")
            .and_then(Value::as_str)
            .and_then(Location::parse)
        else {
            self.error(
                &loc,
                "a parameter needs `in`: path, query, header or cookie",
            );
            return None;
        };
        if name.is_empty() {
            self.error(&loc, "a parameter needs a name");
            return None;
        }
        let style = match operation::style(p.get("style").and_then(Value::as_str)) {
            Ok(s) => s,
            Err(e) => {
                self.error(&loc, e);
                return None;
            }
        };
        let explode = p.get("explode").and_then(Value::as_bool);
        let required = location == Location::Path
            || p.get("required").and_then(Value::as_bool).unwrap_or(false);
        let (schema_loc, json) = if p.get("schema").is_some() {
            (Some(loc.child("schema")), false)
        } else {
            // `content`: one media type; a JSON one means the raw value is JSON.
            let content = p.get("content").and_then(Value::as_object);
            let first = content.and_then(|c| c.keys().next().cloned());
            match first {
                Some(media) => {
                    let json = Kind::of(&body::essence(&media)) == Kind::Json;
                    (
                        Some(loc.child("content").child(&media).child("schema")),
                        json,
                    )
                }
                None => (None, false),
            }
        };
        let shape = match (&schema_loc, json) {
            (Some(s), false) => self.shape(s),
            _ => crate::params::Shape::Scalar(crate::params::Scalar::String),
        };
        let typed = match (&schema_loc, json) {
            (Some(s), false) => {
                self.typed(s, |schema, resolve| crate::typed::is_typed(schema, resolve))
            }
            _ => false,
        };
        let schema = match schema_loc {
            Some(s) if self.docs.get(&s).is_some() => {
                match self.compiler.schema(&s, Direction::Request) {
                    Ok(s) => Some(s),
                    Err(e) => {
                        self.errors.push(e);
                        None
                    }
                }
            }
            _ => None,
        };
        let spec = ParamSpec::new(name.to_string(), location, style, explode, shape);
        if spec.validate().is_err() {
            self.error(
                &loc,
                format!(
                    "style {} cannot be used for this parameter (in: {location:?})",
                    spec.style.as_str()
                ),
            );
            return None;
        }
        Some(Param {
            spec,
            required,
            schema,
            json,
            typed,
        })
    }

    /// What `f` says of the schema at `loc`, its `$ref`s resolved.
    fn typed<T: Default>(
        &self,
        loc: &Loc,
        f: impl for<'v> Fn(&'v Value, &dyn Fn(&'v Value) -> &'v Value) -> T,
    ) -> T {
        let docs = self.docs;
        let file = loc.file;
        let Some((_, schema)) = docs.resolve(loc) else {
            return T::default();
        };
        let resolve = |v| resolve_in(docs, file, v);
        f(schema, &resolve)
    }

    /// The parameter shape of the schema at `loc`.
    fn shape(&self, loc: &Loc) -> crate::params::Shape {
        let docs = self.docs;
        let file = loc.file;
        let Some((_, schema)) = docs.resolve(loc) else {
            return crate::params::Shape::Scalar(crate::params::Scalar::Any);
        };
        let resolve = |v| resolve_in(docs, file, v);
        operation::shape_of(schema, &resolve)
    }

    fn request_body(&mut self, loc: &Loc) -> Option<RequestBody> {
        let (loc, b) = self.resolve(loc)?;
        let required = b.get("required").and_then(Value::as_bool).unwrap_or(false);
        let media = self.media(&loc.child("content"), Direction::Request);
        Some(RequestBody { required, media })
    }

    fn media(&mut self, content: &Loc, direction: Direction) -> Vec<Media> {
        let ranges: Vec<String> = self
            .docs
            .get(content)
            .and_then(Value::as_object)
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default();
        let mut out = Vec::new();
        for range in ranges {
            let m_loc = content.child(&range);
            let schema_loc = m_loc.child("schema");
            let kind = Kind::of(&body::essence(&range));
            let schema = if self.docs.get(&schema_loc).is_some() {
                match self.compiler.schema(&schema_loc, direction) {
                    Ok(s) => Some(s),
                    Err(e) => {
                        self.errors.push(e);
                        None
                    }
                }
            } else {
                None
            };
            let fields = if matches!(kind, Kind::Form | Kind::Multipart) {
                self.fields(&m_loc, &schema_loc)
            } else {
                Vec::new()
            };
            let typed = if direction == Direction::Request && kind == Kind::Json {
                self.typed(&schema_loc, |schema, resolve| {
                    crate::typed::typed_pointers(schema, resolve)
                })
            } else {
                Vec::new()
            };
            out.push(Media {
                range: range.to_ascii_lowercase(),
                kind,
                schema,
                fields,
                typed,
            });
        }
        out
    }

    /// The fields of a form schema, with their `encoding` content types.
    fn fields(&self, media: &Loc, schema: &Loc) -> Vec<body::Field> {
        let Some((s_loc, s)) = self.docs.resolve(schema) else {
            return Vec::new();
        };
        let Some(props) = s.get("properties").and_then(Value::as_object) else {
            return Vec::new();
        };
        let encoding = self.docs.get(&media.child("encoding"));
        props
            .keys()
            .map(|name| {
                let shape = self.shape(&s_loc.child("properties").child(name));
                let types = encoding
                    .and_then(|e| e.get(name))
                    .and_then(|e| e.get("contentType"))
                    .and_then(Value::as_str)
                    .map(|t| {
                        t.split(',')
                            .map(|t| t.trim().to_ascii_lowercase())
                            .collect()
                    })
                    .unwrap_or_default();
                let binary = s
                    .get("properties")
                    .and_then(|p| p.get(name))
                    .map(|p| resolve_in(self.docs, s_loc.file, p))
                    .is_some_and(declares_bytes);
                body::form_field(name, shape, types, binary)
            })
            .collect()
    }
}

/// `v`, or what it references when it is a `$ref` (a reference found in `file`).
fn resolve_in<'d>(docs: &'d Documents, file: usize, v: &'d Value) -> &'d Value {
    match v.get("$ref").and_then(Value::as_str) {
        Some(r) => docs
            .target(file, r)
            .and_then(|l| docs.resolve(&l))
            .map_or(v, |(_, t)| t),
        None => v,
    }
}

/// Whether a (string) schema describes bytes rather than text.
fn declares_bytes(schema: &Value) -> bool {
    matches!(
        schema.get("format").and_then(Value::as_str),
        Some("binary" | "byte")
    ) || schema.get("contentEncoding").is_some()
        || schema.get("contentMediaType").is_some()
}

/// The parameter names of a path template.
fn template_params(template: &str) -> Vec<&str> {
    template
        .split('{')
        .skip(1)
        .filter_map(|s| s.split_once('}').map(|(name, _)| name))
        .collect()
}
