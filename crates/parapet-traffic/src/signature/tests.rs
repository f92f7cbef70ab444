//! End-to-end tests: RFC 9421 Appendix B vectors, tampering, policy checks and bounds.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::time::Duration;

use aws_lc_rs::hmac;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{Ed25519KeyPair, KeyPair};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use http::request::Parts;
use http::{HeaderValue, Method, Request};

use super::*;

/// RFC 9421 Appendix B.1.5 `test-shared-secret`.
const RFC_SHARED_SECRET: &str =
    "uzvJfB4u3N0Jy4T7NZ75MDVcr8zSTInedJtkgcu46YW4XByzNJjxBdtjUkdJPBtbmHhIDi6pcl8jsasjlTMtDQ==";
/// RFC 9421 Appendix B.1.4 `test-key-ed25519`, JWK `x`.
const RFC_ED25519_X: &str = "JrQLj5P_89iXES9-vFgrIy29clF9CC_oPPsw3c5D0bs";
const RFC_ED25519_PEM: &str = "-----BEGIN PUBLIC KEY-----\n\
    MCowBQYDK2VwAyEAJrQLj5P/89iXES9+vFgrIy29clF9CC/oPPsw3c5D0bs=\n\
    -----END PUBLIC KEY-----\n";
const RFC_CREATED: u64 = 1_618_884_473;
const BODY: &[u8] = br#"{"hello": "world"}"#;
const BODY_SHA_512: &str = "sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:";
const BODY_SHA_256: &str = "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:";
const NOW: u64 = 1_700_000_000;
const SECRET: &[u8] = b"a test secret of sufficient length";

/// The request of RFC 9421 Appendix B.2.
fn rfc_request() -> Parts {
    Request::builder()
        .method("POST")
        .uri("/foo?param=Value&Pet=dog")
        .header("host", "example.com")
        .header("date", "Tue, 20 Apr 2021 02:07:55 GMT")
        .header("content-type", "application/json")
        .header("content-digest", BODY_SHA_512)
        .header("content-length", "18")
        .body(())
        .unwrap()
        .into_parts()
        .0
}

fn with_signature(mut parts: Parts, input: &str, signature: &str) -> Parts {
    let headers = &mut parts.headers;
    headers.insert("signature-input", HeaderValue::from_str(input).unwrap());
    headers.insert("signature", HeaderValue::from_str(signature).unwrap());
    parts
}

fn rfc_keys() -> HashMap<String, VerifyingKey> {
    let secret = STANDARD.decode(RFC_SHARED_SECRET).unwrap();
    let public = URL_SAFE_NO_PAD.decode(RFC_ED25519_X).unwrap();
    [
        VerifyingKey::hmac_sha256("test-shared-secret", &secret),
        VerifyingKey::ed25519("test-key-ed25519", &public).unwrap(),
    ]
    .into_iter()
    .map(|key| (key.id().to_owned(), key))
    .collect()
}

fn rfc_requirements(components: &[&str]) -> Requirements {
    Requirements {
        components: components.iter().map(|c| (*c).to_owned()).collect(),
        max_age: Duration::from_secs(60),
        ..Requirements::default()
    }
}

fn verify_with(
    parts: &Parts,
    keys: &HashMap<String, VerifyingKey>,
    req: &Requirements,
    now: u64,
) -> Result<Verified, SignatureError> {
    verify_request(parts, |id| keys.get(id), req, now)
}

#[test]
fn rfc_9421_b_2_5_hmac_sha256() {
    let parts = with_signature(
        rfc_request(),
        r#"sig-b25=("date" "@authority" "content-type");created=1618884473;keyid="test-shared-secret""#,
        "sig-b25=:pxcQw6G3AjtMBQjwo8XzkZf/bws5LelbaMk5rGIGtE8=:",
    );
    let req = rfc_requirements(&["date", "@authority", "content-type"]);
    let verified = verify_with(&parts, &rfc_keys(), &req, RFC_CREATED + 10).unwrap();
    assert_eq!(
        verified,
        Verified {
            key_id: "test-shared-secret".into(),
            label: "sig-b25".into(),
            created: Some(RFC_CREATED),
            expires: None,
            nonce: None,
            covered: vec!["date".into(), "@authority".into(), "content-type".into()],
        }
    );
}

