//! Remote file inclusion and server-side request forgery.
//!
//! Every `scheme://authority` in the value is parsed (user info dropped, IPv6 brackets
//! kept) and its host classified: a cloud metadata endpoint, an internal address written in
//! a notation only a filter bypass uses (`2130706433`, `0x7f000001`, `0177.0.0.1`, `127.1`,
//! `[::ffff:127.0.0.1]`, circled or full-width digits, an IPv6 zone id, a value opening
//! with `http:` and no `//`), a plain internal address (`localhost`, `10.0.0.1` — normal in
//! configuration and OAuth redirect URIs, so only at paranoia 2, unless the parameter is
//! named `url`, `uri`, `target`…), or a public IP literal (the classic RFI shape). Schemes
//! no web client needs (`gopher:`, `dict:`, `file:`, `ldap:`, `jar:`, `netdoc:`) are
//! reported wherever they open a URL, and URLs that end in `?` or are given to parameters
//! named like include targets are RFI. A value opening with a local host name and a slash
//! but no scheme (`localhost/`) and `data:text/plain` URLs are reported too.

use crate::detector::{Detector, Features, Input, Sink};
use crate::rule::{Class, Rule, Severity};
use memchr::memmem::Finder;
use std::net::Ipv6Addr;
use std::ops::Range;
use std::sync::LazyLock;

/// A cloud metadata endpoint (`169.254.169.254`, `metadata.google.internal`).
static METADATA: Rule = Rule {
    id: "ssrf.metadata",
    class: Class::Ssrf,
    paranoia: 1,
    severity: Severity::Critical,
    description: "URL to a cloud metadata endpoint",
};

/// An internal address in an obfuscated notation (decimal, hex, octal, short, IPv4-mapped
/// IPv6).
static INTERNAL_OBFUSCATED: Rule = Rule {
    id: "ssrf.internal-address",
    class: Class::Ssrf,
    paranoia: 1,
    severity: Severity::Critical,
    description: "URL to an internal address written to evade filters",
};

/// A plain internal address: loopback, private ranges, `localhost`.
static INTERNAL: Rule = Rule {
    id: "ssrf.internal-address-plain",
    class: Class::Ssrf,
    paranoia: 2,
    severity: Severity::Notice,
    description: "URL to a loopback or private address",
};

/// A scheme no web client needs: `gopher:`, `dict:`, `file:`, `ldap:`, `jar:`, `netdoc:`…
static SCHEME: Rule = Rule {
    id: "ssrf.scheme",
    class: Class::Ssrf,
    paranoia: 1,
    severity: Severity::Critical,
    description: "URL with a scheme used for SSRF or local file access",
};

/// Remote file inclusion: a URL to an IP literal, a URL ending in `?`, or a URL given to
/// an include-like parameter.
static RFI: Rule = Rule {
    id: "ssrf.rfi",
    class: Class::Ssrf,
    paranoia: 1,
    severity: Severity::Critical,
    description: "remote file inclusion URL",
};

/// A URL whose authority hides its real host behind an encoded slash or backslash before
/// `@` (`http://example.com%2f@evil.com/`), or spells it with backslash escapes
/// (`http://\l\o\c\a\l\h\o\s\t/`).
static CONFUSION: Rule = Rule {
    id: "ssrf.url-confusion",
    class: Class::Ssrf,
    paranoia: 1,
    severity: Severity::Critical,
    description: "URL authority crafted to confuse URL parsers",
};

/// A value that opens with a loopback or container-internal host name and a slash, no
/// scheme (`localhost/`, `host.docker.internal/`): a URL fetcher adds `http://` itself.
static SCHEMELESS: Rule = Rule {
    id: "ssrf.schemeless-internal",
    class: Class::Ssrf,
    paranoia: 1,
    severity: Severity::Critical,
    description: "scheme-less URL to a loopback or container-internal host (localhost/)",
};

/// A URL to a loopback or private address given to a parameter named like the target of
/// a fetch (`url`, `uri`, `target`…).
static INTERNAL_FETCH: Rule = Rule {
    id: "ssrf.internal-fetch",
    class: Class::Ssrf,
    paranoia: 1,
    severity: Severity::Critical,
    description: "URL to a loopback or private address in a url/uri/target parameter",
};

