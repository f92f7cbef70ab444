//! The HTTP/1.1 client to upstreams: a pool of keep-alive connections per target, each
//! connection driven by hyper's `client::conn::http1` in a task of its own, and opened by
//! hyper-util's connector (resolution, connect timeout, `TCP_NODELAY`) under a rustls
//! connector that verifies certificates (unless `dangerous_skip_verify` says otherwise).
//!
//! A request takes the most recently used idle connection of its target, or opens one; its
//! response body hands the connection back when it ends. A connection is only ever idle
//! when hyper says it can take the next request, so taking one costs a lock and a pop.

use crate::body::{BoxError, ProxyBody};
use bytes::Bytes;
use http::{HeaderValue, Request, Response, Uri, header};
use http_body::{Frame, SizeHint};
use hyper::body::Incoming;
use hyper::client::conn::http1::{self, SendRequest};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use parapet_config::Upstream;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, RootCertStore, SignatureScheme};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tower_service::Service;

/// How long a connection may stay idle in a pool before it is closed.
const IDLE_TIMEOUT: Duration = Duration::from_secs(60);
/// The most idle connections a pool keeps; past that, returned connections are closed.
const MAX_IDLE: usize = 1024;

/// Why an exchange with an upstream failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No connection could be opened (resolution, TCP, TLS).
    #[error("connect: {0}")]
    Connect(BoxError),
    /// The connection failed or the upstream broke the protocol.
    #[error("{0}")]
    Http(#[from] hyper::Error),
}

impl Error {
    /// Whether no connection could be opened.
    pub fn is_connect(&self) -> bool {
        matches!(self, Error::Connect(_))
    }
}

/// The connector of one upstream group, shared by its targets' pools.
#[derive(Clone)]
pub struct Client {
    connector: HttpsConnector<HttpConnector>,
}

/// Builds the client of one upstream group.
pub fn build_client(config: &Upstream) -> Result<Client, rustls::Error> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()?;
    let tls = if config.dangerous_skip_verify {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(NoVerification(provider)))
            .with_no_client_auth()
    } else {
        let mut roots = RootCertStore::empty();
        match &config.tls_ca {
            Some(cas) => {
                for ca in cas {
                    roots.add(ca.clone())?;
                }
            }
            None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
        }
        builder.with_root_certificates(roots).with_no_client_auth()
    };
    let mut http = HttpConnector::new();
    http.enforce_http(false);
    http.set_nodelay(true);
    http.set_connect_timeout(Some(config.connect_timeout));
    let connector = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(tls)
        .https_or_http()
        .enable_http1()
        .wrap_connector(http);
    Ok(Client { connector })
}

/// The idle keep-alive connections to one target.
pub struct Pool {
    /// `scheme://authority` of the target.
    base: Uri,
    /// The `Host` of requests to it: its authority, without the scheme's default port.
    host: HeaderValue,
    idle: Mutex<Vec<Idle>>,
    /// Whether a task is closing connections that stayed idle too long.
    reaping: AtomicBool,
    idle_timeout: Duration,
}

struct Idle {
    sender: SendRequest<ProxyBody>,
    since: Instant,
}

impl std::fmt::Debug for Pool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pool")
            .field("base", &self.base)
            .field("idle", &self.idle())
            .finish()
    }
}

impl Pool {
    /// An empty pool for the target at `base` (`scheme://authority`).
    pub fn new(base: Uri) -> Arc<Pool> {
        Pool::with_idle_timeout(base, IDLE_TIMEOUT)
    }

    fn with_idle_timeout(base: Uri, idle_timeout: Duration) -> Arc<Pool> {
        Arc::new(Pool {
            host: host_header(&base),
            base,
            idle: Mutex::new(Vec::new()),
            reaping: AtomicBool::new(false),
            idle_timeout,
        })
    }

    /// Connections idle now.
    pub fn idle(&self) -> usize {
        self.idle.lock().map_or(0, |idle| idle.len())
    }

