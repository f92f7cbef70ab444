//! NoSQL (MongoDB) operator injection: query operators smuggled in through parameter names
//! (`password[$ne]=`), JSON keys (`{"password": {"$ne": null}}`) or JSON pasted into a value.
//!
//! Operators differ in what they prove. `$where`, `$function` and `$accumulator` run
//! JavaScript on the server: critical anywhere. `$ne`, `$nin`, `$regex`, `$exists`, `$or`…
//! widen a match (the authentication-bypass family): an error-level signal, critical next to
//! a credential field. `$gt`, `$gte`, `$lt`, `$lte`, `$in`, `$eq` are what CMS filter APIs use
//! every day (`filters[price][$gte]=10`): only a notice, from paranoia 2.
//!
//! How: `memchr` for `$`, then the operator word, then its context (a bracketed name, a whole
//! JSON key, or a quoted key followed by `:` inside a value).

use crate::detector::{Detector, Features, Input, Sink};
use crate::location::Part;
use crate::needle;
use crate::rule::{Class, Rule, Severity};

/// An operator that runs JavaScript on the database server.
pub(crate) static JS_OPERATOR: Rule = Rule {
    id: "nosql.js-operator",
    class: Class::Nosql,
    paranoia: 1,
    severity: Severity::Critical,
    description: "MongoDB operator that runs JavaScript ($where, $function, $accumulator)",
};

/// A match-widening operator next to a credential field (`password[$ne]`).
pub(crate) static AUTH_BYPASS: Rule = Rule {
    id: "nosql.auth-bypass",
    class: Class::Nosql,
    paranoia: 1,
    severity: Severity::Critical,
    description: "MongoDB match-widening operator on a credential field",
};

/// A match-widening or logical operator (`$ne`, `$regex`, `$or`…).
pub(crate) static OPERATOR: Rule = Rule {
    id: "nosql.operator",
    class: Class::Nosql,
    paranoia: 1,
    severity: Severity::Error,
    description: "MongoDB match-widening operator ($ne, $nin, $regex, $exists, $or…)",
};

/// A comparison operator, as CMS filter APIs use them.
pub(crate) static COMPARISON: Rule = Rule {
    id: "nosql.comparison",
    class: Class::Nosql,
    paranoia: 2,
    severity: Severity::Notice,
    description: "MongoDB comparison operator ($gt, $gte, $lt, $lte, $in, $eq)",
};

/// A Django-style ORM lookup in a parameter name or key that walks relations
/// (`user__profile__city__startswith`) or probes a field character by character
/// (`password__startswith`, `data__has_key`): filter injection into `filter(**params)`.
pub(crate) static ORM_LOOKUP: Rule = Rule {
    id: "nosql.orm-lookup",
    class: Class::Nosql,
    paranoia: 1,
    severity: Severity::Critical,
    description: "ORM filter lookup walking relations or probing a field (Django __lookup)",
};

/// A plain ORM comparison lookup (`price__gte`), as filter APIs use them.
pub(crate) static ORM_COMPARISON: Rule = Rule {
    id: "nosql.orm-comparison",
    class: Class::Nosql,
    paranoia: 2,
    severity: Severity::Notice,
    description: "ORM comparison lookup in a parameter name (__gte, __in…)",
};

/// The nosql detector.
pub(crate) static DETECTOR: Detector = Detector {
    class: Class::Nosql,
    rules: &[
        &JS_OPERATOR,
        &AUTH_BYPASS,
        &OPERATOR,
        &COMPARISON,
        &ORM_LOOKUP,
        &ORM_COMPARISON,
    ],
    alnum: false,
    scan,
};

/// Lookups that match by pattern or structure: what blind extraction uses.
const PROBING_LOOKUPS: &[&[u8]] = &[
    b"startswith",
    b"istartswith",
    b"endswith",
    b"iendswith",
    b"contains",
    b"icontains",
    b"regex",
    b"iregex",
    b"isnull",
    b"has_key",
    b"has_keys",
    b"has_any_keys",
    b"contained_by",
    b"search",
    b"like",
];

/// Comparison lookups.
const COMPARISON_LOOKUPS: &[&[u8]] = &[
    b"gt", b"gte", b"lt", b"lte", b"in", b"exact", b"iexact", b"range", b"ne",
];

