//! `run`: the stages of a real send, each a function: refuse what cannot
//! work (preflight), check the lock files of `discover:` selectors against
//! the service ([`locks`]), validate and plan ([`pipeline::scan_files`]), check a
//! resume against the plan, connect (one client per region, or the embedded
//! emulator), open the journal, send, then write the report from the
//! journal. Anything that fails after the journal's run header was written
//! ends with [`Exit::RecordFailed`], never "invalid input": sends may have
//! gone out.

mod args;
mod connect;
mod deliver;
mod limit;
mod locks;
mod resume;
mod verify;

use std::path::Path;

use indexmap::IndexMap;
use tokio::sync::watch;

pub use args::{RunArgs, RunFormat, VerifyScope};
pub(super) use connect::local_options;
use connect::{choose_target, connect, say_where};
use deliver::{OpenJournal, Recorded, deliver, finish, journal_path, open_journal};
use limit::{Limited, apply_limit};
use locks::check_locks;
use resume::{
    ResumeTally, check_resume, effective_overrides, effective_vars, load_resume, resume_dry_run,
};

use super::plan::{Choice, PlanFormat, print_plan};
use super::report::ReportFile;
use crate::app::exit::{CmdResult, Exit, Failure, OrExit};
use crate::app::io::{Io, summary_line};
use crate::app::signal::shutdown_signal;
use crate::journal::resume::ResumeState;
use crate::pipeline;
use crate::plan::ScannedPlan;

/// Runs `run`: a dry run prints the plan; otherwise sends until done, or
/// until Ctrl-C or SIGTERM (a second one quits at once).
pub fn exec(a: &RunArgs, io: &mut Io<'_>) -> CmdResult {
    if a.dry_run {
        let format = match a.format {
            RunFormat::Table => PlanFormat::Table,
            RunFormat::Json => PlanFormat::Json,
            RunFormat::Markdown => PlanFormat::Markdown,
            other => {
                return io.refuse(format_args!(
                    "--dry-run prints a plan: --format table, json or markdown, not {other:?}"
                ));
            }
        };
        if a.resume.is_some() {
            return resume_dry_run(a, format, io);
        }
        let remote = super::preflight::RemoteArgs::default();
        let choice = Choice {
            limit: &a.limit,
            remote: &remote,
        };
        return print_plan(&a.input, &a.settings, choice, format, a.diagnostics, io);
    }
    send(a, io)
}

/// Ctrl-C and SIGTERM from now on: the first stops new sends (`stop`
/// turns true), a second quits at once. Installed only once the playbooks
/// are read, so until then either signal ends the process as usual.
fn stop_on_signal() -> watch::Receiver<bool> {
    let (stop_tx, stop) = watch::channel(false);
    tokio::spawn(async move {
        shutdown_signal().await;
        eprintln!(
            "stopping: no new sends start; waiting for those in flight (Ctrl-C again to quit at once)"
        );
        let _ = stop_tx.send(true);
        shutdown_signal().await;
        eprintln!("quitting; the journal has every outcome so far");
        std::process::exit(i32::from(Exit::Interrupted.code()));
    });
    stop
}

