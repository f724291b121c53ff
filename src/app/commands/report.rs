//! `report`: rebuild a run's report from its journal; and the report files
//! every command that reports writes (`--report FILE`, format by extension).

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use chrono::Utc;
use clap::{Args, Subcommand, ValueEnum};

use crate::app::exit::{CmdResult, Exit};
use crate::app::io::Io;
use crate::journal::resume::ResumeState;
use crate::journal::{Journal, JournalRecord, ResolveRecord};
use crate::pipeline;
use crate::plan::SettingsOverrides;
use crate::report::build::{self, ReportHead};
use crate::report::render::{self, Format};

/// `report` options.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct ReportArgs {
    /// Something else than rebuilding a report.
    #[command(subcommand)]
    pub action: Option<ReportAction>,
    /// The journal a run wrote.
    #[arg(value_name = "JOURNAL", required = true)]
    pub journal: Option<PathBuf>,
    /// Which run of the journal (a resumed run appends one): 1 is the first,
    /// -1 (the default) the last.
    #[arg(long, default_value_t = -1, allow_negative_numbers = true)]
    pub run: i64,
    /// What to print on stdout.
    #[arg(long, value_enum, default_value_t = ReportOutput::Summary)]
    pub format: ReportOutput,
    /// Also write the report to FILE (.json, .md or .xml). Repeatable.
    #[arg(long, value_name = "FILE")]
    pub report: Vec<PathBuf>,
}

/// `report` subcommands.
#[derive(Debug, Subcommand)]
pub enum ReportAction {
    /// Record what you found out about sends whose outcome is unknown:
    /// they arrived (a resume treats them as sent) or did not (a resume
    /// sends them). Appended to the journal.
    Resolve(ResolveArgs),
}

/// `report resolve` options.
#[derive(Debug, Args)]
pub struct ResolveArgs {
    /// The journal.
    #[arg(value_name = "JOURNAL")]
    pub journal: PathBuf,
    /// Send ids that did arrive.
    #[arg(long, value_name = "ID", num_args = 1..)]
    pub delivered: Vec<String>,
    /// Send ids that did not arrive.
    #[arg(long = "not-delivered", value_name = "ID", num_args = 1..)]
    pub not_delivered: Vec<String>,
}

/// How `report` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportOutput {
    /// The human summary.
    Summary,
    /// The JSON report.
    Json,
    /// Markdown.
    Markdown,
    /// JUnit XML.
    Junit,
}

impl ReportOutput {
    /// The report format, or `None` for the human summary.
    fn report(self) -> Option<Format> {
        match self {
            ReportOutput::Summary => None,
            ReportOutput::Json => Some(Format::Json),
            ReportOutput::Markdown => Some(Format::Markdown),
            ReportOutput::Junit => Some(Format::Junit),
        }
    }
}

/// A `--report FILE`: where, and in which format its extension names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportFile {
    /// The path.
    pub path: PathBuf,
    format: Format,
}

impl ReportFile {
    /// The report file at `path`, refused unless it ends in .json, .md or
    /// .xml.
    pub fn new(path: &Path) -> anyhow::Result<ReportFile> {
        let format = match path.extension().and_then(|e| e.to_str()) {
            Some("json") => Format::Json,
            Some("md" | "markdown") => Format::Markdown,
            Some("xml") => Format::Junit,
            _ => anyhow::bail!(
                "report file `{}` must end in .json, .md or .xml to choose its format",
                path.display()
            ),
        };
        Ok(ReportFile {
            path: path.to_path_buf(),
            format,
        })
    }

    /// Checks, without leaving anything behind, that the file can be
    /// written: its folder exists and takes a new file.
    pub fn check_writable(&self) -> anyhow::Result<()> {
        let dir = match self.path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        let probe = dir.join(format!(".ivschat-playbook-probe-{}", std::process::id()));
        let cannot = |e: std::io::Error| {
            anyhow::anyhow!("cannot write the report {}: {e}", self.path.display())
        };
        if self.path.is_dir() {
            anyhow::bail!(
                "cannot write the report {}: it is a folder",
                self.path.display()
            );
        }
        std::fs::File::create(&probe).map_err(cannot)?;
        let _ = std::fs::remove_file(&probe);
        Ok(())
    }

    /// Every `--report` path, or the first one refused.
    pub fn all(paths: &[PathBuf]) -> anyhow::Result<Vec<ReportFile>> {
        paths.iter().map(|p| ReportFile::new(p)).collect()
    }

    /// Writes the report of the run at `offset` of `journal`.
    pub fn write(&self, journal: &Path, offset: u64, head: &ReportHead) -> anyhow::Result<()> {
        let write = || -> anyhow::Result<()> {
            let file = std::fs::File::create(&self.path)?;
            let mut w = std::io::BufWriter::new(file);
            render::write(self.format, head, journal, offset, &mut w)?;
            w.flush()?;
            Ok(())
        };
        write().with_context(|| format!("cannot write the report {}", self.path.display()))
    }
}

