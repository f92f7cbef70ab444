//! Semantic validation: turns the parsed [`File`] into the internal [`Config`], collecting
//! every problem (with its location) instead of stopping at the first.

use crate::error::ConfigError;
use crate::file::{self, File, SpannedStr};
use crate::model::*;
use crate::units::{ByteSize, Duration as UnitDuration};
use http::Method;
use ipnet::IpNet;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use serde_saphyr::{Location, Spanned};
use std::collections::{BTreeMap, BTreeSet};
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

mod contract;
mod detect;
mod identity;
mod traffic;

/// Above this `body_min_rate` (1 MiB/s) a warning says real clients will be cut off.
const MAX_SENSIBLE_BODY_RATE: u64 = 1024 * 1024;

/// Largest file a config may name (certificates, keys, CA bundles).
const MAX_FILE: u64 = 1024 * 1024;

/// Collects errors while converting.
pub(crate) struct Checker {
    file: PathBuf,
    dir: PathBuf,
    pub(crate) errors: Vec<ConfigError>,
    warnings: Vec<String>,
    pub(crate) watched: Vec<PathBuf>,
}

impl Checker {
    pub(crate) fn new(file: &Path) -> Self {
        let dir = file.parent().map(Path::to_path_buf).unwrap_or_default();
        Checker {
            file: file.to_path_buf(),
            dir,
            errors: Vec::new(),
            warnings: Vec::new(),
            watched: vec![file.to_path_buf()],
        }
    }

    pub(crate) fn error_at(&mut self, line: u64, column: u64, reason: impl Into<String>) {
        self.errors.push(ConfigError {
            file: self.file.clone(),
            line,
            column,
            reason: reason.into(),
        });
    }

    fn error(&mut self, at: &Location, reason: impl Into<String>) {
        self.error_at(at.line(), at.column(), reason);
    }

    fn warn(&mut self, at: &Location, text: impl std::fmt::Display) {
        self.warnings.push(format!(
            "{}:{}:{}: {text}",
            self.file.display(),
            at.line(),
            at.column()
        ));
    }

    /// Parses a `host:port` socket address.
    fn socket_addr(&mut self, s: &SpannedStr) -> Option<SocketAddr> {
        match s.value.parse::<SocketAddr>() {
            Ok(a) => Some(a),
            Err(_) => {
                self.error(
                    &s.referenced,
                    format!(
                        "invalid address {:?}: write ip:port, e.g. 127.0.0.1:8080 or [::1]:8080",
                        s.value
                    ),
                );
                None
            }
        }
    }

    /// Parses a CIDR or a bare address (taken as a single host).
    fn network(&mut self, s: &SpannedStr) -> Option<IpNet> {
        let text = s.value.trim();
        if let Ok(net) = text.parse::<IpNet>() {
            if net.trunc() != net {
                self.error(
                    &s.referenced,
                    format!(
                        "network {text:?} has host bits set; did you mean {}?",
                        net.trunc()
                    ),
                );
                return None;
            }
            return Some(net);
        }
        match text.parse::<IpAddr>() {
            Ok(ip) => Some(IpNet::from(ip)),
            Err(_) => {
                self.error(
                    &s.referenced,
                    format!(
                        "invalid network {text:?}: write a CIDR such as 10.0.0.0/8 or 2001:db8::/32"
                    ),
                );
                None
            }
        }
    }

    fn networks(&mut self, list: &[SpannedStr]) -> Vec<IpNet> {
        list.iter().filter_map(|s| self.network(s)).collect()
    }

    /// A path named in the config, relative to the config's folder, watched for reload.
    fn path(&mut self, s: &SpannedStr) -> PathBuf {
        let p = self.resolve(s);
        self.watched.push(p.clone());
        p
    }

