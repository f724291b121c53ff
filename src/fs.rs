//! Reading the project's input files: one way to read a named file's text
//! (with the checks and diagnostics every role shares), to list the YAML
//! files of a folder, and to write paths as people read them.

use std::path::{Path, PathBuf};

use crate::diag::{Diagnostic, Location};

/// Largest playbook or inventory file read, in bytes. Far above any real
/// playbook (10,000 rooms take about 1 MB) and small enough to hold.
pub const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;

/// What a file is read as: it decides the diagnostic codes and words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileRole {
    /// A playbook given on the command line or found in a folder.
    Playbook,
    /// A room inventory a playbook includes.
    Include,
    /// An event-definition file a playbook's `catalog` names.
    Catalog,
}

impl FileRole {
    /// The word messages use for the file.
    pub fn word(self) -> &'static str {
        match self {
            FileRole::Playbook => "playbook",
            FileRole::Include => "include",
            FileRole::Catalog => "catalog",
        }
    }
}

/// Reads a file's text, checking that it exists, is a file, is not too large
/// and is UTF-8. `at` is where the reference to it was written, if anywhere.
pub fn read_text(
    path: &Path,
    at: Option<Location>,
    role: FileRole,
    diags: &mut Vec<Diagnostic>,
) -> Option<String> {
    let unreadable = |code: &'static str, msg: String| {
        let d = Diagnostic::error(code, msg).at(at);
        if at.is_none() { d.in_file(path) } else { d }
    };
    let kind = role.word();
    let (missing_code, code) = match role {
        FileRole::Include => (
            "playbook::include-not-found",
            "playbook::include-unreadable",
        ),
        FileRole::Catalog => ("catalog::file-not-found", "catalog::unreadable"),
        FileRole::Playbook => ("playbook::file-not-found", "playbook::unreadable"),
    };
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let hint = if role == FileRole::Catalog {
                "check the path; catalog paths are relative to the playbook that names them"
            } else {
                "check the path; include paths are relative to the playbook that names them"
            };
            diags.push(
                unreadable(
                    missing_code,
                    format!("{kind} file `{}` does not exist", path.display()),
                )
                .hint(hint),
            );
            return None;
        }
        Err(e) => {
            diags.push(unreadable(
                code,
                format!("cannot read {kind} file `{}`: {e}", path.display()),
            ));
            return None;
        }
    };
    if meta.is_dir() {
        diags.push(unreadable(
            code,
            format!("{kind} `{}` is a folder, not a file", path.display()),
        ));
        return None;
    }
    if meta.len() > MAX_FILE_BYTES {
        diags.push(
            unreadable(
                "playbook::file-too-large",
                format!(
                    "{kind} file `{}` is {} bytes; the limit is {MAX_FILE_BYTES}",
                    path.display(),
                    meta.len()
                ),
            )
            .hint("split the rooms into several inventory files"),
        );
        return None;
    }
    match std::fs::read(path) {
        Ok(bytes) => match String::from_utf8(bytes) {
            // A byte-order mark (Windows editors write one) is not content.
            Ok(s) => Some(match s.strip_prefix('\u{feff}') {
                Some(rest) => rest.to_string(),
                None => s,
            }),
            Err(e) => {
                diags.push(
                    unreadable(
                        "playbook::not-utf8",
                        format!(
                            "{kind} file `{}` is not UTF-8 text (invalid byte at offset {})",
                            path.display(),
                            e.utf8_error().valid_up_to()
                        ),
                    )
                    .hint("save the file as UTF-8"),
                );
                None
            }
        },
        Err(e) => {
            diags.push(unreadable(
                code,
                format!("cannot read {kind} file `{}`: {e}", path.display()),
            ));
            None
        }
    }
}

/// What a folder listing does with symbolic links.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkPolicy {
    /// List links even when broken, so a dangling link is reported when it
    /// is read (playbook folders: a missing playbook is an error).
    Report,
    /// List only what resolves to a file (catalog folders).
    Skip,
}

/// The `.yaml` and `.yml` files directly inside `dir`, sorted by name: files
/// and, by `links`, symbolic links; never folders, pipes or devices.
pub fn yaml_files_in(dir: &Path, links: LinkPolicy) -> std::io::Result<Vec<PathBuf>> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|f| {
            let link = links == LinkPolicy::Report
                && f.symlink_metadata()
                    .is_ok_and(|m| m.file_type().is_symlink());
            (f.is_file() || link)
                && matches!(f.extension().and_then(|e| e.to_str()), Some("yaml" | "yml"))
        })
        .collect();
    found.sort();
    Ok(found)
}

/// Removes `.` and `a/..` components so paths in messages read naturally.
pub fn normalize(p: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => match out.components().next_back() {
                Some(Component::Normal(_)) => {
                    out.pop();
                }
                _ => out.push(".."),
            },
            other => out.push(other),
        }
    }
    out
}
