//! Path traversal and local file inclusion.
//!
//! Traversal: the value is read as a stream of "dot" and "slash" units, each of which may be
//! written plainly or in one of the encodings that slip past naive filters (`%2e`, `%252e`,
//! overlong UTF-8 `%c0%ae`/`0xc0 0xae`, `%u002e`, `0x2e`, backslashes, `%5c`, `%c0%af`); a
//! step is two or more dots followed by a slash (or by `;` and a slash, Tomcat's `..;/`). Two
//! steps, an encoded step, or a filter-evasion step (`....//`) are an attack; one plain `../`
//! is weak (relative paths in configuration are normal).
//!
//! Sensitive files: well-known system and secret files (`/etc/passwd`, `/proc/self/environ`,
//! `win.ini`, `.git/config`, `id_rsa`, `.env`, `wp-config.php`…) named as a path, and
//! hidden configuration directories requested as URL path segments.

use crate::detector::{Detector, Features, Input, Sink, WordSet};
use crate::location::Part;
use crate::needle;
use crate::rule::{Class, Rule, Severity};
use memchr::memmem::Finder;
use std::sync::LazyLock;

/// Two or more `../` steps, or one encoded or filter-evading step.
static TRAVERSAL: Rule = Rule {
    id: "path.traversal",
    class: Class::PathTraversal,
    paranoia: 1,
    severity: Severity::Critical,
    description: "path traversal (../ sequences, plain or encoded)",
};

/// A value that starts with one `../` or `..\`.
static TRAVERSAL_WEAK: Rule = Rule {
    id: "path.traversal-weak",
    class: Class::PathTraversal,
    paranoia: 1,
    severity: Severity::Notice,
    description: "relative path leaving its directory (one ../)",
};

/// One `../` inside a value (a Markdown link to `../docs` has one too).
static TRAVERSAL_INNER: Rule = Rule {
    id: "path.traversal-inner",
    class: Class::PathTraversal,
    paranoia: 2,
    severity: Severity::Notice,
    description: "one ../ inside a value",
};

/// A well-known sensitive file or directory named as a path.
static SENSITIVE_FILE: Rule = Rule {
    id: "path.sensitive-file",
    class: Class::PathTraversal,
    paranoia: 1,
    severity: Severity::Critical,
    description: "access to a sensitive system or secret file",
};

/// A sensitive file named in prose rather than as a path (`edit /etc/hosts`).
static SENSITIVE_FILE_WEAK: Rule = Rule {
    id: "path.sensitive-file-weak",
    class: Class::PathTraversal,
    paranoia: 2,
    severity: Severity::Warning,
    description: "mention of a sensitive file inside text",
};

/// The path detector.
pub(crate) static DETECTOR: Detector = Detector {
    class: Class::PathTraversal,
    rules: &[
        &TRAVERSAL,
        &TRAVERSAL_WEAK,
        &TRAVERSAL_INNER,
        &SENSITIVE_FILE,
        &SENSITIVE_FILE_WEAK,
    ],
    alnum: true,
    scan,
};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Unit {
    Dot,
    Slash,
}