/// A `data:` URL that PHP's `include` runs or a fetcher returns as a document:
/// `data:text/plain`, a PHP media type, or the `data://` stream-wrapper form.
static DATA_URI: Rule = Rule {
    id: "ssrf.data-uri",
    class: Class::Ssrf,
    paranoia: 1,
    severity: Severity::Critical,
    description: "data: URL with a text/plain or PHP media type (data:text/plain;base64,…)",
};

/// `data:text/plain` in a body value, where a text attachment sent as a data URL has the
/// same shape.
static DATA_URI_BODY: Rule = Rule {
    id: "ssrf.data-uri-body",
    class: Class::Ssrf,
    paranoia: 2,
    severity: Severity::Critical,
    description: "data:text/plain URL in a body value",
};

/// A URL inside the request path (`/fetch/https://evil.example/`): proxies and
/// screenshot services that take their target from the path.
static URL_IN_PATH: Rule = Rule {
    id: "ssrf.url-in-path",
    class: Class::Ssrf,
    paranoia: 2,
    severity: Severity::Critical,
    description: "http(s) or ftp URL inside the request path",
};

/// The ssrf detector.
pub(crate) static DETECTOR: Detector = Detector {
    class: Class::Ssrf,
    rules: &[
        &METADATA,
        &INTERNAL_OBFUSCATED,
        &INTERNAL,
        &SCHEME,
        &RFI,
        &CONFUSION,
        &SCHEMELESS,
        &INTERNAL_FETCH,
        &DATA_URI,
        &DATA_URI_BODY,
        &URL_IN_PATH,
    ],
    alnum: false,
    scan,
};

const ODD_SCHEMES: &[&[u8]] = &[
    b"gopher",
    b"dict",
    b"file",
    b"ldap",
    b"ldaps",
    b"ldapi",
    b"jar",
    b"netdoc",
    b"tftp",
    b"local_file",
    b"sftp",
    b"ftps",
    b"rmi",
    b"iiop",
    b"nis",
    b"dns",
    b"corba",
];

/// Parameter names that hold a file to include.
const INCLUDE_NAMES: &[&str] = &[
    "include",
    "inc",
    "require",
    "path",
    "dir",
    "root",
    "basepath",
    "base_path",
    "rootpath",
    "root_path",
    "abspath",
    "absolute_path",
    "template",
    "tpl",
    "mosconfig_absolute_path",
    "_conf[path]",
    "config[path]",
    "cfg[path]",
    "module_path",
    "lib_path",
    "class_path",
];

#[derive(PartialEq, Eq)]
enum Host {
    Metadata,
    Obfuscated,
    Internal,
    PublicIp,
    Name,
}

fn parse_ipv4_canonical(h: &[u8]) -> Option<[u8; 4]> {
    let mut out = [0u8; 4];
    let mut n = 0;
    for part in h.split(|&c| c == b'.') {
        if n == 4 || part.is_empty() || part.len() > 3 || !part.iter().all(u8::is_ascii_digit) {
            return None;
        }
        if part.len() > 1 && part[0] == b'0' {
            return None;
        }
        let v: u32 = part.iter().fold(0, |a, &d| a * 10 + u32::from(d - b'0'));
        out[n] = u8::try_from(v).ok()?;
        n += 1;
    }
    (n == 4).then_some(out)
}

/// A number in C notation (decimal, `0x` hex, leading-zero octal), as inet_aton reads it.
fn c_number(p: &[u8]) -> Option<u64> {
    if p.is_empty() || p.len() > 24 {
        return None;
    }
    if let Some(hex) = p.strip_prefix(b"0x") {
        if hex.is_empty() || !hex.iter().all(u8::is_ascii_hexdigit) {
            return None;
        }
        return u64::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok();
    }
    if p.len() > 1 && p[0] == b'0' {
        if !p.iter().all(|c| (b'0'..=b'7').contains(c)) {
            return None;
        }
        return u64::from_str_radix(std::str::from_utf8(p).ok()?, 8).ok();
    }
    if !p.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(p).ok()?.parse().ok()
}

