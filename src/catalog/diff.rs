//! Breaking and non-breaking changes between two versions of a catalog.
//!
//! A change is **breaking** when a playbook that was valid against the old
//! catalog can be invalid against the new one: a definition or version
//! removed, an attribute that became required or was added as required, an
//! `enum` that lost a value (or appeared), a limit that shrank (`max_length`
//! or `max_bytes` down or added, `min_length` up or added), a `pattern` added
//! or changed, unknown attributes no longer allowed, or an attribute removed
//! while unknown attributes are not allowed. Everything else (an optional
//! attribute added, an enum value added, a limit grown, a description or
//! default changed) is **non-breaking**.
//!
//! Definitions are compared by name and version. When the highest version
//! of a name changes, `use: NAME` (unpinned) follows it, so the old and new
//! highest versions are compared as well: adding `SystemMessage@3` with a new
//! required attribute breaks every playbook that does not pin a version.

use serde::Serialize;

use super::{AttributeDef, Catalog, Definition};
use crate::diag::Location;

/// What changed. The kebab-case names are stable: CI may match on them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ChangeKind {
    /// A definition (name and version) is gone.
    DefinitionRemoved,
    /// An attribute is gone and unknown attributes are not allowed.
    AttributeRemoved,
    /// An optional attribute became required.
    AttributeNowRequired,
    /// A new attribute is required.
    RequiredAttributeAdded,
    /// An `enum` lost a value.
    EnumValueRemoved,
    /// An attribute that took any value now has an `enum`.
    EnumAdded,
    /// `max_length` went down, or was added.
    MaxLengthDecreased,
    /// `min_length` went up, or was added.
    MinLengthIncreased,
    /// `max_bytes` went down, or was added.
    MaxBytesDecreased,
    /// `pattern` changed, or was added.
    PatternChanged,
    /// Unknown attributes were allowed and are not any more.
    UnknownAttributesDisallowed,
    /// A definition (name and version) is new.
    DefinitionAdded,
    /// The highest version of a name changed, so unpinned `use:` follows it.
    LatestVersionChanged,
    /// A new attribute is optional.
    OptionalAttributeAdded,
    /// An attribute is gone, but unknown attributes are allowed.
    AttributeUndeclared,
    /// A required attribute became optional.
    AttributeNowOptional,
    /// An `enum` gained a value.
    EnumValueAdded,
    /// An `enum` was removed: any value goes.
    EnumRemoved,
    /// `max_length` went up, or was removed.
    MaxLengthIncreased,
    /// `min_length` went down, or was removed.
    MinLengthDecreased,
    /// `max_bytes` went up, or was removed.
    MaxBytesIncreased,
    /// `pattern` was removed.
    PatternRemoved,
    /// Unknown attributes are now allowed.
    UnknownAttributesAllowed,
    /// A definition's or attribute's description changed.
    DescriptionChanged,
    /// An attribute's default changed, appeared or went.
    DefaultChanged,
}

impl ChangeKind {
    /// Every kind, breaking ones first.
    pub const ALL: &'static [ChangeKind] = &[
        ChangeKind::DefinitionRemoved,
        ChangeKind::AttributeRemoved,
        ChangeKind::AttributeNowRequired,
        ChangeKind::RequiredAttributeAdded,
        ChangeKind::EnumValueRemoved,
        ChangeKind::EnumAdded,
        ChangeKind::MaxLengthDecreased,
        ChangeKind::MinLengthIncreased,
        ChangeKind::MaxBytesDecreased,
        ChangeKind::PatternChanged,
        ChangeKind::UnknownAttributesDisallowed,
        ChangeKind::DefinitionAdded,
        ChangeKind::LatestVersionChanged,
        ChangeKind::OptionalAttributeAdded,
        ChangeKind::AttributeUndeclared,
        ChangeKind::AttributeNowOptional,
        ChangeKind::EnumValueAdded,
        ChangeKind::EnumRemoved,
        ChangeKind::MaxLengthIncreased,
        ChangeKind::MinLengthDecreased,
        ChangeKind::MaxBytesIncreased,
        ChangeKind::PatternRemoved,
        ChangeKind::UnknownAttributesAllowed,
        ChangeKind::DescriptionChanged,
        ChangeKind::DefaultChanged,
    ];

    /// Whether a playbook valid before may be invalid after.
    pub fn breaking(self) -> bool {
        matches!(
            self,
            ChangeKind::DefinitionRemoved
                | ChangeKind::AttributeRemoved
                | ChangeKind::AttributeNowRequired
                | ChangeKind::RequiredAttributeAdded
                | ChangeKind::EnumValueRemoved
                | ChangeKind::EnumAdded
                | ChangeKind::MaxLengthDecreased
                | ChangeKind::MinLengthIncreased
                | ChangeKind::MaxBytesDecreased
                | ChangeKind::PatternChanged
                | ChangeKind::UnknownAttributesDisallowed
        )
    }

    /// The stable kebab-case name.
    pub fn name(self) -> String {
        serde_json::to_value(self)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default()
    }
}

