//! The `concurrency` policy: requests in flight at once, per consumer (per client IP when
//! anonymous) and per route. A slot is taken on the request head and given back when the
//! response has been sent (or the client went away). Counted per replica: in-flight
//! requests are a property of each process, and a shared counter would leak slots of
//! replicas that die.

use http::HeaderValue;
use http::header::RETRY_AFTER;
use parapet_config::{Concurrency as ConcurrencyConfig, Mode};
use parapet_policy::{Decision, Part, Policy, Refusal, RequestContext, Step, reasons};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

reasons! {
    /// The consumer has too many requests in flight.
    TOO_MANY_CONCURRENT = (TOO_MANY_REQUESTS, "too-many-concurrent-requests", "Too many concurrent requests");
    /// The route has too many requests in flight.
    ROUTE_BUSY = (SERVICE_UNAVAILABLE, "route-busy", "Service busy");
}

/// In-flight counts by key, shared by every route of a configuration (and kept across
/// reloads, so requests in flight during a reload still count).
#[derive(Debug, Default)]
pub struct Slots {
    in_flight: Mutex<HashMap<String, u32>>,
}

impl Slots {
    /// Takes a slot of `key` unless `limit` are taken.
    fn take(self: &Arc<Self>, key: String, limit: u32) -> Option<Slot> {
        let mut map = self
            .in_flight
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let n = map.entry(key.clone()).or_insert(0);
        if *n >= limit {
            return None;
        }
        *n += 1;
        Some(Slot {
            slots: self.clone(),
            key,
        })
    }

    /// Requests in flight under `key`.
    #[cfg(test)]
    fn count(&self, key: &str) -> u32 {
        let map = self
            .in_flight
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        map.get(key).copied().unwrap_or(0)
    }
}

/// A taken slot, given back when dropped.
struct Slot {
    slots: Arc<Slots>,
    key: String,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut map = self
            .slots
            .in_flight
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(n) = map.get_mut(&self.key) {
            *n -= 1;
            if *n == 0 {
                map.remove(&self.key);
            }
        }
    }
}

/// The concurrency policy of one route.
#[derive(Debug)]
pub struct Concurrency {
    config: ConcurrencyConfig,
    slots: Arc<Slots>,
}

impl Concurrency {
    /// The policy for `config`, counting in `slots`.
    pub fn new(config: &ConcurrencyConfig, slots: &Arc<Slots>) -> Concurrency {
        Concurrency {
            config: config.clone(),
            slots: slots.clone(),
        }
    }

    fn admit(&self, ctx: &mut RequestContext) -> Decision {
        let c = &self.config;
        let route = ctx.route.as_deref().unwrap_or("-");
        if let Some(limit) = c.per_route {
            let key = format!("route\u{0}{}\u{0}{route}", c.scope);
            match self.slots.take(key, limit) {
                Some(slot) => ctx.held.keep(slot),
                None => return refuse(ROUTE_BUSY, limit),
            }
        }
        if let Some(limit) = c.per_consumer {
            let who = match ctx.consumer() {
                Some(id) => format!("c:{id}"),
                None => format!("ip:{}", ctx.client_ip),
            };
            let key = format!("consumer\u{0}{}\u{0}{who}", c.scope);
            match self.slots.take(key, limit) {
                Some(slot) => ctx.held.keep(slot),
                None => return refuse(TOO_MANY_CONCURRENT, limit),
            }
        }
        Decision::Continue
    }
}

fn refuse(reason: parapet_policy::Reason, limit: u32) -> Decision {
    let mut refusal =
        Refusal::new(reason, Part::Connection).header(RETRY_AFTER, HeaderValue::from_static("1"));
    refusal.snippet = Some(format!("{limit} in flight"));
    refusal.into()
}

impl Policy for Concurrency {
    fn name(&self) -> &'static str {
        "concurrency"
    }

    fn order(&self) -> u16 {
        430
    }

    fn mode(&self) -> Mode {
        self.config.mode
    }

    fn on_request_headers<'a>(
        &'a self,
        ctx: &'a mut RequestContext,
        _req: &'a mut http::request::Parts,
    ) -> Step<'a> {
        self.admit(ctx).into()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn slots_are_given_back_when_dropped_and_the_map_shrinks() {
        let slots = Arc::new(Slots::default());
        let a = slots.take("k".into(), 2).unwrap();
        let b = slots.take("k".into(), 2).unwrap();
        assert!(slots.take("k".into(), 2).is_none());
        drop(a);
        assert_eq!(slots.count("k"), 1);
        let c = slots.take("k".into(), 2).unwrap();
        drop((b, c));
        assert_eq!(slots.count("k"), 0);
        assert!(slots.in_flight.lock().unwrap().is_empty());
    }
}
