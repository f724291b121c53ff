//! Appending to the journal: lines written straight to the file, fsyncs
//! grouped by one syncer thread, and a torn last line (what a crash or a
//! full disk leaves) cut before anything is appended.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;

use tokio::sync::watch;

use serde::Serialize;

/// An open journal. Lines are written straight to the file (one `write`
/// each, no thread hop, so a process crash never loses a written line);
/// with fsync on, durable writes also wait for a syncer thread that fsyncs
/// in groups: one fsync covers every line written before it started.
pub struct Journal {
    path: PathBuf,
    /// The file's length when opened: where this run's records begin.
    start: u64,
    file: Mutex<File>,
    /// Lines written so far.
    written: AtomicU64,
    /// Present when fsync is on.
    syncer: Option<Syncer>,
    /// The first write error; later writes fail with it.
    failed: Mutex<Option<String>>,
}

struct Syncer {
    /// Highest line number whose fsync has been asked for.
    wanted: Arc<(Mutex<SyncState>, Condvar)>,
    /// Highest line number known durable.
    synced: watch::Receiver<u64>,
    thread: Option<JoinHandle<()>>,
}

#[derive(Default)]
struct SyncState {
    wanted: u64,
    closing: bool,
    error: Option<String>,
    /// The syncer is waiting to be woken (not busy fsyncing).
    idle: bool,
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
        let syncer = if fsync {
            let sync_file = file.try_clone()?;
            let wanted = Arc::new((Mutex::new(SyncState::default()), Condvar::new()));
            let (tx, rx) = watch::channel(0u64);
            let shared = wanted.clone();
            let thread = std::thread::Builder::new()
                .name("journal-sync".into())
                .spawn(move || syncer(sync_file, shared, tx))?;
            Some(Syncer {
                wanted,
                synced: rx,
                thread: Some(thread),
            })
        } else {
            None
        };
        Ok(Journal {
            path: path.to_path_buf(),
            start,
            file: Mutex::new(file),
            written: AtomicU64::new(0),
            syncer,
            failed: Mutex::new(None),
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

    /// Writes one line; returns its number.
    fn append<T: Serialize>(&self, rec: &T) -> io::Result<u64> {
        let mut line = serde_json::to_vec(rec).map_err(io::Error::other)?;
        line.push(b'\n');
        if let Some(e) = &*self.failed.lock().expect("journal lock") {
            return Err(io::Error::other(e.clone()));
        }
        let mut file = self.file.lock().expect("journal lock");
        if let Err(e) = file.write_all(&line) {
            *self.failed.lock().expect("journal lock") = Some(e.to_string());
            return Err(e);
        }
        Ok(self.written.fetch_add(1, Ordering::SeqCst) + 1)
    }

    /// Appends a record and waits until it is durable: written to the file
    /// and, with fsync on, on disk.
    pub async fn write_durable<T: Serialize>(&self, rec: &T) -> io::Result<()> {
        let n = self.append(rec)?;
        let Some(s) = &self.syncer else {
            return Ok(());
        };
        {
            let (lock, cv) = &*s.wanted;
            let mut st = lock.lock().expect("sync lock");
            if let Some(e) = &st.error {
                return Err(io::Error::other(e.clone()));
            }
            if st.wanted < n {
                st.wanted = n;
                // A busy syncer looks at `wanted` again when its fsync
                // ends; waking it costs a system call per send.
                if st.idle {
                    cv.notify_one();
                }
            }
        }
        let mut rx = s.synced.clone();
        rx.wait_for(|synced| *synced >= n)
            .await
            .map_err(|_| io::Error::other("the journal syncer stopped"))?;
        let (lock, _) = &*s.wanted;
        match &lock.lock().expect("sync lock").error {
            Some(e) => Err(io::Error::other(e.clone())),
            None => Ok(()),
        }
    }

    /// Appends a record without waiting for the disk. The line is written
    /// to the file before this returns.
    pub fn write<T: Serialize>(&self, rec: &T) {
        if let Err(e) = self.append(rec) {
            tracing::error!(error = %e, "journal write failed");
        }
    }

    /// Makes everything durable and closes the file.
    pub fn close(mut self) -> io::Result<()> {
        self.finish()
    }

    fn finish(&mut self) -> io::Result<()> {
        let mut result = Ok(());
        if let Some(mut s) = self.syncer.take() {
            {
                let (lock, cv) = &*s.wanted;
                let mut st = lock.lock().expect("sync lock");
                st.wanted = self.written.load(Ordering::SeqCst);
                st.closing = true;
                cv.notify_one();
            }
            if let Some(t) = s.thread.take() {
                let _ = t.join();
            }
            let (lock, _) = &*s.wanted;
            if let Some(e) = &lock.lock().expect("sync lock").error {
                result = Err(io::Error::other(e.clone()));
            }
        }
        if let Some(e) = &*self.failed.lock().expect("journal lock") {
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

/// The syncer thread: fsyncs whenever lines are waiting, then publishes how
/// far the file is durable (group commit).
fn syncer(file: File, shared: Arc<(Mutex<SyncState>, Condvar)>, synced: watch::Sender<u64>) {
    let (lock, cv) = &*shared;
    let mut done = 0u64;
    loop {
        let (target, closing) = {
            let mut st = lock.lock().expect("sync lock");
            while st.wanted <= done && !st.closing {
                st.idle = true;
                st = cv.wait(st).expect("sync lock");
                st.idle = false;
            }
            (st.wanted, st.closing)
        };
        if target > done {
            if let Err(e) = file.sync_data() {
                lock.lock().expect("sync lock").error = Some(e.to_string());
                // Wake the waiters so they see the error.
                let _ = synced.send(u64::MAX);
                return;
            }
            done = target;
            let _ = synced.send(done);
        }
        if closing && done >= lock.lock().expect("sync lock").wanted {
            return;
        }
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
}
