//! Finding a byte, or a short needle in part of a value (`expires` after a `.cookie`, `set-cookie`
//! after `http-equiv`, a CSS `url(`); the words looked for in whole values are the shared
//! trigger words' ([`crate::detector::TriggerWords`]). `memchr::memmem::find` builds a
//! searcher on every call, hundreds of instructions before it reads the first byte, which
//! the short values of a request never repay. Here `memchr` jumps to the needle's anchor
//! byte — its first byte that is not a letter or a digit, rarer in text than letters, else
//! its first byte — and the needle is compared where that byte is.

/// Where `byte` first occurs in `haystack`. `memchr` dispatches to its SIMD search through a
/// function pointer, which costs more than a plain loop over the few bytes most values have.
pub(crate) fn byte(haystack: &[u8], byte: u8) -> Option<usize> {
    if haystack.len() < SHORT {
        haystack.iter().position(|&b| b == byte)
    } else {
        memchr::memchr(byte, haystack)
    }
}

/// Below this length, [`byte`] loops.
const SHORT: usize = 16;

/// `bytes` as a table: `true` at each of them, for a lookup per byte of a value.
pub(crate) const fn byte_set(bytes: &[u8]) -> [bool; 256] {
    let mut set = [false; 256];
    let mut k = 0;
    while k < bytes.len() {
        set[bytes[k] as usize] = true;
        k += 1;
    }
    set
}

/// Where `needle` first occurs in `haystack`.
pub(crate) fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    find_from(haystack, needle, 0)
}

/// Where `needle` occurs in `haystack`, without overlaps, from left to right.
pub(crate) fn find_iter<'h>(
    haystack: &'h [u8],
    needle: &'h [u8],
) -> impl Iterator<Item = usize> + 'h {
    let mut from = 0;
    std::iter::from_fn(move || {
        let at = find_from(haystack, needle, from)?;
        from = at + needle.len().max(1);
        Some(at)
    })
}

/// Where `needle` first occurs in `haystack` at or after `from`.
fn find_from(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    let Some(anchor) = needle
        .iter()
        .position(|b| !b.is_ascii_alphanumeric())
        .or((!needle.is_empty()).then_some(0))
    else {
        return (from <= haystack.len()).then_some(from);
    };
    let last_start = haystack.len().checked_sub(needle.len())?;
    let mut at = from;
    while at <= last_start {
        // The needle's anchor byte, in the part of the haystack where it may start.
        let window = haystack.get(at + anchor..last_start + anchor + 1)?;
        let start = at + byte(window, needle[anchor])?;
        if haystack[start..].starts_with(needle) {
            return Some(start);
        }
        at = start + 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn finds_like_memmem() {
        for (haystack, needle) in [
            (&b"x <!doctype html"[..], &b"<!doctype"[..]),
            (b"document.cookie=1", b".cookie"),
            (b"meta http-equiv", b"http-equiv"),
            (b"http-equi", b"http-equiv"),
            (b"", b"a"),
            (b"abc", b""),
            (b"aaa", b"aa"),
            (b"a__b___c", b"__"),
            (b"get / http/1.1 http/", b"http/"),
            (b"ab", b"abc"),
        ] {
            assert_eq!(
                find(haystack, needle),
                memchr::memmem::find(haystack, needle),
                "{haystack:?} {needle:?}"
            );
            assert_eq!(
                find_iter(haystack, needle).collect::<Vec<_>>(),
                memchr::memmem::find_iter(haystack, needle).collect::<Vec<_>>(),
                "{haystack:?} {needle:?}"
            );
        }
    }

    proptest! {
        #[test]
        fn agrees_with_memmem(
            haystack in proptest::collection::vec(prop::sample::select(b"ab_-/.<x".to_vec()), 0..40),
            needle in proptest::collection::vec(prop::sample::select(b"ab_-/.<x".to_vec()), 1..5),
        ) {
            prop_assert_eq!(byte(&haystack, needle[0]), memchr::memchr(needle[0], &haystack));
            prop_assert_eq!(find(&haystack, &needle), memchr::memmem::find(&haystack, &needle));
            prop_assert_eq!(
                find_iter(&haystack, &needle).collect::<Vec<_>>(),
                memchr::memmem::find_iter(&haystack, &needle).collect::<Vec<_>>()
            );
        }
    }
}
