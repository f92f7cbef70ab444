//! Timers kept from one request of a connection to the next.
//!
//! Every request arms the same timers (hyper's header read timeout, the upstream's response
//! timeout) and drops them moments later. A tokio timer that was polled is in the runtime's
//! timer wheel: dropping it takes it out, and the next request's timer goes back in. Kept
//! instead and reset to a later deadline, it stays where it is and only its deadline moves
//! (one atomic operation); when its old slot comes up, tokio sees the later deadline and
//! files it again without waking anyone. A kept timer whose deadline passes while it waits
//! for its next use wakes the task that last polled it once, for nothing.

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::time::{Instant, Sleep};

/// At most one timer kept for reuse.
#[derive(Debug, Default)]
pub struct Spare(Mutex<Option<Pin<Box<Sleep>>>>);

impl Spare {
    /// A timer that fires at `deadline`: the kept one if there is one, else a new one.
    pub fn sleep_until(&self, deadline: Instant) -> Pin<Box<Sleep>> {
        let kept = self.0.lock().ok().and_then(|mut spare| spare.take());
        match kept {
            Some(mut sleep) => {
                sleep.as_mut().reset(deadline);
                sleep
            }
            None => Box::pin(tokio::time::sleep_until(deadline)),
        }
    }

    /// Keeps `sleep` for the next [`Spare::sleep_until`] (dropped if one is kept already).
    pub fn keep(&self, sleep: Pin<Box<Sleep>>) {
        if let Ok(mut spare) = self.0.lock()
            && spare.is_none()
        {
            *spare = Some(sleep);
        }
    }
}

/// hyper's timer for one connection (in place of hyper-util's `TokioTimer`): its sleeps
/// hand their tokio timer back to the connection's [`Spare`] when hyper drops them.
#[derive(Clone, Debug, Default)]
pub struct ConnTimer(Arc<Spare>);

impl hyper::rt::Timer for ConnTimer {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn hyper::rt::Sleep>> {
        self.sleep_until(self.now() + duration)
    }

    fn sleep_until(&self, deadline: std::time::Instant) -> Pin<Box<dyn hyper::rt::Sleep>> {
        Box::pin(Recycled {
            sleep: Some(self.0.sleep_until(deadline.into())),
            spare: self.0.clone(),
        })
    }

    fn now(&self) -> std::time::Instant {
        Instant::now().into_std()
    }

    fn reset(&self, sleep: &mut Pin<Box<dyn hyper::rt::Sleep>>, new_deadline: std::time::Instant) {
        match sleep.as_mut().downcast_mut_pin::<Recycled>() {
            Some(mut recycled) => {
                if let Some(inner) = recycled.sleep.as_mut() {
                    inner.as_mut().reset(new_deadline.into());
                }
            }
            None => *sleep = self.sleep_until(new_deadline),
        }
    }
}

/// A sleep of a [`ConnTimer`].
struct Recycled {
    /// Always `Some` until dropped.
    sleep: Option<Pin<Box<Sleep>>>,
    spare: Arc<Spare>,
}

impl Future for Recycled {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        match self.sleep.as_mut() {
            Some(sleep) => sleep.as_mut().poll(cx),
            None => Poll::Ready(()),
        }
    }
}

impl hyper::rt::Sleep for Recycled {}

impl Drop for Recycled {
    fn drop(&mut self) {
        if let Some(sleep) = self.sleep.take() {
            self.spare.keep(sleep);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hyper::rt::Timer;

    const MS: Duration = Duration::from_millis(1);

    /// Polls `sleep` once: a pending tokio timer is in the timer wheel afterwards.
    async fn arm(sleep: &mut Pin<Box<Sleep>>) {
        let pending = std::future::poll_fn(|cx| Poll::Ready(sleep.as_mut().poll(cx).is_pending()));
        assert!(pending.await);
    }

    /// Waits for `fut` and says how long it took from `start`, which must be at least `at`.
    async fn fires_at(fut: impl Future<Output = ()>, start: Instant, at: Duration) {
        fut.await;
        let took = start.elapsed();
        assert!(took >= at, "fired after {took:?}, before {at:?}");
        assert!(
            took < at + 2000 * MS,
            "fired after {took:?}, long after {at:?}"
        );
    }

    #[tokio::test]
    async fn a_kept_timer_fires_at_its_new_deadline() {
        let spare = Spare::default();
        let start = Instant::now();
        let mut first = spare.sleep_until(start + 20 * MS);
        arm(&mut first).await;
        spare.keep(first);
        // Later than its last deadline: moved in place.
        let mut second = spare.sleep_until(start + 200 * MS);
        assert!(spare.0.lock().unwrap().is_none(), "not reused");
        arm(&mut second).await;
        fires_at(second.as_mut(), start, 200 * MS).await;
        spare.keep(second);
        // Earlier than its last deadline (it fired): filed again.
        let start = Instant::now();
        let mut third = spare.sleep_until(start + 300 * MS);
        arm(&mut third).await;
        spare.keep(third);
        fires_at(spare.sleep_until(start + 50 * MS), start, 50 * MS).await;
    }

    #[tokio::test]
    async fn only_one_timer_is_kept() {
        let spare = Spare::default();
        let deadline = Instant::now() + 1000 * MS;
        spare.keep(spare.sleep_until(deadline));
        spare.keep(Box::pin(tokio::time::sleep_until(deadline)));
        assert!(spare.0.lock().unwrap().is_some());
        let _taken = spare.sleep_until(deadline);
        assert!(spare.0.lock().unwrap().is_none());
    }

    #[tokio::test]
    async fn hyper_sleeps_fire_on_time_and_hand_their_timer_back() {
        let timer = ConnTimer::default();
        let start = Instant::now();
        fires_at(timer.sleep(50 * MS), start, 50 * MS).await;
        assert!(timer.0.0.lock().unwrap().is_some(), "not handed back");
        let mut sleep = timer.sleep_until(timer.now() + 10_000 * MS);
        assert!(timer.0.0.lock().unwrap().is_none(), "not reused");
        let start = Instant::now();
        timer.reset(&mut sleep, timer.now() + 50 * MS);
        fires_at(sleep, start, 50 * MS).await;
    }
}
