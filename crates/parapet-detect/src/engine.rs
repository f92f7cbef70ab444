//! The engine: settings compiled once, then one [`Scan`] per request that is fed the
//! request's parts, decodes every value, runs every class on every decoded form, and sums an
//! anomaly score into a [`Verdict`].

use crate::class::{DETECTORS, TRIGGER_WORDS};
use crate::decode::{Decoders, Forms};
use crate::detector::{Features, Input, Match, Sink, Word};
use crate::location::{Location, Part};
use crate::rule::{Class, Rule};
// A hasher seeded at random per set: the keys come from requests.
use foldhash::HashSet;
use std::fmt;

/// How the engine is tuned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settings {
    /// Paranoia level 1–4: the higher, the more rules run (and the more false positives).
    pub paranoia: u8,
    /// The anomaly score from which a request is judged an attack (default 5: one critical
    /// match, or two weaker ones).
    pub threshold: u32,
    /// Rules turned off, everywhere or for some locations.
    pub exclusions: Vec<Exclusion>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            paranoia: 1,
            threshold: 5,
            exclusions: Vec::new(),
        }
    }
}

/// Rules turned off for some locations (or everywhere, when `locations` is empty).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Exclusion {
    /// The rules turned off; empty means every rule.
    pub rules: Vec<RuleSelector>,
    /// Where they are turned off; empty means everywhere.
    pub locations: Vec<LocationSelector>,
}

/// Names rules: one rule by id, or a whole class.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RuleSelector {
    /// Every rule of a class.
    Class(Class),
    /// One rule, by id.
    Rule(&'static Rule),
}

impl RuleSelector {
    /// Parses `sqli` (a class) or `sqli.tautology` (a rule id).
    pub fn parse(text: &str) -> Result<RuleSelector, String> {
        if let Some(class) = Class::from_name(text) {
            return Ok(RuleSelector::Class(class));
        }
        rules()
            .find(|r| r.id == text)
            .map(RuleSelector::Rule)
            .ok_or_else(|| format!("no attack class or rule is called {text:?}"))
    }

    fn selects(&self, rule: &Rule) -> bool {
        match self {
            RuleSelector::Class(class) => rule.class == *class,
            RuleSelector::Rule(r) => r.id == rule.id,
        }
    }
}

/// Names locations: a part, and optionally one name inside it (a parameter, header, cookie,
/// or body field as a JSON pointer); a name ending in `*` is a prefix.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LocationSelector {
    /// The part.
    pub part: Part,
    /// The name inside the part; `None` for the whole part.
    pub name: Option<String>,
}

impl LocationSelector {
    fn selects(&self, part: Part, name: &str) -> bool {
        // A body key selector also covers the key of the same field.
        let part_matches = self.part == part || (self.part == Part::Body && part == Part::BodyKey);
        part_matches
            && match &self.name {
                None => true,
                Some(want) => match want.strip_suffix('*') {
                    Some(prefix) => name.starts_with(prefix),
                    None => want.eq_ignore_ascii_case(name),
                },
            }
    }
}

/// Every rule the engine knows, class by class.
pub fn rules() -> impl Iterator<Item = &'static Rule> {
    DETECTORS.iter().flat_map(|d| d.rules.iter().copied())
}

/// A settings error, for the config layer to report.
#[derive(Debug, PartialEq, Eq)]
pub struct SettingsError(String);

impl fmt::Display for SettingsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SettingsError {}

/// The compiled engine; cheap to share, one per route.
#[derive(Debug)]
pub struct Engine {
    settings: Settings,
    /// The classes run where no exclusion names the location, one bit per [`DETECTORS`]
    /// entry.
    classes: u32,
    /// Whether some class is excluded only at some locations.
    located: bool,
    /// Tells this engine's entries in [`CLEAN_NAMES`] from other engines' (no two engines
    /// of a process share one).
    id: u64,
}

impl Engine {
    /// Compiles `settings`.
    pub fn new(settings: Settings) -> Result<Engine, SettingsError> {
        if !(1..=4).contains(&settings.paranoia) {
            return Err(SettingsError(format!(
                "paranoia must be 1, 2, 3 or 4, not {}",
                settings.paranoia
            )));
        }
        if settings.threshold == 0 {
            return Err(SettingsError("threshold must be at least 1".into()));
        }
        static IDS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let mut engine = Engine {
            settings,
            classes: 0,
            located: false,
            id: IDS.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
        };
        engine.classes = engine.classes_where(|e| e.locations.is_empty());
        engine.located = engine.settings.exclusions.iter().any(|e| {
            !e.locations.is_empty() && e.rules.iter().any(|r| matches!(r, RuleSelector::Class(_)))
        });
        Ok(engine)
    }