/// Everything after the dry-run check.
/// Everything up to the plan runs without the sending runtime, which is
/// then sized to the plan ([`crate::app::runtime_for_rate`]).
fn send(a: &RunArgs, io: &mut Io<'_>) -> CmdResult {
    let reports = match preflight(a) {
        Ok(r) => r,
        Err(e) => return io.refuse(e),
    };
    let reach = match a.input.reach() {
        Ok(r) => r,
        Err(e) => return io.refuse(e),
    };
    // Discovered rooms: what the locks pin must still be what the service
    // has, before anything else. A few listing calls: a runtime of one
    // thread, for them alone.
    let checked = crate::app::runtime_for_rate(0.0)?.block_on(check_locks(a, reach.as_ref(), io));
    if let Err(exit) = checked? {
        return Ok(exit);
    }
    // An earlier run comes first: a resume sends the rest with its
    // variables, settings and target.
    let resume = match load_resume(a, io)? {
        Ok(r) => r,
        Err(exit) => return Ok(exit),
    };
    let recorded = resume.as_ref().and_then(|r| r.header.as_ref());
    let vars = effective_vars(a, recorded);
    let (plan, tally, limited) = match plan_run(a, reach.as_ref(), resume.as_ref(), &vars, io)? {
        Ok(p) => p,
        Err(exit) => return Ok(exit),
    };
    let target = match choose_target(a, recorded, &plan) {
        Ok(t) => t,
        Err(e) => return io.refuse(e),
    };
    if let Err(exit) = say_where(a, &target, &plan, io)? {
        return Ok(exit);
    }
    let rate = plan.overview.settings.rate * plan.overview.summary.regions.len() as f64;
    let planned = Planned {
        reports,
        resume,
        vars,
        plan,
        tally,
        limited,
        target,
    };
    crate::app::runtime_for_rate(rate)?.block_on(send_planned(a, planned, io))
}

/// What [`send`] has before it connects: the plan and all that decides how
/// it is sent.
struct Planned {
    reports: Vec<ReportFile>,
    resume: Option<ResumeState>,
    vars: IndexMap<String, String>,
    plan: ScannedPlan,
    tally: ResumeTally,
    limited: Option<Limited>,
    target: crate::journal::Target,
}

/// Connects, opens the journal, sends and writes the reports.
async fn send_planned(a: &RunArgs, p: Planned, io: &mut Io<'_>) -> CmdResult {
    let stop = stop_on_signal();
    let connected = match connect(a, &p.target, &p.plan, io).await? {
        Ok(c) => c,
        Err(exit) => return Ok(exit),
    };
    let emulator = connected.emulator;
    // Subscribed before anything is journaled: the header says what is
    // watched, and no event goes out before its room is watched.
    let mut watching = verify::subscribe(
        a,
        (&p.plan, p.limited.as_ref().map(|l| &l.arns)),
        connected.clients,
        connected.edge,
        io,
    )
    .await?;
    let path = journal_path(a, p.resume.as_ref());
    // Resuming from one journal into another: the one read from must not
    // be resumed by a second run meanwhile either.
    let _source_lock = match p
        .resume
        .as_ref()
        .filter(|st| st.is_journal && st.source != path)
    {
        Some(st) => Some(crate::journal::lock(&st.source)?),
        None => None,
    };
    let header = Recorded {
        target: &p.target,
        vars: &p.vars,
        verify: watching.as_ref().map(|w| w.settings.clone()),
        limit: p.limited.as_ref().map(|l| &l.record),
    };
    let OpenJournal { journal, offset } =
        open_journal(a, &p.plan, p.resume.as_ref(), header, &path).await?;
    let late_send = a.late == args::Late::Send;
    announce(
        &p.plan,
        &p.tally,
        (p.resume.is_some(), late_send),
        &path,
        io,
    )
    .or_exit(Exit::RecordFailed)?;
    // From here on, sends go out: no failure is "invalid input".
    let sent = deliver(
        a,
        &p.plan,
        p.tally.to_send,
        connected.api,
        p.resume.as_ref(),
        journal,
        &path,
        (stop, p.limited.as_ref().map(|l| &l.arns)),
        watching.as_mut(),
    )
    .await;
    if let Some(h) = emulator {
        let _ = h.shutdown().await;
    }
    finish(a, (&path, offset), sent, &p.reports, io).map_err(|e| {
        Failure::after_send(e.context(format!(
            "the sends went out and the journal {p} has every outcome; rebuild the report with `ivschat-playbook report {p}` (add --report FILE), and continue with `run --resume {p}`, not a fresh run",
            p = path.display()
        )))
    })
}

/// What [`plan_run`] gives: the plan, what a resume skips of it, and the
/// rooms of a `--limit`.
type PlannedRun = (ScannedPlan, ResumeTally, Option<Limited>);

