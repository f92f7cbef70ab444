//! Brute-force defence: failed authentications are counted per client IP and per presented
//! credential in a fixed window; past the threshold the source is blocked (429) or slowed
//! down for the penalty period. The [`BruteForce`] policy runs just before authentication
//! and refuses or delays tripped sources; the authentication policy reports failures.
//!
//! Counters are local to the process and bounded in number; sharing them across replicas
//! belongs to the distributed state store.

use crate::credentials::Presented;
use http::{HeaderValue, header};
use parapet_config::{BruteForceAction, Mode};
use parapet_policy::{
    Action, Decision, Part, Policy, Refusal, RequestContext, SecurityEvent, Step, reasons,
};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

reasons! {
    /// The source failed authentication too often and is blocked for a while.
    TOO_MANY_FAILURES = (TOO_MANY_REQUESTS, "too-many-auth-failures", "Too many failed authentication attempts");
}

/// Sources tracked at most; when full, expired entries are dropped, then new sources are
/// not tracked until some expire (the oldest tracked sources keep their penalties).
const MAX_TRACKED: usize = 100_000;

/// Who failed: a client address or a credential fingerprint.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Source {
    /// A client IP address.
    Ip(IpAddr),
    /// The SHA-256 of a presented credential (never the credential itself).
    Credential([u8; 32]),
}

#[derive(Debug)]
struct Entry {
    window_start: Instant,
    failures: u32,
    penalty_until: Option<Instant>,
}

/// Failure counters shared by every route of a configuration (and kept across reloads
/// while the settings do not change).
#[derive(Debug)]
pub struct Guard {
    settings: parapet_config::BruteForce,
    entries: Mutex<HashMap<Source, Entry>>,
}

impl Guard {
    /// A guard with no failures recorded.
    pub fn new(settings: parapet_config::BruteForce) -> Self {
        Guard {
            settings,
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// The settings it runs with.
    pub fn settings(&self) -> &parapet_config::BruteForce {
        &self.settings
    }

    /// Records one failed authentication by each of `sources`; returns whether any of them
    /// is now past the threshold.
    pub fn failure(&self, sources: &[Source], now: Instant) -> bool {
        let s = &self.settings;
        let Ok(mut entries) = self.entries.lock() else {
            return false;
        };
        if entries.len() >= MAX_TRACKED {
            entries.retain(|_, e| !expired(e, now, s.window));
        }
        let mut tripped = false;
        for source in sources {
            if entries.len() >= MAX_TRACKED && !entries.contains_key(source) {
                continue;
            }
            let e = entries.entry(source.clone()).or_insert(Entry {
                window_start: now,
                failures: 0,
                penalty_until: None,
            });
            if now.duration_since(e.window_start) >= s.window {
                e.window_start = now;
                e.failures = 0;
            }
            e.failures = e.failures.saturating_add(1);
            if e.failures >= s.threshold {
                e.penalty_until = Some(now + s.penalty);
                tripped = true;
            }
        }
        tripped
    }

    /// How long the most penalized of `sources` stays penalized, if any is.
    pub fn penalty(&self, sources: &[Source], now: Instant) -> Option<Duration> {
        let entries = self.entries.lock().ok()?;
        sources
            .iter()
            .filter_map(|s| entries.get(s)?.penalty_until)
            .filter(|until| *until > now)
            .map(|until| until - now)
            .max()
    }
}

fn expired(e: &Entry, now: Instant, window: Duration) -> bool {
    now.duration_since(e.window_start) >= window && e.penalty_until.is_none_or(|u| u <= now)
}

/// The sources a request is counted under.
pub fn sources(ctx: &RequestContext, presented: Option<&Presented<'_>>) -> Vec<Source> {
    let mut out = vec![Source::Ip(ctx.client_ip)];
    if let Some(p) = presented {
        out.push(Source::Credential(p.fingerprint()));
    }
    out
}

/// The policy that holds back penalized sources before they reach authentication.
#[derive(Debug)]
pub struct BruteForce {
    guard: Arc<Guard>,
    api_key_header: String,
}

impl BruteForce {
    /// The policy over a shared guard.
    pub fn new(guard: Arc<Guard>, api_key_header: String) -> Self {
        BruteForce {
            guard,
            api_key_header,
        }
    }
}

impl Policy for BruteForce {
    fn name(&self) -> &'static str {
        "brute_force"
    }

    fn order(&self) -> u16 {
        290
    }

    fn mode(&self) -> Mode {
        self.guard.settings.mode
    }

    fn on_request_headers<'a>(
        &'a self,
        ctx: &'a mut RequestContext,
        req: &'a mut http::request::Parts,
    ) -> Step<'a> {
        let presented = Presented::find(&req.headers, &self.api_key_header);
        let sources = sources(ctx, presented.as_ref());
        let Some(left) = self.guard.penalty(&sources, Instant::now()) else {
            return Decision::Continue.into();
        };
        let refusal = Refusal::new(TOO_MANY_FAILURES, Part::Connection).cause("brute-force");
        match self.guard.settings.action {
            BruteForceAction::Block => {
                let secs = (left.as_secs() + u64::from(left.subsec_nanos() > 0)).max(1);
                let retry = HeaderValue::from(secs);
                Decision::from(refusal.header(header::RETRY_AFTER, retry)).into()
            }
            // In monitor mode the driver records the refusal and lets the request go on.
            BruteForceAction::Delay(_) if self.mode() == Mode::Monitor => {
                Decision::from(refusal).into()
            }
            BruteForceAction::Delay(delay) => Step::Later(Box::pin(async move {
                let event = SecurityEvent::new(ctx, self.name(), &refusal, Action::Delayed);
                ctx.events.push(event);
                tokio::time::sleep(delay).await;
                Decision::Continue
            })),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn guard(threshold: u32) -> Guard {
        Guard::new(parapet_config::BruteForce {
            threshold,
            window: Duration::from_secs(60),
            penalty: Duration::from_secs(300),
            action: BruteForceAction::Block,
            mode: Mode::Enforce,
        })
    }

    #[test]
    fn trips_at_the_threshold_and_lifts_after_the_penalty() {
        let g = guard(3);
        let t0 = Instant::now();
        let ip = [Source::Ip([10, 0, 0, 1].into())];
        assert!(!g.failure(&ip, t0));
        assert!(!g.failure(&ip, t0));
        assert_eq!(g.penalty(&ip, t0), None);
        assert!(g.failure(&ip, t0));
        assert_eq!(g.penalty(&ip, t0), Some(Duration::from_secs(300)));
        let other = [Source::Ip([10, 0, 0, 2].into())];
        assert_eq!(
            g.penalty(&other, t0),
            None,
            "other sources are not affected"
        );
        assert_eq!(g.penalty(&ip, t0 + Duration::from_secs(301)), None);
    }

    #[test]
    fn failures_outside_the_window_start_a_new_count() {
        let g = guard(2);
        let t0 = Instant::now();
        let cred = [Source::Credential([7; 32])];
        assert!(!g.failure(&cred, t0));
        assert!(!g.failure(&cred, t0 + Duration::from_secs(61)));
        assert!(g.failure(&cred, t0 + Duration::from_secs(62)));
    }
}
