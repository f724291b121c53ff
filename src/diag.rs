//! Diagnostics: what is wrong, where, and how to fix it.
//!
//! Every problem found in a playbook becomes a [`Diagnostic`] with a stable
//! code (`playbook::attributes-too-large`), a message, a hint and a location
//! (file, line, column, byte range). Codes are part of the interface: CI
//! pipelines grep for them, so they never change meaning.
//!
//! Renderers: human (source excerpt with a caret, via codespan-reporting,
//! coloured only when asked), JSON, and GitHub Actions annotations.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use codespan_reporting::diagnostic as cs;
use codespan_reporting::files::{Error as FilesError, Files};
use codespan_reporting::term;
use serde::Serialize;

/// How bad a problem is. Errors make validation fail; warnings do not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The playbook cannot be sent as written.
    Error,
    /// Probably a mistake, but sending is possible.
    Warning,
}

/// Index of a file in [`Sources`].
pub type FileId = usize;

/// A byte range in one source file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Location {
    /// The file.
    pub file: FileId,
    /// Start byte offset.
    pub start: usize,
    /// End byte offset (exclusive); equal to `start` for a point.
    pub end: usize,
}

/// A secondary place that explains a diagnostic ("first defined here").
#[derive(Debug, Clone, PartialEq)]
pub struct Related {
    /// Where.
    pub location: Location,
    /// What is there.
    pub message: String,
}

/// One problem.
#[derive(Debug, Clone, PartialEq)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// Stable code, `area::kebab-case-name`.
    pub code: &'static str,
    /// What is wrong, in one sentence.
    pub message: String,
    /// How to fix it.
    pub hint: Option<String>,
    /// Where; `None` for problems with no place in a file (a missing path).
    pub location: Option<Location>,
    /// Other places that explain it.
    pub related: Vec<Related>,
    /// The file when there is no [`Location`] (e.g. an unreadable file).
    pub path: Option<PathBuf>,
}

impl Diagnostic {
    /// An error.
    pub fn error(code: &'static str, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            code,
            message: message.into(),
            hint: None,
            location: None,
            related: Vec::new(),
            path: None,
        }
    }

    /// A warning.
    pub fn warning(code: &'static str, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(code, message)
        }
    }

    /// Sets the location.
    pub fn at(mut self, location: Option<Location>) -> Self {
        self.location = location;
        self
    }

    /// Sets the file path for a diagnostic with no location.
    pub fn in_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.path = Some(path.into());
        self
    }

    /// Sets the hint.
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// Adds a related location.
    pub fn related(mut self, location: Option<Location>, message: impl Into<String>) -> Self {
        if let Some(location) = location {
            self.related.push(Related {
                location,
                message: message.into(),
            });
        }
        self
    }

    /// Whether this is an error.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// A source file kept for excerpts and line/column lookups.
#[derive(Debug)]
pub struct SourceFile {
    /// The path as the user will recognise it (as given, or joined to the
    /// including file's folder).
    pub path: PathBuf,
    /// The whole text.
    pub text: Arc<str>,
    line_starts: Vec<usize>,
}

impl SourceFile {
    fn new(path: PathBuf, text: Arc<str>) -> Self {
        let line_starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        SourceFile {
            path,
            text,
            line_starts,
        }
    }

    /// 1-based line and 1-based column (in characters) of a byte offset.
    pub fn line_col(&self, byte: usize) -> (usize, usize) {
        let byte = byte.min(self.text.len());
        let line = self.line_starts.partition_point(|&s| s <= byte) - 1;
        let start = self.line_starts[line];
        let col = self.text.get(start..byte).map_or(0, |s| s.chars().count());
        (line + 1, col + 1)
    }

    /// Byte offset of a 1-based line and 0-based character column.
    pub fn byte_of(&self, line: usize, col0: usize) -> usize {
        let Some(&start) = self.line_starts.get(line.saturating_sub(1)) else {
            return self.text.len();
        };
        let rest = &self.text[start..];
        rest.char_indices()
            .nth(col0)
            .map_or(self.text.len(), |(i, _)| start + i)
    }

