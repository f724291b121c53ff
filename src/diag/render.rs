//! Rendering diagnostics: for people (source excerpt and caret), as JSON,
//! as GitHub Actions workflow commands, or as SARIF ([`super::sarif`]).

use std::fmt::Write as _;

use codespan_reporting::diagnostic as cs;
use codespan_reporting::term;
use serde::Serialize;

use super::github::{Cap, Level, data as gh_data, property as gh_property};
use super::{Diagnostic, FileId, Location, Severity, Sources};

/// Output format for diagnostics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiagFormat {
    /// Source excerpts with carets, for people.
    Human,
    /// A JSON array, for programs.
    Json,
    /// GitHub Actions workflow commands (`::error file=...`), which become
    /// annotations on the pull request.
    Github,
    /// A SARIF 2.1.0 log, for code scanning.
    Sarif,
}

/// A diagnostic flattened for JSON output.
#[derive(Debug, Serialize)]
pub struct JsonDiagnostic {
    /// `error` or `warning`.
    pub severity: Severity,
    /// Stable code.
    pub code: &'static str,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    /// The file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// 1-based line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    /// 1-based column, in characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<usize>,
    /// 1-based line of the end.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_line: Option<usize>,
    /// 1-based column of the end (exclusive).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_column: Option<usize>,
    /// Related places.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub related: Vec<JsonRelated>,
}

/// A related place, flattened.
#[derive(Debug, Serialize)]
pub struct JsonRelated {
    /// The file.
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// What is there.
    pub message: String,
}

impl Sources {
    /// File, line and column of a location.
    pub fn position(&self, loc: Location) -> (String, usize, usize) {
        let f = self.get(loc.file);
        let (line, col) = f.line_col(loc.start);
        (f.path.display().to_string(), line, col)
    }

    /// Flattens a diagnostic for JSON.
    pub fn to_json(&self, d: &Diagnostic) -> JsonDiagnostic {
        let (file, line, column, end_line, end_column) = match d.location {
            Some(loc) => {
                let (file, line, col) = self.position(loc);
                let (el, ec) = self.get(loc.file).line_col(loc.end);
                (Some(file), Some(line), Some(col), Some(el), Some(ec))
            }
            None => (
                d.path.as_ref().map(|p| p.display().to_string()),
                None,
                None,
                None,
                None,
            ),
        };
        JsonDiagnostic {
            severity: d.severity,
            code: d.code,
            message: d.message.clone(),
            hint: d.hint.clone(),
            file,
            line,
            column,
            end_line,
            end_column,
            related: d
                .related
                .iter()
                .map(|r| {
                    let (file, line, column) = self.position(r.location);
                    JsonRelated {
                        file,
                        line,
                        column,
                        message: r.message.clone(),
                    }
                })
                .collect(),
        }
    }

    /// Renders diagnostics in the given format. `color` applies to the human
    /// format only.
    pub fn render(&self, diags: &[Diagnostic], format: DiagFormat, color: bool) -> String {
        match format {
            DiagFormat::Human => self.render_human(diags, color),
            DiagFormat::Json => {
                let items: Vec<_> = diags.iter().map(|d| self.to_json(d)).collect();
                let mut s = serde_json::to_string_pretty(&items).expect("diagnostics serialize");
                s.push('\n');
                s
            }
            DiagFormat::Github => self.render_github(diags),
            DiagFormat::Sarif => super::sarif::render(self, diags),
        }
    }

    fn render_human(&self, diags: &[Diagnostic], color: bool) -> String {
        let config = term::Config::default();
        let mut buffer = if color {
            term::termcolor::Buffer::ansi()
        } else {
            term::termcolor::Buffer::no_color()
        };
        for d in diags {
            let cs_diag = self.to_codespan(d);
            if term::emit_to_write_style(&mut buffer, &config, self, &cs_diag).is_err() {
                // A location outside its file is a bug of ours; still say
                // what is wrong rather than lose the diagnostic.
                let _ = std::io::Write::write_all(
                    &mut buffer,
                    format!("{}[{}]: {}\n", severity_word(d.severity), d.code, d.message)
                        .as_bytes(),
                );
            }
        }
        String::from_utf8_lossy(buffer.as_slice()).into_owned()
    }

