//! TLS termination (TLS 1.2/1.3, SNI, ALPN h2, HSTS, reload on file change), mutual TLS with
//! the verified identity handed on, and verified TLS to upstreams. Certificates are made here.

use crate::certs::*;
use crate::common::*;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

fn tls_config(target: &str, tls_extra: &str) -> String {
    format!(
        r#"
listen:
  - addr: "127.0.0.1:0"
    tls:
      cert: $DIR/server.pem
      key: $DIR/server.key
      sni: [{{ cert: $DIR/other.pem, key: $DIR/other.key }}]
      hsts: "max-age=63072000; includeSubDomains"
      {tls_extra}
upstreams: {{ up: {{ targets: ["{target}"] }} }}
apis: [{{ name: t, upstream: up, defaults: {{ authn: public }} }}]
"#
    )
}

fn write_server_certs(ca: &Ca, dir: &Path) {
    let (cert, key) = ca.leaf("localhost", &["localhost"]);
    write(dir, "server.pem", &cert);
    write(dir, "server.key", &key);
    let (cert, key) = ca.leaf("other", &["other.test"]);
    write(dir, "other.pem", &cert);
    write(dir, "other.key", &key);
}

#[tokio::test]
async fn terminates_tls_with_sni_alpn_hsts_and_both_versions() {
    let up = Upstream::start("a").await;
    let ca = Ca::new("test ca");
    let dir = tempfile::tempdir().unwrap();
    write_server_certs(&ca, dir.path());
    let gw = start_gateway_in(dir, &tls_config(&up.url(), "")).await;
    let port = gw.addr.port();
    let c = https_client(&ca, &gw).build().unwrap();
    let resp = c
        .get(format!("https://localhost:{port}/"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.version(),
        reqwest::Version::HTTP_2,
        "ALPN should pick h2"
    );
    assert_eq!(
        resp.headers()["strict-transport-security"],
        "max-age=63072000; includeSubDomains"
    );
    let seen: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(seen["headers"]["x-forwarded-proto"], "https");
    // Hostname verification passes only if SNI selected the other certificate.
    assert_eq!(
        c.get(format!("https://other.test:{port}/"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let tls12 = https_client(&ca, &gw)
        .max_tls_version(reqwest::tls::Version::TLS_1_2)
        .http1_only()
        .build()
        .unwrap();
    let resp = tls12
        .get(format!("https://localhost:{port}/"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.version(), reqwest::Version::HTTP_11);
}

#[tokio::test]
async fn certificate_files_are_reloaded_when_they_change() {
    let up = Upstream::start("a").await;
    let (old_ca, new_ca) = (Ca::new("old ca"), Ca::new("new ca"));
    let dir = tempfile::tempdir().unwrap();
    write_server_certs(&old_ca, dir.path());
    let gw = start_gateway_in(dir, &tls_config(&up.url(), "")).await;
    let _watch = gw.gw().watch(Duration::from_millis(50));
    let url = format!("https://localhost:{}/", gw.addr.port());
    assert!(
        https_client(&old_ca, &gw)
            .build()
            .unwrap()
            .get(&url)
            .send()
            .await
            .is_ok()
    );
    tokio::time::sleep(Duration::from_millis(20)).await;
    write_server_certs(&new_ca, gw.dir.path());
    let fresh = https_client(&new_ca, &gw).build().unwrap();
    let mut ok = false;
    for _ in 0..50 {
        if fresh.get(&url).send().await.is_ok() {
            ok = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(ok, "the new certificate was never served");
}

#[tokio::test]
async fn mutual_tls_requires_a_verified_client_certificate_and_passes_its_identity() {
    let up = Upstream::start("a").await;
    let ca = Ca::new("test ca");
    let clients = Ca::new("client ca");
    let dir = tempfile::tempdir().unwrap();
    write_server_certs(&ca, dir.path());
    write(dir.path(), "clients.pem", &clients.pem());
    let gw = start_gateway_in(dir, &tls_config(&up.url(), "client_ca: $DIR/clients.pem")).await;
    let url = format!("https://localhost:{}/", gw.addr.port());
    let anonymous = https_client(&ca, &gw).build().unwrap();
    assert!(
        anonymous.get(&url).send().await.is_err(),
        "a client without certificate got through"
    );
    let rogue = Ca::new("rogue ca");
    let (cert, key) = rogue.leaf("mallory", &["mallory.example"]);
    let rogue_client = https_client(&ca, &gw)
        .identity(reqwest::Identity::from_pem(format!("{cert}{key}").as_bytes()).unwrap())
        .build()
        .unwrap();
    assert!(
        rogue_client.get(&url).send().await.is_err(),
        "a certificate from an unknown CA got through"
    );
    let (cert, key) = clients.leaf("billing-service", &["billing.internal"]);
    let good = https_client(&ca, &gw)
        .identity(reqwest::Identity::from_pem(format!("{cert}{key}").as_bytes()).unwrap())
        .build()
        .unwrap();
    assert_eq!(good.get(&url).send().await.unwrap().status(), 200);
    let access = gw.log("access.log", 1).await;
    assert_eq!(access[0]["tls_client"], "CN=billing-service");
}

/// An HTTPS upstream with a certificate from `ca` for `localhost`.
async fn tls_upstream(ca: &Ca) -> std::net::SocketAddr {
    use rustls::pki_types::pem::PemObject;
    let (cert, key) = ca.leaf("localhost", &["localhost"]);
    let certs = rustls::pki_types::CertificateDer::pem_slice_iter(cert.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    let key = rustls::pki_types::PrivateKeyDer::from_pem_slice(key.as_bytes()).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let (s, _) = listener.accept().await.unwrap();
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(s).await else {
                    return;
                };
                let svc = hyper::service::service_fn(|_req| async {
                    Ok::<_, std::convert::Infallible>(hyper::Response::new(
                        http_body_util::Full::new(bytes::Bytes::from("secure")),
                    ))
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(tls), svc)
                    .await;
            });
        }
    });
    addr
}

#[tokio::test]
async fn upstream_tls_is_verified_unless_dangerously_disabled() {
    let ca = Ca::new("upstream ca");
    let addr = tls_upstream(&ca).await;
    let target = format!("https://localhost:{}", addr.port());
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "upstream-ca.pem", &ca.pem());
    let yaml = format!(
        r#"
listen: [{{ addr: "127.0.0.1:0" }}]
upstreams:
  trusted: {{ targets: ["{target}"], tls: {{ ca: $DIR/upstream-ca.pem }} }}
  webroots: {{ targets: ["{target}"] }}
  reckless: {{ targets: ["{target}"], tls: {{ dangerous_skip_verify: true }} }}
apis:
  - {{ name: a, upstream: trusted, base_path: /trusted, defaults: {{ authn: public }} }}
  - {{ name: b, upstream: webroots, base_path: /webroots, defaults: {{ authn: public }} }}
  - {{ name: c, upstream: reckless, base_path: /reckless, defaults: {{ authn: public }} }}
"#
    );
    let gw = start_gateway_in(dir, &yaml).await;
    let c = client();
    let ok = c.get(gw.url("/trusted/x")).send().await.unwrap();
    assert_eq!(ok.status(), 200);
    assert_eq!(ok.text().await.unwrap(), "secure");
    assert_problem(
        c.get(gw.url("/webroots/x")).send().await.unwrap(),
        502,
        "upstream-error",
    )
    .await;
    assert_eq!(
        c.get(gw.url("/reckless/x")).send().await.unwrap().status(),
        200
    );
}