fn rfc_b26_request() -> Parts {
    with_signature(
        rfc_request(),
        r#"sig-b26=("date" "@method" "@path" "@authority" "content-type" "content-length");created=1618884473;keyid="test-key-ed25519""#,
        "sig-b26=:wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1u02Gb04v9EDgwUPiu4A0w6vuQv5lIp5WPpBKRCw==:",
    )
}

#[test]
fn rfc_9421_b_2_6_ed25519() {
    let req = rfc_requirements(&["@method", "@path", "@authority"]);
    let verified = verify_with(&rfc_b26_request(), &rfc_keys(), &req, RFC_CREATED).unwrap();
    assert_eq!(verified.key_id, "test-key-ed25519");
    assert_eq!(verified.label, "sig-b26");
    assert_eq!(verified.covered.len(), 6);
}

#[test]
fn rfc_9421_b_2_6_ed25519_with_pem_key() {
    let key = VerifyingKey::ed25519_from_pem("test-key-ed25519", RFC_ED25519_PEM).unwrap();
    let verified = verify_request(
        &rfc_b26_request(),
        |_| Some(&key),
        &Requirements::default(),
        RFC_CREATED,
    );
    assert_eq!(verified.unwrap().key_id, "test-key-ed25519");
}

#[test]
fn rfc_9421_b_2_6_rejects_tampered_path() {
    let mut parts = rfc_b26_request();
    parts.uri = "/bar?param=Value&Pet=dog".parse().unwrap();
    let result = verify_with(&parts, &rfc_keys(), &Requirements::default(), RFC_CREATED);
    assert_eq!(result, Err(SignatureError::BadSignature));
}

#[test]
fn rfc_9421_b_2_6_requires_label_when_asked() {
    let req = Requirements {
        label: Some("sig-b25".into()),
        ..Requirements::default()
    };
    let result = verify_with(&rfc_b26_request(), &rfc_keys(), &req, RFC_CREATED);
    assert_eq!(result, Err(SignatureError::Missing));
}

// ---- Signatures made in the test -------------------------------------------------------------

/// A signed request built from scratch, so each test can vary one thing.
struct Signed {
    method: Method,
    uri: &'static str,
    headers: Vec<(&'static str, &'static str)>,
    components: &'static str,
    params: String,
    label: &'static str,
}

