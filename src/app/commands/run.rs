//! `run`: the stages of a real send, each a function: refuse what cannot
//! work (preflight), validate and plan ([`pipeline::scan_files`]), check a
//! resume against the plan, connect (one client per region, or the embedded
//! emulator), open the journal, send, then write the report from the
//! journal. Anything that fails after the journal's run header was written
//! ends with [`Exit::RecordFailed`], never "invalid input": sends may have
//! gone out.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use chrono::Utc;
use clap::{Args, ValueEnum};
use tokio::sync::watch;

use super::plan::{PlanFormat, print_plan};
use super::report::ReportFile;
use super::target::{self, Asked};
use crate::app::args::{InputArgs, SettingsArgs};
use crate::app::exit::{CmdResult, Exit, Failure, OrExit};
use crate::app::io::{Io, summary_line};
use crate::app::signal::shutdown_signal;
use crate::diag::DiagFormat;
use crate::emulator::EmulatorHandle;
use crate::execute::progress::ProgressReporter;
use crate::execute::{ChatApi, ClientOptions, Engine, SdkChatApi};
use crate::journal::resume::ResumeState;
use crate::journal::{FinishRecord, Journal, JournalRecord, RunHeader, Status, Target};
use crate::pipeline;
use crate::plan::ScannedPlan;
use crate::plan::SettingsOverrides;
use crate::report::build;
use crate::report::model::ToolInfo;
use crate::report::render::{self, Format};
use indexmap::IndexMap;

/// `run` options.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Playbooks and variables.
    #[command(flatten)]
    pub input: InputArgs,
    /// Settings that override the playbooks'.
    #[command(flatten)]
    pub settings: SettingsArgs,
    /// Print the plan and send nothing (needs no credentials or network).
    #[arg(long)]
    pub dry_run: bool,
    /// What to print on stdout: with --dry-run the plan (table or json);
    /// otherwise the report (json, markdown or junit), or nothing (table,
    /// the default: a summary goes to stderr either way).
    #[arg(long, value_enum, default_value_t = RunFormat::Table)]
    pub format: RunFormat,
    /// Write the report to FILE, in the format its extension names: .json,
    /// .md (markdown) or .xml (junit). Repeatable.
    #[arg(long, value_name = "FILE")]
    pub report: Vec<PathBuf>,
    /// The journal (JSON lines, appended and made durable as sends start and
    /// end). Default: ivschat-playbook-<time>.journal.jsonl here, or the
    /// journal being resumed.
    #[arg(long, value_name = "FILE")]
    pub journal: Option<PathBuf>,
    /// Skip what an earlier run (its journal or JSON report) records as sent.
    #[arg(long, value_name = "JOURNAL_OR_REPORT")]
    pub resume: Option<PathBuf>,
    /// Resume even though the plan changed since the earlier run.
    #[arg(long, requires = "resume")]
    pub force: bool,
    /// Also re-send sends whose earlier outcome is unknown (they may have
    /// been delivered: chat users may see them twice).
    #[arg(long, requires = "resume")]
    pub resend_unknown: bool,
    /// Send to an emulator started inside this process (rooms created on
    /// first use): a rehearsal that needs no AWS account.
    #[arg(long, conflicts_with_all = ["endpoint_url", "profile"])]
    pub local: bool,
    /// AWS profile from the shared config files.
    #[arg(long, env = "AWS_PROFILE")]
    pub profile: Option<String>,
    /// Region for the SDK's own configuration; rooms are always sent through
    /// the region in their ARN.
    #[arg(long)]
    pub region: Option<String>,
    /// Send to this endpoint instead of AWS (AWS_ENDPOINT_URL_IVSCHAT and
    /// AWS_ENDPOINT_URL are honoured too).
    #[arg(long, value_name = "URL")]
    pub endpoint_url: Option<String>,
    /// Send to AWS without asking first (at a terminal, a run against AWS
    /// says where it sends and asks; runs against --local or an endpoint
    /// never ask).
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Resume, sending the rest somewhere else than the journal recorded
    /// (for example a rehearsal's journal, now against AWS).
    #[arg(long, requires = "resume")]
    pub retarget: bool,
    /// Do not fsync the journal (faster; a power loss may lose its last
    /// lines, a process crash does not).
    #[arg(long)]
    pub no_fsync: bool,
    /// Format of diagnostics, written to stderr.
    #[arg(long, value_enum, default_value_t = DiagFormat::Human)]
    pub diagnostics: DiagFormat,
    /// Benchmarks only: a rate not capped at the SendEvent quota. Allowed
    /// only with --local or --endpoint-url (an emulator), never against AWS.
    #[arg(long, hide = true, value_name = "PER_SECOND")]
    pub unchecked_rate: Option<f64>,
}

