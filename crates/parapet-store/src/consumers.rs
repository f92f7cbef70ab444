//! Consumers: who calls the APIs, what they may do, and how they are recognised.

use std::collections::{BTreeMap, BTreeSet};

use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ToSqlOutput, Type, ValueRef};
use rusqlite::{Connection, OptionalExtension, Row, ToSql, TransactionBehavior, params};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::{Store, StoreError};

/// The columns of a consumer, as read by [`consumer_from_row`]; the table must be
/// aliased `c`. A macro so that it can be `concat!`-ed into SQL literals.
macro_rules! consumer_columns {
    () => {
        "c.id, c.name, c.scopes, c.roles, c.rate_plan, c.metadata, c.certificates, c.origin"
    };
}

/// Selects one consumer by id.
const SELECT_CONSUMER: &str = concat!(
    "SELECT ",
    consumer_columns!(),
    " FROM consumers c WHERE c.id = ?1"
);

/// A consumer of the APIs: a person, service or partner, identified by API keys,
/// tokens or client certificates.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Consumer {
    /// Stable identifier: 1–128 characters of `[A-Za-z0-9._@:-]`.
    pub id: String,
    /// Human-readable name: non-empty, at most 256 characters.
    pub name: String,
    /// Scopes granted to the consumer (non-empty, no whitespace).
    #[serde(default)]
    pub scopes: Vec<String>,
    /// Roles of the consumer (non-empty, no whitespace).
    #[serde(default)]
    pub roles: Vec<String>,
    /// Name of the rate plan that applies, if any.
    #[serde(default)]
    pub rate_plan: Option<String>,
    /// Free-form string metadata (forwarded to upstreams, shown in logs, …).
    #[serde(default)]
    pub metadata: BTreeMap<String, String>,
    /// Client-certificate names (subject DN or SAN, exact strings) that identify this
    /// consumer over mTLS. A name belongs to at most one consumer.
    #[serde(default)]
    pub certificates: Vec<String>,
    /// Where the consumer comes from. Defaults to [`Origin::Api`] when absent.
    #[serde(default)]
    pub origin: Origin,
}

/// Where a consumer was declared.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Origin {
    /// Declared in the configuration file; re-written at every config load.
    Config,
    /// Created through the admin API; lives only in the store.
    #[default]
    Api,
}

impl Origin {
    fn as_str(self) -> &'static str {
        match self {
            Origin::Config => "config",
            Origin::Api => "api",
        }
    }
}

impl ToSql for Origin {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::from(self.as_str()))
    }
}

impl FromSql for Origin {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        match value.as_str()? {
            "config" => Ok(Origin::Config),
            "api" => Ok(Origin::Api),
            other => Err(FromSqlError::Other(
                format!("unknown consumer origin {other:?}").into(),
            )),
        }
    }
}

impl Store {
    /// Inserts or replaces the consumer with this id, marking its origin (config-declared
    /// consumers are re-written at every config load). `c.origin` is ignored in favour
    /// of `origin`.
    ///
    /// Replacing keeps the consumer's API keys. Fails with [`StoreError::Invalid`] if the
    /// consumer does not validate or claims a certificate name that belongs to another
    /// consumer.
    pub fn put_consumer(&self, c: &Consumer, origin: Origin) -> Result<(), StoreError> {
        validate_consumer(c)?;
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        upsert_consumer_row(&tx, c, origin)?;
        insert_certificates(&tx, c)?;
        tx.commit()?;
        Ok(())
    }

    /// Inserts a new consumer, with the origin given in `c.origin`.
    ///
    /// Fails with [`StoreError::Exists`] if the id is taken, and with
    /// [`StoreError::Invalid`] if the consumer does not validate or claims a certificate
    /// name that belongs to another consumer.
    pub fn create_consumer(&self, c: &Consumer) -> Result<(), StoreError> {
        validate_consumer(c)?;
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        if consumer_exists(&tx, &c.id)? {
            return Err(StoreError::Exists);
        }
        upsert_consumer_row(&tx, c, c.origin)?;
        insert_certificates(&tx, c)?;
        tx.commit()?;
        Ok(())
    }

