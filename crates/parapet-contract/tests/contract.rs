//! The contract engine on real descriptions: loading (one file and several), lookups,
//! parameters, bodies, the 3.0 dialect, discriminators, mass assignment, response checks
//! and the exposure filter.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use http::{HeaderMap, Method};
use parapet_contract::operation::Media;
use parapet_contract::{
    BodyPlan, Checks, Contract, Direction, Findings, Judge, Lookup, Operation, Part,
};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

fn bookstore() -> Contract {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/bookstore.openapi.yaml");
    Contract::load(&path).expect("the demo contract loads")
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn op<'c>(c: &'c Contract, method: Method, path: &str) -> (&'c Operation, Vec<(String, String)>) {
    match c.lookup(&method, path) {
        Lookup::Found(op, params) => (
            op,
            params
                .into_iter()
                .map(|(k, v)| (k, v.to_string()))
                .collect(),
        ),
        other => panic!("{method} {path}: {other:?}"),
    }
}

fn params(
    c: &Contract,
    method: Method,
    path: &str,
    query: Option<&str>,
    checks: &Checks,
) -> Vec<(Part, String, String)> {
    let (op, raw) = op(c, method, path);
    let raw: Vec<(String, &str)> = raw.iter().map(|(k, v)| (k.clone(), v.as_str())).collect();
    let mut out = Findings::default();
    op.check_params(c.shapes(), &raw, query, &HeaderMap::new(), checks, &mut out);
    sorted(
        out.violations
            .into_iter()
            .map(|v| (v.part, v.pointer, v.rule))
            .collect(),
    )
}

fn body(
    c: &Contract,
    method: Method,
    path: &str,
    body: &str,
    checks: &Checks,
) -> Vec<(String, String)> {
    let (op, _) = op(c, method, path);
    let media = match op.body_plan(Some("application/json"), Some(body.len() as u64)) {
        BodyPlan::Check(m) => m,
        other => panic!("{other:?}"),
    };
    let mut out = Findings::default();
    op.check_body(
        c.shapes(),
        media,
        "application/json",
        body.as_bytes(),
        checks,
        &mut out,
    );
    sorted(
        out.violations
            .into_iter()
            .map(|v| (v.pointer, v.rule))
            .collect(),
    )
}

/// Violations in a stable order (the validator reports in its own).
fn sorted<T: Ord>(mut v: Vec<T>) -> Vec<T> {
    v.sort();
    v
}

fn response_media(op: &Operation, status: u16) -> &Media {
    op.response(status).unwrap().media.first().unwrap()
}

fn filter(c: &Contract, op: &Operation, status: u16, mut value: Value) -> (Value, Findings) {
    let media = response_media(op, status);
    let mut out = Findings::default();
    let judge = Judge {
        direction: Direction::Response,
        strict: false,
        filter: true,
        max: 10,
    };
    media
        .schema
        .as_ref()
        .unwrap()
        .check(c.shapes(), &mut value, Part::Body, "", judge, &mut out);
    (value, out)
}

#[test]
fn lookups_find_operations_or_say_why_not() {
    let c = bookstore();
    assert!(
        matches!(c.lookup(&Method::GET, "/books/7"), Lookup::Found(op, p) if &*op.name == "GET /books/{id}" && p == vec![("id".to_string(), "7")])
    );
    assert!(
        matches!(c.lookup(&Method::HEAD, "/books"), Lookup::Found(op, _) if &*op.name == "GET /books")
    );
    match c.lookup(&Method::DELETE, "/books") {
        Lookup::MethodNotAllowed(m) => assert_eq!(m, vec![Method::GET, Method::POST]),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        c.lookup(&Method::GET, "/internal/debug"),
        Lookup::NotFound
    ));
    assert!(matches!(
        c.lookup(&Method::GET, "/books/7/x"),
        Lookup::NotFound
    ));
}

#[test]
fn path_parameters_are_typed() {
    let c = bookstore();
    let checks = Checks::default();
    assert!(params(&c, Method::GET, "/books/7", None, &checks).is_empty());
    assert_eq!(
        params(&c, Method::GET, "/books/abc", None, &checks),
        vec![(Part::Path, "/id".into(), "type".into())]
    );
    assert_eq!(
        params(&c, Method::GET, "/books/0", None, &checks),
        vec![(Part::Path, "/id".into(), "minimum".into())]
    );
    assert_eq!(
        params(&c, Method::GET, "/books/1%27%20OR%201=1", None, &checks),
        vec![(Part::Path, "/id".into(), "type".into())]
    );
}

