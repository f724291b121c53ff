//! Progress while sending: an indicatif bar with rate and ETA when stderr
//! is a terminal, plain log lines every few seconds otherwise (CI logs).

use std::io::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::engine::Progress;
use crate::journal::Status;
use crate::plan::Step;

/// Counts outcomes and shows them.
pub struct ProgressReporter {
    total: u64,
    sent: AtomicU64,
    failed: AtomicU64,
    unknown: AtomicU64,
    other: AtomicU64,
    throttled: AtomicU64,
    bar: Option<ProgressBar>,
    plain: Mutex<Plain>,
}

struct Plain {
    out: Option<Box<dyn Write + Send>>,
    every: Duration,
    last: Instant,
    start: Instant,
    /// How many were done at the last line written.
    written: Option<u64>,
    /// The step waited for and the mark of the last countdown line.
    countdown: Option<(usize, u64)>,
}

impl ProgressReporter {
    /// A bar on stderr when `terminal`, else lines to `lines` every
    /// `every`.
    pub fn new(
        total: usize,
        terminal: bool,
        lines: Option<Box<dyn Write + Send>>,
        every: Duration,
    ) -> Self {
        let bar = terminal.then(|| {
            let b = ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::stderr());
            b.set_style(
                ProgressStyle::with_template(
                    "{bar:30} {pos}/{len} sends  {rate}  ETA {eta}  {msg}",
                )
                .expect("progress template is valid")
                .with_key(
                    "rate",
                    |state: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                        let _ = write!(w, "{:.1}/s", state.per_sec());
                    },
                ),
            );
            b
        });
        let now = Instant::now();
        ProgressReporter {
            total: total as u64,
            sent: AtomicU64::new(0),
            failed: AtomicU64::new(0),
            unknown: AtomicU64::new(0),
            other: AtomicU64::new(0),
            throttled: AtomicU64::new(0),
            bar,
            plain: Mutex::new(Plain {
                out: if terminal { None } else { lines },
                every,
                last: now,
                start: now,
                written: None,
                countdown: None,
            }),
        }
    }

    fn counts(&self) -> (u64, u64, u64, u64) {
        (
            self.sent.load(Ordering::Relaxed),
            self.failed.load(Ordering::Relaxed),
            self.unknown.load(Ordering::Relaxed),
            self.other.load(Ordering::Relaxed),
        )
    }

    /// Removes the bar, or writes the last line if it is not written yet
    /// (a stopped run ends short of its total).
    pub fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
            return;
        }
        let mut p = self.plain.lock().expect("progress lock");
        self.write_line(&mut p, true);
    }

    /// Writes a progress line when `every` has passed, the total is
    /// reached, or `force`; never twice for the same count.
    fn write_line(&self, p: &mut Plain, force: bool) {
        let (sent, failed, unknown, other) = self.counts();
        let now = Instant::now();
        let done = sent + failed + unknown + other;
        let due = now.duration_since(p.last) >= p.every || done == self.total || force;
        if !due || p.written == Some(done) {
            return;
        }
        p.last = now;
        p.written = Some(done);
        let secs = now.duration_since(p.start).as_secs_f64().max(0.001);
        let rate = (sent + failed + unknown) as f64 / secs;
        let eta = if rate > 0.0 {
            format!("{:.0}s", self.total.saturating_sub(done) as f64 / rate)
        } else {
            "-".into()
        };
        let throttled = self.throttled.load(Ordering::Relaxed);
        let line = format!(
            "progress: {done}/{} ({:.1}%), sent {sent}, failed {failed}, unknown {unknown}, throttled {throttled}, {rate:.1}/s, ETA {eta}\n",
            self.total,
            100.0 * done as f64 / self.total.max(1) as f64
        );
        if let Some(out) = p.out.as_mut() {
            let _ = out.write_all(line.as_bytes());
        }
    }
}

impl Progress for ProgressReporter {
    fn done(&self, status: Status) {
        match status {
            Status::Sent => &self.sent,
            Status::Failed => &self.failed,
            Status::Unknown => &self.unknown,
            Status::Skipped | Status::Planned | Status::Late => &self.other,
        }
        .fetch_add(1, Ordering::Relaxed);
        let (_, failed, unknown, _) = self.counts();
        if let Some(b) = &self.bar {
            b.inc(1);
            if failed + unknown > 0 {
                b.set_message(format!("failed {failed}, unknown {unknown}"));
            }
            return;
        }
        let mut p = self.plain.lock().expect("progress lock");
        self.write_line(&mut p, false);
    }

