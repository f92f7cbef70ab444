//! Cost of attack detection, at paranoia 1 with the default settings:
//!
//! - `detect/json_1k`: a benign API request body of about 1 KB (a support ticket: prose with
//!   punctuation and quotes, a name with an apostrophe, an e-mail, a URL with a query, a
//!   nested address, tags, numbers), every key and string inspected;
//! - `detect/json_1m`: about 1 MB, an array of such bodies, all different (throughput);
//! - `detect/head`: the head of a browser's GET: path, a query string and 12 headers with
//!   cookies;
//! - `detect/attack_1k`: the 1 KB body with an SQL injection in one field;
//! - `class/<name>`: the 1 KB body through one class alone (the others excluded, so not
//!   run), to see where the time goes; `class/none` runs no class (parsing and decoding).
//!
//! Run: `cargo bench -p parapet-detect --bench detect`.

// Setup failures are bench failures.
#![allow(clippy::unwrap_used, clippy::expect_used)]

/// The gateway's allocator.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use parapet_detect::{Class, Engine, Exclusion, RuleSelector, Settings};
use serde_json::{Value, json};
use std::hint::black_box;

/// The `i`-th ticket: about 1 KB of JSON, values differing from one ticket to the next.
fn ticket(i: u64, comment: &str) -> Value {
    let status = ["open", "pending", "solved"][(i % 3) as usize];
    json!({
        "id": format!("tkt_{i:010}"),
        "subject": format!("Order #{} arrived damaged, can't return it", 10_000 + i),
        "status": status,
        "priority": i % 4,
        "requester": {
            "name": "Siobhán O'Connor-D'Arcy",
            "email": format!("siobhan.oconnor+{i}@example.ie"),
            "phone": "+353 1 234 5678",
            "address": { "line1": "12 St. Stephen's Green", "city": "Dublin", "postcode": "D02 X285", "country": "IE" }
        },
        "comment": comment,
        "links": [format!("https://shop.example.com/orders/{}?ref=email&utm_source=newsletter", 10_000 + i)],
        "tags": ["damaged", "returns", "priority-customer"],
        "custom_fields": { "order_total": 149.95 + i as f64, "channel": "web", "first_contact": i.is_multiple_of(2) },
        "created_at": "2024-06-01T12:34:56Z"
    })
}

const COMMENT: &str = "Hi there! The parcel came on Tuesday (two days late) and the box was crushed; \
    the mug inside is in 3 pieces. I've attached photos. Could you send a replacement, or refund \
    me -- whichever is faster? My neighbour said \"just bin it\", but I'd rather not. Thanks, S.";

fn bench(c: &mut Criterion) {
    let engine = Engine::new(Settings::default()).unwrap();
    let mut group = c.benchmark_group("detect");

    let body = serde_json::to_vec(&ticket(1, COMMENT)).unwrap();
    group.throughput(Throughput::Bytes(body.len() as u64));
    group.bench_function("json_1k", |b| {
        b.iter(|| {
            let mut scan = engine.scan();
            scan.body(Some("application/json"), black_box(&body));
            assert!(!scan.finish().attack);
        })
    });

    let attack = serde_json::to_vec(&ticket(
        1,
        "x' UNION SELECT username, password FROM users--",
    ))
    .unwrap();
    group.throughput(Throughput::Bytes(attack.len() as u64));
    group.bench_function("attack_1k", |b| {
        b.iter(|| {
            let mut scan = engine.scan();
            scan.body(Some("application/json"), black_box(&attack));
            black_box(scan.finish());
        })
    });

    let many: Vec<Value> = (0..880).map(|i| ticket(i, COMMENT)).collect();
    let large = serde_json::to_vec(&many).unwrap();
    group.throughput(Throughput::Bytes(large.len() as u64));
    group.bench_function("json_1m", |b| {
        b.iter(|| {
            let mut scan = engine.scan();
            scan.body(Some("application/json"), black_box(&large));
            assert!(!scan.finish().attack);
        })
    });

    let headers: [(&str, &str); 12] = [
        ("host", "shop.example.com"),
        (
            "user-agent",
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15",
        ),
        ("accept", "application/json, text/plain, */*"),
        ("accept-language", "en-GB,en;q=0.9"),
        ("accept-encoding", "gzip, deflate, br"),
        (
            "referer",
            "https://shop.example.com/account/orders?page=2&sort=-created_at",
        ),
        ("origin", "https://shop.example.com"),
        ("sec-fetch-site", "same-origin"),
        ("sec-fetch-mode", "cors"),
        (
            "cookie",
            "session=7f3c9a1e2b4d4f6a8c0e; _ga=GA1.2.123456789.1700000000; consent=%7B%22ads%22%3Afalse%2C%22analytics%22%3Atrue%7D",
        ),
        (
            "authorization",
            "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjMifQ.c2lnbmF0dXJl",
        ),
        ("x-request-id", "4bf92f3577b34da6a3ce929d0e0e4736"),
    ];
    group.throughput(Throughput::Elements(1));
    group.bench_function("head", |b| {
        b.iter(|| {
            let mut scan = engine.scan();
            scan.path(black_box("/api/v2/orders/10042/items"));
            scan.query(black_box(
                "q=blue%20mug&page=2&per_page=50&sort=-created_at&fields=id,name,price",
            ));
            for (name, value) in &headers {
                scan.header(name, value.as_bytes());
            }
            assert!(!scan.finish().attack);
        })
    });
    group.finish();

    // One class alone: every other class is excluded everywhere, and so is not run.
    let mut group = c.benchmark_group("class");
    group.throughput(Throughput::Bytes(body.len() as u64));
    for class in Class::ALL.into_iter().map(Some).chain([None]) {
        let others = Class::ALL
            .into_iter()
            .filter(|c| Some(*c) != class)
            .map(RuleSelector::Class)
            .collect();
        let settings = Settings {
            exclusions: vec![Exclusion {
                rules: others,
                locations: Vec::new(),
            }],
            ..Settings::default()
        };
        let engine = Engine::new(settings).unwrap();
        group.bench_function(class.map_or("none", Class::name), |b| {
            b.iter(|| {
                let mut scan = engine.scan();
                scan.body(Some("application/json"), black_box(&body));
                assert!(!scan.finish().attack);
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
