//! PHP code injection.
//!
//! What only PHP code contains: open tags (`<?php`, `<?=`, `<? `, `<?xml:echo`, `[php]`,
//! `{php}`), the superglobals (`$_GET`, `$_SERVER`, `$GLOBALS`…, also with blanks inside the
//! name), calls of the functions an injected payload uses (`system(`, `eval(`,
//! `base64_decode(`, with comments or blanks allowed between the name and the parenthesis),
//! calls through variables (`$a(1)`, `${'a'}(…)`, `$__[$_[1]](7)`) or through
//! strings (`(system)('id')`, `"sys"."tem"(…)`), stream wrappers (`php://input`, `phar://`,
//! `expect://`…), serialized objects (`O:8:"stdClass":1:{…}`), and upload file names ending
//! in a PHP extension. Function names that are also English words (`system`, `range`, `file`)
//! need an argument that looks like code (`$var`, a quoted string, a nested call).

use crate::detector::{Detector, Features, Input, Sink, WordSet};
use crate::rule::{Class, Rule, Severity};
use memchr::memmem::Finder;
use regex::bytes::Regex;
use std::sync::LazyLock;

/// `<?php`, `<?=`, `<? ` and the BBCode/Smarty forms `[php]`, `{php}`.
static OPEN_TAG: Rule = Rule {
    id: "php.open-tag",
    class: Class::Php,
    paranoia: 1,
    severity: Severity::Critical,
    description: "PHP open tag",
};

/// A call of a function injected PHP code uses.
static FUNCTION_CALL: Rule = Rule {
    id: "php.function-call",
    class: Class::Php,
    paranoia: 1,
    severity: Severity::Critical,
    description: "call of a dangerous PHP function",
};

/// A PHP superglobal: `$_GET`, `$_POST`, `$_SERVER`, `$GLOBALS`…, also spelt with blanks
/// between its letters and followed by `[` (`$_S ERVER['x']`).
static SUPERGLOBAL: Rule = Rule {
    id: "php.superglobal",
    class: Class::Php,
    paranoia: 1,
    severity: Severity::Critical,
    description: "PHP superglobal variable",
};

/// A call through a variable or a string: `$a(1)`, `${'a'}()`, `(system)('id')`.
static VARIABLE_CALL: Rule = Rule {
    id: "php.variable-function",
    class: Class::Php,
    paranoia: 1,
    severity: Severity::Critical,
    description: "PHP call through a variable, a string or an array",
};

/// A PHP stream wrapper: `php://input`, `phar://`, `zip://`, `expect://`…
static WRAPPER: Rule = Rule {
    id: "php.wrapper",
    class: Class::Php,
    paranoia: 1,
    severity: Severity::Critical,
    description: "PHP stream wrapper",
};

/// A serialized PHP object: `O:8:"stdClass":1:{…}`.
static SERIALIZED: Rule = Rule {
    id: "php.serialized-object",
    class: Class::Php,
    paranoia: 1,
    severity: Severity::Critical,
    description: "serialized PHP object (object injection)",
};

/// An uploaded file name with a PHP extension (`shell.php`, `a.phtml`, `x.phar`), or a PHP
/// session file name.
static UPLOAD: Rule = Rule {
    id: "php.script-upload",
    class: Class::Php,
    paranoia: 1,
    severity: Severity::Critical,
    description: "upload of a PHP script or session file",
};

/// A PHP configuration directive set in a value (`auto_prepend_file=…`).
static INI: Rule = Rule {
    id: "php.ini-directive",
    class: Class::Php,
    paranoia: 1,
    severity: Severity::Critical,
    description: "PHP configuration directive",
};

/// A function whose name is an English word, called with no argument or a plain word
/// (`system()`, `range (10)`).
static FUNCTION_CALL_WEAK: Rule = Rule {
    id: "php.function-call-weak",
    class: Class::Php,
    paranoia: 2,
    severity: Severity::Warning,
    description: "call of a PHP function whose name is also a word",
};

/// The php detector.
pub(crate) static DETECTOR: Detector = Detector {
    class: Class::Php,
    rules: &[
        &OPEN_TAG,
        &FUNCTION_CALL,
        &SUPERGLOBAL,
        &VARIABLE_CALL,
        &WRAPPER,
        &SERIALIZED,
        &UPLOAD,
        &INI,
        &FUNCTION_CALL_WEAK,
    ],
    alnum: true,
    scan,
};

