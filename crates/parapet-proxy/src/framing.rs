//! Follows HTTP/1.1 message boundaries in the bytes a client sends, to see the framing
//! headers hyper normalizes away before Parapet gets the request: `Content-Length` beside
//! `Transfer-Encoding` (hyper drops the length) and repeated `Content-Length` (hyper keeps
//! one). hyper still parses and frames every message; this tracker only produces, per
//! request head, a [`Verdict`] the driver uses to refuse such requests with 400.
//!
//! It is deliberately conservative: anything it does not follow exactly (HTTP/2, a protocol
//! switch, CONNECT, a malformed head or chunk, a head larger than its limit, too many
//! pipelined requests) turns it off for the rest of the connection, and each verdict
//! carries its request line so the driver can check it belongs to the request hyper parsed.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// What the tracker saw in one request head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// The request line's method.
    pub method: String,
    /// The request line's target, as sent.
    pub target: String,
    /// Content-Length together with Transfer-Encoding, or Content-Length more than once.
    pub ambiguous: bool,
}

/// Verdicts waiting for the driver, shared between the connection's reader and its
/// requests. The driver also says here when the connection switched protocols.
#[derive(Debug, Default)]
pub struct Verdicts {
    queue: Mutex<VecDeque<Verdict>>,
    switched: AtomicBool,
}

/// Verdicts a connection may hold before the tracker gives up (a client pipelining that
/// far ahead is not worth following; memory stays bounded).
const MAX_PENDING: usize = 256;

impl Verdicts {
    /// The verdict of the next request hyper hands over, in order.
    pub fn next(&self) -> Option<Verdict> {
        self.queue.lock().ok()?.pop_front()
    }

    /// The connection switched protocols (101): what follows is not HTTP/1.1.
    pub fn switched_protocols(&self) {
        self.switched.store(true, Ordering::Relaxed);
    }

    /// Queues a verdict; false when the queue is full.
    fn push(&self, verdict: Verdict) -> bool {
        match self.queue.lock() {
            Ok(mut q) if q.len() < MAX_PENDING => {
                q.push_back(verdict);
                true
            }
            _ => false,
        }
    }
}

/// Where the tracker is in the byte stream. The chunked states mirror hyper's chunked
/// decoder one for one (strict CRLF, a bare LF inside a trailer line is content), so that
/// both agree on where every message ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Reading a request head.
    Head,
    /// Skipping this many body bytes, then a new head.
    Body(u64),
    /// The first hex digit of a chunk size.
    ChunkStart,
    /// More hex digits of a chunk size.
    ChunkSize(u64),
    /// Spaces or tabs after the size.
    ChunkSizeSpace(u64),
    /// A chunk extension, until CR.
    ChunkExtension(u64),
    /// The LF ending a size line.
    ChunkSizeLf(u64),
    /// Skipping chunk data.
    ChunkData(u64),
    /// The CR after chunk data.
    ChunkDataCr,
    /// The LF after chunk data.
    ChunkDataLf,
    /// After the last chunk or a trailer line: CR ends the message, anything else starts a
    /// trailer line.
    EndCr,
    /// Inside a trailer line, until CR.
    Trailer,
    /// The LF ending a trailer line.
    TrailerLf,
    /// The LF ending the message.
    EndLf,
    /// Not following this connection any more.
    Off,
}

/// The tracker of one connection.
#[derive(Debug)]
pub struct Tracker {
    state: State,
    head: Vec<u8>,
    max_head: usize,
    verdicts: Arc<Verdicts>,
}

impl Tracker {
    /// A tracker that gives up on heads longer than `max_head` bytes.
    pub fn new(max_head: usize, verdicts: Arc<Verdicts>) -> Self {
        Tracker {
            state: State::Head,
            head: Vec::new(),
            max_head,
            verdicts,
        }
    }

    /// Whether it still follows the connection.
    pub fn is_on(&self) -> bool {
        self.state != State::Off
    }

    /// Whether part of a request head has arrived but not its end (blank lines before a
    /// request line, which hyper skips, do not count).
    pub fn in_head(&self) -> bool {
        self.state == State::Head && !self.head.is_empty()
    }

