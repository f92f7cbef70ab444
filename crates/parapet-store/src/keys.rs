//! API keys: creation, listing, revocation and the per-request check.
//!
//! # Secrets and hashing
//!
//! A secret is `pk_` followed by the URL-safe base64 (no padding) of 32 random bytes
//! from the operating system (256 bits of entropy), 46 characters in all. The store
//! keeps only the SHA-256 of the whole secret string, plus its first 10 characters
//! (`pk_` and 7 random ones) so that humans can tell keys apart.
//!
//! A fast hash is deliberate. Slow password hashes (bcrypt, Argon2, …) exist to make
//! guessing *low-entropy human passwords* expensive; a key check runs on every request,
//! and a slow hash would cost milliseconds of CPU each time. Against 256-bit random
//! secrets it buys nothing: even a leaked database cannot be brute-forced, since
//! 2^256 SHA-256 evaluations are out of reach whatever their speed.
//!
//! # Timing
//!
//! [`Store::check_key`] does the same work for every presented value that is not a key
//! (well-formed or not): hash it, one indexed lookup by hash, one constant-time
//! comparison. Only a value whose full 256-bit hash matches a stored one takes a
//! different path, so timing cannot help an attacker guess a key. (The lookup itself is
//! by hash, so any timing of the index search depends on the hash, which an attacker
//! cannot steer towards a stored one.)

use std::fmt;
use std::time::SystemTime;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rusqlite::{OptionalExtension, Row, TransactionBehavior, params};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::consumers::{consumer_exists, load_consumer};
use crate::time::{from_millis, to_millis, truncate};
use crate::{Consumer, Store, StoreError};

/// What every secret starts with.
const SECRET_PREFIX: &str = "pk_";
/// Random bytes in a secret.
const SECRET_BYTES: usize = 32;
/// Length of a secret: the prefix and 43 base64 characters.
const SECRET_LEN: usize = SECRET_PREFIX.len() + (SECRET_BYTES * 4).div_ceil(3);
/// How many leading characters of the secret are kept, for humans.
const DISPLAY_PREFIX_LEN: usize = 10;
/// Maximum length of a key label.
const MAX_LABEL_LEN: usize = 256;

/// The columns of a key, as read by [`key_from_row`]; the table must be aliased `k`.
/// A macro so that it can be `concat!`-ed into SQL literals.
macro_rules! key_columns {
    () => {
        "k.id, k.consumer_id, k.prefix, k.label, k.created_at, k.expires_at, k.revoked_at"
    };
}

/// An API key as stored: everything but the secret.
///
/// Serialised with times as unix seconds (`u64`, or `null` when absent).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyRecord {
    /// Identifier: `key_` followed by 16 random hex digits. Not secret.
    pub id: String,
    /// The consumer the key authenticates.
    pub consumer_id: String,
    /// The first 10 characters of the secret (e.g. `pk_AbCdEfG`), for humans to
    /// recognise a key. Not enough to use it.
    pub prefix: String,
    /// Free-form label (e.g. "CI pipeline").
    pub label: Option<String>,
    /// When the key was created (millisecond precision).
    #[serde(with = "crate::time::unix_seconds")]
    pub created_at: SystemTime,
    /// When the key stops working, if ever: it is expired from this instant on.
    #[serde(with = "crate::time::opt_unix_seconds")]
    pub expires_at: Option<SystemTime>,
    /// When the key was revoked, if it was.
    #[serde(with = "crate::time::opt_unix_seconds")]
    pub revoked_at: Option<SystemTime>,
}

/// A freshly created key: the record and its secret, which is shown once and never
/// stored.
///
/// `Debug` prints `[REDACTED]` instead of the secret.
#[derive(Clone)]
pub struct NewKey {
    /// What the store keeps about the key.
    pub record: KeyRecord,
    /// The secret to hand to the consumer (`pk_…`, 46 characters).
    pub secret: String,
}

impl fmt::Debug for NewKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewKey")
            .field("record", &self.record)
            .field("secret", &"[REDACTED]")
            .finish()
    }
}

/// The outcome of [`Store::check_key`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[allow(
    clippy::large_enum_variant,
    reason = "built once per request and moved out at once; boxing would cost an allocation"
)]
pub enum KeyCheck {
    /// The key exists, is not revoked and has not expired.
    Valid {
        /// The key.
        key: KeyRecord,
        /// Its consumer.
        consumer: Consumer,
    },
    /// No such key (including values that do not even look like a key).
    Unknown,
    /// The key was revoked (whether or not it has also expired).
    Revoked,
    /// The key has expired.
    Expired,
}

