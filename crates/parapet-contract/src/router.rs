//! Matches a request path to a path template of the description (`/books/{id}`,
//! `/files/{name}.{ext}`): a trie by path segment, where a literal segment wins over a
//! templated one (OpenAPI 3.1 section 4.8.8.2), with backtracking when a literal branch
//! leads nowhere. Literal segments are compared percent-decoded; captured values are kept
//! raw, for the parameter styles to split before decoding.

use std::borrow::Cow;
use std::collections::HashMap;

/// One piece of a templated segment.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Piece {
    Literal(String),
    Param(String),
}

/// A segment with at least one `{param}`.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Pattern(Vec<Piece>);

#[derive(Debug, Default)]
struct Node {
    literals: HashMap<String, Node>,
    patterns: Vec<(Pattern, Node)>,
    /// The value of the template that ends here, and its parameter names in order
    /// (templates of the same shape share the nodes above, not their names).
    value: Option<(usize, Vec<String>)>,
}

/// Path templates, each with a value.
#[derive(Debug, Default)]
pub struct Router {
    root: Node,
}

/// Why a template cannot be added.
#[derive(Debug, PartialEq, Eq)]
pub enum RouteError {
    /// `{` without `}`, an empty name or two parameters with nothing between them.
    Malformed,
    /// Another template has the same shape (`/a/{x}` and `/a/{y}`).
    Duplicate(usize),
}

fn parse_segment(segment: &str) -> Result<Option<Pattern>, RouteError> {
    if !segment.contains('{') && !segment.contains('}') {
        return Ok(None);
    }
    let mut pieces = Vec::new();
    let mut rest = segment;
    while !rest.is_empty() {
        match rest.find('{') {
            Some(0) => {
                let end = rest.find('}').ok_or(RouteError::Malformed)?;
                let name = &rest[1..end];
                if name.is_empty() || name.contains('{') {
                    return Err(RouteError::Malformed);
                }
                if matches!(pieces.last(), Some(Piece::Param(_))) {
                    return Err(RouteError::Malformed);
                }
                pieces.push(Piece::Param(name.to_string()));
                rest = &rest[end + 1..];
            }
            Some(i) => {
                let literal = &rest[..i];
                if literal.contains('}') {
                    return Err(RouteError::Malformed);
                }
                pieces.push(Piece::Literal(decode(literal).into_owned()));
                rest = &rest[i..];
            }
            None => {
                if rest.contains('}') {
                    return Err(RouteError::Malformed);
                }
                pieces.push(Piece::Literal(decode(rest).into_owned()));
                rest = "";
            }
        }
    }
    Ok(Some(Pattern(pieces)))
}

fn decode(s: &str) -> Cow<'_, str> {
    if s.contains('%') {
        percent_encoding::percent_decode_str(s).decode_utf8_lossy()
    } else {
        Cow::Borrowed(s)
    }
}

fn segments(path: &str) -> impl Iterator<Item = &str> {
    let trimmed = path.strip_prefix('/').unwrap_or(path);
    // "/" is one empty segment, as is the end of "/a/".
    trimmed.split('/')
}

impl Pattern {
    /// Captures the raw parameter values of `segment`, or `None` when it does not match.
    /// A parameter takes the shortest run up to the next literal (values are non-empty).
    fn capture<'s>(&self, segment: &'s str, out: &mut Vec<(String, &'s str)>) -> bool {
        let start = out.len();
        let mut rest = segment;
        let mut pending: Option<&str> = None;
        for piece in &self.0 {
            match piece {
                Piece::Literal(lit) => {
                    let found = match pending {
                        // Literals are matched decoded, so compare on a decoded copy.
                        Some(_) => find_decoded(rest, lit),
                        None => starts_with_decoded(rest, lit).map(|len| (0, len)),
                    };
                    let Some((at, len)) = found else {
                        out.truncate(start);
                        return false;
                    };
                    if let Some(name) = pending.take() {
                        if at == 0 {
                            out.truncate(start);
                            return false;
                        }
                        out.push((name.to_string(), &rest[..at]));
                    } else if at != 0 {
                        out.truncate(start);
                        return false;
                    }
                    rest = &rest[at + len..];
                }
                Piece::Param(name) => pending = Some(name),
            }
        }
        match pending {
            Some(name) if !rest.is_empty() => {
                out.push((name.to_string(), rest));
                true
            }
            Some(_) => {
                out.truncate(start);
                false
            }
            None if rest.is_empty() => true,
            None => {
                out.truncate(start);
                false
            }
        }
    }
}

