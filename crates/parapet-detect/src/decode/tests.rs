//! The composition of the decoders: which forms a value gets, with which decoders, within
//! which bounds.

use super::*;

fn forms(raw: &str, form: bool) -> Vec<(String, Decoders)> {
    forms_bytes(raw.as_bytes(), form)
}

fn forms_bytes(raw: &[u8], form: bool) -> Vec<(String, Decoders)> {
    let mut f = Forms::default();
    f.decode(raw, ByteClasses::of(raw), Part::Query, form);
    f.iter()
        .map(|(t, d)| (String::from_utf8_lossy(t).into_owned(), d))
        .collect()
}

fn texts(raw: &str, form: bool) -> Vec<String> {
    forms(raw, form).into_iter().map(|f| f.0).collect()
}

fn has(raw: &str, form: bool, want: &str) -> bool {
    texts(raw, form).iter().any(|t| t == want)
}

#[test]
fn benign_values_have_no_forms() {
    for v in [
        "hello",
        "hello world",
        "Tom & Jerry",
        "100%",
        "a+b",
        "O'Brien",
        "12/03/2024",
        "https://example.com/a/b?c=d",
        "user@example.com",
        "550e8400-e29b-41d4-a716-446655440000",
        "Something",
        "administrator",
        "café crème",
        "“quoted”",
        "",
    ] {
        assert_eq!(forms(v, false), vec![], "{v:?}");
    }
    assert_eq!(forms("hello world", true), vec![]);
}

#[test]
fn url_once_twice_thrice() {
    assert_eq!(
        forms("%3Cscript%3E", false),
        vec![("<script>".to_owned(), Decoders::URL)]
    );
    let f = forms("%25253Cscript%25253E", false);
    assert_eq!(f[0].0, "<script>", "the greedy chain undoes every layer");
    assert!(f[0].1.contains(Decoders::URL | Decoders::URL_TWICE));
    assert!(has("%25253Cscript%25253E", false, "%253Cscript%253E"));
    assert!(has("%25253Cscript%25253E", false, "%3Cscript%3E"));
}

#[test]
fn plus_is_a_space_only_in_forms() {
    assert_eq!(texts("'+or+1=1--", true), vec!["' or 1=1--"]);
    assert_eq!(texts("'+or+1=1--", false), Vec::<String>::new());
}

#[test]
fn chains_are_undone() {
    // URL then HTML.
    assert!(has("%26lt%3Bscript%26gt%3B", false, "<script>"));
    // HTML then URL.
    assert!(has("&#37;3Cscript&#37;3E", false, "<script>"));
    // URL then JS.
    assert!(has("%5Cx3cscript%5Cx3e", false, "<script>"));
    // Base64 of URL-encoded text.
    assert!(has("JTNDc2NyaXB0JTNF", false, "<script>"));
    // URL-encoded base64 (padding as %3D).
    assert!(has("JyBvciAxPTEtLQ%3D%3D", false, "' or 1=1--"));
    // Overlong UTF-8, percent-encoded.
    assert!(has(
        "%c0%ae%c0%ae%c0%af%c0%ae%c0%ae%c0%afetc",
        false,
        "../../etc"
    ));
    // Fullwidth, percent-encoded (U+FF1C is EF BC 9C).
    assert!(has("%EF%BC%9Cscript%EF%BC%9E", false, "<script>"));
    // Double HTML.
    assert!(has("&amp;lt;svg&amp;gt;", false, "<svg>"));
    // JSON in JSON.
    assert!(has(
        r#"{\"q\":\"\\u0027 or 1=1\"}"#,
        false,
        r#"{"q":"' or 1=1"}"#
    ));
    // Backslashes and `./` in a traversal.
    assert!(has(
        r"..\..\.\windows\win.ini",
        false,
        "../../windows/win.ini"
    ));
    // NUL inside a keyword, percent-encoded.
    assert!(has("<scr%00ipt>", false, "<script>"));
}

