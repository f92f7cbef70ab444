//! HTTP/2 protections: bounded concurrent streams and the rapid-reset attack (CVE-2023-44487).

use crate::common::*;
use std::time::Duration;

async fn h2_connect(
    addr: std::net::SocketAddr,
) -> (
    h2::client::SendRequest<bytes::Bytes>,
    tokio::task::JoinHandle<Result<(), h2::Error>>,
) {
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (send, conn) = h2::client::handshake(tcp).await.unwrap();
    (send, tokio::spawn(conn))
}

fn get(addr: std::net::SocketAddr, path: &str) -> http::Request<()> {
    http::Request::get(format!("http://{addr}{path}"))
        .body(())
        .unwrap()
}

#[tokio::test]
async fn concurrent_streams_are_bounded_by_the_server_setting() {
    let up = Upstream::start("a").await;
    let yaml = format!(
        "server: {{ http2: {{ max_concurrent_streams: 4 }} }}\n{}",
        one_api(&up.url(), "{}")
    );
    let gw = start_gateway(&yaml).await;
    let (send, _conn) = h2_connect(gw.addr).await;
    let mut send = send.ready().await.unwrap();
    // The limit arrives in the server's SETTINGS, acknowledged after the first exchange.
    let (resp, _) = send.send_request(get(gw.addr, "/"), true).unwrap();
    assert_eq!(resp.await.unwrap().status(), 200);
    assert_eq!(send.current_max_send_streams(), 4);
}

#[tokio::test]
async fn rapid_reset_closes_the_connection() {
    let up = Upstream::start("a").await;
    let yaml = format!(
        "server: {{ http2: {{ max_pending_resets: 10 }} }}\n{}",
        one_api(&up.url(), "{}")
    );
    let gw = start_gateway(&yaml).await;
    let (mut send, conn) = h2_connect(gw.addr).await;
    let mut sent = 0;
    for _ in 0..2000 {
        let Ok(ready) = send.clone().ready().await else {
            break;
        };
        send = ready;
        let Ok((_, mut stream)) = send.send_request(get(gw.addr, "/slow/100"), false) else {
            break;
        };
        stream.send_reset(h2::Reason::CANCEL);
        sent += 1;
    }
    let closed = tokio::time::timeout(Duration::from_secs(5), conn)
        .await
        .expect("the server kept the connection open");
    let err = closed
        .unwrap()
        .expect_err("the connection should end with an error");
    assert!(
        err.is_go_away() || err.is_io() || err.reason() == Some(h2::Reason::ENHANCE_YOUR_CALM),
        "{err:?}"
    );
    eprintln!(
        "rapid reset: {sent} streams queued, connection ended with {err:?}, upstream saw {}",
        up.hits()
    );
    assert!(
        up.hits() < 200,
        "{} reset requests reached the upstream",
        up.hits()
    );
}
