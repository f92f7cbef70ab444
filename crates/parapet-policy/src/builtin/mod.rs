//! Built-in policies, one module each, and [`build`], which turns a route's validated
//! [`PolicySet`] into its ordered list of policies.

pub mod contract;
pub mod detect;
pub mod ip_access;
pub mod limits;

use crate::Policy;
use parapet_config::PolicySet;
use std::sync::Arc;

pub use contract::ContractGate;
pub use detect::Detection;
pub use ip_access::IpAccess;
pub use limits::Limits;

/// The policies of a route, sorted by [`Policy::order`].
pub fn build(set: &PolicySet) -> Vec<Arc<dyn Policy>> {
    let mut out: Vec<Arc<dyn Policy>> = Vec::new();
    if let Some(c) = &set.ip_access {
        out.push(Arc::new(IpAccess::new(c.clone())));
    }
    if let Some(c) = &set.limits {
        out.push(Arc::new(Limits::new(c.clone())));
    }
    if let Some(c) = &set.contract {
        out.push(Arc::new(ContractGate::new(c.clone())));
    }
    if let Some(c) = &set.detect {
        out.push(Arc::new(Detection::new(c.clone(), set.contract.as_ref())));
    }
    out.sort_by_key(|p| p.order());
    out
}
