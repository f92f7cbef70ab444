//! Values that repeat inside a large request (the keys and common values of an array of
//! objects) are inspected once when clean; what the detectors' verdict depends on — the part, the
//! name they see, the encoding, the classes that run there — keeps a repeat from hiding an
//! attack. Names (parameter, cookie and body keys) found clean are also remembered across the
//! requests a thread inspects, per engine, and so are the values of protocol headers (media
//! types, encodings, languages).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use parapet_detect::{
    Class, Engine, Exclusion, LocationSelector, Part, RuleSelector, Settings, Verdict,
};

const ATTACK: &str = "' or 1=1--";

fn json(engine: &Engine, body: &str) -> Verdict {
    let mut scan = engine.scan();
    scan.body(Some("application/json"), body.as_bytes());
    scan.finish()
}

/// Where an attack was found: the JSON pointers, in order.
fn pointers(verdict: &Verdict) -> Vec<&str> {
    verdict
        .hits
        .iter()
        .map(|h| h.location.name.as_str())
        .collect()
}

/// Enough values before the ones under test for the engine to remember clean values (it
/// does so in large requests only).
const FILLER: usize = 100;

/// `FILLER` members, then the attack twice under the same short name `q`: at `/a/q`, then
/// at `/b/q`.
fn same_name_twice() -> String {
    let filler: String = (0..FILLER).map(|i| format!(r#""f{i}": "x","#)).collect();
    format!(r#"{{{filler} "a": {{"q": "{ATTACK}"}}, "b": {{"q": "{ATTACK}"}}}}"#)
}

fn excluded_at(rules: RuleSelector, pointer: &str) -> Engine {
    Engine::new(Settings {
        exclusions: vec![Exclusion {
            rules: vec![rules],
            locations: vec![LocationSelector {
                part: Part::Body,
                name: Some(pointer.into()),
            }],
        }],
        ..Settings::default()
    })
    .unwrap()
}

#[test]
fn an_attack_after_many_clean_repeats_is_caught() {
    let engine = Engine::new(Settings::default()).unwrap();
    let mut items: Vec<String> = (0..FILLER)
        .map(|_| r#"{"name": "mug", "note": "O'Brien's"}"#.to_owned())
        .collect();
    items.push(format!(r#"{{"name": "mug", "note": "{ATTACK}"}}"#));
    let verdict = json(&engine, &format!("[{}]", items.join(",")));
    assert!(verdict.attack);
    assert_eq!(pointers(&verdict), [format!("/{FILLER}/note")]);
}

#[test]
fn a_repeat_where_its_class_runs_again_is_inspected() {
    // The first value is clean only because SQL injection is not looked for there.
    let engine = excluded_at(RuleSelector::Class(Class::Sqli), "/a/q");
    let verdict = json(&engine, &same_name_twice());
    assert!(verdict.attack);
    assert_eq!(pointers(&verdict), ["/b/q"]);
}

#[test]
fn a_repeat_where_its_rules_apply_again_is_inspected() {
    // The first value matched rules that are turned off there: it was not clean.
    let sqli: Vec<_> = parapet_detect::rules()
        .filter(|r| r.class == Class::Sqli)
        .collect();
    let engine = Engine::new(Settings {
        exclusions: vec![Exclusion {
            rules: sqli.into_iter().map(RuleSelector::Rule).collect(),
            locations: vec![LocationSelector {
                part: Part::Body,
                name: Some("/a/q".into()),
            }],
        }],
        ..Settings::default()
    })
    .unwrap();
    let verdict = json(&engine, &same_name_twice());
    assert!(verdict.attack);
    assert_eq!(pointers(&verdict), ["/b/q"]);
}

#[test]
fn the_same_bytes_under_another_name_are_inspected() {
    // A JSP file name is an upload of server code only in a header that names an upload.
    let engine = Engine::new(Settings::default()).unwrap();
    let mut scan = engine.scan();
    for i in 0..FILLER {
        scan.header(&format!("x-filler-{i}"), b"x");
    }
    scan.header("x-note", b"shell.jsp");
    scan.header("x-filename", b"shell.jsp");
    let verdict = scan.finish();
    let names: Vec<_> = verdict
        .hits
        .iter()
        .map(|h| h.location.name.as_str())
        .collect();
    assert_eq!(names, ["x-filename"], "{verdict:?}");
}

/// A request whose only value is the query parameter name `name`.
fn query_name(engine: &Engine, name: &str) -> Verdict {
    let mut scan = engine.scan();
    scan.value(Part::QueryName, name, name.as_bytes(), true);
    scan.finish()
}

#[test]
fn a_name_that_matched_is_inspected_in_every_request() {
    let engine = Engine::new(Settings::default()).unwrap();
    for _ in 0..3 {
        assert!(query_name(&engine, "__proto__[admin]").attack);
    }
}

#[test]
fn a_name_clean_for_one_engine_is_inspected_by_another() {
    // Clean at paranoia 1, where the rule about a tail after a subscript does not run.
    let relaxed = Engine::new(Settings::default()).unwrap();
    assert!(query_name(&relaxed, "foo[1]a").hits.is_empty());
    let strict = Engine::new(Settings {
        paranoia: 4,
        ..Settings::default()
    })
    .unwrap();
    let verdict = query_name(&strict, "foo[1]a");
    assert!(
        verdict
            .hits
            .iter()
            .any(|h| h.rule.id == "protocol.array-name"),
        "{verdict:?}"
    );
}

#[test]
fn a_protocol_header_is_inspected_whatever_came_before() {
    let engine = Engine::new(Settings::default()).unwrap();
    let content_type = |value: &str| {
        let mut scan = engine.scan();
        scan.header("content-type", value.as_bytes());
        scan.finish()
    };
    // The same clean media type, request after request; then an OGNL expression in its place.
    for _ in 0..3 {
        assert!(content_type("application/json").hits.is_empty());
    }
    let struts =
        "%{(#_='multipart/form-data').(#cmd='id').(@java.lang.Runtime@getRuntime().exec(#cmd))}";
    for _ in 0..2 {
        assert!(content_type(struts).attack);
    }
    assert!(content_type("application/json").hits.is_empty());
}
