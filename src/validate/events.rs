//! Events: name, `use:` and its definition, target, attributes, and the
//! contract an event's static attributes are held to.

use super::model::*;
use super::rooms::{RawRooms, select_rooms};
use super::typed::*;
use crate::catalog::contract::{Contract, check_value, violation_diagnostic};
use crate::catalog::{Catalog, Definition, Resolved, parse_use};
use crate::diag::suggest::{did_you_mean, preview};
use crate::diag::{Diagnostic, Location};
use crate::playbook::model::{Attributes, EventName, Target, Vars};
use crate::playbook::rooms::Room;
use crate::schema::diagnose::has_error_under;
use crate::yaml::{SpanIndex, escape_pointer};
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::sync::Arc;

/// What a playbook's events may `use:`.
pub(super) struct CatalogUse<'a> {
    /// The definitions its `catalog` names, as far as they could be read.
    pub(super) catalog: Option<&'a Catalog>,
    /// Whether the playbook has a `catalog` key at all (a broken one is
    /// reported by the schema, and must not make every `use:` unknown).
    pub(super) declared: bool,
    /// Where `strict_catalog: true` is written, when it is.
    pub(super) strict: Option<Location>,
}

/// What every event of a playbook is checked against.
pub(super) struct EventCtx<'a> {
    pub(super) index: &'a SpanIndex,
    pub(super) schema_errors: &'a [String],
    pub(super) rooms: &'a [Room],
    pub(super) raw: &'a RawRooms,
    pub(super) catalog: &'a CatalogUse<'a>,
}

