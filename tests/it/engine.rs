//! The send engine alone: [`Engine::run`] over a plan made from playbooks in
//! a tempdir, through a scripted [`ChatApi`] that records every request and
//! answers as its script says. No network, no emulator.
//!
//! The scripted API also looks at the journal at each request: a send's
//! `start` record must be there before its request arrives (write-ahead).

use std::collections::{HashMap, HashSet};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::future::BoxFuture;
use indexmap::IndexMap;
use ivschat_playbook::execute::engine::JournalFailed;
use ivschat_playbook::execute::progress::ProgressReporter;
use ivschat_playbook::execute::{
    AttemptError, ChatApi, Delivered, Engine, LoopEnd, Progress, SendRequest,
};
use ivschat_playbook::journal::{self, Journal, JournalRecord, Status};
use ivschat_playbook::pipeline;
use ivschat_playbook::plan::{EffectiveSettings, PlannedSend, ScannedPlan, SettingsOverrides};
use tokio::sync::watch;

/// A room and an event name: what identifies a send in these plans (every
/// event of a playbook has its own name).
type Key = (String, String);

fn key(room_arn: &str, event: &str) -> Key {
    (room_arn.to_string(), event.to_string())
}

/// One request as the scripted API saw it.
#[derive(Debug, Clone)]
struct Request {
    room_arn: String,
    event_name: String,
    /// The send's `start` record was in the journal when the request came.
    start_recorded: bool,
    /// The stop channel was already true when the request came.
    after_stop: bool,
}

/// Where the scripted API looks for `start` records.
enum Witness {
    /// Not checked.
    None,
    /// A journal file, read back at each request.
    File(PathBuf),
    /// The read end of a FIFO the journal writes into: drained at each
    /// request, and closed (so the journal's writes fail) at request
    /// `close_after`.
    Pipe(Mutex<Pipe>),
}

struct Pipe {
    reader: Option<std::fs::File>,
    captured: Vec<u8>,
    close_after: usize,
}

/// What the scripted API does.
#[derive(Default)]
struct Script {
    /// Rooms whose every request takes this long to answer.
    slow: HashMap<String, Duration>,
    /// Sends refused for good (a validation error).
    reject: HashSet<Key>,
    /// Sends whose first attempt gets a 5xx (retryable), later ones succeed.
    server_error_once: HashSet<Key>,
    /// The stop channel, turned true when this many requests have come.
    stop_after: Option<(usize, watch::Sender<bool>)>,
}

struct ScriptedApi {
    script: Script,
    witness: Witness,
    log: Mutex<Vec<Request>>,
    /// The sends whose `start` was in the journal when the stop was sent.
    started_at_stop: Mutex<Option<HashSet<Key>>>,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
}

impl ScriptedApi {
    fn new(script: Script, witness: Witness) -> Arc<ScriptedApi> {
        Arc::new(ScriptedApi {
            script,
            witness,
            log: Mutex::new(Vec::new()),
            started_at_stop: Mutex::new(None),
            in_flight: AtomicUsize::new(0),
            max_in_flight: AtomicUsize::new(0),
        })
    }

    fn requests(&self) -> Vec<Request> {
        self.log.lock().unwrap().clone()
    }

    /// Whether the journal has a `start` for this room and event, and (for a
    /// pipe) closes the reader when the time has come. `n` counts requests,
    /// this one included.
    fn check_start(&self, req: &SendRequest, n: usize) -> bool {
        let has_start = |records: &[JournalRecord]| {
            records.iter().any(|r| {
                matches!(r, JournalRecord::Start(s)
                    if s.send.room_arn == req.room_arn && s.send.event_name == req.event_name)
            })
        };
        match &self.witness {
            Witness::None => true,
            Witness::File(path) => has_start(&journal::read(path).unwrap()),
            Witness::Pipe(pipe) => {
                let mut p = pipe.lock().unwrap();
                let p = &mut *p;
                if let Some(reader) = p.reader.as_mut() {
                    let mut buf = [0u8; 4096];
                    loop {
                        match reader.read(&mut buf) {
                            Ok(0) => break,
                            Ok(k) => p.captured.extend_from_slice(&buf[..k]),
                            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                            Err(e) => panic!("reading the journal pipe: {e}"),
                        }
                    }
                    if n >= p.close_after {
                        // From here on, every journal write fails (EPIPE).
                        p.reader = None;
                    }
                }
                has_start(&captured_records(&p.captured))
            }
        }
    }
}

