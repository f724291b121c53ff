//! The send loop: rooms in parallel, each room's events in order, every
//! attempt through the region's limiter, every outcome in the journal.
//!
//! Up to `concurrency` rooms are worked on at once; a room sends its events
//! one after another, so at most `concurrency` requests are in flight and
//! the order within a room is the playbook's. Sends are rendered one room
//! at a time ([`crate::plan::ScannedPlan::room_sends`]) and their outcomes go
//! straight to the journal, so memory does not grow with the plan.
//!
//! When stopped (Ctrl-C, SIGTERM), no new attempt starts; attempts already
//! in flight finish (bounded by the timeout), and every send not attempted
//! is journaled as `planned`, so the report accounts for the whole plan.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use futures::StreamExt;
use tokio::sync::watch;

use super::api::ChatApi;
use super::attempt::{Attempted, Attempts};
use super::limiter::{Limiters, RegionLimiter};
use super::retry::RetryPolicy;
use crate::journal::resume::ResumeState;
use crate::journal::{Journal, JournalRecord, SkipRecord, Status};
use crate::plan::{EffectiveSettings, PlanRoom, PlannedSend, ScannedPlan};

/// Receives each outcome as it happens (progress bars, log lines).
pub trait Progress: Send + Sync {
    /// A send ended (or was skipped).
    fn done(&self, status: Status);
    /// An attempt was throttled.
    fn throttled(&self) {}
    /// A send was sent and its `end` record written: the service answered
    /// with the event's id (`run --verify` then looks for its frame).
    fn sent(&self, _send: &PlannedSend, _message_id: &str) {}
}

/// Progress that goes nowhere.
pub struct NoProgress;

impl Progress for NoProgress {
    fn done(&self, _: Status) {}
}

/// What a run needs besides the plan.
pub struct Engine<'a> {
    /// The service.
    pub api: Arc<dyn ChatApi>,
    /// Rate, burst, concurrency, attempts, timeout.
    pub settings: EffectiveSettings,
    /// Earlier runs' outcomes, when resuming.
    pub resume: Option<&'a ResumeState>,
    /// Re-send sends whose earlier outcome is unknown.
    pub resend_unknown: bool,
    /// Where outcomes go.
    pub journal: &'a Journal,
    /// Becomes true when the run must stop starting sends.
    pub stop: watch::Receiver<bool>,
    /// Progress display.
    pub progress: &'a dyn Progress,
    /// With `--limit`: the ARNs of the only rooms to send to. The others
    /// are left alone (no journal record), for a later run.
    pub limit: Option<&'a std::collections::HashSet<String>>,
}

/// How the loop ended.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct LoopEnd {
    /// The stop signal came before every send was attempted.
    pub interrupted: bool,
}

/// A fatal problem: the journal could not be written, so sending stopped.
#[derive(Debug, thiserror::Error)]
#[error("the journal cannot be written ({0}); sending stopped so no outcome goes unrecorded")]
pub struct JournalFailed(#[source] pub std::io::Error);

struct Shared<'a> {
    engine: &'a Engine<'a>,
    limiters: Limiters,
    attempts: Attempts,
    stopping: AtomicBool,
    journal_error: std::sync::Mutex<Option<std::io::Error>>,
}

impl<'a> Engine<'a> {
    /// Sends the plan. Returns how the loop ended; every send has a journal
    /// record when it returns.
    pub async fn run(&self, planner: &ScannedPlan) -> Result<LoopEnd, JournalFailed> {
        let shared = Shared {
            engine: self,
            limiters: Limiters::new(self.settings.rate, self.settings.burst),
            attempts: Attempts {
                api: self.api.clone(),
                journal: self.journal.appender(),
                stop: self.stop.clone(),
                retry: RetryPolicy::new(self.settings.max_attempts),
                timeout: Duration::from_millis(self.settings.timeout_ms),
                run_start: Instant::now(),
            },
            stopping: AtomicBool::new(*self.stop.borrow()),
            journal_error: std::sync::Mutex::new(None),
        };
        let shared = &shared;
        let concurrency = self.settings.concurrency.max(1) as usize;
        let limit = self.limit;
        let rooms = planner
            .rooms()
            .iter()
            .filter(move |r| limit.is_none_or(|l| l.contains(&planner.room_of(r).arn.arn)));
        futures::stream::iter(rooms)
            .map(|room| shared.room(planner, room))
            .buffer_unordered(concurrency)
            .for_each(|()| async {})
            .await;
        if let Some(e) = shared
            .journal_error
            .lock()
            .expect("journal error lock")
            .take()
        {
            return Err(JournalFailed(e));
        }
        Ok(LoopEnd {
            interrupted: shared.stopping.load(Ordering::SeqCst),
        })
    }
}