    /// The most recently used idle connection that can take a request now.
    fn checkout(&self) -> Option<SendRequest<ProxyBody>> {
        let mut idle = self.idle.lock().ok()?;
        while let Some(Idle { sender, since }) = idle.pop() {
            if since.elapsed() >= self.idle_timeout {
                // The others went idle before this one.
                idle.clear();
                return None;
            }
            if sender.is_ready() {
                return Some(sender);
            }
        }
        None
    }

    /// Takes a connection back once hyper can send its next request on it.
    fn put(self: &Arc<Self>, mut sender: SendRequest<ProxyBody>) {
        if sender.is_ready() {
            self.push(sender);
        } else if !sender.is_closed() {
            // Rare: the request body is still being sent (the upstream answered early).
            let pool = self.clone();
            tokio::spawn(async move {
                if sender.ready().await.is_ok() {
                    pool.push(sender);
                }
            });
        }
    }

    fn push(self: &Arc<Self>, sender: SendRequest<ProxyBody>) {
        let Ok(mut idle) = self.idle.lock() else {
            return;
        };
        if idle.len() >= MAX_IDLE {
            idle.remove(0);
        }
        idle.push(Idle {
            sender,
            since: Instant::now(),
        });
        drop(idle);
        if !self.reaping.swap(true, Ordering::Relaxed) {
            tokio::spawn(reap(Arc::downgrade(self)));
        }
    }
}

/// Closes the connections of `pool` that have been idle for its idle timeout, until it has
/// none left (the next connection put back starts another reaper).
async fn reap(pool: Weak<Pool>) {
    loop {
        let Some(period) = pool.upgrade().map(|p| p.idle_timeout) else {
            return;
        };
        tokio::time::sleep(period / 2).await;
        let Some(pool) = pool.upgrade() else { return };
        let Ok(mut idle) = pool.idle.lock() else {
            return;
        };
        idle.retain(|i| i.since.elapsed() < pool.idle_timeout && !i.sender.is_closed());
        if idle.is_empty() {
            pool.reaping.store(false, Ordering::Relaxed);
            return;
        }
    }
}

/// `Host` for requests to `base`, as hyper-util's client writes it: the host, and the port
/// unless it is the scheme's default.
fn host_header(base: &Uri) -> HeaderValue {
    let host = base.host().unwrap_or_default();
    let default_port = match base.scheme_str() {
        Some("https") => 443,
        _ => 80,
    };
    let value = match base.port_u16() {
        Some(port) if port != default_port => format!("{host}:{port}"),
        _ => host.to_string(),
    };
    HeaderValue::from_str(&value).unwrap_or_else(|_| HeaderValue::from_static("localhost"))
}

impl Client {
    /// Sends `req` to the target of `pool`: on one of its idle connections, or a new one.
    /// The request's URI is sent in origin form (`/path?query`); `Host` is the target's
    /// unless the request has one.
    pub async fn send(
        &self,
        pool: &Arc<Pool>,
        mut req: Request<ProxyBody>,
    ) -> Result<Response<UpstreamBody>, Error> {
        if req.uri().authority().is_some() {
            let path = req
                .uri()
                .path_and_query()
                .cloned()
                .unwrap_or_else(|| http::uri::PathAndQuery::from_static("/"));
            *req.uri_mut() = Uri::from(path);
        }
        req.headers_mut()
            .entry(header::HOST)
            .or_insert_with(|| pool.host.clone());
        loop {
            let (mut sender, reused) = match pool.checkout() {
                Some(sender) => (sender, true),
                None => (self.connect(&pool.base).await?, false),
            };
            match sender.try_send_request(req).await {
                Ok(resp) => return Ok(UpstreamBody::attach(resp, sender, pool)),
                Err(mut e) => match e.take_message() {
                    // The connection closed before the request was written (an idle
                    // connection the upstream had just closed): it can go on another.
                    Some(unsent) if reused => req = unsent,
                    _ => return Err(Error::Http(e.into_error())),
                },
            }
        }
    }