/// What `run` prints on stdout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RunFormat {
    /// Dry run: the plan table. Real run: nothing (summary on stderr).
    Table,
    /// Dry run: the plan document. Real run: the JSON report.
    Json,
    /// The report as Markdown (for $GITHUB_STEP_SUMMARY).
    Markdown,
    /// The report as JUnit XML.
    Junit,
}

/// Runs `run`: a dry run prints the plan; otherwise sends until done, or
/// until Ctrl-C or SIGTERM (a second one quits at once).
pub async fn exec(a: &RunArgs, io: &mut Io<'_>) -> CmdResult {
    if a.dry_run {
        let format = match a.format {
            RunFormat::Table => PlanFormat::Table,
            RunFormat::Json => PlanFormat::Json,
            other => {
                return io.refuse(format_args!(
                    "--dry-run prints a plan: --format table or json, not {other:?}"
                ));
            }
        };
        if a.resume.is_some() {
            return resume_dry_run(a, format, io);
        }
        return print_plan(&a.input, &a.settings, format, a.diagnostics, io);
    }
    send(a, io).await
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

/// What a resume will do with the plan's sends: send them, skip them as
/// sent, or hold them back as maybe delivered.
#[derive(Debug, Default)]
struct ResumeTally {
    to_send: usize,
    sent: usize,
    held: usize,
}

impl ResumeTally {
    fn add(&mut self, resume: Option<&ResumeState>, resend_unknown: bool, id: &str) {
        match resume {
            Some(st) if st.sent.contains_key(id) => self.sent += 1,
            Some(st) if st.unknown.contains(id) && !resend_unknown => self.held += 1,
            _ => self.to_send += 1,
        }
    }

    /// Whether the send with `id` goes out in this run.
    fn goes(resume: &ResumeState, resend_unknown: bool, id: &str) -> bool {
        !resume.sent.contains_key(id) && (resend_unknown || !resume.unknown.contains(id))
    }
}

/// `run --resume J --dry-run`: the plan of what the resume would send, and
/// how many sends it skips.
fn resume_dry_run(a: &RunArgs, format: PlanFormat, io: &mut Io<'_>) -> CmdResult {
    let reach = match a.input.reach() {
        Ok(r) => r,
        Err(e) => return io.refuse(e),
    };
    let resume = match load_resume(a, io)? {
        Ok(Some(r)) => r,
        Ok(None) => unreachable!("called with --resume"),
        Err(exit) => return Ok(exit),
    };
    let recorded = resume.header.as_ref();
    let vars = effective_vars(a, recorded);
    let overrides = effective_overrides(a, recorded);
    let planned = pipeline::plan_files(&a.input.paths, reach.as_ref(), &vars, &overrides, true);
    io.diagnostics(&planned.sources, &planned.diagnostics, a.diagnostics, false)?;
    let Some(mut plan) = planned.plan else {
        let line = summary_line(&planned.diagnostics, planned.files);
        return io.end(Exit::Invalid, format_args!("no plan: {line}"));
    };
    if plan.plan_hash != resume.plan_hash && !a.force {
        return io.refuse(format_args!(
            "the plan changed since {} was written; a resume would refuse it (--force resumes anyway)",
            resume.source.display()
        ));
    }
    let total = plan.sends.len();
    plan.sends
        .retain(|s| ResumeTally::goes(&resume, a.resend_unknown, &s.id));
    writeln!(
        io.err,
        "resuming from {} would send {} of {total} sends; the rest are recorded as sent or held back as maybe delivered",
        resume.source.display(),
        plan.sends.len()
    )?;
    match format {
        PlanFormat::Table => crate::plan::render_table(&plan, io.out)?,
        PlanFormat::Json => crate::plan::write_json(&plan, io.out)?,
    }
    Ok(Exit::Ok)
}

/// Everything after the dry-run check.
async fn send(a: &RunArgs, io: &mut Io<'_>) -> CmdResult {
    let reports = match preflight(a) {
        Ok(r) => r,
        Err(e) => return io.refuse(e),
    };
    let reach = match a.input.reach() {
        Ok(r) => r,
        Err(e) => return io.refuse(e),
    };
    // An earlier run comes first: a resume sends the rest with its
    // variables, settings and target.
    let resume = match load_resume(a, io)? {
        Ok(r) => r,
        Err(exit) => return Ok(exit),
    };
    let recorded = resume.as_ref().and_then(|r| r.header.as_ref());
    let vars = effective_vars(a, recorded);
    let (plan, tally) = match plan_run(a, reach.as_ref(), resume.as_ref(), &vars, io)? {
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
    let stop = stop_on_signal();
    let (api, emulator) = match connect(a, &target, &plan, io).await? {
        Ok(c) => c,
        Err(exit) => return Ok(exit),
    };
    let path = journal_path(a, resume.as_ref());
    // Resuming from one journal into another: the one read from must not
    // be resumed by a second run meanwhile either.
    let _source_lock = match resume
        .as_ref()
        .filter(|st| st.is_journal && st.source != path)
    {
        Some(st) => Some(crate::journal::lock(&st.source)?),
        None => None,
    };
    let header = Recorded {
        target: &target,
        vars: &vars,
    };
    let OpenJournal { journal, offset } =
        open_journal(a, &plan, resume.as_ref(), header, &path).await?;
    announce(&plan, &tally, resume.is_some(), &path, io).or_exit(Exit::RecordFailed)?;
    // From here on, sends go out: no failure is "invalid input".
    let sent = deliver(
        a,
        &plan,
        tally.to_send,
        api,
        resume.as_ref(),
        journal,
        &path,
        stop,
    )
    .await;
    if let Some(h) = emulator {
        let _ = h.shutdown().await;
    }
    finish(a, (&path, offset), sent, &reports, io).map_err(|e| {
        Failure::after_send(e.context(format!(
            "the sends went out and the journal {p} has every outcome; rebuild the report with `ivschat-playbook report {p}` (add --report FILE), and continue with `run --resume {p}`, not a fresh run",
            p = path.display()
        )))
    })
}

/// Validates and plans with the run's variables and settings (nothing is
/// sent from an invalid playbook), counts what a resume skips, and checks a
/// resume against the plan. `Err(exit)` is a refusal already written.
fn plan_run(
    a: &RunArgs,
    reach: Option<&crate::fs::Reach>,
    resume: Option<&ResumeState>,
    vars: &IndexMap<String, String>,
    io: &mut Io<'_>,
) -> Result<Result<(ScannedPlan, ResumeTally), Exit>, Failure> {
    let recorded = resume.and_then(|r| r.header.as_ref());
    let mut tally = ResumeTally::default();
    let mut scanned = pipeline::scan_files(
        &a.input.paths,
        reach,
        vars,
        &effective_overrides(a, recorded),
        |send| tally.add(resume, a.resend_unknown, &send.id),
    );
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
    Ok(Ok((plan, tally)))
}

/// The line that starts the sending: how many, where, at what rate, and the
/// journal.
fn announce(
    plan: &ScannedPlan,
    tally: &ResumeTally,
    resuming: bool,
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
    )
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

/// The earlier run's outcomes, when resuming. `Err(exit)` is a refusal
/// already written.
fn load_resume(a: &RunArgs, io: &mut Io<'_>) -> Result<Result<Option<ResumeState>, Exit>, Failure> {
    let Some(path) = &a.resume else {
        return Ok(Ok(None));
    };
    match crate::report::resume::load(path) {
        Ok(st) => Ok(Ok(Some(st))),
        Err(e) => io
            .refuse(format_args!("cannot resume from {}: {e}", path.display()))
            .map(Err),
    }
}

/// The `--var` values: those given, or for a resume given none, those the
/// journal recorded.
fn effective_vars(a: &RunArgs, recorded: Option<&RunHeader>) -> IndexMap<String, String> {
    match recorded {
        Some(h) if a.input.vars.is_empty() => h.vars.clone(),
        _ => a.input.var_map(),
    }
}

/// The settings flags, each one not given taken, for a resume, from the
/// settings the journal recorded.
fn effective_overrides(a: &RunArgs, recorded: Option<&RunHeader>) -> SettingsOverrides {
    let flags = a.settings.overrides();
    match recorded {
        Some(h) => flags.or_from(&h.settings),
        None => flags,
    }
}

/// The plan must be the one the earlier run ran. `Err(exit)` is a refusal
/// already written.
fn check_resume(
    a: &RunArgs,
    st: &ResumeState,
    plan: &ScannedPlan,
    io: &mut Io<'_>,
) -> Result<Result<(), Exit>, Failure> {
    let hash = &plan.overview.plan_hash;
    if st.plan_hash != *hash && !a.force {
        return io
            .refuse(format_args!(
                "the plan changed since {} was written ({} then, {hash} now).\n\
                 Resuming could skip or repeat the wrong sends. Check the playbooks, or pass --force \
                 to resume anyway (sends whose content is unchanged keep their ids and are skipped).",
                st.source.display(),
                st.plan_hash,
            ))
            .map(Err);
    }
    writeln!(
        io.err,
        "resuming from {}: {} sends already sent, {} with unknown outcome{}",
        st.source.display(),
        st.sent.len(),
        st.unknown.len(),
        if st.unknown.is_empty() {
            String::new()
        } else if a.resend_unknown {
            " (re-sent: --resend-unknown)".to_string()
        } else {
            " (not re-sent; they are listed in the report; --resend-unknown sends them again)"
                .to_string()
        }
    )?;
    Ok(Ok(()))
}

/// Where this run sends: the flags', or a resumed journal's.
fn choose_target(
    a: &RunArgs,
    recorded: Option<&RunHeader>,
    plan: &ScannedPlan,
) -> Result<Target, String> {
    let mut accounts: Vec<String> = plan
        .overview
        .summary
        .regions
        .iter()
        .map(|r| r.account.clone())
        .collect();
    accounts.sort();
    accounts.dedup();
    let asked = Asked {
        local: a.local,
        endpoint_url: a.endpoint_url.as_deref(),
        profile: a.profile.as_deref(),
        retarget: a.retarget,
    };
    target::resolve(&asked, recorded.and_then(|h| h.target.as_ref()), &accounts)
}

/// Says where the sends go before any goes; against AWS at a terminal,
/// asks first. `Err(exit)`: not confirmed, nothing sent.
fn say_where(
    a: &RunArgs,
    target: &Target,
    plan: &ScannedPlan,
    io: &mut Io<'_>,
) -> Result<Result<(), Exit>, Failure> {
    let s = &plan.overview.summary;
    let mut regions: Vec<&str> = s.regions.iter().map(|r| r.region.as_str()).collect();
    regions.sort_unstable();
    regions.dedup();
    let line = format!(
        "target: {}; regions {}; {} sends to {} rooms at up to {}/s per account and region",
        target.describe(),
        regions.join(", "),
        s.sends,
        s.rooms,
        plan.overview.settings.rate
    );
    writeln!(io.err, "{line}")?;
    let interactive = std::io::stdin().is_terminal() && std::io::stderr().is_terminal();
    if target::needs_confirmation(target, interactive, a.yes)
        && !target::confirm("Send these events?")?
    {
        return io
            .end(
                Exit::Invalid,
                "nothing sent: not confirmed (--yes skips the question)",
            )
            .map(Err);
    }
    Ok(Ok(()))
}

/// Clients for every region of the plan: the embedded emulator, or AWS
/// through the standard chain, with credentials checked before anything is
/// journaled or sent. `Err(exit)` is a refusal already written.
async fn connect(
    a: &RunArgs,
    target: &Target,
    plan: &ScannedPlan,
    io: &mut Io<'_>,
) -> Result<Result<(Arc<dyn ChatApi>, Option<EmulatorHandle>), Exit>, Failure> {
    let mut regions: Vec<String> = plan
        .overview
        .summary
        .regions
        .iter()
        .map(|r| r.region.clone())
        .collect();
    regions.dedup();
    let mut emulator = None;
    let options = if *target == Target::Local {
        let handle = crate::emulator::spawn(crate::emulator::EmulatorConfig {
            auto_create_rooms: true,
            ..Default::default()
        })
        .await
        .context("cannot start the embedded emulator")?;
        writeln!(io.err, "local emulator at {}", handle.endpoint_url())?;
        let options = local_options(&handle);
        emulator = Some(handle);
        options
    } else {
        let (profile, endpoint_url) = match target {
            Target::Endpoint { url } => (a.profile.clone(), Some(url.clone())),
            Target::Aws { profile, .. } => (profile.clone(), None),
            Target::Local => (None, None),
        };
        ClientOptions {
            profile,
            region: a.region.clone(),
            fallback_region: None,
            endpoint_url,
            static_credentials: None,
            connect_timeout: Duration::from_secs(3),
        }
    };
    let sdk = SdkChatApi::new(&regions, &options).await;
    if let Err(e) = sdk.check_credentials().await {
        return io
            .refuse(format_args!(
                "no AWS credentials could be loaded, so nothing was sent: {e}\n\
                 Configure credentials (environment, --profile, SSO, instance role), or rehearse with --local."
            ))
            .map(Err);
    }
    Ok(Ok((Arc::new(sdk), emulator)))
}

/// Client options for the embedded emulator: its endpoint and its key.
fn local_options(handle: &EmulatorHandle) -> ClientOptions {
    let cred = &crate::emulator::EmulatorConfig::default().credentials[0];
    ClientOptions {
        endpoint_url: Some(handle.endpoint_url()),
        static_credentials: Some(aws_credential_types::Credentials::new(
            cred.access_key_id.clone(),
            cred.secret_access_key.clone(),
            None,
            None,
            "ivschat-playbook-local",
        )),
        connect_timeout: Duration::from_secs(3),
        ..Default::default()
    }
}

/// What the run header records besides the plan: where, and with what.
#[derive(Clone, Copy)]
struct Recorded<'a> {
    target: &'a Target,
    vars: &'a IndexMap<String, String>,
}

/// The journal being written, and where this run's part of it starts.
struct OpenJournal {
    journal: Journal,
    offset: u64,
}

/// Where the journal goes: `--journal`, the journal being resumed, or a new
/// file named by the time.
fn journal_path(a: &RunArgs, resume: Option<&ResumeState>) -> PathBuf {
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
async fn open_journal(
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
        }))
        .await
        .with_context(|| format!("cannot write the journal {}", path.display()))?;
    Ok(OpenJournal { journal, offset })
}

