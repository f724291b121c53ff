//! `plan`: show every send a run would make, sending nothing.

use clap::{Args, ValueEnum};

use super::preflight::{self, RemoteArgs};
use crate::app::args::{InputArgs, LimitArgs, SettingsArgs};
use crate::app::exit::{CmdResult, Exit};
use crate::app::io::{Io, summary_line};
use crate::diag::DiagFormat;
use crate::pipeline;
use crate::plan;

/// `plan` options.
#[derive(Debug, Args)]
pub struct PlanArgs {
    /// Playbooks and variables.
    #[command(flatten)]
    pub input: InputArgs,
    /// Settings that override the playbooks'.
    #[command(flatten)]
    pub settings: SettingsArgs,
    /// A subset of the rooms.
    #[command(flatten)]
    pub limit: LimitArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = PlanFormat::Table)]
    pub format: PlanFormat,
    /// Format of diagnostics, written to stderr.
    #[arg(long, value_enum, default_value_t = DiagFormat::Human)]
    pub diagnostics: DiagFormat,
    /// Check the rooms with the service too.
    #[command(flatten)]
    pub remote: RemoteArgs,
}

/// How a plan is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PlanFormat {
    /// One line per send and a summary.
    Table,
    /// The plan document (schema/plan.schema.json).
    Json,
    /// Markdown: totals, sends per account and region, and the first 500
    /// sends (for $GITHUB_STEP_SUMMARY).
    Markdown,
}

/// Runs `plan`.
pub fn exec(a: &PlanArgs, io: &mut Io<'_>) -> CmdResult {
    let choice = Choice {
        limit: &a.limit,
        remote: &a.remote,
    };
    print_plan(&a.input, &a.settings, choice, a.format, a.diagnostics, io)
}

/// What `plan` narrows or adds: `--limit`, `--remote`.
#[derive(Clone, Copy)]
pub struct Choice<'a> {
    /// `--limit`.
    pub limit: &'a LimitArgs,
    /// `--remote`.
    pub remote: &'a RemoteArgs,
}

/// Plans and prints the plan: `plan` and `run --dry-run`.
pub fn print_plan(
    input: &InputArgs,
    settings: &SettingsArgs,
    choice: Choice<'_>,
    format: PlanFormat,
    diagnostics: DiagFormat,
    io: &mut Io<'_>,
) -> CmdResult {
    let reach = match input.reach() {
        Ok(r) => r,
        Err(e) => return io.refuse(e),
    };
    if !choice.limit.limit.is_empty() {
        return print_limited(
            input,
            reach.as_ref(),
            settings,
            choice,
            (format, diagnostics),
            io,
        );
    }
    if format == PlanFormat::Json {
        // Scanned, checked, then each send rendered again and written as it
        // comes, so no send is held (the head, which comes first, needs all
        // of them).
        let scanned = match scan_checked(input, reach.as_ref(), settings, choice, diagnostics, io)?
        {
            Ok(s) => s,
            Err(exit) => return Ok(exit),
        };
        plan::write_json_scanned(&scanned.plan, io.out)?;
        return Ok(Exit::Ok);
    }
    let mut failed = None;
    let planned = pipeline::plan_files_checked(
        &input.paths,
        reach.as_ref(),
        &input.var_map(),
        &settings.overrides(),
        true,
        &mut preflight::check(choice.remote, &mut failed),
    );
    io.diagnostics(&planned.sources, &planned.diagnostics, diagnostics, false)?;
    if let Some(e) = failed {
        return io.end(
            Exit::Failed,
            format_args!("error: the rooms could not be checked with the service: {e}"),
        );
    }
    let Some(p) = &planned.plan else {
        let line = summary_line(&planned.diagnostics, planned.files);
        return io.end(Exit::Invalid, format_args!("no plan: {line}"));
    };
    match format {
        PlanFormat::Table => plan::render_table(p, io.out)?,
        PlanFormat::Json => plan::write_json(p, io.out)?,
        PlanFormat::Markdown => plan::render_markdown(p, io.out)?,
    }
    Ok(Exit::Ok)
}

/// The plan with `--limit`: the sends to the rooms it keeps, their
/// summary, and the whole playbook's hash.
fn print_limited(
    input: &InputArgs,
    reach: Option<&crate::fs::Reach>,
    settings: &SettingsArgs,
    choice: Choice<'_>,
    (format, diagnostics): (PlanFormat, DiagFormat),
    io: &mut Io<'_>,
) -> CmdResult {
    let parsed = match plan::Limit::parse(&choice.limit.limit) {
        Ok(l) => l,
        Err(e) => return io.refuse(e),
    };
    let scanned = match scan_checked(input, reach, settings, choice, diagnostics, io)? {
        Ok(s) => s,
        Err(exit) => return Ok(exit),
    };
    let arns = match limited_rooms(&parsed, &scanned.plan) {
        Ok(a) => a,
        Err(e) => return io.refuse(e),
    };
    let (summary, sends) = scanned.plan.limited(&arns, true);
    let mut overview = scanned.plan.overview.clone();
    overview.summary = summary;
    let p = plan::Plan::from_parts(overview, sends);
    match format {
        PlanFormat::Table => plan::render_table(&p, io.out)?,
        PlanFormat::Json => plan::write_json(&p, io.out)?,
        PlanFormat::Markdown => plan::render_markdown(&p, io.out)?,
    }
    writeln!(
        io.err,
        "--limit {}: {} of the playbooks' {} rooms; the plan hash is the whole playbook's",
        parsed.asked().join(","),
        arns.len(),
        scanned.plan.rooms().len()
    )?;
    Ok(Exit::Ok)
}

/// The playbooks scanned without holding their sends, checked with the
/// service given `--remote`, and their diagnostics printed: the scan, or
/// the exit the command ends with (after its last line is written).
fn scan_checked(
    input: &InputArgs,
    reach: Option<&crate::fs::Reach>,
    settings: &SettingsArgs,
    choice: Choice<'_>,
    diagnostics: DiagFormat,
    io: &mut Io<'_>,
) -> Result<Result<pipeline::Scanned, Exit>, crate::app::exit::Failure> {
    let mut scanned = pipeline::scan_files(
        &input.paths,
        reach,
        &input.var_map(),
        &settings.overrides(),
        |_| {},
    );
    let mut failed = None;
    if !scanned.has_errors() {
        let more = preflight::check(choice.remote, &mut failed)(&scanned.plan);
        scanned.diagnostics.extend(more);
        crate::diag::sort(&mut scanned.diagnostics);
    }
    io.diagnostics(&scanned.sources, &scanned.diagnostics, diagnostics, false)?;
    if let Some(e) = failed {
        return io
            .end(
                Exit::Failed,
                format_args!("error: the rooms could not be checked with the service: {e}"),
            )
            .map(Err);
    }
    if scanned.has_errors() {
        let line = summary_line(&scanned.diagnostics, scanned.files);
        return io
            .end(Exit::Invalid, format_args!("no plan: {line}"))
            .map(Err);
    }
    Ok(Ok(scanned))
}

/// The rooms of the plan a limit keeps; `Err` when it keeps none.
pub fn limited_rooms(
    limit: &plan::Limit,
    plan: &plan::ScannedPlan,
) -> Result<std::collections::HashSet<String>, String> {
    let arns = limit.select(plan);
    if arns.is_empty() {
        return Err(format!(
            "--limit {} matches no room of the playbooks (names, ARNs, `tag:TAG` or `@FILE` of ARNs)",
            limit.asked().join(",")
        ));
    }
    Ok(arns)
}