/// The unit at `i`, its length, and whether it was encoded.
fn unit(s: &[u8], i: usize) -> Option<(Unit, usize, bool)> {
    let rest = &s[i..];
    let b = *rest.first()?;
    match b {
        b'.' => Some((Unit::Dot, 1, false)),
        b'/' | b'\\' => Some((Unit::Slash, 1, false)),
        0xc0 if rest.get(1) == Some(&0xae) => Some((Unit::Dot, 2, true)),
        0xc0 if matches!(rest.get(1), Some(0xaf | 0x2f)) => Some((Unit::Slash, 2, true)),
        0xc1 if matches!(rest.get(1), Some(0x9c | 0x1c)) => Some((Unit::Slash, 2, true)),
        0xe0 if rest.get(1) == Some(&0x80) && rest.get(2) == Some(&0xae) => {
            Some((Unit::Dot, 3, true))
        }
        b'%' => {
            let r = &rest[1..];
            let pick = |r: &[u8]| -> Option<(Unit, usize)> {
                if r.starts_with(b"2e") {
                    Some((Unit::Dot, 2))
                } else if r.starts_with(b"2f") || r.starts_with(b"5c") {
                    Some((Unit::Slash, 2))
                } else if r.starts_with(b"c0%ae") || r.starts_with(b"e0%80%ae") {
                    Some((Unit::Dot, if r[1] == b'0' { 5 } else { 8 }))
                } else if r.starts_with(b"c0%af")
                    || r.starts_with(b"c1%9c")
                    || r.starts_with(b"c0%2f")
                {
                    Some((Unit::Slash, 5))
                } else if r.starts_with(b"u002e") || r.starts_with(b"uff0e") {
                    Some((Unit::Dot, 5))
                } else if r.starts_with(b"u2215")
                    || r.starts_with(b"u2216")
                    || r.starts_with(b"u002f")
                    || r.starts_with(b"u005c")
                {
                    Some((Unit::Slash, 5))
                } else {
                    None
                }
            };
            if let Some((u, n)) = pick(r) {
                return Some((u, 1 + n, true));
            }
            if r.starts_with(b"25")
                && let Some((u, n)) = pick(&r[2..])
            {
                return Some((u, 3 + n, true));
            }
            None
        }
        b'0' if rest.get(1) == Some(&b'x') => {
            if rest[2..].starts_with(b"2e") {
                Some((Unit::Dot, 4, true))
            } else if rest[2..].starts_with(b"2f") || rest[2..].starts_with(b"5c") {
                Some((Unit::Slash, 4, true))
            } else {
                None
            }
        }
        _ => None,
    }
}

#[derive(Default)]
struct Traversal {
    steps: u32,
    encoded: bool,
    evasive: bool,
    at_start: bool,
    /// The first step, at the start, ends in a backslash (`..\`).
    backslash: bool,
    first: usize,
}

/// Counts traversal steps: runs of two or more dots followed by a slash (allowing `;…` and
/// NUL bytes between), where the dots begin the value or follow a slash or a non-word byte.
fn traversal(s: &[u8]) -> Traversal {
    let mut t = Traversal::default();
    let mut i = 0;
    let mut prev_slash_or_start = true;
    let mut prev_word = false;
    while i < s.len() {
        let Some((u, n, enc)) = unit(s, i) else {
            let b = s[i];
            prev_word = b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80;
            prev_slash_or_start = false;
            i += 1;
            continue;
        };
        if u == Unit::Slash {
            prev_slash_or_start = true;
            prev_word = false;
            i += n;
            continue;
        }
        // A run of dots.
        let start = i;
        let mut dots = 0;
        let mut encoded = enc;
        let mut j = i;
        while let Some((Unit::Dot, n, e)) = unit(s, j) {
            dots += 1;
            encoded |= e;
            j += n;
        }
        let boundary = prev_slash_or_start || !prev_word;
        // Tomcat's `..;/` and NUL padding.
        let mut k = j;
        if s.get(k) == Some(&b';') {
            k += 1;
            while k < s.len() && k < j + 16 && !matches!(unit(s, k), Some((Unit::Slash, _, _))) {
                k += 1;
            }
        }
        while s[k..].starts_with(b"%00") || s.get(k) == Some(&0) {
            k += if s.get(k) == Some(&0) { 1 } else { 3 };
        }
        let mut slashes = 0;
        let mut m = k;
        while let Some((Unit::Slash, n, e)) = unit(s, m) {
            slashes += 1;
            encoded |= e;
            m += n;
        }
        let at_end = m >= s.len();
        if dots >= 2 && boundary && (slashes > 0 || (at_end && prev_slash_or_start && start > 0)) {
            if t.steps == 0 {
                t.first = start;
                t.at_start = s[..start].iter().all(|c| c.is_ascii_whitespace());
                t.backslash = t.at_start && s.get(k) == Some(&b'\\');
            }
            t.steps += 1;
            t.encoded |= encoded;
            t.evasive |= (dots >= 4 && slashes >= 2) || k > j;
        }
        prev_slash_or_start = slashes > 0;
        prev_word = false;
        i = m.max(j);
    }
    t
}

