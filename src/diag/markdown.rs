//! Diagnostics as Markdown, for `$GITHUB_STEP_SUMMARY` and pull request
//! comments: a verdict line, then a table of every problem.

use std::fmt::Write as _;

use super::junit::plural;
use super::{Diagnostic, Severity, Sources};

/// A summary headed `title` (`validate`, `catalog check`): the verdict and
/// counts, then one row per diagnostic.
pub fn render(title: &str, sources: &Sources, diags: &[Diagnostic], failed: bool) -> String {
    let errors = diags.iter().filter(|d| d.is_error()).count();
    let warnings = diags.len() - errors;
    let files = sources.iter().count();
    let mut m = String::new();
    let _ = writeln!(m, "### ivschat-playbook {title}\n");
    let verdict = if failed {
        "❌ **invalid**"
    } else {
        "✅ **valid**"
    };
    let _ = writeln!(
        m,
        "{verdict}: {}, {} in {} read\n",
        plural(errors, "error"),
        plural(warnings, "warning"),
        plural(files, "file")
    );
    if diags.is_empty() {
        return m;
    }
    m.push_str("| | code | where | problem |\n|---|---|---|---|\n");
    for d in diags {
        let mark = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let place = match d.location {
            Some(l) => {
                let (file, line, col) = sources.position(l);
                format!("`{file}:{line}:{col}`")
            }
            None => d
                .path
                .as_ref()
                .map_or(String::new(), |p| format!("`{}`", p.display())),
        };
        let mut problem = escape(&d.message);
        if let Some(h) = &d.hint {
            let _ = write!(problem, "<br>hint: {}", escape(h));
        }
        let _ = writeln!(
            m,
            "| {mark} | `{}` | {} | {problem} |",
            d.code,
            place.replace('|', "\\|")
        );
    }
    m.push('\n');
    m
}

/// Text for a table cell: pipes escaped, line breaks as `<br>`, and `<`,
/// `>`, `&` as entities so a message cannot open HTML.
pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('|', "\\|")
        .replace('\n', "<br>")
}
