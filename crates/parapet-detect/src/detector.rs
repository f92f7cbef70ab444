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
pub(crate) struct Features(u64);

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
    /// `,`.
    pub(crate) const COMMA: Features = Features(1 << 15);
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
    /// `?`.
    pub(crate) const QUESTION: Features = Features(1 << 22);
    // Finer kinds, which a byte has besides one of those above.
    /// `<`.
    pub(crate) const LESS: Features = Features(1 << 23);
    /// `&`.
    pub(crate) const AMPERSAND: Features = Features(1 << 24);
    /// `\`.
    pub(crate) const BACKSLASH: Features = Features(1 << 25);
    /// `-`.
    pub(crate) const MINUS: Features = Features(1 << 26);
    /// `(`, `[`, `{` or a backtick: what opens code.
    pub(crate) const OPENER: Features = Features(1 << 27);
    /// The lead bytes of look-alikes of `<` (Latin-1 `¼`, `0xbc`; `0xef`, UTF-8's fullwidth
    /// `＜`).
    pub(crate) const LOOKALIKE: Features = Features(1 << 28);
    /// How many bits the features take.
    const BITS: u32 = 29;

    /// The features of one byte.
    pub(crate) const fn of(b: u8) -> Features {
        let finer = match b {
            b'<' => Self::LESS.0,
            b'&' => Self::AMPERSAND.0,
            b'\\' => Self::BACKSLASH.0,
            b'-' => Self::MINUS.0,
            b'(' | b'[' | b'{' | b'`' => Self::OPENER.0,
            0xbc | 0xef => Self::LOOKALIKE.0,
            _ => 0,
        };
        Features(
            finer
                | match b {
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
                    b',' => Self::COMMA.0,
                    b'?' => Self::QUESTION.0,
                    b' ' | b'\t' => Self::SPACE.0,
                    b'\r' | b'\n' => Self::NEWLINE.0,
                    0..=0x1f | 0x7f => Self::CONTROL.0,
                    0x80..=0xff => Self::HIGH.0,
                    b'0'..=b'9' => Self::DIGIT.0,
                    _ => Self::LETTER.0,
                },
        )
    }

    /// Lowercases `text` into `lower` (cleared first) and returns the features of `text`.
    pub(crate) fn lowercase(text: &[u8], lower: &mut Vec<u8>) -> Features {
        Self::lowercase_raw(text, lower).0
    }

    /// [`Features::lowercase`], and the classes of bytes the decoders act on, in the same
    /// pass: a raw value needs both.
    pub(crate) fn lowercase_raw(text: &[u8], lower: &mut Vec<u8>) -> (Features, ByteClasses) {
        /// The features of a byte in the low bits, its decoding classes above them.
        static TABLE: [u64; 256] = {
            let mut t = [0u64; 256];
            let mut b = 0;
            while b < 256 {
                let classes = ByteClasses::of_byte(b as u8) as u64;
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

    /// Whether every byte is of a kind in `allowed` (the finer kinds go with theirs).
    pub(crate) fn within(self, allowed: Features) -> bool {
        const FINER: u64 = Features::LESS.0
            | Features::AMPERSAND.0
            | Features::BACKSLASH.0
            | Features::MINUS.0
            | Features::OPENER.0
            | Features::LOOKALIKE.0;
        self.0 & !FINER & !allowed.0 == 0
    }
}

const _: () = assert!(Features::BITS + ByteClasses::BITS <= u64::BITS);

impl std::ops::BitOr for Features {
    type Output = Features;
    fn bitor(self, rhs: Features) -> Features {
        Features(self.0 | rhs.0)
    }
}

/// Trigger words, compiled into a DFA that finds every one of them (one may start inside
/// another), walked here byte by byte: the searchers of `aho-corasick` cost hundreds of
/// instructions per call, and their SIMD prefilters little less per byte than the walk on
/// the punctuated text of requests, which are mostly short values.
///
/// The walk reads a table of its own, copied from `aho-corasick`'s DFA when compiled (the
/// DFA is then dropped): one row per state, one column per class of bytes the DFA does not
/// tell apart, rows a power of two wide and match states last, so that a match is one
/// comparison: a step costs 11 instructions instead of the DFA's own 13.
pub(crate) struct Triggers {
    /// Each byte's column.
    columns: [u8; 256],
    /// A row (a state's index times the row width) plus a column: the next state's row.
    table: Box<[u32]>,
    /// How far right a row shifts to be a state's index.
    shift: u32,
    /// The rows of match states: this one and those after it.
    first_match: u32,
    /// The unanchored start state's row.
    start: u32,
    /// What each match state matches (by index, the first match state's first): patterns
    /// and their lengths, in the DFA's order.
    matches: Box<[Box<[PatternMatch]>]>,
    /// The longest pattern's length.
    longest: usize,
    /// The shortest texts [`Triggers::each_end`] walks as two and as four chains.
    paired_min: usize,
    quad_min: usize,
}

/// A pattern a match state matches, and its length.
type PatternMatch = (aho_corasick::PatternID, usize);

/// The shortest text [`Triggers::each_end`] walks as two chains (and at least four times the
/// longest pattern).
const PAIRED_MIN: usize = 192;
/// The shortest text walked as four chains (and at least eight times the longest pattern).
const QUAD_MIN: usize = 512;

impl Triggers {
    /// Compiles `patterns` (constants: a failure is a bug that any test catches).
    #[allow(clippy::expect_used)]
    pub(crate) fn new<P: AsRef<[u8]>>(patterns: impl IntoIterator<Item = P>) -> Self {
        use aho_corasick::{
            Anchored,
            automaton::{Automaton, StateID},
            dfa::DFA,
        };
        let patterns: Vec<P> = patterns.into_iter().collect();
        let longest = patterns.iter().map(|p| p.as_ref().len()).max().unwrap_or(0);
        let dfa = DFA::builder()
            .prefilter(false)
            .build(&patterns)
            .expect("constant trigger patterns");
        let start = dfa
            .start_state(Anchored::No)
            .expect("a DFA built with the defaults searches unanchored");
        // Every state the unanchored walk reaches, and its index (by the DFA's state id, an
        // offset in its table of 4-byte cells).
        let mut states = vec![start];
        let mut index = vec![u32::MAX; (dfa.memory_usage() / 4).max(start.as_usize() + 1)];
        index[start.as_usize()] = 0;
        let mut k = 0;
        while let Some(&state) = states.get(k) {
            for byte in 0..=255u8 {
                let to = dfa.next_state(Anchored::No, state, byte);
                let id = to.as_usize();
                if id >= index.len() {
                    index.resize(id + 1, u32::MAX);
                }
                if index[id] == u32::MAX {
                    index[id] = u32::try_from(states.len()).expect("fewer than 2^32 states");
                    states.push(to);
                }
            }
            k += 1;
        }
        // Match states last, from a power of two on: the OR of several walks' rows then
        // reaches the first match row exactly when one of them is in a match state (see
        // `walk_parts`; the OR is never below the largest row, so that with any other first
        // row no match would be missed either, but walks would stop for nothing). The rows
        // between are never reached.
        states.sort_by_key(|&state| dfa.is_match(state));
        let matching = states.iter().filter(|&&state| dfa.is_match(state)).count();
        let first_match = (states.len() - matching).next_power_of_two();
        let slot = |i: usize| match i.checked_sub(states.len() - matching) {
            Some(m) => first_match + m,
            None => i,
        };
        for (i, state) in states.iter().enumerate() {
            index[state.as_usize()] = u32::try_from(slot(i)).expect("fewer than 2^32 states");
        }
        // Bytes that lead everywhere alike share a column: each column is found by its first
        // byte.
        let to = |state: StateID, byte: u8| {
            index[dfa.next_state(Anchored::No, state, byte).as_usize()] as usize
        };
        let mut columns = [0u8; 256];
        let mut firsts: Vec<u8> = Vec::new();
        for byte in 0..=255u8 {
            let same = |&first: &u8| states.iter().all(|&s| to(s, first) == to(s, byte));
            let column = firsts.iter().position(same).unwrap_or_else(|| {
                firsts.push(byte);
                firsts.len() - 1
            });
            columns[usize::from(byte)] = u8::try_from(column).expect("at most 256 columns");
        }
        let shift = firsts.len().next_power_of_two().trailing_zeros();
        let row = |i: usize| u32::try_from(i << shift).expect("a row under 2^32");
        let mut table = vec![0u32; (first_match + matching) << shift].into_boxed_slice();
        for (i, &state) in states.iter().enumerate() {
            for (column, &byte) in firsts.iter().enumerate() {
                table[(slot(i) << shift) + column] = row(to(state, byte));
            }
        }
        Triggers {
            columns,
            table,
            shift,
            first_match: row(first_match),
            start: row(index[start.as_usize()] as usize),
            matches: states[states.len() - matching..]
                .iter()
                .map(|&state| {
                    (0..dfa.match_len(state))
                        .map(|i| {
                            let pattern = dfa.match_pattern(state, i);
                            (pattern, dfa.pattern_len(pattern))
                        })
                        .collect()
                })
                .collect(),
            longest,
            paired_min: PAIRED_MIN.max(4 * longest),
            quad_min: QUAD_MIN.max(8 * longest),
        }
    }

    /// The row after `row` reads `byte`.
    #[inline(always)]
    fn step(&self, row: usize, byte: u8) -> usize {
        // Bounds-checked, not masked to the table's size: the check's branch, always taken
        // alike, is off the chain of loads a walk is, where a mask would add a cycle a byte
        // (the walks are 3-4% faster so, for an instruction more).
        self.table[row + usize::from(self.columns[usize::from(byte)])] as usize
    }

    /// What the match state at `row` matches.
    fn matches_at(&self, row: usize) -> &[PatternMatch] {
        &self.matches[(row - self.first_match as usize) >> self.shift]
    }

    /// Calls `found` with the end of every place in `text` where triggers end, and the
    /// triggers that end there: by end for a short text; for a long one, by end within each
    /// of the parts it is walked in.
    ///
    /// A walk is a chain of loads, each waiting for the one before; a long text (see
    /// [`PAIRED_MIN`], [`QUAD_MIN`]) is walked as two or four parts at once, chains the CPU
    /// runs side by side (see [`Triggers::chains`]).
    pub(crate) fn each_end(&self, text: &[u8], mut found: impl FnMut(usize, &[PatternMatch])) {
        if text.len() >= self.quad_min {
            self.chains::<4>(text, &mut found);
        } else if text.len() >= self.paired_min {
            self.chains::<2>(text, &mut found);
        } else {
            let (mut row, mut from) = (self.start as usize, 0);
            while let Some(read) = self.walk_to_match(&mut row, &text[from..]) {
                from += read;
                found(from, self.matches_at(row));
            }
        }
    }

    /// Walks `text` as `N` parts of one length at once. Each part after the first starts
    /// `longest - 1` bytes before the part before it ends, and reports only the ends past it:
    /// by then it is in the state a walk from the start would be in, as an automaton's state
    /// depends only on the last `longest - 1` bytes read. The callers make `text` long enough
    /// for each part to start after the one before.
    fn chains<const N: usize>(&self, text: &[u8], found: &mut impl FnMut(usize, &[PatternMatch])) {
        let first_match = self.first_match as usize;
        let overlap = self.longest.saturating_sub(1);
        let len = (text.len() + (N - 1) * overlap).div_ceil(N);
        // Where each part starts, and the end after which it reports (where the one before
        // it stops); the last part ends with the text.
        let mut starts = [0; N];
        let mut after = [0; N];
        for c in 1..N {
            starts[c] = (starts[c - 1] + len - overlap).min(text.len() - len);
            after[c] = starts[c - 1] + len;
        }
        let parts: [&[u8]; N] = std::array::from_fn(|c| &text[starts[c]..starts[c] + len]);
        let mut rows = [self.start as usize; N];
        // How many bytes of each part were read.
        let mut k = 0;
        while k < len {
            k = self.walk_parts(&parts, &mut rows, k);
            for c in 0..N {
                let end = starts[c] + k;
                if rows[c] >= first_match && end > after[c] {
                    found(end, self.matches_at(rows[c]));
                }
            }
        }
    }

    /// Walks each of `parts` (of one length) on from its `k`th byte until one of the walks
    /// is in a match state, or to their end: how many bytes of each were then read. A loop of
    /// its own with nothing in it but the walks, so that all it needs fits in registers.
    #[inline(never)]
    fn walk_parts<const N: usize>(
        &self,
        parts: &[&[u8]; N],
        rows: &mut [usize; N],
        mut k: usize,
    ) -> usize {
        let first_match = self.first_match as usize;
        let len = parts[0].len();
        let parts: [&[u8]; N] = std::array::from_fn(|c| &parts[c][..len]);
        let mut walks = *rows;
        while k < len {
            for c in 0..N {
                walks[c] = self.step(walks[c], parts[c][k]);
            }
            k += 1;
            // Match rows start at a power of two (see `Triggers::new`).
            if walks.iter().fold(0, |a, &row| a | row) >= first_match {
                break;
            }
        }
        *rows = walks;
        k
    }

    /// Walks `text` from `row` until a match state: how many bytes it read, the last one
    /// leading there (`None` when none does, `row` then where the whole text led).
    #[inline(always)]
    fn walk_to_match(&self, row: &mut usize, text: &[u8]) -> Option<usize> {
        let first_match = self.first_match as usize;
        let at = text.iter().position(|&byte| {
            *row = self.step(*row, byte);
            *row >= first_match
        })?;
        Some(at + 1)
    }

    /// Every trigger in `text`, overlapping ones included, by end then pattern order
    /// (nothing when there is none).
    pub(crate) fn find_all<'t>(&'t self, text: &'t [u8]) -> TriggerMatches<'t> {
        TriggerMatches {
            triggers: self,
            text,
            at: 0,
            row: self.start,
            pending: &[],
        }
    }
}

/// The iterator of [`Triggers::find_all`].
pub(crate) struct TriggerMatches<'t> {
    triggers: &'t Triggers,
    text: &'t [u8],
    /// How many bytes of `text` were fed to the DFA.
    at: usize,
    /// The current state's row.
    row: u32,
    /// The patterns the current state matches that are left to report, with their lengths.
    pending: &'t [PatternMatch],
}

impl Iterator for TriggerMatches<'_> {
    type Item = aho_corasick::Match;

    fn next(&mut self) -> Option<aho_corasick::Match> {
        let t = self.triggers;
        loop {
            if let [(pattern, len), rest @ ..] = self.pending {
                self.pending = rest;
                return Some(aho_corasick::Match::new(*pattern, self.at - len..self.at));
            }
            let rest = self.text.get(self.at..)?;
            let mut row = self.row as usize;
            let found = t.walk_to_match(&mut row, rest);
            self.row = row as u32;
            match found {
                Some(read) => {
                    self.at += read;
                    self.pending = t.matches_at(row);
                }
                None => {
                    self.at = self.text.len();
                    return None;
                }
            }
        }
    }
}

