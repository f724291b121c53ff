//! The `catalog` command line: `list`, `check` and `diff`, and the
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
use crate::catalog::diff::{Change, diff};
use crate::catalog::load::{load_into, load_paths};
use crate::catalog::model::{AttributeSpec, DefaultValue};
use crate::catalog::{AttributeDef, Catalog, Definition};
use crate::diag::github::{data as gh_data, property as gh_property};
use crate::diag::{self, DiagFormat, Diagnostic, Sources};

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
    /// Output format: human (stderr), json or github (stdout).
    #[arg(long, value_enum, default_value_t = DiagFormat::Human)]
    pub format: DiagFormat,
}

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
}

/// Runs a `catalog` subcommand.
pub fn exec(args: &CatalogArgs, io: &mut Io<'_>) -> CmdResult {
    match &args.command {
        CatalogCommand::List(a) => list(a, io),
        CatalogCommand::Check(a) => check(a, io),
        CatalogCommand::Diff(a) => diff_cmd(a, io),
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

/// A change as `catalog diff --format json` prints it.
#[derive(Debug, Serialize)]
struct JsonChange {
    kind: String,
    breaking: bool,
    event: String,
    /// `null` for the comparison that unpinned `use:` follows.
    version: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    attribute: Option<String>,
    message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    file: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    line: Option<usize>,
}

#[derive(Debug, Serialize)]
struct JsonDiff {
    breaking: usize,
    non_breaking: usize,
    changes: Vec<JsonChange>,
}

fn diff_cmd(a: &DiffArgs, io: &mut Io<'_>) -> CmdResult {
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
    let breaking = changes.iter().filter(|c| c.breaking()).count();
    let non_breaking = changes.len() - breaking;
    match a.format {
        DiffFormat::Human => {
            io.out
                .write_all(human_diff(&changes, breaking, non_breaking).as_bytes())?;
        }
        DiffFormat::Json => {
            let doc = JsonDiff {
                breaking,
                non_breaking,
                changes: changes.iter().map(|c| json_change(c, &sources)).collect(),
            };
            serde_json::to_writer_pretty(&mut *io.out, &doc)?;
            writeln!(io.out)?;
        }
        DiffFormat::Github => {
            io.out
                .write_all(github_diff(&changes, &sources).as_bytes())?;
        }
    }
    Ok(if breaking > 0 { Exit::Failed } else { Exit::Ok })
}

/// The changes for people: one line each, then the counts.
fn human_diff(changes: &[Change], breaking: usize, non_breaking: usize) -> String {
    let mut s = String::new();
    for c in changes {
        let word = if c.breaking() {
            "breaking"
        } else {
            "non-breaking"
        };
        let _ = writeln!(
            s,
            "{word}: {}: {} [{}]",
            c.subject(),
            c.message,
            c.kind.name()
        );
    }
    if !changes.is_empty() {
        s.push('\n');
    }
    let _ = writeln!(
        s,
        "{}, {}{}",
        plural(breaking, "breaking change"),
        plural(non_breaking, "non-breaking change"),
        if breaking > 0 {
            ": playbooks valid against OLD may fail against NEW"
        } else {
            ""
        }
    );
    s
}

/// The changes as GitHub Actions annotations: breaking ones as errors, the
/// rest as notices, at the new file's line (a removed definition has none).
fn github_diff(changes: &[Change], sources: &Sources) -> String {
    let mut s = String::new();
    for c in changes {
        let level = if c.breaking() { "error" } else { "notice" };
        let mut props = Vec::new();
        if let Some(at) =
            c.at.filter(|_| c.kind != crate::catalog::diff::ChangeKind::DefinitionRemoved)
        {
            let (file, line, col) = sources.position(at);
            props.push(format!("file={}", gh_property(&file)));
            props.push(format!("line={line}"));
            props.push(format!("col={col}"));
        }
        props.push(format!(
            "title={}",
            gh_property(&format!("catalog diff: {}", c.kind.name()))
        ));
        let _ = writeln!(
            s,
            "::{level} {}::{}",
            props.join(","),
            gh_data(&format!("{}: {}", c.subject(), c.message))
        );
    }
    s
}
fn json_change(c: &Change, sources: &Sources) -> JsonChange {
    let pos = c.at.map(|at| sources.position(at));
    JsonChange {
        kind: c.kind.name(),
        breaking: c.breaking(),
        event: c.event.clone(),
        version: c.version,
        attribute: c.attribute.clone(),
        message: c.message.clone(),
        file: pos.as_ref().map(|p| p.0.clone()),
        line: pos.map(|p| p.1),
    }
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
