//! JSON bodies: every member name and string value, each at its JSON pointer. The walker
//! reads the document once, without building it, and keeps no recursion (a stack of
//! containers), so any nesting is safe. A syntax error ends the walk, and the rest of the
//! body from there is inspected as text: a malformed document hides nothing.

use crate::engine::Scan;
use crate::location::Part;

#[derive(Clone, Copy, PartialEq)]
enum Container {
    Object,
    Array(usize),
}

impl Scan<'_> {
    /// Inspects a JSON document. GraphQL requests (`"query": "{ … }"`) have the literals of
    /// their document inspected instead of the document itself.
    pub(crate) fn json(&mut self, body: &[u8]) {
        let mut walker = Walker {
            body,
            // Validated once, so that each member name joins the pointer without a check.
            text_body: std::str::from_utf8(body).ok(),
            at: 0,
            // Room for the pointers of most documents, so that it grows once at most.
            pointer: String::with_capacity(128),
            text: Vec::new(),
        };
        if let Err(at) = walker.walk(self) {
            self.value(Part::Body, "", &body[at.min(body.len())..], false);
        }
    }
}

struct Walker<'b> {
    body: &'b [u8],
    /// The body, when it is UTF-8 (as JSON must be).
    text_body: Option<&'b str>,
    at: usize,
    /// The JSON pointer of the value being read.
    pointer: String,
    /// Scratch space for strings with escapes.
    text: Vec<u8>,
}

impl Walker<'_> {
    /// Walks the whole document; on a syntax error, the offset where it was found.
    fn walk(&mut self, scan: &mut Scan<'_>) -> Result<(), usize> {
        let mut stack: Vec<(Container, usize)> = Vec::with_capacity(16);
        let mut last_key = false;
        loop {
            // A value is expected here.
            self.skip_ws();
            let b = *self.body.get(self.at).ok_or(self.at)?;
            match b {
                b'{' => {
                    self.at += 1;
                    stack.push((Container::Object, self.pointer.len()));
                    self.skip_ws();
                    if self.peek() == Some(b'}') {
                        self.at += 1;
                        stack.pop();
                    } else {
                        self.member_key(scan)?;
                        last_key = true;
                        continue;
                    }
                }
                b'[' => {
                    self.at += 1;
                    stack.push((Container::Array(0), self.pointer.len()));
                    self.skip_ws();
                    if self.peek() == Some(b']') {
                        self.at += 1;
                        stack.pop();
                    } else {
                        self.pointer.push_str("/0");
                        continue;
                    }
                }
                b'"' => {
                    let graphql = last_key && self.pointer.ends_with("/query");
                    let text = self.string()?;
                    let text = match text {
                        Some(range) => &self.body[range],
                        None => &self.text[..],
                    };
                    if graphql && super::graphql::looks_like_graphql(text) {
                        let doc = text.to_vec();
                        scan.graphql(&doc, &self.pointer);
                    } else {
                        scan.value(Part::Body, &self.pointer, text, false);
                    }
                }
                _ => self.scalar()?,
            }
            last_key = false;
            // After a value: close containers, or move to the next member or item.
            loop {
                let Some(&mut (container, base)) = stack.last_mut() else {
                    self.skip_ws();
                    return if self.at == self.body.len() {
                        Ok(())
                    } else {
                        Err(self.at)
                    };
                };
                self.pointer.truncate(base);
                self.skip_ws();
                match (container, self.peek()) {
                    (_, Some(b',')) => {
                        self.at += 1;
                        match container {
                            Container::Object => {
                                self.skip_ws();
                                self.member_key(scan)?;
                                last_key = true;
                            }
                            Container::Array(i) => {
                                let next = i + 1;
                                if let Some(top) = stack.last_mut() {
                                    top.0 = Container::Array(next);
                                }
                                push_index(&mut self.pointer, next);
                            }
                        }
                        break;
                    }
                    (Container::Object, Some(b'}')) | (Container::Array(_), Some(b']')) => {
                        self.at += 1;
                        stack.pop();
                    }
                    _ => return Err(self.at),
                }
            }
        }
    }

    /// Reads `"name":`, inspects the name, and extends the pointer with it.
    fn member_key(&mut self, scan: &mut Scan<'_>) -> Result<(), usize> {
        if self.peek() != Some(b'"') {
            return Err(self.at);
        }
        let text = self.string()?;
        let key = match &text {
            Some(range) => &self.body[range.clone()],
            None => &self.text[..],
        };
        scan.value(Part::BodyKey, &self.pointer, key, false);
        self.pointer.push('/');
        // RFC 6901 escaping of `~` and `/` in member names.
        // Keys are short: a plain loop beats a searcher.
        let plain = !key.iter().any(|&b| matches!(b, b'~' | b'/'));
        // A name without escapes lies between two quotes of a UTF-8 body: it is UTF-8.
        let name = match (plain, text, self.text_body) {
            (true, Some(range), Some(body)) => body.get(range),
            (true, _, _) => std::str::from_utf8(key).ok(),
            _ => None,
        };
        match name {
            Some(name) => self.pointer.push_str(name),
            None => push_escaped(&mut self.pointer, key),
        }
        self.skip_ws();
        if self.peek() != Some(b':') {
            return Err(self.at);
        }
        self.at += 1;
        Ok(())
    }

    /// Reads a string at `self.at` (on its opening quote). Without escapes, the range of
    /// its bytes in the body; with escapes, `None` and the unescaped bytes in `self.text`.
    fn string(&mut self) -> Result<Option<std::ops::Range<usize>>, usize> {
        self.at += 1;
        let start = self.at;
        let end = memchr::memchr2(b'"', b'\\', &self.body[start..])
            .map(|i| start + i)
            .ok_or(self.body.len())?;
        if self.body[end] == b'"' {
            self.at = end + 1;
            return Ok(Some(start..end));
        }
        self.text.clear();
        self.text.extend_from_slice(&self.body[start..end]);
        self.at = end;
        loop {
            let b = *self.body.get(self.at).ok_or(self.at)?;
            self.at += 1;
            match b {
                b'"' => return Ok(None),
                b'\\' => {
                    let e = *self.body.get(self.at).ok_or(self.at)?;
                    self.at += 1;
                    match e {
                        b'"' | b'\\' | b'/' => self.text.push(e),
                        b'b' => self.text.push(8),
                        b'f' => self.text.push(12),
                        b'n' => self.text.push(b'\n'),
                        b'r' => self.text.push(b'\r'),
                        b't' => self.text.push(b'\t'),
                        b'u' => {
                            let unit = self.hex4()?;
                            let c = if (0xD800..0xDC00).contains(&unit)
                                && self.body.get(self.at..self.at + 2) == Some(b"\\u")
                            {
                                self.at += 2;
                                let low = self.hex4()?;
                                char::decode_utf16([unit, low]).next().and_then(Result::ok)
                            } else {
                                char::from_u32(u32::from(unit))
                            };
                            let mut buf = [0u8; 4];
                            let c = c.unwrap_or(char::REPLACEMENT_CHARACTER);
                            self.text
                                .extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                        }
                        _ => return Err(self.at - 1),
                    }
                }
                b => self.text.push(b),
            }
        }
    }

    fn hex4(&mut self) -> Result<u16, usize> {
        let digits = self.body.get(self.at..self.at + 4).ok_or(self.at)?;
        let value = std::str::from_utf8(digits)
            .ok()
            .and_then(|d| u16::from_str_radix(d, 16).ok())
            .ok_or(self.at)?;
        self.at += 4;
        Ok(value)
    }

    /// Skips a number, `true`, `false` or `null`.
    fn scalar(&mut self) -> Result<(), usize> {
        let start = self.at;
        while let Some(b) = self.peek() {
            if matches!(b, b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E' | b'a'..=b'z') {
                self.at += 1;
            } else {
                break;
            }
        }
        let word = &self.body[start..self.at];
        let number = word
            .first()
            .is_some_and(|b| b.is_ascii_digit() || *b == b'-');
        if number || matches!(word, b"true" | b"false" | b"null") {
            Ok(())
        } else {
            Err(start)
        }
    }

    fn peek(&self) -> Option<u8> {
        self.body.get(self.at).copied()
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.at += 1;
        }
    }
}

