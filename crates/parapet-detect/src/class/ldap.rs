//! LDAP filter injection: a value that closes the filter it is pasted into and opens another
//! (`*)(uid=*))(|(uid=*`, `admin)(|(password=*`, `x)(&)`), the way an attacker widens or
//! short-circuits an LDAP search.
//!
//! How: for each `)` that closes no `(` of the value (parentheses found with `memchr`),
//! skip blanks and an optional `&`, `|` or `!`, require `(`, then either a filter operator
//! (`&`, `|`, `!`) or an attribute name followed by a comparison (`=`, `>=`, `<=`, `~=`).
//! Regex lookaheads (`)(?=`) and prose do not match.

use crate::detector::{Detector, Features, Input, Sink};
use crate::rule::{Class, Rule, Severity};

/// A closed filter followed by a new filter component.
pub(crate) static FILTER_INJECTION: Rule = Rule {
    id: "ldap.filter-injection",
    class: Class::Ldap,
    paranoia: 1,
    severity: Severity::Critical,
    description: "LDAP filter breakout: a filter closed and another opened",
};

/// The ldap detector.
pub(crate) static DETECTOR: Detector = Detector {
    class: Class::Ldap,
    rules: &[&FILTER_INJECTION],
    alnum: false,
    scan,
};

fn scan(input: &Input<'_>, sink: &mut Sink<'_>) {
    if !input.features.any(Features::PAREN) {
        return;
    }
    let lower = input.lower;
    // Only a `)` that closes a parenthesis the value did not open breaks out of the filter
    // the value is pasted into; a whole filter sent as a value (`(&(a=1)(b=2))`) does not.
    let mut depth = 0usize;
    for at in memchr::memchr2_iter(b'(', b')', lower) {
        match lower[at] {
            b'(' => depth += 1,
            _ if depth > 0 => depth -= 1,
            _ => {
                if let Some(end) = breakout(lower, at) {
                    sink.report(&FILTER_INJECTION, at..end);
                    return;
                }
            }
        }
    }
}

fn skip_blanks(s: &[u8], mut i: usize) -> usize {
    while i < s.len() && matches!(s[i], b' ' | b'\t' | b'\r' | b'\n') {
        i += 1;
    }
    i
}

/// Whether a new filter component opens after the `)` at `close`; the end of the match.
fn breakout(s: &[u8], close: usize) -> Option<usize> {
    let mut i = skip_blanks(s, close + 1);
    let mut operator = false;
    if matches!(s.get(i), Some(b'&' | b'|' | b'!')) {
        operator = true;
        i = skip_blanks(s, i + 1);
    }
    if s.get(i) != Some(&b'(') {
        return None;
    }
    i = skip_blanks(s, i + 1);
    match s.get(i) {
        // `)(&`, `)(|`, `)(!`: composing filters; `)(&)` is the absolute true filter.
        Some(b'&' | b'|' | b'!') => return Some(i + 1),
        None if operator => return Some(i),
        None => {
            // `admin)(` at the very end still opens a filter, but prose ends this way too.
            return None;
        }
        _ => {}
    }
    let name = s[i..]
        .iter()
        .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b';' | b'_'))
        .count();
    if name == 0 || !s[i].is_ascii_alphabetic() {
        return None;
    }
    let j = skip_blanks(s, i + name);
    match s.get(j) {
        Some(b'=') => Some(j + 1),
        Some(b'>' | b'<' | b'~') if s.get(j + 1) == Some(&b'=') => Some(j + 2),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detector::matches;
    use crate::location::Part;

    fn ids(text: &str) -> Vec<&'static str> {
        matches(&DETECTOR, Part::Query, "q", text, 1)
    }

    #[test]
    fn breakouts() {
        for attack in [
            "bar)(&)",
            "printer)(uid=*)",
            "void)(objectclass=users))(&(objectclass=void)",
            "eb9adbd87d)!(sn=*",
            "*)(uid=*))(|(uid=*",
            "aaa*aaa)(cn>=bob)",
            "value)(gidnumber<=100",
            "john)(sn~=smith",
            "admin)(|",
            "val)&(cn=admin",
            "val)|(uid=*",
            "test) ( & ",
            "test)\t(\t|",
        ] {
            assert_eq!(ids(attack), ["ldap.filter-injection"], "{attack}");
        }
        for benign in [
            "^(?=.*[A-Z])(?=.*\\d).{8,}$",
            "see (a) (b) and (c)",
            "f(x)(y)",
            "(useraccountcontrol:1.2.840:=6)(&(objectcategory=group))",
            "call me (maybe) (555) 123",
            "(note)",
        ] {
            assert!(ids(benign).is_empty(), "{benign}");
        }
    }
}
