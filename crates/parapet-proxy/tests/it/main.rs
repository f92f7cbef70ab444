//! Integration tests over real sockets: client → Parapet → an upstream started by the test.

mod common;
mod pipeline;
mod proxying;
mod reload;
mod smuggling;
mod tls;
mod upstreams;
mod websocket;
