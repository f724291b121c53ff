//! Schema errors as diagnostics: the playbook and inventory documents'
//! own wording for what the generated schema rejects.

use super::typed::*;
use crate::diag::suggest::quoted_as_written;
use crate::diag::{Diagnostic, Location, Sources};
use crate::schema::diagnose::{DocRules, Translator, expected_type, json_type};
use crate::service::arn::{ArnError, RoomArn};
use crate::yaml::{SpanIndex, escape_pointer};
use jsonschema::error::{TypeKind, ValidationErrorKind};
use jsonschema::{ValidationError, Validator};
use serde_json::Value;

/// Runs the schema of `doc` over `value` and reports every error in the
/// playbook's words. Returns the instance paths that had errors.
pub(super) fn schema_check(
    validator: &Validator,
    value: &Value,
    (index, sources): (&SpanIndex, &Sources),
    doc: Doc,
    diags: &mut Vec<Diagnostic>,
) -> Vec<String> {
    let root = match doc {
        Doc::Playbook => &*PLAYBOOK_SCHEMA,
        Doc::Inventory => &*INVENTORY_SCHEMA,
    };
    Translator {
        root,
        index,
        rules: PlaybookRules {
            doc,
            text: &sources.get(index.file()).text,
        },
    }
    .check(validator, value, diags)
}

/// The wording of playbook and room inventory documents.
pub(super) struct PlaybookRules<'a> {
    doc: Doc,
    /// The document as written, so a hint can repeat what the user wrote.
    text: &'a str,
}

impl DocRules for PlaybookRules<'_> {
    fn unknown_key_code(&self) -> &'static str {
        "playbook::unknown-key"
    }

    fn unknown_key_hint(&self, segs: &[&str]) -> Option<String> {
        (self.doc == Doc::Inventory && segs.is_empty()).then(|| {
            "a room inventory holds only `rooms` (and `description`); is a playbook listed under `include`?".to_string()
        })
    }

    fn translate(
        &self,
        t: &Translator<'_, Self>,
        err: &ValidationError<'_>,
        out: &mut Vec<Diagnostic>,
    ) {
        schema_diagnostic(t, err, (self.doc, self.text), out);
    }
}

/// Where a schema error is: its pointer, the pointer's segments, the value
/// there and its location.
struct Site<'a> {
    ptr: &'a str,
    segs: Vec<&'a str>,
    instance: &'a Value,
    at: Option<Location>,
}

impl<'a> Site<'a> {
    fn of(index: &SpanIndex, err: &'a ValidationError<'_>) -> Self {
        let ptr = err.instance_path().as_str();
        Site {
            ptr,
            segs: ptr.split('/').skip(1).collect(),
            instance: err.instance(),
            at: Some(index.value(ptr)),
        }
    }
}

/// One schema error in the document's words, by error-kind family.
fn schema_diagnostic(
    t: &Translator<'_, PlaybookRules<'_>>,
    err: &ValidationError<'_>,
    (doc, text): (Doc, &str),
    out: &mut Vec<Diagnostic>,
) {
    let index = t.index;
    let site = Site::of(index, err);
    let d = match err.kind() {
        ValidationErrorKind::AnyOf { context } => match any_of(&site, context) {
            AnyOf::Said(d) => d,
            AnyOf::Branch(errs) => {
                for e in errs {
                    t.translate(e, out);
                }
                return;
            }
        },
        ValidationErrorKind::Required { property } => {
            missing_key(index, &site, property.as_str().unwrap_or_default())
        }
        ValidationErrorKind::Type { kind } => wrong_type(&site, kind, (doc, text)),
        ValidationErrorKind::Constant { .. } | ValidationErrorKind::Enum { .. } => {
            not_a_choice(err, &site)
        }
        ValidationErrorKind::Pattern { .. }
        | ValidationErrorKind::MaxLength { .. }
        | ValidationErrorKind::MinLength { .. } => bad_text(index, err, &site),
        ValidationErrorKind::Minimum { .. }
        | ValidationErrorKind::Maximum { .. }
        | ValidationErrorKind::ExclusiveMinimum { .. }
        | ValidationErrorKind::ExclusiveMaximum { .. } => out_of_range(err, &site),
        ValidationErrorKind::MinItems { .. } => too_few_items(err, &site),
        ValidationErrorKind::MinProperties { .. } => match site.segs.as_slice() {
            ["events", _, "to"] => invalid_target(site.instance, site.at),
            _ => generic(err, site.at),
        },
        ValidationErrorKind::PropertyNames { error } => bad_key(index, err, &site, error),
        _ => generic(err, site.at),
    };
    out.push(d);
}

