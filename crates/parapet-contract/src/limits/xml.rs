//! Threat limits for XML bodies, checked in one streaming pass with quick-xml's pull reader
//! over the body bytes, before anything else reads the document.
//!
//! No DTD is ever processed: a document type declaration (`<!DOCTYPE …>`, internal subset or
//! not) is refused outright, which covers external entities (XXE), parameter entities and
//! entity expansion bombs ("billion laughs"). Entity references other than the five
//! predefined ones (`&lt;` `&gt;` `&amp;` `&apos;` `&quot;`) and numeric character references
//! are refused too, in text and in attribute values; nothing is ever expanded.
//!
//! Besides the limits, the document must be well-formed in the ways that matter to a parser
//! behind the gateway (`xml.syntax`): valid UTF-8 with only characters XML allows, one root
//! element, tags that nest and match, names that are XML names, no text outside the root but
//! whitespace, no duplicate attribute names, no `<` or lone `&` in attribute values, comments
//! without `--`, and an XML declaration only at the very start, declaring XML 1.x in UTF-8 or
//! an ASCII-compatible single-byte encoding (a document declared as UTF-16, UTF-7, EBCDIC or
//! a multi-byte Asian encoding would be read differently by the backend than it was checked
//! here).
//!
//! Processing instructions other than the XML declaration, and comments, are allowed and
//! counted in no limit.

use crate::violation::push_token;
use crate::{Part, Violation};
use quick_xml::errors::{Error, IllFormedError, SyntaxError};
use quick_xml::events::{BytesDecl, BytesStart, Event};
use quick_xml::reader::Reader;

/// Rule: the document has a document type declaration.
const DTD: &str = "xml.dtd";
/// Rule: an entity reference other than the predefined ones.
const ENTITY: &str = "xml.entity";
/// Rule: the document is not well-formed.
const SYNTAX: &str = "xml.syntax";
/// Rule: the body is larger than [`XmlLimits::max_size`].
const MAX_SIZE: &str = "xml.max_size";
/// Rule: elements nest deeper than [`XmlLimits::max_depth`].
const MAX_DEPTH: &str = "xml.max_depth";
/// Rule: more elements than [`XmlLimits::max_elements`].
const MAX_ELEMENTS: &str = "xml.max_elements";
/// Rule: an element has more attributes than [`XmlLimits::max_attributes`].
const MAX_ATTRIBUTES: &str = "xml.max_attributes";
/// Rule: a text node or attribute value is longer than [`XmlLimits::max_text_length`].
const MAX_TEXT_LENGTH: &str = "xml.max_text_length";

/// The UTF-8 byte order mark, which quick-xml skips at the start of the input.
const BOM: &str = "\u{FEFF}";

/// The threat limits of an XML body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct XmlLimits {
    /// The largest body, in bytes (default 1 MiB).
    pub max_size: usize,
    /// The deepest element nesting; the root element is at depth 1 (default 32).
    pub max_depth: usize,
    /// The most elements in the document, empty ones included (default 10 000).
    pub max_elements: usize,
    /// The most attributes on one element, namespace declarations included (default 50).
    pub max_attributes: usize,
    /// The longest text node or attribute value, in bytes as written in the document
    /// (references count as written: `&amp;` is 5). A text node is all the character data
    /// between two tags: text, references and CDATA sections, even when comments or
    /// processing instructions cut it in pieces (default 64 KiB).
    pub max_text_length: usize,
}

impl Default for XmlLimits {
    fn default() -> Self {
        XmlLimits {
            max_size: 1024 * 1024,
            max_depth: 32,
            max_elements: 10_000,
            max_attributes: 50,
            max_text_length: 64 * 1024,
        }
    }
}

