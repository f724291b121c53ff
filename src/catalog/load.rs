//! Finding, reading and checking event definition files.
//!
//! A catalog is named by entries (a playbook's `catalog:` list, or the
//! paths of a `catalog` command): a glob such as `events/*.yaml`, a folder
//! (its `.yaml`/`.yml` files), or a file, relative to the playbook (or the
//! current folder on the command line). Each file is read once per run even
//! when several playbooks use it, so its problems are reported once; every
//! file is registered in [`Sources`] so diagnostics can quote it.
//!
//! Files are checked against the generated event definition schema, read
//! into [`Definition`]s with the place of every rule, and then checked by
//! [`super::check`]. A definition with problems is left out of the catalog
//! but its name is remembered, so a playbook that uses it is not told the
//! name is unknown on top of the real problem.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use indexmap::IndexMap;
use serde::Deserialize;
use serde_json::Value;

use super::model::EventDefinition;
pub use super::paths::Entry;
use super::paths::resolve;
use super::schema_rules::schema_check;
use super::{AttributeDef, Catalog, Definition, Pattern, Spanned, check};
use crate::diag::{Diagnostic, Location, Sources};
use crate::fs::{FileRole, Reach, read_text};
use crate::yaml::{SpanIndex, escape_pointer};

/// What one file held.
#[derive(Debug, Default)]
struct FileDefinitions {
    definitions: Vec<Arc<Definition>>,
    incomplete: bool,
    broken_names: HashSet<String>,
}

/// Reads catalogs, each file once per run.
#[derive(Debug, Default)]
pub struct Loader {
    files: HashMap<PathBuf, Arc<FileDefinitions>>,
    catalogs: HashMap<Vec<PathBuf>, Arc<Catalog>>,
}

/// Largest compiled size of one pattern: far above any sensible pattern,
/// small enough that a hostile one cannot take the memory.
const PATTERN_SIZE_LIMIT: usize = 1 << 20;

impl Loader {
    /// Resolves `entries` against `base`, reads the files and returns the
    /// catalog they make. Problems go to `diags`.
    pub fn load(
        &mut self,
        entries: &[Entry],
        base: &Path,
        reach: &Reach,
        sources: &mut Sources,
        diags: &mut Vec<Diagnostic>,
    ) -> Arc<Catalog> {
        // Each file with the entry that first names it.
        let mut named: Vec<(PathBuf, Option<Location>)> = Vec::new();
        let mut unresolved = false;
        for e in entries {
            let found = resolve(e, base, reach, diags);
            unresolved |= found.is_empty();
            for p in found {
                if !named.iter().any(|(q, _)| *q == p) {
                    named.push((p, e.at));
                }
            }
        }
        let paths: Vec<PathBuf> = named.iter().map(|(p, _)| p.clone()).collect();
        if let Some(c) = self.catalogs.get(&paths) {
            if unresolved && !c.incomplete {
                return Arc::new(Catalog::new(
                    c.definitions.clone(),
                    true,
                    c.broken_names.clone(),
                    c.files.clone(),
                ));
            }
            return c.clone();
        }
        let mut definitions = Vec::new();
        let mut incomplete = unresolved;
        let mut broken_names = HashSet::new();
        for (p, at) in &named {
            let f = match self.files.get(p) {
                Some(f) => f.clone(),
                None => match read_file(p, *at, sources, diags) {
                    Some(f) => {
                        let f = Arc::new(f);
                        self.files.insert(p.clone(), f.clone());
                        f
                    }
                    // Not cached: another playbook naming the missing file
                    // is told at its own entry.
                    None => {
                        incomplete = true;
                        continue;
                    }
                },
            };
            definitions.extend(f.definitions.iter().cloned());
            incomplete |= f.incomplete;
            broken_names.extend(f.broken_names.iter().cloned());
        }
        check::check_duplicates(&definitions, diags);
        let catalog = Arc::new(Catalog::new(
            definitions,
            incomplete,
            broken_names,
            paths.clone(),
        ));
        self.catalogs.insert(paths, catalog.clone());
        catalog
    }
}

/// Reads, parses and checks one definition file; `None` when it cannot be
/// read at all (reported at `at`, the entry that names it).
fn read_file(
    path: &Path,
    at: Option<Location>,
    sources: &mut Sources,
    diags: &mut Vec<Diagnostic>,
) -> Option<FileDefinitions> {
    let broken = || {
        Some(FileDefinitions {
            incomplete: true,
            ..FileDefinitions::default()
        })
    };
    let text = read_text(path, at, FileRole::Catalog, diags)?;
    let file = sources.add(path.to_path_buf(), text);
    let Some(parsed) = crate::yaml::parse(sources, file, diags) else {
        return broken();
    };
    let index = &parsed.index;
    let value = &parsed.value;
    if value.is_null() {
        diags.push(
            Diagnostic::error("catalog::empty", "the event definition file is empty")
                .at(Some(index.value("")))
                .hint("a definition file holds one definition (`name`, `attributes`) or a `definitions` list"),
        );
        return broken();
    }
    let errors = schema_check(value, (index, &sources.get(file).text), diags);
    let mut out = FileDefinitions::default();
    let pointers: Vec<String> = match value.get("definitions").and_then(Value::as_array) {
        Some(list) => (0..list.len())
            .map(|i| format!("/definitions/{i}"))
            .collect(),
        None if value.get("definitions").is_some() || !value.is_object() => {
            out.incomplete = true;
            Vec::new()
        }
        None => vec![String::new()],
    };
    for ptr in pointers {
        let v = value.pointer(&ptr).unwrap_or(&Value::Null);
        let name = v.get("name").and_then(Value::as_str);
        let broken = errors
            .iter()
            .any(|e| e == &ptr || e.starts_with(&format!("{ptr}/")));
        let def = if broken {
            None
        } else {
            build(v, &ptr, index, path, diags)
        };
        match def {
            Some(d) => {
                check::check_definition(&d, diags);
                out.definitions.push(Arc::new(d));
            }
            None => {
                out.incomplete |= name.is_none();
                if let Some(n) = name {
                    out.broken_names.insert(n.to_string());
                }
            }
        }
    }
    Some(out)
}

