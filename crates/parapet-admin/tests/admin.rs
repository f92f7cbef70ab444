//! The admin endpoints over a real socket, next to a running gateway.

// Test helpers outside #[test] functions unwrap too: a failed setup is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use parapet_proxy::Gateway;
use std::time::Duration;

async fn start(yaml: &str) -> (Gateway, String) {
    let config = parapet_config::parse(std::path::Path::new("gw.yaml"), yaml).unwrap();
    let gateway = Gateway::start(config).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let admin = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(parapet_admin::serve(
        listener,
        gateway.shared(),
        std::future::pending(),
    ));
    (gateway, admin)
}

#[tokio::test]
async fn metrics_health_and_readiness() {
    let dead = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let yaml = format!(
        "listen: [{{ addr: \"127.0.0.1:0\" }}]\nlog: {{ access: \"off\", events: \"off\" }}\nupstreams:\n  down: {{ targets: [\"http://{dead}\"], health: {{ path: /h, interval: 50ms, unhealthy_after: 1 }} }}\napis: [{{ name: a, upstream: down, defaults: {{ authn: public, ip_access: {{ deny: [127.0.0.0/8] }} }} }}]\n"
    );
    let (gateway, admin) = start(&yaml).await;
    let c = reqwest::Client::builder().no_proxy().build().unwrap();
    let gw = format!("http://{}/x", gateway.local_addrs()[0]);
    assert_eq!(c.get(&gw).send().await.unwrap().status(), 403);

    assert_eq!(
        c.get(format!("{admin}/healthz"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
        "ok\n"
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    let ready = c.get(format!("{admin}/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 503);
    assert_eq!(
        ready.text().await.unwrap(),
        r#"{"ready":false,"draining":false,"unavailable_upstreams":["down"]}"#
    );

    let metrics = c
        .get(format!("{admin}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for needle in [
        "parapet_requests_total{api=\"a\",route=\"-\",method=\"GET\",status=\"403\"} 1",
        "parapet_refusals_total{policy=\"ip_access\",reason=\"ip-denied\",action=\"blocked\"} 1",
        "parapet_upstream_healthy{upstream=\"down\",target=\"",
        "parapet_request_duration_seconds_count{api=\"a\"} 1",
        "parapet_connections_active ",
    ] {
        assert!(metrics.contains(needle), "missing {needle:?} in\n{metrics}");
    }
    assert!(
        metrics.contains(&format!(
            "parapet_upstream_healthy{{upstream=\"down\",target=\"{dead}\"}} 0"
        )),
        "{metrics}"
    );
}