static WP_CONTENT: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b"wp-content/"));
/// The marks of an encoded or plain traversal, for the shared trigger words: `..`, and the
/// `0x` of a hex-encoded dot or slash.
pub(super) const MARKS: [&[u8]; 2] = [b"..", b"0x"];

/// The index of each mark in [`MARKS`].
#[derive(Clone, Copy)]
enum Mark {
    TwoDots = 0,
    Hex = 1,
}

/// Where `0x` ends in the value (the `x`).
fn hex_at<'a>(input: &'a Input<'_>) -> impl Iterator<Item = usize> + 'a {
    input
        .word_starts(WordSet::PathMark, Mark::Hex as usize)
        .map(|at| at + 1)
}

/// Whether the value may hold a traversal step: two dot units in a row and a slash unit.
fn may_traverse(input: &Input<'_>) -> bool {
    let (s, f) = (input.lower, input.features);
    // A step needs two dot units in a row (see [`unit`]); a percent-encoded one is `%2e`,
    // `%c0%ae`, `%e0%80%ae`, `%u002e` or `%uff0e`, each maybe encoded twice (`%25…`).
    let percent_dot = || {
        memchr::memchr_iter(b'%', s).any(|i| {
            let r = &s[i + 1..];
            let r = r.strip_prefix(b"25").unwrap_or(r);
            [&b"2e"[..], b"c0%ae", b"e0%80%ae", b"u002e", b"uff0e"]
                .iter()
                .any(|dot| r.starts_with(dot))
        })
    };
    if (f.any(Features::ESCAPE) && percent_dot())
        || (f.any(Features::HIGH) && s.iter().any(|&b| matches!(b, 0xc0 | 0xc1 | 0xe0)))
    {
        return true;
    }
    // Without a percent-encoded dot or overlong bytes, two dot units in a row are `..` or
    // hold `0x2e`; a slash unit is `/`, `\\`, `0x2f` or `0x5c`, or may be percent-encoded.
    let hex =
        |unit: &[&[u8]]| hex_at(input).any(|i| unit.iter().any(|u| s[i + 1..].starts_with(u)));
    let two_dots = || {
        input
            .word_starts(WordSet::PathMark, Mark::TwoDots as usize)
            .next()
            .is_some()
    };
    let dots = two_dots() || hex(&[b"2e"]);
    dots && (f.any(Features::SLASH | Features::ESCAPE) || hex(&[b"2f", b"5c"]))
}

/// Sensitive files: (pattern, strong). A strong pattern is an attack wherever it is named
/// as a path; a weak one only when the value is a path or a traversal leads to it.
const FILES: &[(&str, bool)] = &[
    ("etc/passwd", true),
    ("etc/shadow", true),
    ("etc/master.passwd", true),
    ("etc/gshadow", true),
    ("etc/sudoers", true),
    ("etc/security/", true),
    ("etc/subuid", true),
    ("etc/subgid", true),
    ("etc/group", false),
    ("etc/hosts", false),
    ("etc/issue", false),
    ("etc/crontab", false),
    ("etc/httpd/", false),
    ("etc/apache2/", false),
    ("etc/nginx/", false),
    ("etc/mysql/", false),
    ("etc/ssh/", false),
    ("etc/pam.d", false),
    ("etc/profile", false),
    ("etc/environment", false),
    ("proc/self/environ", true),
    ("proc/self/cmdline", true),
    ("proc/self/fd/", true),
    ("proc/self/mem", true),
    ("proc/self/exe", true),
    ("proc/self/cwd", true),
    ("proc/self/root", true),
    ("proc/self/maps", true),
    ("proc/self/", false),
    ("proc/sys/", false),
    ("proc/version", false),
    ("proc/cmdline", false),
    ("proc/sched_debug", false),
    ("proc/interrupts", false),
    ("proc/net/", false),
    ("proc/mounts", false),
    ("sys/class", false),
    ("var/log/", false),
    ("root/", false),
    (".ssh/", true),
    ("id_rsa", true),
    ("id_dsa", true),
    ("id_ecdsa", true),
    ("id_ed25519", true),
    ("authorized_keys", true),
    (".bash_history", true),
    (".zsh_history", true),
    (".mysql_history", true),
    (".psql_history", true),
    (".history", false),
    (".bashrc", false),
    (".profile", false),
    (".htpasswd", true),
    (".htaccess", false),
    (".git/", true),
    (".svn/", true),
    (".hg/", false),
    (".env", false),
    (".aws/", true),
    (".docker/", false),
    (".kube/", false),
    (".npmrc", false),
    (".netrc", true),
    (".pgpass", true),
    ("wp-config.php", true),
    ("web.config", false),
    ("httpd.conf", false),
    ("php.ini", false),
    ("boot.ini", true),
    ("win.ini", true),
    ("system.ini", true),
    ("windows/system32", true),
    ("winnt/system32", true),
    ("system32/config/", true),
    ("autoexec.bat", true),
    ("inetpub/", false),
    ("applicationhost.config", true),
];