/// Functions whose names are code, not words: a call alone is enough.
const CODE_FUNCTIONS: &[&str] = &[
    "base64_decode",
    "base64_encode",
    "shell_exec",
    "passthru",
    "proc_open",
    "proc_close",
    "popen",
    "pcntl_exec",
    "pcntl_fork",
    "call_user_func",
    "call_user_func_array",
    "create_function",
    "func_get_args",
    "register_shutdown_function",
    "register_tick_function",
    "array_map",
    "array_filter",
    "array_walk",
    "preg_replace",
    "preg_replace_callback",
    "mb_ereg_replace",
    "gzinflate",
    "gzuncompress",
    "gzdecode",
    "gzinflate",
    "zlib_decode",
    "str_rot13",
    "strrev",
    "convert_uudecode",
    "hex2bin",
    "bin2hex",
    "file_get_contents",
    "file_put_contents",
    "fopen",
    "fwrite",
    "fputs",
    "fputcsv",
    "fread",
    "fgets",
    "readfile",
    "highlight_file",
    "show_source",
    "php_uname",
    "phpinfo",
    "phpversion",
    "getenv",
    "putenv",
    "ini_set",
    "ini_get",
    "ini_get_all",
    "set_time_limit",
    "error_reporting",
    "assert_options",
    "get_defined_vars",
    "get_defined_functions",
    "get_defined_constants",
    "get_current_user",
    "getmypid",
    "getmyuid",
    "posix_getpwuid",
    "posix_getpwnam",
    "posix_getuid",
    "posix_geteuid",
    "posix_getegid",
    "posix_getgid",
    "posix_kill",
    "posix_mkfifo",
    "posix_setuid",
    "posix_uname",
    "move_uploaded_file",
    "unserialize",
    "escapeshellcmd",
    "escapeshellarg",
    "stream_get_contents",
    "stream_socket_client",
    "fsockopen",
    "pfsockopen",
    "curl_exec",
    "curl_init",
    "chmod",
    "chown",
    "symlink",
    "tempnam",
    "tmpfile",
    "parse_str",
    "include_once",
    "require_once",
    "gethostbyname",
    "str_replace",
    "strtolower",
    "strtoupper",
    "urldecode",
    "rawurldecode",
    "htmlspecialchars_decode",
    "var_dump",
    "print_r",
    "var_export",
    "array_diff",
    "is_array",
    "intval",
    "strip_tags",
    // File-system probes and compressed streams.
    "file_exists",
    "is_readable",
    "is_writable",
    "is_writeable",
    "scandir",
    "opendir",
    "readdir",
    "filegroup",
    "fileowner",
    "fileperms",
    "disk_free_space",
    "bzdecompress",
    "bzopen",
    "bzread",
    "gzopen",
    "gzread",
    "gzfile",
];

/// Functions whose names are also words: a call needs code-like arguments.
const WORD_FUNCTIONS: &[&str] = &[
    "system",
    "exec",
    "eval",
    "assert",
    "include",
    "require",
    "file",
    "touch",
    "range",
    "copy",
    "unlink",
    "rename",
    "print",
    "echo",
    "die",
    "exit",
    "list",
    "link",
    "glob",
    "header",
    "sleep",
    "mail",
    "dl",
    "chr",
    "ord",
    "implode",
    "explode",
    "serialize",
    "unpack",
    "pack",
    "define",
    "constant",
    "extract",
    "substr",
    "usort",
    "uasort",
    "crypt",
    "printf",
    "pi",
    "checkdate",
];

/// The function names, code names first, for the [`super::TRIGGER_WORDS`].
pub(super) fn function_words() -> Vec<&'static [u8]> {
    CODE_FUNCTIONS
        .iter()
        .chain(WORD_FUNCTIONS)
        .map(|f| f.as_bytes())
        .collect()
}

/// Skips blanks and comments (`/* */`, `//…\n`, `#…\n`) between a name and `(`; returns the
/// position after them and whether a comment was seen.
fn skip_gap(s: &[u8], mut i: usize) -> (usize, bool) {
    let mut comment = false;
    let limit = s.len().min(i + 256);
    while i < limit {
        match s[i] {
            b' ' | b'\t' | b'\r' | b'\n' | b'\x0b' | b'\x0c' => i += 1,
            b'/' if s.get(i + 1) == Some(&b'*') => {
                match COMMENT_END.find(&s[i + 2..limit]) {
                    Some(p) => i += p + 4,
                    None => return (i, comment),
                }
                comment = true;
            }
            b'/' if s.get(i + 1) == Some(&b'/') => {
                match memchr::memchr(b'\n', &s[i..limit]) {
                    Some(p) => i += p + 1,
                    None => return (i, comment),
                }
                comment = true;
            }
            b'#' => {
                match memchr::memchr(b'\n', &s[i..limit]) {
                    Some(p) => i += p + 1,
                    None => return (i, comment),
                }
                comment = true;
            }
            _ => break,
        }
    }
    (i, comment)
}

