//! Integration tests over real sockets: client → Parapet → an upstream started by the test.

// Test helpers outside #[test] functions unwrap too: a failed setup is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod certs;
mod common;
mod contract;
mod detect;
mod http2;
mod identity;
mod pipeline;
mod proxying;
mod reload;
mod replay;
mod slow_clients;
mod smuggling;
mod tls;
mod traffic;
mod upstreams;
mod websocket;
