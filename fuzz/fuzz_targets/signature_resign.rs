//! A request written as text (see `parapet_fuzz::signature`), signed here with a signature
//! base built independently of parapet-traffic, so that `verify_request` is reached with a
//! valid signature over any request and every check after the signature comparison runs.
//! The fuzzer cannot forge signatures: this is to the signature verifier what `jwt_claims`
//! is to the JWT verifier.
//!
//! The signature covers `@method`, `@path`, `@query`, `@authority` and one header field,
//! valued by models written here (RFC 9421 §2.1 and §2.2: the target's path, `?` and its
//! query, the URI's or else the first `Host`'s authority lowercased without the scheme's
//! default port, the field's lines trimmed and joined with `", "`). Any `Signature-Input`
//! and `Signature` of the input are dropped. The first line is the policy, words:
//!
//! - `cover=NAME`: the covered header (`content-type` by default);
//! - `label=X` (`sig1` by default), and `select` to ask the verifier for that label;
//! - `age=N` (`created` is `now - N`, `0` by default), `no-created`, `expires=N`
//!   (`expires` is `now + N`), `nonce=X`, `tag=X`, `alg` (the key's `alg`), `wrong-alg`
//!   (the other key's), `order=N` (one of the 120 orders of the covered components);
//! - the policy: required components (words of `VOCABULARY`), `max-age=N` (300 by
//!   default), `optional-created`, and `https` or `http` (the scheme hint).
//!
//! The request is signed with each RFC 9421 test key: HMAC-SHA256 (`test-shared-secret`)
//! and Ed25519 (`test-key-ed25519`, whose private key the RFC publishes). Input whose
//! components the models do not cover (targets other than origin-form and `http`/`https`
//! absolute-form, authorities with user info or a port that is not a number, parameters
//! that are not valid structured-field strings or keys) is skipped. Checks:
//!
//! - a request whose components are all present and valid, whose signature covers every
//!   required component, has the key's algorithm if any and is within its times, is
//!   accepted with exactly the signed parameters and covered components;
//! - otherwise it is refused: `Malformed` above 8 KiB, `AlgorithmMismatch`,
//!   `MissingComponent` (the first required component not covered), `Expired`,
//!   `MissingCreated`, `FromTheFuture`, `TooOld` in the verifier's order, and some error
//!   when a covered component is absent or invalid (`@authority` without `Host`, a header
//!   that is absent or not visible ASCII, a `Host` that is no authority);
//! - an accepted request whose method, path, query, authority, one header line or covered
//!   header has one byte changed is refused when the models say a covered value changed,
//!   and accepted as before when they say none did; one byte changed in
//!   `Signature-Input`, or one bit in the signature, is always refused;
//! - the Ed25519 request HMAC-signed with the Ed25519 public key as the secret (algorithm
//!   confusion) is refused as `BadSignature`.
#![no_main]

use aws_lc_rs::hmac;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use http::HeaderName;
use http::uri::Authority;
use libfuzzer_sys::fuzz_target;
use parapet_fuzz::signature::{
    ED_ID, HMAC_ID, Keys, MAX_CLOCK_SKEW_SECS, MAX_STRUCTURED_FIELD_LEN, NOW, RawRequest,
    parse_input, required, satisfies,
};
use parapet_traffic::signature::{Requirements, SignatureError, Verified, verify_request};
use std::ops::Range;
use std::time::Duration;

/// Largest integer of a structured field (RFC 9651 §3.3.1).
const MAX_SF_INTEGER: i64 = 999_999_999_999_999;

/// What the first line asks for.
struct Plan {
    header: String,
    label: String,
    select: bool,
    created: Option<u64>,
    expires: Option<u64>,
    nonce: Option<String>,
    tag: Option<String>,
    alg: bool,
    wrong_alg: bool,
    order: usize,
    required: Vec<String>,
    max_age: u64,
    require_created: bool,
    hint: Option<&'static str>,
}

