//! The state backends against real servers: one Redis node shared by two replicas, a
//! Redis that dies and comes back, a three-node cluster, and quota usage that survives a
//! restart of the in-process state.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use parapet_state::testing::{RedisCluster, RedisServer};
use parapet_state::{Gcra, Key, Kind, Period, Settings, State, Target, Unavailable};
use parapet_store::Store;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

fn key(kind: Kind, name: &str) -> Key {
    Key::new(kind, [name.as_bytes()])
}

fn redis_settings(target: Target) -> Settings {
    Settings {
        remote: Some(target),
        timeout: Duration::from_millis(200),
        ..Settings::default()
    }
}

/// A started state that has reached Redis.
async fn connected(target: Target) -> State {
    let state = State::new(redis_settings(target), None);
    state.start();
    until_reachable(&state, true).await;
    state
}

async fn until_reachable(state: &State, reachable: bool) {
    tokio::time::timeout(Duration::from_secs(10), async {
        while state.status().reachable != reachable {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .unwrap_or_else(|_| panic!("state never became reachable={reachable}"));
}

async fn admitted(state: &State, k: Key, gcra: Gcra, n: usize) -> Result<usize, Unavailable> {
    let mut admitted = 0;
    for _ in 0..n {
        let outcome = state.rate(&[(k, gcra)], 1).await?;
        admitted += usize::from(outcome[0].allowed());
    }
    Ok(admitted)
}

#[tokio::test]
async fn two_replicas_share_one_limit_through_redis() {
    let redis = RedisServer::start();
    let a = connected(Target::Single(redis.url())).await;
    let b = connected(Target::Single(redis.url())).await;
    // 10 per hour: nothing replenishes during the test.
    let gcra = Gcra::new(10, Duration::from_secs(3600), 10);
    let k = key(Kind::Rate, "shared");
    let mut total = 0;
    for _ in 0..10 {
        total += admitted(&a, k, gcra, 1).await.unwrap();
        total += admitted(&b, k, gcra, 1).await.unwrap();
    }
    assert_eq!(
        total, 10,
        "the two replicas admitted {total} of a limit of 10"
    );
    // Another key is not affected.
    assert_eq!(
        admitted(&b, key(Kind::Rate, "other"), gcra, 3)
            .await
            .unwrap(),
        3
    );
}

#[tokio::test]
async fn a_refusal_by_one_limit_refunds_the_others() {
    let redis = RedisServer::start();
    let state = connected(Target::Single(redis.url())).await;
    let loose = (
        key(Kind::Rate, "loose"),
        Gcra::new(5, Duration::from_secs(3600), 5),
    );
    let tight = (
        key(Kind::Rate, "tight"),
        Gcra::new(1, Duration::from_secs(3600), 1),
    );
    let first = state.rate(&[loose, tight], 1).await.unwrap();
    assert!(first.iter().all(|o| o.allowed()));
    for _ in 0..3 {
        let o = state.rate(&[loose, tight], 1).await.unwrap();
        assert!(o[0].allowed() && !o[1].allowed());
    }
    // Refunds are sent in the background.
    tokio::time::sleep(Duration::from_millis(200)).await;
    // Only the first request was charged to the loose limit: 4 are left.
    assert_eq!(admitted(&state, loose.0, loose.1, 10).await.unwrap(), 4);
}

#[tokio::test]
async fn when_redis_dies_calls_fail_fast_and_counting_resumes_when_it_returns() {
    let mut redis = RedisServer::start();
    let state = connected(Target::Single(redis.url())).await;
    let gcra = Gcra::new(100, Duration::from_secs(3600), 100);
    let k = key(Kind::Rate, "k");
    assert_eq!(admitted(&state, k, gcra, 2).await.unwrap(), 2);
    redis.kill();
    // The first call after the death notices it (error or timeout); none hangs.
    let outcome = tokio::time::timeout(Duration::from_secs(5), state.rate(&[(k, gcra)], 1))
        .await
        .expect("a call to a dead Redis must not hang");
    assert_eq!(outcome, Err(Unavailable));
    until_reachable(&state, false).await;
    assert_eq!(state.rate(&[(k, gcra)], 1).await, Err(Unavailable));
    assert!(state.status().unavailable >= 2);
    redis.restart();
    until_reachable(&state, true).await;
    // The restarted server is empty; counting starts again from there.
    assert_eq!(admitted(&state, k, gcra, 3).await.unwrap(), 3);
}

#[tokio::test]
async fn a_state_started_while_redis_is_down_connects_when_it_comes_up() {
    let mut redis = RedisServer::start();
    redis.kill();
    let state = State::new(redis_settings(Target::Single(redis.url())), None);
    state.start();
    let k = key(Kind::Rate, "k");
    let gcra = Gcra::new(1, Duration::from_secs(60), 1);
    assert_eq!(state.rate(&[(k, gcra)], 1).await, Err(Unavailable));
    assert!(!state.status().reachable);
    redis.restart();
    until_reachable(&state, true).await;
    assert_eq!(admitted(&state, k, gcra, 2).await.unwrap(), 1);
}

#[tokio::test]
async fn quotas_nonces_and_records_are_shared() {
    let redis = RedisServer::start();
    let a = connected(Target::Single(redis.url())).await;
    let b = connected(Target::Single(redis.url())).await;
    let window = Period::Day.window(SystemTime::now());
    let q = key(Kind::Quota, "alice");
    assert!(a.quota(&q, window, 3, 2).await.unwrap().allowed);
    let o = b.quota(&q, window, 3, 2).await.unwrap();
    assert!(!o.allowed);
    assert_eq!(o.used, 2);
    assert_eq!(b.quota(&q, window, 3, 1).await.unwrap().used, 3);
    // The key expires a day after the window ends.
    let ttl: i64 = redis
        .cli(&["TTL", &format!("parapet:q:{q}:{}", window.id)])
        .trim()
        .parse()
        .unwrap();
    assert!(ttl > 86_400 && ttl <= 2 * 86_400, "{ttl}");

    let n = key(Kind::Nonce, "n-1");
    let ttl = Duration::from_secs(60);
    assert_eq!(a.put_if_absent(&n, "1".into(), ttl).await.unwrap(), None);
    assert_eq!(
        b.put_if_absent(&n, "2".into(), ttl)
            .await
            .unwrap()
            .as_deref(),
        Some(b"1".as_slice())
    );
    b.put(&n, "3".into(), ttl).await.unwrap();
    assert_eq!(
        a.put_if_absent(&n, "4".into(), ttl)
            .await
            .unwrap()
            .as_deref(),
        Some(b"3".as_slice())
    );
    a.remove(&n).await.unwrap();
    assert_eq!(b.put_if_absent(&n, "5".into(), ttl).await.unwrap(), None);
    // Keys never carry the client's value in clear.
    let keys = redis.cli(&["KEYS", "*"]);
    assert!(!keys.contains("alice") && !keys.contains("n-1"), "{keys}");
}

#[tokio::test]
async fn a_cluster_shares_limits_across_slots() {
    let cluster = RedisCluster::start();
    let a = connected(Target::Cluster(cluster.urls())).await;
    let b = connected(Target::Cluster(cluster.urls())).await;
    let gcra = Gcra::new(5, Duration::from_secs(3600), 5);
    // Many keys, so that every node holds some.
    for i in 0..20 {
        let k = key(Kind::Rate, &format!("user-{i}"));
        let total =
            admitted(&a, k, gcra, 4).await.unwrap() + admitted(&b, k, gcra, 4).await.unwrap();
        assert_eq!(total, 5, "key {i}");
    }
    let window = Period::Month.window(SystemTime::now());
    let q = key(Kind::Quota, "q");
    assert!(a.quota(&q, window, 1, 1).await.unwrap().allowed);
    assert!(!b.quota(&q, window, 1, 1).await.unwrap().allowed);
}

#[test]
fn local_quota_usage_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.db");
    let window = Period::Month.window(SystemTime::now());
    let q = key(Kind::Quota, "alice");
    {
        let state = State::new(
            Settings::default(),
            Some(Arc::new(Store::open(&path).unwrap())),
        );
        for _ in 0..3 {
            assert!(state.local().quota(&q, window, 4, 1).allowed);
        }
        state.flush();
    }
    let state = State::new(
        Settings::default(),
        Some(Arc::new(Store::open(&path).unwrap())),
    );
    assert!(state.local().quota(&q, window, 4, 1).allowed);
    let o = state.local().quota(&q, window, 4, 1);
    assert!(!o.allowed);
    assert_eq!(o.used, 4);
}

#[test]
fn a_full_local_map_makes_newcomers_share_one_bucket() {
    let state = State::new(
        Settings {
            max_keys: 32,
            ..Settings::default()
        },
        None,
    );
    let gcra = Gcra::new(1, Duration::from_secs(3600), 1);
    let mut admitted = 0;
    for i in 0..1000 {
        let k = key(Kind::Rate, &format!("ip-{i}"));
        admitted += usize::from(state.local().rate(&[(k, gcra)], 1)[0].allowed());
    }
    // At most one key per shard slot, plus the shared overflow bucket of each shard.
    assert!(
        admitted <= 64,
        "{admitted} of 1000 rotating keys were admitted"
    );
}

#[test]
fn a_full_record_map_never_answers_for_another_key() {
    let state = State::new(
        Settings {
            max_keys: 32,
            ..Settings::default()
        },
        None,
    );
    let ttl = Duration::from_secs(60);
    let revoked = key(Kind::Revocation, "jti-1");
    state.local().put(&revoked, "1".into(), ttl);
    for i in 0..1000 {
        let nonce = key(Kind::Nonce, &format!("n-{i}"));
        assert_eq!(
            state.local().put_if_absent(&nonce, "1".into(), ttl),
            None,
            "fresh nonce {i} reported as seen"
        );
        assert_eq!(
            state
                .local()
                .get(&key(Kind::Idempotency, &format!("k-{i}"))),
            None
        );
    }
    // A flood of nonces does not push a revocation out.
    assert!(state.local().get(&revoked).is_some());
}
