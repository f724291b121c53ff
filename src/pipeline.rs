//! The stages composed: load → validate → plan.
//!
//! `validate`, `plan` and `run --dry-run` all go through [`plan_files`], so
//! they can never disagree about what a playbook means.

use std::path::PathBuf;

use indexmap::IndexMap;

use crate::diag::{Diagnostic, Sources};
use crate::plan::{Plan, Planner, SettingsOverrides};
use crate::playbook::load;
use crate::validate::{self, ValidPlaybook};

/// Loaded and validated playbooks.
#[derive(Debug)]
pub struct Checked {
    /// Every file read, for rendering diagnostics.
    pub sources: Sources,
    /// Problems found so far.
    pub diagnostics: Vec<Diagnostic>,
    /// The playbooks, with every part that could be checked.
    pub playbooks: Vec<ValidPlaybook>,
    /// Number of playbook files read.
    pub files: usize,
}

/// Loads and validates the given playbook files or folders.
pub fn check_files(paths: &[PathBuf]) -> Checked {
    let mut sources = Sources::default();
    let mut diagnostics = Vec::new();
    let t = std::time::Instant::now();
    let loaded = load::load(paths, &mut sources, &mut diagnostics);
    tracing::debug!(elapsed = ?t.elapsed(), "loaded and parsed");
    let t = std::time::Instant::now();
    let files = loaded.len();
    let playbooks = validate::check(loaded, &sources, &mut diagnostics);
    tracing::debug!(elapsed = ?t.elapsed(), "validated");
    Checked {
        sources,
        diagnostics,
        playbooks,
        files,
    }
}

/// What the whole pipeline produced.
#[derive(Debug)]
pub struct Planned {
    /// Every file read, for rendering diagnostics.
    pub sources: Sources,
    /// Every problem found, errors and warnings, in file order.
    pub diagnostics: Vec<Diagnostic>,
    /// The plan, only when there are no errors. Its `sends` are empty
    /// unless they were asked for.
    pub plan: Option<Plan>,
    /// Number of playbook files read.
    pub files: usize,
}

impl Planned {
    /// Whether any diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Loads, validates and plans the given playbook files or folders. With
/// `keep_sends` false, every send is still rendered and checked, but not
/// kept (what `validate` needs).
pub fn plan_files(
    paths: &[PathBuf],
    vars: &IndexMap<String, String>,
    flags: &SettingsOverrides,
    keep_sends: bool,
) -> Planned {
    let Checked {
        sources,
        mut diagnostics,
        playbooks,
        files,
    } = check_files(paths);
    let t = std::time::Instant::now();
    let mut planner = Planner::new(&playbooks, vars);
    let mut sends = Vec::new();
    let (overview, render_diags) = planner.scan(flags, |s| {
        if keep_sends {
            sends.push(s)
        }
    });
    tracing::debug!(elapsed = ?t.elapsed(), sends = overview.summary.sends, "planned");
    diagnostics.extend(render_diags);
    sort_diagnostics(&mut diagnostics);
    let has_errors = diagnostics.iter().any(Diagnostic::is_error);
    Planned {
        sources,
        diagnostics,
        plan: (!has_errors).then(|| Plan::from_parts(overview, sends)),
        files,
    }
}

/// Orders diagnostics by file, then position, so output reads top to bottom.
pub fn sort_diagnostics(diags: &mut [Diagnostic]) {
    diags.sort_by_key(|d| match d.location {
        Some(l) => (l.file, l.start),
        None => (usize::MAX, 0),
    });
}