/// The address inet_aton would read from `h` (1 to 4 parts in any C notation).
fn parse_ipv4_loose(h: &[u8]) -> Option<u32> {
    let mut buf = [0u64; 4];
    let mut n = 0;
    for part in h.split(|&c| c == b'.') {
        if n == 4 {
            return None;
        }
        buf[n] = c_number(part)?;
        n += 1;
    }
    let v = match &buf[..n] {
        [a] => *a,
        [a, b] if *a < 256 && *b < (1 << 24) => (a << 24) | b,
        [a, b, c] if *a < 256 && *b < 256 && *c < (1 << 16) => (a << 24) | (b << 16) | c,
        [a, b, c, d] if [a, b, c, d].iter().all(|x| **x < 256) => {
            (a << 24) | (b << 16) | (c << 8) | d
        }
        _ => return None,
    };
    u32::try_from(v).ok()
}

fn is_internal_v4(ip: u32) -> bool {
    let [a, b, _, _] = ip.to_be_bytes();
    a == 127
        || a == 10
        || a == 0
        || (a == 172 && (16..32).contains(&b))
        || (a == 192 && b == 168)
        || (a == 169 && b == 254)
        || (a == 100 && (64..128).contains(&b))
}

/// Cloud metadata endpoints, by name or address.
const METADATA_HOSTS: &[&[u8]] = &[
    b"169.254.169.254",
    b"metadata.google.internal",
    b"metadata.goog",
    b"metadata",
    b"100.100.100.200",
    b"169.254.170.2",
    b"192.0.0.192",
    b"metadata.azure.com",
    b"metadata.packet.net",
    b"metadata.platformequinix.com",
    b"metadata.tencentyun.com",
    b"[fd00:ec2::254]",
];

/// Host names that resolve to the machine itself or to its container host, in `/etc/hosts`
/// files, Docker, Podman and Kubernetes.
const LOCAL_NAMES: &[&[u8]] = &[
    b"localhost",
    b"localhost.localdomain",
    b"localhost4",
    b"localhost4.localdomain4",
    b"localhost6",
    b"localhost6.localdomain6",
    b"ip6-localhost",
    b"ip6-loopback",
    b"ipv6-localhost",
    b"ipv6-loopback",
    b"kubernetes.default",
    b"kubernetes.default.svc",
];

/// Suffixes of such names (`.docker.internal`, `.svc.cluster.local`…).
const LOCAL_SUFFIXES: &[&[u8]] = &[b".localhost", b".internal", b".local"];

/// Wildcard DNS services that resolve to the address in the name, or to 127.0.0.1.
const REBINDING_SUFFIXES: &[&[u8]] = &[
    b".nip.io",
    b".xip.io",
    b".sslip.io",
    b".localtest.me",
    b".lvh.me",
];
const REBINDING_NAMES: &[&[u8]] = &[b"localtest.me", b"lvh.me"];

