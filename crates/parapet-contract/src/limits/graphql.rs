//! Threat limits for GraphQL over HTTP: POST bodies (one request object or a batch of them)
//! and GET query strings.
//!
//! Each document is parsed once with apollo-parser under a token limit and a recursion limit,
//! so a hostile document can neither take long to parse nor overflow the stack, and then
//! measured without executing anything:
//!
//! - depth: the longest chain of nested fields; a field of the operation's own selection set
//!   is at depth 1, and inline fragments and fragment spreads add no level of their own;
//! - fields: every field selection (`__typename` included) after fragment expansion, so a
//!   fragment spread three times counts three times;
//! - aliases: every aliased field after fragment expansion.
//!
//! Fragments are expanded through a summary computed once per fragment (its depth, fields
//! and aliases), so a document whose fragments each spread the previous one many times is
//! measured in time linear in its size; counts saturate instead of overflowing. A fragment
//! cycle, a spread of an unknown fragment, two fragments with the same name, a definition
//! that is not executable (types, schemas, directives) and a document without an operation
//! are `graphql.syntax`: no server executes them, and measuring them is ambiguous.
//!
//! Every operation of a document is measured, not only the one `operationName` picks: the
//! gateway does not guess which one the server runs.
//!
//! Introspection is any field named `__schema` or `__type`, anywhere in the document (an
//! alias does not hide it); `__typename` is not introspection.

use crate::{Part, Violation};
use apollo_parser::Parser;
use apollo_parser::cst::{Definition, Selection, SelectionSet};
use percent_encoding::percent_decode_str;
use serde_json::{Map, Value};
use std::borrow::Cow;
use std::collections::HashMap;
use std::collections::hash_map::Entry;

/// Rule: not a GraphQL request or document that can be measured.
const SYNTAX: &str = "graphql.syntax";
/// Rule: fields nest deeper than [`GraphqlLimits::max_depth`].
const MAX_DEPTH: &str = "graphql.max_depth";
/// Rule: more aliases than [`GraphqlLimits::max_aliases`].
const MAX_ALIASES: &str = "graphql.max_aliases";
/// Rule: more field selections than [`GraphqlLimits::max_fields`].
const MAX_FIELDS: &str = "graphql.max_fields";
/// Rule: a batch of more requests than [`GraphqlLimits::max_batch`].
const MAX_BATCH: &str = "graphql.max_batch";
/// Rule: more tokens than [`GraphqlLimits::max_tokens`].
const MAX_TOKENS: &str = "graphql.max_tokens";
/// Rule: a document longer than [`GraphqlLimits::max_query_length`].
const MAX_QUERY_LENGTH: &str = "graphql.max_query_length";
/// Rule: an introspection field while [`GraphqlLimits::introspection`] is off.
const INTROSPECTION: &str = "graphql.introspection";

/// Nesting the parser allows beyond [`GraphqlLimits::max_depth`], for the lists and input
/// objects of arguments and variable types, which apollo-parser counts in the same budget.
const RECURSION_MARGIN: usize = 32;
/// The most nesting the parser ever allows, whatever `max_depth` says: apollo-parser is a
/// recursive descent parser, and this keeps it well within a 2 MiB thread stack (tokio's
/// default) even in debug builds.
const RECURSION_CAP: usize = 128;

/// The threat limits of GraphQL requests.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GraphqlLimits {
    /// The deepest field nesting, the operation's own fields at depth 1 (default 10). Nesting
    /// beyond 128 levels (fields, list and object values, list types together) is refused
    /// whatever this says, to keep the parser's stack small.
    pub max_depth: usize,
    /// The most aliased fields in one operation, after fragment expansion (default 15).
    pub max_aliases: usize,
    /// The most field selections in one operation, after fragment expansion (default 200).
    pub max_fields: usize,
    /// The most requests in one batch (a JSON array body); a single request object is not a
    /// batch, and 0 refuses batches (default 5).
    pub max_batch: usize,
    /// The most lexical tokens in one document, as apollo-parser counts them: ignored
    /// tokens (runs of whitespace, commas, comments) and the end of input included
    /// (default 10 000).
    pub max_tokens: usize,
    /// Whether introspection (`__schema`, `__type`) is allowed (default false: refused).
    pub introspection: bool,
    /// The longest document, in bytes (after percent-decoding for GET; default 64 KiB).
    pub max_query_length: usize,
}

