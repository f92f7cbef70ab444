//! The interface between the engine and the attack classes: each class module looks at one
//! decoded form of one value at a time ([`Input`]) and reports the rules that match to a
//! [`Sink`]. Classes never decode, never allocate per value unless they match, and never see
//! the request as a whole.

use crate::decode::{ByteClasses, Decoders};
use crate::location::Part;
use crate::rule::{Class, Rule};
use std::ops::Range;

/// Which kinds of bytes a text holds, found in the same pass that lowercases it: a
/// detector whose attacks all need, say, `<` or `(` returns at once when `features` has
/// neither, without looking at the text again.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Features(u32);

impl Features {
    /// `<` or `>`.
    pub(crate) const ANGLE: Features = Features(1);
    /// `'`, `"` or a backtick.
    pub(crate) const QUOTE: Features = Features(1 << 1);
    /// `(` or `)`.
    pub(crate) const PAREN: Features = Features(1 << 2);
    /// `;`, `|` or `&`.
    pub(crate) const SEPARATOR: Features = Features(1 << 3);
    /// `$`.
    pub(crate) const DOLLAR: Features = Features(1 << 4);
    /// `{` or `}`.
    pub(crate) const BRACE: Features = Features(1 << 5);
    /// `%` or `\`.
    pub(crate) const ESCAPE: Features = Features(1 << 6);
    /// `/`.
    pub(crate) const SLASH: Features = Features(1 << 7);
    /// `.`.
    pub(crate) const DOT: Features = Features(1 << 8);
    /// `:`.
    pub(crate) const COLON: Features = Features(1 << 9);
    /// `=`.
    pub(crate) const EQUALS: Features = Features(1 << 10);
    /// `#`, `@`, `*`, `!`, `^` or `~`.
    pub(crate) const SIGIL: Features = Features(1 << 11);
    /// `[` or `]`.
    pub(crate) const BRACKET: Features = Features(1 << 12);
    /// `_`.
    pub(crate) const UNDERSCORE: Features = Features(1 << 13);
    /// `-` or `+`.
    pub(crate) const DASH: Features = Features(1 << 14);
    /// `,` or `?`.
    pub(crate) const PUNCT: Features = Features(1 << 15);
    /// A space or a tab.
    pub(crate) const SPACE: Features = Features(1 << 16);
    /// CR or LF.
    pub(crate) const NEWLINE: Features = Features(1 << 17);
    /// Another control byte (NUL included) or DEL.
    pub(crate) const CONTROL: Features = Features(1 << 18);
    /// A byte above ASCII.
    pub(crate) const HIGH: Features = Features(1 << 19);
    /// An ASCII digit.
    pub(crate) const DIGIT: Features = Features(1 << 20);
    /// An ASCII letter.
    pub(crate) const LETTER: Features = Features(1 << 21);
    /// How many bits the features take.
    const BITS: u32 = 22;

    /// The features of one byte.
    const fn of(b: u8) -> Features {
        Features(match b {
            b'<' | b'>' => Self::ANGLE.0,
            b'\'' | b'"' | b'`' => Self::QUOTE.0,
            b'(' | b')' => Self::PAREN.0,
            b';' | b'|' | b'&' => Self::SEPARATOR.0,
            b'$' => Self::DOLLAR.0,
            b'{' | b'}' => Self::BRACE.0,
            b'%' | b'\\' => Self::ESCAPE.0,
            b'/' => Self::SLASH.0,
            b'.' => Self::DOT.0,
            b':' => Self::COLON.0,
            b'=' => Self::EQUALS.0,
            b'#' | b'@' | b'*' | b'!' | b'^' | b'~' => Self::SIGIL.0,
            b'[' | b']' => Self::BRACKET.0,
            b'_' => Self::UNDERSCORE.0,
            b'-' | b'+' => Self::DASH.0,
            b',' | b'?' => Self::PUNCT.0,
            b' ' | b'\t' => Self::SPACE.0,
            b'\r' | b'\n' => Self::NEWLINE.0,
            0..=0x1f | 0x7f => Self::CONTROL.0,
            0x80..=0xff => Self::HIGH.0,
            b'0'..=b'9' => Self::DIGIT.0,
            _ => Self::LETTER.0,
        })
    }

    /// Lowercases `text` into `lower` (cleared first) and returns the features of `text`.
    pub(crate) fn lowercase(text: &[u8], lower: &mut Vec<u8>) -> Features {
        Self::lowercase_raw(text, lower).0
    }

    /// [`Features::lowercase`], and the classes of bytes the decoders act on, in the same
    /// pass: a raw value needs both.
    pub(crate) fn lowercase_raw(text: &[u8], lower: &mut Vec<u8>) -> (Features, ByteClasses) {
        /// The features of a byte in the low bits, its decoding classes above them.
        static TABLE: [u32; 256] = {
            let mut t = [0u32; 256];
            let mut b = 0;
            while b < 256 {
                let classes = ByteClasses::of_byte(b as u8) as u32;
                t[b] = Features::of(b as u8).0 | classes << Features::BITS;
                b += 1;
            }
            t
        };
        lower.clear();
        lower.extend_from_slice(text);
        lower.make_ascii_lowercase();
        let seen = text.iter().fold(0, |seen, &b| seen | TABLE[usize::from(b)]);
        let classes = (seen >> Features::BITS) as u16;
        (
            Features(seen & ((1 << Features::BITS) - 1)),
            ByteClasses::from_bits(classes),
        )
    }

