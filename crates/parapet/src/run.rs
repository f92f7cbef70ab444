//! The subcommands.

use crate::bookstore;
use parapet_config::ConfigErrors;
use parapet_proxy::Gateway;
use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

/// The demo configuration, also shipped as `examples/demo.yaml`.
const DEMO_CONFIG: &str = include_str!("../../../examples/demo.yaml");

/// Operational logs go to stderr; `PARAPET_LOG` sets the filter (default `info`).
pub fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("PARAPET_LOG")
        .unwrap_or_else(|_| "info".into());
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .compact()
        .init();
}

fn print_errors(errors: &ConfigErrors) {
    for e in &errors.0 {
        eprintln!("{e}");
    }
}

/// `parapet check`.
pub fn check(path: &Path) -> ExitCode {
    match parapet_config::load(path) {
        Ok(config) => {
            for w in &config.warnings {
                eprintln!("warning: {w}");
            }
            let routes: usize = config.apis.iter().map(|a| a.routes.len()).sum();
            eprintln!(
                "{}: ok ({} listener(s), {} upstream(s), {} api(s), {routes} route(s))",
                path.display(),
                config.listeners.len(),
                config.upstreams.len(),
                config.apis.len()
            );
            ExitCode::SUCCESS
        }
        Err(errors) => {
            print_errors(&errors);
            eprintln!("{}: {} error(s)", path.display(), errors.0.len());
            ExitCode::FAILURE
        }
    }
}

/// One worker: a single-threaded runtime, without work-stealing's synchronization.
/// More: a work-stealing runtime with that many workers (default: one per core).
fn runtime(workers: Option<usize>) -> std::io::Result<tokio::runtime::Runtime> {
    let mut b = match workers {
        Some(1) => tokio::runtime::Builder::new_current_thread(),
        Some(n) => {
            let mut b = tokio::runtime::Builder::new_multi_thread();
            b.worker_threads(n.max(1));
            b
        }
        None => tokio::runtime::Builder::new_multi_thread(),
    };
    b.enable_all().build()
}