/// A killed run left sends with no record: lists them from the plan made
/// again from the recorded playbooks and variables, when that plan is the
/// run's (same hash); otherwise says they are counted but not listed.
fn list_unreached(head: &mut ReportHead, io: &mut Io<'_>) -> std::io::Result<()> {
    let paths: Vec<PathBuf> = head
        .playbooks
        .iter()
        .map(|p| PathBuf::from(&p.path))
        .collect();
    let overrides = SettingsOverrides::default().or_from(&head.settings);
    let planned = pipeline::plan_files(&paths, None, &head.vars, &overrides, true);
    match planned.plan {
        Some(plan) if plan.overview.plan_hash == head.plan_hash => {
            head.list_unreached(plan.sends);
            Ok(())
        }
        _ => writeln!(
            io.err,
            "note: {} sends the run never reached are counted as not attempted but not listed: the playbooks no longer make the run's plan",
            head.unreached
        ),
    }
}

/// Runs `report resolve`: checks that every id names a send whose outcome
/// is unknown, then appends what was found out to the journal.
fn resolve(a: &ResolveArgs, io: &mut Io<'_>) -> CmdResult {
    if a.delivered.is_empty() && a.not_delivered.is_empty() {
        return io.refuse("give --delivered ID... or --not-delivered ID...");
    }
    let st = match ResumeState::from_journal(&a.journal) {
        Ok(st) => st,
        Err(e) => return io.refuse(format_args!("cannot read {}: {e}", a.journal.display())),
    };
    let all = a.delivered.iter().chain(&a.not_delivered);
    if let Some(id) = all.clone().find(|id| !st.unknown.contains(id.as_str())) {
        return io.refuse(format_args!(
            "`{id}` is not a send whose outcome is unknown in {}",
            a.journal.display()
        ));
    }
    let journal = Journal::open(&a.journal, true)?;
    let at = Utc::now();
    for (ids, delivered) in [(&a.delivered, true), (&a.not_delivered, false)] {
        for id in ids {
            journal.write(&JournalRecord::Resolve(ResolveRecord {
                id: id.clone(),
                delivered,
                at,
            }));
        }
    }
    journal.close()?;
    writeln!(
        io.err,
        "recorded in {}: {} delivered, {} not delivered (a resume sends those)",
        a.journal.display(),
        a.delivered.len(),
        a.not_delivered.len()
    )?;
    Ok(Exit::Ok)
}

/// Runs `report`: rebuilds a run's report from its journal.
pub fn exec(a: &ReportArgs, io: &mut Io<'_>) -> CmdResult {
    if let Some(ReportAction::Resolve(r)) = &a.action {
        return resolve(r, io);
    }
    let Some(journal) = &a.journal else {
        return io.refuse("give the JOURNAL a run wrote");
    };
    rebuild(a, journal, io)
}

/// Rebuilds the report of one run of `journal`.
fn rebuild(a: &ReportArgs, journal: &Path, io: &mut Io<'_>) -> CmdResult {
    let files = match ReportFile::all(&a.report) {
        Ok(f) => f,
        Err(e) => return io.refuse(e),
    };
    let offsets = match crate::journal::run_offsets(journal) {
        Ok(o) => o,
        Err(e) => return io.refuse(format_args!("cannot read {}: {e}", journal.display())),
    };
    if offsets.is_empty() {
        return io.refuse(format_args!(
            "{} is not a journal: it has no run header (`{{\"type\":\"run\",...}}`)",
            journal.display()
        ));
    }
    let index = if a.run < 0 {
        offsets.len() as i64 + a.run
    } else {
        a.run - 1
    };
    let Some(&offset) = usize::try_from(index).ok().and_then(|i| offsets.get(i)) else {
        return io.refuse(format_args!(
            "{} has {} run(s); there is no run {}",
            journal.display(),
            offsets.len(),
            a.run
        ));
    };
    let (ended_at, interrupted) = match crate::journal::finish_of(journal, offset)? {
        Some(f) => f,
        None => {
            writeln!(
                io.err,
                "note: this run has no finish record (the process stopped); sends in flight are reported as unknown"
            )?;
            (Utc::now(), true)
        }
    };
    let mut head = build::head(journal, offset, ended_at, interrupted)?;
    if head.unreached > 0 {
        list_unreached(&mut head, io)?;
    }
    for f in &files {
        f.write(journal, offset, &head)?;
    }
    match a.format.report() {
        None => io
            .out
            .write_all(render::human(&head, journal, offset)?.as_bytes())?,
        Some(format) => render::write(format, &head, journal, offset, io.out)?,
    }
    Ok(Exit::Ok)
}
