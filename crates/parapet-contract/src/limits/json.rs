//! JSON threat limits, enforced by the one parser that reads a JSON body.
//!
//! [`parse`] is a strict RFC 8259 parser, written by hand, that builds a [`serde_json::Value`]
//! in one pass and refuses a hostile body as soon as it crosses one of its [`JsonLimits`]: too
//! large, too deep, too many members or items, too long a string or number literal, or a
//! duplicate key. Nothing is parsed twice, and no schema work starts on a refused body.
//!
//! Strictness: no trailing commas, no comments, no `NaN`/`Infinity`, no leading zeros, no
//! leading `+`, no raw control characters in strings, valid UTF-8 only, only the escapes of
//! RFC 8259 (with `\u` surrogate pairs combined; a lone surrogate is an error). JSON
//! whitespace (space, tab, line feed, carriage return) is allowed around every token, and
//! nothing else may follow the value. A UTF-8 byte order mark is refused (`json.syntax`),
//! as RFC 8259 section 8.1 allows and serde_json does.
//!
//! The parser is iterative: nesting lives on an explicit stack bounded by
//! [`JsonLimits::max_depth`], so no input can overflow the thread's stack, whatever the
//! limit. The JSON pointer of a [`JsonBreach`] is only built when there is one.

use crate::violation::{Part, Violation, push_token};
use serde_json::{Map, Number, Value};
use std::fmt;

const SYNTAX: &str = "json.syntax";
const MAX_SIZE: &str = "json.max_size";
const MAX_DEPTH: &str = "json.max_depth";
const MAX_KEYS: &str = "json.max_keys";
const MAX_ARRAY_LENGTH: &str = "json.max_array_length";
const MAX_STRING_LENGTH: &str = "json.max_string_length";
const MAX_NUMBER_LENGTH: &str = "json.max_number_length";
const DUPLICATE_KEY: &str = "json.duplicate_key";

/// Threat limits on a JSON body; each refused as soon as it is crossed while parsing.
///
/// Every limit is inclusive: a body exactly at a limit is accepted, one unit more is refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JsonLimits {
    /// Size of the whole body in bytes (default 1 MiB), checked before parsing starts.
    pub max_size: usize,
    /// Nesting of arrays and objects (default 32): a scalar body has depth 0, `[]` and `{}`
    /// depth 1, `[[]]` depth 2. Parsing never recurses, whatever this limit, but keep it
    /// modest: dropping a `Value` and most code that walks one (schema validation included)
    /// recurse once per level.
    pub max_depth: usize,
    /// Members in one object (default 1000).
    pub max_keys: usize,
    /// Items in one array (default 10 000).
    pub max_array_length: usize,
    /// Bytes of one string once unescaped, as UTF-8 (default 64 KiB); object keys included.
    pub max_string_length: usize,
    /// Characters of one number literal, sign and exponent included (default 64). A number
    /// too large for an `f64` (`1e400`) is refused under this rule too: it is a number too
    /// large to represent, not a malformed one.
    pub max_number_length: usize,
}

impl Default for JsonLimits {
    fn default() -> Self {
        JsonLimits {
            max_size: 1024 * 1024,
            max_depth: 32,
            max_keys: 1000,
            max_array_length: 10_000,
            max_string_length: 64 * 1024,
            max_number_length: 64,
        }
    }
}

/// Why a body was refused: the rule and where (a JSON pointer to the value that broke it,
/// e.g. `/items/3/name`; `""` for the root), plus the byte offset for logs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JsonBreach {
    /// The rule: `json.syntax`, `json.max_size`, `json.max_depth`, `json.max_keys`,
    /// `json.max_array_length`, `json.max_string_length`, `json.max_number_length` or
    /// `json.duplicate_key`.
    pub rule: &'static str,
    /// A JSON pointer (RFC 6901) to the value that broke the rule: the too-deep container,
    /// the object with too many members, the array with too many items, the too-long string
    /// or number (the object, for a too-long key), the member whose key is a duplicate. For
    /// a syntax error, the innermost value being read (the container, between its members).
    /// `""` for the root and for `json.max_size`.
    pub pointer: String,
    /// Byte offset in the body where the rule was broken: the first byte past a length or
    /// size limit, the opening byte of the container, member or item that crossed a count,
    /// the offending byte of a syntax error (the body's length if it ends too early).
    pub offset: usize,
}

impl JsonBreach {
    /// The breach as a [`Violation`] of the body.
    pub fn violation(&self) -> Violation {
        Violation::new(Part::Body, self.pointer.clone(), self.rule)
    }
}

impl fmt::Display for JsonBreach {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} at \"{}\" (byte {})",
            self.rule, self.pointer, self.offset
        )
    }
}

impl std::error::Error for JsonBreach {}

/// Parses `input` as one JSON value under `limits`.
///
/// Integers that fit an `i64` (negative) or a `u64` become those; other numbers become an
/// `f64` (correctly rounded by `str::parse`), as serde_json does, `-0` included. A duplicate
/// key (compared after unescaping) is refused: the gateway and the API behind it could
/// otherwise read different values for it.
pub fn parse(input: &[u8], limits: &JsonLimits) -> Result<Value, JsonBreach> {
    if input.len() > limits.max_size {
        return Err(JsonBreach {
            rule: MAX_SIZE,
            pointer: String::new(),
            offset: limits.max_size,
        });
    }
    // Validated once, here: the longest prefix that is UTF-8. Strings are slices of it, and
    // reading one that runs past it reports the invalid byte (anywhere else, a byte that
    // is not ASCII is a syntax error anyway).
    let text = match std::str::from_utf8(input) {
        Ok(text) => text,
        Err(e) => std::str::from_utf8(&input[..e.valid_up_to()]).unwrap_or_default(),
    };
    let mut reader = Reader {
        input,
        text,
        pos: 0,
        limits,
        scratch: String::new(),
    };
    let mut stack = Vec::new();
    run(&mut reader, &mut stack).map_err(|fail| breach(&fail, &stack))
}