/// A class's list of trigger words in the [`TriggerWords`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum WordSet {
    /// XSS: script sinks, DOM APIs and code markers.
    Script,
    /// Java: JNDI lookups, class and package names, gadgets, OGNL.
    Java,
    /// Server-side templates and Node.js code.
    Template,
    /// PHP function names.
    PhpFunction,
    /// PHP tags, superglobals and stream wrappers.
    PhpMarker,
    /// `__proto__`, `constructor`, `prototype`.
    Prototype,
    /// Security scanners' names in User-Agents.
    Scanner,
    /// Sensitive system and secret files.
    File,
    /// The words that open SQL injection's gate to values without structural bytes.
    SqlGate,
    /// XML entity and document type declarations, XInclude.
    Xxe,
    /// The opener of server-side include directives.
    Ssi,
    /// `.cookie` and `http-equiv`, where markup sets a cookie.
    Session,
    /// `http-equiv` and `http/`, where a value holds headers or a request line.
    Crlf,
    /// Windows command lines' cradles, `%comspec%` and `-encodedcommand`.
    Windows,
    /// SQL injection's marks of a number glued to a name (`1.e(`).
    SqlMark,
    /// `cookie`, which XSS's `document.cookie` reads.
    Cookie,
    /// `..` and `0x`, which path traversals hold.
    PathMark,
    /// Java's case-sensitive marks (serialized objects, base64 keywords), lowercased.
    JavaMark,
}

