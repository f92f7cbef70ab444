//! Typed values: those a schema constrains so tightly (a number, a boolean, an enum, a
//! uuid, a date…) that, once validated, they cannot carry free text. Attack detection
//! skips its free-text detectors on them, which removes false positives and work.

use serde_json::Value;

/// String formats whose valid values are free of anything an injection needs.
const TYPED_FORMATS: [&str; 10] = [
    "uuid",
    "date",
    "date-time",
    "time",
    "duration",
    "ipv4",
    "ipv6",
    "int32",
    "int64",
    "double",
];

/// How deep [`typed_pointers`] follows properties and items.
const MAX_DEPTH: usize = 16;

/// Whether a (resolved) schema types its values: a number, an integer, a boolean, an enum or
/// const, a string of a typed format, or an array of those.
pub fn is_typed<'v>(schema: &'v Value, resolve: &dyn Fn(&'v Value) -> &'v Value) -> bool {
    let schema = resolve(schema);
    if schema.get("enum").is_some() || schema.get("const").is_some() {
        return true;
    }
    match crate::operation::type_of(schema) {
        Some("integer" | "number" | "boolean") => true,
        Some("string") => schema
            .get("format")
            .and_then(Value::as_str)
            .is_some_and(|f| TYPED_FORMATS.contains(&f)),
        Some("array") => schema.get("items").is_some_and(|i| is_typed(i, resolve)),
        _ => false,
    }
}

/// The JSON pointers of the typed values inside a body schema, a `*` segment standing for
/// every array item (`/items/*/sku`).
pub fn typed_pointers<'v>(
    schema: &'v Value,
    resolve: &dyn Fn(&'v Value) -> &'v Value,
) -> Vec<String> {
    let mut out = Vec::new();
    walk(schema, resolve, &mut String::new(), 0, &mut out);
    out
}

fn walk<'v>(
    schema: &'v Value,
    resolve: &dyn Fn(&'v Value) -> &'v Value,
    pointer: &mut String,
    depth: usize,
    out: &mut Vec<String>,
) {
    if depth > MAX_DEPTH {
        return;
    }
    let schema = resolve(schema);
    if is_typed(schema, resolve) {
        out.push(pointer.clone());
        return;
    }
    if let Some(all) = schema.get("allOf").and_then(Value::as_array) {
        for s in all {
            walk(s, resolve, pointer, depth + 1, out);
        }
    }
    if let Some(props) = schema.get("properties").and_then(Value::as_object) {
        for (name, s) in props {
            let len = pointer.len();
            pointer.push('/');
            pointer.push_str(&name.replace('~', "~0").replace('/', "~1"));
            walk(s, resolve, pointer, depth + 1, out);
            pointer.truncate(len);
        }
    }
    if let Some(items) = schema.get("items") {
        let len = pointer.len();
        pointer.push_str("/*");
        walk(items, resolve, pointer, depth + 1, out);
        pointer.truncate(len);
    }
}