/// A structured-field key (RFC 9651 §3.1.2): a valid signature label.
fn is_key(s: &str) -> bool {
    let mut bytes = s.bytes();
    bytes
        .next()
        .is_some_and(|b| b.is_ascii_lowercase() || b == b'*')
        && bytes.all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'_' | b'-' | b'.' | b'*')
        })
}

/// `s` as a structured-field string, `None` when it has characters a string cannot hold.
fn sf_string(s: &str) -> Option<String> {
    if !s.bytes().all(|b| (0x20..=0x7e).contains(&b)) {
        return None;
    }
    Some(format!(
        "\"{}\"",
        s.replace('\\', "\\\\").replace('"', "\\\"")
    ))
}

/// `NOW + offset` as a timestamp a structured field can carry.
fn timestamp(offset: i64) -> Option<u64> {
    let t = i64::try_from(NOW).ok()?.checked_add(offset)?;
    (0..=MAX_SF_INTEGER).contains(&t).then_some(t as u64)
}

impl Plan {
    fn read(words: &[String]) -> Option<Plan> {
        let mut plan = Plan {
            header: "content-type".to_owned(),
            label: "sig1".to_owned(),
            select: false,
            created: Some(NOW),
            expires: None,
            nonce: None,
            tag: None,
            alg: false,
            wrong_alg: false,
            order: 0,
            required: required(words),
            max_age: 300,
            require_created: true,
            hint: None,
        };
        for word in words {
            match word.split_once('=') {
                Some(("cover", name)) => {
                    plan.header = HeaderName::from_bytes(name.as_bytes())
                        .ok()?
                        .as_str()
                        .to_owned();
                    // The signature cannot cover itself.
                    if plan.header == "signature" {
                        return None;
                    }
                }
                Some(("label", label)) => {
                    if !is_key(label) {
                        return None;
                    }
                    plan.label = label.to_owned();
                }
                Some(("age", n)) => {
                    plan.created = Some(timestamp(n.parse::<i64>().ok()?.checked_neg()?)?);
                }
                Some(("expires", n)) => plan.expires = Some(timestamp(n.parse().ok()?)?),
                Some(("nonce", n)) => plan.nonce = Some(sf_string(n).map(|_| n.to_owned())?),
                Some(("tag", t)) => plan.tag = Some(sf_string(t).map(|_| t.to_owned())?),
                Some(("order", n)) => plan.order = n.parse().ok()?,
                Some(("max-age", n)) => plan.max_age = n.parse().ok()?,
                _ => match word.as_str() {
                    "select" => plan.select = true,
                    "no-created" => plan.created = None,
                    "alg" => plan.alg = true,
                    "wrong-alg" => plan.wrong_alg = true,
                    "optional-created" => plan.require_created = false,
                    "https" => plan.hint = Some("https"),
                    "http" => plan.hint = Some("http"),
                    _ => {}
                },
            }
        }
        Some(plan)
    }

    fn requirements(&self) -> Requirements {
        Requirements {
            components: self.required.clone(),
            max_age: Duration::from_secs(self.max_age),
            require_created: self.require_created,
            label: self.select.then(|| self.label.clone()),
            scheme_hint: self.hint,
        }
    }

    /// The covered components, in the order `order` picks (a Lehmer code over 5!).
    fn covered(&self) -> Vec<String> {
        let mut pool: Vec<String> = ["@method", "@path", "@query", "@authority"]
            .into_iter()
            .map(str::to_owned)
            .chain([self.header.clone()])
            .collect();
        let mut code = self.order % 120;
        let mut out = Vec::with_capacity(pool.len());
        while !pool.is_empty() {
            let i = code % pool.len();
            code /= pool.len();
            out.push(pool.remove(i));
        }
        out
    }