    /// A path named in the config, relative to the config's folder (not watched: the
    /// store and the logs, which the gateway itself writes).
    fn resolve(&self, s: &SpannedStr) -> PathBuf {
        let p = Path::new(&s.value);
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            self.dir.join(p)
        }
    }

    /// Reads a file named in the config (and watches it for reload). PEM material is small:
    /// more than [`MAX_FILE`] bytes (or an endless device) is refused rather than read.
    fn read(&mut self, s: &SpannedStr) -> Option<(PathBuf, Vec<u8>)> {
        use std::io::Read;
        let path = self.path(s);
        let mut bytes = Vec::new();
        let read =
            std::fs::File::open(&path).and_then(|f| f.take(MAX_FILE + 1).read_to_end(&mut bytes));
        match read {
            Ok(n) if n as u64 > MAX_FILE => {
                self.error(
                    &s.referenced,
                    format!("{} is larger than 1 MiB", path.display()),
                );
                None
            }
            Ok(_) => Some((path, bytes)),
            Err(e) => {
                self.error(
                    &s.referenced,
                    format!("cannot read {}: {e}", path.display()),
                );
                None
            }
        }
    }

    fn certificates(&mut self, s: &SpannedStr) -> Option<Vec<CertificateDer<'static>>> {
        let (path, bytes) = self.read(s)?;
        let certs: Result<Vec<_>, _> = CertificateDer::pem_slice_iter(&bytes).collect();
        match certs {
            Ok(c) if !c.is_empty() => Some(c),
            Ok(_) => {
                self.error(
                    &s.referenced,
                    format!("{} holds no PEM certificate", path.display()),
                );
                None
            }
            Err(e) => {
                self.error(
                    &s.referenced,
                    format!("{} is not valid PEM: {e}", path.display()),
                );
                None
            }
        }
    }

    fn private_key(&mut self, s: &SpannedStr) -> Option<PrivateKeyDer<'static>> {
        let (path, bytes) = self.read(s)?;
        match PrivateKeyDer::from_pem_slice(&bytes) {
            Ok(k) => Some(k),
            Err(_) => {
                self.error(
                    &s.referenced,
                    format!("{} holds no PEM private key", path.display()),
                );
                None
            }
        }
    }

    fn positive_duration(
        &mut self,
        d: &Option<Spanned<UnitDuration>>,
        default: Duration,
        what: &str,
    ) -> Duration {
        match d {
            Some(s) if s.value.0.is_zero() => {
                self.error(&s.referenced, format!("{what} must be greater than zero"));
                default
            }
            Some(s) => s.value.0,
            None => default,
        }
    }

    fn positive_u32(&mut self, v: &Option<Spanned<u32>>, default: u32, what: &str) -> u32 {
        match v {
            Some(s) if s.value == 0 => {
                self.error(&s.referenced, format!("{what} must be at least 1"));
                default
            }
            Some(s) => s.value,
            None => default,
        }
    }

    fn positive_size(&mut self, v: &Option<Spanned<ByteSize>>, what: &str) -> Option<u64> {
        match v {
            Some(s) if s.value.0 == 0 => {
                self.error(&s.referenced, format!("{what} must be greater than zero"));
                None
            }
            Some(s) => Some(s.value.0),
            None => None,
        }
    }
}