    /// Feeds bytes read from the client, in order.
    pub fn feed(&mut self, mut bytes: &[u8]) {
        if self.verdicts.switched.load(Ordering::Relaxed) {
            self.state = State::Off;
        }
        while !bytes.is_empty() {
            let used = match self.state {
                State::Off => return,
                State::Head => self.head_bytes(bytes),
                State::Body(n) | State::ChunkData(n) => {
                    let take = n.min(bytes.len() as u64);
                    let left = n - take;
                    self.state = match (self.state, left) {
                        (State::Body(_), 0) => State::Head,
                        (State::Body(_), _) => State::Body(left),
                        (_, 0) => State::ChunkDataCr,
                        _ => State::ChunkData(left),
                    };
                    take as usize
                }
                _ => {
                    self.chunk_byte(bytes[0]);
                    1
                }
            };
            bytes = &bytes[used..];
        }
    }

    /// Accumulates head bytes; returns how many were used.
    fn head_bytes(&mut self, bytes: &[u8]) -> usize {
        let mut start = 0;
        if self.head.is_empty() {
            // Empty lines before a request line are ignored, as hyper does.
            start = bytes
                .iter()
                .position(|b| *b != b'\r' && *b != b'\n')
                .unwrap_or(bytes.len());
        }
        let before = self.head.len();
        let new = &bytes[start..];
        // A blank line ends the head: a LF after LF or after LF CR, which may have arrived
        // before these bytes. Only the head is copied, not the body after it.
        let at = |i: usize| {
            if i < before {
                self.head[i]
            } else {
                new[i - before]
            }
        };
        let blank = memchr::memchr_iter(b'\n', new)
            .map(|i| i + before)
            .find(|&nl| {
                (nl >= 1 && at(nl - 1) == b'\n')
                    || (nl >= 2 && at(nl - 1) == b'\r' && at(nl - 2) == b'\n')
            });
        match blank {
            Some(nl) if nl < self.max_head => {
                let end = nl + 1;
                self.head.extend_from_slice(&new[..end - before]);
                // The buffer (and its capacity) serves the next head too.
                let mut head = std::mem::take(&mut self.head);
                self.state = self.end_of_head(&head);
                head.clear();
                self.head = head;
                (start + end).saturating_sub(before).max(1)
            }
            Some(_) => {
                self.state = State::Off;
                bytes.len()
            }
            None => {
                self.head.extend_from_slice(new);
                if self.head.len() > self.max_head {
                    self.state = State::Off;
                }
                bytes.len()
            }
        }
    }

    fn end_of_head(&mut self, head: &[u8]) -> State {
        // Bytes, not text: header values may hold any octet hyper accepts.
        let mut lines = split_lines(head).map(|l| l.strip_suffix(b"\r").unwrap_or(l));
        let mut request_line = lines.next().unwrap_or_default().split(|b| *b == b' ');
        let (Some(method), Some(target), Some(version)) = (
            request_line.next(),
            request_line.next(),
            request_line.next(),
        ) else {
            return State::Off;
        };
        if version != b"HTTP/1.1" && version != b"HTTP/1.0" || method == b"CONNECT" {
            return State::Off;
        }
        let (mut lengths, mut length, mut chunked, mut encoded) = (0, None, false, false);
        for line in lines.filter(|l| !l.is_empty()) {
            let Some(colon) = memchr::memchr(b':', line) else {
                return State::Off;
            };
            let (name, value) = (&line[..colon], line[colon + 1..].trim_ascii());
            if name.eq_ignore_ascii_case(b"content-length") {
                lengths += 1;
                length = std::str::from_utf8(value)
                    .ok()
                    .and_then(|v| v.parse::<u64>().ok());
            } else if name.eq_ignore_ascii_case(b"transfer-encoding") {
                encoded = true;
                chunked = value
                    .rsplit(|b| *b == b',')
                    .next()
                    .is_some_and(|last| last.trim_ascii().eq_ignore_ascii_case(b"chunked"));
            }
        }
        let verdict = Verdict {
            method: lossy(method),
            target: lossy(target),
            ambiguous: lengths > 1 || (lengths > 0 && encoded),
        };
        if !self.verdicts.push(verdict) {
            return State::Off;
        }
        // The framing hyper applies: Transfer-Encoding wins; otherwise one valid length (a
        // repeated one, or a bad one, ends the connection: hyper refuses it or we do).
        match (encoded, chunked, lengths, length) {
            (true, true, _, _) => State::ChunkStart,
            (false, _, 0, _) | (false, _, 1, Some(0)) => State::Head,
            (false, _, 1, Some(n)) => State::Body(n),
            _ => State::Off,
        }
    }