    /// Byte offset of the end of the line containing `byte` (before `\n`).
    pub fn line_end(&self, byte: usize) -> usize {
        let byte = byte.min(self.text.len());
        self.text[byte..]
            .find('\n')
            .map_or(self.text.len(), |i| byte + i)
    }
}

/// All files a run has read, so diagnostics can quote them.
#[derive(Debug, Default)]
pub struct Sources {
    files: Vec<SourceFile>,
}

impl Sources {
    /// Registers a file and returns its id.
    pub fn add(&mut self, path: PathBuf, text: impl Into<Arc<str>>) -> FileId {
        self.files.push(SourceFile::new(path, text.into()));
        self.files.len() - 1
    }

    /// The file with this id.
    pub fn get(&self, id: FileId) -> &SourceFile {
        &self.files[id]
    }

    /// The id of an already registered path.
    pub fn find(&self, path: &Path) -> Option<FileId> {
        self.files.iter().position(|f| f.path == path)
    }
}

impl<'a> Files<'a> for Sources {
    type FileId = FileId;
    type Name = String;
    type Source = &'a str;

    fn name(&'a self, id: FileId) -> Result<String, FilesError> {
        self.files
            .get(id)
            .map(|f| f.path.display().to_string())
            .ok_or(FilesError::FileMissing)
    }

    fn source(&'a self, id: FileId) -> Result<&'a str, FilesError> {
        self.files
            .get(id)
            .map(|f| &*f.text)
            .ok_or(FilesError::FileMissing)
    }

    fn line_index(&'a self, id: FileId, byte_index: usize) -> Result<usize, FilesError> {
        let f = self.files.get(id).ok_or(FilesError::FileMissing)?;
        Ok(f.line_starts.partition_point(|&s| s <= byte_index) - 1)
    }

    fn line_range(
        &'a self,
        id: FileId,
        line_index: usize,
    ) -> Result<std::ops::Range<usize>, FilesError> {
        let f = self.files.get(id).ok_or(FilesError::FileMissing)?;
        let start = *f
            .line_starts
            .get(line_index)
            .ok_or(FilesError::LineTooLarge {
                given: line_index,
                max: f.line_starts.len() - 1,
            })?;
        let end = f
            .line_starts
            .get(line_index + 1)
            .copied()
            .unwrap_or(f.text.len());
        Ok(start..end)
    }
}

/// Output format for diagnostics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DiagFormat {
    /// Source excerpts with carets, for people.
    Human,
    /// A JSON array, for programs.
    Json,
    /// GitHub Actions workflow commands (`::error file=...`), which become
    /// annotations on the pull request.
    Github,
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

    fn render_github(&self, diags: &[Diagnostic]) -> String {
        let mut out = String::new();
        for d in diags {
            let kind = match d.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
            };
            let mut props = Vec::new();
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
            } else if let Some(p) = &d.path {
                props.push(format!("file={}", gh_property(&p.display().to_string())));
            }
            props.push(format!("title={}", gh_property(d.code)));
            let mut msg = d.message.clone();
            if let Some(h) = &d.hint {
                let _ = write!(msg, "\nhint: {h}");
            }
            let _ = writeln!(out, "::{kind} {}::{}", props.join(","), gh_data(&msg));
        }
        out
    }
}

fn severity_word(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

/// Escapes a workflow command's data part.
fn gh_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a workflow command's property value.
fn gh_property(s: &str) -> String {
    gh_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// Keeps one diagnostic per place, code and message: several schema
/// keywords can fail on one value and would say the same thing twice.
#[derive(Debug, Default)]
pub struct Dedup {
    seen: std::collections::HashSet<DedupKey>,
}

/// Place, code and message of a diagnostic.
type DedupKey = (Option<(usize, usize)>, &'static str, String);

impl Dedup {
    /// Pushes `d` unless an equal one was pushed before.
    pub fn push(&mut self, diags: &mut Vec<Diagnostic>, d: Diagnostic) {
        let key = (
            d.location.map(|l| (l.start, l.end)),
            d.code,
            d.message.clone(),
        );
        if self.seen.insert(key) {
            diags.push(d);
        }
    }
}

/// Counts errors and warnings.
pub fn counts(diags: &[Diagnostic]) -> (usize, usize) {
    let errors = diags.iter().filter(|d| d.is_error()).count();
    (errors, diags.len() - errors)
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
