//! Appending to the journal: lines written straight to the file, made
//! durable by group commit ([`super::sync`]), and a torn last line (what a crash or a
//! full disk leaves) cut before anything is appended.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use serde::Serialize;

use super::sync::Syncer;

/// An open journal. Lines are written straight to the file (one `write`
/// each, no thread hop, so a process crash never loses a written line);
/// with fsync on, durable writes also wait for an fsync that covers them
/// ([`super::sync`]): one fsync covers every line written before it started.
pub struct Journal {
    path: PathBuf,
    /// The file's length when opened: where this run's records begin.
    start: u64,
    lines: Appender,
    /// The syncer thread, joined on close.
    thread: Option<JoinHandle<()>>,
}

/// A handle that appends to an open journal, for a task that runs apart
/// from its owner (a send on any of the runtime's threads). Cheap to clone.
/// Once the journal is closed, durable writes through it fail.
#[derive(Clone)]
pub struct Appender(Arc<Lines>);

/// The file and its syncer, shared by the journal and its appenders.
struct Lines {
    file: Mutex<File>,
    /// Lines written so far.
    written: AtomicU64,
    /// Present when fsync is on.
    syncer: Option<Arc<Syncer>>,
    /// The first write error; later writes fail with it.
    failed: Mutex<Option<String>>,
    /// Closed: nothing more is appended.
    closed: AtomicBool,
}

impl Journal {
    /// Opens (appending) or creates the journal at `path`. With `fsync`,
    /// durable writes reach the disk, not only the OS.
    pub fn open(path: &Path, fsync: bool) -> io::Result<Journal> {
        let file = OpenOptions::new().create(true).append(true).open(path)?;
        // One writer at a time: two runs appending to one journal would
        // each send what the other has not recorded yet.
        try_lock(&file, path)?;
        drop_torn_tail(path)?;
        let start = file.metadata()?.len();
        let (syncer, thread) = if fsync {
            let (syncer, thread) = Syncer::start(file.try_clone()?)?;
            (Some(syncer), Some(thread))
        } else {
            (None, None)
        };
        Ok(Journal {
            path: path.to_path_buf(),
            start,
            lines: Appender(Arc::new(Lines {
                file: Mutex::new(file),
                written: AtomicU64::new(0),
                syncer,
                failed: Mutex::new(None),
                closed: AtomicBool::new(false),
            })),
            thread,
        })
    }

    /// Where this run's records begin: the file's length once opened, after
    /// a torn last line was cut.
    pub fn start(&self) -> u64 {
        self.start
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A handle that appends to this journal from another task.
    pub fn appender(&self) -> Appender {
        self.lines.clone()
    }

    /// Appends a record and waits until it is durable: written to the file
    /// and, with fsync on, on disk.
    pub async fn write_durable<T: Serialize>(&self, rec: &T) -> io::Result<()> {
        self.lines.write_durable(rec).await
    }

    /// Appends a record without waiting for the disk. The line is written
    /// to the file before this returns.
    pub fn write<T: Serialize>(&self, rec: &T) {
        self.lines.write(rec);
    }

    /// Makes everything durable and closes the file.
    pub fn close(mut self) -> io::Result<()> {
        self.finish()
    }

    fn finish(&mut self) -> io::Result<()> {
        let lines = &self.lines.0;
        {
            // Under the file's lock: a line being appended is counted below.
            let _file = lines.file.lock().expect("journal lock");
            lines.closed.store(true, Ordering::SeqCst);
        }
        let mut result = Ok(());
        if let Some(s) = &lines.syncer {
            s.close(lines.written.load(Ordering::SeqCst));
            if let Some(t) = self.thread.take() {
                let _ = t.join();
            }
            if let Some(e) = s.error() {
                result = Err(io::Error::other(e));
            }
        }
        if let Some(e) = &*lines.failed.lock().expect("journal lock") {
            result = Err(io::Error::other(e.clone()));
        }
        result
    }
}

impl Drop for Journal {
    fn drop(&mut self) {
        let _ = self.finish();
    }
}

impl Appender {
    /// Writes one line; returns its number.
    fn append<T: Serialize>(&self, rec: &T) -> io::Result<u64> {
        let mut line = serde_json::to_vec(rec).map_err(io::Error::other)?;
        line.push(b'\n');
        let lines = &self.0;
        if let Some(e) = &*lines.failed.lock().expect("journal lock") {
            return Err(io::Error::other(e.clone()));
        }
        let mut file = lines.file.lock().expect("journal lock");
        if lines.closed.load(Ordering::SeqCst) {
            return Err(io::Error::other("the journal is closed"));
        }
        if let Err(e) = file.write_all(&line) {
            *lines.failed.lock().expect("journal lock") = Some(e.to_string());
            return Err(e);
        }
        Ok(lines.written.fetch_add(1, Ordering::SeqCst) + 1)
    }

