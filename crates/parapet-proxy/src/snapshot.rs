//! A configuration compiled for the request path: routers, the ordered policies of every
//! route, upstream groups, TLS configs and log sinks. A snapshot is immutable; reload builds
//! a new one off the request path and swaps it in, and requests in flight keep theirs.

use crate::server::tls;
use crate::telemetry::access::Redactor;
use crate::telemetry::{LogSink, Metrics};
use crate::upstream::Group;
use http::{HeaderValue, Method};
use parapet_config::{Config, DEFAULT_MAX_BODY, Mode, PolicySet};
use parapet_identity::revocation::Revocations;
use parapet_policy::Policy;
use parapet_policy::percent::decode_or_raw;
use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::Arc;

/// Everything a request needs, compiled from one config.
pub struct Snapshot {
    /// The config it was built from.
    pub config: Config,
    /// APIs, most specific first.
    pub apis: Vec<CompiledApi>,
    /// Upstream groups by name.
    pub groups: BTreeMap<String, Arc<Group>>,
    /// Per-listener TLS and connection policies.
    pub listeners: HashMap<SocketAddr, ListenerPlan>,
    /// The listeners that send `Strict-Transport-Security`, and its value (a short list,
    /// often empty, looked at on every response).
    hsts: Vec<(SocketAddr, HeaderValue)>,
    /// Access-log redaction.
    pub redactor: Redactor,
    /// Access log.
    pub access_log: LogSink,
    /// Security events.
    pub events: LogSink,
    /// Identity: store, key caches, failure counters.
    pub identity: Arc<parapet_identity::Runtime>,
    /// Traffic state: rate counters, quotas, in-flight counts.
    pub traffic: Arc<parapet_traffic::Runtime>,
}

/// What a listener applies to its connections.
pub struct ListenerPlan {
    /// TLS config, when TLS is terminated.
    pub tls: Option<Arc<rustls::ServerConfig>>,
    /// `Strict-Transport-Security` value.
    pub hsts: Option<HeaderValue>,
    /// Connection-phase policies.
    pub policies: Vec<Arc<dyn Policy>>,
}

/// An API ready for matching.
pub struct CompiledApi {
    /// Name.
    pub name: Arc<str>,
    base_path: String,
    hosts: Vec<String>,
    /// Its upstream group.
    pub group: Arc<Group>,
    fallback: RoutePlan,
    by_method: HashMap<Method, matchit::Router<usize>>,
    any_method: matchit::Router<usize>,
    routes: Vec<RoutePlan>,
}

