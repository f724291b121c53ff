//! `catalog diff OLD NEW`: the breaking and non-breaking changes between
//! two catalogs, for people, as JSON, as GitHub annotations or as SARIF.

use clap::{Args, ValueEnum};

use super::diff_render::Rendered;
use crate::app::exit::{CmdResult, Exit};
use crate::app::io::{Io, plural};
use crate::app::outputs::{self, ReportArgs};
use crate::catalog::diff::diff;
use crate::catalog::load::load_into;
use crate::diag::{self, DiagFormat, Diagnostic, Sources};

/// `catalog diff` options.
#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The catalog before: a file, folder or glob.
    #[arg(value_name = "OLD")]
    pub old: String,
    /// The catalog after: a file, folder or glob.
    #[arg(value_name = "NEW")]
    pub new: String,
    /// Output format.
    #[arg(long, value_enum, default_value_t = DiffFormat::Human)]
    pub format: DiffFormat,
    /// Reports to write beside the output.
    #[command(flatten)]
    pub reports: ReportArgs,
}

/// How `catalog diff` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DiffFormat {
    /// One line per change and a summary.
    Human,
    /// A JSON document with every change.
    Json,
    /// GitHub Actions annotations: errors for breaking changes, notices for
    /// the others, at their place in NEW.
    Github,
    /// A SARIF 2.1.0 log: breaking changes as errors, the others as notes,
    /// each kind a rule described as docs/catalog.md describes it.
    Sarif,
}

/// Runs `catalog diff`.
pub fn exec(a: &DiffArgs, io: &mut Io<'_>) -> CmdResult {
    let mut sources = Sources::default();
    let mut diags = Vec::new();
    let old = load_into(std::slice::from_ref(&a.old), &mut sources, &mut diags);
    let new = load_into(std::slice::from_ref(&a.new), &mut sources, &mut diags);
    diag::sort(&mut diags);
    io.diagnostics(&sources, &diags, DiagFormat::Human, false)?;
    if diags.iter().any(Diagnostic::is_error) {
        writeln!(
            io.err,
            "no diff: {}",
            plural(diag::counts(&diags).0, "error")
        )?;
        return Ok(Exit::Invalid);
    }
    let changes = diff(&old, &new);
    let diff = Rendered {
        changes: &changes,
        sources: &sources,
    };
    let text = match a.format {
        DiffFormat::Human => diff.human(),
        DiffFormat::Json => diff.json(),
        DiffFormat::Github => diff.github(),
        DiffFormat::Sarif => diff.sarif(),
    };
    io.out.write_all(text.as_bytes())?;
    a.reports.write(io, |f| diff.report(f))?;
    outputs::step_summary(&diff.markdown())?;
    Ok(if diff.breaking() > 0 {
        Exit::Failed
    } else {
        Exit::Ok
    })
}
