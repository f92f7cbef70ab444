//! JOSE header and claims as raw JSON, signed here with the real keys, so that the checks
//! after the signature (`exp`, `nbf`, `iat`, `iss`, `aud`, `kid`, `crit`, duplicate
//! members, number formats) are reached with any content. The input is
//! `<header JSON>\n<claims JSON>`; without a newline it is the claims, under both a plain
//! HS256 header and a plain EdDSA header. Each header and claims pair is base64url-encoded
//! and verified (same verifier as `jwt_verify`, any issuer allowed):
//!
//! - signed with the HS256 secret: accepted, if at all, only by the HS256 issuer;
//! - signed with the Ed25519 private key: accepted, if at all, only by the EdDSA issuer;
//! - HMAC-signed with the EdDSA public key (PEM text, raw bytes), or unsigned: never
//!   accepted;
//!
//! and every accepted token has the properties of `parapet_fuzz::jwt::check`, and is
//! verified again as in `Fixture::recheck` (same answer from the verified-token cache,
//! refused where only the other issuer is allowed).
#![no_main]

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use libfuzzer_sys::fuzz_target;
use parapet_fuzz::jwt::Fixture;

const DEFAULT_HEADERS: [&[u8]; 2] = [
    br#"{"alg":"HS256","typ":"JWT"}"#,
    br#"{"alg":"EdDSA","typ":"JWT","kid":"ed25519"}"#,
];

fn exercise(fixture: &Fixture, header: &[u8], claims: &[u8]) {
    let message = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header),
        URL_SAFE_NO_PAD.encode(claims)
    );
    fixture.resign(&message);
}

fuzz_target!(|data: &[u8]| {
    let fixture = Fixture::get();
    match data.iter().position(|&b| b == b'\n') {
        Some(i) => exercise(fixture, &data[..i], &data[i + 1..]),
        None => {
            for header in DEFAULT_HEADERS {
                exercise(fixture, header, data);
            }
        }
    }
});