/// How the pipeline runs for one route.
pub struct RoutePlan {
    /// `METHOD /template` of a declared route; `None` for the API fallback.
    pub template: Option<Arc<str>>,
    /// Policies in pipeline order.
    pub policies: Arc<[Arc<dyn Policy>]>,
    /// Largest request body, and the policy that set it (`gateway` for the default).
    pub body_limit: (u64, &'static str),
    /// Whether some policy inspects the request body (so it is buffered).
    pub buffer_request: bool,
    /// Whether some policy inspects the response body.
    pub buffer_response: bool,
}

impl RoutePlan {
    fn new(
        template: Option<String>,
        set: &PolicySet,
        identity: &parapet_identity::Runtime,
        traffic: &parapet_traffic::Runtime,
    ) -> Self {
        let mut policies = parapet_policy::builtin::build(set);
        let revocations = Revocations::new(traffic.state(), identity.store());
        policies.extend(identity.policies(set, &revocations));
        policies.extend(traffic.policies(set));
        policies.sort_by_key(|p| p.order());
        let body_limit = policies
            .iter()
            .filter(|p| p.mode() == Mode::Enforce)
            .filter_map(|p| p.max_request_body().map(|n| (n, p.name())))
            .min()
            .unwrap_or((DEFAULT_MAX_BODY, "gateway"));
        RoutePlan {
            template: template.map(Arc::from),
            buffer_request: policies.iter().any(|p| p.inspects_request_body()),
            buffer_response: policies.iter().any(|p| p.inspects_response_body()),
            policies: policies.into(),
            body_limit,
        }
    }
}

impl Snapshot {
    /// Compiles `config`, reusing the upstream groups and log sinks of `previous` that did
    /// not change (so health state and pools survive a reload).
    pub fn build(
        config: Config,
        previous: Option<&Snapshot>,
        metrics: &Arc<Metrics>,
    ) -> Result<Snapshot, String> {
        let mut groups = BTreeMap::new();
        for (name, up) in &config.upstreams {
            let reused = previous
                .and_then(|p| p.groups.get(name))
                .filter(|g| g.config == *up);
            let group = match reused {
                Some(g) => g.clone(),
                None => Group::start(up.clone(), metrics.clone())
                    .map_err(|e| format!("upstream {name:?}: {e}"))?,
            };
            groups.insert(name.clone(), group);
        }
        let mut listeners = HashMap::new();
        for l in &config.listeners {
            let tls_config = l.tls.as_ref().map(tls::server_config).transpose()?;
            let hsts = l
                .tls
                .as_ref()
                .and_then(|t| t.hsts.as_deref())
                .and_then(|h| HeaderValue::from_str(h).ok());
            let set = PolicySet {
                ip_access: l.ip_access.clone(),
                ..PolicySet::default()
            };
            listeners.insert(
                l.addr,
                ListenerPlan {
                    tls: tls_config,
                    hsts,
                    policies: parapet_policy::builtin::build(&set),
                },
            );
        }
        let identity = Arc::new(parapet_identity::Runtime::build(
            &config.identity,
            previous.map(|p| p.identity.as_ref()),
        )?);
        identity.start();
        let traffic = Arc::new(parapet_traffic::Runtime::build(
            &config.state,
            identity.store(),
            &config.identity.consumers,
            previous.map(|p| p.traffic.as_ref()),
        ));
        traffic.start();
        let mut apis = Vec::new();
        for api in &config.apis {
            let group = groups
                .get(&api.upstream)
                .cloned()
                .ok_or_else(|| format!("api {:?}: unknown upstream", api.name))?;
            let mut compiled = CompiledApi {
                name: Arc::from(api.name.as_str()),
                base_path: api.base_path.clone(),
                hosts: api.hosts.clone(),
                group,
                fallback: RoutePlan::new(None, &api.defaults, &identity, &traffic),
                by_method: HashMap::new(),
                any_method: matchit::Router::new(),
                routes: Vec::new(),
            };
            for route in &api.routes {
                let idx = compiled.routes.len();
                let method = route.method.as_ref().map_or("ANY", Method::as_str);
                compiled.routes.push(RoutePlan::new(
                    Some(format!("{method} {}", route.path)),
                    &route.policies,
                    &identity,
                    &traffic,
                ));
                let router = match &route.method {
                    Some(m) => compiled.by_method.entry(m.clone()).or_default(),
                    None => &mut compiled.any_method,
                };
                router
                    .insert(route.path.clone(), idx)
                    .map_err(|e| format!("api {:?}: {e}", api.name))?;
            }
            apis.push(compiled);
        }
        let reuse = |target: &parapet_config::LogTarget, old: Option<&LogSink>| match old {
            Some(s) if s.target() == target => Ok(s.clone()),
            _ => LogSink::open(target).map_err(|e| format!("cannot open log {target:?}: {e}")),
        };
        let access_log = reuse(&config.log.access, previous.map(|p| &p.access_log))?;
        let events = reuse(&config.log.events, previous.map(|p| &p.events))?;
        let hsts = listeners
            .iter()
            .filter_map(|(addr, l)| Some((*addr, l.hsts.clone()?)))
            .collect();
        Ok(Snapshot {
            hsts,
            redactor: Redactor::new(&config.log, &config.identity.api_keys),
            config,
            apis,
            groups,
            listeners,
            access_log,
            events,
            identity,
            traffic,
        })
    }

    /// The `Strict-Transport-Security` value the listener at `addr` sends, if any.
    pub fn hsts(&self, addr: &SocketAddr) -> Option<&HeaderValue> {
        self.hsts.iter().find(|(a, _)| a == addr).map(|(_, v)| v)
    }

    /// The API and route plan for a request, or `None` when no API claims it.
    /// The decoded path parameters of the matched route are written to `params`.
    pub fn route(
        &self,
        host: Option<&str>,
        method: &Method,
        path: &str,
        params: &mut Vec<(String, String)>,
    ) -> Option<(&CompiledApi, &RoutePlan)> {
        let api = self.apis.iter().find(|a| a.claims(host, path))?;
        let relative = if api.base_path == "/" {
            path
        } else {
            &path[api.base_path.len()..]
        };
        let relative = if relative.is_empty() { "/" } else { relative };
        let idx = api
            .by_method
            .get(method)
            .and_then(|r| r.at(relative).ok())
            .or_else(|| api.any_method.at(relative).ok());
        let Some(m) = idx else {
            return Some((api, &api.fallback));
        };
        params.extend(
            m.params
                .iter()
                .map(|(k, v)| (k.to_string(), decode_or_raw(v, false).into_owned())),
        );
        Some((api, &api.routes[*m.value]))
    }
}

impl CompiledApi {
    fn claims(&self, host: Option<&str>, path: &str) -> bool {
        let host_ok = self.hosts.is_empty()
            || host.is_some_and(|h| self.hosts.iter().any(|x| x.eq_ignore_ascii_case(h)));
        let b = &self.base_path;
        let path_ok = b == "/"
            || path == b
            || (path.starts_with(b.as_str()) && path.as_bytes().get(b.len()) == Some(&b'/'));
        host_ok && path_ok
    }
}
