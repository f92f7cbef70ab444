//! Traffic-control policies: rate limits, quotas, spike arrest, concurrency limits, replay
//! protection, HTTP message signatures and idempotency keys.

pub mod signature;
