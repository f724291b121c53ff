//! Reading a journal back, all through one reader ([`records`]): every
//! record in order, one run's records, the offsets of its runs, and a run's
//! finish record. Each caller says what a torn line means to it
//! ([`TornLine`]).

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

/// The longest journal line read. A record holds one send (attributes are
/// at most 1 KB), so real lines are far shorter; a file with longer lines
/// (`/dev/zero`, a binary file) is not a journal, and reading it must not
/// take the memory.
const MAX_LINE_BYTES: u64 = 1 << 20;

/// Reads the next line, its newline included, into `line`; `false` at the
/// end of the file. A line longer than [`MAX_LINE_BYTES`] is an error.
fn next_line(reader: &mut impl BufRead, line: &mut Vec<u8>, path: &Path) -> io::Result<bool> {
    line.clear();
    let n = reader
        .by_ref()
        .take(MAX_LINE_BYTES + 1)
        .read_until(b'\n', line)?;
    if n as u64 > MAX_LINE_BYTES {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "{} is not a journal: a line is longer than {MAX_LINE_BYTES} bytes",
                path.display()
            ),
        ));
    }
    Ok(n > 0)
}

/// What the reader does with a line that is not a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TornLine {
    /// Stop there, as at the end: a line cut short by a crash, and nothing
    /// after it is readable (a report of the run so far).
    Stop,
    /// Ignore it when it is the last line (a crash cut it short); anywhere
    /// else it is an error naming its line number (a resume must not guess).
    ErrorUnlessLast,
}

/// Whether to read on after a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    /// Read the next record.
    Continue,
    /// Stop reading.
    Stop,
}

/// The one journal reader: calls `f` with each record from byte `offset`,
/// in order, streaming, until the end, until `f` says stop, or until a line
/// that is not a record (as `torn` says).
pub fn records(
    path: &Path,
    offset: u64,
    torn: TornLine,
    mut f: impl FnMut(JournalRecord) -> io::Result<Flow>,
) -> io::Result<()> {
    let mut file = crate::fs::open_regular(path)?;
    if offset > 0 {
        file.seek(SeekFrom::Start(offset))?;
    }
    let mut reader = BufReader::with_capacity(1 << 16, file);
    let mut pending_error: Option<io::Error> = None;
    let mut line = Vec::new();
    let mut n = 0usize;
    while next_line(&mut reader, &mut line, path)? {
        n += 1;
        if let Some(e) = pending_error.take() {
            // The bad line was not the last one.
            return Err(e);
        }
        if line.trim_ascii().is_empty() {
            continue;
        }
        match serde_json::from_slice::<JournalRecord>(&line) {
            Ok(r) => {
                if f(r)? == Flow::Stop {
                    break;
                }
            }
            Err(_) if torn == TornLine::Stop => break,
            Err(e) => {
                pending_error = Some(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("{}: line {n} is not a journal record: {e}", path.display(),),
                ))
            }
        }
    }
    Ok(())
}

/// Calls `f` for each record of a whole journal (every run), streaming; a
/// bad line other than the last is an error.
pub fn for_each(path: &Path, mut f: impl FnMut(JournalRecord) -> io::Result<()>) -> io::Result<()> {
    records(path, 0, TornLine::ErrorUnlessLast, |r| {
        f(r)?;
        Ok(Flow::Continue)
    })
}

/// Reads one run's records: those from byte `offset` (where its header was
/// written) up to the next run's header or the end of the file. Returns
/// the run's header; `f` gets every other record. A last line cut short (a
/// crash) is ignored; a bad line anywhere else is an error, so no report is
/// built from part of a damaged journal.
pub fn for_each_from(
    path: &Path,
    offset: u64,
    mut f: impl FnMut(JournalRecord) -> io::Result<()>,
) -> io::Result<Option<RunHeader>> {
    let mut header = None;
    records(path, offset, TornLine::ErrorUnlessLast, |r| match r {
        JournalRecord::Run(_) if header.is_some() => Ok(Flow::Stop),
        JournalRecord::Run(h) => {
            header = Some(h);
            Ok(Flow::Continue)
        }
        r => f(r).map(|()| Flow::Continue),
    })?;
    Ok(header)
}

/// Byte offsets of every run header in a journal, in order; the last is the
/// latest run. Lets a report be rebuilt from a journal after a crash.
pub fn run_offsets(path: &Path) -> io::Result<Vec<u64>> {
    let file = crate::fs::open_regular(path)?;
    let mut reader = BufReader::with_capacity(1 << 16, file);
    let mut offsets = Vec::new();
    let mut pos = 0u64;
    let mut line = Vec::new();
    while next_line(&mut reader, &mut line, path)? {
        if line.starts_with(br#"{"type":"run""#) {
            offsets.push(pos);
        }
        pos += line.len() as u64;
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