/// Converts a parsed file into a validated configuration, or returns every error found.
pub(crate) fn validate(file: File, c: &mut Checker) -> Option<Config> {
    let server = server(&file.server, c);
    let mut listeners = Vec::new();
    let mut seen_addrs = BTreeSet::new();
    if file.listen.value.is_empty() {
        c.error(&file.listen.referenced, "at least one listener is needed");
    }
    for l in &file.listen.value {
        let addr = c.socket_addr(&l.addr);
        if let Some(a) = addr
            && a.port() != 0
            && !seen_addrs.insert(a)
        {
            c.error(&l.addr.referenced, format!("address {a} is listed twice"));
        }
        let tls = l.tls.as_ref().and_then(|t| tls(t, c));
        let ip_access = l.ip_access.as_ref().map(|p| ip_access(p, c));
        if let Some(addr) = addr {
            listeners.push(Listener {
                addr,
                tls,
                ip_access,
            });
        }
    }
    let admin = file.admin.as_ref().and_then(|a| {
        let addr = c.socket_addr(&a.addr)?;
        // Port 0 asks the system for a free port: never the same one twice.
        if addr.port() != 0 && seen_addrs.contains(&addr) {
            c.error(&a.addr.referenced, format!("admin address {addr} is also a client listener"));
        }
        if !addr.ip().is_loopback() {
            c.warn(&a.addr.referenced, format!("admin listener {addr} is not on loopback: it will be reachable from the network"));
        }
        let token = a.token.as_ref().and_then(|t| {
            let token = identity::secret(t, c)?;
            if token.0.len() < 16 {
                c.error(&t.referenced, "the admin token must be at least 16 characters");
            }
            Some(token)
        });
        Some(Admin { addr, token })
    });
    let trusted_proxies = c.networks(&file.trusted_proxies);
    let log = log(&file.log, c);
    let mut upstreams = BTreeMap::new();
    for (name, u) in &file.upstreams {
        if let Some(up) = upstream(name, u, c) {
            upstreams.insert(name.clone(), Arc::new(up));
        }
    }
    let identity = identity::identity(&file, c);
    let state = traffic::state(&file.state, c);
    let mut apis = Vec::new();
    for a in &file.apis {
        if !file.upstreams.contains_key(&a.value.upstream.value) {
            let known: Vec<&str> = file.upstreams.keys().map(String::as_str).collect();
            c.error(
                &a.value.upstream.referenced,
                format!(
                    "unknown upstream {:?} (declared: {})",
                    a.value.upstream.value,
                    if known.is_empty() {
                        "none".into()
                    } else {
                        known.join(", ")
                    }
                ),
            );
        }
        if let Some(api) = api(&a.value, &server, &identity, c) {
            apis.push((a.referenced, api));
        }
    }
    check_api_overlap(&apis, c);
    let mut apis: Vec<Api> = apis.into_iter().map(|(_, a)| a).collect();
    apis.sort_by(|a, b| {
        b.base_path
            .len()
            .cmp(&a.base_path.len())
            .then(b.hosts.is_empty().cmp(&a.hosts.is_empty()).reverse())
    });
    if !c.errors.is_empty() {
        return None;
    }
    Some(Config {
        source: c.file.clone(),
        listeners,
        admin,
        trusted_proxies,
        server,
        log,
        upstreams,
        identity,
        state,
        apis,
        watched_files: std::mem::take(&mut c.watched),
        warnings: std::mem::take(&mut c.warnings),
    })
}

fn server(s: &file::Server, c: &mut Checker) -> Server {
    let d = Server::default();
    let max_header_bytes = c
        .positive_size(&s.max_header_bytes, "max_header_bytes")
        .map_or(d.max_header_bytes, |v| v as usize);
    if let Some(v) = &s.max_header_bytes
        && v.value.0 > 1024 * 1024
    {
        c.error(
            &v.referenced,
            "max_header_bytes above 1MiB is not supported",
        );
    }
    let h2_list = c
        .positive_size(&s.http2.max_header_list_size, "max_header_list_size")
        .map_or(d.h2_max_header_list_size, |v| {
            u32::try_from(v).unwrap_or(u32::MAX)
        });
    let body_min_rate = s
        .timeouts
        .body_min_rate
        .as_ref()
        .map_or(d.body_min_rate, |r| r.value.per_second());
    if let Some(r) = &s.timeouts.body_min_rate
        && r.value.0 > MAX_SENSIBLE_BODY_RATE
    {
        c.warn(
            &r.referenced,
            format!(
                "body_min_rate {} cuts off clients on slow or busy links; a floor is meant to catch trickling clients (default {})",
                r.value,
                crate::units::ByteRate(DEFAULT_BODY_MIN_RATE)
            ),
        );
    }
    let body_grace = c.positive_duration(&s.timeouts.body_grace, d.body_grace, "body_grace");
    if let Some(g) = &s.timeouts.body_grace
        && body_min_rate.is_none()
    {
        c.warn(
            &g.referenced,
            "body_grace has no effect: body_min_rate is off",
        );
    }
    Server {
        max_connections: c.positive_u32(
            &s.max_connections,
            d.max_connections as u32,
            "max_connections",
        ) as usize,
        max_header_bytes,
        header_read_timeout: c.positive_duration(
            &s.timeouts.header_read,
            d.header_read_timeout,
            "header_read timeout",
        ),
        idle_timeout: c.positive_duration(&s.timeouts.idle, d.idle_timeout, "idle timeout"),
        body_min_rate,
        body_grace,
        shutdown_grace: s
            .shutdown_grace
            .as_ref()
            .map_or(d.shutdown_grace, |g| g.value.0),
        h2_max_concurrent_streams: c.positive_u32(
            &s.http2.max_concurrent_streams,
            d.h2_max_concurrent_streams,
            "max_concurrent_streams",
        ),
        h2_max_header_list_size: h2_list,
        h2_max_pending_resets: c.positive_u32(
            &s.http2.max_pending_resets,
            d.h2_max_pending_resets as u32,
            "max_pending_resets",
        ) as usize,
    }
}