    /// The classes (one bit per [`DETECTORS`] entry) that no exclusion accepted by
    /// `applies` turns off as a whole.
    fn classes_where(&self, applies: impl Fn(&Exclusion) -> bool) -> u32 {
        let mut classes = 0;
        for (i, detector) in DETECTORS.iter().enumerate() {
            let off = self
                .settings
                .exclusions
                .iter()
                .any(|e| applies(e) && e.rules.contains(&RuleSelector::Class(detector.class)));
            if !off {
                classes |= 1 << i;
            }
        }
        classes
    }

    /// The classes to run at this location: those not excluded there as a whole.
    fn classes_at(&self, part: Part, name: &str) -> u32 {
        if !self.located {
            return self.classes;
        }
        self.classes_where(|e| {
            e.locations.is_empty() || e.locations.iter().any(|l| l.selects(part, name))
        })
    }

    /// The settings the engine was compiled from.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Starts inspecting one request.
    pub fn scan(&self) -> Scan<'_> {
        self.resume(Verdict::default())
    }

    /// Goes on inspecting a request whose first parts gave `previous` (the head, judged
    /// before its body arrived).
    pub fn resume(&self, previous: Verdict) -> Scan<'_> {
        Scan {
            engine: self,
            found: Found {
                hits: previous.hits,
                score: previous.score,
                matched: false,
            },
            scratch: Scratch::take(),
            skip: None,
            clean: HashSet::default(),
            values: 0,
        }
    }

    /// Whether an exclusion turns off every rule at this location, so the value need not be
    /// looked at.
    fn excluded_everywhere(&self, part: Part, name: &str) -> bool {
        self.settings.exclusions.iter().any(|e| {
            e.rules.is_empty()
                && (e.locations.is_empty() || e.locations.iter().any(|l| l.selects(part, name)))
        })
    }

    fn excluded(&self, rule: &Rule, part: Part, name: &str) -> bool {
        self.settings.exclusions.iter().any(|e| {
            (e.rules.is_empty() || e.rules.iter().any(|r| r.selects(rule)))
                && (e.locations.is_empty() || e.locations.iter().any(|l| l.selects(part, name)))
        })
    }
}

/// A rule that matched, explained.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hit {
    /// The rule (its class, id, severity).
    pub rule: &'static Rule,
    /// Where the value was.
    pub location: Location,
    /// The decoded text that matched, cut short and with control characters escaped;
    /// `[redacted]` when the location holds credentials.
    pub snippet: String,
}

/// What the engine thinks of a request.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Verdict {
    /// The anomaly score: the sum of the severities of the rules that matched (each rule
    /// counts once per location).
    pub score: u32,
    /// Whether the score reached the threshold.
    pub attack: bool,
    /// Every match, in the order found.
    pub hits: Vec<Hit>,
}

impl Verdict {
    /// The classes that matched, each once, in the order found.
    pub fn classes(&self) -> Vec<Class> {
        let mut classes = Vec::new();
        for hit in &self.hits {
            if !classes.contains(&hit.rule.class) {
                classes.push(hit.rule.class);
            }
        }
        classes
    }
}

/// Decides which values the contract has already validated as typed (an integer, a uuid,
/// an enum, a date…): they are not fed to the free-text detectors.
pub trait TypedFields {
    /// Whether the value `raw` found at `part`/`name` (a parameter name, or a body
    /// field's JSON pointer; path segments have no name) is typed.
    fn is_typed(&self, part: Part, name: &str, raw: &[u8]) -> bool;
}

/// The inspection of one request in progress.
pub struct Scan<'e> {
    engine: &'e Engine,
    found: Found,
    scratch: Scratch,
    skip: Option<&'e dyn TypedFields>,
    /// Short values already inspected without a single match, keyed by what the detectors
    /// see of them (see [`clean_key`]): arrays of objects repeat their keys and many of
    /// their values, which need not be inspected twice. Only large requests fill it.
    clean: HashSet<Vec<u8>>,
    /// How many values were inspected.
    values: usize,
}