impl Signed {
    fn new() -> Self {
        Self {
            method: Method::POST,
            uri: "/orders?id=42&mode=fast",
            headers: vec![
                ("host", "api.example.com"),
                ("content-type", "application/json"),
                ("content-digest", BODY_SHA_256),
                ("x-nonce", "n-1"),
            ],
            components: r#""@method" "@path" "@authority" "@query-param";name="id" "content-digest" "content-type""#,
            params: format!(r#";created={NOW};keyid="hmac-1""#),
            label: "sig1",
        }
    }

    fn params(mut self, params: &str) -> Self {
        self.params = params.to_owned();
        self
    }

    fn input(&self) -> String {
        format!("{}=({}){}", self.label, self.components, self.params)
    }

    fn base(&self, lines: &[&str]) -> String {
        let mut base: String = lines.iter().map(|line| format!("{line}\n")).collect();
        base.push_str(&format!(
            "\"@signature-params\": ({}){}",
            self.components, self.params
        ));
        base
    }

    fn parts(&self, signature: &[u8]) -> Parts {
        let mut builder = Request::builder().method(self.method.clone()).uri(self.uri);
        for (name, value) in &self.headers {
            builder = builder.header(*name, *value);
        }
        let parts = builder.body(()).unwrap().into_parts().0;
        let signature = format!("{}=:{}:", self.label, STANDARD.encode(signature));
        with_signature(parts, &self.input(), &signature)
    }

    /// The base of the default components for the default request.
    fn default_base(&self) -> String {
        self.base(&[
            "\"@method\": POST",
            "\"@path\": /orders",
            "\"@authority\": api.example.com",
            "\"@query-param\";name=\"id\": 42",
            &format!("\"content-digest\": {BODY_SHA_256}"),
            "\"content-type\": application/json",
        ])
    }

    fn hmac_parts(&self) -> Parts {
        let key = hmac::Key::new(hmac::HMAC_SHA256, SECRET);
        self.parts(hmac::sign(&key, self.default_base().as_bytes()).as_ref())
    }
}

fn hmac_keys() -> HashMap<String, VerifyingKey> {
    let key = VerifyingKey::hmac_sha256("hmac-1", SECRET);
    HashMap::from([(key.id().to_owned(), key)])
}

fn policy() -> Requirements {
    rfc_requirements(&["@method", "@path", "@authority", "content-digest"])
}

fn check(parts: &Parts) -> Result<Verified, SignatureError> {
    verify_with(parts, &hmac_keys(), &policy(), NOW)
}

#[test]
fn self_signed_hmac_verifies_and_reports_parameters() {
    let signed = Signed::new().params(&format!(
        r#";created={NOW};expires={};nonce="n-1";keyid="hmac-1";alg="hmac-sha256";tag="app""#,
        NOW + 60
    ));
    let verified = check(&signed.hmac_parts()).unwrap();
    assert_eq!(verified.nonce.as_deref(), Some("n-1"));
    assert_eq!(verified.expires, Some(NOW + 60));
    assert_eq!(verified.covered[3], "@query-param;name=\"id\"");
    verify_content_digest(&signed.hmac_parts().headers, BODY).unwrap();
}

#[test]
fn self_signed_ed25519_verifies_every_derived_component() {
    let pkcs8 = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).unwrap();
    let pair = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).unwrap();
    let key = VerifyingKey::ed25519("ed-1", pair.public_key().as_ref()).unwrap();
    let mut signed = Signed::new();
    signed.components = r#""@method" "@target-uri" "@scheme" "@request-target" "@query" "x-nonce""#;
    signed.params = format!(r#";created={NOW};keyid="ed-1";alg="ed25519""#);
    let base = signed.base(&[
        "\"@method\": POST",
        "\"@target-uri\": https://api.example.com/orders?id=42&mode=fast",
        "\"@scheme\": https",
        "\"@request-target\": /orders?id=42&mode=fast",
        "\"@query\": ?id=42&mode=fast",
        "\"x-nonce\": n-1",
    ]);
    let parts = signed.parts(pair.sign(base.as_bytes()).as_ref());
    let req = Requirements {
        scheme_hint: Some("https"),
        ..rfc_requirements(&["@target-uri", "x-nonce"])
    };
    let verified = verify_request(&parts, |id| (id == "ed-1").then_some(&key), &req, NOW).unwrap();
    assert_eq!(verified.key_id, "ed-1");
    let http_req = Requirements {
        scheme_hint: None,
        ..req
    };
    let downgraded = verify_request(&parts, |_| Some(&key), &http_req, NOW);
    assert_eq!(downgraded, Err(SignatureError::BadSignature));
}

#[test]
fn tampered_header_method_or_path_fails() {
    let mut header = Signed::new().hmac_parts();
    header
        .headers
        .insert("content-type", HeaderValue::from_static("text/plain"));
    let mut method = Signed::new().hmac_parts();
    method.method = Method::PUT;
    let mut path = Signed::new().hmac_parts();
    path.uri = "/orders/7?id=42&mode=fast".parse().unwrap();
    let mut query = Signed::new().hmac_parts();
    query.uri = "/orders?id=43&mode=fast".parse().unwrap();
    for parts in [header, method, path, query] {
        assert_eq!(check(&parts), Err(SignatureError::BadSignature));
    }
}

#[test]
fn uncovered_query_parameter_may_change() {
    let mut parts = Signed::new().hmac_parts();
    parts.uri = "/orders?id=42&mode=slow".parse().unwrap();
    assert!(check(&parts).is_ok());
}

