//! The `catalog` command line: `list`, `check`, `diff` and `codegen`, and the
//! catalog-specialised `schema --catalog`.
//!
//! Each reads catalogs the way a playbook's `catalog:` does (files, folders,
//! globs; here relative to the current folder), reports problems with the
//! same diagnostics as `validate`, and writes results to the [`Io`] streams:
//! results on stdout, diagnostics and summaries on stderr (except
//! `check --format json|github`, whose diagnostics are the result).

use std::fmt::Write as _;

use clap::{Args, Subcommand, ValueEnum};
use serde::Serialize;

use crate::app::exit::{CmdResult, Exit};
use crate::app::io::{Io, plural};
use crate::app::outputs::{self, ReportArgs, diagnostics_report};
use crate::catalog::load::load_paths;
use crate::catalog::model::{AttributeSpec, DefaultValue};
use crate::catalog::{AttributeDef, Catalog, Definition};
use crate::diag::{self, DiagFormat, Diagnostic, Sources};

mod against;
mod codegen;
mod diff;
mod diff_render;

pub use diff::{DiffArgs, DiffFormat};

/// `catalog` options.
#[derive(Debug, Args)]
pub struct CatalogArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: CatalogCommand,
}

/// The `catalog` subcommands.
#[derive(Debug, Subcommand)]
pub enum CatalogCommand {
    /// List event definitions: names, versions, required and optional
    /// attributes.
    List(ListArgs),
    /// Check event definition files: schema, defaults, patterns, limits,
    /// duplicates, the 1 KB limit. Exit 0 valid, 2 invalid.
    Check(CheckArgs),
    /// Report breaking and non-breaking changes from OLD to NEW. Exit 0
    /// when nothing breaks, 1 when something does, 2 for invalid input.
    Diff(DiffArgs),
    /// Write the catalog as code for front-ends: a TypeScript module with
    /// the event names, a type per event version and a checking decoder.
    Codegen(codegen::CodegenArgs),
}

/// `catalog list` options.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Definition files, folders (their .yaml/.yml files) or globs.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ListFormat::Table)]
    pub format: ListFormat,
    /// Format of diagnostics, written to stderr.
    #[arg(long, value_enum, default_value_t = DiagFormat::Human)]
    pub diagnostics: DiagFormat,
}

/// How `catalog list` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    /// One line per definition.
    Table,
    /// A JSON array of definitions.
    Json,
}

/// `catalog check` options.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Definition files, folders (their .yaml/.yml files) or globs.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<String>,
    /// Output format: human (stderr), json, github or sarif (stdout).
    #[arg(long, value_enum, default_value_t = DiagFormat::Human)]
    pub format: DiagFormat,
    /// Reports to write beside the output.
    #[command(flatten)]
    pub reports: ReportArgs,
}

/// Runs a `catalog` subcommand.
pub fn exec(args: &CatalogArgs, io: &mut Io<'_>) -> CmdResult {
    match &args.command {
        CatalogCommand::List(a) => list(a, io),
        CatalogCommand::Check(a) => check(a, io),
        CatalogCommand::Diff(a) => diff::exec(a, io),
        CatalogCommand::Codegen(a) => codegen::exec(a, io),
    }
}

fn summary(diags: &[Diagnostic], catalog: &Catalog) -> String {
    let (errors, warnings) = diag::counts(diags);
    format!(
        "{}, {} in {} ({})",
        plural(errors, "error"),
        plural(warnings, "warning"),
        plural(catalog.files.len(), "file"),
        plural(catalog.sorted().len(), "definition")
    )
}

fn check(a: &CheckArgs, io: &mut Io<'_>) -> CmdResult {
    let l = load_paths(&a.paths);
    let to_stdout = a.format != DiagFormat::Human;
    io.diagnostics(&l.sources, &l.diagnostics, a.format, to_stdout)?;
    let failed = l.diagnostics.iter().any(Diagnostic::is_error);
    let (sources, diags) = (&l.sources, &l.diagnostics);
    a.reports.write(io, |f| {
        diagnostics_report(f, "catalog check", sources, diags, failed, false)
    })?;
    outputs::step_summary(&diag::markdown::render(
        "catalog check",
        sources,
        diags,
        failed,
    ))?;
    if a.format == DiagFormat::Human {
        let word = if failed { "invalid" } else { "valid" };
        writeln!(io.err, "{word}: {}", summary(&l.diagnostics, &l.catalog))?;
    }
    Ok(if failed { Exit::Invalid } else { Exit::Ok })
}

/// A definition as `catalog list --format json` prints it.
#[derive(Debug, Serialize)]
struct Listed<'a> {
    name: &'a str,
    version: u32,
    /// Whether unpinned `use:` picks it.
    latest: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<&'a str>,
    allow_unknown_attributes: bool,
    required: Vec<&'a str>,
    optional: Vec<&'a str>,
    attributes: indexmap::IndexMap<&'a str, AttributeSpec>,
    file: String,
    line: usize,
}

