//! The journaled part of `run`: open the journal and write its run header,
//! send through the engine with progress, then write the reports from the
//! journal and choose the exit status from what it records.

use std::collections::HashSet;
use std::io::{IsTerminal, Write as _};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use chrono::Utc;
use indexmap::IndexMap;
use tokio::sync::{mpsc, watch};

use super::super::report::ReportFile;
use super::args::{RunArgs, RunFormat};
use super::verify::Watching;
use crate::app::exit::{Exit, Failure};
use crate::app::io::Io;
use crate::chat::Note;
use crate::chat::verify::{self, Verifier, VerifyProgress};
use crate::execute::engine::JournalFailed;
use crate::execute::progress::ProgressReporter;
use crate::execute::{ChatApi, Engine, LoopEnd};
use crate::journal::resume::ResumeState;
use crate::journal::{FinishRecord, Journal, JournalRecord, RunHeader, RunLimit, Status, Target};
use crate::plan::ScannedPlan;
use crate::report::build;
use crate::report::model::ToolInfo;
use crate::report::render::{self, Format};

/// What the run header records besides the plan: where, and with what.
#[derive(Clone)]
pub(super) struct Recorded<'a> {
    pub(super) target: &'a Target,
    pub(super) vars: &'a IndexMap<String, String>,
    pub(super) limit: Option<&'a RunLimit>,
    pub(super) verify: Option<crate::journal::VerifySettings>,
}

/// The journal being written, and where this run's part of it starts.
pub(super) struct OpenJournal {
    pub(super) journal: Journal,
    pub(super) offset: u64,
}

/// Where the journal goes: `--journal`, the journal being resumed, or a new
/// file named by the time.
pub(super) fn journal_path(a: &RunArgs, resume: Option<&ResumeState>) -> PathBuf {
    match (&a.journal, resume) {
        (Some(p), _) => p.clone(),
        (None, Some(st)) if st.is_journal => st.source.clone(),
        _ => PathBuf::from(format!(
            "ivschat-playbook-{}.journal.jsonl",
            Utc::now().format("%Y%m%dT%H%M%SZ")
        )),
    }
}

/// Opens the journal (a resumed journal is appended to) and writes, durably,
/// the run header. After this, failures are failures of a record.
pub(super) async fn open_journal(
    a: &RunArgs,
    plan: &ScannedPlan,
    resume: Option<&ResumeState>,
    recorded: Recorded<'_>,
    path: &Path,
) -> Result<OpenJournal, Failure> {
    let journal = Journal::open(path, !a.no_fsync)
        .with_context(|| format!("cannot open the journal {}", path.display()))?;
    // After a torn last line was cut: where this run's header goes.
    let offset = journal.start();
    let o = &plan.overview;
    journal
        .write_durable(&JournalRecord::Run(RunHeader {
            tool: ToolInfo::current().name,
            version: ToolInfo::current().version,
            plan_hash: o.plan_hash.clone(),
            started_at: Utc::now(),
            playbooks: o.playbooks.clone(),
            settings: o.settings.clone(),
            sends: o.summary.sends,
            resumed_from: resume.map(|r| r.source.display().to_string()),
            target: Some(recorded.target.clone()),
            vars: recorded.vars.clone(),
            verify: recorded.verify,
            limit: recorded.limit.cloned(),
            timeline: o.timeline.clone(),
            grace_ms: a.settings.grace.map(|d| d.as_millis() as u64).or(resume
                .and_then(|r| r.header.as_ref())
                .and_then(|h| h.grace_ms)),
        }))
        .await
        .with_context(|| format!("cannot write the journal {}", path.display()))?;
    crate::app::exit::sends_may_go_out();
    Ok(OpenJournal { journal, offset })
}

/// How the sending went: interrupted or not, and the engine's error, if any
/// (a journal that could not be written).
pub(super) struct Sent {
    interrupted: bool,
    error: Option<String>,
    closed: anyhow::Result<()>,
}

