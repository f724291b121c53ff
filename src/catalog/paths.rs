//! Where a catalog's files are: its entries (a glob, a folder or a file,
//! relative to the playbook or the current folder) resolved to paths inside
//! the project, with a diagnostic for an entry that finds nothing.

use std::path::{Path, PathBuf};

use crate::diag::{Diagnostic, Location};
use crate::fs::{LinkPolicy, Reach, normalize};

/// Where a catalog entry came from: its text and where it is written
/// (`None` on the command line).
#[derive(Debug, Clone)]
pub struct Entry {
    /// A glob, folder or file.
    pub pattern: String,
    /// Where the entry is written in a playbook.
    pub at: Option<Location>,
}

/// Whether an entry is a glob rather than a path.
fn is_glob(s: &str) -> bool {
    s.contains(['*', '?', '['])
}

/// The files an entry names. Reports globs and folders that name none.
pub(super) fn resolve(
    e: &Entry,
    base: &Path,
    reach: &Reach,
    diags: &mut Vec<Diagnostic>,
) -> Vec<PathBuf> {
    if is_glob(&e.pattern) {
        return resolve_glob(e, base, reach, diags);
    }
    let path = normalize(&base.join(&e.pattern));
    if let Err(real) = reach.allows(&path) {
        diags.push(reach.outside(&path, &real, e.at));
        return Vec::new();
    }
    if path.is_dir() {
        return folder_files(e, &path, reach, diags);
    }
    vec![path]
}

/// The files a glob entry matches, sorted.
fn resolve_glob(
    e: &Entry,
    base: &Path,
    reach: &Reach,
    diags: &mut Vec<Diagnostic>,
) -> Vec<PathBuf> {
    let full = if Path::new(&e.pattern).is_absolute() || base.as_os_str().is_empty() {
        e.pattern.clone()
    } else {
        format!(
            "{}/{}",
            glob::Pattern::escape(&base.to_string_lossy()),
            e.pattern
        )
    };
    let options = glob::MatchOptions {
        case_sensitive: true,
        require_literal_separator: true,
        require_literal_leading_dot: true,
    };
    let invalid = |msg: &str| {
        place(
            e,
            Diagnostic::error(
                "catalog::invalid-glob",
                format!("`{}` is not a valid glob: {msg}", e.pattern),
            ),
        )
        .hint("globs use `*` (any characters in a name), `**` (any folders), `?` and `[abc]`")
    };
    let pattern = match glob::Pattern::new(&full) {
        Ok(p) => p,
        Err(err) => {
            diags.push(invalid(err.msg));
            return Vec::new();
        }
    };
    let walk_base = crate::fs::glob_base(&full);
    if let Err(real) = reach.allows(&walk_base) {
        diags.push(reach.outside(Path::new(&e.pattern), &real, e.at));
        return Vec::new();
    }
    let mut found: Vec<PathBuf> = match crate::fs::glob_files(&pattern, options, &walk_base, reach)
    {
        Ok(f) => f.iter().map(|p| normalize(p)).collect(),
        Err(msg) => {
            diags.push(invalid(&msg));
            return Vec::new();
        }
    };
    found.sort();
    if found.is_empty() {
        diags.push(no_files(e, format!("`{}` matches no file", e.pattern)));
    }
    found
}

/// The YAML files in the folder an entry names, within reach.
fn folder_files(
    e: &Entry,
    path: &Path,
    reach: &Reach,
    diags: &mut Vec<Diagnostic>,
) -> Vec<PathBuf> {
    let found: Vec<PathBuf> = crate::fs::yaml_files_in(path, LinkPolicy::Skip)
        .unwrap_or_default()
        .into_iter()
        .filter(|f| match reach.allows(f) {
            Ok(()) => true,
            Err(real) => {
                diags.push(reach.outside(f, &real, e.at));
                false
            }
        })
        .collect();
    if found.is_empty() {
        diags.push(no_files(
            e,
            format!("the folder `{}` holds no .yaml or .yml files", e.pattern),
        ));
    }
    found
}

/// An entry that names no files.
fn no_files(e: &Entry, message: String) -> Diagnostic {
    let relative = if e.at.is_some() {
        "relative to the playbook"
    } else {
        "relative to the current folder"
    };
    place(e, Diagnostic::error("catalog::no-files", message))
        .hint(format!("catalog paths and globs are {relative}"))
}

/// Places a diagnostic about an entry: where it is written, or (given on
/// the command line) in its own name.
fn place(e: &Entry, d: Diagnostic) -> Diagnostic {
    match e.at {
        Some(at) => d.at(Some(at)),
        None => d.in_file(&e.pattern),
    }
}
