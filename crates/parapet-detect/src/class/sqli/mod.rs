//! SQL injection, in the style of libinjection: a hand-written SQL tokenizer
//! ([`tokenizer`]) reads the value three ways — as-is (a number or column the application
//! inserts it as), and as if it followed an opening `'` or `"` (a quoted string it breaks
//! out of) — and a judge of our own ([`judge`]) looks at the token sequence: how the value
//! breaks out of its operand and what SQL follows (a condition, possibly cut short after
//! its comparison operator or trailed by noise after a probe of the database itself, a
//! clause, `;` and a statement or a block, a comment cutting the query, `union`), and
//! anywhere in it, `union select`, time delays, functions only an attacker calls, a
//! condition on two numbers in `case when`, `if(`, `iif(` (`case when 4831=4831`) and a
//! string spelled in printable character codes (`char(113)+char(118)+char(112)`). MySQL's
//! implicit string operators count as a break-out when a space sets them off from both quotes
//! (`a' and 'b`, `a' not like 'b`, `a' - 'b`; `'and'` alone or `"mod"` quote a word), or
//! when glued to both (`aa'like'0`, `1"or!"a`), and so does an expression between the
//! quotes with a sign or two word operators (`asd' or column^'-1`), its strings words.
//!
//! Besides break-outs, a value can be SQL as a whole, in a number or column slot: a call
//! of a SQL-only function (`version()`, `db_name(0)`, `group_concat(`), an expression with
//! a PostgreSQL cast (`unistr(password)::int`, `'{..}'::jsonb #> '{a}'`); and keywords glued
//! to comments (`union/**/select`, `/*!50000select*/`) are an evasion prose never shows.
//! A value can also be SQL by its name alone ([`values`]): a system catalogue
//! (`information_schema`, `mysql.db`, `sp_executesql`) or an overflowing number; and a
//! whole statement with code marks (``alter table `t` ``, `declare @b`), a number glued
//! to a call (`1.e(ascii`) or a one-word value closed and ended (`admin@x.io';`) are
//! injections too, and so are an expression of literals closed by an empty comment
//! (`1--`, `( 'a' ) --`; not `1611-id--` nor `1,1--`), a call that asks the database
//! about itself (`length(version())`, `mid(@@hostname,1,1)`), a sub-query with SQL in it
//! (`1 - any(select 1,2)`, `(select @@version)`, `in (select * from`, a derived table
//! `from(select count(*),…`, one behind a comment: `-1 #…\n(select id from t)`), a
//! system procedure run (`exec sp_add_job`) and a routine defined (`create function f(…)
//! returns …`).
//! Weaker shapes (a call of a function SQL shares with other languages, a cast alone,
//! `) as x from`, `schema_name`, `4294967296`) are paranoia-2 rules.
//!
//! Two more readings: when the value's first quote follows a backslash, as if the
//! application escaped quotes but not backslashes (`\'or'1` closes the string); and when
//! the value is itself `name=value` (a form body encoded twice, a query string in a value),
//! the part after `=` is judged again on its own.
//!
//! A cheap gate first: a value with none of the bytes SQL structure needs (quotes,
//! parentheses, `;`, `=`, `<`, `>`, `|`, `&`, `#`, `@`, `*`) is tokenized only when it holds
//! a keyword that works without them (`union`, `select`, `exec`, `order`, `xp_`, …) and
//! something between its words, or a comment (`1--`). The same words tell whether the
//! window rules can fire (`union`, time delays, dangerous functions, system tables, `/*`):
//! without any (at paranoia 1), each reading is judged from its first tokens only, and
//! prose (`hi there`, `O'Connor`) stops there. The words are found by the engine's shared
//! trigger words, so only the runs of word bytes that hold one are looked at.
//!
//! Paranoia 2 adds whole-value fragments: an operator alone (`<=>`, `is null`, `in (0,1)`),
//! loose catalogue and type names, calls of shared functions.

mod judge;
mod tokenizer;
mod values;

use crate::detector::{Detector, Features, Input, Sink, WordSet};
use crate::location::Part;
use crate::needle;
use crate::rule::{Class, Rule, Severity};
use judge::{Finding, Judge, Window};
use tokenizer::{AFTER_EXEC, BLOCK, Kind, Token, Tokenizer};
use values::Strength;

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
    description: "SQL injection: a quoted value or a literal expression closed and the rest of the \
                  query commented out",
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

/// The whole value names a system catalogue: `information_schema`, `pg_catalog`,
/// `mysql.user`, `msdb`, `sp_executesql`: a table or schema parameter pointed at the
/// database's own.
static SCHEMA_VALUE: Rule = Rule {
    id: "sqli.schema-value",
    class: Class::Sqli,
    paranoia: 1,
    severity: Severity::Critical,
    description: "SQL injection: the value is the name of a system catalogue or procedure",
};

/// The whole value is a SQL name an application may also use: `schema_name`,
/// `all_tables`, `northwind`, `varchar`.
static SCHEMA_LOOSE: Rule = Rule {
    id: "sqli.schema-value-loose",
    class: Class::Sqli,
    paranoia: 2,
    severity: Severity::Critical,
    description: "SQL injection: the value is a SQL catalogue, sample database or type name",
};

/// The whole value is a float that hangs strtod (`2.2250738585072011e-308`) or `1e309`.
static OVERFLOW: Rule = Rule {
    id: "sqli.overflow-number",
    class: Class::Sqli,
    paranoia: 1,
    severity: Severity::Critical,
    description: "SQL injection: the value is a float known to hang or overflow number parsers",
};

/// The whole value is an integer one past a 32-bit maximum (`4294967296`, `2147483648`).
static OVERFLOW_LOOSE: Rule = Rule {
    id: "sqli.overflow-integer",
    class: Class::Sqli,
    paranoia: 2,
    severity: Severity::Critical,
    description: "SQL injection: the value is a 32-bit integer boundary (integer overflow probe)",
};

/// `db_name(`, `pg_sleep(`, `substring(`… alone (a probe, or a fragment of a longer one).
static SQL_FUNCTION: Rule = Rule {
    id: "sqli.sql-function",
    class: Class::Sqli,
    paranoia: 2,
    severity: Severity::Warning,
    description: "SQL injection: a call of a function that hardly exists outside SQL",
};

/// The whole value is a call of a function only SQL has: `version()`, `db_name(0)`,
/// `group_concat(`, `select current_user(`: a number or column slot filled with SQL.
static CALL_VALUE: Rule = Rule {
    id: "sqli.call-value",
    class: Class::Sqli,
    paranoia: 1,
    severity: Severity::Critical,
    description: "SQL injection: the value is a call of a SQL-only function",
};

/// The whole value is a call of a function SQL shares with other languages: `concat(`,
/// `floor(rand(0)*2)`, `count(*)`.
static GENERIC_CALL_VALUE: Rule = Rule {
    id: "sqli.generic-call-value",
    class: Class::Sqli,
    paranoia: 2,
    severity: Severity::Critical,
    description: "SQL injection: the value is a call of a SQL function",
};

/// SQL keywords glued to comments, the way filters are evaded: `union/**/select`,
/// `DROP/*x*/t`, `/*!50000select*/`.
static COMMENT_EVASION: Rule = Rule {
    id: "sqli.comment-evasion",
    class: Class::Sqli,
    paranoia: 1,
    severity: Severity::Critical,
    description: "SQL injection: SQL keywords glued to inline or MySQL executable comments",
};

/// `1.e(ascii`, `1.e.tables`: MySQL reads `1.e` as a number, so it hides a call or a
/// name behind it from filters that look for them after a space.
static NUMBER_GLUE: Rule = Rule {
    id: "sqli.number-glue",
    class: Class::Sqli,
    paranoia: 1,
    severity: Severity::Critical,
    description: "SQL injection: a number like `1.e` glued to a SQL function or table name",
};

