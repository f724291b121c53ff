//! Schema errors as diagnostics: the playbook and inventory documents'
//! own wording for what the generated schema rejects.

use super::typed::*;
use crate::diag::{Diagnostic, Location};
use crate::schema::diagnose::{DocRules, Translator, expected_type, json_type};
use crate::service::arn::{ArnError, RoomArn};
use crate::yaml::{SpanIndex, escape_pointer};
use jsonschema::error::ValidationErrorKind;
use jsonschema::{ValidationError, Validator};
use serde_json::Value;

/// Runs the schema of `doc` over `value` and reports every error in the
/// playbook's words. Returns the instance paths that had errors.
pub(super) fn schema_check(
    validator: &Validator,
    value: &Value,
    index: &SpanIndex,
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
        rules: PlaybookRules { doc },
    }
    .check(validator, value, diags)
}

/// The wording of playbook and room inventory documents.
pub(super) struct PlaybookRules {
    doc: Doc,
}

impl DocRules for PlaybookRules {
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
        schema_diagnostic(t, err, self.doc, out);
    }
}

fn schema_diagnostic(
    t: &Translator<'_, PlaybookRules>,
    err: &ValidationError<'_>,
    doc: Doc,
    out: &mut Vec<Diagnostic>,
) {
    let index = t.index;
    let ptr = err.instance_path().as_str();
    let segs: Vec<&str> = ptr.split('/').skip(1).collect();
    let instance: &Value = err.instance();
    let at = Some(index.value(ptr));
    let d = match err.kind() {
        ValidationErrorKind::AnyOf { context } => {
            // Report the branch meant for this kind of value: the one whose
            // errors are not "wrong type" at this very place.
            let branch = context.iter().find(|errs| {
                !errs.iter().any(|e| {
                    e.instance_path().as_str() == ptr && matches!(e.kind(), ValidationErrorKind::Type { .. })
                })
            });
            match (branch, segs.as_slice()) {
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
                (Some(errs), _) if !errs.is_empty() => {
                    for e in errs {
                        t.translate(e, out);
                    }
                    return;
                }
                (_, ["events", _, "to"]) => invalid_target(instance, at),
                (_, ["rooms", _]) => Diagnostic::error(
                    "playbook::wrong-type",
                    format!("a room is a room ARN or a mapping with `arn`, not {}", json_type(instance)),
                )
                .at(at),
                _ => Diagnostic::error("playbook::wrong-type", format!("unexpected {}", json_type(instance))).at(at),
            }
        }
        ValidationErrorKind::Required { property } => {
            let prop = property.as_str().unwrap_or_default();
            if prop == "version" && segs.is_empty() {
                Diagnostic::error("playbook::missing-version", "the playbook has no `version`")
                    .at(Some(index.value("")))
                    .hint("add `version: 1` at the top")
            } else if prop == "events" && segs.is_empty() {
                Diagnostic::error("playbook::no-events", "the playbook has no `events`")
                    .at(Some(index.value("")))
                    .hint("add an `events` list with at least one event")
            } else {
                Diagnostic::error("playbook::missing-key", format!("missing required key `{prop}`")).at(at)
            }
        }
        ValidationErrorKind::Type { kind } => match segs.as_slice() {
            [] => Diagnostic::error(
                "playbook::wrong-type",
                format!(
                    "a {} is a mapping with keys such as {}, not {}",
                    if doc == Doc::Playbook { "playbook" } else { "room inventory" },
                    if doc == Doc::Playbook { "`version`, `rooms` and `events`" } else { "`rooms`" },
                    json_type(instance)
                ),
            )
            .at(at),
            ["events", _, "attributes", key] => Diagnostic::error(
                "playbook::attribute-not-string",
                format!("attribute `{}` must be a string, not {}", crate::yaml::unescape_pointer(key), json_type(instance)),
            )
            .at(at)
            .hint(match instance {
                Value::Null => "write a value, or `\"\"` for an empty string".to_string(),
                Value::Array(_) | Value::Object(_) => {
                    "attributes are flat strings; encode structured data as a JSON string".to_string()
                }
                other => format!("quote it: \"{}\"", other.to_string().trim_matches('"')),
            }),
            ["version"] => unsupported_version(instance, at),
            _ => Diagnostic::error(
                "playbook::wrong-type",
                format!("`{}` must be {}, not {}", place_name(&segs), expected_type(kind), json_type(instance)),
            )
            .at(at)
            .hint(if instance.is_null() {
                "the value is empty; write one after the colon, or remove the key"
            } else {
                "change the value's type"
            }),
        },
        ValidationErrorKind::Constant { .. } | ValidationErrorKind::Enum { .. } => match segs.as_slice() {
            ["version"] => unsupported_version(instance, at),
            ["events", _, "to"] => invalid_target(instance, at),
            _ => generic(err, at),
        },
        ValidationErrorKind::Pattern { .. }
        | ValidationErrorKind::MaxLength { .. }
        | ValidationErrorKind::MinLength { .. } => match segs.as_slice() {
            ["rooms", _] | ["rooms", _, "arn"] => {
                let s = instance.as_str().unwrap_or_default();
                let e = RoomArn::parse(s).err().unwrap_or_else(|| ArnError::Pattern(s.to_string()));
                invalid_arn(&e, index.value(ptr))
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
                format!("`timeout` must be a duration such as `10s` or `1500ms`, not `{}`", instance.as_str().unwrap_or_default()),
            )
            .at(at),
            [.., "tags", _] | [.., "all_tags", _] => {
                Diagnostic::error("playbook::invalid-tag", "a tag is 1 to 128 characters").at(at)
            }
            _ => generic(err, at),
        },
        ValidationErrorKind::Minimum { .. }
        | ValidationErrorKind::Maximum { .. }
        | ValidationErrorKind::ExclusiveMinimum { .. }
        | ValidationErrorKind::ExclusiveMaximum { .. } => match segs.as_slice() {
            ["settings", "rate"] if matches!(err.kind(), ValidationErrorKind::Maximum { .. }) => Diagnostic::error(
                "playbook::rate-over-quota",
                format!("rate {instance} is over the SendEvent quota of 100 per second per account and region"),
            )
            .at(at)
            .hint("the quota cannot be raised and is shared with other senders; the default, 50, leaves room for them"),
            ["settings", name] => Diagnostic::error("playbook::invalid-setting", format!("`{name}`: {err}")).at(at),
            _ => generic(err, at),
        },
        ValidationErrorKind::MinItems { .. } => match segs.as_slice() {
            ["events"] => Diagnostic::error("playbook::no-events", "the playbook has no events")
                .at(at)
                .hint("add at least one event"),
            ["events", _, "to"] => Diagnostic::error("playbook::selects-no-rooms", "`to` is an empty list")
                .at(at)
                .hint("name at least one room, or write `to: all`"),
            _ => generic(err, at),
        },
        ValidationErrorKind::MinProperties { .. } => match segs.as_slice() {
            ["events", _, "to"] => invalid_target(instance, at),
            _ => generic(err, at),
        },
        ValidationErrorKind::PropertyNames { error } => {
            let key = error.instance().as_str().unwrap_or_default().to_string();
            let kp = format!("{ptr}/{}", escape_pointer(&key));
            let key_at = Some(index.key(&kp));
            match segs.as_slice() {
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
        _ => generic(err, at),
    };
    out.push(d);
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
