//! Server-side template and expression injection (SSTI), and code injection into the
//! server-side interpreters that evaluate such expressions: Node.js, Perl and Ruby.
//!
//! Templates: an expression delimited the way template engines delimit them (`{{ }}`, `${ }`,
//! `#{ }`, `*{ }`, `<%= %>`, `<% %>`, `{% %}`) is flagged when it computes or reaches into
//! the runtime: arithmetic on literals (`{{7*7}}`, the classic probe), Python dunder access
//! (`''.__class__.__mro__`), the objects template engines expose to their own internals
//! (`config`, `self`, `lipsum`, `_self.env`…), calls to functions that run commands, and
//! conditions on constants (`{% if True %}`). Plain variable references (`{{ user.name }}`,
//! `${VAR}`, `{{ $labels.instance }}`) pass: they are what benign templates and env maps hold.
//!
//! Code: Node.js serialization markers (`_$$ND_FUNC$$_`), `require`/`child_process`,
//! `process.*` and constructor walks; infinite loops (`while(true)`); Perl's `@{[ … ]}`
//! interpolation; Ruby's process APIs. One Aho-Corasick pass over the lowercased value finds
//! every trigger; each is then confirmed by looking at what follows.

use crate::detector::{Detector, Features, Input, Sink, WordSet};
use crate::needle;
use crate::rule::{Class, Rule, Severity};

/// A template expression that computes, reaches into internals or runs code.
pub(crate) static EXPRESSION: Rule = Rule {
    id: "template.expression",
    class: Class::Template,
    paranoia: 1,
    severity: Severity::Critical,
    description: "template expression that computes or reaches into the runtime (SSTI)",
};

/// A template directive (`{% … %}`, `<#assign`, `#set(`): common in real templates, so
/// only a weak signal.
pub(crate) static DIRECTIVE: Rule = Rule {
    id: "template.directive",
    class: Class::Template,
    paranoia: 2,
    severity: Severity::Warning,
    description: "template directive",
};

/// Node.js code: serialization markers, `require`, `child_process`, `process.*`, constructor
/// walks, `console.*` calls, anonymous functions.
pub(crate) static NODE: Rule = Rule {
    id: "template.node-injection",
    class: Class::Template,
    paranoia: 1,
    severity: Severity::Critical,
    description: "Node.js code injection",
};

/// A JavaScript infinite loop (`while(true)`, `for(;;)`): denial of service in evaluated code.
pub(crate) static JS_LOOP: Rule = Rule {
    id: "template.js-loop",
    class: Class::Template,
    paranoia: 1,
    severity: Severity::Critical,
    description: "JavaScript infinite loop (denial of service)",
};

/// Perl's `@{[ … ]}` interpolation, which runs code inside a string.
pub(crate) static PERL: Rule = Rule {
    id: "template.perl-injection",
    class: Class::Template,
    paranoia: 1,
    severity: Severity::Critical,
    description: "Perl code interpolation @{[ ... ]}",
};

/// Ruby process APIs (`Process.spawn`, `Kernel.exec`, `IO.popen`…).
pub(crate) static RUBY: Rule = Rule {
    id: "template.ruby-injection",
    class: Class::Template,
    paranoia: 1,
    severity: Severity::Critical,
    description: "Ruby code injection through process APIs",
};

/// The template detector.
pub(crate) static DETECTOR: Detector = Detector {
    class: Class::Template,
    rules: &[&EXPRESSION, &DIRECTIVE, &NODE, &JS_LOOP, &PERL, &RUBY],
    alnum: false,
    scan,
};