/// Turns a definition that passed the schema into a [`Definition`].
fn build(
    v: &Value,
    ptr: &str,
    index: &SpanIndex,
    path: &Path,
    diags: &mut Vec<Diagnostic>,
) -> Option<Definition> {
    let d = match EventDefinition::deserialize(v) {
        Ok(d) => d,
        Err(e) => {
            diags.push(
                Diagnostic::error("catalog::invalid", e.to_string()).at(Some(index.value(ptr))),
            );
            return None;
        }
    };
    let mut attributes = IndexMap::with_capacity(d.attributes.len());
    for (key, spec) in d.attributes {
        let ap = format!("{ptr}/attributes/{}", escape_pointer(&key));
        let at = |field: &str| index.value(&format!("{ap}/{field}"));
        let spanned = |value: Option<u32>, field: &str| {
            value.map(|v| Spanned {
                value: v as usize,
                at: at(field),
            })
        };
        let pattern = spec.pattern.map(|source| {
            let regex = compile_pattern(&source, at("pattern"), diags);
            Spanned {
                value: Pattern { source, regex },
                at: at("pattern"),
            }
        });
        let def = AttributeDef {
            key: key.clone(),
            required: spec.required,
            description: spec.description,
            default: spec.default.map(|d| Spanned {
                value: d.0,
                at: at("default"),
            }),
            enum_values: spec.enum_values.map(|e| Spanned {
                value: e,
                at: at("enum"),
            }),
            pattern,
            min_length: spanned(spec.min_length, "min_length"),
            max_length: spanned(spec.max_length, "max_length"),
            max_bytes: spanned(spec.max_bytes, "max_bytes"),
            at: index.key(&ap),
            required_at: index
                .contains(&format!("{ap}/required"))
                .then(|| at("required")),
        };
        attributes.insert(key, def);
    }
    let allow_ptr = format!("{ptr}/allow_unknown_attributes");
    Some(Definition {
        name: d.name.0,
        version: d.version.unwrap_or(1),
        description: d.description,
        allow_unknown: d.allow_unknown_attributes,
        allow_unknown_at: index.contains(&allow_ptr).then(|| index.value(&allow_ptr)),
        attributes,
        at: index.value(&format!("{ptr}/name")),
        path: path.to_path_buf(),
    })
}

/// Compiles a pattern anchored at both ends, for this tool and for the
/// JSON Schema validators editors use. `None` (and a diagnostic) when
/// either cannot read it.
fn compile_pattern(
    source: &str,
    at: Location,
    diags: &mut Vec<Diagnostic>,
) -> Option<regex::Regex> {
    let anchored = anchored(source);
    let regex = match regex::RegexBuilder::new(&anchored)
        .size_limit(PATTERN_SIZE_LIMIT)
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            let detail = e.to_string();
            // The last line says what is wrong; the lines above quote the
            // anchored pattern, which the user did not write.
            let last = detail.lines().last().unwrap_or("").trim();
            let last = last.strip_prefix("error: ").unwrap_or(last).to_string();
            diags.push(
                Diagnostic::error(
                    "catalog::invalid-pattern",
                    format!("`{source}` is not a valid regular expression: {last}"),
                )
                .at(Some(at))
                .hint("patterns use the regex syntax common to Rust and JavaScript; escape `\\`, `.`, `(` and friends with a backslash"),
            );
            return None;
        }
    };
    let schema = serde_json::json!({ "type": "string", "pattern": anchored });
    if let Err(e) = jsonschema::validator_for(&schema) {
        diags.push(
            Diagnostic::error(
                "catalog::invalid-pattern",
                format!("`{source}` cannot be used by JSON Schema validators (editors): {e}"),
            )
            .at(Some(at))
            .hint("use the regex syntax common to Rust and JavaScript (ECMA 262)"),
        );
        return None;
    }
    Some(regex)
}

/// A pattern anchored at both ends, as it is checked (and as the
/// specialised playbook schema writes it).
pub fn anchored(source: &str) -> String {
    format!("^(?:{source})$")
}

/// A catalog read from command-line paths.
pub struct Loaded {
    /// The files read.
    pub sources: Sources,
    /// Problems found.
    pub diagnostics: Vec<Diagnostic>,
    /// The definitions.
    pub catalog: Arc<Catalog>,
}

/// Reads the catalog named by command-line paths (relative to the current
/// folder).
pub fn load_paths(paths: &[String]) -> Loaded {
    let mut sources = Sources::default();
    let mut diagnostics = Vec::new();
    let catalog = load_into(paths, &mut sources, &mut diagnostics);
    crate::diag::sort(&mut diagnostics);
    Loaded {
        sources,
        diagnostics,
        catalog,
    }
}

/// Reads the catalog named by `paths`, relative to the current folder,
/// into `sources` and `diags`.
pub fn load_into(
    paths: &[String],
    sources: &mut Sources,
    diags: &mut Vec<Diagnostic>,
) -> Arc<Catalog> {
    let entries: Vec<Entry> = paths
        .iter()
        .map(|p| Entry {
            pattern: p.clone(),
            at: None,
        })
        .collect();
    Loader::default().load(&entries, Path::new(""), &Reach::Anywhere, sources, diags)
}

#[cfg(test)]
mod tests;
