//! XML bodies: element and attribute names, attribute values, text and CDATA, comments and
//! processing instructions; a document type declaration is inspected whole (it is where
//! external entities are declared). A document the reader cannot follow is inspected from
//! there on as text.

use crate::engine::Scan;
use crate::location::Part;
use quick_xml::Reader;
use quick_xml::events::Event;

impl Scan<'_> {
    /// Inspects an XML document.
    pub(crate) fn xml(&mut self, body: &[u8]) {
        let mut reader = Reader::from_reader(body);
        reader.config_mut().check_end_names = false;
        let mut buf = Vec::new();
        let mut element = String::new();
        loop {
            let position = reader.buffer_position() as usize;
            let event = match reader.read_event_into(&mut buf) {
                Ok(Event::Eof) => return,
                Ok(event) => event,
                Err(_) => {
                    self.value(Part::Body, "", &body[position.min(body.len())..], false);
                    return;
                }
            };
            match event {
                Event::Start(e) | Event::Empty(e) => {
                    element = String::from(e.name().as_ref());
                    self.value(Part::BodyKey, "", element.as_bytes(), false);
                    for attribute in e.attributes().with_checks(false).flatten() {
                        let key = String::from(attribute.key.as_ref());
                        self.value(Part::BodyKey, &element, key.as_bytes(), false);
                        self.value(
                            Part::Body,
                            &format!("{element}@{key}"),
                            attribute.value.as_bytes(),
                            false,
                        );
                    }
                }
                Event::Text(t) => {
                    if t.bytes().any(|b| !b.is_ascii_whitespace()) {
                        self.value(Part::Body, &element, t.as_bytes(), false);
                    }
                }
                Event::CData(t) => self.value(Part::Body, &element, t.as_bytes(), false),
                Event::Comment(t) => self.value(Part::Body, "", t.as_bytes(), false),
                Event::PI(t) => {
                    let mut pi = b"<?".to_vec();
                    pi.extend_from_slice(t.as_bytes());
                    pi.extend_from_slice(b"?>");
                    self.value(Part::Body, "", &pi, false);
                }
                Event::DocType(t) => {
                    let mut doctype = b"<!DOCTYPE ".to_vec();
                    doctype.extend_from_slice(t.as_bytes());
                    doctype.push(b'>');
                    self.value(Part::Body, "", &doctype, false);
                }
                Event::GeneralRef(r) => {
                    let mut reference = vec![b'&'];
                    reference.extend_from_slice(r.as_bytes());
                    reference.push(b';');
                    self.value(Part::Body, &element, &reference, false);
                }
                Event::End(_) | Event::Decl(_) | Event::Eof => {}
            }
            buf.clear();
        }
    }
}