#[derive(Clone, Copy, PartialEq, Eq)]
enum T {
    /// An expression opener; the closer to look for.
    Open(&'static [u8]),
    /// `{%` or `<%` followed by a statement.
    Statement,
    /// Freemarker / Velocity directives.
    Directive,
    /// Node.js code, conclusive as is.
    Node,
    /// `require` / `console` / `function` / `new function` / `fromcharcode`: look at what
    /// is around.
    NodeCall,
    /// `child_process`: Node code unless it names a page or an anchor
    /// (`/api/child_process.html#child_process_exec`).
    NodeModule,
    Loop,
    Perl,
    Ruby,
}

const TRIGGERS: &[(&str, T)] = &[
    ("{{", T::Open(b"}}")),
    ("${", T::Open(b"}")),
    ("#{", T::Open(b"}")),
    ("*{", T::Open(b"}")),
    ("<%", T::Open(b"%>")),
    ("{%", T::Statement),
    ("<#assign", T::Directive),
    ("#set(", T::Directive),
    ("?new(", T::Node),
    ("_$$nd_func$$_", T::Node),
    ("__js_function", T::Node),
    ("child_process", T::NodeModule),
    ("process.binding", T::Node),
    ("process.mainmodule", T::Node),
    ("process.env", T::Node),
    ("process[", T::Node),
    ("require[", T::Node),
    ("require.main", T::Node),
    ("constructor._load", T::Node),
    ("constructor.constructor", T::Node),
    (":constructor:constructor", T::Node),
    ("fromcharcode", T::NodeCall),
    ("module.exports", T::NodeCall),
    ("require", T::NodeCall),
    ("console", T::NodeCall),
    ("function", T::NodeCall),
    ("while", T::Loop),
    ("for(;;)", T::Loop),
    ("for (;;)", T::Loop),
    ("@{", T::Perl),
    ("process.spawn", T::Ruby),
    ("kernel.exec", T::Ruby),
    ("kernel.system", T::Ruby),
    ("kernel.spawn", T::Ruby),
    ("io.popen", T::Ruby),
    ("open3.", T::Ruby),
];

/// The triggers, for the [`super::TRIGGER_WORDS`].
pub(super) fn words() -> Vec<&'static [u8]> {
    TRIGGERS.iter().map(|(p, _)| p.as_bytes()).collect()
}

/// The longest expression body looked at.
const BODY_MAX: usize = 256;

fn scan(input: &Input<'_>, sink: &mut Sink<'_>) {
    let lower = input.lower;
    // Every trigger holds one of `{ ( _ [ . % = ; @`.
    let gate = Features::BRACE
        | Features::PAREN
        | Features::UNDERSCORE
        | Features::BRACKET
        | Features::DOT
        | Features::ESCAPE
        | Features::EQUALS
        | Features::SEPARATOR
        | Features::SIGIL;
    if !input.features.any(gate) {
        return;
    }
    // Once a rule has matched, its later triggers can add nothing (a value of thousands of
    // `{{7*7}}` is judged at the first).
    let (mut expression, mut directive) = (false, false);
    for m in input.words(WordSet::Template) {
        let span = m.start()..m.end();
        let rest = &lower[m.end()..];
        match TRIGGERS[m.pattern().as_usize()].1 {
            T::Open(_) if expression => {}
            T::Open(close) => {
                let body = body(rest, &lower[span.clone()], close);
                if dangerous_expression(body, close == b"%>") {
                    sink.report(&EXPRESSION, m.start()..m.end() + body.len());
                    expression = true;
                }
            }
            T::Statement if expression && directive => {}
            T::Statement => {
                let body = body(rest, &lower[span.clone()], b"%}");
                if dangerous_expression(body, true) {
                    sink.report(&EXPRESSION, m.start()..m.end() + body.len());
                    expression = true;
                } else {
                    sink.report(&DIRECTIVE, span);
                    directive = true;
                }
            }
            T::Directive => sink.report(&DIRECTIVE, span),
            T::Node => sink.report(&NODE, span),
            T::NodeModule => {
                if m.start() == 0 || !matches!(lower[m.start() - 1], b'/' | b'#') {
                    sink.report(&NODE, span);
                }
            }
            T::NodeCall => {
                if node_call(
                    &lower[..m.start()],
                    lower[m.start()..m.end()].as_ref(),
                    rest,
                ) {
                    sink.report(&NODE, span);
                }
            }
            T::Loop => {
                if lower[m.start()..].starts_with(b"for") || endless_while(rest) {
                    sink.report(&JS_LOOP, span);
                }
            }
            T::Perl => {
                if rest.trim_ascii_start().starts_with(b"[") {
                    sink.report(&PERL, span);
                }
            }
            T::Ruby => {
                if rest.trim_ascii_start().starts_with(b"(") || rest.starts_with(b" ") {
                    sink.report(&RUBY, span);
                }
            }
        }
    }
}

