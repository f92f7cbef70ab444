//! The I/O of a client connection: counts reads and writes (for the idle timeout)
//! and feeds what the client sends to the HTTP/1.1 framing tracker.

use crate::framing::Tracker;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// Counts I/O operations, so that a watchdog can tell whether bytes moved between two of
/// its looks without reading the clock on every read and write.
#[derive(Debug, Default)]
pub struct Activity {
    operations: AtomicU64,
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
}

/// Wraps an `Unpin` stream: records activity on every successful read or write, and feeds
/// every byte read to `tracker` while it follows the connection.
pub struct ClientIo<T> {
    inner: T,
    activity: Arc<Activity>,
    tracker: Option<Tracker>,
}

impl<T> ClientIo<T> {
    /// Wraps `inner`.
    pub fn new(inner: T, activity: Arc<Activity>, tracker: Tracker) -> Self {
        ClientIo {
            inner,
            activity,
            tracker: Some(tracker),
        }
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
            self.activity.touch();
            if let Some(t) = self.tracker.as_mut() {
                t.feed(&buf.filled()[before..]);
                if !t.is_on() {
                    self.tracker = None;
                }
            }
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
            self.activity.touch();
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
            self.activity.touch();
        }
        r
    }
    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}
