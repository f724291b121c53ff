//! Event catalogs: versioned contracts between playbooks and the chat
//! front-ends that render their events.
//!
//! A front-end reacts to an event by name and reads particular attributes;
//! an event definition (YAML, [`model`]) writes that contract down: which
//! attributes exist, which are required, their defaults and the values the
//! front-end can render. A playbook points at definition files with
//! `catalog:` and an event says `use: SystemMessage` (or `SystemMessage@2`);
//! validation then holds the event's attributes, rendered for every room, to
//! the contract.
//!
//! - [`model`]: the file format (serde + schemars).
//! - [`load`]: finding (globs, folders), reading and checking definition
//!   files into a [`Catalog`].
//! - [`check`]: rules about definitions themselves (`catalog check`).
//! - [`contract`]: holding attribute values to a definition.
//! - [`diff`]: breaking and non-breaking changes between two catalogs.

pub mod check;
pub mod contract;
pub mod diff;
pub mod load;
pub mod model;
mod paths;
mod schema_rules;

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;

use indexmap::IndexMap;

use crate::diag::Location;

/// A value and where it is written.
#[derive(Debug, Clone, PartialEq)]
pub struct Spanned<T> {
    /// The value.
    pub value: T,
    /// Where it is written (the value, not its key).
    pub at: Location,
}

/// An attribute's `pattern`, compiled once.
#[derive(Debug, Clone)]
pub struct Pattern {
    /// As written.
    pub source: String,
    /// Anchored at both ends; `None` when the pattern does not compile (that
    /// is reported, and the pattern is then not checked).
    pub regex: Option<regex::Regex>,
}

impl Pattern {
    /// Whether the whole value matches. A pattern that did not compile
    /// matches everything: its own error is reported once, at the pattern,
    /// rather than at every value.
    pub fn matches(&self, value: &str) -> bool {
        self.regex.as_ref().is_none_or(|r| r.is_match(value))
    }
}

/// One attribute of a definition, with where each part is written so
/// diagnostics can point at the rule that was broken.
#[derive(Debug, Clone)]
pub struct AttributeDef {
    /// The key.
    pub key: String,
    /// Whether every event must carry it.
    pub required: bool,
    /// What it means.
    pub description: Option<String>,
    /// Sent when the playbook does not give a value.
    pub default: Option<Spanned<String>>,
    /// The values allowed.
    pub enum_values: Option<Spanned<Vec<String>>>,
    /// The pattern the whole value must match.
    pub pattern: Option<Spanned<Pattern>>,
    /// Fewest characters.
    pub min_length: Option<Spanned<usize>>,
    /// Most characters.
    pub max_length: Option<Spanned<usize>>,
    /// Most UTF-8 bytes.
    pub max_bytes: Option<Spanned<usize>>,
    /// Where the key is written.
    pub at: Location,
    /// Where `required` is written, if it is.
    pub required_at: Option<Location>,
}

impl AttributeDef {
    /// Whether any value constraint is set (otherwise values need no check).
    pub fn constrains_values(&self) -> bool {
        self.enum_values.is_some()
            || self.pattern.is_some()
            || self.min_length.is_some()
            || self.max_length.is_some()
            || self.max_bytes.is_some()
    }
}

/// One version of an event definition.
#[derive(Debug, Clone)]
pub struct Definition {
    /// The event name.
    pub name: String,
    /// Its version (1 when not written).
    pub version: u32,
    /// What it is for.
    pub description: Option<String>,
    /// Whether attributes it does not list are accepted.
    pub allow_unknown: bool,
    /// Where `allow_unknown_attributes` is written, if it is.
    pub allow_unknown_at: Option<Location>,
    /// Its attributes, in the order written.
    pub attributes: IndexMap<String, AttributeDef>,
    /// Where the name is written.
    pub at: Location,
    /// The file it is in.
    pub path: PathBuf,
}

impl Definition {
    /// `NAME@VERSION`, how messages and `use:` pins name it.
    pub fn label(&self) -> String {
        format!("{}@{}", self.name, self.version)
    }

    /// Keys of the attributes, for hints.
    pub fn keys(&self) -> Vec<&str> {
        self.attributes.keys().map(String::as_str).collect()
    }
}

