//! Reading playbook files, folders of playbooks, and their included room
//! inventories from disk.
//!
//! This is the only part of validation that touches the file system. It
//! registers every file it reads in [`Sources`] (so diagnostics can quote
//! it), parses it with [`super::source`], and reports files that are missing,
//! unreadable, too large or not UTF-8 as diagnostics rather than failing
//! the whole run.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::source::{self, ParsedYaml};
use crate::catalog::Catalog;
use crate::catalog::load::{Entry, Loader};
use crate::diag::{Diagnostic, FileId, Location, Sources};
use crate::validate::RoomSink;

/// Largest playbook or inventory file read, in bytes. Far above any real
/// playbook (10,000 rooms take about 1 MB) and small enough to hold.
pub const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;

/// A file that was read and parsed.
#[derive(Debug)]
pub struct LoadedFile {
    /// Its id in [`Sources`].
    pub file: FileId,
    /// The parsed document, `None` when it could not be parsed (the reason
    /// is among the diagnostics).
    pub parsed: Option<ParsedYaml>,
    /// Room entries already turned into rooms while the file was read.
    pub rooms: RoomSink,
}

/// One include entry of a playbook and what it led to.
#[derive(Debug)]
pub struct LoadedInclude {
    /// The JSON Pointer of the entry in the playbook (`/include/0`).
    pub pointer: String,
    /// The file, when it could be read.
    pub file: Option<LoadedFile>,
}

/// A playbook file and its includes.
#[derive(Debug)]
pub struct LoadedPlaybook {
    /// The playbook path as given or found in a folder.
    pub path: PathBuf,
    /// The playbook file.
    pub main: LoadedFile,
    /// Its includes, in order.
    pub includes: Vec<LoadedInclude>,
    /// The event definitions its `catalog` names; `None` without `catalog`.
    pub catalog: Option<Arc<Catalog>>,
}

/// Expands the command-line paths: files as given, folders to the `.yaml`
/// and `.yml` files directly inside them, sorted by name. Room inventories
/// and event catalogs belong in subfolders, which are not read.
pub fn expand_paths(paths: &[PathBuf], diags: &mut Vec<Diagnostic>) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut found: Vec<PathBuf> = match std::fs::read_dir(p) {
                Ok(rd) => rd
                    .filter_map(|e| e.ok().map(|e| e.path()))
                    .filter(|f| {
                        // Files, and links even when broken (so a dangling
                        // link is reported, not skipped); not folders, pipes
                        // or devices.
                        let link = f
                            .symlink_metadata()
                            .is_ok_and(|m| m.file_type().is_symlink());
                        (f.is_file() || link)
                            && matches!(
                                f.extension().and_then(|e| e.to_str()),
                                Some("yaml" | "yml")
                            )
                    })
                    .collect(),
                Err(e) => {
                    diags.push(
                        Diagnostic::error(
                            "playbook::unreadable",
                            format!("cannot read folder: {e}"),
                        )
                        .in_file(p),
                    );
                    continue;
                }
            };
            found.sort();
            if found.is_empty() {
                diags.push(
                    Diagnostic::error(
                        "playbook::no-playbooks",
                        "this folder has no .yaml or .yml files",
                    )
                    .in_file(p)
                    .hint("give playbook files, or a folder that holds them directly"),
                );
            }
            out.extend(found);
        } else {
            out.push(p.clone());
        }
    }
    let mut seen = std::collections::HashSet::new();
    out.retain(|p| seen.insert(p.clone()));
    out
}

