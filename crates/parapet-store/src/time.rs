//! Conversions between [`SystemTime`] and the integers the store keeps.
//!
//! The database holds unix **milliseconds** (`INTEGER`), so that keys created within
//! the same second still sort by creation time. Serialised records carry unix
//! **seconds** (`u64`), the usual unit of APIs.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// `t` as unix milliseconds, clamped to `0..=i64::MAX`.
pub(crate) fn to_millis(t: SystemTime) -> i64 {
    t.duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// The time `millis` unix milliseconds (negative values clamp to the epoch).
pub(crate) fn from_millis(millis: i64) -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(u64::try_from(millis).unwrap_or(0))
}

/// `t` truncated to whole milliseconds, i.e. as it will read back from the database.
pub(crate) fn truncate(t: SystemTime) -> SystemTime {
    from_millis(to_millis(t))
}

/// Serde adapter: a [`SystemTime`] as unix seconds (`u64`).
pub(crate) mod unix_seconds {
    use std::time::{Duration, SystemTime, UNIX_EPOCH};

    use serde::{Deserialize, Deserializer, Serializer};

    pub(crate) fn serialize<S: Serializer>(t: &SystemTime, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs()))
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<SystemTime, D::Error> {
        let secs = u64::deserialize(d)?;
        UNIX_EPOCH
            .checked_add(Duration::from_secs(secs))
            .ok_or_else(|| serde::de::Error::custom("time out of range"))
    }
}

/// Serde adapter: an `Option<SystemTime>` as unix seconds (`u64`) or `null`.
pub(crate) mod opt_unix_seconds {
    use std::time::{Duration, SystemTime, UNIX_EPOCH};

    use serde::{Deserialize, Deserializer, Serializer};

    pub(crate) fn serialize<S: Serializer>(
        t: &Option<SystemTime>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match t {
            Some(t) => super::unix_seconds::serialize(t, s),
            None => s.serialize_none(),
        }
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<SystemTime>, D::Error> {
        Option::<u64>::deserialize(d)?
            .map(|secs| {
                UNIX_EPOCH
                    .checked_add(Duration::from_secs(secs))
                    .ok_or_else(|| serde::de::Error::custom("time out of range"))
            })
            .transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn millis_round_trip_and_clamp() {
        let t = UNIX_EPOCH + Duration::from_nanos(1_700_000_000_123_456_789);
        assert_eq!(to_millis(t), 1_700_000_000_123);
        assert_eq!(
            truncate(t),
            UNIX_EPOCH + Duration::from_millis(1_700_000_000_123)
        );
        assert_eq!(to_millis(UNIX_EPOCH - Duration::from_secs(5)), 0);
        assert_eq!(from_millis(-5), UNIX_EPOCH);
    }
}