/// The value is an expression with a PostgreSQL cast and a call or operator:
/// `unistr(password)::int`, `'{"a":1}'::jsonb #> '{a}'` (error-based and JSON probes).
static CAST: Rule = Rule {
    id: "sqli.cast",
    class: Class::Sqli,
    paranoia: 1,
    severity: Severity::Critical,
    description: "SQL injection: an expression with a PostgreSQL type cast",
};

/// The value is a column or literal cast to a SQL type, alone: `password::int`.
static CAST_ALONE: Rule = Rule {
    id: "sqli.cast-alone",
    class: Class::Sqli,
    paranoia: 2,
    severity: Severity::Critical,
    description: "SQL injection: a value cast to a SQL type (PostgreSQL `::`)",
};

/// The end of a select list, `) as x from`: a column expression aliased, then `from`.
static ALIAS_FROM: Rule = Rule {
    id: "sqli.alias-from",
    class: Class::Sqli,
    paranoia: 2,
    severity: Severity::Critical,
    description: "SQL injection: an aliased select-list column followed by FROM",
};

/// The whole value is a SQL operator: `<=>`, `||`, `xor`, `is not null`, `in (0,1)`.
static OPERATOR_VALUE: Rule = Rule {
    id: "sqli.operator-value",
    class: Class::Sqli,
    paranoia: 2,
    severity: Severity::Critical,
    description: "SQL injection: the value is a SQL operator alone (`<=>`, `||`, `is null`, `in (0,1)`)",
};

/// A one-word value closed by a quote and ended with `;`: `admin@example.com';`.
static TERMINATOR: Rule = Rule {
    id: "sqli.quote-terminator",
    class: Class::Sqli,
    paranoia: 1,
    severity: Severity::Critical,
    description: "SQL injection: a quoted value closed and the statement ended with `;`",
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
        &SCHEMA_VALUE,
        &SCHEMA_LOOSE,
        &OVERFLOW,
        &OVERFLOW_LOOSE,
        &SQL_FUNCTION,
        &CALL_VALUE,
        &GENERIC_CALL_VALUE,
        &COMMENT_EVASION,
        &NUMBER_GLUE,
        &CAST,
        &CAST_ALONE,
        &ALIAS_FROM,
        &OPERATOR_VALUE,
        &TERMINATOR,
    ],
    alnum: true,
    scan,
};

/// How many significant tokens the break-out rules look at.
const MAX_TOKENS: usize = 64;

/// The byte kinds SQL structure needs: quotes, parentheses, `;`, `|`, `&`, `=`, `<`, `>`,
/// `#`, `@`, `*` (and the other sigils, which cost nothing to let through).
const STRUCTURAL: Features = Features::QUOTE
    .union(Features::PAREN)
    .union(Features::SEPARATOR)
    .union(Features::EQUALS)
    .union(Features::ANGLE)
    .union(Features::SIGIL);

/// Bytes neither a catalogue name nor an overflow number holds.
const NOT_NAME_OR_NUMBER: Features = Features::ANGLE
    .union(Features::PAREN)
    .union(Features::SEPARATOR)
    .union(Features::DOLLAR)
    .union(Features::BRACE)
    .union(Features::ESCAPE)
    .union(Features::SLASH)
    .union(Features::COLON)
    .union(Features::EQUALS)
    .union(Features::SIGIL)
    .union(Features::BRACKET)
    .union(Features::COMMA)
    .union(Features::QUESTION)
    .union(Features::SPACE)
    .union(Features::NEWLINE)
    .union(Features::CONTROL)
    .union(Features::HIGH);

/// Bytes no catalogue name holds (it has letters, `_`, `.` and maybe quotes around).
const NOT_NAME: Features = NOT_NAME_OR_NUMBER
    .union(Features::DIGIT)
    .union(Features::DASH);

/// Bytes no overflow number holds (it has digits, `.`, `-` and `e`).
const NOT_NUMBER: Features = NOT_NAME_OR_NUMBER
    .union(Features::QUOTE)
    .union(Features::UNDERSCORE);

/// The bytes the tokenizer reads as spaces (besides ` `, a tab, CR, LF: VT, FF, NUL,
/// and NBSP).
const SPACES: Features = Features::SPACE
    .union(Features::NEWLINE)
    .union(Features::CONTROL)
    .union(Features::HIGH);

/// What the value's words hold: a keyword that makes an injection without any structural
/// byte (`1 union select 2`, `exec xp_cmdshell`, `order by`), and a word the window rules
/// look for (`union`, time delays, dangerous functions and system tables, `/*`). A value
/// without window words is judged from its first tokens only (at paranoia 1, whose window
/// rules all need one).
///
/// Only the runs of word bytes that hold one of the [`GATE`] words (found by the shared
/// trigger words, see [`gate_words`]) are looked at: no other run is either kind. Each
/// word found is judged by where it sits in its run (`run_kind`, in the tests, judges whole
/// runs the same way).
fn words(input: &Input<'_>) -> (bool, bool) {
    let s = input.lower;
    let mut keyword = false;
    // The run of word bytes around the last word, and where it is read from (after the
    // digits that start it).
    let mut run = 0..0;
    let mut read_from = 0;
    for m in input.words(WordSet::SqlGate) {
        if run.is_empty() || m.end() > run.end {
            let start = s[..m.start()]
                .iter()
                .rposition(|&b| !tokenizer::is_word_byte(b))
                .map_or(0, |p| p + 1);
            let end = s[m.end()..]
                .iter()
                .position(|&b| !tokenizer::is_word_byte(b))
                .map_or(s.len(), |p| m.end() + p);
            run = start..end;
            read_from = start
                + s[run.clone()]
                    .iter()
                    .take_while(|b| b.is_ascii_digit())
                    .count();
        }
        if run.len() < 4 {
            continue;
        }
        let (word, fit, kind) = GATE[m.pattern().as_usize()];
        let at_end = m.end() == run.end;
        // `1union`, `0.e3union`; `1order`, `/*!50000select`: a number glued to a keyword.
        if at_end && word == b"union" {
            return (true, true);
        }
        let glued = read_from > run.start && at_end && GLUED.contains(&word);
        let fits = m.start() == read_from
            && match fit {
                Fit::Whole => at_end,
                Fit::Prefix => true,
                Fit::BeforeDot => at_end && s.get(run.end) == Some(&b'.'),
            };
        match (fits, kind) {
            (true, Word::Window) => return (true, true),
            (true, Word::Keyword) => keyword = true,
            (false, _) => keyword |= glued,
        }
    }
    (keyword, pair(s, *b"/*"))
}

/// The keywords that count glued to the number before them (`1order by 2`).
const GLUED: [&[u8]; 3] = [b"order", b"group", b"having"];

/// The gate's kind of a run of word bytes; `dot` says whether a `.` follows it: what
/// [`words`] finds, run by run (the tests' reference).
#[cfg(test)]
fn run_kind(run: &[u8], dot: bool) -> Option<Word> {
    if run.len() < 4 {
        return None;
    }
    if run.ends_with(b"union") {
        return Some(Word::Window);
    }
    let mut w = run;
    let mut keyword = false;
    if w.first().is_some_and(u8::is_ascii_digit) {
        keyword = GLUED.iter().any(|k| w.ends_with(k));
        while let [b'0'..=b'9', tail @ ..] = w {
            w = tail;
        }
    }
    match word_kind(w, dot) {
        None if keyword => Some(Word::Keyword),
        kind => kind,
    }
}

/// What a word is to the gate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Word {
    /// A keyword that makes an injection without structural bytes.
    Keyword,
    /// A word a window rule looks for.
    Window,
}

/// How a [`GATE`] word fits a word.
#[derive(Clone, Copy)]
enum Fit {
    /// It is the word.
    Whole,
    /// It starts the word (`xp_cmdshell`).
    Prefix,
    /// It is the word, and a `.` follows (`mysql.user`, `master..xp_`).
    BeforeDot,
}