/// Reads a file's text, checking that it exists, is a file, is not too large
/// and is UTF-8. `at` is where the reference to it was written, if anywhere.
pub fn read_text(
    path: &Path,
    at: Option<Location>,
    kind: &str,
    diags: &mut Vec<Diagnostic>,
) -> Option<String> {
    let unreadable = |code: &'static str, msg: String| {
        let d = Diagnostic::error(code, msg).at(at);
        if at.is_none() { d.in_file(path) } else { d }
    };
    let (missing_code, code) = match kind {
        "include" => (
            "playbook::include-not-found",
            "playbook::include-unreadable",
        ),
        "catalog" => ("catalog::file-not-found", "catalog::unreadable"),
        _ => ("playbook::file-not-found", "playbook::unreadable"),
    };
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let hint = if kind == "catalog" {
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

/// Loads playbooks, their includes and their catalogs (each catalog file
/// once, however many playbooks use it).
pub fn load(
    paths: &[PathBuf],
    sources: &mut Sources,
    diags: &mut Vec<Diagnostic>,
) -> Vec<LoadedPlaybook> {
    let files = expand_paths(paths, diags);
    let mut out = Vec::new();
    let mut catalogs = Loader::default();
    for path in files {
        let Some(text) = read_text(&path, None, "playbook", diags) else {
            continue;
        };
        let file = sources.add(path.clone(), text);
        let mut rooms = RoomSink::default();
        let parsed = source::parse_with(sources, file, diags, Some(&mut rooms));
        let includes = match &parsed {
            Some(p) => load_includes(&path, p, sources, diags),
            None => Vec::new(),
        };
        let catalog = parsed
            .as_ref()
            .and_then(|p| load_catalog(&path, p, &mut catalogs, sources, diags));
        out.push(LoadedPlaybook {
            path,
            main: LoadedFile {
                file,
                parsed,
                rooms,
            },
            includes,
            catalog,
        });
    }
    out
}

fn load_includes(
    playbook: &Path,
    parsed: &ParsedYaml,
    sources: &mut Sources,
    diags: &mut Vec<Diagnostic>,
) -> Vec<LoadedInclude> {
    let Some(list) = parsed.value.get("include").and_then(|v| v.as_array()) else {
        return Vec::new();
    };
    let base = playbook.parent().unwrap_or(Path::new(""));
    let mut seen: HashMap<PathBuf, String> = HashMap::new();
    let mut out = Vec::new();
    for (i, entry) in list.iter().enumerate() {
        let pointer = format!("/include/{i}");
        // Wrong types are reported by the schema check.
        let Some(rel) = entry.as_str().filter(|s| !s.is_empty()) else {
            continue;
        };
        let at = parsed.index.value(&pointer);
        let path = normalize(&base.join(rel));
        if let Some(first) = seen.get(&path) {
            diags.push(
                Diagnostic::error(
                    "playbook::duplicate-include",
                    format!("`{rel}` is included twice"),
                )
                .at(Some(at))
                .related(Some(parsed.index.value(first)), "first included here")
                .hint("remove one of the entries"),
            );
            continue;
        }
        seen.insert(path.clone(), pointer.clone());
        let file = read_text(&path, Some(at), "include", diags).map(|text| {
            let file = sources.add(path.clone(), text);
            let mut rooms = RoomSink::default();
            let parsed = source::parse_with(sources, file, diags, Some(&mut rooms));
            LoadedFile {
                file,
                parsed,
                rooms,
            }
        });
        out.push(LoadedInclude { pointer, file });
    }
    out
}

/// Reads the event definitions a playbook's `catalog` names: one path or
/// glob, or a list of them, relative to the playbook. Entries of the wrong
/// type are left to the schema check.
fn load_catalog(
    playbook: &Path,
    parsed: &ParsedYaml,
    loader: &mut Loader,
    sources: &mut Sources,
    diags: &mut Vec<Diagnostic>,
) -> Option<Arc<Catalog>> {
    let value = parsed.value.get("catalog")?;
    let entry = |pattern: &str, pointer: &str| Entry {
        pattern: pattern.to_string(),
        at: Some(parsed.index.value(pointer)),
    };
    let entries: Vec<Entry> = match value {
        serde_json::Value::String(s) if !s.is_empty() => vec![entry(s, "/catalog")],
        serde_json::Value::Array(list) => list
            .iter()
            .enumerate()
            .filter_map(|(i, v)| {
                v.as_str()
                    .filter(|s| !s.is_empty())
                    .map(|s| entry(s, &format!("/catalog/{i}")))
            })
            .collect(),
        _ => Vec::new(),
    };
    if entries.is_empty() {
        return None;
    }
    let base = playbook.parent().unwrap_or(Path::new(""));
    Some(loader.load(&entries, base, sources, diags))
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
