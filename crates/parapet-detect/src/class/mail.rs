//! E-mail header injection: a line break followed by a mail header (`To:`, `Cc:`, `Bcc:`,
//! `Subject:`, `From:`, `Reply-To:`, `Content-Type:`…) in a field that a mail form copies into
//! a message's headers (the sender address, the subject, the name).
//!
//! How: `memchr2` for CR/LF; then the header name after the break. A body value counts only
//! when its first line has no space (an address or a one-word name, as such payloads begin),
//! so that multi-line messages quoting "From: Alice" pass.

use crate::detector::{Detector, Features, Input, Sink};
use crate::location::Part;
use crate::rule::{Class, Rule, Severity};

/// A line break followed by a mail header.
pub(crate) static HEADER_INJECTION: Rule = Rule {
    id: "mail.header-injection",
    class: Class::MailHeader,
    paranoia: 1,
    severity: Severity::Critical,
    description: "CR/LF followed by a mail header (To, Cc, Bcc, Subject…)",
};

/// The mail detector.
pub(crate) static DETECTOR: Detector = Detector {
    class: Class::MailHeader,
    rules: &[&HEADER_INJECTION],
    alnum: false,
    scan,
};

const HEADERS: &[&[u8]] = &[
    b"to",
    b"cc",
    b"bcc",
    b"subject",
    b"from",
    b"reply-to",
    b"sender",
    b"content-type",
    b"mime-version",
    b"content-transfer-encoding",
    b"return-path",
];

fn scan(input: &Input<'_>, sink: &mut Sink<'_>) {
    if !input.features.any(Features::NEWLINE) {
        return;
    }
    let lower = input.lower;
    let Some(first) = memchr::memchr2(b'\r', b'\n', lower) else {
        return;
    };
    if matches!(input.part, Part::Body | Part::BodyKey)
        && (first == 0 || lower[..first].contains(&b' '))
    {
        return;
    }
    for nl in memchr::memchr2_iter(b'\r', b'\n', lower) {
        let line = lower[nl + 1..].trim_ascii_start();
        let name = line
            .iter()
            .take_while(|b| b.is_ascii_alphabetic() || **b == b'-')
            .count();
        if HEADERS.contains(&&line[..name]) && line[name..].trim_ascii_start().starts_with(b":") {
            sink.report(&HEADER_INJECTION, nl..lower.len() - line.len() + name + 1);
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detector::matches;

    #[test]
    fn injections() {
        let d = &DETECTOR;
        assert_eq!(
            matches(d, Part::Body, "email", "me@x.com\r\nBcc: all@y.com", 1),
            ["mail.header-injection"]
        );
        assert_eq!(
            matches(d, Part::Query, "subject", "hi\nTo: a@b.c", 1),
            ["mail.header-injection"]
        );
        assert!(matches(d, Part::Body, "msg", "Hello there\nFrom: Alice", 1).is_empty());
        assert!(matches(d, Part::Query, "q", "a\nnote: b", 1).is_empty());
    }
}