/// The first rule an XML body broke.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct XmlBreach {
    /// Which rule: `xml.dtd`, `xml.entity`, `xml.syntax`, `xml.max_size`, `xml.max_depth`,
    /// `xml.max_elements`, `xml.max_attributes` or `xml.max_text_length`.
    pub rule: &'static str,
    /// The element the breach is in, as the path of element names from the root
    /// (`/order/items/item`, each name escaped as a JSON pointer token); empty when it is
    /// outside any element (the prolog, the size, the encoding).
    pub pointer: String,
    /// Where in the body, in bytes from its start: the start of the event (tag, text,
    /// reference…) that broke the rule, or of the bad byte.
    pub offset: usize,
}

impl XmlBreach {
    /// The breach as a violation of the body.
    pub fn violation(&self) -> Violation {
        Violation::new(Part::Body, self.pointer.clone(), self.rule)
    }
}

/// Checks an XML body against `limits`, in one pass that stops at the first breach.
///
/// The input is never transformed: no entity is expanded and no DTD is read, so the cost is
/// linear in the input, which is itself bounded by [`XmlLimits::max_size`] before anything
/// else is looked at.
pub fn check(input: &[u8], limits: &XmlLimits) -> Result<(), XmlBreach> {
    if input.len() > limits.max_size {
        return Err(XmlBreach {
            rule: MAX_SIZE,
            pointer: String::new(),
            offset: limits.max_size,
        });
    }
    let text = std::str::from_utf8(input).map_err(|e| XmlBreach {
        rule: SYNTAX,
        pointer: String::new(),
        offset: e.valid_up_to(),
    })?;
    if let Some(offset) = text
        .char_indices()
        .find_map(|(i, c)| (!is_xml_char(c)).then_some(i))
    {
        return Err(XmlBreach {
            rule: SYNTAX,
            pointer: String::new(),
            offset,
        });
    }
    // quick-xml skips one byte order mark without counting it in its positions.
    let base = if text.starts_with(BOM) { BOM.len() } else { 0 };
    Walk::new(limits, base).run(text)
}

/// The state of the one pass over a document.
struct Walk<'l> {
    limits: &'l XmlLimits,
    /// Where quick-xml's positions start in the input.
    base: usize,
    /// The path of the open elements, as a JSON pointer.
    path: String,
    /// For each open element, the length of `path` before it was pushed.
    marks: Vec<usize>,
    /// Elements seen so far.
    elements: usize,
    /// Whether the root element was opened (a second one is refused).
    root_seen: bool,
    /// Bytes of character data since the last tag.
    text_run: usize,
}

impl<'l> Walk<'l> {
    fn new(limits: &'l XmlLimits, base: usize) -> Self {
        Walk {
            limits,
            base,
            path: String::new(),
            marks: Vec::new(),
            elements: 0,
            root_seen: false,
            text_run: 0,
        }
    }

    fn run(mut self, text: &str) -> Result<(), XmlBreach> {
        let mut reader = Reader::from_str(text);
        let config = reader.config_mut();
        // Tags must match and nest; nothing is trimmed, expanded or forgiven.
        config.check_end_names = true;
        config.check_comments = true;
        config.allow_unmatched_ends = false;
        config.allow_dangling_amp = false;
        config.expand_empty_elements = false;
        config.trim_text(false);
        loop {
            let at = self.position(reader.buffer_position());
            let event = match reader.read_event() {
                Ok(event) => event,
                Err(error) => {
                    let at = self.position(reader.error_position());
                    return Err(self.breach(error_rule(&error), at));
                }
            };
            match event {
                Event::Start(start) => self.open(&start, at)?,
                Event::Empty(start) => {
                    self.open(&start, at)?;
                    self.close();
                }
                Event::End(_) => {
                    // quick-xml already refused an end tag that does not match the open one.
                    if self.marks.is_empty() {
                        return Err(self.breach(SYNTAX, at));
                    }
                    self.close();
                }
                Event::Text(text) => {
                    if self.marks.is_empty() {
                        if !text.bytes().all(is_xml_whitespace) {
                            return Err(self.breach(SYNTAX, at));
                        }
                    } else {
                        self.character_data(text.len(), at)?;
                    }
                }
                Event::CData(data) => {
                    if self.marks.is_empty() {
                        return Err(self.breach(SYNTAX, at));
                    }
                    self.character_data(data.len(), at)?;
                }
                Event::GeneralRef(reference) => {
                    if self.marks.is_empty() {
                        return Err(self.breach(SYNTAX, at));
                    }
                    check_reference(&reference).map_err(|rule| self.breach(rule, at))?;
                    // As written: `&` and `;` around the name.
                    self.character_data(reference.len().saturating_add(2), at)?;
                }
                Event::Comment(_) => {}
                Event::Decl(decl) => {
                    if at != self.base || !declaration_is_acceptable(&decl) {
                        return Err(self.breach(SYNTAX, at));
                    }
                }
                Event::PI(instruction) => {
                    // `<?xml …?>` is the declaration; other spellings of `xml` and an empty
                    // target are reserved or malformed.
                    let target = instruction.target();
                    if target.is_empty() || target.eq_ignore_ascii_case("xml") {
                        return Err(self.breach(SYNTAX, at));
                    }
                }
                Event::DocType(_) => return Err(self.breach(DTD, at)),
                Event::Eof => {
                    if !self.root_seen || !self.marks.is_empty() {
                        return Err(self.breach(SYNTAX, at));
                    }
                    return Ok(());
                }
            }
        }
    }

