//! The judge: decides from the tokens of one reading of a value (as-is, after a `'`, after
//! a `"`) whether they are an injection, with hand-written grammar-like rules.
//!
//! The families of rules:
//! - *break-out* rules look at how the value begins. An injection first completes the
//!   operand the application put it in (a number, a column, or a string it closes), then
//!   continues with something only SQL does: a boolean operator and a condition, a clause
//!   (`order by 3`, `having 1=1`), `;` and a new statement, or a comment that cuts the rest
//!   of the query off. The continuation is parsed with a small operand/operator state
//!   machine and must be syntactically plausible to the end (or to a comment or `;`), and
//!   carry SQL-only evidence (a comparison with a literal, a known SQL function, a
//!   sub-query, a system variable). Prose that merely contains "or" or "and" fails the
//!   grammar (`2 or 4 metal buttons`) or carries no evidence (`"foo" and "bar"`).
//! - *window* rules look anywhere in the value at a few adjacent tokens: `union [all]
//!   select <list>`, time-delay functions called with plausible arguments, functions and
//!   tables only an attacker wants (`load_file(`, `into outfile`, `xp_cmdshell`,
//!   `information_schema`), `) as x from`.
//! - *whole-value* rules: the value is one call of a SQL function ([`Judge::call_value`])
//!   or an expression with a PostgreSQL cast ([`Judge::cast_value`]).
//! - *literal marks* ([`Judge::literal_marks`]), anywhere in the tokens: a condition on
//!   two numbers in `case when`, `if(`, `iif(`, `elt(`, a string of character codes.

use super::tokenizer::{BLOCK, HASH, Kind, Token, strict_comment};

/// What the judge found; the caller turns it into rule reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Finding {
    Tautology,
    Union,
    Stacked,
    Truncation,
    TimeBased,
    Function,
    OrderBy,
    Subquery,
    /// A quoted string closed and continued with an operator, without strong evidence.
    Breakout,
    /// A dangerous table or variable name, alone.
    SchemaProbe,
    /// A call of a function that hardly exists outside SQL, alone.
    SqlFunction,
    /// The whole value is a call of a function only SQL has: `version()`, `db_name(1)`.
    CallValue,
    /// The whole value is a call of a function SQL has among others: `concat(`, `hex(1)`.
    GenericCallValue,
    /// SQL keywords glued to comments.
    CommentEvasion,
    /// A number glued to a call or a name the MySQL way (`1.e(ascii`, `1.e.tables`).
    NumberGlue,
    /// A PostgreSQL cast in an expression with a call or an operator.
    Cast,
    /// A PostgreSQL cast alone.
    CastAlone,
    /// `) as x from`: a select list's end.
    AliasFrom,
    /// The value is a SQL operator alone (`<=>`, `||`, `is null`, `in (0,1)`).
    OperatorValue,
    /// A one-word value closed by a quote and ended with `;` (`admin';`).
    Terminator,
}

/// Evidence collected while parsing an expression.
#[derive(Default, Clone, Copy, Debug)]
struct Ev {
    /// A comparison with at least one side not a plain column name (or `a = a`).
    cmp: bool,
    /// A call of a function SQL dialects define.
    func: bool,
    /// A call of a function that hardly exists outside SQL.
    sql_only: bool,
    sleep: bool,
    danger: bool,
    subquery: bool,
    sysvar: bool,
    /// A boolean operator inside the expression.
    logic: bool,
    operands: u32,
    /// Input: a comparison cut at the end of the value (`or 1=`) is accepted.
    allow_cut: bool,
    /// The expression ended in a comparison cut short.
    cut: bool,
    /// A PostgreSQL cast to a SQL type (`::int`).
    cast: bool,
    /// An arithmetic operator (not `::`).
    binop: bool,
    /// A call of any function.
    call: bool,
    /// A postfix null test (`notnull`, `isnull`).
    postfix: bool,
    /// A sub-query whose select list is SQL (`(select 1`, `(select @@version`).
    query: bool,
    /// A system value named without parentheses (`current_user`): evidence after a
    /// boolean operator, not in the operand (`current_user=admin` is a setting).
    system: bool,
}

/// How an expression ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum End {
    /// The tokens ran out (or a trailing comment took the rest).
    Eof,
    /// At token index: `;`, `union`, a clause, a closing parenthesis of the application's.
    At(usize),
    /// Not SQL.
    Invalid,
}

pub(crate) struct Judge<'a> {
    pub lower: &'a [u8],
    /// The significant tokens (comments folded into `pre`).
    pub toks: &'a [Token],
    /// For each token, the comment flag of a comment right before it (0: none).
    pub pre: &'a [u8],
    /// The flag of a comment after the last token (0: none).
    pub trail: u8,
    /// The reading: 0, `'` or `"`.
    pub quote: u8,
    /// More tokens followed than the buffer holds.
    pub truncated: bool,
}

fn is_sleep(w: &[u8]) -> bool {
    matches!(
        w,
        b"sleep" | b"pg_sleep" | b"benchmark" | b"randomblob" | b"sys.sleep"
    )
}

fn is_danger(w: &[u8]) -> bool {
    matches!(
        w,
        b"load_file"
            | b"extractvalue"
            | b"updatexml"
            | b"name_const"
            | b"xp_cmdshell"
            | b"sys_eval"
            | b"sys_exec"
            | b"utl_http"
            | b"utl_inaddr"
            | b"dbms_pipe"
            | b"dbms_lock"
            | b"dbms_xmlgen"
            | b"sp_oacreate"
            | b"sp_executesql"
            | b"sp_makewebtask"
            | b"xp_regread"
            | b"xp_dirtree"
            | b"openrowset"
            | b"opendatasource"
            | b"pg_read_file"
            | b"lo_import"
            | b"copy_to"
    )
}

/// Functions the SQL dialects define (evidence that an expression is SQL).
pub(crate) fn is_sql_func(w: &[u8]) -> bool {
    is_sleep(w)
        || is_danger(w)
        || matches!(
            w,
            b"version"
                | b"database"
                | b"user"
                | b"current_user"
                | b"system_user"
                | b"session_user"
                | b"schema"
                | b"ascii"
                | b"ord"
                | b"substring"
                | b"substr"
                | b"mid"
                | b"char"
                | b"chr"
                | b"nchar"
                | b"concat"
                | b"concat_ws"
                | b"group_concat"
                | b"length"
                | b"len"
                | b"char_length"
                | b"count"
                | b"if"
                | b"iif"
                | b"ifnull"
                | b"isnull"
                | b"nullif"
                | b"coalesce"
                | b"hex"
                | b"unhex"
                | b"md5"
                | b"sha1"
                | b"rand"
                | b"floor"
                | b"cast"
                | b"convert"
                | b"lower"
                | b"upper"
                | b"left"
                | b"right"
                | b"pi"
                | b"cos"
                | b"sin"
                | b"exp"
                | b"elt"
                | b"make_set"
                | b"lpad"
                | b"rpad"
                | b"reverse"
                | b"instr"
                | b"locate"
                | b"strcmp"
                | b"conv"
                | b"compress"
                | b"uncompress"
                | b"db_name"
                | b"host_name"
                | b"user_name"
                | b"suser_name"
                | b"suser_sname"
                | b"is_srvrolemember"
                | b"exists"
                | b"bin"
                | b"greatest"
                | b"least"
                | b"row"
                | b"current_database"
                | b"unicode"
                | b"ltrim"
                | b"rtrim"
                | b"trim"
                | b"soundex"
                | b"json_extract"
                | b"json_valid"
                | b"json"
                | b"mod"
                | b"div"
                | b"json_type"
                | b"json_keys"
                | b"json_contains"
                | b"json_build_object"
                | b"jsonb_pretty"
                | b"st_latfromgeohash"
                | b"gtid_subset"
                | b"to_char"
                | b"ctxsys"
                | b"regexp_substr"
                | b"bit_length"
                | b"octet_length"
                | b"sqlite_version"
                | b"zeroblob"
                | b"aes_encrypt"
                | b"aes_decrypt"
                | b"encode"
                | b"decode"
                | b"inet_server_addr"
                | b"min"
                | b"max"
                | b"avg"
                | b"sum"
                | b"any"
        )
}

/// More functions SQL dialects define, with names other languages share.
fn is_generic_sql_func(w: &[u8]) -> bool {
    matches!(
        w,
        b"abs"
            | b"date"
            | b"now"
            | b"round"
            | b"pow"
            | b"power"
            | b"log"
            | b"ln"
            | b"sqrt"
            | b"time"
            | b"year"
            | b"month"
            | b"day"
            | b"minute"
            | b"format"
            | b"replace"
            | b"insert"
            | b"values"
            | b"default"
            | b"compress"
            | b"xmltype"
            | b"tan"
            | b"atan"
            | b"ceil"
            | b"ceiling"
            | b"sign"
            | b"quarter"
            | b"week"
            | b"hour"
            | b"second"
            | b"password"
            | b"execute"
            | b"rtrim"
            | b"ltrim"
            | b"length"
    )
}

/// Functions that hardly exist outside SQL (`count(` or `max(` also name things in
/// monitoring expressions; these do not).
fn is_sql_only(w: &[u8]) -> bool {
    is_sleep(w)
        || is_danger(w)
        || matches!(
            w,
            b"version"
                | b"database"
                | b"current_user"
                | b"system_user"
                | b"session_user"
                | b"ascii"
                | b"substring"
                | b"substr"
                | b"mid"
                | b"concat_ws"
                | b"group_concat"
                | b"db_name"
                | b"user_name"
                | b"suser_name"
                | b"suser_sname"
                | b"is_srvrolemember"
                | b"current_database"
                | b"sqlite_version"
                | b"make_set"
                | b"elt"
        )
}

