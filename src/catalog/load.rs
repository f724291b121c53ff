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
use std::sync::{Arc, LazyLock};

use indexmap::IndexMap;
use jsonschema::Validator;
use jsonschema::error::ValidationErrorKind;
use serde::Deserialize;
use serde_json::Value;

use super::model::EventDefinition;
use super::{AttributeDef, Catalog, Definition, Pattern, Spanned, check};
use crate::diag::{Diagnostic, Location, Sources};
use crate::fs::{FileRole, LinkPolicy, Reach, normalize, read_text};
use crate::schema::diagnose::{DocRules, Translator, expected_type, json_type};
use crate::schema::generate;
use crate::yaml::{SpanIndex, escape_pointer};

/// Where a catalog entry came from: its text and where it is written
/// (`None` on the command line).
#[derive(Debug, Clone)]
pub struct Entry {
    /// A glob, folder or file.
    pub pattern: String,
    /// Where the entry is written in a playbook.
    pub at: Option<Location>,
}

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

/// The definition-file schema, generated once.
static SCHEMA: LazyLock<Value> = LazyLock::new(generate::<super::model::DefinitionDocument>);

static VALIDATOR: LazyLock<Validator> =
    LazyLock::new(|| jsonschema::validator_for(&SCHEMA).expect("generated schema compiles"));

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

/// Whether an entry is a glob rather than a path.
fn is_glob(s: &str) -> bool {
    s.contains(['*', '?', '['])
}

/// The files an entry names. Reports globs and folders that name none.
fn resolve(e: &Entry, base: &Path, reach: &Reach, diags: &mut Vec<Diagnostic>) -> Vec<PathBuf> {
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
    let errors = schema_check(value, index, diags);
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
    if crate::service::request::event_name_reserved(&d.name.0) {
        let at = Some(index.value(&format!("{ptr}/name")));
        let code = "catalog::reserved-event-name";
        diags.push(crate::service::request::reserved_event_name(code, &d.name.0).at(at));
    }
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

/// Runs the schema and reports each error in the catalog's words.
/// Returns the instance paths that had errors.
fn schema_check(value: &Value, index: &SpanIndex, diags: &mut Vec<Diagnostic>) -> Vec<String> {
    Translator {
        root: &SCHEMA,
        index,
        rules: CatalogRules,
    }
    .check(&VALIDATOR, value, diags)
}

/// The wording of event-definition files.
struct CatalogRules;

impl DocRules for CatalogRules {
    fn unknown_key_code(&self) -> &'static str {
        "catalog::unknown-key"
    }

    fn translate(
        &self,
        t: &Translator<'_, Self>,
        err: &jsonschema::ValidationError<'_>,
        out: &mut Vec<Diagnostic>,
    ) {
        schema_diagnostic(t, err, out);
    }
}

/// One schema error in the definition file's words, by error-kind family.
fn schema_diagnostic(
    t: &Translator<'_, CatalogRules>,
    err: &jsonschema::ValidationError<'_>,
    out: &mut Vec<Diagnostic>,
) {
    let index = t.index;
    let ptr = err.instance_path().as_str();
    let segs: Vec<&str> = ptr.split('/').skip(1).collect();
    let instance: &Value = err.instance();
    let at = Some(index.value(ptr));
    let place = segs.last().map_or_else(
        || "the file".to_string(),
        |s| crate::yaml::unescape_pointer(s),
    );
    let d = match err.kind() {
        ValidationErrorKind::AnyOf { context } => {
            let meant = not_null_branches(t, context);
            if !meant.is_empty() {
                out.extend(meant);
                return;
            }
            Diagnostic::error("catalog::schema-violation", format!("`{place}`: {err}")).at(at)
        }
        ValidationErrorKind::Required { property } => {
            missing_key(property.as_str().unwrap_or_default(), &segs, at)
        }
        ValidationErrorKind::Type { kind } => wrong_type(kind, &segs, instance, &place, at),
        ValidationErrorKind::MinLength { .. } | ValidationErrorKind::MaxLength { .. }
            if matches!(segs.as_slice(), ["name"] | ["definitions", _, "name"]) =>
        {
            let n = instance.as_str().map_or(0, |s| s.chars().count());
            Diagnostic::error(
                "catalog::invalid-name",
                format!("event name is {n} characters long; it must be 1 to 100"),
            )
            .at(at)
        }
        ValidationErrorKind::PropertyNames { .. } => {
            Diagnostic::error("catalog::empty-attribute-key", "an attribute key is empty")
                .at(Some(index.key(&format!("{ptr}/"))))
                .hint("give the attribute a name")
        }
        _ => Diagnostic::error("catalog::schema-violation", format!("`{place}`: {err}")).at(at),
    };
    out.push(d);
}

/// Optional values are `anyOf: [the value, null]`: what is wrong with the
/// value, not that it is not null either.
fn not_null_branches(
    t: &Translator<'_, CatalogRules>,
    context: &[Vec<jsonschema::ValidationError<'static>>],
) -> Vec<Diagnostic> {
    let mut meant = Vec::new();
    for errs in context.iter().filter(|errs| {
        !errs.iter().all(|e| {
            matches!(e.kind(), ValidationErrorKind::Type { kind: jsonschema::error::TypeKind::Single(t) } if t.to_string() == "null")
        })
    }) {
        for e in errs {
            t.translate(e, &mut meant);
        }
    }
    meant
}

/// A missing required key; a file without `name` is told what one holds.
fn missing_key(prop: &str, segs: &[&str], at: Option<Location>) -> Diagnostic {
    let d = Diagnostic::error(
        "catalog::missing-key",
        format!("missing required key `{prop}`"),
    )
    .at(at);
    if prop == "name" && segs.is_empty() {
        d.hint("a definition file holds one definition (with `name`) or a `definitions` list")
    } else {
        d
    }
}

/// A value of the wrong type, with a hint for the usual YAML slips.
fn wrong_type(
    kind: &jsonschema::error::TypeKind,
    segs: &[&str],
    instance: &Value,
    place: &str,
    at: Option<Location>,
) -> Diagnostic {
    let d = Diagnostic::error(
        "catalog::wrong-type",
        if segs.is_empty() {
            format!(
                "an event definition file is a mapping (one definition, or `definitions: [...]`), not {}",
                json_type(instance)
            )
        } else {
            format!(
                "`{place}` must be {}, not {}",
                expected_type(kind),
                json_type(instance)
            )
        },
    )
    .at(at);
    match (segs.last(), instance) {
        (_, Value::Null) => {
            d.hint("the value is empty; write one after the colon, or remove the key")
        }
        (Some(&"default"), Value::Number(_) | Value::Bool(_)) => d.hint(format!(
            "attribute values are strings; quote it: \"{}\"",
            instance
        )),
        (Some(&"required" | &"allow_unknown_attributes"), Value::String(_)) => {
            d.hint("write `true` or `false` (`yes` and `no` are strings in YAML 1.2)")
        }
        _ if segs.len() >= 2 && segs[segs.len() - 2] == "enum" => {
            d.hint("enum values are strings; quote numbers and booleans")
        }
        _ => d,
    }
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