impl Default for GraphqlLimits {
    fn default() -> Self {
        GraphqlLimits {
            max_depth: 10,
            max_aliases: 15,
            max_fields: 200,
            max_batch: 5,
            max_tokens: 10_000,
            introspection: false,
            max_query_length: 64 * 1024,
        }
    }
}

/// The first rule a GraphQL request broke.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GraphqlBreach {
    /// Which rule: `graphql.syntax`, `graphql.max_depth`, `graphql.max_aliases`,
    /// `graphql.max_fields`, `graphql.max_batch`, `graphql.max_tokens`,
    /// `graphql.max_query_length` or `graphql.introspection`.
    pub rule: &'static str,
    /// Where: `/query` for the document (also for a GET query string, where it names the
    /// parameter), `/3/query` for the document of the fourth request of a batch, `/3` or
    /// `/3/variables` for other members of that request, empty for the body as a whole.
    pub pointer: String,
}

impl GraphqlBreach {
    /// The breach as a violation in `part` (the body for POST, the query for GET).
    pub fn violation(&self, part: Part) -> Violation {
        Violation::new(part, self.pointer.clone(), self.rule)
    }
}

/// Checks one GraphQL document against `limits`; breaches point at `/query`.
pub fn check_document(query: &str, limits: &GraphqlLimits) -> Result<(), GraphqlBreach> {
    measure(query, limits).map_err(|rule| breach(rule, "/query"))
}

/// Checks a GraphQL POST body, already parsed as JSON: one request object
/// (`{"query": "…", "operationName"?, "variables"?, "extensions"?}`) or a batch (a non-empty
/// array of them, at most [`GraphqlLimits::max_batch`]).
///
/// `query` must be a string (or absent in an automatic persisted query, which carries
/// `extensions.persistedQuery`),
/// `operationName` a string or null, `variables` and `extensions` objects or null; other
/// members are left alone.
pub fn check_body(body: &Value, limits: &GraphqlLimits) -> Result<(), GraphqlBreach> {
    match body {
        Value::Object(request) => check_request(request, "", limits),
        Value::Array(batch) => {
            if batch.is_empty() {
                return Err(breach(SYNTAX, ""));
            }
            if batch.len() > limits.max_batch {
                return Err(breach(MAX_BATCH, ""));
            }
            for (index, request) in batch.iter().enumerate() {
                let prefix = format!("/{index}");
                match request {
                    Value::Object(request) => check_request(request, &prefix, limits)?,
                    _ => return Err(breach(SYNTAX, prefix)),
                }
            }
            Ok(())
        }
        _ => Err(breach(SYNTAX, "")),
    }
}

/// Checks a GraphQL GET request: `query` is the raw query string of the URL (without the
/// `?`), percent-encoded with `+` for space. Every `query` parameter is checked (names are
/// compared decoded); none at all, or one that is not UTF-8 once decoded, is
/// `graphql.syntax`. Breaches point at `/query`.
pub fn check_query_string(query: &str, limits: &GraphqlLimits) -> Result<(), GraphqlBreach> {
    let mut found = false;
    for pair in query.split('&') {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        if form_decode(name).as_deref() != Some("query") {
            continue;
        }
        found = true;
        let document = form_decode(value).ok_or_else(|| breach(SYNTAX, "/query"))?;
        check_document(&document, limits)?;
    }
    if found {
        Ok(())
    } else {
        Err(breach(SYNTAX, "/query"))
    }
}

fn breach(rule: &'static str, pointer: impl Into<String>) -> GraphqlBreach {
    GraphqlBreach {
        rule,
        pointer: pointer.into(),
    }
}

