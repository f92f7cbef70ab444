//! Decoders: the forms a value may take once the encodings an attacker can hide behind are
//! undone, so that the class detectors see `<script>` whether it arrived as `%3Cscript%3E`,
//! `%253Cscript%253E`, `&lt;script&gt;`, `\x3cscript\x3e`, `PHNjcmlwdD4=` or `＜script＞`.
//!
//! The decoders (each in its submodule) are small one-pass byte transformations that never
//! make a value longer:
//!
//! - [`url`]: percent-decoding (`%3C`, `+` as a space in query strings and forms), IIS
//!   `%u003C`, and overlong UTF-8 (`%c0%ae` is `.`);
//! - [`html`]: character references, named (a table of the ones that spell ASCII
//!   punctuation), decimal and hexadecimal, with or without the `;`, with leading zeros;
//! - [`escape`]: JavaScript and JSON escapes (`\x3c`, `\u003c`, `\u{3c}`, `\74`, `\n`…), and
//!   CSS escapes (`\3c `);
//! - [`base64`]: a whole value that is base64 (standard or URL-safe, padded or not) and
//!   decodes to text;
//! - [`text`]: fullwidth and other Unicode compatibility forms of ASCII (`＜` is `<`), path
//!   normalisation (`\` as `/`, `/./` and `//` removed), and NUL removal.
//!
//! [`Forms::decode`] composes them: first one greedy chain that applies every decoder in
//! turn until nothing changes (so any supported chain of encodings is undone), then, breadth
//! first, each decoder alone on the raw value and on the forms found so far (so a value that
//! one decoder would spoil for another, like base64 with `+` in a form, is still seen).
//! Every form records the decoders that produced it. Bounds: at most [`MAX_FORMS`] forms,
//! at most [`MAX_DEPTH`] decoding steps per form, at most [`MAX_PASSES`] decoding passes
//! per value (each linear in the value's length), and no form longer than the raw value.
//! Forms equal to the raw value or to another form are dropped.
//!
//! The common benign value (plain words, numbers, ids) is cleared by one table-driven pass
//! over its bytes and produces no form; buffers are kept from one value to the next, so
//! nothing is allocated once they have grown.

pub(crate) mod base64;
mod escape;
mod html;
mod text;
mod url;

use crate::location::Part;

/// A set of decoders (a bit set), saying which ones produced a decoded form.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Decoders(u16);

#[allow(dead_code)] // Detectors may weigh evidence by the decoders that exposed it.
impl Decoders {
    /// Percent-decoding (`%41`), with `+` as a space in query strings and forms.
    pub(crate) const URL: Decoders = Decoders(1);
    /// Percent-decoding applied to an already percent-decoded form (double encoding).
    pub(crate) const URL_TWICE: Decoders = Decoders(1 << 1);
    /// IIS `%uXXXX` escapes.
    pub(crate) const URL_UNICODE: Decoders = Decoders(1 << 2);
    /// Overlong UTF-8 sequences read as the character they spell (`C0 AE` is `.`).
    pub(crate) const OVERLONG: Decoders = Decoders(1 << 3);
    /// HTML character references (`&lt;`, `&#60;`, `&#x3c`).
    pub(crate) const HTML: Decoders = Decoders(1 << 4);
    /// JavaScript string escapes (`\x3c`, `\u003c`, `\u{3c}`, `\74`, `\n`).
    pub(crate) const JS: Decoders = Decoders(1 << 5);
    /// JSON string escapes inside a value that is itself a JSON document.
    pub(crate) const JSON: Decoders = Decoders(1 << 6);
    /// CSS escapes (`\3c `, `\000073`).
    pub(crate) const CSS: Decoders = Decoders(1 << 7);
    /// Base64 (standard or URL-safe) of text.
    pub(crate) const BASE64: Decoders = Decoders(1 << 8);
    /// Fullwidth and other Unicode compatibility forms of ASCII characters.
    pub(crate) const UNICODE: Decoders = Decoders(1 << 9);
    /// Path normalisation: `\` as `/`, `/./` and repeated slashes removed.
    pub(crate) const PATH: Decoders = Decoders(1 << 10);
    /// NUL bytes removed.
    pub(crate) const NUL: Decoders = Decoders(1 << 11);
    /// The decoders of the transport (percent-encoding in its forms, overlong UTF-8): what
    /// they produce is what the application receives, where the other decoders show what a
    /// markup, script or data parser might make of it.
    pub(crate) const TRANSPORT: Decoders =
        Decoders(Self::URL.0 | Self::URL_TWICE.0 | Self::URL_UNICODE.0 | Self::OVERLONG.0);