/// Checks a parameter name or key for `field__lookup`.
fn orm_lookup(lower: &[u8], sink: &mut Sink<'_>) {
    let Some(last) = memchr::memmem::rfind(lower, b"__") else {
        return;
    };
    if last == 0 || !lower[0].is_ascii_alphabetic() {
        return;
    }
    let lookup = &lower[last + 2..];
    let path = &lower[..last];
    if !lower
        .iter()
        .all(|b| b.is_ascii_alphanumeric() || *b == b'_')
    {
        return;
    }
    let probing = PROBING_LOOKUPS.contains(&lookup);
    let comparison = COMPARISON_LOOKUPS.contains(&lookup);
    if !probing && !comparison {
        return;
    }
    let relations = needle::find_iter(path, b"__").count();
    if relations >= 2 || probing {
        sink.report(&ORM_LOOKUP, 0..lower.len());
    } else {
        sink.report(&ORM_COMPARISON, 0..lower.len());
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Js,
    Widening,
    Comparison,
}

fn kind(op: &[u8]) -> Option<Kind> {
    match op {
        b"where" | b"function" | b"accumulator" => Some(Kind::Js),
        b"ne" | b"nin" | b"regex" | b"exists" | b"or" | b"nor" | b"not" | b"and" | b"elemmatch"
        | b"expr" | b"type" | b"size" | b"all" | b"mod" | b"jsonschema" | b"text" | b"lookup"
        | b"unionwith" => Some(Kind::Widening),
        b"gt" | b"gte" | b"lt" | b"lte" | b"in" | b"eq" => Some(Kind::Comparison),
        _ => None,
    }
}

const CREDENTIALS: &[&[u8]] = &[
    b"pass", b"pwd", b"user", b"login", b"email", b"token", b"secret", b"auth", b"otp", b"pin",
    b"account",
];

fn scan(input: &Input<'_>, sink: &mut Sink<'_>) {
    let lower = input.lower;
    let is_name = matches!(
        input.part,
        Part::QueryName | Part::BodyKey | Part::CookieName
    );
    if is_name && input.features.any(Features::UNDERSCORE) && needle::find(lower, b"__").is_some() {
        orm_lookup(lower, sink);
    }
    if !input.features.any(Features::DOLLAR) {
        return;
    }
    for d in memchr::memchr_iter(b'$', lower) {
        let rest = &lower[d + 1..];
        let n = rest.iter().take_while(|b| b.is_ascii_alphabetic()).count();
        let Some(kind) = kind(&rest[..n]) else {
            continue;
        };
        let before = lower[..d].last().copied();
        let after = rest.get(n).copied();
        let operator = if is_name {
            // `name[$op]`, `[$op]`, or a whole JSON key `$op`.
            (before == Some(b'[') && after == Some(b']')) || (d == 0 && after.is_none())
        } else {
            // `{"$op": …}` pasted into a value, or `[$op]=` in a query string in a value.
            (matches!(before, Some(b'"' | b'\'')) && {
                let tail = &rest[n..];
                tail.first() == before.as_ref() && tail[1..].trim_ascii_start().starts_with(b":")
            }) || (before == Some(b'[') && after == Some(b']'))
        };
        if !operator {
            continue;
        }
        let span = d..d + 1 + n;
        match kind {
            Kind::Js => sink.report(&JS_OPERATOR, span),
            Kind::Widening => {
                let field = if input.part == Part::QueryName {
                    &lower[..d]
                } else {
                    input.name.as_bytes()
                };
                if CREDENTIALS.iter().any(|c| needle::find(field, c).is_some()) {
                    sink.report(&AUTH_BYPASS, span);
                } else {
                    sink.report(&OPERATOR, span);
                }
            }
            Kind::Comparison => sink.report(&COMPARISON, span),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detector::matches;

    #[test]
    fn operators() {
        let d = &DETECTOR;
        assert_eq!(
            matches(d, Part::QueryName, "", "password[$ne]", 1),
            ["nosql.auth-bypass"]
        );
        assert_eq!(
            matches(d, Part::QueryName, "", "q[$regex]", 1),
            ["nosql.operator"]
        );
        assert_eq!(
            matches(d, Part::BodyKey, "", "$where", 1),
            ["nosql.js-operator"]
        );
        assert_eq!(
            matches(d, Part::Body, "q", "{\"$where\": \"sleep(100)\"}", 1),
            ["nosql.js-operator"]
        );
        assert!(matches(d, Part::QueryName, "", "filters[price][$gte]", 1).is_empty());
        assert_eq!(
            matches(d, Part::QueryName, "", "filters[price][$gte]", 2),
            ["nosql.comparison"]
        );
        assert!(matches(d, Part::Body, "q", "costs $ne or $where", 1).is_empty());
        assert_eq!(
            matches(d, Part::QueryName, "", "username__startswith", 1),
            ["nosql.orm-lookup"]
        );
        assert_eq!(
            matches(d, Part::BodyKey, "", "user__profile__city__gte", 1),
            ["nosql.orm-lookup"]
        );
        assert!(matches(d, Part::QueryName, "", "price__gte", 1).is_empty());
        assert!(matches(d, Part::QueryName, "", "__typename", 1).is_empty());
        assert!(matches(d, Part::Body, "q", "{\"$ref\": \"#/defs\"}", 1).is_empty());
    }
}
