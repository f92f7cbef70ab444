//! SQL injection, in the style of libinjection: a hand-written SQL tokenizer
//! ([`tokenizer`]) reads the value three ways — as-is (a number or column the application
//! inserts it as), and as if it followed an opening `'` or `"` (a quoted string it breaks
//! out of) — and a judge of our own ([`judge`]) looks at the token sequence: how the value
//! breaks out of its operand and what SQL follows (a condition, a clause, `;` and a
//! statement, a comment cutting the query), and anywhere in it, `union select`, time
//! delays and functions only an attacker calls.
//!
//! A cheap prefilter first: a value with none of the bytes SQL structure needs (quotes,
//! parentheses, `;`, `=`, `<`, `>`, `|`, `&`, `#`, `@`, `*`) and none of the keywords that
//! work without them (`union`, `order`, `group`, `having`, `procedure`) is not tokenized.

mod judge;
mod tokenizer;

use crate::detector::{Detector, Input, Sink};
use crate::rule::{Class, Rule, Severity};
use judge::{Finding, Judge, Window};
use tokenizer::{Kind, Token, Tokenizer};

/// A boolean condition after a break-out: `' or '1'='1`, `1 and 1=0`, `' and ascii(…)>64`.
static TAUTOLOGY: Rule = Rule {
    id: "sqli.tautology",
    class: Class::Sqli,
    paranoia: 1,
    severity: Severity::Critical,
    description: "SQL injection: a boolean condition (tautology or blind test) after the value's operand",
};

/// `union [all] select` with a select list.
static UNION: Rule = Rule {
    id: "sqli.union",
    class: Class::Sqli,
    paranoia: 1,
    severity: Severity::Critical,
    description: "SQL injection: UNION SELECT",
};

/// `;` and a new statement: `; drop table x`, `'; exec xp_cmdshell`, `; declare @s`.
static STACKED: Rule = Rule {
    id: "sqli.stacked",
    class: Class::Sqli,
    paranoia: 1,
    severity: Severity::Critical,
    description: "SQL injection: a stacked statement after the value",
};

/// A quoted value closed and the rest of the query commented out: `admin'--`.
static TRUNCATION: Rule = Rule {
    id: "sqli.comment-truncation",
    class: Class::Sqli,
    paranoia: 1,
    severity: Severity::Critical,
    description: "SQL injection: a quoted value closed and the rest of the query commented out",
};

/// `sleep(5)`, `benchmark(…)`, `pg_sleep(…)`, `waitfor delay '…'`.
static TIME_BASED: Rule = Rule {
    id: "sqli.time-based",
    class: Class::Sqli,
    paranoia: 1,
    severity: Severity::Critical,
    description: "SQL injection: a time-delay function (blind, time-based)",
};

/// `load_file(`, `into outfile`, `xp_cmdshell`, `from information_schema.tables`, …
static FUNCTION: Rule = Rule {
    id: "sqli.function",
    class: Class::Sqli,
    paranoia: 1,
    severity: Severity::Critical,
    description: "SQL injection: a function, clause or system table only an attacker uses",
};

/// `1 order by 5--`, `' group by x having …`, `limit 1,1 into …`: column probing.
static ORDER_BY: Rule = Rule {
    id: "sqli.order-by",
    class: Class::Sqli,
    paranoia: 1,
    severity: Severity::Critical,
    description: "SQL injection: an ORDER BY / GROUP BY / LIMIT clause appended to the value",
};

/// `(select … from …)` in place of a number.
static SUBQUERY: Rule = Rule {
    id: "sqli.subquery",
    class: Class::Sqli,
    paranoia: 1,
    severity: Severity::Critical,
    description: "SQL injection: a sub-query in place of the value",
};

/// A quoted string closed and continued with SQL operators, without stronger evidence:
/// `x' + 'y`, `1'='1`, `x' or 'y`.
static BREAKOUT: Rule = Rule {
    id: "sqli.breakout",
    class: Class::Sqli,
    paranoia: 2,
    severity: Severity::Warning,
    description: "SQL injection: a quoted string closed and continued as SQL",
};