/// The expression body after an opener (`open`): up to the closer, or a bounded prefix of
/// the rest, and before any repeat of the opener.
fn body<'a>(rest: &'a [u8], open: &[u8], close: &[u8]) -> &'a [u8] {
    let rest = &rest[..rest.len().min(BODY_MAX)];
    // An expression opens no other of its kind (`{{ a {{ b }}`): the inner one is judged on
    // its own, and a run of openers (`{{{{…`, `{%{%…`) costs one short body each.
    let rest = match needle::find(rest, open) {
        Some(i) => &rest[..i],
        None => rest,
    };
    match needle::find(rest, close) {
        Some(i) => &rest[..i],
        None => rest,
    }
}

/// Names that let a template reach its engine's internals or the operating system.
const INTERNALS: &[&[u8]] = &[
    b"__class__",
    b"__mro__",
    b"__subclasses__",
    b"__globals__",
    b"__builtins__",
    b"__init__",
    b"__import__",
    b"__dict__",
    b".__",
    b"lipsum",
    b"cycler",
    b"joiner",
    b"namespace.",
    b"config.items",
    b"config[",
    b"self._",
    b"self.__",
    b"_self.env",
    b"getclass",
    b"forname",
    b"getruntime",
    b"runtime",
    b"processbuilder",
    b"classloader",
    b"freemarker",
    b"?new(",
    b"subprocess",
    b"popen",
    b"exec(",
    b"system(",
    b"eval(",
    b"require(",
    b"process.",
    b"child_process",
    b"constructor",
    b"t(java",
    b"new java",
    b"import(",
    b"os.",
    b"registerundefinedfiltercallback",
    b"getfilter",
    b"$class.inspect",
    b"request.application",
];

/// Whether a template expression body computes, probes or reaches into internals.
/// `statement` says the body is a statement (`<% %>`, `{% %}`), where a constant condition
/// (`if True`) is a probe.
fn dangerous_expression(body: &[u8], statement: bool) -> bool {
    let trimmed = body.trim_ascii();
    if trimmed.is_empty() {
        return false;
    }
    if matches!(
        trimmed,
        b"config" | b"self" | b"settings" | b"request" | b"_self" | b"app"
    ) {
        return true;
    }
    if literal_arithmetic(trimmed) {
        return true;
    }
    if INTERNALS.iter().any(|w| needle::find(trimmed, w).is_some()) {
        return true;
    }
    if statement {
        let s = trimmed.strip_prefix(b"=").unwrap_or(trimmed).trim_ascii();
        if let Some(cond) = s
            .strip_prefix(b"if ")
            .or_else(|| s.strip_prefix(b"elif "))
            .or_else(|| s.strip_prefix(b"unless "))
            && matches!(cond.trim_ascii(), b"true" | b"false" | b"1" | b"0")
        {
            return true;
        }
    }
    false
}

/// Whether the expression applies an arithmetic operator to two numeric literals (`7*7`,
/// `7*'7'`, `1 + 1`): what probes for template evaluation compute.
fn literal_arithmetic(body: &[u8]) -> bool {
    let mut i = 0;
    while i < body.len() {
        if matches!(body[i], b'*' | b'+' | b'-' | b'/' | b'%')
            && i > 0
            && numeric_end(&body[..i])
            && numeric_start(&body[i + 1..])
        {
            return true;
        }
        i += 1;
    }
    false
}

fn numeric_end(before: &[u8]) -> bool {
    let b = before.trim_ascii_end();
    let b = b
        .strip_suffix(b"'")
        .or_else(|| b.strip_suffix(b"\""))
        .unwrap_or(b);
    let digits = b.iter().rev().take_while(|c| c.is_ascii_digit()).count();
    // The literal stands alone: not the end of a name, a version or a date.
    digits > 0
        && b[..b.len() - digits]
            .last()
            .is_none_or(|&c| !c.is_ascii_alphanumeric() && !matches!(c, b'.' | b'_' | b'-' | b':'))
}