/// Where the last `(` of `text` is (0 without one).
fn last_paren(text: &[u8]) -> usize {
    memchr::memrchr(b'(', text).unwrap_or(0)
}

impl WordSet {
    /// Whether the set's words matter only before the text's last `(`: PHP function names
    /// are calls only then. The others are not kept, so that text without a call (a long
    /// value of prose, or of `pi` and `dl` repeated) fills no list with them.
    fn needs_call(self) -> bool {
        self == WordSet::PhpFunction
    }
}

/// The lowercase trigger words of several classes in one automaton, so that one walk over a
/// decoded form finds them all and each class then reads its own ([`Input::words`]),
/// instead of every class walking the text with an automaton of its own.
pub(crate) struct TriggerWords {
    words: Triggers,
    /// For each word of the automaton: its set and its index in the set.
    owners: Vec<(WordSet, u16)>,
}

impl TriggerWords {
    /// Compiles the sets, each a list of lowercase words (constants: a failure is a bug that
    /// any test catches).
    #[allow(clippy::expect_used)]
    pub(crate) fn new(sets: Vec<(WordSet, Vec<&[u8]>)>) -> TriggerWords {
        let mut owners = Vec::new();
        let mut words = Vec::new();
        for (set, list) in sets {
            for (index, word) in list.into_iter().enumerate() {
                let index = u16::try_from(index).expect("a set of fewer than 65536 words");
                assert!(word.len() < 256, "a word shorter than 256 bytes");
                owners.push((set, index));
                words.push(word);
            }
        }
        TriggerWords {
            words: Triggers::new(words),
            owners,
        }
    }

