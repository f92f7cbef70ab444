//! Calendar windows of quotas (UTC days and months).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The length of a quota window.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Period {
    /// A UTC calendar day.
    Day,
    /// A UTC calendar month.
    Month,
}

/// One calendar window: its id (days or months since 1970) and when it ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Window {
    /// Days (for [`Period::Day`]) or months (for [`Period::Month`]) since 1970-01.
    pub id: i64,
    /// Unix seconds at which the window ends.
    pub end: u64,
}

const DAY: u64 = 86_400;

impl Period {
    /// The window `now` falls in.
    pub fn window(self, now: SystemTime) -> Window {
        let secs = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        let days = secs / DAY;
        match self {
            Period::Day => Window {
                id: days as i64,
                end: (days + 1) * DAY,
            },
            Period::Month => {
                let (y, m, _) = civil_from_days(days as i64);
                let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
                Window {
                    id: (y - 1970) * 12 + i64::from(m) - 1,
                    end: days_from_civil(ny, nm, 1).max(0) as u64 * DAY,
                }
            }
        }
    }

    /// The period's nominal length in seconds, as announced in `RateLimit-Policy`.
    pub fn nominal(self) -> Duration {
        match self {
            Period::Day => Duration::from_secs(DAY),
            Period::Month => Duration::from_secs(30 * DAY),
        }
    }
}

impl Window {
    /// Time left in the window at `now`.
    pub fn remaining(&self, now: SystemTime) -> Duration {
        let secs = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        Duration::from_secs(self.end.saturating_sub(secs))
    }
}

/// Year, month (1–12), day (1–31) of the day `days` after 1970-01-01 (H. Hinnant's
/// algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// Days from 1970-01-01 to the given date (inverse of [`civil_from_days`]).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    #[test]
    fn days_and_months_end_at_midnight_utc() {
        // 2026-11-23T03:45:00Z
        let now = at(1_795_405_500);
        let day = Period::Day.window(now);
        assert_eq!(day.end, 1_795_478_400); // 2026-11-24T00:00:00Z
        let month = Period::Month.window(now);
        assert_eq!(month.end, 1_796_083_200); // 2026-12-01T00:00:00Z
        assert_eq!(month.id, (2026 - 1970) * 12 + 10);
        // December rolls into the next year; February of a leap year has 29 days.
        assert_eq!(Period::Month.window(at(1_796_083_200)).end, 1_798_761_600);
        assert_eq!(Period::Month.window(at(1_709_164_800)).end, 1_709_251_200); // 2024-02-29 -> 03-01
        assert_eq!(day.remaining(now), Duration::from_secs(72_900));
    }

    #[test]
    fn civil_round_trips() {
        for days in [-1_000_000, -1, 0, 59, 60, 10_957, 20_000, 2_000_000] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }
}