/// What an `anyOf` error comes to: one diagnostic, or the errors of the
/// branch meant for this kind of value, translated in its place.
enum AnyOf<'e> {
    Said(Diagnostic),
    Branch(&'e [ValidationError<'static>]),
}

/// An `anyOf` (a value of several forms) that no form matched.
fn any_of<'e>(site: &Site<'_>, context: &'e [Vec<ValidationError<'static>>]) -> AnyOf<'e> {
    let (instance, at) = (site.instance, site.at);
    // A room entry with `discover` is meant as a selector, the last form.
    let selector = matches!(site.segs.as_slice(), ["rooms", _])
        && instance.get("discover").is_some()
        && instance.get("arn").is_none();
    // Report the branch meant for this kind of value: the one whose
    // errors are not "wrong type" at this very place.
    let meant = |errs: &&Vec<ValidationError<'static>>| {
        !errs.iter().any(|e| {
            e.instance_path().as_str() == site.ptr
                && matches!(e.kind(), ValidationErrorKind::Type { .. })
        })
    };
    let branch = if selector {
        context.last()
    } else {
        context.iter().find(meant)
    };
    AnyOf::Said(match (branch, site.segs.as_slice()) {
        (_, ["events", _])
            if instance.is_object()
                && instance.get("name").is_none()
                && instance.get("use").is_none() =>
        {
            Diagnostic::error("playbook::missing-key", "the event has no `name`")
                .at(at)
                .hint("give the event a `name`, or `use:` an event definition from the playbook's `catalog`")
        }
        (None, ["catalog"]) => Diagnostic::error(
            "playbook::wrong-type",
            format!(
                "`catalog` is a path or glob, or a list of them, not {}",
                json_type(instance)
            ),
        )
        .at(at)
        .hint("for example `catalog: events/*.yaml`"),
        (Some(errs), _) if !errs.is_empty() => return AnyOf::Branch(errs),
        (_, ["events", _, "to"]) => invalid_target(instance, at),
        (_, ["rooms", _]) => Diagnostic::error(
            "playbook::wrong-type",
            format!("a room is a room ARN or a mapping with `arn`, not {}", json_type(instance)),
        )
        .at(at),
        (_, ["settings", key @ ("timeout" | "grace" | "at")] | ["events", _, key @ ("at" | "grace")]) => {
            let example = match (site.segs.first(), *key) {
                (_, "timeout") => "`10s`",
                (_, "grace") => "`60s`",
                (Some(&"settings"), _) => "`\"20:00\"`",
                _ => "`-15m`",
            };
            Diagnostic::error(
                "playbook::wrong-type",
                format!("`{key}` must be a string such as {example}, not {}", json_type(instance)),
            )
            .at(at)
            .hint(match instance {
                Value::Number(n) if *key != "at" || site.segs[0] == "events" => {
                    format!("durations and offsets take a unit (`ms`, `s`, `m`), such as `{n}s`")
                }
                _ => "write it as text, in quotes".to_string(),
            })
        }
        _ => Diagnostic::error("playbook::wrong-type", format!("unexpected {}", json_type(instance))).at(at),
    })
}

/// What a document given as a playbook is instead, when its top-level keys
/// say: a room inventory, or an event definition file.
fn looks_like(root: &Value) -> Option<&'static str> {
    let obj = root.as_object()?;
    let has = |k: &str| obj.contains_key(k);
    if has("version") || has("events") {
        return None;
    }
    if has("rooms") && obj.keys().all(|k| k == "rooms" || k == "description") {
        Some(
            "this is a room inventory, not a playbook: include it from a playbook (`include: [path/to/it]`)",
        )
    } else if has("definitions") || (has("name") && has("attributes")) {
        Some(
            "this is an event definition file, not a playbook: name it in a playbook's `catalog`, or check it with `ivschat-playbook catalog check`",
        )
    } else {
        None
    }
}

/// A required key that is missing: `version` and `events` at the top have
/// their own codes.
fn missing_key(index: &SpanIndex, site: &Site<'_>, prop: &str) -> Diagnostic {
    let other = ((prop == "version" || prop == "events") && site.segs.is_empty())
        .then(|| looks_like(site.instance))
        .flatten();
    if let Some(what) = other {
        let code = if prop == "version" {
            "playbook::missing-version"
        } else {
            "playbook::no-events"
        };
        Diagnostic::error(code, format!("the playbook has no `{prop}`"))
            .at(Some(index.value("")))
            .hint(what)
    } else if prop == "version" && site.segs.is_empty() {
        Diagnostic::error("playbook::missing-version", "the playbook has no `version`")
            .at(Some(index.value("")))
            .hint("add `version: 1` at the top")
    } else if prop == "events" && site.segs.is_empty() {
        Diagnostic::error("playbook::no-events", "the playbook has no `events`")
            .at(Some(index.value("")))
            .hint("add an `events` list with at least one event")
    } else {
        Diagnostic::error(
            "playbook::missing-key",
            format!("missing required key `{prop}`"),
        )
        .at(site.at)
    }
}

