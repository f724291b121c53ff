//! The run journal: one JSON line per event of a run, appended and made
//! durable as it happens, so a crash loses nothing that was sent.
//!
//! A send's `start` line is on disk (written, flushed and fsynced) *before*
//! its request goes out, and its `end` line follows its outcome. After a
//! crash, a `start` without an `end` marks a send whose outcome is unknown:
//! `run --resume` never re-sends those silently. Writes go through one
//! writer thread that commits in groups, so durability costs one fsync per
//! batch, not per line.

use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::thread::JoinHandle;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tokio::sync::{mpsc, oneshot};

use super::model::Status;
use crate::plan::{EffectiveSettings, PlanPlaybook, PlannedSend};

/// One journal line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum JournalRecord {
    /// A run begins (a resumed run appends another).
    Run(RunHeader),
    /// A send is about to go out.
    Start(StartRecord),
    /// A send's outcome.
    End(EndRecord),
    /// A send not attempted in this run, and why.
    Skip(SkipRecord),
    /// The run ended.
    Finish(FinishRecord),
}

/// The first line of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunHeader {
    /// Tool name.
    pub tool: String,
    /// Tool version.
    pub version: String,
    /// Plan hash.
    pub plan_hash: String,
    /// When the run started.
    pub started_at: DateTime<Utc>,
    /// The playbooks.
    pub playbooks: Vec<PlanPlaybook>,
    /// Settings in effect.
    pub settings: EffectiveSettings,
    /// Sends in the plan.
    pub sends: usize,
    /// What this run resumed from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resumed_from: Option<String>,
}

/// A send about to go out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StartRecord {
    /// The send, as planned.
    pub send: PlannedSend,
    /// When.
    pub at: DateTime<Utc>,
}

/// A send's outcome.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EndRecord {
    /// Send id.
    pub id: String,
    /// Account of the room.
    pub account: String,
    /// Region the send went through.
    pub region: String,
    /// Outcome.
    pub status: Status,
    /// Event id from the service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
    /// Request id of the last answered attempt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// Attempts made.
    pub attempts: u32,
    /// Throttled attempts.
    pub throttles: u32,
    /// Error code of the last failed attempt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    /// Its message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_message: Option<String>,
    /// Milliseconds from the first attempt to the outcome.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<f64>,
    /// Start of each attempt, in milliseconds since the run started (for
    /// the per-second peaks in the report).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attempt_offsets_ms: Vec<f64>,
    /// When the outcome was known.
    pub at: DateTime<Utc>,
}

/// A send not attempted in this run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SkipRecord {
    /// The send.
    pub send: PlannedSend,
    /// `skipped` (sent before), `unknown` (outcome unknown before, not
    /// re-sent) or `planned` (not attempted).
    pub status: Status,
    /// Why.
    pub note: String,
    /// The event id from the earlier run, when it was sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
}

/// The last line of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FinishRecord {
    /// When.
    pub at: DateTime<Utc>,
    /// Whether the run was interrupted.
    pub interrupted: bool,
}

enum Msg {
    Line(Vec<u8>, Option<oneshot::Sender<io::Result<()>>>),
}

/// An open journal with its writer thread.
pub struct Journal {
    path: PathBuf,
    tx: Option<mpsc::UnboundedSender<Msg>>,
    thread: Option<JoinHandle<io::Result<()>>>,
}

impl Journal {
    /// Opens (appending) or creates the journal at `path`. With `fsync`,
    /// durable writes reach the disk, not only the OS.
    pub fn open(path: &Path, fsync: bool) -> io::Result<Journal> {
        let file = OpenOptions::new().create(true).append(true).open(path)?;
        let (tx, rx) = mpsc::unbounded_channel();
        let thread = std::thread::Builder::new()
            .name("journal".into())
            .spawn(move || writer(file, rx, fsync))?;
        Ok(Journal {
            path: path.to_path_buf(),
            tx: Some(tx),
            thread: Some(thread),
        })
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn line(rec: &JournalRecord) -> Vec<u8> {
        let mut v = serde_json::to_vec(rec).expect("journal records serialize");
        v.push(b'\n');
        v
    }

    /// Appends a record and waits until it is durable.
    pub async fn write_durable(&self, rec: &JournalRecord) -> io::Result<()> {
        let (ack, done) = oneshot::channel();
        self.tx
            .as_ref()
            .expect("journal open")
            .send(Msg::Line(Self::line(rec), Some(ack)))
            .map_err(|_| io::Error::other("journal writer stopped"))?;
        done.await
            .map_err(|_| io::Error::other("journal writer stopped"))?
    }

    /// Appends a record without waiting.
    pub fn write(&self, rec: &JournalRecord) {
        if let Some(tx) = &self.tx {
            let _ = tx.send(Msg::Line(Self::line(rec), None));
        }
    }

    /// Writes what is pending and closes the file.
    pub fn close(mut self) -> io::Result<()> {
        self.tx.take();
        match self.thread.take() {
            Some(t) => t
                .join()
                .map_err(|_| io::Error::other("journal writer panicked"))?,
            None => Ok(()),
        }
    }
}

impl Drop for Journal {
    fn drop(&mut self) {
        self.tx.take();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// The writer thread: takes every pending line, writes them in one go,
/// flushes, syncs, then acknowledges them all (group commit).
fn writer(mut file: File, mut rx: mpsc::UnboundedReceiver<Msg>, fsync: bool) -> io::Result<()> {
    let mut buf = Vec::with_capacity(64 * 1024);
    let mut acks = Vec::new();
    while let Some(Msg::Line(line, ack)) = rx.blocking_recv() {
        buf.extend_from_slice(&line);
        acks.extend(ack);
        while buf.len() < 1 << 20 {
            match rx.try_recv() {
                Ok(Msg::Line(line, ack)) => {
                    buf.extend_from_slice(&line);
                    acks.extend(ack);
                }
                Err(_) => break,
            }
        }
        let mut result = file.write_all(&buf).and_then(|()| file.flush());
        if result.is_ok() && fsync && !acks.is_empty() {
            result = file.sync_data();
        }
        buf.clear();
        for ack in acks.drain(..) {
            let _ = ack.send(match &result {
                Ok(()) => Ok(()),
                Err(e) => Err(io::Error::new(e.kind(), e.to_string())),
            });
        }
        result?;
    }
    file.flush()?;
    if fsync {
        file.sync_data()?;
    }
    Ok(())
}

/// Reads a journal, one record per line. A last line cut short by a crash
/// is ignored; any other unreadable line is an error naming its number.
pub fn read(path: &Path) -> io::Result<Vec<JournalRecord>> {
    let mut out = Vec::new();
    for_each(path, |r| {
        out.push(r);
        Ok(())
    })?;
    Ok(out)
}

/// Calls `f` for each record of a journal, streaming.
pub fn for_each(path: &Path, mut f: impl FnMut(JournalRecord) -> io::Result<()>) -> io::Result<()> {
    let file = File::open(path)?;
    let reader = BufReader::with_capacity(1 << 16, file);
    let mut pending_error: Option<io::Error> = None;
    for (n, line) in reader.lines().enumerate() {
        let line = line?;
        if let Some(e) = pending_error.take() {
            // The bad line was not the last one.
            return Err(e);
        }
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<JournalRecord>(&line) {
            Ok(r) => f(r)?,
            Err(e) => {
                pending_error = Some(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!(
                        "{}: line {} is not a journal record: {e}",
                        path.display(),
                        n + 1
                    ),
                ))
            }
        }
    }
    Ok(())
}
