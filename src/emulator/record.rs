//! The delivery record: every event the emulator accepted, kept in memory
//! (optionally capped) and optionally appended to a JSON-lines file.
//!
//! This is what a test compares against what a sender believes it sent. The
//! file writer is buffered and flushed by the server every
//! [`FLUSH_INTERVAL`] and at shutdown, so it keeps up with tens of thousands
//! of events per second; the in-memory record is a ring buffer when capped,
//! so memory stays flat however long the emulator runs.

use std::collections::VecDeque;
use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::Path;
use std::sync::Mutex;
use std::time::Duration;

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

/// How often the server flushes the events log.
pub const FLUSH_INTERVAL: Duration = Duration::from_millis(200);

/// One delivered event: a JSON line of the events log and an item of
/// `GET /_emulator/events`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeliveredEvent {
    /// 1-based delivery order, unique for the life of the emulator.
    pub seq: u64,
    /// The event id returned by SendEvent (12 alphanumeric characters).
    pub id: String,
    /// The room's ARN.
    pub room_arn: String,
    /// The region the request was signed for.
    pub region: String,
    /// The account of the access key that signed the request (the room's
    /// account, since a room of another account is not found).
    pub account: String,
    /// `eventName`.
    pub event_name: String,
    /// `attributes`, in request order.
    pub attributes: IndexMap<String, String>,
    /// Delivery time, RFC 3339 UTC with milliseconds.
    pub time: String,
    /// The request's `x-amzn-RequestId`.
    pub request_id: String,
}

/// Totals of the delivery record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RecordCounts {
    /// Events delivered since start.
    pub delivered: u64,
    /// Events held in memory now.
    pub kept: u64,
    /// Events dropped from memory by the cap or a reset.
    pub evicted: u64,
    /// Writes to the events log that failed.
    pub log_errors: u64,
}

#[derive(Debug)]
struct Inner {
    kept: VecDeque<DeliveredEvent>,
    keep: Option<usize>,
    next_seq: u64,
    evicted: u64,
    log: Option<BufWriter<File>>,
    line: Vec<u8>,
    log_errors: u64,
}

/// The delivery record.
#[derive(Debug)]
pub struct Record {
    inner: Mutex<Inner>,
}

impl Record {
    /// Opens the record, appending to `log_path` when given.
    pub fn open(keep: Option<usize>, log_path: Option<&Path>) -> io::Result<Self> {
        let log = match log_path {
            Some(p) => Some(BufWriter::with_capacity(
                256 * 1024,
                OpenOptions::new().create(true).append(true).open(p)?,
            )),
            None => None,
        };
        Ok(Self {
            inner: Mutex::new(Inner {
                kept: VecDeque::new(),
                keep,
                next_seq: 1,
                evicted: 0,
                log,
                line: Vec::with_capacity(512),
                log_errors: 0,
            }),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Records a delivered event (its `seq` is assigned here) and returns it.
    pub fn push(&self, mut event: DeliveredEvent) -> u64 {
        let mut inner = self.lock();
        let inner = &mut *inner;
        event.seq = inner.next_seq;
        inner.next_seq += 1;
        if let Some(log) = inner.log.as_mut() {
            inner.line.clear();
            let ok = serde_json::to_writer(&mut inner.line, &event).is_ok() && {
                inner.line.push(b'\n');
                log.write_all(&inner.line).is_ok()
            };
            if !ok {
                if inner.log_errors == 0 {
                    tracing::warn!(
                        "cannot write to the events log; further errors are only counted"
                    );
                }
                inner.log_errors += 1;
            }
        }
        let seq = event.seq;
        match inner.keep {
            Some(0) => inner.evicted += 1,
            Some(cap) => {
                if inner.kept.len() >= cap {
                    inner.kept.pop_front();
                    inner.evicted += 1;
                }
                inner.kept.push_back(event);
            }
            None => inner.kept.push_back(event),
        }
        seq
    }

    /// All events held in memory, oldest first.
    pub fn events(&self) -> Vec<DeliveredEvent> {
        self.lock().kept.iter().cloned().collect()
    }

    /// Up to `limit` events with `seq > after`, oldest first.
    pub fn page(&self, after: u64, limit: usize) -> Vec<DeliveredEvent> {
        let inner = self.lock();
        let start = inner.kept.partition_point(|e| e.seq <= after);
        inner.kept.range(start..).take(limit).cloned().collect()
    }

    /// Forgets the events held in memory (the log file is left alone).
    pub fn clear(&self) {
        let mut inner = self.lock();
        inner.evicted += inner.kept.len() as u64;
        inner.kept.clear();
    }

    /// Totals.
    pub fn counts(&self) -> RecordCounts {
        let inner = self.lock();
        RecordCounts {
            delivered: inner.next_seq - 1,
            kept: inner.kept.len() as u64,
            evicted: inner.evicted,
            log_errors: inner.log_errors,
        }
    }

    /// Writes buffered log lines to the file.
    pub fn flush(&self) {
        let mut inner = self.lock();
        let failed = inner.log.as_mut().is_some_and(|log| log.flush().is_err());
        if failed {
            if inner.log_errors == 0 {
                tracing::warn!("cannot flush the events log");
            }
            inner.log_errors += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(i: u64) -> DeliveredEvent {
        DeliveredEvent {
            seq: 0,
            id: format!("{i:012}"),
            room_arn: "arn:aws:ivschat:us-east-1:1:room/a".into(),
            region: "us-east-1".into(),
            account: "1".into(),
            event_name: "E".into(),
            attributes: IndexMap::from([("k".to_string(), "v".to_string())]),
            time: "2024-01-01T00:00:00.000Z".into(),
            request_id: "r".into(),
        }
    }

    #[test]
    fn capped_record_and_log_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("events.jsonl");
        let rec = Record::open(Some(3), Some(&path)).unwrap();
        for i in 0..5 {
            rec.push(event(i));
        }
        let kept = rec.events();
        assert_eq!(kept.iter().map(|e| e.seq).collect::<Vec<_>>(), [3, 4, 5]);
        assert_eq!(rec.page(3, 1)[0].seq, 4);
        assert_eq!(
            rec.counts(),
            RecordCounts {
                delivered: 5,
                kept: 3,
                evicted: 2,
                log_errors: 0
            }
        );
        rec.flush();
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<DeliveredEvent> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 5);
        assert_eq!(lines[4].seq, 5);
        rec.clear();
        assert!(rec.events().is_empty());
        assert_eq!(rec.push(event(9)), 6);
    }
}
