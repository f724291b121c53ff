//! SARIF 2.1.0 logs (the OASIS Static Analysis Results Interchange Format),
//! which GitHub code scanning, Azure DevOps and editors' SARIF viewers read.
//!
//! A log names its rules once (`tool.driver.rules`) and each result points
//! at one. Our rules are our stable codes, described by the tables of the
//! docs users read (`docs/diagnostics.md` for diagnostics; `catalog diff`
//! passes the table of `docs/catalog.md`), so the log says what the docs
//! say. Regions are our spans (1-based lines, columns in characters, the end
//! exclusive, as SARIF's `unicodeCodePoints` column kind has them), and each
//! result has a `partialFingerprints` entry that survives lines moving, so
//! code scanning keeps one alert per problem across commits. Nothing is
//! written empty: an absent hint, path or place leaves its property out.

use std::path::Path;

use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use super::{Diagnostic, Location, Related, Severity, Sources};

/// The URI of the schema a log declares.
pub const SCHEMA_URI: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

/// The `partialFingerprints` key of our fingerprint; a new way of computing
/// it gets a new version.
pub const FINGERPRINT_KEY: &str = "ivschatPlaybookHash/v1";

/// A result's level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// Fails the check.
    Error,
    /// Probably a mistake.
    Warning,
    /// For information.
    Note,
}

impl Level {
    fn name(self) -> &'static str {
        match self {
            Level::Error => "error",
            Level::Warning => "warning",
            Level::Note => "note",
        }
    }
}

impl From<Severity> for Level {
    fn from(s: Severity) -> Self {
        match s {
            Severity::Error => Level::Error,
            Severity::Warning => Level::Warning,
        }
    }
}

/// One rule: a code and what the docs say about it.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    /// The code, e.g. `playbook::unknown-room`.
    pub id: String,
    /// Its default level.
    pub level: Level,
    /// The docs' sentence(s) about it, in Markdown.
    pub markdown: String,
    /// The GitHub anchor of the docs section it is listed in.
    pub anchor: String,
}

/// The rules of one docs page.
#[derive(Debug, Clone)]
pub struct RuleBook {
    /// The page, relative to the repository root (`docs/diagnostics.md`).
    pub page: &'static str,
    /// Its rules, in the page's order.
    pub rules: Vec<Rule>,
}

impl RuleBook {
    /// Reads the rules from a page's tables: every row whose first cell is
    /// a code in backticks, whose second cell `level` turns into a level,
    /// and whose last cell describes it.
    pub fn from_tables(page: &'static str, text: &str, level: fn(&str) -> Option<Level>) -> Self {
        let mut rules = Vec::new();
        let mut anchor = String::new();
        for line in text.lines() {
            if let Some(heading) = line.strip_prefix("## ") {
                anchor = github_anchor(heading);
                continue;
            }
            let cells: Vec<&str> = line.trim().trim_matches('|').split(" | ").collect();
            let [first, second, .., last] = cells.as_slice() else {
                continue;
            };
            let Some(id) = first
                .trim()
                .strip_prefix('`')
                .and_then(|c| c.strip_suffix('`'))
            else {
                continue;
            };
            if let Some(level) = level(second.trim()) {
                rules.push(Rule {
                    id: id.to_string(),
                    level,
                    markdown: last.trim().to_string(),
                    anchor: anchor.clone(),
                });
            }
        }
        RuleBook { page, rules }
    }

    /// The rules of `docs/diagnostics.md`: every diagnostic code.
    pub fn diagnostics() -> Self {
        let mut book = RuleBook::from_tables(
            "docs/diagnostics.md",
            include_str!("../../docs/diagnostics.md"),
            |s| match s {
                "error" => Some(Level::Error),
                "warning" => Some(Level::Warning),
                _ => None,
            },
        );
        book.rules
            .retain(|r| super::codes::ALL.contains(&r.id.as_str()));
        book
    }

    fn index(&self, id: &str) -> Option<usize> {
        self.rules.iter().position(|r| r.id == id)
    }
}

/// One result, before it is placed in a log.
#[derive(Debug, Clone)]
pub struct Finding<'a> {
    /// The rule's id.
    pub rule: &'a str,
    /// Its level.
    pub level: Level,
    /// What is wrong (and how to fix it), as plain text.
    pub message: String,
    /// Where.
    pub location: Option<Location>,
    /// The file, when there is no location.
    pub path: Option<&'a Path>,
    /// Other places that explain it.
    pub related: &'a [Related],
}