/// The sensitive files, for the [`super::TRIGGER_WORDS`].
pub(super) fn file_words() -> Vec<&'static [u8]> {
    FILES.iter().map(|(p, _)| p.as_bytes()).collect()
}

/// Directories that are normal in configuration values (`/var/log/app`), sensitive only at
/// the end of a traversal.
const TRAVERSAL_ONLY: &[&str] = &[
    "var/log/",
    "root/",
    "inetpub/",
    "sys/class",
    "proc/net/",
    "proc/sys/",
    "etc/httpd/",
    "etc/apache2/",
    "etc/nginx/",
    "etc/mysql/",
    "etc/ssh/",
];

/// Hidden directories and files that hold secrets or tool configuration, requested as a URL
/// path segment.
const HIDDEN_SEGMENTS: &[&str] = &[
    ".env",
    ".git",
    ".svn",
    ".hg",
    ".bzr",
    ".aws",
    ".ssh",
    ".docker",
    ".kube",
    ".npmrc",
    ".pypirc",
    ".netrc",
    ".htaccess",
    ".htpasswd",
    ".bash_history",
    ".zsh_history",
    ".ds_store",
    ".idea",
    ".vscode",
    ".claude",
    ".cursor",
    ".continue",
    ".aider",
    ".roo",
    ".zed",
    ".cline",
    ".kiro",
    ".windsurf",
    ".codex",
    ".opencode",
    ".a0proj",
    ".plandex",
    ".fabric",
    ".n8n",
    ".junie",
    ".rovodev",
    ".gemini",
    ".copilot",
    ".aiignore",
    ".cursorignore",
    ".boto",
    ".config",
    ".gnupg",
    ".terraform",
    ".vagrant",
];

fn is_path_byte(b: u8) -> bool {
    matches!(b, b'/' | b'\\')
}

/// Whether the sensitive file `pattern`, `rest` after it, is its public variant: a public
/// key (`id_rsa.pub`) or a template committed with the code (`.env.example`).
fn public_variant(pattern: &str, rest: &[u8]) -> bool {
    let suffixes: &[&[u8]] = if pattern == ".env" {
        &[b".example", b".sample", b".dist", b".template"]
    } else if pattern.starts_with("id_") {
        &[b".pub"]
    } else {
        return false;
    };
    suffixes.iter().any(|suffix| {
        rest.strip_prefix(*suffix)
            .is_some_and(|after| after.first().is_none_or(|c| !c.is_ascii_alphanumeric()))
    })
}