fn spec(a: &AttributeDef) -> AttributeSpec {
    AttributeSpec {
        required: a.required,
        description: a.description.clone(),
        default: a.default.as_ref().map(|d| DefaultValue(d.value.clone())),
        enum_values: a.enum_values.as_ref().map(|e| e.value.clone()),
        pattern: a.pattern.as_ref().map(|p| p.value.source.clone()),
        min_length: a.min_length.as_ref().map(|m| m.value as u32),
        max_length: a.max_length.as_ref().map(|m| m.value as u32),
        max_bytes: a.max_bytes.as_ref().map(|m| m.value as u32),
    }
}

fn listed<'a>(d: &'a Definition, catalog: &Catalog, sources: &Sources) -> Listed<'a> {
    let (file, line, _) = sources.position(d.at);
    Listed {
        name: &d.name,
        version: d.version,
        latest: catalog
            .latest(&d.name)
            .is_some_and(|l| l.version == d.version),
        description: d.description.as_deref(),
        allow_unknown_attributes: d.allow_unknown,
        required: d
            .attributes
            .values()
            .filter(|a| a.required)
            .map(|a| a.key.as_str())
            .collect(),
        optional: d
            .attributes
            .values()
            .filter(|a| !a.required)
            .map(|a| a.key.as_str())
            .collect(),
        attributes: d
            .attributes
            .values()
            .map(|a| (a.key.as_str(), spec(a)))
            .collect(),
        file,
        line,
    }
}

fn list(a: &ListArgs, io: &mut Io<'_>) -> CmdResult {
    let l = load_paths(&a.paths);
    io.diagnostics(&l.sources, &l.diagnostics, a.diagnostics, false)?;
    let defs: Vec<Listed<'_>> = l
        .catalog
        .sorted()
        .into_iter()
        .map(|d| listed(d, &l.catalog, &l.sources))
        .collect();
    match a.format {
        ListFormat::Json => {
            serde_json::to_writer_pretty(&mut *io.out, &defs)?;
            writeln!(io.out)?;
        }
        ListFormat::Table => io.out.write_all(table(&defs).as_bytes())?,
    }
    let failed = l.diagnostics.iter().any(Diagnostic::is_error);
    if failed {
        writeln!(io.err, "invalid: {}", summary(&l.diagnostics, &l.catalog))?;
    }
    Ok(if failed { Exit::Invalid } else { Exit::Ok })
}

fn table(defs: &[Listed<'_>]) -> String {
    let rows: Vec<[String; 5]> = defs
        .iter()
        .map(|d| {
            let required = if d.required.is_empty() {
                "-".to_string()
            } else {
                d.required.join(", ")
            };
            let mut optional: Vec<String> = d
                .optional
                .iter()
                .map(|k| match &d.attributes[k].default {
                    Some(v) => format!("{k}={}", v.0),
                    None => k.to_string(),
                })
                .collect();
            if d.allow_unknown_attributes {
                optional.push("(any other)".to_string());
            }
            let optional = if optional.is_empty() {
                "-".to_string()
            } else {
                optional.join(", ")
            };
            [
                d.name.to_string(),
                d.version.to_string(),
                required,
                optional,
                format!("{}:{}", d.file, d.line),
            ]
        })
        .collect();
    let header = ["EVENT", "VERSION", "REQUIRED", "OPTIONAL", "DEFINED AT"];
    let mut widths = header.map(|h| h.chars().count());
    for r in &rows {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let mut s = String::new();
    for r in std::iter::once(header.map(str::to_string)).chain(rows) {
        let mut line = String::new();
        for (i, (c, w)) in r.iter().zip(widths).enumerate() {
            if i + 1 == r.len() {
                line.push_str(c);
            } else {
                let _ = write!(line, "{c:<w$}  ");
            }
        }
        let _ = writeln!(s, "{}", line.trim_end());
    }
    s
}

/// `schema --catalog PATH...`: the playbook schema specialised to the
/// catalog, on stdout; diagnostics and exit 2 when the catalog has errors.
pub fn schema(paths: &[String], io: &mut Io<'_>) -> CmdResult {
    let l = load_paths(paths);
    io.diagnostics(&l.sources, &l.diagnostics, DiagFormat::Human, false)?;
    if l.diagnostics.iter().any(Diagnostic::is_error) {
        writeln!(io.err, "no schema: {}", summary(&l.diagnostics, &l.catalog))?;
        return Ok(Exit::Invalid);
    }
    let described = paths
        .iter()
        .map(|p| format!("`{p}`"))
        .collect::<Vec<_>>()
        .join(", ");
    let schema = crate::playbook::editor_schema::playbook_schema(&l.catalog, &described);
    let mut text = serde_json::to_string_pretty(&schema)?;
    text.push('\n');
    io.out.write_all(text.as_bytes())?;
    Ok(Exit::Ok)
}
