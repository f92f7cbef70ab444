//! Decoders: the forms a value may take once the encodings an attacker can hide behind are
//! undone. A first version: URL decoding only.

use crate::location::Part;

/// A set of decoders (a bit set), saying which ones produced a decoded form.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Decoders(u16);

impl Decoders {
    /// Percent-decoding (`%41`), with `+` as a space in query strings and forms.
    pub(crate) const URL: Decoders = Decoders(1);

    /// Whether no decoder was applied (the raw form).
    pub(crate) fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Whether every decoder of `other` is in `self`.
    pub(crate) fn contains(self, other: Decoders) -> bool {
        self.0 & other.0 == other.0
    }
}

impl std::ops::BitOr for Decoders {
    type Output = Decoders;
    fn bitor(self, rhs: Decoders) -> Decoders {
        Decoders(self.0 | rhs.0)
    }
}

/// The decoded forms of one value, distinct from the raw value and from each other. The
/// buffers are kept from one value to the next, so a scan allocates only while they grow.
#[derive(Default)]
pub(crate) struct Forms {
    forms: Vec<(Vec<u8>, Decoders)>,
    len: usize,
}

impl Forms {
    /// Replaces the forms with those of `raw`, found in `part`; `form` says the value came
    /// from a query string or a form body, where `+` stands for a space.
    pub(crate) fn decode(&mut self, raw: &[u8], _part: Part, form: bool) {
        self.len = 0;
        if memchr::memchr(b'%', raw).is_some() || (form && raw.contains(&b'+')) {
            let slot = self.slot();
            url_decode(raw, form, &mut slot.0);
            slot.1 = Decoders::URL;
            if slot.0 == raw {
                self.len -= 1;
            }
        }
    }

    /// The decoded forms, each with the decoders that produced it.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&[u8], Decoders)> {
        self.forms[..self.len]
            .iter()
            .map(|(t, d)| (t.as_slice(), *d))
    }

    fn slot(&mut self) -> &mut (Vec<u8>, Decoders) {
        if self.len == self.forms.len() {
            self.forms.push((Vec::new(), Decoders::default()));
        }
        self.len += 1;
        let slot = &mut self.forms[self.len - 1];
        slot.0.clear();
        slot
    }
}

fn url_decode(raw: &[u8], plus: bool, out: &mut Vec<u8>) {
    let mut i = 0;
    while i < raw.len() {
        match raw[i] {
            b'%' if i + 2 < raw.len() => match (hex(raw[i + 1]), hex(raw[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h << 4 | l);
                    i += 3;
                    continue;
                }
                _ => out.push(b'%'),
            },
            b'+' if plus => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}
