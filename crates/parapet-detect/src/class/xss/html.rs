//! A small, forgiving HTML tokenizer for XSS detection: it finds start tags (malformed ones
//! too: `<img/src=x onerror=…>`, `<script/x>`, control characters inside the name, a missing
//! `>`), reads their attributes the way a browser's tokenizer does (quoted, unquoted and
//! back-ticked values, `/` as a separator), and judges each tag and attribute: script and
//! other active elements, event handlers, script URLs in URL attributes, CSS that runs code,
//! `srcdoc`, `http-equiv`. Closing tags of raw-text elements (`</title><…`) are reported as
//! breakouts. An attribute value holding markup is scanned once more as a document (a payload
//! hidden in a quoted value a comment or a second tag would reveal), so every byte is read at
//! most twice: the pass is linear.

use super::{
    CSS_CODE, CSS_INJECTION, DANGEROUS_TAG, ELEMENT_BREAKOUT, EVENT_HANDLER, FOREIGN_TAG,
    JS_EVASION, JS_URI, SCRIPT_TAG, SUSPICIOUS_TAG, XML_NAMESPACE, css, scheme,
};
use crate::detector::Sink;
use crate::needle;
use std::ops::Range;

/// What a tag name says about the element.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    /// `script`.
    Script,
    /// Elements that load or run active content, or change how the page resolves URLs.
    Active,
    /// `style`: its text is CSS.
    Style,
    /// `meta`: dangerous with `http-equiv`.
    Meta,
    /// `link`: dangerous with `rel=import` or a style sheet.
    Link,
    /// `xml`: an IE data island when it has an id or a source.
    Xml,
    /// Foreign content and XML vocabularies where parsers and sanitizers disagree: SVG,
    /// MathML, SMIL animation, XML Events, XSLT, VML, and any tag with a namespace prefix.
    Foreign,
    /// Elements that are unusual in user content and common in payloads (forms, `marquee`,
    /// media, document-level elements…).
    Unusual,
    /// Anything else.
    Other,
}

/// The kind of a (lowercase) tag name; a namespace prefix (`svg:script`) is ignored, except
/// that an otherwise plain element with a prefix is foreign.
pub(super) fn kind(name: &[u8]) -> Kind {
    let (prefixed, local) = match name.iter().rposition(|&b| b == b':') {
        Some(i) => (true, &name[i + 1..]),
        None => (false, name),
    };
    let k = local_kind(local);
    // Office's document settings (`<o:OfficeDocumentSettings>`, `<w:WordDocument>`), which
    // HTML e-mails carry for Outlook: data for Word's renderer, no vocabulary that runs.
    let office = name.starts_with(b"o:") || name.starts_with(b"w:");
    if prefixed && k == Kind::Other && !office {
        Kind::Foreign
    } else {
        k
    }
}

fn local_kind(local: &[u8]) -> Kind {
    match local {
        b"script" => Kind::Script,
        b"iframe" | b"frame" | b"frameset" | b"object" | b"embed" | b"applet" | b"base"
        | b"isindex" | b"layer" | b"ilayer" | b"import" | b"portal" | b"vmlframe" => Kind::Active,
        b"style" => Kind::Style,
        b"meta" => Kind::Meta,
        b"link" => Kind::Link,
        b"xml" => Kind::Xml,
        b"svg" | b"math" | b"animate" | b"animatetransform" | b"animatemotion" | b"set"
        | b"handler" | b"listener" | b"foreignobject" | b"maction" | b"stylesheet"
        | b"transform" => Kind::Foreign,
        b"form" | b"button" | b"input" | b"marquee" | b"template" | b"xmp" | b"bgsound"
        | b"video" | b"audio" | b"source" | b"details" | b"keygen" | b"textarea" | b"select"
        | b"body" | b"html" | b"head" | b"title" | b"noscript" | b"plaintext" | b"use"
        | b"image" | b"x" | b"xss" | b"dialog" => Kind::Unusual,
        _ => Kind::Other,
    }
}

/// Elements whose text is raw (not parsed as markup): closing one from inside a value is a
/// breakout into the page.
const RAW_TEXT: [&[u8]; 12] = [
    b"script",
    b"style",
    b"title",
    b"textarea",
    b"noscript",
    b"xmp",
    b"iframe",
    b"noembed",
    b"noframes",
    b"template",
    b"select",
    b"option",
];

