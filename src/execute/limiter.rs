//! Rate limiting per account and region, the unit of the SendEvent quota.
//!
//! Every attempt, retries included, waits here before it goes out. A
//! `governor` GCRA limiter enforces the configured rate and burst as a hard
//! ceiling. On top of it an adaptive pacer slows the region down when the
//! service throttles (someone else is using the shared quota) and recovers
//! gradually, so throttling never turns into a retry storm:
//!
//! - on a throttle, the pace halves (never below 10% of the configured
//!   rate); throttles within 250 ms of a halving are the same congestion
//!   and do not halve it again;
//! - each second, it regains 10% of the configured rate.
//!
//! A send's start record is made durable between its slot and its request
//! (write-ahead), and a slow `fsync` can hold several granted sends and then
//! release them together. So the request itself passes a second GCRA gate
//! with the same rate and burst ([`RegionLimiter::depart`]) right before it
//! goes: what leaves the process, not just what was granted, never exceeds
//! rate + burst in a second. Slots are still taken before the start record,
//! so a crash leaves only sends that were about to go recorded as in flight.

use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};

/// Fraction of the configured rate the pace falls to at most.
const FLOOR: f64 = 0.10;
/// Throttles this soon after a halving do not halve again.
const HOLD: Duration = Duration::from_millis(250);
/// Fraction of the configured rate regained per second.
const RECOVERY_PER_SECOND: f64 = 0.10;

/// The limiter of one account and region.
pub struct RegionLimiter {
    hard: DefaultDirectRateLimiter,
    /// Same quota, checked right before each request leaves.
    gate: DefaultDirectRateLimiter,
    rate: f64,
    pace: Mutex<Pace>,
}

struct Pace {
    /// Current allowed rate, at most `rate`.
    current: f64,
    /// When `current` was last updated.
    updated: Instant,
    /// Earliest time the next paced attempt may go.
    next_slot: Instant,
    /// When the pace was last halved.
    last_cut: Option<Instant>,
}

impl RegionLimiter {
    /// A limiter for `rate` sends per second with `burst`.
    pub fn new(rate: f64, burst: u32) -> Self {
        let period = Duration::from_secs_f64(1.0 / rate.max(0.001));
        let quota = Quota::with_period(period)
            .expect("period is positive")
            .allow_burst(NonZeroU32::new(burst.max(1)).expect("burst is at least 1"));
        let now = Instant::now();
        RegionLimiter {
            hard: RateLimiter::direct(quota),
            gate: RateLimiter::direct(quota),
            rate,
            pace: Mutex::new(Pace {
                current: rate,
                updated: now,
                next_slot: now,
                last_cut: None,
            }),
        }
    }

    /// Waits for an attempt's slot: the adaptive pace, then the hard limit.
    /// [`RegionLimiter::depart`] follows right before the request.
    pub async fn acquire(&self) {
        let wait = {
            let mut p = self.pace.lock().expect("pace lock");
            let now = Instant::now();
            let dt = now.duration_since(p.updated).as_secs_f64();
            p.current = (p.current + self.rate * RECOVERY_PER_SECOND * dt).min(self.rate);
            p.updated = now;
            if p.current < self.rate {
                let slot = p.next_slot.max(now);
                p.next_slot = slot + Duration::from_secs_f64(1.0 / p.current);
                slot.saturating_duration_since(now)
            } else {
                p.next_slot = now;
                Duration::ZERO
            }
        };
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
        self.hard.until_ready().await;
    }

    /// Waits until a request whose slot was granted may leave. Immediate
    /// unless something (a slow `fsync`) bunched granted requests together.
    pub async fn depart(&self) {
        self.gate.until_ready().await;
    }

    /// Records a throttle from the service: slow down.
    pub fn on_throttle(&self) {
        let mut p = self.pace.lock().expect("pace lock");
        let now = Instant::now();
        if p.last_cut.is_some_and(|t| now.duration_since(t) < HOLD) {
            return;
        }
        p.last_cut = Some(now);
        p.current = (p.current * 0.5).max(self.rate * FLOOR);
        p.updated = now;
        p.next_slot = p.next_slot.max(now);
    }

    /// The current pace in sends per second.
    pub fn current_rate(&self) -> f64 {
        self.pace.lock().expect("pace lock").current
    }
}

/// Limiters keyed by account and region, created on first use.
pub struct Limiters {
    rate: f64,
    burst: u32,
    map: Mutex<std::collections::HashMap<(String, String), Arc<RegionLimiter>>>,
}

impl Limiters {
    /// Limiters at `rate` per second and `burst` for every account+region.
    pub fn new(rate: f64, burst: u32) -> Self {
        Limiters {
            rate,
            burst,
            map: Mutex::new(Default::default()),
        }
    }

    /// The limiter for an account and region.
    pub fn get(&self, account: &str, region: &str) -> Arc<RegionLimiter> {
        let mut m = self.map.lock().expect("limiters lock");
        m.entry((account.to_string(), region.to_string()))
            .or_insert_with(|| Arc::new(RegionLimiter::new(self.rate, self.burst)))
            .clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn burst_then_rate() {
        let l = RegionLimiter::new(50.0, 5);
        let start = Instant::now();
        for _ in 0..15 {
            l.acquire().await;
        }
        // 5 at once, then 10 more at 50/s: about 200 ms.
        let t = start.elapsed();
        assert!(t >= Duration::from_millis(150), "{t:?}");
        assert!(t < Duration::from_millis(1500), "{t:?}");
    }

    #[tokio::test]
    async fn departures_held_together_are_spaced_again() {
        let l = RegionLimiter::new(50.0, 5);
        for _ in 0..15 {
            l.acquire().await;
        }
        // All 15 slots granted; now a stall releases them at once. The gate
        // lets the burst through and spaces the other 10 at 50/s.
        let start = Instant::now();
        for _ in 0..15 {
            l.depart().await;
        }
        let t = start.elapsed();
        assert!(t >= Duration::from_millis(150), "{t:?}");
    }

    #[test]
    fn throttle_halves_once_per_hold_down_to_the_floor() {
        let l = RegionLimiter::new(100.0, 1);
        l.on_throttle();
        assert!((l.current_rate() - 50.0).abs() < 1.0);
        l.on_throttle();
        assert!(
            (l.current_rate() - 50.0).abs() < 1.0,
            "same congestion, no second cut"
        );
        for _ in 0..10 {
            l.pace.lock().unwrap().last_cut = None;
            l.on_throttle();
        }
        assert!((l.current_rate() - 10.0).abs() < 0.01, "floor");
    }

    #[test]
    fn pace_recovers_over_time() {
        let l = RegionLimiter::new(100.0, 1);
        l.on_throttle();
        {
            let mut p = l.pace.lock().unwrap();
            p.updated -= Duration::from_secs(2);
        }
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(l.acquire());
        assert!(
            (l.current_rate() - 70.0).abs() < 1.0,
            "{}",
            l.current_rate()
        );
    }
}