/// A container being read.
enum Frame {
    /// The items read so far; the next one has index `len()`.
    Array(Vec<Value>),
    /// The members read so far, and the key of the member whose value is being read.
    Object(Map<String, Value>, Option<String>),
}

/// A breach before its pointer is built.
struct Fail {
    rule: &'static str,
    offset: usize,
    /// Whether the innermost container itself broke the rule (between its items), rather
    /// than the item being read in it.
    at_container: bool,
}

/// Builds the breach's pointer from the containers being read.
fn breach(fail: &Fail, stack: &[Frame]) -> JsonBreach {
    let mut pointer = String::new();
    let innermost = stack.len().wrapping_sub(1);
    for (i, frame) in stack.iter().enumerate() {
        match frame {
            Frame::Array(items) => {
                if !(fail.at_container && i == innermost) {
                    push_token(&mut pointer, &items.len().to_string());
                }
            }
            Frame::Object(_, Some(key)) => push_token(&mut pointer, key),
            Frame::Object(_, None) => {}
        }
    }
    JsonBreach {
        rule: fail.rule,
        pointer,
        offset: fail.offset,
    }
}

/// Reads values and attaches them to their containers, until the root value is complete.
fn run(r: &mut Reader<'_>, stack: &mut Vec<Frame>) -> Result<Value, Fail> {
    r.skip_ws();
    'value: loop {
        // Read one value; a container is pushed and its first item or member started.
        let mut value = match r.peek() {
            Some(b'[') => {
                r.open(stack.len())?;
                stack.push(Frame::Array(Vec::new()));
                r.skip_ws();
                if r.eat(b']') {
                    stack.pop();
                    Value::Array(Vec::new())
                } else {
                    r.item(0)?;
                    continue 'value;
                }
            }
            Some(b'{') => {
                r.open(stack.len())?;
                r.skip_ws();
                if r.eat(b'}') {
                    Value::Object(Map::new())
                } else {
                    let map = Map::new();
                    let mut key = None;
                    let member = r.member(&map, &mut key);
                    stack.push(Frame::Object(map, key));
                    member?;
                    continue 'value;
                }
            }
            Some(b'"') => Value::String(r.string()?.to_owned()),
            Some(b't') => r.literal(b"true", Value::Bool(true))?,
            Some(b'f') => r.literal(b"false", Value::Bool(false))?,
            Some(b'n') => r.literal(b"null", Value::Null)?,
            Some(b'-' | b'0'..=b'9') => r.number()?,
            _ => return Err(r.syntax(r.pos)),
        };
        // Attach it; each container it completes is attached in turn.
        loop {
            match stack.last_mut() {
                None => {
                    r.skip_ws();
                    if r.pos < r.input.len() {
                        return Err(r.syntax(r.pos));
                    }
                    return Ok(value);
                }
                Some(Frame::Array(items)) => {
                    items.push(value);
                    r.skip_ws();
                    match r.peek() {
                        Some(b',') => {
                            r.pos += 1;
                            r.skip_ws();
                            r.item(items.len())?;
                            continue 'value;
                        }
                        Some(b']') => {
                            r.pos += 1;
                            value = Value::Array(std::mem::take(items));
                            stack.pop();
                        }
                        _ => return Err(r.fail(SYNTAX, r.pos, true)),
                    }
                }
                Some(Frame::Object(map, key)) => {
                    if let Some(key) = key.take() {
                        map.insert(key, value);
                    }
                    r.skip_ws();
                    match r.peek() {
                        Some(b',') => {
                            r.pos += 1;
                            r.skip_ws();
                            r.member(map, key)?;
                            continue 'value;
                        }
                        Some(b'}') => {
                            r.pos += 1;
                            value = Value::Object(std::mem::take(map));
                            stack.pop();
                        }
                        _ => return Err(r.fail(SYNTAX, r.pos, true)),
                    }
                }
            }
        }
    }
}

/// The body and a cursor in it.
struct Reader<'a> {
    input: &'a [u8],
    /// The longest prefix of `input` that is UTF-8.
    text: &'a str,
    pos: usize,
    limits: &'a JsonLimits,
    /// Where strings with escapes are unescaped.
    scratch: String,
}

