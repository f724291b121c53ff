//! The command line: clap definitions and what each command does.
//!
//! Commands write results to `out` (stdout) and diagnostics, logs and
//! summaries to `err` (stderr); the binary passes the real streams and tests
//! pass buffers. Each returns the process exit code:
//! 0 success, 1 some sends failed, 2 invalid input or usage, 130 interrupted.

use std::io::Write;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use indexmap::IndexMap;

use crate::diag::{self, DiagFormat};
use crate::pipeline::{self, Planned};
use crate::plan::{self, SettingsOverrides};
use crate::schema::SchemaKind;

/// Exit code: everything worked.
pub const EXIT_OK: i32 = 0;
/// Exit code: some sends failed.
pub const EXIT_FAILED: i32 = 1;
/// Exit code: invalid input or usage.
pub const EXIT_INVALID: i32 = 2;
/// Exit code: interrupted.
pub const EXIT_INTERRUPTED: i32 = 130;

/// Declarative batch sender for Amazon IVS Chat SendEvent.
#[derive(Debug, Parser)]
#[command(name = "ivschat-playbook", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
    /// When to colour output: auto (a terminal without NO_COLOR), always, never.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// More log output on stderr (-v info, -vv debug, -vvv trace). RUST_LOG
    /// overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

/// When to colour output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// Colour when stderr is a terminal and NO_COLOR is not set.
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

impl ColorChoice {
    /// Whether to colour, given whether the stream is a terminal.
    pub fn enabled(self, is_terminal: bool) -> bool {
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                is_terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
            }
        }
    }
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check playbooks against the schema and the service's rules; report
    /// every problem with file:line:col. Exit 0 valid, 2 invalid.
    Validate(ValidateArgs),
    /// Show every send a run would make, with rendered attributes, without
    /// sending anything or needing credentials.
    Plan(PlanArgs),
    /// Send the events: concurrently, rate-limited per account and region,
    /// retrying what is safe to retry, journaled so a later run can resume.
    Run(RunArgs),
    /// Rebuild a run's report from its journal (after a crash, or in another
    /// format).
    Report(ReportArgs),
    /// Print a generated JSON Schema (playbook, inventory, plan, report), or
    /// write them all to a folder.
    Schema(SchemaArgs),
    /// Send one event, as `aws ivschat send-event` does (same options,
    /// output and exit codes), checked first and retried when throttled.
    #[command(args_override_self = true)]
    SendEvent(crate::send_event::SendEventArgs),
    /// Run a local IVS Chat endpoint for rehearsals and tests.
    Emulator(crate::emulator::EmulatorArgs),
    /// Event definitions: list them, check them, or diff two versions of a
    /// catalog for breaking changes.
    Catalog(crate::catalog::command::CatalogArgs),
    /// Write a commented starter playbook and room inventory into a folder.
    Init(crate::init::InitArgs),
}

/// Playbooks and variables, shared by the commands that read playbooks.
#[derive(Debug, Args)]
pub struct InputArgs {
    /// Playbook files, or folders whose .yaml/.yml files are playbooks.
    #[arg(required = true, value_name = "PLAYBOOK")]
    pub paths: Vec<PathBuf>,
    /// Set a template variable, overriding playbook, room and event vars.
    /// Repeatable.
    #[arg(long = "var", value_name = "NAME=VALUE", value_parser = parse_var)]
    pub vars: Vec<(String, String)>,
}

impl InputArgs {
    /// The `--var` values as a map; a later value for a name wins.
    pub fn var_map(&self) -> IndexMap<String, String> {
        self.vars.iter().cloned().collect()
    }
}

fn parse_var(s: &str) -> Result<(String, String), String> {
    let (k, v) = s
        .split_once('=')
        .ok_or_else(|| format!("`{s}` is not NAME=VALUE"))?;
    let valid = !k.is_empty()
        && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !k.starts_with(|c: char| c.is_ascii_digit());
    if !valid {
        return Err(format!(
            "`{k}` is not a variable name (letters, digits and `_`, not starting with a digit)"
        ));
    }
    if crate::playbook::template::BUILTIN_NAMES.contains(&k) {
        return Err(format!("`{k}` is a built-in object and cannot be set"));
    }
    Ok((k.to_string(), v.to_string()))
}

/// `validate` options.
#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Playbooks and variables.
    #[command(flatten)]
    pub input: InputArgs,
    /// Output format: human (stderr), json or github (stdout).
    #[arg(long, value_enum, default_value_t = DiagFormat::Human)]
    pub format: DiagFormat,
    /// Treat warnings as errors.
    #[arg(long)]
    pub deny_warnings: bool,
}