#[test]
fn strict_mode_refuses_unknown_query_parameters() {
    let c = bookstore();
    let lax = Checks::default();
    let strict = Checks {
        strict: true,
        ..Checks::default()
    };
    assert!(params(&c, Method::GET, "/books", Some("debug=1"), &lax).is_empty());
    assert_eq!(
        params(&c, Method::GET, "/books", Some("debug=1&debug=2"), &strict),
        vec![(Part::Query, "/debug".into(), "unknown-parameter".into())]
    );
}

#[test]
fn bodies_are_validated_and_mass_assignment_refused() {
    let c = bookstore();
    let lax = Checks::default();
    let strict = Checks {
        strict: true,
        ..Checks::default()
    };
    assert!(
        body(
            &c,
            Method::POST,
            "/books",
            r#"{"title":"Dune","price":9.5}"#,
            &lax
        )
        .is_empty()
    );
    assert_eq!(
        body(&c, Method::POST, "/books", r#"{"price":-1}"#, &lax),
        vec![
            ("/price".into(), "minimum".into()),
            ("/title".into(), "required".into())
        ]
    );
    // NewBook says additionalProperties: false.
    assert_eq!(
        body(&c, Method::POST, "/books", r#"{"title":"x","id":5}"#, &lax),
        vec![("".into(), "additionalProperties".into())]
    );
    assert_eq!(
        body(
            &c,
            Method::POST,
            "/users",
            r#"{"name":"a","email":"not-an-email"}"#,
            &strict
        ),
        vec![("/email".into(), "format".into())]
    );
    assert_eq!(
        body(
            &c,
            Method::POST,
            "/books",
            r#"{"title":"x","title":"y"}"#,
            &lax
        ),
        vec![("/title".into(), "json.duplicate_key".into())]
    );
}

#[test]
fn responses_lose_undeclared_and_write_only_properties() {
    let c = bookstore();
    let (op, _) = op(&c, Method::GET, "/users/1");
    let (v, out) = filter(
        &c,
        op,
        200,
        json!({"id": 1, "name": "a", "email": "a@example.com", "password_hash": "x", "internal": {"a": 1}}),
    );
    assert_eq!(v, json!({"id": 1, "name": "a", "email": "a@example.com"}));
    assert_eq!(
        out.removed,
        vec!["/internal".to_string(), "/password_hash".to_string()]
    );
    assert!(out.violations.is_empty());
    let (op, _) = op_owned(&c, Method::GET, "/books");
    let (v, out) = filter(
        &c,
        op,
        200,
        json!([{"id": 1, "title": "t", "secret": 1}, {"title": "no id"}]),
    );
    assert_eq!(v, json!([{"id": 1, "title": "t"}, {"title": "no id"}]));
    assert_eq!(out.removed, vec!["/0/secret".to_string()]);
    assert_eq!(out.violations.len(), 1);
    assert_eq!(out.violations[0].pointer, "/1/id");
}

fn op_owned<'c>(c: &'c Contract, m: Method, p: &str) -> (&'c Operation, Vec<(String, String)>) {
    op(c, m, p)
}

const PETS_30: &str = r##"
openapi: 3.0.3
info: { title: pets, version: "1" }
paths:
  /pets:
    post:
      requestBody:
        required: true
        content:
          application/json:
            schema: { $ref: "#/components/schemas/Pet" }
      responses:
        "201":
          description: ok
          content:
            application/json:
              schema: { $ref: "#/components/schemas/Pet" }
  /owners/{ownerId}/pets:
    parameters:
      - { name: ownerId, in: path, required: true, schema: { type: string, format: uuid } }
    get:
      parameters:
        - { name: tags, in: query, style: form, explode: false, schema: { type: array, items: { type: integer } } }
        - { name: limit, in: query, schema: { type: integer, format: int32, maximum: 100, exclusiveMaximum: true } }
        - { name: X-Trace, in: header, required: true, schema: { type: string, pattern: "^[a-f0-9]{8}$" } }
      responses:
        "200": { description: ok }
components:
  schemas:
    Pet:
      oneOf:
        - $ref: "#/components/schemas/Cat"
        - $ref: "#/components/schemas/Dog"
      discriminator:
        propertyName: kind
        mapping: { cat: "#/components/schemas/Cat", dog: Dog }
    Base:
      type: object
      required: [kind, name, id]
      properties:
        id: { type: integer, readOnly: true }
        kind: { type: string }
        name: { type: string, nullable: true }
        secret: { type: string, writeOnly: true }
    Cat:
      allOf:
        - $ref: "#/components/schemas/Base"
        - type: object
          properties: { lives: { type: integer, minimum: 1, maximum: 9 } }
    Dog:
      allOf:
        - $ref: "#/components/schemas/Base"
        - type: object
          properties: { barks: { type: boolean } }
"##;

#[test]
fn openapi_30_dialect_and_discriminator() {
    let dir = tempfile::tempdir().unwrap();
    let c = Contract::load(&write(dir.path(), "pets.yaml", PETS_30)).unwrap();
    let lax = Checks::default();
    let strict = Checks {
        strict: true,
        ..Checks::default()
    };
    // Both branches accept a cat (neither forbids other properties): oneOf alone would
    // refuse it for matching twice; the discriminator picks the branch.
    assert!(
        body(
            &c,
            Method::POST,
            "/pets",
            r#"{"kind":"cat","name":null,"lives":3}"#,
            &lax
        )
        .is_empty()
    );
    assert_eq!(
        body(
            &c,
            Method::POST,
            "/pets",
            r#"{"kind":"cat","name":"a","lives":12}"#,
            &lax
        ),
        vec![("/lives".into(), "maximum".into())]
    );
    assert_eq!(
        body(
            &c,
            Method::POST,
            "/pets",
            r#"{"kind":"cow","name":"a"}"#,
            &lax
        ),
        vec![("/kind".into(), "enum".into())]
    );
    // Mass assignment: the client may not set the id.
    assert_eq!(
        body(
            &c,
            Method::POST,
            "/pets",
            r#"{"kind":"dog","name":"a","id":1}"#,
            &lax
        ),
        vec![("/id".into(), "readOnly".into())]
    );
    // Strict: what the chosen branch does not declare is refused (lives is a cat's).
    assert_eq!(
        body(
            &c,
            Method::POST,
            "/pets",
            r#"{"kind":"dog","name":"a","lives":3,"barks":true}"#,
            &strict
        ),
        vec![("/lives".into(), "additionalProperties".into())]
    );
    assert!(
        body(
            &c,
            Method::POST,
            "/pets",
            r#"{"kind":"dog","name":"a","barks":true,"secret":"s"}"#,
            &strict
        )
        .is_empty()
    );
    // Responses: writeOnly removed, readOnly required.
    let (op, _) = op(&c, Method::POST, "/pets");
    let (v, out) = filter(
        &c,
        op,
        201,
        json!({"kind": "dog", "name": "a", "id": 1, "secret": "s", "barks": false}),
    );
    assert_eq!(
        v,
        json!({"kind": "dog", "name": "a", "id": 1, "barks": false})
    );
    assert_eq!(out.removed, vec!["/secret".to_string()]);
    assert!(out.violations.is_empty(), "{:?}", out.violations);

    let id = "0b7c5a43-5f1e-4c55-9d61-3b5f5d1c1a11";
    let ok = params_h(
        &c,
        &format!("/owners/{id}/pets"),
        Some("tags=1,2,3&limit=99"),
        "deadbeef",
        &lax,
    );
    assert!(ok.is_empty(), "{ok:?}");
    let bad = params_h(
        &c,
        "/owners/not-a-uuid/pets",
        Some("tags=1,x&limit=100"),
        "nothex!!",
        &lax,
    );
    assert_eq!(
        bad,
        vec![
            (Part::Path, "/ownerId".into(), "format".into()),
            (Part::Query, "/limit".into(), "exclusiveMaximum".into()),
            (Part::Query, "/tags/1".into(), "type".into()),
            (Part::Header, "/X-Trace".into(), "pattern".into()),
        ]
    );
}

fn params_h(
    c: &Contract,
    path: &str,
    query: Option<&str>,
    trace: &str,
    checks: &Checks,
) -> Vec<(Part, String, String)> {
    let (op, raw) = op(c, Method::GET, path);
    let raw: Vec<(String, &str)> = raw.iter().map(|(k, v)| (k.clone(), v.as_str())).collect();
    let mut headers = HeaderMap::new();
    headers.insert("x-trace", trace.parse().unwrap());
    let mut out = Findings::default();
    op.check_params(c.shapes(), &raw, query, &headers, checks, &mut out);
    sorted(
        out.violations
            .into_iter()
            .map(|v| (v.part, v.pointer, v.rule))
            .collect(),
    )
}

#[test]
fn references_across_files_and_31_type_arrays() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("schemas")).unwrap();
    write(
        dir.path(),
        "schemas/order.json",
        r##"{"type":"object","required":["sku","qty"],"properties":{"sku":{"$ref":"common.yaml#/Sku"},"qty":{"type":["integer","null"],"minimum":1},"note":{"type":"string","maxLength":5}}}"##,
    );
    write(
        dir.path(),
        "schemas/common.yaml",
        "Sku: { type: string, pattern: '^[A-Z]{3}-[0-9]+$' }\n",
    );
    let root = write(
        dir.path(),
        "api.yaml",
        r##"
openapi: 3.1.0
info: { title: orders, version: "1" }
paths:
  /orders:
    post:
      requestBody:
        content:
          application/json:
            schema: { $ref: "schemas/order.json" }
      responses: { "204": { description: ok } }
"##,
    );
    let c = Contract::load(&root).unwrap();
    assert_eq!(c.files().len(), 3);
    let lax = Checks::default();
    assert!(
        body(
            &c,
            Method::POST,
            "/orders",
            r#"{"sku":"ABC-1","qty":null}"#,
            &lax
        )
        .is_empty()
    );
    assert_eq!(
        body(
            &c,
            Method::POST,
            "/orders",
            r#"{"sku":"abc","qty":0,"note":"toolong"}"#,
            &lax
        ),
        vec![
            ("/note".into(), "maxLength".into()),
            ("/qty".into(), "minimum".into()),
            ("/sku".into(), "pattern".into())
        ]
    );
}