/// One change.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    /// What changed.
    pub kind: ChangeKind,
    /// The event name.
    pub event: String,
    /// The version compared; `None` for the comparison of the highest
    /// versions that unpinned `use:` follows.
    pub version: Option<u32>,
    /// The attribute, for attribute changes.
    pub attribute: Option<String>,
    /// What changed, in words.
    pub message: String,
    /// Where in the new catalog (or the old one, for removals).
    pub at: Option<Location>,
}

impl Change {
    /// Whether it is breaking.
    pub fn breaking(&self) -> bool {
        self.kind.breaking()
    }

    /// What the change is about: `NAME@VERSION`, or `NAME (unpinned)`.
    pub fn subject(&self) -> String {
        match self.version {
            Some(v) => format!("{}@{v}", self.event),
            None => format!("{} (unpinned `use: {}`)", self.event, self.event),
        }
    }
}

/// Every change from `old` to `new`, grouped by event name, then version
/// (the unpinned comparison last).
pub fn diff(old: &Catalog, new: &Catalog) -> Vec<Change> {
    let mut names: Vec<&str> = old.names();
    names.extend(new.names());
    names.sort_unstable();
    names.dedup();
    let mut out = Vec::new();
    for name in names {
        let mut versions: Vec<u32> = old
            .sorted()
            .into_iter()
            .chain(new.sorted())
            .filter(|d| d.name == name)
            .map(|d| d.version)
            .collect();
        versions.sort_unstable();
        versions.dedup();
        for v in versions {
            let change = |kind, message: String, at| Change {
                kind,
                event: name.to_string(),
                version: Some(v),
                attribute: None,
                message,
                at,
            };
            match (old.get(name, v), new.get(name, v)) {
                (Some(o), None) => out.push(change(
                    ChangeKind::DefinitionRemoved,
                    format!("`{}` was removed: playbooks that `use:` it fail", o.label()),
                    Some(o.at),
                )),
                (None, Some(n)) => out.push(change(
                    ChangeKind::DefinitionAdded,
                    "added".to_string(),
                    Some(n.at),
                )),
                (Some(o), Some(n)) => compare(o, n, Some(v), &mut out),
                (None, None) => {}
            }
        }
        if let (Some(o), Some(n)) = (old.latest(name), new.latest(name))
            && o.version != n.version
        {
            out.push(Change {
                kind: ChangeKind::LatestVersionChanged,
                event: name.to_string(),
                version: None,
                attribute: None,
                message: format!("now means `{}` (was `{}`)", n.label(), o.label()),
                at: Some(n.at),
            });
            compare(o, n, None, &mut out);
        }
    }
    out
}

