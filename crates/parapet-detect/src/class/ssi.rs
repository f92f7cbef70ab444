//! Server-side includes: `<!--#exec cmd="…"-->`, `<!--#include virtual="…"-->` and the other
//! SSI directives, which a server with SSI enabled runs when it serves the stored value.
//!
//! How: `<!--#` found by the shared trigger words, then the directive name.

use crate::detector::{Detector, Features, Input, Sink, WordSet};
use crate::rule::{Class, Rule, Severity};

/// An SSI directive.
pub(crate) static DIRECTIVE: Rule = Rule {
    id: "ssi.directive",
    class: Class::Ssi,
    paranoia: 1,
    severity: Severity::Critical,
    description: "server-side include directive (<!--#exec, <!--#include…)",
};

/// The ssi detector.
pub(crate) static DETECTOR: Detector = Detector {
    class: Class::Ssi,
    rules: &[&DIRECTIVE],
    alnum: false,
    scan,
};

const DIRECTIVES: &[&[u8]] = &[
    b"exec",
    b"include",
    b"echo",
    b"config",
    b"set",
    b"printenv",
    b"fsize",
    b"flastmod",
    b"if",
    b"elif",
    b"else",
    b"endif",
];

/// The directive opener, for the [`super::TRIGGER_WORDS`].
pub(super) const WORDS: [&[u8]; 1] = [b"<!--#"];

fn scan(input: &Input<'_>, sink: &mut Sink<'_>) {
    if !input.features.any(Features::ANGLE) {
        return;
    }
    let lower = input.lower;
    for at in input.words(WordSet::Ssi).map(|m| m.start()) {
        let rest = &lower[at + 5..];
        let word = rest.iter().take_while(|b| b.is_ascii_alphabetic()).count();
        let after = rest.get(word).copied();
        if DIRECTIVES.contains(&&rest[..word])
            && matches!(after, Some(b' ' | b'\t' | b'\r' | b'\n' | b'-') | None)
        {
            sink.report(&DIRECTIVE, at..at + 5 + word);
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detector::matches;
    use crate::location::Part;

    #[test]
    fn directives() {
        let ids = |t: &str| matches(&DETECTOR, Part::Body, "", t, 1);
        assert_eq!(ids("<!--#exec cmd=\"id\"-->"), ["ssi.directive"]);
        assert_eq!(
            ids("x<!--#include virtual=\"/etc/passwd\"-->"),
            ["ssi.directive"]
        );
        assert!(ids("<!-- a comment -->").is_empty());
        assert!(ids("<!--#hashtag-->").is_empty());
    }
}