impl ScriptedApi {
    /// The sends with a `start` record in the journal file now.
    fn started(&self) -> HashSet<Key> {
        let Witness::File(path) = &self.witness else {
            panic!("needs a journal file")
        };
        records(journal::read(path).unwrap())
            .starts
            .iter()
            .map(|s| key(&s.room_arn, &s.event_name))
            .collect()
    }
}

/// The complete lines of a captured journal, as records.
fn captured_records(bytes: &[u8]) -> Vec<JournalRecord> {
    let text = std::str::from_utf8(bytes).unwrap();
    let complete = &text[..text.rfind('\n').map_or(0, |i| i + 1)];
    complete
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// Counts requests being answered.
struct InFlight<'a>(&'a AtomicUsize);

impl<'a> InFlight<'a> {
    fn enter(count: &'a AtomicUsize, max: &AtomicUsize) -> Self {
        let now = count.fetch_add(1, Ordering::SeqCst) + 1;
        max.fetch_max(now, Ordering::SeqCst);
        InFlight(count)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl ChatApi for ScriptedApi {
    fn send_event<'a>(
        &'a self,
        request: &'a SendRequest,
    ) -> BoxFuture<'a, Result<Delivered, AttemptError>> {
        Box::pin(async move {
            let _guard = InFlight::enter(&self.in_flight, &self.max_in_flight);
            let k = key(&request.room_arn, &request.event_name);
            let (n, attempt) = {
                // One lock for the log, the check and the stop: a request
                // is either before the stop or after it.
                let mut log = self.log.lock().unwrap();
                let n = log.len() + 1;
                let attempt = log
                    .iter()
                    .filter(|r| key(&r.room_arn, &r.event_name) == k)
                    .count()
                    + 1;
                let start_recorded = self.check_start(request, n);
                let after_stop = self
                    .script
                    .stop_after
                    .as_ref()
                    .is_some_and(|(_, tx)| *tx.borrow());
                log.push(Request {
                    room_arn: request.room_arn.clone(),
                    event_name: request.event_name.clone(),
                    start_recorded,
                    after_stop,
                });
                if let Some((after, tx)) = &self.script.stop_after
                    && n == *after
                {
                    *self.started_at_stop.lock().unwrap() = Some(self.started());
                    tx.send(true).unwrap();
                }
                (n, attempt)
            };
            if let Some(d) = self.script.slow.get(&request.room_arn) {
                tokio::time::sleep(*d).await;
            }
            if self.script.reject.contains(&k) {
                return Err(AttemptError::Rejected {
                    code: "ValidationException".into(),
                    message: "scripted refusal".into(),
                    request_id: Some(format!("req-{n}")),
                });
            }
            if attempt == 1 && self.script.server_error_once.contains(&k) {
                return Err(AttemptError::Server {
                    code: "InternalServerException".into(),
                    message: "scripted 500".into(),
                    request_id: Some(format!("req-{n}")),
                });
            }
            Ok(Delivered {
                message_id: format!("msg-{n}"),
                request_id: Some(format!("req-{n}")),
            })
        })
    }
}

/// Progress lines, kept for the test to read.
#[derive(Clone, Default)]
struct Lines(Arc<Mutex<Vec<u8>>>);