/// A value of the wrong type: the document itself, an attribute (which
/// must be a string), the version, or any other key.
fn wrong_type(site: &Site<'_>, kind: &TypeKind, (doc, text): (Doc, &str)) -> Diagnostic {
    let (instance, at) = (site.instance, site.at);
    match site.segs.as_slice() {
        [] => Diagnostic::error(
            "playbook::wrong-type",
            format!(
                "a {} is a mapping with keys such as {}, not {}",
                if doc == Doc::Playbook {
                    "playbook"
                } else {
                    "room inventory"
                },
                if doc == Doc::Playbook {
                    "`version`, `rooms` and `events`"
                } else {
                    "`rooms`"
                },
                json_type(instance)
            ),
        )
        .at(at),
        ["events", _, "attributes", key] => Diagnostic::error(
            "playbook::attribute-not-string",
            format!(
                "attribute `{}` must be a string, not {}",
                crate::yaml::unescape_pointer(key),
                json_type(instance)
            ),
        )
        .at(at)
        .hint(match instance {
            Value::Null => "write a value, or `\"\"` for an empty string".to_string(),
            Value::Array(_) | Value::Object(_) => {
                "attributes are flat strings; encode structured data as a JSON string".to_string()
            }
            other => format!("quote it: {}", quoted_as_written(other, at, text)),
        }),
        ["version"] => unsupported_version(instance, at),
        segs => Diagnostic::error(
            "playbook::wrong-type",
            format!(
                "`{}` must be {}, not {}",
                place_name(segs),
                expected_type(kind),
                json_type(instance)
            ),
        )
        .at(at)
        .hint(if instance.is_null() {
            "the value is empty; write one after the colon, or remove the key"
        } else {
            "change the value's type"
        }),
    }
}

/// A value outside a `const` or `enum`.
fn not_a_choice(err: &ValidationError<'_>, site: &Site<'_>) -> Diagnostic {
    match site.segs.as_slice() {
        ["version"] => unsupported_version(site.instance, site.at),
        ["events", _, "to"] => invalid_target(site.instance, site.at),
        _ => generic(err, site.at),
    }
}

/// A string of the wrong form or length: room ARNs, event names,
/// attributes, the timeout, tags.
fn bad_text(index: &SpanIndex, err: &ValidationError<'_>, site: &Site<'_>) -> Diagnostic {
    let (instance, at) = (site.instance, site.at);
    match site.segs.as_slice() {
        ["rooms", _] | ["rooms", _, "arn"] => {
            let s = instance.as_str().unwrap_or_default();
            let e = RoomArn::parse(s)
                .err()
                .unwrap_or_else(|| ArnError::Pattern(s.to_string()));
            invalid_arn(&e, index.value(site.ptr))
        }
        ["events", _, "name"] => {
            let n = instance.as_str().map_or(0, |s| s.chars().count());
            crate::service::request::event_name_length(n).at(at)
        }
        ["events", _, "attributes", key] => Diagnostic::error(
            "playbook::attributes-too-large",
            format!(
                "attribute `{}` alone is over the 1 KB limit for all attributes of an event",
                crate::yaml::unescape_pointer(key)
            ),
        )
        .at(at)
        .hint("keys plus values may total 1024 bytes of UTF-8"),
        ["settings", "timeout"] => Diagnostic::error(
            "playbook::invalid-setting",
            format!(
                "`timeout` must be a duration such as `10s` or `1500ms`, not `{}`",
                instance.as_str().unwrap_or_default()
            ),
        )
        .at(at),
        ["settings", "grace"] => Diagnostic::error(
            "playbook::invalid-setting",
            format!(
                "`grace` must be a duration such as `60s` or `2m`, not `{}`",
                instance.as_str().unwrap_or_default()
            ),
        )
        .at(at),
        ["settings", "at"] => Diagnostic::error(
            "playbook::invalid-setting",
            format!(
                "`at` must be a time, RFC 3339 (`2026-12-01T20:00:00Z`) or a wall-clock time today (`20:00`), not `{}`",
                instance.as_str().unwrap_or_default()
            ),
        )
        .at(at),
        ["events", _, "at"] => Diagnostic::error(
            "playbook::invalid-step",
            format!(
                "`at` must be an offset from the anchor such as `-15m`, `+30s` or `0s`, not `{}`",
                instance.as_str().unwrap_or_default()
            ),
        )
        .at(at)
        .hint("a whole number of `ms`, `s` or `m` with an optional sign; the anchor is `settings.at` or `--at`"),
        ["events", _, "grace"] => Diagnostic::error(
            "playbook::invalid-step",
            format!(
                "`grace` must be a duration such as `60s` or `2m`, not `{}`",
                instance.as_str().unwrap_or_default()
            ),
        )
        .at(at),
        [.., "tags", _] | [.., "all_tags", _] => {
            Diagnostic::error("playbook::invalid-tag", "a tag is 1 to 128 characters").at(at)
        }
        _ => generic(err, at),
    }
}

