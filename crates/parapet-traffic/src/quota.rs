//! The `quota` policy: requests per key (by default the consumer) per UTC day or month.
//! Usage is shared through Redis, or kept locally and saved to the store so that a
//! restart neither resets nor loses it. Answers 429 with `Retry-After` up to the end of
//! the window; every response carries the quota's `RateLimit` state.

use crate::headers::{self, RATELIMIT, RATELIMIT_POLICY};
use crate::keys::{self, Counting};
use bytes::Bytes;
use http::HeaderValue;
use http::header::RETRY_AFTER;
use parapet_config::{Fallback, Mode, Quota as QuotaConfig, QuotaPeriod};
use parapet_policy::{Decision, Part, Policy, Refusal, RequestContext, Step, reasons};
use parapet_state::{Key, Kind, Period, QuotaOutcome, State, Window};
use std::time::SystemTime;

reasons! {
    /// The quota of the period is used up.
    QUOTA_EXCEEDED = (TOO_MANY_REQUESTS, "quota-exceeded", "Quota exceeded");
}

/// The name of the quota in `RateLimit` fields.
const NAME: &str = "quota";

/// The quota policy of one route.
#[derive(Debug)]
pub struct Quota {
    config: QuotaConfig,
    period: Period,
    state: State,
    on_body: bool,
    policy_header: Option<HeaderValue>,
}

impl Quota {
    /// The policy for `config`.
    pub fn new(config: &QuotaConfig, state: &State) -> Quota {
        let period = match config.per {
            QuotaPeriod::Day => Period::Day,
            QuotaPeriod::Month => Period::Month,
        };
        let item = headers::policy_item(NAME, config.limit, period.nominal());
        Quota {
            on_body: keys::needs_body(&config.key),
            config: config.clone(),
            period,
            state: state.clone(),
            policy_header: headers::value(&[item]),
        }
    }

    fn decide<'a>(&'a self, ctx: &'a mut RequestContext, key: Key) -> Step<'a> {
        let window = self.period.window(SystemTime::now());
        let limit = self.config.limit;
        if !self.state.is_shared() {
            let outcome = self.state.local().quota(&key, window, limit, 1);
            return self.conclude(ctx, window, Some(outcome)).into();
        }
        Step::Later(Box::pin(async move {
            let outcome = match self.state.quota(&key, window, limit, 1).await {
                Ok(o) => Some(o),
                Err(_) => match self.config.on_unavailable {
                    Fallback::Local => Some(self.state.local().quota(&key, window, limit, 1)),
                    Fallback::Open => None,
                    Fallback::Closed => return crate::unavailable(),
                },
            };
            self.conclude(ctx, window, outcome)
        }))
    }

    fn conclude(
        &self,
        ctx: &mut RequestContext,
        window: Window,
        outcome: Option<QuotaOutcome>,
    ) -> Decision {
        let Some(outcome) = outcome else {
            return Decision::Continue;
        };
        let left = window.remaining(SystemTime::now());
        if self.config.mode == Mode::Enforce {
            if let Some(p) = &self.policy_header {
                ctx.response_headers
                    .append(RATELIMIT_POLICY.clone(), p.clone());
            }
            let remaining = self.config.limit.saturating_sub(outcome.used);
            if let Some(v) = headers::value(&[headers::state_item(NAME, remaining, left)]) {
                ctx.response_headers.append(RATELIMIT.clone(), v);
            }
        }
        if outcome.allowed {
            return Decision::Continue;
        }
        let mut refusal = Refusal::new(QUOTA_EXCEEDED, Part::Connection)
            .header(RETRY_AFTER, headers::retry_after(left));
        refusal.snippet =
            Some(format!("{} per {:?}", self.config.limit, self.config.per).to_lowercase());
        refusal.into()
    }
}

impl Policy for Quota {
    fn name(&self) -> &'static str {
        "quota"
    }

    fn order(&self) -> u16 {
        410
    }

    fn mode(&self) -> Mode {
        self.config.mode
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

impl Counting for Quota {
    fn on_body(&self) -> bool {
        self.on_body
    }

    fn count<'a>(
        &'a self,
        ctx: &'a mut RequestContext,
        req: &http::request::Parts,
        body: Option<&serde_json::Value>,
    ) -> Step<'a> {
        let c = &self.config;
        let key = keys::key(Kind::Quota, &c.scope, NAME, &c.key, ctx, req, body);
        self.decide(ctx, key)
    }
}
