//! Parapet's positive security model, as a pure engine (no I/O besides reading spec files):
//! load an OpenAPI 3.0/3.1 contract, compile its router and validators once, and check
//! requests and responses against it. Threat limits on JSON, XML and GraphQL bodies are
//! enforced while the body is parsed, once.
//!
//! ```text
//! spec files ─► spec (read, $ref across files) ─► spec::convert (3.0 → 2020-12, views)
//!            ─► schema (validators + shapes) ─► operation ─► contract (router + lookup)
//! request    ─► contract.lookup ─► operation.check_params / body_plan / check_body
//! response   ─► operation.response ─► schema.check (validate, filter exposure)
//! ```

pub mod body;
pub mod contract;
pub mod limits;
pub mod operation;
pub mod params;
pub mod router;
pub mod schema;
pub mod spec;
pub mod typed;
pub mod violation;

pub use contract::{Contract, Lookup};
pub use operation::{BodyPlan, Checks, Operation};
pub use schema::{Findings, Judge};
pub use spec::SpecError;
pub use spec::convert::Direction;
pub use violation::{Part, Violation};
