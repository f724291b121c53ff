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

use super::api::{AttemptError, ChatApi, Delivered, SendRequest};
use super::limiter::{Limiters, RegionLimiter};
use super::retry::RetryPolicy;
use super::schedule::{self, LatePolicy};
use crate::journal::resume::ResumeState;
use crate::journal::{EndRecord, Journal, JournalRecord, SkipRecord, StartLine};
use crate::journal::{Outcome, Status};
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

/// What came of a send's attempts.
enum Attempted {
    /// Stopped before the first attempt: nothing was sent.
    NotStarted,
    /// The journal could not be written; nothing was sent.
    JournalFailed,
    /// The outcome.
    Ended(Box<EndRecord>),
}

struct Shared<'a> {
    engine: &'a Engine<'a>,
    limiters: Limiters,
    retry: RetryPolicy,
    timeout: Duration,
    run_start: Instant,
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
            retry: RetryPolicy::new(self.settings.max_attempts),
            timeout: Duration::from_millis(self.settings.timeout_ms),
            run_start: Instant::now(),
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
        limiter: &RegionLimiter,
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
        match self.attempts(&send, limiter).await {
            Attempted::NotStarted => {
                self.skip(
                    send,
                    Status::Planned,
                    "not attempted: the run was stopped".into(),
                    None,
                );
                Status::Planned
            }
            Attempted::JournalFailed => Status::Planned,
            Attempted::Ended(end) => {
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

    /// Attempts one send until it is sent, fails for good, or its outcome
    /// becomes unknown. The send's `start` record is made durable once the
    /// limiter lets the first attempt go, right before the request.
    async fn attempts(&self, send: &PlannedSend, limiter: &RegionLimiter) -> Attempted {
        let e = self.engine;
        let mut delays = self.retry.delays();
        let mut stop = e.stop.clone();
        // Set at the first attempt: waiting for the limiter is not latency.
        let mut first: Option<Instant> = None;
        let mut end = pending_end(send);
        // Shared with each attempt's task, not copied per attempt.
        let request = Arc::new(SendRequest {
            account: send.account.clone(),
            region: send.region.clone(),
            room_arn: send.room_arn.clone(),
            event_name: send.event_name.clone(),
            attributes: send.attributes.clone(),
        });
        loop {
            // Wait for the limiter, unless the run is stopped meanwhile.
            if until_stopped(limiter.acquire(), &mut stop).await {
                self.stopping.store(true, Ordering::SeqCst);
                if end.outcome.attempts == 0 {
                    return Attempted::NotStarted;
                }
                note_stopped(&mut end);
                break;
            }
            if end.outcome.attempts == 0 {
                // Write-ahead: the start is on disk before the request goes.
                let start = StartLine {
                    send,
                    at: Utc::now(),
                };
                if let Err(err) = e.journal.write_durable(&start).await {
                    self.fail_journal(err);
                    return Attempted::JournalFailed;
                }
            }
            // Requests the start record's fsync held back leave no closer
            // together than the limit allows.
            limiter.depart().await;
            first.get_or_insert_with(Instant::now);
            end.outcome.attempts += 1;
            end.attempt_offsets_ms.push(ms(self.run_start.elapsed()));
            let err = match self.attempt(&request).await {
                Ok(d) => {
                    end.outcome.status = Status::Sent;
                    end.outcome.message_id = Some(d.message_id);
                    end.outcome.request_id = d.request_id;
                    end.outcome.error_code = None;
                    end.outcome.error_message = None;
                    break;
                }
                Err(err) => err,
            };
            self.record_error(&mut end, &err, limiter);
            let delay = match next_step(&err, &mut delays) {
                Next::End(status) => {
                    end.outcome.status = status;
                    break;
                }
                Next::Retry(delay) => delay,
            };
            tracing::debug!(id = %send.id, attempt = end.outcome.attempts, code = err.code(), ?delay, "retrying");
            if until_stopped(tokio::time::sleep(delay), &mut stop).await {
                self.stopping.store(true, Ordering::SeqCst);
                end.outcome.status = Status::Failed;
                note_stopped(&mut end);
                break;
            }
        }
        end.latency_ms = first.map(|f| ms(f.elapsed()));
        end.at = Utc::now();
        Attempted::Ended(Box::new(end))
    }

    /// One request, bounded by the timeout. The request runs as its own
    /// task, so the SDK's work (signing, serializing, parsing) spreads over
    /// the runtime's threads instead of queueing behind the send loop.
    async fn attempt(&self, request: &Arc<SendRequest>) -> Result<Delivered, AttemptError> {
        let api = self.engine.api.clone();
        let req = Arc::clone(request);
        let mut call = tokio::spawn(async move { api.send_event(&req).await });
        match tokio::time::timeout(self.timeout, &mut call).await {
            Ok(Ok(result)) => result,
            Ok(Err(join)) => Err(AttemptError::Unknown {
                message: format!("the request task failed: {join}"),
            }),
            Err(_) => {
                call.abort();
                Err(AttemptError::Unknown {
                    message: format!(
                        "no answer within {} ms; the event may have been delivered",
                        self.timeout.as_millis()
                    ),
                })
            }
        }
    }

    /// Records a failed attempt's error in `end`; a throttle also slows the
    /// region's limiter and shows in the progress display.
    fn record_error(&self, end: &mut EndRecord, err: &AttemptError, limiter: &RegionLimiter) {
        if matches!(err, AttemptError::Throttled { .. }) {
            end.outcome.throttles += 1;
            limiter.on_throttle();
            self.engine.progress.throttled();
        }
        end.outcome.error_code = Some(err.code().to_string());
        end.outcome.error_message = Some(err.message().to_string());
        if let Some(id) = err.request_id() {
            end.outcome.request_id = Some(id.to_string());
        }
    }
}

/// What follows a failed attempt.
enum Next {
    /// Try again after this delay.
    Retry(Duration),
    /// Stop with this status.
    End(Status),
}

/// Decides what follows a failed attempt: an unknown outcome ends the send
/// (a retry could deliver it twice); a retryable error is retried while the
/// policy has delays left; anything else fails.
fn next_step(err: &AttemptError, delays: &mut impl Iterator<Item = Duration>) -> Next {
    if matches!(err, AttemptError::Unknown { .. }) {
        return Next::End(Status::Unknown);
    }
    if !err.is_retryable() {
        return Next::End(Status::Failed);
    }
    match delays.next() {
        Some(delay) => Next::Retry(delay),
        None => Next::End(Status::Failed),
    }
}

/// Waits for `fut`; returns true if the run was stopped first.
async fn until_stopped(fut: impl Future<Output = ()>, stop: &mut watch::Receiver<bool>) -> bool {
    tokio::select! {
        () = fut => false,
        _ = stop.wait_for(|s| *s) => true,
    }
}

/// Says, after the last error, that the run stopped before another attempt.
fn note_stopped(end: &mut EndRecord) {
    end.outcome.error_message = Some(format!(
        "{} (the run was stopped before another attempt)",
        end.outcome.error_message.take().unwrap_or_default()
    ));
}

/// A send's end record before its first attempt.
fn pending_end(send: &PlannedSend) -> EndRecord {
    EndRecord {
        id: send.id.clone(),
        account: send.account.clone(),
        region: send.region.clone(),
        outcome: Outcome::none(Status::Failed),
        latency_ms: None,
        attempt_offsets_ms: Vec::new(),
        at: Utc::now(),
    }
}

fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 1e6).round() / 1e3
}