    /// Finds every word of every set in `lower` into `found` (cleared first), by end.
    pub(crate) fn find(&self, lower: &[u8], found: &mut Vec<Word>) {
        found.clear();
        let mut last_call = None;
        let mut sorted = true;
        self.words.each_end(lower, |end, matches| {
            // No request value is 4 GiB long; if one were, its tail would hold no word.
            let Ok(end) = u32::try_from(end) else {
                return;
            };
            sorted &= found.last().is_none_or(|w| w.end <= end);
            for &(pattern, len) in matches {
                let (set, index) = self.owners[pattern.as_usize()];
                if set.needs_call()
                    && end as usize > *last_call.get_or_insert_with(|| last_paren(lower))
                {
                    continue;
                }
                found.push(Word {
                    end,
                    index,
                    // Every word is shorter than 256 bytes (checked when compiled).
                    len: len as u8,
                    set,
                });
            }
        });
        // A long text's parts report side by side. Stable: the words ending at one place
        // stay in the automaton's order.
        if !sorted {
            found.sort_by_key(|w| w.end);
        }
    }
}

/// See [`Input::words`].
fn words_of(words: &[Word], set: WordSet) -> impl Iterator<Item = aho_corasick::Match> + '_ {
    words
        .iter()
        .filter(move |w| w.set == set)
        .map(|w| w.to_match())
}

