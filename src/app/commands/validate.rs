//! `validate`: check playbooks and report every problem.

use clap::Args;

use super::preflight::{self, RemoteArgs};
use crate::app::args::InputArgs;
use crate::app::exit::{CmdResult, Exit};
use crate::app::io::{Io, summary_line};
use crate::diag::{self, DiagFormat};
use crate::pipeline;
use crate::plan::SettingsOverrides;

/// `validate` options.
#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Playbooks and variables.
    #[command(flatten)]
    pub input: InputArgs,
    /// Output format: human (stderr), json or github (stdout).
    #[arg(long, value_enum, default_value_t = DiagFormat::Human)]
    pub format: DiagFormat,
    /// Treat warnings as errors.
    #[arg(long)]
    pub deny_warnings: bool,
    /// Check the rooms with the service too.
    #[command(flatten)]
    pub remote: RemoteArgs,
}

/// Runs `validate`.
pub fn exec(a: &ValidateArgs, io: &mut Io<'_>) -> CmdResult {
    let reach = match a.input.reach() {
        Ok(r) => r,
        Err(e) => return io.refuse(e),
    };
    let mut failed = None;
    let planned = pipeline::plan_files_checked(
        &a.input.paths,
        reach.as_ref(),
        &a.input.var_map(),
        &SettingsOverrides::default(),
        false,
        &mut preflight::check(&a.remote, &mut failed),
    );
    if let Some(e) = failed {
        io.diagnostics(
            &planned.sources,
            &planned.diagnostics,
            a.format,
            a.format != DiagFormat::Human,
        )?;
        return io.end(
            Exit::Failed,
            format_args!("error: the rooms could not be checked with the service: {e}"),
        );
    }
    let to_stdout = a.format != DiagFormat::Human;
    io.diagnostics(&planned.sources, &planned.diagnostics, a.format, to_stdout)?;
    let (errors, warnings) = diag::counts(&planned.diagnostics);
    let failed = errors > 0 || (a.deny_warnings && warnings > 0);
    if a.format == DiagFormat::Human {
        let sends = planned
            .plan
            .as_ref()
            .map_or(0, |p| p.overview.summary.sends);
        if failed {
            writeln!(
                io.err,
                "invalid: {}",
                summary_line(&planned.diagnostics, planned.files)
            )?;
        } else {
            writeln!(
                io.err,
                "valid: {} ({sends} sends planned)",
                summary_line(&planned.diagnostics, planned.files)
            )?;
        }
    }
    Ok(if failed { Exit::Invalid } else { Exit::Ok })
}