impl Reader<'_> {
    fn fail(&self, rule: &'static str, offset: usize, at_container: bool) -> Fail {
        Fail {
            rule,
            offset,
            at_container,
        }
    }

    fn syntax(&self, offset: usize) -> Fail {
        self.fail(SYNTAX, offset, false)
    }

    fn peek(&self) -> Option<u8> {
        self.input.get(self.pos).copied()
    }

    fn eat(&mut self, byte: u8) -> bool {
        if self.peek() == Some(byte) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\n' | b'\r' | b'\t') = self.input.get(self.pos) {
            self.pos += 1;
        }
    }

    /// Opens a container at `pos`, inside `depth` others.
    fn open(&mut self, depth: usize) -> Result<(), Fail> {
        if depth >= self.limits.max_depth {
            return Err(self.fail(MAX_DEPTH, self.pos, false));
        }
        self.pos += 1;
        Ok(())
    }

    /// Checks that an array holding `len` items may hold one more, starting at `pos`.
    fn item(&self, len: usize) -> Result<(), Fail> {
        if len >= self.limits.max_array_length {
            return Err(self.fail(MAX_ARRAY_LENGTH, self.pos, true));
        }
        Ok(())
    }

    /// Reads a member's key and its colon, into `key`, for an object holding `map`.
    fn member(&mut self, map: &Map<String, Value>, key: &mut Option<String>) -> Result<(), Fail> {
        let start = self.pos;
        if self.peek() != Some(b'"') {
            return Err(self.fail(SYNTAX, start, true));
        }
        if map.len() >= self.limits.max_keys {
            return Err(self.fail(MAX_KEYS, start, true));
        }
        let name = self.string()?;
        let duplicate = map.contains_key(name);
        *key = Some(name.to_owned());
        if duplicate {
            return Err(self.fail(DUPLICATE_KEY, start, false));
        }
        self.skip_ws();
        if !self.eat(b':') {
            return Err(self.syntax(self.pos));
        }
        self.skip_ws();
        Ok(())
    }

    fn literal(&mut self, word: &[u8], value: Value) -> Result<Value, Fail> {
        let rest = self.input.get(self.pos..).unwrap_or_default();
        let same = rest.iter().zip(word).take_while(|(a, b)| a == b).count();
        if same < word.len() {
            return Err(self.syntax(self.pos + same));
        }
        self.pos += word.len();
        Ok(value)
    }

    /// Reads a string starting at its opening quote, unescaped: a slice of the body when it
    /// has no escapes, else the scratch buffer.
    fn string(&mut self) -> Result<&str, Fail> {
        let input = self.input;
        let text = self.text;
        let limit = self.limits.max_string_length;
        let mut i = self.pos + 1;
        // Bytes of the string so far, unescaped; never above `limit`.
        let mut len = 0usize;
        let mut escaped = false;
        loop {
            let run_start = i;
            while let Some(&b) = input.get(i)
                && PLAIN[usize::from(b)]
            {
                i += 1;
            }
            let room = limit - len;
            // Runs start and end next to ASCII bytes, so on character boundaries: slicing
            // fails only when the run goes past the UTF-8 prefix, onto an invalid byte.
            let Some(run) = text.get(run_start..i) else {
                let valid = text.len().saturating_sub(run_start);
                if room < valid {
                    return Err(self.fail(MAX_STRING_LENGTH, run_start + room, false));
                }
                return Err(self.syntax(run_start + valid));
            };
            if room < run.len() {
                return Err(self.fail(MAX_STRING_LENGTH, run_start + room, false));
            }
            len += run.len();
            match input.get(i) {
                Some(b'"') => {
                    self.pos = i + 1;
                    if escaped {
                        self.scratch.push_str(run);
                        return Ok(&self.scratch);
                    }
                    return Ok(run);
                }
                Some(b'\\') => {
                    if !escaped {
                        escaped = true;
                        self.scratch.clear();
                    }
                    self.scratch.push_str(run);
                    let (c, next) = self.escape(i)?;
                    if limit - len < c.len_utf8() {
                        return Err(self.fail(MAX_STRING_LENGTH, i, false));
                    }
                    len += c.len_utf8();
                    self.scratch.push(c);
                    i = next;
                }
                // A control character, or the end of the body.
                _ => return Err(self.syntax(i)),
            }
        }
    }

    /// Reads the escape at `i` (its backslash); returns the character and where it ends.
    fn escape(&self, i: usize) -> Result<(char, usize), Fail> {
        let c = match self.input.get(i + 1) {
            Some(b'"') => '"',
            Some(b'\\') => '\\',
            Some(b'/') => '/',
            Some(b'b') => '\u{8}',
            Some(b'f') => '\u{c}',
            Some(b'n') => '\n',
            Some(b'r') => '\r',
            Some(b't') => '\t',
            Some(b'u') => {
                let unit = self.hex4(i + 2)?;
                return match unit {
                    0xD800..=0xDBFF => {
                        if self.input.get(i + 6) != Some(&b'\\') {
                            return Err(self.syntax(i + 6));
                        }
                        if self.input.get(i + 7) != Some(&b'u') {
                            return Err(self.syntax(i + 7));
                        }
                        let low = self.hex4(i + 8)?;
                        if !(0xDC00..=0xDFFF).contains(&low) {
                            return Err(self.syntax(i + 6));
                        }
                        let code = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00);
                        match char::from_u32(code) {
                            Some(c) => Ok((c, i + 12)),
                            None => Err(self.syntax(i)),
                        }
                    }
                    // A lone low surrogate.
                    0xDC00..=0xDFFF => Err(self.syntax(i)),
                    _ => match char::from_u32(unit) {
                        Some(c) => Ok((c, i + 6)),
                        None => Err(self.syntax(i)),
                    },
                };
            }
            _ => return Err(self.syntax(i + 1)),
        };
        Ok((c, i + 2))
    }

    /// Reads four hex digits at `i`.
    fn hex4(&self, i: usize) -> Result<u32, Fail> {
        let mut unit = 0;
        for at in i..i + 4 {
            let digit = match self.input.get(at) {
                Some(&b) => (b as char).to_digit(16),
                None => None,
            };
            match digit {
                Some(d) => unit = unit * 16 + d,
                None => return Err(self.syntax(at)),
            }
        }
        Ok(unit)
    }

    /// Reads a number at `pos`.
    fn number(&mut self) -> Result<Value, Fail> {
        let input = self.input;
        let start = self.pos;
        let mut i = start;
        let negative = input.get(i) == Some(&b'-');
        if negative {
            i += 1;
        }
        // The integer part, as long as it fits a u64.
        let mut integer: Option<u64> = Some(0);
        match input.get(i) {
            Some(b'0') => i += 1,
            Some(b'1'..=b'9') => {
                while let Some(&d) = input.get(i)
                    && d.is_ascii_digit()
                {
                    integer = integer
                        .and_then(|n| n.checked_mul(10))
                        .and_then(|n| n.checked_add(u64::from(d - b'0')));
                    i += 1;
                }
            }
            _ => return Err(self.number_syntax(start, i)),
        }
        let mut float = false;
        if input.get(i) == Some(&b'.') {
            float = true;
            i = self.digits(start, i + 1)?;
        }
        if let Some(b'e' | b'E') = input.get(i) {
            float = true;
            i += 1;
            if let Some(b'+' | b'-') = input.get(i) {
                i += 1;
            }
            i = self.digits(start, i)?;
        }
        if i - start > self.limits.max_number_length {
            return Err(self.too_long(start));
        }
        self.pos = i;
        if !float && let Some(n) = integer {
            if !negative {
                return Ok(Value::Number(Number::from(n)));
            }
            // `-0` is a float, as in serde_json.
            if n != 0
                && let Some(n) = 0i64.checked_sub_unsigned(n)
            {
                return Ok(Value::Number(Number::from(n)));
            }
        }
        let f = self
            .text
            .get(start..i)
            .and_then(|literal| literal.parse::<f64>().ok())
            .ok_or_else(|| self.syntax(start))?;
        match Number::from_f64(f) {
            Some(n) => Ok(Value::Number(n)),
            // Too large for an f64.
            None => Err(self.fail(MAX_NUMBER_LENGTH, start, false)),
        }
    }

    /// Reads one or more digits at `i`, of the number at `start`; returns where they end.
    fn digits(&self, start: usize, mut i: usize) -> Result<usize, Fail> {
        let first = i;
        while let Some(b'0'..=b'9') = self.input.get(i) {
            i += 1;
        }
        if i == first {
            return Err(self.number_syntax(start, i));
        }
        Ok(i)
    }

    /// A syntax error at `i` in the number at `start`, unless the number was too long by then.
    fn number_syntax(&self, start: usize, i: usize) -> Fail {
        if i - start > self.limits.max_number_length {
            self.too_long(start)
        } else {
            self.syntax(i)
        }
    }

    /// The number at `start` is too long: its first character past the limit.
    fn too_long(&self, start: usize) -> Fail {
        self.fail(
            MAX_NUMBER_LENGTH,
            start + self.limits.max_number_length,
            false,
        )
    }
}