fn numeric_start(after: &[u8]) -> bool {
    let a = after.trim_ascii_start();
    let a = a
        .strip_prefix(b"'")
        .or_else(|| a.strip_prefix(b"\""))
        .unwrap_or(a);
    let digits = a.iter().take_while(|c| c.is_ascii_digit()).count();
    digits > 0
        && a.get(digits)
            .is_none_or(|c| !c.is_ascii_alphanumeric() && *c != b'.')
}

/// Whether a `require`, `console`, `function`, `fromCharCode` or `module.exports` trigger
/// is code: a call, an index, an anonymous function body, an assignment.
fn node_call(before: &[u8], word: &[u8], rest: &[u8]) -> bool {
    if before
        .last()
        .is_some_and(|&b| b.is_ascii_alphanumeric() || b == b'_')
    {
        return false;
    }
    let r = rest.trim_ascii_start();
    match word {
        b"require" => {
            // require("x"), require('x'), require(x).y, lol=require;
            if let Some(arg) = rest.strip_prefix(b"(") {
                let arg = arg.trim_ascii_start();
                if arg
                    .first()
                    .is_some_and(|c| matches!(c, b'"' | b'\'' | b'`'))
                {
                    return true;
                }
                let n = arg
                    .iter()
                    .take_while(|c| c.is_ascii_alphanumeric() || **c == b'_')
                    .count();
                return n > 0 && arg[n..].starts_with(b").");
            }
            r.starts_with(b";") && before.trim_ascii_end().ends_with(b"=")
        }
        b"console" => {
            // console.log(…), console["info"](…)
            if let Some(after) = r.strip_prefix(b".") {
                let n = after.iter().take_while(|b| b.is_ascii_alphabetic()).count();
                n > 0 && after[n..].starts_with(b"(") || after[n..].starts_with(b".call(")
            } else {
                r.starts_with(b"[")
            }
        }
        b"fromcharcode" => {
            // String.fromCharCode(…), .fromCharCode.apply(…), String["fromCharCode"]; not a
            // page's name (`/String/fromCharCode`).
            r.starts_with(b"(")
                || r.starts_with(b".")
                || before
                    .last()
                    .is_some_and(|b| matches!(b, b'.' | b'[' | b'"' | b'\''))
        }
        b"function" => {
            // function() {, new Function(
            let new = before.trim_ascii_end().ends_with(b"new");
            if new {
                return r.starts_with(b"(");
            }
            let Some(params) = r.strip_prefix(b"(") else {
                return false;
            };
            match memchr::memchr(b')', params) {
                Some(close) => params[close + 1..].trim_ascii_start().starts_with(b"{"),
                None => false,
            }
        }
        _ => r.starts_with(b"="),
    }
}

