//! The Generic Cell Rate Algorithm: an exact, sliding rate limit kept as one number per key.
//!
//! A limit of `count` per `period` admits one request every *emission interval*
//! `T = period / count` on average, and lets up to `burst` requests through at once. The
//! state of a key is its *theoretical arrival time* (TAT): when the bucket will be empty
//! again. A request of cost `n` arriving at `now` moves the TAT to
//! `max(TAT, now) + n·T`; it is admitted when that is at most `burst·T` ahead of `now`.
//! Nothing is ever reset on a window edge, so there is no double burst at window edges as
//! with fixed windows, and the same arithmetic runs in memory and in a Redis script.
//!
//! Times are microseconds: exact in the doubles of Redis's Lua for the next few centuries.

use std::time::Duration;

/// A rate limit in GCRA terms.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Gcra {
    /// Emission interval `T`, in microseconds (at least 1).
    pub interval_us: u64,
    /// Requests admitted at once.
    pub burst: u32,
}

/// What a limit answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Admitted.
    Allowed {
        /// Requests still admissible right now.
        remaining: u32,
        /// Time until the bucket is full again (all of `burst` available).
        reset: Duration,
    },
    /// Refused.
    Limited {
        /// Time until a request of the same cost would be admitted.
        retry_after: Duration,
        /// Time until the bucket is full again.
        reset: Duration,
    },
}

impl Outcome {
    /// Whether the request was admitted.
    pub fn allowed(&self) -> bool {
        matches!(self, Outcome::Allowed { .. })
    }
}

impl Gcra {
    /// `count` requests per `period`, `burst` at once (`burst` and `count` at least 1).
    pub fn new(count: u32, period: Duration, burst: u32) -> Gcra {
        // Rounded up: a limit may admit a little less than asked, never more.
        let interval = period.as_micros().div_ceil(u128::from(count.max(1)));
        Gcra {
            interval_us: u64::try_from(interval).unwrap_or(u64::MAX).max(1),
            burst: burst.max(1),
        }
    }

    /// How far ahead of now the TAT may be: `burst·T`.
    pub fn tolerance_us(&self) -> u64 {
        self.interval_us.saturating_mul(u64::from(self.burst))
    }

    /// The window the limit spans (`burst·T`), as announced in `RateLimit-Policy`.
    pub fn window(&self) -> Duration {
        Duration::from_micros(self.tolerance_us())
    }

    /// Decides a request of `cost` at `now_us` against the stored `tat`. Returns the TAT
    /// to store (unchanged when refused) and the outcome.
    pub fn decide(&self, tat: Option<u64>, now_us: u64, cost: u32) -> (u64, Outcome) {
        let tat = tat.unwrap_or(now_us).max(now_us);
        // An overflow can only mean "far beyond any tolerance".
        let new_tat = self
            .interval_us
            .checked_mul(u64::from(cost))
            .and_then(|c| tat.checked_add(c))
            .unwrap_or(u64::MAX);
        let ahead = new_tat - now_us;
        let tolerance = self.tolerance_us();
        if ahead > tolerance || new_tat == u64::MAX {
            let outcome = Outcome::Limited {
                retry_after: Duration::from_micros(ahead.saturating_sub(tolerance)),
                reset: Duration::from_micros(tat - now_us),
            };
            return (tat, outcome);
        }
        let remaining = (tolerance - ahead) / self.interval_us;
        let outcome = Outcome::Allowed {
            remaining: u32::try_from(remaining).unwrap_or(u32::MAX),
            reset: Duration::from_micros(ahead),
        };
        (new_tat, outcome)
    }