/// Functions whose call, as a whole value, is SQL whatever the arguments: names no
/// programming language or prose uses.
fn is_sql_call_name(w: &[u8]) -> bool {
    is_sleep(w)
        || is_danger(w)
        || matches!(
            w,
            b"current_user"
                | b"system_user"
                | b"session_user"
                | b"group_concat"
                | b"concat_ws"
                | b"db_name"
                | b"user_name"
                | b"suser_name"
                | b"suser_sname"
                | b"is_srvrolemember"
                | b"current_database"
                | b"sqlite_version"
                | b"make_set"
                | b"sysdate"
                | b"unhex"
                | b"xmltype"
                | b"schema_name"
                | b"ifnull"
                | b"pg_read_file"
                | b"lo_get"
                | b"json_extract"
                | b"found_rows"
                | b"last_insert_id"
                | b"connection_id"
                | b"row_count"
        )
}

/// Functions whose call, as a whole value with no argument (`version()`, `database(`),
/// asks the database about itself; with arguments they are ordinary words.
fn is_sql_probe_name(w: &[u8]) -> bool {
    matches!(
        w,
        b"version"
            | b"database"
            | b"user"
            | b"schema"
            | b"ascii"
            | b"substring"
            | b"substr"
            | b"mid"
            | b"ord"
            | b"char"
            | b"chr"
            | b"elt"
    )
}

/// System values SQL reads without parentheses (`1 and current_user=foo`).
fn is_system_value(w: &[u8]) -> bool {
    matches!(
        w,
        b"current_user"
            | b"session_user"
            | b"system_user"
            | b"current_date"
            | b"current_time"
            | b"current_timestamp"
            | b"utc_date"
            | b"utc_time"
    )
}

/// Type names a PostgreSQL cast (`::int`) names.
fn is_sql_type(w: &[u8]) -> bool {
    matches!(
        w,
        b"int"
            | b"int2"
            | b"int4"
            | b"int8"
            | b"integer"
            | b"bigint"
            | b"smallint"
            | b"numeric"
            | b"decimal"
            | b"text"
            | b"varchar"
            | b"json"
            | b"jsonb"
            | b"bool"
            | b"boolean"
            | b"bytea"
            | b"regclass"
            | b"oid"
            | b"float"
            | b"float8"
            | b"real"
            | b"double"
            | b"inet"
            | b"xml"
            | b"tsvector"
    )
}

/// Whether an operator is written with symbols (`=`, `||`), not a word (`like`, `and`).
fn symbolic(t: &Token, lower: &[u8]) -> bool {
    t.text(lower).iter().all(|b| !b.is_ascii_alphabetic())
}

/// Keywords that may be called like functions.
fn callable(t: &Token, lower: &[u8]) -> bool {
    match t.kind {
        Kind::Word => true,
        Kind::Kw => matches!(
            t.text(lower),
            b"if" | b"database" | b"binary" | b"values" | b"time"
        ),
        Kind::Stmt => matches!(t.text(lower), b"replace" | b"insert" | b"exec" | b"execute"),
        Kind::Clause => t.text(lower) == b"procedure",
        // `mod(1,2)`, `div(23,-2)`, SQLite's `glob(x, y)`.
        Kind::Arith => matches!(t.text(lower), b"mod" | b"div"),
        Kind::Cmp => t.text(lower) == b"glob",
        _ => false,
    }
}