/// Checks one request object of a body; `prefix` is its pointer (empty, or `/3` in a batch).
fn check_request(
    request: &Map<String, Value>,
    prefix: &str,
    limits: &GraphqlLimits,
) -> Result<(), GraphqlBreach> {
    let at = |member: &str| format!("{prefix}/{member}");
    // An automatic persisted query (Apollo APQ) names a document the server already has by
    // its hash and sends no `query`: nothing to measure, and refusing it would break the
    // clients that use them. A document sent along with the hash is measured as usual.
    let persisted = request
        .get("extensions")
        .and_then(|e| e.get("persistedQuery"))
        .is_some_and(Value::is_object);
    match request.get("query") {
        Some(Value::String(query)) => {
            measure(query, limits).map_err(|rule| breach(rule, at("query")))?;
        }
        None | Some(Value::Null) if persisted => {}
        _ => return Err(breach(SYNTAX, at("query"))),
    }
    if !matches!(
        request.get("operationName"),
        None | Some(Value::Null | Value::String(_))
    ) {
        return Err(breach(SYNTAX, at("operationName")));
    }
    for member in ["variables", "extensions"] {
        if !matches!(
            request.get(member),
            None | Some(Value::Null | Value::Object(_))
        ) {
            return Err(breach(SYNTAX, at(member)));
        }
    }
    Ok(())
}

/// Decodes one name or value of an `application/x-www-form-urlencoded` query string;
/// `None` when it is not UTF-8 once decoded.
fn form_decode(raw: &str) -> Option<String> {
    let spaced = raw.replace('+', " ");
    percent_decode_str(&spaced)
        .decode_utf8()
        .ok()
        .map(Cow::into_owned)
}

/// What a selection set (with everything under it) adds up to.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Summary {
    /// The deepest field, the selection set's own fields at depth 1; 0 without fields.
    depth: usize,
    /// Field selections.
    fields: u64,
    /// Aliased field selections.
    aliases: u64,
}

/// A selection set measured on its own, before its fragment spreads are expanded.
struct Local {
    own: Summary,
    /// The fragments it spreads (indexes into the document's fragments), each with the
    /// depth its fields would be at: the depth of the fields of the selection set it is in.
    spreads: Vec<(usize, usize)>,
}

impl Local {
    /// The summary with the spreads expanded from the fragments' own `summaries`.
    fn expand(&self, summaries: &[Summary]) -> Summary {
        let mut total = self.own;
        for &(fragment, level) in &self.spreads {
            let Some(spread) = summaries.get(fragment) else {
                continue;
            };
            total.fields = total.fields.saturating_add(spread.fields);
            total.aliases = total.aliases.saturating_add(spread.aliases);
            if spread.depth > 0 {
                total.depth = total
                    .depth
                    .max(level.saturating_sub(1).saturating_add(spread.depth));
            }
        }
        total
    }
}

/// Measures one document; the rule it breaks, if any.
fn measure(query: &str, limits: &GraphqlLimits) -> Result<(), &'static str> {
    if query.len() > limits.max_query_length {
        return Err(MAX_QUERY_LENGTH);
    }
    let recursion_limit = limits
        .max_depth
        .saturating_add(RECURSION_MARGIN)
        .min(RECURSION_CAP);
    let tree = Parser::new(query)
        .recursion_limit(recursion_limit)
        .token_limit(limits.max_tokens)
        .parse();
    let mut syntax_error = false;
    for error in tree.errors() {
        if error.is_limit() {
            return Err(if error.message().contains("token limit") {
                MAX_TOKENS
            } else {
                MAX_DEPTH
            });
        }
        syntax_error = true;
    }
    if syntax_error {
        return Err(SYNTAX);
    }

    let document = tree.document();
    let mut fragment_sets = Vec::new();
    let mut fragment_index: HashMap<String, usize> = HashMap::new();
    let mut operation_sets = Vec::new();
    for definition in document.definitions() {
        match definition {
            Definition::OperationDefinition(operation) => {
                operation_sets.push(operation.selection_set().ok_or(SYNTAX)?);
            }
            Definition::FragmentDefinition(fragment) => {
                let name = fragment
                    .fragment_name()
                    .and_then(|name| name.name())
                    .and_then(|name| name.ident_token())
                    .ok_or(SYNTAX)?;
                match fragment_index.entry(name.text().to_owned()) {
                    Entry::Occupied(_) => return Err(SYNTAX),
                    Entry::Vacant(entry) => {
                        entry.insert(fragment_sets.len());
                    }
                }
                fragment_sets.push(fragment.selection_set().ok_or(SYNTAX)?);
            }
            _ => return Err(SYNTAX),
        }
    }
    if operation_sets.is_empty() {
        return Err(SYNTAX);
    }

    let fragments = fragment_sets
        .into_iter()
        .map(|set| walk(set, &fragment_index, limits.introspection))
        .collect::<Result<Vec<_>, _>>()?;
    let summaries = expand_fragments(&fragments)?;
    for set in operation_sets {
        let operation = walk(set, &fragment_index, limits.introspection)?.expand(&summaries);
        if operation.depth > limits.max_depth {
            return Err(MAX_DEPTH);
        }
        if operation.aliases > to_u64(limits.max_aliases) {
            return Err(MAX_ALIASES);
        }
        if operation.fields > to_u64(limits.max_fields) {
            return Err(MAX_FIELDS);
        }
    }
    Ok(())
}

