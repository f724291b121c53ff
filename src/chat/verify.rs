//! `run --verify`: sent events matched with the frames that arrive, by id
//! (the id `SendEvent` returns is the `Id` of the `EVENT` frame every
//! viewer of the room receives).
//!
//! Memory stays bounded by what is in flight, not by the plan: a sent event
//! is held only until its frame arrives (then its verify record is
//! written and it is forgotten), and frames that arrive before their
//! send's answer (the service may deliver before it answers) are held, at
//! most [`EARLY_MAX`] of them, until the answer comes.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use chrono::Utc;
use tokio::sync::{mpsc, watch};

use super::follow::{Note, State};
use crate::execute::Progress;
use crate::journal::{Journal, JournalRecord, Status, VerifyRecord};
use crate::plan::PlannedSend;
use crate::service::arn::RoomArn;

/// Frames held for sends not answered yet, at most; past that the oldest
/// is forgotten (a busy room's other events, not ours).
pub const EARLY_MAX: usize = 65_536;

/// Up to `n` rooms, spread over accounts and regions: one from each
/// account and region in turn, in plan order, until `n` are chosen.
pub fn sample(rooms: &[RoomArn], n: usize) -> Vec<RoomArn> {
    if n >= rooms.len() {
        return rooms.to_vec();
    }
    let mut groups: Vec<((&str, &str), VecDeque<&RoomArn>)> = Vec::new();
    for r in rooms {
        let key = (r.account.as_str(), r.region.as_str());
        match groups.iter_mut().find(|(k, _)| *k == key) {
            Some((_, g)) => g.push_back(r),
            None => groups.push((key, VecDeque::from([r]))),
        }
    }
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        for (_, g) in groups.iter_mut() {
            if out.len() == n {
                break;
            }
            if let Some(r) = g.pop_front() {
                out.push(r.clone());
            }
        }
    }
    out
}

/// A sent event waiting for its frame.
struct Expected {
    id: String,
    seq: usize,
    answered: Instant,
}

#[derive(Default)]
struct Inner {
    /// By event id.
    expected: HashMap<String, Expected>,
    /// Event ids that arrived with no send waiting for them, and when.
    early: HashMap<String, Instant>,
    early_order: VecDeque<String>,
}

/// Matches sends with frames.
pub struct Verifier {
    watched: HashSet<String>,
    inner: Mutex<Inner>,
}

fn record(
    id: String,
    seq: usize,
    message_id: String,
    seen: bool,
    latency: Option<Duration>,
) -> VerifyRecord {
    VerifyRecord {
        id,
        seq,
        message_id,
        seen,
        latency_ms: latency.map(|d| (d.as_secs_f64() * 1e6).round() / 1e3),
        at: Utc::now(),
    }
}

impl Verifier {
    /// A verifier for sends to `rooms` (the rooms watched).
    pub fn new(rooms: &[RoomArn]) -> Self {
        Verifier {
            watched: rooms.iter().map(|r| r.arn.clone()).collect(),
            inner: Mutex::new(Inner::default()),
        }
    }

    /// Whether sends to `room_arn` are verified.
    pub fn watches(&self, room_arn: &str) -> bool {
        self.watched.contains(room_arn)
    }

    /// `SendEvent` answered `message_id` for a send to a watched room. The
    /// record when its frame already came.
    pub fn sent(&self, send: &PlannedSend, message_id: &str) -> Option<VerifyRecord> {
        let mut inner = self.inner.lock().expect("verifier lock");
        if inner.early.remove(message_id).is_some() {
            return Some(record(
                send.id.clone(),
                send.seq,
                message_id.into(),
                true,
                Some(Duration::ZERO),
            ));
        }
        inner.expected.insert(
            message_id.to_string(),
            Expected {
                id: send.id.clone(),
                seq: send.seq,
                answered: Instant::now(),
            },
        );
        None
    }

    /// An `EVENT` frame with `message_id` arrived: the record of the send it
    /// belongs to, if one is waiting.
    pub fn arrived(&self, message_id: &str) -> Option<VerifyRecord> {
        let mut inner = self.inner.lock().expect("verifier lock");
        if let Some(e) = inner.expected.remove(message_id) {
            return Some(record(
                e.id,
                e.seq,
                message_id.into(),
                true,
                Some(e.answered.elapsed()),
            ));
        }
        if inner
            .early
            .insert(message_id.to_string(), Instant::now())
            .is_none()
        {
            inner.early_order.push_back(message_id.to_string());
            while inner.early_order.len() > EARLY_MAX {
                if let Some(old) = inner.early_order.pop_front() {
                    inner.early.remove(&old);
                }
            }
        }
        None
    }

    /// Sends still waiting for their frame.
    pub fn pending(&self) -> usize {
        self.inner.lock().expect("verifier lock").expected.len()
    }

