//! A hand-written SQL tokenizer, one linear pass over the lowercased value.
//!
//! It knows the lexical forms an injection is built from across MySQL, PostgreSQL, MSSQL,
//! Oracle and SQLite: quoted strings (with doubled-quote and backslash escapes), numbers
//! (decimal, `0x` hex, `0b` binary, `x'..'`/`b'..'` literals), identifiers (plain,
//! back-ticked, bracketed), variables (`@x`, `@@x`), operators, and comments (`--`, `#`,
//! `/* */`). MySQL executable comments (`/*! ... */`, `/*!50000 ... */`) are not comments
//! to MySQL, so their content is tokenized as code. Whitespace is skipped; comments become
//! one `Comment` token each (the judge folds them).
//!
//! The tokenizer can start inside a string: the value is then read as if it followed an
//! opening `'` or `"` in the query, which is where an injection that breaks out of a quoted
//! string begins.

/// What a token is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A quoted string; see [`Token::closed`].
    Str,
    /// A number, hex or binary literal.
    Num,
    /// An identifier that is not a keyword (possibly a function name, if `(` follows).
    Word,
    /// `@x`, `@@x`.
    Var,
    /// `and`, `or`, `xor`, `&&`, `||`.
    Logic,
    /// `not`, `!`, `~`: unary operators.
    Unary,
    /// `=`, `<`, `<>`, `like`, `in`, `between`, `is`, `regexp`, …: comparisons.
    Cmp,
    /// `+`, `-`, `*`, `/`, `%`, `|`, `&`, `^`, `div`, `mod`, `::`, …
    Arith,
    /// `union`, `except`, `intersect`.
    Union,
    /// A statement keyword: `select`, `insert`, `drop`, `exec`, `declare`, `waitfor`, …
    Stmt,
    /// A clause that follows a condition: `order`, `group`, `having`, `limit`, `procedure`,
    /// `into`.
    Clause,
    /// `null`, `true`, `false`, `unknown`: operands.
    Literal,
    /// Any other SQL keyword (`from`, `where`, `as`, `by`, `case`, …).
    Kw,
    /// `(`.
    LParen,
    /// `)`.
    RParen,
    /// `,`.
    Comma,
    /// `;`.
    Semi,
    /// `.`.
    Dot,
    /// A comment; see [`Token::flag`].
    Comment,
    /// Anything else (a byte that means nothing in SQL).
    Other,
}

/// `Token::flag` of a comment: `--` followed by whitespace or the end (a comment to every
/// dialect).
pub(crate) const DASH_STRICT: u8 = 1;
/// `--` followed by something else (a comment to some dialects only).
pub(crate) const DASH_LOOSE: u8 = 2;
/// `#` followed by a space, a symbol or the end.
pub(crate) const HASH: u8 = 3;
/// `#` followed by a letter or digit (`#2`, `#tag`): a comment to MySQL, but as often a
/// number sign.
pub(crate) const HASH_LOOSE: u8 = 5;

/// Whether a comment flag is a comment form that is rarely anything else.
pub(crate) fn strict_comment(flag: u8) -> bool {
    matches!(flag, DASH_STRICT | HASH | BLOCK)
}
/// `/* … */`, or `/*` to the end.
pub(crate) const BLOCK: u8 = 4;

/// `Token::flag` of a code token that opens a MySQL executable comment (`/*!50000select`).
pub(crate) const AFTER_EXEC: u8 = 0x40;

/// `Token::flag` of a string: set when the closing quote was found.
pub(crate) const CLOSED: u8 = 0x80;

/// One token: its kind and where it is in the value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Token {
    pub kind: Kind,
    /// Kind-specific: the comment form; for strings, the quote byte and [`CLOSED`].
    pub flag: u8,
    pub start: u32,
    pub end: u32,
}

impl Token {
    const EMPTY: Token = Token {
        kind: Kind::Other,
        flag: 0,
        start: 0,
        end: 0,
    };

    /// Whether a string token found its closing quote.
    pub(crate) fn closed(&self) -> bool {
        self.flag & CLOSED != 0
    }

