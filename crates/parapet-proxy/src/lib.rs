//! Parapet's data plane.
//!
//! [`Gateway::start`] binds the listeners of a validated config and serves until
//! [`Gateway::shutdown`]. Each request runs through the pipeline driver in [`service`]:
//! hygiene checks ([`hygiene`]), routing, the policy phases, the upstream exchange
//! ([`upstream`]) and the response phases; [`telemetry`] records it. Configuration changes
//! compile a new [`snapshot::Snapshot`] off the request path and swap it in atomically
//! ([`Gateway::reload`], [`Gateway::watch`]).

pub mod body;
pub mod forward;
pub mod framing;
pub mod hygiene;
pub mod problem;
pub mod server;
pub mod service;
pub mod snapshot;
pub mod telemetry;
pub mod timer;
pub mod upstream;

use arc_swap::ArcSwap;
use parapet_config::Config;
use snapshot::Snapshot;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};
use telemetry::Metrics;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinHandle;

/// State shared by every listener and connection.
pub struct Shared {
    /// The configuration in force.
    pub snapshot: ArcSwap<Snapshot>,
    /// Metrics.
    pub metrics: Arc<Metrics>,
    /// One permit per allowed client connection.
    pub connections: Arc<Semaphore>,
    max_connections: AtomicUsize,
    draining: AtomicBool,
    reload_lock: std::sync::Mutex<()>,
}

/// Why the gateway could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// A listener address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The OS error.
        source: std::io::Error,
    },
    /// The config could not be compiled (TLS material, log files).
    #[error("{0}")]
    Build(String),
}

/// What `/readyz` reports.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Readiness {
    /// Ready to take traffic.
    pub ready: bool,
    /// Shutting down.
    pub draining: bool,
    /// Upstream groups with no target in rotation.
    pub unavailable_upstreams: Vec<String>,
    /// The traffic state backend. An unreachable Redis does not make the gateway unready:
    /// limits fall back as configured, and taking every replica out of rotation would
    /// turn a Redis outage into an API outage.
    pub state: StateReadiness,
}

/// The traffic state part of `/readyz`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct StateReadiness {
    /// `memory` or `redis`.
    pub backend: &'static str,
    /// Whether it answers.
    pub reachable: bool,
    /// Whether limits are counted by each replica alone for now.
    pub fallback: bool,
}

/// A running gateway.
pub struct Gateway {
    shared: Arc<Shared>,
    addrs: Vec<SocketAddr>,
    stop: watch::Sender<bool>,
    listeners: Vec<JoinHandle<()>>,
}

impl Gateway {
    /// Compiles `config`, binds its listeners and starts serving.
    pub async fn start(config: Config) -> Result<Gateway, StartError> {
        let metrics = Arc::new(Metrics::new());
        let max_connections = config.server.max_connections;
        let configured: Vec<SocketAddr> = config.listeners.iter().map(|l| l.addr).collect();
        let snapshot = Snapshot::build(config, None, &metrics).map_err(StartError::Build)?;
        metrics.jwt_keys.watch(snapshot.identity.jwt().clone());
        metrics.state.watch(snapshot.traffic.state());
        let shared = Arc::new(Shared {
            snapshot: ArcSwap::from_pointee(snapshot),
            metrics,
            connections: Arc::new(Semaphore::new(max_connections)),
            max_connections: AtomicUsize::new(max_connections),
            draining: AtomicBool::new(false),
            reload_lock: std::sync::Mutex::new(()),
        });
        let (stop, _) = watch::channel(false);
        let mut addrs = Vec::new();
        let mut listeners = Vec::new();
        for addr in configured {
            let listener = TcpListener::bind(addr)
                .await
                .map_err(|source| StartError::Bind { addr, source })?;
            addrs.push(
                listener
                    .local_addr()
                    .map_err(|source| StartError::Bind { addr, source })?,
            );
            listeners.push(tokio::spawn(server::listener::run(
                listener,
                addr,
                shared.clone(),
                stop.subscribe(),
            )));
        }
        Ok(Gateway {
            shared,
            addrs,
            stop,
            listeners,
        })
    }

    /// The bound addresses, in config order (useful with port 0).
    pub fn local_addrs(&self) -> &[SocketAddr] {
        &self.addrs
    }

    /// The metrics registry.
    pub fn metrics(&self) -> Arc<Metrics> {
        self.shared.metrics.clone()
    }

    /// The shared state, for the admin listener.
    pub fn shared(&self) -> Arc<Shared> {
        self.shared.clone()
    }

    /// Replaces the configuration. Requests in flight finish on the old one. Listener
    /// addresses cannot change without a restart (TLS material and everything else can).
    pub fn reload(&self, config: Config) -> Result<(), String> {
        self.shared.reload(config)
    }

    /// Reloads from the file the current config came from. On any error the running
    /// config stays in force and the errors are returned.
    pub fn reload_from_file(&self) -> Result<(), String> {
        self.shared.reload_from_file()
    }