impl Write for Lines {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Lines {
    fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

/// A reporter that writes one line, when every send is accounted for.
fn reporter(total: usize) -> (ProgressReporter, Lines) {
    let lines = Lines::default();
    let p = ProgressReporter::new(
        total,
        false,
        Some(Box::new(lines.clone())),
        Duration::from_secs(3600),
    );
    (p, lines)
}

/// Room `i` of a playbook: account and region vary, so rooms do not all
/// share one limiter.
fn room_arn(i: usize) -> String {
    let region = ["us-west-2", "eu-west-1"][i % 2];
    let account = 100000000000u64 + (i / 2) as u64;
    format!("arn:aws:ivschat:{region}:{account}:room/r{i:05}")
}

/// Room `i` in one shared account and region: one limiter for all rooms.
fn shared_room_arn(i: usize) -> String {
    format!("arn:aws:ivschat:us-west-2:123456789012:room/s{i:05}")
}

/// A playbook of `rooms` rooms and `events` events `E0`, `E1`, ..., every
/// send with distinct content; planned into a scanned plan and its sends.
fn plan(dir: &Path, rooms: usize, events: usize) -> (ScannedPlan, Vec<PlannedSend>) {
    plan_with(dir, (0..rooms).map(room_arn).collect(), events)
}

fn plan_with(dir: &Path, arns: Vec<String>, events: usize) -> (ScannedPlan, Vec<PlannedSend>) {
    let rooms = arns.len();
    let mut s = String::from("version: 1\nname: engine-test\nrooms:\n");
    for (i, arn) in arns.iter().enumerate() {
        s.push_str(&format!("  - {{ arn: \"{arn}\", name: room{i} }}\n"));
    }
    s.push_str("events:\n");
    for j in 0..events {
        s.push_str(&format!(
            "  - name: E{j}\n    attributes:\n      msgText: \"{{{{ event.name }}}} to {{{{ room.name }}}}\"\n"
        ));
    }
    let path = dir.join("playbook.yaml");
    std::fs::write(&path, s).unwrap();
    let mut sends = Vec::new();
    let scanned = pipeline::scan_files(
        &[path],
        None,
        &IndexMap::new(),
        &SettingsOverrides::default(),
        |send| sends.push(send.to_send()),
    );
    assert!(
        !scanned.has_errors(),
        "the test playbook is invalid: {:?}",
        scanned.diagnostics
    );
    assert_eq!(sends.len(), rooms * events);
    (scanned.plan, sends)
}

/// Settings that keep the limiter out of the way.
fn settings(concurrency: u32, max_attempts: u32) -> EffectiveSettings {
    EffectiveSettings {
        rate: 10_000.0,
        burst: 1_000,
        concurrency,
        max_attempts,
        timeout_ms: 10_000,
    }
}

async fn run_engine(
    api: &Arc<ScriptedApi>,
    settings: EffectiveSettings,
    journal: &Journal,
    stop: watch::Receiver<bool>,
    progress: &dyn Progress,
    plan: &ScannedPlan,
) -> Result<LoopEnd, JournalFailed> {
    let engine = Engine {
        api: api.clone(),
        settings,
        resume: None,
        resend_unknown: false,
        journal,
        stop,
        progress,
        limit: None,
        late: Default::default(),
    };
    tokio::time::timeout(Duration::from_secs(20), engine.run(plan))
        .await
        .expect("the engine finishes")
}

/// Each room's events in the order they were requested.
fn per_room(requests: &[Request]) -> HashMap<String, Vec<String>> {
    let mut m: HashMap<String, Vec<String>> = HashMap::new();
    for r in requests {
        m.entry(r.room_arn.clone())
            .or_default()
            .push(r.event_name.clone());
    }
    m
}

/// Event names `E0` .. `E{n-1}`.
fn events(n: usize) -> Vec<String> {
    (0..n).map(|j| format!("E{j}")).collect()
}

/// The journal's records by kind: start ids, end records and skip records,
/// each in journal order.
struct Records {
    starts: Vec<PlannedSend>,
    ends: Vec<journal::EndRecord>,
    skips: Vec<journal::SkipRecord>,
}

fn records(all: Vec<JournalRecord>) -> Records {
    let mut r = Records {
        starts: Vec::new(),
        ends: Vec::new(),
        skips: Vec::new(),
    };
    for rec in all {
        match rec {
            JournalRecord::Start(s) => r.starts.push(s.send),
            JournalRecord::End(e) => r.ends.push(e),
            JournalRecord::Skip(s) => r.skips.push(s),
            other => panic!("the engine wrote an unexpected record: {other:?}"),
        }
    }
    r
}

/// Counts of each id; panics on an id not in the plan.
fn id_counts<'a>(
    ids: impl Iterator<Item = &'a str>,
    planned: &HashSet<&str>,
) -> HashMap<String, usize> {
    let mut m = HashMap::new();
    for id in ids {
        assert!(planned.contains(id), "id {id} is not in the plan");
        *m.entry(id.to_string()).or_insert(0) += 1;
    }
    m
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn rooms_run_in_parallel_and_each_room_keeps_its_order() {
    let dir = tempfile::tempdir().unwrap();
    let (rooms, n_events, concurrency) = (5, 6, 3);
    let (plan, sends) = plan(dir.path(), rooms, n_events);
    let path = dir.path().join("j.jsonl");
    let journal = Journal::open(&path, true).unwrap();
    // Room 0 answers slowly, so the other rooms get ahead of it.
    let script = Script {
        slow: HashMap::from([(room_arn(0), Duration::from_millis(15))]),
        ..Default::default()
    };
    let api = ScriptedApi::new(script, Witness::File(path.clone()));
    let (_stop_tx, stop) = watch::channel(false);
    let (progress, lines) = reporter(sends.len());

    let end = run_engine(
        &api,
        settings(concurrency, 3),
        &journal,
        stop,
        &progress,
        &plan,
    )
    .await
    .expect("no journal failure");
    progress.finish();
    assert!(!end.interrupted);
    journal.close().unwrap();

    // Every planned send requested exactly once, each after its start record.
    let requests = api.requests();
    let mut seen: HashMap<Key, usize> = HashMap::new();
    for r in &requests {
        assert!(r.start_recorded, "requested before its start record: {r:?}");
        *seen.entry(key(&r.room_arn, &r.event_name)).or_insert(0) += 1;
    }
    let planned: HashMap<Key, usize> = sends
        .iter()
        .map(|s| (key(&s.room_arn, &s.event_name), 1))
        .collect();
    assert_eq!(seen, planned, "each planned send requested exactly once");

    // Each room's events in playbook order.
    let order = per_room(&requests);
    assert_eq!(order.len(), rooms);
    for (room, got) in &order {
        assert_eq!(got, &events(n_events), "order of the events to {room}");
    }

    // Rooms really ran side by side, and never more than `concurrency`.
    let max = api.max_in_flight.load(Ordering::SeqCst);
    assert!(
        (2..=concurrency as usize).contains(&max),
        "at most {max} requests in flight at once (concurrency {concurrency})"
    );

    // One start and one end per send, same ids, all sent with the id the
    // service gave; and the journal keeps each room's order too.
    let r = records(journal::read(&path).unwrap());
    assert!(r.skips.is_empty(), "{:?}", r.skips);
    let planned_ids: HashSet<&str> = sends.iter().map(|s| s.id.as_str()).collect();
    let all_once: HashMap<String, usize> =
        planned_ids.iter().map(|id| (id.to_string(), 1)).collect();
    assert_eq!(
        id_counts(r.starts.iter().map(|s| s.id.as_str()), &planned_ids),
        all_once
    );
    assert_eq!(
        id_counts(r.ends.iter().map(|e| e.id.as_str()), &planned_ids),
        all_once
    );
    for e in &r.ends {
        assert_eq!(e.outcome.status, Status::Sent, "{e:?}");
        assert_eq!(e.outcome.attempts, 1, "{e:?}");
        assert!(
            e.outcome
                .message_id
                .as_deref()
                .is_some_and(|m| m.starts_with("msg-")),
            "{e:?}"
        );
    }
    let mut journal_order: HashMap<&str, Vec<&str>> = HashMap::new();
    for s in &r.starts {
        journal_order
            .entry(&s.room_arn)
            .or_default()
            .push(&s.event_name);
    }
    for (room, got) in journal_order {
        assert_eq!(got, events(n_events), "journal order of {room}");
    }

    let total = sends.len();
    assert!(
        lines.text().contains(&format!(
            "progress: {total}/{total} (100.0%), sent {total}, failed 0, unknown 0"
        )),
        "{}",
        lines.text()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_stop_starts_no_new_send_and_every_request_has_an_end() {
    let dir = tempfile::tempdir().unwrap();
    let (rooms, n_events, concurrency, stop_at) = (4, 6, 3, 7);
    let (plan, sends) = plan(dir.path(), rooms, n_events);
    let path = dir.path().join("j.jsonl");
    let journal = Journal::open(&path, false).unwrap();
    let (stop_tx, stop) = watch::channel(false);
    let script = Script {
        stop_after: Some((stop_at, stop_tx)),
        ..Default::default()
    };
    let api = ScriptedApi::new(script, Witness::File(path.clone()));
    let (progress, lines) = reporter(sends.len());

    let end = run_engine(
        &api,
        settings(concurrency, 3),
        &journal,
        stop,
        &progress,
        &plan,
    )
    .await
    .expect("no journal failure");
    progress.finish();
    assert!(end.interrupted, "the run reports it was interrupted");
    journal.close().unwrap();

    let requests = api.requests();
    assert!(requests.iter().all(|r| r.start_recorded), "{requests:?}");
    // Only sends already under way when the stop came may still go: one
    // per room at most, in the rooms other than the one that saw it.
    let after: Vec<&Request> = requests.iter().filter(|r| r.after_stop).collect();
    assert_eq!(
        requests.len() - after.len(),
        stop_at,
        "requests before the stop"
    );
    assert!(
        after.len() < concurrency as usize,
        "{} requests after the stop, with concurrency {concurrency}: {after:?}",
        after.len()
    );
    let after_rooms: HashSet<&str> = after.iter().map(|r| r.room_arn.as_str()).collect();
    assert_eq!(
        after_rooms.len(),
        after.len(),
        "two sends to a room after the stop"
    );
    let stopper = &requests[stop_at - 1].room_arn;
    assert!(
        !after_rooms.contains(stopper.as_str()),
        "the room that saw the stop sent again"
    );
    assert!(requests.len() < sends.len());

    // What was requested is a prefix of each room's events.
    let order = per_room(&requests);
    for (room, got) in &order {
        assert_eq!(got, &events(got.len()), "order of the events to {room}");
    }

    // The journal accounts for every send once: requested sends have one
    // start and one end (in flight ones finished), the rest one skip.
    let r = records(journal::read(&path).unwrap());
    let requested: HashSet<Key> = requests
        .iter()
        .map(|r| key(&r.room_arn, &r.event_name))
        .collect();
    assert_eq!(requested.len(), requests.len(), "a send requested twice");
    let by_id: HashMap<&str, &PlannedSend> = sends.iter().map(|s| (s.id.as_str(), s)).collect();
    let planned_ids: HashSet<&str> = by_id.keys().copied().collect();
    let starts = id_counts(r.starts.iter().map(|s| s.id.as_str()), &planned_ids);
    let ends = id_counts(r.ends.iter().map(|e| e.id.as_str()), &planned_ids);
    let skips = id_counts(r.skips.iter().map(|s| s.send.id.as_str()), &planned_ids);
    assert_eq!(starts, ends, "every start has its end");
    for s in &sends {
        let k = key(&s.room_arn, &s.event_name);
        let (st, en, sk) = (
            starts.get(&s.id).copied().unwrap_or(0),
            ends.get(&s.id).copied().unwrap_or(0),
            skips.get(&s.id).copied().unwrap_or(0),
        );
        if requested.contains(&k) {
            assert_eq!((st, en, sk), (1, 1, 0), "requested send {k:?}");
        } else {
            assert_eq!((st, en, sk), (0, 0, 1), "send not requested {k:?}");
        }
    }
    for e in &r.ends {
        assert_eq!(e.outcome.status, Status::Sent, "{e:?}");
    }
    for s in &r.skips {
        assert_eq!(s.status, Status::Planned, "{s:?}");
        assert_eq!(s.note, "not attempted: the run was stopped");
    }

    // Progress counts what this run attempted, not the sends it did not
    // reach: a stopped run does not read 100%.
    let (total, sent) = (sends.len(), requests.len());
    let pct = 100.0 * sent as f64 / total as f64;
    assert!(
        lines.text().contains(&format!(
            "progress: {sent}/{total} ({pct:.1}%), sent {sent}, failed 0, unknown 0"
        )),
        "{}",
        lines.text()
    );
    assert!(
        !lines.text().contains(&format!("{total}/{total}")),
        "{}",
        lines.text()
    );
}

/// The strict rule, where it can be observed without a race: one
/// single-threaded runtime and one slow limiter shared by every room, so
/// when the stop comes the other rooms are waiting for their slot. No send
/// whose `start` was not yet written when the stop came may be requested;
/// those waiting are journaled `planned`.
#[tokio::test]
async fn a_stop_ends_the_wait_for_the_limiter() {
    let dir = tempfile::tempdir().unwrap();
    let (rooms, n_events, concurrency, stop_at) = (3, 4, 3, 2);
    let (plan, sends) = plan_with(
        dir.path(),
        (0..rooms).map(shared_room_arn).collect(),
        n_events,
    );
    let path = dir.path().join("j.jsonl");
    let journal = Journal::open(&path, false).unwrap();
    let (stop_tx, stop) = watch::channel(false);
    let script = Script {
        stop_after: Some((stop_at, stop_tx)),
        ..Default::default()
    };
    let api = ScriptedApi::new(script, Witness::File(path.clone()));
    let (progress, lines) = reporter(sends.len());
    // 20 a second, no burst: 50 ms between slots, far more than a request.
    let slow = EffectiveSettings {
        rate: 20.0,
        burst: 1,
        ..settings(concurrency, 3)
    };

    let end = run_engine(&api, slow, &journal, stop, &progress, &plan)
        .await
        .expect("no journal failure");
    progress.finish();
    assert!(end.interrupted);
    journal.close().unwrap();

    let requests = api.requests();
    let started = api
        .started_at_stop
        .lock()
        .unwrap()
        .clone()
        .expect("stopped");
    for r in requests.iter().filter(|r| r.after_stop) {
        let k = key(&r.room_arn, &r.event_name);
        assert!(
            started.contains(&k),
            "{k:?} started after the stop was sent"
        );
    }
    let r = records(journal::read(&path).unwrap());
    assert_eq!(r.starts.len(), requests.len());
    assert_eq!(r.ends.len(), requests.len());
    assert_eq!(r.skips.len(), sends.len() - requests.len());
    assert!(r.skips.len() > sends.len() - stop_at - concurrency as usize);
    for s in &r.skips {
        assert_eq!(s.status, Status::Planned, "{s:?}");
        assert_eq!(s.note, "not attempted: the run was stopped");
    }
    let (total, done) = (sends.len(), requests.len());
    let pct = 100.0 * done as f64 / total as f64;
    assert!(
        lines
            .text()
            .contains(&format!("progress: {done}/{total} ({pct:.1}%)")),
        "{}",
        lines.text()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_refused_send_holds_back_its_room_and_only_its_room() {
    let dir = tempfile::tempdir().unwrap();
    let (rooms, n_events) = (4, 5);
    let (plan, sends) = plan(dir.path(), rooms, n_events);
    let path = dir.path().join("j.jsonl");
    let journal = Journal::open(&path, false).unwrap();
    let (refused_room, retried_room) = (room_arn(1), room_arn(2));
    let script = Script {
        reject: HashSet::from([key(&refused_room, "E2")]),
        server_error_once: HashSet::from([key(&retried_room, "E1")]),
        ..Default::default()
    };
    let api = ScriptedApi::new(script, Witness::File(path.clone()));
    let (_stop_tx, stop) = watch::channel(false);
    let (progress, lines) = reporter(sends.len());

    let end = run_engine(&api, settings(4, 3), &journal, stop, &progress, &plan)
        .await
        .expect("no journal failure");
    progress.finish();
    assert!(!end.interrupted);
    journal.close().unwrap();

    let requests = api.requests();
    assert!(requests.iter().all(|r| r.start_recorded), "{requests:?}");
    let order = per_room(&requests);
    // Refused once, not retried, and nothing after it to that room.
    assert_eq!(order[&refused_room], events(3));
    // A 5xx is retried, and the room's next event waits for it.
    assert_eq!(order[&retried_room], ["E0", "E1", "E1", "E2", "E3", "E4"]);
    for i in [0, 3] {
        assert_eq!(order[&room_arn(i)], events(n_events));
    }

    let r = records(journal::read(&path).unwrap());
    let id_of = |room: &str, event: &str| {
        sends
            .iter()
            .find(|s| s.room_arn == room && s.event_name == event)
            .unwrap()
            .id
            .clone()
    };
    let refused = r
        .ends
        .iter()
        .find(|e| e.id == id_of(&refused_room, "E2"))
        .expect("the refused send has an end record");
    assert_eq!(refused.outcome.status, Status::Failed);
    assert_eq!(refused.outcome.attempts, 1);
    assert_eq!(
        refused.outcome.error_code.as_deref(),
        Some("ValidationException")
    );
    let retried = r
        .ends
        .iter()
        .find(|e| e.id == id_of(&retried_room, "E1"))
        .unwrap();
    assert_eq!(retried.outcome.status, Status::Sent);
    assert_eq!(retried.outcome.attempts, 2);
    assert_eq!(r.starts.len(), 18, "one start per send attempted");
    assert_eq!(r.ends.len(), 18);
    let skipped: Vec<(&str, &str)> = r
        .skips
        .iter()
        .map(|s| (s.send.room_arn.as_str(), s.send.event_name.as_str()))
        .collect();
    assert_eq!(
        skipped,
        [(refused_room.as_str(), "E3"), (refused_room.as_str(), "E4")]
    );
    for s in &r.skips {
        assert_eq!(s.status, Status::Planned);
        assert!(
            s.note.contains(&id_of(&refused_room, "E2")),
            "the note names the send that holds the room back: {}",
            s.note
        );
    }
    assert!(
        lines
            .text()
            .contains("progress: 18/20 (90.0%), sent 17, failed 1, unknown 0"),
        "{}",
        lines.text()
    );
}

/// A FIFO at `path`, its read end open (non-blocking), so that a journal
/// opened on it writes into a pipe this test can close.
#[cfg(unix)]
fn fifo(path: &Path) -> std::fs::File {
    use std::os::unix::ffi::OsStrExt as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let c = std::ffi::CString::new(path.as_os_str().as_bytes()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0, "mkfifo");
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
        .unwrap()
}

/// The journal stops taking writes after the third request (its reader
/// goes away: EPIPE). The engine must stop with its journal error, and no
/// request may go out whose start record did not reach the journal.
///
/// Single-threaded runtime: the scripted API drains the pipe and closes it
/// in one step, with no journal write in between.
#[cfg(unix)]
#[tokio::test]
async fn a_journal_that_fails_partway_stops_the_sending() {
    let dir = tempfile::tempdir().unwrap();
    let (rooms, n_events, close_after, concurrency) = (3, 4, 3, 2);
    let (plan, sends) = plan(dir.path(), rooms, n_events);
    let path = dir.path().join("j.fifo");
    let reader = fifo(&path);
    // No fsync: a pipe cannot be fsynced.
    let journal = Journal::open(&path, false).unwrap();
    let api = ScriptedApi::new(
        Script::default(),
        Witness::Pipe(Mutex::new(Pipe {
            reader: Some(reader),
            captured: Vec::new(),
            close_after,
        })),
    );
    let (_stop_tx, stop) = watch::channel(false);
    let (progress, _lines) = reporter(sends.len());

    let result = run_engine(
        &api,
        settings(concurrency, 3),
        &journal,
        stop,
        &progress,
        &plan,
    )
    .await;
    let err = result.expect_err("the engine reports the journal failure");
    assert!(
        err.to_string().contains("Broken pipe"),
        "the failure is the closed pipe: {err}"
    );
    assert!(journal.close().is_err());

    let requests = api.requests();
    for r in &requests {
        assert!(
            r.start_recorded,
            "sent without a start record in the journal: {r:?}"
        );
    }
    // The ones already started may finish; nothing else goes.
    assert!(
        (close_after..close_after + concurrency as usize).contains(&requests.len()),
        "{} requests: {requests:?}",
        requests.len()
    );
    let Witness::Pipe(pipe) = &api.witness else {
        unreachable!()
    };
    let captured = captured_records(&pipe.lock().unwrap().captured);
    let starts = captured
        .iter()
        .filter(|r| matches!(r, JournalRecord::Start(_)))
        .count();
    assert_eq!(
        starts,
        requests.len(),
        "every start that reached the journal is a send that went out"
    );
}

/// A journal on a full disk from its first write: nothing is sent.
#[cfg(target_os = "linux")]
#[tokio::test]
async fn a_journal_on_a_full_disk_sends_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (plan, sends) = plan(dir.path(), 2, 2);
    let journal = Journal::open(Path::new("/dev/full"), false).unwrap();
    let api = ScriptedApi::new(Script::default(), Witness::None);
    let (_stop_tx, stop) = watch::channel(false);
    let (progress, _lines) = reporter(sends.len());

    let result = run_engine(&api, settings(2, 3), &journal, stop, &progress, &plan).await;
    let err = result.expect_err("the engine reports the journal failure");
    assert!(
        err.to_string().contains("No space left on device"),
        "the failure is the full disk: {err}"
    );
    assert!(api.requests().is_empty(), "{:?}", api.requests());
}