/// The index of `name` in [`RAW_TEXT`].
fn raw_text(name: &[u8]) -> Option<usize> {
    RAW_TEXT.iter().position(|&r| r == name)
}

/// Attributes whose value is a URL a browser may navigate to, load or run.
fn url_attribute(name: &[u8]) -> bool {
    let local = match name.iter().rposition(|&b| b == b':') {
        Some(i) => &name[i + 1..],
        None => name,
    };
    matches!(
        local,
        b"href"
            | b"src"
            | b"action"
            | b"formaction"
            | b"data"
            | b"lowsrc"
            | b"dynsrc"
            | b"background"
            | b"poster"
            | b"codebase"
            | b"code"
            | b"classid"
            | b"archive"
            | b"cite"
            | b"longdesc"
            | b"usemap"
            | b"icon"
            | b"manifest"
            | b"ping"
            | b"profile"
            | b"datasrc"
            | b"from"
            | b"to"
            | b"values"
            | b"by"
            | b"value"
            | b"folder"
            | b"xmlns"
            | b"srcset"
            | b"imagesrcset"
            | b"content"
    )
}

/// Whether an attribute name is an event handler: `on` and at least three letters
/// (`oncut`, `onload`, `onmouseover`, `onafterscriptexecute`…).
pub(super) fn handler_name(name: &[u8]) -> bool {
    name.len() >= 5 && name.starts_with(b"on") && name[2..].iter().all(u8::is_ascii_alphabetic)
}

/// HTML whitespace, widened to every control character and space (old browsers and
/// sloppy parsers accept more separators than the standard).
fn space(b: u8) -> bool {
    b <= 0x20
}

/// One attribute of a tag: name, and value without its quotes.
pub(super) struct Attribute {
    pub name: Range<usize>,
    pub value: Option<Range<usize>>,
}

/// Reads attributes from `pos` (just after a tag name, or after a quote that closes an
/// attribute in the page) until `>` or the end, calling `each` for every one. Returns the
/// offset after the tag, or that of a `<` that starts a new tag inside it.
pub(super) fn attributes(lower: &[u8], mut pos: usize, mut each: impl FnMut(&Attribute)) -> usize {
    let len = lower.len();
    loop {
        while pos < len && (space(lower[pos]) || lower[pos] == b'/') {
            pos += 1;
        }
        match lower.get(pos) {
            None => return len,
            Some(b'>') => return pos + 1,
            Some(b'<') => return pos,
            Some(_) => {}
        }
        let start = pos;
        pos += 1; // a first `=` belongs to the name
        while pos < len && !matches!(lower[pos], b'/' | b'>' | b'=' | b'<') && !space(lower[pos]) {
            pos += 1;
        }
        let name = start..pos;
        let mut after = pos;
        while after < len && space(lower[after]) {
            after += 1;
        }
        let mut value = None;
        if lower.get(after) == Some(&b'=') {
            pos = after + 1;
            while pos < len && space(lower[pos]) {
                pos += 1;
            }
            match lower.get(pos) {
                Some(&q @ (b'"' | b'\'' | b'`')) => {
                    let from = pos + 1;
                    let end = memchr::memchr(q, &lower[from..]).map_or(len, |i| from + i);
                    value = Some(from..end);
                    pos = (end + 1).min(len);
                }
                _ => {
                    let from = pos;
                    while pos < len && !space(lower[pos]) && lower[pos] != b'>' {
                        pos += 1;
                    }
                    value = Some(from..pos);
                }
            }
        }
        each(&Attribute { name, value });
    }
}

/// A tag name read after `<`: the name with ignored bytes removed, where it ends.
struct TagName {
    buf: [u8; 24],
    len: usize,
    end: usize,
}