fn sensitive(input: &Input<'_>, trav: &Traversal, sink: &mut Sink<'_>) {
    let s = input.lower;
    for m in input.words(WordSet::File) {
        let (pattern, strong) = FILES[m.pattern().as_usize()];
        let start = m.start();
        let before = if start > 0 { Some(s[start - 1]) } else { None };
        // The name must start a path component…
        let starts_component = match before {
            None => true,
            Some(b) => {
                is_path_byte(b)
                    || (pattern.starts_with('.')
                        || pattern.starts_with("id_")
                        || pattern.contains('.'))
                        && !b.is_ascii_alphanumeric()
                        && b != b'.'
            }
        };
        // …and end one.
        let after = s.get(m.end());
        let ends_component = pattern.ends_with('/')
            || after.is_none_or(|&c| !(c.is_ascii_alphanumeric() || c == b'_' || c == b'-'))
            || (pattern == ".env" && after == Some(&b'.'));
        if !starts_component || !ends_component || public_variant(pattern, &s[m.end()..]) {
            continue;
        }
        let value_is_path = s[..start].iter().all(|&c| {
            is_path_byte(c)
                || c == b'.'
                || c == b'~'
                || c == b':'
                || c.is_ascii_whitespace()
                || c.is_ascii_alphabetic() && start < 3
        }) || trav.steps > 0
            || input.part == Part::Path
            || path_start(s, start);
        let rooted = before.is_some_and(is_path_byte);
        let span = start..m.end();
        let traversal_only = TRAVERSAL_ONLY.contains(&pattern);
        if traversal_only {
            // Kernel interfaces are never routes of a web application.
            // …nor values an application reads as a path (`/proc/net/tcp` from a header).
            let kernel = matches!(pattern, "sys/class" | "proc/net/" | "proc/sys/");
            let opens_value = s[..start].iter().all(|&c| c == b'/') && start > 0;
            if trav.steps > 0 || (kernel && rooted && (input.part == Part::Path || opens_value)) {
                sink.report(&SENSITIVE_FILE, span);
            }
        } else if value_is_path || (strong && rooted) {
            sink.report(&SENSITIVE_FILE, span);
        } else {
            sink.report(&SENSITIVE_FILE_WEAK, span);
        }
    }
}

/// Whether the path containing `at` starts the value or follows a `=`, a quote or a
/// command: `file=/etc/hosts`, `cat /etc/hosts`.
fn path_start(s: &[u8], at: usize) -> bool {
    let mut k = at;
    while k > 0
        && !s[k - 1].is_ascii_whitespace()
        && !matches!(s[k - 1], b'=' | b'"' | b'\'' | b'(' | b',')
    {
        k -= 1;
    }
    // k is the start of the token holding the name.
    k == 0 || matches!(s[k - 1], b'=' | b'"' | b'\'')
}

/// Extensions of backup, swap and dump files left next to an application's sources; a
/// request for one is a scan for leaked sources or databases.
const BACKUP_EXTENSIONS: &[&[u8]] = &[
    b".bak",
    b".swp",
    b".swo",
    b".orig",
    b".sql.gz",
    b".sql.zip",
    b".sql.bz2",
    b".sql.xz",
    b".sql.tar",
    b".sql.7z",
    b".sql.tgz",
    b".dump.gz",
];

/// Whether a query value is a bare file name (no space, no slash) of a backup or dump
/// (`backup.sql.zip`, `index.php.bak`).
fn backup_file(v: &[u8]) -> bool {
    v.len() > 4
        && !v.iter().any(|&c| c == b'/' || c.is_ascii_whitespace())
        && BACKUP_EXTENSIONS.iter().any(|e| v.ends_with(e))
}

/// Development-server internals reachable over HTTP: Vite's `/@fs/` (any file) and
/// `/@id/__x00__` (virtual modules, CVE-2025-30208 and kin).
const DEV_SERVER: &[&[u8]] = &[b"/@fs/", b"/@id/__x00__", b"/@id/\0"];

