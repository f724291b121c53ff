//! Keeping time between the steps of a timeline: waiting for a step's
//! time (never starting it early), and deciding whether a step that starts
//! now is too late to send.

use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::watch;

use crate::plan::Step;

/// What to do with a step that cannot start within its grace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LatePolicy {
    /// Skip its sends and report them as late: a stale "closes in 15
    /// minutes" never goes out 12 minutes late.
    #[default]
    Skip,
    /// Send them anyway (`--late send`).
    Send,
}

/// How often a wait wakes to show the time left.
const TICK: Duration = Duration::from_secs(1);

/// Waits until `at` by the clock `now`, calling `show` with the time left
/// about once a second. Returns true if the run was stopped first. Wakes
/// on tokio's timer and checks the clock before returning, so a step never
/// starts before its time even if the two drift apart.
pub async fn wait_until(
    at: DateTime<Utc>,
    now: impl Fn() -> DateTime<Utc>,
    mut show: impl FnMut(Duration),
    stop: &mut watch::Receiver<bool>,
) -> bool {
    loop {
        if *stop.borrow() {
            return true;
        }
        let Ok(left) = (at - now()).to_std() else {
            return false;
        };
        if left.is_zero() {
            return false;
        }
        show(left);
        let nap = if left > TICK {
            // Wake on the second boundary of the time left, so a countdown
            // reads 5, 4, 3 rather than 4.7, 3.7.
            let frac = Duration::from_nanos((left.as_nanos() % TICK.as_nanos()) as u64);
            if frac.is_zero() { TICK } else { frac }
        } else {
            left
        };
        tokio::select! {
            () = tokio::time::sleep(nap) => {}
            _ = stop.wait_for(|s| *s) => return true,
        }
    }
}

/// How late a step starting at `now` is, when that is past its grace;
/// `None` when it is on time, within its grace, or never late (the start
/// step).
pub fn too_late(step: &Step, now: DateTime<Utc>) -> Option<Duration> {
    let deadline = step.deadline()?;
    let at = step.at?;
    if now <= deadline {
        return None;
    }
    (now - at.with_timezone(&Utc)).to_std().ok()
}

/// A duration for people: `12m03s`, `4.2s`.
pub fn human(d: Duration) -> String {
    let s = d.as_secs();
    if s >= 3600 {
        format!("{}h{:02}m{:02}s", s / 3600, s % 3600 / 60, s % 60)
    } else if s >= 60 {
        format!("{}m{:02}s", s / 60, s % 60)
    } else {
        format!("{:.1}s", d.as_secs_f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(at: DateTime<Utc>, grace_ms: u64) -> Step {
        Step {
            index: 1,
            offset: Some("-5m".into()),
            offset_ms: Some(-300_000),
            at: Some(at.fixed_offset()),
            grace_ms: Some(grace_ms),
            events: 1,
            rooms: 1,
            sends: 1,
            fanout_seconds: 0.0,
        }
    }

    /// A clock that follows tokio's paused time from `base`.
    fn paused_clock(base: DateTime<Utc>) -> impl Fn() -> DateTime<Utc> {
        let start = tokio::time::Instant::now();
        move || base + chrono::Duration::from_std(start.elapsed()).unwrap()
    }

    #[tokio::test(start_paused = true)]
    async fn waits_to_the_step_and_not_a_moment_less() {
        let base = DateTime::parse_from_rfc3339("2026-12-01T19:00:00Z")
            .unwrap()
            .to_utc();
        let at = base + chrono::Duration::milliseconds(90_500);
        let clock = paused_clock(base);
        let (_tx, mut stop) = watch::channel(false);
        let mut shown = Vec::new();
        let stopped = wait_until(at, &clock, |d| shown.push(d.as_secs()), &mut stop).await;
        assert!(!stopped);
        let now = clock();
        assert!(now >= at, "woke early: {now} < {at}");
        assert!(now - at < chrono::Duration::milliseconds(5), "{now}");
        // About one line a second, counting down on whole seconds.
        assert_eq!(shown.first(), Some(&90));
        assert!(shown.windows(2).all(|w| w[0] >= w[1]), "{shown:?}");
        assert!((88..=93).contains(&shown.len()), "{}", shown.len());
    }

    #[tokio::test(start_paused = true)]
    async fn a_stop_ends_the_wait() {
        let base = Utc::now();
        let clock = paused_clock(base);
        let (tx, mut stop) = watch::channel(false);
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(3)).await;
            tx.send(true).unwrap();
        });
        let at = base + chrono::Duration::minutes(10);
        assert!(wait_until(at, &clock, |_| {}, &mut stop).await);
        let waited = clock() - base;
        assert!(waited < chrono::Duration::seconds(4), "{waited}");
    }

    #[tokio::test(start_paused = true)]
    async fn a_past_time_does_not_wait() {
        let base = Utc::now();
        let (_tx, mut stop) = watch::channel(false);
        let mut calls = 0;
        let past = base - chrono::Duration::seconds(5);
        assert!(!wait_until(past, || base, |_| calls += 1, &mut stop).await);
        assert_eq!(calls, 0);
    }

    #[test]
    fn lateness_is_measured_from_the_step_and_allowed_within_grace() {
        let at = Utc::now();
        let s = step(at, 60_000);
        assert_eq!(too_late(&s, at + chrono::Duration::seconds(59)), None);
        assert_eq!(too_late(&s, at + chrono::Duration::seconds(60)), None);
        assert_eq!(
            too_late(&s, at + chrono::Duration::seconds(61)).map(|d| d.as_secs()),
            Some(61)
        );
        let start = Step {
            at: None,
            grace_ms: None,
            offset: None,
            offset_ms: None,
            ..s
        };
        assert_eq!(too_late(&start, at + chrono::Duration::days(1)), None);
    }
}