fn tls(t: &file::Tls, c: &mut Checker) -> Option<Tls> {
    let default_cert = cert_key(&t.cert, &t.key, c);
    let sni: Vec<Option<CertKey>> = t.sni.iter().map(|p| cert_key(&p.cert, &p.key, c)).collect();
    let client_ca = t.client_ca.as_ref().map(|s| c.certificates(s));
    if t.client_auth.is_some() && t.client_ca.is_none() {
        c.errors.push(ConfigError {
            file: c.file.clone(),
            line: t.cert.referenced.line(),
            column: t.cert.referenced.column(),
            reason: "client_auth is set but client_ca is missing: name the CA bundle that signs client certificates".into(),
        });
    }
    if let Some(h) = &t.hsts
        && !h
            .value
            .trim_start()
            .to_ascii_lowercase()
            .starts_with("max-age=")
    {
        c.error(
            &h.referenced,
            "hsts must start with max-age=, e.g. \"max-age=31536000; includeSubDomains\"",
        );
    }
    let client_ca = match client_ca {
        Some(None) => return None,
        Some(Some(v)) => Some(v),
        None => None,
    };
    Some(Tls {
        default_cert: default_cert?,
        sni: sni.into_iter().collect::<Option<Vec<_>>>()?,
        client_ca,
        client_auth: t.client_auth.unwrap_or(ClientAuth::Required),
        hsts: t.hsts.as_ref().map(|h| h.value.clone()),
    })
}

fn cert_key(cert: &SpannedStr, key: &SpannedStr, c: &mut Checker) -> Option<CertKey> {
    let chain = c.certificates(cert);
    let k = c.private_key(key);
    Some(CertKey {
        cert_path: c.dir.join(&cert.value),
        chain: chain?,
        key: k?,
    })
}

fn log_target(s: &Option<SpannedStr>, default: LogTarget, c: &mut Checker) -> LogTarget {
    match s.as_ref().map(|s| s.value.as_str()) {
        None => default,
        Some("off") => LogTarget::Off,
        Some("stdout") => LogTarget::Stdout,
        Some("stderr") => LogTarget::Stderr,
        Some(_) => LogTarget::File(s.as_ref().map(|s| c.resolve(s)).unwrap_or_default()),
    }
}

fn log(l: &file::Log, c: &mut Checker) -> Log {
    let names = |v: &[SpannedStr]| {
        v.iter()
            .map(|s| s.value.trim().to_ascii_lowercase())
            .collect()
    };
    Log {
        access: log_target(&l.access, LogTarget::Stdout, c),
        events: log_target(&l.events, LogTarget::Stderr, c),
        headers: l
            .headers
            .as_ref()
            .map_or_else(|| vec!["user-agent".into(), "referer".into()], |h| names(h)),
        redact_headers: names(&l.redact_headers),
        redact_query: names(&l.redact_query),
    }
}