impl TagName {
    fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }

    /// Reads a name from `pos`: letters, digits and the like, skipping the control
    /// characters (NUL…) that old parsers dropped; when `join` is set, tabs, newlines and
    /// carriage returns are skipped as well (`<scr\nipt>`).
    fn read(lower: &[u8], mut pos: usize, join: bool) -> TagName {
        let mut t = TagName {
            buf: [0; 24],
            len: 0,
            end: pos,
        };
        while let Some(&b) = lower.get(pos) {
            match b {
                b'\t' | b'\n' | b'\r' if join => {}
                // A NUL written as an escape (`<scr\0ipt>`).
                b'\\' if join && lower.get(pos + 1) == Some(&b'0') => pos += 1,
                b'\t' | b'\n' | b'\x0c' | b'\r' | b' ' | b'/' | b'>' | b'<' | b'\\' => break,
                0x00..=0x1f => {}
                _ => {
                    if t.len < t.buf.len() {
                        t.buf[t.len] = b;
                    }
                    t.len += 1;
                }
            }
            pos += 1;
        }
        t.len = t.len.min(t.buf.len());
        t.end = pos;
        t
    }
}

/// Scans `lower` for tags and judges them; `nested` is set when `lower` is an attribute
/// value being read as markup (its values are not read again).
pub(super) fn scan(lower: &[u8], base: usize, sink: &mut Sink<'_>, nested: bool) {
    let mut i = 0;
    // How many of each [`RAW_TEXT`] element the value has opened and not closed (`<title>…`
    // in a whole document): an end tag closing one of them breaks out of none.
    let mut open = [0u32; RAW_TEXT.len()];
    while let Some(off) = memchr::memchr(b'<', lower.get(i..).unwrap_or_default()) {
        let lt = i + off;
        i = lt + 1;
        match lower.get(lt + 1) {
            Some(b'/') => {
                let name = TagName::read(lower, lt + 2, false);
                if let Some(r) = raw_text(name.as_bytes()) {
                    if open[r] > 0 {
                        open[r] -= 1;
                    } else if markup_follows(lower, name.end) {
                        sink.report(&ELEMENT_BREAKOUT, base + lt..base + name.end);
                    }
                }
                // Attributes on an end tag (`<// style=x:expression(…)>`): old parsers read them.
                i = attributes(lower, name.end, |a| {
                    attribute(lower, base, Kind::Other, a, sink, nested);
                });
            }
            Some(b'?') => {
                // Processing instructions that load behaviours or style sheets into IE.
                let rest = lower.get(lt + 2..).unwrap_or_default();
                if [&b"import"[..], b"xml:namespace"]
                    .iter()
                    .any(|p| rest.starts_with(p))
                {
                    sink.report(&DANGEROUS_TAG, base + lt..base + lt + 2);
                }
                // A style sheet (XSLT can hold script) applied to the document.
                if rest.starts_with(b"xml-stylesheet") {
                    sink.report(&XML_NAMESPACE, base + lt..base + lt + 16);
                }
            }
            // `<:vmlframe`: an empty namespace prefix.
            Some(&c) if c.is_ascii_alphabetic() || c == b':' => {
                let mut name = TagName::read(lower, lt + 1, false);
                let mut k = kind(name.as_bytes());
                if matches!(k, Kind::Other | Kind::Unusual | Kind::Foreign) {
                    let joined = TagName::read(lower, lt + 1, true);
                    let jk = kind(joined.as_bytes());
                    if matches!(jk, Kind::Script | Kind::Active) {
                        name = joined;
                        k = jk;
                    }
                }
                if let Some(r) = raw_text(name.as_bytes()) {
                    open[r] = open[r].saturating_add(1);
                }
                if name.len == 1 {
                    spaced_tag(lower, base, lt, sink);
                }
                // `<importimplementation=…`: IE's behaviour import, however the name is glued.
                if k == Kind::Other
                    && name.as_bytes().starts_with(b"import")
                    && let Some(at) = implementation(lower, lt)
                {
                    sink.report(&DANGEROUS_TAG, base + lt..base + at);
                }
                i = tag(lower, base, lt, &name, k, sink, nested);
            }
            Some(b' ' | b'\t') => {
                spaced_tag(lower, base, lt, sink);
                spaced_prefixed_tag(lower, base, lt, sink);
            }
            _ => {}
        }
    }
}