/// What a scan found so far.
#[derive(Default)]
struct Found {
    hits: Vec<Hit>,
    score: u32,
    /// Whether a detector matched the value being inspected (excluded or not).
    matched: bool,
}

/// The buffers a scan works in. Each thread keeps the last scan's, so that a scan in steady
/// state allocates nothing (see [`Scratch::take`]).
#[derive(Default)]
struct Scratch {
    forms: Forms,
    /// The lowercase form of the text being inspected.
    lower: Vec<u8>,
    /// The lowercase short name of the value being inspected.
    name: String,
    matches: Vec<Match>,
    /// The [`TRIGGER_WORDS`]'s words in the form being inspected.
    words: Vec<Word>,
    /// A key of [`Scan::clean`].
    key: Vec<u8>,
}

/// The most bytes a thread keeps in its spare [`Scratch`]: buffers grown by a huge value
/// are dropped with the scan.
const SCRATCH_KEPT: usize = 256 * 1024;

thread_local! {
    static SPARE: std::cell::Cell<Option<Scratch>> = const { std::cell::Cell::new(None) };
}

impl Scratch {
    /// This thread's spare buffers, or new ones.
    fn take() -> Scratch {
        SPARE
            .try_with(std::cell::Cell::take)
            .ok()
            .flatten()
            .unwrap_or_default()
    }

    /// Gives the buffers back to this thread, unless they grew too large.
    fn give_back(self) {
        let retained = self.forms.retained()
            + self.lower.capacity()
            + self.name.capacity()
            + self.key.capacity()
            + self.matches.capacity() * size_of::<Match>()
            + self.words.capacity() * size_of::<Word>();
        if retained <= SCRATCH_KEPT {
            // A thread being torn down keeps nothing.
            let _ = SPARE.try_with(|spare| spare.set(Some(self)));
        }
    }
}

impl Drop for Scan<'_> {
    fn drop(&mut self) {
        std::mem::take(&mut self.scratch).give_back();
    }
}

/// How many values a request has before clean ones are remembered: below, remembering
/// costs more than it saves.
const CLEAN_AFTER: usize = 64;
/// The longest value remembered as clean, in bytes.
const CLEAN_VALUE_MAX: usize = 128;
/// How many clean values a scan remembers.
const CLEAN_MAX: usize = 1024;

/// The longest name (query parameter, cookie, body key) or protocol header value remembered
/// across requests.
const CLEAN_NAME_MAX: usize = 64;
/// How many clean names a thread remembers; when full, it forgets them all.
const CLEAN_NAMES_MAX: usize = 4096;

thread_local! {
    /// Names inspected without a single match, keyed like [`Scan::clean`] (with the engine's
    /// id), remembered across the requests a thread inspects: an API's requests carry the
    /// same few parameter and key names over and over, and the same few media types,
    /// encodings and languages in their protocol headers ([`PROTOCOL_HEADERS`]). Names and
    /// those only: they are the API's and HTTP's vocabulary, while values are its clients'
    /// data, and whether a value was seen before must not make one request faster than
    /// another.
    static CLEAN_NAMES: std::cell::RefCell<HashSet<Vec<u8>>> =
        std::cell::RefCell::new(HashSet::default());
}

/// Headers whose values are protocol vocabulary (media types, encodings, languages, fetch
/// metadata), the same few on every request, which [`CLEAN_NAMES`] remembers.
const PROTOCOL_HEADERS: [&str; 10] = [
    "content-type",
    "accept",
    "accept-encoding",
    "accept-language",
    "cache-control",
    "pragma",
    "sec-fetch-site",
    "sec-fetch-mode",
    "sec-fetch-dest",
    "sec-fetch-user",
];

/// Whether the value at `part`/`name` is vocabulary, which [`CLEAN_NAMES`] remembers: a
/// name, or a [`PROTOCOL_HEADERS`] value.
fn is_vocabulary(part: Part, name: &str) -> bool {
    match part {
        Part::QueryName | Part::CookieName | Part::BodyKey => true,
        Part::Header => PROTOCOL_HEADERS.contains(&name),
        _ => false,
    }
}

/// The value being inspected, shared by its decoded forms.
#[derive(Clone, Copy)]
struct Value<'v> {
    raw: &'v [u8],
    part: Part,
    name: &'v str,
    lower_name: &'v str,
    /// The classes to run, one bit per [`DETECTORS`] entry.
    classes: u32,
}