/// The words of the gate, prefixes first: every run of word bytes that `run_kind` calls a
/// keyword or a window word holds one of them (`union` and the glued `order`, `group`,
/// `having` included).
const GATE: &[(&[u8], Fit, Word)] = &[
    (b"xp_", Fit::Prefix, Word::Window),
    (b"sp_", Fit::Prefix, Word::Window),
    (b"utl_", Fit::Prefix, Word::Window),
    (b"dbms_", Fit::Prefix, Word::Window),
    (b"information_schema", Fit::Prefix, Word::Window),
    (b"union", Fit::Whole, Word::Window),
    (b"sleep", Fit::Whole, Word::Window),
    (b"pg_sleep", Fit::Whole, Word::Window),
    (b"benchmark", Fit::Whole, Word::Window),
    (b"randomblob", Fit::Whole, Word::Window),
    (b"waitfor", Fit::Whole, Word::Window),
    (b"load_file", Fit::Whole, Word::Window),
    (b"extractvalue", Fit::Whole, Word::Window),
    (b"updatexml", Fit::Whole, Word::Window),
    (b"name_const", Fit::Whole, Word::Window),
    (b"sys_eval", Fit::Whole, Word::Window),
    (b"sys_exec", Fit::Whole, Word::Window),
    (b"openrowset", Fit::Whole, Word::Window),
    (b"opendatasource", Fit::Whole, Word::Window),
    (b"pg_read_file", Fit::Whole, Word::Window),
    (b"lo_import", Fit::Whole, Word::Window),
    (b"copy_to", Fit::Whole, Word::Window),
    (b"outfile", Fit::Whole, Word::Window),
    (b"dumpfile", Fit::Whole, Word::Window),
    (b"syscolumns", Fit::Whole, Word::Window),
    (b"sysobjects", Fit::Whole, Word::Window),
    (b"pg_shadow", Fit::Whole, Word::Window),
    (b"pg_user", Fit::Whole, Word::Window),
    (b"sqlite_master", Fit::Whole, Word::Window),
    (b"all_tables", Fit::Whole, Word::Window),
    (b"user_tables", Fit::Whole, Word::Window),
    (b"sysibm", Fit::Whole, Word::Window),
    (b"immediate", Fit::Whole, Word::Window),
    (b"master", Fit::BeforeDot, Word::Window),
    (b"mysql", Fit::BeforeDot, Word::Window),
    (b"order", Fit::Whole, Word::Keyword),
    (b"group", Fit::Whole, Word::Keyword),
    (b"having", Fit::Whole, Word::Keyword),
    (b"procedure", Fit::Whole, Word::Keyword),
    (b"select", Fit::Whole, Word::Keyword),
    (b"exec", Fit::Whole, Word::Keyword),
];

/// The gate's words, for the [`super::TRIGGER_WORDS`].
pub(super) fn gate_words() -> Vec<&'static [u8]> {
    GATE.iter().map(|(w, _, _)| *w).collect()
}

/// The gate's kind of a lowercase word; `dot` says whether a `.` follows it.
#[cfg(test)]
fn word_kind(w: &[u8], dot: bool) -> Option<Word> {
    GATE.iter()
        .find(|(word, fit, _)| match fit {
            Fit::Whole => w == *word,
            Fit::Prefix => w.starts_with(word),
            Fit::BeforeDot => dot && w == *word,
        })
        .map(|(_, _, kind)| *kind)
}

/// Whether `s` ends in a comment with no letter or digit after it (`1--`, `1 -- -`,
/// `1 /*`), the only place a value without structural bytes has one that matters.
fn empty_comment_ends(s: &[u8]) -> bool {
    // Such a value ends in `-`, `*` or `/` (`--`, `-- -`, `/*`, `/* */`).
    if !matches!(s.trim_ascii_end().last(), Some(b'-' | b'*' | b'/')) {
        return false;
    }
    let tail = s
        .iter()
        .rposition(u8::is_ascii_alphanumeric)
        .map_or(s, |i| s.get(i + 1..).unwrap_or_default());
    pair(tail, *b"--") || pair(tail, *b"/*")
}

/// Whether two bytes occur in a row in `s`. Searched by the second when the first is a
/// letter or a digit (`p_`): each occurrence costs a search.
fn pair(s: &[u8], [a, b]: [u8; 2]) -> bool {
    if a.is_ascii_alphanumeric() {
        memchr::memchr_iter(b, s).any(|i| i > 0 && s[i - 1] == a)
    } else {
        memchr::memchr_iter(a, s).any(|i| s.get(i + 1) == Some(&b))
    }
}

fn scan(input: &Input<'_>, sink: &mut Sink<'_>) {
    let s = input.lower;
    // `x::int` has no other structure; its rule is paranoia 2, so PL1 skips the search.
    let cast = input.paranoia >= 2 && pair(s, *b"::");
    // The names start with one of a few letters (or a quote); the numbers with a digit.
    let first = s.first().copied().unwrap_or(0);
    let name_start = matches!(
        first,
        b'i' | b'p'
            | b'm'
            | b't'
            | b's'
            | b'o'
            | b'u'
            | b'd'
            | b'a'
            | b'n'
            | b'v'
            | b'\''
            | b'"'
            | b'`'
    );
    if (4..=40).contains(&s.len()) && (name_start || first.is_ascii_digit()) {
        let f = input.features;
        let named = (name_start && !f.any(NOT_NAME))
            .then(|| values::catalogue(s))
            .flatten()
            .map(|(span, k)| (span, k, &SCHEMA_VALUE, &SCHEMA_LOOSE));
        let number = || {
            (s.len() >= 5 && first.is_ascii_digit() && !f.any(NOT_NUMBER))
                .then(|| values::overflow_number(s))
                .flatten()
                .map(|(span, k)| (span, k, &OVERFLOW, &OVERFLOW_LOOSE))
        };
        if let Some((span, strength, strong, loose)) = named.or_else(number) {
            let rule = if strength == Strength::Strong {
                strong
            } else {
                loose
            };
            sink.report(rule, span);
        }
    }
    // `xor`, `is null`: an operator alone (paranoia 2) needs no structural byte.
    let short = input.paranoia >= 2 && s.len() <= 16;
    let structural = input.features.any(STRUCTURAL) || cast || short;
    // Without structural bytes, keywords need something between them (`1 union select
    // 2`, `exec+xp_cmdshell` in a path); a word alone is an injection only as `xp_…`.
    let apart = input.features.any(SPACES)
        || (input.part == Part::Path && input.features.any(Features::DASH));
    let lone = input.features.any(Features::UNDERSCORE) && pair(s, *b"p_");
    // `1.e.tables`: a number glued to a name.
    let glue = glued_number_in(input);
    // `1--`, `1 /*`: a value closed by an empty comment (prose's ` -- ` has words after).
    let comment =
        || input.features.any(Features::DASH.union(Features::SLASH)) && empty_comment_ends(s);
    if !(structural || apart || lone || glue || comment()) {
        return;
    }
    let (keyword, window) = words(input);
    if !(structural || keyword || glue || comment()) {
        return;
    }
    // An e-mail address's `@` is not a variable's: without a keyword, it holds no SQL.
    if !(keyword || window || glue) && input.is_email_address() {
        return;
    }
    let full = window || input.paranoia >= 2;
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
            Finding::CallValue => &CALL_VALUE,
            Finding::GenericCallValue => &GENERIC_CALL_VALUE,
            Finding::CommentEvasion => &COMMENT_EVASION,
            Finding::NumberGlue => &NUMBER_GLUE,
            Finding::Cast => &CAST,
            Finding::CastAlone => &CAST_ALONE,
            Finding::AliasFrom => &ALIAS_FROM,
            Finding::OperatorValue => &OPERATOR_VALUE,
            Finding::Terminator => &TERMINATOR,
        };
        sink.report(rule, span);
    };
    // In a path segment no decoder reads `+` as a space; SQL injected there does.
    let plus = input.part == Part::Path && input.features.any(Features::DASH);
    value(s, plus, full, &mut report);
    // `pay=AND 1=1)`: a parameter and its value in one string (a form body encoded twice,
    // a query string inside a value); the value after `name=` is judged on its own.
    if input.features.any(Features::EQUALS)
        && let Some(at) = embedded_value(s)
        && let Some(rest) = s.get(at..)
    {
        value(rest, plus, full, &mut |f, span: std::ops::Range<usize>| {
            report(f, span.start + at..span.end + at);
        });
    }
}

