//! Parapet's embedded store: the consumers (who calls the APIs), their API keys, revoked
//! credentials and the quota usage of the in-process rate state, kept in one SQLite file.
//!
//! - A [`Store`] wraps a single SQLite connection behind a mutex, so it is `Send + Sync`
//!   and can be shared (in an `Arc`) by every request handler.
//! - Several processes (replicas) may open the same file: the database runs in WAL mode,
//!   so readers never block the writer, and a 5 s busy timeout absorbs write contention.
//!   Nothing is cached in memory between calls, so a change made through one handle
//!   (e.g. a revoked key) is seen by every other handle on its very next read.
//! - API key secrets are shown once, when created, and never stored: only their SHA-256
//!   is (see [`Store::create_key`] for why a fast hash is the right choice for 256-bit
//!   random secrets).
//! - The schema is versioned with `PRAGMA user_version` and migrated forward on open.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use rusqlite::{Connection, TransactionBehavior};

mod consumers;
mod error;
mod keys;
mod quotas;
mod revocations;
mod time;

pub use consumers::{Consumer, Origin};
pub use error::StoreError;
pub use keys::{KeyCheck, KeyRecord, NewKey};

/// How long a statement waits for another connection's write lock before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Schema migrations, in order: `MIGRATIONS[n]` takes the schema from version `n` to
/// `n + 1`. The version is kept in `PRAGMA user_version`. Never edit a released entry;
/// append a new one.
const MIGRATIONS: &[&str] = &[
    // Version 1.
    "
    CREATE TABLE consumers (
        id           TEXT PRIMARY KEY NOT NULL,
        name         TEXT NOT NULL,
        scopes       TEXT NOT NULL,            -- JSON array of strings
        roles        TEXT NOT NULL,            -- JSON array of strings
        rate_plan    TEXT,
        metadata     TEXT NOT NULL,            -- JSON object of strings
        certificates TEXT NOT NULL,            -- JSON array of strings, as given
        origin       TEXT NOT NULL CHECK (origin IN ('config', 'api'))
    );

    -- Index of `consumers.certificates`, for mTLS identification. A certificate
    -- name identifies at most one consumer.
    CREATE TABLE consumer_certificates (
        name        TEXT PRIMARY KEY NOT NULL,
        consumer_id TEXT NOT NULL REFERENCES consumers (id) ON DELETE CASCADE
    ) WITHOUT ROWID;
    CREATE INDEX consumer_certificates_consumer ON consumer_certificates (consumer_id);

    CREATE TABLE api_keys (
        id          TEXT PRIMARY KEY NOT NULL,
        consumer_id TEXT NOT NULL REFERENCES consumers (id) ON DELETE CASCADE,
        hash        BLOB NOT NULL UNIQUE,      -- SHA-256 of the secret; never the secret
        prefix      TEXT NOT NULL,
        label       TEXT,
        created_at  INTEGER NOT NULL,          -- unix milliseconds
        expires_at  INTEGER,                   -- unix milliseconds
        revoked_at  INTEGER                    -- unix milliseconds
    );
    CREATE INDEX api_keys_consumer ON api_keys (consumer_id, created_at, id);
    CREATE INDEX api_keys_created ON api_keys (created_at, id);
    ",
    // Version 2.
    "
    -- Quota usage of the in-process rate state, saved so a restart keeps it.
    CREATE TABLE quota_usage (
        key    TEXT NOT NULL,                  -- digest of the quota key, never a client value
        window INTEGER NOT NULL,               -- day or month number since 1970
        used   INTEGER NOT NULL,
        PRIMARY KEY (key, window)
    ) WITHOUT ROWID;
    ",
    // Version 3.
    "
    -- Credentials revoked before they expire (token jti, key id, certificate hash).
    CREATE TABLE revocations (
        mark  TEXT PRIMARY KEY NOT NULL,       -- digest of method and credential
        until INTEGER NOT NULL                 -- unix milliseconds
    ) WITHOUT ROWID;
    ",
];

/// The embedded store of consumers and API keys.
///
/// Cheap operations on one SQLite connection, serialised by a mutex. Share it with
/// `Arc<Store>`.
#[derive(Debug)]
pub struct Store {
    conn: Mutex<Connection>,
    path: Option<PathBuf>,
}

impl Store {
    /// Opens (creating if needed) the database file: WAL journal, busy_timeout 5 s,
    /// foreign keys on, schema migrated via `PRAGMA user_version`.
    ///
    /// Fails with [`StoreError::Invalid`] if the file was written by a newer Parapet
    /// (a schema version this build does not know).
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let conn = Connection::open(path)?;
        Self::init(conn, Some(path.to_path_buf()))
    }

    /// A private in-memory store (tests, and configs without `store:`). Its contents
    /// vanish when it is dropped.
    pub fn in_memory() -> Result<Store, StoreError> {
        let conn = Connection::open_in_memory()?;
        Self::init(conn, None)
    }

    /// The database file, or `None` for an in-memory store.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    fn init(mut conn: Connection, path: Option<PathBuf>) -> Result<Store, StoreError> {
        conn.busy_timeout(BUSY_TIMEOUT)?;
        if path.is_some() {
            // Returns the resulting mode; an in-memory database stays "memory".
            let _mode: String =
                conn.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))?;
        }
        conn.pragma_update(None, "foreign_keys", true)?;
        // Deleting a consumer relies on ON DELETE CASCADE: make sure it is really on.
        let foreign_keys: bool = conn.pragma_query_value(None, "foreign_keys", |row| row.get(0))?;
        if !foreign_keys {
            return Err(StoreError::invalid("SQLite refused to enable foreign keys"));
        }
        conn.set_prepared_statement_cache_capacity(32);
        migrate(&mut conn)?;
        Ok(Store {
            conn: Mutex::new(conn),
            path,
        })
    }

    /// The connection. A panic while it was held cannot leave it inconsistent (an open
    /// transaction rolls back when dropped during unwinding), so poisoning is ignored.
    fn conn(&self) -> MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Brings the schema up to the latest version. Runs in an IMMEDIATE transaction so
/// that replicas opening a fresh file at the same time migrate it exactly once.
fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let version: i64 = tx.pragma_query_value(None, "user_version", |row| row.get(0))?;
    let known = MIGRATIONS.len();
    let current = usize::try_from(version)
        .ok()
        .filter(|v| *v <= known)
        .ok_or_else(|| {
            StoreError::Invalid(format!(
                "database schema version {version} is newer than this build supports ({known})"
            ))
        })?;
    if current == known {
        return Ok(());
    }
    for migration in &MIGRATIONS[current..] {
        tx.execute_batch(migration)?;
    }
    tx.pragma_update(None, "user_version", known as i64)?;
    tx.commit()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_is_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Store>();
    }

    #[test]
    fn migrations_set_user_version() {
        let store = Store::in_memory().unwrap();
        let version: i64 = store
            .conn()
            .pragma_query_value(None, "user_version", |row| row.get(0))
            .unwrap();
        assert_eq!(version, MIGRATIONS.len() as i64);
    }
}
