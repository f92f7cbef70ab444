//! Body types: the one boxed body both directions use, the accounting wrapper that runs
//! the logging phase when a response body ends, and the rate floor every request body is
//! read through.

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use http_body_util::{BodyExt, Empty, Full, combinators::UnsyncBoxBody};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::time::Instant;

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

/// A body with nothing in it (boxing it allocates nothing).
pub fn empty() -> ProxyBody {
    Empty::new().map_err(|never| match never {}).boxed_unsync()
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

/// The error of a [`MinRate`] body: its client sent too slowly, or the inner body failed.
#[derive(Debug)]
pub enum RateError<E> {
    /// The client sent the body below the minimum rate.
    TooSlow,
    /// The body wrapped failed.
    Body(E),
}

impl<E: std::fmt::Display> std::fmt::Display for RateError<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RateError::TooSlow => {
                f.write_str("the client sent the request body below the minimum rate")
            }
            RateError::Body(e) => e.fmt(f),
        }
    }
}

impl<E: std::error::Error + 'static> std::error::Error for RateError<E> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            RateError::TooSlow => None,
            RateError::Body(e) => Some(e),
        }
    }
}

/// What a [`MinRate`] body tells the driver, which may no longer hold the body (it went
/// upstream) when it needs to know why the exchange failed.
#[derive(Debug, Default)]
pub struct RateWatch {
    too_slow: AtomicBool,
    received: AtomicU64,
    waited_ms: AtomicU64,
}

impl RateWatch {
    /// A watch on a body that has not started.
    pub fn new() -> Arc<Self> {
        Arc::new(RateWatch::default())
    }

    /// Whether the body was cut off for being too slow.
    pub fn too_slow(&self) -> bool {
        self.too_slow.load(Ordering::Acquire)
    }

    /// Bytes received when it was cut off.
    pub fn received(&self) -> u64 {
        self.received.load(Ordering::Relaxed)
    }

    /// Time spent waiting for the client when it was cut off.
    pub fn waited(&self) -> Duration {
        Duration::from_millis(self.waited_ms.load(Ordering::Relaxed))
    }

    fn trip(&self, received: u64, waited: Duration) {
        self.received.store(received, Ordering::Relaxed);
        self.waited_ms.store(
            u64::try_from(waited.as_millis()).unwrap_or(u64::MAX),
            Ordering::Relaxed,
        );
        self.too_slow.store(true, Ordering::Release);
    }
}

/// Holds a request body to a minimum average rate, as Apache's `mod_reqtimeout` does: the
/// client may keep the reader waiting for `grace`, plus one second for every `rate` bytes
/// it has sent. Past that the body ends with [`RateError::TooSlow`]. Without a rate it
/// only passes the body through.
///
/// Only time spent waiting on the client counts: from a poll that found nothing to read
/// until the next frame. Time during which nobody polls the body (the upstream is not
/// taking data, or is being connected to) is the gateway's, not the client's. A timer
/// armed while waiting cuts off a client that stops sending altogether.
pub struct MinRate<B> {
    inner: B,
    /// Bytes per second; `None`: no floor.
    rate: Option<u64>,
    grace: Duration,
    bytes: u64,
    /// Waiting time of the waits that have ended.
    waited: Duration,
    /// Start of the wait in progress.
    waiting_since: Option<Instant>,
    /// Fires when the wait in progress exhausts the allowance, with the deadline it is set
    /// for.
    timer: Option<(Pin<Box<tokio::time::Sleep>>, Instant)>,
    watch: Arc<RateWatch>,
    done: bool,
}

impl<B> MinRate<B> {
    /// Wraps `inner`; `rate` is in bytes per second (`None` or zero: no floor).
    pub fn new(inner: B, rate: Option<u64>, grace: Duration, watch: Arc<RateWatch>) -> Self {
        MinRate {
            inner,
            rate: rate.filter(|r| *r > 0),
            grace,
            bytes: 0,
            waited: Duration::ZERO,
            waiting_since: None,
            timer: None,
            watch,
            done: false,
        }
    }

    /// The waiting time the client has earned so far at `rate`.
    fn allowance(&self, rate: u64) -> Duration {
        let earned = u128::from(self.bytes) * 1_000_000_000 / u128::from(rate);
        self.grace.saturating_add(Duration::from_nanos(
            u64::try_from(earned).unwrap_or(u64::MAX),
        ))
    }

    fn too_slow<E>(
        &mut self,
        waited: Duration,
    ) -> Poll<Option<Result<Frame<Bytes>, RateError<E>>>> {
        self.done = true;
        self.timer = None;
        self.watch.trip(self.bytes, waited);
        Poll::Ready(Some(Err(RateError::TooSlow)))
    }
}

