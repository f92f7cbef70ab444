//! Contract enforcement (the positive security model): only what the API's OpenAPI
//! description declares gets through.
//!
//! - Request headers: the operation is looked up (an undeclared one is a *shadow endpoint*:
//!   404/405, or an event only), its parameters are deserialized and validated, and the
//!   body's media type is checked against the declared ones.
//! - Request body: read once under the JSON/XML/multipart threat limits, then validated
//!   (mass assignment: `readOnly` properties refused; strict mode: undeclared ones too).
//!   GraphQL routes also get their depth/alias/field/batch/introspection limits.
//! - Response body: validated (`monitor` or `enforce`), and the exposure filter removes
//!   properties the response schema does not declare, and `writeOnly` ones.
//!
//! Without a spec, the policy still applies the body threat limits.

use crate::{Action, Decision, Mode, Part, Policy, Refusal, RequestContext, SecurityEvent, Step};
use bytes::Bytes;
use http::{HeaderValue, header};
use parapet_config::{CheckMode, ContractPolicy, UnknownEndpoints};
use parapet_contract::body::{self, Kind};
use parapet_contract::limits::{graphql, json, xml};
use parapet_contract::{BodyPlan, Checks, Direction, Findings, Judge, Lookup, Violation};
use serde_json::Value;

crate::reasons! {
    /// The request breaks the contract (parameters, body, threat limits).
    INVALID_REQUEST = (BAD_REQUEST, "invalid-request", "Request does not match the API contract");
    /// No declared path matches (a shadow endpoint).
    UNKNOWN_ENDPOINT = (NOT_FOUND, "unknown-endpoint", "Unknown endpoint");
    /// The path is declared, not with this method.
    UNKNOWN_METHOD = (METHOD_NOT_ALLOWED, "unknown-method", "Method not declared for this endpoint");
    /// The body's media type is not declared for the operation.
    UNSUPPORTED_MEDIA_TYPE = (UNSUPPORTED_MEDIA_TYPE, "unsupported-media-type", "Unsupported media type");
    /// The upstream's response breaks the contract (enforce mode).
    INVALID_RESPONSE = (BAD_GATEWAY, "invalid-response", "Upstream response does not match the API contract");
    /// Properties were removed from a response (an event, never a refusal).
    EXPOSURE_FILTERED = (OK, "exposure-filtered", "Undeclared response properties removed");
}

/// The event cause of requests to endpoints the contract does not declare.
pub const SHADOW_ENDPOINT: &str = "shadow-endpoint";

/// The operation a request matched, kept for the body and response phases.
struct Matched {
    operation: usize,
    /// The request body's media type, when it is to be checked.
    media: Option<usize>,
    /// A HEAD request: its response has no body to check.
    head: bool,
    /// The body's media type was already refused (monitor mode): not again in the body
    /// phase.
    media_refused: bool,
}

/// The contract policy of one route.
#[derive(Debug)]
pub struct ContractGate {
    config: ContractPolicy,
    checks: Checks,
}

impl ContractGate {
    /// A policy from its validated config.
    pub fn new(config: ContractPolicy) -> Self {
        let checks = Checks {
            strict: config.strict,
            max_violations: config.max_violations,
            limits: config.limits.clone(),
        };
        ContractGate { config, checks }
    }

    fn contract(&self) -> Option<&parapet_contract::Contract> {
        self.config.spec.as_ref().map(|s| s.contract.as_ref())
    }

    /// Applies `mode` to a refusal: enforced, or recorded (event and metrics) and let
    /// through.
    fn outcome(mode: CheckMode, refusal: Refusal) -> Decision {
        match mode {
            CheckMode::Enforce => Decision::Refuse(refusal),
            CheckMode::Monitor => Decision::Refuse(refusal.record_only()),
            CheckMode::Off => Decision::Continue,
        }
    }