impl Judge<'_> {
    fn tok(&self, i: usize) -> Option<&Token> {
        self.toks.get(i)
    }

    fn kind(&self, i: usize) -> Option<Kind> {
        self.toks.get(i).map(|t| t.kind)
    }

    fn text(&self, i: usize) -> &[u8] {
        self.toks.get(i).map_or(&[][..], |t| t.text(self.lower))
    }

    fn is(&self, i: usize, w: &[u8]) -> bool {
        self.text(i) == w
    }

    /// The comment right before token `i` (or after the last token when `i` is the end).
    fn comment_at(&self, i: usize) -> u8 {
        if i >= self.toks.len() {
            if self.truncated { 0 } else { self.trail }
        } else {
            self.pre.get(i).copied().unwrap_or(0)
        }
    }

    fn span(&self, from: usize, to: usize) -> std::ops::Range<usize> {
        let last = to.min(self.toks.len().saturating_sub(1));
        let start = self.toks.get(from).map_or(0, |t| t.start as usize);
        let end = self
            .toks
            .get(last)
            .map_or(self.lower.len(), |t| t.end as usize);
        start..end.max(start)
    }

    /// Parses an expression from token `i`; `want` says whether an operand is expected.
    fn expr(&self, i: usize, want: bool, ev: &mut Ev) -> (End, usize) {
        self.expr_in(i, want, false, ev)
    }

    /// [`Self::expr`]; with `prefix`, a comparison or boolean operator outside parentheses
    /// ends the expression (the operand an injection completes stops there).
    fn expr_in(&self, mut i: usize, mut want: bool, prefix: bool, ev: &mut Ev) -> (End, usize) {
        let mut depth: u32 = 0;
        let n = self.toks.len();
        // A comparison operator waits for its right operand.
        let mut after_cmp = false;
        loop {
            let Some(t) = self.tok(i) else {
                // Open parentheses at the end are the application's to close.
                let ok = !want || self.truncated;
                if !ok && ev.allow_cut && after_cmp {
                    ev.cut = true;
                    return (End::Eof, i);
                }
                return (if ok { End::Eof } else { End::Invalid }, i);
            };
            if !want {
                after_cmp = false;
            }
            let k = t.kind;
            if want {
                match k {
                    Kind::Num | Kind::Str | Kind::Literal => {
                        ev.operands += 1;
                        want = false;
                    }
                    Kind::Var => {
                        ev.operands += 1;
                        if self.text(i).starts_with(b"@@") {
                            ev.sysvar = true;
                        }
                        want = false;
                    }
                    _ if callable(t, self.lower) && self.kind(i + 1) == Some(Kind::LParen) => {
                        let name = self.text(i);
                        ev.call = true;
                        if is_sql_func(name) {
                            ev.func = true;
                        }
                        if is_sql_only(name) {
                            ev.sql_only = true;
                        }
                        if is_sleep(name) {
                            ev.sleep = true;
                        }
                        if is_danger(name) {
                            ev.danger = true;
                        }
                        ev.operands += 1;
                        depth += 1;
                        i += 2;
                        if self.kind(i) == Some(Kind::RParen) {
                            depth -= 1;
                            i += 1;
                            want = false;
                        }
                        continue;
                    }
                    Kind::Word => {
                        if is_danger(self.text(i)) {
                            ev.danger = true;
                        }
                        if is_system_value(self.text(i)) {
                            ev.system = true;
                        }
                        ev.operands += 1;
                        want = false;
                    }
                    Kind::LParen => depth += 1,
                    Kind::Unary => {}
                    Kind::Arith if matches!(self.text(i), b"-" | b"+" | b"~") => {}
                    Kind::Stmt
                        if self.is(i, b"select")
                            && i > 0
                            && self.kind(i - 1) == Some(Kind::LParen) =>
                    {
                        // A sub-query: skip to its closing parenthesis, noting functions.
                        ev.subquery = true;
                        ev.query |= self.select_list(i + 1);
                        ev.operands += 1;
                        let mut d: u32 = 1;
                        i += 1;
                        while let Some(u) = self.tok(i) {
                            match u.kind {
                                Kind::LParen => d += 1,
                                Kind::RParen => {
                                    d -= 1;
                                    if d == 0 {
                                        break;
                                    }
                                }
                                Kind::Word | Kind::Kw => {
                                    let w = self.text(i);
                                    let call = self.kind(i + 1) == Some(Kind::LParen);
                                    if is_sleep(w) && call {
                                        ev.sleep = true;
                                    }
                                    if call && is_sql_func(w) {
                                        ev.func = true;
                                    }
                                    if is_danger(w) {
                                        ev.danger = true;
                                    }
                                }
                                Kind::Var if self.text(i).starts_with(b"@@") => ev.sysvar = true,
                                _ => {}
                            }
                            i += 1;
                        }
                        if i >= n {
                            return (End::Eof, i);
                        }
                        // `i` is at the closing parenthesis: close the sub-query's `(`.
                        depth = depth.saturating_sub(1);
                        want = false;
                    }
                    Kind::Kw => match self.text(i) {
                        b"case" | b"when" | b"then" | b"else" | b"binary" | b"interval"
                        | b"distinct" | b"all" => {}
                        _ => return (End::Invalid, i),
                    },
                    Kind::RParen if i > 0 && self.kind(i - 1) == Some(Kind::LParen) => {
                        depth = depth.saturating_sub(1);
                        want = false;
                    }
                    _ => return (End::Invalid, i),
                }
            } else {
                match k {
                    Kind::Cmp | Kind::Logic if prefix && depth == 0 => return (End::At(i), i),
                    // `x notnull`, `x isnull`: a null test written after its operand.
                    Kind::Cmp | Kind::Word if matches!(self.text(i), b"notnull" | b"isnull") => {
                        ev.cmp = true;
                        ev.postfix = true;
                    }
                    Kind::Cmp => {
                        let left = self.tok(i.wrapping_sub(1));
                        let mut j = i + 1;
                        while matches!(self.kind(j), Some(Kind::Cmp | Kind::Unary)) {
                            j += 1;
                        }
                        // `similar to`
                        if self.is(j, b"to") && self.is(j - 1, b"similar") {
                            j += 1;
                        }
                        let right = self.tok(j);
                        let plain = |t: Option<&Token>| t.is_some_and(|t| t.kind == Kind::Word);
                        if !(plain(left) && plain(right))
                            || self.text(i.wrapping_sub(1)) == self.text(j)
                        {
                            ev.cmp = true;
                        }
                        after_cmp = true;
                        want = true;
                        i = j;
                        continue;
                    }
                    // PostgreSQL's regular-expression match `email ~ all(…)`, a negated
                    // quantified comparison `email ! all (select …)`.
                    Kind::Unary
                        if self.is(i, b"~")
                            || (self.is(i, b"!")
                                && matches!(self.text(i + 1), b"all" | b"any" | b"some")) =>
                    {
                        ev.cmp = true;
                        want = true;
                    }
                    Kind::Unary if self.is(i, b"not") => {
                        if self.kind(i + 1) != Some(Kind::Cmp) {
                            return (End::Invalid, i);
                        }
                    }
                    Kind::Logic => {
                        ev.logic = true;
                        want = true;
                    }
                    Kind::Arith if self.is(i, b"::") => {
                        // A PostgreSQL cast: `'…'::jsonb`, `x::int`.
                        if self.kind(i + 1) == Some(Kind::Word) && is_sql_type(self.text(i + 1)) {
                            ev.cast = true;
                        }
                        want = true;
                    }
                    Kind::Arith => {
                        ev.binop = true;
                        want = true;
                    }
                    Kind::Dot => want = true,
                    Kind::Comma if depth > 0 => want = true,
                    Kind::Comma => return (End::At(i), i),
                    Kind::RParen if depth > 0 => depth -= 1,
                    Kind::RParen | Kind::Semi | Kind::Union | Kind::Clause | Kind::Stmt => {
                        return (End::At(i), i);
                    }
                    Kind::Kw => match self.text(i) {
                        b"when" | b"then" | b"else" => want = true,
                        // `like x escape '!'`: a clause only SQL's `like` has.
                        b"escape" => {
                            ev.cmp = true;
                            want = true;
                        }
                        b"from" | b"for" | b"as" | b"using" if depth > 0 => want = true,
                        b"end" | b"asc" | b"desc" => {}
                        b"as" if self.kind(i + 1) == Some(Kind::Word) => i += 1,
                        b"collate" => {
                            i += 1;
                        }
                        _ => return (End::Invalid, i),
                    },
                    Kind::Word if self.is(i, b"sounds") => want = true,
                    // PostgreSQL's `array['a','b']`.
                    Kind::Word
                        if self.text(i).first() == Some(&b'[')
                            && self.is(i - 1, b"array")
                            && self.toks[i - 1].end == t.start => {}
                    _ => return (End::Invalid, i),
                }
            }
            i += 1;
        }
    }

    /// Whether a statement that starts at token `i` is plausibly complete SQL.
    fn statement(&self, i: usize) -> bool {
        let next = i + 1;
        match self.text(i) {
            b"select" => self.select_list(next),
            b"insert" | b"replace" => self.is(next, b"into"),
            b"update" => self.kind(next) == Some(Kind::Word) && self.is(next + 1, b"set"),
            b"delete" => {
                // MySQL's modifiers: `delete quick from t`.
                let mut from = next;
                while matches!(self.text(from), b"low_priority" | b"quick" | b"ignore") {
                    from += 1;
                }
                self.is(from, b"from") && self.kind(from + 1) == Some(Kind::Word)
            }
            // `;drop members --`: a name and the rest of the query commented out.
            b"drop"
                if self.kind(next) == Some(Kind::Word)
                    && next + 1 == self.toks.len()
                    && strict_comment(self.comment_at(next + 1))
                    && self.empty_trailing_comment() =>
            {
                true
            }
            b"drop" | b"create" | b"alter" | b"truncate" => {
                matches!(
                    self.text(next),
                    b"table"
                        | b"database"
                        | b"procedure"
                        | b"function"
                        | b"user"
                        | b"view"
                        | b"index"
                        | b"schema"
                        | b"login"
                        | b"trigger"
                ) && matches!(self.kind(next + 1), Some(Kind::Word | Kind::Str))
            }
            b"exec" | b"execute" => match self.kind(next) {
                Some(Kind::Var | Kind::LParen) => true,
                Some(Kind::Word) => {
                    let w = self.text(next);
                    w.starts_with(b"xp_") || w.starts_with(b"sp_") || w == b"master"
                }
                _ => false,
            },
            b"declare" => self.kind(next) == Some(Kind::Var),
            b"set" => self.kind(next) == Some(Kind::Var) && self.kind(next + 1) == Some(Kind::Cmp),
            b"waitfor" => {
                matches!(self.text(next), b"delay" | b"time")
                    && self.kind(next + 1) == Some(Kind::Str)
            }
            b"shutdown" => {
                next >= self.toks.len()
                    || matches!(self.text(next), b"with" | b"end")
                    || self.kind(next) == Some(Kind::Semi)
            }
            b"show" => matches!(self.text(next), b"tables" | b"databases" | b"grants"),
            b"load" => match self.text(next) {
                b"data" => true,
                // `load xml [local|low_priority|concurrent] infile`
                b"xml" => (next + 1..next + 3).any(|k| self.is(k, b"infile")),
                _ => false,
            },
            // A block or a database switch before the statement: `begin declare @x`,
            // `use master exec …` (`ok; use master` is advice).
            b"begin" => self.statement(next),
            b"use" => {
                let mut k = next + 1;
                if self.kind(k) == Some(Kind::Semi) {
                    k += 1;
                }
                self.kind(next) == Some(Kind::Word) && self.statement(k)
            }
            // A procedure called with variables: `call p(@version, @a)`.
            b"call" => {
                self.kind(next) == Some(Kind::Word)
                    && self.kind(next + 1) == Some(Kind::LParen)
                    && matches!(self.kind(next + 2), Some(Kind::Var | Kind::RParen))
            }
            // A condition that compares and a statement it guards: `if 1=1 drop table t`,
            // `while 1=1 shutdown`; MySQL's `do (1=1)`.
            b"if" | b"while" | b"do" => {
                let mut ev = Ev::default();
                let (end, _) = self.expr(next, true, &mut ev);
                ev.cmp
                    && match end {
                        End::At(k) => self.kind(k) == Some(Kind::Stmt) && self.statement(k),
                        End::Eof => self.is(i, b"do"),
                        End::Invalid => false,
                    }
            }
            _ => false,
        }
    }

    /// Whether a select list at `i` is code rather than prose: it starts with a literal, a
    /// variable, a parenthesis or a function call (not a column name, not `*`), and a
    /// `from` follows.
    fn strong_select(&self, mut i: usize) -> bool {
        while matches!(self.text(i), b"all" | b"distinct" | b"-") {
            i += 1;
        }
        let Some(t) = self.tok(i) else {
            return false;
        };
        let strong = match t.kind {
            Kind::Num | Kind::Str | Kind::Var | Kind::Literal | Kind::LParen => true,
            _ => callable(t, self.lower) && self.kind(i + 1) == Some(Kind::LParen),
        };
        (strong || self.sql_only_call(i)) && self.has_from(i)
    }

    /// Whether a call of a function only SQL has follows token `i` (`json_extract(`).
    fn sql_only_call(&self, i: usize) -> bool {
        (i..self.toks.len()).any(|k| {
            self.kind(k + 1) == Some(Kind::LParen)
                && self.kind(k) == Some(Kind::Word)
                && (is_sql_only(self.text(k)) || is_sql_call_name(self.text(k)))
        })
    }

    /// Whether a select list plausibly starts at `i`.
    fn select_list(&self, mut i: usize) -> bool {
        while matches!(self.text(i), b"all" | b"distinct" | b"top")
            || self.kind(i) == Some(Kind::LParen)
        {
            if self.is(i, b"top") {
                i += 1;
            }
            i += 1;
        }
        let Some(t) = self.tok(i) else {
            return false;
        };
        match t.kind {
            Kind::Num | Kind::Str | Kind::Var | Kind::Literal => true,
            Kind::Arith => matches!(self.text(i), b"*" | b"-"),
            Kind::Word | Kind::Kw if callable(t, self.lower) => match self.kind(i + 1) {
                None => self.comment_at(i + 1) != 0 || self.truncated,
                Some(
                    Kind::Comma | Kind::LParen | Kind::Dot | Kind::Arith | Kind::Cmp | Kind::Semi,
                ) => true,
                Some(Kind::Kw) => self.is(i + 1, b"from") || self.is(i + 1, b"as"),
                Some(Kind::Clause | Kind::Union) => true,
                _ => false,
            },
            Kind::Kw => self.is(i, b"case"),
            _ => false,
        }
    }

    /// A value that is, as a whole, one call of a SQL function (after an optional
    /// `select`): a number or column slot filled with an expression, `version()`,
    /// `db_name(0)`, `concat(0x71,user())`, or such a call cut short (`pg_sleep(`).
    pub(crate) fn call_value(&self, report: &mut impl FnMut(Finding, std::ops::Range<usize>)) {
        if self.quote != 0 || self.truncated {
            return;
        }
        let mut f = 0;
        if self.is(0, b"select") {
            f = 1;
            // `select(user(`
            if self.kind(1) == Some(Kind::LParen)
                && self.tok(2).is_some_and(|t| callable(t, self.lower))
            {
                f = 2;
            }
        }
        let Some(t) = self.tok(f) else { return };
        if !callable(t, self.lower) || self.kind(f + 1) != Some(Kind::LParen) {
            return;
        }
        let name = self.text(f);
        let n = self.toks.len();
        // Empty (`version()`) or cut right after the parenthesis (`database(`).
        let bare = f + 2 == n || (f + 3 == n && self.kind(f + 2) == Some(Kind::RParen));
        // The call must be the whole value: its parenthesis closes on the last token, or
        // never (cut short); `avg(x) > 0.9` is an expression, not a call.
        let mut depth = 0u32;
        let mut closed_at = None;
        for (k, t) in self.toks.iter().enumerate().skip(f + 1) {
            match t.kind {
                Kind::LParen => depth += 1,
                Kind::RParen => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        closed_at = Some(k);
                        break;
                    }
                }
                _ => {}
            }
        }
        let complete = bare
            || (closed_at.is_none_or(|k| k + 1 == n) && {
                let mut ev = Ev::default();
                let (end, _) = self.expr(f, true, &mut ev);
                end == End::Eof || closed_at.is_none()
            });
        if !complete {
            return;
        }
        let span = self.span(0, n);
        // After `select`, any SQL function: `select iif(1 > 1, 'a', 'b')`.
        if is_sql_call_name(name)
            || (bare && is_sql_probe_name(name))
            || (f > 0 && is_sql_func(name))
            || self.probes_inside(f + 2)
        {
            report(Finding::CallValue, span);
        } else if (bare
            || (self.tok(f + 1).is_some_and(|p| p.start == t.end)
                // `user(s)`, `item(s)`: a plural, not an argument.
                && !(n == f + 4 && self.kind(f + 2) == Some(Kind::Word))))
            && (is_sql_func(name) || is_sql_probe_name(name) || is_generic_sql_func(name))
        {
            // `Time (UTC)`, `Date (optional)`: labels, not calls.
            report(Finding::GenericCallValue, span);
        }
    }

    /// Whether the database is asked about itself from token `i` on: a system variable
    /// (`mid(@@hostname,1,1)`) or an empty call of a function that returns its version,
    /// name or user (`length(version())`, `charset(current_user())`), not a method
    /// (`platform.version()`).
    fn probes_inside(&self, i: usize) -> bool {
        (i..self.toks.len()).any(|k| match self.kind(k) {
            Some(Kind::Var) => self.text(k).starts_with(b"@@"),
            Some(Kind::Word) => {
                matches!(
                    self.text(k),
                    b"version"
                        | b"database"
                        | b"current_user"
                        | b"session_user"
                        | b"system_user"
                        | b"current_database"
                        | b"sqlite_version"
                        | b"db_name"
                        | b"user_name"
                ) && self.kind(k + 1) == Some(Kind::LParen)
                    && self.kind(k + 2) == Some(Kind::RParen)
                    && self.kind(k.wrapping_sub(1)) != Some(Kind::Dot)
            }
            _ => false,
        })
    }

    /// Conditions and strings no application sends: a comparison of two numbers as the
    /// condition of `case when`, `if(`, `iif(` or `elt(` (`case when (4831=4831)`,
    /// `iif(2510=9436,…)`: a blind or error-based probe), and a string spelled as a sum of
    /// three or more printable character codes (`char(113)+char(118)+char(112)`,
    /// `chr(58)||chr(58)||chr(58)`).
    pub(crate) fn literal_marks(&self, report: &mut impl FnMut(Finding, std::ops::Range<usize>)) {
        // Both open a parenthesis: `case when` comes in one (`(case when`), `char(` has one.
        if memchr::memchr(b'(', self.lower).is_none() {
            return;
        }
        for (k, t) in self.toks.iter().enumerate() {
            match t.kind {
                Kind::Num if self.literal_condition(k) => {
                    report(Finding::Tautology, self.span(k, k + 2));
                }
                Kind::Word
                    if (0..3).all(|c| self.char_code(k + 5 * c))
                        && [k + 4, k + 9]
                            .iter()
                            .all(|&j| matches!(self.text(j), b"+" | b"||")) =>
                {
                    report(Finding::Function, self.span(k, k + 13));
                }
                _ => {}
            }
        }
    }

    /// Whether the number at token `k` starts `N <cmp> N` as the condition of `case when`,
    /// `if(`, `iif(` or `elt(` (parentheses allowed around it).
    fn literal_condition(&self, k: usize) -> bool {
        let cmp = self.tok(k + 1).is_some_and(|t| {
            t.kind == Kind::Cmp
                && symbolic(t, self.lower)
                && matches!(
                    self.text(k + 1),
                    b"=" | b"<>" | b"!=" | b"<" | b">" | b"<=" | b">="
                )
        });
        // `if(2=` cut short.
        let cut = k + 2 == self.toks.len() && !self.truncated;
        if !cmp || !(cut || self.kind(k + 2) == Some(Kind::Num)) {
            return false;
        }
        let mut b = k;
        while b > 0 && self.kind(b - 1) == Some(Kind::LParen) {
            b -= 1;
        }
        let before = b.wrapping_sub(1);
        (self.is(before, b"when") && self.is(before.wrapping_sub(1), b"case"))
            || (b < k && matches!(self.text(before), b"if" | b"iif" | b"elt"))
    }

    /// Whether token `k` starts `char(N)` (or `chr(`, `nchar(`) of a printable character
    /// (`char(13)+char(10)` is a line break in SQL scripts).
    fn char_code(&self, k: usize) -> bool {
        let printable = || {
            std::str::from_utf8(self.text(k + 2))
                .ok()
                .and_then(|n| n.parse::<u32>().ok())
                .is_some_and(|c| (32..127).contains(&c))
        };
        self.kind(k + 1) == Some(Kind::LParen)
            && self.kind(k + 3) == Some(Kind::RParen)
            && matches!(self.text(k), b"char" | b"chr" | b"nchar")
            && printable()
    }

    /// A value that is, as a whole, a SQL operator: a symbolic one of two or more bytes
    /// (`<=>`, `||`, `!=`, `->`), `xor`, `regexp`, `rlike`; or a comparison with `null` or
    /// a list (`is not null`, `like null`, `in (0,1)`, `in ( select`).
    pub(crate) fn operator_value(&self, report: &mut impl FnMut(Finding, std::ops::Range<usize>)) {
        if self.quote != 0 || self.truncated {
            return;
        }
        let n = self.toks.len();
        let Some(first) = self.tok(0) else { return };
        let op = match first.kind {
            Kind::Logic | Kind::Cmp | Kind::Arith | Kind::Unary => {
                let w = first.text(self.lower);
                if symbolic(first, self.lower) {
                    w.len() >= 2 && w != b"::" && w != b":="
                } else {
                    matches!(w, b"xor" | b"regexp" | b"rlike")
                }
            }
            _ => false,
        };
        let mut i = 0;
        if self.is(i, b"not") {
            i += 1;
        }
        let null_test = matches!(self.text(i), b"is" | b"like" | b"regexp" | b"rlike") && {
            let mut j = i + 1;
            if self.is(j, b"not") {
                j += 1;
            }
            self.is(j, b"null") && j + 1 == n
        };
        let list = self.is(i, b"in") && self.kind(i + 1) == Some(Kind::LParen) && {
            let mut j = i + 2;
            if self.is(j, b"select") {
                // `in ( select * from`, `in (select id from t where …)`: a whole sub-query.
                if self.coded_select(j) {
                    report(Finding::Subquery, self.span(0, n));
                    return;
                }
                true
            } else {
                let mut items = 0;
                // `in (` cut short.
                if j == n {
                    items = 1;
                }
                while let Some(t) = self.tok(j) {
                    match t.kind {
                        Kind::Num | Kind::Str | Kind::Literal => items += 1,
                        Kind::Comma => {}
                        Kind::Arith if matches!(t.text(self.lower), b"-" | b"+") => {}
                        Kind::RParen if j + 1 == n => break,
                        _ => return,
                    }
                    j += 1;
                }
                items > 0
            }
        };
        if (op && n == 1) || null_test || list {
            report(Finding::OperatorValue, self.span(0, n));
        }
    }

    /// A value that is, as a whole, an expression with a PostgreSQL cast (`x::int`): with a
    /// function call or an operator besides (`unistr(password)::int`,
    /// `'[1,2]'::jsonb || '3'::jsonb`), or alone (`password::int`, paranoia 2).
    pub(crate) fn cast_value(&self, report: &mut impl FnMut(Finding, std::ops::Range<usize>)) {
        if self.quote != 0 || self.truncated || !self.toks.iter().any(|t| t.kind == Kind::Arith) {
            return;
        }
        let mut ev = Ev::default();
        let (end, _) = self.expr(0, true, &mut ev);
        if end != End::Eof || !ev.cast {
            return;
        }
        let span = self.span(0, self.toks.len());
        if ev.call || ev.cmp || ev.logic || ev.binop || ev.sysvar || ev.subquery {
            report(Finding::Cast, span);
        } else {
            report(Finding::CastAlone, span);
        }
    }

    /// The break-out rules; `report` receives each finding and the span it covers.
    pub(crate) fn breakout(&self, report: &mut impl FnMut(Finding, std::ops::Range<usize>)) {
        let n = self.toks.len();
        if n == 0 {
            return;
        }
        let mut i = 0;
        let mut prefix_ok = true;
        // The operand holds a comparison already or is a list (`a=1 and b=2` is a filter,
        // `paris, france and zip=75001` prose, not a break-out).
        let mut prefix_cmp = false;
        if self.quote != 0 {
            let t = self.toks[0];
            if t.kind != Kind::Str || !t.closed() {
                return;
            }
            i = 1;
        } else {
            // `(select …)` in place of a number.
            if self.kind(0) == Some(Kind::LParen) && self.is(1, b"select") && self.select_list(2) {
                let mut ev = Ev::default();
                let (end, _) = self.expr(0, true, &mut ev);
                if end != End::Invalid && (ev.func || ev.danger || ev.sysvar || self.has_from(2)) {
                    report(self.finding(&ev, Finding::Subquery), self.span(0, n));
                }
            }
            // An operand the injection completes: unary* operand (arith operand)*.
            let mut ev = Ev::default();
            let (mut end, mut j) = self.expr_in(0, true, true, &mut ev);
            // `1=(select @@version)`, `1=1) and …`: a comparison in the operand itself;
            // `17,23 order by 16`: a list of operands (an `in (…)` or `order by` list).
            let mut list = false;
            while let End::At(k) = end {
                match self.kind(k) {
                    Some(Kind::Cmp) => ev.cmp = true,
                    Some(Kind::Comma) => list = true,
                    _ => break,
                }
                let mut m = k + 1;
                while matches!(self.kind(m), Some(Kind::Cmp | Kind::Unary)) {
                    m += 1;
                }
                (end, j) = self.expr_in(m, true, true, &mut ev);
            }
            prefix_cmp = ev.cmp || list;
            if ev.cmp && (ev.subquery || ev.sysvar || ev.sql_only) && end != End::Invalid {
                report(self.finding(&ev, Finding::Tautology), self.span(0, j));
            }
            match end {
                End::At(j) => i = j,
                End::Eof => {
                    self.whole_expression(&ev, report);
                    return;
                }
                End::Invalid if j == 0 && self.kind(0) == Some(Kind::Stmt) => {
                    // A whole statement closed by a comment: `select 1,2 from t --`.
                    let c = self.comment_at(n);
                    // `drop sampletable;--`, `select 0x616263`.
                    let drop = self.is(0, b"drop")
                        && self.kind(1) == Some(Kind::Word)
                        && (n == 2 || (n == 3 && self.kind(2) == Some(Kind::Semi)));
                    let hex = self.is(0, b"select")
                        && n == 2
                        && self.kind(1) == Some(Kind::Num)
                        && self.text(1).starts_with(b"0x");
                    // ``alter table `t` …``, `declare @b`, `exec sp_add_job …`: a whole
                    // statement with code marks (back-ticked names, a T-SQL variable, a
                    // system procedure).
                    let ticks = self
                        .toks
                        .iter()
                        .any(|t| t.kind == Kind::Word && t.text(self.lower).first() == Some(&b'`'));
                    let system = matches!(self.text(0), b"exec" | b"execute")
                        && (self.text(1).starts_with(b"sp_") || self.text(1).starts_with(b"xp_"));
                    let code = ticks || system || self.routine() || self.is(0, b"declare");
                    let select = self.is(0, b"select");
                    if hex
                        || (code && self.statement(0) && (!select || (ticks && self.has_from(1))))
                        || ((self.statement(0) || drop) && strict_comment(c))
                        || (self.is(0, b"select") && self.statement(0) && self.strong_select(1))
                    {
                        report(Finding::Stacked, self.span(0, n));
                    }
                    return;
                }
                End::Invalid => {
                    if self.query_after(j) {
                        report(Finding::Subquery, self.span(0, n));
                    }
                    // Nothing before the break-out (`or 1=1`, `;drop …`) or not SQL at all.
                    if j != 0 {
                        return;
                    }
                    prefix_ok = false;
                }
            }
            let _ = ev;
        }
        let start = i;
        while self.kind(i) == Some(Kind::RParen) {
            i += 1;
        }
        // Comment truncation: `admin'--`, `admin')#`, `admin';--`.
        if self.quote != 0 {
            let mut k = i;
            // `user'collate nocase--`: a collation between the break-out and the comment.
            if self.is(k, b"collate") {
                let mut m = k + 1;
                if self.is(m, b"u") && self.is(m + 1, b"&") {
                    m += 2;
                }
                if matches!(self.kind(m), Some(Kind::Word | Kind::Str)) {
                    k = m + 1;
                }
            }
            let mut c = self.comment_at(k);
            if c == 0 && self.kind(k) == Some(Kind::Semi) {
                c = self.comment_at(k + 1);
                k += 1;
            }
            if strict_comment(c) && (k >= n || c != BLOCK) && self.truncation_prefix(c) {
                report(Finding::Truncation, self.span(0, k));
                return;
            }
        }
        // `admin';`, `x'/* c */;`: the value closed and the statement ended.
        if self.quote != 0
            && self.kind(i) == Some(Kind::Semi)
            && i + 1 == n
            && self.comment_at(n) == 0
            && self.toks[0].end > 1
            && self.truncation_prefix(0)
            && self.word_body()
        {
            report(Finding::Terminator, self.span(0, n));
        }
        let Some(b) = self.tok(i) else { return };
        match b.kind {
            Kind::Logic => {
                // A probe cut after its comparison (`' or 1=`, `and id = "`) only counts
                // where the break-out itself is clear: after a one-word quoted value, at the
                // very start of the value, or after a number or a parenthesis.
                let cut_ok = !prefix_cmp
                    && if self.quote != 0 {
                        self.truncation_prefix(0)
                    } else {
                        i == 0 || matches!(self.kind(0), Some(Kind::Num | Kind::RParen))
                    };
                let mut ev = Ev {
                    allow_cut: cut_ok,
                    ..Ev::default()
                };
                let (end, j) = self.expr(i + 1, true, &mut ev);
                if end == End::Invalid {
                    if self.condition_before_noise(&ev, i, j) {
                        report(self.finding(&ev, Finding::Tautology), self.span(start, j));
                    }
                    return;
                }
                if ev.operands == 0 {
                    return;
                }
                let strong = if prefix_cmp {
                    ev.sql_only || ev.subquery || ev.sysvar
                } else {
                    ev.cmp
                        || ev.func
                        || ev.subquery
                        || ev.sysvar
                        || ev.system
                        || ev.sleep
                        || ev.danger
                        || (end == End::Eof
                            && ev.operands == 1
                            && self.kind(0) != Some(Kind::Word)
                            && self.hint_before(i + 1))
                };
                if strong {
                    report(self.finding(&ev, Finding::Tautology), self.span(start, j));
                } else if end == End::Eof
                    && !prefix_cmp
                    && strict_comment(self.comment_at(j))
                    && (self.quote != 0 || self.kind(0) != Some(Kind::Word))
                {
                    // `' or 1--`, `' or true#`.
                    report(Finding::Tautology, self.span(start, j));
                } else if self.quote != 0
                    && j == i + 2
                    && matches!(self.text(i + 1), b"true" | b"false")
                    && (end == End::Eof || self.kind(j) == Some(Kind::Semi))
                    && self.truncation_prefix(0)
                {
                    // `' or true; …`, `'||true`: a one-word value, or-ed with true.
                    report(Finding::Tautology, self.span(start, j));
                } else if self.quote != 0
                    && (self.balanced(end, b)
                        || self.glued_operator(end, i)
                        || self.opening_probe(i)
                        || self.operators_close(end))
                {
                    // `x'||'y`: the application's closing quote completes the last string.
                    // `' or 1`: the value opens with the break-out.
                    report(Finding::Tautology, self.span(start, j));
                } else if self.quote != 0 && self.truncation_prefix(0) {
                    report(Finding::Breakout, self.span(start, j));
                }
                if let End::At(k) = end {
                    self.after(k, report);
                }
            }
            Kind::Cmp | Kind::Arith | Kind::Unary
                if self.quote != 0
                    && (b.kind != Kind::Unary
                        || (self.is(i, b"not") && self.kind(i + 1) == Some(Kind::Cmp))) =>
            {
                let mut ev = Ev::default();
                let (end, j) = self.expr(i, false, &mut ev);
                if end == End::Invalid {
                    return;
                }
                if ev.sleep || ev.danger || ev.subquery || ev.func || ev.sysvar {
                    report(self.finding(&ev, Finding::Tautology), self.span(start, j));
                } else if self.balanced(end, b)
                    || self.glued_operator(end, i)
                    || ((ev.cmp || ev.logic) && self.closes_quote(end) && symbolic(b, self.lower))
                    || ((ev.cmp || ev.logic || ev.binop) && self.operators_close(end))
                {
                    // `a' >= 'b`, `x'|'y`: strings joined by an operator, quotes balanced.
                    report(Finding::Tautology, self.span(start, j));
                } else if end == End::Eof
                    && !self.truncated
                    && (ev.operands > 0 || ev.postfix)
                    && strict_comment(self.comment_at(j))
                    && self.truncation_prefix(0)
                {
                    // `x'|email--`, `id' not like id--`: a one-word value closed, an
                    // operator and an operand, and the rest of the query commented out.
                    report(Finding::Tautology, self.span(start, j));
                } else if ev.cmp
                    && self.truncation_prefix(0)
                    && end == End::At(self.toks.len() - 1)
                    && self.kind(self.toks.len() - 1) == Some(Kind::Semi)
                {
                    // `'glob 1;`: a one-word value closed, a comparison, the statement ended.
                    report(Finding::Tautology, self.span(start, j));
                } else if ev.cmp && self.truncation_prefix(0) {
                    report(Finding::Breakout, self.span(start, j));
                }
                if let End::At(k) = end {
                    self.after(k, report);
                }
            }
            Kind::Semi | Kind::Clause => self.after(i, report),
            // `-1 union select` cut short, `1 union 1,2,3`: the window rule wants a list.
            // A word is no operand to break out of (`reunion union`); a call is (`any(…)`).
            Kind::Union
                if prefix_ok
                    && i > 0
                    && (self.kind(0) != Some(Kind::Word) || self.kind(1) == Some(Kind::LParen)) =>
            {
                self.union_tail(i, report);
            }
            Kind::Stmt
                if prefix_ok
                    && ((self.quote != 0 && self.truncation_prefix(0))
                        || (self.quote == 0
                            && i > 0
                            && self.kind(0) != Some(Kind::Word)
                            && !self.names_only(i)))
                    && self.statement(i) =>
            {
                report(Finding::Stacked, self.span(i, n));
            }
            _ => {}
        }
    }

    /// A value that is one expression (as-is): closed by a comment, with SQL in it
    /// (`(1 or @a) --`) or with nothing in the comment and only literals, variables and
    /// operators in it (`1--`, `( 'a' ) --`, `@version /*`); or holding a sub-query whose
    /// select list is SQL, with a SQL function or a system variable (`1 - any(select 1,2)`,
    /// `length((select length(version())))`).
    fn whole_expression(&self, ev: &Ev, report: &mut impl FnMut(Finding, std::ops::Range<usize>)) {
        let n = self.toks.len();
        let span = self.span(0, n);
        if strict_comment(self.comment_at(n)) {
            if ev.cmp || ev.func || ev.subquery || ev.sysvar || ev.logic {
                report(self.finding(ev, Finding::Tautology), span);
                return;
            }
            // Literals and operators only: `1611-iioxx--` is an id, `1,1--` a list.
            let literal = |t: &Token| matches!(t.kind, Kind::Num | Kind::Str | Kind::Var);
            let code = |t: &Token| !matches!(t.kind, Kind::Word | Kind::Comma);
            if self.empty_trailing_comment()
                && self.toks.iter().any(literal)
                && self.toks.iter().all(code)
            {
                report(Finding::Truncation, span);
                return;
            }
        }
        if ev.query && (ev.func || ev.sysvar || ev.danger) {
            report(self.finding(ev, Finding::Subquery), span);
        }
    }

    /// Whether the value ends in comments with nothing in them (`--`, `-- -`, `/*`, `#`),
    /// a `/*` or `#` set off by a space after a number (`2024/*` is a glob, `5#` a weight).
    fn empty_trailing_comment(&self) -> bool {
        let Some(last) = self.toks.last() else {
            return false;
        };
        let tail = self.lower.get(last.end as usize..).unwrap_or_default();
        // A `/*` or `#` glued to a number.
        let glob = last.kind == Kind::Num && matches!(tail.first(), Some(b'/' | b'#'));
        !(self.truncated || glob || tail.iter().any(u8::is_ascii_alphanumeric))
    }

    /// Whether an optimizer hint (`/*+ … */`) comes right before token `i`: `or /*+ x */ true`.
    fn hint_before(&self, i: usize) -> bool {
        if self.comment_at(i) != BLOCK || i == 0 {
            return false;
        }
        let (Some(a), Some(b)) = (self.tok(i - 1), self.tok(i)) else {
            return false;
        };
        self.lower
            .get(a.end as usize..b.start as usize)
            .and_then(|gap| gap.trim_ascii_start().strip_prefix(b"/*"))
            .is_some_and(|c| c.trim_ascii_start().starts_with(b"+"))
    }

    /// Whether an expression that ended at `end` leaves the quotes balanced: it ran to the
    /// end of the value and its last token is a string the application's quote closes.
    ///
    /// Only the tight form `a' <op> 'b` counts: one operator between two one-word strings,
    /// each word touching its quote: `small "&" sign` quotes a lone operator between words,
    /// it closes nothing. A symbolic operator needs one word (`"*"` is a search for a star);
    /// a word operator (`a' and 'b`, `a' not like 'b`, MySQL's implicit string operators),
    /// set off by spaces (`"mod"` quotes a word), and `+`, `-` need both, and `+`, `-` a
    /// letter in them (`5' - '6` is a height).
    fn balanced(&self, end: End, op: &Token) -> bool {
        let [first, mid @ .., last] = self.toks else {
            return false;
        };
        let word = |t: &Token, cut: usize| {
            let raw = self
                .lower
                .get(t.start as usize..(t.end as usize).saturating_sub(cut))
                .unwrap_or_default();
            let body = raw.trim_ascii();
            // The space must be inside the quotes (`a' = 'b`), not between a word and its
            // quote (`a '=' b`).
            let loose = if cut == 1 {
                raw.last().is_some_and(u8::is_ascii_whitespace) && !body.is_empty()
            } else {
                raw.first().is_some_and(u8::is_ascii_whitespace) && !body.is_empty()
            };
            (!loose && !body.iter().any(|b| b.is_ascii_whitespace()) && !body.contains(&self.quote))
                .then_some(body)
        };
        let (Some(a), Some(b)) = (word(first, 1), word(last, 0)) else {
            return false;
        };
        let words = !a.is_empty() && !b.is_empty();
        let letters = || [a, b].iter().any(|w| w.iter().any(u8::is_ascii_alphabetic));
        let operator = match mid {
            [m] if m == op && symbolic(op, self.lower) => match op.text(self.lower) {
                b"+" | b"-" => words && letters(),
                _ => !a.is_empty() || !b.is_empty(),
            },
            [m] => m == op && words && self.spaced(first, m, last),
            // `not like`, `sounds like`
            [m, second] => {
                m == op && second.kind == Kind::Cmp && words && self.spaced(first, m, last)
            }
            _ => false,
        };
        operator
            && end == End::Eof
            && !self.truncated
            && last.kind == Kind::Str
            && !last.closed()
            && last.flag == self.quote
    }

    /// Whether spaces set the quotes of `first` and `last` apart from the operator that
    /// starts at `op` (`a' and 'b`; `"mod"` quotes a word).
    fn spaced(&self, first: &Token, op: &Token, last: &Token) -> bool {
        first.end < op.start
            && self
                .toks
                .get(self.toks.len() - 2)
                .is_some_and(|t| t.end + 1 < last.start)
    }

    /// `' or 1`, `' xor abc!`: the value opens with the quote that breaks out, a boolean
    /// operator at once, and one operand with nothing but symbols after it (no string to
    /// close, no word of a sentence); a word needs them (`' or so` ends a phrase).
    fn opening_probe(&self, i: usize) -> bool {
        let operand = match self.kind(2) {
            Some(Kind::Num | Kind::Var) => true,
            Some(Kind::Word) => self.toks.len() > 3,
            _ => false,
        };
        self.quote != 0
            && i == 1
            && self.toks[0].end == 1
            && operand
            && self.toks.get(3..).is_some_and(|rest| {
                rest.iter().all(|t| {
                    matches!(
                        t.kind,
                        Kind::Unary | Kind::Arith | Kind::Other | Kind::Comma | Kind::Num
                    )
                })
            })
    }

    /// `a'or'b`, `x'like'0`, `1"or!"a`: a word operator glued to the quote that closes the
    /// value and, through signs glued to it, to the quote of a one-word string the
    /// application's closing quote completes (prose puts spaces around its words: `your
    /// parents' or yours`).
    fn glued_operator(&self, end: End, i: usize) -> bool {
        let (Some(first), Some(op), Some(last)) = (self.tok(0), self.tok(i), self.toks.last())
        else {
            return false;
        };
        let sign =
            |t: &Token| matches!(t.kind, Kind::Unary | Kind::Arith) && symbolic(t, self.lower);
        // The signs between the operator and the last string, each touching the one before.
        let mut at = op.end;
        for t in self
            .toks
            .get(i + 1..self.toks.len() - 1)
            .unwrap_or_default()
        {
            if t.start != at || !sign(t) {
                return false;
            }
            at = t.end;
        }
        let body = last.text(self.lower);
        i == 1
            && !symbolic(op, self.lower)
            && first.end == op.start
            && self.lower.get(at as usize) == Some(&self.quote)
            && last.start == at + 1
            && self.closes_quote(end)
            && self.truncation_prefix(0)
            && !body.is_empty()
            && body.iter().all(u8::is_ascii_alphanumeric)
    }

    /// `asd' or column^'-1`, `2' between 1 and 3 or 0x61 like 'a`: a one-word value
    /// closed, an expression with an operand inside and a symbolic operator (not `+`) or
    /// two word operators, and a last string the application's closing quote completes.
    fn operators_close(&self, end: End) -> bool {
        let ops = || {
            self.toks
                .iter()
                .filter(|t| matches!(t.kind, Kind::Logic | Kind::Cmp | Kind::Arith))
        };
        // Strings are words: the one the application's quote completes (`"-f -" will work`
        // quotes an option in a sentence) and those inside (`'+' and '/' prefixes` quotes
        // two signs, and its reading sees ` and ` as a string).
        let spaced = |t: &Token| {
            t.kind == Kind::Str
                && t.text(self.lower)
                    .trim_ascii()
                    .iter()
                    .any(u8::is_ascii_whitespace)
        };
        // `+` may be a space no decoder turned back (`36"+x+48+"+frame`, inches).
        let sign = |t: &Token| symbolic(t, self.lower) && t.text(self.lower) != b"+";
        let words = ops().filter(|t| !symbolic(t, self.lower)).count();
        self.toks.len() >= 4
            && (words >= 2 || ops().any(sign))
            && self.closes_quote(end)
            && self.truncation_prefix(0)
            && !self.toks.get(1..).is_some_and(|ts| ts.iter().any(spaced))
    }

    /// Whether the expression ran to the end and its last token is a string the
    /// application's closing quote completes.
    fn closes_quote(&self, end: End) -> bool {
        end == End::Eof
            && !self.truncated
            && self
                .toks
                .last()
                .is_some_and(|t| t.kind == Kind::Str && !t.closed() && t.flag == self.quote)
    }

    /// Whether a query that reads as code starts at `i`: `select` and a list that opens
    /// with `*`, a number, a variable or a call, or a `where` later, and `from`
    /// (`select * from`, `select count(*),concat(… from`, `select id from t where …`; not
    /// `select items from the list`).
    fn coded_select(&self, i: usize) -> bool {
        let list = i + 1;
        let marks = matches!(self.kind(list), Some(Kind::Num | Kind::Var))
            || self.is(list, b"*")
            || self.tok(list).is_some_and(|t| callable(t, self.lower))
                && self.kind(list + 1) == Some(Kind::LParen)
            || self.has_keyword(list, b"where");
        self.is(i, b"select") && marks && self.has_from(list)
    }

    /// Whether the value defines a routine: `create function f (…) returns …`.
    fn routine(&self) -> bool {
        self.is(0, b"create")
            && matches!(self.text(1), b"function" | b"procedure")
            && self.kind(2) == Some(Kind::Word)
            && self.kind(3) == Some(Kind::LParen)
            && self.toks.iter().any(|t| t.text(self.lower) == b"returns")
    }

    /// Whether a query follows the operand that ends at token `j` where it cannot be SQL
    /// otherwise: behind a comment (`-1 #x\n(select id from users)`), or as the derived
    /// table a value opens with (`from(select count(*),concat(…`, the rest cut).
    fn query_after(&self, j: usize) -> bool {
        let derived = j == 0
            && self.is(0, b"from")
            && self.kind(1) == Some(Kind::LParen)
            && self.coded_select(2);
        derived || (self.comment_at(j) != 0 && self.full_select(j))
    }

    /// Whether the boolean operator at `i` starts a condition of SQL that noise at `j`
    /// trails: a probe of the database itself (`1 and substring(@@version,1,1)9=5//true`,
    /// `-1 or 1=(select system_user)kdoru`; prose has no such condition), a query as the
    /// condition cut by a comment (`1 and select top 10 name from users -- 1`), or the
    /// value opening with the break-out (`' or abc!`).
    fn condition_before_noise(&self, ev: &Ev, i: usize, j: usize) -> bool {
        let query = j == i + 1
            && strict_comment(self.comment_at(self.toks.len()))
            && self.statement(j)
            && self.has_from(j);
        (ev.cmp && ev.sql_only)
            || ev.sysvar
            || ev.system
            || ev.subquery
            || query
            || self.opening_probe(i)
    }

    /// Whether a parenthesised query with a select list and `from` starts at `i`.
    fn full_select(&self, i: usize) -> bool {
        self.kind(i) == Some(Kind::LParen)
            && self.is(i + 1, b"select")
            && self.select_list(i + 2)
            && self.has_from(i + 2)
    }

    fn has_from(&self, i: usize) -> bool {
        self.has_keyword(i, b"from")
    }

    /// Whether the statement at `i` is a `select` whose list starts with a column's name and
    /// holds only names, numbers and arithmetic, without `from` (`456 Select Ave, Boston`,
    /// an address): T-SQL runs it after a number with no `;` between, but it names a column
    /// of no table and fails.
    fn names_only(&self, i: usize) -> bool {
        let list = self.toks.get(i + 1..).unwrap_or_default();
        let column = list.first().is_some_and(|t| {
            let w = t.text(self.lower);
            t.kind == Kind::Word && w != b"user" && !is_system_value(w)
        });
        self.is(i, b"select")
            && !self.truncated
            && column
            && list
                .iter()
                .all(|t| matches!(t.kind, Kind::Word | Kind::Num | Kind::Arith | Kind::Comma))
    }

    /// Whether the keyword `w` comes at token `i` or after.
    fn has_keyword(&self, i: usize, w: &[u8]) -> bool {
        self.toks.get(i..).is_some_and(|ts| {
            ts.iter()
                .any(|t| t.kind == Kind::Kw && t.text(self.lower) == w)
        })
    }

    /// The strongest finding the evidence supports.
    fn finding(&self, ev: &Ev, default: Finding) -> Finding {
        if ev.sleep {
            Finding::TimeBased
        } else if ev.danger {
            Finding::Function
        } else {
            default
        }
    }

    /// Whether the closed string before a comment looks like a value an application quotes
    /// (one word: a user name, an id), not a sentence that happens to hold a quote.
    fn truncation_prefix(&self, comment: u8) -> bool {
        let t = self.toks[0];
        // Spaces before the value are a form's padding (` aa'^0…`).
        let body = self
            .lower
            .get(t.start as usize..(t.end as usize).saturating_sub(1))
            .unwrap_or_default()
            .trim_ascii_start();
        if body.len() > 64 || body.iter().any(|&b| b.is_ascii_whitespace()) {
            return false;
        }
        comment != HASH || !body.is_empty() || self.toks.len() == 1
    }

    /// Whether the closed string's body has a letter and no other quote (`admin@x.io`,
    /// not the height `5'10`).
    fn word_body(&self) -> bool {
        let t = self.toks[0];
        let body = self
            .lower
            .get(t.start as usize..(t.end as usize).saturating_sub(1))
            .unwrap_or_default();
        body.iter().any(u8::is_ascii_alphabetic)
            && !body.iter().any(|b| matches!(b, b'\'' | b'"' | b'`'))
    }

    /// `union` after a break-out, when the window rule cannot see a select list: cut short
    /// (`-1 union`, `1 union select`), a list without `select` (`1 union 1,2,3`), a
    /// parenthesised select (`union(select table)`), or a select list that calls SQL-only
    /// functions past noise (`union select antidef 1,2,version()`).
    fn union_tail(&self, i: usize, report: &mut impl FnMut(Finding, std::ops::Range<usize>)) {
        let n = self.toks.len();
        let mut j = i + 1;
        if matches!(self.text(j), b"all" | b"distinct") {
            j += 1;
        }
        let next = self.kind(j);
        let select = self.is(j, b"select");
        if (next.is_none() && !self.truncated)
            || (select && j + 1 >= n && !self.truncated)
            || (select && self.sql_only_call(j + 1))
            || (next == Some(Kind::Num) && self.kind(j + 1) == Some(Kind::Comma))
            || (next == Some(Kind::LParen) && self.is(j + 1, b"select"))
        {
            report(Finding::Union, self.span(i, n));
        }
    }

    /// What follows a condition or the break-out: `;` and a statement, a clause, `union`.
    fn after(&self, i: usize, report: &mut impl FnMut(Finding, std::ops::Range<usize>)) {
        let n = self.toks.len();
        match self.kind(i) {
            Some(Kind::Union) => self.union_tail(i, report),
            Some(Kind::Semi) => {
                let mut j = i + 1;
                while self.kind(j) == Some(Kind::Semi) {
                    j += 1;
                }
                // `';select p`: a quote, `;` and a select list cut short.
                let cut_select = self.quote != 0
                    && i == 1
                    && self.toks[0].end == 1
                    && self.is(j, b"select")
                    && self.kind(j + 1) == Some(Kind::Word)
                    && j + 2 == n
                    && !self.truncated;
                if cut_select || self.statement(j) {
                    report(Finding::Stacked, self.span(i, n));
                }
            }
            Some(Kind::Clause) => match self.text(i) {
                b"order" | b"group" if self.is(i + 1, b"by") => {
                    let mut j = i + 2;
                    let mut num = false;
                    let mut ev = Ev::default();
                    loop {
                        num |= self.kind(j) == Some(Kind::Num);
                        let (end, k) = self.expr(j, true, &mut ev);
                        j = k;
                        match end {
                            End::Invalid => return,
                            End::At(k) if self.kind(k) == Some(Kind::Comma) => j = k + 1,
                            _ => break,
                        }
                    }
                    let end = j >= n && !self.truncated;
                    let commented = self.comment_at(j) != 0;
                    let clause =
                        matches!(self.kind(j), Some(Kind::Clause | Kind::Union | Kind::Semi));
                    if (num && (end || commented)) || (commented && end) || clause || ev.func {
                        report(self.finding(&ev, Finding::OrderBy), self.span(i, j));
                    }
                    if clause {
                        self.after(j, report);
                    }
                }
                b"having" => {
                    // `having 1=` cut short.
                    let mut ev = Ev {
                        allow_cut: true,
                        ..Ev::default()
                    };
                    let (end, j) = self.expr(i + 1, true, &mut ev);
                    if end != End::Invalid && (ev.cmp || ev.func) {
                        report(self.finding(&ev, Finding::Tautology), self.span(i, j));
                    }
                }
                b"procedure" if self.is(i + 1, b"analyse") => {
                    report(Finding::Function, self.span(i, i + 1));
                }
                b"limit" if self.kind(i + 1) == Some(Kind::Num) => {
                    let mut j = i + 2;
                    if self.kind(j) == Some(Kind::Comma) && self.kind(j + 1) == Some(Kind::Num) {
                        j += 2;
                    }
                    if (j >= n && self.comment_at(j) != 0) || self.kind(j) == Some(Kind::Clause) {
                        report(Finding::OrderBy, self.span(i, j));
                        self.after(j, report);
                    }
                }
                _ => {}
            },
            _ => {}
        }
    }
}