    /// Opens an element (a start tag or an empty-element tag) at `at`.
    fn open(&mut self, start: &BytesStart<'_>, at: usize) -> Result<(), XmlBreach> {
        if self.marks.is_empty() {
            if self.root_seen {
                return Err(self.breach(SYNTAX, at));
            }
            self.root_seen = true;
        }
        let name = start.name();
        let name = name.as_ref();
        if !is_name(name) {
            return Err(self.breach(SYNTAX, at));
        }
        self.marks.push(self.path.len());
        push_token(&mut self.path, name);
        self.text_run = 0;
        if self.marks.len() > self.limits.max_depth {
            return Err(self.breach(MAX_DEPTH, at));
        }
        self.elements = self.elements.saturating_add(1);
        if self.elements > self.limits.max_elements {
            return Err(self.breach(MAX_ELEMENTS, at));
        }
        // The iterator checks the attribute syntax and refuses duplicate names; stopping at
        // the first attribute over the limit bounds the work on a tag with very many.
        let mut count = 0usize;
        for attribute in start.attributes() {
            let attribute = attribute.map_err(|_| self.breach(SYNTAX, at))?;
            count += 1;
            if count > self.limits.max_attributes {
                return Err(self.breach(MAX_ATTRIBUTES, at));
            }
            if !is_name(attribute.key.as_ref()) {
                return Err(self.breach(SYNTAX, at));
            }
            if attribute.value.len() > self.limits.max_text_length {
                return Err(self.breach(MAX_TEXT_LENGTH, at));
            }
            check_attribute_value(&attribute.value).map_err(|rule| self.breach(rule, at))?;
        }
        Ok(())
    }

    /// Closes the innermost open element.
    fn close(&mut self) {
        if let Some(mark) = self.marks.pop() {
            self.path.truncate(mark);
        }
        self.text_run = 0;
    }

    /// Counts `len` bytes of character data in the current text node.
    fn character_data(&mut self, len: usize, at: usize) -> Result<(), XmlBreach> {
        self.text_run = self.text_run.saturating_add(len);
        if self.text_run > self.limits.max_text_length {
            return Err(self.breach(MAX_TEXT_LENGTH, at));
        }
        Ok(())
    }

    /// An offset in the input from a quick-xml position.
    fn position(&self, position: u64) -> usize {
        usize::try_from(position)
            .unwrap_or(usize::MAX)
            .saturating_add(self.base)
    }

    fn breach(&self, rule: &'static str, offset: usize) -> XmlBreach {
        XmlBreach {
            rule,
            pointer: self.path.clone(),
            offset,
        }
    }
}

