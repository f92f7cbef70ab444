//! Test harness: an echo upstream, a gateway started from YAML, raw-socket helpers.

use bytes::Bytes;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use parapet_proxy::Gateway;
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// An upstream that answers every request with a JSON description of what it received.
/// `/status/N` answers N, `/slow/MS` waits first, `/healthz` follows `healthy`.
pub struct Upstream {
    pub addr: SocketAddr,
    pub hits: Arc<AtomicUsize>,
    pub connections: Arc<AtomicUsize>,
    pub healthy: Arc<AtomicBool>,
    task: JoinHandle<()>,
}

impl Upstream {
    pub async fn start(name: &'static str) -> Upstream {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let hits = Arc::new(AtomicUsize::new(0));
        let connections = Arc::new(AtomicUsize::new(0));
        let healthy = Arc::new(AtomicBool::new(true));
        let (h, c, ok) = (hits.clone(), connections.clone(), healthy.clone());
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                c.fetch_add(1, Ordering::SeqCst);
                let (h, ok) = (h.clone(), ok.clone());
                tokio::spawn(async move {
                    let svc = service_fn(move |req| echo(name, h.clone(), ok.clone(), req));
                    let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                        .serve_connection(TokioIo::new(stream), svc)
                        .await;
                });
            }
        });
        Upstream {
            addr,
            hits,
            connections,
            healthy,
            task,
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Application requests received (health checks excluded).
    pub fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

impl Drop for Upstream {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn echo(
    name: &'static str,
    hits: Arc<AtomicUsize>,
    healthy: Arc<AtomicBool>,
    req: hyper::Request<hyper::body::Incoming>,
) -> Result<hyper::Response<BoxBody<Bytes, std::convert::Infallible>>, std::convert::Infallible> {
    let path = req.uri().path().to_string();
    if path == "/healthz" {
        let status = if healthy.load(Ordering::SeqCst) {
            200
        } else {
            500
        };
        return Ok(hyper::Response::builder()
            .status(status)
            .body(Full::new(Bytes::new()).boxed())
            .unwrap());
    }
    if let Some(ms) = path.strip_prefix("/drip/") {
        // Five chunks, `ms` apart, after the headers.
        hits.fetch_add(1, Ordering::SeqCst);
        let gap = Duration::from_millis(ms.parse().unwrap_or(100));
        let chunks = futures_util::stream::unfold(0, move |i| async move {
            if i == 5 {
                return None;
            }
            tokio::time::sleep(gap).await;
            Some((Ok(hyper::body::Frame::data(Bytes::from("chunk\n"))), i + 1))
        });
        return Ok(hyper::Response::new(StreamBody::new(chunks).boxed()));
    }
    hits.fetch_add(1, Ordering::SeqCst);
    let mut headers = serde_json::Map::new();
    for (n, v) in req.headers() {
        headers.insert(n.to_string(), json!(String::from_utf8_lossy(v.as_bytes())));
    }
    let method = req.method().to_string();
    let target = req
        .uri()
        .path_and_query()
        .map(|p| p.to_string())
        .unwrap_or_default();
    let version = format!("{:?}", req.version());
    let body = req
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let mut status = 200;
    if let Some(code) = path.strip_prefix("/status/") {
        status = code.parse().unwrap_or(200);
    }
    if let Some(ms) = path.strip_prefix("/slow/") {
        tokio::time::sleep(Duration::from_millis(ms.parse().unwrap_or(0))).await;
    }
    let value = json!({ "upstream": name, "method": method, "target": target, "version": version, "headers": headers, "body_len": body.len(), "body": String::from_utf8_lossy(&body) });
    // `/encoded/…`: the answer claims a gzip encoding (its bytes are not compressed).
    let encoding = if path.starts_with("/encoded/") {
        "gzip"
    } else {
        "identity"
    };
    Ok(hyper::Response::builder()
        .status(status)
        .header("content-encoding", encoding)
        .header("content-type", "application/json")
        .header("x-upstream-secret-hop", "x")
        .header("connection", "x-upstream-secret-hop")
        .body(Full::new(Bytes::from(value.to_string())).boxed())
        .unwrap())
}

/// A gateway started from YAML; `$DIR` in the YAML is replaced by a fresh temp dir, which
/// also receives `access.log` and `events.log` unless the YAML sets its own `log`.
pub struct TestGateway {
    pub gateway: Option<Gateway>,
    pub addr: SocketAddr,
    pub dir: tempfile::TempDir,
    pub config_path: PathBuf,
}

pub fn write_config(dir: &std::path::Path, yaml: &str) -> PathBuf {
    let mut text = yaml.replace("$DIR", dir.to_str().unwrap());
    if !text.contains("\nlog:") && !text.starts_with("log:") {
        text.push_str(&format!("\nlog:\n  access: {0}/access.log\n  events: {0}/events.log\n  headers: [user-agent, authorization, x-api-key]\n", dir.display()));
    }
    let path = dir.join("parapet.yaml");
    std::fs::write(&path, text).unwrap();
    path
}

pub async fn start_gateway(yaml: &str) -> TestGateway {
    let dir = tempfile::tempdir().unwrap();
    start_gateway_in(dir, yaml).await
}

pub async fn start_gateway_in(dir: tempfile::TempDir, yaml: &str) -> TestGateway {
    let config_path = write_config(dir.path(), yaml);
    let config =
        parapet_config::load(&config_path).unwrap_or_else(|e| panic!("test config invalid:\n{e}"));
    let gateway = Gateway::start(config).await.unwrap();
    let addr = gateway.local_addrs()[0];
    TestGateway {
        gateway: Some(gateway),
        addr,
        dir,
        config_path,
    }
}

impl TestGateway {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub fn gw(&self) -> &Gateway {
        self.gateway.as_ref().unwrap()
    }

    /// Lines of a JSON-lines log in the temp dir, waiting up to 5 s for at least `min`.
    pub async fn log(&self, name: &str, min: usize) -> Vec<Value> {
        let path = self.dir.path().join(name);
        for _ in 0..100 {
            let lines: Vec<Value> = std::fs::read_to_string(&path)
                .unwrap_or_default()
                .lines()
                .map(|l| {
                    serde_json::from_str(l)
                        .unwrap_or_else(|e| panic!("{name} holds a non-JSON line ({e}): {l}"))
                })
                .collect();
            if lines.len() >= min {
                return lines;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("{name} did not get {min} lines");
    }
}

/// A minimal upstream config around one target, with `defaults` (a flow mapping) as the
/// API's policies; `authn: public` is added unless they set `authn`.
pub fn one_api(target: &str, defaults: &str) -> String {
    let defaults = if defaults.contains("authn") {
        defaults.to_string()
    } else {
        let inner = defaults
            .trim()
            .trim_start_matches('{')
            .trim_end_matches('}')
            .trim();
        if inner.is_empty() {
            "{ authn: public }".to_string()
        } else {
            format!("{{ authn: public, {inner} }}")
        }
    };
    format!(
        r#"
listen:
  - addr: "127.0.0.1:0"
upstreams:
  up: {{ targets: ["{target}"] }}
apis:
  - name: test
    upstream: up
    defaults: {defaults}
"#
    )
}

/// GETs `url` and parses the JSON answer (what the echo upstream saw).
pub async fn get_json(url: &str) -> Value {
    json_of(client().get(url)).await
}

/// Sends `req` and parses the JSON answer.
pub async fn json_of(req: reqwest::RequestBuilder) -> Value {
    req.send().await.unwrap().json().await.unwrap()
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().build().unwrap()
}

/// Sends raw bytes and reads until the server closes or 3 s pass. Returns what was read and
/// whether the server closed the connection.
pub async fn raw(addr: SocketAddr, bytes: &[u8]) -> (String, bool) {
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(bytes).await.unwrap();
    read_until_close(&mut s, Duration::from_secs(3)).await
}

pub async fn read_until_close(s: &mut TcpStream, limit: Duration) -> (String, bool) {
    let mut out = Vec::new();
    let mut buf = [0u8; 8192];
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        match tokio::time::timeout_at(deadline, s.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return (String::from_utf8_lossy(&out).into_owned(), true),
            Ok(Ok(n)) => out.extend_from_slice(&buf[..n]),
            Err(_) => return (String::from_utf8_lossy(&out).into_owned(), false),
        }
    }
}

/// The status code of the first response in a raw HTTP/1.1 reply.
pub fn status_of(reply: &str) -> u16 {
    reply
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

/// Asserts an RFC 9457 body with the given reason code and nothing else of interest (a
/// `detail` hint and contract `errors` may be there).
pub async fn assert_problem(resp: reqwest::Response, status: u16, code: &str) -> Value {
    assert_eq!(resp.status().as_u16(), status);
    assert_eq!(resp.headers()["content-type"], "application/problem+json");
    let id = resp.headers()["x-request-id"].to_str().unwrap().to_string();
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["type"], format!("urn:parapet:problem:{code}"));
    assert_eq!(body["status"], status);
    assert_eq!(body["request_id"], id);
    let members = body.as_object().unwrap();
    assert_eq!(
        members.len()
            - usize::from(members.contains_key("detail"))
            - usize::from(members.contains_key("errors")),
        4,
        "no extra members: {body}"
    );
    body
}