/// XML-namespace tricks in one attribute: XML Events handlers (`ev:handler`), links
/// through XLink to other documents, XSLT, XML Events or IE `x-schema:` namespaces,
/// schemas fetched from a URL.
fn namespaced(name: &[u8], value: &[u8], span: Range<usize>, sink: &mut Sink<'_>) {
    let (prefix, local) = match name.iter().position(|&b| b == b':') {
        Some(i) => (&name[..i], &name[i + 1..]),
        None => (&b""[..], name),
    };
    let value = value.trim_ascii();
    if prefix == b"xmlns" || name == b"xmlns" {
        if value.starts_with(b"x-schema:") {
            sink.report(&DANGEROUS_TAG, span);
        } else if needle::find(value, b"xsl").is_some()
            || needle::find(value, b"xml-events").is_some()
        {
            sink.report(&XML_NAMESPACE, span);
        }
        return;
    }
    if prefix.is_empty() {
        return;
    }
    match local {
        b"handler" => sink.report(&EVENT_HANDLER, span),
        // `<a xlink:href=//evil/>` in MathML or SVG; `#id` references are ordinary SVG.
        b"href" if !value.is_empty() && !value.starts_with(b"#") => {
            sink.report(&XML_NAMESPACE, span)
        }
        b"schemalocation" | b"nonamespaceschemalocation"
            if needle::find(value, b"//").is_some() =>
        {
            sink.report(&XML_NAMESPACE, span)
        }
        _ => {}
    }
}

/// `<f o r m`, `< s c r i p t`: a tag name spelt with spaces between its letters, which
/// only a filter evasion writes (no browser reads it as a tag).
fn spaced_tag(lower: &[u8], base: usize, lt: usize, sink: &mut Sink<'_>) {
    let mut buf = [0u8; 16];
    let mut n = 0;
    let mut p = lt + 1;
    while p < lower.len() && matches!(lower[p], b' ' | b'\t') {
        p += 1;
    }
    while let Some(&c) = lower.get(p) {
        if !c.is_ascii_alphabetic()
            || lower.get(p + 1).is_some_and(u8::is_ascii_alphanumeric)
            || n == buf.len()
        {
            break;
        }
        buf[n] = c;
        n += 1;
        p += 1;
        let gap = p;
        while p < lower.len() && matches!(lower[p], b' ' | b'\t') {
            p += 1;
        }
        if p == gap {
            break;
        }
    }
    if n >= 3 && !matches!(kind(&buf[..n]), Kind::Other) {
        sink.report(&JS_EVASION, base + lt..base + p);
    }
}

/// `< x: script>`: blanks after `<`, a namespace prefix, blanks, then the name of a script
/// or active element that closes the tag or the value; no browser reads it as a tag, only
/// a filter evasion writes it.
fn spaced_prefixed_tag(lower: &[u8], base: usize, lt: usize, sink: &mut Sink<'_>) {
    let word = |from: usize| {
        from + lower
            .get(from..)
            .unwrap_or_default()
            .iter()
            .take_while(|c| c.is_ascii_alphanumeric())
            .count()
    };
    let blanks = |from: usize| {
        from + lower
            .get(from..)
            .unwrap_or_default()
            .iter()
            .take_while(|c| matches!(c, b' ' | b'\t'))
            .count()
    };
    let prefix = blanks(lt + 1);
    let colon = word(prefix);
    if colon == prefix || colon - prefix > 10 || lower.get(colon) != Some(&b':') {
        return;
    }
    let from = blanks(colon + 1);
    let end = word(from);
    // Ends the value or the tag: prose goes on (`if a < b: script runs`).
    let closed = matches!(lower.get(blanks(end)), None | Some(b'>' | b'/'));
    if closed && matches!(local_kind(&lower[from..end]), Kind::Script | Kind::Active) {
        sink.report(&JS_EVASION, base + lt..base + end);
    }
}

/// The end of `implementation` and its `=` in the tag opening at `lt`, if the tag has one.
fn implementation(lower: &[u8], lt: usize) -> Option<usize> {
    let tag = &lower[lt..lower.len().min(lt + 256)];
    let tag = &tag[..memchr::memchr(b'>', tag).unwrap_or(tag.len())];
    let at = needle::find(tag, b"implementation")? + 14;
    let eq = at + tag[at..].iter().take_while(|&&b| space(b)).count();
    (tag.get(eq) == Some(&b'=')).then_some(lt + eq + 1)
}