static COMMENT_END: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b"*/"));
static COLON_QUOTE: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b":\""));

fn is_ident(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// Whether `name` is written with a capital and then small letters (`System`).
fn titled(name: &[u8]) -> bool {
    name.first().is_some_and(u8::is_ascii_uppercase)
        && name[1..].iter().all(|b| !b.is_ascii_uppercase())
}

/// Whether the argument list opening at `open` (just after `(`) looks like code.
/// `word_at_end`: whether one bare word closing the value (`whoami` in `system(whoami)`) is
/// code, as it is not in prose's asides ("Copy (optional)", "Mail (work)"); followed by `;`,
/// it is.
fn code_argument(s: &[u8], open: usize, word_at_end: impl Fn(&[u8]) -> bool) -> bool {
    let (i, _) = skip_gap(s, open);
    match s.get(i) {
        Some(b'$' | b'\'' | b'"' | b'`' | b'@') => true,
        Some(b')') => {
            // `eval()` followed by `;` or the end.
            let (j, _) = skip_gap(s, i + 1);
            matches!(s.get(j), None | Some(b';' | b'?' | b'.' | b'['))
        }
        Some(c) if c.is_ascii_alphabetic() || *c == b'_' => {
            // A nested call, or a bare command name closed at once (`system(whoami)`).
            let end = s[i..]
                .iter()
                .position(|&c| !is_ident(c))
                .map_or(s.len(), |p| i + p);
            let (k, _) = skip_gap(s, end);
            match s.get(k) {
                Some(b'(') => true,
                Some(b')') => {
                    let (m, _) = skip_gap(s, k + 1);
                    match s.get(m) {
                        None => word_at_end(&s[i..end]),
                        next => next == Some(&b';'),
                    }
                }
                _ => false,
            }
        }
        _ => false,
    }
}

fn functions(input: &Input<'_>, sink: &mut Sink<'_>) {
    let s = input.lower;
    // A call's name ends before its `(`, and no name holds one: the names past the last `(`
    // cannot be calls, and those before it are found the same in the shorter text.
    let Some(last) = memchr::memrchr(b'(', s) else {
        return;
    };
    for m in input.words_leftmost_longest(WordSet::PhpFunction, last) {
        let is_code_name = m.pattern().as_usize() < CODE_FUNCTIONS.len();
        // A word name must stand alone; a code name may be glued to junk (`FOOgzdecode(`).
        if m.start() > 0
            && (s[m.start() - 1] == b'$'
                || (is_ident(s[m.start() - 1]) && !(is_code_name && m.len() >= 6)))
        {
            continue;
        }
        // `->method(` and `::method(` are method calls of other names; keep them anyway.
        let (mut open, comment) = skip_gap(s, m.end());
        // `shell_exec=(…)`: a code name given a parenthesised expression.
        if is_code_name && s.get(open) == Some(&b'=') {
            open = skip_gap(s, open + 1).0;
        }
        if s.get(open) != Some(&b'(') {
            continue;
        }
        if is_manual_reference(&s[open + 1..]) {
            continue;
        }
        let at = m.start() > 0 && s[m.start() - 1] == b'@';
        // `chr(115)`: building a string character by character.
        let char_code = &s[m.start()..m.end()] == b"chr" && numeric_argument(&s[open + 1..]);
        let span = m.start()..s.len().min(open + 16);
        // Glued to its `(`, or a function that runs code or commands (`exec (blah)`; the
        // code names among them are calls anyway), unless its name is written as a label's
        // first word (`System (default)`, a theme's) and the word names no command (PHP 7
        // reads a bare word as that string: `System (id)` runs `id`).
        let glued = open == m.end();
        let dangerous = DANGEROUS.contains(&&s[m.start()..m.end()]);
        let titled = titled(&input.text[m.start()..m.end()]);
        let word_at_end =
            |word: &[u8]| glued || (dangerous && (!titled || super::command::names_command(word)));
        if comment || at || char_code || is_code_name || code_argument(s, open + 1, word_at_end) {
            sink.report(&FUNCTION_CALL, span);
        } else {
            sink.report(&FUNCTION_CALL_WEAK, span);
        }
    }
}

/// Name prefixes of PHP extensions whose functions are called `ext_verb_object(`: with two
/// underscores and a call, such a name is PHP (`pg_enter_pipeline_mode(`,
/// `sodium_crypto_box_keypair(`, `ldap_get_entries(`), whatever the function's exact name.
const EXTENSION_PREFIXES: &[&[u8]] = &[
    b"pg_",
    b"ldap_",
    b"odbc_",
    b"sodium_",
    b"tidy_",
    b"zend_",
    b"mysqli_",
    b"mysql_",
    b"sqlite_",
    b"oci_",
    b"ibase_",
    b"openssl_",
    b"posix_",
    b"pcntl_",
    b"xmlrpc_",
    b"imap_",
    b"ftp_",
    b"ssh2_",
    b"curl_",
    b"stream_",
    b"socket_",
    b"session_",
    b"ob_",
    b"mb_",
    b"iconv_",
    b"gmp_",
    b"bcmath_",
    b"intl_",
    b"finfo_",
    b"libxml_",
    b"simplexml_",
    b"xml_",
    b"dba_",
    b"enchant_",
    b"exif_",
    b"gd_",
    b"image",
    b"apcu_",
    b"opcache_",
    b"readline_",
    b"shmop_",
    b"sem_",
    b"msg_",
    b"proc_",
    b"spl_",
    b"zip_",
];

/// `ext_verb_object (…`: a PHP extension function (see [`EXTENSION_PREFIXES`]).
fn extension_calls(s: &[u8], sink: &mut Sink<'_>) {
    let mut i = 0;
    while i < s.len() {
        if !s[i].is_ascii_alphabetic() || (i > 0 && (is_ident(s[i - 1]) || s[i - 1] == b'$')) {
            i += 1;
            continue;
        }
        let len = s[i..].iter().take_while(|&&c| is_ident(c)).count();
        let name = &s[i..i + len];
        let end = i + len;
        i = end;
        if !(8..=64).contains(&len) || name.iter().filter(|&&c| c == b'_').count() < 2 {
            continue;
        }
        if !EXTENSION_PREFIXES.iter().any(|p| name.starts_with(p)) {
            continue;
        }
        let (open, _) = skip_gap(s, end);
        if s.get(open) != Some(&b'(') {
            continue;
        }
        // Glued to its parenthesis, or followed by code-like arguments: prose writes
        // "pg_hba_conf (the file)".
        let (arg, _) = skip_gap(s, open + 1);
        let code_like = open == end
            || matches!(s.get(arg), None | Some(b')' | b'$' | b'\'' | b'"'))
            || code_argument(s, open + 1, |_| false);
        if code_like {
            sink.report(&FUNCTION_CALL, end - len..s.len().min(open + 1));
            return;
        }
    }
}

/// `115)`: a number of two or more digits closing the argument list.
fn numeric_argument(after_paren: &[u8]) -> bool {
    let digits = after_paren
        .iter()
        .take_while(|c| c.is_ascii_digit())
        .count();
    (2..=3).contains(&digits) && after_paren.get(digits) == Some(&b')')
}

/// `fopen(3)`, `chmod(2)`: a manual page, not a call.
fn is_manual_reference(after_paren: &[u8]) -> bool {
    matches!(after_paren, [d, b')', ..] | [d, _, b')', ..] if d.is_ascii_digit())
}

/// Tags, superglobals and stream wrappers, for the [`super::TRIGGER_WORDS`]; [`triggers`] reads
/// them by index.
const MARKERS: [&str; 20] = [
    "<?",                // 0
    "[php]",             // 1
    "{php}",             // 2
    "[/php]",            // 3
    "{/php}",            // 4
    "$_",                // 5
    "$globals",          // 6
    "$http_",            // 7
    "php://",            // 8
    "phar://",           // 9
    "zip://",            // 10
    "expect://",         // 11
    "compress.zlib://",  // 12
    "compress.bzip2://", // 13
    "glob://",           // 14
    "ssh2.",             // 15
    "rar://",            // 16
    "ogg://",            // 17
    "data://",           // 18
    "zlib:",             // 19
];

/// The markers, for the [`super::TRIGGER_WORDS`].
pub(super) fn marker_words() -> Vec<&'static [u8]> {
    MARKERS.iter().map(|m| m.as_bytes()).collect()
}

