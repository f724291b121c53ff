//! Several outputs in one run: `--report FORMAT=FILE` (repeatable) writes
//! machine-readable results to files while people read the human output on
//! stderr, and under GitHub Actions (`$GITHUB_STEP_SUMMARY` set) a Markdown
//! summary is appended to the job's summary page.

use std::io::Write as _;
use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::io::Io;
use crate::diag::{self, DiagFormat, Diagnostic, Sources};

/// A format `--report` can write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    /// JUnit XML, one test case per file checked.
    Junit,
    /// A SARIF 2.1.0 log.
    Sarif,
    /// What `--format json` prints.
    Json,
    /// GitHub Actions workflow commands, as `--format github` prints them.
    Github,
    /// A Markdown summary.
    Markdown,
}

impl ReportFormat {
    fn names() -> String {
        ReportFormat::value_variants()
            .iter()
            .filter_map(|v| v.to_possible_value())
            .map(|p| p.get_name().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The content of a report of diagnostics (`validate`, `catalog check`):
/// `title` names the check in JUnit and Markdown.
pub fn diagnostics_report(
    format: ReportFormat,
    title: &str,
    sources: &Sources,
    diags: &[Diagnostic],
    failed: bool,
    deny_warnings: bool,
) -> String {
    match format {
        ReportFormat::Junit => diag::junit::render(title, sources, diags, deny_warnings),
        ReportFormat::Sarif => sources.render(diags, DiagFormat::Sarif, false),
        ReportFormat::Json => sources.render(diags, DiagFormat::Json, false),
        ReportFormat::Github => sources.render(diags, DiagFormat::Github, false),
        ReportFormat::Markdown => diag::markdown::render(title, sources, diags, failed),
    }
}

/// One `--report FORMAT=FILE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportSpec {
    /// What to write.
    pub format: ReportFormat,
    /// Where.
    pub path: PathBuf,
}

/// Parses `FORMAT=FILE`.
pub fn parse_report(s: &str) -> Result<ReportSpec, String> {
    let (format, path) = s.split_once('=').ok_or_else(|| {
        format!(
            "`{s}` is not FORMAT=FILE (FORMAT is one of {})",
            ReportFormat::names()
        )
    })?;
    let format = ReportFormat::from_str(format, true).map_err(|_| {
        format!(
            "`{format}` is not a report format (one of {})",
            ReportFormat::names()
        )
    })?;
    if path.is_empty() {
        return Err(format!("`{s}` names no file after `=`"));
    }
    Ok(ReportSpec {
        format,
        path: PathBuf::from(path),
    })
}

/// `--report FORMAT=FILE`, for commands that check files.
#[derive(Debug, Args, Default, Clone)]
pub struct ReportArgs {
    /// Also write the results to FILE in FORMAT (junit, sarif, json,
    /// github or markdown), beside the output chosen by --format.
    /// Repeatable.
    #[arg(long = "report", value_name = "FORMAT=FILE", value_parser = parse_report)]
    pub reports: Vec<ReportSpec>,
}

impl ReportArgs {
    /// Writes each report, `render` giving the content of a format, and
    /// names each file on stderr.
    pub fn write(
        &self,
        io: &mut Io<'_>,
        mut render: impl FnMut(ReportFormat) -> String,
    ) -> anyhow::Result<()> {
        for r in &self.reports {
            let text = render(r.format);
            std::fs::write(&r.path, text).map_err(|e| {
                anyhow::anyhow!("cannot write the report {}: {e}", r.path.display())
            })?;
            writeln!(io.err, "wrote {}", r.path.display())?;
        }
        Ok(())
    }
}

/// Appends `markdown` to the file `$GITHUB_STEP_SUMMARY` names, when it is
/// set (in a GitHub Actions step); does nothing otherwise.
pub fn step_summary(markdown: &str) -> anyhow::Result<()> {
    let Some(path) = std::env::var_os("GITHUB_STEP_SUMMARY").filter(|p| !p.is_empty()) else {
        return Ok(());
    };
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(&path)
        .map_err(|e| {
            anyhow::anyhow!(
                "cannot append to $GITHUB_STEP_SUMMARY ({}): {e}",
                PathBuf::from(&path).display()
            )
        })?;
    f.write_all(markdown.as_bytes())?;
    Ok(())
}