/// Where the value starts in `name=value` (a parameter name of word bytes and brackets).
fn embedded_value(s: &[u8]) -> Option<usize> {
    let eq = memchr::memchr(b'=', s.get(..65).unwrap_or(s))?;
    let name = s.get(..eq)?;
    let word = |b: &u8| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b'[' | b']');
    (!name.is_empty() && name.iter().all(word) && eq + 1 < s.len()).then_some(eq + 1)
}

/// Judges one value in its readings: as-is, after a `'`, after a `"`, and after a quote
/// when a backslash-quote in the value is the break-out (`\'or 1=1--` against an
/// application that escapes quotes but not backslashes).
fn value(
    s: &[u8],
    plus: bool,
    full: bool,
    report: &mut impl FnMut(Finding, std::ops::Range<usize>),
) {
    reading(s, 0, false, plus, full, report);
    for q in [b'\'', b'"'] {
        if let Some(at) = needle::byte(s, q) {
            reading(s, q, false, plus, full, report);
            if s.get(at.wrapping_sub(1)) == Some(&b'\\') {
                reading(s, q, true, plus, full, report);
            }
        }
    }
}

/// Whether the value holds a digit, `.e` and `(` or `.` (`1.e(`, `1.e.`).
fn glued_number_in(input: &Input<'_>) -> bool {
    input
        .words(WordSet::SqlMark)
        .any(|m| m.start() > 0 && input.lower[m.start() - 1].is_ascii_digit())
}

/// The marks of a number glued to a name (`1.e(`, `1.e.`), for the shared trigger words.
pub(super) const MARKS: [&[u8]; 2] = [b".e(", b".e."];

/// `1.e`, `12.e`: a number MySQL reads whole, glued to what follows.
fn glued_number(w: &[u8]) -> bool {
    match w.strip_suffix(b".e") {
        Some(digits) => !digits.is_empty() && digits.iter().all(u8::is_ascii_digit),
        None => false,
    }
}

/// A statement keyword or a function SQL defines (what `1.e(` hides).
fn sql_name(s: &[u8], t: &Token) -> bool {
    t.kind == Kind::Stmt || (t.kind == Kind::Word && judge::is_sql_func(t.text(s)))
}

/// Keywords whose gluing to a comment is an evasion.
fn evasion_keyword(s: &[u8], t: &Token) -> bool {
    match t.kind {
        Kind::Stmt | Kind::Union | Kind::Clause | Kind::Logic => true,
        Kind::Kw => matches!(t.text(s), b"from" | b"where" | b"by" | b"all" | b"distinct"),
        _ => false,
    }
}

/// Whether code tokens glued by a block comment are an evasion: a keyword on either side
/// (`union/**/select`, `DROP/*x*/t`) or a keyword split in two (`DR/**/OP`).
fn glued_evasion(s: &[u8], before: &Token, comment: &Token, after: &Token) -> bool {
    let code = |t: &Token| !matches!(t.kind, Kind::Other | Kind::Comma);
    ((evasion_keyword(s, before) || evasion_keyword(s, after)) && code(before) && code(after))
        || split_keyword(s, before, comment, after)
}

/// `DR/**/OP`: a statement keyword split by an empty comment, for a filter that looks for
/// the whole word (`src/**/test` joins to no keyword).
fn split_keyword(s: &[u8], before: &Token, comment: &Token, after: &Token) -> bool {
    let (a, b) = (before.text(s), after.text(s));
    let mut joined = [0u8; 16];
    let len = a.len() + b.len();
    if before.kind != Kind::Word
        || after.kind != Kind::Word
        || comment.text(s) != b"/**/"
        || !(4..=joined.len()).contains(&len)
    {
        return false;
    }
    joined[..a.len()].copy_from_slice(a);
    joined[a.len()..len].copy_from_slice(b);
    matches!(
        tokenizer::classify(&joined[..len]),
        Kind::Stmt | Kind::Union
    )
}

/// Whether a reading of a value without window words can yield a finding, judged from
/// its first tokens: after the opening string, an operator, `;`, a clause, a statement or
/// a comment (a break-out); as-is, anything but two operands in a row (`hi there`, which
/// every break-out and whole-value rule rejects).
fn promising(mut tokens: Tokenizer<'_>, s: &[u8], quote: u8) -> bool {
    // The next code token, and whether a comment came before it.
    let mut next = || {
        let mut comment = false;
        for t in tokens.by_ref() {
            if t.kind != Kind::Comment {
                return (Some(t), comment);
            }
            comment = true;
        }
        (None, comment)
    };
    let operand = |t: &Token| {
        matches!(
            t.kind,
            Kind::Word | Kind::Num | Kind::Str | Kind::Var | Kind::Literal
        )
    };
    if quote != 0 {
        if !next().0.is_some_and(|t| t.closed()) {
            return false;
        }
        loop {
            let (t, comment) = next();
            let Some(t) = t else { return comment };
            match t.kind {
                _ if comment => return true,
                Kind::RParen => {}
                Kind::Logic
                | Kind::Cmp
                | Kind::Arith
                | Kind::Unary
                | Kind::Semi
                | Kind::Clause
                | Kind::Union
                | Kind::Stmt => return true,
                Kind::Kw => return t.text(s) == b"collate",
                _ => return false,
            }
        }
    }
    let (Some(mut first), _) = next() else {
        return false;
    };
    let (mut second, mut comment) = next();
    // A list glued by commas (`foo,iif(…)`, `17,23 order by 16`; prose puts a space after
    // its commas) is SQL only if a call, a parenthesis, a clause or a boolean operator
    // follows it.
    let mut list = false;
    while let Some(comma) = second.filter(|t| operand(&first) && !comment && t.kind == Kind::Comma)
    {
        let (Some(item), _) = next() else {
            return false;
        };
        if first.end != comma.start || item.start != comma.end {
            return false;
        }
        first = item;
        (second, comment) = next();
        list = true;
    }
    if list {
        return !operand(&first)
            || second.is_some_and(|t| {
                matches!(
                    t.kind,
                    Kind::LParen | Kind::Logic | Kind::Clause | Kind::Union
                )
            });
    }
    if first.kind == Kind::Clause {
        // `order #10001 arrived`: a clause word that starts no clause.
        return match first.text(s) {
            b"order" | b"group" => second.is_some_and(|t| t.text(s) == b"by"),
            b"into" | b"offset" => false,
            _ => true,
        };
    }
    if !operand(&first) {
        return true;
    }
    match (second, comment) {
        (Some(t), false) => {
            !(matches!(
                t.kind,
                Kind::Num | Kind::Str | Kind::Var | Kind::Literal | Kind::Other | Kind::Comma
            ) || (t.kind == Kind::Word
                && !matches!(t.text(s), b"sounds" | b"notnull" | b"isnull")))
        }
        _ => true,
    }
}

