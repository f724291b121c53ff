//! Rate limiting per account and region, the unit of the SendEvent quota.
//!
//! Every attempt, retries included, waits here before it goes out. Slots
//! follow a GCRA schedule at the configured rate and burst, a hard
//! ceiling, and no window of one second and 5 ms holds more slots than
//! the departure gate (below) lets leave in one second. On top of it an adaptive pacer slows the region down when the
//! service throttles (someone else is using the shared quota) and recovers
//! gradually, so throttling never turns into a retry storm:
//!
//! - on a throttle, the pace halves (never below 10% of the configured
//!   rate); throttles within 250 ms of a halving are the same congestion
//!   and do not halve it again;
//! - each second, it regains 10% of the configured rate.
//!
//! Each waiter is given its own slot when it asks ([`RegionLimiter::acquire`])
//! and sleeps once, on the runtime's timer, until then: no waiter wakes for
//! a slot another one takes, and since the schedule is fixed when slots are
//! handed out, a wake-up that comes late (the timer's granularity is a
//! millisecond) does not push the later slots back.
//!
//! A send's start record is made durable between its slot and its request
//! (write-ahead), and a slow `fsync` can hold several granted sends and then
//! release them together. So the request itself passes a second gate right
//! before it goes ([`RegionLimiter::depart`]), on the times requests really
//! leave: no one-second window holds more than the schedule allows (rate +
//! burst − 1, rounded up), and requests released together are spaced at
//! the rate again after a burst (a `governor` GCRA one slot more tolerant
//! and 1% faster than the schedule, so the timer's late wake-ups pass it
//! and a request it held does not hold all the later ones). Slots are still
//! taken before the start record, so a crash leaves only sends that were
//! about to go recorded as in flight.

use std::collections::VecDeque;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use governor::clock::MonotonicClock;
use governor::middleware::NoOpMiddleware;
use governor::state::{InMemoryState, NotKeyed};
use governor::{Quota, RateLimiter};

/// Fraction of the configured rate the pace falls to at most.
const FLOOR: f64 = 0.10;
/// Throttles this soon after a halving do not halve again.
const HOLD: Duration = Duration::from_millis(250);
/// Fraction of the configured rate regained per second.
const RECOVERY_PER_SECOND: f64 = 0.10;
/// The window the per-second ceiling is counted over.
const WINDOW: Duration = Duration::from_secs(1);
/// Slots keep their window this much longer than departures do, so that a
/// request leaving a little later than its slot (a late wake-up, a slow
/// fsync) seldom finds the gate's window full, and a window that a stall
/// filled is soon clear again. It costs the schedule 0.5% where the window
/// binds, at a burst of 1 (rate 99 or 100).
const SLACK: Duration = Duration::from_millis(5);
/// The gate's spacing runs this much faster than the schedule: a request
/// it had to hold (a stall released several together) is made up for
/// within about a hundred slots, instead of holding every later request
/// too while the schedule runs at the full rate.
const SPACING_HEADROOM: f64 = 1.01;

type Gcra = RateLimiter<NotKeyed, InMemoryState, MonotonicClock, NoOpMiddleware<Instant>>;

/// The limiter of one account and region.
pub struct RegionLimiter {
    rate: f64,
    /// Time between slots at the configured rate.
    period: Duration,
    /// How far ahead of the schedule a burst may go: `(burst - 1)` periods.
    tolerance: Duration,
    /// At most this many slots, and departures, in any window.
    per_window: usize,
    pace: Mutex<Pace>,
    gate: Gate,
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
    /// The schedule at the configured rate: the theoretical time of the
    /// next slot (GCRA).
    tat: Instant,
    /// Slots handed out within the last window and slack, oldest first.
    slots: VecDeque<Instant>,
}

/// The departure gate: what really leaves.
struct Gate {
    /// Spaces requests released together.
    spacing: Gcra,
    /// At most this many departures in any window.
    per_window: usize,
    /// Departures within the last window, oldest first (at most
    /// `per_window`).
    recent: Mutex<VecDeque<Instant>>,
}

impl RegionLimiter {
    /// A limiter for `rate` sends per second with `burst`.
    pub fn new(rate: f64, burst: u32) -> Self {
        let burst = burst.max(1);
        let period = Duration::from_secs_f64(1.0 / rate.max(0.001));
        // One slot more than the schedule: the timer's late wake-ups do not
        // bunch requests, only a stall does.
        let spacing = Quota::with_period(period.div_f64(SPACING_HEADROOM))
            .expect("period is positive")
            .allow_burst(NonZeroU32::new(burst.saturating_add(1)).expect("burst is at least 1"));
        // A GCRA schedule holds at most ceil(rate) + burst - 1 in a window.
        let per_window =
            (rate * WINDOW.as_secs_f64()).ceil().max(1.0) as usize + burst as usize - 1;
        let now = Instant::now();
        RegionLimiter {
            rate,
            period,
            tolerance: period * (burst - 1),
            per_window,
            pace: Mutex::new(Pace {
                current: rate,
                updated: now,
                next_slot: now,
                last_cut: None,
                tat: now,
                slots: VecDeque::new(),
            }),
            gate: Gate {
                spacing: RateLimiter::direct_with_clock(spacing, MonotonicClock),
                per_window,
                recent: Mutex::new(VecDeque::new()),
            },
        }
    }

