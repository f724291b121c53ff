//! The `run` command, stage by stage: validate and plan, check a resume
//! against the plan, open the journal, build one client per region (or start
//! the embedded emulator), send, then write the report from the journal.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use chrono::Utc;
use tokio::sync::watch;

use crate::cli::{
    EXIT_FAILED, EXIT_INTERRUPTED, EXIT_INVALID, EXIT_OK, Io, PlanFormat, RunArgs, RunFormat,
};
use crate::execute::progress::ProgressReporter;
use crate::execute::{ChatApi, ClientOptions, Engine, SdkChatApi};
use crate::pipeline::{self, Planned};
use crate::plan::Planner;
use crate::report::build::{self, ReportHead};
use crate::report::journal::{FinishRecord, Journal, JournalRecord, RunHeader};
use crate::report::model::{Status, ToolInfo};
use crate::report::render;
use crate::report::resume::ResumeState;

/// How a report file is written, from its extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ReportFormat {
    Json,
    Markdown,
    Junit,
}

fn report_format(path: &Path) -> anyhow::Result<ReportFormat> {
    match path.extension().and_then(|e| e.to_str()) {
        Some("json") => Ok(ReportFormat::Json),
        Some("md" | "markdown") => Ok(ReportFormat::Markdown),
        Some("xml") => Ok(ReportFormat::Junit),
        _ => anyhow::bail!(
            "report file `{}` must end in .json, .md or .xml to choose its format",
            path.display()
        ),
    }
}