    /// The token's bytes in `lower`.
    pub(crate) fn text<'a>(&self, lower: &'a [u8]) -> &'a [u8] {
        lower
            .get(self.start as usize..self.end as usize)
            .unwrap_or_default()
    }
}

impl Default for Token {
    fn default() -> Self {
        Token::EMPTY
    }
}

/// The tokenizer: an iterator of tokens over a lowercased value.
#[derive(Clone)]
pub(crate) struct Tokenizer<'a> {
    s: &'a [u8],
    pos: usize,
    /// A quote byte when the value starts inside a string.
    start_quote: u8,
    /// Inside a MySQL executable comment, whose `*/` is skipped.
    in_exec_comment: bool,
    /// The next token opens an executable comment.
    exec_start: bool,
    /// The opening string ends at the first quote, backslash or not: the application
    /// escaped the quote with a backslash but not the backslash itself, so the value's
    /// `\'` became `\\'`, an escaped backslash and a closing quote.
    raw_first: bool,
    /// `+` is a space, as in a path segment whose `+` no decoder turned into one
    /// (`24'union+all+select+1`).
    plus_space: bool,
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c | 0xa0 | 0)
}

pub(crate) const fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'$' || b >= 0x80
}

impl<'a> Tokenizer<'a> {
    /// Tokenizes `lower` (an ASCII-lowercased value); `quote` is `b'\''` or `b'"'` to start
    /// inside a string opened by that quote, 0 to start outside any string.
    pub(crate) fn new(lower: &'a [u8], quote: u8) -> Self {
        Tokenizer {
            s: lower,
            pos: 0,
            start_quote: quote,
            in_exec_comment: false,
            exec_start: false,
            raw_first: false,
            plus_space: false,
        }
    }

    /// Reads `+` as a space.
    pub(crate) fn plus_as_space(self, on: bool) -> Self {
        Tokenizer {
            plus_space: on,
            ..self
        }
    }

    /// Like [`Tokenizer::new`] inside a string, which ends at the first `quote` even when a
    /// backslash precedes it (see `raw_first`).
    pub(crate) fn escaped(lower: &'a [u8], quote: u8) -> Self {
        Tokenizer {
            raw_first: true,
            ..Tokenizer::new(lower, quote)
        }
    }

    fn at(&self, i: usize) -> u8 {
        self.s.get(i).copied().unwrap_or(0)
    }

    fn token(&mut self, kind: Kind, start: usize, end: usize, flag: u8) -> Token {
        self.pos = end;
        Token {
            kind,
            flag,
            start: start as u32,
            end: end as u32,
        }
    }

    /// A string opened at `start` by `quote` (the quote itself at `start - 1` or before
    /// the value); ends after the closing quote.
    fn string(&mut self, start: usize, quote: u8) -> Token {
        let mut i = start;
        while i < self.s.len() {
            // Jump to the next quote or backslash.
            match memchr::memchr2(quote, b'\\', self.s.get(i..).unwrap_or_default()) {
                Some(k) => i += k,
                None => break,
            }
            let b = self.s[i];
            if b == b'\\' {
                i += 2;
                continue;
            }
            if b == quote {
                if self.at(i + 1) == quote {
                    i += 2;
                    continue;
                }
                return self.token(Kind::Str, start, i + 1, quote | CLOSED);
            }
            i += 1;
        }
        let end = self.s.len();
        self.token(Kind::Str, start, end, quote)
    }

    fn find_at(&self, from: usize, needle: &[u8]) -> Option<usize> {
        memchr::memmem::find(self.s.get(from..).unwrap_or_default(), needle).map(|i| i + from)
    }