#[test]
fn forms_record_their_decoders() {
    let f = forms("%26lt%3Bscript%26gt%3B", false);
    let full = f.iter().find(|(t, _)| t == "<script>").map(|f| f.1);
    assert_eq!(full, Some(Decoders::URL | Decoders::HTML));
    let f = forms("PHNjcmlwdD4=", false);
    assert_eq!(f, vec![("<script>".to_owned(), Decoders::BASE64)]);
    let f = forms(r"\u003cscript\u003e", false);
    assert!(f.contains(&("<script>".to_owned(), Decoders::JS)));
    let f = forms("＜script＞", false);
    assert_eq!(f, vec![("<script>".to_owned(), Decoders::UNICODE)]);
}

#[test]
fn base64_with_plus_in_a_form_is_still_decoded() {
    // `+` would become a space; the raw value is decoded as base64 too.
    let v = "Pz4+Pz4+Pz4+";
    assert!(has(v, true, "?>>?>>?>>"));
}

#[test]
fn no_duplicates_no_raw_no_growth() {
    for v in [
        "%41%42",
        "&lt;&#60;&#x3c;\\x3c\\u003c%3c%u003c",
        "%2525252525252541",
        "&amp;amp;amp;amp;amp;amp;lt;",
        r"\\\\\\\\\\x41",
    ] {
        let f = forms(v, true);
        assert!(f.len() <= MAX_FORMS);
        for (i, (t, d)) in f.iter().enumerate() {
            assert!(!d.is_empty());
            assert_ne!(t, v);
            assert!(t.len() <= v.len());
            assert!(f[..i].iter().all(|(u, _)| u != t), "{v}: duplicate {t}");
        }
    }
}

#[test]
fn deep_layers_are_bounded() {
    // Eight layers of URL encoding: the greedy chain stops after MAX_DEPTH rounds.
    let mut v = "<".to_owned();
    for _ in 0..8 {
        v = v.replace('%', "%25").replace('<', "%3C");
    }
    let f = forms(&v, false);
    assert!(f.len() <= MAX_FORMS);
    assert!(f.iter().all(|(t, _)| t != "<"));
    // Four layers are undone.
    let mut v = "<x>".to_owned();
    for _ in 0..4 {
        v = v.replace('%', "%25").replace('<', "%3C");
    }
    assert!(has(&v, false, "<x>"));
}

#[test]
fn buffers_are_reused_without_leaking() {
    let mut f = Forms::default();
    f.decode(
        b"%3Clong value here%3E&lt;",
        ByteClasses::of(b"%3Clong value here%3E&lt;"),
        Part::Query,
        false,
    );
    assert!(f.iter().count() > 0);
    f.decode(b"%41", ByteClasses::of(b"%41"), Part::Query, false);
    let got: Vec<_> = f.iter().map(|(t, _)| t.to_vec()).collect();
    assert_eq!(got, vec![b"A".to_vec()]);
    f.decode(b"plain", ByteClasses::of(b"plain"), Part::Query, false);
    assert_eq!(f.iter().count(), 0);
}

#[test]
fn methods_are_not_decoded() {
    let mut f = Forms::default();
    f.decode(b"%47ET", ByteClasses::of(b"%47ET"), Part::Method, false);
    assert_eq!(f.iter().count(), 0);
}

#[test]
fn invalid_utf8_is_fine() {
    let raw = b"\xff\xfe%3c\xc0\xae\xef\xbc";
    let f = forms_bytes(raw, true);
    assert!(!f.is_empty());
    assert!(check_forms(raw, b"%41&lt;", true).is_ok());
}

#[test]
fn check_forms_accepts_what_decode_does() {
    for v in ["", "a", "%3C", "&lt;", "PHNjcmlwdD4=", "＜", "a//b", "\0"] {
        assert!(check_forms(v.as_bytes(), b"%2541", false).is_ok(), "{v}");
    }
}