    /// The inner list with its parameters, as `@signature-params` and `Signature-Input`
    /// carry it.
    fn params(&self, signer: Signer) -> String {
        let items: Vec<String> = self.covered().iter().map(|c| format!("\"{c}\"")).collect();
        let mut params = format!("({})", items.join(" "));
        if let Some(created) = self.created {
            params.push_str(&format!(";created={created}"));
        }
        if let Some(expires) = self.expires {
            params.push_str(&format!(";expires={expires}"));
        }
        if let Some(nonce) = &self.nonce {
            params.push_str(&format!(";nonce={}", sf_string(nonce).expect("checked")));
        }
        if self.wrong_alg {
            params.push_str(&format!(";alg=\"{}\"", signer.other().alg()));
        } else if self.alg {
            params.push_str(&format!(";alg=\"{}\"", signer.alg()));
        }
        params.push_str(&format!(";keyid=\"{}\"", signer.key_id()));
        if let Some(tag) = &self.tag {
            params.push_str(&format!(";tag={}", sf_string(tag).expect("checked")));
        }
        params
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Signer {
    Hmac,
    Ed25519,
}

impl Signer {
    fn key_id(self) -> &'static str {
        match self {
            Signer::Hmac => HMAC_ID,
            Signer::Ed25519 => ED_ID,
        }
    }

    fn alg(self) -> &'static str {
        match self {
            Signer::Hmac => "hmac-sha256",
            Signer::Ed25519 => "ed25519",
        }
    }

    fn other(self) -> Signer {
        match self {
            Signer::Hmac => Signer::Ed25519,
            Signer::Ed25519 => Signer::Hmac,
        }
    }

    fn sign(self, keys: &Keys, base: &str) -> Vec<u8> {
        match self {
            Signer::Hmac => hmac::sign(&keys.hmac_signer, base.as_bytes()).as_ref().to_vec(),
            Signer::Ed25519 => keys.ed25519_signer.sign(base.as_bytes()).as_ref().to_vec(),
        }
    }
}

/// A component's value, or that the verifier must refuse to derive it.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Value {
    Known(String),
    Refused,
}

/// Where the parts of a request target are, as RFC 3986 reads it.
struct Target {
    scheme: Option<&'static str>,
    authority: Option<Range<usize>>,
    path: Range<usize>,
    query: Option<Range<usize>>,
}

/// Origin-form and `http`/`https` absolute-form targets; `None` for the others. A
/// fragment is not part of the target.
fn model_target(target: &str) -> Option<Target> {
    let end = target.find('#').unwrap_or(target.len());
    let t = &target.as_bytes()[..end];
    let (scheme, authority_start) = if t.starts_with(b"/") {
        (None, None)
    } else if t.len() >= 7 && t[..7].eq_ignore_ascii_case(b"http://") {
        (Some("http"), Some(7))
    } else if t.len() >= 8 && t[..8].eq_ignore_ascii_case(b"https://") {
        (Some("https"), Some(8))
    } else {
        return None;
    };
    let (authority, path_start) = match authority_start {
        None => (None, 0),
        Some(start) => {
            let stop = t[start..]
                .iter()
                .position(|&b| b == b'/' || b == b'?')
                .map_or(end, |i| start + i);
            (Some(start..stop), stop)
        }
    };
    let question = t[path_start..]
        .iter()
        .position(|&b| b == b'?')
        .map(|i| path_start + i);
    Some(Target {
        scheme,
        authority,
        path: path_start..question.unwrap_or(end),
        query: question.map(|q| q + 1..end),
    })
}

/// `@authority` of an authority (RFC 9421 §2.2.3): the host lowercased, and the port
/// unless it is the scheme's default. `None` for authorities with user info, or a port
/// that is not a number that fits 16 bits.
fn model_authority(raw: &str, scheme: &str) -> Option<Value> {
    if raw.contains('@') {
        return None;
    }
    let (host, port) = if raw.starts_with('[') {
        let close = raw.find(']')?;
        let rest = &raw[close + 1..];
        let port = match rest {
            "" => None,
            _ => Some(rest.strip_prefix(':')?),
        };
        (&raw[..=close], port)
    } else {
        match raw.split_once(':') {
            None => (raw, None),
            Some((_, port)) if port.contains(':') => return None,
            Some((host, port)) => (host, Some(port)),
        }
    };
    let port = match port {
        None | Some("") => None,
        Some(p) if p.bytes().all(|b| b.is_ascii_digit()) => Some(p.parse::<u16>().ok()?),
        Some(_) => return None,
    };
    let default = match scheme {
        "https" => Some(443),
        "http" => Some(80),
        _ => None,
    };
    let host = host.to_ascii_lowercase();
    Some(Value::Known(match port {
        Some(port) if Some(port) != default => format!("{host}:{port}"),
        _ => host,
    }))
}