    /// Makes the config-declared consumers exactly `consumers`, atomically: each is put
    /// with [`Origin::Config`] (as by [`Store::put_consumer`]), and every other consumer of
    /// origin `Config` is deleted with its keys. Consumers created through the API are
    /// left alone, unless the configuration declares the same id (the configuration wins).
    ///
    /// Unlike a sequence of `put_consumer` calls, this lets a certificate name move from
    /// one config consumer to another. Returns the ids of the deleted consumers, sorted.
    /// On error nothing is changed.
    pub fn sync_config_consumers(&self, consumers: &[Consumer]) -> Result<Vec<String>, StoreError> {
        let mut ids = BTreeSet::new();
        for c in consumers {
            validate_consumer(c)?;
            if !ids.insert(c.id.as_str()) {
                return Err(StoreError::Invalid(format!(
                    "consumer id {:?} is declared twice",
                    c.id
                )));
            }
        }
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut removed = Vec::new();
        {
            let mut stmt =
                tx.prepare("SELECT id FROM consumers WHERE origin = 'config' ORDER BY id")?;
            let existing = stmt.query_map([], |row| row.get::<_, String>(0))?;
            for id in existing {
                let id = id?;
                if !ids.contains(id.as_str()) {
                    removed.push(id);
                }
            }
        }
        for id in &removed {
            tx.execute("DELETE FROM consumers WHERE id = ?1", [id])?;
        }
        // Rows first (which also clears each one's certificates), then all certificates,
        // so that a name may move between consumers of this batch.
        for c in consumers {
            upsert_consumer_row(&tx, c, Origin::Config)?;
        }
        for c in consumers {
            insert_certificates(&tx, c)?;
        }
        tx.commit()?;
        Ok(removed)
    }

    /// The consumer with this id, if any.
    pub fn consumer(&self, id: &str) -> Result<Option<Consumer>, StoreError> {
        load_consumer(&self.conn(), id)
    }

    /// All consumers, sorted by id.
    pub fn consumers(&self) -> Result<Vec<Consumer>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(concat!(
            "SELECT ",
            consumer_columns!(),
            " FROM consumers c ORDER BY c.id"
        ))?;
        let rows = stmt.query_map([], consumer_from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Deletes the consumer and all its keys. `Ok(false)` when it did not exist.
    pub fn delete_consumer(&self, id: &str) -> Result<bool, StoreError> {
        let conn = self.conn();
        // Keys and certificate names go with it: ON DELETE CASCADE.
        let deleted = conn.execute("DELETE FROM consumers WHERE id = ?1", [id])?;
        Ok(deleted > 0)
    }

    /// The consumer whose `certificates` list contains any of `names` (a client
    /// certificate's subject DN and SANs), for mTLS identities. Exact string match, via
    /// an indexed table.
    ///
    /// Fails closed: if the names match two different consumers, this is a
    /// misconfiguration and the result is [`StoreError::Invalid`], not a guess.
    pub fn consumer_by_certificate(&self, names: &[&str]) -> Result<Option<Consumer>, StoreError> {
        let conn = self.conn();
        let mut found: Option<String> = None;
        {
            let mut stmt = conn
                .prepare_cached("SELECT consumer_id FROM consumer_certificates WHERE name = ?1")?;
            for name in names {
                let Some(id) = stmt
                    .query_row([name], |row| row.get::<_, String>(0))
                    .optional()?
                else {
                    continue;
                };
                match &found {
                    Some(first) if *first != id => {
                        return Err(StoreError::Invalid(format!(
                            "client certificate matches several consumers ({first:?} and {id:?})"
                        )));
                    }
                    _ => found = Some(id),
                }
            }
        }
        let Some(id) = found else {
            return Ok(None);
        };
        load_consumer(&conn, &id)
    }
}

/// The consumer with this id, if any.
pub(crate) fn load_consumer(conn: &Connection, id: &str) -> Result<Option<Consumer>, StoreError> {
    let mut stmt = conn.prepare_cached(SELECT_CONSUMER)?;
    Ok(stmt.query_row([id], consumer_from_row).optional()?)
}

/// Whether a consumer with this id exists.
pub(crate) fn consumer_exists(conn: &Connection, id: &str) -> Result<bool, StoreError> {
    let mut stmt = conn.prepare_cached("SELECT 1 FROM consumers WHERE id = ?1")?;
    Ok(stmt.exists([id])?)
}

/// Inserts or updates the consumer's row (keeping its keys: an UPSERT, not a
/// `REPLACE`, which would delete the row and cascade to the keys), and clears its
/// certificate names; [`insert_certificates`] writes them back.
fn upsert_consumer_row(conn: &Connection, c: &Consumer, origin: Origin) -> Result<(), StoreError> {
    let mut stmt = conn.prepare_cached(
        "INSERT INTO consumers (id, name, scopes, roles, rate_plan, metadata, certificates, origin)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
         ON CONFLICT (id) DO UPDATE SET
             name = excluded.name, scopes = excluded.scopes, roles = excluded.roles,
             rate_plan = excluded.rate_plan, metadata = excluded.metadata,
             certificates = excluded.certificates, origin = excluded.origin",
    )?;
    stmt.execute(params![
        c.id,
        c.name,
        to_json(&c.scopes)?,
        to_json(&c.roles)?,
        c.rate_plan,
        to_json(&c.metadata)?,
        to_json(&c.certificates)?,
        origin,
    ])?;
    let mut clear =
        conn.prepare_cached("DELETE FROM consumer_certificates WHERE consumer_id = ?1")?;
    clear.execute([&c.id])?;
    Ok(())
}

/// Indexes the consumer's certificate names, refusing names held by another consumer.
fn insert_certificates(conn: &Connection, c: &Consumer) -> Result<(), StoreError> {
    let mut owner =
        conn.prepare_cached("SELECT consumer_id FROM consumer_certificates WHERE name = ?1")?;
    let mut insert = conn
        .prepare_cached("INSERT INTO consumer_certificates (name, consumer_id) VALUES (?1, ?2)")?;
    for name in &c.certificates {
        let holder: Option<String> = owner.query_row([name], |row| row.get(0)).optional()?;
        match holder {
            Some(holder) if holder != c.id => {
                return Err(StoreError::Invalid(format!(
                    "certificate name {name:?} already identifies consumer {holder:?}"
                )));
            }
            Some(_) => {} // Listed twice for this consumer.
            None => {
                insert.execute([name, &c.id])?;
            }
        }
    }
    Ok(())
}

/// Reads a consumer from the columns of `consumer_columns!`.
fn consumer_from_row(row: &Row<'_>) -> rusqlite::Result<Consumer> {
    Ok(Consumer {
        id: row.get(0)?,
        name: row.get(1)?,
        scopes: from_json(row, 2)?,
        roles: from_json(row, 3)?,
        rate_plan: row.get(4)?,
        metadata: from_json(row, 5)?,
        certificates: from_json(row, 6)?,
        origin: row.get(7)?,
    })
}

fn to_json<T: Serialize>(value: &T) -> Result<String, StoreError> {
    // Serialising strings, lists and maps of strings cannot fail; be safe anyway.
    serde_json::to_string(value).map_err(|e| StoreError::Invalid(e.to_string()))
}

fn from_json<T: DeserializeOwned>(row: &Row<'_>, idx: usize) -> rusqlite::Result<T> {
    let text: String = row.get(idx)?;
    serde_json::from_str(&text)
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(idx, Type::Text, Box::new(e)))
}

