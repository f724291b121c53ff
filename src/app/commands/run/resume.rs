//! A resume's part of `run`: the earlier run's outcomes, the variables and
//! settings it recorded, the check that the plan is the one it ran, and
//! `run --resume J --dry-run`.

use indexmap::IndexMap;

use super::super::plan::PlanFormat;
use super::args::RunArgs;
use crate::app::exit::{CmdResult, Exit, Failure};
use crate::app::io::{Io, summary_line};
use crate::journal::RunHeader;
use crate::journal::resume::ResumeState;
use crate::pipeline;
use crate::plan::{ScannedPlan, SettingsOverrides};

/// What a resume will do with the plan's sends: send them, skip them as
/// sent, or hold them back as maybe delivered.
#[derive(Debug, Default)]
pub(super) struct ResumeTally {
    pub(super) to_send: usize,
    pub(super) sent: usize,
    pub(super) held: usize,
}

impl ResumeTally {
    pub(super) fn add(&mut self, resume: Option<&ResumeState>, resend_unknown: bool, id: &str) {
        match resume {
            Some(st) if st.sent.contains_key(id) => self.sent += 1,
            Some(st) if st.unknown.contains(id) && !resend_unknown => self.held += 1,
            _ => self.to_send += 1,
        }
    }

    /// Whether the send with `id` goes out in this run.
    fn goes(resume: &ResumeState, resend_unknown: bool, id: &str) -> bool {
        !resume.sent.contains_key(id) && (resend_unknown || !resume.unknown.contains(id))
    }
}

/// `run --resume J --dry-run`: the plan of what the resume would send, and
/// how many sends it skips.
pub(super) fn resume_dry_run(a: &RunArgs, format: PlanFormat, io: &mut Io<'_>) -> CmdResult {
    let reach = match a.input.reach() {
        Ok(r) => r,
        Err(e) => return io.refuse(e),
    };
    let resume = match load_resume(a, io)? {
        Ok(Some(r)) => r,
        Ok(None) => unreachable!("called with --resume"),
        Err(exit) => return Ok(exit),
    };
    let recorded = resume.header.as_ref();
    let vars = effective_vars(a, recorded);
    let overrides = match effective_overrides(a, Some(&resume)) {
        Ok(o) => o,
        Err(e) => return io.refuse(e),
    };
    let planned = pipeline::plan_files(&a.input.paths, reach.as_ref(), &vars, &overrides, true);
    io.diagnostics(&planned.sources, &planned.diagnostics, a.diagnostics, false)?;
    let Some(mut plan) = planned.plan else {
        let line = summary_line(&planned.diagnostics, planned.files);
        return io.end(Exit::Invalid, format_args!("no plan: {line}"));
    };
    if plan.overview.plan_hash != resume.plan_hash && !a.force {
        return io.refuse(format_args!(
            "the plan changed since {} was written; a resume would refuse it (--force resumes anyway)",
            resume.source.display()
        ));
    }
    let total = plan.sends.len();
    plan.sends
        .retain(|s| ResumeTally::goes(&resume, a.resend_unknown, &s.id));
    writeln!(
        io.err,
        "resuming from {} would send {} of {total} sends; the rest are recorded as sent or held back as maybe delivered",
        resume.source.display(),
        plan.sends.len()
    )?;
    match format {
        PlanFormat::Table => crate::plan::render_table(&plan, io.out)?,
        PlanFormat::Json => crate::plan::write_json(&plan, io.out)?,
        PlanFormat::Markdown => crate::plan::render_markdown(&plan, io.out)?,
    }
    Ok(Exit::Ok)
}

/// The earlier run's outcomes, when resuming. `Err(exit)` is a refusal
/// already written.
pub(super) fn load_resume(
    a: &RunArgs,
    io: &mut Io<'_>,
) -> Result<Result<Option<ResumeState>, Exit>, Failure> {
    let Some(path) = &a.resume else {
        return Ok(Ok(None));
    };
    match crate::report::resume::load(path) {
        Ok(st) => Ok(Ok(Some(st))),
        Err(e) => io
            .refuse(format_args!("cannot resume from {}: {e}", path.display()))
            .map(Err),
    }
}

/// The `--var` values: those given, or for a resume given none, those the
/// journal recorded.
pub(super) fn effective_vars(
    a: &RunArgs,
    recorded: Option<&RunHeader>,
) -> IndexMap<String, String> {
    match recorded {
        Some(h) if a.input.vars.is_empty() => h.vars.clone(),
        _ => a.input.var_map(),
    }
}

/// The settings flags, each one not given taken, for a resume, from the
/// settings the journal recorded; and a resume keeps the earlier run's
/// timeline: its anchor, and the `--grace` it was given. `Err` says why an
/// `--at` cannot be used.
pub(super) fn effective_overrides(
    a: &RunArgs,
    resume: Option<&ResumeState>,
) -> Result<SettingsOverrides, String> {
    let mut flags = a.settings.overrides();
    let Some(st) = resume else {
        return Ok(flags);
    };
    if let Some(h) = &st.header {
        flags = flags.or_from(&h.settings);
        flags.grace_ms = flags.grace_ms.or(h.grace_ms);
    }
    if let Some(anchor) = st.anchor {
        let kept = crate::plan::timeline::rfc3339(anchor);
        if let Some((given, _)) = &flags.at {
            let now = chrono::Local::now().fixed_offset();
            let same = crate::playbook::model::AnchorText(given.clone())
                .resolve(now)
                .is_ok_and(|t| t == anchor);
            if !same {
                return Err(format!(
                    "{} ran a timeline anchored at {kept}; a resumed run keeps its schedule, so --at {given} cannot be used (leave it out, or start a fresh run without --resume)",
                    st.source.display()
                ));
            }
        }
        flags.at = Some((kept, crate::plan::AnchorSource::Journal));
    }
    Ok(flags)
}

/// The plan must be the one the earlier run ran. `Err(exit)` is a refusal
/// already written.
pub(super) fn check_resume(
    a: &RunArgs,
    st: &ResumeState,
    plan: &ScannedPlan,
    io: &mut Io<'_>,
) -> Result<Result<(), Exit>, Failure> {
    let hash = &plan.overview.plan_hash;
    if st.plan_hash != *hash && !a.force {
        return io
            .refuse(format_args!(
                "the plan changed since {} was written ({} then, {hash} now).\n\
                 Resuming could skip or repeat the wrong sends. Check the playbooks, or pass --force \
                 to resume anyway (sends whose content is unchanged keep their ids and are skipped).",
                st.source.display(),
                st.plan_hash,
            ))
            .map(Err);
    }
    writeln!(
        io.err,
        "resuming from {}: {} sends already sent, {} with unknown outcome{}",
        st.source.display(),
        st.sent.len(),
        st.unknown.len(),
        if st.unknown.is_empty() {
            String::new()
        } else if a.resend_unknown {
            " (re-sent: --resend-unknown)".to_string()
        } else {
            " (not re-sent; they are listed in the report; --resend-unknown sends them again)"
                .to_string()
        }
    )?;
    Ok(Ok(()))
}
