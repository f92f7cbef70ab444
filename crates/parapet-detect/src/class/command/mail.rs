//! Mail-protocol command injection: SMTP, IMAP and POP3 commands smuggled into a value
//! that a web application passes on to a mail server (webmail front ends, contact forms
//! that talk SMTP themselves).
//!
//! The injection needs a line break, so only lines that follow a CR or LF inside the value
//! are looked at, and each such line must *be* a protocol command, not merely contain one of
//! the verbs: the verb opens the line and its arguments have the protocol's shape —
//! `MAIL FROM:<…>`, `RCPT TO:<…>`, `EHLO host`, a bare `DATA`/`QUIT`; an IMAP tag followed by
//! a command (`a001 EXAMINE INBOX`, `d store 2 +FLAGS (\Deleted)`); POP3 verbs with message
//! numbers (`RETR 12`, `TOP 1 2`) or credentials (`APOP user <md5>`). Verbs that are
//! ordinary words ("data", "help", "list", "store") count only in the protocol's uppercase
//! spelling or with protocol-shaped arguments, so a textarea with a line "Data not found."
//! or "Let's go to the store (sale!)" passes.

use memchr::memmem::Finder;
use std::sync::LazyLock;

static INBOX: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b"inbox"));
static FLAGS: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b"flags"));
static FLAG_OPEN: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b"(\\"));

/// Finds a mail-protocol command line in `text` (original case) / `lower`; returns its span.
pub(super) fn find(text: &[u8], lower: &[u8]) -> Option<std::ops::Range<usize>> {
    let mut at = 0;
    while let Some(p) = memchr::memchr2(b'\n', b'\r', &lower[at..]) {
        let nl = at + p;
        let mut start = nl + 1;
        while start < lower.len() && matches!(lower[start], b'\r' | b'\n') {
            start += 1;
        }
        let end = memchr::memchr2(b'\n', b'\r', &lower[start..]).map_or(lower.len(), |q| start + q);
        if start < end && command_line(&text[start..end], &lower[start..end]) {
            return Some(start..end);
        }
        at = end;
        if at >= lower.len() {
            break;
        }
    }
    None
}

/// The blank-separated words of a line (at most `N`), and how many there were.
fn words<const N: usize>(line: &[u8]) -> ([&[u8]; N], usize) {
    let mut out: [&[u8]; N] = [&[]; N];
    let mut n = 0;
    for w in line
        .split(|&c| c == b' ' || c == b'\t')
        .filter(|w| !w.is_empty())
    {
        if n < N {
            out[n] = w;
        }
        n += 1;
    }
    (out, n)
}

fn is_upper(word: &[u8]) -> bool {
    word.iter().all(|c| !c.is_ascii_lowercase())
}

fn is_number(w: &[u8]) -> bool {
    !w.is_empty() && w.len() <= 10 && w.iter().all(u8::is_ascii_digit)
}

fn looks_like_host(w: &[u8]) -> bool {
    let w = w.strip_prefix(b"[").unwrap_or(w);
    let w = w.strip_suffix(b"]").unwrap_or(w);
    !w.is_empty()
        && w.len() <= 253
        && w.iter()
            .all(|&c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'-' | b':'))
}

/// SMTP verbs that take no argument, or one optional word.
const BARE: &[&[u8]] = &[
    b"data",
    b"quit",
    b"rset",
    b"noop",
    b"turn",
    b"starttls",
    b"help",
    b"stat",
    b"capa",
    b"uidl",
    b"logout",
    b"capability",
];

/// IMAP commands that follow a tag.
const IMAP: &[&[u8]] = &[
    b"examine",
    b"select",
    b"login",
    b"logout",
    b"authenticate",
    b"append",
    b"status",
    b"uid",
    b"store",
    b"copy",
    b"move",
    b"list",
    b"lsub",
    b"search",
    b"fetch",
    b"create",
    b"delete",
    b"rename",
    b"subscribe",
    b"unsubscribe",
    b"expunge",
    b"close",
    b"check",
    b"idle",
    b"noop",
    b"capability",
    b"starttls",
    b"enable",
    b"getquotaroot",
    b"setacl",
    b"namespace",
    b"quit",
];