fn classify(host: &[u8]) -> Host {
    let host = host.strip_suffix(b".").unwrap_or(host);
    if METADATA_HOSTS.contains(&host) {
        return Host::Metadata;
    }
    if let Some(inner) = host.strip_prefix(b"[").and_then(|h| h.strip_suffix(b"]")) {
        // A zone id (`[fe80::1%eth0]`) names an interface of the server itself.
        let (inner, zone) = match memchr::memchr(b'%', inner) {
            Some(p) => (&inner[..p], true),
            None => (inner, false),
        };
        let Some(ip) = std::str::from_utf8(inner)
            .ok()
            .and_then(|t| t.parse::<Ipv6Addr>().ok())
        else {
            return Host::Name;
        };
        if let Some(v4) = ip.to_ipv4_mapped() {
            let v = u32::from(v4);
            return if is_internal_v4(v) {
                if v4.octets() == [169, 254, 169, 254] {
                    Host::Metadata
                } else {
                    Host::Obfuscated
                }
            } else {
                Host::PublicIp
            };
        }
        if zone || ip.is_unspecified() {
            return Host::Obfuscated;
        }
        if ip.is_loopback() {
            return Host::Internal;
        }
        let first = ip.segments()[0];
        if (first & 0xfe00) == 0xfc00 || (first & 0xffc0) == 0xfe80 {
            return Host::Internal;
        }
        return Host::PublicIp;
    }
    if let Some(octets) = parse_ipv4_canonical(host) {
        let v = u32::from_be_bytes(octets);
        if octets == [0, 0, 0, 0] {
            return Host::Obfuscated;
        }
        return if is_internal_v4(v) {
            Host::Internal
        } else {
            Host::PublicIp
        };
    }
    if let Some(v) = parse_ipv4_loose(host) {
        // Not canonical dotted-quad: decimal, hex, octal or short form.
        return if is_internal_v4(v) {
            if v == u32::from_be_bytes([169, 254, 169, 254]) {
                Host::Metadata
            } else {
                Host::Obfuscated
            }
        } else {
            Host::PublicIp
        };
    }
    if let Some(n) = c_number(host) {
        // One number past 32 bits: resolvers that keep the low 32 bits reach that address.
        #[allow(clippy::cast_possible_truncation)]
        let low = n as u32;
        return if low == u32::from_be_bytes([169, 254, 169, 254]) {
            Host::Metadata
        } else {
            Host::Obfuscated
        };
    }
    if is_local_name(host) {
        return Host::Internal;
    }
    if REBINDING_NAMES.contains(&host) || REBINDING_SUFFIXES.iter().any(|s| host.ends_with(s)) {
        return Host::Obfuscated;
    }
    Host::Name
}

/// Whether `host` names the machine itself or a container-internal service.
fn is_local_name(host: &[u8]) -> bool {
    LOCAL_NAMES.contains(&host) || LOCAL_SUFFIXES.iter().any(|s| host.ends_with(s))
}

/// Writes `host` with its look-alike characters folded to ASCII into `out`: full-width
/// and circled letters and digits (`①②⑦`, `ⓛⓞⓒⓐⓛ`, `１２７`) and the ideographic full
/// stops (`。`, `．`, `｡`) that IDNA maps to dots. Returns the folded length, or `None` when
/// a character has no ASCII look-alike.
fn fold_host(host: &[u8], out: &mut [u8; 256]) -> Option<usize> {
    let text = std::str::from_utf8(host).ok()?;
    let mut n = 0;
    for c in text.chars() {
        let ascii = match u32::from(c) {
            0..=0x7f => c as u8,
            0x3002 | 0xff0e | 0xff61 => b'.',
            0x2460..=0x2468 => b'1' + (u32::from(c) - 0x2460) as u8,
            0x24f5..=0x24fd => b'1' + (u32::from(c) - 0x24f5) as u8,
            0x24ea | 0x24ff => b'0',
            0xff10..=0xff19 => b'0' + (u32::from(c) - 0xff10) as u8,
            0x24b6..=0x24cf => b'a' + (u32::from(c) - 0x24b6) as u8,
            0x24d0..=0x24e9 => b'a' + (u32::from(c) - 0x24d0) as u8,
            0xff21..=0xff3a => b'a' + (u32::from(c) - 0xff21) as u8,
            0xff41..=0xff5a => b'a' + (u32::from(c) - 0xff41) as u8,
            _ => return None,
        };
        *out.get_mut(n)? = ascii.to_ascii_lowercase();
        n += 1;
    }
    Some(n)
}

/// Parameter names whose value an application fetches.
const FETCH_NAMES: &[&str] = &[
    "url",
    "uri",
    "target",
    "target_url",
    "dest",
    "destination",
    "fetch",
    "fetch_url",
    "proxy",
    "proxy_url",
    "feed",
    "feed_url",
    "ssrf",
];

static ENCODED_SLASH: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b"%2f"));
static ENCODED_BACKSLASH: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b"%5c"));