/// The window rules, fed one significant token at a time with the few before it.
#[derive(Default)]
pub(crate) struct Window {
    /// The last significant tokens, newest last.
    hist: [Option<Token>; 5],
    /// `union select <word>` seen; judged at the next token.
    union_word: Option<(u32, u32)>,
}

impl Window {
    fn back(&self, k: usize) -> Option<Token> {
        self.hist
            .get(self.hist.len().wrapping_sub(1 + k))
            .copied()
            .flatten()
    }

    /// Feeds the next token `t` (None: the end of the value).
    pub(crate) fn feed(
        &mut self,
        lower: &[u8],
        t: Option<Token>,
        report: &mut impl FnMut(Finding, std::ops::Range<usize>),
    ) {
        let text = |t: Option<Token>| t.map_or(&[][..], |t| t.text(lower));
        let kind = |t: Option<Token>| t.map(|t| t.kind);
        if let Some((s, _)) = self.union_word.take() {
            let ok = match t {
                None => true,
                Some(t) => match t.kind {
                    Kind::Word | Kind::Str | Kind::Num | Kind::Unary | Kind::Logic => false,
                    Kind::Kw => matches!(t.text(lower), b"from" | b"as"),
                    _ => true,
                },
            };
            if ok {
                let e = t.map_or(lower.len(), |t| t.end as usize);
                report(Finding::Union, s as usize..e);
            }
        }
        let Some(cur) = t else {
            // `union select` ending the value (`UnIon seleCt`, `'union select/`): the
            // select list is the application's.
            let mut k = usize::from(matches!(text(self.back(0)), b"/" | b"*"));
            if text(self.back(k)) == b"select" {
                k += 1;
                if matches!(text(self.back(k)), b"all" | b"distinct" | b"distinctrow") {
                    k += 1;
                }
                if let Some(un) = self.back(k).filter(|t| t.text(lower) == b"union") {
                    report(Finding::Union, un.start as usize..lower.len());
                }
            }
            return;
        };
        // union [all|distinct] (* select <list>
        {
            let mut k = 0;
            while kind(self.back(k)) == Some(Kind::LParen) {
                k += 1;
            }
            if text(self.back(k)) == b"select" {
                let mut u = k + 1;
                while kind(self.back(u)) == Some(Kind::LParen) {
                    u += 1;
                }
                if matches!(text(self.back(u)), b"all" | b"distinct" | b"distinctrow") {
                    u += 1;
                }
                if let Some(un) = self.back(u).filter(|t| t.kind == Kind::Union) {
                    let strong = match cur.kind {
                        Kind::Num | Kind::Str | Kind::Var | Kind::Literal | Kind::LParen => true,
                        Kind::Arith => matches!(cur.text(lower), b"*" | b"-"),
                        Kind::Unary => cur.text(lower) != b"not",
                        Kind::Kw
                            if matches!(
                                cur.text(lower),
                                b"distinct" | b"all" | b"top" | b"case"
                            ) =>
                        {
                            true
                        }
                        Kind::Word | Kind::Kw if callable(&cur, lower) => {
                            self.union_word = Some((un.start, cur.end));
                            false
                        }
                        _ => false,
                    };
                    if strong {
                        report(Finding::Union, un.start as usize..cur.end as usize);
                    }
                }
            }
        }
        // Time delays: sleep(5), benchmark(1e7, …), pg_sleep(5), waitfor delay '0:0:5'.
        if let (Some(f), Some(p)) = (self.back(1), self.back(0))
            && p.kind == Kind::LParen
            && f.kind == Kind::Word
            && is_sleep(f.text(lower))
        {
            {
                let before = self.back(2);
                let dotted = kind(before) == Some(Kind::Dot)
                    && !matches!(text(self.back(3)), b"dbms_lock" | b"sys");
                // `) benchmark(`: a name prose never calls may follow a closed condition.
                let closed = !matches!(f.text(lower), b"sleep");
                let context = before.is_none_or(|b| {
                    (closed && b.kind == Kind::RParen)
                        || matches!(
                            b.kind,
                            Kind::Logic
                                | Kind::Cmp
                                | Kind::Arith
                                | Kind::LParen
                                | Kind::Comma
                                | Kind::Semi
                                | Kind::Stmt
                                | Kind::Str
                                | Kind::Unary
                                | Kind::Kw
                                | Kind::Dot
                        )
                });
                // `sleep(20.to_i)`: a number, whatever is glued to it.
                let number = cur.kind == Kind::Word
                    && cur.text(lower).first().is_some_and(u8::is_ascii_digit);
                let arg = matches!(cur.kind, Kind::Num | Kind::Var | Kind::LParen | Kind::Str)
                    || number
                    || (cur.kind == Kind::Word && is_sql_func(cur.text(lower)))
                    || cur.text(lower) == b"select";
                if !dotted && context && arg {
                    report(Finding::TimeBased, f.start as usize..cur.end as usize);
                }
            }
        }
        if text(self.back(1)) == b"waitfor"
            && matches!(text(self.back(0)), b"delay" | b"time")
            && cur.kind == Kind::Str
        {
            let s = self.back(1).map_or(0, |t| t.start as usize);
            report(Finding::TimeBased, s..cur.end as usize);
        }
        // A select-list column closed and aliased: `) as x from`, `` `a` as `b` from ``.
        if cur.kind == Kind::Kw
            && cur.text(lower) == b"from"
            && matches!(kind(self.back(0)), Some(Kind::Word | Kind::Str))
            && text(self.back(1)) == b"as"
            && self.back(2).is_some_and(|b| {
                b.kind == Kind::RParen
                    || b.kind == Kind::Num
                    || (b.kind == Kind::Word && b.text(lower).first() == Some(&b'`'))
            })
        {
            let s = self.back(2).map_or(0, |t| t.start as usize);
            report(Finding::AliasFrom, s..cur.end as usize);
        }
        // Functions and objects only an attacker wants.
        let w = cur.text(lower);
        match cur.kind {
            Kind::Word if is_danger(w) => {
                let call = kind(self.back(0)) == Some(Kind::Dot)
                    || text(self.back(0)) == b"exec"
                    || w.starts_with(b"xp_");
                if call || w == b"load_file" || w == b"extractvalue" || w == b"updatexml" {
                    // Judged on the next token for calls; `xp_cmdshell` alone is enough.
                    if w.starts_with(b"xp_") || w.starts_with(b"sp_") || call {
                        report(Finding::Function, cur.start as usize..cur.end as usize);
                    }
                }
            }
            // A procedure of a dangerous package: `utl_http.request(`.
            Kind::LParen
                if kind(self.back(1)) == Some(Kind::Dot)
                    && self.back(2).is_some_and(|p| is_danger(p.text(lower))) =>
            {
                let s = self.back(2).map_or(0, |t| t.start as usize);
                report(Finding::Function, s..cur.end as usize);
            }
            Kind::LParen => {
                if let Some(f) = self.back(0).filter(|f| callable(f, lower))
                    && kind(self.back(1)) != Some(Kind::Dot)
                {
                    if is_danger(f.text(lower)) {
                        report(Finding::Function, f.start as usize..cur.end as usize);
                    } else if is_sql_only(f.text(lower)) {
                        report(Finding::SqlFunction, f.start as usize..cur.end as usize);
                    }
                }
            }
            // Oracle's dynamic SQL: `execute immediate '…'`.
            Kind::Str if text(self.back(0)) == b"immediate" && text(self.back(1)) == b"execute" => {
                let s = self.back(1).map_or(0, |t| t.start as usize);
                report(Finding::Function, s..cur.end as usize);
            }
            // `select pg_sleep` cut short.
            Kind::Word if w == b"pg_sleep" && text(self.back(0)) == b"select" => {
                let s = self.back(0).map_or(0, |t| t.start as usize);
                report(Finding::TimeBased, s..cur.end as usize);
            }
            // `exec master..xp_cmdshell` cut short: `exec master.`
            Kind::Dot
                if text(self.back(0)) == b"master"
                    && matches!(text(self.back(1)), b"exec" | b"execute") =>
            {
                let s = self.back(1).map_or(0, |t| t.start as usize);
                report(Finding::Function, s..cur.end as usize);
            }
            Kind::Kw if matches!(w, b"outfile" | b"dumpfile") && text(self.back(0)) == b"into" => {
                let s = self.back(0).map_or(0, |t| t.start as usize);
                report(Finding::Function, s..cur.end as usize);
            }
            Kind::Word if w.starts_with(b"information_schema") || w == b"`information_schema`" => {
                if text(self.back(0)) == b"from" || text(self.back(1)) == b"from" {
                    report(Finding::Function, cur.start as usize..cur.end as usize);
                } else {
                    report(Finding::SchemaProbe, cur.start as usize..cur.end as usize);
                }
            }
            Kind::Word
                if matches!(w, b"user" | b"tables" | b"columns" | b"schemata")
                    && kind(self.back(0)) == Some(Kind::Dot)
                    && matches!(
                        text(self.back(1)),
                        b"mysql" | b"information_schema" | b"`information_schema`"
                    ) =>
            {
                report(Finding::Function, cur.start as usize..cur.end as usize);
            }
            Kind::Word
                if matches!(
                    w,
                    b"sysobjects"
                        | b"syscolumns"
                        | b"pg_shadow"
                        | b"pg_user"
                        | b"sqlite_master"
                        | b"all_tables"
                        | b"user_tables"
                        | b"sysibm"
                ) =>
            {
                if text(self.back(0)) == b"from" {
                    report(Finding::Function, cur.start as usize..cur.end as usize);
                } else {
                    report(Finding::SchemaProbe, cur.start as usize..cur.end as usize);
                }
            }
            _ => {}
        }
        self.hist.rotate_left(1);
        if let Some(last) = self.hist.last_mut() {
            *last = Some(cur);
        }
    }
}