static SUPERGLOBALS: &[&[u8]] = &[
    b"$_get",
    b"$_post",
    b"$_request",
    b"$_server",
    b"$_cookie",
    b"$_files",
    b"$_env",
    b"$_session",
    b"$globals",
    b"$http_raw_post_data",
    b"$http_get_vars",
    b"$http_post_vars",
    b"$http_cookie_vars",
    b"$http_server_vars",
    b"$http_env_vars",
    b"$http_post_files",
];

fn triggers(input: &Input<'_>, sink: &mut Sink<'_>) {
    let s = input.lower;
    for m in input.words_leftmost_longest(WordSet::PhpMarker, s.len()) {
        let span = m.start()..s.len().min(m.end() + 16);
        match m.pattern().as_u32() {
            0 => {
                let after = &s[m.end()..];
                let (gap, _) = skip_gap(s, m.end());
                let rest = &s[gap..];
                if after.is_empty()
                    || after.starts_with(b"=")
                    || rest.starts_with(b"php")
                    || (gap > m.end()
                        && rest
                            .first()
                            .is_some_and(|c| c.is_ascii_alphabetic() || *c == b'$'))
                    // `<?xml:echo 1;`: no XML declaration or Word namespace island.
                    || (after.starts_with(b"xml:") && !after[4..].starts_with(b"namespace"))
                    || (after.starts_with(b"xml")
                        && after.get(3).is_some_and(u8::is_ascii_whitespace)
                        && !after[3..]
                            .iter()
                            .find(|c| !c.is_ascii_whitespace())
                            .is_some_and(|c| c.is_ascii_alphabetic() || *c == b'?'))
                {
                    sink.report(&OPEN_TAG, span);
                }
            }
            1..=4 => sink.report(&OPEN_TAG, span),
            5..=7 => {
                if SUPERGLOBALS.iter().any(|g| s[m.start()..].starts_with(g))
                    || spaced_superglobal(&s[m.start()..])
                {
                    sink.report(&SUPERGLOBAL, span);
                }
            }
            18 => {
                // data: URIs are common; `data://` with a base64 or text payload is PHP's.
                if s[m.end()..].starts_with(b"text/plain") {
                    sink.report(&WRAPPER, span);
                }
            }
            15 => {
                let rest = &s[m.end()..];
                if ["shell://", "exec://", "tunnel://", "scp://", "sftp://"]
                    .iter()
                    .any(|w| rest.starts_with(w.as_bytes()))
                {
                    sink.report(&WRAPPER, span);
                }
            }
            19 => {
                if m.start() == 0 {
                    sink.report(&WRAPPER, span);
                }
            }
            _ => sink.report(&WRAPPER, span),
        }
    }
}

