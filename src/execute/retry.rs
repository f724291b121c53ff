//! When to try a send again, and how long to wait first.
//!
//! Throttling, 5xx answers and connections that could not be made are
//! retried, up to `max_attempts` attempts in all; everything else is final
//! (see [`super::api::AttemptError`]). Waits grow exponentially (backon's
//! exponential policy: 100 ms, 200 ms, 400 ms ... capped at 5 s) with *full
//! jitter*: the actual wait is uniform between zero and that bound, so
//! senders that were throttled together do not come back together.

use std::time::Duration;

use backon::{BackoffBuilder, ExponentialBuilder};
use rand::Rng;

/// First backoff bound.
pub const BASE_DELAY: Duration = Duration::from_millis(100);
/// Largest backoff bound.
pub const MAX_DELAY: Duration = Duration::from_secs(5);

/// The retry policy of a run.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Attempts per send, the first included.
    pub max_attempts: u32,
    /// First backoff bound.
    pub base: Duration,
    /// Largest backoff bound.
    pub max: Duration,
}

impl RetryPolicy {
    /// The policy with the default delays.
    pub fn new(max_attempts: u32) -> Self {
        RetryPolicy {
            max_attempts: max_attempts.max(1),
            base: BASE_DELAY,
            max: MAX_DELAY,
        }
    }

    /// The waits before attempts 2, 3, ...: one per retry, each drawn with
    /// full jitter.
    pub fn delays(&self) -> impl Iterator<Item = Duration> + use<> {
        let bounds = ExponentialBuilder::default()
            .with_min_delay(self.base)
            .with_max_delay(self.max)
            .with_factor(2.0)
            .with_max_times(self.max_attempts.saturating_sub(1) as usize)
            .build();
        bounds.map(|bound| {
            let ms = bound.as_millis() as u64;
            Duration::from_millis(rand::rng().random_range(0..=ms))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_delay_per_retry_within_bounds() {
        let p = RetryPolicy::new(5);
        let d: Vec<Duration> = p.delays().collect();
        assert_eq!(d.len(), 4);
        let bounds = [100, 200, 400, 800];
        for (got, max) in d.iter().zip(bounds) {
            assert!(*got <= Duration::from_millis(max), "{got:?} > {max}ms");
        }
        assert_eq!(RetryPolicy::new(1).delays().count(), 0);
        let many: Vec<Duration> = RetryPolicy::new(20).delays().collect();
        assert!(many.iter().all(|d| *d <= MAX_DELAY));
    }
}