impl Store {
    /// Creates a key for an existing consumer ([`StoreError::NotFound`] otherwise).
    /// Returns the record and the secret, which is shown once and never stored: only
    /// its SHA-256 is.
    ///
    /// The secret is `pk_` and the URL-safe base64 of 32 random bytes (256 bits). Its
    /// hash is a plain SHA-256 on purpose: a slow password hash would cost milliseconds
    /// on every request and buys nothing against 256-bit random secrets, which cannot be
    /// brute-forced even from a leaked database.
    ///
    /// The label may be at most 256 characters. `created_at` and `expires_at` are kept
    /// to the millisecond, and the returned record holds them as stored.
    pub fn create_key(
        &self,
        consumer_id: &str,
        label: Option<&str>,
        expires_at: Option<SystemTime>,
    ) -> Result<NewKey, StoreError> {
        if label.is_some_and(|l| l.chars().count() > MAX_LABEL_LEN) {
            return Err(StoreError::Invalid(format!(
                "key label must be at most {MAX_LABEL_LEN} characters"
            )));
        }
        let secret = generate_secret()?;
        let hash = hash_secret(&secret);
        let mut record = KeyRecord {
            id: generate_key_id()?,
            consumer_id: consumer_id.to_owned(),
            prefix: secret[..DISPLAY_PREFIX_LEN].to_owned(),
            label: label.map(str::to_owned),
            created_at: truncate(SystemTime::now()),
            expires_at: expires_at.map(truncate),
            revoked_at: None,
        };

        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        if !consumer_exists(&tx, consumer_id)? {
            return Err(StoreError::NotFound);
        }
        {
            let mut id_taken = tx.prepare_cached("SELECT 1 FROM api_keys WHERE id = ?1")?;
            // 64 random bits: a collision is essentially impossible, but cheap to rule out.
            while id_taken.exists([&record.id])? {
                record.id = generate_key_id()?;
            }
            let mut insert = tx.prepare_cached(
                "INSERT INTO api_keys (id, consumer_id, hash, prefix, label, created_at, expires_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?;
            insert.execute(params![
                record.id,
                record.consumer_id,
                hash.as_slice(),
                record.prefix,
                record.label,
                to_millis(record.created_at),
                record.expires_at.map(to_millis),
            ])?;
        }
        tx.commit()?;
        Ok(NewKey { record, secret })
    }

    /// The keys of one consumer (or of all consumers with `None`), revoked ones included,
    /// sorted by creation time then id. An unknown consumer simply has no keys.
    pub fn keys(&self, consumer_id: Option<&str>) -> Result<Vec<KeyRecord>, StoreError> {
        let conn = self.conn();
        // Two statements rather than `?1 IS NULL OR …`, so that each uses its index.
        let mut stmt = match consumer_id {
            Some(_) => conn.prepare_cached(concat!(
                "SELECT ",
                key_columns!(),
                " FROM api_keys k WHERE k.consumer_id = ?1 ORDER BY k.created_at, k.id"
            ))?,
            None => conn.prepare_cached(concat!(
                "SELECT ",
                key_columns!(),
                " FROM api_keys k ORDER BY k.created_at, k.id"
            ))?,
        };
        let rows: rusqlite::Result<Vec<KeyRecord>> = match consumer_id {
            Some(id) => stmt.query_map([id], |row| key_from_row(row, 0))?.collect(),
            None => stmt.query_map([], |row| key_from_row(row, 0))?.collect(),
        };
        Ok(rows?)
    }

    /// Marks a key revoked (kept for audit). `Ok(false)` when no such key (or already
    /// revoked).
    pub fn revoke_key(&self, key_id: &str) -> Result<bool, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "UPDATE api_keys SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
        )?;
        let changed = stmt.execute(params![key_id, to_millis(SystemTime::now())])?;
        Ok(changed > 0)
    }

    /// Checks a presented key at time `now`.
    ///
    /// Does the same work whatever the outcome (hash, one indexed lookup by hash,
    /// constant-time comparison of the hash), so that timing does not reveal whether a
    /// key exists; a value that does not look like a key goes through the same steps and
    /// is [`KeyCheck::Unknown`]. Revocation takes precedence over expiry; a key is
    /// expired when `expires_at <= now`.
    ///
    /// Nothing is cached between calls: each check reads the database, so a revocation
    /// by any process sharing the file applies to the very next request.
    pub fn check_key(&self, presented: &str, now: SystemTime) -> Result<KeyCheck, StoreError> {
        let well_formed = looks_like_secret(presented);
        let hash = hash_secret(presented);

        let conn = self.conn();
        let found = {
            let mut stmt = conn.prepare_cached(concat!(
                "SELECT k.hash, ",
                key_columns!(),
                " FROM api_keys k WHERE k.hash = ?1"
            ))?;
            stmt.query_row([hash.as_slice()], |row| {
                Ok((row.get::<_, Vec<u8>>(0)?, key_from_row(row, 1)?))
            })
            .optional()?
        };

        // Compare against a dummy when nothing was found, so both paths do the same.
        let stored = found.as_ref().map_or(&[0u8; 32][..], |(stored, _)| stored);
        let matches: bool = hash.as_slice().ct_eq(stored).into();
        let Some((_, key)) = found.filter(|_| matches && well_formed) else {
            return Ok(KeyCheck::Unknown);
        };
        if key.revoked_at.is_some() {
            return Ok(KeyCheck::Revoked);
        }
        if key
            .expires_at
            .is_some_and(|e| to_millis(e) <= to_millis(now))
        {
            return Ok(KeyCheck::Expired);
        }
        // Only now, after a full hash match, the consumer, by primary key. Not a JOIN
        // in the query above: SQLite's constant propagation would then re-prepare that
        // statement at every execution (the bound hash), about ten times slower.
        Ok(match load_consumer(&conn, &key.consumer_id)? {
            Some(consumer) => KeyCheck::Valid { key, consumer },
            // Deleted (with its keys) by another process between the two reads.
            None => KeyCheck::Unknown,
        })
    }
}