/// The rule a quick-xml error breaks: an unfinished or nameless `<!DOCTYPE` is still a DTD.
fn error_rule(error: &Error) -> &'static str {
    match error {
        Error::Syntax(SyntaxError::UnclosedDoctype)
        | Error::IllFormed(IllFormedError::MissingDoctypeName) => DTD,
        _ => SYNTAX,
    }
}

/// Whether an XML declaration names XML 1.x and an encoding that reads the document as it
/// was checked: UTF-8, or an ASCII-compatible single-byte encoding, where all markup is
/// the same bytes.
fn declaration_is_acceptable(decl: &BytesDecl<'_>) -> bool {
    match decl.version() {
        Ok(version) if version.starts_with("1.") => {}
        _ => return false,
    }
    match decl.encoding() {
        None => true,
        Some(Err(_)) => false,
        Some(Ok(encoding)) => {
            let encoding = encoding.to_ascii_lowercase();
            matches!(
                encoding.as_str(),
                "utf-8" | "utf8" | "us-ascii" | "ascii" | "latin1"
            ) || encoding.starts_with("iso-8859-")
                || encoding.starts_with("windows-125")
        }
    }
}

/// Checks a reference (its name, between `&` and `;`): a numeric character reference to a
/// character XML allows or one of the five predefined entities.
fn check_reference(name: &str) -> Result<(), &'static str> {
    if let Some(number) = name.strip_prefix('#') {
        let code = match number.strip_prefix('x') {
            Some(hex) if !hex.is_empty() && hex.bytes().all(|b| b.is_ascii_hexdigit()) => {
                u32::from_str_radix(hex, 16).ok()
            }
            None if !number.is_empty() && number.bytes().all(|b| b.is_ascii_digit()) => {
                number.parse::<u32>().ok()
            }
            _ => None,
        };
        return match code.and_then(char::from_u32) {
            Some(c) if is_xml_char(c) => Ok(()),
            _ => Err(SYNTAX),
        };
    }
    match name {
        "lt" | "gt" | "amp" | "apos" | "quot" => Ok(()),
        name if is_name(name) => Err(ENTITY),
        _ => Err(SYNTAX),
    }
}

/// Checks a raw attribute value: no `<`, and every `&` starts a reference that
/// [`check_reference`] accepts.
fn check_attribute_value(value: &str) -> Result<(), &'static str> {
    if value.contains('<') {
        return Err(SYNTAX);
    }
    let mut rest = value;
    while let Some(amp) = rest.find('&') {
        let after = &rest[amp + 1..];
        let Some(end) = after.find(';') else {
            return Err(SYNTAX);
        };
        check_reference(&after[..end])?;
        rest = &after[end + 1..];
    }
    Ok(())
}