impl EventCtx<'_> {
    /// Checks the event at `pointer`, the `i`th of the playbook.
    pub(super) fn check_event(
        &self,
        i: usize,
        ev: &Value,
        pointer: &str,
        diags: &mut Vec<Diagnostic>,
    ) -> Option<EventSpec> {
        let obj = ev.as_object()?;
        let index = self.index;
        let name_pointer = format!("{pointer}/name");
        let written_name: Option<EventName> =
            self.optional(obj.get("name"), &name_pointer, diags)?;
        let use_pointer = format!("{pointer}/use");
        let use_ref = obj
            .get("use")
            .filter(|_| !has_error_under(self.schema_errors, &use_pointer))
            .and_then(Value::as_str);
        let definition = match use_ref {
            Some(u) => resolve_use(u, &use_pointer, index, self.catalog, diags),
            // Written, but not a string: the schema reported it.
            None if obj.contains_key("use") => None,
            None => {
                self.require_definition(written_name.as_ref(), &name_pointer, pointer, diags);
                None
            }
        };
        let name = self.event_name(
            definition.as_deref(),
            written_name,
            use_ref,
            &name_pointer,
            diags,
        )?;
        let to_pointer = format!("{pointer}/to");
        let target: Target = self
            .optional(obj.get("to"), &to_pointer, diags)?
            .unwrap_or(Target::All);
        let attrs_pointer = format!("{pointer}/attributes");
        let (attributes, rejected) =
            self.attributes(obj.get("attributes"), &attrs_pointer, diags)?;
        let vars: Vars = self
            .optional(obj.get("vars"), &format!("{pointer}/vars"), diags)?
            .unwrap_or_default();

        let mut attribute_templates =
            self.attribute_templates(attributes, &attrs_pointer, definition.as_deref(), diags);
        let contract = definition.map(|def| {
            apply_contract(
                def,
                (&mut attribute_templates, &rejected),
                index.value(&use_pointer),
                diags,
            )
        });

        let step = self.step(obj, pointer, diags)?;
        let selected = select_rooms(&target, &to_pointer, index, self.rooms, self.raw, diags);
        Some(EventSpec {
            index: i,
            name: name.0,
            rooms: selected,
            attributes: attribute_templates,
            vars,
            at: index.value(pointer),
            contract,
            step,
        })
    }

    /// The event's `at:` and `grace`: `Some(None)` when it has no `at:`,
    /// `None` when either is written but invalid (and reported).
    fn step(
        &self,
        obj: &serde_json::Map<String, Value>,
        pointer: &str,
        diags: &mut Vec<Diagnostic>,
    ) -> Option<Option<EventStep>> {
        use crate::playbook::model::{DurationText, OffsetText};
        let at_pointer = format!("{pointer}/at");
        let grace_pointer = format!("{pointer}/grace");
        // `at:` with no value is no `at:`, as serde reads it.
        let given = |k: &str| obj.get(k).filter(|v| !v.is_null());
        let at: Option<OffsetText> = self.optional(given("at"), &at_pointer, diags)?;
        let grace: Option<DurationText> = self.optional(given("grace"), &grace_pointer, diags)?;
        let Some(at) = at else {
            if grace.is_some() {
                diags.push(
                    Diagnostic::warning(
                        "playbook::grace-without-at",
                        "`grace` has no effect on an event without `at:`",
                    )
                    .at(Some(self.index.value(&grace_pointer)))
                    .hint("events without `at:` go at the start of the run and are never late; give the event an `at:` or remove `grace`"),
                );
            }
            return Some(None);
        };
        let offset_ms = at.millis()?;
        Some(Some(EventStep {
            offset_ms,
            text: at.0,
            grace_ms: grace.and_then(|g| g.parse()).map(|d| d.as_millis() as u64),
            at: self.index.value(&at_pointer),
        }))
    }

    /// Reads an optional key: `Some(None)` when it is absent, `None` when it
    /// is written but invalid (and reported).
    fn optional<T: DeserializeOwned>(
        &self,
        v: Option<&Value>,
        pointer: &str,
        diags: &mut Vec<Diagnostic>,
    ) -> Option<Option<T>> {
        match v {
            None => Some(None),
            Some(v) => piece(Some(v), pointer, self.schema_errors, self.index, diags).map(Some),
        }
    }

    /// The event's attributes, and the keys of those the schema rejected.
    /// A rejected value (`count: 5`) is left out rather than the whole
    /// event, so the event's other templates are still checked in the same
    /// pass; the schema error already keeps anything from being sent.
    /// `None` when the attributes as a whole are wrong (not a map).
    fn attributes(
        &self,
        v: Option<&Value>,
        pointer: &str,
        diags: &mut Vec<Diagnostic>,
    ) -> Option<(Attributes, Vec<String>)> {
        let whole = |diags: &mut Vec<Diagnostic>| {
            self.optional::<Attributes>(v, pointer, diags)
                .map(|a| (a.unwrap_or_default(), Vec::new()))
        };
        let Some(Value::Object(map)) = v else {
            return whole(diags);
        };
        if !has_error_under(self.schema_errors, pointer)
            || self.schema_errors.iter().any(|e| e == pointer)
        {
            return whole(diags);
        }
        let mut attributes = Attributes::with_capacity(map.len());
        let mut rejected = Vec::new();
        for (key, value) in map {
            let at = format!("{pointer}/{}", escape_pointer(key));
            match piece(Some(value), &at, self.schema_errors, self.index, diags) {
                Some(v) => {
                    attributes.insert(key.clone(), v);
                }
                None => rejected.push(key.clone()),
            }
        }
        Some((attributes, rejected))
    }

    /// Under `strict_catalog: true`, reports an event without `use:`.
    fn require_definition(
        &self,
        written_name: Option<&EventName>,
        name_pointer: &str,
        pointer: &str,
        diags: &mut Vec<Diagnostic>,
    ) {
        if let Some(strict) = self.catalog.strict {
            diags.push(no_definition(
                written_name,
                name_pointer,
                pointer,
                self.index,
                self.catalog.catalog,
                strict,
            ));
        }
    }

    /// The event's name: the definition's, reporting a written name that
    /// differs; or the written one; or, for an unknown definition, the name
    /// `use:` gives. `None` when there is none (the schema reported it).
    fn event_name(
        &self,
        definition: Option<&Definition>,
        written_name: Option<EventName>,
        use_ref: Option<&str>,
        name_pointer: &str,
        diags: &mut Vec<Diagnostic>,
    ) -> Option<EventName> {
        let name = match (definition, written_name, use_ref) {
            (Some(def), Some(n), _) => {
                if n.0 != def.name {
                    diags.push(
                        Diagnostic::error(
                            "catalog::name-mismatch",
                            format!(
                                "the event is named `{}` but uses `{}`",
                                n.0,
                                def.label()
                            ),
                        )
                        .at(Some(self.index.value(name_pointer)))
                        .related(Some(def.at), "defined here")
                        .hint(format!(
                            "with `use:`, the event name comes from the definition; remove `name`, or write `name: {}`",
                            def.name
                        )),
                    );
                }
                EventName(def.name.clone())
            }
            (Some(def), None, _) => EventName(def.name.clone()),
            (None, Some(n), _) => {
                if crate::service::request::event_name_reserved(&n.0) {
                    diags.push(
                        crate::service::request::reserved_event_name(
                            "playbook::reserved-event-name",
                            &n.0,
                        )
                        .at(Some(self.index.value(name_pointer))),
                    );
                }
                n
            }
            // An unknown definition: keep checking the rest under its name.
            (None, None, Some(u)) => EventName(parse_use(u).0.to_string()),
            // Neither: the schema reported it.
            (None, None, None) => return None,
        };
        Some(name)
    }

    /// The event's attributes as templates, warning about empty values and
    /// holding static ones to the definition.
    fn attribute_templates(
        &self,
        attributes: Attributes,
        attrs_pointer: &str,
        definition: Option<&Definition>,
        diags: &mut Vec<Diagnostic>,
    ) -> Vec<AttributeTemplate> {
        let index = self.index;
        let mut attribute_templates = Vec::with_capacity(attributes.len());
        for (key, value) in attributes {
            let at = index.value(&format!("{attrs_pointer}/{}", escape_pointer(&key)));
            let key_at = index.key(&format!("{attrs_pointer}/{}", escape_pointer(&key)));
            if value.0.is_empty() {
                diags.push(
                    Diagnostic::warning(
                        "playbook::empty-attribute-value",
                        format!("attribute `{key}` is empty"),
                    )
                    .at(Some(at))
                    .hint("chat clients receive an empty string; remove the attribute if it is not needed"),
                );
            }
            if let Some(def) = definition {
                check_static_attribute(def, &key, &value.0, at, key_at, diags);
            }
            attribute_templates.push(AttributeTemplate {
                key,
                template: value.0,
                at,
                literal: false,
            });
        }
        attribute_templates
    }
}