impl<'a> Finding<'a> {
    /// A diagnostic as a result: its hint follows the message.
    pub fn of(d: &'a Diagnostic) -> Self {
        let message = match &d.hint {
            Some(h) => format!("{}\nhint: {h}", d.message),
            None => d.message.clone(),
        };
        Finding {
            rule: d.code,
            level: d.severity.into(),
            message,
            location: d.location,
            path: d.path.as_deref(),
            related: &d.related,
        }
    }
}

/// A whole log: one run of this tool with the book's rules and `findings`.
pub fn log(book: &RuleBook, findings: &[Finding<'_>], sources: &Sources) -> Value {
    let mut seen = std::collections::HashMap::new();
    let results: Vec<Value> = findings
        .iter()
        .map(|f| result(book, f, sources, &mut seen))
        .collect();
    let mut driver = Map::new();
    driver.insert("name".into(), json!(env!("CARGO_PKG_NAME")));
    driver.insert("semanticVersion".into(), json!(env!("CARGO_PKG_VERSION")));
    if let Some(uri) = repository() {
        driver.insert("informationUri".into(), json!(uri));
    }
    driver.insert(
        "rules".into(),
        book.rules.iter().map(|r| rule(book, r)).collect(),
    );
    json!({
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": driver },
            "invocations": [{ "executionSuccessful": true }],
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    })
}

/// The log of diagnostics, as text ending in a newline.
pub fn render(sources: &Sources, diags: &[Diagnostic]) -> String {
    let findings: Vec<Finding<'_>> = diags.iter().map(Finding::of).collect();
    let mut s = serde_json::to_string_pretty(&log(&RuleBook::diagnostics(), &findings, sources))
        .expect("a SARIF log serializes");
    s.push('\n');
    s
}

fn repository() -> Option<&'static str> {
    Some(env!("CARGO_PKG_REPOSITORY")).filter(|r| !r.is_empty())
}

fn rule(book: &RuleBook, r: &Rule) -> Value {
    let text = plain(&r.markdown);
    let short = text
        .split_once(". ")
        .map_or(text.as_str(), |(first, _)| first)
        .trim_end_matches('.');
    let mut help_md = format!("{}\n\nSee `{}`", r.markdown, book.page);
    let mut out = Map::new();
    out.insert("id".into(), json!(r.id));
    out.insert(
        "shortDescription".into(),
        json!({ "text": format!("{short}.") }),
    );
    out.insert("fullDescription".into(), json!({ "text": text }));
    if let Some(repo) = repository() {
        let uri = format!("{repo}/blob/main/{}#{}", book.page, r.anchor);
        help_md = format!("{}\n\nSee [{}]({uri})", r.markdown, book.page);
        out.insert("helpUri".into(), json!(uri));
    }
    help_md.push('.');
    out.insert(
        "help".into(),
        json!({ "text": format!("{text} See {}.", book.page), "markdown": help_md }),
    );
    out.insert(
        "defaultConfiguration".into(),
        json!({ "level": r.level.name() }),
    );
    let area = r.id.split("::").next().unwrap_or(&r.id);
    out.insert("properties".into(), json!({ "tags": [area] }));
    Value::Object(out)
}

fn result(
    book: &RuleBook,
    f: &Finding<'_>,
    sources: &Sources,
    seen: &mut std::collections::HashMap<String, usize>,
) -> Value {
    let mut out = Map::new();
    out.insert("ruleId".into(), json!(f.rule));
    if let Some(i) = book.index(f.rule) {
        out.insert("ruleIndex".into(), json!(i));
    }
    out.insert("level".into(), json!(f.level.name()));
    out.insert("message".into(), json!({ "text": f.message }));
    let (uri, excerpt) = match f.location {
        Some(loc) => {
            let file = sources.get(loc.file);
            let text = file.text.get(loc.start..loc.end).unwrap_or_default();
            (Some(uri_of(&file.path)), text.trim().to_string())
        }
        None => (f.path.map(uri_of), String::new()),
    };
    if let Some(physical) = physical(f.location, f.path, sources) {
        out.insert(
            "locations".into(),
            json!([{ "physicalLocation": physical }]),
        );
    }
    let related: Vec<Value> = f
        .related
        .iter()
        .enumerate()
        .filter_map(|(i, r)| {
            let physical = physical(Some(r.location), None, sources)?;
            let mut o = Map::new();
            o.insert("id".into(), json!(i + 1));
            o.insert("physicalLocation".into(), physical);
            if !r.message.is_empty() {
                o.insert("message".into(), json!({ "text": r.message }));
            }
            Some(Value::Object(o))
        })
        .collect();
    if !related.is_empty() {
        out.insert("relatedLocations".into(), Value::Array(related));
    }
    // Rule, file and the text at the place (not its line number, so moving
    // lines keeps the fingerprint); the message when there is no place; and
    // which occurrence of that key this is.
    let what = if excerpt.is_empty() {
        f.message.as_str()
    } else {
        excerpt.as_str()
    };
    let key = hex::encode(
        Sha256::new()
            .chain_update(f.rule)
            .chain_update([0])
            .chain_update(uri.as_ref().map_or("", |u| u.0.as_str()))
            .chain_update([0])
            .chain_update(what)
            .finalize(),
    );
    let n = seen.entry(key.clone()).or_insert(0);
    *n += 1;
    out.insert(
        "partialFingerprints".into(),
        json!({ FINGERPRINT_KEY: format!("{}:{n}", &key[..32]) }),
    );
    Value::Object(out)
}

