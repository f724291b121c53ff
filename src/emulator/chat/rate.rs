//! A room's message rate limit: a token bucket refilled at the room's
//! `maximumMessageRatePerSecond`, holding one second's worth.
//!
//! The rate is read from the room at every message, so an `UpdateRoom`
//! applies to the next one; `governor`'s fixed quotas do not allow that,
//! hence this small bucket.

use std::time::Instant;

/// One room's bucket.
#[derive(Debug, Clone)]
pub struct MessageRate {
    tokens: f64,
    last: Instant,
}

impl MessageRate {
    /// A full bucket (a fresh room takes a burst of its rate).
    pub fn new(now: Instant) -> Self {
        Self {
            tokens: f64::MAX,
            last: now,
        }
    }

    /// Takes one token at `rate` per second; false when none is left.
    pub fn take(&mut self, rate: i64, now: Instant) -> bool {
        let rate = rate.max(1) as f64;
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.last = now;
        self.tokens = (self.tokens.min(rate) + elapsed * rate).min(rate);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_burst_of_the_rate_then_refill() {
        let t0 = Instant::now();
        let mut b = MessageRate::new(t0);
        assert_eq!((0..10).filter(|_| b.take(3, t0)).count(), 3);
        assert!(!b.take(3, t0 + Duration::from_millis(100)));
        assert!(b.take(3, t0 + Duration::from_millis(450)));
        // A lower rate caps what is left at once.
        let mut c = MessageRate::new(t0);
        assert!(c.take(10, t0));
        assert_eq!((0..10).filter(|_| c.take(2, t0)).count(), 2);
    }
}
