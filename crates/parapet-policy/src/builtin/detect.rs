//! Attack detection (the negative security model): every part of the request is inspected
//! by the detection engine, which decodes each value and scores what its attack classes
//! find. A request whose score reaches the threshold gets 403 `attack-detected` (or, in
//! monitor mode, an event only). The event carries the evidence (classes, rules, locations,
//! redacted snippets); the client learns nothing of it.
//!
//! The head (path, query, headers, cookies) is judged first, so an attack there is refused
//! before a body is read; the body then adds to the same score. Where the API's contract
//! is enforced, values it validates as typed (integers, uuids, enums, dates…) skip the
//! free-text detectors.

use super::contract::relative;
use crate::{Decision, Mode, Part, Policy, Refusal, RequestContext, Step};
use bytes::Bytes;
use http::header;
use parapet_config::{CheckMode, ContractPolicy, DetectPolicy};
use parapet_detect::{Scan, TypedFields, Verdict};
use serde_json::json;

crate::reasons! {
    /// The request carries an attack.
    ATTACK_DETECTED = (FORBIDDEN, "attack-detected", "Request blocked");
}

/// The most hits an event lists.
const MAX_EVIDENCE: usize = 10;

/// The detection policy of a route.
#[derive(Debug)]
pub struct Detection {
    config: DetectPolicy,
    /// The route's enforced contract, for typed fields.
    contract: Option<parapet_config::Spec>,
}

/// The head's verdict, kept for the body phase.
struct HeadVerdict(Verdict);

impl Detection {
    /// A policy from its validated config and the route's contract policy (whose spec,
    /// when requests are enforced, tells which values are typed).
    pub fn new(config: DetectPolicy, contract: Option<&ContractPolicy>) -> Self {
        let contract = contract
            .filter(|c| config.typed_fields && c.requests == CheckMode::Enforce)
            .and_then(|c| c.spec.clone());
        Detection { config, contract }
    }

    fn head(&self, scan: &mut Scan<'_>, req: &http::request::Parts) {
        scan.method(req.method.as_str());
        scan.path(req.uri.path());
        if let Some(query) = req.uri.query() {
            scan.query(query);
        }
        for (name, value) in &req.headers {
            scan.header(name.as_str(), value.as_bytes());
        }
    }

    /// The decision on a verdict: `Continue` below the threshold.
    fn judge(&self, verdict: &Verdict) -> Decision {
        if !verdict.attack {
            return Decision::Continue;
        }
        let first = &verdict.hits[0];
        let part = match first.location.part {
            parapet_detect::Part::Method => Part::Method,
            parapet_detect::Part::Path => Part::Path,
            parapet_detect::Part::Query | parapet_detect::Part::QueryName => {
                Part::Query(Some(first.location.name.clone()).filter(|n| !n.is_empty()))
            }
            parapet_detect::Part::Header => Part::Header(Some(first.location.name.clone())),
            parapet_detect::Part::Cookie | parapet_detect::Part::CookieName => {
                Part::Header(Some("cookie".into()))
            }
            parapet_detect::Part::Body
            | parapet_detect::Part::BodyKey
            | parapet_detect::Part::FileName => Part::Body,
        };
        let settings = self.config.engine.settings();
        let hits: Vec<_> = verdict
            .hits
            .iter()
            .take(MAX_EVIDENCE)
            .map(|h| {
                json!({
                    "class": h.rule.class.name(),
                    "rule": h.rule.id,
                    "score": h.rule.severity.score(),
                    "location": h.location.to_string(),
                    "snippet": crate::redact_snippet(&h.snippet),
                })
            })
            .collect();
        let classes: Vec<&str> = verdict.classes().iter().map(|c| c.name()).collect();
        let mut refusal = Refusal::new(ATTACK_DETECTED, part).cause(first.rule.id);
        refusal.snippet = Some(crate::redact_snippet(&first.snippet));
        refusal.evidence = Some(Box::new(json!({
            "score": verdict.score,
            "threshold": settings.threshold,
            "paranoia": settings.paranoia,
            "classes": classes,
            "hits": hits,
        })));
        Decision::Refuse(refusal)
    }
}