fn to_u64(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}

/// Measures a selection set without expanding its spreads, and refuses introspection unless
/// `introspection` allows it. Iterative: the depth of the tree does not reach the stack.
fn walk(
    set: SelectionSet,
    fragments: &HashMap<String, usize>,
    introspection: bool,
) -> Result<Local, &'static str> {
    let mut own = Summary::default();
    let mut spreads = Vec::new();
    let mut pending = vec![(set, 1usize)];
    while let Some((set, level)) = pending.pop() {
        for selection in set.selections() {
            match selection {
                Selection::Field(field) => {
                    let name = field
                        .name()
                        .and_then(|name| name.ident_token())
                        .ok_or(SYNTAX)?;
                    if !introspection && matches!(name.text(), "__schema" | "__type") {
                        return Err(INTROSPECTION);
                    }
                    own.fields = own.fields.saturating_add(1);
                    if field.alias().is_some() {
                        own.aliases = own.aliases.saturating_add(1);
                    }
                    own.depth = own.depth.max(level);
                    if let Some(inner) = field.selection_set() {
                        pending.push((inner, level.saturating_add(1)));
                    }
                }
                Selection::FragmentSpread(spread) => {
                    let name = spread
                        .fragment_name()
                        .and_then(|name| name.name())
                        .and_then(|name| name.ident_token())
                        .ok_or(SYNTAX)?;
                    let fragment = fragments.get(name.text()).ok_or(SYNTAX)?;
                    spreads.push((*fragment, level));
                }
                Selection::InlineFragment(inline) => {
                    pending.push((inline.selection_set().ok_or(SYNTAX)?, level));
                }
            }
        }
    }
    Ok(Local { own, spreads })
}