/// `$_S ERVER['x']`: a superglobal spelt with blanks between the letters of its name (a
/// filter that strips them rebuilds it), then its `[`.
fn spaced_superglobal(s: &[u8]) -> bool {
    let mut name = [0u8; 24];
    let mut n = 0;
    // Blanks after a letter, and whether a letter followed them.
    let (mut pending, mut inside) = (false, false);
    for &c in s.iter().take(40) {
        match c {
            b' ' | b'\t' => pending = n > 0 && name[n - 1].is_ascii_alphabetic(),
            b'[' => {
                return inside && SUPERGLOBALS.iter().any(|g| *g == &name[..n]);
            }
            _ if (c.is_ascii_alphabetic() || c == b'_' || c == b'$') && n < name.len() => {
                inside |= pending && c.is_ascii_alphabetic();
                pending = false;
                name[n] = c;
                n += 1;
            }
            _ => return false,
        }
    }
    false
}

#[allow(clippy::expect_used)] // a constant pattern: a failure is a bug caught by the tests
static SERIALIZED_OBJECT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?:^|[;{}:"'(=\s])[oc]:[+]?\d{1,4}:"[a-z_\\][a-z0-9_\\]*":\d{1,4}:\{"#)
        .expect("constant regex")
});

/// `$a(`, `$_[…](`, `${'a'}(`, `Foo::$bar(`; and calls through strings or parentheses
/// that spell a dangerous function: `(system)('id')`, `"sys"."tem"(…)`, `[system][0](…)`.
#[allow(clippy::expect_used)] // a constant pattern: a failure is a bug caught by the tests
static VARIABLE_FUNCTION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?x)
        (?:^|[^a-z0-9_$\\])
        @?\$+\s*
        (?:[a-z_][a-z0-9_]*|\{[^}]{1,40}\})
        (?:
            \s*(?:(?:/\*[^*]{0,40}\*/|//[^\n]{0,40}\n|\#[^\n]{0,40}\n)\s*)*
            (?:\[(?:[^\[\]]|\[[^\[\]]{0,20}\]){0,40}\]|\{[^}]{0,40}\})
        )*
        \s*(?:(?:/\*[^*]{0,40}\*/|//[^\n]{0,40}\n|\#[^\n]{0,40}\n)\s*)*
        \("#,
    )
    .expect("constant regex")
});

#[allow(clippy::expect_used)] // a constant pattern: a failure is a bug caught by the tests
static VARIABLE_VARIABLE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"\$(?:\s*\{\s*['"]|\s+\{)"#).expect("constant regex"));