fn scan(input: &Input<'_>, sink: &mut Sink<'_>) {
    // Every rule needs a `/`, a `:` or a `?`.
    if !input
        .features
        .any(Features::SLASH | Features::COLON | Features::QUESTION)
    {
        return;
    }
    let s = input.lower;
    let trimmed = s.trim_ascii();
    let lead = s.len() - s.trim_ascii_start().len();
    if input.features.any(Features::SLASH) {
        schemeless(input, trimmed, lead, sink);
    }
    if !input.features.any(Features::COLON) {
        if input.features.any(Features::QUESTION) {
            bare_scheme(trimmed, lead, sink);
        }
        return;
    }
    for colon in memchr::memchr_iter(b':', s) {
        // The scheme before the colon.
        let mut st = colon;
        while st > 0
            && colon - st < 16
            && (s[st - 1].is_ascii_alphanumeric() || matches!(s[st - 1], b'+' | b'-' | b'.' | b'_'))
        {
            st -= 1;
        }
        if st == colon || !s[st].is_ascii_alphabetic() {
            continue;
        }
        let scheme = &s[st..colon];
        let rest = &s[colon + 1..];
        let slashes = rest
            .iter()
            .take_while(|&&c| c == b'/' || c == b'\\')
            .count();
        let value_is_url = st == lead;
        if ODD_SCHEMES.contains(&scheme) {
            let ok = match scheme {
                b"jar" => {
                    rest.starts_with(b"http")
                        || rest.starts_with(b"file")
                        || rest.starts_with(b"ftp")
                }
                b"file" => {
                    slashes >= 1
                        || rest.first().is_some_and(u8::is_ascii_alphabetic)
                            && rest.get(1) == Some(&b':')
                }
                _ => slashes >= 2,
            };
            if ok {
                sink.report(&SCHEME, st..s.len().min(colon + 24));
            }
            continue;
        }
        if matches!(scheme, b"url" | b"netdoc" | b"mailto" | b"data") {
            if scheme == b"netdoc" {
                sink.report(&SCHEME, st..s.len().min(colon + 24));
            } else if scheme == b"data" && value_is_url {
                data_uri(input, &rest[slashes..], slashes, st..s.len(), sink);
            }
            continue;
        }
        let web = matches!(scheme, b"http" | b"https" | b"ftp" | b"ws" | b"wss");
        if web && slashes >= 2 && input.part == crate::location::Part::Path {
            sink.report(&URL_IN_PATH, st..s.len());
        }
        // `http:127.0.0.1` and `http:/host`: lenient parsers read a host there too.
        let lenient = slashes < 2;
        if lenient
            && !(web
                && value_is_url
                && rest
                    .get(slashes)
                    .is_some_and(|&c| c.is_ascii_alphanumeric() || c == b'['))
        {
            continue;
        }
        // The authority.
        let auth_start = colon + 1 + slashes;
        // `http://\l\o\c\a\l\h\o\s\t/`: a host spelt with escapes, which some parsers
        // drop and others read as a path (WHATWG parsers take `\` for `/`).
        if web
            && rest.starts_with(b"//\\")
            && s.get(auth_start).is_some_and(u8::is_ascii_alphanumeric)
        {
            sink.report(&CONFUSION, st..s.len().min(auth_start + 32));
        }
        let auth_end = s[auth_start..]
            .iter()
            .position(|&c| {
                matches!(
                    c,
                    b'/' | b'?' | b'#' | b'\\' | b' ' | b'"' | b'\'' | b'<' | b'>'
                )
            })
            .map_or(s.len(), |p| auth_start + p);
        let authority = &s[auth_start..auth_end];
        if let Some(at) = authority.iter().rposition(|&c| c == b'@') {
            let userinfo = &authority[..at];
            if ENCODED_SLASH.find(userinfo).is_some()
                || ENCODED_BACKSLASH.find(userinfo).is_some()
                || userinfo.contains(&b'@')
            {
                sink.report(&CONFUSION, st..auth_end);
            }
        }
        if hidden_userinfo(&s[auth_end..]) {
            sink.report(&CONFUSION, st..s.len().min(auth_end + 64));
        }
        let host_port = authority
            .iter()
            .rposition(|&c| c == b'@')
            .map_or(authority, |p| &authority[p + 1..]);
        let host = if host_port.starts_with(b"[") {
            match host_port.iter().position(|&c| c == b']') {
                Some(p) => &host_port[..=p],
                None => host_port,
            }
        } else {
            host_port
                .iter()
                .position(|&c| c == b':')
                .map_or(host_port, |p| &host_port[..p])
        };
        if host.is_empty() {
            continue;
        }
        let span = st..auth_end;
        let mut folded = [0u8; 256];
        let (kind, odd) = if host.iter().any(|&b| b >= 0x80) {
            match fold_host(host, &mut folded) {
                Some(n) => (classify(&folded[..n]), true),
                None => (Host::Name, false),
            }
        } else {
            (classify(host), lenient)
        };
        match kind {
            Host::Metadata => sink.report(&METADATA, span),
            Host::Obfuscated => sink.report(&INTERNAL_OBFUSCATED, span),
            // Look-alike characters or a missing `//` hide the address from filters.
            Host::Internal if odd => sink.report(&INTERNAL_OBFUSCATED, span),
            Host::Internal => {
                if value_is_url && FETCH_NAMES.contains(&input.name) {
                    sink.report(&INTERNAL_FETCH, span.clone());
                }
                sink.report(&INTERNAL, span);
            }
            Host::PublicIp if value_is_url && web => sink.report(&RFI, span),
            _ => {}
        }
        if value_is_url && web && !lenient {
            let include_param = INCLUDE_NAMES.contains(&input.name)
                || input.name.contains("absolute_path")
                || input.name.ends_with("[path]");
            // `http://evil/shell.txt?`: the only `?` ends the value, so whatever the
            // application appends becomes a query string.
            let lone_question = trimmed.ends_with(b"?")
                && memchr::memchr(b'?', &s[auth_end..]).map(|p| auth_end + p)
                    == Some(lead + trimmed.len() - 1)
                && names_file(&trimmed[..trimmed.len() - 1]);
            if include_param || lone_question {
                sink.report(&RFI, st..s.len());
            }
        }
    }
}