/// Changes between two versions of one contract.
fn compare(o: &Definition, n: &Definition, version: Option<u32>, out: &mut Vec<Change>) {
    let mut push = |kind, attribute: Option<&str>, message: String, at: Location| {
        out.push(Change {
            kind,
            event: n.name.clone(),
            version,
            attribute: attribute.map(str::to_string),
            message,
            at: Some(at),
        })
    };
    if o.description != n.description {
        push(
            ChangeKind::DescriptionChanged,
            None,
            "description changed".to_string(),
            n.at,
        );
    }
    match (o.allow_unknown, n.allow_unknown) {
        (true, false) => push(
            ChangeKind::UnknownAttributesDisallowed,
            None,
            "unknown attributes are no longer allowed".to_string(),
            n.allow_unknown_at.unwrap_or(n.at),
        ),
        (false, true) => push(
            ChangeKind::UnknownAttributesAllowed,
            None,
            "unknown attributes are now allowed".to_string(),
            n.allow_unknown_at.unwrap_or(n.at),
        ),
        _ => {}
    }
    for (key, oa) in &o.attributes {
        match n.attributes.get(key) {
            None if n.allow_unknown => push(
                ChangeKind::AttributeUndeclared,
                Some(key),
                format!(
                    "attribute `{key}` was removed (still accepted: unknown attributes are allowed)"
                ),
                n.at,
            ),
            None => push(
                ChangeKind::AttributeRemoved,
                Some(key),
                format!("attribute `{key}` was removed: playbooks that send it fail"),
                n.at,
            ),
            Some(na) => compare_attribute(oa, na, &mut push),
        }
    }
    for (key, na) in &n.attributes {
        if o.attributes.contains_key(key) {
            continue;
        }
        if na.required {
            push(
                ChangeKind::RequiredAttributeAdded,
                Some(key),
                format!("required attribute `{key}` was added"),
                na.at,
            );
        } else {
            push(
                ChangeKind::OptionalAttributeAdded,
                Some(key),
                format!("optional attribute `{key}` was added"),
                na.at,
            );
        }
    }
}

/// Changes to one attribute kept by both versions, rule by rule.
fn compare_attribute(
    o: &AttributeDef,
    n: &AttributeDef,
    push: &mut impl FnMut(ChangeKind, Option<&str>, String, Location),
) {
    required_change(o, n, push);
    enum_changes(o, n, push);
    pattern_change(o, n, push);
    limit_changes(o, n, push);
    default_change(o, n, push);
    if o.description != n.description {
        let key = n.key.as_str();
        push(
            ChangeKind::DescriptionChanged,
            Some(key),
            format!("attribute `{key}`: description changed"),
            n.at,
        );
    }
}

/// `required` switched on or off.
fn required_change(
    o: &AttributeDef,
    n: &AttributeDef,
    push: &mut impl FnMut(ChangeKind, Option<&str>, String, Location),
) {
    let key = n.key.as_str();
    match (o.required, n.required) {
        (false, true) => push(
            ChangeKind::AttributeNowRequired,
            Some(key),
            format!("attribute `{key}` is now required"),
            n.required_at.unwrap_or(n.at),
        ),
        (true, false) => push(
            ChangeKind::AttributeNowOptional,
            Some(key),
            format!("attribute `{key}` is no longer required"),
            n.at,
        ),
        _ => {}
    }
}

/// An `enum` added or removed, or each value it lost and gained.
fn enum_changes(
    o: &AttributeDef,
    n: &AttributeDef,
    push: &mut impl FnMut(ChangeKind, Option<&str>, String, Location),
) {
    let key = n.key.as_str();
    let k = Some(key);
    match (&o.enum_values, &n.enum_values) {
        (None, Some(e)) => push(
            ChangeKind::EnumAdded,
            k,
            format!("attribute `{key}` now accepts only {}", e.value.join(", ")),
            e.at,
        ),
        (Some(_), None) => push(
            ChangeKind::EnumRemoved,
            k,
            format!("attribute `{key}` no longer limits its values to a list"),
            n.at,
        ),
        (Some(a), Some(b)) => {
            for v in a.value.iter().filter(|v| !b.value.contains(v)) {
                push(
                    ChangeKind::EnumValueRemoved,
                    k,
                    format!("attribute `{key}` no longer accepts `{v}`"),
                    b.at,
                );
            }
            for v in b.value.iter().filter(|v| !a.value.contains(v)) {
                push(
                    ChangeKind::EnumValueAdded,
                    k,
                    format!("attribute `{key}` now also accepts `{v}`"),
                    b.at,
                );
            }
        }
        (None, None) => {}
    }
}

