//! The store's error type.

/// Why a store operation failed.
///
/// Messages never contain key secrets: the store never holds a secret after
/// [`Store::create_key`](crate::Store::create_key) returns, and only hashes are
/// ever handed to SQLite.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The record already exists (e.g. a consumer id that is taken).
    #[error("already exists")]
    Exists,
    /// The record the operation refers to does not exist (e.g. the consumer of a new key).
    #[error("not found")]
    NotFound,
    /// The input was refused by validation; the message says why.
    #[error("invalid: {0}")]
    Invalid(String),
    /// The operating system's random number generator failed (key generation).
    #[error("random number generator failed: {0}")]
    Random(getrandom::Error),
    /// SQLite failed (I/O, lock timeout, corrupt data, …).
    #[error("database error: {0}")]
    Db(#[from] rusqlite::Error),
}

impl StoreError {
    /// Shorthand for [`StoreError::Invalid`].
    pub(crate) fn invalid(message: impl Into<String>) -> Self {
        Self::Invalid(message.into())
    }
}
