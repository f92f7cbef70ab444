//! Validation of the `detect` block: paranoia, threshold, and exclusions whose rules and
//! locations must all name something that exists.

use super::Checker;
use crate::file;
use crate::model::DetectPolicy;
use parapet_detect::{Engine, Exclusion, LocationSelector, Part, RuleSelector, Settings};
use serde_saphyr::Spanned;
use std::sync::Arc;

const PARTS: [Part; 10] = [
    Part::Method,
    Part::Path,
    Part::QueryName,
    Part::Query,
    Part::Header,
    Part::CookieName,
    Part::Cookie,
    Part::BodyKey,
    Part::Body,
    Part::FileName,
];

/// The `detect` block.
pub(super) fn detect(block: &Spanned<file::Detect>, c: &mut Checker) -> Option<DetectPolicy> {
    let b = &block.value;
    let mut settings = Settings::default();
    if let Some(p) = &b.paranoia {
        if (1..=4).contains(&p.value) {
            settings.paranoia = p.value;
        } else {
            c.error(
                &p.referenced,
                format!("paranoia must be 1, 2, 3 or 4, not {}", p.value),
            );
        }
    }
    if let Some(t) = &b.threshold {
        settings.threshold = c.positive_u32(&Some(t.clone()), 5, "threshold");
    }
    for e in &b.exclusions {
        let mut exclusion = Exclusion {
            rules: Vec::new(),
            locations: Vec::new(),
        };
        for r in &e.value.rules {
            match RuleSelector::parse(r.value.trim()) {
                Ok(s) => exclusion.rules.push(s),
                Err(why) => c.error(&r.referenced, why),
            }
        }
        for l in &e.value.locations {
            match location(l.value.trim()) {
                Ok(s) => exclusion.locations.push(s),
                Err(why) => c.error(&l.referenced, why),
            }
        }
        if exclusion.rules.is_empty() && exclusion.locations.is_empty() {
            c.error(&e.referenced, "an exclusion needs `rules`, `in`, or both (to turn detection off, remove the `detect` block)");
            continue;
        }
        settings.exclusions.push(exclusion);
    }
    match Engine::new(settings) {
        Ok(engine) => Some(DetectPolicy {
            mode: b.mode,
            engine: Arc::new(engine),
            typed_fields: b.typed_fields.unwrap_or(true),
        }),
        Err(e) => {
            c.error(&block.referenced, e.to_string());
            None
        }
    }
}

/// `part` or `part:name`.
fn location(text: &str) -> Result<LocationSelector, String> {
    let (part, name) = match text.split_once(':') {
        Some((p, n)) => (p, Some(n.to_string())),
        None => (text, None),
    };
    let Some(part) = PARTS.into_iter().find(|p| p.name() == part) else {
        let names: Vec<&str> = PARTS.iter().map(|p| p.name()).collect();
        return Err(format!(
            "{part:?} is not a request part; use one of {}",
            names.join(", ")
        ));
    };
    if name.as_deref() == Some("") {
        return Err(format!(
            "{text:?} names no {part} (write `{part}` for all of it)",
            part = part.name()
        ));
    }
    let name = match part {
        Part::Header => name.map(|n| n.to_ascii_lowercase()),
        _ => name,
    };
    Ok(LocationSelector { part, name })
}