/// Whether `while` is followed by an always-true condition: `(true)`, `(1)`, `(!0)`,
/// `(!false)`, `(Infinity)`, `(this)`, `(new Date)`, `(!![])`…
fn endless_while(rest: &[u8]) -> bool {
    let r = rest.trim_ascii_start();
    let Some(mut c) = r.strip_prefix(b"(") else {
        return false;
    };
    while let Some(inner) = c.trim_ascii_start().strip_prefix(b"(") {
        c = inner;
    }
    let c = c.trim_ascii_start();
    if let Some(negated) = c.strip_prefix(b"!") {
        // `!false`, `!0`, `!""`, `!!{}`…: but `!true`, `!1` end at once.
        let n = negated.trim_ascii_start();
        return !(n.starts_with(b"true")
            || n.starts_with(b"infinity")
            || n.first().is_some_and(|d| (b'1'..=b'9').contains(d)));
    }
    let c = c
        .strip_prefix(b"+")
        .or_else(|| c.strip_prefix(b"-"))
        .unwrap_or(c);
    let word = c
        .iter()
        .take_while(|b| b.is_ascii_alphanumeric() || **b == b' ')
        .count();
    let w = c[..word].trim_ascii();
    let closes = c[word..].trim_ascii_start().starts_with(b")");
    closes
        && (matches!(w, b"true" | b"infinity" | b"this" | b"string" | b"new date")
            || (w.first().is_some_and(|d| (b'1'..=b'9').contains(d))
                && w.iter().all(u8::is_ascii_digit)))
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
    fn an_expression_ends_where_another_of_its_kind_opens() {
        for attack in [
            "{{ a {{config}}",
            "{{{{{{{{{{7*7}}",
            "{%{%{% if true %}",
            "<%<%<%= 7*7 %>",
            "{{ {}.__class__ }}",
        ] {
            assert!(
                ids(attack).contains(&"template.expression"),
                "{attack}: {:?}",
                ids(attack)
            );
        }
        assert!(!ids(&"{{".repeat(2000)).contains(&"template.expression"));
    }

    #[test]
    fn template_probes() {
        for attack in [
            "{{7*7}}",
            "{{ 7*'7' }}",
            "{{''.__class__.__mro__}}",
            "#{runtime.exec('id')}",
            "<%=7*7%>",
            "<% system('id') %>",
            "#{7*7}",
            "${7*7}",
            "{{config}}",
            "{{ config.items() }}",
            "{{_self.env.registerUndefinedFilterCallback('exec')}}",
            "${\"freemarker.template.utility.Execute\"?new()(\"id\")}",
            "{% if True %}49{% endif %}",
            "<% if True %>49<% endif %>",
        ] {
            assert!(ids(attack).contains(&"template.expression"), "{attack}");
        }
    }

    #[test]
    fn benign_templates_pass() {
        for benign in [
            "Your order #{{order.number}} has shipped",
            "Track it here: {{tracking_url}}",
            "{{ $labels.instance }} is unhappy",
            "${DATABASE_URL}",
            "Hello {{ user.name }}, you owe {{ amount | times: 2 }}",
            "{% if user %}Hi{% endif %}",
            "between 10-20 items, 5*3 grid",
            "{{ date-2024 }}",
        ] {
            assert!(ids(benign).is_empty(), "{benign}: {:?}", ids(benign));
        }
        assert_eq!(
            matches(&DETECTOR, Part::Query, "q", "{% if user %}", 2),
            ["template.directive"]
        );
    }

    #[test]
    fn node_code() {
        for attack in [
            "_$$ND_FUNC$$_function(){}",
            "require(\"child_process\").exec('whoami')",
            "eval(String.fromCharCode(97))",
            "function() {",
            "new Function (",
            "this.constructor.constructor",
            "module.exports=",
            "process.env",
            "console.info(1)",
            "console[\"info\"](1)",
            "console.info.call(this,1)",
            "process[req.query.a",
            "lol=require;x=1",
            "String.fromCharCode.apply(null,[97])",
            "String['fromCharCode'](97)",
        ] {
            assert_eq!(ids(attack), ["template.node-injection"], "{attack}");
        }
        assert!(
            ids("/docs/Web/JavaScript/Reference/Global_Objects/String/fromCharCode").is_empty()
        );
        assert!(ids("https://nodejs.org/api/child_process.html#child_process").is_empty());
        assert_eq!(
            ids("x=require('child_process')"),
            ["template.node-injection"]
        );
        for benign in [
            "the console is broken",
            "a function of time",
            "required fields",
            "we require (at least) two",
        ] {
            assert!(ids(benign).is_empty(), "{benign}");
        }
    }

    #[test]
    fn loops_perl_ruby() {
        for attack in [
            "while(true);",
            "while(!0)",
            "while((true)))",
            "while(-Infinity);",
        ] {
            assert_eq!(ids(attack), ["template.js-loop"], "{attack}");
        }
        assert!(ids("while(i < 3)").is_empty());
        assert!(ids("while(!true);").is_empty());
        assert!(ids("while (we wait)").is_empty());
        assert_eq!(ids("@{[system 'id']}"), ["template.perl-injection"]);
        assert!(ids("user@{example}").is_empty());
        assert_eq!(ids("Process.spawn(\"id\")"), ["template.ruby-injection"]);
    }
}