    /// Reloads on SIGHUP and whenever the config file or a file it names changes (polled
    /// every `poll`). Errors are logged and the old config keeps serving.
    /// The SIGHUP handler is in place when this returns. Call it from within the runtime.
    pub fn watch(&self, poll: Duration) -> JoinHandle<()> {
        let hangup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup());
        if let Err(e) = &hangup {
            tracing::warn!("cannot handle SIGHUP ({e}); reload on file change only");
        }
        tokio::spawn(watch_files(Arc::downgrade(&self.shared), poll, hangup.ok()))
    }

    /// Stops accepting, lets in-flight requests finish for up to `shutdown_grace`, then returns.
    pub async fn shutdown(self) {
        self.shared.draining.store(true, Ordering::Relaxed);
        let _ = self.stop.send(true);
        for l in self.listeners {
            let _ = l.await;
        }
        let grace = self.shared.snapshot.load().config.server.shutdown_grace;
        let deadline = tokio::time::Instant::now() + grace;
        let max = self.shared.max_connections.load(Ordering::Relaxed);
        while self.shared.connections.available_permits() < max
            && tokio::time::Instant::now() < deadline
        {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        // Quota usage counted since the last periodic save.
        self.shared.snapshot.load().traffic.state().flush();
    }
}

impl Shared {
    /// Readiness for `/readyz`.
    pub fn readiness(&self) -> Readiness {
        let snap = self.snapshot.load();
        let unavailable: Vec<String> = snap
            .groups
            .iter()
            .filter(|(_, g)| !g.is_ready())
            .map(|(n, _)| n.clone())
            .collect();
        let draining = self.draining.load(Ordering::Relaxed);
        let state = snap.traffic.state().status();
        Readiness {
            ready: !draining && unavailable.is_empty(),
            draining,
            unavailable_upstreams: unavailable,
            state: StateReadiness {
                backend: state.backend,
                reachable: state.reachable,
                fallback: !state.reachable,
            },
        }
    }

    fn reload(&self, config: Config) -> Result<(), String> {
        let _guard = self
            .reload_lock
            .lock()
            .map_err(|_| "reload lock poisoned".to_string())?;
        let old = self.snapshot.load_full();
        let old_addrs: Vec<SocketAddr> = old.config.listeners.iter().map(|l| l.addr).collect();
        let new_addrs: Vec<SocketAddr> = config.listeners.iter().map(|l| l.addr).collect();
        if old_addrs != new_addrs {
            tracing::warn!("listener addresses changed: the new ones take effect on restart");
        }
        let max = config.server.max_connections;
        let result = Snapshot::build(config, Some(&old), &self.metrics);
        let label = vec![(
            "result",
            if result.is_ok() { "ok" } else { "error" }.to_string(),
        )];
        self.metrics.reloads.get_or_create(&label).inc();
        let snapshot = result?;
        let before = self.max_connections.swap(max, Ordering::Relaxed);
        if max > before {
            self.connections.add_permits(max - before);
        } else {
            self.connections.forget_permits(before - max);
        }
        self.metrics.jwt_keys.watch(snapshot.identity.jwt().clone());
        self.metrics.state.watch(snapshot.traffic.state());
        self.snapshot.store(Arc::new(snapshot));
        Ok(())
    }

    fn reload_from_file(&self) -> Result<(), String> {
        let path = self.snapshot.load().config.source.clone();
        match parapet_config::load(&path) {
            Ok(config) => self.reload(config),
            Err(errors) => {
                self.metrics
                    .reloads
                    .get_or_create(&vec![("result", "error".to_string())])
                    .inc();
                Err(errors.to_string())
            }
        }
    }

    fn fingerprint(&self) -> Vec<(PathBuf, Option<(SystemTime, u64)>)> {
        let snap = self.snapshot.load();
        snap.config
            .watched_files
            .iter()
            .map(|p| {
                (
                    p.clone(),
                    std::fs::metadata(p)
                        .ok()
                        .and_then(|m| Some((m.modified().ok()?, m.len()))),
                )
            })
            .collect()
    }
}

async fn watch_files(
    shared: std::sync::Weak<Shared>,
    poll: Duration,
    mut hangup: Option<tokio::signal::unix::Signal>,
) {
    let mut seen = match shared.upgrade() {
        Some(s) => s.fingerprint(),
        None => return,
    };
    loop {
        let signalled = tokio::select! {
            _ = tokio::time::sleep(poll) => false,
            Some(_) = async { match hangup.as_mut() { Some(h) => h.recv().await, None => std::future::pending().await } } => true,
        };
        let Some(s) = shared.upgrade() else { return };
        let now = s.fingerprint();
        if !signalled && now == seen {
            continue;
        }
        match s.reload_from_file() {
            Ok(()) => tracing::info!(signalled, "configuration reloaded"),
            Err(errors) => {
                for line in errors.lines() {
                    tracing::error!("reload refused, previous configuration kept: {line}");
                }
            }
        }
        seen = s.fingerprint();
    }
}