/// Whether a URL's last path segment names a file (`shell.txt`): what an inclusion fetches,
/// where a page (`/search`, `/`) is a form's address left with an empty query.
fn names_file(url: &[u8]) -> bool {
    let last = url.rsplit(|&c| c == b'/').next().unwrap_or(url);
    last.contains(&b'.')
}

/// Whether the text after a URL's authority, cut there by a space or a `#`, holds an `@`
/// right after a `&` or a `#` before the next slash: `http://a.com:80 &@evil:22/` and
/// `http://a.com# @evil/`, which URL parsers split differently.
fn hidden_userinfo(after: &[u8]) -> bool {
    if !matches!(after.first(), Some(b' ' | b'#')) {
        return false;
    }
    let end = after
        .iter()
        .take(128)
        .position(|&c| c == b'/')
        .unwrap_or(after.len().min(128));
    let region = &after[..end];
    memchr::memchr_iter(b'@', region).any(|at| {
        region[..at]
            .iter()
            .rev()
            .find(|&&c| c != b' ')
            .is_some_and(|&c| matches!(c, b'&' | b'#'))
    })
}

/// A value that is only a web scheme and question marks (`http?`, `file??`): an include
/// whose application appends the rest of the URL.
fn bare_scheme(trimmed: &[u8], lead: usize, sink: &mut Sink<'_>) {
    let scheme = trimmed.trim_ascii_end();
    let scheme = &scheme[..scheme.len() - scheme.iter().rev().take_while(|&&c| c == b'?').count()];
    if scheme.len() < trimmed.len()
        && matches!(scheme, b"http" | b"https" | b"ftp" | b"ftps" | b"file")
    {
        sink.report(&RFI, lead..lead + trimmed.len());
    }
}