/// See [`Input::words_leftmost_longest`].
fn leftmost_longest(words: &[Word], set: WordSet, end: usize) -> Vec<aho_corasick::Match> {
    let mut all: Vec<&Word> = words
        .iter()
        .filter(|w| w.set == set && w.end() <= end)
        .collect();
    all.sort_by_key(|w| (w.start(), std::cmp::Reverse(w.end()), w.index));
    let mut taken = Vec::new();
    let mut free_from = 0;
    for word in all {
        if word.start() >= free_from {
            free_from = word.end();
            taken.push(word.to_match());
        }
    }
    taken
}

/// A trigger word found in a decoded form, in 8 bytes: a long value can hold one at nearly
/// every byte.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Word {
    /// Where it ends.
    end: u32,
    /// Its index in its set.
    index: u16,
    len: u8,
    set: WordSet,
}

impl Word {
    fn end(self) -> usize {
        self.end as usize
    }

    fn start(self) -> usize {
        self.end() - usize::from(self.len)
    }

    /// As `aho-corasick` reports a match of the set's own automaton.
    fn to_match(self) -> aho_corasick::Match {
        aho_corasick::Match::must(usize::from(self.index), self.start()..self.end())
    }
}

const _: () = assert!(size_of::<Word>() == 8);

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
    /// The [`TriggerWords`]'s words in `lower`, by end.
    pub words: &'a [Word],
}

