//! Conformance: public real-world OpenAPI descriptions of both lines (kept as test data in
//! `tests/data/specs/`, see its README for sources and licences) load and compile without
//! error, with the operation count and version their files declare.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use parapet_contract::spec::{METHODS, Version};
use parapet_contract::{Contract, Lookup};
use std::path::{Path, PathBuf};

/// (entry document, OpenAPI line).
const CORPUS: [(&str, Version); 17] = [
    ("petstore-3.0/petstore.yaml", Version::V30),
    ("petstore-expanded-3.0/petstore-expanded.yaml", Version::V30),
    ("uspto-3.0/uspto.yaml", Version::V30),
    ("callback-example-3.0/callback-example.yaml", Version::V30),
    ("link-example-3.0/link-example.yaml", Version::V30),
    ("api-with-examples-3.0/api-with-examples.yaml", Version::V30),
    ("blockfrost-3.0/openapi.yaml", Version::V30),
    ("stapi-3.0/star-trek.json", Version::V30),
    ("decentraland-catalyst-3.0/api.yaml", Version::V30),
    ("petstore-separate-3.0/spec/openapi.yaml", Version::V30),
    ("petstore-parent-reference-3.0/openapi.yaml", Version::V30),
    ("books-split-3.0/openapi.yaml", Version::V30),
    ("figma-3.1/openapi.yaml", Version::V31),
    ("readme-3.1/readme.json", Version::V31),
    ("petstore-3.1/petstore.yaml", Version::V31),
    ("webhook-example-3.1/webhook-example.yaml", Version::V31),
    ("non-oauth-scopes-3.1/non-oauth-scopes.json", Version::V31),
];

fn corpus(entry: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/specs")
        .join(entry)
}

/// The operations a root document declares, following path item `$ref`s to other files
/// (local ones, and whole files).
fn declared_operations(path: &Path) -> usize {
    let text = std::fs::read_to_string(path).unwrap();
    let doc: serde_json::Value = if path.extension().is_some_and(|e| e == "json") {
        serde_json::from_str(&text).unwrap()
    } else {
        serde_saphyr::from_str(&text).unwrap()
    };
    let Some(paths) = doc.get("paths").and_then(|p| p.as_object()) else {
        return 0;
    };
    paths
        .values()
        .map(|item| {
            let item = match item.get("$ref").and_then(|r| r.as_str()) {
                Some(r) if !r.starts_with('#') => {
                    let (file, _) = r.split_once('#').unwrap_or((r, ""));
                    let text = std::fs::read_to_string(path.parent().unwrap().join(file)).unwrap();
                    serde_saphyr::from_str(&text).unwrap()
                }
                Some(r) => doc.pointer(&r[1..]).unwrap().clone(),
                None => item.clone(),
            };
            METHODS.iter().filter(|m| item.get(**m).is_some()).count()
        })
        .sum()
}

#[test]
fn every_public_description_loads() {
    let mut failures = Vec::new();
    for (entry, version) in CORPUS {
        let path = corpus(entry);
        match Contract::load(&path) {
            Ok(c) => {
                assert_eq!(c.version(), version, "{entry}");
                assert_eq!(
                    c.operations().len(),
                    declared_operations(&path),
                    "{entry}: operations"
                );
            }
            Err(errors) => failures.push(format!(
                "{entry}: {}",
                errors
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("\n  ")
            )),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn multi_file_descriptions_route_and_validate_across_files() {
    let c = Contract::load(&corpus("books-split-3.0/openapi.yaml")).unwrap();
    assert!(c.files().len() >= 3, "{:?}", c.files());
    let c = Contract::load(&corpus("petstore-separate-3.0/spec/openapi.yaml")).unwrap();
    assert!(c.files().len() >= 4, "{:?}", c.files());
    assert!(matches!(
        c.lookup(&http::Method::GET, "/pets"),
        Lookup::Found(..)
    ));
    assert!(matches!(
        c.lookup(&http::Method::GET, "/nope"),
        Lookup::NotFound
    ));
}