/// A URL path asking for a backup or dump file, or a development server's file access.
fn path_requests(s: &[u8], features: Features, sink: &mut Sink<'_>) {
    // Every hidden segment, backup extension and log name holds a `.`.
    if features.any(Features::DOT) {
        let seg = s.trim_ascii();
        if HIDDEN_SEGMENTS.iter().any(|h| seg == h.as_bytes()) {
            sink.report(&SENSITIVE_FILE, 0..s.len());
        }
        let last = seg.rsplit(|&c| c == b'/').next().unwrap_or(seg);
        if last.len() > 4 && BACKUP_EXTENSIONS.iter().any(|e| last.ends_with(e)) {
            sink.report(&SENSITIVE_FILE, s.len() - last.len()..s.len());
        }
        // WordPress's debug and error logs, readable where `WP_DEBUG_LOG` is left on.
        if last.ends_with(b".log") && WP_CONTENT.find(seg).is_some() {
            sink.report(&SENSITIVE_FILE, s.len() - last.len()..s.len());
        }
    }
    if features.any(Features::SIGIL) && memchr::memchr(b'@', s).is_some() {
        for pat in DEV_SERVER {
            if let Some(p) = needle::find(s, pat) {
                sink.report(&SENSITIVE_FILE, p..p + pat.len());
            }
        }
    }
}

