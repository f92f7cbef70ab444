//! Threat limits, checked while a body is parsed once and before any schema work: JSON
//! (depth, keys, lengths, duplicate keys), XML (no DTD, no entities, depth and counts) and
//! GraphQL (depth, aliases, fields, batches, introspection).

pub mod graphql;
pub mod json;
pub mod xml;