    fn violations(&self, findings: Findings) -> Decision {
        if findings.violations.is_empty() {
            return Decision::Continue;
        }
        let refusal = invalid(INVALID_REQUEST, &findings, findings.violations[0].part);
        Self::outcome(self.config.requests, refusal)
    }

    fn shadow(&self, allowed: Option<Vec<http::Method>>) -> Decision {
        let mode = match self.config.unknown_endpoints {
            UnknownEndpoints::Allow => return Decision::Continue,
            UnknownEndpoints::Monitor => CheckMode::Monitor,
            UnknownEndpoints::Deny => CheckMode::Enforce,
        };
        let refusal = match allowed {
            None => Refusal::new(UNKNOWN_ENDPOINT, Part::Path).cause(SHADOW_ENDPOINT),
            Some(methods) => {
                let list: Vec<&str> = methods.iter().map(http::Method::as_str).collect();
                let mut r = Refusal::new(UNKNOWN_METHOD, Part::Method).cause(SHADOW_ENDPOINT);
                if let Ok(v) = HeaderValue::from_str(&list.join(", ")) {
                    r = r.header(header::ALLOW, v);
                }
                r
            }
        };
        Self::outcome(mode, refusal)
    }

    /// The body threat limits (and GraphQL limits) of a route without a spec, or of a
    /// request to an endpoint the contract does not declare.
    fn limits_only(&self, req: &http::request::Parts, body: &Bytes) -> Findings {
        let mut findings = Findings::default();
        let max = self.checks.max_violations;
        let content_type = content_type(&req.headers).unwrap_or("");
        match Kind::of(&body::essence(content_type)) {
            Kind::Json if !body.is_empty() => match json::parse(body, &self.checks.limits.json) {
                Ok(value) => self.graphql_body(&value, &mut findings),
                Err(b) => findings.push(b.violation(), max),
            },
            Kind::Xml if !body.is_empty() => {
                if let Err(b) = xml::check(body, &self.checks.limits.xml) {
                    findings.push(b.violation(), max);
                }
            }
            _ => {}
        }
        findings
    }

    /// The operation whose response this is, when responses are checked or filtered and
    /// the response can carry a body (not to HEAD, not 1xx, 204 or 304).
    fn response_operation(
        &self,
        ctx: &RequestContext,
        resp: &http::response::Parts,
    ) -> Option<&parapet_contract::Operation> {
        if self.config.responses == CheckMode::Off && !self.config.filter_responses {
            return None;
        }
        let status = resp.status;
        if status.is_informational()
            || status == http::StatusCode::NO_CONTENT
            || status == http::StatusCode::NOT_MODIFIED
        {
            return None;
        }
        let matched = ctx.held.get::<Matched>().filter(|m| !m.head)?;
        self.contract()?.operation(matched.operation)
    }

    /// The schema of a JSON response the body phase checks and filters (not encoded).
    fn json_response(
        &self,
        ctx: &RequestContext,
        resp: &http::response::Parts,
    ) -> Option<(
        &parapet_contract::Contract,
        &parapet_contract::schema::Schema,
    )> {
        let op = self.response_operation(ctx, resp)?;
        let declared = op.response(resp.status.as_u16())?;
        let ct = content_type(&resp.headers)?;
        let media = parapet_contract::operation::select(&declared.media, ct)?;
        if media.kind_for(ct) != Kind::Json || encoded(resp) {
            return None;
        }
        Some((self.contract()?, media.schema.as_ref()?))
    }

    /// A GraphQL route's body that is not JSON: `application/graphql` is a document, to be
    /// measured; any other media type is refused rather than let through unmeasured.
    fn graphql_text(&self, req: &http::request::Parts, body: &Bytes, findings: &mut Findings) {
        let Some(limits) = &self.config.graphql else {
            return;
        };
        let essence = body::essence(content_type(&req.headers).unwrap_or(""));
        if body.is_empty() || Kind::of(&essence) == Kind::Json {
            return;
        }
        let breach = match std::str::from_utf8(body) {
            Ok(document) if essence == "application/graphql" => {
                graphql::check_document(document, limits).err()
            }
            _ => Some(graphql::GraphqlBreach {
                rule: "graphql.syntax",
                pointer: String::new(),
            }),
        };
        if let Some(b) = breach {
            findings.push(
                b.violation(parapet_contract::Part::Body),
                self.checks.max_violations,
            );
        }
    }