impl<B> Body for MinRate<B>
where
    B: Body<Data = Bytes> + Unpin,
{
    type Data = Bytes;
    type Error = RateError<B::Error>;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        if self.done {
            return Poll::Ready(None);
        }
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        let Some(rate) = self.rate else {
            return polled.map_err(RateError::Body);
        };
        let now = Instant::now();
        match polled {
            Poll::Ready(frame) => {
                if let Some(since) = self.waiting_since.take() {
                    self.waited += now.saturating_duration_since(since);
                }
                // A frame that arrives after the allowance ran out is too late as well
                // (the timer and the data may wake the task together).
                if self.waited > self.allowance(rate) {
                    let waited = self.waited;
                    return self.too_slow(waited);
                }
                match frame {
                    Some(Ok(frame)) => {
                        if let Some(d) = frame.data_ref() {
                            self.bytes += d.len() as u64;
                        }
                        Poll::Ready(Some(Ok(frame)))
                    }
                    Some(Err(e)) => {
                        self.done = true;
                        Poll::Ready(Some(Err(RateError::Body(e))))
                    }
                    None => {
                        self.done = true;
                        self.timer = None;
                        Poll::Ready(None)
                    }
                }
            }
            Poll::Pending => {
                let since = *self.waiting_since.get_or_insert(now);
                let waited = self.waited + now.saturating_duration_since(since);
                let allowance = self.allowance(rate);
                if waited >= allowance {
                    return self.too_slow(waited);
                }
                let deadline = since + (allowance - self.waited);
                let timer = match &mut self.timer {
                    Some((sleep, at)) => {
                        if *at != deadline {
                            sleep.as_mut().reset(deadline);
                            *at = deadline;
                        }
                        sleep
                    }
                    slot => {
                        &mut slot
                            .insert((Box::pin(tokio::time::sleep_until(deadline)), deadline))
                            .0
                    }
                };
                match timer.as_mut().poll(cx) {
                    Poll::Ready(()) => self.too_slow(waited.max(allowance)),
                    Poll::Pending => Poll::Pending,
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.done || self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::StreamBody;
    use std::convert::Infallible;
    use tokio::sync::mpsc;

    type Fed = StreamBody<
        Pin<Box<dyn futures_util::Stream<Item = Result<Frame<Bytes>, Infallible>> + Send>>,
    >;

    /// A body that yields what is sent on the channel, and ends when it is dropped.
    fn fed() -> (mpsc::UnboundedSender<&'static [u8]>, Fed) {
        let (tx, rx) = mpsc::unbounded_channel::<&'static [u8]>();
        let stream = futures_util::stream::unfold(rx, |mut rx| async move {
            let chunk = rx.recv().await?;
            Some((Ok(Frame::data(Bytes::from_static(chunk))), rx))
        });
        (tx, StreamBody::new(Box::pin(stream)))
    }

    fn floor(body: Fed, rate: u64, grace_ms: u64) -> (MinRate<Fed>, Arc<RateWatch>) {
        let watch = RateWatch::new();
        let body = MinRate::new(
            body,
            Some(rate),
            Duration::from_millis(grace_ms),
            watch.clone(),
        );
        (body, watch)
    }

    #[tokio::test]
    async fn a_body_that_never_comes_is_cut_off_after_the_grace() {
        let (_tx, body) = fed();
        let (body, watch) = floor(body, 1000, 100);
        let started = Instant::now();
        let result = body.collect().await;
        assert!(matches!(result, Err(RateError::TooSlow)));
        assert!(started.elapsed() >= Duration::from_millis(100));
        assert!(started.elapsed() < Duration::from_secs(2));
        assert!(watch.too_slow());
        assert_eq!(watch.received(), 0);
    }

    #[tokio::test]
    async fn a_trickle_below_the_rate_is_cut_off_and_one_above_it_is_not() {
        // 1 byte every 40 ms is 25 B/s, each byte earning 1 ms at 1000 B/s.
        let (tx, body) = fed();
        let (body, watch) = floor(body, 1000, 100);
        tokio::spawn(async move {
            while tx.send(b"x").is_ok() {
                tokio::time::sleep(Duration::from_millis(40)).await;
            }
        });
        assert!(matches!(body.collect().await, Err(RateError::TooSlow)));
        assert!((1..=10).contains(&watch.received()), "{}", watch.received());

        // 50 bytes every 20 ms is 2500 B/s.
        let (tx, body) = fed();
        let (body, watch) = floor(body, 1000, 100);
        tokio::spawn(async move {
            for _ in 0..15 {
                tokio::time::sleep(Duration::from_millis(20)).await;
                let _ = tx.send(&[b'x'; 50]);
            }
        });
        let bytes = body.collect().await.map(|c| c.to_bytes().len());
        assert_eq!(bytes.ok(), Some(750));
        assert!(!watch.too_slow());
    }

    #[tokio::test]
    async fn time_the_reader_is_not_reading_is_not_held_against_the_client() {
        let (tx, body) = fed();
        let (mut body, watch) = floor(body, 1000, 50);
        tx.send(b"first").unwrap();
        let frame = body.frame().await.unwrap().unwrap();
        assert_eq!(frame.into_data().unwrap(), "first");
        // The upstream takes nothing for a while; the client's next bytes are waiting.
        tx.send(b"second").unwrap();
        tokio::time::sleep(Duration::from_millis(300)).await;
        drop(tx);
        let rest = body.collect().await.map(|c| c.to_bytes());
        assert_eq!(rest.ok().as_deref(), Some(&b"second"[..]));
        assert!(!watch.too_slow());
    }

    #[tokio::test]
    async fn without_a_rate_the_body_passes_through() {
        let (tx, body) = fed();
        let watch = RateWatch::new();
        let body = MinRate::new(body, None, Duration::from_millis(1), watch.clone());
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(100)).await;
            let _ = tx.send(b"late");
        });
        let bytes = body.collect().await.map(|c| c.to_bytes());
        assert_eq!(bytes.ok().as_deref(), Some(&b"late"[..]));
        assert!(!watch.too_slow());
    }
}