/// Functions that run code or commands, spelled without separators (`procopen`).
const DANGEROUS: &[&[u8]] = &[
    b"system",
    b"exec",
    b"passthru",
    b"shellexec",
    b"assert",
    b"eval",
    b"popen",
    b"procopen",
    b"phpinfo",
    b"createfunction",
    b"calluserfunc",
];

/// `(system)('id')`, `"sys"."tem"("id")`, `[system][0](ls)`, `"\x73ystem"(…)`: a call whose
/// callee is an expression that spells a dangerous function once quotes, dots, brackets,
/// blanks, comments and `\xNN` escapes are removed.
fn string_call(s: &[u8], sink: &mut Sink<'_>) {
    for p in memchr::memchr_iter(b'(', s) {
        if p == 0 {
            continue;
        }
        let (before, _) = {
            let mut k = p;
            while k > 0 && s[k - 1].is_ascii_whitespace() {
                k -= 1;
            }
            (k, ())
        };
        if before == 0 || !matches!(s[before - 1], b')' | b']' | b'"' | b'\'' | b'}' | b'/') {
            continue;
        }
        // Spell out the callee: up to 80 bytes back.
        let from = before.saturating_sub(80);
        let mut spelled = [0u8; 80];
        let mut n = 0;
        let mut k = from;
        while k < before {
            let c = s[k];
            // Comments spell nothing: `[system][0]){/* comment */0}(ls)`.
            if c == b'/' && s.get(k + 1) == Some(&b'*') {
                k = COMMENT_END
                    .find(&s[k + 2..before])
                    .map_or(before, |e| k + 2 + e + 2);
                continue;
            }
            if c == b'\\'
                && s.get(k + 1) == Some(&b'x')
                && n < spelled.len()
                && let (Some(h), Some(l)) = (
                    s.get(k + 2).and_then(|c| (*c as char).to_digit(16)),
                    s.get(k + 3).and_then(|c| (*c as char).to_digit(16)),
                )
            {
                spelled[n] = u8::try_from(h * 16 + l).unwrap_or(0).to_ascii_lowercase();
                n += 1;
                k += 4;
                continue;
            }
            if c.is_ascii_alphabetic() && n < spelled.len() {
                spelled[n] = c.to_ascii_lowercase();
                n += 1;
            }
            k += 1;
        }
        let spelled = &spelled[..n];
        if DANGEROUS.iter().any(|d| spelled.ends_with(d))
            && (before == p || code_argument(s, p + 1, |_| false))
        {
            sink.report(&VARIABLE_CALL, from..s.len().min(p + 16));
            return;
        }
    }
}

const SCRIPT_EXTENSIONS: &[&[u8]] = &[
    b"php", b"php3", b"php4", b"php5", b"php7", b"php8", b"phtml", b"phar", b"phps", b"phpt",
    b"pht", b"inc",
];

fn upload(input: &Input<'_>, sink: &mut Sink<'_>) {
    let s = input.lower;
    let name = s.trim_ascii();
    let name = name
        .iter()
        .rposition(|&c| c != b'.' && c != b' ')
        .map_or(name, |e| &name[..=e]);
    let base = name
        .iter()
        .rposition(|&c| c == b'/' || c == b'\\')
        .map_or(name, |p| &name[p + 1..]);
    // Any dotted part naming a script: `a.php`, `a.php.jpg`, `photo. php`, `x.php907`.
    let script = base.split(|&c| c == b'.').skip(1).any(|ext| {
        let ext = ext.trim_ascii();
        let letters = ext
            .iter()
            .position(|c| !c.is_ascii_alphanumeric())
            .map_or(ext, |p| &ext[..p]);
        SCRIPT_EXTENSIONS.contains(&letters)
            || (letters.starts_with(b"php") && letters[3..].iter().all(u8::is_ascii_digit))
    });
    let session = base.starts_with(b"sess_")
        && base.len() >= 25
        && base[5..]
            .iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b','));
    if script || session {
        sink.report(&UPLOAD, 0..s.len());
    }
}

const INI_DIRECTIVES: &[&[u8]] = &[
    b"allow_url_include",
    b"allow_url_fopen",
    b"auto_prepend_file",
    b"auto_append_file",
    b"disable_functions",
    b"open_basedir",
    b"safe_mode",
    b"register_globals",
    b"enable_dl",
    b"sendmail_path",
    b"memory_limit",
    b"max_execution_time",
    b"display_errors",
    b"log_errors",
    b"error_log",
    b"include_path",
    b"extension_dir",
    b"cgi.force_redirect",
    b"suhosin.",
    b"opcache.",
    b"mbstring.",
    b"session.save_path",
    b"upload_tmp_dir",
    b"unserialize_max_depth",
    b"zend.",
    b"xdebug.",
    b"pcre.",
    b"phar.",
];