    fn graphql_body(&self, value: &Value, findings: &mut Findings) {
        if let Some(limits) = &self.config.graphql
            && let Err(b) = graphql::check_body(value, limits)
        {
            findings.push(
                b.violation(parapet_contract::Part::Body),
                self.checks.max_violations,
            );
        }
    }
}

/// The request path relative to an API's base path (what a spec's paths are relative to).
pub(crate) fn relative<'p>(path: &'p str, base: &str) -> &'p str {
    if base == "/" {
        return path;
    }
    match path.strip_prefix(base) {
        Some("") => "/",
        Some(rest) => rest,
        None => path,
    }
}

/// The longest pointer a problem lists.
const MAX_POINTER: usize = 200;

fn bounded(pointer: &str) -> String {
    match pointer.char_indices().nth(MAX_POINTER) {
        Some((cut, _)) => format!("{}…", &pointer[..cut]),
        None => pointer.to_string(),
    }
}

/// The length of a request body as its head announces it: `None` when only reading it
/// tells (chunked, or HTTP/2 without `Content-Length`).
fn body_length(req: &http::request::Parts) -> Option<u64> {
    match req.headers.get(header::CONTENT_LENGTH) {
        Some(v) => v.to_str().ok().and_then(|v| v.parse().ok()),
        None if req.headers.contains_key(header::TRANSFER_ENCODING)
            || req.version == http::Version::HTTP_2 =>
        {
            None
        }
        None => Some(0),
    }
}

/// Whether a query string has a `query` parameter (a GraphQL document sent in the URL,
/// whatever the method); one that cannot be decoded is assumed to.
fn names_a_query(query: Option<&str>) -> bool {
    query.is_some_and(|q| {
        parapet_contract::params::split_query(q)
            .map_or(true, |pairs| pairs.iter().any(|(name, _)| name == "query"))
    })
}

/// The `Content-Type` of a message, when it is text.
fn content_type(headers: &http::HeaderMap) -> Option<&str> {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
}

/// Whether a response carries a body.
fn has_body(resp: &http::response::Parts) -> bool {
    resp.headers.contains_key(header::TRANSFER_ENCODING)
        || resp
            .headers
            .get(header::CONTENT_LENGTH)
            .is_some_and(|v| v.as_bytes() != b"0")
}

/// Whether a response body is compressed (or otherwise encoded).
fn encoded(resp: &http::response::Parts) -> bool {
    resp.headers
        .get(header::CONTENT_ENCODING)
        .is_some_and(|v| !v.as_bytes().eq_ignore_ascii_case(b"identity"))
}

/// Whether `req` is a CORS preflight (`OPTIONS` without a body, with `Origin` and
/// `Access-Control-Request-Method`) for a method the contract declares on the path: the
/// browser asks before the real request, which the contract then checks.
fn is_preflight(req: &http::request::Parts, allowed: &[http::Method]) -> bool {
    req.method == http::Method::OPTIONS
        && body_length(req) == Some(0)
        && req.headers.contains_key(header::ORIGIN)
        && req
            .headers
            .get(header::ACCESS_CONTROL_REQUEST_METHOD)
            .and_then(|v| http::Method::from_bytes(v.as_bytes()).ok())
            .is_some_and(|m| allowed.contains(&m))
}

