//! Remote file inclusion and server-side request forgery.
//!
//! Every `scheme://authority` in the value is parsed (user info dropped, IPv6 brackets
//! kept) and its host classified: a cloud metadata endpoint, an internal address written in
//! a notation only a filter bypass uses (`2130706433`, `0x7f000001`, `0177.0.0.1`, `127.1`,
//! `[::ffff:127.0.0.1]`), a plain internal address (`localhost`, `10.0.0.1` — normal in
//! configuration and OAuth redirect URIs, so only at paranoia 2), or a public IP literal
//! (the classic RFI shape). Schemes no web client needs (`gopher:`, `dict:`, `file:`,
//! `ldap:`, `jar:`, `netdoc:`) are reported wherever they open a URL, and URLs that end in
//! `?` or are given to parameters named like include targets are RFI.

use crate::detector::{Detector, Features, Input, Sink};
use crate::rule::{Class, Rule, Severity};
use memchr::memmem::Finder;
use std::net::Ipv6Addr;
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
/// `@` (`http://example.com%2f@evil.com/`).
static CONFUSION: Rule = Rule {
    id: "ssrf.url-confusion",
    class: Class::Ssrf,
    paranoia: 1,
    severity: Severity::Critical,
    description: "URL authority crafted to confuse URL parsers",
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
    ],
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

fn classify(host: &[u8]) -> Host {
    let host = host.strip_suffix(b".").unwrap_or(host);
    if matches!(
        host,
        b"169.254.169.254"
            | b"metadata.google.internal"
            | b"metadata"
            | b"100.100.100.200"
            | b"169.254.170.2"
            | b"metadata.azure.com"
            | b"[fd00:ec2::254]"
    ) {
        return Host::Metadata;
    }
    if let Some(inner) = host.strip_prefix(b"[").and_then(|h| h.strip_suffix(b"]")) {
        let inner = inner.split(|&c| c == b'%').next().unwrap_or(inner);
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
        if ip.is_loopback() {
            return Host::Internal;
        }
        if ip.is_unspecified() {
            return Host::Obfuscated;
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
    if host == b"localhost"
        || host.ends_with(b".localhost")
        || host.ends_with(b".internal")
        || host.ends_with(b".local")
    {
        return Host::Internal;
    }
    // Wildcard DNS services that resolve to the address in the name.
    if (host.ends_with(b".nip.io") || host.ends_with(b".xip.io") || host.ends_with(b".sslip.io"))
        || host == b"localtest.me"
        || host.ends_with(b".localtest.me")
    {
        return Host::Obfuscated;
    }
    Host::Name
}

static ENCODED_SLASH: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b"%2f"));
static ENCODED_BACKSLASH: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b"%5c"));

fn scan(input: &Input<'_>, sink: &mut Sink<'_>) {
    let s = input.lower;
    if !input.features.any(Features::COLON) {
        return;
    }
    let trimmed = s.trim_ascii();
    let lead = s.len() - s.trim_ascii_start().len();
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
            }
            continue;
        }
        if slashes < 2 {
            continue;
        }
        let web = matches!(scheme, b"http" | b"https" | b"ftp" | b"ws" | b"wss");
        // The authority.
        let auth_start = colon + 1 + slashes;
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
        // Before the `@` there may be `%2f` that a decoder turned into `/`; check the raw text
        // after the authority for `@` too: `http://example.com/@evil.com` is normal, but a
        // backslash before `@` is not.
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
        let value_is_url = st == lead;
        match classify(host) {
            Host::Metadata => sink.report(&METADATA, span),
            Host::Obfuscated => sink.report(&INTERNAL_OBFUSCATED, span),
            Host::Internal => sink.report(&INTERNAL, span),
            Host::PublicIp if value_is_url && web => sink.report(&RFI, span),
            _ => {}
        }
        if value_is_url && web {
            let include_param = INCLUDE_NAMES.contains(&input.name)
                || input.name.contains("absolute_path")
                || input.name.ends_with("[path]");
            // `http://evil/shell.txt?`: the only `?` ends the value, so whatever the
            // application appends becomes a query string.
            let lone_question = trimmed.ends_with(b"?")
                && memchr::memchr(b'?', &s[auth_end..]).map(|p| auth_end + p)
                    == Some(lead + trimmed.len() - 1);
            if include_param || lone_question {
                sink.report(&RFI, st..s.len());
            }
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
        ] {
            assert!(
                hits("x", text).contains(&rule),
                "{text}: {:?}",
                hits("x", text)
            );
        }
        assert!(hits("mosconfig_absolute_path", "https://foo.bar").contains(&"ssrf.rfi"));
    }

    #[test]
    fn benign() {
        for (name, text) in [
            ("redirect_uri", "http://localhost:8080/login/oauth2/code"),
            ("origins", "http://127.0.0.1:5173"),
            ("url", "https://example.com/a?b=c"),
            ("q", "Put it in a jar: then close it"),
            ("q", "see https://example.com/path and file: notes"),
            ("q", "ratio 10:1"),
            ("img", "data:image/png;base64,AAAA"),
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