impl Input<'_> {
    /// The words of `set` in this form, overlapping ones included, by end: what the set's
    /// own [`Triggers::find_all`] would report (the pattern is the word's index in the set).
    pub(crate) fn words(&self, set: WordSet) -> impl Iterator<Item = aho_corasick::Match> + '_ {
        words_of(self.words, set)
    }

    /// Where word `index` of `set` starts in this form, left to right.
    pub(crate) fn word_starts(
        &self,
        set: WordSet,
        index: usize,
    ) -> impl Iterator<Item = usize> + '_ {
        self.words(set)
            .filter(move |m| m.pattern().as_usize() == index)
            .map(|m| m.start())
    }

    /// The words of `set` within `lower[..end]`, leftmost first, the longest of those that
    /// start at one place, without overlaps: what a `MatchKind::LeftmostLongest` automaton of
    /// the set reports for `lower[..end]`.
    pub(crate) fn words_leftmost_longest(
        &self,
        set: WordSet,
        end: usize,
    ) -> Vec<aho_corasick::Match> {
        leftmost_longest(self.words, set, end)
    }

    /// Whether the value is an e-mail address (see [`crate::shape::is_email_address`]).
    pub(crate) fn is_email_address(&self) -> bool {
        self.features.any(Features::SIGIL) && crate::shape::is_email_address(self.lower)
    }

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
    /// Whether the class may report on a form of letters and digits alone (`pending`,
    /// `tkt0042`): on such a form, the engine does not call the others (a property test
    /// checks that they would report nothing).
    pub alnum: bool,
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
    with_input(part, name, text.as_bytes(), paranoia, |input| {
        let mut hits = Vec::new();
        (detector.scan)(input, &mut Sink::new(&mut hits, paranoia));
        hits.into_iter().map(|m| m.rule.id).collect()
    })
}