fn ini(s: &[u8], sink: &mut Sink<'_>) {
    ini_at(s, sink);
    // `var=directive=value`: a form pair inside the value.
    if let Some(eq) = memchr::memchr(b'=', s)
        && s[..eq].iter().all(|&c| is_ident(c))
    {
        ini_at(&s[eq + 1..], sink);
    }
}

fn ini_at(s: &[u8], sink: &mut Sink<'_>) {
    let s = s.trim_ascii_start();
    let Some(eq) = memchr::memchr(b'=', s) else {
        return;
    };
    let name = s[..eq].trim_ascii_end();
    if name.is_empty() || !name.iter().all(|&c| is_ident(c) || c == b'.') {
        return;
    }
    if INI_DIRECTIVES
        .iter()
        .any(|d| name == *d || (d.ends_with(b".") && name.starts_with(d)))
    {
        sink.report(&INI, 0..s.len().min(eq + 16));
    }
}

fn scan(input: &Input<'_>, sink: &mut Sink<'_>) {
    let s = input.lower;
    if input.is_upload_name() {
        upload(input, sink);
    }
    // Everything below needs one of these bytes.
    let f = input.features;
    let has_paren = f.any(Features::PAREN);
    let has_other = f.any(
        Features::ANGLE
            | Features::BRACKET
            | Features::BRACE
            | Features::DOLLAR
            | Features::COLON
            | Features::EQUALS,
    );
    if !has_paren && !has_other {
        return;
    }
    if has_other {
        // With none of `< [ { $`, only a wrapper (`…://`) or a leading `zlib:` may match.
        if f.any(Features::ANGLE | Features::BRACKET | Features::BRACE | Features::DOLLAR)
            || (f.any(Features::COLON)
                && (s.starts_with(b"zlib:")
                    || (f.any(Features::SLASH)
                        && memchr::memchr_iter(b':', s).any(|i| s[i + 1..].starts_with(b"//")))))
        {
            triggers(input, sink);
        }
        if f.any(Features::COLON)
            && f.any(Features::QUOTE)
            && COLON_QUOTE.find(s).is_some()
            && SERIALIZED_OBJECT.is_match(s)
        {
            sink.report(&SERIALIZED, 0..s.len().min(40));
        }
        if f.any(Features::EQUALS) {
            ini(s, sink);
        }
        if f.any(Features::DOLLAR)
            && let Some(m) = VARIABLE_VARIABLE.find(s)
        {
            sink.report(&VARIABLE_CALL, m.range());
        }
    }
    if has_paren {
        functions(input, sink);
        if f.any(Features::UNDERSCORE) {
            extension_calls(s, sink);
        }
        if f.any(Features::DOLLAR)
            && let Some(m) = VARIABLE_FUNCTION.find(s)
        {
            sink.report(&VARIABLE_CALL, m.range());
        }
        string_call(s, sink);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detector::matches;
    use crate::location::Part;

    fn hits(text: &str) -> Vec<&'static str> {
        matches(&DETECTOR, Part::Query, "q", text, 1)
    }

    #[test]
    fn attacks() {
        for (text, rule) in [
            ("<?php echo 1; ?>", "php.open-tag"),
            ("<?=phpinfo()?>", "php.open-tag"),
            ("<? system('id'); ?>", "php.open-tag"),
            ("[php]echo 1;[/php]", "php.open-tag"),
            ("system($_GET['c']);", "php.function-call"),
            ("eval(base64_decode('aWQ='))", "php.function-call"),
            ("exec/*x*/('id')", "php.function-call"),
            ("@exec('test')", "php.function-call"),
            ("base64_decode(", "php.function-call"),
            ("posix_getpwuid('foo', 25)", "php.function-call"),
            ("system(whoami)", "php.function-call"),
            ("$_SERVER['test'];", "php.superglobal"),
            ("$a(1)", "php.variable-function"),
            ("${'a'}(11)", "php.variable-function"),
            ("(system)('uname');", "php.variable-function"),
            ("\"sys\".\"tem\"('ls');", "php.variable-function"),
            (
                "php://filter/convert.base64-encode/resource=index",
                "php.wrapper",
            ),
            ("phar://x.zip/a", "php.wrapper"),
            (
                "O:8:\"stdClass\":1:{s:1:\"a\";i:2;}",
                "php.serialized-object",
            ),
            ("auto_prepend_file=php://input", "php.ini-directive"),
            ("pg_enter_pipeline_mode (", "php.function-call"),
            ("sodium_crypto_box_keypair()", "php.function-call"),
            ("file_exists (\n\n)", "php.function-call"),
            ("chr(123)", "php.function-call"),
            ("printf(foo)", "php.function-call"),
            ("checkdate/*x*/()", "php.function-call"),
        ] {
            assert!(hits(text).contains(&rule), "{text}: {:?}", hits(text));
        }
        assert!(
            matches(&DETECTOR, Part::FileName, "", "shell.php", 1).contains(&"php.script-upload")
        );
        assert!(
            matches(&DETECTOR, Part::Header, "x-filename", "a.phtml", 1)
                .contains(&"php.script-upload")
        );
    }

    #[test]
    fn no_function_name_holds_a_paren() {
        assert!(
            CODE_FUNCTIONS
                .iter()
                .chain(WORD_FUNCTIONS)
                .all(|name| !name.contains('('))
        );
        assert_eq!(hits("x system (1) y"), hits("x system (1)"));
        assert!(hits("system").is_empty());
    }

    #[test]
    fn wrappers_past_the_colon_gate() {
        for text in [
            "zlib:/etc/passwd",
            "ssh2.exec://host/id",
            "x=compress.zlib://a",
            "glob://*",
        ] {
            assert_eq!(hits(text), ["php.wrapper"], "{text}");
        }
        for text in [
            "2024-06-01T12:34:56Z",
            "a zlib: b",
            "https://shop.example.com/a",
        ] {
            assert!(hits(text).is_empty(), "{text}");
        }
    }

    #[test]
    fn benign() {
        for text in [
            "see clone(2) and setns(2)",
            "set pg_hba_conf (the file) first",
            "the session_id_cookie value",
            "chr(9) is a tab",
            "crypt (noun): an underground room",
            "The system (beta) is ready",
            "Range (10-20) works",
            "<?xml version=\"1.0\"?><a/>",
            "<?xml-stylesheet type=\"text/xsl\" href=\"a.xsl\"?>",
            "data:image/png;base64,iVBORw0KGgo=",
            "Expand shell variables of form $var and ${var}.",
            "price is $5 (approx)",
            "file (PDF) attached",
            "The CAST(expr AS type) expression",
            // A word aside in brackets closing the value: a label, not `system(whoami)`.
            "Copy (optional)",
            "Price list (EUR)",
            "Mail (work)",
            "Header (H1)",
            "System (default)",
            "Exec (optional)",
        ] {
            assert!(hits(text).is_empty(), "{text}: {:?}", hits(text));
        }
        // Glued, followed by `;`, or a function that runs code, it is a call.
        for attack in [
            "copy(optional)",
            "list (x);",
            "exec (blah)",
            "system (whoami)",
            "System (whoami)",
            "SYSTEM (blah)",
        ] {
            assert!(hits(attack).contains(&"php.function-call"), "{attack}");
        }
        assert!(matches(&DETECTOR, Part::FileName, "", "notes.md", 1).is_empty());
    }

    #[test]
    fn evasions() {
        for (text, rule) in [
            ("<?xml:echo 1;", "php.open-tag"),
            ("shell_exec=(bla)", "php.function-call"),
            ("zlib_decode = (x)", "php.function-call"),
            ("$__[$_[1]](7)", "php.variable-function"),
            (
                "$_ab_4c #foo\r\n\t[5]//bar\r\n\t['d'] /*foo*/ (17)",
                "php.variable-function",
            ),
            (
                "(  [  system  ][  0  ])  {/* comment */0}  (  ls  );",
                "php.variable-function",
            ),
            ("$_S ERVER['REQUEST_URI'];", "php.superglobal"),
            ("$_ G E T [1]", "php.superglobal"),
        ] {
            assert!(hits(text).contains(&rule), "{text}: {:?}", hits(text));
        }
        assert!(
            matches(
                &DETECTOR,
                Part::Header,
                "x-filename",
                "sess_abc123,def456,ghi789jkl",
                1
            )
            .contains(&"php.script-upload")
        );
        for text in [
            "<?xml:namespace prefix = o ns = \"urn:schemas-microsoft-com:office:office\" />",
            "shell_exec=disabled",
            "system=(linux)",
            "$total [see note] and (more)",
            "$_ server [1]",
            "costs $_ get [it] now",
            "the sess_ prefix, then (a comment) and [1] system",
        ] {
            assert!(hits(text).is_empty(), "{text}: {:?}", hits(text));
        }
        assert!(
            matches(
                &DETECTOR,
                Part::Header,
                "x-filename",
                "sess_notes,final.txt",
                1
            )
            .is_empty()
        );
    }
}
