//! Options shared by several commands (playbooks and variables, sending
//! settings), and the parsers of their values.

use std::path::PathBuf;

use clap::Args;
use indexmap::IndexMap;

use crate::diag::DiagFormat;
use crate::fs::Reach;
use crate::plan::SettingsOverrides;

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
    /// Folder that includes, catalogs and folders of playbooks may reach
    /// (default: each playbook's project, the nearest folder above it that
    /// holds .git, else its own folder). Files outside are not read.
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,
}

impl InputArgs {
    /// What the playbooks' references may reach: `--root`, or `None` for
    /// each playbook's project.
    pub fn reach(&self) -> anyhow::Result<Option<Reach>> {
        self.root
            .as_deref()
            .map(|r| Reach::within(r).map_err(|e| anyhow::anyhow!("--root {}: {e}", r.display())))
            .transpose()
    }

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

/// `--limit`, shared by `plan` and `run`.
#[derive(Debug, Args, Default, Clone)]
pub struct LimitArgs {
    /// Only these rooms of the playbooks: a room name (or ARN),
    /// `tag:TAG` (such as `tag:env=prod`) or `@FILE` of room ARNs;
    /// repeatable or comma-separated, a room matching any is kept. The plan
    /// hash stays the whole playbook's, so `run --resume JOURNAL` without
    /// `--limit` sends the rest.
    #[arg(long, value_name = "ROOMS")]
    pub limit: Vec<String>,
}

/// Sending settings given as flags; each overrides the playbooks'.
#[derive(Debug, Args, Default, Clone)]
pub struct SettingsArgs {
    /// Sends per second per account and region (at most 100, the SendEvent
    /// quota). Default 50.
    #[arg(long, value_parser = parse_rate)]
    pub rate: Option<f64>,
    /// Sends allowed at once after an idle moment, on top of the rate.
    /// Rate plus burst is kept within the quota of 100 per second (the
    /// burst is cut to fit, so at --rate 100 it is 1). Default 5.
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
    /// The timeline's anchor, which events' `at:` offsets count from:
    /// RFC 3339 (2026-12-01T20:00:00Z) or a local wall-clock time today
    /// (20:00). Overrides `settings.at`. Default: the earliest step starts
    /// now.
    #[arg(long, value_name = "TIME", value_parser = parse_at)]
    pub at: Option<String>,
    /// How late a step of the timeline may start before its sends are
    /// skipped as late, e.g. 60s or 5m; overrides `grace` in the
    /// playbooks and their events. Default 60s.
    #[arg(long, value_name = "DURATION", value_parser = parse_timeout)]
    pub grace: Option<std::time::Duration>,
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
            at: self
                .at
                .clone()
                .map(|t| (t, crate::plan::AnchorSource::Flag)),
            grace_ms: self.grace.map(|d| d.as_millis() as u64),
            now: None,
        }
    }
}

/// `--at`: a time that exists, RFC 3339 or a wall-clock time today.
fn parse_at(s: &str) -> Result<String, String> {
    crate::playbook::model::AnchorText(s.to_string())
        .resolve(chrono::Local::now().fixed_offset())
        .map(|_| s.to_string())
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

pub(crate) fn parse_timeout(s: &str) -> Result<std::time::Duration, String> {
    crate::playbook::model::parse_duration(s)
        .ok_or_else(|| format!("`{s}` is not a duration such as 10s, 1500ms or 2m"))
}

/// `--format human|json|github|sarif` for diagnostics: the command line's view of
/// [`DiagFormat`], kept here so the diagnostics layer knows nothing of clap.
impl clap::ValueEnum for DiagFormat {
    fn value_variants<'a>() -> &'a [Self] {
        &[
            DiagFormat::Human,
            DiagFormat::Json,
            DiagFormat::Github,
            DiagFormat::Sarif,
        ]
    }

    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        use clap::builder::PossibleValue;
        Some(match self {
            DiagFormat::Human => {
                PossibleValue::new("human").help("Source excerpts with carets, for people")
            }
            DiagFormat::Json => PossibleValue::new("json").help("A JSON array, for programs"),
            DiagFormat::Github => PossibleValue::new("github").help(
                "GitHub Actions workflow commands (`::error file=...`), which become annotations on the pull request",
            ),
            DiagFormat::Sarif => PossibleValue::new("sarif")
                .help("A SARIF 2.1.0 log, for GitHub code scanning and other SARIF viewers"),
        })
    }
}