/// Sends the plan with progress on stderr, then writes the finish record
/// and closes the journal.
#[allow(clippy::too_many_arguments)] // Each is one thing the send needs.
pub(super) async fn deliver(
    a: &RunArgs,
    plan: &ScannedPlan,
    to_send: usize,
    api: Arc<dyn ChatApi>,
    resume: Option<&ResumeState>,
    journal: Journal,
    path: &Path,
    (stop, limit): (watch::Receiver<bool>, Option<&HashSet<String>>),
    watching: Option<&mut Watching>,
) -> Sent {
    let o = &plan.overview;
    let progress = ProgressReporter::new(
        to_send,
        std::io::stderr().is_terminal(),
        Some(Box::new(std::io::stderr())),
        Duration::from_secs(5),
    );
    // The verifier is shared with the engine's progress; the notes are
    // read by the matching loop.
    let watching = watching.map(|w| (&w.verifier, &mut w.notes, w.timeout));
    let verifying = watching.as_ref().map(|(verifier, _, _)| VerifyProgress {
        inner: &progress,
        verifier,
        journal: &journal,
    });
    let engine = Engine {
        api,
        settings: o.settings.clone(),
        resume,
        resend_unknown: a.resend_unknown,
        journal: &journal,
        stop: stop.clone(),
        progress: match &verifying {
            Some(v) => v,
            None => &progress,
        },
        limit,
        late: a.late.into(),
    };
    let result = match watching {
        None => engine.run(plan).await,
        Some(w) => send_verified(&engine, plan, w, &journal, stop).await,
    };
    progress.finish();
    let interrupted = matches!(result, Ok(end) if end.interrupted);
    journal.write(&JournalRecord::Finish(FinishRecord {
        at: Utc::now(),
        interrupted,
    }));
    let closed = journal
        .close()
        .with_context(|| format!("cannot finish the journal {}", path.display()));
    Sent {
        interrupted,
        error: result.err().map(|e| e.to_string()),
        closed,
    }
}

/// Sends while the watched rooms' frames are matched with the sends; after
/// the last send, waits up to the verify timeout for the rest (not when
/// the run is stopped: then what was not seen yet stays unverified).
async fn send_verified(
    engine: &Engine<'_>,
    plan: &ScannedPlan,
    (verifier, notes, timeout): (&Verifier, &mut mpsc::Receiver<Note>, Duration),
    journal: &Journal,
    mut stop: watch::Receiver<bool>,
) -> Result<LoopEnd, JournalFailed> {
    let (done_tx, done) = watch::channel(false);
    let sending = async {
        let r = engine.run(plan).await;
        let _ = done_tx.send(true);
        r
    };
    let looking = async {
        tokio::select! {
            lost = verify::collect(verifier, notes, journal, done, timeout) => lost,
            _ = stop.wait_for(|s| *s) => Vec::new(),
        }
    };
    let (result, lost) = tokio::join!(sending, looking);
    let mut err = std::io::stderr();
    for (room, why) in lost.iter().take(10) {
        let _ = writeln!(err, "verify: stopped watching {room}: {why}");
    }
    if lost.len() > 10 {
        let _ = writeln!(err, "verify: ... and {} more rooms", lost.len() - 10);
    }
    result
}

/// Writes the reports from the journal and the summary, and chooses the
/// exit status from what the journal records.
pub(super) fn finish(
    a: &RunArgs,
    (path, offset): (&Path, u64),
    sent: Sent,
    reports: &[ReportFile],
    io: &mut Io<'_>,
) -> anyhow::Result<Exit> {
    sent.closed?;
    if let Some(e) = &sent.error {
        writeln!(io.err, "error: {e}")?;
    }
    let head = build::head(path, offset, Utc::now(), sent.interrupted)
        .with_context(|| format!("cannot read back the journal {}", path.display()))?;
    for r in reports {
        r.write(path, offset, &head)?;
    }
    let format = match a.format {
        RunFormat::Table => None,
        RunFormat::Json => Some(Format::Json),
        RunFormat::Markdown => Some(Format::Markdown),
        RunFormat::Junit => Some(Format::Junit),
    };
    if let Some(format) = format {
        render::write(format, &head, path, offset, io.out)?;
    }
    io.err
        .write_all(render::human(&head, path, offset)?.as_bytes())?;
    let reports: Vec<String> = a.report.iter().map(|p| p.display().to_string()).collect();
    writeln!(
        io.err,
        "journal: {}{}",
        path.display(),
        if reports.is_empty() {
            String::new()
        } else {
            format!("; report: {}", reports.join(", "))
        }
    )?;
    // Results on stdout are records too: a failure to deliver them is found
    // here, with the sends behind it, not at the process's last flush.
    io.out.flush()?;
    let count = |s: Status| head.summary.counts.get(&s).copied().unwrap_or(0);
    Ok(if sent.error.is_some() {
        Exit::Failed
    } else if sent.interrupted {
        Exit::Interrupted
    } else if count(Status::Failed)
        + count(Status::Unknown)
        + count(Status::Planned)
        + count(Status::Late)
        > 0
    {
        Exit::Failed
    } else if head.summary.verify.as_ref().is_some_and(|v| v.not_seen > 0) {
        // Sent, and not seen arriving: the run did not do what it is for.
        Exit::Failed
    } else {
        Exit::Ok
    })
}