#[test]
fn body_altered_after_signing_fails_digest() {
    let parts = Signed::new().hmac_parts();
    assert!(check(&parts).is_ok());
    let tampered = br#"{"hello": "world!"}"#;
    assert_eq!(
        verify_content_digest(&parts.headers, tampered),
        Err(DigestError::Mismatch)
    );
}

#[test]
fn wrong_secret_fails() {
    let parts = Signed::new().hmac_parts();
    let other = VerifyingKey::hmac_sha256("hmac-1", b"another secret");
    let result = verify_request(&parts, |_| Some(&other), &policy(), NOW);
    assert_eq!(result, Err(SignatureError::BadSignature));
}

#[test]
fn created_and_expires_are_enforced() {
    let cases = [
        (
            format!(r#";created={};keyid="hmac-1""#, NOW - 61),
            Err(SignatureError::TooOld),
        ),
        (format!(r#";created={};keyid="hmac-1""#, NOW - 60), Ok(())),
        (
            format!(r#";created={};keyid="hmac-1""#, NOW + 6),
            Err(SignatureError::FromTheFuture),
        ),
        (format!(r#";created={};keyid="hmac-1""#, NOW + 5), Ok(())),
        (
            format!(r#";created={NOW};expires={};keyid="hmac-1""#, NOW - 1),
            Err(SignatureError::Expired),
        ),
        (
            r#";keyid="hmac-1""#.to_owned(),
            Err(SignatureError::MissingCreated),
        ),
        (
            r#";created=-1;keyid="hmac-1""#.to_owned(),
            Err(SignatureError::Malformed),
        ),
        (
            format!(r#";created="{NOW}";keyid="hmac-1""#),
            Err(SignatureError::Malformed),
        ),
    ];
    for (params, want) in cases {
        let parts = Signed::new().params(&params).hmac_parts();
        assert_eq!(check(&parts).map(drop), want, "{params}");
    }
}

#[test]
fn created_is_optional_when_policy_allows() {
    let parts = Signed::new().params(r#";keyid="hmac-1""#).hmac_parts();
    let req = Requirements {
        require_created: false,
        ..policy()
    };
    let verified = verify_with(&parts, &hmac_keys(), &req, NOW).unwrap();
    assert_eq!(verified.created, None);
}

#[test]
fn missing_required_component_is_refused() {
    let req = rfc_requirements(&["@method", "x-nonce"]);
    let result = verify_with(&Signed::new().hmac_parts(), &hmac_keys(), &req, NOW);
    assert_eq!(
        result,
        Err(SignatureError::MissingComponent("x-nonce".into()))
    );
    let req = rfc_requirements(&["Content-Digest", "@query-param;name=\"id\""]);
    assert!(verify_with(&Signed::new().hmac_parts(), &hmac_keys(), &req, NOW).is_ok());
}

#[test]
fn alg_parameter_must_match_the_key() {
    let parts = Signed::new()
        .params(&format!(r#";created={NOW};keyid="hmac-1";alg="ed25519""#))
        .hmac_parts();
    assert_eq!(check(&parts), Err(SignatureError::AlgorithmMismatch));
    let parts = Signed::new()
        .params(&format!(
            r#";created={NOW};keyid="hmac-1";alg="rsa-pss-sha512""#
        ))
        .hmac_parts();
    assert_eq!(check(&parts), Err(SignatureError::AlgorithmMismatch));
}

/// An attacker who knows an Ed25519 public key must not be able to use it as an HMAC secret.
#[test]
fn public_key_cannot_be_used_as_hmac_secret() {
    let public = URL_SAFE_NO_PAD.decode(RFC_ED25519_X).unwrap();
    let key = VerifyingKey::ed25519("hmac-1", &public).unwrap();
    let forged = hmac::Key::new(hmac::HMAC_SHA256, &public);
    for params in [
        format!(r#";created={NOW};keyid="hmac-1";alg="hmac-sha256""#),
        format!(r#";created={NOW};keyid="hmac-1""#),
    ] {
        let signed = Signed::new().params(&params);
        let parts = signed.parts(hmac::sign(&forged, signed.default_base().as_bytes()).as_ref());
        let result = verify_request(&parts, |_| Some(&key), &policy(), NOW);
        assert!(
            matches!(
                result,
                Err(SignatureError::AlgorithmMismatch | SignatureError::BadSignature)
            ),
            "{params}: {result:?}"
        );
    }
}

#[test]
fn unknown_key_id_is_refused() {
    let parts = Signed::new()
        .params(&format!(r#";created={NOW};keyid="someone-else""#))
        .hmac_parts();
    assert_eq!(check(&parts), Err(SignatureError::UnknownKey));
    let parts = Signed::new()
        .params(&format!(";created={NOW}"))
        .hmac_parts();
    assert_eq!(check(&parts), Err(SignatureError::UnknownKey));
}

#[test]
fn first_signature_with_a_known_key_is_chosen() {
    let mut parts = Signed::new().hmac_parts();
    let input = parts
        .headers
        .get("signature-input")
        .unwrap()
        .to_str()
        .unwrap();
    let signature = parts.headers.get("signature").unwrap().to_str().unwrap();
    let input = format!(r#"other=("@method");created={NOW};keyid="unknown", {input}"#);
    let signature = format!("other=:AAAA:, {signature}");
    parts = with_signature(parts, &input, &signature);
    assert_eq!(check(&parts).unwrap().label, "sig1");
    let req = Requirements {
        label: Some("other".into()),
        ..policy()
    };
    assert_eq!(
        verify_with(&parts, &hmac_keys(), &req, NOW),
        Err(SignatureError::UnknownKey)
    );
}

#[test]
fn signature_fields_split_over_several_lines_are_combined() {
    let mut parts = Signed::new().hmac_parts();
    let input = parts.headers.get("signature-input").unwrap().clone();
    parts.headers.insert(
        "signature-input",
        HeaderValue::from_static(r#"a=("@method");keyid="x""#),
    );
    parts.headers.append("signature-input", input);
    assert!(check(&parts).is_ok());
}

#[test]
fn covered_header_absent_from_request_is_refused() {
    let mut parts = Signed::new().hmac_parts();
    parts.headers.remove("content-type");
    assert_eq!(
        check(&parts),
        Err(SignatureError::AbsentComponent("content-type".into()))
    );
}

#[test]
fn unsupported_or_duplicate_components_are_refused() {
    let mut signed = Signed::new();
    signed.components = r#""@method" "content-digest";sf"#;
    assert_eq!(
        check(&signed.hmac_parts()),
        Err(SignatureError::UnsupportedComponent(
            "content-digest;sf".into()
        ))
    );
    signed.components = r#""@method" "@path" "@method""#;
    assert_eq!(check(&signed.hmac_parts()), Err(SignatureError::Malformed));
}

fn raw_parts(input: &[u8], signature: &[u8]) -> Parts {
    let mut parts = rfc_request();
    parts
        .headers
        .insert("signature-input", HeaderValue::from_bytes(input).unwrap());
    parts
        .headers
        .insert("signature", HeaderValue::from_bytes(signature).unwrap());
    parts
}

#[test]
fn malformed_signature_fields_are_refused() {
    let good_input = br#"sig=("@method");created=1618884473;keyid="test-shared-secret""#.as_slice();
    let good_sig = b"sig=:AAAA:".as_slice();
    let cases: [(&[u8], &[u8]); 9] = [
        (b"garbage (((", good_sig),
        (good_input, b"sig=not-base64"),
        (good_input, b"sig=\"a string\""),
        (good_input, b"sig=(:AAAA:)"),
        (b"sig=\"@method\";keyid=\"test-shared-secret\"", good_sig),
        (
            br#"sig=("@method" @path);keyid="test-shared-secret""#,
            good_sig,
        ),
        (br#"sig=("@method");keyid=test-shared-secret"#, good_sig),
        (b"", good_sig),
        (
            b"sig=(\"caf\xc3\xa9\");keyid=\"test-shared-secret\"",
            good_sig,
        ),
    ];
    for (input, signature) in cases {
        let result = verify_with(
            &raw_parts(input, signature),
            &rfc_keys(),
            &Requirements::default(),
            RFC_CREATED,
        );
        assert_eq!(
            result,
            Err(SignatureError::Malformed),
            "{}",
            String::from_utf8_lossy(input)
        );
    }
}

#[test]
fn missing_signature_fields_are_reported_as_missing() {
    let result = verify_with(
        &rfc_request(),
        &rfc_keys(),
        &Requirements::default(),
        RFC_CREATED,
    );
    assert_eq!(result, Err(SignatureError::Missing));
    let mut parts = rfc_b26_request();
    parts.headers.remove("signature");
    let result = verify_with(&parts, &rfc_keys(), &Requirements::default(), RFC_CREATED);
    assert_eq!(result, Err(SignatureError::Missing));
    let mut parts = rfc_b26_request();
    parts
        .headers
        .insert("signature", HeaderValue::from_static("other=:AAAA:"));
    let result = verify_with(&parts, &rfc_keys(), &Requirements::default(), RFC_CREATED);
    assert_eq!(result, Err(SignatureError::Missing));
}

#[test]
fn oversized_inputs_are_refused() {
    let padding = format!(
        r#"sig=("@method");keyid="test-shared-secret";pad="{}""#,
        "a".repeat(8 * 1024)
    );
    let many_signatures: Vec<String> = (0..17)
        .map(|i| format!(r#"s{i}=("@method");keyid="k""#))
        .collect();
    let many_components: Vec<String> = (0..33).map(|i| format!("\"x-h{i}\"")).collect();
    let many_components = format!(
        r#"sig=({});keyid="test-shared-secret""#,
        many_components.join(" ")
    );
    for input in [padding, many_signatures.join(", "), many_components] {
        let result = verify_with(
            &raw_parts(input.as_bytes(), b"sig=:AAAA:"),
            &rfc_keys(),
            &Requirements::default(),
            RFC_CREATED,
        );
        assert_eq!(result, Err(SignatureError::Malformed));
    }
}

#[test]
fn non_ascii_covered_header_is_refused() {
    let mut parts = Signed::new().hmac_parts();
    parts
        .headers
        .insert("content-type", HeaderValue::from_bytes(b"caf\xe9").unwrap());
    assert_eq!(check(&parts), Err(SignatureError::Malformed));
}

/// A cheap deterministic generator, enough to throw varied garbage at the parsers.
fn garbage(seed: &mut u64, len: usize) -> Vec<u8> {
    const ALPHABET: &[u8] = b"abc@-;=:,()\" *?/\\=AZ09+%&\xe9x";
    (0..len)
        .map(|_| {
            *seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            let index = usize::try_from(*seed >> 33).unwrap() % ALPHABET.len();
            ALPHABET[index]
        })
        .collect()
}

#[test]
fn arbitrary_input_never_panics() {
    let keys = rfc_keys();
    let mut seed = 7;
    for round in 0..2_000 {
        let mut input = b"sig=(".to_vec();
        input.extend(garbage(&mut seed, round % 64));
        let signature = garbage(&mut seed, round % 16);
        let (Ok(input), Ok(signature)) = (
            HeaderValue::from_bytes(&input),
            HeaderValue::from_bytes(&signature),
        ) else {
            continue;
        };
        let mut parts = rfc_request();
        parts.headers.insert("signature-input", input.clone());
        parts.headers.insert("signature", signature);
        parts.headers.insert("content-digest", input);
        let _ = verify_with(&parts, &keys, &Requirements::default(), RFC_CREATED);
        let _ = verify_content_digest(&parts.headers, BODY);
    }
}

#[test]
fn errors_and_debug_never_reveal_secrets() {
    let key = VerifyingKey::hmac_sha256("k", b"very-secret-value");
    let debug = format!("{key:?}");
    assert!(debug.contains("HmacSha256") && !debug.contains("very-secret-value"));
    let signature = "wqcAqbmYJ2ji2glf";
    let mut tampered = rfc_b26_request();
    tampered.method = Method::PUT;
    let error = verify_with(
        &tampered,
        &rfc_keys(),
        &Requirements::default(),
        RFC_CREATED,
    )
    .unwrap_err();
    assert!(!error.to_string().contains(signature));
}

// ---- Keys ------------------------------------------------------------------------------------

#[test]
fn key_constructors_validate_material() {
    assert_eq!(
        VerifyingKey::ed25519("k", &[0; 31]).unwrap_err(),
        KeyError::InvalidEd25519Key
    );
    assert_eq!(
        VerifyingKey::ed25519_from_pem("k", "not pem").unwrap_err(),
        KeyError::InvalidPem
    );
    let rsa_like = "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA\n-----END PUBLIC KEY-----";
    assert_eq!(
        VerifyingKey::ed25519_from_pem("k", rsa_like).unwrap_err(),
        KeyError::NotEd25519
    );
    let bad_base64 = "-----BEGIN PUBLIC KEY-----\n!!!\n-----END PUBLIC KEY-----";
    assert_eq!(
        VerifyingKey::ed25519_from_pem("k", bad_base64).unwrap_err(),
        KeyError::InvalidPem
    );
    let trailing = format!("{RFC_ED25519_PEM}{RFC_ED25519_PEM}");
    assert_eq!(
        VerifyingKey::ed25519_from_pem("k", &trailing).unwrap_err(),
        KeyError::InvalidPem
    );
    let key = VerifyingKey::ed25519_from_pem("k", RFC_ED25519_PEM).unwrap();
    assert_eq!((key.id(), key.algorithm()), ("k", Algorithm::Ed25519));
    assert_eq!(Algorithm::HmacSha256.name(), "hmac-sha256");
}

// ---- Content-Digest --------------------------------------------------------------------------

fn digest_headers(values: &[&str]) -> http::HeaderMap {
    let mut headers = http::HeaderMap::new();
    for value in values {
        headers.append("content-digest", HeaderValue::from_str(value).unwrap());
    }
    headers
}

#[test]
fn content_digest_accepts_matching_sha_256_and_sha_512() {
    for values in [
        vec![BODY_SHA_256],
        vec![BODY_SHA_512],
        vec![BODY_SHA_256, BODY_SHA_512],
        vec!["md5=:AAAA:, unixsum=:AAAA:", BODY_SHA_256],
        vec![
            "id-sha-256=:AAAA:, sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:",
        ],
    ] {
        assert_eq!(
            verify_content_digest(&digest_headers(&values), BODY),
            Ok(()),
            "{values:?}"
        );
    }
}

#[test]
fn content_digest_refuses_mismatch_missing_and_insecure() {
    let wrong_256 = "sha-256=:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=:";
    let wrong_512 = "sha-512=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:";
    let cases: [(&[&str], DigestError); 10] = [
        (&[wrong_256], DigestError::Mismatch),
        (&[wrong_512], DigestError::Mismatch),
        (&[BODY_SHA_256, wrong_512], DigestError::Mismatch),
        (&[], DigestError::Missing),
        (
            &["md5=:XrY7u+Ae7tCTyyK7j1rNww==:"],
            DigestError::UnsupportedAlgorithm,
        ),
        (
            &["sha=:AAAA:, unixcksum=:AAAA:, adler=:AAAA:, crc32c=:AAAA:"],
            DigestError::UnsupportedAlgorithm,
        ),
        (
            &["sha-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE="],
            DigestError::Malformed,
        ),
        (
            &["sha-256=\"X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=\""],
            DigestError::Malformed,
        ),
        (&["garbage (((", BODY_SHA_256], DigestError::Malformed),
        (&[""], DigestError::Malformed),
    ];
    for (values, want) in cases {
        assert_eq!(
            verify_content_digest(&digest_headers(values), BODY),
            Err(want),
            "{values:?}"
        );
    }
}

#[test]
fn content_digest_refuses_oversized_field() {
    let oversized = format!("{BODY_SHA_256}, x=:{}:", "A".repeat(8 * 1024));
    assert_eq!(
        verify_content_digest(&digest_headers(&[&oversized]), BODY),
        Err(DigestError::Malformed)
    );
}
