//! Session fixation: a request that sets the victim's session identifier for them, through
//! a session-id parameter in the URL or a form (`?JSESSIONID=…`, `PHPSESSID=…`, and the
//! session cookie names of common frameworks), or through script or markup that writes a
//! cookie (`document.cookie="sid=…; domain=…"`, `<meta http-equiv="Set-Cookie">`).
//!
//! How: parameter names are compared with a list of session-cookie names (a session id
//! belongs in a cookie, never in a parameter); values are searched (`memmem`) for `.cookie`
//! followed by cookie attributes, and for `http-equiv` + `set-cookie`.

use crate::detector::{Detector, Features, Input, Sink, WordSet};
use crate::location::Part;
use crate::needle;
use crate::rule::{Class, Rule, Severity};

/// A session-id parameter in the query string or a form.
pub(crate) static ID_PARAMETER: Rule = Rule {
    id: "session.fixation",
    class: Class::SessionFixation,
    paranoia: 1,
    severity: Severity::Critical,
    description: "session identifier passed as a request parameter (session fixation)",
};

/// Script or markup that sets a cookie.
pub(crate) static COOKIE_WRITE: Rule = Rule {
    id: "session.cookie-write",
    class: Class::SessionFixation,
    paranoia: 1,
    severity: Severity::Critical,
    description: "script or markup setting a cookie (document.cookie, http-equiv Set-Cookie)",
};

/// The session detector.
pub(crate) static DETECTOR: Detector = Detector {
    class: Class::SessionFixation,
    rules: &[&ID_PARAMETER, &COOKIE_WRITE],
    alnum: true,
    scan,
};

/// Session-cookie names of servers and frameworks (lowercase).
const SESSION_NAMES: &[&str] = &[
    "jsessionid",
    "phpsessid",
    "phpsession",
    "asp.net_sessionid",
    "aspsessionid",
    "sessionid",
    "session_id",
    "session-id",
    "_session_id",
    "laravel_session",
    "connect.sid",
    "_flask_session",
    "next-auth.session-token",
    "__secure-next-auth.session-token",
    "__host-next-auth.session-token",
    "meteor_login_token",
    "rack.session",
    "play_session",
    "sails.sid",
    "cakephp",
    "ci_session",
    "koa.sess",
    "koa:sess",
    "cfid",
    "cftoken",
    "cfsid",
    "zend_session_id",
    "shiny-token",
    "weblogicsession",
    "jservsession",
    "jwsession",
    "_rails_session",
];

/// The words looked for, for the [`super::TRIGGER_WORDS`], in the order of [`Word`].
pub(super) const WORDS: [&[u8]; 2] = [b".cookie", b"http-equiv"];

/// The index of each word in [`WORDS`].
#[derive(Clone, Copy)]
enum Word {
    Cookie = 0,
    HttpEquiv = 1,
}

fn scan(input: &Input<'_>, sink: &mut Sink<'_>) {
    let lower = input.lower;
    if matches!(input.part, Part::QueryName | Part::BodyKey) {
        // ASP session cookies carry a suffix (ASPSESSIONIDQQGGQGPG).
        if SESSION_NAMES.iter().any(|n| n.as_bytes() == lower) || lower.starts_with(b"aspsessionid")
        {
            sink.report(&ID_PARAMETER, 0..lower.len());
        }
        return;
    }
    // `document.cookie = "…; path=/"`.
    if input.features.any(Features::DOT) && input.features.any(Features::SEPARATOR) {
        for at in input.word_starts(WordSet::Session, Word::Cookie as usize) {
            let from = at + 7;
            let rest = &lower[from..lower.len().min(from + 200)];
            if let Some(semi) = memchr::memchr(b';', rest) {
                let attrs = &rest[semi..];
                if [&b"expires"[..], b"domain", b"path=", b"max-age"]
                    .iter()
                    .any(|a| needle::find(attrs, a).is_some())
                {
                    sink.report(&COOKIE_WRITE, at..from);
                    return;
                }
            }
        }
    }
    if input.features.any(Features::DASH)
        && let Some(at) = input
            .word_starts(WordSet::Session, Word::HttpEquiv as usize)
            .next()
    {
        let rest = &lower[at + 10..lower.len().min(at + 30)];
        if needle::find(rest, b"set-cookie").is_some() {
            sink.report(&COOKIE_WRITE, at..at + 10);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detector::matches;

    #[test]
    fn fixation() {
        let d = &DETECTOR;
        assert_eq!(
            matches(d, Part::QueryName, "", "JSESSIONID", 1),
            ["session.fixation"]
        );
        assert_eq!(
            matches(d, Part::BodyKey, "", "aspsessionidqqgg", 1),
            ["session.fixation"]
        );
        assert!(matches(d, Part::QueryName, "", "session", 1).is_empty());
        assert!(matches(d, Part::Cookie, "jsessionid", "abc", 1).is_empty());
        assert_eq!(
            matches(
                d,
                Part::Query,
                "q",
                "<script>document.cookie=\"sessionid=1234; domain=.example.dom\";</script>",
                1
            ),
            ["session.cookie-write"]
        );
        assert_eq!(
            matches(d, Part::Query, "q", ".cookie;expires=", 1),
            ["session.cookie-write"]
        );
        assert_eq!(
            matches(
                d,
                Part::Body,
                "q",
                "<meta http-equiv=\"Set-Cookie\" content=\"a=b\">",
                1
            ),
            ["session.cookie-write"]
        );
        assert!(matches(d, Part::Body, "q", "I ate a cookie; expires soon", 1).is_empty());
    }
}