/// The values of the covered components.
#[derive(Debug, PartialEq, Eq)]
struct Values {
    method: String,
    path: String,
    query: String,
    authority: Value,
    header: Value,
}

impl Values {
    fn value(&self, component: &str) -> Value {
        match component {
            "@method" => Value::Known(self.method.clone()),
            "@path" => Value::Known(self.path.clone()),
            "@query" => Value::Known(self.query.clone()),
            "@authority" => self.authority.clone(),
            _ => self.header.clone(),
        }
    }

    fn known(&self) -> bool {
        self.authority != Value::Refused && self.header != Value::Refused
    }
}

/// The covered components' values of `request`; `None` to skip it.
fn model(request: &RawRequest, plan: &Plan) -> Option<Values> {
    request.parts()?;
    let target = model_target(&request.target)?;
    let text = |range: &Range<usize>| &request.target[range.clone()];
    let scheme = target.scheme.or(plan.hint).unwrap_or("http");
    let authority = match &target.authority {
        Some(range) => model_authority(text(range), scheme)?,
        None => match request.values("host").next() {
            None => Value::Refused,
            Some(host) if Authority::try_from(host).is_err() => Value::Refused,
            Some(host) => model_authority(std::str::from_utf8(host).ok()?, scheme)?,
        },
    };
    let lines: Vec<&[u8]> = request.values(&plan.header).collect();
    let visible = |line: &[u8]| line.iter().all(|&b| b == b'\t' || (0x20..0x7f).contains(&b));
    let header = if lines.is_empty() || !lines.iter().all(|l| visible(l)) {
        Value::Refused
    } else {
        let trimmed: Vec<&str> = lines
            .iter()
            .map(|l| {
                std::str::from_utf8(l)
                    .expect("visible ASCII")
                    .trim_matches([' ', '\t'])
            })
            .collect();
        Value::Known(trimmed.join(", "))
    };
    let path = match text(&target.path) {
        "" => "/".to_owned(),
        path => path.to_owned(),
    };
    Some(Values {
        method: request.method.clone(),
        path,
        query: format!("?{}", target.query.as_ref().map_or("", text)),
        authority,
        header,
    })
}

/// The signature base (RFC 9421 §2.5); a component the verifier must refuse is written
/// empty (the signature does not matter then).
fn base(plan: &Plan, values: &Values, params: &str) -> String {
    let mut base = String::new();
    for component in plan.covered() {
        let value = match values.value(&component) {
            Value::Known(v) => v,
            Value::Refused => String::new(),
        };
        base.push_str(&format!("\"{component}\": {value}\n"));
    }
    base.push_str(&format!("\"@signature-params\": {params}"));
    base
}

enum Expect {
    Accept(Verified),
    Refuse(Option<SignatureError>),
}

fn expectation(plan: &Plan, values: &Values, signer: Signer, fields: [usize; 2]) -> Expect {
    let refuse = |e| Expect::Refuse(Some(e));
    if fields.iter().any(|&len| len > MAX_STRUCTURED_FIELD_LEN) {
        return refuse(SignatureError::Malformed);
    }
    if plan.wrong_alg {
        return refuse(SignatureError::AlgorithmMismatch);
    }
    let covered = plan.covered();
    if let Some(missing) = plan
        .required
        .iter()
        .find(|r| !covered.iter().any(|c| satisfies(c, r)))
    {
        return refuse(SignatureError::MissingComponent(missing.clone()));
    }
    if plan.expires.is_some_and(|e| NOW > e) {
        return refuse(SignatureError::Expired);
    }
    match plan.created {
        None if plan.require_created => return refuse(SignatureError::MissingCreated),
        None => {}
        Some(c) if c > NOW + MAX_CLOCK_SKEW_SECS => {
            return refuse(SignatureError::FromTheFuture);
        }
        Some(c) if NOW.saturating_sub(c) > plan.max_age => {
            return refuse(SignatureError::TooOld);
        }
        Some(_) => {}
    }
    if !values.known() {
        return Expect::Refuse(None);
    }
    Expect::Accept(Verified {
        key_id: signer.key_id().to_owned(),
        label: plan.label.clone(),
        created: plan.created,
        expires: plan.expires,
        nonce: plan.nonce.clone(),
        covered,
    })
}

