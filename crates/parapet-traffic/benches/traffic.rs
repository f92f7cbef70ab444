//! Benchmarks of the rate-limit decision, against the requirement "local limiter p99 <
//! 5 µs added, Redis limiter p99 < 1 ms on loopback":
//!
//! - `rate_limit/local/{one,two}_limits`: the `rate_limit` policy's request-head phase
//!   with in-process state, for clients cycling through 10 000 addresses (each call builds
//!   the state key: SHA-256 of the key parts, then one sharded map update per limit).
//! - `rate_limit/redis/one_limit`: the same with `state: redis://` against a real
//!   `redis-server` on loopback, started by the bench (one `EVALSHA` round trip).
//! - `quota/local`: the `quota` policy with in-process state.
//!
//! Criterion reports means; then a pass of 20 000 single calls per case prints p50 and
//! p99 (skipped with `--list`, `--test` or `--profile-time`).
//!
//! Run: `cargo bench -p parapet-traffic --bench traffic` (needs `redis-server`:
//! `scripts/install-deps.sh`).

// Setup failures are bench failures.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use criterion::Criterion;
use parapet_config::{
    Fallback, KeyPart, Mode, PolicySet, Quota, QuotaPeriod, Rate, RateLimit, RedisTarget,
    StateConfig,
};
use parapet_policy::{Decision, Policy, RequestContext, Step};
use parapet_state::testing::{RedisServer, percentiles};
use parapet_store::Store;
use parapet_traffic::Runtime;
use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::time::Duration;

const CLIENTS: u32 = 10_000;
const P99_CALLS: usize = 20_000;
const P99_WARMUP: usize = 2_000;

fn limit(name: &str, key: KeyPart, count: u32) -> RateLimit {
    RateLimit {
        name: name.into(),
        scope: "bench".into(),
        key: vec![key],
        // Generous: the bench measures the decision, not refusals.
        rate: Rate {
            count,
            period: Duration::from_secs(1),
        },
        burst: count,
        on_unavailable: Fallback::Local,
        mode: Mode::Enforce,
    }
}

fn runtime(state: StateConfig) -> Runtime {
    let store = Arc::new(Store::in_memory().unwrap());
    Runtime::build(&state, &store, &[], None)
}

/// One request from client number `i` through `policy`'s head phase.
async fn decide(policy: &dyn Policy, i: u32, req: &mut http::request::Parts) -> bool {
    let ip = IpAddr::V4(Ipv4Addr::from(0x0a00_0000 + i % CLIENTS));
    let mut ctx = RequestContext::new(String::new(), ip, ip);
    let decision = match policy.on_request_headers(&mut ctx, req) {
        Step::Now(d) => d,
        Step::Later(p) => p.await,
    };
    matches!(decision, Decision::Continue)
}

struct Case {
    name: &'static str,
    policy: Arc<dyn Policy>,
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let skip_percentiles = args
        .iter()
        .any(|a| a == "--list" || a == "--test" || a.starts_with("--profile-time"));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let redis = RedisServer::start();
    let local = runtime(StateConfig::default());
    let shared = rt.block_on(async {
        let r = runtime(StateConfig {
            redis: Some(RedisTarget::Single(redis.url())),
            timeout: Duration::from_millis(200),
            ..StateConfig::default()
        });
        r.start();
        while !r.state().status().reachable {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        r
    });
    let one = PolicySet {
        rate_limits: vec![limit("ip", KeyPart::Ip, 1_000_000)],
        ..PolicySet::default()
    };
    let two = PolicySet {
        rate_limits: vec![
            limit("ip", KeyPart::Ip, 1_000_000),
            limit("route", KeyPart::Route, 1_000_000),
        ],
        ..PolicySet::default()
    };
    let quota = PolicySet {
        quota: Some(Quota {
            limit: u64::MAX,
            per: QuotaPeriod::Month,
            key: vec![KeyPart::Consumer],
            scope: "bench".into(),
            on_unavailable: Fallback::Local,
            mode: Mode::Enforce,
        }),
        ..PolicySet::default()
    };
    let cases = [
        Case {
            name: "rate_limit/local/one_limit",
            policy: local.policies(&one).remove(0),
        },
        Case {
            name: "rate_limit/local/two_limits",
            policy: local.policies(&two).remove(0),
        },
        Case {
            name: "quota/local",
            policy: local.policies(&quota).remove(0),
        },
        Case {
            name: "rate_limit/redis/one_limit",
            policy: shared.policies(&one).remove(0),
        },
    ];
    let mut req = http::Request::get("/orders")
        .body(())
        .unwrap()
        .into_parts()
        .0;
    let mut c = Criterion::default()
        .sample_size(50)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args();
    for case in &cases {
        let mut i = 0u32;
        c.bench_function(case.name, |b| {
            b.iter(|| {
                i = i.wrapping_add(1);
                assert!(rt.block_on(decide(case.policy.as_ref(), black_box(i), &mut req)));
            })
        });
    }
    c.final_summary();
    if skip_percentiles {
        return;
    }
    println!("\nsingle-call percentiles ({P99_CALLS} calls per case, after {P99_WARMUP}):");
    for case in &cases {
        let mut i = 0u32;
        percentiles(case.name, P99_WARMUP, P99_CALLS, || {
            i = i.wrapping_add(1);
            assert!(rt.block_on(decide(case.policy.as_ref(), black_box(i), &mut req)));
        });
    }
}
