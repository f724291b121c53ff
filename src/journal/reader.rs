//! Reading a journal back: every record in order, one run's records, the
//! offsets of its runs, and a run's finish record.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::Path;

use chrono::{DateTime, Utc};

use super::{JournalRecord, RunHeader};

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

/// Reads one run's records: those from byte `offset` (where its header was
/// written) up to the next run's header or the end of the file. Returns
/// the run's header; `f` gets every other record.
pub fn for_each_from(
    path: &Path,
    offset: u64,
    mut f: impl FnMut(JournalRecord) -> io::Result<()>,
) -> io::Result<Option<RunHeader>> {
    let mut file = File::open(path)?;
    file.seek(SeekFrom::Start(offset))?;
    let reader = BufReader::with_capacity(1 << 16, file.take(u64::MAX));
    let mut header = None;
    for line in reader.lines() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<JournalRecord>(&line) {
            Ok(JournalRecord::Run(h)) => {
                if header.is_some() {
                    break;
                }
                header = Some(h);
            }
            Ok(r) => f(r)?,
            // A line cut short by a crash: nothing after it is readable.
            Err(_) => break,
        }
    }
    Ok(header)
}

/// Byte offsets of every run header in a journal, in order; the last is the
/// latest run. Lets a report be rebuilt from a journal after a crash.
pub fn run_offsets(path: &Path) -> io::Result<Vec<u64>> {
    let file = File::open(path)?;
    let mut reader = BufReader::with_capacity(1 << 16, file);
    let mut offsets = Vec::new();
    let mut pos = 0u64;
    let mut line = Vec::new();
    loop {
        line.clear();
        let n = reader.read_until(b'\n', &mut line)?;
        if n == 0 {
            break;
        }
        if line.starts_with(br#"{"type":"run""#) {
            offsets.push(pos);
        }
        pos += n as u64;
    }
    Ok(offsets)
}

/// The end time and interruption of the run at `offset`, from its finish
/// record; `None` when it has none (the process died).
pub fn finish_of(path: &Path, offset: u64) -> io::Result<Option<(DateTime<Utc>, bool)>> {
    let mut found = None;
    for_each_from(path, offset, |rec| {
        if let JournalRecord::Finish(f) = rec {
            found = Some((f.at, f.interrupted));
        }
        Ok(())
    })?;
    Ok(found)
}