impl Shared<'_> {
    fn should_stop(&self) -> bool {
        if self.stopping.load(Ordering::Relaxed) {
            return true;
        }
        if *self.engine.stop.borrow() {
            self.stopping.store(true, Ordering::SeqCst);
            return true;
        }
        false
    }

    fn fail_journal(&self, e: std::io::Error) {
        let mut slot = self.journal_error.lock().expect("journal error lock");
        if slot.is_none() {
            tracing::error!(error = %e, "journal write failed; stopping");
            *slot = Some(e);
        }
        self.stopping.store(true, Ordering::SeqCst);
    }

    /// Sends one room's events in order.
    /// Sends one room's events in order. Once one of them fails or has an
    /// unknown outcome, the room's later events are not attempted: sending
    /// them would put them before it once it is sent again.
    async fn room(&self, planner: &ScannedPlan, room: &PlanRoom) {
        let sends = planner.room_sends(room);
        let Some(first) = sends.first() else {
            return;
        };
        // One room, one account and region: one limiter for all its sends.
        let limiter = self.limiters.get(&first.account, &first.region);
        let mut blocked: Option<String> = None;
        for send in sends {
            let id = send.id.clone();
            let status = self.one(send, &limiter, blocked.as_deref()).await;
            if blocked.is_none() && matches!(status, Status::Failed | Status::Unknown) {
                blocked = Some(id);
            }
        }
    }

    fn skip(&self, send: PlannedSend, status: Status, note: String, message_id: Option<String>) {
        self.engine.journal.write(&JournalRecord::Skip(SkipRecord {
            send,
            status,
            note,
            message_id,
        }));
        // Progress counts what this run attempts; a skip is none of that
        // (the summary counts skips from the journal).
    }

    /// Handles one send; returns how it ended. `blocked` names an earlier
    /// send to the same room that was not sent in this run: this one then
    /// waits for a later run, so the room's order holds.
    async fn one(
        &self,
        send: PlannedSend,
        limiter: &Arc<RegionLimiter>,
        blocked: Option<&str>,
    ) -> Status {
        let e = self.engine;
        if let Some(r) = e.resume {
            if let Some(message_id) = r.sent.get(&send.id) {
                let note = format!("sent by an earlier run ({})", r.source.display());
                self.skip(send, Status::Skipped, note, message_id.clone());
                return Status::Skipped;
            }
            if r.unknown.contains(&send.id) && !e.resend_unknown {
                let note = if r.in_flight.contains(&send.id) {
                    "in flight when an earlier run stopped: it may have been delivered; not re-sent without --resend-unknown"
                } else {
                    "outcome unknown in an earlier run: it may have been delivered; not re-sent without --resend-unknown"
                };
                self.skip(send, Status::Unknown, note.to_string(), None);
                return Status::Unknown;
            }
        }
        if let Some(id) = blocked {
            let note = format!(
                "not attempted: an earlier event to this room ({id}) was not sent, and events to a room keep their order"
            );
            self.skip(send, Status::Planned, note, None);
            return Status::Planned;
        }
        if self.should_stop() {
            self.skip(
                send,
                Status::Planned,
                "not attempted: the run was stopped".into(),
                None,
            );
            return Status::Planned;
        }
        let done = self.attempts.spawn(send, limiter.clone()).await;
        if done.stopped {
            self.stopping.store(true, Ordering::SeqCst);
        }
        let send = done.send;
        match done.attempted {
            Attempted::NotStarted => {
                self.skip(
                    send,
                    Status::Planned,
                    "not attempted: the run was stopped".into(),
                    None,
                );
                Status::Planned
            }
            Attempted::JournalFailed(err) => {
                self.fail_journal(err);
                Status::Planned
            }
            Attempted::Ended(end) => {
                for _ in 0..end.outcome.throttles {
                    e.progress.throttled();
                }
                let status = end.outcome.status;
                e.progress.done(status);
                let message_id = end.outcome.message_id.clone();
                e.journal.write(&JournalRecord::End(*end));
                if let (Status::Sent, Some(id)) = (status, message_id) {
                    e.progress.sent(&send, &id);
                }
                status
            }
        }
    }
}
