//! The attack classes, one module each. Every module exposes a `DETECTOR` (its rules and its
//! scan function, see [`crate::detector`]); [`DETECTORS`] lists them in the order they run.

use crate::detector::{Detector, TriggerWords, WordSet};
use crate::rule::Class;
use std::sync::LazyLock;

mod command;
mod crlf;
mod java;
mod ldap;
mod mail;
mod nosql;
mod path;
mod php;
mod protocol;
mod prototype;
mod session;
mod sqli;
mod ssi;
mod ssrf;
mod template;
mod xss;
mod xxe;

const _: () = assert!(Class::ALL.len() <= u32::BITS as usize);

pub(crate) use protocol::is_api_method;

/// Every detector, in the order they run: one per class, so that a set of them fits in a
/// `u32` bitmask.
pub(crate) static DETECTORS: [&Detector; Class::ALL.len()] = [
    &sqli::DETECTOR,
    &xss::DETECTOR,
    &command::DETECTOR,
    &php::DETECTOR,
    &path::DETECTOR,
    &ssrf::DETECTOR,
    &nosql::DETECTOR,
    &ldap::DETECTOR,
    &xxe::DETECTOR,
    &template::DETECTOR,
    &ssi::DETECTOR,
    &java::DETECTOR,
    &crlf::DETECTOR,
    &mail::DETECTOR,
    &prototype::DETECTOR,
    &session::DETECTOR,
    &protocol::DETECTOR,
];

/// The trigger words of the classes that look for many, in one automaton: the engine walks
/// each decoded form with it once, before the detectors run.
pub(crate) static TRIGGER_WORDS: LazyLock<TriggerWords> =
    LazyLock::new(|| TriggerWords::new(word_sets()));

/// Each class's trigger words.
fn word_sets() -> Vec<(WordSet, Vec<&'static [u8]>)> {
    vec![
        (WordSet::Script, xss::words()),
        (WordSet::Java, java::words()),
        (WordSet::Template, template::words()),
        (WordSet::PhpFunction, php::function_words()),
        (WordSet::PhpMarker, php::marker_words()),
        (WordSet::Prototype, prototype::WORDS.to_vec()),
        (WordSet::Scanner, protocol::scanner_words()),
        (WordSet::File, path::file_words()),
        (WordSet::SqlGate, sqli::gate_words()),
        (WordSet::Xxe, xxe::WORDS.to_vec()),
        (WordSet::Ssi, ssi::WORDS.to_vec()),
        (WordSet::Session, session::WORDS.to_vec()),
        (WordSet::Crlf, crlf::WORDS.to_vec()),
        (WordSet::Windows, command::WINDOWS_WORDS.to_vec()),
        (WordSet::Cookie, xss::COOKIE_WORDS.to_vec()),
        (WordSet::PathMark, path::MARKS.to_vec()),
        (WordSet::SqlMark, sqli::MARKS.to_vec()),
        (WordSet::JavaMark, java::mark_words()),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detector::tests::{Own, agrees, own_automata};
    use proptest::prelude::*;

    /// Each set's own automata, built once for all the cases.
    static OWN: LazyLock<Vec<Own>> = LazyLock::new(|| own_automata(&word_sets()));

    /// Texts made of pieces of the trigger words, so that words overlap, nest and are cut.
    fn texts(count: std::ops::Range<usize>) -> impl Strategy<Value = Vec<u8>> {
        let pieces: Vec<Vec<u8>> = word_sets()
            .into_iter()
            .flat_map(|(_, words)| words)
            .flat_map(|w| {
                [
                    w.to_vec(),
                    w[..w.len() / 2].to_vec(),
                    w[w.len() / 2..].to_vec(),
                ]
            })
            .chain([b" ".to_vec(), b"(".to_vec(), b"x".to_vec()])
            .collect();
        proptest::collection::vec(proptest::sample::select(pieces), count).prop_map(|p| p.concat())
    }

    #[test]
    fn the_trigger_words_are_found_as_each_set_would_find_them() {
        for text in [
            &b"document.write(x); window.location = 'javascript:alert(1)'"[..],
            b"${jndi:ldap://x}/java.lang.runtime.getruntime().exec(",
            b"system('id'); <?php eval($_get[x]) ?> php://filter",
            b"constructor.prototype.__proto__ {{7*7}} process.mainmodule",
            b"",
        ] {
            agrees(&TRIGGER_WORDS, &OWN, text);
        }
    }

    proptest! {
        #[test]
        fn the_trigger_words_agree_on_any_text(text in texts(0..8)) {
            agrees(&TRIGGER_WORDS, &OWN, &text);
        }
    }

    /// Words of letters and digits the detectors know: command names, keywords, event
    /// handlers, schemes, trigger words.
    static ALNUM_WORDS: LazyLock<Vec<String>> = LazyLock::new(|| {
        let sources = [
            include_str!("command/lexicon.rs"),
            include_str!("command/mod.rs"),
            include_str!("sqli/mod.rs"),
            include_str!("sqli/tokenizer.rs"),
            include_str!("xss/mod.rs"),
            include_str!("xss/html.rs"),
            include_str!("xss/scheme.rs"),
            include_str!("crlf.rs"),
            include_str!("java.rs"),
            include_str!("ldap.rs"),
            include_str!("mail.rs"),
            include_str!("nosql.rs"),
            include_str!("path.rs"),
            include_str!("php.rs"),
            include_str!("protocol.rs"),
            include_str!("prototype.rs"),
            include_str!("session.rs"),
            include_str!("ssi.rs"),
            include_str!("ssrf.rs"),
            include_str!("template.rs"),
            include_str!("xxe.rs"),
        ];
        crate::detector::tests::literal_pieces(&sources, |c| c.is_ascii_alphanumeric(), 24)
    });

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2048))]
        /// The classes the engine skips on letters and digits alone report nothing there,
        /// wherever the value is, at paranoia 4.
        #[test]
        fn the_classes_skipped_on_letters_and_digits_report_nothing_there(
            words in proptest::collection::vec(proptest::sample::select(&ALNUM_WORDS[..]), 1..4),
            digits in "[0-9]{0,3}",
            upper in any::<bool>(),
        ) {
            use crate::detector::matches;
            use crate::location::Part;
            let mut text = format!("{}{digits}", words.concat());
            if upper {
                text = text.to_ascii_uppercase();
            }
            let places = crate::detector::tests::DATA_PLACES.into_iter().chain([
                (Part::Header, "user-agent"),
                (Part::Header, "referer"),
                (Part::Header, "content-type"),
                (Part::Method, ""),
            ]).collect::<Vec<_>>();
            for detector in DETECTORS.iter().filter(|d| !d.alnum) {
                for &(part, name) in &places {
                    prop_assert_eq!(matches(detector, part, name, &text, 4), Vec::<&str>::new(), "{}", text);
                }
            }
        }
    }

    proptest! {
        // Long texts are walked as two or four parts at once.
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn the_trigger_words_agree_on_long_text(text in texts(40..160)) {
            agrees(&TRIGGER_WORDS, &OWN, &text);
        }
    }
}