/// Whether a closing tag ending at `pos` is followed by new markup (`</title><img …`).
fn markup_follows(lower: &[u8], pos: usize) -> bool {
    let mut p = pos;
    while p < lower.len() && lower[p] != b'>' && p - pos < 16 {
        p += 1;
    }
    let rest = lower.get(p + 1..).unwrap_or_default();
    let rest = rest.trim_ascii_start();
    rest.first() == Some(&b'<')
        && rest
            .get(1)
            .is_some_and(|c| c.is_ascii_alphabetic() || *c == b'!')
}

/// Judges one start tag at `lt` and its attributes; returns where scanning resumes.
fn tag(
    lower: &[u8],
    base: usize,
    lt: usize,
    name: &TagName,
    k: Kind,
    sink: &mut Sink<'_>,
    nested: bool,
) -> usize {
    let span = base + lt..base + name.end;
    match k {
        Kind::Script => sink.report(&SCRIPT_TAG, span.clone()),
        Kind::Active => sink.report(&DANGEROUS_TAG, span.clone()),
        Kind::Foreign => sink.report(&FOREIGN_TAG, span.clone()),
        Kind::Unusual | Kind::Style | Kind::Meta | Kind::Link | Kind::Xml => {
            sink.report(&SUSPICIOUS_TAG, span.clone())
        }
        Kind::Other => {}
    }
    // A `<meta>` that declares only what every page does, or a `<link>` to Google's fonts,
    // has attributes of no consequence.
    let plain = match k {
        Kind::Meta => plain_meta(lower, name.end),
        Kind::Link => font_link(lower, name.end),
        _ => false,
    };
    let attribute_kind = if plain { Kind::Other } else { k };
    let end = attributes(lower, name.end, |a| {
        attribute(lower, base, attribute_kind, a, sink, nested);
    });
    if k == Kind::Style {
        let body = lower.get(end..).unwrap_or_default();
        let close = needle::find(body, b"</style").unwrap_or(body.len());
        if let Some(at) = css::code(&body[..close], false) {
            sink.report(&CSS_CODE, base + end + at..base + end + close);
        } else if let Some(at) = css::escaped_rule(&body[..close]) {
            sink.report(&CSS_INJECTION, base + end + at..base + end + close);
        }
    }
    end
}

/// Whether the `<meta>` whose attributes start at `pos` declares only what every HTML page
/// and e-mail does: an ASCII-compatible encoding (`charset="utf-8"`, or `http-equiv=
/// "Content-Type"` with `content="text/html; charset=utf-8"`), IE's standards mode
/// (`X-UA-Compatible`, `IE=edge`), or neither (`name="viewport"`). UTF-7 (read as script by
/// old browsers), a refresh or a cookie are not plain.
fn plain_meta(lower: &[u8], pos: usize) -> bool {
    let (mut equiv, mut charset, mut content) = (None, None, None);
    attributes(lower, pos, |a| {
        let value = a.value.clone().map(|v| lower[v].trim_ascii());
        match lower[a.name.clone()].trim_ascii_end() {
            b"http-equiv" => equiv = value,
            b"charset" => charset = value,
            b"content" => content = value,
            _ => {}
        }
    });
    let ascii = |c: &[u8]| {
        matches!(c, b"utf-8" | b"utf8" | b"us-ascii")
            || c.starts_with(b"iso-8859-")
            || c.starts_with(b"windows-125")
    };
    let declared = match equiv {
        None => true,
        Some(b"content-type") => content.is_some_and(|c| {
            let charset = needle::find(c, b"charset=").map(|at| c[at + 8..].trim_ascii());
            c.starts_with(b"text/html") && charset.is_none_or(ascii)
        }),
        Some(b"x-ua-compatible") => content == Some(b"ie=edge"),
        Some(_) => false,
    };
    charset.is_none_or(ascii) && declared
}