/// Sending settings given as flags; each overrides the playbooks'.
#[derive(Debug, Args, Default, Clone)]
pub struct SettingsArgs {
    /// Sends per second per account and region (at most 100, the SendEvent
    /// quota). Default 50.
    #[arg(long, value_parser = parse_rate)]
    pub rate: Option<f64>,
    /// Sends allowed at once after an idle moment. Default 5.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub burst: Option<u32>,
    /// Most sends in flight at once. Default 32.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub concurrency: Option<u32>,
    /// Attempts per send for retryable errors. Default 5.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=20))]
    pub max_attempts: Option<u32>,
    /// Time allowed per attempt, e.g. 10s or 1500ms. Default 10s.
    #[arg(long, value_parser = parse_timeout)]
    pub timeout: Option<std::time::Duration>,
}

impl SettingsArgs {
    /// As plan overrides.
    pub fn overrides(&self) -> SettingsOverrides {
        SettingsOverrides {
            rate: self.rate,
            burst: self.burst,
            concurrency: self.concurrency,
            max_attempts: self.max_attempts,
            timeout_ms: self.timeout.map(|d| d.as_millis() as u64),
        }
    }
}

fn parse_rate(s: &str) -> Result<f64, String> {
    let r: f64 = s.parse().map_err(|_| format!("`{s}` is not a number"))?;
    if !(0.01..=100.0).contains(&r) {
        return Err(format!(
            "{s} is outside 0.01 <= rate <= 100: the SendEvent quota is 100 per second per account and region"
        ));
    }
    Ok(r)
}

fn parse_timeout(s: &str) -> Result<std::time::Duration, String> {
    crate::playbook::model::parse_duration(s)
        .ok_or_else(|| format!("`{s}` is not a duration such as 10s, 1500ms or 2m"))
}

/// `plan` options.
#[derive(Debug, Args)]
pub struct PlanArgs {
    /// Playbooks and variables.
    #[command(flatten)]
    pub input: InputArgs,
    /// Settings that override the playbooks'.
    #[command(flatten)]
    pub settings: SettingsArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = PlanFormat::Table)]
    pub format: PlanFormat,
    /// Format of diagnostics, written to stderr.
    #[arg(long, value_enum, default_value_t = DiagFormat::Human)]
    pub diagnostics: DiagFormat,
}

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

/// `report` options.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// The journal a run wrote.
    #[arg(value_name = "JOURNAL")]
    pub journal: PathBuf,
    /// Which run of the journal (a resumed run appends one): 1 is the first,
    /// -1 (the default) the last.
    #[arg(long, default_value_t = -1, allow_negative_numbers = true)]
    pub run: i64,
    /// What to print on stdout.
    #[arg(long, value_enum, default_value_t = ReportFormat::Summary)]
    pub format: ReportFormat,
    /// Also write the report to FILE (.json, .md or .xml). Repeatable.
    #[arg(long, value_name = "FILE")]
    pub report: Vec<PathBuf>,
}

/// How `report` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    /// The human summary.
    Summary,
    /// The JSON report.
    Json,
    /// Markdown.
    Markdown,
    /// JUnit XML.
    Junit,
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

/// How a plan is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PlanFormat {
    /// One line per send and a summary.
    Table,
    /// The plan document (schema/plan.schema.json).
    Json,
}

/// `schema` options.
#[derive(Debug, Args)]
pub struct SchemaArgs {
    /// Which schema to print.
    #[arg(value_enum, default_value_t = SchemaKind::Playbook)]
    pub kind: SchemaKind,
    /// Write every schema into this folder instead of printing one.
    #[arg(long, value_name = "DIR")]
    pub write: Option<PathBuf>,
    /// Print the playbook schema specialised to these event definitions (a
    /// file, folder or glob; repeatable), so editors check `use:` events
    /// against their contracts.
    #[arg(long, value_name = "PATH", conflicts_with = "write")]
    pub catalog: Vec<String>,
}

/// Streams and terminal facts a command runs with.
pub struct Io<'a> {
    /// Results.
    pub out: &'a mut dyn Write,
    /// Diagnostics, logs, summaries.
    pub err: &'a mut dyn Write,
    /// Whether to colour `err`.
    pub color: bool,
}