fn upstream(name: &str, u: &Spanned<file::Upstream>, c: &mut Checker) -> Option<Upstream> {
    let v = &u.value;
    if v.targets.is_empty() {
        c.error(&u.referenced, format!("upstream {name:?} has no targets"));
    }
    let mut targets = Vec::new();
    for t in &v.targets {
        match target_uri(&t.value) {
            Ok(uri) => targets.push(uri),
            Err(why) => c.error(
                &t.referenced,
                format!("invalid target {:?}: {why}", t.value),
            ),
        }
    }
    let health = v.health.as_ref().map(|h| {
        if !h.path.value.starts_with('/') {
            c.error(&h.path.referenced, "health path must start with /");
        }
        let interval = c.positive_duration(&h.interval, Duration::from_secs(5), "health interval");
        let timeout = c.positive_duration(&h.timeout, Duration::from_secs(2), "health timeout");
        Health {
            path: h.path.value.clone(),
            interval,
            timeout,
            unhealthy_after: c.positive_u32(&h.unhealthy_after, 2, "unhealthy_after"),
            healthy_after: c.positive_u32(&h.healthy_after, 2, "healthy_after"),
        }
    });
    let tls_ca = v
        .tls
        .as_ref()
        .and_then(|t| t.ca.as_ref())
        .and_then(|ca| c.certificates(ca));
    let dangerous = v.tls.as_ref().is_some_and(|t| t.dangerous_skip_verify);
    if dangerous {
        c.warn(
            &u.referenced,
            format!("upstream {name:?}: TLS verification is OFF (dangerous_skip_verify)"),
        );
    }
    let response_timeout = c.positive_duration(
        &v.timeouts.response,
        Duration::from_secs(60),
        "response timeout",
    );
    let total_timeout = v.timeouts.total.as_ref().map(|t| {
        if t.value.0 < response_timeout && v.timeouts.response.is_some() {
            c.warn(&t.referenced, format!("upstream {name:?}: the total timeout {} ends before the response timeout, which never applies", t.value));
        }
        c.positive_duration(&Some(t.clone()), Duration::from_secs(60), "total timeout")
    });
    Some(Upstream {
        name: name.to_string(),
        targets,
        health,
        passive_failures: v.passive.as_ref().map_or(5, |p| p.failures.value.max(1)),
        passive_cooldown: v
            .passive
            .as_ref()
            .and_then(|p| p.cooldown.as_ref())
            .map_or(Duration::from_secs(10), |d| d.value.0),
        connect_timeout: c.positive_duration(
            &v.timeouts.connect,
            Duration::from_secs(3),
            "connect timeout",
        ),
        response_timeout,
        total_timeout,
        tls_ca,
        dangerous_skip_verify: dangerous,
    })
}

/// Parses an upstream target: an absolute http(s) URL with a host and nothing after the port.
pub(crate) fn target_uri(text: &str) -> Result<http::Uri, &'static str> {
    let uri: http::Uri = text.parse().map_err(|_| "not a URL")?;
    match uri.scheme_str() {
        Some("http") | Some("https") => {}
        _ => return Err("scheme must be http or https"),
    }
    if uri.host().is_none_or(str::is_empty) {
        return Err("no host");
    }
    if !matches!(uri.path(), "" | "/") || uri.query().is_some() {
        return Err("a target is scheme://host:port only, without path or query");
    }
    Ok(uri)
}

