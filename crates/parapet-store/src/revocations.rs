//! Revocation marks, kept in the store so that a restart does not bring a revoked
//! credential back, and every replica sharing the file sees them. A mark is a digest
//! chosen by the caller (never the credential itself); expired marks are pruned as new
//! ones are written.

use crate::time::to_millis;
use crate::{Store, StoreError};
use rusqlite::{OptionalExtension, params};
use std::time::SystemTime;

impl Store {
    /// Records `mark` as revoked until `until`.
    pub fn revoke_mark(&self, mark: &str, until: SystemTime) -> Result<(), StoreError> {
        let conn = self.conn();
        conn.prepare_cached(
            "INSERT INTO revocations (mark, until) VALUES (?1, ?2)
             ON CONFLICT (mark) DO UPDATE SET until = max(until, excluded.until)",
        )?
        .execute(params![mark, to_millis(until)])?;
        conn.prepare_cached("DELETE FROM revocations WHERE until <= ?1")?
            .execute(params![to_millis(SystemTime::now())])?;
        Ok(())
    }

    /// Whether `mark` is revoked at `now`.
    pub fn is_mark_revoked(&self, mark: &str, now: SystemTime) -> Result<bool, StoreError> {
        let until: Option<i64> = self
            .conn()
            .prepare_cached("SELECT until FROM revocations WHERE mark = ?1")?
            .query_row(params![mark], |row| row.get(0))
            .optional()?;
        Ok(until.is_some_and(|u| u > to_millis(now)))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use crate::Store;
    use std::time::{Duration, SystemTime};

    #[test]
    fn marks_survive_reopening_until_they_expire() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.db");
        let now = SystemTime::now();
        {
            let store = Store::open(&path).unwrap();
            store
                .revoke_mark("a", now + Duration::from_secs(60))
                .unwrap();
            store
                .revoke_mark("b", now + Duration::from_secs(1))
                .unwrap();
        }
        let store = Store::open(&path).unwrap();
        assert!(store.is_mark_revoked("a", now).unwrap());
        assert!(!store.is_mark_revoked("c", now).unwrap());
        assert!(
            !store
                .is_mark_revoked("b", now + Duration::from_secs(2))
                .unwrap()
        );
    }
}
