//! The `authz` policy: function level (required scopes, one of the required roles) and
//! object level (a request value such as `path.id` must equal an identity value such as
//! `claims.sub`, unless the identity holds a bypass role). Every refusal is the same 403;
//! the event names the rule that failed.

use bytes::Bytes;
use parapet_config::{IdentityValue, Mode, ObjectRule, RequestValue};
use parapet_policy::values::{self, query_value};
use parapet_policy::{Decision, Identity, Part, Policy, Refusal, RequestContext, Step, reasons};
use serde_json::Value;

reasons! {
    /// The identity may not perform this operation on this object.
    FORBIDDEN = (FORBIDDEN, "forbidden", "Access denied");
}

/// The authorization policy of one route.
#[derive(Debug)]
pub struct Authz {
    config: parapet_config::Authz,
    /// Whether some object rule reads the body (then the body is buffered and checked).
    reads_body: bool,
}

impl Authz {
    /// The policy for a route's `authz` block.
    pub fn new(config: parapet_config::Authz) -> Self {
        let reads_body = config
            .object
            .iter()
            .any(|r| matches!(r.left, RequestValue::Body(_)));
        Authz { config, reads_body }
    }

    fn deny(cause: &'static str, part: Part, rule: Option<&ObjectRule>) -> Decision {
        Refusal {
            snippet: rule.map(|r| r.text.clone()),
            ..Refusal::new(FORBIDDEN, part).cause(cause)
        }
        .into()
    }

    /// Whether the object rules apply to `id` (bypass roles skip them).
    fn bypassed(&self, id: &Identity) -> bool {
        id.roles
            .iter()
            .any(|r| self.config.unless_roles.contains(r))
    }
}

/// The identity value a rule compares against.
fn identity_value(id: &Identity, v: &IdentityValue) -> Option<String> {
    match v {
        IdentityValue::Consumer => Some(id.consumer.clone()),
        IdentityValue::Metadata(k) => id.metadata.get(k).cloned(),
        IdentityValue::Claim(path) => values::claim(id, path),
    }
}

impl Policy for Authz {
    fn name(&self) -> &'static str {
        "authz"
    }

    fn order(&self) -> u16 {
        350
    }

    fn mode(&self) -> Mode {
        self.config.mode
    }

    fn on_request_headers<'a>(
        &'a self,
        ctx: &'a mut RequestContext,
        req: &'a mut http::request::Parts,
    ) -> Step<'a> {
        let c = &self.config;
        let Some(id) = ctx.identity.as_deref() else {
            return Self::deny("no-identity", Part::Header(None), None).into();
        };
        if let Some(missing) = c.scopes.iter().find(|s| !id.scopes.contains(s)) {
            let refusal = Refusal {
                snippet: Some(format!("missing scope {missing}")),
                ..Refusal::new(FORBIDDEN, Part::Path).cause("missing-scope")
            };
            return Decision::from(refusal).into();
        }
        if !c.roles.is_empty() && !id.roles.iter().any(|r| c.roles.contains(r)) {
            return Self::deny("missing-role", Part::Path, None).into();
        }
        if self.bypassed(id) {
            return Decision::Continue.into();
        }
        for rule in &c.object {
            let (value, part) = match &rule.left {
                RequestValue::Path(p) => (
                    ctx.path_params
                        .iter()
                        .find(|(k, _)| k == p)
                        .map(|(_, v)| v.clone()),
                    Part::Path,
                ),
                RequestValue::Query(q) => (
                    query_value(req.uri.query(), q),
                    Part::Query(Some(q.clone())),
                ),
                RequestValue::Header(h) => (
                    req.headers
                        .get(h.as_str())
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_string),
                    Part::Header(Some(h.clone())),
                ),
                RequestValue::Body(_) => continue,
            };
            let expected = identity_value(id, &rule.right);
            if value.is_none() || value != expected {
                return Self::deny("object-mismatch", part, Some(rule)).into();
            }
        }
        Decision::Continue.into()
    }

    fn inspects_request_body(&self) -> bool {
        self.reads_body
    }

    fn on_request_body<'a>(
        &'a self,
        ctx: &'a mut RequestContext,
        _req: &'a http::request::Parts,
        body: &'a Bytes,
    ) -> Step<'a> {
        self.judge_body(ctx, body).into()
    }
}

impl Authz {
    /// The object rules on body fields.
    fn judge_body(&self, ctx: &RequestContext, body: &Bytes) -> Decision {
        let Some(id) = ctx.identity.as_deref() else {
            return Self::deny("no-identity", Part::Body, None);
        };
        if self.bypassed(id) {
            return Decision::Continue;
        }
        let json: Option<Value> = serde_json::from_slice(body).ok();
        for rule in &self.config.object {
            let RequestValue::Body(path) = &rule.left else {
                continue;
            };
            let value = json.as_ref().and_then(|j| values::json_field(j, path));
            if value.is_none() || value != identity_value(id, &rule.right) {
                return Self::deny("object-mismatch", Part::Body, Some(rule));
            }
        }
        Decision::Continue
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claims_compare_as_scalars() {
        let mut id = Identity::default();
        id.claims.insert("sub".into(), Value::from(42));
        id.claims
            .insert("org".into(), serde_json::json!({"id": "o1"}));
        assert_eq!(
            identity_value(&id, &IdentityValue::Claim(vec!["sub".into()])).as_deref(),
            Some("42")
        );
        let org = IdentityValue::Claim(vec!["org".into(), "id".into()]);
        assert_eq!(identity_value(&id, &org).as_deref(), Some("o1"));
        assert_eq!(
            identity_value(&id, &IdentityValue::Claim(vec!["org".into()])),
            None
        );
    }
}
