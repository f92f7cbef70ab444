//! Reading an OpenAPI description: the root file and every file its `$ref`s reach (YAML or
//! JSON), the version it declares, and references resolved to the value they point to.
//!
//! Only local files are read: a `$ref` to `http:`/`https:` is an error, never a fetch.

pub mod convert;

use serde_json::Value;
use std::fmt;
use std::path::{Path, PathBuf};

/// A problem in a spec: the file, a JSON pointer into it and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpecError {
    /// The file.
    pub file: PathBuf,
    /// Where in the file, as a JSON pointer (`/paths/~1books/get`); empty for the whole file.
    pub pointer: String,
    /// What is wrong.
    pub reason: String,
}

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}#{}: {}",
            self.file.display(),
            self.pointer,
            self.reason
        )
    }
}

impl SpecError {
    /// An error at `pointer` of `file`.
    pub fn new(file: &Path, pointer: impl Into<String>, reason: impl Into<String>) -> Self {
        SpecError {
            file: file.to_path_buf(),
            pointer: pointer.into(),
            reason: reason.into(),
        }
    }
}

/// The OpenAPI major line a description follows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Version {
    /// 3.0.x: schemas are an extended subset of JSON Schema draft 5 (`nullable`, boolean
    /// `exclusiveMinimum`…), converted to 2020-12 when loaded.
    V30,
    /// 3.1.x: schemas are JSON Schema 2020-12.
    V31,
}

/// A place in the loaded files: a file and a JSON pointer into it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Loc {
    /// Index of the file in [`Documents::files`].
    pub file: usize,
    /// JSON pointer (RFC 6901) into it.
    pub pointer: String,
}

impl Loc {
    /// The place of member or item `token` of the value here.
    pub fn child(&self, token: &str) -> Loc {
        let mut pointer = self.pointer.clone();
        crate::violation::push_token(&mut pointer, token);
        Loc {
            file: self.file,
            pointer,
        }
    }

    /// The places of the first `count` items of the array here.
    pub fn items(&self, count: usize) -> impl Iterator<Item = Loc> + '_ {
        (0..count).map(|i| self.child(&i.to_string()))
    }
}

/// The root document and every file it references, by canonical path.
#[derive(Debug)]
pub struct Documents {
    /// Canonical paths; index 0 is the root.
    pub files: Vec<PathBuf>,
    /// Parsed contents, in the order of `files`.
    pub values: Vec<Value>,
    /// The version the root declares.
    pub version: Version,
}

/// The most files one description may reference, so that a spec cannot make the loader
/// read the whole disk.
const MAX_FILES: usize = 500;

impl Documents {
    /// Reads `root` and, transitively, every file its `$ref`s name.
    pub fn load(root: &Path) -> Result<Documents, Vec<SpecError>> {
        let root = canonical(root).map_err(|e| vec![e])?;
        let value = read(&root).map_err(|e| vec![e])?;
        let version = version(&root, &value).map_err(|e| vec![e])?;
        let mut docs = Documents {
            files: vec![root],
            values: vec![value],
            version,
        };
        let mut errors = Vec::new();
        let mut next = 0;
        while next < docs.files.len() {
            let mut refs = Vec::new();
            collect_refs(&docs.values[next], &mut String::new(), &mut refs);
            for (pointer, target) in refs {
                if let Err(e) = docs.reach(next, &pointer, &target) {
                    errors.push(e);
                }
            }
            next += 1;
        }
        if errors.is_empty() {
            Ok(docs)
        } else {
            Err(errors)
        }
    }

    /// Loads the file a `$ref` found at `pointer` of file `from` names, if not yet loaded.
    fn reach(&mut self, from: usize, pointer: &str, reference: &str) -> Result<(), SpecError> {
        let (file_part, _) = reference.split_once('#').unwrap_or((reference, ""));
        if file_part.is_empty() {
            return Ok(());
        }
        let here = &self.files[from];
        if file_part.contains("://") {
            return Err(SpecError::new(
                here,
                pointer,
                format!("$ref {reference:?}: only local files are read, never URLs"),
            ));
        }
        let path = here
            .parent()
            .unwrap_or(Path::new("/"))
            .join(decode(file_part));
        let path = canonical(&path).map_err(|e| SpecError::new(here, pointer, e.reason))?;
        if self.files.contains(&path) {
            return Ok(());
        }
        if self.files.len() >= MAX_FILES {
            return Err(SpecError::new(
                here,
                pointer,
                format!("more than {MAX_FILES} files referenced"),
            ));
        }
        let value = read(&path)?;
        self.files.push(path);
        self.values.push(value);
        Ok(())
    }