fn api(a: &file::Api, server: &Server, id: &Identity, c: &mut Checker) -> Option<Api> {
    let base_path = match &a.base_path {
        Some(b) if !b.value.starts_with('/') => {
            c.error(&b.referenced, "base_path must start with /");
            "/".to_string()
        }
        Some(b) if b.value.len() > 1 => b.value.trim_end_matches('/').to_string(),
        _ => "/".to_string(),
    };
    let spec = a
        .contract
        .as_ref()
        .and_then(|p| contract::spec(p, &base_path, c));
    let mut defaults = policies(&a.defaults, &a.name.value, server, id, c);
    defaults.contract = contract::with_spec(defaults.contract.take(), &spec);
    if a.routes.is_empty() && defaults.authn.is_none() {
        c.warn(
            &a.name.referenced,
            format!("api {:?} has no routes and no authn in its defaults: every request to it is refused", a.name.value),
        );
    }
    if matches!(defaults.authn, Some(Authn::Public)) {
        let key = format!("{} (defaults)", a.name.value);
        identity::check_route(&a.name.referenced, &key, "", &defaults, c);
    }
    let mut routes = Vec::new();
    let mut routers: BTreeMap<Option<Method>, matchit::Router<String>> = BTreeMap::new();
    for (key, p) in &a.routes {
        let Some((method, path)) = route_key(key) else {
            c.error(&p.referenced, format!("route {key:?} must be \"METHOD /path\", e.g. \"GET /users/{{id}}\" (ANY for every method)"));
            continue;
        };
        let router = routers.entry(method.clone()).or_default();
        if let Err(e) = router.insert(path.clone(), key.clone()) {
            let why = match e {
                matchit::InsertError::Conflict { with } => {
                    format!(
                        "route {key:?} conflicts with {:?}: both match the same requests",
                        with
                    )
                }
                other => format!("route {key:?} has an invalid path: {other}"),
            };
            c.error(&p.referenced, why);
            continue;
        }
        let scope = format!("{} {key}", a.name.value);
        let mut own = policies(&p.value, &scope, server, id, c);
        // A route's own `rate_limit` list replaces the API's; `sensitive` adds to either.
        let mut rate_limits = if p.value.rate_limit.is_some() {
            Vec::new()
        } else {
            defaults.rate_limits.clone()
        };
        rate_limits.append(&mut own.rate_limits);
        let effective = PolicySet {
            ip_access: own.ip_access.or_else(|| defaults.ip_access.clone()),
            limits: own.limits.or_else(|| defaults.limits.clone()),
            authn: own.authn.or_else(|| defaults.authn.clone()),
            authz: own.authz.or_else(|| defaults.authz.clone()),
            rate_limits,
            quota: own.quota.or_else(|| defaults.quota.clone()),
            spike_arrest: own.spike_arrest.or_else(|| defaults.spike_arrest.clone()),
            concurrency: own.concurrency.or_else(|| defaults.concurrency.clone()),
            replay: own.replay.or_else(|| defaults.replay.clone()),
            idempotency: own.idempotency.or_else(|| defaults.idempotency.clone()),
            contract: contract::with_spec(
                own.contract.or_else(|| defaults.contract.clone()),
                &spec,
            ),
            detect: own.detect.or_else(|| defaults.detect.clone()),
        };
        // A route's own list was checked for duplicates; `sensitive` adds names to it.
        if p.value.sensitive.is_some()
            && let Some(dup) = effective.rate_limits.iter().enumerate().find_map(|(i, l)| {
                effective.rate_limits[..i]
                    .iter()
                    .any(|o| o.name == l.name)
                    .then_some(&l.name)
            })
        {
            c.error(&p.referenced, format!("route {key:?} has two rate limits named {dup:?} (one from `sensitive`): give the other a distinct name"));
        }
        identity::check_route(&p.referenced, key, &path, &effective, c);
        routes.push(Route {
            method,
            path,
            policies: effective,
        });
    }
    Some(Api {
        name: a.name.value.clone(),
        upstream: a.upstream.value.clone(),
        base_path,
        hosts: a
            .hosts
            .iter()
            .map(|h| h.value.trim().to_ascii_lowercase())
            .collect(),
        defaults,
        routes,
    })
}

/// Splits `"GET /users/{id}"` into method and path.
fn route_key(key: &str) -> Option<(Option<Method>, String)> {
    let (m, path) = key.trim().split_once(char::is_whitespace)?;
    let path = path.trim();
    if !path.starts_with('/') {
        return None;
    }
    let method = if m.eq_ignore_ascii_case("ANY") {
        None
    } else {
        Some(standard_method(m)?)
    };
    Some((method, path.to_string()))
}

/// Accepts the methods of RFC 9110 and PATCH, upper case.
fn standard_method(m: &str) -> Option<Method> {
    const KNOWN: [&str; 9] = [
        "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH",
    ];
    KNOWN
        .contains(&m)
        .then(|| Method::from_bytes(m.as_bytes()).ok())
        .flatten()
}

fn check_api_overlap(apis: &[(Location, Api)], c: &mut Checker) {
    for (i, (at, a)) in apis.iter().enumerate() {
        for (_, b) in &apis[..i] {
            let same_hosts = a.hosts.is_empty() && b.hosts.is_empty()
                || a.hosts.iter().any(|h| b.hosts.contains(h));
            if a.base_path == b.base_path && same_hosts {
                c.error(
                    at,
                    format!(
                        "api {:?} is shadowed by api {:?}: same base_path {:?} and hosts",
                        a.name, b.name, a.base_path
                    ),
                );
            }
        }
    }
}