    /// Whether no decoder was applied (the raw form).
    pub(crate) fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Whether every decoder of `other` is in `self`.
    pub(crate) fn contains(self, other: Decoders) -> bool {
        self.0 & other.0 == other.0
    }

    /// Whether `self` and `other` have a decoder in common.
    pub(crate) fn intersects(self, other: Decoders) -> bool {
        self.0 & other.0 != 0
    }
}

impl std::ops::BitOr for Decoders {
    type Output = Decoders;
    fn bitor(self, rhs: Decoders) -> Decoders {
        Decoders(self.0 | rhs.0)
    }
}

impl std::ops::BitOrAssign for Decoders {
    fn bitor_assign(&mut self, rhs: Decoders) {
        self.0 |= rhs.0;
    }
}

/// The most decoded forms kept for one value.
pub(crate) const MAX_FORMS: usize = 8;
/// The most decoding steps that lead to one form (and rounds of the greedy chain).
pub(crate) const MAX_DEPTH: u8 = 4;
/// The most decoding passes run for one value: each is linear in the value's length.
pub(crate) const MAX_PASSES: u32 = 48;

/// One decoder, as the composition sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Step {
    Url,
    Overlong,
    Unicode,
    Html,
    Js,
    Css,
    Base64,
    Path,
    Nul,
}

/// The greedy chain's order: transport encodings first (URL, then what URL decoding
/// exposes), then markup and script escapes, base64 last of a round; the next round starts
/// over on the result. Path normalisation (which turns `\` into `/`, and so would spoil
/// escapes) runs once, after the last round.
const GREEDY: [Step; 7] = [
    Step::Url,
    Step::Overlong,
    Step::Unicode,
    Step::Html,
    Step::Js,
    Step::Base64,
    Step::Nul,
];

/// Every decoder, in the order the breadth-first search tries them.
const STEPS: [Step; 9] = [
    Step::Url,
    Step::Html,
    Step::Js,
    Step::Css,
    Step::Base64,
    Step::Overlong,
    Step::Unicode,
    Step::Path,
    Step::Nul,
];

impl Step {
    /// Whether the step can change a text with these [`classes`]; `form` says `+` is a
    /// space.
    fn applies(self, classes: u16, form: bool) -> bool {
        match self {
            Step::Url => classes & PERCENT != 0 || (form && classes & PLUS != 0),
            Step::Overlong => classes & OVERLONG_LEAD != 0,
            Step::Unicode => classes & COMPAT_LEAD != 0,
            Step::Html => classes & AMPERSAND != 0,
            Step::Js | Step::Css => classes & BACKSLASH != 0,
            Step::Base64 => classes & NOT_BASE64 == 0,
            Step::Path => classes & (BACKSLASH | SLASH) != 0,
            Step::Nul => classes & NUL != 0,
        }
    }

    /// A bit per step, for the set of steps already tried on the raw value.
    fn bit(self) -> u16 {
        1 << self as u16
    }

