//! Routing plus validation of a typical 1 KB JSON request body, the per-request cost of
//! contract enforcement: look the operation up among 40 paths, check its parameters, parse
//! the body under the threat limits and validate it (schema, `readOnly`, strict mode).
//! The issue's bound is a median of at most 10 µs.
//!
//! `cargo bench -p parapet-contract --bench contract`

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

/// The gateway's allocator: parsing builds many small values, so it matters.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use http::{HeaderMap, Method};
use parapet_contract::{BodyPlan, Checks, Contract, Findings, Lookup};
use std::hint::black_box;

/// A typical API: 40 paths (10 resources × collection, item, sub-collection, action), an
/// order schema with nested objects, arrays, formats, enums and a `readOnly` id.
fn spec() -> String {
    let mut paths = String::new();
    for r in [
        "users",
        "orders",
        "products",
        "carts",
        "invoices",
        "shipments",
        "reviews",
        "coupons",
        "stores",
        "tickets",
    ] {
        paths.push_str(&format!(
            r##"
  /{r}:
    get:
      parameters: [ {{ name: limit, in: query, schema: {{ type: integer, minimum: 1, maximum: 100 }} }} ]
      responses: {{ "200": {{ description: ok }} }}
    post:
      requestBody:
        required: true
        content: {{ application/json: {{ schema: {{ $ref: "#/components/schemas/Order" }} }} }}
      responses: {{ "201": {{ description: ok }} }}
  /{r}/{{id}}:
    parameters: [ {{ name: id, in: path, required: true, schema: {{ type: string, format: uuid }} }} ]
    get: {{ responses: {{ "200": {{ description: ok }} }} }}
    put:
      requestBody:
        required: true
        content: {{ application/json: {{ schema: {{ $ref: "#/components/schemas/Order" }} }} }}
      responses: {{ "200": {{ description: ok }} }}
  /{r}/{{id}}/items:
    parameters: [ {{ name: id, in: path, required: true, schema: {{ type: string, format: uuid }} }} ]
    get: {{ responses: {{ "200": {{ description: ok }} }} }}
  /{r}/{{id}}/actions/cancel:
    parameters: [ {{ name: id, in: path, required: true, schema: {{ type: string, format: uuid }} }} ]
    post: {{ responses: {{ "204": {{ description: ok }} }} }}
"##
        ));
    }
    format!(
        r##"
openapi: 3.1.0
info: {{ title: shop, version: "1" }}
paths:{paths}
components:
  schemas:
    Address:
      type: object
      required: [street, city, country]
      properties:
        street: {{ type: string, maxLength: 100 }}
        city: {{ type: string, maxLength: 50 }}
        zip: {{ type: string, pattern: "^[0-9A-Z -]{{3,10}}$" }}
        country: {{ type: string, enum: [FR, DE, US, GB, ES, IT] }}
    Line:
      type: object
      required: [sku, quantity, price]
      properties:
        sku: {{ type: string, pattern: "^[A-Z]{{3}}-[0-9]{{4}}$" }}
        quantity: {{ type: integer, minimum: 1, maximum: 100 }}
        price: {{ type: number, minimum: 0 }}
        note: {{ type: [string, "null"], maxLength: 200 }}
    Order:
      type: object
      required: [customer, email, lines, shipping]
      properties:
        id: {{ type: string, format: uuid, readOnly: true }}
        customer: {{ type: string, minLength: 1, maxLength: 80 }}
        email: {{ type: string, format: email }}
        placed_at: {{ type: string, format: date-time }}
        lines: {{ type: array, minItems: 1, maxItems: 50, items: {{ $ref: "#/components/schemas/Line" }} }}
        shipping: {{ $ref: "#/components/schemas/Address" }}
        billing: {{ $ref: "#/components/schemas/Address" }}
        coupon: {{ type: string, maxLength: 20 }}
        gift: {{ type: boolean }}
"##
    )
}

fn body() -> String {
    let lines: Vec<String> = (0..10)
        .map(|i| {
            format!(
                r#"{{"sku":"ABC-{:04}","quantity":{},"price":{}.99,"note":{}}}"#,
                1000 + i,
                i + 1,
                10 + i,
                if i % 2 == 0 {
                    "null".to_string()
                } else {
                    "\"gift wrap please\"".to_string()
                }
            )
        })
        .collect();
    format!(
        r#"{{"customer":"Ada Lovelace","email":"ada@example.com","placed_at":"2026-11-23T10:00:00Z","lines":[{}],"shipping":{{"street":"12 Analytical Engine Road","city":"London","zip":"NW1 6XE","country":"GB"}},"billing":{{"street":"12 Analytical Engine Road","city":"London","zip":"NW1 6XE","country":"GB"}},"coupon":"WINTER26","gift":false}}"#,
        lines.join(",")
    )
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shop.yaml");
    std::fs::write(&path, spec()).unwrap();
    let contract = Contract::load(&path).unwrap();
    let body = body();
    assert!(
        (900..1200).contains(&body.len()),
        "the body is {} bytes",
        body.len()
    );
    let checks = Checks {
        strict: true,
        ..Checks::default()
    };
    let headers = HeaderMap::new();
    let run = |path: &str| {
        let Lookup::Found(op, raw) = contract.lookup(&Method::PUT, path) else {
            panic!("no route");
        };
        let mut out = Findings::default();
        op.check_params(contract.shapes(), &raw, None, &headers, &checks, &mut out);
        let BodyPlan::Check(media) =
            op.body_plan(Some("application/json"), Some(body.len() as u64))
        else {
            panic!("no body plan");
        };
        op.check_body(
            contract.shapes(),
            media,
            "application/json",
            body.as_bytes(),
            &checks,
            &mut out,
        );
        out
    };
    let target = "/tickets/7f1c1a52-5b0e-4a8e-9d2f-3c1b2a4d5e6f";
    assert!(
        run(target).violations.is_empty(),
        "{:?}",
        run(target).violations
    );

    let mut g = c.benchmark_group("contract");
    g.throughput(Throughput::Bytes(body.len() as u64));
    g.bench_function("route + params + 1 KB JSON body", |b| {
        b.iter(|| black_box(run(black_box(target))))
    });
    g.bench_function("route only (40 paths)", |b| {
        b.iter(|| {
            black_box(matches!(
                contract.lookup(&Method::PUT, black_box(target)),
                Lookup::Found(..)
            ))
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
