//! The `rate_limit` policy: every limit of a route must admit a request (all or nothing:
//! a request refused by one limit is not charged to the others). Answers 429 with
//! `Retry-After`; every response of a limited route carries `RateLimit-Policy` and
//! `RateLimit`.
//!
//! A route's limits are decided on the request head, or all of them once the body is read
//! when one counts by a body field (`body.username`).

use crate::headers::{self, RATELIMIT, RATELIMIT_POLICY};
use crate::keys::{self, Counting, needs_body};
use bytes::Bytes;
use http::HeaderValue;
use http::header::RETRY_AFTER;
use parapet_config::{Fallback, Mode, RateLimit};
use parapet_policy::{Decision, Part, Policy, Refusal, RequestContext, Step, reasons};
use parapet_state::{Gcra, Key, Kind, Outcome, State};
use std::time::Duration;

reasons! {
    /// A rate limit refused the request.
    RATE_LIMITED = (TOO_MANY_REQUESTS, "rate-limited", "Too many requests");
}

/// One compiled limit.
#[derive(Debug)]
struct Limit {
    config: RateLimit,
    gcra: Gcra,
}

/// Rate limits of one route sharing a mode and a phase.
#[derive(Debug)]
pub struct RateLimits {
    limits: Vec<Limit>,
    state: State,
    on_body: bool,
    mode: Mode,
    policy_header: Option<HeaderValue>,
}

impl RateLimits {
    /// The policies for `limits`: one per mode. A group with a limit keyed on the body is
    /// decided, whole, once the body is read, so that all its limits admit a request or
    /// none is charged (a login refused per username is not charged per IP).
    pub fn build(limits: &[RateLimit], state: &State) -> Vec<RateLimits> {
        let mut groups: Vec<RateLimits> = Vec::new();
        for config in limits {
            let on_body = limits
                .iter()
                .any(|l| l.mode == config.mode && needs_body(&l.key));
            let gcra = Gcra::new(config.rate.count, config.rate.period, config.burst);
            let limit = Limit {
                config: config.clone(),
                gcra,
            };
            match groups
                .iter_mut()
                .find(|g| g.mode == config.mode && g.on_body == on_body)
            {
                Some(g) => g.limits.push(limit),
                None => groups.push(RateLimits {
                    limits: vec![limit],
                    state: state.clone(),
                    on_body,
                    mode: config.mode,
                    policy_header: None,
                }),
            }
        }
        for g in &mut groups {
            let items: Vec<String> = g
                .limits
                .iter()
                .map(|l| {
                    headers::policy_item(&l.config.name, u64::from(l.gcra.burst), l.gcra.window())
                })
                .collect();
            g.policy_header = headers::value(&items);
        }
        groups
    }

    fn checks(
        &self,
        ctx: &RequestContext,
        req: &http::request::Parts,
        body: Option<&serde_json::Value>,
    ) -> Vec<(Key, Gcra)> {
        self.limits
            .iter()
            .map(|l| {
                let c = &l.config;
                let key = keys::key(Kind::Rate, &c.scope, &c.name, &c.key, ctx, req, body);
                (key, l.gcra)
            })
            .collect()
    }

    /// Decides `checks` on the state: at once when local, by a round trip when shared.
    fn decide<'a>(&'a self, ctx: &'a mut RequestContext, checks: Vec<(Key, Gcra)>) -> Step<'a> {
        if !self.state.is_shared() {
            let outcomes = self.state.local().rate(&checks, 1);
            return self
                .conclude(ctx, outcomes.into_iter().map(Some).collect())
                .into();
        }
        Step::Later(Box::pin(async move {
            let outcomes = match self.state.rate(&checks, 1).await {
                Ok(o) => o.into_iter().map(Some).collect(),
                Err(_) => match self.fallback(&checks) {
                    Some(o) => o,
                    None => return crate::unavailable(),
                },
            };
            self.conclude(ctx, outcomes)
        }))
    }

