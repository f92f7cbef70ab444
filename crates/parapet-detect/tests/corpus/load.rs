//! Loading the corpus into uniform cases: one request each, labelled attack or benign.

use base64::Engine as _;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// Whether a case is an attack (to be detected) or benign (to be let through).
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Label {
    Attack,
    Benign,
}

/// One request of the corpus.
pub struct Case {
    /// `crs`, `libinjection`, `benign`, `benign-code`, `fields` or `fields-ops`.
    pub set: &'static str,
    /// What results are reported by: the CRS rule file, the libinjection list, the benign class.
    pub group: String,
    /// Where the case comes from (file and test, or line).
    pub id: String,
    pub label: Label,
    pub method: String,
    pub uri: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Case {
    /// A one-line view of the request, for lists of misses.
    pub fn summary(&self) -> String {
        let mut s = format!("{} {}", self.method, self.uri);
        for (n, v) in &self.headers {
            if !matches!(
                n.to_ascii_lowercase().as_str(),
                "host"
                    | "accept"
                    | "user-agent"
                    | "content-length"
                    | "accept-encoding"
                    | "accept-language"
                    | "accept-charset"
                    | "connection"
                    | "keep-alive"
                    | "proxy-connection"
            ) {
                s.push_str(&format!(" | {n}: {v}"));
            }
        }
        if !self.body.is_empty() {
            s.push_str(" | body: ");
            s.push_str(&String::from_utf8_lossy(&self.body));
        }
        s.chars().take(400).collect()
    }
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus")
}

/// Every case of every set.
pub fn all() -> Vec<Case> {
    let mut cases = crs();
    cases.extend(libinjection());
    cases.extend(benign());
    cases.extend(fields());
    cases
}

/// The CRS regression tests of the request rule files. A test with an `expect_ids` is an
/// attack; one with only `no_expect_ids` is benign.
fn crs() -> Vec<Case> {
    let mut cases = Vec::new();
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(root().join("crs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    for dir in dirs {
        let dir_name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let group = crs_group(&dir_name);
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap();
            let doc: Value =
                serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
            let stem = file.file_stem().unwrap().to_string_lossy().into_owned();
            for test in doc["tests"].as_array().into_iter().flatten() {
                for (i, stage) in test["stages"].as_array().into_iter().flatten().enumerate() {
                    let log = &stage["output"]["log"];
                    let expects = log["expect_ids"].as_array().is_some_and(|a| !a.is_empty());
                    let not_expects = log["no_expect_ids"]
                        .as_array()
                        .is_some_and(|a| !a.is_empty());
                    let label = match (expects, not_expects) {
                        (true, _) => Label::Attack,
                        (false, true) => Label::Benign,
                        _ => continue,
                    };
                    let id = format!("{stem}-{}.{i}", scalar(&test["test_id"]));
                    if let Some(case) = crs_case(&stage["input"], group.clone(), id, label) {
                        cases.push(case);
                    }
                }
            }
        }
    }
    cases
}

fn crs_group(dir: &str) -> String {
    let number = dir.split('-').nth(1).unwrap_or("");
    let what = match number {
        "911" => "method",
        "913" => "scanner",
        "920" => "protocol-enforcement",
        "921" => "protocol-attack",
        "922" => "multipart",
        "930" => "lfi",
        "931" => "rfi",
        "932" => "rce",
        "933" => "php",
        "934" => "generic",
        "941" => "xss",
        "942" => "sqli",
        "943" => "session-fixation",
        "944" => "java",
        _ => "other",
    };
    format!("{number}-{what}")
}

fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn crs_case(input: &Value, group: String, id: String, label: Label) -> Option<Case> {
    if let Some(encoded) = input["encoded_request"].as_str() {
        let raw = base64::engine::general_purpose::STANDARD
            .decode(encoded.trim())
            .ok()?;
        return raw_case(&raw, group, id, label);
    }
    let mut headers = Vec::new();
    if let Some(map) = input["headers"].as_object() {
        for (n, v) in map {
            headers.push((n.clone(), scalar(v)));
        }
    }
    let body = match &input["data"] {
        Value::Array(lines) => lines
            .iter()
            .map(scalar)
            .collect::<Vec<_>>()
            .join("\r\n")
            .into_bytes(),
        v => scalar(v).into_bytes(),
    };
    Some(Case {
        set: "crs",
        group,
        id,
        label,
        method: input["method"].as_str().unwrap_or("GET").to_owned(),
        uri: input["uri"].as_str().unwrap_or("/").to_owned(),
        headers,
        body,
    })
}

/// A request written out in full (CRS's `encoded_request`).
fn raw_case(raw: &[u8], group: String, id: String, label: Label) -> Option<Case> {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|i| (i, i + 4))
        .or_else(|| {
            raw.windows(2)
                .position(|w| w == b"\n\n")
                .map(|i| (i, i + 2))
        })?;
    let head = String::from_utf8_lossy(&raw[..split.0]).into_owned();
    let mut lines = head.lines();
    let mut request_line = lines.next()?.split(' ');
    let method = request_line.next()?.to_owned();
    let uri = request_line.next()?.to_owned();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
        .collect();
    Some(Case {
        set: "crs",
        group,
        id,
        label,
        method,
        uri,
        headers,
        body: raw[split.1..].to_vec(),
    })
}