    /// Decodes `src` into `out` (cleared first); the decoders that changed something, or
    /// `None` when the result would equal `src` (then `out` holds nothing of use).
    fn run(self, src: &[u8], out: &mut Vec<u8>, form: bool) -> Option<Decoders> {
        out.clear();
        // No decoder lengthens a text: one allocation at most, not one per doubling.
        out.reserve(src.len());
        match self {
            Step::Url => url::percent(src, form, out),
            Step::Overlong => url::overlong(src, out).then_some(Decoders::OVERLONG),
            Step::Unicode => text::compatibility(src, out).then_some(Decoders::UNICODE),
            Step::Html => html::decode(src, out).then_some(Decoders::HTML),
            Step::Js => escape::js(src, out),
            Step::Css => escape::css(src, out).then_some(Decoders::CSS),
            Step::Base64 => base64::decode(src, out).then_some(Decoders::BASE64),
            Step::Path => text::path(src, out).then_some(Decoders::PATH),
            Step::Nul => text::nul(src, out).then_some(Decoders::NUL),
        }
    }
}

/// One decoded form.
#[derive(Default)]
struct Form {
    text: Vec<u8>,
    by: Decoders,
    /// How many decoding steps led to it; [`MAX_DEPTH`] for the greedy chain's result, which
    /// is not decoded further.
    depth: u8,
}

/// The decoded forms of one value, distinct from the raw value and from each other. The
/// buffers are kept from one value to the next, so a scan allocates only while they grow.
#[derive(Default)]
pub(crate) struct Forms {
    forms: Vec<Form>,
    len: usize,
    scratch: Vec<u8>,
    spare: Vec<u8>,
}

impl Forms {
    /// Replaces the forms with those of `raw`, whose bytes have `classes` (see
    /// [`ByteClasses::of`]), found in `part`; `form` says the value came from a query string
    /// or a form body, where `+` stands for a space.
    pub(crate) fn decode(&mut self, raw: &[u8], raw_classes: ByteClasses, part: Part, form: bool) {
        self.len = 0;
        if part == Part::Method {
            return;
        }
        let raw_classes = raw_classes.0;
        if !worth_decoding(raw, raw_classes, form) {
            return;
        }
        if self.forms.len() < MAX_FORMS {
            self.forms.resize_with(MAX_FORMS, Form::default);
        }
        let mut passes = MAX_PASSES;
        let tried = self.greedy(raw, raw_classes, form, &mut passes);
        // Breadth first: every decoder alone on the raw value (source 0, skipping those the
        // greedy chain tried on it in vain), then on each form in turn (source k is form
        // k - 1).
        let mut source = 0;
        while source <= self.len {
            let source_classes = match source.checked_sub(1) {
                None => raw_classes,
                Some(i) => match self.forms.get(i) {
                    Some(f) if f.depth < MAX_DEPTH => classes(&f.text),
                    _ => {
                        source += 1;
                        continue;
                    }
                },
            };
            for step in STEPS {
                if source == 0 && tried & step.bit() != 0 || !step.applies(source_classes, form) {
                    continue;
                }
                if passes == 0 || self.len == MAX_FORMS {
                    return;
                }
                passes -= 1;
                let (done, free) = self.forms.split_at_mut(self.len);
                let (text, by, depth): (&[u8], Decoders, u8) = match source.checked_sub(1) {
                    None => (raw, Decoders::default(), 0),
                    Some(i) => match done.get(i) {
                        Some(f) => (&f.text, f.by, f.depth),
                        None => return,
                    },
                };
                let Some(mut new) = step.run(text, &mut self.scratch, form) else {
                    continue;
                };
                if step == Step::Url && by.contains(Decoders::URL) {
                    new |= Decoders::URL_TWICE;
                }
                if let Some(slot) = free.first_mut()
                    && is_new(&self.scratch, raw, done)
                {
                    std::mem::swap(&mut slot.text, &mut self.scratch);
                    slot.by = by | new;
                    slot.depth = depth + 1;
                    self.len += 1;
                }
            }
            source += 1;
        }
    }

