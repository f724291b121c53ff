//! `catalog diff OLD NEW`: the breaking and non-breaking changes between
//! two catalogs, for people, as JSON, as GitHub annotations or as SARIF.

use std::fmt::Write as _;

use clap::{Args, ValueEnum};
use serde::Serialize;

use crate::app::exit::{CmdResult, Exit};
use crate::app::io::{Io, plural};
use crate::catalog::diff::{Change, ChangeKind, diff};
use crate::catalog::load::load_into;
use crate::diag::github::{data as gh_data, property as gh_property};
use crate::diag::sarif::{self, Finding, Level, RuleBook};
use crate::diag::{self, DiagFormat, Diagnostic, Sources};
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
    /// A SARIF 2.1.0 log: breaking changes as errors, the others as notes,
    /// each kind a rule described as docs/catalog.md describes it.
    Sarif,
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

/// Runs `catalog diff`.
pub fn exec(a: &DiffArgs, io: &mut Io<'_>) -> CmdResult {
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
        DiffFormat::Sarif => io
            .out
            .write_all(sarif_diff(&changes, &sources).as_bytes())?,
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
        if let Some(at) = c.at.filter(|_| c.kind != ChangeKind::DefinitionRemoved) {
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
/// The rules of `catalog diff`: the change kinds of docs/catalog.md's
/// table, as `catalog-diff::KIND`.
fn diff_rules() -> RuleBook {
    let mut book = RuleBook::from_tables(
        "docs/catalog.md",
        include_str!("../../../../docs/catalog.md"),
        |s| match s {
            "yes" => Some(Level::Error),
            "no" => Some(Level::Note),
            _ => None,
        },
    );
    // Other tables of the page have yes/no columns too.
    book.rules
        .retain(|r| ChangeKind::ALL.iter().any(|k| k.name() == r.id));
    for r in &mut book.rules {
        r.id = format!("catalog-diff::{}", r.id);
    }
    book
}

/// The SARIF rule id of a change kind.
fn rule_id(c: &Change) -> String {
    format!("catalog-diff::{}", c.kind.name())
}

/// The changes as a SARIF log, placed as the annotations are.
fn sarif_diff(changes: &[Change], sources: &Sources) -> String {
    let book = diff_rules();
    let ids: Vec<String> = changes.iter().map(rule_id).collect();
    let findings: Vec<Finding<'_>> = changes
        .iter()
        .zip(&ids)
        .map(|(c, id)| Finding {
            rule: id,
            level: if c.breaking() {
                Level::Error
            } else {
                Level::Note
            },
            message: format!("{}: {}", c.subject(), c.message),
            location: c.at.filter(|_| c.kind != ChangeKind::DefinitionRemoved),
            path: None,
            related: &[],
        })
        .collect();
    let mut s = serde_json::to_string_pretty(&sarif::log(&book, &findings, sources))
        .expect("a SARIF log serializes");
    s.push('\n');
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