/// Finds the definition a `use:` names, reporting names and versions the
/// catalog does not have.
pub(super) fn resolve_use(
    u: &str,
    use_pointer: &str,
    index: &SpanIndex,
    catalog: &CatalogUse<'_>,
    diags: &mut Vec<Diagnostic>,
) -> Option<Arc<Definition>> {
    let at = Some(index.value(use_pointer));
    let (name, version) = parse_use(u);
    let Some(c) = catalog.catalog else {
        if !catalog.declared {
            diags.push(
                Diagnostic::error(
                    "catalog::unknown-event-definition",
                    format!("no event definition is named `{name}`: the playbook has no `catalog`"),
                )
                .at(at)
                .hint(
                    "point the playbook at its event definitions, such as `catalog: events/*.yaml`",
                ),
            );
        }
        return None;
    };
    match c.resolve(name, version) {
        Resolved::Found(d) => Some(d.clone()),
        // The definition exists but has its own errors, or some file could
        // not be read: nothing useful to add.
        _ if c.broken_names.contains(name) => None,
        Resolved::UnknownName if c.incomplete => None,
        Resolved::UnknownName => {
            let names = c.names();
            let hint = match did_you_mean(name, &names) {
                Some(s) => format!("did you mean `{s}`?"),
                None if names.is_empty() => "the catalog defines no events".to_string(),
                None => format!("the catalog defines {}", preview(&names)),
            };
            diags.push(
                Diagnostic::error(
                    "catalog::unknown-event-definition",
                    format!("no event definition is named `{name}`"),
                )
                .at(at)
                .hint(hint),
            );
            None
        }
        Resolved::UnknownVersion { versions, latest } => {
            let list: Vec<String> = versions.iter().map(u32::to_string).collect();
            diags.push(
                Diagnostic::error(
                    "catalog::unknown-version",
                    format!(
                        "`{name}` has no version {}; its versions are {}",
                        version.unwrap_or_default(),
                        list.join(", ")
                    ),
                )
                .at(at)
                .related(Some(latest.at), "highest version defined here")
                .hint(format!(
                    "pin a version that exists, or write `use: {name}` for the highest"
                )),
            );
            None
        }
    }
}