    /// Both sets, in a constant.
    pub(crate) const fn union(self, other: Features) -> Features {
        Features(self.0 | other.0)
    }

    /// Whether any of `wanted` is present.
    pub(crate) fn any(self, wanted: Features) -> bool {
        self.0 & wanted.0 != 0
    }
}

const _: () = assert!(Features::BITS + ByteClasses::BITS <= u32::BITS);

impl std::ops::BitOr for Features {
    type Output = Features;
    fn bitor(self, rhs: Features) -> Features {
        Features(self.0 | rhs.0)
    }
}

/// The length under which walking the DFA byte by byte beats a SIMD prefilter's setup.
const SHORT: usize = 64;

/// A class's trigger words, compiled twice: a leftmost automaton, whose SIMD prefilter
/// answers "any trigger here?" quickly on long ordinary text, and a DFA that finds every
/// trigger (one may start inside another), walked here byte by byte: the searcher of
/// `aho-corasick` costs hundreds of instructions per call, too much for the short values
/// requests are mostly made of.
pub(crate) struct Triggers {
    any: aho_corasick::AhoCorasick,
    all: aho_corasick::dfa::DFA,
    /// The DFA's unanchored start state.
    start: aho_corasick::automaton::StateID,
}

impl Triggers {
    /// Compiles `patterns` (constants: a failure is a bug that any test catches).
    #[allow(clippy::expect_used)]
    pub(crate) fn new<P: AsRef<[u8]>>(patterns: impl Iterator<Item = P> + Clone) -> Triggers {
        use aho_corasick::{AhoCorasick, Anchored, MatchKind, automaton::Automaton, dfa::DFA};
        let all = DFA::builder()
            .prefilter(false)
            .build(patterns.clone())
            .expect("constant trigger patterns");
        Triggers {
            any: AhoCorasick::builder()
                .match_kind(MatchKind::LeftmostFirst)
                .build(patterns)
                .expect("constant trigger patterns"),
            start: all
                .start_state(Anchored::No)
                .expect("a DFA built with the defaults searches unanchored"),
            all,
        }
    }

    /// Every trigger in `text`, overlapping ones included, by end then pattern order
    /// (nothing when there is none).
    pub(crate) fn find_all<'t>(&'t self, text: &'t [u8]) -> TriggerMatches<'t> {
        let worth = text.len() < SHORT || self.any.is_match(text);
        TriggerMatches {
            dfa: &self.all,
            text: if worth { text } else { &[] },
            at: 0,
            state: self.start,
            pending: 0,
        }
    }
}

/// The iterator of [`Triggers::find_all`].
pub(crate) struct TriggerMatches<'t> {
    dfa: &'t aho_corasick::dfa::DFA,
    text: &'t [u8],
    /// How many bytes of `text` were fed to the DFA.
    at: usize,
    state: aho_corasick::automaton::StateID,
    /// How many of the patterns that `state` matches are left to report.
    pending: usize,
}

impl Iterator for TriggerMatches<'_> {
    type Item = aho_corasick::Match;

    fn next(&mut self) -> Option<aho_corasick::Match> {
        use aho_corasick::{Anchored, automaton::Automaton};
        loop {
            if self.pending > 0 {
                let index = self.dfa.match_len(self.state) - self.pending;
                self.pending -= 1;
                let pattern = self.dfa.match_pattern(self.state, index);
                let start = self.at - self.dfa.pattern_len(pattern);
                return Some(aho_corasick::Match::new(pattern, start..self.at));
            }
            let rest = self.text.get(self.at..)?;
            let mut state = self.state;
            let found = rest.iter().position(|&byte| {
                state = self.dfa.next_state(Anchored::No, state, byte);
                self.dfa.is_match(state)
            });
            self.state = state;
            match found {
                Some(i) => {
                    self.at += i + 1;
                    self.pending = self.dfa.match_len(state);
                }
                None => {
                    self.at = self.text.len();
                    return None;
                }
            }
        }
    }
}

/// One decoded form of one value, as a class detector sees it.
pub(crate) struct Input<'a> {
    /// The value as received, before any decoding (bytes: a value need not be UTF-8).
    pub raw: &'a [u8],
    /// This decoded form of the value; the raw value is always one of the forms.
    pub text: &'a [u8],
    /// `text` with ASCII letters lowercased: same length, same offsets.
    pub lower: &'a [u8],
    /// The kinds of bytes `text` holds.
    pub features: Features,
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

impl Input<'_> {
    /// Whether the value is the name of an uploaded file: a multipart file name, or one of
    /// the headers some upload handlers take it from.
    pub(crate) fn is_upload_name(&self) -> bool {
        self.part == Part::FileName
            || (self.part == Part::Header
                && matches!(
                    self.name,
                    "x-filename" | "x_filename" | "x.filename" | "x-file-name" | "x_file_name"
                ))
    }
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
    let mut lower = Vec::new();
    let features = Features::lowercase(text.as_bytes(), &mut lower);
    let input = Input {
        raw: text.as_bytes(),
        text: text.as_bytes(),
        lower: &lower,
        features,
        decoded_by: Decoders::default(),
        part,
        name,
        paranoia,
    };
    let mut hits = Vec::new();
    (detector.scan)(&input, &mut Sink::new(&mut hits, paranoia));
    hits.into_iter().map(|m| m.rule.id).collect()
}
