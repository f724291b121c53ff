//! One send's attempts, run as a task of its own: the limiter's slot, the
//! write-ahead `start` record, the departure gate, the request, and the
//! retries, until the send is sent, fails for good, or its outcome becomes
//! unknown.
//!
//! The task owns what it needs, so it runs on any of the runtime's threads:
//! a paced send sleeps on the timer of the thread that runs it, and its
//! request, fsync and answer wake that thread alone, instead of handing
//! each step back to the send loop. The loop only waits for the outcome.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use futures::FutureExt;
use tokio::sync::watch;

use super::api::{AttemptError, ChatApi, Delivered, SendRequest};
use super::limiter::RegionLimiter;
use super::retry::RetryPolicy;
use crate::journal::{Appender, EndRecord, Outcome, StartLine, Status};
use crate::plan::PlannedSend;

/// What a send's attempts need, owned.
#[derive(Clone)]
pub(super) struct Attempts {
    pub(super) api: Arc<dyn ChatApi>,
    pub(super) journal: Appender,
    pub(super) stop: watch::Receiver<bool>,
    pub(super) retry: RetryPolicy,
    pub(super) timeout: Duration,
    /// Attempt times are offsets from here.
    pub(super) run_start: Instant,
}

/// What came of a send's attempts.
pub(super) enum Attempted {
    /// Stopped before the first attempt: nothing was sent.
    NotStarted,
    /// The journal could not be written; nothing was sent.
    JournalFailed(std::io::Error),
    /// The outcome.
    Ended(Box<EndRecord>),
}

/// What the task hands back: the send, what came of it, and whether the
/// run's stop was seen.
pub(super) struct Done {
    pub(super) send: PlannedSend,
    pub(super) attempted: Attempted,
    pub(super) stopped: bool,
}

/// The running task; dropping it (the send loop dropped) cancels it.
struct Task(tokio::task::JoinHandle<Done>);

impl Drop for Task {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl Attempts {
    /// Attempts `send` on a task of its own and waits for it.
    pub(super) async fn spawn(&self, send: PlannedSend, limiter: Arc<RegionLimiter>) -> Done {
        let me = self.clone();
        let mut task = Task(tokio::spawn(async move { me.run(send, &limiter).await }));
        match (&mut task.0).await {
            Ok(done) => done,
            // Only a bug of this module panics here (the request's own
            // panics are caught): carry it on in the loop.
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            Err(e) => unreachable!("the attempt task is never cancelled while awaited: {e}"),
        }
    }

    /// The attempts. The send's `start` record is made durable once the
    /// limiter lets the first attempt go, right before the request.
    async fn run(mut self, send: PlannedSend, limiter: &RegionLimiter) -> Done {
        let mut delays = self.retry.delays();
        // Set at the first attempt: waiting for the limiter is not latency.
        let mut first: Option<Instant> = None;
        let mut end = pending_end(&send);
        let request = SendRequest {
            account: send.account.clone(),
            region: send.region.clone(),
            room_arn: send.room_arn.clone(),
            event_name: send.event_name.clone(),
            attributes: send.attributes.clone(),
        };
        let done = |send, attempted, stopped| Done {
            send,
            attempted,
            stopped,
        };
        let mut stopped = false;
        loop {
            // Wait for the limiter, unless the run is stopped meanwhile.
            if until_stopped(limiter.acquire(), &mut self.stop).await {
                stopped = true;
                if end.outcome.attempts == 0 {
                    return done(send, Attempted::NotStarted, true);
                }
                note_stopped(&mut end);
                break;
            }
            if end.outcome.attempts == 0 {
                // Write-ahead: the start is on disk before the request goes.
                let start = StartLine {
                    send: &send,
                    at: Utc::now(),
                };
                if let Err(err) = self.journal.write_durable(&start).await {
                    return done(send, Attempted::JournalFailed(err), stopped);
                }
            }
            // Requests the start record's fsync held back leave no closer
            // together than the limit allows.
            let left = limiter.depart().await;
            first.get_or_insert(left);
            end.outcome.attempts += 1;
            end.attempt_offsets_ms
                .push(ms(left.duration_since(self.run_start)));
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
            record_error(&mut end, &err, limiter);
            let delay = match next_step(&err, &mut delays) {
                Next::End(status) => {
                    end.outcome.status = status;
                    break;
                }
                Next::Retry(delay) => delay,
            };
            tracing::debug!(id = %send.id, attempt = end.outcome.attempts, code = err.code(), ?delay, "retrying");
            if until_stopped(tokio::time::sleep(delay), &mut self.stop).await {
                stopped = true;
                end.outcome.status = Status::Failed;
                note_stopped(&mut end);
                break;
            }
        }
        end.latency_ms = first.map(|f| ms(f.elapsed()));
        end.at = Utc::now();
        done(send, Attempted::Ended(Box::new(end)), stopped)
    }

    /// One request, bounded by the timeout. A panic in the request (the
    /// SDK's code) is caught and ends the send as unknown, like any
    /// failure after which the event may have gone out.
    async fn attempt(&self, request: &SendRequest) -> Result<Delivered, AttemptError> {
        let call = AssertUnwindSafe(self.api.send_event(request)).catch_unwind();
        match tokio::time::timeout(self.timeout, call).await {
            Ok(Ok(result)) => result,
            Ok(Err(panic)) => Err(AttemptError::Unknown {
                message: format!("the request failed: {}", panic_message(&*panic)),
            }),
            Err(_) => Err(AttemptError::Unknown {
                message: format!(
                    "no answer within {} ms; the event may have been delivered",
                    self.timeout.as_millis()
                ),
            }),
        }
    }
}

/// What a panic said.
fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    match (panic.downcast_ref::<&str>(), panic.downcast_ref::<String>()) {
        (Some(s), _) => format!("panicked: {s}"),
        (_, Some(s)) => format!("panicked: {s}"),
        _ => "panicked".to_string(),
    }
}

/// Records a failed attempt's error in `end`; a throttle also slows the
/// region's limiter (the progress display counts it from the outcome).
fn record_error(end: &mut EndRecord, err: &AttemptError, limiter: &RegionLimiter) {
    if matches!(err, AttemptError::Throttled { .. }) {
        end.outcome.throttles += 1;
        limiter.on_throttle();
    }
    end.outcome.error_code = Some(err.code().to_string());
    end.outcome.error_message = Some(err.message().to_string());
    if let Some(id) = err.request_id() {
        end.outcome.request_id = Some(id.to_string());
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