    fn chunk_byte(&mut self, b: u8) {
        let hex = |size: u64| {
            let digit = (b as char).to_digit(16)?;
            size.checked_mul(16)?.checked_add(u64::from(digit))
        };
        self.state = match (self.state, b) {
            (State::ChunkStart, _) => hex(0).map_or(State::Off, State::ChunkSize),
            (State::ChunkSize(n), b' ' | b'\t') => State::ChunkSizeSpace(n),
            (State::ChunkSize(n) | State::ChunkSizeSpace(n), b';') => State::ChunkExtension(n),
            (State::ChunkSize(n) | State::ChunkSizeSpace(n) | State::ChunkExtension(n), b'\r') => {
                State::ChunkSizeLf(n)
            }
            (State::ChunkSize(n), _) => hex(n).map_or(State::Off, State::ChunkSize),
            (State::ChunkSizeSpace(n), b' ' | b'\t') => State::ChunkSizeSpace(n),
            (State::ChunkExtension(_), b'\n') => State::Off,
            (State::ChunkExtension(n), _) => State::ChunkExtension(n),
            (State::ChunkSizeLf(0), b'\n') => State::EndCr,
            (State::ChunkSizeLf(n), b'\n') => State::ChunkData(n),
            (State::ChunkDataCr, b'\r') => State::ChunkDataLf,
            (State::ChunkDataLf, b'\n') => State::ChunkStart,
            (State::EndCr, b'\r') => State::EndLf,
            (State::Trailer, b'\r') => State::TrailerLf,
            (State::EndCr | State::Trailer, _) => State::Trailer,
            (State::TrailerLf, b'\n') => State::EndCr,
            (State::EndLf, b'\n') => State::Head,
            _ => State::Off,
        };
    }
}

/// The lines of `head` split at each LF, as `head.split(|b| *b == b'\n')` gives them.
fn split_lines(head: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = Some(head);
    std::iter::from_fn(move || {
        let text = rest?;
        match memchr::memchr(b'\n', text) {
            Some(nl) => {
                rest = Some(&text[nl + 1..]);
                Some(&text[..nl])
            }
            None => rest.take(),
        }
    })
}