    /// The place a `$ref` found in file `from` points to.
    pub fn target(&self, from: usize, reference: &str) -> Option<Loc> {
        let (file_part, fragment) = reference.split_once('#').unwrap_or((reference, ""));
        let file = if file_part.is_empty() {
            from
        } else {
            let here = &self.files[from];
            let path = here.parent()?.join(decode(file_part));
            let path = std::fs::canonicalize(path).ok()?;
            self.files.iter().position(|f| *f == path)?
        };
        let pointer = decode(fragment);
        Some(Loc { file, pointer })
    }

    /// The value at `loc`.
    pub fn get(&self, loc: &Loc) -> Option<&Value> {
        self.values.get(loc.file)?.pointer(&loc.pointer)
    }

    /// Follows `$ref`s from `loc` (at most 32 hops) to a value that is not a reference.
    pub fn resolve(&self, loc: &Loc) -> Option<(Loc, &Value)> {
        let mut loc = loc.clone();
        for _ in 0..32 {
            let value = self.get(&loc)?;
            match value.get("$ref").and_then(Value::as_str) {
                Some(r) => loc = self.target(loc.file, r)?,
                None => return Some((loc, value)),
            }
        }
        None
    }

    /// The URI a file is registered under for the schema validator.
    pub fn uri(&self, file: usize) -> String {
        format!("file://{}", self.files[file].display())
    }
}

fn canonical(path: &Path) -> Result<PathBuf, SpecError> {
    std::fs::canonicalize(path)
        .map_err(|e| SpecError::new(path, "", format!("cannot read the file: {e}")))
}

/// The largest spec file read: descriptions of very large APIs are a few MiB.
const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;

fn read(path: &Path) -> Result<Value, SpecError> {
    let meta = std::fs::metadata(path)
        .map_err(|e| SpecError::new(path, "", format!("cannot read the file: {e}")))?;
    if meta.len() > MAX_FILE_BYTES {
        return Err(SpecError::new(path, "", "the file is larger than 64 MiB"));
    }
    let text = std::fs::read_to_string(path)
        .map_err(|e| SpecError::new(path, "", format!("cannot read the file: {e}")))?;
    let json = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"));
    let parsed = if json {
        serde_json::from_str(&text).map_err(|e| e.to_string())
    } else {
        // YAML 1.2 core schema, as OpenAPI requires: `y`, `no`, `on` stay strings (a
        // `required: [x, y]` list must not hold a boolean).
        let options = serde_saphyr::options! { strict_booleans: true };
        serde_saphyr::from_str_with_options(&text, options).map_err(|e| e.to_string())
    };
    parsed.map_err(|e| SpecError::new(path, "", format!("not valid YAML or JSON: {e}")))
}

fn version(path: &Path, root: &Value) -> Result<Version, SpecError> {
    let declared = root.get("openapi").and_then(Value::as_str);
    match declared {
        Some(v) if v.starts_with("3.0.") || v == "3.0" => Ok(Version::V30),
        Some(v) if v.starts_with("3.1.") || v == "3.1" => Ok(Version::V31),
        Some(v) => Err(SpecError::new(
            path,
            "/openapi",
            format!("OpenAPI {v} is not supported (3.0.x and 3.1.x are)"),
        )),
        None if root.get("swagger").is_some() => Err(SpecError::new(
            path,
            "/swagger",
            "Swagger 2.0 is not supported: convert it to OpenAPI 3",
        )),
        None => Err(SpecError::new(
            path,
            "",
            "not an OpenAPI description (no `openapi` version)",
        )),
    }
}

/// Percent-decodes a URI reference part (`~1` escapes stay: they are JSON pointer syntax).
fn decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

/// Every `$ref` string in `value`, with the pointer where it was found.
fn collect_refs(value: &Value, pointer: &mut String, out: &mut Vec<(String, String)>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(r)) = map.get("$ref") {
                out.push((pointer.clone(), r.clone()));
            }
            for (k, v) in map {
                let len = pointer.len();
                crate::violation::push_token(pointer, k);
                collect_refs(v, pointer, out);
                pointer.truncate(len);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                let len = pointer.len();
                pointer.push('/');
                pointer.push_str(&i.to_string());
                collect_refs(v, pointer, out);
                pointer.truncate(len);
            }
        }
        _ => {}
    }
}

/// The operations of a path item, by lower-case method name.
pub const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];
