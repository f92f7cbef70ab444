//! Whole requests against a compiled contract (`parapet_contract::Contract`): the demo
//! bookstore's description plus operations that exercise every parameter location and style,
//! form and multipart bodies, and a discriminated schema. Structured input (`arbitrary`):
//! method, path, query, headers, content type and body. Everything the gateway runs per
//! request: `lookup`, `check_params`, `body_plan`, `check_body` (strict and lax), and the
//! response check with the exposure filter on the body read as JSON. Nothing may panic, and:
//!
//! - every violation names a part and a pointer that is empty or starts with `/`;
//! - at most `max_violations` are kept;
//! - the exposure filter only removes: a filtered object has no member it did not have.
#![no_main]

use arbitrary::Arbitrary;
use http::{HeaderMap, HeaderName, HeaderValue, Method};
use libfuzzer_sys::fuzz_target;
use parapet_contract::operation::select;
use parapet_contract::{BodyPlan, Checks, Contract, Direction, Findings, Judge, Lookup, Part};
use std::sync::LazyLock;

const EXTRA: &str = r##"
  /search/{kind}/{id}.{ext}:
    parameters:
      - { name: kind, in: path, required: true, style: label, schema: { type: array, items: { type: string } } }
      - { name: id, in: path, required: true, style: matrix, explode: true, schema: { type: object, properties: { a: { type: integer } } } }
      - { name: ext, in: path, required: true, schema: { type: string, enum: [json, xml] } }
    post:
      parameters:
        - { name: filter, in: query, style: deepObject, schema: { type: object, properties: { min: { type: number }, tag: { type: string } } } }
        - { name: ids, in: query, style: pipeDelimited, schema: { type: array, items: { type: integer } } }
        - { name: q, in: query, content: { application/json: { schema: { type: object } } } }
        - { name: X-Trace, in: header, schema: { type: string, format: uuid } }
        - { name: session, in: cookie, schema: { type: string, maxLength: 10 } }
      requestBody:
        content:
          application/json: { schema: { $ref: "#/components/schemas/Pet" } }
          application/x-www-form-urlencoded: { schema: { type: object, properties: { n: { type: integer }, tags: { type: array, items: { type: string } } } } }
          multipart/form-data:
            schema: { type: object, properties: { name: { type: string }, file: { type: string, format: binary } } }
            encoding: { file: { contentType: image/png } }
          application/xml: {}
          "*/*": {}
      responses:
        "200": { description: ok, content: { application/json: { schema: { $ref: "#/components/schemas/Pet" } } } }
"##;

const PETS: &str = r##"
    Pet:
      oneOf: [ { $ref: "#/components/schemas/Cat" }, { $ref: "#/components/schemas/Dog" } ]
      discriminator: { propertyName: kind }
    Cat: { type: object, required: [kind], properties: { kind: { type: string }, id: { type: integer, readOnly: true }, secret: { type: string, writeOnly: true } } }
    Dog: { type: object, required: [kind], properties: { kind: { type: string }, bark: { type: boolean } } }
"##;

static CONTRACT: LazyLock<Contract> = LazyLock::new(|| {
    let demo = include_str!("../../examples/bookstore.openapi.yaml");
    let spec = demo
        .replacen("paths:\n", &format!("paths:{EXTRA}"), 1)
        .replacen("  schemas:\n", &format!("  schemas:{PETS}"), 1);
    let dir = std::env::temp_dir().join(format!("parapet-fuzz-contract-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("spec.yaml");
    std::fs::write(&path, spec).expect("spec written");
    Contract::load(&path).expect("the fuzz contract loads")
});

#[derive(Arbitrary, Debug)]
struct Request<'a> {
    method: u8,
    path: &'a str,
    query: Option<&'a str>,
    headers: Vec<(&'a str, &'a [u8])>,
    content_type: Option<&'a str>,
    body: &'a [u8],
    strict: bool,
}

const METHODS: [Method; 5] = [
    Method::GET,
    Method::POST,
    Method::PUT,
    Method::DELETE,
    Method::HEAD,
];
const PATHS: [&str; 4] = ["/search/", "/books/", "/users/", "/admin/users/"];

fn well_formed(out: &Findings, max: usize) {
    assert!(out.violations.len() <= max);
    for v in &out.violations {
        assert!(v.pointer.is_empty() || v.pointer.starts_with('/'), "{v:?}");
        assert!(!v.rule.is_empty());
    }
}

fuzz_target!(|r: Request| {
    let contract = &*CONTRACT;
    let method = &METHODS[usize::from(r.method) % METHODS.len()];
    // Half the paths start with a declared prefix, so lookups often succeed.
    let path = match r.method / 8 % 2 {
        0 => format!(
            "{}{}",
            PATHS[usize::from(r.method / 16) % PATHS.len()],
            r.path
        ),
        _ => format!("/{}", r.path),
    };
    let Lookup::Found(op, raw) = contract.lookup(method, &path) else {
        return;
    };
    let mut headers = HeaderMap::new();
    for (name, value) in &r.headers {
        if let (Ok(n), Ok(v)) = (HeaderName::try_from(*name), HeaderValue::from_bytes(value)) {
            headers.append(n, v);
        }
    }
    let checks = Checks {
        strict: r.strict,
        max_violations: 5,
        ..Checks::default()
    };
    let mut out = Findings::default();
    op.check_params(
        contract.shapes(),
        &raw,
        r.query,
        &headers,
        &checks,
        &mut out,
    );
    well_formed(&out, 5);
    let mut out = Findings::default();
    if let BodyPlan::Check(media) = op.body_plan(r.content_type, Some(r.body.len() as u64)) {
        let ct = r.content_type.unwrap_or("");
        op.check_body(contract.shapes(), media, ct, r.body, &checks, &mut out);
        well_formed(&out, 5);
    }
    // The response side: the body, when it is JSON, through validation and the filter.
    let Ok(original) = serde_json::from_slice::<serde_json::Value>(r.body) else {
        return;
    };
    let Some(media) = op
        .response(200)
        .and_then(|d| select(&d.media, "application/json"))
    else {
        return;
    };
    let Some(schema) = &media.schema else { return };
    let mut value = original.clone();
    let judge = Judge {
        direction: Direction::Response,
        strict: false,
        filter: true,
        max: 5,
    };
    let mut out = Findings::default();
    schema.check(
        contract.shapes(),
        &mut value,
        Part::Body,
        "",
        judge,
        &mut out,
    );
    well_formed(&out, 5);
    only_removed(&original, &value);
});

/// `after` is `before` with members removed, nothing added or changed otherwise.
fn only_removed(before: &serde_json::Value, after: &serde_json::Value) {
    use serde_json::Value;
    match (before, after) {
        (Value::Object(b), Value::Object(a)) => {
            for (k, v) in a {
                only_removed(b.get(k).expect("no member added"), v);
            }
        }
        (Value::Array(b), Value::Array(a)) => {
            assert_eq!(a.len(), b.len());
            for (x, y) in b.iter().zip(a) {
                only_removed(x, y);
            }
        }
        (b, a) => assert_eq!(a, b),
    }
}