/// The policy blocks of an API's defaults or of one route; `scope` names where they were
/// declared (the API, or the API and route), which is what their counters are shared by.
fn policies(
    p: &file::Policies,
    scope: &str,
    server: &Server,
    id: &Identity,
    c: &mut Checker,
) -> PolicySet {
    let mut rate_limits = p
        .rate_limit
        .as_ref()
        .map(|l| traffic::rate_limits(l, scope, c))
        .unwrap_or_default();
    if let Some(s) = &p.sensitive {
        rate_limits.extend(traffic::sensitive(s, scope, c));
    }
    PolicySet {
        ip_access: p.ip_access.as_ref().map(|i| ip_access(i, c)),
        limits: p.limits.as_ref().map(|l| limits(l, server, c)),
        authn: p.authn.as_ref().and_then(|a| identity::authn(a, id, c)),
        authz: p.authz.as_ref().and_then(|a| identity::authz(a, c)),
        rate_limits,
        quota: p.quota.as_ref().map(|q| traffic::quota(q, scope, c)),
        spike_arrest: p
            .spike_arrest
            .as_ref()
            .and_then(|s| traffic::spike_arrest(s, scope, c)),
        concurrency: p
            .concurrency
            .as_ref()
            .map(|x| traffic::concurrency(x, scope, c)),
        replay: p.replay.as_ref().map(|r| traffic::replay(r, scope, c)),
        idempotency: p
            .idempotency
            .as_ref()
            .map(|i| traffic::idempotency(i, scope, c)),
        contract: p.contract.as_ref().map(|b| contract::contract(b, c)),
        detect: p.detect.as_ref().and_then(|b| detect::detect(b, c)),
    }
}

fn ip_access(p: &file::IpAccess, c: &mut Checker) -> IpAccess {
    IpAccess {
        allow: c.networks(&p.allow),
        deny: c.networks(&p.deny),
        mode: p.mode,
    }
}

fn limits(l: &file::Limits, server: &Server, c: &mut Checker) -> Limits {
    let max_header_size = c
        .positive_size(&l.max_header_size, "max_header_size")
        .map(|v| v as usize);
    if let (Some(v), Some(s)) = (max_header_size, &l.max_header_size)
        && v > server.max_header_bytes
    {
        c.error(
            &s.referenced,
            format!(
                "max_header_size {} can never be reached: server.max_header_bytes is {}",
                s.value,
                ByteSize(server.max_header_bytes as u64)
            ),
        );
    }
    let content_types = l.content_types.as_ref().map(|list| {
        if list.value.is_empty() {
            c.error(&list.referenced, "content_types is empty: no request with a body could pass; remove the key to allow any type");
        }
        let mut out = Vec::new();
        for t in &list.value {
            let v = t.value.trim().to_ascii_lowercase();
            if v.split_once('/').is_none_or(|(a, b)| a.is_empty() || b.is_empty() || b.contains(';')) {
                c.error(&t.referenced, format!("invalid media type {:?}: write type/subtype, e.g. application/json", t.value));
            }
            out.push(v);
        }
        out
    });
    let methods = l.methods.as_ref().map(|list| {
        if list.value.is_empty() {
            c.error(&list.referenced, "methods is empty: no request could pass");
        }
        let mut out = Vec::new();
        for m in &list.value {
            match standard_method(m.value.trim()) {
                Some(method) => out.push(method),
                None => c.error(
                    &m.referenced,
                    format!(
                        "unknown method {:?} (write it in upper case, e.g. GET)",
                        m.value
                    ),
                ),
            }
        }
        out
    });
    Limits {
        max_body: c.positive_size(&l.max_body, "max_body"),
        max_url_length: c
            .positive_size(&l.max_url_length, "max_url_length")
            .map(|v| v as usize),
        max_query_params: l.max_query_params.as_ref().map(|v| v.value as usize),
        max_headers: l
            .max_headers
            .as_ref()
            .map(|v| c.positive_u32(&Some(v.clone()), 1, "max_headers") as usize),
        max_header_size,
        content_types,
        methods,
        mode: l.mode,
    }
}
