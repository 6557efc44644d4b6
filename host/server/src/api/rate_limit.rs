//! Request rate limiting per API key or user: a token bucket per caller, in memory.
//!
//! Each replica limits on its own, so N replicas allow up to N times the rate; that
//! is enough to stop a runaway script, which is what the limit is for.
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// More callers than this and idle (full) buckets are dropped, so the map cannot
/// grow without bound.
const PRUNE_ABOVE: usize = 10_000;

pub struct RateLimiter {
    /// Tokens added per second.
    rate: f64,
    /// Bucket size: the requests a caller may make at once.
    burst: f64,
    buckets: Mutex<HashMap<String, Bucket>>,
}

#[derive(Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

impl RateLimiter {
    pub fn new(per_minute: u32, burst: u32) -> RateLimiter {
        RateLimiter {
            rate: f64::from(per_minute.max(1)) / 60.0,
            burst: f64::from(burst.max(1)),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Take one token for `caller`; `Err(wait)` when none is left, with the time
    /// until the next one.
    pub fn check(&self, caller: &str) -> Result<(), Duration> {
        self.check_at(caller, Instant::now())
    }

    fn check_at(&self, caller: &str, now: Instant) -> Result<(), Duration> {
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        if buckets.len() > PRUNE_ABOVE {
            let (rate, burst) = (self.rate, self.burst);
            buckets.retain(|_, b| b.refilled(now, rate, burst) < burst);
        }
        let bucket = buckets.entry(caller.to_string()).or_insert(Bucket {
            tokens: self.burst,
            at: now,
        });
        bucket.tokens = bucket.refilled(now, self.rate, self.burst);
        bucket.at = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - bucket.tokens) / self.rate))
        }
    }
}

impl Bucket {
    fn refilled(&self, now: Instant, rate: f64, burst: f64) -> f64 {
        let elapsed = now.saturating_duration_since(self.at).as_secs_f64();
        (self.tokens + elapsed * rate).min(burst)
    }
}

/// `Retry-After` in whole seconds, never 0 (a client retrying at once would only be
/// refused again).
pub fn retry_after_secs(wait: Duration) -> u64 {
    wait.as_secs_f64().ceil().max(1.0) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn burst_then_refill_at_the_rate() {
        let limiter = RateLimiter::new(60, 3);
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(limiter.check_at("key:a", t0).is_ok());
        }
        let wait = limiter.check_at("key:a", t0).unwrap_err();
        assert!(
            wait > Duration::from_millis(900) && wait <= Duration::from_secs(1),
            "{wait:?}"
        );
        // Another caller has its own bucket.
        assert!(limiter.check_at("key:b", t0).is_ok());
        // One token per second comes back.
        assert!(
            limiter
                .check_at("key:a", t0 + Duration::from_millis(1000))
                .is_ok()
        );
        assert!(
            limiter
                .check_at("key:a", t0 + Duration::from_millis(1100))
                .is_err()
        );
        // Never more than the burst, however long the caller was idle.
        let later = t0 + Duration::from_secs(3600);
        for _ in 0..3 {
            assert!(limiter.check_at("key:a", later).is_ok());
        }
        assert!(limiter.check_at("key:a", later).is_err());
    }

    #[test]
    fn idle_buckets_are_pruned() {
        let limiter = RateLimiter::new(6000, 1);
        let t0 = Instant::now();
        for i in 0..=PRUNE_ABOVE {
            let _ = limiter.check_at(&format!("user:{i}"), t0);
        }
        let _ = limiter.check_at("user:last", t0 + Duration::from_secs(60));
        assert_eq!(limiter.buckets.lock().unwrap().len(), 1);
    }

    #[test]
    fn retry_after_rounds_up() {
        assert_eq!(retry_after_secs(Duration::from_millis(1)), 1);
        assert_eq!(retry_after_secs(Duration::from_millis(1000)), 1);
        assert_eq!(retry_after_secs(Duration::from_millis(1001)), 2);
        assert_eq!(retry_after_secs(Duration::ZERO), 1);
    }
}
