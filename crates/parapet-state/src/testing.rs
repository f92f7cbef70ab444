//! Test and benchmark support (feature `testing`):
//!
//! - real Redis servers: a single node that can be killed and restarted on the same port,
//!   and a three-node cluster. They need `redis-server` and `redis-cli` on the `PATH`
//!   (`scripts/install-deps.sh` installs them); a test that needs one fails, it does not
//!   skip, when they are missing;
//! - [`percentiles`], the single-call p50/p99 pass of the benchmarks.

#![allow(clippy::expect_used, missing_docs)]

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Times `calls` single calls of `call` (after `warmup` untimed ones) and prints
/// `p99 <case>: <µs> µs (p50 <µs> µs)`; returns the p99 in µs. Benchmarks print this after
/// criterion's means, for requirements stated as a p99.
pub fn percentiles(case: &str, warmup: usize, calls: usize, mut call: impl FnMut()) -> f64 {
    for _ in 0..warmup {
        call();
    }
    let mut times = Vec::with_capacity(calls);
    for _ in 0..calls {
        let start = Instant::now();
        call();
        times.push(start.elapsed());
    }
    times.sort_unstable();
    let rank = |p: f64| {
        let index = ((p * times.len() as f64).ceil() as usize).clamp(1, times.len()) - 1;
        times[index].as_secs_f64() * 1e6
    };
    let p99 = rank(0.99);
    println!("p99 {case}: {p99:.2} µs (p50 {:.2} µs)", rank(0.50));
    p99
}

/// A `redis-server` process on a loopback port, killed when dropped.
pub struct RedisServer {
    port: u16,
    dir: tempfile::TempDir,
    child: Option<Child>,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

fn spawn(port: u16, dir: &Path, extra: &[&str]) -> Child {
    Command::new("redis-server")
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
        .args(["--save", "", "--appendonly", "no", "--protected-mode", "no"])
        .arg("--dir")
        .arg(dir)
        .args(extra)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("redis-server must be installed (scripts/install-deps.sh)")
}

fn cli(port: u16, args: &[&str]) -> Option<String> {
    let out = Command::new("redis-cli")
        .args(["-h", "127.0.0.1", "-p", &port.to_string()])
        .args(args)
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

fn wait_for(what: &str, mut ready: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !ready() {
        assert!(Instant::now() < deadline, "{what} did not come up");
        std::thread::sleep(Duration::from_millis(20));
    }
}

impl RedisServer {
    /// Starts a fresh server and waits until it answers.
    pub fn start() -> RedisServer {
        let mut server = RedisServer {
            port: free_port(),
            dir: tempfile::tempdir().expect("a temp dir"),
            child: None,
        };
        server.restart();
        server
    }

    /// `redis://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Kills the server (SIGKILL: no goodbye to clients).
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts it again on the same port (empty: nothing is saved).
    pub fn restart(&mut self) {
        self.kill();
        self.child = Some(spawn(self.port, self.dir.path(), &[]));
        let port = self.port;
        wait_for("redis-server", || {
            cli(port, &["PING"]).is_some_and(|o| o.contains("PONG"))
        });
    }

    /// Runs `redis-cli` against it, returning stdout.
    pub fn cli(&self, args: &[&str]) -> String {
        cli(self.port, args).expect("redis-cli must work")
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A three-primary Redis cluster on loopback ports.
pub struct RedisCluster {
    ports: Vec<u16>,
    _dirs: Vec<tempfile::TempDir>,
    children: Vec<Child>,
}

impl RedisCluster {
    /// Starts three nodes, joins them into a cluster and waits until it is `ok`.
    pub fn start() -> RedisCluster {
        let ports: Vec<u16> = (0..3).map(|_| free_port()).collect();
        let dirs: Vec<_> = ports
            .iter()
            .map(|_| tempfile::tempdir().expect("a temp dir"))
            .collect();
        let children = ports
            .iter()
            .zip(&dirs)
            .map(|(p, d)| spawn(*p, d.path(), &["--cluster-enabled", "yes"]))
            .collect();
        let cluster = RedisCluster {
            ports,
            _dirs: dirs,
            children,
        };
        for p in &cluster.ports {
            wait_for("cluster node", || {
                cli(*p, &["PING"]).is_some_and(|o| o.contains("PONG"))
            });
        }
        let nodes: Vec<String> = cluster
            .ports
            .iter()
            .map(|p| format!("127.0.0.1:{p}"))
            .collect();
        let mut args = vec!["--cluster", "create"];
        args.extend(nodes.iter().map(String::as_str));
        args.extend(["--cluster-replicas", "0", "--cluster-yes"]);
        cli(cluster.ports[0], &args).expect("redis-cli --cluster create");
        for p in &cluster.ports {
            wait_for("cluster state ok", || {
                cli(*p, &["CLUSTER", "INFO"]).is_some_and(|o| o.contains("cluster_state:ok"))
            });
        }
        cluster
    }

    /// Seed node URLs.
    pub fn urls(&self) -> Vec<String> {
        self.ports
            .iter()
            .map(|p| format!("redis://127.0.0.1:{p}"))
            .collect()
    }
}

impl Drop for RedisCluster {
    fn drop(&mut self) {
        for child in &mut self.children {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
