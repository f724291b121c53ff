//! The changes `catalog diff` found, in each format it prints or reports:
//! for people, JSON, GitHub annotations (within GitHub's per-step cap),
//! SARIF, Markdown and JUnit.

use std::fmt::Write as _;

use serde::Serialize;

use crate::app::io::plural;
use crate::app::outputs::ReportFormat;
use crate::catalog::diff::{Change, ChangeKind};
use crate::diag::Sources;
use crate::diag::github::{Cap, Level as GhLevel, data as gh_data, property as gh_property};
use crate::diag::markdown::escape as md_escape;
use crate::diag::sarif::{self, Finding, Level, RuleBook};

/// The changes and the files they point into.
pub struct Rendered<'a> {
    /// The changes, in `diff`'s order.
    pub changes: &'a [Change],
    /// Both catalogs' files.
    pub sources: &'a Sources,
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

impl Rendered<'_> {
    /// How many changes break playbooks.
    pub fn breaking(&self) -> usize {
        self.changes.iter().filter(|c| c.breaking()).count()
    }

    /// The content of a `--report` of this format.
    pub fn report(&self, format: ReportFormat) -> String {
        match format {
            ReportFormat::Json => self.json(),
            ReportFormat::Github => self.github(),
            ReportFormat::Sarif => self.sarif(),
            ReportFormat::Markdown => self.markdown(),
            ReportFormat::Junit => self.junit(),
        }
    }

    /// The changes for people: one line each, then the counts.
    pub fn human(&self) -> String {
        let breaking = self.breaking();
        let non_breaking = self.changes.len() - breaking;
        let mut s = String::new();
        for c in self.changes {
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
        if !self.changes.is_empty() {
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

    /// `{breaking, non_breaking, changes}`.
    pub fn json(&self) -> String {
        let breaking = self.breaking();
        let doc = JsonDiff {
            breaking,
            non_breaking: self.changes.len() - breaking,
            changes: self
                .changes
                .iter()
                .map(|c| json_change(c, self.sources))
                .collect(),
        };
        let mut s = serde_json::to_string_pretty(&doc).expect("a diff serializes");
        s.push('\n');
        s
    }

    /// GitHub Actions annotations: breaking changes as errors, the rest as
    /// notices, at the new file's line (a removed definition has none);
    /// past GitHub's per-step cap, plain lines and a notice with the count.
    pub fn github(&self) -> String {
        let breaking = self.breaking();
        let mut cap = Cap::new([breaking, 0, self.changes.len() - breaking]);
        let mut s = String::new();
        for c in self.changes {
            let level = if c.breaking() {
                GhLevel::Error
            } else {
                GhLevel::Notice
            };
            let at = place(c).map(|at| self.sources.position(at));
            let message = format!("{}: {}", c.subject(), c.message);
            let title = format!("catalog diff: {}", c.kind.name());
            if !cap.admit(level) {
                let place = at.map_or(String::new(), |(f, l, col)| format!("{f}:{l}:{col}: "));
                let _ = writeln!(s, "{place}{}[{title}]: {message}", level.command());
                continue;
            }
            let mut props = Vec::new();
            if let Some((file, line, col)) = at {
                props.push(format!("file={}", gh_property(&file)));
                props.push(format!("line={line}"));
                props.push(format!("col={col}"));
            }
            props.push(format!("title={}", gh_property(&title)));
            let _ = writeln!(
                s,
                "::{} {}::{}",
                level.command(),
                props.join(","),
                gh_data(&message)
            );
        }
        if let Some(notice) = cap.summary("ivschat-playbook catalog diff") {
            let _ = writeln!(s, "{notice}");
        }
        s
    }

    /// A SARIF log, placed as the annotations are.
    pub fn sarif(&self) -> String {
        let book = diff_rules();
        let ids: Vec<String> = self.changes.iter().map(rule_id).collect();
        let findings: Vec<Finding<'_>> = self
            .changes
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
                location: place(c),
                path: None,
                related: &[],
            })
            .collect();
        let mut s = serde_json::to_string_pretty(&sarif::log(&book, &findings, self.sources))
            .expect("a SARIF log serializes");
        s.push('\n');
        s
    }

    /// A Markdown summary: the verdict, then a table of the changes.
    pub fn markdown(&self) -> String {
        let breaking = self.breaking();
        let mut m = String::from("### ivschat-playbook catalog diff\n\n");
        let verdict = if breaking > 0 {
            "❌ **breaking**"
        } else {
            "✅ **nothing breaks**"
        };
        let _ = writeln!(
            m,
            "{verdict}: {}, {}\n",
            plural(breaking, "breaking change"),
            plural(self.changes.len() - breaking, "non-breaking change")
        );
        if self.changes.is_empty() {
            return m;
        }
        m.push_str("| | change | definition | what |\n|---|---|---|---|\n");
        for c in self.changes {
            let _ = writeln!(
                m,
                "| {} | `{}` | {} | {} |",
                if c.breaking() {
                    "breaking"
                } else {
                    "non-breaking"
                },
                c.kind.name(),
                md_escape(&c.subject()),
                md_escape(&c.message)
            );
        }
        m.push('\n');
        m
    }

    /// JUnit XML: one test case per change, failed when it breaks; no
    /// timestamps or host names.
    pub fn junit(&self) -> String {
        let breaking = self.breaking();
        let mut x = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        let n = self.changes.len();
        let _ = writeln!(
            x,
            "<testsuites name=\"catalog diff\" tests=\"{n}\" failures=\"{breaking}\" errors=\"0\">\n  <testsuite name=\"catalog diff\" tests=\"{n}\" failures=\"{breaking}\" errors=\"0\" skipped=\"0\">"
        );
        for c in self.changes {
            let name = xml(&format!("{}: {}", c.subject(), c.message));
            let class = xml(&format!("catalog.diff.{}", c.event));
            if c.breaking() {
                let _ = writeln!(
                    x,
                    "    <testcase name=\"{name}\" classname=\"{class}\">\n      <failure message=\"breaking change\" type=\"{}\">{name}</failure>\n    </testcase>",
                    c.kind.name()
                );
            } else {
                let _ = writeln!(x, "    <testcase name=\"{name}\" classname=\"{class}\"/>");
            }
        }
        x.push_str("  </testsuite>\n</testsuites>\n");
        x
    }
}

/// Where an annotation or result points: the new file's place; a removed
/// definition's place is in OLD, which a pull request does not show.
fn place(c: &Change) -> Option<crate::diag::Location> {
    c.at.filter(|_| c.kind != ChangeKind::DefinitionRemoved)
}

/// Escapes XML text and attributes.
fn xml(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_control() || *c == '\n')
        .collect::<String>()
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
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