/// A number out of range: the rate over the service quota has its own code.
fn out_of_range(err: &ValidationError<'_>, site: &Site<'_>) -> Diagnostic {
    let (instance, at) = (site.instance, site.at);
    match site.segs.as_slice() {
        ["settings", "rate"] if matches!(err.kind(), ValidationErrorKind::Maximum { .. }) => Diagnostic::error(
            "playbook::rate-over-quota",
            format!("rate {instance} is over the SendEvent quota of 100 per second per account and region"),
        )
        .at(at)
        .hint("the quota cannot be raised and is shared with other senders; the default, 50, leaves room for them"),
        ["settings", name] => Diagnostic::error("playbook::invalid-setting", format!("`{name}`: {err}")).at(at),
        _ => generic(err, at),
    }
}

/// An empty list that needs items: `events`, or an event's `to`.
fn too_few_items(err: &ValidationError<'_>, site: &Site<'_>) -> Diagnostic {
    let at = site.at;
    match site.segs.as_slice() {
        ["events"] => Diagnostic::error("playbook::no-events", "the playbook has no events")
            .at(at)
            .hint("add at least one event"),
        ["events", _, "to"] => {
            Diagnostic::error("playbook::selects-no-rooms", "`to` is an empty list")
                .at(at)
                .hint("name at least one room, or write `to: all`")
        }
        _ => generic(err, at),
    }
}

/// A mapping key that is not allowed (an empty attribute key, a variable
/// name that is not one), shown at the key.
fn bad_key(
    index: &SpanIndex,
    err: &ValidationError<'_>,
    site: &Site<'_>,
    error: &ValidationError<'_>,
) -> Diagnostic {
    let key = error.instance().as_str().unwrap_or_default().to_string();
    let kp = format!("{}/{}", site.ptr, escape_pointer(&key));
    let key_at = Some(index.key(&kp));
    match site.segs.as_slice() {
        ["events", _, "attributes"] => {
            Diagnostic::error("playbook::empty-attribute-key", "an attribute key is empty")
                .at(key_at)
                .hint("give the attribute a name")
        }
        [.., "vars"] => Diagnostic::error(
            "playbook::invalid-variable-name",
            if crate::playbook::template::BUILTIN_NAMES.contains(&key.as_str()) {
                format!("`{key}` is a built-in object and cannot be a variable name")
            } else {
                format!("`{key}` is not a variable name")
            },
        )
        .at(key_at)
        .hint("variable names are letters, digits and `_`, not starting with a digit; `room`, `event` and `playbook` are reserved"),
        _ => generic(err, key_at),
    }
}

pub(super) fn place_name(segs: &[&str]) -> String {
    segs.last().map_or_else(
        || "the document".to_string(),
        |s| crate::yaml::unescape_pointer(s),
    )
}

pub(super) fn unsupported_version(instance: &Value, at: Option<Location>) -> Diagnostic {
    Diagnostic::error(
        "playbook::unsupported-version",
        format!("version {instance} is not supported; this tool reads version 1"),
    )
    .at(at)
    .hint("write `version: 1`")
}

pub(super) fn invalid_target(instance: &Value, at: Option<Location>) -> Diagnostic {
    Diagnostic::error(
        "playbook::invalid-target",
        format!("`to` must be `all`, a list of room names, or `{{tags: [...]}}`, not {instance}"),
    )
    .at(at)
    .hint("examples: `to: all`, `to: [eu-lobby, us-lobby]`, `to: {tags: [eu]}`, `to: {all_tags: [eu, beta]}`")
}

pub(super) fn generic(err: &ValidationError<'_>, at: Option<Location>) -> Diagnostic {
    Diagnostic::error("playbook::schema-violation", err.to_string()).at(at)
}
