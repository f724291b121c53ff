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

use super::lock::{self, LoadedLock};
use super::rooms::RoomSink;
use crate::catalog::Catalog;
use crate::catalog::load::{Entry, Loader};
use crate::diag::{Diagnostic, FileId, Sources};
use crate::fs::{self, FileRole, LinkPolicy, Reach};
use crate::yaml::{self as source, ParsedYaml};

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
    /// Its lock file, when there is one beside it.
    pub lock: Option<LoadedLock>,
}

/// Expands the command-line paths: files as given, folders to the `.yaml`
/// and `.yml` files directly inside them, sorted by name. Room inventories
/// and event catalogs belong in subfolders, which are not read. Each file
/// comes with the folder it was found in, if any.
pub fn expand_paths(
    paths: &[PathBuf],
    diags: &mut Vec<Diagnostic>,
) -> Vec<(PathBuf, Option<PathBuf>)> {
    let mut out: Vec<(PathBuf, Option<PathBuf>)> = Vec::new();
    for p in paths {
        if p.is_dir() {
            let found = match fs::yaml_files_in(p, LinkPolicy::Report) {
                Ok(found) => found,
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
            if found.is_empty() {
                diags.push(
                    Diagnostic::error(
                        "playbook::no-playbooks",
                        "this folder has no .yaml or .yml files",
                    )
                    .in_file(p)
                    .hint(no_playbooks_hint(p)),
                );
            }
            out.extend(found.into_iter().map(|f| (f, Some(p.clone()))));
        } else {
            out.push((p.clone(), None));
        }
    }
    let mut seen = std::collections::HashSet::new();
    out.retain(|(p, _)| seen.insert(p.clone()));
    out
}

/// The hint for a folder with no YAML files of its own: the subfolders
/// that have some (folders are not searched recursively, since a
/// playbook's `rooms/` inventories are not playbooks).
fn no_playbooks_hint(dir: &Path) -> String {
    let mut subs: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|d| {
            d.is_dir()
                && !d
                    .file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with('.'))
                && fs::yaml_files_in(d, LinkPolicy::Report).is_ok_and(|f| !f.is_empty())
        })
        .collect();
    subs.sort();
    match subs.as_slice() {
        [] => "give playbook files, or a folder that holds them directly".to_string(),
        subs => {
            let shown: Vec<String> = subs
                .iter()
                .take(5)
                .map(|d| format!("`{}`", fs::normalize(d).display()))
                .collect();
            let more = if subs.len() > 5 { ", ..." } else { "" };
            if subs.len() == 1 {
                format!(
                    "folders are not searched recursively; the subfolder {} has YAML files: give it instead",
                    shown[0]
                )
            } else {
                format!(
                    "folders are not searched recursively; the subfolders {}{more} have YAML files: give those you mean",
                    shown.join(", ")
                )
            }
        }
    }
}

/// Loads playbooks, their includes and their catalogs (each catalog file
/// once, however many playbooks use it).
///
/// `root` is what every playbook's references may reach (`--root`); without
/// it, each playbook's own project ([`Reach::project_of`]).
pub fn load(
    paths: &[PathBuf],
    root: Option<&Reach>,
    sources: &mut Sources,
    diags: &mut Vec<Diagnostic>,
) -> Vec<LoadedPlaybook> {
    let files = expand_paths(paths, diags);
    let mut out = Vec::new();
    let mut catalogs = Loader::default();
    for (path, listed_from) in files {
        let reach = match root {
            Some(r) => r.clone(),
            None => Reach::project_of(listed_from.as_deref().unwrap_or(&path)),
        };
        // A file named on the command line is read as named; one found in
        // a folder is the folder's, and stays inside the project.
        if listed_from.is_some()
            && let Err(real) = reach.allows(&path)
        {
            diags.push(reach.outside(&path, &real, None));
            continue;
        }
        let Some(text) = fs::read_text(&path, None, FileRole::Playbook, diags) else {
            continue;
        };
        let file = sources.add(path.clone(), text);
        let mut rooms = RoomSink::default();
        let parsed = source::parse_with(sources, file, diags, Some(&mut rooms));
        let includes = match &parsed {
            Some(p) => load_includes(&path, p, &reach, sources, diags),
            None => Vec::new(),
        };
        let catalog = parsed
            .as_ref()
            .and_then(|p| load_catalog(&path, p, &reach, &mut catalogs, sources, diags));
        let lock = lock::load(&path, sources, diags);
        out.push(LoadedPlaybook {
            path,
            main: LoadedFile {
                file,
                parsed,
                rooms,
            },
            includes,
            catalog,
            lock,
        });
    }
    out
}

fn load_includes(
    playbook: &Path,
    parsed: &ParsedYaml,
    reach: &Reach,
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
        let path = fs::normalize(&base.join(rel));
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
        if let Err(real) = reach.allows(&path) {
            diags.push(reach.outside(&path, &real, Some(at)));
            out.push(LoadedInclude {
                pointer,
                file: None,
            });
            continue;
        }
        let file = fs::read_text(&path, Some(at), FileRole::Include, diags).map(|text| {
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
    reach: &Reach,
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
    Some(loader.load(&entries, base, reach, sources, diags))
}