    /// Opens a connection to `base` and starts driving it.
    async fn connect(&self, base: &Uri) -> Result<SendRequest<ProxyBody>, Error> {
        let io = self
            .connector
            .clone()
            .call(base.clone())
            .await
            .map_err(Error::Connect)?;
        let (sender, conn) = http1::handshake(io).await?;
        tokio::spawn(async move {
            if let Err(e) = conn.with_upgrades().await {
                tracing::debug!(error = %e, "upstream connection ended");
            }
        });
        Ok(sender)
    }
}

/// The body of an upstream response. Its connection goes back to the pool when it ends;
/// dropped before that, the connection is closed.
pub struct UpstreamBody {
    inner: Incoming,
    idle: Option<(SendRequest<ProxyBody>, Arc<Pool>)>,
}

impl UpstreamBody {
    fn attach(
        resp: Response<Incoming>,
        sender: SendRequest<ProxyBody>,
        pool: &Arc<Pool>,
    ) -> Response<UpstreamBody> {
        let switching = resp.status() == http::StatusCode::SWITCHING_PROTOCOLS;
        let (parts, inner) = resp.into_parts();
        let mut body = UpstreamBody { inner, idle: None };
        // An upgraded connection is the client's now. Otherwise the connection is ready
        // again once hyper has read the whole response off it (small bodies usually are
        // by now: the rest waits in `inner`), or when the body ends.
        if !switching {
            if sender.is_ready() {
                pool.put(sender);
            } else {
                body.idle = Some((sender, pool.clone()));
            }
        }
        Response::from_parts(parts, body)
    }

    fn release(&mut self) {
        if let Some((sender, pool)) = self.idle.take() {
            pool.put(sender);
        }
    }
}

impl http_body::Body for UpstreamBody {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, hyper::Error>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        match &polled {
            Poll::Ready(None) => self.release(),
            Poll::Ready(Some(Ok(_))) if self.inner.is_end_stream() => self.release(),
            // A failed body leaves its connection unusable.
            Poll::Ready(Some(Err(_))) => self.idle = None,
            _ => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// Accepts any server certificate. Only reachable through `dangerous_skip_verify`.
#[derive(Debug)]
struct NoVerification(Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for NoVerification {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::body::full;
    use http_body_util::BodyExt;
    use hyper_util::rt::TokioIo;
    use std::net::SocketAddr;
    use std::sync::atomic::AtomicUsize;

    /// An upstream answering every request with `hello`, counting the connections it
    /// accepted; with `keep_alive` false it closes each connection after one response.
    async fn upstream(keep_alive: bool) -> (SocketAddr, Arc<AtomicUsize>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let accepted = Arc::new(AtomicUsize::new(0));
        let count = accepted.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                count.fetch_add(1, Ordering::SeqCst);
                let svc = hyper::service::service_fn(|_req| async {
                    Ok::<_, std::convert::Infallible>(Response::new(full("hello")))
                });
                tokio::spawn(
                    hyper::server::conn::http1::Builder::new()
                        .keep_alive(keep_alive)
                        .serve_connection(TokioIo::new(stream), svc),
                );
            }
        });
        (addr, accepted)
    }

    fn client() -> Client {
        build_client(&Upstream {
            name: "up".into(),
            targets: Vec::new(),
            health: None,
            passive_failures: 3,
            passive_cooldown: Duration::from_secs(10),
            connect_timeout: Duration::from_secs(2),
            response_timeout: Duration::from_secs(5),
            total_timeout: None,
            tls_ca: None,
            dangerous_skip_verify: false,
        })
        .unwrap()
    }

    async fn get(client: &Client, pool: &Arc<Pool>) -> Result<String, Error> {
        let req = Request::get("/").body(full("")).unwrap();
        let body = client.send(pool, req).await?.into_body().collect().await?;
        Ok(String::from_utf8_lossy(&body.to_bytes()).into_owned())
    }

    fn base(addr: SocketAddr) -> Uri {
        format!("http://{addr}").parse().unwrap()
    }

