//! The `parapet` binary as a user runs it.

// Test helpers outside #[test] functions unwrap too: a failed setup is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn parapet() -> Command {
    Command::new(env!("CARGO_BIN_EXE_parapet"))
}

fn repo_file(rel: &str) -> String {
    format!("{}/../../{rel}", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn version_and_help_describe_the_tool() {
    let out = parapet().arg("--version").output().unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!("parapet {}", env!("CARGO_PKG_VERSION"))
    );
    let help = String::from_utf8(parapet().arg("--help").output().unwrap().stdout).unwrap();
    for word in ["run", "check", "demo", "--version"] {
        assert!(
            help.contains(word),
            "--help does not mention {word}:\n{help}"
        );
    }
    let run_help =
        String::from_utf8(parapet().args(["run", "--help"]).output().unwrap().stdout).unwrap();
    assert!(
        run_help.contains("--config <FILE>") && run_help.contains("--workers <N>"),
        "{run_help}"
    );
}

#[test]
fn check_accepts_the_shipped_examples() {
    let out = parapet()
        .args(["check", "--config", &repo_file("examples/demo.yaml")])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("ok (1 listener(s), 1 upstream(s), 1 api(s), 5 route(s))"),
        "{stderr}"
    );
    assert!(
        stderr.contains("route \"GET /books\" is public"),
        "every public route is named: {stderr}"
    );
}

#[test]
fn check_lists_every_error_as_file_line_col_and_fails() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.yaml");
    std::fs::write(
        &path,
        "listen:\n  - addr: \"127.0.0.1:99999\"\napis:\n  - { name: a, upstream: nowhere }\n",
    )
    .unwrap();
    let out = parapet()
        .args(["check", "--config"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = stderr.lines().collect();
    let p = path.display();
    assert!(
        lines[0].starts_with(&format!("{p}:2:11: invalid address")),
        "{stderr}"
    );
    assert!(
        lines[1].starts_with(&format!("{p}:4:26: unknown upstream \"nowhere\"")),
        "{stderr}"
    );
    assert_eq!(lines[2], format!("{p}: 2 error(s)"));
    assert!(!stderr.contains("panicked") && !stderr.contains("RUST_BACKTRACE"));
    let missing = parapet()
        .args(["check", "--config", "/nonexistent/parapet.yaml"])
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&missing.stderr)
            .starts_with("/nonexistent/parapet.yaml:0:0: cannot read the file")
    );
}

/// A child process killed on drop.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn signal(child: &Child, sig: &str) {
    Command::new("kill")
        .args([sig, &child.id().to_string()])
        .status()
        .unwrap();
}