/// `information_schema`, `sysobjects`, `pg_shadow` named outside a query shape.
static SCHEMA: Rule = Rule {
    id: "sqli.schema-probe",
    class: Class::Sqli,
    paranoia: 2,
    severity: Severity::Warning,
    description: "SQL injection: a system catalogue named (information_schema, sysobjects, …)",
};

/// `db_name(`, `pg_sleep(`, `substring(`… alone (a probe, or a fragment of a longer one).
static SQL_FUNCTION: Rule = Rule {
    id: "sqli.sql-function",
    class: Class::Sqli,
    paranoia: 2,
    severity: Severity::Warning,
    description: "SQL injection: a call of a function that hardly exists outside SQL",
};

/// The sqli detector.
pub(crate) static DETECTOR: Detector = Detector {
    class: Class::Sqli,
    rules: &[
        &TAUTOLOGY,
        &UNION,
        &STACKED,
        &TRUNCATION,
        &TIME_BASED,
        &FUNCTION,
        &ORDER_BY,
        &SUBQUERY,
        &BREAKOUT,
        &SCHEMA,
        &SQL_FUNCTION,
    ],
    scan,
};

/// How many significant tokens the break-out rules look at.
const MAX_TOKENS: usize = 64;

/// Bytes SQL structure needs.
static STRUCTURAL: [bool; 256] = {
    let mut t = [false; 256];
    let bytes = b"'\"`();=<>|&#@*";
    let mut i = 0;
    while i < bytes.len() {
        t[bytes[i] as usize] = true;
        i += 1;
    }
    t
};

/// Whether the value can hold an injection at all.
fn prefilter(s: &[u8]) -> bool {
    if s.iter().any(|&b| STRUCTURAL[b as usize]) {
        return true;
    }
    [&b"union"[..], b"order", b"group", b"having", b"procedure"]
        .iter()
        .any(|w| memchr::memmem::find(s, w).is_some())
}

fn scan(input: &Input<'_>, sink: &mut Sink<'_>) {
    let s = input.lower;
    if !prefilter(s) {
        return;
    }
    let mut report = |f: Finding, span: std::ops::Range<usize>| {
        let rule = match f {
            Finding::Tautology => &TAUTOLOGY,
            Finding::Union => &UNION,
            Finding::Stacked => &STACKED,
            Finding::Truncation => &TRUNCATION,
            Finding::TimeBased => &TIME_BASED,
            Finding::Function => &FUNCTION,
            Finding::OrderBy => &ORDER_BY,
            Finding::Subquery => &SUBQUERY,
            Finding::Breakout => &BREAKOUT,
            Finding::SchemaProbe => &SCHEMA,
            Finding::SqlFunction => &SQL_FUNCTION,
        };
        sink.report(rule, span);
    };
    reading(s, 0, &mut report);
    if memchr::memchr(b'\'', s).is_some() {
        reading(s, b'\'', &mut report);
    }
    if memchr::memchr(b'"', s).is_some() {
        reading(s, b'"', &mut report);
    }
}

