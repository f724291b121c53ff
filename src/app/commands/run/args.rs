//! `run`'s flags and what it prints on stdout.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use crate::app::args::{InputArgs, LimitArgs, SettingsArgs};
use crate::diag::DiagFormat;

/// `--late`: what to do with a step past its grace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Late {
    /// Skip it and report its sends as late.
    Skip,
    /// Send it late.
    Send,
}

impl From<Late> for crate::execute::LatePolicy {
    fn from(l: Late) -> Self {
        match l {
            Late::Skip => crate::execute::LatePolicy::Skip,
            Late::Send => crate::execute::LatePolicy::Send,
        }
    }
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
    /// A subset of the rooms.
    #[command(flatten)]
    pub limit: LimitArgs,
    /// Print the plan and send nothing (needs no credentials or network).
    #[arg(long)]
    pub dry_run: bool,
    /// What to print on stdout: with --dry-run the plan (table, json or
    /// markdown);
    /// otherwise the report (json, markdown or junit), or nothing (table,
    /// the default: a summary goes to stderr either way).
    #[arg(long, value_enum, default_value_t = RunFormat::Table)]
    pub format: RunFormat,
    /// Write the report to FILE, in the format its extension names: .json,
    /// .md (markdown) or .xml (junit); or FORMAT=FILE (json, markdown or
    /// junit) for any name. Repeatable.
    #[arg(long, value_name = "[FORMAT=]FILE")]
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
    /// A step of the timeline that cannot start within its grace: `skip`
    /// its sends and report them as late (the default: a stale "closes in
    /// 15 minutes" is never sent late), or `send` them anyway.
    #[arg(long, value_enum, value_name = "WHAT", default_value_t = Late::Skip)]
    pub late: Late,
    /// Send to an emulator started inside this process (rooms created on
    /// first use): a rehearsal that needs no AWS account.
    #[arg(long, conflicts_with_all = ["endpoint_url", "profile"])]
    pub local: bool,
    /// AWS profile from the shared config files.
    #[arg(long, env = "AWS_PROFILE")]
    pub profile: Option<String>,
    /// Sign the sends to the rooms of ACCOUNT (12 digits) with PROFILE from
    /// the shared config files; repeatable, and it overrides the playbooks'
    /// `accounts`. Other accounts use the default credentials.
    #[arg(long = "account-profile", value_name = "ACCOUNT=PROFILE", value_parser = crate::app::commands::listing::parse_account_profile, conflicts_with = "local")]
    pub account_profiles: Vec<crate::app::commands::listing::AccountProfile>,
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
    /// When the rooms the playbooks' `discover:` selectors find now differ
    /// from their lock files, write the locks again and send to the rooms
    /// found now (without it, such a run is refused with exit status 4).
    #[arg(long)]
    pub refresh: bool,
    /// Do not fsync the journal (faster; a power loss may lose its last
    /// lines, a process crash does not).
    #[arg(long)]
    pub no_fsync: bool,
    /// Format of diagnostics, written to stderr.
    #[arg(long, value_enum, default_value_t = DiagFormat::Human)]
    pub diagnostics: DiagFormat,
    /// Before sending, watch the rooms' chat as a viewer would (a view-only
    /// chat token per room) and confirm each sent event arrives, matched by
    /// its id; one not seen makes the run fail (exit 1). `--verify=N`
    /// watches a sample of N rooms spread over accounts and regions.
    #[arg(
        long,
        value_name = "N",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "all",
        value_parser = parse_verify
    )]
    pub verify: Option<VerifyScope>,
    /// With --verify: how long after the last send events may take to
    /// arrive, e.g. 10s or 1500ms.
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = crate::app::args::parse_timeout, requires = "verify")]
    pub verify_timeout: std::time::Duration,
    /// Benchmarks only: a rate not capped at the SendEvent quota. Allowed
    /// only with --local or --endpoint-url (an emulator), never against AWS.
    #[arg(long, hide = true, value_name = "PER_SECOND")]
    pub unchecked_rate: Option<f64>,
}

/// Which rooms `--verify` watches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VerifyScope {
    /// Every room of the plan.
    All,
    /// A sample of this many rooms.
    Sample(usize),
}

fn parse_verify(s: &str) -> Result<VerifyScope, String> {
    if s == "all" {
        return Ok(VerifyScope::All);
    }
    match s.parse::<usize>() {
        Ok(n) if n > 0 => Ok(VerifyScope::Sample(n)),
        _ => Err(format!(
            "`{s}` is not a number of rooms (at least 1), or `all`"
        )),
    }
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