    fn to_codespan(&self, d: &Diagnostic) -> cs::Diagnostic<FileId> {
        let base = match d.severity {
            Severity::Error => cs::Diagnostic::error(),
            Severity::Warning => cs::Diagnostic::warning(),
        };
        let mut message = d.message.clone();
        if d.location.is_none()
            && let Some(p) = &d.path
        {
            message = format!("{}: {message}", p.display());
        }
        let mut labels = Vec::new();
        if let Some(loc) = d.location {
            labels.push(cs::Label::primary(loc.file, loc.start..loc.end));
        }
        for r in &d.related {
            labels.push(
                cs::Label::secondary(r.location.file, r.location.start..r.location.end)
                    .with_message(r.message.clone()),
            );
        }
        let mut diag = base
            .with_code(d.code)
            .with_message(message)
            .with_labels(labels);
        if let Some(h) = &d.hint {
            diag = diag.with_notes(vec![format!("hint: {h}")]);
        }
        diag
    }

    /// Annotations, at most [`super::github::ANNOTATIONS_PER_LEVEL`] of each level (what
    /// GitHub shows per step); the rest as plain lines, then a notice
    /// saying how many.
    fn render_github(&self, diags: &[Diagnostic]) -> String {
        let (errors, warnings) = super::counts(diags);
        let mut cap = Cap::new([errors, warnings, 0]);
        let mut out = String::new();
        for d in diags {
            let level = match d.severity {
                Severity::Error => Level::Error,
                Severity::Warning => Level::Warning,
            };
            let mut msg = d.message.clone();
            if let Some(h) = &d.hint {
                let _ = write!(msg, "\nhint: {h}");
            }
            let place = self.github_place(d);
            if cap.admit(level) {
                let mut props = place.props;
                props.push(format!("title={}", gh_property(d.code)));
                let _ = writeln!(
                    out,
                    "::{} {}::{}",
                    level.command(),
                    props.join(","),
                    gh_data(&msg)
                );
            } else {
                let _ = writeln!(
                    out,
                    "{}{}[{}]: {}",
                    place.plain,
                    level.command(),
                    d.code,
                    msg.replace('\n', "; ")
                );
            }
        }
        if let Some(notice) = cap.summary("ivschat-playbook") {
            let _ = writeln!(out, "{notice}");
        }
        out
    }

    /// A diagnostic's place as annotation properties and as `file:line:col: `.
    fn github_place(&self, d: &Diagnostic) -> GithubPlace {
        let mut props = Vec::new();
        let mut plain = String::new();
        if let Some(loc) = d.location {
            let (file, line, col) = self.position(loc);
            let (el, ec) = self.get(loc.file).line_col(loc.end);
            props.push(format!("file={}", gh_property(&file)));
            props.push(format!("line={line}"));
            props.push(format!("col={col}"));
            if el == line {
                props.push(format!("endColumn={ec}"));
            } else {
                props.push(format!("endLine={el}"));
            }
            plain = format!("{file}:{line}:{col}: ");
        } else if let Some(p) = &d.path {
            props.push(format!("file={}", gh_property(&p.display().to_string())));
            plain = format!("{}: ", p.display());
        }
        GithubPlace { props, plain }
    }
}

/// Where an annotation points.
struct GithubPlace {
    props: Vec<String>,
    plain: String,
}

fn severity_word(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_and_back() {
        let mut s = Sources::default();
        let id = s.add("a.yaml".into(), "ab\nçd: x\n");
        let f = s.get(id);
        assert_eq!(f.line_col(0), (1, 1));
        assert_eq!(f.line_col(3), (2, 1));
        let b = f.byte_of(2, 1);
        assert_eq!(&f.text[b..b + 1], "d");
        assert_eq!(f.line_col(b), (2, 2));
    }

    #[test]
    fn github_escapes() {
        let mut s = Sources::default();
        let id = s.add("dir/a,b.yaml".into(), "x: 1\n");
        let d = Diagnostic::error("playbook::x", "bad: 100%\nmore")
            .at(Some(Location {
                file: id,
                start: 0,
                end: 1,
            }))
            .hint("fix it");
        let out = s.render(&[d], DiagFormat::Github, false);
        assert_eq!(
            out,
            "::error file=dir/a%2Cb.yaml,line=1,col=1,endColumn=2,title=playbook%3A%3Ax::bad: 100%25%0Amore%0Ahint: fix it\n"
        );
    }
}