    /// The deadline passed: every send still waiting was not seen.
    pub fn expire(&self) -> Vec<VerifyRecord> {
        let mut inner = self.inner.lock().expect("verifier lock");
        inner.early.clear();
        inner.early_order.clear();
        let mut out: Vec<VerifyRecord> = inner
            .expected
            .drain()
            .map(|(mid, e)| record(e.id, e.seq, mid, false, None))
            .collect();
        out.sort_by_key(|r| r.seq);
        out
    }
}

/// The engine's progress, plus: each send to a watched room is expected.
pub struct VerifyProgress<'a> {
    /// The progress display underneath.
    pub inner: &'a dyn Progress,
    /// The matcher.
    pub verifier: &'a Verifier,
    /// Where verify records go.
    pub journal: &'a Journal,
}

impl Progress for VerifyProgress<'_> {
    fn done(&self, status: Status) {
        self.inner.done(status);
    }

    fn throttled(&self) {
        self.inner.throttled();
    }

    fn sent(&self, send: &PlannedSend, message_id: &str) {
        self.inner.sent(send, message_id);
        if self.verifier.watches(&send.room_arn)
            && let Some(rec) = self.verifier.sent(send, message_id)
        {
            self.journal.write(&JournalRecord::Verify(rec));
        }
    }

    fn waiting(&self, step: &crate::plan::Step, left: std::time::Duration) {
        self.inner.waiting(step, left);
    }

    fn step_begins(
        &self,
        step: &crate::plan::Step,
        late: Option<std::time::Duration>,
        skipped: bool,
    ) {
        self.inner.step_begins(step, late, skipped);
    }
}

/// Rooms whose connections ended before the deadline, and why (their sends
/// from then on cannot be seen).
pub type Lost = Vec<(String, String)>;

/// Reads the notes of the watched rooms, writing a verify record as each
/// expected frame arrives, until sending is done (`done` turns true) and
/// either every send was seen or `timeout` passed; then every send still
/// waiting is recorded as not seen. Returns the rooms lost on the way.
pub async fn collect(
    verifier: &Verifier,
    notes: &mut mpsc::Receiver<Note>,
    journal: &Journal,
    mut done: watch::Receiver<bool>,
    timeout: Duration,
) -> Lost {
    let mut lost = Lost::new();
    let mut open = true;
    let mut deadline: Option<tokio::time::Instant> = None;
    loop {
        if deadline.is_some() && verifier.pending() == 0 {
            break;
        }
        tokio::select! {
            note = notes.recv(), if open => match note {
                Some(Note::Frame { frame, .. }) => {
                    if frame.is_event()
                        && let Some(id) = frame.id()
                        && let Some(rec) = verifier.arrived(id)
                    {
                        journal.write(&JournalRecord::Verify(rec));
                    }
                }
                Some(Note::State { room, state: State::Ended { why, .. } }) => {
                    tracing::warn!(%room, "stopped watching: {why}");
                    lost.push((room.to_string(), why));
                }
                Some(Note::State { room, state: State::Reconnecting { why, .. } }) => {
                    tracing::info!(%room, "reconnecting: {why}");
                }
                Some(Note::State { .. }) => {}
                None => open = false,
            },
            changed = done.changed(), if deadline.is_none() => {
                if changed.is_err() || *done.borrow() {
                    deadline = Some(tokio::time::Instant::now() + timeout);
                }
            }
            () = sleep_until(deadline), if deadline.is_some() => break,
        }
    }
    for rec in verifier.expire() {
        journal.write(&JournalRecord::Verify(rec));
    }
    lost
}

async fn sleep_until(at: Option<tokio::time::Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// How subscribing went: rooms connected, and those that could not be.
#[derive(Debug, Default)]
pub struct Subscribed {
    /// Rooms connected.
    pub connected: usize,
    /// Rooms that could not be watched, and why.
    pub failed: Lost,
}

/// Waits until each of `rooms` watched rooms is connected or given up, or
/// `timeout` passes (the rest count as failed). Frames before any send are
/// not ours and are dropped.
pub async fn subscribed(
    notes: &mut mpsc::Receiver<Note>,
    rooms: usize,
    timeout: Duration,
) -> Subscribed {
    let mut out = Subscribed::default();
    let mut settled: HashSet<std::sync::Arc<str>> = HashSet::new();
    let deadline = tokio::time::Instant::now() + timeout;
    while settled.len() < rooms {
        let note = match tokio::time::timeout_at(deadline, notes.recv()).await {
            Ok(Some(n)) => n,
            Ok(None) | Err(_) => break,
        };
        if let Note::State { room, state } = note {
            match state {
                State::Connected => {
                    if settled.insert(room) {
                        out.connected += 1;
                    }
                }
                State::Ended { why, .. } => {
                    if settled.insert(room.clone()) {
                        out.failed.push((room.to_string(), why));
                    }
                }
                State::Reconnecting { .. } => {}
            }
        }
    }
    if settled.len() < rooms {
        out.failed.push((
            format!("{} rooms", rooms - settled.len()),
            format!("not connected within {} s", timeout.as_secs()),
        ));
    }
    out
}
