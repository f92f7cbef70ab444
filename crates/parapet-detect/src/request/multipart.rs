//! multipart/form-data bodies: each part's field name, file name and content. Parts whose
//! content is binary (a NUL byte, or a media type that is not text) are not inspected as
//! text. A body that does not follow the format is inspected from where it stops making
//! sense, as text.

use crate::engine::Scan;
use crate::location::Part;
use crate::needle;

/// The boundary parameter of a multipart Content-Type.
pub(crate) fn boundary(content_type: &str) -> Option<String> {
    content_type
        .split(';')
        .skip(1)
        .find_map(|param| {
            let (name, value) = param.split_once('=')?;
            name.trim()
                .eq_ignore_ascii_case("boundary")
                .then(|| value.trim().trim_matches('"').to_owned())
        })
        .filter(|b| !b.is_empty() && b.len() <= 200)
}

impl Scan<'_> {
    /// Inspects a multipart body delimited by `boundary`.
    pub(crate) fn multipart(&mut self, body: &[u8], boundary: &str) {
        let delimiter = format!("--{boundary}");
        let finder = memchr::memmem::Finder::new(delimiter.as_bytes());
        let mut positions = finder.find_iter(body).peekable();
        let Some(first) = positions.next() else {
            self.value(Part::Body, "", body, false);
            return;
        };
        // The preamble is ignored by servers, but an attacker may still hide data there.
        if body[..first].iter().any(|b| !b.is_ascii_whitespace()) {
            self.value(Part::Body, "", &body[..first], false);
        }
        let mut start = first + delimiter.len();
        for next in positions {
            if next < start {
                continue;
            }
            self.part(&body[start..next]);
            start = next + delimiter.len();
        }
        // After the closing delimiter (`--boundary--`), the epilogue.
        let rest = &body[start.min(body.len())..];
        let rest = rest.strip_prefix(b"--").unwrap_or(rest);
        if rest.iter().any(|b| !b.is_ascii_whitespace()) {
            self.value(Part::Body, "", rest, false);
        }
    }

    /// One part, between two delimiters: headers, an empty line, the content.
    fn part(&mut self, part: &[u8]) {
        let part = part
            .strip_prefix(b"\r\n")
            .or_else(|| part.strip_prefix(b"\n"))
            .unwrap_or(part);
        let (head, content) = match needle::find(part, b"\r\n\r\n") {
            Some(i) => (&part[..i], &part[i + 4..]),
            None => match needle::find(part, b"\n\n") {
                Some(i) => (&part[..i], &part[i + 2..]),
                None => {
                    self.value(Part::Body, "", part, false);
                    return;
                }
            },
        };
        let content = content
            .strip_suffix(b"\r\n")
            .or_else(|| content.strip_suffix(b"\n"))
            .unwrap_or(content);
        let mut field = String::new();
        let mut text = true;
        for line in head.split(|&b| b == b'\n') {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            let Some(colon) = memchr::memchr(b':', line) else {
                continue;
            };
            let (name, value) = (&line[..colon], &line[colon + 1..]);
            if name.eq_ignore_ascii_case(b"content-disposition") {
                for (param, v) in disposition_params(value) {
                    if param.eq_ignore_ascii_case(b"name") {
                        self.value(Part::BodyKey, "", v, false);
                        field = String::from_utf8_lossy(v).into_owned();
                    } else if param.eq_ignore_ascii_case(b"filename")
                        || param.eq_ignore_ascii_case(b"filename*")
                    {
                        self.value(Part::FileName, &field, v, false);
                    }
                }
            } else if name.eq_ignore_ascii_case(b"content-type") {
                let media = String::from_utf8_lossy(value).trim().to_ascii_lowercase();
                text = media.starts_with("text/")
                    || media.contains("json")
                    || media.contains("xml")
                    || media.contains("x-www-form-urlencoded")
                    || media.is_empty();
                if !text {
                    continue;
                }
                // The part's own headers are inspected like request headers.
                self.value(Part::Header, "content-type", value, false);
            } else {
                let header = String::from_utf8_lossy(name).to_ascii_lowercase();
                self.value(Part::Header, header.trim(), value, false);
            }
        }
        if text && memchr::memchr(0, content).is_none() {
            self.value(Part::Body, &field, content, false);
        }
    }
}

/// The `name=value` parameters of a Content-Disposition header, quotes removed.
fn disposition_params(value: &[u8]) -> Vec<(&[u8], &[u8])> {
    let mut params = Vec::new();
    let mut rest = value;
    while let Some(semi) = memchr::memchr(b';', rest) {
        rest = &rest[semi + 1..];
        let trimmed = rest.trim_ascii_start();
        let Some(eq) = memchr::memchr(b'=', trimmed) else {
            break;
        };
        let name = trimmed[..eq].trim_ascii();
        let after = &trimmed[eq + 1..];
        let (v, tail) = if let Some(quoted) = after.strip_prefix(b"\"") {
            match memchr::memchr(b'"', quoted) {
                Some(end) => (&quoted[..end], &quoted[end + 1..]),
                None => (quoted, &b""[..]),
            }
        } else {
            let end = memchr::memchr(b';', after).unwrap_or(after.len());
            (after[..end].trim_ascii(), &after[end..])
        };
        params.push((name, v));
        rest = tail;
    }
    params
}