    fn number(&mut self, start: usize) -> Token {
        let s = self.s;
        let mut i = start;
        let b1 = self.at(start + 1);
        if self.at(start) == b'0' && (b1 == b'x' || b1 == b'b') {
            let hex = b1 == b'x';
            let mut j = start + 2;
            while j < s.len()
                && (if hex {
                    s[j].is_ascii_hexdigit()
                } else {
                    matches!(s[j], b'0' | b'1')
                })
            {
                j += 1;
            }
            if j > start + 2 && !is_word_byte(self.at(j)) {
                return self.token(Kind::Num, start, j, 0);
            }
        }
        while i < s.len() && s[i].is_ascii_digit() {
            i += 1;
        }
        if self.at(i) == b'.' {
            i += 1;
            while i < s.len() && s[i].is_ascii_digit() {
                i += 1;
            }
        }
        if self.at(i) == b'e' {
            let mut j = i + 1;
            if matches!(self.at(j), b'+' | b'-') {
                j += 1;
            }
            if self.at(j).is_ascii_digit() {
                i = j;
                while i < s.len() && s[i].is_ascii_digit() {
                    i += 1;
                }
            }
        }
        // MySQL reads `1e0union`, `1.union`, `0x1union`…; a number glued to letters is an
        // identifier (`70s`, `8h`, `1d0aa`) unless a keyword follows at once.
        if is_word_byte(self.at(i)) {
            let mut j = i;
            while j < s.len() && is_word_byte(s[j]) {
                j += 1;
            }
            if matches!(classify(&s[i..j]), Kind::Union | Kind::Logic | Kind::Clause) {
                return self.token(Kind::Num, start, i, 0);
            }
            return self.token(Kind::Word, start, j, 0);
        }
        self.token(Kind::Num, start, i, 0)
    }

    fn word(&mut self, start: usize) -> Token {
        let s = self.s;
        let mut i = start;
        while i < s.len() && is_word_byte(s[i]) {
            i += 1;
        }
        // x'4142' and b'0101' literals.
        if i == start + 1 && matches!(s[start], b'x' | b'b') && self.at(i) == b'\'' {
            let mut j = i + 1;
            while j < s.len() && s[j].is_ascii_alphanumeric() {
                j += 1;
            }
            if self.at(j) == b'\'' {
                return self.token(Kind::Num, start, j + 1, 0);
            }
        }
        let kind = classify(&s[start..i]);
        self.token(kind, start, i, 0)
    }

    fn comment_to_eol(&mut self, start: usize, flag: u8) -> Token {
        let end = memchr::memchr(b'\n', self.s.get(start..).unwrap_or_default())
            .map_or(self.s.len(), |i| start + i);
        self.token(Kind::Comment, start, end, flag)
    }
}