/// Checks a consumer's fields, with a message naming the first problem.
fn validate_consumer(c: &Consumer) -> Result<(), StoreError> {
    validate_consumer_id(&c.id)?;
    let name_len = c.name.chars().count();
    if c.name.trim().is_empty() || name_len > 256 {
        return Err(StoreError::Invalid(format!(
            "consumer {:?}: name must be non-empty and at most 256 characters",
            c.id
        )));
    }
    for (kind, list) in [("scope", &c.scopes), ("role", &c.roles)] {
        for item in list {
            if item.is_empty() || item.chars().any(char::is_whitespace) {
                return Err(StoreError::Invalid(format!(
                    "consumer {:?}: {kind} {item:?} must be non-empty and contain no whitespace",
                    c.id
                )));
            }
        }
    }
    if c.rate_plan.as_deref().is_some_and(|p| p.trim().is_empty()) {
        return Err(StoreError::Invalid(format!(
            "consumer {:?}: rate plan must not be empty",
            c.id
        )));
    }
    if c.certificates.iter().any(|n| n.trim().is_empty()) {
        return Err(StoreError::Invalid(format!(
            "consumer {:?}: certificate names must not be empty",
            c.id
        )));
    }
    Ok(())
}

/// Consumer ids: 1–128 characters of `[A-Za-z0-9._@:-]`.
pub(crate) fn validate_consumer_id(id: &str) -> Result<(), StoreError> {
    let ok = (1..=128).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'@' | b':' | b'-'));
    if ok {
        Ok(())
    } else {
        Err(StoreError::Invalid(format!(
            "consumer id {id:?} must be 1 to 128 characters of A-Z a-z 0-9 . _ @ : -"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn consumer_ids() {
        for ok in ["a", "svc.billing", "alice@example.com", "urn:x:y", "a_b-c"] {
            assert!(validate_consumer_id(ok).is_ok(), "{ok}");
        }
        let long = "a".repeat(129);
        for bad in ["", "a b", "a/b", "é", long.as_str(), "a\n"] {
            assert!(validate_consumer_id(bad).is_err(), "{bad:?}");
        }
        assert!(validate_consumer_id(&"a".repeat(128)).is_ok());
    }

    #[test]
    fn origin_serde_is_lowercase_and_defaults_to_api() {
        assert_eq!(
            serde_json::to_string(&Origin::Config).unwrap(),
            "\"config\""
        );
        let c: Consumer = serde_json::from_str(r#"{"id":"a","name":"A"}"#).unwrap();
        assert_eq!(c.origin, Origin::Api);
        assert!(c.scopes.is_empty() && c.certificates.is_empty() && c.rate_plan.is_none());
    }
}