#[test]
fn spec_errors_name_the_file_and_pointer() {
    let dir = tempfile::tempdir().unwrap();
    let root = write(
        dir.path(),
        "bad.yaml",
        r##"
openapi: 3.0.0
info: { title: bad, version: "1" }
paths:
  /a/{id}:
    get:
      responses: { "200": { description: ok } }
  /b:
    post:
      parameters:
        - { name: q, in: query, style: matrix, schema: { type: string } }
      responses: { "200": { description: ok } }
"##,
    );
    let errors = Contract::load(&root).unwrap_err();
    let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
    assert!(
        text.iter()
            .any(|e| e.contains("bad.yaml#/paths/~1a~1{id}/get: ")
                && e.contains("\"id\" is not declared")),
        "{text:?}"
    );
    assert!(
        text.iter()
            .any(|e| e.contains("bad.yaml#/paths/~1b/post/parameters/0: ") && e.contains("matrix")),
        "{text:?}"
    );
    let missing = write(
        dir.path(),
        "missing.yaml",
        r##"
openapi: 3.1.0
info: { title: bad, version: "1" }
paths:
  /b:
    post:
      requestBody:
        content:
          application/json:
            schema: { $ref: "nowhere.yaml#/X" }
      responses: { "200": { description: ok } }
"##,
    );
    let errors = Contract::load(&missing).unwrap_err();
    assert!(
        errors[0].to_string().contains(
            "missing.yaml#/paths/~1b/post/requestBody/content/application~1json/schema: cannot read"
        ),
        "{errors:?}"
    );
    let swagger = write(dir.path(), "old.json", r#"{"swagger":"2.0","paths":{}}"#);
    assert!(
        Contract::load(&swagger).unwrap_err()[0]
            .to_string()
            .contains("Swagger 2.0")
    );
}

/// Cases found in review: one template shape with other parameter names, discriminators
/// over schemas without `type`, a sibling `anyOf`, `readOnly` through `allOf`, media
/// ranges, file parts, and the `allOf` inheritance pattern in responses.
const REVIEW: &str = r##"
openapi: 3.1.0
info: { title: review, version: "1" }
paths:
  /pets/{petId}:
    get:
      parameters: [ { name: petId, in: path, required: true, schema: { type: integer } } ]
      responses: { "200": { description: ok } }
  /pets/{id}/photos:
    get:
      parameters: [ { name: id, in: path, required: true, schema: { type: integer } } ]
      responses: { "200": { description: ok } }
  /animals:
    post:
      requestBody:
        content:
          application/json: { schema: { $ref: "#/components/schemas/Animal" } }
      responses:
        "200": { description: ok, content: { "*/*": { schema: { $ref: "#/components/schemas/Base" } } } }
  /users:
    post:
      requestBody:
        content:
          "application/*": { schema: { $ref: "#/components/schemas/NewUser" } }
          multipart/form-data:
            schema:
              type: object
              properties:
                comment: { type: string, maxLength: 5, pattern: "^[a-z]*$" }
                avatar: { type: string, format: binary }
      responses: { "200": { description: ok } }
components:
  schemas:
    Animal:
      oneOf: [ { $ref: "#/components/schemas/Dog" }, { $ref: "#/components/schemas/Cat" } ]
      discriminator: { propertyName: kind }
      anyOf: [ { required: [email] }, { required: [phone] } ]
    Dog: { required: [kind], properties: { kind: { type: string }, bark: { type: boolean } } }
    Cat: { required: [kind], properties: { kind: { type: string }, lives: { type: integer } } }
    Role: { type: string, readOnly: true }
    UserBase:
      type: object
      properties:
        id: { type: integer, readOnly: true }
        name: { type: string }
    NewUser:
      allOf:
        - $ref: "#/components/schemas/UserBase"
        - type: object
          required: [id, name]
          properties:
            role: { allOf: [ { $ref: "#/components/schemas/Role" } ] }
    Base:
      type: object
      properties: { kind: { type: string } }
      discriminator: { propertyName: kind, mapping: { dog: "#/components/schemas/DogOut" } }
    DogOut:
      allOf: [ { $ref: "#/components/schemas/Base" }, { type: object, properties: { bark: { type: boolean } } } ]
"##;

fn body_as(c: &Contract, path: &str, media_type: &str, body: &[u8]) -> Vec<(String, String)> {
    let (op, _) = op(c, Method::POST, path);
    let media = match op.body_plan(Some(media_type), Some(body.len() as u64)) {
        BodyPlan::Check(m) => m,
        other => panic!("{other:?}"),
    };
    let mut out = Findings::default();
    op.check_body(
        c.shapes(),
        media,
        media_type,
        body,
        &Checks::default(),
        &mut out,
    );
    sorted(
        out.violations
            .into_iter()
            .map(|v| (v.pointer, v.rule))
            .collect(),
    )
}

#[test]
fn review_cases() {
    let dir = tempfile::tempdir().unwrap();
    let c = Contract::load(&write(dir.path(), "review.yaml", REVIEW)).unwrap();
    let checks = Checks::default();
    // Each template keeps its own parameter names.
    assert!(params(&c, Method::GET, "/pets/5", None, &checks).is_empty());
    assert!(params(&c, Method::GET, "/pets/5/photos", None, &checks).is_empty());
    // A discriminated body must be an object; the sibling anyOf still applies.
    for not_an_object in [r#""DROP TABLE""#, "[1,2]", "42", "null"] {
        assert!(
            !body(&c, Method::POST, "/animals", not_an_object, &checks).is_empty(),
            "{not_an_object}"
        );
    }
    assert!(
        body(
            &c,
            Method::POST,
            "/animals",
            r#"{"kind":"Dog","email":"e"}"#,
            &checks
        )
        .is_empty()
    );
    assert_eq!(
        body(&c, Method::POST, "/animals", r#"{"kind":"Dog"}"#, &checks),
        vec![("".into(), "anyOf".into())]
    );
    // `application/*` selects JSON bodies, which are then validated; `readOnly` through an
    // `allOf`, and a readOnly `id` required by a sibling is not required in requests.
    let json = |b: &str| body_as(&c, "/users", "application/json", b.as_bytes());
    assert!(json(r#"{"name":"a"}"#).is_empty());
    assert_eq!(
        json(r#"{"name":"a","role":"admin"}"#),
        vec![("/role".into(), "readOnly".into())]
    );
    assert_eq!(
        json(r#"{"name":"a","id":1}"#),
        vec![("/id".into(), "readOnly".into())]
    );
    assert_eq!(json("{}"), vec![("/name".into(), "required".into())]);
    // A part with a file name is still text unless declared as bytes.
    let multipart = |name: &str, filename: Option<&str>, content: &[u8]| {
        let disposition = match filename {
            Some(f) => format!("form-data; name=\"{name}\"; filename=\"{f}\""),
            None => format!("form-data; name=\"{name}\""),
        };
        let mut b = format!("--XX\r\nContent-Disposition: {disposition}\r\n\r\n").into_bytes();
        b.extend_from_slice(content);
        b.extend_from_slice(b"\r\n--XX--\r\n");
        body_as(&c, "/users", "multipart/form-data; boundary=XX", &b)
    };
    let injected = b"' OR 1=1 --";
    assert_eq!(
        multipart("comment", None, injected),
        vec![
            ("/comment".into(), "maxLength".into()),
            ("/comment".into(), "pattern".into())
        ]
    );
    assert_eq!(
        multipart("comment", Some("a.txt"), injected),
        vec![
            ("/comment".into(), "maxLength".into()),
            ("/comment".into(), "pattern".into())
        ]
    );
    assert_eq!(
        multipart("comment", Some("a.bin"), &[0xff, 0xfe]),
        vec![("/comment".into(), "param.encoding".into())]
    );
    assert!(multipart("avatar", Some("a.png"), &[0x89, b'P', b'N', b'G', 0xff]).is_empty());
    // Responses: the subtype a base schema's mapping names keeps its own properties.
    let (op, _) = op(&c, Method::POST, "/animals");
    let (v, out) = filter(
        &c,
        op,
        200,
        json!({"kind": "dog", "bark": true, "secret": 1}),
    );
    assert_eq!(v, json!({"kind": "dog", "bark": true}));
    assert_eq!(out.removed, vec!["/secret".to_string()]);
}

#[test]
fn long_reference_chains_do_not_exhaust_the_stack() {
    let mut schemas = String::new();
    for i in 0..3000 {
        schemas.push_str(&format!(
            "    S{i}: {{ type: object, properties: {{ next: {{ $ref: \"#/components/schemas/S{}\" }} }} }}\n",
            i + 1
        ));
    }
    schemas.push_str("    S3000: { type: object }\n");
    let spec = format!(
        "openapi: 3.1.0\ninfo: {{ title: deep, version: '1' }}\npaths:\n  /a:\n    post:\n      requestBody: {{ content: {{ application/json: {{ schema: {{ $ref: '#/components/schemas/S0' }} }} }} }}\n      responses: {{ '200': {{ description: ok }} }}\ncomponents:\n  schemas:\n{schemas}"
    );
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "deep.yaml", &spec);
    // On a 2 MiB stack, as the gateway's worker threads have: it loads, or is refused.
    let loaded = std::thread::Builder::new()
        .stack_size(2 * 1024 * 1024)
        .spawn(move || Contract::load(&path).is_ok())
        .unwrap()
        .join()
        .expect("no stack overflow");
    let _ = loaded;
}

#[test]
fn conditional_properties_are_declared_and_huge_integers_break_int32() {
    let dir = tempfile::tempdir().unwrap();
    let spec = r##"
openapi: 3.1.0
info: { title: t, version: "1" }
paths:
  /x:
    post:
      requestBody:
        content:
          application/json:
            schema: { type: object, properties: { n: { type: integer, format: int32 } } }
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema:
                type: object
                properties: { kind: { type: string } }
                if: { properties: { kind: { const: a } } }
                then: { properties: { extra: { type: string } } }
                else: { properties: { other: { type: string } } }
                dependentSchemas: { kind: { properties: { more: { type: string } } } }
"##;
    let c = Contract::load(&write(dir.path(), "t.yaml", spec)).unwrap();
    let checks = Checks::default();
    for huge in ["1e30", "1e300", "2147483648"] {
        let b = format!(r#"{{"n":{huge}}}"#);
        assert_eq!(
            body(&c, Method::POST, "/x", &b, &checks),
            vec![("/n".into(), "format".into())],
            "{huge}"
        );
    }
    assert!(body(&c, Method::POST, "/x", r#"{"n":2147483647}"#, &checks).is_empty());
    let (op, _) = op(&c, Method::POST, "/x");
    let (v, out) = filter(
        &c,
        op,
        200,
        json!({"kind": "a", "extra": "e", "other": "o", "more": "m", "leak": 1}),
    );
    assert_eq!(
        v,
        json!({"kind": "a", "extra": "e", "other": "o", "more": "m"})
    );
    assert_eq!(out.removed, vec!["/leak".to_string()]);
}

#[test]
fn responses_are_found_by_code_then_range_then_default() {
    let dir = tempfile::tempdir().unwrap();
    let spec = "openapi: 3.1.0\ninfo: { title: t, version: '1' }\npaths:\n  /r:\n    get:\n      responses:\n        '201': { description: a }\n        2xx: { description: b }\n        default: { description: c }\n";
    let c = Contract::load(&write(dir.path(), "r.yaml", spec)).unwrap();
    let (op, _) = op(&c, Method::GET, "/r");
    let found = |s: u16| op.response(s).map(|r| r.status.as_str());
    assert_eq!(found(201), Some("201"));
    assert_eq!(found(204), Some("2xx"));
    assert_eq!(found(500), Some("default"));
}
