//! The `spike_arrest` policy: smooths traffic to a steady rate. Requests are spaced one
//! emission interval apart; a request whose slot is within `max_delay` waits for it, a
//! later one is refused with 429. It is GCRA with a burst of one slot plus the delay
//! allowance, decided on the request head.

use crate::headers;
use crate::keys;
use http::header::RETRY_AFTER;
use parapet_config::{Fallback, Mode, SpikeArrest as SpikeConfig};
use parapet_policy::{Decision, Part, Policy, Refusal, RequestContext, Step, reasons};
use parapet_state::{Gcra, Key, Kind, Outcome, State};
use std::time::Duration;

reasons! {
    /// The request came too soon after the previous one.
    SPIKE_ARRESTED = (TOO_MANY_REQUESTS, "spike-arrested", "Too many requests");
}

const NAME: &str = "spike_arrest";

/// The spike-arrest policy of one route.
#[derive(Debug)]
pub struct SpikeArrest {
    config: SpikeConfig,
    gcra: Gcra,
    state: State,
}

impl SpikeArrest {
    /// The policy for `config`.
    pub fn new(config: &SpikeConfig, state: &State) -> SpikeArrest {
        let interval = Gcra::new(config.rate.count, config.rate.period, 1).interval_us;
        let extra = u64::try_from(config.max_delay.as_micros()).unwrap_or(u64::MAX) / interval;
        let burst = u32::try_from(extra.saturating_add(1)).unwrap_or(u32::MAX);
        SpikeArrest {
            config: config.clone(),
            gcra: Gcra {
                interval_us: interval,
                burst,
            },
            state: state.clone(),
        }
    }

    /// How long an admitted request waits for its slot: its place in the queue, less the
    /// one slot that is always free.
    fn wait(&self, reset: Duration) -> Duration {
        reset.saturating_sub(Duration::from_micros(self.gcra.interval_us))
    }

    fn conclude(&self, outcome: Option<Outcome>) -> Result<Duration, Box<Refusal>> {
        match outcome {
            None => Ok(Duration::ZERO),
            // In monitor mode nothing is held back either.
            Some(Outcome::Allowed { .. }) if self.config.mode == Mode::Monitor => {
                Ok(Duration::ZERO)
            }
            Some(Outcome::Allowed { reset, .. }) => Ok(self.wait(reset)),
            Some(Outcome::Limited { retry_after, .. }) => {
                let mut refusal = Refusal::new(SPIKE_ARRESTED, Part::Connection)
                    .header(RETRY_AFTER, headers::retry_after(retry_after));
                refusal.snippet = Some(format!(
                    "{}/{:?}",
                    self.config.rate.count, self.config.rate.period
                ));
                Err(refusal.into())
            }
        }
    }
}

impl Policy for SpikeArrest {
    fn name(&self) -> &'static str {
        NAME
    }

    fn order(&self) -> u16 {
        420
    }

    fn mode(&self) -> Mode {
        self.config.mode
    }

    fn on_request_headers<'a>(
        &'a self,
        ctx: &'a mut RequestContext,
        req: &'a mut http::request::Parts,
    ) -> Step<'a> {
        let c = &self.config;
        let key: Key = keys::key(Kind::Rate, &c.scope, NAME, &c.key, ctx, req, None);
        let check = [(key, self.gcra)];
        let local = move |state: &State| state.local().rate(&check, 1).pop();
        if !self.state.is_shared() {
            return match self.conclude(local(&self.state)) {
                Err(refusal) => Decision::from(*refusal).into(),
                Ok(wait) if wait.is_zero() => Decision::Continue.into(),
                Ok(wait) => Step::Later(Box::pin(async move {
                    tokio::time::sleep(wait).await;
                    Decision::Continue
                })),
            };
        }
        Step::Later(Box::pin(async move {
            let outcome = match self.state.rate(&check, 1).await {
                Ok(mut o) => o.pop(),
                Err(_) => match c.on_unavailable {
                    Fallback::Local => local(&self.state),
                    Fallback::Open => None,
                    Fallback::Closed => return crate::unavailable(),
                },
            };
            match self.conclude(outcome) {
                Err(refusal) => Decision::from(*refusal),
                Ok(wait) => {
                    tokio::time::sleep(wait).await;
                    Decision::Continue
                }
            }
        }))
    }
}