/// A refusal listing `findings` as the problem's `errors`.
fn invalid(reason: crate::Reason, findings: &Findings, first: parapet_contract::Part) -> Refusal {
    let part = match first {
        parapet_contract::Part::Path => Part::Path,
        parapet_contract::Part::Query => Part::Query(None),
        parapet_contract::Part::Header | parapet_contract::Part::Cookie => Part::Header(None),
        parapet_contract::Part::Body => Part::Body,
    };
    let summary: Vec<String> = findings
        .violations
        .iter()
        .map(|v| format!("{}{} {}", part_name(v), v.pointer, v.rule))
        .collect();
    let mut refusal = Refusal::new(reason, part);
    refusal.snippet = Some(crate::redact_snippet(&summary.join("; ")));
    // Pointers hold the client's key names: bounded, so a huge key is not echoed whole.
    let listed: Vec<Violation> = findings
        .violations
        .iter()
        .map(|v| Violation {
            pointer: bounded(&v.pointer),
            ..v.clone()
        })
        .collect();
    refusal.errors = serde_json::to_value(&listed).ok().map(Box::new);
    if findings.truncated {
        refusal = refusal.detail(format!(
            "More violations were found; the first {} are listed.",
            findings.violations.len()
        ));
    }
    refusal
}

/// A refusal of the upstream's response: the violations go to the event only (they
/// describe the upstream, which the client must not learn about).
fn invalid_response(findings: &Findings) -> Refusal {
    let mut refusal = invalid(INVALID_RESPONSE, findings, parapet_contract::Part::Body);
    refusal.errors = None;
    refusal.detail = None;
    refusal
}

fn part_name(v: &Violation) -> &'static str {
    match v.part {
        parapet_contract::Part::Path => "path",
        parapet_contract::Part::Query => "query",
        parapet_contract::Part::Header => "header",
        parapet_contract::Part::Cookie => "cookie",
        parapet_contract::Part::Body => "body",
    }
}

