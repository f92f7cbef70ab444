//! Body types: the one boxed body both directions use, and the accounting wrapper that runs
//! the logging phase when a response body ends.

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use http_body_util::{BodyExt, Full, combinators::UnsyncBoxBody};
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Error type of proxied bodies.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The body type of every request sent upstream and every response sent to clients.
pub type ProxyBody = UnsyncBoxBody<Bytes, BoxError>;

/// A body from bytes in memory.
pub fn full(data: impl Into<Bytes>) -> ProxyBody {
    Full::new(data.into())
        .map_err(|never| match never {})
        .boxed_unsync()
}

/// Boxes any body whose error converts into [`BoxError`].
pub fn boxed<B>(body: B) -> ProxyBody
where
    B: Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    body.map_err(Into::into).boxed_unsync()
}

/// Counts the bytes of a response body and calls `on_end` with the total once, when the body
/// ends, fails or is dropped (client gone).
pub struct Metered<F: FnOnce(u64)> {
    inner: ProxyBody,
    bytes: u64,
    on_end: Option<F>,
}

impl<F: FnOnce(u64)> Metered<F> {
    /// Wraps `inner`.
    pub fn new(inner: ProxyBody, on_end: F) -> Self {
        Metered {
            inner,
            bytes: 0,
            on_end: Some(on_end),
        }
    }

    fn finish(&mut self) {
        if let Some(f) = self.on_end.take() {
            f(self.bytes);
        }
    }
}

impl<F: FnOnce(u64) + Unpin> Body for Metered<F> {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        match &polled {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(d) = frame.data_ref() {
                    self.bytes += d.len() as u64;
                }
                if self.inner.is_end_stream() {
                    self.finish();
                }
            }
            Poll::Ready(None) | Poll::Ready(Some(Err(_))) => self.finish(),
            Poll::Pending => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

impl<F: FnOnce(u64)> Drop for Metered<F> {
    fn drop(&mut self) {
        self.finish();
    }
}

/// Ends a body with an error when `deadline` passes before it is complete (the client sees
/// the connection cut, since the status line has already been sent).
pub struct WithDeadline {
    inner: ProxyBody,
    sleep: Pin<Box<tokio::time::Sleep>>,
}

impl WithDeadline {
    /// Wraps `inner`.
    pub fn new(inner: ProxyBody, deadline: tokio::time::Instant) -> Self {
        WithDeadline {
            inner,
            sleep: Box::pin(tokio::time::sleep_until(deadline)),
        }
    }
}

impl Body for WithDeadline {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        if let Poll::Ready(frame) = Pin::new(&mut self.inner).poll_frame(cx) {
            return Poll::Ready(frame);
        }
        match self.sleep.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Some(Err(
                "upstream exchange exceeded its total timeout".into(),
            ))),
            Poll::Pending => Poll::Pending,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
