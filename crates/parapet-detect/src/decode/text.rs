//! Text normalisations: Unicode compatibility forms of ASCII characters (fullwidth `＜`,
//! small `﹤`, the ideographic space, the one- and two-dot leaders) read as the ASCII they
//! stand for, as a backend that applies NFKC would; path normalisation (`\` as `/`, `/./`
//! and repeated slashes removed, `..` kept, so a traversal stays visible); and NUL bytes
//! removed.

/// The ASCII a compatibility character at the start of `s` stands for, and its UTF-8
/// length.
fn compat(s: &[u8]) -> Option<(&'static [u8], usize)> {
    match *s {
        // U+FF01..U+FF5E, fullwidth `!`..`~`: EF BC 81..BF and EF BD 80..9E.
        [0xEF, 0xBC, c, ..] if (0x81..=0xBF).contains(&c) => Some((ascii(c - 0x81 + 0x21), 3)),
        [0xEF, 0xBD, c, ..] if (0x80..=0x9E).contains(&c) => Some((ascii(c - 0x80 + 0x60), 3)),
        // U+3000, the ideographic space.
        [0xE3, 0x80, 0x80, ..] => Some((b" ", 3)),
        // U+2024 one dot leader, U+2025 two dot leader.
        [0xE2, 0x80, 0xA4, ..] => Some((b".", 3)),
        [0xE2, 0x80, 0xA5, ..] => Some((b"..", 3)),
        // U+FE50..U+FE6B, small forms: EF B9 90..AB.
        [0xEF, 0xB9, c, ..] => small(c).map(|t| (t, 3)),
        _ => None,
    }
}

/// One ASCII byte as a static slice.
fn ascii(b: u8) -> &'static [u8] {
    static ASCII: [u8; 128] = {
        let mut t = [0; 128];
        let mut i = 0;
        while i < 128 {
            t[i] = i as u8;
            i += 1;
        }
        t
    };
    let i = usize::from(b & 0x7F);
    &ASCII[i..=i]
}

/// The small forms (U+FE50..U+FE6B) that are compatibility forms of ASCII.
fn small(c: u8) -> Option<&'static [u8]> {
    Some(match c {
        0x90 => b",",
        0x92 => b".",
        0x94 => b";",
        0x95 => b":",
        0x96 => b"?",
        0x97 => b"!",
        0x99 => b"(",
        0x9A => b")",
        0x9B => b"{",
        0x9C => b"}",
        0x9F => b"#",
        0xA0 => b"&",
        0xA1 => b"*",
        0xA2 => b"+",
        0xA3 => b"-",
        0xA4 => b"<",
        0xA5 => b">",
        0xA6 => b"=",
        0xA8 => b"\\",
        0xA9 => b"$",
        0xAA => b"%",
        0xAB => b"@",
        _ => return None,
    })
}

/// Replaces the compatibility forms of ASCII in `src` by their ASCII. Whether anything
/// changed.
pub(super) fn compatibility(src: &[u8], out: &mut Vec<u8>) -> bool {
    let mut changed = false;
    let mut i = 0;
    while i < src.len() {
        let Some(lead) = memchr::memchr3(0xEF, 0xE3, 0xE2, &src[i..]) else {
            break;
        };
        if !changed {
            // Nothing written yet: `out` is filled lazily, from the first replacement.
            let at = i + lead;
            if compat(&src[at..]).is_none() {
                i = at + 1;
                continue;
            }
            out.extend_from_slice(&src[..at]);
            i = at;
            changed = true;
        } else {
            out.extend_from_slice(&src[i..i + lead]);
            i += lead;
        }
        match compat(&src[i..]) {
            Some((text, len)) => {
                out.extend_from_slice(text);
                i += len;
            }
            None => {
                out.push(src[i]);
                i += 1;
            }
        }
    }
    if changed {
        out.extend_from_slice(src.get(i..).unwrap_or_default());
    }
    changed
}

/// Whether `src` has something [`path`] would change: a `\`, `//` (not after `:`, so
/// `https://` alone is not a reason), or a `/./` or trailing `/.` segment.
pub(super) fn path_needs_normalising(src: &[u8]) -> bool {
    if memchr::memchr(b'\\', src).is_some() {
        return true;
    }
    memchr::memchr_iter(b'/', src).any(|i| match src.get(i + 1) {
        Some(b'/') => i == 0 || src[i - 1] != b':',
        Some(b'.') => matches!(src.get(i + 2), None | Some(b'/' | b'\\')),
        _ => false,
    })
}

