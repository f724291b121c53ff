//! What earlier runs already did, read from their journal, so `run
//! --resume` sends exactly what is not recorded as sent. (A JSON report is
//! read into the same state by `report::resume`.)

use std::collections::{HashMap, HashSet};
use std::io;
use std::path::{Path, PathBuf};

use super::{JournalRecord, Status};

/// The state of a plan after earlier runs.
#[derive(Debug, Clone, Default)]
pub struct ResumeState {
    /// The file it was read from.
    pub source: PathBuf,
    /// The plan hash recorded there (the last run's).
    pub plan_hash: String,
    /// Sent send ids and their event ids.
    pub sent: HashMap<String, Option<String>>,
    /// Sends whose outcome is unknown: in flight when a run stopped, or
    /// without an answer.
    pub unknown: HashSet<String>,
    /// Of those, the ones that were started and never ended (the process
    /// died with them in flight).
    pub in_flight: HashSet<String>,
    /// Whether the file is a journal (a resumed run appends to it).
    pub is_journal: bool,
    /// The last run's header, when read from a journal: where it sent, and
    /// with which variables and settings.
    pub header: Option<super::RunHeader>,
    /// The anchor of the earlier run's timeline, when it had one: a resume
    /// keeps it, so the remaining steps go at their original times.
    pub anchor: Option<chrono::DateTime<chrono::FixedOffset>>,
}

impl ResumeState {
    /// Reads the state from a journal's every run.
    pub fn from_journal(path: &Path) -> io::Result<ResumeState> {
        let mut st = ResumeState {
            source: path.to_path_buf(),
            is_journal: true,
            ..Default::default()
        };
        let mut open: HashSet<String> = HashSet::new();
        let mut saw_run = false;
        super::for_each(path, |rec| {
            match rec {
                JournalRecord::Run(h) => {
                    saw_run = true;
                    st.plan_hash = h.plan_hash.clone();
                    st.anchor = h.timeline.as_ref().map(|t| t.anchor).or(st.anchor);
                    st.header = Some(h);
                    // Sends started by an earlier run that never ended.
                    for id in open.drain() {
                        st.unknown.insert(id.clone());
                        st.in_flight.insert(id);
                    }
                }
                JournalRecord::Start(s) => {
                    open.insert(s.send.id);
                }
                JournalRecord::End(e) => {
                    open.remove(&e.id);
                    st.apply(&e.id, e.outcome.status, e.outcome.message_id);
                }
                JournalRecord::Skip(s) => st.apply(&s.send.id, s.status, s.message_id),
                JournalRecord::Resolve(r) => st.resolve(&r.id, r.delivered),
                JournalRecord::Finish(_) | JournalRecord::Verify(_) => {}
            }
            Ok(())
        })?;
        if !saw_run {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("{} has no run header; is it a journal?", path.display()),
            ));
        }
        for id in open {
            st.unknown.insert(id.clone());
            st.in_flight.insert(id);
        }
        Ok(st)
    }

    /// Records what a person found out about send `id` (`report resolve`).
    pub fn resolve(&mut self, id: &str, delivered: bool) {
        self.unknown.remove(id);
        self.in_flight.remove(id);
        if delivered {
            self.sent.entry(id.to_string()).or_insert(None);
        }
    }

    /// Records the outcome `status` of send `id`, as a later record
    /// overrides an earlier one.
    pub fn apply(&mut self, id: &str, status: Status, message_id: Option<String>) {
        match status {
            Status::Sent => {
                self.unknown.remove(id);
                self.in_flight.remove(id);
                self.sent.insert(id.to_string(), message_id);
            }
            // A skip of a sent send keeps it sent.
            Status::Skipped => {
                self.sent.entry(id.to_string()).or_insert(message_id);
            }
            Status::Unknown => {
                if !self.sent.contains_key(id) {
                    self.unknown.insert(id.to_string());
                }
            }
            // Attempted again and not delivered by that attempt. An earlier
            // attempt whose outcome is unknown may still have delivered it:
            // that stands until someone resolves it.
            Status::Failed => {
                self.in_flight.remove(id);
            }
            // Not attempted: an earlier unknown outcome still stands.
            Status::Planned | Status::Late => {}
        }
    }
}
