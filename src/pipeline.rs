//! The stages composed: load → validate → plan, in exactly one place.
//!
//! `validate`, `plan`, `run --dry-run` and `run` all go through
//! [`scan_files`] ([`plan_files`] keeps the sends for printing), so they can
//! never disagree about what a playbook means.

use std::path::PathBuf;

use indexmap::IndexMap;

use crate::diag::{self, Diagnostic, Sources};
use crate::fs::Reach;
use crate::plan::rendered::SendView;
use crate::plan::{Plan, Planner, ScannedPlan, SettingsOverrides};
use crate::playbook::load;
use crate::validate::{self, CheckedPlaybook};

/// Loaded and validated playbooks.
#[derive(Debug)]
pub struct Checked {
    /// Every file read, for rendering diagnostics.
    pub sources: Sources,
    /// Problems found so far.
    pub diagnostics: Vec<Diagnostic>,
    /// The playbooks, with every part that could be checked.
    pub playbooks: Vec<CheckedPlaybook>,
    /// Number of playbook files read.
    pub files: usize,
}

/// Loads and validates the given playbook files or folders. `root` is what
/// their references may reach (`--root`); `None`: each playbook's project.
pub fn check_files(paths: &[PathBuf], root: Option<&Reach>) -> Checked {
    let mut sources = Sources::default();
    let mut diagnostics = Vec::new();
    let t = std::time::Instant::now();
    let loaded = load::load(paths, root, &mut sources, &mut diagnostics);
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
    /// The plan, only when there are no errors. Its `sends` are empty,
    /// and its hash, unless they were asked for.
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

/// Loaded, validated and scanned playbooks: what `run` sends.
pub struct Scanned {
    /// Every file read, for rendering diagnostics.
    pub sources: Sources,
    /// Every problem found, errors and warnings, in file order.
    pub diagnostics: Vec<Diagnostic>,
    /// The scanned plan; only to be sent when there are no errors.
    pub plan: ScannedPlan,
    /// Number of playbook files read.
    pub files: usize,
}

impl Scanned {
    /// Whether any diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Loads, validates and scans the given playbook files or folders, giving
/// each rendered send to `sink` once. The one place the stages are
/// composed.
pub fn scan_files(
    paths: &[PathBuf],
    root: Option<&Reach>,
    vars: &IndexMap<String, String>,
    flags: &SettingsOverrides,
    sink: impl FnMut(&SendView<'_>),
) -> Scanned {
    scan_named(paths, root, vars, flags, true, sink)
}

/// [`scan_files`]; with `ids` false, without send ids and plan hash
/// ([`Planner::without_ids`]).
fn scan_named(
    paths: &[PathBuf],
    root: Option<&Reach>,
    vars: &IndexMap<String, String>,
    flags: &SettingsOverrides,
    ids: bool,
    sink: impl FnMut(&SendView<'_>),
) -> Scanned {
    let Checked {
        sources,
        mut diagnostics,
        playbooks,
        files,
    } = check_files(paths, root);
    diagnostics.extend(crate::plan::vars::unused_cli_vars(&playbooks, vars));
    let t = std::time::Instant::now();
    let mut flags = flags.clone();
    // The one clock reading planning gets: a timeline's anchor needs it.
    flags
        .now
        .get_or_insert_with(|| chrono::Local::now().fixed_offset());
    let planner = Planner::new(playbooks, vars, &sources, &flags);
    let planner = if ids { planner } else { planner.without_ids() };
    let (plan, render_diags) = planner.scan(&flags, sink);
    tracing::debug!(elapsed = ?t.elapsed(), sends = plan.overview.summary.sends, "planned");
    diagnostics.extend(render_diags);
    diag::sort(&mut diagnostics);
    Scanned {
        sources,
        diagnostics,
        plan,
        files,
    }
}

/// Loads, validates and plans the given playbook files or folders. With
/// `keep_sends` false, every send is still rendered and checked, but not
/// kept nor named: the plan has no sends and an empty hash (what
/// `validate` needs).
pub fn plan_files(
    paths: &[PathBuf],
    root: Option<&Reach>,
    vars: &IndexMap<String, String>,
    flags: &SettingsOverrides,
    keep_sends: bool,
) -> Planned {
    plan_files_checked(paths, root, vars, flags, keep_sends, &mut |_| Vec::new())
}

/// [`plan_files`], with `extra` checks of a plan that has no errors (such
/// as the remote preflight: do its rooms exist?), whose diagnostics join
/// the others.
pub fn plan_files_checked(
    paths: &[PathBuf],
    root: Option<&Reach>,
    vars: &IndexMap<String, String>,
    flags: &SettingsOverrides,
    keep_sends: bool,
    extra: &mut dyn FnMut(&ScannedPlan) -> Vec<Diagnostic>,
) -> Planned {
    let mut sends = Vec::new();
    let mut scanned = scan_named(paths, root, vars, flags, keep_sends, |s| {
        if keep_sends {
            sends.push(s.to_send())
        }
    });
    if !scanned.has_errors() {
        scanned.diagnostics.extend(extra(&scanned.plan));
        diag::sort(&mut scanned.diagnostics);
    }
    let has_errors = scanned.has_errors();
    Planned {
        sources: scanned.sources,
        diagnostics: scanned.diagnostics,
        plan: (!has_errors).then(|| Plan::from_parts(scanned.plan.overview, sends)),
        files: scanned.files,
    }
}