/// Runs `run`. `stop` turns true on Ctrl-C or SIGTERM.
pub async fn run(a: &RunArgs, io: &mut Io<'_>, stop: watch::Receiver<bool>) -> anyhow::Result<i32> {
    if a.dry_run {
        let format = match a.format {
            RunFormat::Table => PlanFormat::Table,
            RunFormat::Json => PlanFormat::Json,
            other => {
                writeln!(
                    io.err,
                    "error: --dry-run prints a plan: --format table or json, not {other:?}"
                )?;
                return Ok(EXIT_INVALID);
            }
        };
        return crate::cli::print_plan(&a.input, &a.settings, format, a.diagnostics, io);
    }
    for r in &a.report {
        if let Err(e) = report_format(r) {
            writeln!(io.err, "error: {e}")?;
            return Ok(EXIT_INVALID);
        }
    }

    if a.unchecked_rate.is_some() && !a.local && a.endpoint_url.is_none() {
        writeln!(
            io.err,
            "error: --unchecked-rate is for benchmarks against an emulator: give --local or --endpoint-url"
        )?;
        return Ok(EXIT_INVALID);
    }

    // Validate and plan; nothing is sent from an invalid playbook.
    let checked = pipeline::check_files(&a.input.paths);
    let mut planner = Planner::new(&checked.playbooks, &a.input.var_map());
    let (mut overview, render_diags) = planner.scan(&a.settings.overrides(), |_| {});
    if let Some(rate) = a.unchecked_rate {
        overview.settings.rate = rate;
    }
    let mut diagnostics = checked.diagnostics;
    diagnostics.extend(render_diags);
    pipeline::sort_diagnostics(&mut diagnostics);
    let planned = Planned {
        sources: checked.sources,
        diagnostics,
        plan: None,
        files: checked.files,
    };
    crate::cli::write_diagnostics(&planned, a.diagnostics, false, io)?;
    if planned.has_errors() {
        writeln!(
            io.err,
            "nothing sent: {}",
            crate::cli::summary_line(&planned)
        )?;
        return Ok(EXIT_INVALID);
    }

    // Resume: the plan must be the one the earlier run ran.
    let resume = match &a.resume {
        None => None,
        Some(path) => match ResumeState::load(path) {
            Ok(st) => Some(st),
            Err(e) => {
                writeln!(io.err, "error: cannot resume from {}: {e}", path.display())?;
                return Ok(EXIT_INVALID);
            }
        },
    };
    if let Some(st) = &resume {
        if st.plan_hash != overview.plan_hash && !a.force {
            writeln!(
                io.err,
                "error: the plan changed since {} was written ({} then, {} now).\n\
                 Resuming could skip or repeat the wrong sends. Check the playbooks, or pass --force \
                 to resume anyway (sends whose content is unchanged keep their ids and are skipped).",
                st.source.display(),
                st.plan_hash,
                overview.plan_hash
            )?;
            return Ok(EXIT_INVALID);
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
    }

    // Clients: the embedded emulator, or AWS through the standard chain.
    let regions: Vec<String> = {
        let mut r: Vec<String> = overview
            .summary
            .regions
            .iter()
            .map(|r| r.region.clone())
            .collect();
        r.dedup();
        r
    };
    let mut emulator = None;
    let options = if a.local {
        let config = crate::emulator::EmulatorConfig {
            auto_create_rooms: true,
            ..Default::default()
        };
        let handle = crate::emulator::spawn(config)
            .await
            .context("cannot start the embedded emulator")?;
        writeln!(io.err, "local emulator at {}", handle.endpoint_url())?;
        let cred = &crate::emulator::EmulatorConfig::default().credentials[0];
        let options = ClientOptions {
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
        };
        emulator = Some(handle);
        options
    } else {
        ClientOptions {
            profile: a.profile.clone(),
            region: a.region.clone(),
            fallback_region: None,
            endpoint_url: a.endpoint_url.clone(),
            static_credentials: None,
            connect_timeout: Duration::from_secs(3),
        }
    };
    let sdk = SdkChatApi::new(&regions, &options).await;
    if let Err(e) = sdk.check_credentials().await {
        writeln!(
            io.err,
            "error: no AWS credentials could be loaded, so nothing was sent: {e}\n\
             Configure credentials (environment, --profile, SSO, instance role), or rehearse with --local."
        )?;
        return Ok(EXIT_INVALID);
    }
    let api: Arc<dyn ChatApi> = Arc::new(sdk);

    // The journal: a resumed journal is appended to.
    let journal_path = match (&a.journal, &resume) {
        (Some(p), _) => p.clone(),
        (None, Some(st)) if st.is_journal => st.source.clone(),
        _ => PathBuf::from(format!(
            "ivschat-playbook-{}.journal.jsonl",
            Utc::now().format("%Y%m%dT%H%M%SZ")
        )),
    };
    let offset = std::fs::metadata(&journal_path)
        .map(|m| m.len())
        .unwrap_or(0);
    let journal = Journal::open(&journal_path, !a.no_fsync)
        .with_context(|| format!("cannot open the journal {}", journal_path.display()))?;
    let started_at = Utc::now();
    journal
        .write_durable(&JournalRecord::Run(RunHeader {
            tool: ToolInfo::current().name,
            version: ToolInfo::current().version,
            plan_hash: overview.plan_hash.clone(),
            started_at,
            playbooks: overview.playbooks.clone(),
            settings: overview.settings.clone(),
            sends: overview.summary.sends,
            resumed_from: resume.as_ref().map(|r| r.source.display().to_string()),
        }))
        .await
        .with_context(|| format!("cannot write the journal {}", journal_path.display()))?;
    writeln!(
        io.err,
        "sending {} events to {} rooms in {} account/region(s) at up to {}/s each; journal: {}",
        overview.summary.sends,
        overview.summary.rooms,
        overview.summary.regions.len(),
        overview.settings.rate,
        journal_path.display()
    )?;

    // Send.
    let terminal = std::io::stderr().is_terminal();
    let progress = ProgressReporter::new(
        overview.summary.sends,
        terminal,
        Some(Box::new(std::io::stderr())),
        Duration::from_secs(5),
    );
    let engine = Engine {
        api,
        settings: overview.settings.clone(),
        resume: resume.as_ref(),
        resend_unknown: a.resend_unknown,
        journal: &journal,
        stop,
        progress: &progress,
    };
    let result = engine.run(&planner).await;
    progress.finish();
    let interrupted = matches!(result, Ok(end) if end.interrupted);
    journal.write(&JournalRecord::Finish(FinishRecord {
        at: Utc::now(),
        interrupted,
    }));
    journal
        .close()
        .with_context(|| format!("cannot finish the journal {}", journal_path.display()))?;
    if let Some(h) = emulator {
        let _ = h.shutdown().await;
    }
    if let Err(e) = &result {
        writeln!(io.err, "error: {e}")?;
    }

    // Report, from the journal.
    let head = build::head(&journal_path, offset, Utc::now(), interrupted)
        .with_context(|| format!("cannot read back the journal {}", journal_path.display()))?;
    for path in &a.report {
        write_report(path, &journal_path, offset, &head)
            .with_context(|| format!("cannot write the report {}", path.display()))?;
    }
    match a.format {
        RunFormat::Table => {}
        RunFormat::Json => build::write_json(&journal_path, offset, &head, io.out)?,
        RunFormat::Markdown => render::markdown(&head, &journal_path, offset, io.out)?,
        RunFormat::Junit => render::junit(&head, &journal_path, offset, io.out)?,
    }
    io.err
        .write_all(render::human(&head, &journal_path, offset)?.as_bytes())?;
    let reports: Vec<String> = a.report.iter().map(|p| p.display().to_string()).collect();
    writeln!(
        io.err,
        "journal: {}{}",
        journal_path.display(),
        if reports.is_empty() {
            String::new()
        } else {
            format!("; report: {}", reports.join(", "))
        }
    )?;

    let count = |s: Status| head.summary.counts.get(&s).copied().unwrap_or(0);
    Ok(if result.is_err() {
        EXIT_FAILED
    } else if interrupted {
        EXIT_INTERRUPTED
    } else if count(Status::Failed) + count(Status::Unknown) + count(Status::Planned) > 0 {
        EXIT_FAILED
    } else {
        EXIT_OK
    })
}

/// Runs `report`: rebuilds a run's report from its journal.
pub fn report_command(a: &crate::cli::ReportArgs, io: &mut Io<'_>) -> anyhow::Result<i32> {
    for r in &a.report {
        if let Err(e) = report_format(r) {
            writeln!(io.err, "error: {e}")?;
            return Ok(EXIT_INVALID);
        }
    }
    let offsets = match build::run_offsets(&a.journal) {
        Ok(o) => o,
        Err(e) => {
            writeln!(io.err, "error: cannot read {}: {e}", a.journal.display())?;
            return Ok(EXIT_INVALID);
        }
    };
    let index = if a.run < 0 {
        offsets.len() as i64 + a.run
    } else {
        a.run - 1
    };
    if offsets.is_empty() {
        writeln!(
            io.err,
            "error: {} is not a journal: it has no run header (`{{\"type\":\"run\",...}}`)",
            a.journal.display()
        )?;
        return Ok(EXIT_INVALID);
    }
    let Some(&offset) = usize::try_from(index).ok().and_then(|i| offsets.get(i)) else {
        writeln!(
            io.err,
            "error: {} has {} run(s); there is no run {}",
            a.journal.display(),
            offsets.len(),
            a.run
        )?;
        return Ok(EXIT_INVALID);
    };
    let (ended_at, interrupted) = match build::finish_of(&a.journal, offset)? {
        Some(f) => f,
        None => {
            writeln!(
                io.err,
                "note: this run has no finish record (the process stopped); sends in flight are reported as unknown"
            )?;
            (Utc::now(), true)
        }
    };
    let head = build::head(&a.journal, offset, ended_at, interrupted)?;
    for path in &a.report {
        write_report(path, &a.journal, offset, &head)
            .with_context(|| format!("cannot write the report {}", path.display()))?;
    }
    match a.format {
        crate::cli::ReportFormat::Summary => io
            .out
            .write_all(render::human(&head, &a.journal, offset)?.as_bytes())?,
        crate::cli::ReportFormat::Json => build::write_json(&a.journal, offset, &head, io.out)?,
        crate::cli::ReportFormat::Markdown => render::markdown(&head, &a.journal, offset, io.out)?,
        crate::cli::ReportFormat::Junit => render::junit(&head, &a.journal, offset, io.out)?,
    }
    Ok(EXIT_OK)
}

fn write_report(path: &Path, journal: &Path, offset: u64, head: &ReportHead) -> anyhow::Result<()> {
    let file = std::fs::File::create(path)?;
    let mut w = std::io::BufWriter::new(file);
    match report_format(path)? {
        ReportFormat::Json => build::write_json(journal, offset, head, &mut w)?,
        ReportFormat::Markdown => render::markdown(head, journal, offset, &mut w)?,
        ReportFormat::Junit => render::junit(head, journal, offset, &mut w)?,
    }
    w.flush()?;
    Ok(())
}
