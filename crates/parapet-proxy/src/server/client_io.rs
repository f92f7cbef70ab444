//! The I/O of a client connection: counts reads and writes (for the idle timeout), feeds
//! what the client sends to the HTTP/1.1 framing tracker, and notes whether a request head
//! has started to arrive (so that a header timeout on it can be told from an idle close).

use crate::framing::Tracker;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, Ordering};
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// The first bytes of every HTTP/2 connection (RFC 9113 §3.4).
const H2_PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// What the framing tracker says about the request head (`Activity::head`).
const HEAD_NONE: u8 = 0;
const HEAD_PARTIAL: u8 = 1;
const HEAD_UNKNOWN: u8 = 2;

/// Counts I/O operations, so that a watchdog can tell whether bytes moved between two of
/// its looks without reading the clock on every read and write; and keeps what is known
/// about the request head being received.
#[derive(Debug, Default)]
pub struct Activity {
    operations: AtomicU64,
    /// `HEAD_*`: from the framing tracker while it follows the connection.
    head: AtomicU8,
    /// Whether the last bytes moved were read (none written since).
    read_last: AtomicBool,
    /// Whether the bytes read so far are a strict, non-empty prefix of the HTTP/2 preface.
    in_preface: AtomicBool,
    /// Whether the connection started with the whole HTTP/2 preface.
    http2: AtomicBool,
}

impl Activity {
    /// A counter at zero.
    pub fn new() -> Arc<Self> {
        Arc::new(Activity::default())
    }

    fn touch(&self) {
        self.operations.fetch_add(1, Ordering::Relaxed);
    }

    /// The number of reads and writes so far.
    pub fn operations(&self) -> u64 {
        self.operations.load(Ordering::Relaxed)
    }

    /// Whether part of a request head has been received and not its end. Exact while the
    /// framing tracker follows the connection; after it gave up, whether anything was read
    /// since the gateway last wrote (an idle keep-alive connection has read nothing since
    /// its last response).
    pub fn partial_head(&self) -> bool {
        match self.head.load(Ordering::Relaxed) {
            HEAD_NONE => false,
            HEAD_PARTIAL => true,
            _ => self.read_last.load(Ordering::Relaxed),
        }
    }

    /// Whether the client has sent a part of the HTTP/2 preface and stopped there (the
    /// protocol is not decided yet, so no HTTP header timeout runs).
    pub fn in_preface(&self) -> bool {
        self.in_preface.load(Ordering::Relaxed)
    }

    /// Whether the connection speaks HTTP/2 (it started with the whole preface).
    pub fn is_http2(&self) -> bool {
        self.http2.load(Ordering::Relaxed)
    }
}

/// Wraps an `Unpin` stream: records activity on every successful read or write, and feeds
/// every byte read to `tracker` while it follows the connection.
pub struct ClientIo<T> {
    inner: T,
    activity: Arc<Activity>,
    tracker: Option<Tracker>,
    /// Bytes of the HTTP/2 preface matched so far; `None` once the stream is known not to
    /// be (or to have finished) the preface.
    preface: Option<usize>,
}

impl<T> ClientIo<T> {
    /// Wraps `inner`.
    pub fn new(inner: T, activity: Arc<Activity>, tracker: Tracker) -> Self {
        ClientIo {
            inner,
            activity,
            tracker: Some(tracker),
            preface: Some(0),
        }
    }

    fn note_read(&mut self, bytes: &[u8]) {
        let activity = &self.activity;
        activity.touch();
        activity.read_last.store(true, Ordering::Relaxed);
        if let Some(seen) = self.preface {
            let rest = &H2_PREFACE[seen..];
            let n = bytes.len().min(rest.len());
            let matches = bytes[..n] == rest[..n];
            let complete = seen + bytes.len() >= H2_PREFACE.len();
            self.preface = (matches && !complete).then_some(seen + bytes.len());
            activity
                .in_preface
                .store(self.preface.is_some(), Ordering::Relaxed);
            if matches && complete {
                activity.http2.store(true, Ordering::Relaxed);
            }
        }
        if let Some(t) = self.tracker.as_mut() {
            t.feed(bytes);
            let head = if !t.is_on() {
                self.tracker = None;
                HEAD_UNKNOWN
            } else if t.in_head() {
                HEAD_PARTIAL
            } else {
                HEAD_NONE
            };
            activity.head.store(head, Ordering::Relaxed);
        }
    }

    fn note_write(&self) {
        self.activity.touch();
        self.activity.read_last.store(false, Ordering::Relaxed);
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for ClientIo<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let r = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(r, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.note_read(&buf.filled()[before..]);
        }
        r
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for ClientIo<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write(cx, buf);
        if matches!(r, Poll::Ready(Ok(n)) if n > 0) {
            self.note_write();
        }
        r
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if matches!(r, Poll::Ready(Ok(n)) if n > 0) {
            self.note_write();
        }
        r
    }
    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}
