//! Diagnostics as a JUnit XML test report, for CI systems that show test
//! results (GitLab, Jenkins, Azure Pipelines, test-reporter actions).
//!
//! Each file checked is a test case (its classname the file's folder and
//! name as a dotted path, its name the file), failed when it has an error
//! (or, with `deny_warnings`, a warning). The content is deterministic: no
//! timestamp, host name or duration, so the same input gives the same bytes.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use super::{Diagnostic, Severity, Sources};

/// The report of one check (`validate`, `catalog check`) over `diags`.
pub fn render(suite: &str, sources: &Sources, diags: &[Diagnostic], deny_warnings: bool) -> String {
    let cases = cases(sources, diags);
    let failed = cases
        .iter()
        .filter(|(_, ds)| fails(ds, deny_warnings))
        .count();
    let mut x = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        x,
        "<testsuites name=\"{}\" tests=\"{}\" failures=\"{failed}\" errors=\"0\">",
        esc(suite),
        cases.len()
    );
    let _ = writeln!(
        x,
        "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failed}\" errors=\"0\" skipped=\"0\">",
        esc(suite),
        cases.len()
    );
    for (path, ds) in &cases {
        let name = path.display().to_string();
        let _ = write!(
            x,
            "    <testcase name=\"{}\" classname=\"{}\"",
            esc(&name),
            esc(&classname(suite, path))
        );
        if ds.is_empty() {
            x.push_str("/>\n");
            continue;
        }
        x.push_str(">\n");
        let lines: Vec<String> = ds.iter().map(|d| line(sources, d)).collect();
        if fails(ds, deny_warnings) {
            let errors = ds.iter().filter(|d| d.is_error()).count();
            let warnings = ds.len() - errors;
            let first = ds
                .iter()
                .find(|d| d.is_error() || deny_warnings)
                .map_or("", |d| d.code);
            let _ = writeln!(
                x,
                "      <failure message=\"{}\" type=\"{}\">{}</failure>",
                esc(&format!(
                    "{}, {}",
                    plural(errors, "error"),
                    plural(warnings, "warning")
                )),
                esc(first),
                esc(&lines.join("\n"))
            );
        } else {
            let _ = writeln!(
                x,
                "      <system-out>{}</system-out>",
                esc(&lines.join("\n"))
            );
        }
        x.push_str("    </testcase>\n");
    }
    x.push_str("  </testsuite>\n</testsuites>\n");
    x
}

/// `1 error`, `2 errors`.
pub(super) fn plural(n: usize, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}

fn fails(ds: &[&Diagnostic], deny_warnings: bool) -> bool {
    ds.iter().any(|d| d.is_error() || deny_warnings)
}

/// Every file read (in reading order) with its diagnostics, then the
/// files named only by diagnostics (one that could not be read), then the
/// diagnostics with no file under the name `(input)`.
fn cases<'d>(sources: &Sources, diags: &'d [Diagnostic]) -> Vec<(PathBuf, Vec<&'d Diagnostic>)> {
    let mut cases: Vec<(PathBuf, Vec<&Diagnostic>)> = sources
        .iter()
        .map(|f| (f.path.clone(), Vec::new()))
        .collect();
    for d in diags {
        let path = match d.location {
            Some(l) => sources.get(l.file).path.clone(),
            None => d.path.clone().unwrap_or_else(|| PathBuf::from("(input)")),
        };
        match cases.iter_mut().find(|(p, _)| *p == path) {
            Some((_, ds)) => ds.push(d),
            None => cases.push((path, vec![d])),
        }
    }
    cases
}

/// `validate.playbooks.maintenance-window`: the check, then the file's
/// path without its extension, as the dotted name test reports group by.
fn classname(suite: &str, path: &Path) -> String {
    let stem = path.with_extension("");
    let parts: Vec<String> = stem
        .components()
        .filter_map(|c| match c {
            std::path::Component::Normal(s) => Some(s.to_string_lossy().replace('.', "_")),
            _ => None,
        })
        .collect();
    let check = suite.replace(' ', ".");
    if parts.is_empty() {
        check
    } else {
        format!("{check}.{}", parts.join("."))
    }
}

/// `file:line:col: error[code]: message (hint: …)`.
fn line(sources: &Sources, d: &Diagnostic) -> String {
    let place = match d.location {
        Some(l) => {
            let (file, line, col) = sources.position(l);
            format!("{file}:{line}:{col}: ")
        }
        None => d
            .path
            .as_ref()
            .map_or(String::new(), |p| format!("{}: ", p.display())),
    };
    let word = match d.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    };
    let mut s = format!("{place}{word}[{}]: {}", d.code, d.message);
    if let Some(h) = &d.hint {
        let _ = write!(s, " (hint: {h})");
    }
    s
}

/// Escapes text for XML content and attributes; drops characters XML 1.0
/// cannot carry.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' | '\t' => out.push(c),
            c if (c as u32) < 0x20 => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classnames_are_dotted_paths() {
        assert_eq!(
            classname("validate", Path::new("playbooks/maintenance-window.yaml")),
            "validate.playbooks.maintenance-window"
        );
        assert_eq!(
            classname("catalog check", Path::new("./ev/a.v2.yaml")),
            "catalog.check.ev.a_v2"
        );
    }

    #[test]
    fn escapes_markup_and_control_characters() {
        assert_eq!(esc("a<b & \"c\"\u{1}"), "a&lt;b &amp; &quot;c&quot;");
    }
}