/// Whether `c` is a character XML 1.0 allows in a document (production `Char`).
fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// Whether `b` is XML whitespace (production `S`).
fn is_xml_whitespace(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

/// Whether `name` is an XML name (production `Name`), with every non-ASCII character taken
/// as a name character: enough to refuse markup that is not a name at all.
fn is_name(name: &str) -> bool {
    let mut chars = name.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    let start = |c: char| c.is_ascii_alphabetic() || c == '_' || c == ':' || !c.is_ascii();
    start(first) && chars.all(|c| start(c) || c.is_ascii_digit() || c == '-' || c == '.')
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    fn rule(input: &str) -> Option<&'static str> {
        check(input.as_bytes(), &XmlLimits::default())
            .err()
            .map(|b| b.rule)
    }

    fn breach(input: &str, limits: &XmlLimits) -> XmlBreach {
        check(input.as_bytes(), limits).expect_err("refused")
    }

    fn nested(depth: usize) -> String {
        let mut s = String::new();
        for _ in 0..depth {
            s.push_str("<a>");
        }
        for _ in 0..depth {
            s.push_str("</a>");
        }
        s
    }

    #[test]
    fn defaults() {
        let limits = XmlLimits::default();
        assert_eq!(limits.max_size, 1_048_576);
        assert_eq!(limits.max_depth, 32);
        assert_eq!(limits.max_elements, 10_000);
        assert_eq!(limits.max_attributes, 50);
        assert_eq!(limits.max_text_length, 65_536);
    }

    #[test]
    fn soap_like_document_is_accepted() {
        let soap = r#"<?xml version="1.0" encoding="UTF-8"?>
<!-- an order -->
<?xml-stylesheet type="text/xsl" href="order.xsl"?>
<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"
               xmlns:o="urn:example:orders">
  <soap:Header>
    <o:Auth token="abc&amp;def" note='say &quot;hi&quot; &#x263A; &#9731;'/>
  </soap:Header>
  <soap:Body>
    <o:PlaceOrder>
      <o:Item sku="A-1" qty="2">Widget &lt;large&gt; &amp; co &#233;t&#xE9;</o:Item>
      <o:Note><![CDATA[<not markup> & fine]]></o:Note>
      <o:Empty/>
      <?app hint?>
    </o:PlaceOrder>
  </soap:Body>
</soap:Envelope>
"#;
        assert_eq!(check(soap.as_bytes(), &XmlLimits::default()), Ok(()));
    }

    #[test]
    fn byte_order_mark_and_plain_declarations_are_accepted() {
        assert_eq!(rule("\u{FEFF}<?xml version=\"1.0\"?><a/>"), None);
        assert_eq!(
            rule("<?xml version='1.1' encoding='iso-8859-1'?><a/>"),
            None
        );
        assert_eq!(rule("  \n<a/>\n  "), None);
    }

    #[test]
    fn billion_laughs_is_refused_as_dtd() {
        let mut doc = String::from("<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n");
        doc.push_str(" <!ENTITY lol \"lol\">\n");
        for i in 1..10 {
            let prev = if i == 1 {
                "lol".to_owned()
            } else {
                format!("lol{}", i - 1)
            };
            let refs = format!("&{prev};").repeat(10);
            doc.push_str(&format!(" <!ENTITY lol{i} \"{refs}\">\n"));
        }
        doc.push_str("]>\n<lolz>&lol9;</lolz>");
        let b = breach(&doc, &XmlLimits::default());
        assert_eq!(b.rule, "xml.dtd");
        assert_eq!(b.pointer, "");
        assert_eq!(b.offset, doc.find("<!DOCTYPE").unwrap());
    }

    #[test]
    fn xxe_is_refused_as_dtd() {
        let doc = r#"<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>"#;
        assert_eq!(rule(doc), Some("xml.dtd"));
        // Any spelling, with or without an internal subset, even unfinished.
        assert_eq!(rule("<!doctype x><x/>"), Some("xml.dtd"));
        assert_eq!(
            rule("<!DOCTYPE x SYSTEM \"http://evil/x.dtd\"><x/>"),
            Some("xml.dtd")
        );
        assert_eq!(rule("<!DOCTYPE x [<!ENTITY e \"e\">"), Some("xml.dtd"));
        assert_eq!(rule("<!DOCTYPE>"), Some("xml.dtd"));
        // Inside the root too.
        assert_eq!(rule("<x><!DOCTYPE x></x>"), Some("xml.dtd"));
        // Entity declarations cannot appear without one.
        assert_eq!(rule("<!ENTITY e \"e\"><x/>"), Some("xml.syntax"));
    }

    #[test]
    fn undeclared_entities_are_refused() {
        let b = breach("<x><y>a &e; b</y></x>", &XmlLimits::default());
        assert_eq!(b.rule, "xml.entity");
        assert_eq!(b.pointer, "/x/y");
        assert_eq!(b.offset, 8);
        let b = breach("<x><y a='&e;'/></x>", &XmlLimits::default());
        assert_eq!(b.rule, "xml.entity");
        assert_eq!(b.pointer, "/x/y");
        assert_eq!(
            rule("<x a=\"&amp;&lt;&gt;&apos;&quot;&#65;&#x41;\"/>"),
            None
        );
        assert_eq!(rule("<x>&amp;&lt;&gt;&apos;&quot;&#65;&#x41;</x>"), None);
    }

    #[test]
    fn bad_references_are_syntax() {
        for doc in [
            "<x>&#0;</x>",
            "<x>&#x;</x>",
            "<x>&#xD800;</x>",
            "<x>&#99999999999;</x>",
            "<x>&#+1;</x>",
            "<x>&#1;</x>",
            "<x>& b</x>",
            "<x>a &amp b</x>",
            "<x>&a b;</x>",
            "<x a='&'/>",
            "<x a='&#0;'/>",
            "<x a='a<b'/>",
            "&amp;<x/>",
        ] {
            assert_eq!(rule(doc), Some("xml.syntax"), "{doc}");
        }
    }

    #[test]
    fn malformed_documents_are_syntax() {
        for doc in [
            "",
            "   ",
            "<a>",
            "<a><b></a></b>",
            "<a></b>",
            "</a>",
            "<a/><b/>",
            "<a></a><b></b>",
            "text<a/>",
            "<a/>text",
            "<a/><![CDATA[x]]>",
            "<a b='1' b='2'/>",
            "<a b/>",
            "<a b=1/>",
            "<a b='1/>",
            "<>x</>",
            "<1a/>",
            "<a<b/>",
            "<a><!-- a -- b --></a>",
            "<a><!-- unclosed</a>",
            "<a><![CDATA[x</a>",
            "<a/><?xml version='1.0'?>",
            " <?xml version='1.0'?><a/>",
            "<?xml?><a/>",
            "<?xml version='2.0'?><a/>",
            "<?xml version='1.0' encoding='UTF-16'?><a/>",
            "<?xml version='1.0' encoding='utf-7'?><a/>",
            "<?XML version='1.0'?><a/>",
            "<a><? ?></a>",
            "<a>\u{0}</a>",
            "<a>\u{1b}</a>",
            "<a>\u{FFFF}</a>",
            "<a><!x></a>",
        ] {
            assert_eq!(rule(doc), Some("xml.syntax"), "{doc:?}");
        }
    }

    #[test]
    fn bad_utf8_is_syntax() {
        let b = check(b"<a>\xff\xfe</a>", &XmlLimits::default()).unwrap_err();
        assert_eq!((b.rule, b.offset), ("xml.syntax", 3));
        // UTF-16 with its byte order mark is not UTF-8 either.
        let utf16: Vec<u8> = "\u{FEFF}<a/>"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        assert_eq!(
            check(&utf16, &XmlLimits::default()).unwrap_err().rule,
            "xml.syntax"
        );
    }

    #[test]
    fn size_limit() {
        let doc = "<a>xxxx</a>";
        let limits = XmlLimits {
            max_size: doc.len(),
            ..XmlLimits::default()
        };
        assert_eq!(check(doc.as_bytes(), &limits), Ok(()));
        let limits = XmlLimits {
            max_size: doc.len() - 1,
            ..XmlLimits::default()
        };
        let b = breach(doc, &limits);
        assert_eq!((b.rule, b.pointer.as_str()), ("xml.max_size", ""));
    }

    #[test]
    fn depth_limit() {
        let limits = XmlLimits::default();
        assert_eq!(check(nested(32).as_bytes(), &limits), Ok(()));
        let b = breach(&nested(33), &limits);
        assert_eq!(b.rule, "xml.max_depth");
        assert_eq!(b.pointer, "/a".repeat(33));
        assert_eq!(b.offset, 32 * 3);
        // An empty element is one level deeper too.
        let limits = XmlLimits {
            max_depth: 2,
            ..XmlLimits::default()
        };
        assert_eq!(rule_with("<a><b/></a>", &limits), None);
        assert_eq!(
            rule_with("<a><b><c/></b></a>", &limits),
            Some("xml.max_depth")
        );
    }

    fn rule_with(doc: &str, limits: &XmlLimits) -> Option<&'static str> {
        check(doc.as_bytes(), limits).err().map(|b| b.rule)
    }

    #[test]
    fn deep_nesting_is_refused_quickly() {
        let doc = nested(100_000);
        let started = std::time::Instant::now();
        let b = breach(&doc, &XmlLimits::default());
        assert_eq!(b.rule, "xml.max_depth");
        // Refused at the 33rd start tag, not after reading the document.
        assert_eq!(b.offset, 32 * 3);
        assert!(started.elapsed() < std::time::Duration::from_secs(1));
    }

    #[test]
    fn element_limit() {
        let doc = format!("<r>{}</r>", "<i/>".repeat(9_999));
        assert_eq!(rule(&doc), None);
        let doc = format!("<r>{}</r>", "<i/>".repeat(10_000));
        let b = breach(&doc, &XmlLimits::default());
        assert_eq!((b.rule, b.pointer.as_str()), ("xml.max_elements", "/r/i"));
        assert_eq!(b.offset, 3 + 9_999 * 4);
    }

    #[test]
    fn attribute_limit() {
        let attributes =
            |n: usize| -> String { (0..n).map(|i| format!(" a{i}=\"{i}\"")).collect() };
        let doc = format!("<r><e{}/></r>", attributes(50));
        assert_eq!(rule(&doc), None);
        let doc = format!("<r><e{}/></r>", attributes(51));
        let b = breach(&doc, &XmlLimits::default());
        assert_eq!((b.rule, b.pointer.as_str()), ("xml.max_attributes", "/r/e"));
        assert_eq!(b.offset, 3);
        // A huge tag is refused at the 51st attribute.
        let doc = format!("<r{}/>", attributes(100_000));
        assert_eq!(
            check(
                doc.as_bytes(),
                &XmlLimits {
                    max_size: usize::MAX,
                    ..XmlLimits::default()
                }
            )
            .unwrap_err()
            .rule,
            "xml.max_attributes"
        );
    }

    #[test]
    fn text_length_limit() {
        let limits = XmlLimits {
            max_text_length: 10,
            ..XmlLimits::default()
        };
        assert_eq!(rule_with("<a>0123456789</a>", &limits), None);
        let b = breach("<a><b>0123456789x</b></a>", &limits);
        assert_eq!(
            (b.rule, b.pointer.as_str()),
            ("xml.max_text_length", "/a/b")
        );
        // A text node cut by references, CDATA and comments is still one node.
        assert_eq!(rule_with("<a>0123&amp;9</a>", &limits), None);
        assert_eq!(
            rule_with("<a>01234&amp;9</a>", &limits),
            Some("xml.max_text_length")
        );
        assert_eq!(
            rule_with("<a>01234<!-- -->56789<![CDATA[x]]></a>", &limits),
            Some("xml.max_text_length")
        );
        assert_eq!(rule_with("<a>01234<?p?>5678</a>", &limits), None);
        // Tags end a text node.
        assert_eq!(rule_with("<a>0123456789<b/>0123456789</a>", &limits), None);
        // Attribute values.
        assert_eq!(rule_with("<a b='0123456789'/>", &limits), None);
        let b = breach("<a b='0123456789x'/>", &limits);
        assert_eq!((b.rule, b.pointer.as_str()), ("xml.max_text_length", "/a"));
    }

    #[test]
    fn pointers_escape_names_and_follow_the_open_elements() {
        let b = breach("<a><b/><c><d>&x;</d></c></a>", &XmlLimits::default());
        assert_eq!(b.pointer, "/a/c/d");
        let b = breach("<a><b></c></a>", &XmlLimits::default());
        assert_eq!((b.rule, b.pointer.as_str()), ("xml.syntax", "/a/b"));
    }

    #[test]
    fn violation_is_in_the_body() {
        let b = breach("<x>&e;</x>", &XmlLimits::default());
        assert_eq!(
            b.violation(),
            Violation::new(Part::Body, "/x", "xml.entity")
        );
    }
}
