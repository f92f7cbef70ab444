//! Validated contract enforcement: the compiled spec of an API and how each route uses it.

pub use crate::file::{CheckMode, UnknownEndpoints};
use parapet_contract::body::BodyLimits;
use parapet_contract::limits::graphql::GraphqlLimits;
use std::sync::Arc;

/// A compiled OpenAPI contract, shared by the routes of its API.
#[derive(Clone, Debug)]
pub struct Spec {
    /// The compiled contract.
    pub contract: Arc<parapet_contract::Contract>,
    /// The API's base path, which the spec's paths are relative to.
    pub base_path: String,
}

impl PartialEq for Spec {
    /// Two specs are equal when they are the same compiled contract.
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.contract, &other.contract) && self.base_path == other.base_path
    }
}

impl Eq for Spec {}

/// The contract policy of a route.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContractPolicy {
    /// The API's contract; `None` checks the body threat limits only.
    pub spec: Option<Spec>,
    /// How requests are checked.
    pub requests: CheckMode,
    /// How responses are checked.
    pub responses: CheckMode,
    /// Endpoints the contract does not declare.
    pub unknown_endpoints: UnknownEndpoints,
    /// Refuse undeclared query parameters and body properties.
    pub strict: bool,
    /// Remove undeclared and `writeOnly` properties from responses.
    pub filter_responses: bool,
    /// Most violations listed in a refusal.
    pub max_violations: usize,
    /// Body threat limits.
    pub limits: BodyLimits,
    /// GraphQL limits, when the route is a GraphQL endpoint.
    pub graphql: Option<GraphqlLimits>,
}

impl Default for ContractPolicy {
    fn default() -> Self {
        ContractPolicy {
            spec: None,
            requests: CheckMode::Enforce,
            responses: CheckMode::Monitor,
            unknown_endpoints: UnknownEndpoints::Deny,
            strict: false,
            filter_responses: true,
            max_violations: 10,
            limits: BodyLimits::default(),
            graphql: None,
        }
    }
}