impl Policy for Detection {
    fn name(&self) -> &'static str {
        "detect"
    }

    /// After the contract (which validates typed values and enforces the threat limits),
    /// before idempotency and the upstream.
    fn order(&self) -> u16 {
        445
    }

    fn mode(&self) -> Mode {
        self.config.mode
    }

    fn inspects_request_body(&self) -> bool {
        true
    }

    fn on_request_headers<'a>(
        &'a self,
        ctx: &'a mut RequestContext,
        req: &'a mut http::request::Parts,
    ) -> Step<'a> {
        let typed = self.typed_params(req);
        let mut scan = self.config.engine.scan();
        if let Some(t) = &typed {
            scan.typed_fields(t);
        }
        self.head(&mut scan, req);
        let verdict = scan.finish();
        // In enforce mode an attack in the head is refused before the body is read; in
        // monitor mode the whole request is judged once, in the body phase.
        if verdict.attack && self.config.mode == Mode::Enforce {
            return self.judge(&verdict).into();
        }
        ctx.held.keep(HeadVerdict(verdict));
        Step::Now(Decision::Continue)
    }

    fn on_request_body<'a>(
        &'a self,
        ctx: &'a mut RequestContext,
        req: &'a http::request::Parts,
        body: &'a Bytes,
    ) -> Step<'a> {
        let head = ctx
            .held
            .get::<HeadVerdict>()
            .map(|h| h.0.clone())
            .unwrap_or_default();
        if body.is_empty() {
            return self.judge(&head).into();
        }
        let typed = self.typed_body(req);
        let mut scan = self.config.engine.resume(head);
        if let Some(t) = &typed {
            scan.typed_fields(t);
        }
        let content_type = req
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok());
        scan.body(content_type, body);
        self.judge(&scan.finish()).into()
    }
}

impl Detection {
    /// The typed parameters of the operation the request matches, if the contract is
    /// enforced on this route.
    fn typed_params<'r>(&'r self, req: &'r http::request::Parts) -> Option<Typed<'r>> {
        let spec = self.contract.as_ref()?;
        let path = relative(req.uri.path(), &spec.base_path);
        let parapet_contract::Lookup::Found(operation, values) =
            spec.contract.lookup(&req.method, path)
        else {
            return None;
        };
        let path_values = values
            .into_iter()
            .filter(|(name, _)| {
                operation.params.iter().any(|p| {
                    p.typed
                        && p.spec.location == parapet_contract::params::Location::Path
                        && p.spec.name == *name
                })
            })
            .map(|(_, raw)| raw)
            .collect();
        Some(Typed {
            operation,
            media: None,
            path_values,
        })
    }

    fn typed_body<'r>(&'r self, req: &'r http::request::Parts) -> Option<Typed<'r>> {
        let mut typed = self.typed_params(req)?;
        let content_type = req
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())?;
        typed.media = typed
            .operation
            .body
            .as_ref()
            .and_then(|b| parapet_contract::operation::select(&b.media, content_type));
        Some(typed)
    }
}

/// The values of one operation its contract types.
struct Typed<'o> {
    operation: &'o parapet_contract::Operation,
    media: Option<&'o parapet_contract::operation::Media>,
    /// The raw path segments of typed path parameters.
    path_values: Vec<&'o str>,
}

impl TypedFields for Typed<'_> {
    fn is_typed(&self, part: parapet_detect::Part, name: &str, raw: &[u8]) -> bool {
        use parapet_contract::params::Location;
        let location = match part {
            parapet_detect::Part::Path => {
                return self.path_values.iter().any(|v| v.as_bytes() == raw);
            }
            parapet_detect::Part::Query => Location::Query,
            parapet_detect::Part::Header => Location::Header,
            parapet_detect::Part::Cookie => Location::Cookie,
            parapet_detect::Part::Body => {
                return self
                    .media
                    .is_some_and(|m| m.typed.iter().any(|p| pointer_matches(p, name)));
            }
            _ => return false,
        };
        self.operation.params.iter().any(|p| {
            p.typed && p.spec.location == location && p.spec.name.eq_ignore_ascii_case(name)
        })
    }
}

/// Whether a JSON pointer matches a typed-field pattern, where a `*` segment stands for
/// any array index or property.
fn pointer_matches(pattern: &str, pointer: &str) -> bool {
    let mut a = pattern.split('/');
    let mut b = pointer.split('/');
    loop {
        match (a.next(), b.next()) {
            (None, None) => return true,
            (Some(p), Some(v)) if p == "*" || p == v => {}
            _ => return false,
        }
    }
}