/// Whether the `<link>` whose attributes start at `pos` loads Google's web fonts (`href=
/// "https://fonts.googleapis.com/css2?family=…"`, or a `preconnect` to its hosts), as HTML
/// e-mail builders write: the style sheet is Google's, made from a family name, and holds
/// nothing of the request's.
fn font_link(lower: &[u8], pos: usize) -> bool {
    let mut href = None;
    attributes(lower, pos, |a| {
        if lower[a.name.clone()].trim_ascii_end() == b"href" {
            href = a.value.clone().map(|v| lower[v].trim_ascii());
        }
    });
    href.is_some_and(|h| {
        let host_end = h
            .get(8..)
            .and_then(|rest| rest.iter().position(|&b| b == b'/'));
        let host = h
            .strip_prefix(b"https://")
            .map(|rest| &rest[..host_end.unwrap_or(rest.len())]);
        matches!(host, Some(b"fonts.googleapis.com" | b"fonts.gstatic.com"))
    })
}

/// Judges one attribute of a tag of kind `k` (`k` is `None` when the attribute follows a
/// quote that closed an attribute of the page: no tag is known).
pub(super) fn attribute(
    lower: &[u8],
    base: usize,
    k: Kind,
    a: &Attribute,
    sink: &mut Sink<'_>,
    nested: bool,
) {
    let name = lower[a.name.clone()].trim_ascii_end();
    let Some(vr) = a.value.clone() else {
        // `<link href /=`: a style sheet or import even when the value is mangled.
        if k == Kind::Link && name == b"href" {
            sink.report(&DANGEROUS_TAG, base + a.name.start..base + a.name.end);
        }
        return;
    };
    let value = &lower[vr.clone()];
    let span = base + a.name.start..base + vr.end;
    if handler_name(name) {
        sink.report(&EVENT_HANDLER, span.clone());
    }
    if url_attribute(name) {
        let scheme_here = if name == b"content" {
            // `<meta http-equiv=refresh content="0;url=javascript:…">`
            needle::find(value, b"url=").and_then(|i| scheme::at(value, i + 4))
        } else {
            scheme::at(value, 0)
        };
        if scheme_here.is_some() {
            sink.report(&JS_URI, span.clone());
        }
    }
    namespaced(name, value, span.clone(), sink);
    // An element of no known vocabulary declaring a namespace: XML in disguise.
    if k == Kind::Other && (name == b"xmlns" || name.starts_with(b"xmlns:")) {
        sink.report(&FOREIGN_TAG, span.clone());
    }
    match name {
        // Sends a form (the page's login form, say) to another URL.
        b"formaction" => sink.report(&DANGEROUS_TAG, span.clone()),
        b"style" if css::code(value, false).is_some() => {
            sink.report(&CSS_CODE, span.clone());
        }
        b"style" if css::injection(value) => sink.report(&CSS_INJECTION, span.clone()),
        b"srcdoc" if value.contains(&b'<') || value.contains(&b'&') => {
            sink.report(&DANGEROUS_TAG, span.clone());
        }
        b"http-equiv" | b"charset" if k == Kind::Meta => sink.report(&DANGEROUS_TAG, span.clone()),
        b"rel"
            if k == Kind::Link
                && (needle::find(value, b"import").is_some()
                    || needle::find(value, b"stylesheet").is_some()) =>
        {
            sink.report(&DANGEROUS_TAG, span.clone());
        }
        b"type" | b"language"
            if matches!(k, Kind::Style | Kind::Link)
                && needle::find(value, b"script").is_some() =>
        {
            sink.report(&SCRIPT_TAG, span.clone());
        }
        b"href" if k == Kind::Link => sink.report(&DANGEROUS_TAG, span.clone()),
        b"id" | b"src" if k == Kind::Xml => sink.report(&DANGEROUS_TAG, span.clone()),
        b"dataformatas" if value.starts_with(b"html") => {
            sink.report(&DANGEROUS_TAG, span.clone());
        }
        b"attributename" if value.starts_with(b"on") && handler_name(value) => {
            sink.report(&EVENT_HANDLER, span.clone());
        }
        // SMIL animation rewriting a link target (`<set attributeName=xlink:href to=…>`).
        b"attributename" if value == b"href" || value.ends_with(b":href") => {
            sink.report(&XML_NAMESPACE, span.clone());
        }
        // XML Events: `<listener event=load handler=#x>`.
        b"handler" if k == Kind::Foreign => sink.report(&EVENT_HANDLER, span.clone()),
        _ => {}
    }
    if !nested && value.contains(&b'<') {
        scan(value, base + vr.start, sink, true);
    }
}