/// libinjection's lists: each line an input (URL-encoded), sent as a query parameter.
fn libinjection() -> Vec<Case> {
    let dir = root().join("libinjection/data");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .collect();
    files.sort();
    let mut cases = Vec::new();
    for file in files {
        let stem = file.file_stem().unwrap().to_string_lossy().into_owned();
        let label = if stem == "false_positives" {
            Label::Benign
        } else {
            Label::Attack
        };
        let text = String::from_utf8_lossy(&std::fs::read(&file).unwrap()).into_owned();
        for (n, line) in text.lines().enumerate() {
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            let group = if label == Label::Benign {
                "false-positives".to_owned()
            } else {
                stem.split('-').next().unwrap_or("").to_owned()
            };
            cases.push(Case {
                set: "libinjection",
                group,
                id: format!("{stem}:{}", n + 1),
                label,
                method: "GET".into(),
                // One line is one input, URL-encoded (`+` a space), as libinjection's own
                // test driver reads it: a raw `&` or `#` in it is part of the value.
                uri: format!("/search?q={}", line.replace('&', "%26").replace('#', "%23")),
                headers: vec![("Host".into(), "localhost".into())],
                body: Vec::new(),
            });
        }
    }
    cases
}

/// The benign API requests; `code-snippets` is reported as its own set, apart.
fn benign() -> Vec<Case> {
    let text = std::fs::read_to_string(root().join("benign/requests.jsonl")).unwrap();
    text.lines()
        .map(|line| {
            let r: Value = serde_json::from_str(line).unwrap();
            let class = r["class"].as_str().unwrap().to_owned();
            let mut uri = r["path"].as_str().unwrap().to_owned();
            let query: Vec<String> = r["query"]
                .as_object()
                .unwrap()
                .iter()
                .map(|(k, v)| {
                    format!(
                        "{}={}",
                        form_encode(k),
                        form_encode(v.as_str().unwrap_or_default())
                    )
                })
                .collect();
            if !query.is_empty() {
                uri.push('?');
                uri.push_str(&query.join("&"));
            }
            let headers = r["headers"]
                .as_object()
                .unwrap()
                .iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
                .collect();
            Case {
                set: if class == "code-snippets" {
                    "benign-code"
                } else {
                    "benign"
                },
                group: class,
                id: r["id"].as_str().unwrap().to_owned(),
                label: Label::Benign,
                method: r["method"].as_str().unwrap().to_owned(),
                uri,
                headers,
                body: r["body"].as_str().unwrap_or_default().as_bytes().to_vec(),
            }
        })
        .collect()
}

/// The field values (`fields/README.md`): each value sent, as its file's first line says,
/// to every place named there, one request per place. Developers' and operators' data
/// (`fields/ops/`) is a set of its own.
fn fields() -> Vec<Case> {
    let mut cases = field_set("fields", "fields");
    cases.extend(field_set("fields/ops", "fields-ops"));
    cases
}

/// The field values in the folder `dir`, as the set `set`.
fn field_set(dir: &str, set: &'static str) -> Vec<Case> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join(dir))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "txt" || e == "jsonl"))
        .collect();
    files.sort();
    let mut cases = Vec::new();
    for file in files {
        let group = file.file_stem().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(&file).unwrap();
        let mut lines = text.lines().enumerate();
        let (_, first) = lines.next().unwrap();
        let places: Vec<&str> = first
            .strip_prefix("#@")
            .unwrap_or_else(|| panic!("{group}: the first line names the places"))
            .split_whitespace()
            .collect();
        let jsonl = file.extension().is_some_and(|e| e == "jsonl");
        for (n, line) in lines.filter(|(_, l)| !l.is_empty()) {
            let value = if jsonl {
                serde_json::from_str::<String>(line).unwrap()
            } else {
                line.to_owned()
            };
            for place in &places {
                cases.push(field_case(
                    set,
                    place,
                    &value,
                    group.clone(),
                    format!("{group}:{}", n + 1),
                ));
            }
        }
    }
    cases
}

/// One request carrying `value` at `place` (a place of `fields/README.md`).
fn field_case(set: &'static str, place: &str, value: &str, group: String, id: String) -> Case {
    let mut case = Case {
        set,
        group,
        id: format!("{id} {place}"),
        label: Label::Benign,
        method: "GET".to_owned(),
        uri: "/api/items".to_owned(),
        headers: vec![("Host".to_owned(), "api.example.com".to_owned())],
        body: Vec::new(),
    };
    let (kind, name) = place.split_once('=').unwrap_or((place, ""));
    let mut json_body = |body: String| {
        case.method = "POST".to_owned();
        case.headers
            .push(("Content-Type".to_owned(), "application/json".to_owned()));
        case.body = body.into_bytes();
    };
    match kind {
        "body" => {
            // The value at the pointer `name`, objects nested as it says.
            let mut doc = Value::String(value.to_owned());
            for key in name.rsplit('/').filter(|k| !k.is_empty()) {
                doc = serde_json::json!({ key: doc });
            }
            json_body(doc.to_string());
        }
        "json" => json_body(value.to_owned()),
        "query" => {
            case.uri = format!(
                "/api/items?{name}={}",
                form_encode(value).replace('+', "%20")
            )
        }
        "queryplus" => case.uri = format!("/api/items?{name}={}", form_encode(value)),
        "rawquery" => case.uri = format!("/api/items?{value}"),
        "header" => case.headers.push((name.to_owned(), value.to_owned())),
        "hline" => {
            let (header, value) = value.split_once(": ").unwrap();
            case.headers.push((header.to_owned(), value.to_owned()));
        }
        "cookie" => case.headers.push(("Cookie".to_owned(), value.to_owned())),
        "path" => case.uri = value.to_owned(),
        _ => panic!("{}: no place is called {place}", case.id),
    }
    case
}

/// `application/x-www-form-urlencoded` encoding, as Python's `urlencode` does it.
fn form_encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            b => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}