    /// Gives back `cost` admitted earlier (when another limit of the same request refused
    /// it): the TAT moves back, never before `now_us`.
    pub fn refund(&self, tat: u64, now_us: u64, cost: u32) -> u64 {
        tat.saturating_sub(self.interval_us.saturating_mul(u64::from(cost)))
            .max(now_us)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    const SECOND: u64 = 1_000_000;

    /// Runs `n` requests at `at`, returning how many were admitted.
    fn admit(g: &Gcra, tat: &mut Option<u64>, at: u64, n: u32) -> u32 {
        let mut admitted = 0;
        for _ in 0..n {
            let (t, o) = g.decide(*tat, at, 1);
            *tat = Some(t);
            admitted += u32::from(o.allowed());
        }
        admitted
    }

    #[test]
    fn a_burst_is_admitted_at_once_then_one_per_interval() {
        let g = Gcra::new(10, Duration::from_secs(1), 10);
        assert_eq!(g.interval_us, 100_000);
        let mut tat = None;
        assert_eq!(admit(&g, &mut tat, 0, 15), 10);
        // 100 ms later exactly one more slot has opened.
        assert_eq!(admit(&g, &mut tat, 100_000, 5), 1);
        // 50 ms later, nothing.
        assert_eq!(admit(&g, &mut tat, 150_000, 5), 0);
    }

    #[test]
    fn the_long_run_rate_is_exact() {
        let g = Gcra::new(1000, Duration::from_secs(1), 50);
        let mut tat = None;
        let mut admitted = 0;
        // 20 requests every millisecond for 10 s: 20x overload.
        for ms in 0..10_000u64 {
            admitted += admit(&g, &mut tat, ms * 1000, 20);
        }
        // burst + rate * duration, to within one request.
        assert!((10_049..=10_050).contains(&admitted), "{admitted}");
    }

    #[test]
    fn refused_requests_are_not_counted_and_say_when_to_retry() {
        let g = Gcra::new(2, Duration::from_secs(1), 2);
        let mut tat = None;
        assert_eq!(admit(&g, &mut tat, 0, 2), 2);
        let before = tat;
        let (t, o) = g.decide(tat, 0, 1);
        assert_eq!(Some(t), before, "a refusal leaves the state alone");
        assert_eq!(
            o,
            Outcome::Limited {
                retry_after: Duration::from_millis(500),
                reset: Duration::from_secs(1)
            }
        );
        let (_, o) = g.decide(tat, SECOND / 2, 1);
        assert!(o.allowed(), "admitted exactly when Retry-After said");
    }

    #[test]
    fn remaining_and_reset_count_down() {
        let g = Gcra::new(5, Duration::from_secs(5), 5);
        let (tat, o) = g.decide(None, 0, 1);
        assert_eq!(
            o,
            Outcome::Allowed {
                remaining: 4,
                reset: Duration::from_secs(1)
            }
        );
        let (_, o) = g.decide(Some(tat), 0, 3);
        assert_eq!(
            o,
            Outcome::Allowed {
                remaining: 1,
                reset: Duration::from_secs(4)
            }
        );
    }

    #[test]
    fn a_cost_larger_than_the_burst_is_never_admitted() {
        let g = Gcra::new(10, Duration::from_secs(1), 3);
        let (_, o) = g.decide(None, 0, 4);
        assert!(!o.allowed());
    }

    #[test]
    fn a_refund_gives_the_slot_back_but_not_the_past() {
        let g = Gcra::new(1, Duration::from_secs(1), 1);
        let (tat, _) = g.decide(None, 0, 1);
        assert_eq!(g.refund(tat, 0, 1), 0);
        assert_eq!(g.refund(tat, 0, 5), 0);
        let (_, o) = g.decide(Some(g.refund(tat, 0, 1)), 0, 1);
        assert!(o.allowed());
    }

    #[test]
    fn slow_rates_and_extreme_values_do_not_overflow() {
        let g = Gcra::new(1, Duration::from_secs(86_400 * 31), 1);
        let (tat, o) = g.decide(Some(u64::MAX - 5), u64::MAX - 10, u32::MAX);
        assert!(!o.allowed());
        assert_eq!(tat, u64::MAX - 5);
        let g = Gcra::new(u32::MAX, Duration::from_nanos(1), u32::MAX);
        assert_eq!(g.interval_us, 1);
        let (_, o) = g.decide(None, 0, 1);
        assert!(o.allowed());
    }
}