impl Iterator for Tokenizer<'_> {
    type Item = Token;

    fn next(&mut self) -> Option<Token> {
        if self.start_quote != 0 {
            let q = self.start_quote;
            self.start_quote = 0;
            if self.raw_first {
                return Some(match memchr::memchr(q, self.s) {
                    Some(i) => self.token(Kind::Str, 0, i + 1, q | CLOSED),
                    None => self.token(Kind::Str, 0, self.s.len(), q),
                });
            }
            return Some(self.string(0, q));
        }
        let s = self.s;
        loop {
            let start = self.pos;
            let b = *s.get(start)?;
            let b1 = self.at(start + 1);
            let tok = match b {
                _ if is_space(b) || (b == b'+' && self.plus_space) => {
                    self.pos += 1;
                    continue;
                }
                b'\'' | b'"' => self.string(start + 1, b),
                b'`' => match memchr::memchr(b'`', s.get(start + 1..).unwrap_or_default()) {
                    Some(i) => self.token(Kind::Word, start, start + i + 2, 0),
                    None => self.token(Kind::Word, start, s.len(), 0),
                },
                b'[' => match memchr::memchr(b']', s.get(start + 1..).unwrap_or_default()) {
                    Some(i) if i < 128 => self.token(Kind::Word, start, start + i + 2, 0),
                    _ => self.token(Kind::Other, start, start + 1, 0),
                },
                b'0'..=b'9' => self.number(start),
                b'.' if b1.is_ascii_digit() => self.number(start),
                b'a'..=b'z' | b'_' | 0x80..=0xff => self.word(start),
                b'$' => self.word(start),
                // PostgreSQL containment and JSON path operators: `@>`, `@?`, `@@ `.
                b'@' if matches!(b1, b'>' | b'?') => self.token(Kind::Cmp, start, start + 2, 0),
                b'@' if b1 == b'@' && is_space(self.at(start + 2)) => {
                    self.token(Kind::Cmp, start, start + 2, 0)
                }
                // `@` between spaces: PostgreSQL's containment (`'{..}'::jsonb @ '{..}'`).
                b'@' if is_space(b1) && start > 0 && is_space(self.at(start - 1)) => {
                    self.token(Kind::Arith, start, start + 1, 0)
                }
                b'@' => {
                    let mut i = start + 1;
                    if self.at(i) == b'@' {
                        i += 1;
                    }
                    match self.at(i) {
                        q @ (b'\'' | b'"' | b'`') => {
                            let t = self.string(i + 1, q);
                            self.token(Kind::Var, start, t.end as usize, 0)
                        }
                        b if is_word_byte(b) || b == b'.' => {
                            while i < s.len() && (is_word_byte(s[i]) || s[i] == b'.') {
                                i += 1;
                            }
                            self.token(Kind::Var, start, i, 0)
                        }
                        _ => self.token(Kind::Other, start, i, 0),
                    }
                }
                b'-' if b1 == b'-' => {
                    let b2 = self.at(start + 2);
                    let flag = if start + 2 >= s.len() || is_space(b2) {
                        DASH_STRICT
                    } else {
                        DASH_LOOSE
                    };
                    self.comment_to_eol(start, flag)
                }
                // PostgreSQL JSON operators `#>`, `#>>`, `#-` (followed by a space).
                b'#' if matches!(b1, b'>' | b'-') && {
                    let e = if b1 == b'>' && self.at(start + 2) == b'>' {
                        3
                    } else {
                        2
                    };
                    is_space(self.at(start + e))
                } =>
                {
                    let e = if b1 == b'>' && self.at(start + 2) == b'>' {
                        3
                    } else {
                        2
                    };
                    self.token(Kind::Arith, start, start + e, 0)
                }
                b'#' if b1.is_ascii_alphanumeric() => self.comment_to_eol(start, HASH_LOOSE),
                b'#' => self.comment_to_eol(start, HASH),
                b'/' if b1 == b'*' => {
                    if self.at(start + 2) == b'!' {
                        // MySQL executable comment: skip `/*!` and an optional version.
                        let mut i = start + 3;
                        while i < s.len() && i < start + 8 && s[i].is_ascii_digit() {
                            i += 1;
                        }
                        self.pos = i;
                        self.in_exec_comment = true;
                        self.exec_start = true;
                        continue;
                    }
                    match self.find_at(start + 2, b"*/") {
                        Some(i) => self.token(Kind::Comment, start, i + 2, BLOCK),
                        None => self.token(Kind::Comment, start, s.len(), BLOCK),
                    }
                }
                b'*' if b1 == b'/' && self.in_exec_comment => {
                    self.pos += 2;
                    self.in_exec_comment = false;
                    continue;
                }
                b'(' => self.token(Kind::LParen, start, start + 1, 0),
                b')' => self.token(Kind::RParen, start, start + 1, 0),
                b',' => self.token(Kind::Comma, start, start + 1, 0),
                b';' => self.token(Kind::Semi, start, start + 1, 0),
                b'.' => self.token(Kind::Dot, start, start + 1, 0),
                b'|' if b1 == b'|' => self.token(Kind::Logic, start, start + 2, 0),
                b'&' if b1 == b'&' => self.token(Kind::Logic, start, start + 2, 0),
                // JSON access `->`, `->>`.
                b'-' if b1 == b'>' => {
                    let e = if self.at(start + 2) == b'>' { 3 } else { 2 };
                    self.token(Kind::Arith, start, start + e, 0)
                }
                // `?|`, `?&`: PostgreSQL key-existence operators.
                b'?' if matches!(b1, b'|' | b'&') => self.token(Kind::Cmp, start, start + 2, 0),
                // `?`: PostgreSQL key existence, between spaces (`'{"a":1}' ? 'a'`).
                b'?' if is_space(b1) && start > 0 && is_space(self.at(start - 1)) => {
                    self.token(Kind::Cmp, start, start + 1, 0)
                }
                b'<' if b1 == b'@' => self.token(Kind::Cmp, start, start + 2, 0),
                b'<' | b'>' | b'=' | b'!' => {
                    let b2 = self.at(start + 2);
                    let len = if b == b'<' && b1 == b'=' && b2 == b'>' {
                        3
                    } else if matches!((b, b1), (b'<', b'=' | b'>') | (b'>' | b'!' | b'=', b'=')) {
                        2
                    } else if matches!((b, b1), (b'<', b'<') | (b'>', b'>')) {
                        return Some(self.token(Kind::Arith, start, start + 2, 0));
                    } else {
                        1
                    };
                    if b == b'!' && len == 1 {
                        self.token(Kind::Unary, start, start + 1, 0)
                    } else {
                        self.token(Kind::Cmp, start, start + len, 0)
                    }
                }
                b'~' => self.token(Kind::Unary, start, start + 1, 0),
                b':' if b1 == b':' || b1 == b'=' => self.token(Kind::Arith, start, start + 2, 0),
                b'+' | b'-' | b'*' | b'/' | b'%' | b'|' | b'&' | b'^' => {
                    self.token(Kind::Arith, start, start + 1, 0)
                }
                _ => self.token(Kind::Other, start, start + 1, 0),
            };
            if std::mem::take(&mut self.exec_start)
                && !matches!(tok.kind, Kind::Comment | Kind::Str)
            {
                return Some(Token {
                    flag: tok.flag | AFTER_EXEC,
                    ..tok
                });
            }
            return Some(tok);
        }
    }
}