/// Splits a `use:` value into the name and the pinned version:
/// `SystemMessage` or `SystemMessage@2`. A suffix that is not a version
/// (`a@b`) is part of the name.
pub fn parse_use(s: &str) -> (&str, Option<u32>) {
    if let Some((name, v)) = s.rsplit_once('@')
        && !name.is_empty()
        && !v.is_empty()
        && v.bytes().all(|b| b.is_ascii_digit())
        && let Ok(n) = v.parse::<u32>()
    {
        return (name, Some(n));
    }
    (s, None)
}

/// What a `use:` reference resolves to.
#[derive(Debug)]
pub enum Resolved<'a> {
    /// The definition.
    Found(&'a Arc<Definition>),
    /// No definition has the name.
    UnknownName,
    /// The name exists but not the pinned version.
    UnknownVersion {
        /// The versions that exist, ascending.
        versions: Vec<u32>,
        /// The highest one.
        latest: &'a Arc<Definition>,
    },
}

/// The definitions a playbook (or a `catalog` command) can use.
#[derive(Debug, Default)]
pub struct Catalog {
    /// Every definition that could be read, in file order. When a name and
    /// version are defined twice, the first counts (the second is an error).
    pub definitions: Vec<Arc<Definition>>,
    /// Indices into `definitions` by name, ascending by version.
    by_name: HashMap<String, Vec<usize>>,
    /// Some file or definition could not be read: a name missing from the
    /// catalog may exist in it.
    pub incomplete: bool,
    /// Names written in definitions that could not be read, so a `use:` of
    /// them is not reported as unknown as well.
    pub broken_names: HashSet<String>,
    /// The files, in order.
    pub files: Vec<PathBuf>,
}

impl Catalog {
    /// Builds the index. Duplicates (same name and version) keep the first.
    pub fn new(
        definitions: Vec<Arc<Definition>>,
        incomplete: bool,
        broken_names: HashSet<String>,
        files: Vec<PathBuf>,
    ) -> Self {
        let mut by_name: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, d) in definitions.iter().enumerate() {
            let list = by_name.entry(d.name.clone()).or_default();
            if !list.iter().any(|&j| definitions[j].version == d.version) {
                list.push(i);
            }
        }
        for list in by_name.values_mut() {
            list.sort_by_key(|&i| definitions[i].version);
        }
        Catalog {
            definitions,
            by_name,
            incomplete,
            broken_names,
            files,
        }
    }

    /// Resolves `name` with an optional pinned version; unpinned means the
    /// highest version.
    pub fn resolve(&self, name: &str, version: Option<u32>) -> Resolved<'_> {
        let Some(list) = self.by_name.get(name) else {
            return Resolved::UnknownName;
        };
        let latest = &self.definitions[*list.last().expect("names have a definition")];
        match version {
            None => Resolved::Found(latest),
            Some(v) => match list.iter().find(|&&i| self.definitions[i].version == v) {
                Some(&i) => Resolved::Found(&self.definitions[i]),
                None => Resolved::UnknownVersion {
                    versions: list.iter().map(|&i| self.definitions[i].version).collect(),
                    latest,
                },
            },
        }
    }

    /// The definition of this exact name and version.
    pub fn get(&self, name: &str, version: u32) -> Option<&Arc<Definition>> {
        self.by_name
            .get(name)?
            .iter()
            .map(|&i| &self.definitions[i])
            .find(|d| d.version == version)
    }

    /// The highest version of a name.
    pub fn latest(&self, name: &str) -> Option<&Arc<Definition>> {
        self.by_name
            .get(name)
            .and_then(|l| l.last())
            .map(|&i| &self.definitions[i])
    }

    /// Every name, sorted.
    pub fn names(&self) -> Vec<&str> {
        let mut v: Vec<&str> = self.by_name.keys().map(String::as_str).collect();
        v.sort_unstable();
        v
    }

    /// Every distinct definition (duplicates left out), sorted by name and
    /// version.
    pub fn sorted(&self) -> Vec<&Arc<Definition>> {
        let mut out = Vec::new();
        for name in self.names() {
            for &i in &self.by_name[name] {
                out.push(&self.definitions[i]);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn use_references() {
        assert_eq!(parse_use("SystemMessage"), ("SystemMessage", None));
        assert_eq!(parse_use("SystemMessage@2"), ("SystemMessage", Some(2)));
        assert_eq!(parse_use("a@b"), ("a@b", None));
        assert_eq!(parse_use("@2"), ("@2", None));
        assert_eq!(parse_use("x@"), ("x@", None));
        assert_eq!(parse_use("x@99999999999"), ("x@99999999999", None));
        assert_eq!(parse_use("a@b@3"), ("a@b", Some(3)));
    }
}
