//! `plan`: show every send a run would make, sending nothing.

use clap::{Args, ValueEnum};

use crate::app::args::{InputArgs, SettingsArgs};
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
    /// Output format.
    #[arg(long, value_enum, default_value_t = PlanFormat::Table)]
    pub format: PlanFormat,
    /// Format of diagnostics, written to stderr.
    #[arg(long, value_enum, default_value_t = DiagFormat::Human)]
    pub diagnostics: DiagFormat,
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
    print_plan(&a.input, &a.settings, a.format, a.diagnostics, io)
}

/// Plans and prints the plan: `plan` and `run --dry-run`.
pub fn print_plan(
    input: &InputArgs,
    settings: &SettingsArgs,
    format: PlanFormat,
    diagnostics: DiagFormat,
    io: &mut Io<'_>,
) -> CmdResult {
    let reach = match input.reach() {
        Ok(r) => r,
        Err(e) => return io.refuse(e),
    };
    let planned = pipeline::plan_files(
        &input.paths,
        reach.as_ref(),
        &input.var_map(),
        &settings.overrides(),
        true,
    );
    io.diagnostics(&planned.sources, &planned.diagnostics, diagnostics, false)?;
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