/// Runs a synchronous command. Emulator (and later, sending) commands are
/// async and dispatched by the binary.
pub fn run_sync(command: &Command, io: &mut Io<'_>) -> anyhow::Result<i32> {
    match command {
        Command::Validate(a) => validate(a, io),
        Command::Plan(a) => plan_cmd(a, io),
        Command::Schema(a) => schema(a, io),
        Command::Catalog(a) => crate::catalog::command::run(a, io),
        Command::Init(a) => crate::init::run(a, io),
        Command::Report(a) => crate::run::report_command(a, io),
        Command::Emulator(_) | Command::Run(_) | Command::SendEvent(_) => {
            anyhow::bail!("this command runs asynchronously")
        }
    }
}

pub(crate) fn write_diagnostics(
    planned: &Planned,
    format: DiagFormat,
    to_stdout: bool,
    io: &mut Io<'_>,
) -> std::io::Result<()> {
    let text = planned.sources.render(
        &planned.diagnostics,
        format,
        io.color && format == DiagFormat::Human,
    );
    if to_stdout {
        io.out.write_all(text.as_bytes())
    } else {
        io.err.write_all(text.as_bytes())
    }
}

pub(crate) fn summary_line(planned: &Planned) -> String {
    let (errors, warnings) = diag::counts(&planned.diagnostics);
    let plural = |n: usize, w: &str| format!("{n} {w}{}", if n == 1 { "" } else { "s" });
    format!(
        "{}, {} in {}",
        plural(errors, "error"),
        plural(warnings, "warning"),
        plural(planned.files, "playbook")
    )
}

fn validate(a: &ValidateArgs, io: &mut Io<'_>) -> anyhow::Result<i32> {
    let planned = pipeline::plan_files(
        &a.input.paths,
        &a.input.var_map(),
        &SettingsOverrides::default(),
        false,
    );
    let to_stdout = a.format != DiagFormat::Human;
    write_diagnostics(&planned, a.format, to_stdout, io)?;
    let (errors, warnings) = diag::counts(&planned.diagnostics);
    let failed = errors > 0 || (a.deny_warnings && warnings > 0);
    if a.format == DiagFormat::Human {
        let sends = planned.plan.as_ref().map_or(0, |p| p.summary.sends);
        if failed {
            writeln!(io.err, "invalid: {}", summary_line(&planned))?;
        } else {
            writeln!(
                io.err,
                "valid: {} ({sends} sends planned)",
                summary_line(&planned)
            )?;
        }
    }
    Ok(if failed { EXIT_INVALID } else { EXIT_OK })
}

fn plan_cmd(a: &PlanArgs, io: &mut Io<'_>) -> anyhow::Result<i32> {
    print_plan(&a.input, &a.settings, a.format, a.diagnostics, io)
}

/// Plans and prints the plan: `plan` and `run --dry-run`.
pub(crate) fn print_plan(
    input: &InputArgs,
    settings: &SettingsArgs,
    format: PlanFormat,
    diagnostics: DiagFormat,
    io: &mut Io<'_>,
) -> anyhow::Result<i32> {
    let planned = pipeline::plan_files(&input.paths, &input.var_map(), &settings.overrides(), true);
    write_diagnostics(&planned, diagnostics, false, io)?;
    let Some(p) = &planned.plan else {
        writeln!(io.err, "no plan: {}", summary_line(&planned))?;
        return Ok(EXIT_INVALID);
    };
    match format {
        PlanFormat::Table => plan::render_table(p, io.out)?,
        PlanFormat::Json => plan::write_json(p, io.out)?,
    }
    Ok(EXIT_OK)
}

fn schema(a: &SchemaArgs, io: &mut Io<'_>) -> anyhow::Result<i32> {
    if !a.catalog.is_empty() {
        if a.kind != SchemaKind::Playbook {
            writeln!(
                io.err,
                "error: --catalog specialises the playbook schema only"
            )?;
            return Ok(EXIT_INVALID);
        }
        return crate::catalog::command::schema(&a.catalog, io);
    }
    match &a.write {
        None => io.out.write_all(a.kind.text().as_bytes())?,
        Some(dir) => {
            std::fs::create_dir_all(dir)
                .map_err(|e| anyhow::anyhow!("cannot create the folder {}: {e}", dir.display()))?;
            for k in SchemaKind::ALL {
                let path = dir.join(k.file_name());
                std::fs::write(&path, k.text())
                    .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
                writeln!(io.err, "wrote {}", path.display())?;
            }
        }
    }
    Ok(EXIT_OK)
}