fn verify(
    request: &RawRequest,
    plan: &Plan,
    keys: &Keys,
) -> Option<Result<Verified, SignatureError>> {
    let parts = request.parts()?;
    Some(verify_request(
        &parts,
        |id| keys.lookup(id),
        &plan.requirements(),
        NOW,
    ))
}

/// `request` with these signature headers instead of its own, as its last two headers.
fn signed(request: &RawRequest, input: &str, label: &str, signature: &[u8]) -> RawRequest {
    let mut request = request.clone();
    request
        .headers
        .retain(|(n, _)| n != "signature-input" && n != "signature");
    request.headers.push((
        HeaderName::from_static("signature-input"),
        input.as_bytes().to_vec(),
    ));
    request.headers.push((
        HeaderName::from_static("signature"),
        format!("{label}=:{}:", STANDARD.encode(signature)).into_bytes(),
    ));
    request
}

/// One byte changed for another that is valid wherever the first was: the next letter
/// (same case) or digit, and `a` for anything else.
fn flip(b: u8) -> u8 {
    match b {
        b'z' => b'a',
        b'Z' => b'A',
        b'9' => b'0',
        b'a'..=b'y' | b'A'..=b'Y' | b'0'..=b'8' => b + 1,
        _ => b'a',
    }
}

fn flipped(text: &str, at: usize) -> Option<String> {
    let mut bytes = text.as_bytes().to_vec();
    let b = bytes.get_mut(at)?;
    *b = flip(*b);
    String::from_utf8(bytes).ok()
}

