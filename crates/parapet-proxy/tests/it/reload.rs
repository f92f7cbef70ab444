//! Hot reload: a new file takes effect atomically; a broken one is refused and the old
//! configuration keeps serving; in-flight requests finish on the snapshot they started with.

use crate::common::*;
use std::time::Duration;

fn config(target: &str, methods: &str) -> String {
    one_api(target, &format!("{{ limits: {{ methods: [{methods}] }} }}"))
}

async fn until(mut check: impl AsyncFnMut() -> bool) -> bool {
    for _ in 0..60 {
        if check().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

#[tokio::test]
async fn file_changes_reload_and_broken_files_keep_the_old_config() {
    let up = Upstream::start("a").await;
    let gw = start_gateway(&config(&up.url(), "GET")).await;
    let _watch = gw.gw().watch(Duration::from_millis(50));
    let c = client();
    assert_eq!(c.post(gw.url("/")).send().await.unwrap().status(), 405);

    // A broken file: the old config keeps serving.
    let broken = config(&up.url(), "GET").replace("upstream: up", "upstream: nowhere");
    write_config(gw.dir.path(), &broken);
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(c.get(gw.url("/")).send().await.unwrap().status(), 200);
    assert_eq!(c.post(gw.url("/")).send().await.unwrap().status(), 405);
    let errors = gw.gw().reload_from_file().unwrap_err();
    assert!(
        errors.contains("parapet.yaml:") && errors.contains("unknown upstream \"nowhere\""),
        "{errors}"
    );

    // A good file: it takes effect.
    write_config(gw.dir.path(), &config(&up.url(), "GET, POST"));
    let c2 = c.clone();
    let url = gw.url("/");
    assert!(
        until(async || c2.post(&url).send().await.unwrap().status() == 200).await,
        "new config never took effect"
    );
    let metrics = gw.gw().metrics().encode();
    assert!(
        metrics.contains("parapet_config_reloads_total{result=\"error\"}"),
        "{metrics}"
    );
    assert!(
        metrics.contains("parapet_config_reloads_total{result=\"ok\"}"),
        "{metrics}"
    );
}

#[tokio::test]
async fn in_flight_requests_finish_on_their_snapshot() {
    let up = Upstream::start("a").await;
    let gw = start_gateway(&config(&up.url(), "GET")).await;
    let url = gw.url("/slow/400");
    let in_flight =
        tokio::spawn(async move { client().get(url).send().await.unwrap().status().as_u16() });
    tokio::time::sleep(Duration::from_millis(100)).await;
    let other = Upstream::start("b").await;
    let new = parapet_config::parse(&gw.config_path, &config(&other.url(), "POST")).unwrap();
    gw.gw().reload(new).unwrap();
    assert_eq!(in_flight.await.unwrap(), 200);
    assert_eq!(
        client().get(gw.url("/")).send().await.unwrap().status(),
        405
    );
    let v: serde_json::Value = client()
        .post(gw.url("/"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["upstream"], "b");
}
