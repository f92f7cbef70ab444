//! Values whose shape leaves no room for an attack: UUIDs and ISO 8601 dates and times
//! (`2024-06-01T12:34:56.123+02:00`), which the engine skips wherever the application reads
//! them as data (a header's value may be judged by its shape alone: a `Range` that is a
//! UUID is a protocol anomaly), and e-mail addresses, which some classes read as one word.
//! Each shape is strict: a byte out of place and the value is inspected as any other.

use crate::location::Part;

/// Whether `raw`, found at `part`, is a UUID or an ISO 8601 date or date-time outside the
/// headers: no decoder applies to it and no detector reports on it (a property test checks
/// both).
pub(crate) fn is_inert(part: Part, raw: &[u8]) -> bool {
    !matches!(part, Part::Header | Part::Method) && (is_uuid(raw) || is_timestamp(raw))
}

/// `8-4-4-4-12` hexadecimal digits.
fn is_uuid(raw: &[u8]) -> bool {
    raw.len() == 36
        && raw.iter().enumerate().all(|(i, &b)| match i {
            8 | 13 | 18 | 23 => b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
}

/// `YYYY-MM-DD`, then optionally `T` (or `t`, or a space) and `HH:MM:SS`, a fraction of up
/// to nine digits, and `Z` or an offset `±HH:MM` (RFC 3339's, or ISO 8601's local time).
fn is_timestamp(raw: &[u8]) -> bool {
    let digits = |at: usize, n: usize| {
        raw.get(at..at + n)
            .is_some_and(|d| d.iter().all(u8::is_ascii_digit))
    };
    let byte = |at: usize, b: u8| raw.get(at) == Some(&b);
    // `YYYY-MM-DD`
    if !(digits(0, 4) && byte(4, b'-') && digits(5, 2) && byte(7, b'-') && digits(8, 2)) {
        return false;
    }
    if raw.len() == 10 {
        return true;
    }
    // `THH:MM:SS`
    if !(matches!(raw[10], b'T' | b't' | b' ')
        && digits(11, 2)
        && byte(13, b':')
        && digits(14, 2)
        && byte(16, b':')
        && digits(17, 2))
    {
        return false;
    }
    let mut at = 19;
    if byte(at, b'.') {
        let fraction = raw[at + 1..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count();
        if !(1..=9).contains(&fraction) {
            return false;
        }
        at += 1 + fraction;
    }
    match &raw[at..] {
        [] | [b'Z' | b'z'] => true,
        [b'+' | b'-', ..] => {
            raw.len() == at + 6 && digits(at + 1, 2) && byte(at + 3, b':') && digits(at + 4, 2)
        }
        _ => false,
    }
}

/// Whether `s` is an e-mail address: `local@domain.tld`, its local part of letters, digits
/// and `._+-`, its domain two or more labels of letters, digits and `-`.
pub(crate) fn is_email_address(s: &[u8]) -> bool {
    let Some(at) = crate::needle::byte(s, b'@') else {
        return false;
    };
    let (local, domain) = (&s[..at], &s[at + 1..]);
    if local.is_empty()
        || !local
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'+' | b'-'))
    {
        return false;
    }
    // One pass over the domain: labels between single dots.
    let (mut label, mut dots) = (0, 0);
    for &b in domain {
        if b == b'.' {
            if label == 0 {
                return false;
            }
            (label, dots) = (0, dots + 1);
        } else if b.is_ascii_alphanumeric() || b == b'-' {
            label += 1;
        } else {
            return false;
        }
    }
    dots > 0 && label > 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::class::DETECTORS;
    use crate::decode::check_forms;
    use crate::detector::matches;
    use crate::location::Part;
    use proptest::prelude::*;

    #[test]
    fn shapes() {
        for inert in [
            "4bf92f35-77b3-4da6-a3ce-929d0e0e4736",
            "4BF92F35-77B3-4DA6-A3CE-929D0E0E4736",
            "2024-06-01",
            "2024-06-01T12:34:56Z",
            "2024-06-01t12:34:56.123456789+02:00",
            "2024-06-01 12:34:56-05:30",
            "2024-06-01T12:34:56",
        ] {
            assert!(is_inert(Part::Body, inert.as_bytes()), "{inert}");
            assert!(!is_inert(Part::Header, inert.as_bytes()), "{inert}");
        }
        for other in [
            "4bf92f35-77b3-4da6-a3ce-929d0e0e473",
            "4bf92f35-77b3-4da6-a3ce-929d0e0e4736'",
            "4bf92f3g-77b3-4da6-a3ce-929d0e0e4736",
            "2024-06-01T12:34:5",
            "2024-06-01T12:34:56.Z",
            "2024-06-01T12:34:56.1234567890Z",
            "2024-06-01T12:34:56+02:00 or 1=1",
            "2024-06-01' or '1'='1",
            "2024-06-01T12:34:56+0200",
            "2024-6-01",
        ] {
            assert!(!is_inert(Part::Body, other.as_bytes()), "{other}");
        }
    }

    /// UUIDs, and dates and times in every form [`is_timestamp`] takes.
    fn inert_values() -> impl Strategy<Value = String> {
        let uuid = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}";
        let time = "[0-9]{4}-[0-9]{2}-[0-9]{2}([Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{1,9})?([Zz]|[+-][0-9]{2}:[0-9]{2})?)?";
        prop_oneof![
            proptest::string::string_regex(uuid).expect("a valid regex"),
            proptest::string::string_regex(time).expect("a valid regex"),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]
        /// What the engine skips as inert is what it would find nothing in: no detector
        /// reports on the value or on a decoded form of it (`+` read as a space in a query),
        /// wherever it is, at paranoia 4.
        #[test]
        fn an_inert_value_holds_nothing(value in inert_values()) {
            prop_assert!(is_inert(Part::Body, value.as_bytes()));
            let mut texts = vec![value.clone()];
            for form in [false, true] {
                let forms = check_forms(value.as_bytes(), b"", form).map_err(TestCaseError::fail)?;
                texts.extend(forms.into_iter().map(|(t, _)| String::from_utf8_lossy(&t).into_owned()));
            }
            for text in &texts {
                for (part, name) in crate::detector::tests::DATA_PLACES {
                    for detector in DETECTORS {
                        prop_assert_eq!(matches(detector, part, name, text, 4), Vec::<&str>::new());
                    }
                }
            }
        }
    }
}
