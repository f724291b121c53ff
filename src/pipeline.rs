//! The stages composed: load → validate → plan.
//!
//! `validate`, `plan` and `run --dry-run` all go through [`plan_files`], so
//! they can never disagree about what a playbook means.

use std::path::PathBuf;

use indexmap::IndexMap;

use crate::diag::{Diagnostic, Sources};
use crate::plan::{self, Plan, SettingsOverrides};
use crate::playbook::load;
use crate::validate;

/// What the pipeline produced.
#[derive(Debug)]
pub struct Planned {
    /// Every file read, for rendering diagnostics.
    pub sources: Sources,
    /// Every problem found, errors and warnings, in file order.
    pub diagnostics: Vec<Diagnostic>,
    /// The plan, only when there are no errors.
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

/// Loads, validates and plans the given playbook files or folders.
pub fn plan_files(
    paths: &[PathBuf],
    vars: &IndexMap<String, String>,
    flags: &SettingsOverrides,
) -> Planned {
    let mut sources = Sources::default();
    let mut diagnostics = Vec::new();
    let loaded = load::load(paths, &mut sources, &mut diagnostics);
    let valid = validate::check(&loaded, &sources, &mut diagnostics);
    let (plan, render_diags) = plan::build(&valid, vars, flags);
    diagnostics.extend(render_diags);
    sort_diagnostics(&sources, &mut diagnostics);
    let has_errors = diagnostics.iter().any(Diagnostic::is_error);
    Planned {
        sources,
        diagnostics,
        plan: (!has_errors).then_some(plan),
        files: loaded.len(),
    }
}

/// Orders diagnostics by file, then position, so output reads top to bottom.
fn sort_diagnostics(sources: &Sources, diags: &mut [Diagnostic]) {
    let _ = sources;
    diags.sort_by_key(|d| match d.location {
        Some(l) => (l.file, l.start, 0),
        None => (usize::MAX, 0, 0),
    });
}