/// Tokenizes `s` in one reading and runs both rule families.
fn reading(
    s: &[u8],
    quote: u8,
    escaped: bool,
    plus: bool,
    full: bool,
    report: &mut impl FnMut(Finding, std::ops::Range<usize>),
) {
    let tokens = if escaped {
        Tokenizer::escaped(s, quote)
    } else {
        Tokenizer::new(s, quote)
    }
    .plus_as_space(plus);
    if !full && !promising(tokens.clone(), s, quote) {
        return;
    }
    let mut toks = [Token::default(); MAX_TOKENS];
    let mut pre = [0u8; MAX_TOKENS];
    let mut n = 0;
    let mut comment = 0u8;
    let mut truncated = false;
    let mut window = Window::default();
    // The last code token, and a block comment glued to its end.
    let mut prev: Option<Token> = None;
    let mut before: Option<Token> = None;
    let mut glued: Option<Token> = None;
    for t in tokens {
        if t.kind == Kind::Comment {
            comment = t.flag;
            glued = (t.flag == BLOCK && prev.is_some_and(|p| p.end == t.start)).then_some(t);
            continue;
        }
        if quote == 0 {
            // `union/**/select`, `DROP/*x*/t`, `/*!50000select*/`.
            let exec = t.flag & AFTER_EXEC != 0 && evasion_keyword(s, &t);
            let glue = glued
                .take()
                .zip(prev)
                .is_some_and(|(c, p)| c.end == t.start && glued_evasion(s, &p, &c, &t));
            if exec || glue {
                report(Finding::CommentEvasion, t.start as usize..t.end as usize);
            }
        }
        // `1.e(ascii`, `1.e.tables`.
        if let (Some(n), Some(p)) = (before, prev)
            && n.end == p.start
            && p.end == t.start
            && glued_number(n.text(s))
            && match p.kind {
                Kind::LParen => sql_name(s, &t),
                Kind::Dot => matches!(t.text(s), b"tables" | b"columns" | b"user" | b"schemata"),
                _ => false,
            }
        {
            report(Finding::NumberGlue, n.start as usize..t.end as usize);
        }
        before = prev;
        prev = Some(t);
        glued = None;
        if full {
            window.feed(s, Some(t), report);
        }
        if n < MAX_TOKENS {
            toks[n] = t;
            pre[n] = comment;
            n += 1;
        } else {
            truncated = true;
        }
        comment = 0;
    }
    if full {
        window.feed(s, None, report);
    }
    let judge = Judge {
        lower: s,
        toks: &toks[..n],
        pre: &pre[..n],
        trail: comment,
        quote,
        truncated,
    };
    judge.breakout(report);
    judge.call_value(report);
    judge.cast_value(report);
    judge.operator_value(report);
    judge.literal_marks(report);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detector::{matches, with_input};
    use crate::location::Part;
    use crate::shape::is_email_address;
    use proptest::prelude::*;

    fn hits(text: &str) -> Vec<&'static str> {
        matches(&DETECTOR, Part::Query, "q", text, 1)
    }

    /// What [`words`] says of `text`, and what every run of word bytes of it says, each
    /// judged by [`run_kind`]: the gate words must lead to every run that counts.
    fn gate_both_ways(text: &[u8]) -> ((bool, bool), (bool, bool)) {
        let found = with_input(Part::Query, "q", text, 1, words);
        let s = text.to_ascii_lowercase();
        let mut keyword = false;
        let mut start = 0;
        for (end, &b) in s.iter().enumerate().chain([(s.len(), &b' ')]) {
            if tokenizer::is_word_byte(b) && end < s.len() {
                continue;
            }
            match run_kind(&s[start..end], s.get(end) == Some(&b'.')) {
                Some(Word::Window) => return (found, (true, true)),
                Some(Word::Keyword) => keyword = true,
                None => {}
            }
            start = end + 1;
        }
        (found, (keyword, pair(&s, *b"/*")))
    }

    #[test]
    fn an_email_address_holds_no_sql_without_a_keyword() {
        for mail in [
            "siobhan.oconnor+1@example.ie",
            "declare@example.com",
            "or+current_date@example.com",
            "o-hara_2@mail.example.co.uk",
        ] {
            assert!(is_email_address(mail.as_bytes()), "{mail}");
            assert!(hits(mail).is_empty(), "{mail}");
        }
        for not_mail in ["a@b", "@example.com", "a@example..com", "a b@example.com"] {
            assert!(!is_email_address(not_mail.as_bytes()), "{not_mail}");
        }
        // A keyword, a quote, a comment or a system variable is still read as SQL.
        for attack in [
            "x@example.com' or 1=1--",
            "a@example.com' union select 1--",
            "1 or @@version",
        ] {
            assert!(!hits(attack).is_empty(), "{attack}");
        }
        // In a path, where `+` is a blank.
        let path = "1+union+select+password@users.example";
        assert!(is_email_address(path.as_bytes()));
        assert!(!matches(&DETECTOR, Part::Path, "", path, 1).is_empty());
    }

    #[test]
    fn the_gate_finds_every_run_that_counts() {
        for text in [
            &b"1 union select 2"[..],
            b"reunion at 5",
            b"your order 10042",
            b"1order by 2",
            b"/*!50000select*/",
            b"exec master..xp_cmdshell",
            b"mysql.user and mysql",
            b"select_all sleepy sleep(",
            b"information_schema_x",
            b"xp_",
            b"",
        ] {
            let (found, every_run) = gate_both_ways(text);
            assert_eq!(found, every_run, "{:?}", String::from_utf8_lossy(text));
        }
    }

    proptest! {
        #[test]
        fn the_gate_agrees_with_every_run(
            pieces in proptest::collection::vec(
                proptest::sample::select(
                    GATE.iter()
                        .map(|(w, _, _)| *w)
                        .chain([&b"1"[..], b"x", b" ", b".", b"/*", b"_", b"ion", b"ord"])
                        .collect::<Vec<_>>(),
                ),
                0..8,
            )
        ) {
            let text = pieces.concat();
            let (found, every_run) = gate_both_ways(&text);
            prop_assert_eq!(found, every_run);
        }
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
    fn cut_boolean_probes() {
        for a in [
            "' or 1=",
            "test' or 1=",
            "and id = \"",
            "xor 2 <",
            "|| c == '",
            "AND 7639=(",
            "admin' or 'x' <",
        ] {
            assert!(hits(a).contains(&"sqli.tautology"), "{a}: {:?}", hits(a));
        }
        for b in [
            "and then =",
            "or = ",
            "color=red or size=",
            "o'neil or 'x' < 5",
        ] {
            assert!(hits(b).is_empty(), "{b}: {:?}", hits(b));
        }
    }

    #[test]
    fn call_values() {
        for a in [
            "version()",
            "database(",
            "db_name(0)",
            "group_concat(",
            "pg_sleep(",
            "select current_user(",
            "concat_ws(0x3a,user(),database())",
        ] {
            assert!(hits(a).contains(&"sqli.call-value"), "{a}: {:?}", hits(a));
        }
        assert!(hits("concat(").is_empty());
        assert!(hits2("concat(").contains(&"sqli.generic-call-value"));
        assert!(hits2("floor(rand(0)*2)").contains(&"sqli.generic-call-value"));
        assert!(hits2("time (").contains(&"sqli.generic-call-value"));
        for b in [
            "Version (2)",
            "Date (optional)",
            "user(s)",
            "avg(cpu_usage) > 0.9",
            "time.sleep(5)",
            "Time (UTC)",
            "database (postgres) migration",
        ] {
            let h = hits2(b);
            assert!(
                !h.contains(&"sqli.call-value") && !h.contains(&"sqli.generic-call-value"),
                "{b}: {h:?}"
            );
        }
    }

    #[test]
    fn comment_evasion() {
        for a in [
            "union/**/select 1",
            "DROP/*x*/users",
            "1 /*!50000union*/ 2",
            "SELECT/*avoid-spaces*/password/**/FROM/**/Members",
        ] {
            assert!(
                hits(a).contains(&"sqli.comment-evasion"),
                "{a}: {:?}",
                hits(a)
            );
        }
        for b in [
            "src/**/test.rs",
            "/* note */ select the rows",
            "docs/**/*.md",
        ] {
            assert!(hits(b).is_empty(), "{b}: {:?}", hits(b));
        }
    }

    #[test]
    fn casts_and_json_operators() {
        for a in [
            "unistr(password)::int",
            "'[1,2]'::jsonb || '3'::jsonb",
            "'{\"a\":1}'::json #>> '{a}'",
            "OR '{\"b\":2}'::jsonb <@ '{\"a\":1}'::jsonb",
        ] {
            let h = hits(a);
            assert!(
                h.contains(&"sqli.cast") || h.contains(&"sqli.tautology"),
                "{a}: {h:?}"
            );
        }
        assert!(hits("password::int").is_empty());
        assert!(hits2("password::int").contains(&"sqli.cast-alone"));
        for b in ["std::string", "Foo::new()", "u32::MAX", "a -> b -> c"] {
            assert!(hits2(b).is_empty(), "{b}: {:?}", hits2(b));
        }
    }

    #[test]
    fn quoted_operator_then_comment() {
        for a in [
            "x'|email--",
            "id'not like id--",
            "x' mod id--",
            "'sounds like rowid--",
        ] {
            assert!(hits(a).contains(&"sqli.tautology"), "{a}: {:?}", hits(a));
        }
        for b in ["it's - fine --", "rock 'n' roll -- great"] {
            assert!(hits(b).is_empty(), "{b}: {:?}", hits(b));
        }
    }

    #[test]
    fn alias_from_at_paranoia_two() {
        assert!(hits(") as cc from").is_empty());
        assert!(hits2(") as cc from").contains(&"sqli.alias-from"));
        assert!(hits2("`a` AS `b` FROM").contains(&"sqli.alias-from"));
        assert!(hits2("as seen from the hill").is_empty());
    }

    #[test]
    fn quoted_lone_operator_is_not_a_breakout() {
        for b in [
            "SMALL \"&\" SIGN",
            "select 'and'",
            "press '+' to add",
            "it's your parents' or yours",
        ] {
            assert!(hits2(b).is_empty(), "{b}: {:?}", hits2(b));
        }
        // The tight form still is one.
        assert!(hits("x'|'y").contains(&"sqli.tautology"));
    }

    #[test]
    fn glued_word_operators_and_escaped_quotes() {
        for a in [
            "a'or'a",
            "foo'or'oof",
            "\\'or'1",
            "x\\' or 1=1--",
            "\\\"or\"1",
        ] {
            assert!(hits(a).contains(&"sqli.tautology"), "{a}: {:?}", hits(a));
        }
        for b in ["rock 'n' roll", "it\\'s fine", "o'or", "l'or'"] {
            assert!(hits(b).is_empty(), "{b}: {:?}", hits(b));
        }
    }

    #[test]
    fn embedded_parameter_values() {
        for a in ["pay=AND 2771=1709)", "q=' or 1=1--", "x=1 union select 1,2"] {
            assert!(!hits(a).is_empty(), "{a}: {:?}", hits(a));
        }
        for b in ["color=red or size=", "a=b", "mode=and", "sort=name"] {
            assert!(hits2(b).is_empty(), "{b}: {:?}", hits2(b));
        }
    }

    #[test]
    fn catalogue_values() {
        for a in [
            "information_schema",
            "InFoRmaTioN_ScHemA",
            "pg_catalog",
            "mysql.db",
            "msdb",
            "'msdasql'",
            "sp_executesql",
        ] {
            assert!(hits(a).contains(&"sqli.schema-value"), "{a}: {:?}", hits(a));
        }
        for a in ["schema_name", "northwind", "nvarchar"] {
            assert!(hits(a).is_empty(), "{a}: {:?}", hits(a));
            let h = hits2(a);
            assert!(h.contains(&"sqli.schema-value-loose"), "{a}: {h:?}");
        }
        for b in [
            "mysql",
            "mysql.com",
            "schema",
            "the information_schema views",
            "'",
            "msdb-backup",
        ] {
            let h = hits2(b);
            assert!(
                !h.iter().any(|r| r.starts_with("sqli.schema-value")),
                "{b}: {h:?}"
            );
        }
    }

    #[test]
    fn overflow_numbers() {
        for a in ["2.2250738585072011e-308", "1e309"] {
            assert!(
                hits(a).contains(&"sqli.overflow-number"),
                "{a}: {:?}",
                hits(a)
            );
        }
        assert!(hits("4294967296").is_empty());
        assert!(hits2("4294967296").contains(&"sqli.overflow-integer"));
        for b in [
            "4294967295",
            "2147483647",
            "2.5e-308",
            "42949672960",
            "1e30",
        ] {
            assert!(hits2(b).is_empty(), "{b}: {:?}", hits2(b));
        }
    }

    #[test]
    fn keyword_only_injections() {
        for (a, rule) in [
            (" exec xp_cmdshell", "sqli.function"),
            ("exec master..xp_cmdshell", "sqli.function"),
            ("exec master.", "sqli.function"),
            ("from information_schema.", "sqli.function"),
            ("UnIon seleCt", "sqli.union"),
            ("'union select/", "sqli.union"),
            ("x union#\ndistinctrow\x0bselect@.", "sqli.union"),
            // An extended procedure alone: the `p_` gate.
            ("xp_cmdshell", "sqli.function"),
            ("xp_dirtree", "sqli.function"),
        ] {
            let h = hits(a);
            assert!(h.contains(&rule), "{a}: {h:?}");
        }
        for b in [
            "the union select committee met",
            "everything except select",
            "exec chair for the home office",
            "exec master plan.",
        ] {
            assert!(hits(b).is_empty(), "{b}: {:?}", hits(b));
        }
    }

    #[test]
    fn plus_is_a_space_in_a_path_segment() {
        let a = "24'union+all+select+1,2,3+from+aa";
        assert!(matches(&DETECTOR, Part::Path, "", a, 1).contains(&"sqli.union"));
        assert!(matches(&DETECTOR, Part::Path, "", "c++'s+guide", 1).is_empty());
    }

    #[test]
    fn null_tests_collations_and_json_functions() {
        for a in [
            "' notnull --",
            "z'or email notnull--",
            "user'collate nocase--",
            "user'collate`nocase`--",
            "user'collate \"\\utf8mb4_general_ci\"--",
            "user'collate U&\"$1#B#E#D\"--",
            "x' or json_valid (id);",
        ] {
            let h = hits(a);
            assert!(
                h.iter()
                    .any(|r| matches!(*r, "sqli.tautology" | "sqli.comment-truncation")),
                "{a}: {h:?}"
            );
        }
        for b in ["the collate clause--", "o'neil notnull", "it's null -- ok"] {
            assert!(hits(b).is_empty(), "{b}: {:?}", hits(b));
        }
    }

    #[test]
    fn a_select_of_column_names_alone_after_a_number_is_an_address() {
        for b in [
            "456 Select Ave, Köln 00-950",
            "12 Select Street, Dublin",
            "1 select a, b",
        ] {
            assert!(hits(b).is_empty(), "{b}: {:?}", hits(b));
        }
        for a in [
            "1 select 1,2",
            "1 select user, password from users",
            "1 select @@version",
            "1 select name, db_name()",
        ] {
            assert!(hits(a).contains(&"sqli.stacked"), "{a}: {:?}", hits(a));
        }
    }

    #[test]
    fn selects_cut_short() {
        assert!(hits("select(user(").contains(&"sqli.call-value"));
        assert!(hits("SELECT IIF(1 > 1, 'TRUE', 'FALSE')").contains(&"sqli.call-value"));
        for a in ["';SELECT P", "\";select p"] {
            assert!(hits(a).contains(&"sqli.stacked"), "{a}: {:?}", hits(a));
        }
        for b in ["Select one (1)", "';select all", "it's; select x"] {
            assert!(hits(b).is_empty(), "{b}: {:?}", hits(b));
        }
    }

    #[test]
    fn variables_with_a_dot_and_json_key_operators() {
        assert!(hits("var= @.= ( SELECT").contains(&"sqli.tautology"));
        assert!(hits("OR '{\"a\":\"b\"}' ? 'a'").contains(&"sqli.tautology"));
        assert!(hits("is it 'x' ? maybe").is_empty());
    }

    #[test]
    fn operator_values_at_paranoia_two() {
        for a in [
            "<=>",
            "||",
            "&&",
            "!=",
            ">=",
            "<>",
            "->",
            "XOR",
            "RLIKE",
            "IS NULL",
            "is not null",
            "LIKE NULL",
            "in (0,1)",
            " IN (815914, 815913)",
            "IN (",
        ] {
            assert!(hits(a).is_empty(), "{a}: {:?}", hits(a));
            assert!(
                hits2(a).contains(&"sqli.operator-value"),
                "{a}: {:?}",
                hits2(a)
            );
        }
        for b in [
            "=",
            "-",
            "like",
            "or",
            "in (review)",
            "in (2 days)",
            "is null or",
        ] {
            assert!(
                !hits2(b).contains(&"sqli.operator-value"),
                "{b}: {:?}",
                hits2(b)
            );
        }
    }

    #[test]
    fn quote_terminator() {
        for a in [
            "admin@juice-sh.op';",
            "admin@juice-sh.op\";",
            "root@example.com'/* c */;",
        ] {
            assert!(
                hits(a).contains(&"sqli.quote-terminator"),
                "{a}: {:?}",
                hits2(a)
            );
        }
        for b in ["it's ok;", "';", "x = 'abc';", "don't;", "5'10\";"] {
            assert!(
                !hits2(b).contains(&"sqli.quote-terminator"),
                "{b}: {:?}",
                hits2(b)
            );
        }
    }

    #[test]
    fn more_break_outs_and_statements() {
        for (a, rule) in [
            ("' or true; foo", "sqli.tautology"),
            ("'||true", "sqli.tautology"),
            ("' and email not similar to id--", "sqli.tautology"),
            ("DROP sampletable;--", "sqli.stacked"),
            ("select 0x616263", "sqli.stacked"),
            ("EXECUTE IMMEDIATE \"", "sqli.function"),
            ("select pg_sleep", "sqli.time-based"),
        ] {
            let h = hits(a);
            assert!(h.contains(&rule), "{a}: {h:?}");
        }
        for b in [
            "it's true; really",
            "drop me a line;",
            "great; drop off",
            "select 0x1 and more",
            "rock 'n' roll or true",
        ] {
            assert!(hits(b).is_empty(), "{b}: {:?}", hits(b));
        }
    }

    #[test]
    fn whole_statements_with_code_marks() {
        for (a, rule) in [
            ("declare @b", "sqli.stacked"),
            (
                "ALTER TABLE `mass_mails` ADD `video` TEXT CHARACTER SET latin1",
                "sqli.stacked",
            ),
            (
                "SELECT * FROM `movies` GROUP BY `category_id`",
                "sqli.stacked",
            ),
            (
                "SELECT id FROM users WHERE id=JsoN_EXTraCT('{}','$.a');",
                "sqli.stacked",
            ),
            (
                "mod(1,2);INSERT INTO category(id) VALUES (3)-- -",
                "sqli.stacked",
            ),
            ("x\\' or json (id);", "sqli.tautology"),
        ] {
            let h = hits(a);
            assert!(h.contains(&rule), "{a}: {h:?}");
        }
        for b in [
            "declare it done",
            "select items from the list;",
            "drop table tennis tonight;",
            "create a `thing`",
            "mod (3) is due",
            "cats and glob (many)",
        ] {
            assert!(hits(b).is_empty(), "{b}: {:?}", hits(b));
        }
    }

    #[test]
    fn numbers_glued_to_names() {
        for a in ["1.e(ascii)", "1.e.tables", "0 or 1.e(select 1)"] {
            assert!(hits(a).contains(&"sqli.number-glue"), "{a}: {:?}", hits(a));
        }
        for b in ["section 1.e(ii)", "see 1.e.", "1.e(2)", "v1.e(foo)"] {
            assert!(hits(b).is_empty(), "{b}: {:?}", hits(b));
        }
    }

    #[test]
    fn json_arrays_and_optimizer_hints() {
        for a in [
            "OR '{\"name\":\"asd\"}' ?| array['a','name']",
            "OR '{\"name\":\"asd\"}' ?& array['a','name']",
            "9999 or /*+optimizer hint */ true",
            "9999 or /* +optimizer hint */ true",
        ] {
            assert!(hits(a).contains(&"sqli.tautology"), "{a}: {:?}", hits(a));
        }
        for b in [
            "or array['a']",
            "9999 or /* note */ true",
            "cats or /*+ dogs */ birds and fish",
        ] {
            assert!(hits(b).is_empty(), "{b}: {:?}", hits(b));
        }
    }

    /// Asserts that every attack in `attacks` is an attack at paranoia 1 and that no
    /// look-alike in `benign` is flagged by any sqli rule at paranoia 1.
    fn caught_and_passed(attacks: &[&str], benign: &[&str]) {
        for a in attacks {
            let v = matches(&DETECTOR, Part::Query, "q", a, 1);
            assert!(!v.is_empty(), "missed {a}");
        }
        for b in benign {
            assert!(hits(b).is_empty(), "{b}: {:?}", hits(b));
        }
    }

    #[test]
    fn implicit_string_operators() {
        caught_and_passed(
            &[
                "A' AND 'B",
                "A' OR 'B",
                "A' XOR 'B",
                "A' DIV 'B",
                "A' MOD 'B",
                "A' LIKE 'B",
                "A' NOT LIKE 'B",
                "A' SOUNDS LIKE 'B",
                "A' REGEXP 'B",
                "A' NOT RLIKE 'B",
                "A' - 'B",
                "A' + 'B",
            ],
            &[
                "Rock 'n' roll",
                "the 'and' / 'or' keywords",
                "'A' - 'B' grade",
                "use 'and' between words",
                "5' - '6",
                "' and '",
                "'OR'",
                "' - '",
                "/search?q=\"MOD\"&view=gallery",
                "Jones' and Smith",
                "O'Neil and 'Sons",
                "it's 'x' or 'y'",
            ],
        );
    }

    #[test]
    fn expressions_closed_by_an_empty_comment() {
        for a in [
            "1--",
            "417652--",
            "1 * 1 /*",
            "@version--",
            " ( 'a' )  --",
            " ( BINARY ( 1) )  --",
            " ( 1 * @a )  --",
        ] {
            assert!(
                hits(a).contains(&"sqli.comment-truncation"),
                "{a}: {:?}",
                hits(a)
            );
        }
        caught_and_passed(
            &[],
            &[
                "1611-IioXXIG1ti8rspL2vbXFy--",
                "1,1--",
                "2024/*",
                "2024/01/*",
                "5#",
                "thanks --",
                "10 -- 20 people",
                "i--",
                "(optional) --",
                "src/*",
            ],
        );
    }

    #[test]
    fn database_probes_followed_by_noise() {
        caught_and_passed(
            &[
                "1 and substring(@@version,1,1)9=5//true",
                "6 and substring(version(),1,1)=3:)",
                "16 and ascii(lower(substring(version(),1,1)))=52result:false",
                "-1 or 1=(select system_user)kdoru",
                "1\nand current_user=foo",
                "iuc,20,1764,1768 and 1=@@version",
            ],
            &[
                "2 and mid (2019) plans",
                "3 and version (beta) notes",
                "5 and substring matching rocks",
                "1 and current user is me",
                "current_user=admin",
                "debug=1, current_user=admin",
                "apples, pears and more",
                "Paris, France and zip=75001",
                "red, green or blue",
            ],
        );
    }

    #[test]
    fn sub_queries_in_expressions() {
        for a in [
            "(select @@version)",
            "1 - ANY(SELECT 1,2)",
            "TRUE DIV(SELECT ORD(LEFT",
            "length((select length(version())))",
        ] {
            assert!(hits(a).contains(&"sqli.subquery"), "{a}: {:?}", hits(a));
        }
        caught_and_passed(
            &[],
            &[
                "Max (select one)",
                "any (select all that apply)",
                "(select one) and more",
                "count (select all)",
            ],
        );
    }

    #[test]
    fn stacked_blocks_procedures_and_conditions() {
        for a in [
            "2';Use master exec xp_cmdhshell 'ping127.0.0.1'--",
            "1; BEGIN DECLARE @xy varchar(8000)",
            "EXEC sp_add_job @job_name = 'TestJob';",
            "1;load xml infile \"foo\"",
            "1;load xml local infile \"foo\"",
            "1; delete quick from foo",
            "1;do (1=1)",
            "1;call p(@version, @a)",
            "'; if 1=1 drop table users-- -a",
            "'; while 1=1 shutdown-- -a",
            "'; begin shutdown end-- -a",
        ] {
            assert!(hits(a).contains(&"sqli.stacked"), "{a}: {:?}", hits(a));
        }
        caught_and_passed(
            &[],
            &[
                "done; use the stairs",
                "fine; use caution",
                "no; use master",
                "ok; use MySQL for this",
                "ok; call me (maybe)",
                "later; do (not) touch",
                "so; begin again",
                "then; delete the old ones",
                "first parse; load xml later",
                "if x=1; if so then go",
                "Exec team offsite agenda",
                "exec summary; begin here",
            ],
        );
    }

    #[test]
    fn union_after_a_break_out() {
        for a in [
            "test'-1 union(select table)",
            "test'-'xyz' union (select table)",
            "ANY(SELECT 1) - 1 UNION ALL --",
            "-219 UniOn sEleCt antidef 1,2,3,version(),user()",
        ] {
            assert!(hits(a).contains(&"sqli.union"), "{a}: {:?}", hits(a));
        }
        caught_and_passed(
            &[],
            &[
                "Max(3) union rules",
                "O'Brien - 1 union member",
                "reunion union",
                "the union select committee met at version 2",
            ],
        );
    }

    #[test]
    fn literal_conditions_and_character_codes() {
        caught_and_passed(
            &[
                "FOO,(SELECT (CASE WHEN (4831=4831) THEN 1 ELSE 1/(SELECT 0) END))",
                "(CASE WHEN 4518=5617 THEN 1 ELSE NULL END)",
                "FOO,IIF(2510=9436,FOO,1/0)",
                "FOO); IF((6681=9099),SELECT 6681,DROP FUNCTION CGIQ);# AND (4596=4596",
                "SELECT CHAR(113)+CHAR(122)+CHAR(120)+CHAR(106)+CHAR(113)+(SELECT (CASE",
                "EXP(~(SELECT * FROM (SELECT CONCAT(0x71,(SELECT (ELT(7823=7823,1))),0x78))x))",
            ],
            &[
                "when 2 > 1 it works",
                "if (1 == 1) { x }",
                "case 5 = 5",
                "char(13) + text",
                "SELECT 'a' + CHAR(13) + CHAR(10) + 'b'",
                "CHAR(65)+CHAR(66)",
                "in case 1 = 2 then",
            ],
        );
    }

    #[test]
    fn calls_that_probe_the_database() {
        for a in [
            "ascii(substring(length(version()),1,1))",
            "LENGTH(version())",
            "uncompress(compress(version()))",
            "concat(0x223e3c62723e,version(),0x3c696d67207372633d22)",
            "MID(@@hostname, 1, 1)",
            "CHARSET(CURRENT_USER())",
        ] {
            assert!(hits(a).contains(&"sqli.call-value"), "{a}: {:?}", hits(a));
        }
        caught_and_passed(
            &[],
            &[
                "print(platform.version())",
                "print(user())",
                "format(date())",
                "Version (2)",
                "get_version()",
            ],
        );
    }

    #[test]
    fn small_break_outs() {
        caught_and_passed(
            &[
                "' or 1",
                "' or abc!",
                "\" xor abcdefg!",
                "' or 3,4,2@!",
                "x' or username like totpSecret escape 'x';",
                "x' or email~all(array[email]);analyze--",
                "'glob 1;",
                "2010-01-01'+sleep(20.to_i)+'",
                "unittests@coreruleset.org\" sleep(10.to_i) \"",
                "IF EXISTS (SELECT * FROM users WHERE username = 'root') BENCHMARK(1000000000,MD5(1))",
                "1 and select (utl_http.request('http://client9.com/') || 1)",
                "17,23 order by 16",
                "DR/**/OP/*bypass deny listing*/sampletable",
            ],
            &[
                "'or' is a conjunction",
                "' or so",
                "\" and beyond",
                "'and more' is here",
                "it's ~5 km",
                "I need sleep(8h)",
                "time.sleep(5s)",
                "utl_http docs",
                "1, 2 order by date",
                "src/**/test.rs",
                "5' = 2 feet;",
            ],
        );
    }

    #[test]
    fn operators_between_a_closed_and_an_opened_quote() {
        caught_and_passed(
            &[
                "1\"OR!\"a",
                "1\"OR-\"1",
                "aa'like-'aa",
                "aa'LIKE'0",
                "asd' or column^'-1",
                "aa' or intcolumn && '1",
                "aa'IS NOT NULL or+1=+'1",
                "' is 99999 = '",
                "1' * id - '0",
                "aa'|!'aa",
                "aa' DIV@1 = 0 or '1",
                "aa\"in+ (\"aa\") or -1 != \"0",
                "2' between 1 and 3 or 0x61 like 'a",
                "4' MOD 2 like '0",
                " aa'^0+0+1-1 = (0)-- -a",
                "aa'or current_date*0",
            ],
            &[
                "l'or'",
                "l'or et l'argent",
                "q=\"MOD\"&view=gallery",
                "q=\"LIKE\"+STAMP&view=1",
                "\"-f -\" will work.",
                "'+' and '/' prefixes.",
                "/search?q=36\"+X+48+\"+FRAME&view=1",
                "Tom' or Jerry and Spike",
                "students' and teachers' union",
                "5' - 10 feet",
            ],
        );
    }

    #[test]
    fn queries_behind_comments_and_operators() {
        caught_and_passed(
            &[
                "-1# union\n (select id from users limit 1,1)",
                "-1 --\n (select id from users limit 1,1)",
                "1 AND SELECT TOP 10 USERNAME FROM USERS -- 1",
                "1 AND SELECT 1 FROM T.TRANS_DATE -- 1",
                "10;DROP members --",
                "in ( select * from",
                " in (  select anfrage_id from erkenntnisse where id is  not  null  )",
                "'{\"b\":2}'::jsonb @ '{\"a\":1, \"b\":2}'::jsonb",
            ],
            &[
                "1 # note\n(see below)",
                "2 -- (select one)",
                "1 and select items from the list",
                "2 and select all -- thanks",
                "ok; drop it -- not worth it",
                "in (select cases) from Monday",
                "in (select items from the list)",
                "meet @ 5pm",
            ],
        );
    }

    #[test]
    fn derived_tables_routines_and_quantifiers() {
        caught_and_passed(
            &[
                "admin@juice-sh.op' and email ! all (select email)--",
                "if(2=",
                "if(1234=",
                "CREATE FUNCTION hello (s CHAR(20)) RETURNS CHAR(50) DETERMINISTIC RETURN \
                 CONCAT('Hello, ',s,'!');",
                "from(select count(*),concat((select (select (SELECT concat(user_name,0x7c,\
                 password) FROM ecs_admin_user desc limit",
                "FROM(select count(*),concat((select (select concat(session_id)) FROM \
                 jml_session LIMIT",
            ],
            &[
                "from (select items from the menu)",
                "from (select one)",
                "create function names carefully",
                "if(x=",
                "glob(*.txt)",
                "risk and likelihood (high)",
                "email ! important",
                "wow! all done",
            ],
        );
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