/// Validates and plans with the run's variables and settings (nothing is
/// sent from an invalid playbook), counts what a resume skips, and checks a
/// resume against the plan. `Err(exit)` is a refusal already written.
fn plan_run(
    a: &RunArgs,
    reach: Option<&crate::fs::Reach>,
    resume: Option<&ResumeState>,
    vars: &IndexMap<String, String>,
    io: &mut Io<'_>,
) -> Result<Result<PlannedRun, Exit>, Failure> {
    let mut tally = ResumeTally::default();
    let overrides = match effective_overrides(a, resume) {
        Ok(o) => o,
        Err(e) => return io.refuse(e).map(Err),
    };
    let mut scanned = pipeline::scan_files(&a.input.paths, reach, vars, &overrides, |send| {
        tally.add(resume, a.resend_unknown, send.id())
    });
    if let Some(rate) = a.unchecked_rate {
        scanned.plan.overview.settings.rate = rate;
    }
    io.diagnostics(&scanned.sources, &scanned.diagnostics, a.diagnostics, false)?;
    if scanned.has_errors() {
        let line = summary_line(&scanned.diagnostics, scanned.files);
        return io
            .end(Exit::Invalid, format_args!("nothing sent: {line}"))
            .map(Err);
    }
    let plan = scanned.plan;
    if let Some(st) = resume
        && let Err(exit) = check_resume(a, st, &plan, io)?
    {
        return Ok(Err(exit));
    }
    let limited = match apply_limit(a, &plan, resume, &mut tally, io)? {
        Ok(l) => l,
        Err(exit) => return Ok(Err(exit)),
    };
    Ok(Ok((plan, tally, limited)))
}

/// The line that starts the sending: how many, where, at what rate, and the
/// journal.
fn announce(
    plan: &ScannedPlan,
    tally: &ResumeTally,
    (resuming, late_send): (bool, bool),
    path: &Path,
    io: &mut Io<'_>,
) -> std::io::Result<()> {
    let s = &plan.overview.summary;
    let of = if resuming {
        format!(
            "{} of {} events ({} already sent, {} with an unknown outcome held back)",
            tally.to_send, s.sends, tally.sent, tally.held
        )
    } else {
        format!("{} events", s.sends)
    };
    writeln!(
        io.err,
        "sending {of} to {} rooms in {} account/region(s) at up to {}/s each; journal: {}",
        s.rooms,
        s.regions.len(),
        plan.overview.settings.rate,
        path.display()
    )?;
    if let Some(t) = &plan.overview.timeline {
        let timed: Vec<_> = t.steps.iter().filter_map(|s| s.at).collect();
        let (Some(first), Some(last)) = (timed.iter().min(), timed.iter().max()) else {
            return Ok(());
        };
        use crate::plan::timeline::rfc3339;
        writeln!(
            io.err,
            "timeline: {} steps from {} to {}, anchor {} ({}); a step more than its grace late is {}",
            t.steps.len(),
            rfc3339(*first),
            rfc3339(*last),
            rfc3339(t.anchor),
            match t.anchor_from {
                crate::plan::AnchorSource::Flag => "--at",
                crate::plan::AnchorSource::Settings => "settings.at",
                crate::plan::AnchorSource::Journal => "kept from the journal",
                crate::plan::AnchorSource::EarliestStep => "the earliest step starts now",
            },
            if late_send {
                "sent anyway (--late send)"
            } else {
                "skipped as late"
            }
        )?;
    }
    Ok(())
}

/// What can be refused before reading a playbook: report file names, and
/// `--unchecked-rate` anywhere but an emulator.
fn preflight(a: &RunArgs) -> anyhow::Result<Vec<ReportFile>> {
    let reports = ReportFile::all(&a.report)?;
    // A report that cannot be written is found now, not after every event
    // went out.
    for r in &reports {
        r.check_writable()?;
    }
    if a.unchecked_rate.is_some() && !a.local && a.endpoint_url.is_none() {
        anyhow::bail!(
            "--unchecked-rate is for benchmarks against an emulator: give --local or --endpoint-url"
        );
    }
    Ok(reports)
}
