//! Throughput of the JSON threat-limit parser ([`parapet_contract::limits::json::parse`]),
//! in bytes of body per second, with the default limits:
//!
//! - `json_parse/parapet/object_1k`: one typical API object of about 1 KB (an order: ids,
//!   names, a timestamp, amounts, flags, a nested address, an array of line items, tags,
//!   an escaped note and some non-ASCII text);
//! - `json_parse/parapet/array_1m`: about 1 MB, an array of such objects, all different.
//!
//! `json_parse/serde_json/…` parses the same bodies with `serde_json::from_slice` into a
//! `Value`, as a baseline (it checks no limits and accepts duplicate keys).
//!
//! Run: `cargo bench -p parapet-contract --bench json`.

// Setup failures are bench failures.
#![allow(clippy::unwrap_used, clippy::expect_used)]

/// The gateway's allocator: parsing builds many small values, so it matters.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use parapet_contract::limits::json::{JsonLimits, parse};
use serde_json::{Value, json};
use std::hint::black_box;

/// The `i`-th order: about 1 KB of JSON, with values that differ from one order to the next.
fn order(i: u64) -> Value {
    let status = ["pending", "paid", "shipped", "delivered"][(i % 4) as usize];
    json!({
        "id": format!("ord_{i:012}"),
        "object": "order",
        "created_at": "2024-06-01T12:34:56.789Z",
        "updated_at": 1_717_245_296 + i,
        "status": status,
        "currency": "EUR",
        "total": 1234.5 + i as f64 * 0.25,
        "discount": -12.75,
        "paid": i.is_multiple_of(2),
        "coupon": null,
        "customer": {
            "id": format!("cus_{:08}", i * 7919 % 100_000_000),
            "email": format!("customer{i}@example.com"),
            "name": "Zoë Müller-Łukasiewicz",
            "phone": "+49 30 1234567",
            "address": {
                "line1": "Friedrichstraße 123",
                "line2": "Hinterhaus, 3. OG",
                "city": "Berlin",
                "postal_code": "10117",
                "country": "DE"
            }
        },
        "items": [
            {"sku": format!("SKU-{:05}", i % 99_991), "name": "Wireless keyboard", "quantity": 1, "unit_price": 49.99, "tax_rate": 0.19},
            {"sku": "SKU-00042", "name": "USB-C cable (2 m)", "quantity": 3, "unit_price": 9.5, "tax_rate": 0.19},
            {"sku": "SKU-31337", "name": "Monitor arm", "quantity": 1, "unit_price": 89, "tax_rate": 0.07}
        ],
        "tags": ["priority", "gift", "eu"],
        "note": "Leave at the door.\nCall \"Anna\" if nobody answers \u{2014} thanks!",
        "metadata": {"source": "web", "campaign": "summer_sale", "ab_bucket": i % 16}
    })
}

fn bench(c: &mut Criterion) {
    let limits = JsonLimits::default();
    let object = serde_json::to_vec(&order(0)).unwrap();
    let mut array = b"[".to_vec();
    for i in 0.. {
        let next = serde_json::to_vec(&order(i)).unwrap();
        if array.len() + next.len() + 2 > 1_000_000 {
            break;
        }
        if i > 0 {
            array.push(b',');
        }
        array.extend_from_slice(&next);
    }
    array.push(b']');
    assert!(parse(&object, &limits).is_ok() && parse(&array, &limits).is_ok());
    eprintln!(
        "object_1k: {} bytes; array_1m: {} bytes",
        object.len(),
        array.len()
    );

    let mut group = c.benchmark_group("json_parse");
    for (name, body) in [("object_1k", &object), ("array_1m", &array)] {
        group.throughput(Throughput::Bytes(body.len() as u64));
        group.bench_function(format!("parapet/{name}"), |b| {
            b.iter(|| parse(black_box(body), &limits).unwrap())
        });
        group.bench_function(format!("serde_json/{name}"), |b| {
            b.iter(|| serde_json::from_slice::<Value>(black_box(body)).unwrap())
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
