//! Contract configuration: the spec an API names is loaded with the config (its errors are
//! config errors, with the spec's file and a JSON pointer), every route of the API gets the
//! contract policy, route blocks override the defaults, and bad values are refused at
//! their line.

// Test helpers outside #[test] functions unwrap too: a failed setup is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use parapet_config::{CheckMode, UnknownEndpoints, load};

const SPEC: &str = "openapi: 3.1.0\ninfo: { title: t, version: '1' }\npaths:\n  /a:\n    get:\n      responses: { '200': { description: ok } }\n";

fn write(dir: &std::path::Path, spec: &str, api: &str) -> std::path::PathBuf {
    std::fs::write(dir.join("spec.yaml"), spec).unwrap();
    let config = format!(
        "listen: [{{ addr: \"127.0.0.1:8080\" }}]\nupstreams: {{ up: {{ targets: [\"http://127.0.0.1:9\"] }} }}\napis:\n  - name: shop\n    upstream: up\n{api}"
    );
    let path = dir.join("gw.yaml");
    std::fs::write(&path, config).unwrap();
    path
}

#[test]
fn every_route_of_an_api_with_a_spec_gets_the_contract() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        SPEC,
        "    contract: spec.yaml\n    defaults: { authn: public }\n    routes:\n      \"GET /a\": { contract: { strict: true, responses: enforce } }\n      \"GET /b\": {}\n",
    );
    let config = load(&path).unwrap();
    let api = &config.apis[0];
    let defaults = api.defaults.contract.as_ref().unwrap();
    assert!(defaults.spec.is_some());
    assert_eq!(defaults.requests, CheckMode::Enforce);
    assert_eq!(defaults.responses, CheckMode::Monitor);
    assert_eq!(defaults.unknown_endpoints, UnknownEndpoints::Deny);
    let a = api.routes.iter().find(|r| r.path == "/a").unwrap();
    let a = a.policies.contract.as_ref().unwrap();
    assert!(a.strict && a.responses == CheckMode::Enforce && a.spec == defaults.spec);
    let b = api.routes.iter().find(|r| r.path == "/b").unwrap();
    assert_eq!(b.policies.contract.as_ref(), Some(defaults));
    // The spec is watched for reload.
    assert!(
        config
            .watched_files
            .iter()
            .any(|f| f.ends_with("spec.yaml"))
    );
}

#[test]
fn spec_errors_are_config_errors_with_the_spec_file_and_pointer() {
    let dir = tempfile::tempdir().unwrap();
    let broken = "openapi: 3.0.3\ninfo: { title: t, version: '1' }\npaths:\n  /a/{id}:\n    get:\n      responses: { '200': { description: ok } }\n";
    let path = write(
        dir.path(),
        broken,
        "    contract: spec.yaml\n    defaults: { authn: public }\n",
    );
    let errors = load(&path).unwrap_err().to_string();
    assert!(
        errors.contains(
            "spec.yaml:0:0: at #/paths/~1a~1{id}/get: path parameter \"id\" is not declared"
        ),
        "{errors}"
    );
    let path = write(
        dir.path(),
        SPEC,
        "    contract: nowhere.yaml\n    defaults: { authn: public }\n",
    );
    let errors = load(&path).unwrap_err().to_string();
    assert!(
        errors.contains("nowhere.yaml") && errors.contains("cannot read"),
        "{errors}"
    );
}

#[test]
fn bad_contract_values_are_refused_at_their_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        SPEC,
        "    defaults:\n      authn: public\n      contract: { max_violations: 0, json: { max_depth: 0 } }\n",
    );
    let errors = load(&path).unwrap_err().to_string();
    assert!(
        errors.contains("gw.yaml:8:") && errors.contains("max_violations must be at least 1"),
        "{errors}"
    );
    assert!(
        errors.contains("json.max_depth must be at least 1"),
        "{errors}"
    );
    let path = write(
        dir.path(),
        SPEC,
        "    defaults: { authn: public, contract: { requests: block } }\n",
    );
    let errors = load(&path).unwrap_err().to_string();
    assert!(
        errors.contains("gw.yaml:6:") && errors.contains("block"),
        "{errors}"
    );
}
