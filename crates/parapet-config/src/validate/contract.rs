//! Validation of contract enforcement: the API's `contract:` spec (loaded and compiled
//! here, so that `parapet check` and a reload report spec errors like config errors) and
//! the `contract` policy block.

use super::Checker;
use crate::error::ConfigError;
use crate::file::{self, SpannedStr};
use crate::model::*;
use crate::units::ByteSize;
use parapet_contract::limits::graphql::GraphqlLimits;
use serde_saphyr::Spanned;
use std::sync::Arc;

/// Loads and compiles the spec an API names; its files are watched for reload.
pub(super) fn spec(path: &SpannedStr, base_path: &str, c: &mut Checker) -> Option<Spec> {
    let file = c.path(path);
    match parapet_contract::Contract::load(&file) {
        Ok(contract) => {
            for f in contract.files().iter().skip(1) {
                c.watched.push(f.clone());
            }
            Some(Spec {
                contract: Arc::new(contract),
                base_path: base_path.to_string(),
            })
        }
        Err(errors) => {
            for e in errors {
                c.errors.push(ConfigError {
                    file: e.file,
                    line: 0,
                    column: 0,
                    reason: if e.pointer.is_empty() {
                        e.reason
                    } else {
                        format!("at #{}: {}", e.pointer, e.reason)
                    },
                });
            }
            None
        }
    }
}

fn count(v: &Option<Spanned<u32>>, default: usize, what: &str, c: &mut Checker) -> usize {
    c.positive_u32(v, default as u32, what) as usize
}

fn bytes(v: &Option<Spanned<ByteSize>>, default: usize, what: &str, c: &mut Checker) -> usize {
    c.positive_size(v, what).map_or(default, |n| n as usize)
}

/// The `contract` block.
pub(super) fn contract(block: &Spanned<file::Contract>, c: &mut Checker) -> ContractPolicy {
    let b = &block.value;
    let d = ContractPolicy::default();
    let mut limits = d.limits.clone();
    if let Some(j) = &b.json {
        let l = &mut limits.json;
        l.max_depth = count(&j.max_depth, l.max_depth, "json.max_depth", c);
        l.max_keys = count(&j.max_keys, l.max_keys, "json.max_keys", c);
        l.max_array_length = count(
            &j.max_array_length,
            l.max_array_length,
            "json.max_array_length",
            c,
        );
        l.max_string_length = bytes(
            &j.max_string_length,
            l.max_string_length,
            "json.max_string_length",
            c,
        );
        l.max_number_length = count(
            &j.max_number_length,
            l.max_number_length,
            "json.max_number_length",
            c,
        );
    }
    if let Some(x) = &b.xml {
        let l = &mut limits.xml;
        l.max_depth = count(&x.max_depth, l.max_depth, "xml.max_depth", c);
        l.max_elements = count(&x.max_elements, l.max_elements, "xml.max_elements", c);
        l.max_attributes = count(&x.max_attributes, l.max_attributes, "xml.max_attributes", c);
        l.max_text_length = bytes(
            &x.max_text_length,
            l.max_text_length,
            "xml.max_text_length",
            c,
        );
    }
    if let Some(m) = &b.multipart {
        limits.max_part_size = c
            .positive_size(&m.max_part_size, "multipart.max_part_size")
            .unwrap_or(limits.max_part_size);
        limits.max_parts = count(&m.max_parts, limits.max_parts, "multipart.max_parts", c);
    }
    let graphql = b.graphql.as_ref().map(|g| {
        let d = GraphqlLimits::default();
        GraphqlLimits {
            max_depth: count(&g.max_depth, d.max_depth, "graphql.max_depth", c),
            max_aliases: count(&g.max_aliases, d.max_aliases, "graphql.max_aliases", c),
            max_fields: count(&g.max_fields, d.max_fields, "graphql.max_fields", c),
            max_batch: count(&g.max_batch, d.max_batch, "graphql.max_batch", c),
            max_tokens: count(&g.max_tokens, d.max_tokens, "graphql.max_tokens", c),
            introspection: g.introspection.unwrap_or(false),
            ..d
        }
    });
    ContractPolicy {
        spec: None,
        requests: b.requests.unwrap_or(d.requests),
        responses: b.responses.unwrap_or(d.responses),
        unknown_endpoints: b.unknown_endpoints.unwrap_or(d.unknown_endpoints),
        strict: b.strict.unwrap_or(d.strict),
        filter_responses: b.filter_responses.unwrap_or(d.filter_responses),
        max_violations: count(&b.max_violations, d.max_violations, "max_violations", c),
        limits,
        graphql,
    }
}

/// A route's contract policy with its API's spec: the route's (or the API's) block, or
/// the defaults when the API has a spec and neither sets one.
pub(super) fn with_spec(
    policy: Option<ContractPolicy>,
    spec: &Option<Spec>,
) -> Option<ContractPolicy> {
    match (policy, spec) {
        (Some(p), s) => Some(ContractPolicy {
            spec: s.clone(),
            ..p
        }),
        (None, Some(s)) => Some(ContractPolicy {
            spec: Some(s.clone()),
            ..ContractPolicy::default()
        }),
        (None, None) => None,
    }
}
