//! Where `run --resume` reads an earlier run from: its journal (JSON lines)
//! or its JSON report, told apart by their first bytes.

use std::io;
use std::path::Path;

use super::model::Report;
use crate::journal::resume::ResumeState;

/// The largest JSON report read back: about four million sends.
const MAX_REPORT_BYTES: u64 = 2 << 30;

/// Reads a journal (JSON lines) or a report (one JSON document).
pub fn load(path: &Path) -> io::Result<ResumeState> {
    let text_start = {
        use std::io::Read;
        let mut f = crate::fs::open_regular(path)?;
        let mut buf = [0u8; 64];
        let n = f.read(&mut buf)?;
        String::from_utf8_lossy(&buf[..n]).into_owned()
    };
    if text_start.trim_start().starts_with(r#"{"type":"#) {
        ResumeState::from_journal(path)
    } else {
        from_report(path)
    }
}

fn from_report(path: &Path) -> io::Result<ResumeState> {
    let bytes = crate::fs::read_bounded(path, MAX_REPORT_BYTES)?;
    let text = String::from_utf8(bytes)
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e.to_string()))?;
    let report: Report = serde_json::from_str(&text).map_err(|e| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "{} is neither a journal nor a JSON report: {e}",
                path.display()
            ),
        )
    })?;
    let mut st = ResumeState {
        source: path.to_path_buf(),
        plan_hash: report.head.plan_hash,
        anchor: report.head.timeline.as_ref().map(|t| t.anchor),
        ..Default::default()
    };
    for s in report.sends {
        st.apply(&s.id, s.outcome.status, s.outcome.message_id);
    }
    Ok(st)
}