    /// Waits for an attempt's slot: the adaptive pace, then the hard limit.
    /// [`RegionLimiter::depart`] follows right before the request.
    pub async fn acquire(&self) {
        let slot = self.reserve(Instant::now());
        if slot > Instant::now() {
            tokio::time::sleep_until(slot.into()).await;
        }
    }

    /// Hands out the next slot at `now`: the paced slot when the pace is
    /// below the rate, then the first the schedule allows from there.
    fn reserve(&self, now: Instant) -> Instant {
        let mut p = self.pace.lock().expect("pace lock");
        let dt = now.duration_since(p.updated).as_secs_f64();
        p.current = (p.current + self.rate * RECOVERY_PER_SECOND * dt).min(self.rate);
        p.updated = now;
        let paced = if p.current < self.rate {
            let slot = p.next_slot.max(now);
            p.next_slot = slot + Duration::from_secs_f64(1.0 / p.current);
            slot
        } else {
            p.next_slot = now;
            now
        };
        let mut slot = paced.max(p.tat.checked_sub(self.tolerance).unwrap_or(p.tat));
        // First come, first served; and no window (with slack) holds more
        // slots than the gate lets depart in one.
        let span = WINDOW + SLACK;
        if let Some(last) = p.slots.back() {
            slot = slot.max(*last);
        }
        while p.slots.front().is_some_and(|t| *t + span <= slot) {
            p.slots.pop_front();
        }
        if p.slots.len() >= self.per_window {
            slot = slot.max(p.slots[p.slots.len() - self.per_window] + span);
        }
        p.slots.push_back(slot);
        p.tat = p.tat.max(slot) + self.period;
        slot
    }

    /// Waits until a request whose slot was granted may leave, and returns
    /// when it left. Immediate unless something (a slow `fsync`) bunched
    /// granted requests together.
    pub async fn depart(&self) -> Instant {
        loop {
            match self.gate.admit() {
                Ok(left) => return left,
                Err(until) => tokio::time::sleep_until(until.into()).await,
            }
        }
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

impl Gate {
    /// Counts a departure now if both the window and the spacing have room
    /// for it, and says when it is; else says when to ask again. One lock,
    /// so two requests leaving at once cannot both take the window's last
    /// place, and the window's times are in order.
    fn admit(&self) -> Result<Instant, Instant> {
        let mut recent = self.recent.lock().expect("gate lock");
        let now = Instant::now();
        while recent.front().is_some_and(|t| *t + WINDOW <= now) {
            recent.pop_front();
        }
        if recent.len() >= self.per_window {
            return Err(recent[recent.len() - self.per_window] + WINDOW);
        }
        self.spacing
            .check()
            .map_err(|not_until| not_until.earliest_possible())?;
        recent.push_back(now);
        Ok(now)
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
    fn a_late_wake_up_does_not_push_the_schedule_back() {
        let l = RegionLimiter::new(100.0, 1);
        let t0 = Instant::now();
        let ms = Duration::from_millis;
        // Three waiters ask at once: each gets its own slot, 10 ms apart.
        let slots: Vec<Instant> = (0..3).map(|_| l.reserve(t0)).collect();
        assert_eq!(slots, [t0, t0 + ms(10), t0 + ms(20)]);
        // The third woke 5 ms late and its room asks again: the slot after
        // it is still on the schedule.
        assert_eq!(l.reserve(t0 + ms(25)), t0 + ms(30));
        // After an idle moment the schedule starts again from then.
        assert_eq!(l.reserve(t0 + ms(100)), t0 + ms(100));
    }

    #[test]
    fn slots_hold_every_window_to_rate_plus_burst_minus_one() {
        let l = RegionLimiter::new(10.0, 3);
        let t0 = Instant::now();
        let slots: Vec<Instant> = (0..40).map(|_| l.reserve(t0)).collect();
        assert_eq!(&slots[..3], [t0; 3], "the burst");
        assert_eq!(slots[3], t0 + Duration::from_millis(100), "then the rate");
        // GCRA alone would put the 13th slot 1 s after the first; the
        // window (with slack) holds it back.
        for k in 0..slots.len() - 12 {
            assert!(
                slots[k + 12] >= slots[k] + WINDOW + SLACK,
                "slots {k} and {}: {:?}",
                k + 12,
                slots[k + 12] - slots[k]
            );
        }
    }

    #[tokio::test]
    async fn departures_never_fill_a_window_past_the_schedule() {
        // 10/s, no burst: the gate's spacing alone (one slot more tolerant)
        // would let 11 requests leave within 0.9 s.
        let l = RegionLimiter::new(10.0, 1);
        let first = l.depart().await;
        let mut last = first;
        for _ in 0..10 {
            last = l.depart().await;
        }
        let t = last - first;
        assert!(t >= WINDOW, "11 departures within {t:?}");
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
