//! Property tests: an attack wrapped in any supported encoding, or a chain of up to three
//! of them, between benign words, still yields a form (or a raw value) that contains it;
//! and every value's forms stay within the bounds.

use super::*;
use proptest::prelude::*;
use std::fmt::Write;

/// Well-known attacks of several classes.
const ATTACKS: &[&str] = &[
    "' or 1=1--",
    "<script>alert(1)</script>",
    "../../../../etc/passwd",
    "${jndi:ldap://x/a}",
    "; cat /etc/passwd",
    "<img src=x onerror=alert(1)>",
    "\" onmouseover=\"alert(document.cookie)",
    "1 UNION SELECT password FROM users",
    "{{7*7}}",
    "$(id)",
    "javascript:alert(1)",
];

#[derive(Clone, Copy, Debug)]
enum Enc {
    UrlAll,
    UrlSpecial,
    UrlUnicode,
    HtmlDec,
    HtmlDecZeros,
    HtmlHexNoSemi,
    HtmlNamed,
    JsHex,
    JsUnicode,
    JsBraces,
    JsOctal,
    Base64,
    Base64UrlNoPad,
    Fullwidth,
    Overlong,
}

const ENCODINGS: [Enc; 15] = [
    Enc::UrlAll,
    Enc::UrlSpecial,
    Enc::UrlUnicode,
    Enc::HtmlDec,
    Enc::HtmlDecZeros,
    Enc::HtmlHexNoSemi,
    Enc::HtmlNamed,
    Enc::JsHex,
    Enc::JsUnicode,
    Enc::JsBraces,
    Enc::JsOctal,
    Enc::Base64,
    Enc::Base64UrlNoPad,
    Enc::Fullwidth,
    Enc::Overlong,
];

/// Whether an encoding must cover the whole value (base64): nothing may follow or precede.
fn whole(e: Enc) -> bool {
    matches!(e, Enc::Base64 | Enc::Base64UrlNoPad)
}

fn special(c: char) -> bool {
    !c.is_ascii_alphanumeric()
}

fn encode(e: Enc, s: &str) -> String {
    let mut out = String::new();
    let chars: Vec<char> = s.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        let next = chars.get(i + 1).copied();
        let cp = c as u32;
        match e {
            Enc::UrlAll => {
                let mut buf = [0; 4];
                for b in c.encode_utf8(&mut buf).bytes() {
                    let _ = write!(out, "%{b:02X}");
                }
            }
            Enc::UrlSpecial if special(c) => {
                let mut buf = [0; 4];
                for b in c.encode_utf8(&mut buf).bytes() {
                    let _ = write!(out, "%{b:02x}");
                }
            }
            Enc::UrlUnicode if special(c) && cp < 0x10000 => {
                let _ = write!(out, "%u{cp:04X}");
            }
            Enc::HtmlDec if special(c) => {
                let _ = write!(out, "&#{cp};");
            }
            Enc::HtmlDecZeros => {
                let _ = write!(out, "&#{cp:07}");
                if next.is_none_or(|n| n.is_ascii_digit()) {
                    out.push(';');
                }
            }
            Enc::HtmlHexNoSemi if special(c) => {
                let _ = write!(out, "&#x{cp:x}");
                if next.is_none_or(|n| n.is_ascii_hexdigit()) {
                    out.push(';');
                }
            }
            Enc::HtmlNamed => match c {
                '<' => out.push_str("&lt;"),
                '>' => out.push_str("&GT;"),
                '&' => out.push_str("&amp;"),
                '"' => out.push_str("&quot;"),
                '\'' => out.push_str("&apos;"),
                '(' => out.push_str("&lpar;"),
                ')' => out.push_str("&rpar;"),
                ':' => out.push_str("&colon;"),
                '/' => out.push_str("&sol;"),
                '=' => out.push_str("&equals;"),
                ';' => out.push_str("&semi;"),
                _ => out.push(c),
            },
            Enc::JsHex if cp < 0x100 => {
                let _ = write!(out, "\\x{cp:02x}");
            }
            Enc::JsUnicode if special(c) && cp < 0x10000 => {
                let _ = write!(out, "\\u{cp:04X}");
            }
            Enc::JsBraces if special(c) => {
                let _ = write!(out, "\\u{{{cp:x}}}");
            }
            Enc::JsOctal if special(c) && cp < 0x100 => {
                let _ = write!(out, "\\{cp:03o}");
            }
            Enc::Fullwidth if ('!'..='~').contains(&c) => {
                out.push(char::from_u32(cp - 0x21 + 0xFF01).unwrap_or(c));
            }
            Enc::Fullwidth if c == ' ' => out.push('\u{3000}'),
            // Overlong UTF-8, percent-encoded (bytes C0/C1 are not UTF-8).
            Enc::Overlong if cp < 0x80 && special(c) => {
                let _ = write!(out, "%{:02X}%{:02X}", 0xC0 | (cp >> 6), 0x80 | (cp & 0x3F));
            }
            Enc::Base64 | Enc::Base64UrlNoPad => {
                return base64_encode(s.as_bytes(), matches!(e, Enc::Base64));
            }
            _ => out.push(c),
        }
    }
    out
}

