//! Quota usage saved by the in-process rate state, so that a restart neither resets nor
//! loses it. Old windows are pruned as new ones are saved.

use crate::{Store, StoreError};
use rusqlite::{OptionalExtension, params};

/// Windows older than this many units (days or months) are deleted when usage is saved.
const KEEP_WINDOWS: i64 = 400;

impl Store {
    /// The saved usage of quota `key` in `window`, 0 when none was saved.
    pub fn quota_used(&self, key: &str, window: i64) -> Result<u64, StoreError> {
        let used: Option<i64> = self
            .conn()
            .prepare_cached("SELECT used FROM quota_usage WHERE key = ?1 AND window = ?2")?
            .query_row(params![key, window], |row| row.get(0))
            .optional()?;
        Ok(used.map_or(0, |u| u64::try_from(u).unwrap_or(0)))
    }

    /// Saves `(key, window, used)` rows in one transaction.
    pub fn save_quota_usage(&self, rows: &[(String, i64, u64)]) -> Result<(), StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        {
            let mut upsert = tx.prepare_cached(
                "INSERT INTO quota_usage (key, window, used) VALUES (?1, ?2, ?3)
                 ON CONFLICT (key, window) DO UPDATE SET used = excluded.used",
            )?;
            let mut prune =
                tx.prepare_cached("DELETE FROM quota_usage WHERE key = ?1 AND window < ?2")?;
            for (key, window, used) in rows {
                upsert.execute(params![
                    key,
                    window,
                    i64::try_from(*used).unwrap_or(i64::MAX)
                ])?;
                prune.execute(params![key, window - KEEP_WINDOWS])?;
            }
        }
        tx.commit()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use crate::Store;

    #[test]
    fn usage_is_saved_per_window_and_survives_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.db");
        {
            let store = Store::open(&path).unwrap();
            assert_eq!(store.quota_used("k", 7).unwrap(), 0);
            store
                .save_quota_usage(&[("k".into(), 7, 3), ("j".into(), 7, 1)])
                .unwrap();
            store.save_quota_usage(&[("k".into(), 7, 5)]).unwrap();
        }
        let store = Store::open(&path).unwrap();
        assert_eq!(store.quota_used("k", 7).unwrap(), 5);
        assert_eq!(store.quota_used("j", 7).unwrap(), 1);
        assert_eq!(store.quota_used("k", 8).unwrap(), 0);
        store.save_quota_usage(&[("k".into(), 500, 1)]).unwrap();
        assert_eq!(
            store.quota_used("k", 7).unwrap(),
            0,
            "old windows are pruned"
        );
    }
}