    fn throttled(&self) {
        self.throttled.fetch_add(1, Ordering::Relaxed);
    }

    /// On a terminal, the bar's message counts down each second; in a log,
    /// a line when the wait begins and one as each whole minute passes
    /// (and at ten seconds), not one a second.
    fn waiting(&self, step: &Step, left: Duration) {
        let at = step
            .at
            .map(crate::plan::timeline::rfc3339)
            .unwrap_or_default();
        if let Some(b) = &self.bar {
            b.set_message(format!(
                "next: step {} ({}) at {at}, in {}",
                step.index + 1,
                step.label(),
                countdown(left)
            ));
            b.tick();
            return;
        }
        let mut p = self.plain.lock().expect("progress lock");
        // A line when the wait begins, as each whole minute passes, under
        // a minute, and under ten seconds.
        let secs = left.as_secs();
        let stage = match secs {
            60.. => secs / 60 + 2,
            10..=59 => 1,
            _ => 0,
        };
        if p.countdown == Some((step.index, stage)) {
            return;
        }
        p.countdown = Some((step.index, stage));
        let line = format!(
            "waiting for step {} ({}) at {at}: {} to go\n",
            step.index + 1,
            step.label(),
            countdown(left)
        );
        if let Some(out) = p.out.as_mut() {
            let _ = out.write_all(line.as_bytes());
        }
    }

    fn step_begins(&self, step: &Step, late: Option<Duration>, skipped: bool) {
        let what = format!("{} sends to {} rooms", step.sends, step.rooms);
        let line = match (late, skipped) {
            (Some(by), true) => format!(
                "step {} ({}) is {} late, past its grace: its {what} are skipped as late (--late send sends them)",
                step.index + 1,
                step.label(),
                super::schedule::human(by)
            ),
            (Some(by), false) => format!(
                "step {} ({}) begins {} late (--late send): {what}",
                step.index + 1,
                step.label(),
                super::schedule::human(by)
            ),
            (None, _) => format!("step {} ({}) begins: {what}", step.index + 1, step.label()),
        };
        if let Some(b) = &self.bar {
            b.println(&line);
            b.set_message("");
            return;
        }
        let mut p = self.plain.lock().expect("progress lock");
        if let Some(out) = p.out.as_mut() {
            let _ = writeln!(out, "{line}");
        }
    }
}

/// Time left as `m:ss`, or `h:mm:ss`.
fn countdown(left: Duration) -> String {
    let s = left.as_secs_f64().ceil() as u64;
    if s >= 3600 {
        format!("{}:{:02}:{:02}", s / 3600, s % 3600 / 60, s % 60)
    } else {
        format!("{}:{:02}", s / 60, s % 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    /// A log that a test can read back.
    #[derive(Clone, Default)]
    struct Log(Arc<Mutex<Vec<u8>>>);

    impl Write for Log {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_wait_in_a_log_is_a_line_a_minute_not_a_line_a_second() {
        let log = Log::default();
        let p = ProgressReporter::new(
            4,
            false,
            Some(Box::new(log.clone())),
            Duration::from_secs(5),
        );
        let step = Step {
            index: 1,
            offset: Some("-5m".into()),
            offset_ms: Some(-300_000),
            at: Some(chrono::DateTime::parse_from_rfc3339("2026-12-01T19:55:00Z").unwrap()),
            grace_ms: Some(60_000),
            events: 1,
            rooms: 2,
            sends: 2,
            fanout_seconds: 0.0,
        };
        for left in (1..=150).rev() {
            p.waiting(&step, Duration::from_secs(left));
        }
        p.step_begins(&step, None, false);
        let text = String::from_utf8(log.0.lock().unwrap().clone()).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines,
            [
                "waiting for step 2 (at -5m) at 2026-12-01T19:55:00Z: 2:30 to go",
                "waiting for step 2 (at -5m) at 2026-12-01T19:55:00Z: 1:59 to go",
                "waiting for step 2 (at -5m) at 2026-12-01T19:55:00Z: 0:59 to go",
                "waiting for step 2 (at -5m) at 2026-12-01T19:55:00Z: 0:09 to go",
                "step 2 (at -5m) begins: 2 sends to 2 rooms",
            ]
        );
    }
}