/// Base64 of `data`: the standard alphabet, padded, or the URL-safe one, unpadded.
pub(super) fn base64_encode(data: &[u8], standard: bool) -> String {
    let alphabet: &[u8; 64] = if standard {
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    } else {
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    };
    let mut out = String::new();
    for chunk in data.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
        for k in 0..=chunk.len() {
            out.push(char::from(alphabet[(n >> (18 - 6 * k) & 63) as usize]));
        }
        if standard {
            for _ in chunk.len()..3 {
                out.push('=');
            }
        }
    }
    out
}

/// Whether the raw value or one of its forms contains `needle`.
fn exposed(raw: &str, form: bool, needle: &str) -> bool {
    let mut f = Forms::default();
    f.decode(
        raw.as_bytes(),
        ByteClasses::of(raw.as_bytes()),
        Part::Query,
        form,
    );
    let needle = needle.as_bytes();
    let contains = |t: &[u8]| t.windows(needle.len()).any(|w| w == needle);
    contains(raw.as_bytes()) || f.iter().any(|(t, _)| contains(t))
}

fn attack() -> impl Strategy<Value = String> {
    prop_oneof![
        proptest::sample::select(ATTACKS).prop_map(str::to_owned),
        // Random payloads: ASCII letters and attack punctuation, with at least one
        // character outside base64 (so the payload itself is not base64-shaped).
        "[a-z0-9 <>'\"();=:!*$|{},.-]{0,20}[<>'\"();]{1}[a-z0-9 <>'\"();=:!*$|{},.-]{0,20}",
    ]
}

fn chain() -> impl Strategy<Value = Vec<Enc>> {
    proptest::collection::vec(proptest::sample::select(&ENCODINGS[..]), 1..=3)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn an_encoded_attack_is_exposed(
        payload in attack(),
        encodings in chain(),
        prefix in "[a-z]{0,6}( )?",
        suffix in "( )?[a-z]{0,6}",
        form in any::<bool>(),
    ) {
        let mut value = payload.clone();
        for (i, e) in encodings.iter().enumerate() {
            // Base64 is only recognised from 8 characters (6 bytes, or 5 and padding).
            if whole(*e) && value.len() < 6 {
                continue;
            }
            value = encode(*e, &value);
            // Benign words around the value, unless it must stay whole (base64) now or later.
            if i == 0 && !encodings.iter().any(|e| whole(*e)) {
                value = format!("{prefix}{value}{suffix}");
            }
        }
        // A `+` the attacker did not encode would be a space in a form: the attacker
        // encodes it, or sends the value where `+` is literal.
        let form = form && !value.contains('+');
        prop_assert!(
            exposed(&value, form, &payload),
            "{payload:?} through {encodings:?} as {value:?} (form {form}) is not exposed"
        );
    }

    #[test]
    fn forms_stay_within_bounds(raw in proptest::collection::vec(any::<u8>(), 0..200),
                                prev in proptest::collection::vec(any::<u8>(), 0..50),
                                form in any::<bool>()) {
        prop_assert!(check_forms(&raw, &prev, form).is_ok());
    }

    #[test]
    fn encoded_looking_values_stay_within_bounds(
        raw in "([%&#;\\\\xu0-9a-fA-F+/=<>.]|&lt;|%25|%u00|\\\\u00|&#x){0,60}",
        form in any::<bool>(),
    ) {
        let result = check_forms(raw.as_bytes(), b"%41", form);
        prop_assert!(result.is_ok(), "{result:?}");
    }
}