/// An artifact URI: a relative reference (against the folder the tool ran
/// in, `%SRCROOT%`) or, for an absolute path, a `file:` URI.
struct Uri(String, bool);

fn uri_of(path: &Path) -> Uri {
    let s = path.to_string_lossy().replace('\\', "/");
    let s = s.strip_prefix("./").unwrap_or(&s).to_string();
    let encoded: String = s
        .split('/')
        .map(|seg| percent_encoding::utf8_percent_encode(seg, URI_SEGMENT).to_string())
        .collect::<Vec<_>>()
        .join("/");
    if path.is_absolute() {
        Uri(format!("file://{encoded}"), true)
    } else {
        Uri(encoded, false)
    }
}

/// What a URI path segment must escape.
const URI_SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'[')
    .add(b']')
    .add(b'\\')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}');

fn physical(location: Option<Location>, path: Option<&Path>, sources: &Sources) -> Option<Value> {
    let (file, region) = match location {
        Some(loc) => {
            let f = sources.get(loc.file);
            let (start_line, start_column) = f.line_col(loc.start);
            let (end_line, end_column) = f.line_col(loc.end.max(loc.start));
            let region = json!({
                "startLine": start_line,
                "startColumn": start_column,
                "endLine": end_line,
                "endColumn": end_column,
            });
            (f.path.as_path(), Some(region))
        }
        None => (path?, None),
    };
    let Uri(uri, absolute) = uri_of(file);
    if uri.is_empty() {
        return None;
    }
    let mut artifact = Map::new();
    artifact.insert("uri".into(), json!(uri));
    if !absolute {
        artifact.insert("uriBaseId".into(), json!("%SRCROOT%"));
    }
    let mut out = Map::new();
    out.insert("artifactLocation".into(), Value::Object(artifact));
    if let Some(region) = region {
        out.insert("region".into(), region);
    }
    Some(Value::Object(out))
}

/// Markdown table text as plain text: no backticks, emphasis or link
/// targets.
fn plain(md: &str) -> String {
    let mut out = String::with_capacity(md.len());
    let mut rest = md;
    while let Some(i) = rest.find("](") {
        let Some(close) = rest[i..].find(')') else {
            break;
        };
        out.push_str(&rest[..i]);
        rest = &rest[i + close + 1..];
    }
    out.push_str(rest);
    out.replace(['`', '['], "").replace("**", "")
}

/// The anchor GitHub gives a heading: lower case, punctuation dropped,
/// spaces as hyphens.
fn github_anchor(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_is_a_rule_with_a_description() {
        let book = RuleBook::diagnostics();
        for code in super::super::codes::ALL {
            let rule = book
                .rules
                .iter()
                .find(|r| r.id == *code)
                .unwrap_or_else(|| panic!("{code} is not in docs/diagnostics.md"));
            assert!(!rule.markdown.is_empty() && !rule.anchor.is_empty());
        }
        assert_eq!(book.rules.len(), super::super::codes::ALL.len());
    }

    #[test]
    fn plain_text_and_anchors() {
        assert_eq!(
            plain("A `use:` of [catalog.md](catalog.md#x), **not** this."),
            "A use: of catalog.md, not this."
        );
        assert_eq!(
            github_anchor("Structure (also flagged by the JSON Schema in editors)"),
            "structure-also-flagged-by-the-json-schema-in-editors"
        );
    }

    #[test]
    fn uris_are_relative_or_file_and_escaped() {
        let u = uri_of(Path::new("./dir/a b#1.yaml"));
        assert_eq!((u.0.as_str(), u.1), ("dir/a%20b%231.yaml", false));
        let u = uri_of(Path::new("/srv/x.yaml"));
        assert_eq!((u.0.as_str(), u.1), ("file:///srv/x.yaml", true));
    }
}