/// Tokenizes `s` in one reading and runs both rule families.
fn reading(s: &[u8], quote: u8, report: &mut impl FnMut(Finding, std::ops::Range<usize>)) {
    let mut toks = [Token::default(); MAX_TOKENS];
    let mut pre = [0u8; MAX_TOKENS];
    let mut n = 0;
    let mut comment = 0u8;
    let mut truncated = false;
    let mut window = Window::default();
    for t in Tokenizer::new(s, quote) {
        if t.kind == Kind::Comment {
            comment = t.flag;
            continue;
        }
        window.feed(s, Some(t), report);
        if n < MAX_TOKENS {
            toks[n] = t;
            pre[n] = comment;
            n += 1;
        } else {
            truncated = true;
        }
        comment = 0;
    }
    window.feed(s, None, report);
    let judge = Judge {
        lower: s,
        toks: &toks[..n],
        pre: &pre[..n],
        trail: comment,
        quote,
        truncated,
    };
    judge.breakout(report);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detector::matches;
    use crate::location::Part;

    fn hits(text: &str) -> Vec<&'static str> {
        matches(&DETECTOR, Part::Query, "q", text, 1)
    }

    fn hits2(text: &str) -> Vec<&'static str> {
        matches(&DETECTOR, Part::Query, "q", text, 2)
    }

    #[test]
    fn tautologies() {
        for a in [
            "' or '1'='1",
            "admin' or 1=1--",
            "1 or 1=1",
            "1) or (1=1",
            "x' and ascii(substring(user(),1,1))>64--",
            "-9-(2) or 1 = 1",
            "pi() and cos(pi())=-1",
            "999999))) or 1=1 or (((1",
            "' or ''='",
            "1 and 1=@@version--",
        ] {
            assert!(hits(a).contains(&"sqli.tautology"), "{a}: {:?}", hits(a));
        }
    }

    #[test]
    fn unions() {
        for a in [
            "-1 union select 1,2,3--",
            "1' union all select null,null#",
            "-1 /*!union*/ /*!select*/ 1,2",
            "0 union(select password from users)",
            "1 union select username from users",
        ] {
            assert!(hits(a).contains(&"sqli.union"), "{a}: {:?}", hits(a));
        }
        for b in [
            "O'connors UNION selected a few friends",
            "the union select committee met",
        ] {
            assert!(hits(b).is_empty(), "{b}: {:?}", hits(b));
        }
    }

    #[test]
    fn stacked_truncation_time_function() {
        assert!(hits("1; drop table users--").contains(&"sqli.stacked"));
        assert!(hits("x'; exec master..xp_cmdshell 'dir'--").contains(&"sqli.function"));
        assert!(hits("admin'--").contains(&"sqli.comment-truncation"));
        assert!(hits("admin')#").contains(&"sqli.comment-truncation"));
        assert!(hits("1 and sleep(5)").contains(&"sqli.time-based"));
        assert!(hits("'; waitfor delay '0:0:5'--").contains(&"sqli.time-based"));
        assert!(hits("1 and benchmark(5000000,md5(1))").contains(&"sqli.time-based"));
        assert!(hits("' union select load_file('/etc/passwd')#").contains(&"sqli.function"));
        assert!(hits("1 order by 5--").contains(&"sqli.order-by"));
        assert!(hits("(select count(*) from users)").contains(&"sqli.subquery"));
    }

    #[test]
    fn benign_lookalikes() {
        for b in [
            "select the rows where the status is pending",
            "SELECT retrieves rows from zero or more tables",
            "select x from y where",
            "O'Brien and Smith",
            "2 OR 4 METAL BUTTONS",
            "\"foo\" AND \"bar\"",
            "1950' AND 60'S WOMEN'S COATS",
            "FOO BAR'# BLAH",
            "BLUE BROWN -BABY -TODDLER -CCBCUSTOMDRESSES' --INFANT -CHILD",
            "1; exec will create the case 7",
            "User(foo),junk",
            "time.sleep(5)",
            "GALLERY=1=5",
            "DO OR NOT DO, THERE IS NO",
            "rock 'n' roll and 5'10\" tall",
            "BY ORDER OF THE MANAGEMENT",
            "price >= 10 and price <= 50",
            "'1--'",
        ] {
            assert!(hits(b).is_empty(), "{b}: {:?}", hits(b));
        }
    }

    #[test]
    fn paranoia_two_adds_weak_breakouts() {
        assert!(hits("1'='1'").is_empty());
        assert!(hits2("1'='1'").contains(&"sqli.breakout"));
    }

    #[test]
    fn tokenizer_forms() {
        let mut buf = [Token::default(); 16];
        let n = tokenizer::tokens(
            b"x'/*!50000union*/ 0x41 @@version `t` -- c",
            b'\'',
            &mut buf,
        );
        let kinds: Vec<Kind> = buf[..n].iter().map(|t| t.kind).collect();
        assert_eq!(
            kinds,
            [
                Kind::Str,
                Kind::Union,
                Kind::Num,
                Kind::Var,
                Kind::Word,
                Kind::Comment
            ]
        );
    }
}