impl Policy for ContractGate {
    fn name(&self) -> &'static str {
        "contract"
    }

    fn order(&self) -> u16 {
        440
    }

    /// Enforced when either direction is (each phase applies its own mode).
    fn mode(&self) -> Mode {
        if self.config.requests == CheckMode::Enforce
            || self.config.responses == CheckMode::Enforce
            || self.config.unknown_endpoints == UnknownEndpoints::Deny
        {
            Mode::Enforce
        } else {
            Mode::Monitor
        }
    }

    fn inspects_request_body(&self) -> bool {
        self.config.requests != CheckMode::Off
    }

    fn inspects_response_body(&self) -> bool {
        self.config.spec.is_some()
            && (self.config.responses != CheckMode::Off || self.config.filter_responses)
    }

    fn on_request_headers<'a>(
        &'a self,
        ctx: &'a mut RequestContext,
        req: &'a mut http::request::Parts,
    ) -> Step<'a> {
        if let Some(limits) = &self.config.graphql
            && (req.method == http::Method::GET || names_a_query(req.uri.query()))
            && self.config.requests != CheckMode::Off
            && let Err(b) = graphql::check_query_string(req.uri.query().unwrap_or(""), limits)
        {
            let mut findings = Findings::default();
            findings.push(b.violation(parapet_contract::Part::Query), 1);
            return self.violations(findings).into();
        }
        let Some(contract) = self.contract() else {
            return Step::Now(Decision::Continue);
        };
        let base = self
            .config
            .spec
            .as_ref()
            .map_or("/", |s| s.base_path.as_str());
        let path = relative(req.uri.path(), base);
        let (op, raw) = match contract.lookup(&req.method, path) {
            Lookup::Found(op, raw) => (op, raw),
            Lookup::MethodNotAllowed(allowed) if is_preflight(req, &allowed) => {
                return Step::Now(Decision::Continue);
            }
            Lookup::MethodNotAllowed(allowed) => return self.shadow(Some(allowed)).into(),
            Lookup::NotFound => return self.shadow(None).into(),
        };
        if ctx.route.is_none() {
            ctx.route = Some(op.name.clone());
        }
        let mut matched = Matched {
            operation: op.index,
            media: None,
            head: req.method == http::Method::HEAD,
            media_refused: false,
        };
        if self.inspects_response_body() {
            // Responses are read, checked and filtered: a compressed one could not be.
            req.headers.insert(
                header::ACCEPT_ENCODING,
                HeaderValue::from_static("identity"),
            );
        }
        if self.config.requests == CheckMode::Off {
            ctx.held.keep(matched);
            return Step::Now(Decision::Continue);
        }
        let mut findings = Findings::default();
        if req
            .headers
            .get_all(header::CONTENT_TYPE)
            .iter()
            .nth(1)
            .is_some()
        {
            // The gateway and the API could read different ones.
            findings.push(
                Violation::new(parapet_contract::Part::Header, "/Content-Type", "repeated"),
                self.checks.max_violations,
            );
        }
        op.check_params(
            contract.shapes(),
            &raw,
            req.uri.query(),
            &req.headers,
            &self.checks,
            &mut findings,
        );
        let content_type = content_type(&req.headers);
        let length = body_length(req);
        match op.body_plan(content_type, length) {
            BodyPlan::None => {}
            BodyPlan::Check(media) => {
                matched.media = op
                    .body
                    .as_ref()
                    .and_then(|b| b.media.iter().position(|m| std::ptr::eq(m, media)));
            }
            BodyPlan::Unsupported => {
                let refusal = Refusal::new(UNSUPPORTED_MEDIA_TYPE, Part::Header(None));
                matched.media_refused = true;
                ctx.held.keep(matched);
                return Self::outcome(self.config.requests, refusal).into();
            }
            BodyPlan::Refuse(v) => findings.push(v, self.checks.max_violations),
        }
        ctx.held.keep(matched);
        self.violations(findings).into()
    }

    fn on_request_body<'a>(
        &'a self,
        ctx: &'a mut RequestContext,
        req: &'a http::request::Parts,
        body: &'a Bytes,
    ) -> Step<'a> {
        if self.config.requests == CheckMode::Off {
            return Step::Now(Decision::Continue);
        }
        let spec_media = self.contract().and_then(|c| {
            let m = ctx.held.get::<Matched>()?;
            let op = c.operation(m.operation)?;
            let media = op.body.as_ref()?.media.get(m.media?)?;
            Some((c, op, media))
        });
        let sent = content_type(&req.headers).unwrap_or("");
        let findings = match spec_media {
            Some((contract, op, media)) if media.kind_for(sent) != Kind::Opaque => {
                let mut findings = Findings::default();
                let content_type = sent;
                let value = op.check_body(
                    contract.shapes(),
                    media,
                    content_type,
                    body,
                    &self.checks,
                    &mut findings,
                );
                if let Some(v) = value.filter(|_| media.kind_for(sent) == Kind::Json) {
                    self.graphql_body(&v, &mut findings);
                }
                findings
            }
            // A declared opaque type (an upload) is accepted as such.
            Some(_) => Findings::default(),
            None => {
                // A declared operation whose head announced no body to check (chunked
                // without Content-Type, say) gets no unchecked body through: fail closed.
                let operation = self.contract().and_then(|c| {
                    let m = ctx.held.get::<Matched>().filter(|m| !m.media_refused)?;
                    c.operation(m.operation)
                });
                match operation {
                    Some(op) if !body.is_empty() => {
                        if op.body.is_some() {
                            let refusal = Refusal::new(UNSUPPORTED_MEDIA_TYPE, Part::Body);
                            return Self::outcome(self.config.requests, refusal).into();
                        }
                        let mut findings = Findings::default();
                        findings.push(
                            Violation::new(parapet_contract::Part::Body, "", "requestBody"),
                            self.checks.max_violations,
                        );
                        findings
                    }
                    Some(op) if op.body.as_ref().is_some_and(|b| b.required) => {
                        let mut findings = Findings::default();
                        findings.push(
                            Violation::new(parapet_contract::Part::Body, "", "required"),
                            self.checks.max_violations,
                        );
                        findings
                    }
                    // No spec, or an endpoint the contract does not declare that
                    // `unknown_endpoints` lets through: the threat limits still apply.
                    _ => self.limits_only(req, body),
                }
            }
        };
        let mut findings = findings;
        self.graphql_text(req, body, &mut findings);
        self.violations(findings).into()
    }

    fn on_response_headers(
        &self,
        ctx: &mut RequestContext,
        resp: &mut http::response::Parts,
    ) -> Decision {
        let Some(op) = self.response_operation(ctx, resp) else {
            return Decision::Continue;
        };
        let one = |rule: &str, part, pointer: &str| {
            let mut findings = Findings::default();
            findings.push(Violation::new(part, pointer, rule), 1);
            invalid_response(&findings)
        };
        let Some(declared) = op.response(resp.status.as_u16()) else {
            let refusal = one("responses", parapet_contract::Part::Body, "");
            return Self::outcome(self.config.responses, refusal);
        };
        let sent = content_type(&resp.headers).unwrap_or("");
        let media = parapet_contract::operation::select(&declared.media, sent);
        let Some(media) = media else {
            if declared.media.is_empty() && !has_body(resp) {
                return Decision::Continue;
            }
            let refusal = one("content", parapet_contract::Part::Header, "/Content-Type");
            return Self::outcome(self.config.responses, refusal);
        };
        if media.kind_for(sent) == Kind::Json && media.schema.is_some() && encoded(resp) {
            // A compressed body cannot be checked or filtered (the upstream was asked for
            // `identity`): with the exposure filter on, it does not reach the client.
            let refusal = one(
                "content-encoding",
                parapet_contract::Part::Header,
                "/Content-Encoding",
            );
            let mode = if self.config.filter_responses {
                CheckMode::Enforce
            } else {
                self.config.responses
            };
            return Self::outcome(mode, refusal);
        }
        Decision::Continue
    }

    fn inspects_response(&self, ctx: &RequestContext, resp: &http::response::Parts) -> bool {
        self.json_response(ctx, resp).is_some()
    }

    fn on_response_body(
        &self,
        ctx: &mut RequestContext,
        resp: &http::response::Parts,
        body: &mut Bytes,
    ) -> Decision {
        let Some((contract, schema)) = self.json_response(ctx, resp) else {
            return Decision::Continue;
        };
        let max = self.checks.max_violations;
        let mut findings = Findings::default();
        let Ok(mut value) = serde_json::from_slice::<Value>(body) else {
            findings.push(
                Violation::new(parapet_contract::Part::Body, "", "json.syntax"),
                max,
            );
            let refusal = invalid_response(&findings);
            return Self::outcome(self.config.responses, refusal);
        };
        let judge = Judge {
            direction: Direction::Response,
            strict: false,
            filter: self.config.filter_responses,
            max,
        };
        schema.check(
            contract.shapes(),
            &mut value,
            parapet_contract::Part::Body,
            "",
            judge,
            &mut findings,
        );
        let filtered = (!findings.removed.is_empty()).then(|| {
            *body = Bytes::from(serde_json::to_vec(&value).unwrap_or_default());
            let mut refusal = Refusal::new(EXPOSURE_FILTERED, Part::Body).record_only();
            refusal.snippet = Some(crate::redact_snippet(&findings.removed.join(" ")));
            refusal
        });
        if findings.violations.is_empty() {
            // The filter's event, through the driver (so it is counted too).
            return filtered.map_or(Decision::Continue, Decision::Refuse);
        }
        if let Some(refusal) = filtered {
            // One decision per phase: the filter's event is recorded here.
            let event = SecurityEvent::new(ctx, "contract", &refusal, Action::Monitored);
            ctx.events.push(event);
        }
        let refusal = invalid_response(&findings);
        Self::outcome(self.config.responses, refusal)
    }
}