/// The length of the raw prefix of `raw` that decodes to `lit`.
fn starts_with_decoded(raw: &str, lit: &str) -> Option<usize> {
    if raw.starts_with(lit) && !lit.contains('%') {
        return Some(lit.len());
    }
    // Slow path: walk `raw` decoding %XX until `lit` is consumed.
    let raw_b = raw.as_bytes();
    let lit_b = lit.as_bytes();
    let (mut i, mut j) = (0, 0);
    while j < lit_b.len() {
        let (byte, used) = match raw_b.get(i) {
            Some(b'%') => match raw_b.get(i + 1..i + 3).and_then(hex_byte) {
                Some(b) => (b, 3),
                None => (b'%', 1),
            },
            Some(&b) => (b, 1),
            None => return None,
        };
        if byte != lit_b[j] {
            return None;
        }
        i += used;
        j += 1;
    }
    Some(i)
}

fn hex_byte(h: &[u8]) -> Option<u8> {
    if !h.iter().all(u8::is_ascii_hexdigit) {
        return None;
    }
    u8::from_str_radix(std::str::from_utf8(h).ok()?, 16).ok()
}

/// The first position in `raw` where a prefix decoding to `lit` starts, and its raw length.
fn find_decoded(raw: &str, lit: &str) -> Option<(usize, usize)> {
    (1..=raw.len())
        .filter(|&at| raw.is_char_boundary(at))
        .find_map(|at| starts_with_decoded(&raw[at..], lit).map(|len| (at, len)))
}

impl Router {
    /// Adds `template` with `value`.
    pub fn insert(&mut self, template: &str, value: usize) -> Result<(), RouteError> {
        let mut node = &mut self.root;
        for segment in segments(template) {
            node = match parse_segment(segment)? {
                None => node
                    .literals
                    .entry(decode(segment).into_owned())
                    .or_default(),
                Some(pattern) => {
                    let shape = |p: &Pattern| -> Vec<Option<String>> {
                        p.0.iter()
                            .map(|x| match x {
                                Piece::Literal(l) => Some(l.clone()),
                                Piece::Param(_) => None,
                            })
                            .collect()
                    };
                    let same = node
                        .patterns
                        .iter()
                        .position(|(p, _)| shape(p) == shape(&pattern));
                    match same {
                        Some(i) => &mut node.patterns[i].1,
                        None => {
                            let wanted = shape(&pattern);
                            node.patterns.push((pattern, Node::default()));
                            // More literal characters first: `{id}.json` before `{id}`.
                            node.patterns.sort_by_key(|(p, _)| {
                                std::cmp::Reverse(
                                    p.0.iter()
                                        .map(|x| match x {
                                            Piece::Literal(l) => l.len(),
                                            Piece::Param(_) => 0,
                                        })
                                        .sum::<usize>(),
                                )
                            });
                            let i = node
                                .patterns
                                .iter()
                                .position(|(p, _)| shape(p) == wanted)
                                .unwrap_or(0);
                            &mut node.patterns[i].1
                        }
                    }
                }
            };
        }
        if let Some((existing, _)) = node.value {
            return Err(RouteError::Duplicate(existing));
        }
        let names = template
            .split('{')
            .skip(1)
            .filter_map(|s| s.split_once('}').map(|(name, _)| name.to_string()))
            .collect();
        node.value = Some((value, names));
        Ok(())
    }

    /// The value of the template `path` matches, with the raw values of its parameters,
    /// named as in the template that matched.
    pub fn at<'p>(&self, path: &'p str) -> Option<(usize, Vec<(String, &'p str)>)> {
        let segs: Vec<&str> = segments(path).collect();
        let mut params = Vec::new();
        let (value, names) = walk(&self.root, &segs, &mut params)?;
        for ((name, _), own) in params.iter_mut().zip(names) {
            name.clone_from(own);
        }
        Some((*value, params))
    }
}