/// The longest snippet kept in a hit, in bytes of decoded text.
const SNIPPET_MAX: usize = 64;

impl<'e> Scan<'e> {
    /// Skips the values `typed` says the contract has validated as typed.
    pub fn typed_fields(&mut self, typed: &'e dyn TypedFields) {
        self.skip = Some(typed);
    }

    /// The score so far.
    pub fn score(&self) -> u32 {
        self.found.score
    }

    /// Inspects one value found at `part`/`name` (see [`Location`]); `form` says it is
    /// percent-encoded the way query strings and forms are (`+` for a space).
    pub fn value(&mut self, part: Part, name: &str, raw: &[u8], form: bool) {
        if raw.is_empty() || self.engine.excluded_everywhere(part, name) {
            return;
        }
        if let Some(typed) = self.skip
            && typed.is_typed(part, name, raw)
        {
            return;
        }
        if crate::shape::is_inert(part, raw) {
            return;
        }
        let Scratch {
            forms,
            lower,
            name: lower_name,
            matches,
            words,
            key,
        } = &mut self.scratch;
        let short = short_name(part, name);
        let classes = self.engine.classes_at(part, name);
        self.values += 1;
        let vocabulary = raw.len() <= CLEAN_NAME_MAX && is_vocabulary(part, name);
        let remember = vocabulary || (self.values > CLEAN_AFTER && raw.len() <= CLEAN_VALUE_MAX);
        if remember {
            // Keyed by the name as sent: lowercasing it waits for a value to inspect.
            clean_key(key, self.engine.id, part, form, classes, short, raw);
            let seen = if vocabulary {
                CLEAN_NAMES.with_borrow(|names| names.contains(key))
            } else {
                self.clean.contains(key)
            };
            if seen {
                return;
            }
        }
        lower_name.clear();
        lower_name.push_str(short);
        lower_name.make_ascii_lowercase();
        self.found.matched = false;
        let mut inspector = Inspector {
            engine: self.engine,
            found: &mut self.found,
            lower,
            matches,
            words,
            value: Value {
                raw,
                part,
                name,
                lower_name,
                classes,
            },
        };
        // The raw form is lowercased first: the same pass says what decoders apply.
        let (features, byte_classes) = Features::lowercase_raw(raw, inspector.lower);
        inspector.form(raw, features, Decoders::default());
        forms.decode(raw, byte_classes, part, form);
        for (text, decoded_by) in forms.iter() {
            let features = Features::lowercase(text, inspector.lower);
            inspector.form(text, features, decoded_by);
        }
        if remember && !self.found.matched {
            if vocabulary {
                CLEAN_NAMES.with_borrow_mut(|names| {
                    if names.len() >= CLEAN_NAMES_MAX {
                        names.clear();
                    }
                    names.insert(key.clone());
                });
            } else if self.clean.len() < CLEAN_MAX {
                self.clean.insert(key.clone());
            }
        }
    }

    /// Whether `path` is words (letters, digits, `_`, `-`) between single slashes, as in
    /// `/api/v2/users/42`, holding nothing a detector reads across a slash: no trigger word,
    /// no program's directory (`bin/`), no base64. Its segments, inspected one by one, then
    /// raise all that the whole path would (a property test checks it), and [`Scan::path`]
    /// does not inspect it whole.
    pub(crate) fn is_plain_path(&mut self, path: &[u8]) -> bool {
        let Scratch { lower, words, .. } = &mut self.scratch;
        lower.clear();
        // One pass: the bytes allowed, no `//`, no `bin/`; the lowercase form for the words.
        let mut last = [0u8; 3];
        for &b in path {
            let c = b.to_ascii_lowercase();
            let word = c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-');
            if !(word || (c == b'/' && last[2] != b'/' && last != *b"bin")) {
                return false;
            }
            lower.push(c);
            last = [last[1], last[2], c];
        }
        TRIGGER_WORDS.find(lower, words);
        words.is_empty() && !crate::decode::base64::shaped(path)
    }

    /// Ends the inspection.
    pub fn finish(mut self) -> Verdict {
        Verdict {
            score: self.found.score,
            attack: self.found.score >= self.engine.settings.threshold,
            hits: std::mem::take(&mut self.found.hits),
        }
    }
}