/// Appends `/` and an array index to `pointer`, without the formatting machinery.
fn push_index(pointer: &mut String, index: usize) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    let mut rest = index;
    loop {
        at -= 1;
        digits[at] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    pointer.push('/');
    pointer.extend(digits[at..].iter().map(|&d| char::from(d)));
}

/// Appends `key` to `pointer`, with `~` and `/` escaped and invalid UTF-8 replaced.
fn push_escaped(pointer: &mut String, key: &[u8]) {
    for c in String::from_utf8_lossy(key).chars() {
        match c {
            '~' => pointer.push_str("~0"),
            '/' => pointer.push_str("~1"),
            c => pointer.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::{Engine, Settings};

    /// The JSON pointers where `body`'s attacks were found.
    fn pointers(body: &str) -> Vec<String> {
        let engine = Engine::new(Settings::default()).expect("the default settings are valid");
        let mut scan = engine.scan();
        scan.body(Some("application/json"), body.as_bytes());
        scan.finish()
            .hits
            .into_iter()
            .map(|h| h.location.name)
            .collect()
    }

    #[test]
    fn values_are_found_at_their_pointers() {
        let attack = r#""' or 1=1--""#;
        let items: Vec<String> = (0..12)
            .map(|i| {
                if i == 11 {
                    attack.to_owned()
                } else {
                    i.to_string()
                }
            })
            .collect();
        let body = format!(r#"{{"a": {{"items": [{}]}}}}"#, items.join(","));
        assert_eq!(pointers(&body), ["/a/items/11"]);
        let body = format!(r#"{{"x/y~z": [[1, {attack}]], "é": {attack}}}"#);
        assert_eq!(pointers(&body), ["/x~1y~0z/0/1", "/é"]);
    }
}