/// A `pattern` added, changed or removed.
fn pattern_change(
    o: &AttributeDef,
    n: &AttributeDef,
    push: &mut impl FnMut(ChangeKind, Option<&str>, String, Location),
) {
    let key = n.key.as_str();
    let k = Some(key);
    let (op, np) = (
        o.pattern.as_ref().map(|p| (&p.value.source, p.at)),
        n.pattern.as_ref().map(|p| (&p.value.source, p.at)),
    );
    match (op, np) {
        (None, Some((b, at))) => push(
            ChangeKind::PatternChanged,
            k,
            format!("attribute `{key}` must now match the pattern `{b}`"),
            at,
        ),
        (Some((a, _)), Some((b, at))) if a != b => push(
            ChangeKind::PatternChanged,
            k,
            format!("attribute `{key}`: pattern changed from `{a}` to `{b}`"),
            at,
        ),
        (Some((a, _)), None) => push(
            ChangeKind::PatternRemoved,
            k,
            format!("attribute `{key}`: pattern `{a}` was removed"),
            n.at,
        ),
        _ => {}
    }
}

/// `max_length`, `max_bytes` and `min_length` added, removed or moved:
/// tighter is breaking, looser is not.
fn limit_changes(
    o: &AttributeDef,
    n: &AttributeDef,
    push: &mut impl FnMut(ChangeKind, Option<&str>, String, Location),
) {
    let key = n.key.as_str();
    let limits = [
        (
            "max_length",
            &o.max_length,
            &n.max_length,
            true,
            ChangeKind::MaxLengthDecreased,
            ChangeKind::MaxLengthIncreased,
        ),
        (
            "max_bytes",
            &o.max_bytes,
            &n.max_bytes,
            true,
            ChangeKind::MaxBytesDecreased,
            ChangeKind::MaxBytesIncreased,
        ),
        (
            "min_length",
            &o.min_length,
            &n.min_length,
            false,
            ChangeKind::MinLengthDecreased,
            ChangeKind::MinLengthIncreased,
        ),
    ];
    for (rule, a, b, is_max, down, up) in limits {
        let at = b.as_ref().map_or(n.at, |s| s.at);
        let (a, b) = (a.as_ref().map(|s| s.value), b.as_ref().map(|s| s.value));
        // No limit means 0 for a minimum and unlimited for a maximum.
        let (message, kind) = match (a, b) {
            (None, Some(b)) if is_max => (format!("{rule} {b} was added"), down),
            (None, Some(b)) if b > 0 => (format!("{rule} {b} was added"), up),
            (Some(a), None) if is_max => (format!("{rule} {a} was removed"), up),
            (Some(a), None) if a > 0 => (format!("{rule} {a} was removed"), down),
            (Some(a), Some(b)) if a != b => (
                format!("{rule} went from {a} to {b}"),
                if b < a { down } else { up },
            ),
            _ => continue,
        };
        push(kind, Some(key), format!("attribute `{key}`: {message}"), at);
    }
}

/// A `default` added, changed or removed.
fn default_change(
    o: &AttributeDef,
    n: &AttributeDef,
    push: &mut impl FnMut(ChangeKind, Option<&str>, String, Location),
) {
    let key = n.key.as_str();
    let k = Some(key);
    match (&o.default, &n.default) {
        (Some(a), Some(b)) if a.value != b.value => push(
            ChangeKind::DefaultChanged,
            k,
            format!(
                "attribute `{key}`: default changed from `{}` to `{}`",
                a.value, b.value
            ),
            b.at,
        ),
        (None, Some(b)) => push(
            ChangeKind::DefaultChanged,
            k,
            format!("attribute `{key}`: default `{}` was added", b.value),
            b.at,
        ),
        (Some(a), None) => push(
            ChangeKind::DefaultChanged,
            k,
            format!("attribute `{key}`: default `{}` was removed", a.value),
            n.at,
        ),
        _ => {}
    }
}
