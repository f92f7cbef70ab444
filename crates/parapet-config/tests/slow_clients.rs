//! `server.timeouts.body_min_rate` and `body_grace`: syntax, defaults and errors at their
//! file, line and column.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use parapet_config::{DEFAULT_BODY_MIN_RATE, parse};
use std::path::Path;
use std::time::Duration;

fn with_timeouts(timeouts: &str) -> String {
    format!("listen: [{{ addr: \"127.0.0.1:1\" }}]\nserver:\n  timeouts: {timeouts}\n")
}

fn errors(yaml: &str) -> Vec<String> {
    match parse(Path::new("/etc/parapet/gw.yaml"), yaml) {
        Ok(_) => panic!("config accepted:\n{yaml}"),
        Err(e) => e.0.iter().map(ToString::to_string).collect(),
    }
}

#[test]
fn the_body_rate_floor_is_on_by_default() {
    let c = parse(
        Path::new("gw.yaml"),
        "listen: [{ addr: \"127.0.0.1:1\" }]\n",
    )
    .unwrap();
    assert_eq!(c.server.body_min_rate, Some(DEFAULT_BODY_MIN_RATE));
    assert_eq!(DEFAULT_BODY_MIN_RATE, 1024);
    assert_eq!(c.server.body_grace, Duration::from_secs(5));
}

#[test]
fn rates_are_sizes_per_second_or_off() {
    for (text, want) in [
        ("2KiB", Some(2048)),
        ("\"2KiB/s\"", Some(2048)),
        ("512", Some(512)),
        ("1MB/s", Some(1_000_000)),
        ("off", None),
        ("0", None),
    ] {
        let yaml = with_timeouts(&format!("{{ body_min_rate: {text}, body_grace: 250ms }}"));
        let c = parse(Path::new("gw.yaml"), &yaml).unwrap_or_else(|e| panic!("{text}: {e}"));
        assert_eq!(c.server.body_min_rate, want, "{text}");
        assert_eq!(c.server.body_grace, Duration::from_millis(250));
    }
}

#[test]
fn bad_rates_and_graces_are_errors_at_their_value() {
    let e = errors(&with_timeouts("{ body_min_rate: fast }"));
    assert!(
        e[0].starts_with("/etc/parapet/gw.yaml:3:30: invalid rate \"fast\""),
        "{e:?}"
    );
    let e = errors(&with_timeouts("{ body_min_rate: -5 }"));
    assert!(e[0].contains(":3:30:"), "{e:?}");
    let e = errors(&with_timeouts("{ body_grace: 0s }"));
    assert_eq!(
        e,
        ["/etc/parapet/gw.yaml:3:27: body_grace must be greater than zero"]
    );
    let e = errors(&with_timeouts("{ body_grace: later }"));
    assert!(e[0].contains(":3:27: invalid duration \"later\""), "{e:?}");
}

#[test]
fn odd_but_valid_settings_are_warned_about() {
    let c = parse(
        Path::new("gw.yaml"),
        &with_timeouts("{ body_min_rate: 10MiB }"),
    )
    .unwrap();
    assert!(
        c.warnings
            .iter()
            .any(|w| w.contains("gw.yaml:3:30") && w.contains("cuts off clients")),
        "{:?}",
        c.warnings
    );
    let c = parse(
        Path::new("gw.yaml"),
        &with_timeouts("{ body_min_rate: off, body_grace: 1s }"),
    )
    .unwrap();
    assert!(
        c.warnings
            .iter()
            .any(|w| w.contains("body_grace has no effect")),
        "{:?}",
        c.warnings
    );
}