    /// The greedy chain: every decoder in turn, round after round, until a round changes
    /// nothing or [`MAX_DEPTH`] rounds ran; its result, when it differs from `raw`, is the
    /// first form. Returns the steps tried on `raw` itself that changed nothing.
    fn greedy(&mut self, raw: &[u8], raw_classes: u16, form: bool, passes: &mut u32) -> u16 {
        let mut by = Decoders::default();
        let mut decoded = false; // whether `spare` holds the current text (else `raw`)
        let mut tried = 0;
        let mut current = raw_classes;
        for _ in 0..MAX_DEPTH {
            let mut changed = false;
            for step in GREEDY {
                if !step.applies(current, form) {
                    if !decoded {
                        tried |= step.bit();
                    }
                    continue;
                }
                if *passes == 0 {
                    break;
                }
                *passes -= 1;
                let src: &[u8] = if decoded { &self.spare } else { raw };
                let Some(mut new) = step.run(src, &mut self.scratch, form) else {
                    if !decoded {
                        tried |= step.bit();
                    }
                    continue;
                };
                if step == Step::Url && by.contains(Decoders::URL) {
                    new |= Decoders::URL_TWICE;
                }
                by |= new;
                changed = true;
                decoded = true;
                std::mem::swap(&mut self.spare, &mut self.scratch);
                current = classes(&self.spare);
            }
            if !changed {
                break;
            }
        }
        if *passes > 0 && Step::Path.applies(current, form) {
            *passes -= 1;
            let src: &[u8] = if decoded { &self.spare } else { raw };
            if let Some(new) = Step::Path.run(src, &mut self.scratch, form) {
                by |= new;
                decoded = true;
                std::mem::swap(&mut self.spare, &mut self.scratch);
            } else if !decoded {
                tried |= Step::Path.bit();
            }
        } else if !decoded {
            tried |= Step::Path.bit();
        }
        if decoded
            && is_new(&self.spare, raw, &[])
            && let Some(slot) = self.forms.first_mut()
        {
            std::mem::swap(&mut slot.text, &mut self.spare);
            slot.by = by;
            slot.depth = MAX_DEPTH;
            self.len = 1;
        }
        tried
    }

    /// How many bytes the buffers hold on to.
    pub(crate) fn retained(&self) -> usize {
        let forms: usize = self.forms.iter().map(|f| f.text.capacity()).sum();
        forms + self.scratch.capacity() + self.spare.capacity()
    }

    /// The decoded forms, each with the decoders that produced it.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&[u8], Decoders)> {
        self.forms[..self.len]
            .iter()
            .map(|f| (f.text.as_slice(), f.by))
    }
}

/// Whether `text` differs from the raw value and from every form, and is no longer than
/// the raw value (no decoder lengthens a value; this keeps the bound explicit).
fn is_new(text: &[u8], raw: &[u8], forms: &[Form]) -> bool {
    text.len() <= raw.len() && text != raw && forms.iter().all(|f| f.text != text)
}

/// Byte classes, as bits: what a text holds that some decoder acts on.
const PERCENT: u16 = 1;
const PLUS: u16 = 1 << 1;
const AMPERSAND: u16 = 1 << 2;
const BACKSLASH: u16 = 1 << 3;
const SLASH: u16 = 1 << 4;
const NUL: u16 = 1 << 5;
/// C0, C1, E0, F0: bytes that may start an overlong UTF-8 sequence.
const OVERLONG_LEAD: u16 = 1 << 6;
/// E2, E3, EF: the lead bytes of the compatibility forms handled (U+2024, U+3000, the
/// fullwidth and small forms).
const COMPAT_LEAD: u16 = 1 << 7;
/// A byte outside the base64 alphabets and padding.
const NOT_BASE64: u16 = 1 << 8;

/// Each byte's classes.
const CLASSES: [u16; 256] = {
    let mut t = [NOT_BASE64; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        if c.is_ascii_alphanumeric() || c == b'-' || c == b'_' || c == b'=' {
            t[b] = 0;
        }
        b += 1;
    }
    t[b'+' as usize] = PLUS;
    t[b'/' as usize] = SLASH;
    t[b'%' as usize] |= PERCENT;
    t[b'&' as usize] |= AMPERSAND;
    t[b'\\' as usize] |= BACKSLASH;
    t[0] |= NUL;
    t[0xC0] |= OVERLONG_LEAD;
    t[0xC1] |= OVERLONG_LEAD;
    t[0xE0] |= OVERLONG_LEAD;
    t[0xF0] |= OVERLONG_LEAD;
    t[0xE2] |= COMPAT_LEAD;
    t[0xE3] |= COMPAT_LEAD;
    t[0xEF] |= COMPAT_LEAD;
    t
};