    /// What each limit answers while the shared state is unreachable: its local count, or
    /// nothing (open); `None` when one fails closed, which refuses the request.
    fn fallback(&self, checks: &[(Key, Gcra)]) -> Option<Vec<Option<Outcome>>> {
        let fallbacks: Vec<Fallback> = self
            .limits
            .iter()
            .map(|l| l.config.on_unavailable)
            .collect();
        if fallbacks.contains(&Fallback::Closed) {
            return None;
        }
        let local: Vec<(Key, Gcra)> = checks
            .iter()
            .zip(&fallbacks)
            .filter(|(_, f)| **f == Fallback::Local)
            .map(|(c, _)| *c)
            .collect();
        let mut counted = self.state.local().rate(&local, 1).into_iter();
        Some(
            fallbacks
                .iter()
                .map(|f| match f {
                    Fallback::Local => counted.next(),
                    _ => None,
                })
                .collect(),
        )
    }

    /// Sets the headers and refuses when a limit did.
    fn conclude(&self, ctx: &mut RequestContext, outcomes: Vec<Option<Outcome>>) -> Decision {
        let mut states = Vec::with_capacity(outcomes.len());
        let mut refused: Option<(&Limit, Duration)> = None;
        for (limit, outcome) in self.limits.iter().zip(&outcomes) {
            let name = &limit.config.name;
            match outcome {
                Some(Outcome::Allowed { remaining, reset }) => {
                    // With nothing left, `t` is when the next request will be admitted.
                    let t = if *remaining == 0 {
                        let slot = Duration::from_micros(limit.gcra.interval_us);
                        (*reset + slot).saturating_sub(limit.gcra.window())
                    } else {
                        *reset
                    };
                    states.push(headers::state_item(name, u64::from(*remaining), t));
                }
                Some(Outcome::Limited { retry_after, .. }) => {
                    states.push(headers::state_item(name, 0, *retry_after));
                    if refused.is_none_or(|(_, wait)| *retry_after > wait) {
                        refused = Some((limit, *retry_after));
                    }
                }
                None => {}
            }
        }
        if self.mode == Mode::Enforce {
            if let Some(p) = &self.policy_header {
                ctx.response_headers
                    .append(RATELIMIT_POLICY.clone(), p.clone());
            }
            if let Some(v) = headers::value(&states) {
                ctx.response_headers.append(RATELIMIT.clone(), v);
            }
        }
        match refused {
            None => Decision::Continue,
            Some((limit, wait)) => {
                let part = if self.on_body {
                    Part::Body
                } else {
                    Part::Connection
                };
                let mut refusal = Refusal::new(RATE_LIMITED, part)
                    .header(RETRY_AFTER, headers::retry_after(wait));
                refusal.snippet = Some(limit.config.name.clone());
                refusal.into()
            }
        }
    }
}

impl Policy for RateLimits {
    fn name(&self) -> &'static str {
        "rate_limit"
    }

    fn order(&self) -> u16 {
        400
    }

    fn mode(&self) -> Mode {
        self.mode
    }

    fn on_request_headers<'a>(
        &'a self,
        ctx: &'a mut RequestContext,
        req: &'a mut http::request::Parts,
    ) -> Step<'a> {
        keys::on_head(self, ctx, req)
    }

    fn inspects_request_body(&self) -> bool {
        self.on_body
    }

    fn on_request_body<'a>(
        &'a self,
        ctx: &'a mut RequestContext,
        req: &'a http::request::Parts,
        body: &'a Bytes,
    ) -> Step<'a> {
        keys::on_body(self, ctx, req, body)
    }
}

impl Counting for RateLimits {
    fn on_body(&self) -> bool {
        self.on_body
    }

    fn count<'a>(
        &'a self,
        ctx: &'a mut RequestContext,
        req: &http::request::Parts,
        body: Option<&serde_json::Value>,
    ) -> Step<'a> {
        let checks = self.checks(ctx, req, body);
        self.decide(ctx, checks)
    }
}