/// Whether one line is a mail-protocol command.
fn command_line(text: &[u8], lower: &[u8]) -> bool {
    let (w, n) = words::<4>(lower);
    let (orig, _) = words::<4>(text);
    if n == 0 {
        return false;
    }
    let verb = w[0];
    // SMTP envelope commands: `MAIL FROM:<a@b>`, `RCPT TO:<x>`.
    if lower.starts_with(b"mail from:") || lower.starts_with(b"rcpt to:") {
        let colon = lower.iter().position(|&c| c == b':').unwrap_or(0);
        let arg = lower[colon + 1..].trim_ascii_start();
        return arg.starts_with(b"<") || arg.contains(&b'@');
    }
    match verb {
        b"ehlo" | b"helo" | b"vrfy" | b"expn" => {
            return n == 2 && looks_like_host(w[1]) && (is_upper(orig[0]) || w[1].contains(&b'.'));
        }
        // POP3 message commands: message numbers only.
        b"retr" | b"dele" | b"list" | b"uidl" if n == 2 && is_number(w[1]) => return true,
        b"top" if n == 3 && is_number(w[1]) && is_number(w[2]) => return true,
        b"apop" => {
            return n == 3 && w[2].len() == 32 && w[2].iter().all(u8::is_ascii_hexdigit);
        }
        b"auth" | b"user" | b"pass" => {
            return is_upper(orig[0]) && (2..=3).contains(&n);
        }
        _ => {}
    }
    if BARE.contains(&verb) && is_upper(orig[0]) && n <= 2 && orig[0].len() >= 4 {
        return true;
    }
    imap_line(&w, n, &orig, lower)
}

/// `tag COMMAND args`: a tag, then an IMAP command; the tag must look like one (`a001`,
/// `A1`) or the arguments must have IMAP's shape (mailbox names, flags, sequence sets).
fn imap_line(w: &[&[u8]; 4], n: usize, orig: &[&[u8]; 4], lower: &[u8]) -> bool {
    if n < 2 {
        return false;
    }
    let tag = w[0];
    if tag.len() > 10 || !tag.iter().all(u8::is_ascii_alphanumeric) {
        return false;
    }
    let mut verb = w[1];
    if verb == b"uid" && n >= 3 {
        verb = w[2];
    }
    if !IMAP.contains(&verb) {
        return false;
    }
    let tag_shape = tag.iter().any(u8::is_ascii_alphabetic) && tag.iter().any(u8::is_ascii_digit);
    if tag_shape {
        return true;
    }
    let imap_args = INBOX.find(lower).is_some()
        || FLAGS.find(lower).is_some()
        || FLAG_OPEN.find(lower).is_some()
        || sequence_set(lower)
        || literal(lower);
    imap_args && (is_upper(orig[1]) || tag.len() <= 4)
}

/// An IMAP sequence set `2:4`, `1:*`.
fn sequence_set(s: &[u8]) -> bool {
    s.windows(3)
        .any(|w| w[0].is_ascii_digit() && w[1] == b':' && (w[2].is_ascii_digit() || w[2] == b'*'))
}

/// An IMAP literal `{310}` at the end of the line.
fn literal(s: &[u8]) -> bool {
    let t = s.trim_ascii_end();
    t.ends_with(b"}")
        && t.iter().rposition(|&c| c == b'{').is_some_and(|o| {
            o + 2 < t.len() && t[o + 1..t.len() - 1].iter().all(u8::is_ascii_digit)
        })
}

#[cfg(test)]
mod tests {
    use super::find;

    fn hit(s: &str) -> bool {
        find(s.as_bytes(), s.to_ascii_lowercase().as_bytes()).is_some()
    }

    #[test]
    fn commands() {
        for attack in [
            "\r\nMAIL FROM:<a@b.com>",
            "x\r\nRCPT TO:<postmaster>",
            "\r\nEHLO test.com",
            "\r\nDATA",
            "\r\nQUIT",
            "\r\nHELP Postmaster",
            "\r\na001 EXAMINE INBOX",
            "\r\na001 uid store 231:233\r\n",
            "\r\nd store 2 +FLAGS (\\Deleted)",
            "\r\nA1 list \"INBOX/\" \"*\"",
            "\r\nA003 APPEND saved-messages (\\Seen) {310}",
            "\r\nRETR 123",
            "\r\nlist 3",
            "\r\nTOP 1 2",
            "\r\nAUTH user dGhpc2lz",
            "\r\nAPOP user 7d0a3bd8e5b2abcfb3e256633c23b891",
            "\r\nA1 QUIT",
        ] {
            assert!(hit(attack), "{attack:?}");
        }
    }

    #[test]
    fn prose() {
        for benign in [
            "MAIL FROM:<a@b.com>",
            "We received this mail from Mars",
            "Hello! World.\ndata not found.\n",
            "Hey please do not quit\n",
            "\nSeriously, noop",
            "\nLet's go to the store (sale time!)\n",
            "S: 220 foo.com Simple Mail Transfer Service Ready\nC: EHLO bar.com\n",
            "Shopping:\n1 copy of the book\n2 list items\nhelp me",
            "Notes\nData\nmore",
            "line one\nI select the blue one",
            "Agenda\n2 search for venues\n",
            "Top 10 tips\nTop 5 more",
            "Best of\nTop 10",
        ] {
            assert!(!hit(benign), "{benign:?}");
        }
    }
}
