//! `catalog diff OLD NEW` and `catalog diff --against REV PATH`: the
//! breaking and non-breaking changes between two catalogs, printed and
//! reported in each format [`super::diff_render`] has.

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
    /// The catalog before: a file, folder or glob. With --against, the
    /// catalog (a file or folder) compared with itself at that revision.
    #[arg(value_name = "OLD")]
    pub old: String,
    /// The catalog after: a file, folder or glob.
    #[arg(
        value_name = "NEW",
        required_unless_present = "against",
        conflicts_with = "against"
    )]
    pub new: Option<String>,
    /// Compare the catalog at OLD with the same path at this git revision
    /// (a branch, tag or commit, e.g. origin/main), read from the
    /// repository without a second checkout.
    #[arg(long, value_name = "REV")]
    pub against: Option<String>,
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
    let (old, new) = match (&a.against, &a.new) {
        (Some(rev), _) => {
            let tree = match super::against::checkout(rev, &a.old) {
                Ok(t) => t,
                Err(e) => return io.refuse(format_args!("{e:#}")),
            };
            // A catalog new since REV is compared with an empty one.
            let old = if tree.files == 0 {
                Default::default()
            } else {
                let at = tree.dir.join(&a.old).to_string_lossy().into_owned();
                let old = load_into(&[at], &mut sources, &mut diags);
                sources.relabel(&tree.dir, &format!("{rev}:"));
                old
            };
            (
                old,
                load_into(std::slice::from_ref(&a.old), &mut sources, &mut diags),
            )
        }
        (None, new) => {
            let new = new.clone().unwrap_or_default();
            let old = load_into(std::slice::from_ref(&a.old), &mut sources, &mut diags);
            (old, load_into(&[new], &mut sources, &mut diags))
        }
    };
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
