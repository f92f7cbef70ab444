//! The Redis/Valkey backend: every operation is one atomic server-side script or command on
//! one key, so it works the same on a single node and on a cluster (each key lives in
//! one slot; nothing spans slots).
//!
//! Rate scripts read the clock of the Redis server (`TIME`), not of the replica, so
//! replicas with skewed clocks still share one exact limit.

use crate::gcra::{Gcra, Outcome};
use crate::key::Key;
use crate::window::Window;
use crate::{QuotaOutcome, Record};
use redis::aio::ConnectionManager;
use redis::cluster_async::ClusterConnection;
use redis::{FromRedisValue, RedisResult, Script};
use std::sync::LazyLock;
use std::time::Duration;

/// GCRA on one key. `ARGV`: interval (µs), burst, cost. Returns `{allowed, a, b}`: when
/// allowed `a` = remaining, `b` = reset (µs); when refused `a` = retry after, `b` = reset.
static GCRA: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local tolerance = interval * tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]))
if tat == nil or tat < now then tat = now end
local new_tat = tat + interval * tonumber(ARGV[3])
local ahead = new_tat - now
if ahead > tolerance then
  return {0, ahead - tolerance, tat - now}
end
redis.call('SET', KEYS[1], string.format('%d', new_tat), 'PX', math.ceil(ahead / 1000) + 1)
return {1, math.floor((tolerance - ahead) / interval), ahead}
",
    )
});

/// Gives back `ARGV[2]` requests of interval `ARGV[1]` µs to a GCRA key.
static REFUND: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local tat = tonumber(redis.call('GET', KEYS[1]))
if tat == nil then return 0 end
local new_tat = tat - tonumber(ARGV[1]) * tonumber(ARGV[2])
if new_tat <= now then
  redis.call('DEL', KEYS[1])
  return 0
end
redis.call('SET', KEYS[1], string.format('%d', new_tat), 'PX', math.ceil((new_tat - now) / 1000) + 1)
return 1
",
    )
});

/// A quota counter. `ARGV`: max, cost, unix second at which the key may go. Returns
/// `{allowed, used}`.
static QUOTA: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local used = tonumber(redis.call('GET', KEYS[1])) or 0
local cost = tonumber(ARGV[2])
if used + cost > tonumber(ARGV[1]) then return {0, used} end
used = redis.call('INCRBY', KEYS[1], cost)
redis.call('EXPIREAT', KEYS[1], ARGV[3])
return {1, used}
",
    )
});

/// A connection to a single node or a cluster; both reconnect by themselves.
#[derive(Clone)]
pub(crate) enum Conn {
    Single(ConnectionManager),
    Cluster(ClusterConnection),
}

/// Where the backend lives.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// One node (or a primary behind a proxy): `redis://host:port/db`.
    Single(String),
    /// Cluster seed nodes.
    Cluster(Vec<String>),
}

impl Conn {
    /// Connects, within `timeout` for each step.
    pub(crate) async fn open(target: &Target, timeout: Duration) -> RedisResult<Conn> {
        match target {
            Target::Single(url) => {
                let client = redis::Client::open(url.as_str())?;
                let config = redis::aio::ConnectionManagerConfig::new()
                    .set_connection_timeout(Some(timeout))
                    .set_response_timeout(Some(timeout))
                    .set_number_of_retries(1)
                    .set_max_delay(Duration::from_millis(500));
                Ok(Conn::Single(
                    ConnectionManager::new_with_config(client, config).await?,
                ))
            }
            Target::Cluster(nodes) => {
                let client = redis::cluster::ClusterClientBuilder::new(nodes.clone())
                    .connection_timeout(timeout)
                    .response_timeout(timeout)
                    .retries(1)
                    .build()?;
                Ok(Conn::Cluster(client.get_async_connection().await?))
            }
        }
    }

    async fn script<T: FromRedisValue>(
        &self,
        script: &Script,
        key: &str,
        args: &[u64],
    ) -> RedisResult<T> {
        let mut invocation = script.key(key);
        for a in args {
            invocation.arg(*a);
        }
        match self.clone() {
            Conn::Single(mut c) => invocation.invoke_async(&mut c).await,
            Conn::Cluster(mut c) => invocation.invoke_async(&mut c).await,
        }
    }

    async fn query<T: FromRedisValue>(&self, cmd: &redis::Cmd) -> RedisResult<T> {
        match self.clone() {
            Conn::Single(mut c) => cmd.query_async(&mut c).await,
            Conn::Cluster(mut c) => cmd.query_async(&mut c).await,
        }
    }

    pub(crate) async fn ping(&self) -> RedisResult<()> {
        self.query::<String>(&redis::cmd("PING")).await.map(|_| ())
    }

    pub(crate) async fn gcra(&self, name: &str, gcra: &Gcra, cost: u32) -> RedisResult<Outcome> {
        let args = [gcra.interval_us, u64::from(gcra.burst), u64::from(cost)];
        let (allowed, a, b): (u8, u64, u64) = self.script(&GCRA, name, &args).await?;
        Ok(if allowed == 1 {
            Outcome::Allowed {
                remaining: u32::try_from(a).unwrap_or(u32::MAX),
                reset: Duration::from_micros(b),
            }
        } else {
            Outcome::Limited {
                retry_after: Duration::from_micros(a),
                reset: Duration::from_micros(b),
            }
        })
    }

    pub(crate) async fn refund(&self, name: &str, gcra: &Gcra, cost: u32) -> RedisResult<()> {
        let args = [gcra.interval_us, u64::from(cost)];
        self.script::<u8>(&REFUND, name, &args).await.map(|_| ())
    }

    pub(crate) async fn quota(
        &self,
        name: &str,
        window: Window,
        max: u64,
        cost: u64,
    ) -> RedisResult<QuotaOutcome> {
        // Kept a day past the window's end, for late readers and clock skew.
        let args = [max, cost, window.end + 86_400];
        let (allowed, used): (u8, u64) = self.script(&QUOTA, name, &args).await?;
        Ok(QuotaOutcome {
            allowed: allowed == 1,
            used,
        })
    }

    pub(crate) async fn put_if_absent(
        &self,
        name: &str,
        record: &Record,
        ttl: Duration,
    ) -> RedisResult<Option<Record>> {
        let mut cmd = redis::cmd("SET");
        cmd.arg(name)
            .arg(record.as_ref())
            .arg("NX")
            .arg("GET")
            .arg("PX")
            .arg(ttl_ms(ttl));
        let old: Option<Vec<u8>> = self.query(&cmd).await?;
        Ok(old.map(Record::from))
    }

    pub(crate) async fn put(&self, name: &str, record: &Record, ttl: Duration) -> RedisResult<()> {
        let mut cmd = redis::cmd("SET");
        cmd.arg(name)
            .arg(record.as_ref())
            .arg("PX")
            .arg(ttl_ms(ttl));
        self.query::<()>(&cmd).await
    }

    pub(crate) async fn get(&self, name: &str) -> RedisResult<Option<Record>> {
        let value: Option<Vec<u8>> = self.query(redis::cmd("GET").arg(name)).await?;
        Ok(value.map(Record::from))
    }

    pub(crate) async fn remove(&self, name: &str) -> RedisResult<()> {
        self.query::<()>(redis::cmd("DEL").arg(name)).await
    }
}

fn ttl_ms(ttl: Duration) -> u64 {
    u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1)
}

/// The Redis name of a key, with the quota window appended.
pub(crate) fn quota_name(key: &Key, prefix: &str, window: Window) -> String {
    format!("{}:{}", key.redis_name(prefix), window.id)
}
