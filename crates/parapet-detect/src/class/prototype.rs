//! JavaScript prototype pollution: `__proto__`, `constructor.prototype` and
//! `constructor[prototype]` in parameter names, JSON keys and values (merge functions and
//! query-string parsers walk them into `Object.prototype`), and the `$n:…:__proto__` path
//! references of React Server Components payloads.
//!
//! How: a `memchr` gate on `_` and `constructor`/`prototype`; then `__proto__` anywhere, or
//! `constructor` followed (past brackets, dots, quotes, colons) by `prototype`.

use crate::detector::{Detector, Features, Input, Sink, WordSet};
use crate::rule::{Class, Rule, Severity};

/// `__proto__` or `constructor` + `prototype` in a name, key or value.
pub(crate) static POLLUTION: Rule = Rule {
    id: "prototype.pollution",
    class: Class::PrototypePollution,
    paranoia: 1,
    severity: Severity::Critical,
    description: "prototype pollution through __proto__ or constructor.prototype",
};

/// A React Server Components path reference (`"$1:constructor:constructor"`,
/// `"$7:Module:prototype"`) walking into constructors or prototypes.
pub(crate) static REFERENCE: Rule = Rule {
    id: "prototype.reference-walk",
    class: Class::PrototypePollution,
    paranoia: 1,
    severity: Severity::Critical,
    description: "serialized reference walking into a constructor or prototype",
};

/// The prototype detector.
pub(crate) static DETECTOR: Detector = Detector {
    class: Class::PrototypePollution,
    rules: &[&POLLUTION, &REFERENCE],
    alnum: false,
    scan,
};

/// The words looked for, for the [`super::TRIGGER_WORDS`], in the order of [`Word`].
pub(super) const WORDS: [&[u8]; 3] = [b"__proto__", b"constructor", b"prototype"];

/// The index of each word in [`WORDS`].
#[derive(Clone, Copy, PartialEq, Eq)]
enum Word {
    Proto = 0,
    Constructor = 1,
    Prototype = 2,
}

fn scan(input: &Input<'_>, sink: &mut Sink<'_>) {
    let lower = input.lower;
    // Every reference needs `__proto__`, or a separator before `constructor` or `prototype`.
    const AROUND: Features = Features::UNDERSCORE
        .union(Features::BRACKET)
        .union(Features::DOT)
        .union(Features::QUOTE)
        .union(Features::COLON)
        .union(Features::SPACE);
    if lower.len() < 9 || !input.features.any(AROUND) {
        return;
    }
    let found = |word: Word| input.word_starts(WordSet::Prototype, word as usize);
    if let Some(i) = found(Word::Proto).next() {
        sink.report(&POLLUTION, i..i + 9);
        reference(lower, i, sink);
    }
    // Every `constructor` (the word cannot overlap itself).
    for at in found(Word::Constructor) {
        let end = at + 11;
        let rest = &lower[end..];
        let gap = rest
            .iter()
            .take(8)
            .take_while(|b| matches!(b, b'[' | b']' | b'.' | b'"' | b'\'' | b':' | b' '))
            .count();
        if gap > 0 && rest[gap..].starts_with(b"prototype") {
            sink.report(&POLLUTION, at..end + gap + 9);
        }
        if rest.starts_with(b":constructor") || rest.starts_with(b":prototype") {
            reference(lower, at, sink);
        }
    }
    if let Some(i) = found(Word::Prototype).next()
        && i > 0
        && lower[i - 1] == b':'
    {
        reference(lower, i, sink);
    }
}

/// Reports a `$<id>:…` reference path that reaches the word at `at`.
fn reference(lower: &[u8], at: usize, sink: &mut Sink<'_>) {
    let start = lower[..at]
        .iter()
        .rposition(|b| matches!(b, b'"' | b'\'' | b' ' | b','))
        .map_or(0, |p| p + 1);
    let token = &lower[start..at];
    if let Some(path) = token.strip_prefix(b"$") {
        let id = path
            .iter()
            .take_while(|b| b.is_ascii_alphanumeric())
            .count();
        if id > 0 && path.get(id) == Some(&b':') {
            sink.report(&REFERENCE, start..at);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detector::matches;
    use crate::location::Part;

    fn ids(part: Part, text: &str) -> Vec<&'static str> {
        matches(&DETECTOR, part, "", text, 1)
    }

    #[test]
    fn pollution() {
        for attack in [
            "__proto__[test]",
            "__proto__.test",
            "constructor.prototype.test",
            "a[constructor][prototype][onerror]",
            "constructor[\"prototype\"]",
            "__proto__",
        ] {
            assert!(
                ids(Part::QueryName, attack).contains(&"prototype.pollution"),
                "{attack}"
            );
        }
        assert!(ids(Part::Body, "the constructor of the prototype").is_empty());
        assert!(ids(Part::Body, "a constructor, a prototype").is_empty());
        assert!(ids(Part::Body, "proto_type").is_empty());
    }

    #[test]
    fn reference_walks() {
        assert_eq!(
            ids(Part::Body, "$3:constructor:constructor"),
            ["prototype.reference-walk"]
        );
        assert_eq!(
            ids(Part::Body, "$7:Module:prototype"),
            ["prototype.reference-walk"]
        );
        assert!(ids(Part::Body, "$1:__proto__:then").contains(&"prototype.reference-walk"));
        assert!(ids(Part::Body, "price 3:prototype").is_empty());
    }
}