/// Writes into `key` all that the detectors' verdict on a value depends on: the engine (its
/// paranoia level), where the value is (the part, and the short name they see, as sent:
/// they see it lowercased), how it is encoded, which classes run there, and its bytes.
fn clean_key(
    key: &mut Vec<u8>,
    engine: u64,
    part: Part,
    form: bool,
    classes: u32,
    short_name: &str,
    raw: &[u8],
) {
    key.clear();
    key.extend_from_slice(&engine.to_le_bytes());
    key.push(part as u8);
    key.push(u8::from(form));
    key.extend_from_slice(&classes.to_le_bytes());
    key.extend_from_slice(short_name.as_bytes());
    // Not a byte of UTF-8: the name ends here.
    key.push(0xff);
    key.extend_from_slice(raw);
}

/// Runs the detectors on the decoded forms of one value.
struct Inspector<'s, 'v> {
    engine: &'s Engine,
    found: &'s mut Found,
    lower: &'s mut Vec<u8>,
    matches: &'s mut Vec<Match>,
    words: &'s mut Vec<Word>,
    value: Value<'v>,
}

impl Inspector<'_, '_> {
    /// Runs every detector on one decoded form of the value, whose lowercase form is in
    /// `self.lower`, and records the new matches.
    fn form(&mut self, text: &[u8], features: Features, decoded_by: Decoders) {
        let Value {
            raw,
            part,
            name,
            lower_name,
            classes,
        } = self.value;
        let paranoia = self.engine.settings.paranoia;
        self.matches.clear();
        TRIGGER_WORDS.find(self.lower, self.words);
        let input = Input {
            raw,
            text,
            lower: self.lower,
            features,
            decoded_by,
            part,
            name: lower_name,
            paranoia,
            words: self.words,
        };
        let mut sink = Sink::new(self.matches, paranoia);
        let alnum = features.within(Features::LETTER.union(Features::DIGIT));
        for (i, detector) in DETECTORS.iter().enumerate() {
            // A class excluded here as a whole is not run at all, nor one that cannot report
            // on letters and digits alone, on a form of them.
            if classes & (1 << i) != 0 && (detector.alnum || !alnum) {
                (detector.scan)(&input, &mut sink);
            }
        }
        let found = &mut *self.found;
        found.matched |= !self.matches.is_empty();
        for m in self.matches.drain(..) {
            // A rule counts once per location (path segments share one).
            let seen = found.hits.iter().any(|h| {
                std::ptr::eq(h.rule, m.rule) && h.location.part == part && h.location.name == name
            });
            if seen || self.engine.excluded(m.rule, part, name) {
                continue;
            }
            found.score = found.score.saturating_add(m.rule.severity.score());
            found.hits.push(Hit {
                rule: m.rule,
                location: Location {
                    part,
                    name: name.to_owned(),
                },
                snippet: snippet(text, m.span, part, lower_name),
            });
        }
    }
}

/// The name detectors see: the last key of a JSON pointer, the name itself otherwise.
fn short_name(part: Part, name: &str) -> &str {
    match part {
        // Pointers are short: a plain loop beats `rsplit`'s searcher.
        Part::Body | Part::BodyKey => match name.bytes().rposition(|b| b == b'/') {
            Some(slash) => &name[slash + 1..],
            None => name,
        },
        _ => name,
    }
}

/// Header, cookie and field names whose values are credentials: never shown in a snippet.
fn is_secret(part: Part, lower_name: &str) -> bool {
    match part {
        Part::Header => matches!(
            lower_name,
            "authorization" | "proxy-authorization" | "cookie" | "x-api-key"
        ),
        Part::Cookie => true,
        _ => ["pass", "secret", "token", "key", "credential", "auth"]
            .iter()
            .any(|w| lower_name.contains(w)),
    }
}

/// The matched span of `text`, widened to at most [`SNIPPET_MAX`] bytes, with anything not
/// printable ASCII escaped.
fn snippet(text: &[u8], span: std::ops::Range<usize>, part: Part, lower_name: &str) -> String {
    if is_secret(part, lower_name) {
        return "[redacted]".to_owned();
    }
    let start = span.start.min(text.len());
    let end = span.end.clamp(start, text.len()).min(start + SNIPPET_MAX);
    let mut out = String::with_capacity(end - start + 8);
    for &b in &text[start..end] {
        if b.is_ascii_graphic() || b == b' ' {
            out.push(b as char);
        } else {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
    if span.end > end {
        out.push('…');
    }
    out
}