fn walk<'n, 'p>(
    node: &'n Node,
    segs: &[&'p str],
    params: &mut Vec<(String, &'p str)>,
) -> Option<&'n (usize, Vec<String>)> {
    let Some((first, rest)) = segs.split_first() else {
        return node.value.as_ref();
    };
    if let Some(child) = node.literals.get(decode(first).as_ref())
        && let Some(v) = walk(child, rest, params)
    {
        return Some(v);
    }
    for (pattern, child) in &node.patterns {
        let start = params.len();
        if pattern.capture(first, params) {
            if let Some(v) = walk(child, rest, params) {
                return Some(v);
            }
            params.truncate(start);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn router(templates: &[&str]) -> Router {
        let mut r = Router::default();
        for (i, t) in templates.iter().enumerate() {
            r.insert(t, i).unwrap();
        }
        r
    }

    #[test]
    fn literal_wins_over_template_and_backtracks() {
        let r = router(&[
            "/users/{id}",
            "/users/me",
            "/users/me/{x}/z",
            "/users/{id}/y/z",
        ]);
        assert_eq!(r.at("/users/me").unwrap().0, 1);
        assert_eq!(r.at("/users/42").unwrap(), (0, vec![("id".into(), "42")]));
        // `me` as a literal leads nowhere for /users/me/y/z… it matches the literal branch.
        assert_eq!(r.at("/users/me/y/z").unwrap().0, 2);
        // …and the templated branch when the literal one has no match.
        assert_eq!(r.at("/users/7/y/z").unwrap().0, 3);
        assert!(r.at("/users").is_none());
        assert!(r.at("/users/").is_none());
        assert!(r.at("/users/1/2").is_none());
    }

    #[test]
    fn templates_of_one_shape_keep_their_own_names() {
        let r = router(&["/pets/{petId}", "/pets/{id}/photos"]);
        assert_eq!(r.at("/pets/5").unwrap(), (0, vec![("petId".into(), "5")]));
        assert_eq!(
            r.at("/pets/5/photos").unwrap(),
            (1, vec![("id".into(), "5")])
        );
    }

    #[test]
    fn partial_segments() {
        let r = router(&["/files/{name}.{ext}", "/files/{name}", "/r/{a}-{b}"]);
        assert_eq!(
            r.at("/files/report.pdf").unwrap(),
            (0, vec![("name".into(), "report"), ("ext".into(), "pdf")])
        );
        assert_eq!(r.at("/files/report").unwrap().0, 1);
        assert_eq!(
            r.at("/r/x-y-z").unwrap().1,
            vec![("a".into(), "x"), ("b".into(), "y-z")]
        );
        assert!(r.at("/r/-y").is_none());
    }

    #[test]
    fn literals_compare_decoded_and_values_stay_raw() {
        let r = router(&["/books/{id}", "/a b"]);
        assert_eq!(
            r.at("/b%6Foks/x%2Cy").unwrap().1,
            vec![("id".into(), "x%2Cy")]
        );
        assert_eq!(r.at("/a%20b").unwrap().0, 1);
    }

    #[test]
    fn root_and_trailing_slash() {
        let r = router(&["/", "/a/"]);
        assert_eq!(r.at("/").unwrap().0, 0);
        assert_eq!(r.at("/a/").unwrap().0, 1);
        assert!(r.at("/a").is_none());
    }

    #[test]
    fn malformed_and_duplicates() {
        let mut r = Router::default();
        assert_eq!(r.insert("/a/{", 0), Err(RouteError::Malformed));
        assert_eq!(r.insert("/a/{}", 0), Err(RouteError::Malformed));
        assert_eq!(r.insert("/a/{x}{y}", 0), Err(RouteError::Malformed));
        r.insert("/a/{x}", 0).unwrap();
        assert_eq!(r.insert("/a/{y}", 1), Err(RouteError::Duplicate(0)));
    }
}
