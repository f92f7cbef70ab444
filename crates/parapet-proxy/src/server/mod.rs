//! Client-facing listeners: accept, connection-phase policies, TLS, HTTP/1.1 and HTTP/2.

mod client_io;
pub mod listener;
pub mod tls;