/// Reads stderr lines until one contains `needle`; returns that line.
fn wait_for_line(lines: &mut impl Iterator<Item = String>, needle: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(20);
    for line in lines.by_ref() {
        if line.contains(needle) {
            return line;
        }
        assert!(Instant::now() < deadline, "no line with {needle:?}");
    }
    panic!("stderr closed before a line with {needle:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn run_reloads_on_sighup_keeps_serving_on_a_bad_file_and_stops_on_sigterm() {
    let up = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let up_addr = up.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let (mut s, _) = up.accept().await.unwrap();
            tokio::spawn(async move {
                use tokio::io::{AsyncReadExt, AsyncWriteExt};
                let mut buf = [0u8; 4096];
                while let Ok(n) = s.read(&mut buf).await {
                    if n == 0
                        || s.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")
                            .await
                            .is_err()
                    {
                        break;
                    }
                }
            });
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("gw.yaml");
    let config = |methods: &str| {
        format!(
            "listen: [{{ addr: \"127.0.0.1:0\" }}]\nlog: {{ access: \"off\" }}\nupstreams: {{ u: {{ targets: [\"http://{up_addr}\"] }} }}\napis: [{{ name: a, upstream: u, defaults: {{ authn: public, limits: {{ methods: [{methods}] }} }} }}]\n"
        )
    };
    std::fs::write(&path, config("GET")).unwrap();
    let child = parapet()
        .args(["run", "--config"])
        .arg(&path)
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let mut child = Running(child);
    let mut lines = BufReader::new(child.0.stderr.take().unwrap())
        .lines()
        .map_while(Result::ok);
    let listening = wait_for_line(&mut lines, "listening on ");
    let addr = listening.rsplit(' ').next().unwrap().to_string();
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let url = format!("http://{addr}/");
    assert_eq!(client.post(&url).send().await.unwrap().status(), 405);

    std::fs::write(&path, "listen: [ {").unwrap();
    signal(&child.0, "-HUP");
    let refused = wait_for_line(&mut lines, "reload refused");
    assert!(refused.contains("gw.yaml:1:"), "{refused}");
    assert_eq!(
        client.get(&url).send().await.unwrap().status(),
        200,
        "the old config stopped serving"
    );

    std::fs::write(&path, config("GET, POST")).unwrap();
    signal(&child.0, "-HUP");
    wait_for_line(&mut lines, "configuration reloaded");
    assert_eq!(client.post(&url).send().await.unwrap().status(), 200);

    signal(&child.0, "-TERM");
    let status = child.0.wait().unwrap();
    assert!(status.success(), "exit status {status}");
}

#[tokio::test(flavor = "multi_thread")]
async fn demo_serves_allowed_and_refused_requests() {
    let child = parapet()
        .arg("demo")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut child = Running(child);
    let mut out = BufReader::new(child.0.stdout.take().unwrap())
        .lines()
        .map_while(Result::ok);
    let keys_line = wait_for_line(&mut out, "API keys created");
    let alice = keys_line
        .split_whitespace()
        .find(|w| w.starts_with("pk_"))
        .unwrap()
        .to_string();
    let curl_line = wait_for_line(&mut out, "allowed:  curl -i http://");
    assert!(curl_line.contains("127.0.0.1:8080/books/1"), "{curl_line}");
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let user = |id: u32, key: Option<&str>| {
        let req = client.get(format!("http://127.0.0.1:8080/users/{id}"));
        match key {
            Some(k) => req.header("x-api-key", k.to_string()),
            None => req,
        }
        .send()
    };
    let own = user(1, Some(&alice)).await.unwrap();
    assert_eq!(own.status(), 200);
    let own: serde_json::Value = own.json().await.unwrap();
    assert_eq!(own["name"], "user1");
    assert!(own.get("password_hash").is_none(), "exposure filter: {own}");
    assert_eq!(user(2, Some(&alice)).await.unwrap().status(), 403, "BOLA");
    assert_eq!(user(1, None).await.unwrap().status(), 401);
    assert_eq!(user(1, Some("pk_not-a-key")).await.unwrap().status(), 401);
    let book = client
        .get("http://127.0.0.1:8080/books/1")
        .send()
        .await
        .unwrap();
    assert_eq!(book.status(), 200);
    assert!(book.text().await.unwrap().contains("\"title\""));
    // The contract: ids start at 1, and undeclared endpoints do not exist.
    let zero = client
        .get("http://127.0.0.1:8080/books/0")
        .send()
        .await
        .unwrap();
    assert_eq!(zero.status(), 400);
    let shadow = client
        .get("http://127.0.0.1:8080/internal/debug")
        .header("x-api-key", alice.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(shadow.status(), 404);
    // Attack detection: XSS in a field the contract accepts as a string.
    let attack = client
        .post("http://127.0.0.1:8080/books")
        .header("x-api-key", alice.clone())
        .json(&serde_json::json!({"title": "<img src=x onerror=alert(1)>"}))
        .send()
        .await
        .unwrap();
    assert_eq!(attack.status(), 403);
    assert!(attack.text().await.unwrap().contains("attack-detected"));
    let admin = client
        .get("http://127.0.0.1:8080/admin/stats")
        .send()
        .await
        .unwrap();
    assert_eq!(admin.status(), 403);
    assert_eq!(admin.headers()["content-type"], "application/problem+json");
    // The rate limit: 20 at once per address, then 429 with where the client stands.
    let mut codes = Vec::new();
    for _ in 0..25 {
        let resp = client
            .get("http://127.0.0.1:8080/books/1")
            .send()
            .await
            .unwrap();
        assert!(resp.headers().contains_key("ratelimit"));
        codes.push(resp.status().as_u16());
    }
    assert!(codes.contains(&429), "{codes:?}");
    let metrics = client
        .get("http://127.0.0.1:9901/metrics")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains(
            "parapet_refusals_total{policy=\"ip_access\",reason=\"ip-denied\",action=\"blocked\"} 1"
        ),
        "{metrics}"
    );
    signal(&child.0, "-TERM");
    assert!(child.0.wait().unwrap().success());
}

#[test]
fn keys_are_created_once_listed_without_secrets_and_revoked() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("gw.yaml");
    let yaml = "listen: [{ addr: \"127.0.0.1:0\" }]\nstore: keys.db\nconsumers: [{ id: alice }]\n";
    std::fs::write(&path, yaml).unwrap();
    let keys = |args: &[&str]| {
        let out = parapet()
            .arg("keys")
            .args(args)
            .arg("--config")
            .arg(&path)
            .output()
            .unwrap();
        let text = |b: &[u8]| String::from_utf8_lossy(b).to_string();
        (out.status.code(), text(&out.stdout), text(&out.stderr))
    };
    let (code, stdout, stderr) = keys(&["create", "--consumer", "alice", "--label", "ci"]);
    assert_eq!(code, Some(0), "{stderr}");
    let secret = stdout.trim().to_string();
    assert!(
        secret.starts_with("pk_") && !secret.contains(char::is_whitespace),
        "{stdout}"
    );
    assert!(stderr.contains("shown only once"), "{stderr}");

    let store = parapet_store::Store::open(&dir.path().join("keys.db")).unwrap();
    let check = || {
        store
            .check_key(&secret, std::time::SystemTime::now())
            .unwrap()
    };
    assert!(matches!(check(), parapet_store::KeyCheck::Valid { .. }));

    let (code, listed, _) = keys(&["list"]);
    assert_eq!(code, Some(0));
    assert!(
        listed.contains("alice") && listed.contains("active") && listed.contains("ci"),
        "{listed}"
    );
    assert!(
        listed.contains(&secret[..10]) && !listed.contains(&secret),
        "{listed}"
    );
    let id = listed.split_whitespace().next().unwrap().to_string();

    let (code, _, stderr) = keys(&["revoke", &id]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(matches!(check(), parapet_store::KeyCheck::Revoked));
    let (_, listed, _) = keys(&["list", "--consumer", "alice"]);
    assert!(listed.contains("revoked"), "{listed}");

    let (code, _, stderr) = keys(&["create", "--consumer", "mallory"]);
    assert_eq!(code, Some(1));
    assert!(stderr.contains("mallory"), "{stderr}");
}