/// `bytes` as text, invalid UTF-8 replaced (most request lines are ASCII: checked fast).
fn lossy(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(text) => text.to_owned(),
        Err(_) => String::from_utf8_lossy(bytes).into_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(chunks: &[&[u8]]) -> (Vec<Verdict>, bool) {
        let verdicts = Arc::new(Verdicts::default());
        let mut t = Tracker::new(16 * 1024, verdicts.clone());
        for c in chunks {
            t.feed(c);
        }
        let out = std::iter::from_fn(|| verdicts.next()).collect();
        (out, t.is_on())
    }

    fn flags(v: &[Verdict]) -> Vec<(&str, bool)> {
        v.iter().map(|v| (v.target.as_str(), v.ambiguous)).collect()
    }

    #[test]
    fn follows_pipelined_messages_with_both_body_framings() {
        let stream = b"POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nGET /bPOST /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3;ext=1\r\nGET\r\n0\r\nTrailer: x\r\n\r\n\r\nGET /d HTTP/1.1\r\n\r\n";
        let (v, on) = run(&[stream]);
        assert_eq!(flags(&v), [("/a", false), ("/c", false), ("/d", false)]);
        assert!(on);
        // The same bytes one at a time give the same result.
        let bytes: Vec<&[u8]> = stream.chunks(1).collect();
        assert_eq!(run(&bytes).0, v);
    }

    #[test]
    fn flags_what_hyper_normalizes() {
        let (v, _) = run(&[
            b"POST /a HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        ]);
        assert_eq!(flags(&v), [("/a", true)]);
        let (v, _) =
            run(&[b"POST /b HTTP/1.1\r\nTransfer-Encoding: chunked\r\ncontent-length: 3\r\n\r\n"]);
        assert_eq!(flags(&v), [("/b", true)]);
        let (v, on) = run(&[b"POST /c HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabcGET /d HTTP/1.1\r\n\r\n"]);
        assert_eq!(flags(&v), [("/c", true)]);
        assert!(!on, "the connection is closed after an ambiguous request");
    }

    #[test]
    fn a_bare_lf_inside_a_trailer_line_is_content_as_for_hyper() {
        // Found by the differential fuzz target: hyper reads "X: y\n\r\nX:GET /fake ..." as
        // trailer lines, so no request starts there and the next real request is /b.
        let stream = concat!(
            "POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX: y\n\r\nX:GET /fake HTTP/1.1\r\n\r\n",
            "POST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
        );
        assert_eq!(
            flags(&run(&[stream.as_bytes()]).0),
            [("/a", false), ("/b", true)]
        );
    }

    #[test]
    fn follows_heads_with_any_octet_and_declined_upgrades_until_a_switch() {
        let verdicts = Arc::new(Verdicts::default());
        let mut t = Tracker::new(16 * 1024, verdicts.clone());
        t.feed(b"GET /ws HTTP/1.1\r\nX: caf\xe9\r\nUpgrade: websocket\r\n\r\n");
        t.feed(
            b"POST /b HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        );
        let seen: Vec<Verdict> = std::iter::from_fn(|| verdicts.next()).collect();
        assert_eq!(flags(&seen), [("/ws", false), ("/b", true)]);
        verdicts.switched_protocols();
        t.feed(b"GET /tunnel HTTP/1.1\r\n\r\n");
        assert!(
            !t.is_on() && verdicts.next().is_none(),
            "bytes after a protocol switch are not HTTP"
        );
    }

    #[test]
    fn knows_when_a_head_has_started_but_not_ended() {
        let mut t = Tracker::new(1024, Arc::new(Verdicts::default()));
        assert!(!t.in_head());
        t.feed(b"\r\n");
        assert!(!t.in_head(), "blank lines before a request are not a head");
        t.feed(b"POST / HTTP/1.1\r\nContent-Length: 2\r\n");
        assert!(t.in_head());
        t.feed(b"\r\na");
        assert!(!t.in_head(), "in the body");
        t.feed(b"b");
        assert!(!t.in_head(), "between requests");
        t.feed(b"G");
        assert!(t.in_head());
    }

    #[test]
    fn lines_split_as_slice_split_does() {
        for head in [
            &b""[..],
            b"\n",
            b"a",
            b"a\n",
            b"a\r\nb\r\n\r\n",
            b"\n\nx\ny",
        ] {
            let want: Vec<&[u8]> = head.split(|b| *b == b'\n').collect();
            assert_eq!(split_lines(head).collect::<Vec<_>>(), want, "{head:?}");
        }
    }

    #[test]
    fn a_head_and_its_body_in_one_read_or_split_anywhere_give_the_same_verdicts() {
        let stream = b"\r\nPOST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nab\n\nGET /b HTTP/1.1\n\nGET /c HTTP/1.1\r\nX: \xff\r\n\r\nPOST /d HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\n";
        let (whole, _) = run(&[stream]);
        assert_eq!(
            flags(&whole),
            [("/a", false), ("/b", false), ("/c", false), ("/d", true)]
        );
        for at in 0..stream.len() {
            let (a, b) = stream.split_at(at);
            assert_eq!(run(&[a, b]).0, whole, "split at {at}");
        }
    }

    #[test]
    fn turns_off_on_what_it_does_not_follow() {
        assert!(!run(&[b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"]).1);
        assert!(!run(&[b"CONNECT a:443 HTTP/1.1\r\n\r\n"]).1);
        assert!(!run(&[b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"]).1);
        assert!(!run(&[&[b'a'; 20_000]]).1);
    }
}