    #[tokio::test]
    async fn sequential_requests_reuse_one_connection() {
        let (addr, accepted) = upstream(true).await;
        let (client, pool) = (client(), Pool::new(base(addr)));
        for _ in 0..10 {
            assert_eq!(get(&client, &pool).await.unwrap(), "hello");
        }
        assert_eq!(accepted.load(Ordering::SeqCst), 1);
        assert_eq!(pool.idle(), 1);
    }

    #[tokio::test]
    async fn concurrent_requests_open_connections_that_are_then_reused() {
        let (addr, accepted) = upstream(true).await;
        let (client, pool) = (client(), Pool::new(base(addr)));
        let wave = || {
            let tasks: Vec<_> = (0..20)
                .map(|_| {
                    let (client, pool) = (client.clone(), pool.clone());
                    tokio::spawn(async move { get(&client, &pool).await.unwrap() })
                })
                .collect();
            futures_util::future::join_all(tasks)
        };
        for answer in wave().await {
            assert_eq!(answer.unwrap(), "hello");
        }
        let opened = accepted.load(Ordering::SeqCst);
        assert!((1..=20).contains(&opened), "{opened}");
        assert_eq!(pool.idle(), opened);
        for answer in wave().await {
            assert_eq!(answer.unwrap(), "hello");
        }
        assert!(accepted.load(Ordering::SeqCst) <= 20);
    }

    #[tokio::test]
    async fn connections_the_upstream_closes_are_not_reused() {
        let (addr, accepted) = upstream(false).await;
        let (client, pool) = (client(), Pool::new(base(addr)));
        for _ in 0..5 {
            assert_eq!(get(&client, &pool).await.unwrap(), "hello");
        }
        assert_eq!(accepted.load(Ordering::SeqCst), 5);
    }

    #[tokio::test]
    async fn a_target_that_refuses_connections_is_a_connect_error() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let dead = Pool::new(base(listener.local_addr().unwrap()));
        drop(listener);
        let err = get(&client(), &dead).await.unwrap_err();
        assert!(err.is_connect(), "{err}");
    }

    #[tokio::test]
    async fn an_idle_connection_the_upstream_closed_is_skipped() {
        // An upstream that closes each connection right after answering, while saying
        // nothing about it (no `Connection: close`): the pooled connection dies idle.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            use tokio::io::{AsyncReadExt, AsyncWriteExt};
            while let Ok((mut stream, _)) = listener.accept().await {
                let mut buf = [0u8; 1024];
                let _ = stream.read(&mut buf).await;
                let _ = stream
                    .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nhello")
                    .await;
            }
        });
        let (client, pool) = (client(), Pool::new(base(addr)));
        for _ in 0..3 {
            assert_eq!(get(&client, &pool).await.unwrap(), "hello");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    #[tokio::test]
    async fn a_body_dropped_early_closes_its_connection() {
        let (addr, accepted) = upstream(true).await;
        let (client, pool) = (client(), Pool::new(base(addr)));
        let req = Request::get("/").body(full("")).unwrap();
        let resp = client.send(&pool, req).await.unwrap();
        drop(resp);
        assert_eq!(get(&client, &pool).await.unwrap(), "hello");
        assert!(accepted.load(Ordering::SeqCst) <= 2);
    }

    #[tokio::test]
    async fn idle_connections_are_closed_after_the_idle_timeout() {
        let (addr, accepted) = upstream(true).await;
        let client = client();
        let pool = Pool::with_idle_timeout(base(addr), Duration::from_millis(100));
        assert_eq!(get(&client, &pool).await.unwrap(), "hello");
        assert_eq!(pool.idle(), 1);
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(pool.idle(), 0, "not reaped");
        assert_eq!(get(&client, &pool).await.unwrap(), "hello");
        assert_eq!(accepted.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn host_is_the_authority_without_the_default_port() {
        let host = |u: &str| host_header(&u.parse().unwrap());
        assert_eq!(host("http://a.example:80"), "a.example");
        assert_eq!(host("http://a.example:8080"), "a.example:8080");
        assert_eq!(host("https://a.example:443"), "a.example");
        assert_eq!(host("https://a.example:80"), "a.example:80");
        assert_eq!(host("http://[::1]:9000"), "[::1]:9000");
    }
}