/// How the sending went: interrupted or not, and the engine's error, if any
/// (a journal that could not be written).
struct Sent {
    interrupted: bool,
    error: Option<String>,
    closed: anyhow::Result<()>,
}

/// Sends the plan with progress on stderr, then writes the finish record
/// and closes the journal.
#[allow(clippy::too_many_arguments)] // Each is one thing the send needs.
async fn deliver(
    a: &RunArgs,
    plan: &ScannedPlan,
    to_send: usize,
    api: Arc<dyn ChatApi>,
    resume: Option<&ResumeState>,
    journal: Journal,
    path: &Path,
    stop: watch::Receiver<bool>,
) -> Sent {
    let o = &plan.overview;
    let progress = ProgressReporter::new(
        to_send,
        std::io::stderr().is_terminal(),
        Some(Box::new(std::io::stderr())),
        Duration::from_secs(5),
    );
    let engine = Engine {
        api,
        settings: o.settings.clone(),
        resume,
        resend_unknown: a.resend_unknown,
        journal: &journal,
        stop,
        progress: &progress,
    };
    let result = engine.run(plan).await;
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

/// Writes the reports from the journal and the summary, and chooses the
/// exit status from what the journal records.
fn finish(
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
    } else if count(Status::Failed) + count(Status::Unknown) + count(Status::Planned) > 0 {
        Exit::Failed
    } else {
        Exit::Ok
    })
}