/// A cheap hash of the input, to pick which byte of each component is changed.
fn fnv(data: &[u8]) -> u64 {
    data.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Requests that differ from `request` (signed, accepted) in one byte.
fn variants(request: &RawRequest, plan: &Plan, seed: u64) -> Vec<(&'static str, RawRequest)> {
    let mut out = Vec::new();
    let pick = |k: u32, len: usize| (seed.rotate_left(k * 8) % len.max(1) as u64) as usize;
    let Some(target) = model_target(&request.target) else {
        return out;
    };
    let mut with_target = |what, range: Option<Range<usize>>, k| {
        if let Some(range) = range.filter(|r| !r.is_empty()) {
            let at = range.start + pick(k, range.len());
            if let Some(t) = flipped(&request.target, at) {
                let mut r = request.clone();
                r.target = t;
                out.push((what, r));
            }
        }
    };
    // Not the `/` that starts an origin-form target: the result would be no request.
    let path = match target.authority {
        None if target.path.len() > 1 => target.path.start + 1..target.path.end,
        _ => target.path.clone(),
    };
    with_target("@path", Some(path), 1);
    with_target("@query", target.query.clone(), 2);
    with_target("@authority", target.authority.clone(), 3);
    if let Some(m) = flipped(&request.method, pick(4, request.method.len())) {
        let mut r = request.clone();
        r.method = m;
        out.push(("@method", r));
    }
    let mut with_header = |what, index: Option<usize>, k| {
        if let Some(i) = index {
            let mut r = request.clone();
            let value = &mut r.headers[i].1;
            if !value.is_empty() {
                let at = pick(k, value.len());
                value[at] = flip(value[at]);
                out.push((what, r));
            }
        }
    };
    let lines = |name: &str| {
        request
            .headers
            .iter()
            .enumerate()
            .filter(|(_, (n, _))| n == name)
            .map(|(i, _)| i)
            .collect::<Vec<_>>()
    };
    let hosts = lines("host");
    let covered = lines(&plan.header);
    // The signature headers are the last two.
    let others = request.headers.len() - 2;
    with_header("host", hosts.first().copied(), 5);
    with_header(
        "covered header",
        (!covered.is_empty()).then(|| covered[pick(6, covered.len())]),
        6,
    );
    with_header("header", (others > 0).then(|| pick(7, others)), 7);
    out
}

fn check(request: &RawRequest, plan: &Plan, signer: Signer, keys: &Keys, seed: u64) {
    let params = plan.params(signer);
    let input = format!("{}={params}", plan.label);
    let mut unsigned = request.clone();
    unsigned
        .headers
        .push((HeaderName::from_static("signature-input"), input.as_bytes().to_vec()));
    let Some(values) = model(&unsigned, plan) else {
        return;
    };
    let base = base(plan, &values, &params);
    let signature = signer.sign(keys, &base);
    let request = signed(request, &input, &plan.label, &signature);
    let fields = [input.len(), request.headers[request.headers.len() - 1].1.len()];
    let Some(result) = verify(&request, plan, keys) else {
        return;
    };
    let verified = match expectation(plan, &values, signer, fields) {
        Expect::Accept(want) => {
            assert_eq!(result.as_ref(), Ok(&want), "signed with {signer:?}:\n{base}");
            want
        }
        Expect::Refuse(Some(e)) => {
            assert_eq!(result, Err(e), "signed with {signer:?}:\n{base}");
            return;
        }
        Expect::Refuse(None) => {
            assert!(
                result.is_err(),
                "accepted with a component that is absent or invalid: {values:?}"
            );
            return;
        }
    };

    if signer == Signer::Ed25519 {
        let confused = hmac::sign(&keys.confused_signer, base.as_bytes());
        let request = signed(&request, &input, &plan.label, confused.as_ref());
        assert_eq!(
            verify(&request, plan, keys).expect("same request"),
            Err(SignatureError::BadSignature),
            "HMAC keyed with the Ed25519 public key accepted"
        );
        return;
    }

    for (what, variant) in variants(&request, plan, seed) {
        let Some(changed) = model(&variant, plan) else {
            continue;
        };
        let Some(result) = verify(&variant, plan, keys) else {
            continue;
        };
        if changed == values {
            assert_eq!(
                result.as_ref(),
                Ok(&verified),
                "one byte of {what} changed, no covered value did: {:?} {:?}",
                variant.method,
                variant.target
            );
        } else {
            assert!(
                result.is_err(),
                "one byte of {what} changed, still accepted: {values:?} became {changed:?}"
            );
        }
    }
    let at = (seed % input.len() as u64) as usize;
    let input_flipped = flipped(&input, at).expect("ASCII");
    let mut signature_flipped = signature.clone();
    signature_flipped[(seed >> 8) as usize % signature.len()] ^= 1 << ((seed >> 16) % 8);
    for (what, variant) in [
        ("Signature-Input", signed(&request, &input_flipped, &plan.label, &signature)),
        ("Signature", signed(&request, &input, &plan.label, &signature_flipped)),
    ] {
        let result = verify(&variant, plan, keys).expect("same request");
        assert!(
            result.is_err(),
            "one byte of {what} changed, still accepted: {input_flipped:?}"
        );
    }
}

fuzz_target!(|data: &[u8]| {
    let Some(input) = parse_input(data) else {
        return;
    };
    let Some(plan) = Plan::read(&input.words) else {
        return;
    };
    let keys = Keys::get();
    let mut request = input.request;
    // `check` adds its own.
    request
        .headers
        .retain(|(n, _)| n != "signature-input" && n != "signature");
    let seed = fnv(data);
    for signer in [Signer::Hmac, Signer::Ed25519] {
        check(&request, &plan, signer, keys, seed);
    }
});