/// The kind of a lowercase word.
pub(crate) fn classify(w: &[u8]) -> Kind {
    match w {
        b"and" | b"or" | b"xor" => Kind::Logic,
        b"not" => Kind::Unary,
        b"like" | b"rlike" | b"regexp" | b"in" | b"between" | b"is" | b"sounds" | b"glob"
        | b"ilike" | b"similar" | b"notnull" => Kind::Cmp,
        b"div" | b"mod" => Kind::Arith,
        b"union" | b"except" | b"intersect" => Kind::Union,
        b"select" | b"insert" | b"update" | b"delete" | b"drop" | b"create" | b"alter"
        | b"truncate" | b"exec" | b"execute" | b"declare" | b"waitfor" | b"shutdown" | b"grant"
        | b"revoke" | b"rename" | b"replace" | b"merge" | b"begin" | b"call" | b"use"
        | b"handler" | b"load" | b"print" | b"goto" | b"set" | b"show" => Kind::Stmt,
        b"order" | b"group" | b"having" | b"limit" | b"procedure" | b"into" | b"offset" => {
            Kind::Clause
        }
        b"null" | b"true" | b"false" | b"unknown" => Kind::Literal,
        b"from" | b"where" | b"as" | b"by" | b"all" | b"distinct" | b"top" | b"case" | b"when"
        | b"then" | b"else" | b"end" | b"collate" | b"escape" | b"asc" | b"desc" | b"delay"
        | b"time" | b"outfile" | b"dumpfile" | b"table" | b"database" | b"values" | b"join"
        | b"on" | b"binary" | b"using" | b"for" | b"with" | b"if" => Kind::Kw,
        _ => Kind::Word,
    }
}

/// Fills `buf` with the first tokens of `lower` read in `quote` context; returns how many.
#[cfg(test)]
pub(crate) fn tokens(lower: &[u8], quote: u8, buf: &mut [Token]) -> usize {
    let mut n = 0;
    for (slot, t) in buf.iter_mut().zip(Tokenizer::new(lower, quote)) {
        *slot = t;
        n += 1;
    }
    n
}
