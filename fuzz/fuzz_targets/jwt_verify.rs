//! Any bytes, read as a bearer token (lossy UTF-8), through `JwtVerifier::verify` with two
//! issuers whose keys are static (HS256 with a shared secret and one audience; EdDSA with a
//! PEM public key under kid `ed25519`), so nothing is fetched. Checks:
//!
//! - it never panics;
//! - every accepted token has the properties of `parapet_fuzz::jwt::check` (numeric `exp`
//!   not past, a configured issuer, the issuer's algorithm, its audience, its size limit);
//! - restricting the accepted issuers to the HS256 one (a route's `authn.issuers`) accepts
//!   exactly the tokens of that issuer that are accepted without restriction, and refuses
//!   the EdDSA issuer's tokens as an unknown issuer;
//! - a token accepted once is accepted again with the same issuer and claims (from the
//!   verifier's cache of verified tokens when it is cached), and refused as an unknown
//!   issuer where only the other issuer is allowed (`Fixture::recheck`);
//! - the token's `header.payload` re-signed with each issuer's key is accepted, if at all,
//!   only by that issuer; signed with HMAC keyed by the EdDSA public key (algorithm
//!   confusion) it is never accepted. The fuzzer cannot forge signatures, so without this
//!   it would only ever reach the claim checks with the seeds' own tokens.
#![no_main]

use libfuzzer_sys::fuzz_target;
use parapet_fuzz::jwt::{ED_ISSUER, Fixture, HS_ISSUER, HS_MAX, time_related};
use parapet_identity::jwt::{JwtFailure, VerifiedJwt};

type Outcome = Result<VerifiedJwt, JwtFailure>;

/// The same token verified with any issuer allowed, then with only the HS256 one.
fn consistent(token: &str, any: &Outcome, only_hs: &Outcome) {
    match (any, only_hs) {
        (Ok(v), Ok(_)) => assert_eq!(v.issuer, HS_ISSUER, "{token:?}"),
        (Ok(v), Err(e)) if v.issuer == ED_ISSUER => assert_eq!(
            *e,
            JwtFailure::UnknownIssuer,
            "EdDSA token refused for a wrong reason when only HS256 is allowed: {token:?}"
        ),
        (Ok(_), Err(e)) => assert!(
            time_related(*e),
            "HS256 token accepted with any issuer, refused ({e:?}) with only HS256 allowed: {token:?}"
        ),
        (Err(e), Ok(_)) => assert!(
            time_related(*e),
            "token refused ({e:?}) with any issuer, accepted with only HS256 allowed: {token:?}"
        ),
        (Err(_), Err(_)) => {}
    }
}

fuzz_target!(|data: &[u8]| {
    let fixture = Fixture::get();
    let token = String::from_utf8_lossy(data);
    let any = fixture.verify(&token, &[]);
    let only_hs = fixture.verify(&token, &[HS_ISSUER.to_string()]);
    consistent(&token, &any, &only_hs);
    if let Ok(v) = &any {
        fixture.recheck(&token, v);
    }

    let Some((message, _)) = token.rsplit_once('.') else {
        return;
    };
    if message.len() > HS_MAX {
        return;
    }
    fixture.resign(message);
});