/// Bytes that stand for themselves in a string: not `"`, `\` nor a control character.
static PLAIN: [bool; 256] = {
    let mut table = [true; 256];
    let mut b = 0;
    while b < 0x20 {
        table[b] = false;
        b += 1;
    }
    table[b'"' as usize] = false;
    table[b'\\' as usize] = false;
    table
};

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    /// Limits that never trigger, to test syntax alone.
    fn unlimited() -> JsonLimits {
        JsonLimits {
            max_size: usize::MAX,
            max_depth: 1000,
            max_keys: usize::MAX,
            max_array_length: usize::MAX,
            max_string_length: usize::MAX,
            max_number_length: usize::MAX,
        }
    }

    fn ok(input: &str, limits: &JsonLimits) -> Value {
        match parse(input.as_bytes(), limits) {
            Ok(value) => value,
            Err(breach) => panic!("{input:?} refused: {breach}"),
        }
    }

    /// Asserts that `input` is refused under `rule` at `pointer` and `offset`.
    fn refused(
        input: impl AsRef<[u8]>,
        limits: &JsonLimits,
        rule: &str,
        pointer: &str,
        offset: usize,
    ) {
        let input = input.as_ref();
        let shown = String::from_utf8_lossy(&input[..input.len().min(80)]).into_owned();
        let breach = parse(input, limits).expect_err(&shown);
        assert!(
            breach.rule == rule && breach.pointer == pointer && breach.offset == offset,
            "{shown:?}: got {} {:?} {}",
            breach.rule,
            &breach.pointer[..breach.pointer.len().min(80)],
            breach.offset,
        );
    }

    fn syntax(input: impl AsRef<[u8]>, pointer: &str, offset: usize) {
        refused(input, &unlimited(), SYNTAX, pointer, offset);
    }

    #[test]
    fn defaults() {
        let limits = JsonLimits::default();
        assert_eq!(limits.max_size, 1 << 20);
        assert_eq!(limits.max_depth, 32);
        assert_eq!(limits.max_keys, 1000);
        assert_eq!(limits.max_array_length, 10_000);
        assert_eq!(limits.max_string_length, 64 << 10);
        assert_eq!(limits.max_number_length, 64);
    }

    #[test]
    fn parses_a_typical_body() {
        let body = r#" {"id": 42, "name": "Ada \"L\" \u00e9\ud83d\ude00", "tags": ["a", "b"],
            "price": -12.5e-1, "ok": true, "gone": false, "none": null, "nested": {"x": []}} "#;
        let expected = json!({
            "id": 42, "name": "Ada \"L\" é😀", "tags": ["a", "b"], "price": -1.25,
            "ok": true, "gone": false, "none": null, "nested": {"x": []}
        });
        assert_eq!(ok(body, &JsonLimits::default()), expected);
        assert_eq!(
            ok(body, &JsonLimits::default()),
            serde_json::from_str::<Value>(body).unwrap()
        );
    }

    #[test]
    fn scalars_at_the_root() {
        let limits = JsonLimits::default();
        assert_eq!(ok("null", &limits), Value::Null);
        assert_eq!(ok(" true ", &limits), json!(true));
        assert_eq!(ok("\t\r\nfalse\n", &limits), json!(false));
        assert_eq!(ok("\"\"", &limits), json!(""));
        assert_eq!(ok("0", &limits), json!(0));
        assert_eq!(ok("[]", &limits), json!([]));
        assert_eq!(ok("{}", &limits), json!({}));
        assert_eq!(ok("[ ]", &limits), json!([]));
        assert_eq!(ok("{ }", &limits), json!({}));
    }

    #[test]
    fn numbers() {
        let limits = JsonLimits::default();
        for text in [
            "0",
            "-1",
            "123",
            "18446744073709551615",
            "18446744073709551616",
            "-9223372036854775808",
            "-9223372036854775809",
            "-18446744073709551616",
            "-0",
            "-0.0",
            "0.0",
            "1E2",
            "1e-2",
            "1.5E+3",
            "2.5e0",
            "1e-400",
            "-1e-400",
            "0e999999999999999",
            "123456789012345678901234567890",
            "0.1",
            "1.7976931348623157e308",
            "4.9e-324",
            "9007199254740993",
        ] {
            let ours = ok(text, &limits);
            let theirs: Value = serde_json::from_str(text).unwrap();
            assert_eq!(ours, theirs, "{text}");
            // Same representation too (u64, i64 or f64).
            assert_eq!(
                (ours.is_u64(), ours.is_i64(), ours.is_f64()),
                (theirs.is_u64(), theirs.is_i64(), theirs.is_f64()),
                "{text}"
            );
        }
        assert_eq!(ok("18446744073709551615", &limits).as_u64(), Some(u64::MAX));
        assert_eq!(ok("-9223372036854775808", &limits).as_i64(), Some(i64::MIN));
        assert!(ok("-9223372036854775809", &limits).is_f64());
        let minus_zero = ok("-0", &limits).as_f64().unwrap();
        assert!(minus_zero == 0.0 && minus_zero.is_sign_negative());
        assert!(ok("5", &limits).is_u64());
        assert!(ok("-5", &limits).is_i64());
        // Too large for an f64.
        for text in ["1e400", "-1e400", "1.8e308", "[1e309]"] {
            let breach = parse(text.as_bytes(), &limits).unwrap_err();
            assert_eq!(breach.rule, MAX_NUMBER_LENGTH, "{text}");
            assert!(serde_json::from_str::<Value>(text).is_err());
        }
        refused("[0, 1e400]", &limits, MAX_NUMBER_LENGTH, "/1", 4);
    }

    #[test]
    fn max_size() {
        let limits = JsonLimits {
            max_size: 7,
            ..JsonLimits::default()
        };
        assert_eq!(ok("[1,2,3]", &limits), json!([1, 2, 3]));
        refused("[1,2,3] ", &limits, MAX_SIZE, "", 7);
        // Checked before anything else.
        refused("xxxxxxxx", &limits, MAX_SIZE, "", 7);
        let zero = JsonLimits {
            max_size: 0,
            ..JsonLimits::default()
        };
        refused("1", &zero, MAX_SIZE, "", 0);
    }

    #[test]
    fn max_depth() {
        let limits = JsonLimits {
            max_depth: 3,
            ..JsonLimits::default()
        };
        ok("[[[]]]", &limits);
        ok("[[[1, 2]], [[3]]]", &limits);
        ok(r#"{"a":{"b":{"c":1}}}"#, &limits);
        ok(r#"[{"a":[]}]"#, &limits);
        refused("[[[[]]]]", &limits, MAX_DEPTH, "/0/0/0", 3);
        refused("[[[{}]]]", &limits, MAX_DEPTH, "/0/0/0", 3);
        refused("[1, [2, [3, [4]]]]", &limits, MAX_DEPTH, "/1/1/1", 12);
        refused(r#"{"a":{"b":{"c":{}}}}"#, &limits, MAX_DEPTH, "/a/b/c", 15);
        refused(r#"{"a":[{"b/c":[]}]}"#, &limits, MAX_DEPTH, "/a/0/b~1c", 13);
        let zero = JsonLimits {
            max_depth: 0,
            ..JsonLimits::default()
        };
        ok("1", &zero);
        ok("\"s\"", &zero);
        refused("[]", &zero, MAX_DEPTH, "", 0);
        refused(" {}", &zero, MAX_DEPTH, "", 1);
    }

    #[test]
    fn deep_nesting_never_overflows_the_stack() {
        let deep = "[".repeat(100_000);
        let pointer = "/0".repeat(32);
        refused(&deep, &JsonLimits::default(), MAX_DEPTH, &pointer, 32);
        let closed = format!("{deep}{}", "]".repeat(100_000));
        refused(&closed, &JsonLimits::default(), MAX_DEPTH, &pointer, 32);
        let objects = "{\"a\":".repeat(100_000);
        let pointer = "/a".repeat(32);
        refused(
            &objects,
            &JsonLimits::default(),
            MAX_DEPTH,
            &pointer,
            5 * 32,
        );
        // The parser itself does not recurse: a limit far above the stack's is harmless.
        let limits = JsonLimits {
            max_depth: usize::MAX,
            ..JsonLimits::default()
        };
        refused(&deep, &limits, SYNTAX, &"/0".repeat(100_000), 100_000);
        let nested = format!("{}{}", "[".repeat(500), "]".repeat(500));
        ok(&nested, &limits);
    }

    #[test]
    fn max_keys() {
        let limits = JsonLimits {
            max_keys: 2,
            ..JsonLimits::default()
        };
        assert_eq!(ok(r#"{"a":1,"b":2}"#, &limits), json!({"a": 1, "b": 2}));
        refused(r#"{"a":1,"b":2,"c":3}"#, &limits, MAX_KEYS, "", 13);
        refused(r#"{"x":{"a":1,"b":2, "c":3}}"#, &limits, MAX_KEYS, "/x", 19);
        refused(r#"[0,{"a":1,"b":2,"c":3}]"#, &limits, MAX_KEYS, "/1", 16);
        let zero = JsonLimits {
            max_keys: 0,
            ..JsonLimits::default()
        };
        ok("{}", &zero);
        refused(r#"[{"a":1}]"#, &zero, MAX_KEYS, "/0", 2);
    }

    #[test]
    fn max_array_length() {
        let limits = JsonLimits {
            max_array_length: 3,
            ..JsonLimits::default()
        };
        assert_eq!(ok("[1,2,3]", &limits), json!([1, 2, 3]));
        refused("[1,2,3,4]", &limits, MAX_ARRAY_LENGTH, "", 7);
        refused(
            r#"{"items":[[1,2,3, 4]]}"#,
            &limits,
            MAX_ARRAY_LENGTH,
            "/items/0",
            18,
        );
        // Crossed before the trailing comma is seen.
        refused("[1,2,3,]", &limits, MAX_ARRAY_LENGTH, "", 7);
        let zero = JsonLimits {
            max_array_length: 0,
            ..JsonLimits::default()
        };
        ok("[]", &zero);
        refused("[1]", &zero, MAX_ARRAY_LENGTH, "", 1);
        refused(r#"{"a":[ 1]}"#, &zero, MAX_ARRAY_LENGTH, "/a", 7);
    }

    #[test]
    fn max_string_length() {
        let limits = JsonLimits {
            max_string_length: 3,
            ..JsonLimits::default()
        };
        assert_eq!(ok(r#""abc""#, &limits), json!("abc"));
        refused(r#""abcd""#, &limits, MAX_STRING_LENGTH, "", 4);
        // Counted in bytes of UTF-8, after unescaping.
        assert_eq!(ok("\"aé\"", &limits), json!("aé"));
        refused("\"aaé\"", &limits, MAX_STRING_LENGTH, "", 4);
        assert_eq!(ok(r#""ab\n""#, &limits), json!("ab\n"));
        refused(r#""abc\n""#, &limits, MAX_STRING_LENGTH, "", 4);
        assert_eq!(ok(r#""\u00e9a""#, &limits), json!("éa"));
        refused(r#""\u00e9\u00e9""#, &limits, MAX_STRING_LENGTH, "", 7);
        refused(r#""a\ud83d\ude00""#, &limits, MAX_STRING_LENGTH, "", 2);
        let four = JsonLimits {
            max_string_length: 4,
            ..JsonLimits::default()
        };
        assert_eq!(ok(r#""\ud83d\ude00""#, &four), json!("😀"));
        assert_eq!(ok("\"😀\"", &four), json!("😀"));
        // Keys too: the pointer names the object.
        assert_eq!(ok(r#"{"abc":"def"}"#, &limits), json!({"abc": "def"}));
        refused(r#"{"abcd":1}"#, &limits, MAX_STRING_LENGTH, "", 5);
        refused(r#"[{"abcd":1}]"#, &limits, MAX_STRING_LENGTH, "/0", 6);
        refused(
            r#"{"k":["x", "abcd"]}"#,
            &limits,
            MAX_STRING_LENGTH,
            "/k/1",
            15,
        );
        // Crossed before the string turns out unterminated or malformed.
        refused(r#""abcd"#, &limits, MAX_STRING_LENGTH, "", 4);
        refused(b"\"abcd\xff\"", &limits, MAX_STRING_LENGTH, "", 4);
        let zero = JsonLimits {
            max_string_length: 0,
            ..JsonLimits::default()
        };
        ok(r#"{"":""}"#, &zero);
        refused(r#""a""#, &zero, MAX_STRING_LENGTH, "", 1);
        refused(r#""\n""#, &zero, MAX_STRING_LENGTH, "", 1);
    }

    #[test]
    fn max_number_length() {
        let limits = JsonLimits {
            max_number_length: 3,
            ..JsonLimits::default()
        };
        assert_eq!(ok("123", &limits), json!(123));
        assert_eq!(ok("-12", &limits), json!(-12));
        assert_eq!(ok("1.5", &limits), json!(1.5));
        assert_eq!(ok("1e5", &limits), json!(1e5));
        refused("1234", &limits, MAX_NUMBER_LENGTH, "", 3);
        refused("-123", &limits, MAX_NUMBER_LENGTH, "", 3);
        refused("1.25", &limits, MAX_NUMBER_LENGTH, "", 3);
        refused("1e10", &limits, MAX_NUMBER_LENGTH, "", 3);
        refused(r#"{"n":[1, 1000]}"#, &limits, MAX_NUMBER_LENGTH, "/n/1", 12);
        // Crossed before the literal turns out malformed.
        refused("1234.", &limits, MAX_NUMBER_LENGTH, "", 3);
        refused("1.234e", &limits, MAX_NUMBER_LENGTH, "", 3);
        syntax("1.", "", 2);
        let default = JsonLimits::default();
        ok(&"1".repeat(64), &default);
        refused("1".repeat(65), &default, MAX_NUMBER_LENGTH, "", 64);
        refused(
            format!("0.{}", "0".repeat(100)),
            &default,
            MAX_NUMBER_LENGTH,
            "",
            64,
        );
    }

    #[test]
    fn duplicate_keys() {
        let limits = JsonLimits::default();
        refused(r#"{"a":1,"a":2}"#, &limits, DUPLICATE_KEY, "/a", 7);
        refused(r#"{"a":1,"b":{},"a":1}"#, &limits, DUPLICATE_KEY, "/a", 14);
        // Equal once unescaped.
        refused(r#"{"a":1,"\u0061":2}"#, &limits, DUPLICATE_KEY, "/a", 7);
        refused(r#"{"\u0061":1,"a":2}"#, &limits, DUPLICATE_KEY, "/a", 12);
        refused(r#"{"é":1,"\u00e9":2}"#, &limits, DUPLICATE_KEY, "/é", 8);
        refused(
            r#"{"x":[{"a~/":1,"a~\/":2}]}"#,
            &limits,
            DUPLICATE_KEY,
            "/x/0/a~0~1",
            15,
        );
        // Refused as soon as the key is read, before its value.
        refused(r#"{"a":1,"a":[}"#, &limits, DUPLICATE_KEY, "/a", 7);
        // Different keys, and the same key in different objects, are fine.
        ok(r#"{"a":1,"A":2,"a ":3}"#, &limits);
        ok(r#"{"a":{"a":{"a":1}},"b":{"a":2}}"#, &limits);
        ok(r#"[{"a":1},{"a":2}]"#, &limits);
    }

    #[test]
    fn syntax_errors() {
        // Nothing, or only whitespace.
        syntax("", "", 0);
        syntax(" \n\t\r", "", 4);
        // Trailing commas.
        syntax("[1,]", "/1", 3);
        syntax("[1 ,]", "/1", 4);
        syntax(r#"{"a":1,}"#, "", 7);
        syntax("[,]", "/0", 1);
        syntax("{,}", "", 1);
        syntax("[1,,2]", "/1", 3);
        // Comments.
        syntax("// c\n1", "", 0);
        syntax("/* c */ 1", "", 0);
        syntax("[1 /* c */]", "", 3);
        syntax("1 # c", "", 2);
        // Not numbers of JSON.
        syntax("NaN", "", 0);
        syntax("Infinity", "", 0);
        syntax("-Infinity", "", 1);
        syntax("[nan]", "/0", 2);
        syntax("01", "", 1);
        syntax("-01", "", 2);
        syntax("00", "", 1);
        syntax("[01]", "", 2);
        syntax("+1", "", 0);
        syntax(".5", "", 0);
        syntax("1.", "", 2);
        syntax("1.e5", "", 2);
        syntax("1e", "", 2);
        syntax("1e+", "", 3);
        syntax("1E-x", "", 3);
        syntax("-", "", 1);
        syntax("--1", "", 1);
        syntax("- 1", "", 1);
        syntax("0x10", "", 1);
        syntax("1_000", "", 1);
        // Byte order mark and non-JSON whitespace.
        syntax(b"\xEF\xBB\xBF{}", "", 0);
        syntax("\u{c}1", "", 0);
        syntax("\u{a0}1", "", 0);
        syntax("[1,\u{b}2]", "/1", 3);
        // Invalid UTF-8, in strings and out.
        syntax(b"\"\xff\"", "", 1);
        syntax(b"\"ab\xc0\xaf\"", "", 3);
        syntax(b"\"\xed\xa0\x80\"", "", 1);
        syntax(b"\"\xe2\x82\"", "", 1);
        syntax(b"\"\xe2\x82", "", 1);
        syntax(b"[\"a\", \"\xf5\x80\x80\x80\"]", "/1", 7);
        syntax(b"\xff", "", 0);
        syntax(b"[1,\xc3\xa9]", "/1", 3);
        // Escapes.
        syntax(r#""\x""#, "", 2);
        syntax(r#""\'""#, "", 2);
        syntax(r#""\U0041""#, "", 2);
        syntax(r#""\u12""#, "", 5);
        syntax(r#""\u12g4""#, "", 5);
        syntax(r#""\u""#, "", 3);
        syntax(r#""\"#, "", 2);
        syntax(r#"{"k":"\a"}"#, "/k", 7);
        // Lone surrogates, and pairs in the wrong order.
        syntax(r#""\ud800""#, "", 7);
        syntax(r#""\udbff\u0041""#, "", 7);
        syntax(r#""\ud800x""#, "", 7);
        syntax(r#""\ud800\n""#, "", 8);
        syntax(r#""\ud800\ud800""#, "", 7);
        syntax(r#""\udc00""#, "", 1);
        syntax(r#""\udfff\ud800""#, "", 1);
        syntax(r#""\ude00\ud83d""#, "", 1);
        syntax(r#""\ud83d\ude0""#, "", 12);
        // Raw control characters in strings.
        syntax("\"a\nb\"", "", 2);
        syntax("\"\t\"", "", 1);
        syntax(b"\"\x00\"", "", 1);
        syntax(b"{\"a\x1f\":1}", "", 3);
        // Unterminated.
        syntax("\"abc", "", 4);
        syntax("[", "/0", 1);
        syntax("[1", "", 2);
        syntax("[1,", "/1", 3);
        syntax("{", "", 1);
        syntax(r#"{"a""#, "/a", 4);
        syntax(r#"{"a":"#, "/a", 5);
        syntax(r#"{"a":1"#, "", 6);
        syntax(r#"[{"a":[1, {"b": "#, "/0/a/1/b", 16);
        // Malformed members.
        syntax(r#"{"a" 1}"#, "/a", 5);
        syntax(r#"{"a"::1}"#, "/a", 5);
        syntax("{1:2}", "", 1);
        syntax("{'a':1}", "", 1);
        syntax("{a:1}", "", 1);
        syntax("['a']", "/0", 1);
        syntax(r#"{"a":1 "b":2}"#, "", 7);
        syntax("[1 2]", "", 3);
        // Mismatched brackets.
        syntax("[}", "/0", 1);
        syntax("{]", "", 1);
        syntax(r#"{"a":[}"#, "/a/0", 6);
        syntax("[1}", "", 2);
        // Literals.
        syntax("nul", "", 3);
        syntax("tru", "", 3);
        syntax("True", "", 0);
        syntax("nulL", "", 3);
        syntax("falsy", "", 4);
        // Anything after the value.
        syntax("1 2", "", 2);
        syntax("{}x", "", 2);
        syntax("[]]", "", 2);
        syntax("truex", "", 4);
        syntax("\"a\"\"b\"", "", 3);
        syntax(b"{}\x00", "", 2);
    }

    #[test]
    fn surrogate_pairs() {
        let limits = JsonLimits::default();
        assert_eq!(ok(r#""\ud83d\ude00""#, &limits), json!("😀"));
        assert_eq!(ok(r#""\uD83D\uDE00""#, &limits), json!("😀"));
        assert_eq!(ok(r#""\ud800\udc00""#, &limits), json!("\u{10000}"));
        assert_eq!(ok(r#""\udbff\udfff""#, &limits), json!("\u{10ffff}"));
        assert_eq!(
            ok(r#""a\ud834\udd1eb\u0000""#, &limits),
            json!("a\u{1d11e}b\u{0}")
        );
        // Escapes and raw text around them.
        assert_eq!(
            ok(r#""é\"\\\/\b\f\n\r\t\u00e9\u20ac😀""#, &limits),
            json!("é\"\\/\u{8}\u{c}\n\r\té€😀")
        );
        assert_eq!(ok("\"\u{7f}\"", &limits), json!("\u{7f}"));
    }

    #[test]
    fn pointers_escape_keys() {
        let limits = JsonLimits {
            max_depth: 2,
            ..JsonLimits::default()
        };
        refused(
            r#"{"a/b":{"c~d":[]}}"#,
            &limits,
            MAX_DEPTH,
            "/a~1b/c~0d",
            14,
        );
        refused(r#"{"\u0041":{"":[]}}"#, &limits, MAX_DEPTH, "/A/", 14);
    }

    #[test]
    fn breach_as_violation() {
        let breach = parse(br#"{"a":[1,"#, &JsonLimits::default()).unwrap_err();
        assert_eq!(
            breach.violation(),
            Violation::new(Part::Body, "/a/1", "json.syntax")
        );
        assert_eq!(breach.to_string(), "json.syntax at \"/a/1\" (byte 8)");
    }

    /// Inputs where strict parsers often differ; with no limits in the way (and no duplicate
    /// keys), we accept exactly what serde_json accepts.
    #[test]
    fn agrees_with_serde_json() {
        let inputs: &[&[u8]] = &[
            b"",
            b" ",
            b"1",
            b" 1 ",
            b"-0",
            b"-0.0e-0",
            b"0e0",
            b"0E+0",
            b"1e01",
            b"01",
            b"1.0e",
            b"1.",
            b".1",
            b"-",
            b"-a",
            b"1e400",
            b"1e-400",
            b"1ee2",
            b"1e2.5",
            b"123456789012345678901234567890e-30",
            b"2.2250738585072011e-308",
            b"\"\"",
            b"\"\\u0000\"",
            b"\"\\uD800\"",
            b"\"\\uDC00\"",
            b"\"\\uD800\\uDC00\"",
            b"\"\\ud800\\u0000\"",
            b"\"\\u00\"",
            b"\"\\uzzzz\"",
            b"\"\x7f\"",
            b"\"\x1f\"",
            b"\"\xc3\xa9\"",
            b"\"\xc3\"",
            b"\"\xf0\x9f\x98\x80\"",
            b"\"\xf0\x9f\x98\"",
            b"\"\xed\xbf\xbf\"",
            b"\"\xf4\x90\x80\x80\"",
            b"\"\\/\"",
            b"\"\\a\"",
            b"[]",
            b"[ ]",
            b"[,]",
            b"[1,]",
            b"[1 , 2]",
            b"[1 2]",
            b"[[[[[]]]]]",
            b"[[[]]",
            b"{}",
            b"{ }",
            b"{\"a\":1}",
            b"{\"a\":1,}",
            b"{,}",
            b"{\"a\"}",
            b"{\"a\":}",
            b"{\"a\" : 1 , \"b\" : [ ] }",
            b"{1:1}",
            b"{\"a\":1]",
            b"[1}",
            b"true",
            b"True",
            b"tru",
            b"truee",
            b"null ",
            b"nul",
            b"false\n",
            b"NaN",
            b"-Infinity",
            b"\xef\xbb\xbf1",
            b"\x0c1",
            b"1\x00",
            b"\"a\" \"b\"",
            b"[] []",
            b"/**/1",
            b"1//",
            b"\"\\u0061\\u0062\"",
            b"{\"\\ud83d\\ude00\":[{\"\":null}]}",
            b"[1e+2,-1E-2,0.5,-0.5e+10]",
            b"[\"\\b\\f\\n\\r\\t\\\"\\\\\"]",
            b"18446744073709551616",
            b"-9223372036854775809",
        ];
        let limits = unlimited();
        for input in inputs {
            let ours = parse(input, &limits);
            let theirs = serde_json::from_slice::<Value>(input);
            let text = String::from_utf8_lossy(input);
            match (ours, theirs) {
                (Ok(ours), Ok(theirs)) => assert_eq!(ours, theirs, "{text:?}"),
                (Err(_), Err(_)) => {}
                (ours, theirs) => panic!("{text:?}: ours {ours:?}, serde_json {theirs:?}"),
            }
        }
    }

    /// A bounded `Value` with finite numbers.
    fn value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            any::<f64>()
                .prop_filter("finite", |f| f.is_finite())
                .prop_map(Value::from),
            any::<String>().prop_map(Value::String),
            "[\\\\\"/\\u{0}-\\u{1f}a-c\u{e9}\u{1f600}]{0,8}".prop_map(Value::String),
        ];
        leaf.prop_recursive(6, 64, 8, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
                prop::collection::btree_map(any::<String>(), inner.clone(), 0..8)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
                prop::collection::btree_map("[a-c~/\\\\\"\u{e9}]{0,3}", inner, 0..8)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    /// Text that is JSON, or nearly.
    fn nearly_json() -> impl Strategy<Value = Vec<u8>> {
        let token = prop_oneof![
            Just(&b"["[..]),
            Just(&b"]"[..]),
            Just(&b"{"[..]),
            Just(&b"}"[..]),
            Just(&b","[..]),
            Just(&b":"[..]),
            Just(&b" "[..]),
            Just(&b"\""[..]),
            Just(&b"\\"[..]),
            Just(&b"u"[..]),
            Just(&b"d83d"[..]),
            Just(&b"de00"[..]),
            Just(&b"\"a\""[..]),
            Just(&b"\"b\""[..]),
            Just(&b"0"[..]),
            Just(&b"1"[..]),
            Just(&b"-"[..]),
            Just(&b"."[..]),
            Just(&b"e"[..]),
            Just(&b"+"[..]),
            Just(&b"true"[..]),
            Just(&b"null"[..]),
            Just(&b"\n"[..]),
            Just(&b"\xc3\xa9"[..]),
            Just(&b"\xc3"[..]),
            Just(&b"\x01"[..]),
            Just(&b"n"[..]),
        ];
        prop::collection::vec(token, 0..24).prop_map(|tokens| tokens.concat())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn round_trips(v in value()) {
            let bytes = serde_json::to_vec(&v).unwrap();
            prop_assert_eq!(&parse(&bytes, &JsonLimits::default()).unwrap(), &v);
            let pretty = serde_json::to_vec_pretty(&v).unwrap();
            prop_assert_eq!(&parse(&pretty, &JsonLimits::default()).unwrap(), &v);
        }

        #[test]
        fn accepts_what_serde_json_accepts(input in nearly_json()) {
            let ours = parse(&input, &unlimited());
            let theirs = serde_json::from_slice::<Value>(&input);
            match (ours, theirs) {
                (Ok(ours), Ok(theirs)) => prop_assert_eq!(ours, theirs),
                (Err(_), Err(_)) => {}
                (Err(breach), Ok(_)) => prop_assert_eq!(breach.rule, DUPLICATE_KEY),
                (Ok(ours), Err(e)) => prop_assert!(false, "ours {ours:?}, serde_json {e}"),
            }
        }

        #[test]
        fn never_panics(input in prop::collection::vec(any::<u8>(), 0..64)) {
            let _ = parse(&input, &JsonLimits::default());
        }
    }
}
