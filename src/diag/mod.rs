//! Diagnostics: what is wrong, where, and how to fix it.
//!
//! Every problem found in a playbook becomes a [`Diagnostic`] with a stable
//! code (`playbook::attributes-too-large`), a message, a hint and a location
//! (file, line, column, byte range). Codes are part of the interface: CI
//! pipelines grep for them, so they never change meaning; [`codes`] lists
//! every one.
//!
//! - [`sources`]: the files diagnostics quote, and line/column lookups.
//! - [`render`]: human (source excerpt with a caret, via codespan-reporting,
//!   coloured only when asked), JSON, and GitHub Actions annotations.
//! - [`github`]: the workflow-command escaping GitHub annotations need.
//! - [`sarif`]: SARIF 2.1.0 logs, with our codes as rules.
//! - [`junit`], [`markdown`]: test reports and step summaries.
//! - [`suggest`]: "did you mean" and candidate previews for hints.

pub mod codes;
pub mod github;
pub mod junit;
pub mod markdown;
pub mod render;
pub mod sarif;
pub mod sources;
pub mod suggest;

pub use render::{DiagFormat, JsonDiagnostic, JsonRelated};
pub use sources::{SourceFile, Sources};

use serde::Serialize;
use std::path::PathBuf;

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

/// Sorts diagnostics by file and position; those without a place go last.
pub fn sort(diags: &mut [Diagnostic]) {
    diags.sort_by_key(|d| match d.location {
        Some(l) => (l.file, l.start),
        None => (usize::MAX, 0),
    });
}