/// Reads a key from the columns of `key_columns!`, starting at column `at`.
fn key_from_row(row: &Row<'_>, at: usize) -> rusqlite::Result<KeyRecord> {
    Ok(KeyRecord {
        id: row.get(at)?,
        consumer_id: row.get(at + 1)?,
        prefix: row.get(at + 2)?,
        label: row.get(at + 3)?,
        created_at: from_millis(row.get(at + 4)?),
        expires_at: row.get::<_, Option<i64>>(at + 5)?.map(from_millis),
        revoked_at: row.get::<_, Option<i64>>(at + 6)?.map(from_millis),
    })
}

/// A new secret: `pk_` and the URL-safe base64 of 32 random bytes.
fn generate_secret() -> Result<String, StoreError> {
    let mut bytes = [0u8; SECRET_BYTES];
    getrandom::fill(&mut bytes).map_err(StoreError::Random)?;
    let mut secret = String::with_capacity(SECRET_LEN);
    secret.push_str(SECRET_PREFIX);
    URL_SAFE_NO_PAD.encode_string(bytes, &mut secret);
    Ok(secret)
}

/// A new key id: `key_` and 16 random hex digits.
fn generate_key_id() -> Result<String, StoreError> {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).map_err(StoreError::Random)?;
    Ok(format!("key_{:016x}", u64::from_be_bytes(bytes)))
}

/// The SHA-256 of the whole secret string, as stored. See the module docs for why a
/// fast hash is right here.
fn hash_secret(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.as_bytes()).into()
}

/// Whether `value` has the shape of a secret (prefix, length, alphabet). Not
/// constant-time: the shape of the presented value is the caller's, not a secret.
fn looks_like_secret(value: &str) -> bool {
    value.len() == SECRET_LEN
        && value.starts_with(SECRET_PREFIX)
        && value[SECRET_PREFIX.len()..]
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_key_debug_redacts_the_secret() {
        let store = Store::in_memory().unwrap();
        store
            .create_consumer(&Consumer {
                id: "c".into(),
                name: "C".into(),
                scopes: vec![],
                roles: vec![],
                rate_plan: None,
                metadata: Default::default(),
                certificates: vec![],
                origin: crate::Origin::Api,
            })
            .unwrap();
        let key = store.create_key("c", Some("ci"), None).unwrap();
        let debug = format!("{key:?}");
        assert!(!debug.contains(&key.secret), "{debug}");
        assert!(
            !debug.contains(&key.secret[DISPLAY_PREFIX_LEN..]),
            "{debug}"
        );
        assert!(debug.contains("[REDACTED]"), "{debug}");
        assert!(debug.contains(&key.record.id), "{debug}");
    }

    #[test]
    fn secret_shape() {
        let secret = generate_secret().unwrap();
        assert_eq!(secret.len(), SECRET_LEN);
        assert_eq!(SECRET_LEN, 46);
        assert!(looks_like_secret(&secret));
        assert!(!looks_like_secret(&secret[1..]));
        assert!(!looks_like_secret(&format!("xx_{}", &secret[3..])));
        assert!(!looks_like_secret(&format!("{}+", &secret[..45])));
        let id = generate_key_id().unwrap();
        assert!(id.starts_with("key_") && id.len() == 20, "{id}");
        assert!(id[4..].bytes().all(|b| b.is_ascii_hexdigit()));
    }
}