/// `parapet run`.
pub fn run(path: &Path, workers: Option<usize>) -> ExitCode {
    let config = match parapet_config::load(path) {
        Ok(c) => c,
        Err(errors) => {
            print_errors(&errors);
            return ExitCode::FAILURE;
        }
    };
    match runtime(workers)
        .map_err(anyhow::Error::from)
        .and_then(|rt| rt.block_on(serve(config, None)))
    {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// The bookstore's contract, also shipped as `examples/bookstore.openapi.yaml`.
const DEMO_CONTRACT: &str = include_str!("../../../examples/bookstore.openapi.yaml");

/// The built-in demo configuration, written with its contract to a private folder of its
/// own (so that the demo runs from anywhere), which lives as long as the returned guard.
fn demo_config() -> Result<(parapet_config::Config, tempfile::TempDir), ConfigErrors> {
    let cannot = |e: std::io::Error| {
        ConfigErrors(vec![parapet_config::ConfigError {
            file: std::env::temp_dir(),
            line: 0,
            column: 0,
            reason: format!("cannot write the demo files: {e}"),
        }])
    };
    let dir = tempfile::Builder::new()
        .prefix("parapet-demo-")
        .tempdir()
        .map_err(cannot)?;
    std::fs::write(dir.path().join("bookstore.openapi.yaml"), DEMO_CONTRACT).map_err(cannot)?;
    std::fs::write(dir.path().join("demo.yaml"), DEMO_CONFIG).map_err(cannot)?;
    let config = parapet_config::load(&dir.path().join("demo.yaml"))?;
    Ok((config, dir))
}

/// `parapet demo`: the bookstore, and Parapet with the built-in configuration (which
/// prints what to try) or with `config`.
pub fn demo(config: Option<&Path>) -> ExitCode {
    let (loaded, help) = match config {
        Some(path) => (parapet_config::load(path).map(|c| (c, None)), None),
        None => (
            demo_config().map(|(c, dir)| (c, Some(dir))),
            Some(print_demo_help as fn(&Gateway, &str) -> anyhow::Result<()>),
        ),
    };
    // The demo's folder stays until the demo stops.
    let (config, _demo_dir) = match loaded {
        Ok(c) => c,
        Err(errors) => {
            print_errors(&errors);
            return ExitCode::FAILURE;
        }
    };
    let result = runtime(None).map_err(anyhow::Error::from).and_then(|rt| {
        rt.block_on(async {
            let upstream = bookstore::DEMO_ADDR;
            let listener = tokio::net::TcpListener::bind(upstream)
                .await
                .map_err(|e| anyhow::anyhow!("cannot start the bookstore on {upstream}: {e}"))?;
            tokio::spawn(bookstore::serve(listener));
            serve(config, help).await
        })
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Creates an API key for each demo consumer (the demo store is in memory) and prints what
/// to try.
fn print_demo_help(gateway: &Gateway, admin: &str) -> anyhow::Result<()> {
    let gw = gateway
        .local_addrs()
        .first()
        .map(ToString::to_string)
        .unwrap_or_default();
    let store = gateway.shared().snapshot.load().identity.store().clone();
    let key = |consumer: &str| {
        store
            .create_key(consumer, Some("demo"), None)
            .map(|k| k.secret)
            .map_err(|e| anyhow::anyhow!("demo key for {consumer}: {e}"))
    };
    let (alice, ops) = (key("alice")?, key("ops")?);
    println!(
        r#"
Parapet demo: the bookstore API (http://{up}) is behind Parapet at http://{gw}
API keys created for this run: alice (user 1, books:write) {alice}
                               ops (admin)                 {ops}
  allowed:  curl -i http://{gw}/books/1
  allowed:  curl -i -X POST http://{gw}/books -H 'x-api-key: {alice}' -H 'content-type: application/json' -H 'idempotency-key: order-1' -d '{{"title":"Dune"}}'
            (send it twice: the retry gets the first answer, Idempotent-Replayed: true)
  allowed:  curl -i http://{gw}/users/1 -H 'x-api-key: {alice}'
  allowed:  curl -i http://{gw}/users/2 -H 'x-api-key: {ops}'
  refused:  curl -i http://{gw}/users/2 -H 'x-api-key: {alice}'           (403: another user's record)
  refused:  curl -i -X POST http://{gw}/books -d '{{}}' -H 'content-type: application/json'   (401: no key)
  refused:  curl -i -X POST 'http://{gw}/books?api_key={alice}'            (400: key in the URL)
  refused:  curl -i http://{gw}/admin/stats -H 'x-api-key: {ops}'         (403, ip-denied: admin only from 10.0.0.0/8)
  refused:  curl -i -X POST http://{gw}/books -H 'x-api-key: {alice}' -H 'content-type: text/xml' -d '<a/>'   (415)
  refused:  curl -i 'http://{gw}/books/../admin/stats' --path-as-is         (400, path-not-normalized)
  refused:  curl -i -X POST http://{gw}/books -H 'x-api-key: {alice}' -H 'content-type: application/json' -d '{{"title":"Dune","id":1}}'
            (400, invalid-request: NewBook has no id; the errors list names /id)
  refused:  curl -i http://{gw}/books/0                                   (400: the contract says id >= 1)
  refused:  curl -i -X POST http://{gw}/books -H 'x-api-key: {alice}' -H 'content-type: application/json' -d '{{"title":"<img src=x onerror=alert(1)>"}}'
            (403, attack-detected: the event on stderr names the class, rule and field)
  refused:  curl -i http://{gw}/internal/debug -H 'x-api-key: {alice}'    (404, unknown-endpoint: not in the contract)
  filtered: curl -s http://{gw}/users/1 -H 'x-api-key: {alice}'           (no password_hash: the contract does not declare it)
  limited:  for i in $(seq 25); do curl -s -o /dev/null -w '%{{http_code}} ' http://{gw}/books/1; done   (429 after 20)
  metrics:  curl -s http://{admin}/metrics | grep parapet_refusals
Access log on stdout, security events on stderr. Ctrl-C stops."#,
        up = bookstore::DEMO_ADDR
    );
    Ok(())
}

/// Starts the gateway and the admin listener, reloads on change, and shuts down gracefully
/// on SIGINT or SIGTERM.
async fn serve(
    config: parapet_config::Config,
    on_ready: Option<fn(&Gateway, &str) -> anyhow::Result<()>>,
) -> anyhow::Result<()> {
    for w in &config.warnings {
        tracing::warn!("{w}");
    }
    let admin_addr = config.admin.as_ref().map(|a| a.addr);
    let gateway = Gateway::start(config).await?;
    // Reloads and the signal handlers are in place before the gateway says it is up.
    let watcher = gateway.watch(Duration::from_secs(1));
    let stop = stop_signal();
    for a in gateway.local_addrs() {
        tracing::info!("listening on {a}");
    }
    let (stop_admin, admin_stopped) = tokio::sync::oneshot::channel::<()>();
    if let Some(addr) = admin_addr {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|e| anyhow::anyhow!("cannot listen on admin address {addr}: {e}"))?;
        tracing::info!("admin on {addr}");
        let shared = gateway.shared();
        tokio::spawn(parapet_admin::serve(listener, shared, async {
            let _ = admin_stopped.await;
        }));
    }
    if let Some(ready) = on_ready {
        ready(
            &gateway,
            &admin_addr.map(|a| a.to_string()).unwrap_or_default(),
        )?;
    }
    stop.await;
    tracing::info!("shutting down: draining in-flight requests");
    watcher.abort();
    gateway.shutdown().await;
    let _ = stop_admin.send(());
    Ok(())
}

/// Completes on SIGINT or SIGTERM; both handlers are registered when this returns.
fn stop_signal() -> impl std::future::Future<Output = ()> {
    use tokio::signal::unix::{SignalKind, signal};
    let handlers = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    );
    async move {
        match handlers {
            (Ok(mut term), Ok(mut int)) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = int.recv() => {}
                }
            }
            _ => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
}
