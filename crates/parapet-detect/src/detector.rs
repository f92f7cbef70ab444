//! The interface between the engine and the attack classes: each class module looks at one
//! decoded form of one value at a time ([`Input`]) and reports the rules that match to a
//! [`Sink`]. Classes never decode, never allocate per value unless they match, and never see
//! the request as a whole.

use crate::decode::Decoders;
use crate::location::Part;
use crate::rule::{Class, Rule};
use std::ops::Range;

/// One decoded form of one value, as a class detector sees it.
pub(crate) struct Input<'a> {
    /// The value as received, before any decoding (bytes: a value need not be UTF-8).
    pub raw: &'a [u8],
    /// This decoded form of the value; the raw value is always one of the forms.
    pub text: &'a [u8],
    /// `text` with ASCII letters lowercased: same length, same offsets.
    pub lower: &'a [u8],
    /// Which decoders produced `text` from `raw` (empty for the raw form).
    pub decoded_by: Decoders,
    /// Where the value comes from.
    pub part: Part,
    /// The lowercase name of the value inside its part: the header or cookie name, the
    /// query or form parameter, the last key of a JSON pointer; empty when there is none.
    pub name: &'a str,
    /// The paranoia level (1–4) the engine runs at; a detector may skip work whose rules
    /// would be filtered out anyway.
    pub paranoia: u8,
}

/// What a class detector reports to: the rules that matched one [`Input`], each with the
/// span of `text` (or `lower`, the same offsets) that matched.
pub(crate) struct Sink<'h> {
    hits: &'h mut Vec<Match>,
    paranoia: u8,
}

/// A rule that matched a span of a decoded value.
pub(crate) struct Match {
    pub rule: &'static Rule,
    pub span: Range<usize>,
}

impl<'h> Sink<'h> {
    pub(crate) fn new(hits: &'h mut Vec<Match>, paranoia: u8) -> Self {
        Sink { hits, paranoia }
    }

    /// Reports that `rule` matched `span` of the input's text. Rules above the engine's
    /// paranoia level are dropped here, so detectors need not check.
    pub(crate) fn report(&mut self, rule: &'static Rule, span: Range<usize>) {
        if rule.paranoia <= self.paranoia && !self.hits.iter().any(|m| std::ptr::eq(m.rule, rule)) {
            self.hits.push(Match { rule, span });
        }
    }
}

/// One attack class: its rules, and the function that looks for them in one input.
pub(crate) struct Detector {
    /// The class.
    pub class: Class,
    /// Every rule the detector can report.
    pub rules: &'static [&'static Rule],
    /// Looks at one decoded value and reports what matches.
    pub scan: fn(&Input<'_>, &mut Sink<'_>),
}

/// For the class modules' unit tests: the ids of the rules `detector` reports for `text`
/// found at `part`/`name`, as is (no decoding), at `paranoia`.
#[cfg(test)]
pub(crate) fn matches(
    detector: &Detector,
    part: Part,
    name: &str,
    text: &str,
    paranoia: u8,
) -> Vec<&'static str> {
    let lower = text.to_ascii_lowercase();
    let input = Input {
        raw: text.as_bytes(),
        text: text.as_bytes(),
        lower: lower.as_bytes(),
        decoded_by: Decoders::default(),
        part,
        name,
        paranoia,
    };
    let mut hits = Vec::new();
    (detector.scan)(&input, &mut Sink::new(&mut hits, paranoia));
    hits.into_iter().map(|m| m.rule.id).collect()
}