/// A value that opens with a loopback or container-internal host name and a `/` (a port
/// may come between), with no scheme.
fn schemeless(input: &Input<'_>, trimmed: &[u8], lead: usize, sink: &mut Sink<'_>) {
    let Some(slash) = memchr::memchr(b'/', trimmed) else {
        return;
    };
    let authority = &trimmed[..slash];
    let host = memchr::memchr(b':', authority).map_or(authority, |p| {
        let port = &authority[p + 1..];
        if port.is_empty() || port.iter().all(u8::is_ascii_digit) {
            &authority[..p]
        } else {
            &[][..]
        }
    });
    if host.is_empty() || !host[0].is_ascii_alphabetic() {
        return;
    }
    let host = host.strip_suffix(b".").unwrap_or(host);
    let local = is_local_name(host)
        || REBINDING_NAMES.contains(&host)
        || REBINDING_SUFFIXES.iter().any(|s| host.ends_with(s))
        || METADATA_HOSTS.contains(&host);
    // `localhost/` names a host; `docs.local/readme` in a path names a file.
    if local && input.part != crate::location::Part::Path {
        sink.report(&SCHEMELESS, lead..lead + slash + 1);
    }
}

/// Media types a `data:` URL carries code or a document in.
fn data_uri(
    input: &Input<'_>,
    after: &[u8],
    slashes: usize,
    span: Range<usize>,
    sink: &mut Sink<'_>,
) {
    let php = [
        &b"text/x-php"[..],
        b"application/x-php",
        b"application/x-httpd-php",
        b"text/php",
        b"application/php",
    ]
    .iter()
    .any(|t| after.starts_with(t));
    let plain = after.starts_with(b"text/plain");
    if php || (plain && slashes >= 2) {
        sink.report(&DATA_URI, span);
    } else if plain {
        if input.part == crate::location::Part::Body {
            sink.report(&DATA_URI_BODY, span);
        } else {
            sink.report(&DATA_URI, span);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detector::matches;
    use crate::location::Part;

    fn hits(name: &str, text: &str) -> Vec<&'static str> {
        matches(&DETECTOR, Part::Query, name, text, 1)
    }

    #[test]
    fn attacks() {
        for (text, rule) in [
            ("http://169.254.169.254/latest/meta-data/", "ssrf.metadata"),
            (
                "http://metadata.google.internal/computeMetadata/v1/",
                "ssrf.metadata",
            ),
            ("http://2130706433/", "ssrf.internal-address"),
            ("http://0x7f000001/", "ssrf.internal-address"),
            ("http://0177.0.0.1/", "ssrf.internal-address"),
            ("http://127.1/", "ssrf.internal-address"),
            ("http://[::ffff:127.0.0.1]/", "ssrf.internal-address"),
            ("http://0.0.0.0:8080/", "ssrf.internal-address"),
            ("gopher://127.0.0.1:6379/_INFO", "ssrf.scheme"),
            ("dict://localhost:11211/stat", "ssrf.scheme"),
            ("file:///etc/passwd", "ssrf.scheme"),
            ("jar:http://evil.example/b.zip!/a", "ssrf.scheme"),
            ("http://66.240.183.75/crash.php", "ssrf.rfi"),
            ("https://evil.example/shell.txt?", "ssrf.rfi"),
            ("http://example.com%2f@evil.com/", "ssrf.url-confusion"),
            (r"http://\l\o\c\a\l\h\o\s\t/", "ssrf.url-confusion"),
            (r"https://\\evil.example\x", "ssrf.url-confusion"),
            ("https://metadata.packet.net/userdata", "ssrf.metadata"),
            ("http://192.0.0.192/latest/user-data/", "ssrf.metadata"),
            ("http:127.0.0.1", "ssrf.internal-address"),
            ("http:/2852039166", "ssrf.metadata"),
            ("http:0xa9fea9fe", "ssrf.metadata"),
            ("http:[::ffff:a9fe:a9fe]", "ssrf.metadata"),
            ("http:0251.0376.0251.0376", "ssrf.metadata"),
            ("http:123456789", "ssrf.rfi"),
            ("http://7147006462/", "ssrf.metadata"),
            ("http://0x41414141A9FEA9FE/", "ssrf.metadata"),
            (
                "acap://\u{2460}\u{2461}\u{2466}.\u{24ea}.\u{24ea}.\u{2460}",
                "ssrf.internal-address",
            ),
            (
                "irc://\u{24db}\u{24de}\u{24d2}\u{24d0}\u{24db}\u{24d7}\u{24de}\u{24e2}\u{24e3}",
                "ssrf.internal-address",
            ),
            (
                "http://169\u{3002}254\u{3002}169\u{3002}254/",
                "ssrf.metadata",
            ),
            ("http://[fe80::%zone1]", "ssrf.internal-address"),
            (
                "http://google.com:80 &@127.88.23.245:22/# @google.com:80/",
                "ssrf.url-confusion",
            ),
            (
                "http://google.com:80 &@google.com:80# @127.88.23.245:22/",
                "ssrf.url-confusion",
            ),
            ("http://x.lvh.me/", "ssrf.internal-address"),
            ("localhost/", "ssrf.schemeless-internal"),
            ("LOCALHOST:8080/admin", "ssrf.schemeless-internal"),
            ("host.docker.internal/", "ssrf.schemeless-internal"),
            (
                "kubernetes.default.svc.cluster.local/",
                "ssrf.schemeless-internal",
            ),
            ("lvh.me/", "ssrf.schemeless-internal"),
            ("ip6-loopback/", "ssrf.schemeless-internal"),
            ("data:text/plain;base64,SSBsb3ZlIFBIUAo=", "ssrf.data-uri"),
            ("data://text/plain;base64,PD9waHA=", "ssrf.data-uri"),
            ("http?", "ssrf.rfi"),
            ("file??", "ssrf.rfi"),
        ] {
            assert!(
                hits("x", text).contains(&rule),
                "{text}: {:?}",
                hits("x", text)
            );
        }
        assert!(hits("mosconfig_absolute_path", "https://foo.bar").contains(&"ssrf.rfi"));
        assert!(hits("url", "http://localhost/").contains(&"ssrf.internal-fetch"));
        assert_eq!(
            matches(&DETECTOR, Part::Body, "", "data:text/plain;base64,SGk=", 2),
            ["ssrf.data-uri-body"]
        );
        assert_eq!(
            matches(&DETECTOR, Part::BodyKey, "", "data:text/plain", 1),
            ["ssrf.data-uri"]
        );
        assert_eq!(
            matches(&DETECTOR, Part::Path, "", "/get/https://example.com/", 2),
            ["ssrf.url-in-path"]
        );
        assert!(matches(&DETECTOR, Part::Path, "", "/get/https://example.com/", 1).is_empty());
        assert!(matches(&DETECTOR, Part::Path, "", "/docs/http/status", 2).is_empty());
    }

    #[test]
    fn benign() {
        for (name, text) in [
            ("redirect_uri", "http://localhost:8080/login/oauth2/code"),
            ("origins", "http://127.0.0.1:5173"),
            ("url", "https://example.com/a?b=c"),
            // A page's address with an empty query: not a file to include.
            ("url", "https://example.com/search?"),
            ("url", "https://forms.gle/abc123?"),
            ("url", "https://example.com/?"),
            ("q", "Put it in a jar: then close it"),
            ("q", "see https://example.com/path and file: notes"),
            ("q", "ratio 10:1"),
            ("img", "data:image/png;base64,AAAA"),
            ("server", "localhost"),
            ("server", "mylocalhost/"),
            ("q", "run it on localhost/8080 first"),
            ("url", "example.com/"),
            ("q", "see http://example.com and mail bob@example.com/x"),
            ("q", "https: is it safe?"),
            ("q", "file transfer fails?"),
            ("q", "http:is it safe?"),
            ("healthcheck_url", "http://localhost:9000/healthz"),
            ("q", r"https:\/\/example.com\/a"),
            ("q", r"http:\/\/example.com"),
        ] {
            assert!(
                hits(name, text).is_empty(),
                "{text}: {:?}",
                hits(name, text)
            );
        }
        assert_eq!(
            matches(&DETECTOR, Part::Body, "origin", "http://localhost:3000", 2),
            ["ssrf.internal-address-plain"]
        );
    }
}