/// Normalises a path: `\` becomes `/`, `./` segments and repeated slashes go (except the
/// `//` after a scheme's `:`); `..` segments stay. Whether anything changed.
pub(super) fn path(src: &[u8], out: &mut Vec<u8>) -> bool {
    if !path_needs_normalising(src) {
        return false;
    }
    let mut i = 0;
    while let Some(&b) = src.get(i) {
        if b != b'/' && b != b'\\' {
            // The run up to the next slash, in one copy.
            let run = memchr::memchr2(b'/', b'\\', &src[i..]).unwrap_or(src.len() - i);
            out.extend_from_slice(&src[i..i + run]);
            i += run;
            continue;
        }
        i += 1;
        // A repeated slash goes, except the second one of a scheme's `://`.
        if out.last() == Some(&b'/') && !out.ends_with(b":/") {
            continue;
        }
        out.push(b'/');
        // `./` segments (and a final `.`) after it go.
        while src.get(i) == Some(&b'.') && matches!(src.get(i + 1), None | Some(b'/' | b'\\')) {
            i += 2;
        }
    }
    out.as_slice() != src
}

/// Removes NUL bytes. Whether there were any.
pub(super) fn nul(src: &[u8], out: &mut Vec<u8>) -> bool {
    if memchr::memchr(0, src).is_none() {
        return false;
    }
    out.extend(src.iter().copied().filter(|&b| b != 0));
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(f: fn(&[u8], &mut Vec<u8>) -> bool, s: &str) -> Option<String> {
        let mut out = Vec::new();
        f(s.as_bytes(), &mut out).then(|| String::from_utf8_lossy(&out).into_owned())
    }

    #[test]
    fn fullwidth_and_small_forms() {
        assert_eq!(
            run(compatibility, "＜ｓｃｒｉｐｔ＞ａｌｅｒｔ（１）").as_deref(),
            Some("<script>alert(1)")
        );
        assert_eq!(
            run(compatibility, "＇　ＯＲ　１＝１－－").as_deref(),
            Some("' OR 1=1--")
        );
        assert_eq!(run(compatibility, "a﹤b﹥").as_deref(), Some("a<b>"));
        assert_eq!(
            run(compatibility, "／ｅｔｃ／ｐａｓｓｗｄ").as_deref(),
            Some("/etc/passwd")
        );
        assert_eq!(run(compatibility, "․․/‥/").as_deref(), Some("../../"));
        assert_eq!(run(compatibility, "｛｝～｀＼").as_deref(), Some("{}~`\\"));
    }

    #[test]
    fn other_unicode_is_left_alone() {
        assert_eq!(run(compatibility, "“quoted” – €5 … ひらがな"), None);
        assert_eq!(run(compatibility, "café"), None);
        assert_eq!(run(compatibility, "\u{ff61}\u{fe51}"), None);
    }

    #[test]
    fn paths() {
        assert_eq!(
            run(path, r"..\..\windows\win.ini").as_deref(),
            Some("../../windows/win.ini")
        );
        assert_eq!(run(path, "/etc/./passwd").as_deref(), Some("/etc/passwd"));
        assert_eq!(run(path, "/etc//passwd").as_deref(), Some("/etc/passwd"));
        assert_eq!(run(path, ".//..//..//etc").as_deref(), Some("./../../etc"));
        assert_eq!(run(path, "/a/./././b/.").as_deref(), Some("/a/b/"));
        assert_eq!(run(path, "../../etc/passwd"), None, "`..` stays");
        assert_eq!(run(path, "https://example.com/a/b"), None);
        assert_eq!(run(path, "http://x//y").as_deref(), Some("http://x/y"));
        assert_eq!(run(path, "12/03/2024"), None);
    }

    #[test]
    fn nuls() {
        assert_eq!(run(nul, "<scr\0ipt>").as_deref(), Some("<script>"));
        assert_eq!(run(nul, "plain"), None);
    }
}
