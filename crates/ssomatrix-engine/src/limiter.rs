//! A client-side rate limiter (GCRA, the token bucket's exact twin): callers
//! reserve the next free slot and sleep until it, so requests are spread
//! evenly at the budget and never cluster into bursts that the service
//! would throttle.

use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

#[derive(Debug)]
pub struct RateLimiter {
    /// Time between two requests at the budgeted rate.
    interval: Duration,
    /// How far ahead of schedule a burst may run.
    tolerance: Duration,
    /// The theoretical arrival time of the next request.
    tat: Mutex<Option<Instant>>,
}

impl RateLimiter {
    /// `per_second` requests a second, allowing bursts of `burst` (≥ 1). An
    /// infinite rate never waits (offline runs against a snapshot); a rate
    /// that is not positive is taken as one a second.
    pub fn new(per_second: f64, burst: u32) -> Self {
        let interval = if per_second == f64::INFINITY {
            Duration::ZERO
        } else if per_second > 0.0 {
            Duration::from_secs_f64(1.0 / per_second)
        } else {
            Duration::from_secs(1)
        };
        RateLimiter {
            interval,
            tolerance: interval * burst.saturating_sub(1),
            tat: Mutex::new(None),
        }
    }

    /// Waits until the caller may send one request.
    pub async fn acquire(&self) {
        let now = Instant::now();
        let send_at = {
            let mut tat = self.tat.lock().unwrap_or_else(|e| e.into_inner());
            let t = tat.map_or(now, |t| t.max(now));
            let send_at = t.checked_sub(self.tolerance).map_or(now, |s| s.max(now));
            *tat = Some(t + self.interval);
            send_at
        };
        if send_at > now {
            tokio::time::sleep_until(send_at).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn spreads_requests_at_the_budgeted_rate() {
        let limiter = RateLimiter::new(10.0, 1);
        let start = Instant::now();
        for _ in 0..50 {
            limiter.acquire().await;
        }
        // 50 requests at 10/s: the first goes at once, the 50th after 4.9 s.
        let elapsed = start.elapsed();
        assert!(
            elapsed >= Duration::from_millis(4_899) && elapsed <= Duration::from_millis(4_901),
            "{elapsed:?}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn concurrent_callers_share_one_budget() {
        let limiter = std::sync::Arc::new(RateLimiter::new(5.0, 1));
        let start = Instant::now();
        let tasks: Vec<_> = (0..20)
            .map(|_| {
                let l = limiter.clone();
                tokio::spawn(async move {
                    l.acquire().await;
                    Instant::now()
                })
            })
            .collect();
        let mut times = Vec::new();
        for t in tasks {
            times.push(t.await.unwrap() - start);
        }
        times.sort();
        // No one-second window holds more than five requests.
        for (i, t) in times.iter().enumerate().skip(5) {
            assert!(*t - times[i - 5] >= Duration::from_millis(999), "{times:?}");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn an_infinite_rate_never_waits() {
        let limiter = RateLimiter::new(f64::INFINITY, 1);
        let start = Instant::now();
        for _ in 0..1000 {
            limiter.acquire().await;
        }
        assert_eq!(start.elapsed(), Duration::ZERO);
    }
}