/// The expanded summary of every fragment, each computed once (depth-first, with an explicit
/// stack, children before parents); a cycle is `graphql.syntax`.
fn expand_fragments(fragments: &[Local]) -> Result<Vec<Summary>, &'static str> {
    #[derive(Clone, Copy, PartialEq, Eq)]
    enum State {
        New,
        Open,
        Done,
    }
    let mut state = vec![State::New; fragments.len()];
    let mut summaries = vec![Summary::default(); fragments.len()];
    for root in 0..fragments.len() {
        if state[root] != State::New {
            continue;
        }
        state[root] = State::Open;
        // Each entry: a fragment and how many of its spreads were followed.
        let mut stack = vec![(root, 0usize)];
        while let Some((fragment, next)) = stack.last_mut() {
            let fragment = *fragment;
            if let Some(&(child, _)) = fragments[fragment].spreads.get(*next) {
                *next += 1;
                match state[child] {
                    State::Done => {}
                    State::Open => return Err(SYNTAX),
                    State::New => {
                        state[child] = State::Open;
                        stack.push((child, 0));
                    }
                }
            } else {
                summaries[fragment] = fragments[fragment].expand(&summaries);
                state[fragment] = State::Done;
                stack.pop();
            }
        }
    }
    Ok(summaries)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use serde_json::json;
    use std::time::{Duration, Instant};

    fn rule(query: &str) -> Option<&'static str> {
        rule_with(query, &GraphqlLimits::default())
    }

    fn rule_with(query: &str, limits: &GraphqlLimits) -> Option<&'static str> {
        check_document(query, limits).err().map(|b| b.rule)
    }

    /// `{ a { a { a } } }` with `depth` fields on the way down (3 here).
    fn nested_query(depth: usize) -> String {
        let mut q = String::new();
        for _ in 0..depth - 1 {
            q.push_str("{ a ");
        }
        q.push_str("{ a }");
        q.push_str(&" }".repeat(depth - 1));
        q
    }

    fn tokens(query: &str) -> usize {
        apollo_parser::Lexer::new(query).lex().0.len()
    }

    #[test]
    fn defaults() {
        let limits = GraphqlLimits::default();
        assert_eq!(limits.max_depth, 10);
        assert_eq!(limits.max_aliases, 15);
        assert_eq!(limits.max_fields, 200);
        assert_eq!(limits.max_batch, 5);
        assert_eq!(limits.max_tokens, 10_000);
        assert!(!limits.introspection);
        assert_eq!(limits.max_query_length, 65_536);
    }

    #[test]
    fn normal_documents_are_accepted() {
        let query = r#"
            # A comment
            query Order($id: ID!, $first: Int = 10, $filter: Filter = {status: [OPEN, HELD]}) {
              order(id: $id) {
                __typename
                id
                ...OrderFields
                items(first: $first, filter: $filter) @include(if: true) {
                  edges { node { sku quantity ... on Gift { wrapping } } }
                }
              }
            }
            fragment OrderFields on Order { status total { amount currency } }
        "#;
        assert_eq!(rule(query), None);
        let mutation = r#"mutation Place($input: PlaceOrderInput!) {
            placeOrder(input: $input) { order { id } errors { field message } }
        }"#;
        assert_eq!(rule(mutation), None);
        assert_eq!(rule("subscription { orderChanged { id } }"), None);
        assert_eq!(rule("{ a }"), None);
        // Two operations: both are measured.
        assert_eq!(rule("query A { a } query B { b }"), None);
    }

    #[test]
    fn syntax_errors() {
        for query in [
            "",
            "   ",
            "{ a",
            "{ a } }",
            "query { }",
            "{ a(x: ) }",
            "fragment F on Q { a }",
            "{ ...Missing }",
            "type Query { a: Int }",
            "schema { query: Query }",
            "{ a } fragment F on Q { a } fragment F on Q { b }",
            "{ a } \u{1}",
        ] {
            assert_eq!(rule(query), Some("graphql.syntax"), "{query:?}");
        }
    }

    #[test]
    fn depth_limit() {
        assert_eq!(rule(&nested_query(10)), None);
        let b = check_document(&nested_query(11), &GraphqlLimits::default()).unwrap_err();
        assert_eq!(
            (b.rule, b.pointer.as_str()),
            ("graphql.max_depth", "/query")
        );
        // Inline fragments add no level, fragment spreads count at the depth they are at.
        let limits = GraphqlLimits {
            max_depth: 3,
            ..GraphqlLimits::default()
        };
        assert_eq!(
            rule_with("{ a { ... on T { ... { b { c } } } } }", &limits),
            None
        );
        assert_eq!(
            rule_with("{ a { ... on T { b { c { d } } } } }", &limits),
            Some("graphql.max_depth")
        );
        assert_eq!(
            rule_with("{ a { ...F } } fragment F on T { b { c } }", &limits),
            None
        );
        assert_eq!(
            rule_with("{ a { b { ...F } } } fragment F on T { c { d } }", &limits),
            Some("graphql.max_depth")
        );
        assert_eq!(
            rule_with(
                "{ a { ...F } } fragment F on T { ...G } fragment G on T { b { c { d } } }",
                &limits
            ),
            Some("graphql.max_depth")
        );
    }

    #[test]
    fn deep_nesting_is_refused_by_the_parser_limits() {
        let limits = GraphqlLimits {
            max_query_length: usize::MAX,
            max_tokens: usize::MAX,
            ..GraphqlLimits::default()
        };
        let started = Instant::now();
        // Deep enough to overflow a recursive parser's stack without the recursion limit.
        let deep = nested_query(50_000);
        assert_eq!(rule_with(&deep, &limits), Some("graphql.max_depth"));
        let list = format!("{{ a(x: {}1{}) }}", "[".repeat(50_000), "]".repeat(50_000));
        assert_eq!(rule_with(&list, &limits), Some("graphql.max_depth"));
        let object = format!(
            "{{ a(x: {}1{}) }}",
            "{x: ".repeat(50_000),
            "}".repeat(50_000)
        );
        assert_eq!(rule_with(&object, &limits), Some("graphql.max_depth"));
        assert!(started.elapsed() < Duration::from_secs(10));
        // Argument values nested a little are fine at the deepest allowed field.
        let mut q = String::new();
        for _ in 0..9 {
            q.push_str("{ a ");
        }
        q.push_str(&format!(
            "{{ a(x: {}1{}) }}",
            "[".repeat(20),
            "]".repeat(20)
        ));
        q.push_str(&" }".repeat(9));
        assert_eq!(rule(&q), None);
    }

    #[test]
    fn alias_limit() {
        let aliases = |n: usize| -> String { (0..n).map(|i| format!("a{i}: f ")).collect() };
        assert_eq!(rule(&format!("{{ {} }}", aliases(15))), None);
        assert_eq!(
            rule(&format!("{{ {} }}", aliases(16))),
            Some("graphql.max_aliases")
        );
        // Aliases in fragments count each time the fragment is spread.
        let query = format!(
            "{{ x {{ ...F }} y {{ ...F }} }} fragment F on T {{ {} }}",
            aliases(8)
        );
        assert_eq!(rule(&query), Some("graphql.max_aliases"));
    }

    #[test]
    fn alias_bomb_is_refused() {
        // 1 000 aliases of one expensive field, in about 4 000 tokens.
        let bomb: String = (0..1_000).map(|i| format!("a{i}:expensive ")).collect();
        let b = check_document(&format!("{{ {bomb} }}"), &GraphqlLimits::default()).unwrap_err();
        assert_eq!(b.rule, "graphql.max_aliases");
    }

    #[test]
    fn field_limit() {
        let fields = |n: usize| -> String { (0..n).map(|i| format!("f{i} ")).collect() };
        assert_eq!(rule(&format!("{{ {} }}", fields(200))), None);
        assert_eq!(
            rule(&format!("{{ {} }}", fields(201))),
            Some("graphql.max_fields")
        );
        // Fields of fragments count once per spread; nested ones count too.
        let query = format!(
            "{{ a {{ ...F }} b {{ ...F }} }} fragment F on T {{ {} }}",
            fields(99)
        );
        assert_eq!(rule(&query), None);
        let query = format!(
            "{{ a {{ ...F }} b {{ ...F }} c }} fragment F on T {{ {} }}",
            fields(99)
        );
        assert_eq!(rule(&query), Some("graphql.max_fields"));
    }

    #[test]
    fn fragment_cycles_are_syntax() {
        assert_eq!(
            rule("{ ...A } fragment A on Q { a ...A }"),
            Some("graphql.syntax")
        );
        assert_eq!(
            rule(
                "{ ...A } fragment A on Q { a ...B } fragment B on Q { b { ...C } } fragment C on Q { ...A }"
            ),
            Some("graphql.syntax")
        );
        // Even in a fragment no operation uses.
        assert_eq!(
            rule("{ a } fragment A on Q { ...B } fragment B on Q { ...A }"),
            Some("graphql.syntax")
        );
        // A diamond is not a cycle.
        assert_eq!(
            rule(
                "{ ...A ...B } fragment A on Q { ...C } fragment B on Q { ...C } fragment C on Q { c }"
            ),
            None
        );
    }

    #[test]
    fn fragment_fan_out_bomb_is_refused_fast() {
        let mut query = String::from("{ ...F20 }\nfragment F0 on Q { a b }\n");
        for level in 1..=20 {
            let spreads = format!("...F{} ", level - 1).repeat(10);
            query.push_str(&format!("fragment F{level} on Q {{ {spreads}}}\n"));
        }
        let started = Instant::now();
        let b = check_document(&query, &GraphqlLimits::default()).unwrap_err();
        assert_eq!(b.rule, "graphql.max_fields");
        assert!(started.elapsed() < Duration::from_secs(1));
        // Fragments defined before use, in any order.
        let mut query = String::new();
        for level in (1..=20).rev() {
            let spreads = format!("...F{} ", level - 1).repeat(10);
            query.push_str(&format!("fragment F{level} on Q {{ {spreads}}}\n"));
        }
        query.push_str("fragment F0 on Q { a: b }\n{ ...F20 }");
        assert_eq!(rule(&query), Some("graphql.max_aliases"));
    }

    #[test]
    fn token_limit() {
        let query = "{ a b c }";
        let count = tokens(query);
        let limits = GraphqlLimits {
            max_tokens: count,
            ..GraphqlLimits::default()
        };
        assert_eq!(rule_with(query, &limits), None);
        let limits = GraphqlLimits {
            max_tokens: count - 1,
            ..GraphqlLimits::default()
        };
        assert_eq!(rule_with(query, &limits), Some("graphql.max_tokens"));
        // The default refuses a long document of tiny tokens.
        let many = format!("{{{} }}", " a".repeat(6_000));
        assert_eq!(rule(&many), Some("graphql.max_tokens"));
    }

    #[test]
    fn query_length_limit() {
        let query = "{ a }";
        let limits = GraphqlLimits {
            max_query_length: query.len(),
            ..GraphqlLimits::default()
        };
        assert_eq!(rule_with(query, &limits), None);
        let limits = GraphqlLimits {
            max_query_length: query.len() - 1,
            ..GraphqlLimits::default()
        };
        assert_eq!(rule_with(query, &limits), Some("graphql.max_query_length"));
    }

    #[test]
    fn introspection() {
        let schema = "{ __schema { types { name } } }";
        let typ = "query { me { id } t: __type(name: \"User\") { fields { name } } }";
        let hidden =
            "{ me { ...F } } fragment F on User { friends { __schema { types { name } } } }";
        let unused = "{ me { id } } fragment F on Query { __type(name: \"x\") { name } }";
        for query in [schema, typ, hidden, unused] {
            assert_eq!(rule(query), Some("graphql.introspection"), "{query}");
        }
        let allowed = GraphqlLimits {
            introspection: true,
            ..GraphqlLimits::default()
        };
        for query in [schema, typ, hidden] {
            assert_eq!(rule_with(query, &allowed), None, "{query}");
        }
        assert_eq!(rule("{ me { __typename id } __typename }"), None);
        // An alias named like an introspection field is not one.
        assert_eq!(rule("{ __schema: me { id } }"), None);
    }

    #[test]
    fn bodies() {
        let limits = GraphqlLimits::default();
        let one = json!({"query": "query Q($id: ID!) { a(id: $id) }", "operationName": "Q",
                         "variables": {"id": "1"}, "extensions": {}});
        assert_eq!(check_body(&one, &limits), Ok(()));
        assert_eq!(
            check_body(
                &json!({"query": "{ a }", "operationName": null, "variables": null}),
                &limits
            ),
            Ok(())
        );
        // An automatic persisted query: the hash alone, nothing to measure.
        let apq = json!({"extensions": {"persistedQuery": {"version": 1, "sha256Hash": "ab12"}}});
        assert_eq!(check_body(&apq, &limits), Ok(()));
        let apq_deep = json!({"query": "{ a { b { c { d { e { f { g { h { i { j { k } } } } } } } } } } }", "extensions": {"persistedQuery": {"version": 1}}});
        assert_eq!(
            check_body(&apq_deep, &limits).unwrap_err().rule,
            "graphql.max_depth"
        );
        let cases = [
            (json!({"query": "{ a"}), "graphql.syntax", "/query"),
            (json!({"operationName": "Q"}), "graphql.syntax", "/query"),
            (json!({"query": 1}), "graphql.syntax", "/query"),
            (
                json!({"extensions": {"persistedQuery": "not an object"}}),
                "graphql.syntax",
                "/query",
            ),
            (
                json!({"query": "{ a }", "operationName": 1}),
                "graphql.syntax",
                "/operationName",
            ),
            (
                json!({"query": "{ a }", "variables": []}),
                "graphql.syntax",
                "/variables",
            ),
            (
                json!({"query": "{ a }", "extensions": "x"}),
                "graphql.syntax",
                "/extensions",
            ),
            (
                json!({"query": "{ __schema { a } }"}),
                "graphql.introspection",
                "/query",
            ),
            (json!("{ a }"), "graphql.syntax", ""),
            (json!(null), "graphql.syntax", ""),
            (json!([]), "graphql.syntax", ""),
            (json!([{"query": "{ a }"}, "{ b }"]), "graphql.syntax", "/1"),
            (
                json!([{"query": "{ a }"}, {"query": "{ a }"}, {"query": "{ a }"},
                       {"query": "{ __type(name: \"x\") { name } }"}]),
                "graphql.introspection",
                "/3/query",
            ),
        ];
        for (body, rule, pointer) in cases {
            let b = check_body(&body, &limits).unwrap_err();
            assert_eq!((b.rule, b.pointer.as_str()), (rule, pointer), "{body}");
        }
    }

    #[test]
    fn batch_limit() {
        let limits = GraphqlLimits::default();
        let batch = |n: usize| Value::Array(vec![json!({"query": "{ a }"}); n]);
        assert_eq!(check_body(&batch(1), &limits), Ok(()));
        assert_eq!(check_body(&batch(5), &limits), Ok(()));
        let b = check_body(&batch(6), &limits).unwrap_err();
        assert_eq!((b.rule, b.pointer.as_str()), ("graphql.max_batch", ""));
        let no_batches = GraphqlLimits {
            max_batch: 0,
            ..GraphqlLimits::default()
        };
        assert_eq!(
            check_body(&batch(1), &no_batches).unwrap_err().rule,
            "graphql.max_batch"
        );
        assert_eq!(check_body(&json!({"query": "{ a }"}), &no_batches), Ok(()));
    }

    #[test]
    fn query_strings() {
        let limits = GraphqlLimits::default();
        for query in [
            "query=%7B%20a%20%7D",
            "query={+a+}",
            "operationName=Q&query=query+Q+%7B+a+%7D&variables=%7B%7D",
            "qu%65ry=%7Ba%7D",
            "query=%7Ba%7D&query=%7Bb%7D",
        ] {
            assert_eq!(check_query_string(query, &limits), Ok(()), "{query}");
        }
        let cases = [
            ("", "graphql.syntax"),
            ("operationName=Q", "graphql.syntax"),
            ("queryx=%7Ba%7D", "graphql.syntax"),
            ("query", "graphql.syntax"),
            ("query=%7Ba", "graphql.syntax"),
            ("query=%7Ba%FF%7D", "graphql.syntax"),
            (
                "query=%7B__schema%7Btypes%7Bname%7D%7D%7D",
                "graphql.introspection",
            ),
            // Every `query` parameter is checked, whichever one the server reads.
            (
                "query=%7Ba%7D&query=%7B__schema%7Bx%7D%7D",
                "graphql.introspection",
            ),
            (
                "query=%7B__schema%7Bx%7D%7D&query=%7Ba%7D",
                "graphql.introspection",
            ),
        ];
        for (query, rule) in cases {
            let b = check_query_string(query, &limits).unwrap_err();
            assert_eq!((b.rule, b.pointer.as_str()), (rule, "/query"), "{query}");
        }
        let b = check_query_string("query=%7B__schema%7Bx%7D%7D", &limits).unwrap_err();
        assert_eq!(
            b.violation(Part::Query),
            Violation::new(Part::Query, "/query", "graphql.introspection")
        );
    }
}
