//! One waiter for every "wait until AWS says it is ready" loop: polls at
//! once, then backs off with jitter up to a cap, honours the operation's
//! time limit and Terraform's stop request. No fixed pre-waits.

use std::future::Future;
use std::time::Duration;

use tfplugin::diag::{Diagnostic, Diagnostics};
use tfplugin::Stop;

/// The result of one poll.
pub enum Poll<T> {
    Ready(T),
    /// Not yet; the string is the current status, for messages.
    Pending(String),
}

const FIRST_DELAY: Duration = Duration::from_millis(200);
/// The longest pause between polls: an object that became ready is seen at
/// most this long later (on average less than half of it). A
/// describe call every 5 s is far below the services' request limits.
const MAX_DELAY: Duration = Duration::from_secs(5);

/// Polls until ready, failing after `limit` or when Terraform asks to stop.
pub async fn wait_until<T, F, Fut>(
    what: &str,
    limit: Duration,
    stop: &Stop,
    mut poll: F,
) -> Result<T, Diagnostics>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Poll<T>, Diagnostics>>,
{
    let deadline = tokio::time::Instant::now() + limit;
    let mut delay = FIRST_DELAY;
    loop {
        let status = match poll().await? {
            Poll::Ready(v) => return Ok(v),
            Poll::Pending(status) => status,
        };
        let now = tokio::time::Instant::now();
        if now >= deadline {
            return Err(Diagnostic::error(
                format!("Timed out waiting for {what}"),
                format!("Still {status} after {limit:?}. Raise the limit in the resource's `timeouts` block, or check the object in the AWS console."),
            )
            .into());
        }
        let sleep = jitter(delay).min(deadline - now);
        tokio::select! {
            () = tokio::time::sleep(sleep) => {}
            () = stop.cancelled() => {
                return Err(Diagnostic::error(
                    format!("Interrupted while waiting for {what}"),
                    format!("Terraform asked the provider to stop; the object was {status}. What exists is saved in state; apply again to finish it."),
                )
                .into());
            }
        }
        delay = (delay * 3 / 2).min(MAX_DELAY);
    }
}

/// A delay between half and all of `d` ("equal jitter").
pub fn jitter(d: Duration) -> Duration {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(d.as_nanos() as u64);
    let frac = (h.finish() % 1000) as f64 / 1000.0;
    d.mul_f64(0.5 + frac / 2.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    #[tokio::test(start_paused = true)]
    async fn polls_at_once_then_backs_off_until_ready() {
        let calls = AtomicU32::new(0);
        let start = tokio::time::Instant::now();
        let got = wait_until("thing", Duration::from_secs(60), &Stop::new(), || async {
            let n = calls.fetch_add(1, Ordering::SeqCst);
            Ok(if n < 3 {
                Poll::Pending("CREATING".into())
            } else {
                Poll::Ready(n)
            })
        })
        .await
        .unwrap();
        assert_eq!(got, 3);
        // 0.2 + 0.3 + 0.45 s at most, at least half of that.
        let took = start.elapsed();
        assert!(
            took <= Duration::from_millis(950) && took >= Duration::from_millis(475),
            "{took:?}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn ready_on_first_poll_waits_not_at_all() {
        let start = tokio::time::Instant::now();
        wait_until("thing", Duration::from_secs(60), &Stop::new(), || async {
            Ok(Poll::Ready(()))
        })
        .await
        .unwrap();
        assert_eq!(start.elapsed(), Duration::ZERO);
    }

    #[tokio::test(start_paused = true)]
    async fn times_out_with_the_last_status() {
        let err = wait_until::<(), _, _>("table", Duration::from_secs(5), &Stop::new(), || async {
            Ok(Poll::Pending("UPDATING".into()))
        })
        .await
        .unwrap_err();
        let d = err.iter().next().unwrap();
        assert!(
            d.summary.contains("Timed out waiting for table") && d.detail.contains("UPDATING"),
            "{d}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn stop_interrupts_the_wait() {
        let stop = Stop::new();
        let s2 = stop.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(3)).await;
            s2.cancel();
        });
        let start = tokio::time::Instant::now();
        let err = wait_until::<(), _, _>("table", Duration::from_secs(3600), &stop, || async {
            Ok(Poll::Pending("CREATING".into()))
        })
        .await
        .unwrap_err();
        assert!(err.iter().next().unwrap().summary.contains("Interrupted"));
        assert!(start.elapsed() < Duration::from_secs(4));
    }
}