fn scan(input: &Input<'_>, sink: &mut Sink<'_>) {
    let s = input.lower;
    if input.part == Part::Path {
        path_requests(s, input.features, sink);
    }
    // Prefilter: a dot, a slash, or an encoded one.
    let f = input.features;
    let interesting = f.any(Features::DOT | Features::SLASH | Features::ESCAPE)
        || (f.any(Features::HIGH) && s.iter().any(|&b| matches!(b, 0xc0 | 0xc1 | 0xe0)))
        || hex_at(input).next().is_some();
    if !interesting {
        return;
    }
    let trav = if may_traverse(input) {
        traversal(s)
    } else {
        Traversal::default()
    };
    // A file name never leaves its directory (browsers send base names); `..\` opening a
    // value targets Windows servers past filters that look for `../`.
    let strong = trav.encoded || trav.evasive || trav.backslash || input.part == Part::FileName;
    if trav.steps >= 2 || (trav.steps >= 1 && strong) {
        sink.report(&TRAVERSAL, trav.first..s.len().min(trav.first + 24));
    } else if trav.steps == 1 {
        if trav.at_start {
            sink.report(&TRAVERSAL_WEAK, trav.first..s.len().min(trav.first + 24));
        } else {
            sink.report(&TRAVERSAL_INNER, trav.first..s.len().min(trav.first + 24));
        }
    }
    sensitive(input, &trav, sink);
    if input.part == Part::Query && backup_file(s.trim_ascii()) {
        sink.report(&SENSITIVE_FILE, 0..s.len());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detector::{matches, with_input};
    use proptest::prelude::*;

    proptest! {
        // Steps of rare units are rare in random texts: many cases (they take under a second).
        #![proptest_config(ProptestConfig::with_cases(8192))]
        /// A value [`may_traverse`] rules out has no traversal step.
        #[test]
        fn what_may_not_traverse_does_not(
            pieces in proptest::collection::vec(
                proptest::sample::select(vec![
                    &b".."[..], b".", b"%2e", b"%252e", b"%2f", b"%5c", b"/", b"\\", b"%",
                    b"%25", b"0x2e", b"0x2f", b"%c0%ae", b"%c0%af", b"%e0%80%ae", b"%u002e",
                    b"%uff0e", b"%u2215", b"\xc0\xae", b"a", b";", b" ",
                ]),
                0..10,
            )
        ) {
            let text = pieces.concat();
            with_input(Part::Query, "q", &text, 1, |input| {
                if !may_traverse(input) {
                    assert_eq!(traversal(input.lower).steps, 0, "{:?}", String::from_utf8_lossy(&text));
                }
            });
        }
    }

    fn hits(text: &str) -> Vec<&'static str> {
        matches(&DETECTOR, Part::Query, "q", text, 1)
    }

    #[test]
    fn traversals() {
        for text in [
            "../../../etc/passwd",
            "..\\..\\windows\\win.ini",
            "%2e%2e%2f",
            "..%c0%af..%c0%afetc",
            "....//....//etc",
            "..;/admin",
            ".../.../WINDOWS/win.ini",
            "0x2e0x2e/",
        ] {
            assert!(
                hits(text).contains(&"path.traversal"),
                "{text}: {:?}",
                hits(text)
            );
        }
        assert_eq!(hits("../tsconfig.base.json"), ["path.traversal-weak"]);
        assert_eq!(hits("..\\pineapple"), ["path.traversal"]);
        assert!(hits("see ..\\pineapple").is_empty());
        assert_eq!(
            matches(&DETECTOR, Part::FileName, "file", "../1.7z", 1),
            ["path.traversal"]
        );
        assert!(matches(&DETECTOR, Part::FileName, "file", "docs/guide.md", 1).is_empty());
        assert!(hits("see [docs](../docs/readme.md)").is_empty());
    }

    #[test]
    fn files() {
        for text in [
            "/etc/passwd",
            "file=/etc/shadow",
            "cat /proc/self/environ",
            "c:\\boot.ini",
            ".ssh/id_rsa",
            "/var/www/.git/config",
        ] {
            assert!(
                hits(text).contains(&"path.sensitive-file"),
                "{text}: {:?}",
                hits(text)
            );
        }
        assert!(matches(&DETECTOR, Part::Path, "", ".env", 1).contains(&"path.sensitive-file"));
        // Secrets' backups and local copies are; public keys and committed templates not.
        for file in [".env.local", ".env.bak", ".ssh/id_rsa.old"] {
            assert!(hits(file).contains(&"path.sensitive-file"), "{file}");
        }
        for file in [
            ".env.example",
            ".env.sample",
            "id_rsa.pub",
            "keys/id_ed25519.pub",
        ] {
            assert!(hits(file).is_empty(), "{file}: {:?}", hits(file));
        }
        for path in [
            "/backup.sql.zip",
            "/www/index.php.bak",
            "/.index.php.swp",
            "/@id/__x00__",
            "/@fs/etc/hosts",
            "/get/sys/class",
        ] {
            assert!(
                matches(&DETECTOR, Part::Path, "", path, 1).contains(&"path.sensitive-file"),
                "{path}"
            );
        }
        for (part, text) in [
            (Part::Query, "/sys/class"),
            (Part::QueryName, "/sys/class"),
            (Part::Header, "/proc/sys/kernel/randomize_va_space"),
            (Part::Header, "/proc/net/tcp"),
            (Part::Query, "backup.sql.zip"),
            (Part::Query, "../.history"),
            (Part::Path, "/wp-content/debug.log"),
        ] {
            assert!(
                matches(&DETECTOR, part, "q", text, 1).contains(&"path.sensitive-file"),
                "{text}"
            );
        }
        for (part, text) in [
            (Part::Query, "see /sys/class/net for interfaces"),
            (Part::Body, "backup.sql.zip"),
            (Part::Query, "my backup.sql.zip"),
            (Part::Path, "/logs/debug.log"),
            (Part::Query, "order_total"),
            (Part::Query, "St. Stephen's Green"),
        ] {
            assert!(matches(&DETECTOR, part, "q", text, 1).is_empty(), "{text}");
        }
        for path in [
            "/api/v1/backups/42",
            "/files/report.sql.html",
            "/sys/classes",
            "/@me",
        ] {
            assert!(
                matches(&DETECTOR, Part::Path, "", path, 1).is_empty(),
                "{path}"
            );
        }
        for text in [
            "./src/*.js",
            "docs/readme.md",
            "The /proc/pid/setgroups file displays the string",
            "opening /proc/self/uid_map to see the mapping",
            "This is usually set to /etc/services.",
            "Copy .env.example to .env and edit it",
            "wait... /r/funny",
            "1.2.3",
            "v1..v2",
        ] {
            assert!(hits(text).is_empty(), "{text}: {:?}", hits(text));
        }
    }
}