/// The classes of the bytes of `text`: one table-driven pass, no branch per byte.
fn classes(text: &[u8]) -> u16 {
    text.iter().fold(0, |c, &b| c | CLASSES[usize::from(b)])
}

/// What a text holds that some decoder acts on (`%`, `&`, `\\`, bytes outside base64…),
/// found in one pass; the engine finds it in the pass that lowercases a raw value
/// ([`crate::detector::Features::lowercase_raw`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct ByteClasses(u16);

impl ByteClasses {
    /// How many bits the classes take.
    pub(crate) const BITS: u32 = 9;

    /// The classes of the bytes of `text`.
    pub(crate) fn of(text: &[u8]) -> ByteClasses {
        ByteClasses(classes(text))
    }

    /// The classes of one byte, for tables built at compile time.
    pub(crate) const fn of_byte(b: u8) -> u16 {
        CLASSES[b as usize]
    }

    /// From bits made of [`ByteClasses::of_byte`].
    pub(crate) const fn from_bits(bits: u16) -> ByteClasses {
        ByteClasses(bits)
    }
}

/// The fast path: whether any decoder could change `raw`, whose bytes have `classes`.
fn worth_decoding(raw: &[u8], classes: u16, form: bool) -> bool {
    if classes & (PERCENT | AMPERSAND | BACKSLASH | NUL | OVERLONG_LEAD | COMPAT_LEAD) != 0
        || (form && classes & PLUS != 0)
    {
        return true;
    }
    if classes & SLASH != 0 && text::path_needs_normalising(raw) {
        return true;
    }
    classes & NOT_BASE64 == 0 && base64::shaped(raw)
}

/// Appends the UTF-8 encoding of `cp`; false (nothing appended) when it is not a Unicode
/// scalar value.
fn push_char(out: &mut Vec<u8>, cp: u32) -> bool {
    match char::from_u32(cp) {
        Some(c) => {
            let mut buf = [0; 4];
            out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            true
        }
        None => false,
    }
}

/// The value of an ASCII hex digit.
pub(crate) fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// For the fuzz target (`fuzz/fuzz_targets/detect_decode.rs`): decodes `raw` twice, once
/// with fresh buffers and once with buffers used for `previous` first, and checks the
/// bounds: at most [`MAX_FORMS`] forms, each made by some decoder, no longer than `raw`,
/// distinct from `raw` and from each other, and the same both times. Returns the forms.
#[doc(hidden)]
pub fn check_forms(raw: &[u8], previous: &[u8], form: bool) -> Result<Vec<(Vec<u8>, u16)>, String> {
    let mut fresh = Forms::default();
    fresh.decode(raw, ByteClasses::of(raw), Part::Body, form);
    let mut reused = Forms::default();
    reused.decode(previous, ByteClasses::of(previous), Part::Query, !form);
    reused.decode(raw, ByteClasses::of(raw), Part::Body, form);
    let a: Vec<(Vec<u8>, u16)> = fresh.iter().map(|(t, d)| (t.to_vec(), d.0)).collect();
    let b: Vec<(Vec<u8>, u16)> = reused.iter().map(|(t, d)| (t.to_vec(), d.0)).collect();
    if a != b {
        return Err(format!("reused buffers changed the forms: {a:?} vs {b:?}"));
    }
    if a.len() > MAX_FORMS {
        return Err(format!("{} forms", a.len()));
    }
    for (i, (text, by)) in a.iter().enumerate() {
        if *by == 0 {
            return Err(format!("form {i} has no decoder"));
        }
        if text.len() > raw.len() {
            return Err(format!("form {i} is longer than the raw value"));
        }
        if text == raw {
            return Err(format!("form {i} is the raw value"));
        }
        if a[..i].iter().any(|(t, _)| t == text) {
            return Err(format!("form {i} is a duplicate"));
        }
    }
    Ok(a)
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod props;