pub(super) fn no_definition(
    name: Option<&EventName>,
    name_pointer: &str,
    pointer: &str,
    index: &SpanIndex,
    catalog: Option<&Catalog>,
    strict: Location,
) -> Diagnostic {
    let at = if name.is_some() {
        index.value(name_pointer)
    } else {
        index.value(pointer)
    };
    let hint = match (name, catalog) {
        (Some(n), Some(c)) if c.latest(&n.0).is_some() => {
            format!("write `use: {}` to follow its definition", n.0)
        }
        _ => "add a definition for this event to the catalog and `use:` it, or turn `strict_catalog` off".to_string(),
    };
    Diagnostic::error(
        "catalog::no-definition",
        format!(
            "event `{}` does not `use:` an event definition, and `strict_catalog` requires one",
            name.map_or("", |n| n.0.as_str())
        ),
    )
    .at(Some(at))
    .related(Some(strict), "required here")
    .hint(hint)
}

/// Checks what is known about an attribute before rendering: that the
/// definition has the key, and, for a value without template syntax, its
/// constraints (templated values are checked for each room by the plan).
pub(super) fn check_static_attribute(
    def: &Definition,
    key: &str,
    value: &str,
    at: Location,
    key_at: Location,
    diags: &mut Vec<Diagnostic>,
) {
    let Some(attr) = def.attributes.get(key) else {
        if !def.allow_unknown {
            let keys = def.keys();
            let hint = match did_you_mean(key, &keys) {
                Some(s) => format!("did you mean `{s}`?"),
                None if keys.is_empty() => format!("`{}` defines no attributes", def.label()),
                None => format!("`{}` defines {}", def.label(), preview(&keys)),
            };
            diags.push(
                Diagnostic::error(
                    "catalog::unknown-attribute",
                    format!("attribute `{key}` is not defined by `{}`", def.label()),
                )
                .at(Some(key_at))
                .related(Some(def.at), "defined here")
                .hint(hint),
            );
        }
        return;
    };
    if crate::playbook::template::is_template(value) || !attr.constrains_values() {
        return;
    }
    let mut found = Vec::new();
    check_value(attr, value, &mut found);
    for v in &found {
        diags.push(violation_diagnostic(def, attr, v, None, at));
    }
}

/// Adds the definition's defaults for attributes the event does not give,
/// reports required attributes it lacks, and notes which templated values
/// the plan must check for every room.
pub(super) fn apply_contract(
    def: Arc<Definition>,
    (attributes, rejected): (&mut Vec<AttributeTemplate>, &[String]),
    use_at: Location,
    diags: &mut Vec<Diagnostic>,
) -> Arc<Contract> {
    for attr in def.attributes.values() {
        // A value the schema rejected is written: not missing, no default.
        if attributes.iter().any(|a| a.key == attr.key) || rejected.contains(&attr.key) {
            continue;
        }
        match &attr.default {
            Some(d) => attributes.push(AttributeTemplate {
                key: attr.key.clone(),
                template: d.value.clone(),
                at: use_at,
                literal: true,
            }),
            None if attr.required => diags.push(
                Diagnostic::error(
                    "catalog::missing-required-attribute",
                    format!(
                        "`{}` requires attribute `{}`, which the event does not give",
                        def.label(),
                        attr.key
                    ),
                )
                .at(Some(use_at))
                .related(Some(attr.at), "required here")
                .hint(format!(
                    "add `{}: ...` under the event's `attributes`",
                    attr.key
                )),
            ),
            None => {}
        }
    }
    let room_checks = attributes
        .iter()
        .enumerate()
        .filter(|(_, a)| !a.literal && crate::playbook::template::is_template(&a.template))
        .filter_map(|(ai, a)| {
            let (di, _, attr) = def.attributes.get_full(&a.key)?;
            attr.constrains_values().then_some((ai, di))
        })
        .collect();
    Arc::new(Contract {
        definition: def,
        room_checks,
    })
}