/// For unit tests: runs `f` on the [`Input`] of `text` found at `part`/`name`, as is (no
/// decoding), at `paranoia`.
#[cfg(test)]
pub(crate) fn with_input<R>(
    part: Part,
    name: &str,
    text: &[u8],
    paranoia: u8,
    f: impl FnOnce(&Input<'_>) -> R,
) -> R {
    let mut lower = Vec::new();
    let features = Features::lowercase(text, &mut lower);
    let mut words = Vec::new();
    crate::class::TRIGGER_WORDS.find(&lower, &mut words);
    f(&Input {
        raw: text,
        text,
        lower: &lower,
        features,
        decoded_by: Decoders::default(),
        part,
        name,
        paranoia,
        words: &words,
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};

    #[test]
    fn a_finer_kind_goes_with_its_kind() {
        for (finer, kind) in [
            (Features::LESS, Features::ANGLE),
            (Features::AMPERSAND, Features::SEPARATOR),
            (Features::BACKSLASH, Features::ESCAPE),
            (Features::MINUS, Features::DASH),
            (
                Features::OPENER,
                Features::PAREN | Features::BRACKET | Features::BRACE | Features::QUOTE,
            ),
            (Features::LOOKALIKE, Features::HIGH),
        ] {
            for b in 0..=255u8 {
                let f = Features::of(b);
                assert!(!f.any(finer) || f.any(kind), "{b:#x}");
                assert!(f.within(f), "{b:#x}");
            }
        }
        let mut lower = Vec::new();
        assert!(
            Features::lowercase(b"a-b(c", &mut lower)
                .within(Features::LETTER | Features::DASH | Features::PAREN)
        );
        assert!(
            !Features::lowercase(b"a-b(c", &mut lower).within(Features::LETTER | Features::DASH)
        );
    }

    #[test]
    fn rows_are_below_the_first_match_row_a_power_of_two_or_match_rows() {
        // So that the walks in parts stop only where one of them matches.
        let triggers = &crate::class::TRIGGER_WORDS.words;
        let first_match = triggers.first_match;
        assert!(first_match.is_power_of_two(), "{first_match}");
        for &row in &triggers.table {
            assert!(
                row < first_match
                    || ((row - first_match) >> triggers.shift) < triggers.matches.len() as u32,
                "{row}"
            );
        }
    }

    #[test]
    fn a_word_across_the_parts_of_a_long_walk_is_found() {
        // The longest word decides how early a part starts: placed at every position of
        // texts around the lengths walked as two and as four parts, it is found once.
        let words: [&[u8]; 3] = [b"abcdefghijklmnop", b"ab", b"p"];
        let triggers = Triggers::new(words);
        let reference = AhoCorasick::builder()
            .kind(Some(AhoCorasickKind::DFA))
            .build(words)
            .expect("constant words");
        let shortest = [PAIRED_MIN, QUAD_MIN];
        for len in shortest
            .iter()
            .flat_map(|&n| n - 1..n + 12)
            .chain([777, 1024])
        {
            for at in 0..=len - words[0].len() {
                let mut text = vec![b'.'; len];
                text[at..at + words[0].len()].copy_from_slice(words[0]);
                let mut found = Vec::new();
                triggers.each_end(&text, |end, matches| {
                    found.extend(matches.iter().map(|&(p, l)| (p.as_usize(), end - l, end)));
                });
                found.sort_by_key(|&(_, _, end)| end);
                let expected = spans(reference.find_overlapping_iter(&text));
                assert_eq!(found, expected, "{len} bytes, the word at {at}");
            }
        }
    }

    /// For property tests: a place of each part outside the headers and the method, where
    /// the application reads values as data.
    pub(crate) const DATA_PLACES: [(Part, &str); 8] = [
        (Part::Body, "/x"),
        (Part::BodyKey, "/x"),
        (Part::Query, "q"),
        (Part::QueryName, ""),
        (Part::Path, ""),
        (Part::Cookie, "session"),
        (Part::CookieName, ""),
        (Part::FileName, "file"),
    ];

    /// For property tests: the pieces of every string literal in `sources` (Rust source text)
    /// cut at the characters `keep` rejects, those of at most `max` bytes with a letter or a
    /// digit, once each: command names, keywords, file names, trigger words, as detectors
    /// know them.
    pub(crate) fn literal_pieces(
        sources: &[&str],
        keep: impl Fn(char) -> bool,
        max: usize,
    ) -> Vec<String> {
        let literals = sources.iter().flat_map(|s| s.split('"').skip(1).step_by(2));
        let pieces = literals.flat_map(|l| l.split(|c: char| !keep(c)));
        let words: std::collections::BTreeSet<&str> = pieces
            .filter(|p| p.len() <= max && p.bytes().any(|b| b.is_ascii_alphanumeric()))
            .collect();
        words.into_iter().map(str::to_owned).collect()
    }

    fn spans(found: impl IntoIterator<Item = aho_corasick::Match>) -> Vec<(usize, usize, usize)> {
        found
            .into_iter()
            .map(|m| (m.pattern().as_usize(), m.start(), m.end()))
            .collect()
    }

    /// A set of words and its own automata (`aho-corasick`'s own searches, not the walk of
    /// [`Triggers`]): every word (overlapping), leftmost-longest.
    pub(crate) struct Own {
        set: WordSet,
        all: AhoCorasick,
        leftmost_longest: AhoCorasick,
    }

    /// The own automata of each set.
    pub(crate) fn own_automata(sets: &[(WordSet, Vec<&[u8]>)]) -> Vec<Own> {
        sets.iter()
            .map(|(set, words)| Own {
                set: *set,
                all: AhoCorasick::builder()
                    .kind(Some(AhoCorasickKind::DFA))
                    .build(words)
                    .expect("constant words"),
                leftmost_longest: AhoCorasick::builder()
                    .match_kind(MatchKind::LeftmostLongest)
                    .build(words)
                    .expect("constant words"),
            })
            .collect()
    }

    /// Checks that `words` finds in `text` for every set what the set's `own` automata
    /// find: every word (overlapping), and leftmost-longest words within each prefix
    /// (those of a set that [needs a call](WordSet::needs_call), before the last `(` only).
    pub(crate) fn agrees(words: &TriggerWords, own: &[Own], text: &[u8]) {
        let mut found = Vec::new();
        words.find(text, &mut found);
        let last_call = last_paren(text);
        for Own {
            set,
            all,
            leftmost_longest: own_leftmost_longest,
        } in own
        {
            let all = all
                .find_overlapping_iter(text)
                .filter(|m| !set.needs_call() || m.end() <= last_call);
            assert_eq!(
                spans(words_of(&found, *set)),
                spans(all),
                "{set:?} in {:?}",
                String::from_utf8_lossy(text)
            );
            let ends = [text.len(), text.len() / 2, text.len().saturating_sub(1)];
            for end in ends.map(|e| {
                if set.needs_call() {
                    e.min(last_call)
                } else {
                    e
                }
            }) {
                assert_eq!(
                    spans(leftmost_longest(&found, *set, end)),
                    spans(own_leftmost_longest.find_iter(&text[..end])),
                    "{set:?} in {:?}",
                    String::from_utf8_lossy(&text[..end])
                );
            }
        }
    }
}