    /// Appends a record and waits until it is durable: written to the file
    /// and, with fsync on, on disk.
    pub async fn write_durable<T: Serialize>(&self, rec: &T) -> io::Result<()> {
        let n = self.append(rec)?;
        let Some(s) = &self.0.syncer else {
            return Ok(());
        };
        s.durable(n).await
    }

    /// Appends a record without waiting for the disk. The line is written
    /// to the file before this returns.
    pub fn write<T: Serialize>(&self, rec: &T) {
        if let Err(e) = self.append(rec) {
            tracing::error!(error = %e, "journal write failed");
        }
    }
}

/// Cuts a last line that a crash left half-written, so appended lines start
/// on a line of their own. Such a line never mattered: a `start` is written
/// whole before its request goes out, and a send whose `end` was torn still
/// has its `start`, so it reads back as in flight (unknown), never as sent.
/// Takes the journal's advisory lock, or says who holds it.
fn try_lock(file: &File, path: &Path) -> io::Result<()> {
    file.try_lock().map_err(|e| match e {
        std::fs::TryLockError::WouldBlock => io::Error::new(
            io::ErrorKind::WouldBlock,
            format!(
                "{} is being written by another run (it holds the journal's lock); wait for it to finish",
                path.display()
            ),
        ),
        std::fs::TryLockError::Error(e) => e,
    })
}

/// Holds the lock of a journal that is read, not written, for as long as
/// the returned file is open: no other run may write it meanwhile.
pub fn lock(path: &Path) -> io::Result<File> {
    let file = File::open(path)?;
    try_lock(&file, path)?;
    Ok(file)
}

fn drop_torn_tail(path: &Path) -> io::Result<()> {
    use std::io::{Read, Seek, SeekFrom};
    let mut file = match OpenOptions::new().read(true).write(true).open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    let len = file.metadata()?.len();
    if len == 0 {
        return Ok(());
    }
    // Look back for the last newline, a block at a time.
    let mut end = len;
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let start = end.saturating_sub(buf.len() as u64);
        let n = (end - start) as usize;
        file.seek(SeekFrom::Start(start))?;
        file.read_exact(&mut buf[..n])?;
        if end == len && buf[n - 1] == b'\n' {
            return Ok(());
        }
        if let Some(i) = buf[..n].iter().rposition(|&b| b == b'\n') {
            file.set_len(start + i as u64 + 1)?;
            return Ok(());
        }
        if start == 0 {
            file.set_len(0)?;
            return Ok(());
        }
        end = start;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::{FinishRecord, JournalRecord, read};
    use chrono::DateTime;

    fn finish(at_secs: i64) -> JournalRecord {
        JournalRecord::Finish(FinishRecord {
            at: DateTime::from_timestamp(at_secs, 0).unwrap(),
            interrupted: false,
        })
    }

    #[test]
    fn a_torn_last_line_is_cut_before_appending() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.jsonl");
        let whole = serde_json::to_string(&finish(1)).unwrap();
        std::fs::write(
            &path,
            format!("{whole}\n{{\"type\":\"start\",\"send\":{{\"id\":\"zz\""),
        )
        .unwrap();
        for round in 0..2 {
            let j = Journal::open(&path, round == 0).unwrap();
            j.write(&finish(2 + round));
            j.close().unwrap();
        }
        let records = read(&path).unwrap();
        assert_eq!(records, vec![finish(1), finish(2), finish(3)]);
    }

    #[test]
    fn durable_writes_are_on_disk_and_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.jsonl");
        let rt = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .unwrap();
        let j = Journal::open(&path, true).unwrap();
        rt.block_on(async {
            let records: Vec<JournalRecord> = (0..200).map(finish).collect();
            let writes = records.iter().map(|r| j.write_durable(r));
            for r in futures::future::join_all(writes).await {
                r.unwrap();
            }
        });
        // Everything acknowledged is in the file before close.
        assert_eq!(read(&path).unwrap().len(), 200);
        j.close().unwrap();
    }

    #[test]
    fn durable_writes_from_many_tasks_share_the_syncer() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.jsonl");
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let j = Journal::open(&path, true).unwrap();
        rt.block_on(async {
            let tasks: Vec<_> = (0..8)
                .map(|t| {
                    let a = j.appender();
                    tokio::spawn(async move {
                        for i in 0..25 {
                            a.write_durable(&finish(t * 100 + i)).await.unwrap();
                        }
                    })
                })
                .collect();
            for t in tasks {
                t.await.unwrap();
            }
        });
        assert_eq!(read(&path).unwrap().len(), 200);
        let a = j.appender();
        j.close().unwrap();
        // Closed: a write through a handle that outlived it fails, rather
        // than adding a line after the end or waiting for a syncer that is
        // gone.
        let err = rt.block_on(a.write_durable(&finish(1))).unwrap_err();
        assert!(err.to_string().contains("closed"), "{err}");
        assert_eq!(read(&path).unwrap().len(), 200);
    }
}
