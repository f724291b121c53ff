//! Rules about definitions themselves, beyond what their schema says.
//!
//! A contract that contradicts itself fails every playbook that uses it, and
//! the author of the playbook is the wrong person to find out. These checks
//! run whenever a catalog is loaded (`validate`, `plan`, `run` and
//! `catalog check`), so a broken definition is reported at its own line:
//!
//! - a `default` that breaks its attribute's own constraints,
//! - a required attribute with a `default` (the default could never apply),
//! - limits that cannot all hold (`min_length` over `max_length`), or an
//!   `enum` value the other constraints forbid,
//! - a contract whose smallest possible payload is over the 1 KB limit,
//! - the same name and version defined twice.
//!
//! Patterns that do not compile are reported by the loader, which compiles
//! them.

use std::collections::HashMap;
use std::sync::Arc;

use crate::catalog::contract::{Violation, check_value};
use crate::catalog::{AttributeDef, Definition};
use crate::diag::Diagnostic;
use crate::service::ATTRIBUTES_MAX_BYTES;

/// Checks one definition on its own.
pub fn check_definition(def: &Definition, diags: &mut Vec<Diagnostic>) {
    for attr in def.attributes.values() {
        check_default(def, attr, diags);
        check_limits(def, attr, diags);
    }
    check_fits(def, diags);
}

fn check_default(def: &Definition, attr: &AttributeDef, diags: &mut Vec<Diagnostic>) {
    let Some(default) = &attr.default else {
        return;
    };
    if attr.required {
        diags.push(
            Diagnostic::error(
                "catalog::required-with-default",
                format!(
                    "attribute `{}` of `{}` is required and has a default",
                    attr.key,
                    def.label()
                ),
            )
            .at(Some(default.at))
            .related(attr.required_at, "required here")
            .hint("a required attribute must be given by every playbook, so its default would never be used; remove `default` or `required`"),
        );
    }
    let mut found = Vec::new();
    check_value(attr, &default.value, &mut found);
    for v in found {
        diags.push(
            Diagnostic::error(
                "catalog::invalid-default",
                format!(
                    "default `{}` of attribute `{}` {}",
                    default.value,
                    attr.key,
                    v.predicate(attr)
                ),
            )
            .at(Some(default.at))
            .related(v.rule_at(attr), "constraint defined here")
            .hint("a default is sent as written, so it must meet the attribute's own constraints"),
        );
    }
}

fn check_limits(def: &Definition, attr: &AttributeDef, diags: &mut Vec<Diagnostic>) {
    let contradiction = |message: String| {
        Diagnostic::error("catalog::contradictory-constraints", message)
            .hint("no value can meet every constraint of this attribute; loosen one of them")
    };
    if let (Some(min), Some(max)) = (&attr.min_length, &attr.max_length)
        && min.value > max.value
    {
        diags.push(
            contradiction(format!(
                "attribute `{}` of `{}` has min_length {} over max_length {}",
                attr.key,
                def.label(),
                min.value,
                max.value
            ))
            .at(Some(min.at))
            .related(Some(max.at), "max_length defined here"),
        );
    }
    // Every character is at least one byte.
    if let (Some(min), Some(max)) = (&attr.min_length, &attr.max_bytes)
        && min.value > max.value
    {
        diags.push(
            contradiction(format!(
                "attribute `{}` of `{}` has min_length {} over max_bytes {} (every character is at least one byte)",
                attr.key,
                def.label(),
                min.value,
                max.value
            ))
            .at(Some(min.at))
            .related(Some(max.at), "max_bytes defined here"),
        );
    }
    if let Some(e) = &attr.enum_values {
        for value in &e.value {
            let mut found = Vec::new();
            check_value(attr, value, &mut found);
            for v in found
                .iter()
                .filter(|v| !matches!(v, Violation::NotInEnum { .. }))
            {
                diags.push(
                    contradiction(format!(
                        "enum value `{value}` of attribute `{}` can never be sent: it {}",
                        attr.key,
                        v.predicate(attr)
                    ))
                    .at(Some(e.at))
                    .related(v.rule_at(attr), "constraint defined here"),
                );
            }
        }
    }
}

/// Bytes the smallest payload of a definition takes: every attribute that
/// is always sent (required, or with a default) at its smallest allowed
/// value: the shortest `enum` value, else `min_length` characters of one
/// byte each. A default could be overridden by a shorter value, so it counts
/// only through those bounds.
pub fn minimal_payload(def: &Definition) -> usize {
    def.attributes
        .values()
        .filter(|a| a.required || a.default.is_some())
        .map(|a| {
            let value = match (&a.enum_values, &a.min_length) {
                (Some(e), _) => e.value.iter().map(String::len).min().unwrap_or(0),
                (None, Some(m)) => m.value,
                (None, None) => 0,
            };
            a.key.len() + value
        })
        .sum()
}

fn check_fits(def: &Definition, diags: &mut Vec<Diagnostic>) {
    let bytes = minimal_payload(def);
    if bytes > ATTRIBUTES_MAX_BYTES {
        diags.push(
            Diagnostic::error(
                "catalog::cannot-fit",
                format!(
                    "the smallest payload `{}` allows is {bytes} bytes, over the 1 KB limit: every event using it would be refused",
                    def.label()
                ),
            )
            .at(Some(def.at))
            .hint("required attributes and attributes with a default are always sent, keys included; shorten keys, lower min_length or shorten enum values"),
        );
    }
}

/// The same name and version defined twice, in one file or across files:
/// the first counts, every other one is an error.
pub fn check_duplicates(definitions: &[Arc<Definition>], diags: &mut Vec<Diagnostic>) {
    let mut first: HashMap<(&str, u32), &Definition> = HashMap::new();
    for d in definitions {
        match first.get(&(d.name.as_str(), d.version)) {
            Some(f) => diags.push(
                Diagnostic::error(
                    "catalog::duplicate-definition",
                    format!("`{}` is defined twice", d.label()),
                )
                .at(Some(d.at))
                .related(Some(f.at), "first defined here")
                .hint("give the new contract the next `version`, and keep the old one while playbooks pin it"),
            ),
            None => {
                first.insert((d.name.as_str(), d.version), d);
            }
        }
    }
}
