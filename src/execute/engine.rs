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
//!
//! A plan with a timeline goes step by step: the engine waits for each
//! step's time ([`super::schedule`]), then fans the step's sends out as
//! above. A step that starts later than its grace is not sent (each send is
//! journaled as `late`) unless [`LatePolicy::Send`]. A room whose send
//! failed gets none of its later steps' sends either, so its order holds.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use chrono::Utc;
use futures::StreamExt;
use tokio::sync::watch;

use super::api::ChatApi;
use super::attempt::{Attempted, Attempts};
use super::limiter::{Limiters, RegionLimiter};
use super::retry::RetryPolicy;
use super::schedule::{self, LatePolicy};
use crate::journal::resume::ResumeState;
use crate::journal::{Journal, JournalRecord, SkipRecord, Status};
use crate::plan::{EffectiveSettings, PlanRoom, PlannedSend, ScannedPlan, Step};

/// Receives each outcome as it happens (progress bars, log lines).
pub trait Progress: Send + Sync {
    /// A send ended (or was skipped).
    fn done(&self, status: Status);
    /// An attempt was throttled.
    fn throttled(&self) {}
    /// A send was sent and its `end` record written: the service answered
    /// with the event's id (`run --verify` then looks for its frame).
    fn sent(&self, _send: &PlannedSend, _message_id: &str) {}
    /// Waiting for a step of the timeline: `left` until it begins, about
    /// once a second.
    fn waiting(&self, _step: &Step, _left: Duration) {}
    /// A step of the timeline begins; `late` when it is past its grace
    /// (then `skipped` says whether its sends are skipped).
    fn step_begins(&self, _step: &Step, _late: Option<Duration>, _skipped: bool) {}
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
    /// What to do with a step of the timeline past its grace.
    pub late: LatePolicy,
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
    /// Rooms (by position in the plan) whose later sends wait for a later
    /// run, and the send that was not sent: kept across the steps of a
    /// timeline.
    blocked: std::sync::Mutex<std::collections::HashMap<usize, String>>,
}

/// The step a fan-out sends, and the note its sends get when it is too
/// late to send them.
#[derive(Clone, Copy)]
struct StepRun<'s> {
    step: Option<&'s Step>,
    late: Option<&'s str>,
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
            blocked: Default::default(),
        };
        let shared = &shared;
        match &planner.overview.timeline {
            None => {
                let all = StepRun {
                    step: None,
                    late: None,
                };
                shared.fan_out(planner, all).await;
            }
            Some(t) => {
                for step in &t.steps {
                    shared.step(planner, step).await;
                }
            }
        }
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
    /// One step of the timeline: waits for its time (unless stopped), then
    /// sends it, or skips it as late.
    async fn step(&self, planner: &ScannedPlan, step: &Step) {
        let e = self.engine;
        if let Some(at) = step.at
            && !self.should_stop()
        {
            let mut stop = e.stop.clone();
            let show = |left| e.progress.waiting(step, left);
            if schedule::wait_until(at.to_utc(), Utc::now, show, &mut stop).await {
                self.stopping.store(true, Ordering::SeqCst);
            }
        }
        // A stopped run's sends are not attempted, late or not.
        let late = schedule::too_late(step, Utc::now()).filter(|_| !self.should_stop());
        let skip = late.is_some() && e.late == LatePolicy::Skip;
        let note = late.filter(|_| skip).map(|by| {
            format!(
                "not sent: step {} was due at {} and could not start within its grace of {} (it was {} late); `run --late send` sends it anyway",
                step.label(),
                step.at.map(crate::plan::timeline::rfc3339).unwrap_or_default(),
                schedule::human(Duration::from_millis(step.grace_ms.unwrap_or(0))),
                schedule::human(by)
            )
        });
        if !self.should_stop() {
            e.progress.step_begins(step, late, skip);
        }
        let run = StepRun {
            step: Some(step),
            late: note.as_deref(),
        };
        self.fan_out(planner, run).await;
    }

    /// Sends the rooms' sends of one step (or of the whole plan) with up to
    /// `concurrency` rooms at once.
    async fn fan_out(&self, planner: &ScannedPlan, run: StepRun<'_>) {
        let concurrency = self.engine.settings.concurrency.max(1) as usize;
        let limit = self.engine.limit;
        let rooms =
            planner.rooms().iter().enumerate().filter(move |(_, r)| {
                limit.is_none_or(|l| l.contains(&planner.room_of(r).arn.arn))
            });
        futures::stream::iter(rooms)
            .map(|(i, room)| self.room(planner, (i, room), run))
            .buffer_unordered(concurrency)
            .for_each(|()| async {})
            .await;
    }

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

    /// Sends one room's events (of one step) in order. Once one of them
    /// fails or has an unknown outcome, the room's later events are not
    /// attempted: sending them would put them before it once it is sent
    /// again.
    async fn room(&self, planner: &ScannedPlan, (ri, room): (usize, &PlanRoom), run: StepRun<'_>) {
        let sends = match run.step {
            None => planner.room_sends(room),
            Some(step) => planner.room_step_sends(room, step.index),
        };
        let Some(first) = sends.first() else {
            return;
        };
        // One room, one account and region: one limiter for all its sends.
        let limiter = self.limiters.get(&first.account, &first.region);
        let mut blocked = self.blocked.lock().expect("blocked lock").get(&ri).cloned();
        let was_blocked = blocked.is_some();
        for send in sends {
            let id = send.id.clone();
            let status = self.one(send, &limiter, blocked.as_deref(), run.late).await;
            if blocked.is_none() && matches!(status, Status::Failed | Status::Unknown) {
                blocked = Some(id);
            }
        }
        if let (Some(id), false) = (blocked, was_blocked) {
            self.blocked.lock().expect("blocked lock").insert(ri, id);
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
        late: Option<&str>,
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
        if let Some(note) = late {
            self.skip(send, Status::Late, note.to_string(), None);
            // Counted by the progress: this run planned to send it.
            e.progress.done(Status::Late);
            return Status::Late;
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
