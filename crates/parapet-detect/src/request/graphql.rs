//! GraphQL documents: only their string literals carry data (names, punctuation and numbers
//! are the query language itself), so only those are inspected; variables are ordinary
//! JSON and are walked as such. A document the lexer cannot read is inspected as text.

use crate::engine::Scan;
use crate::location::Part;
use apollo_parser::{Lexer, TokenKind};

/// The most tokens read from one document (the contract's GraphQL limits refuse far less).
const MAX_TOKENS: usize = 100_000;

/// Whether a string looks like a GraphQL document rather than, say, a search query.
pub(crate) fn looks_like_graphql(text: &[u8]) -> bool {
    let text = text.trim_ascii_start();
    text.starts_with(b"{")
        || [&b"query"[..], b"mutation", b"subscription", b"fragment"]
            .iter()
            .any(|k| {
                text.starts_with(k)
                    && text
                        .get(k.len())
                        .is_some_and(|b| !b.is_ascii_alphanumeric() && *b != b'_')
            })
}

impl Scan<'_> {
    /// Inspects the string literals of a GraphQL document found at `name`.
    pub(crate) fn graphql(&mut self, document: &[u8], name: &str) {
        let Ok(text) = std::str::from_utf8(document) else {
            self.value(Part::Body, name, document, false);
            return;
        };
        let mut literal = String::new();
        for token in Lexer::new(text).with_limit(MAX_TOKENS) {
            let Ok(token) = token else {
                self.value(Part::Body, name, document, false);
                return;
            };
            if token.kind() == TokenKind::StringValue {
                literal.clear();
                unquote(token.data(), &mut literal);
                self.value(Part::Body, name, literal.as_bytes(), false);
            }
        }
    }
}

/// The value of a GraphQL string token: quotes removed and escapes undone (`"…"`), or the
/// raw text of a block string (`"""…"""`).
fn unquote(token: &str, out: &mut String) {
    if let Some(block) = token
        .strip_prefix("\"\"\"")
        .and_then(|t| t.strip_suffix("\"\"\""))
    {
        out.push_str(&block.replace("\\\"\"\"", "\"\"\""));
        return;
    }
    let inner = token
        .strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .unwrap_or(token);
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('t') => out.push('\t'),
            Some('b') => out.push('\u{8}'),
            Some('f') => out.push('\u{c}'),
            Some('u') => {
                let hex: String = chars.by_ref().take(4).collect();
                match u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32) {
                    Some(c) => out.push(c),
                    None => {
                        out.push_str("\\u");
                        out.push_str(&hex);
                    }
                }
            }
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
}
