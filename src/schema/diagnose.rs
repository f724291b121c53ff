//! The one translator from JSON-Schema validation errors to diagnostics.
//! It holds what every document shares (the check loop and its dedup, type
//! words, unknown keys with the keys allowed read from the schema itself);
//! each document (playbooks and inventories in `validate`, event
//! definitions in `catalog`) adds its own wording as a [`DocRules`].

use jsonschema::error::{TypeKind, ValidationErrorKind};
use jsonschema::{ValidationError, Validator};
use serde_json::Value;

use crate::diag::suggest::did_you_mean;
use crate::diag::{Dedup, Diagnostic};
use crate::yaml::{SpanIndex, escape_pointer, unescape_pointer};

/// How a JSON value's type is said in messages: `a list`, `a mapping`.
pub fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "nothing (null)",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

/// How a schema's expected type is said in messages: `a whole number`.
pub fn expected_type(kind: &TypeKind) -> String {
    let name = |t: &str| match t {
        "object" => "a mapping".to_string(),
        "array" => "a list".to_string(),
        "string" => "a string".to_string(),
        "integer" => "a whole number".to_string(),
        "number" => "a number".to_string(),
        "boolean" => "a boolean".to_string(),
        "null" => "null".to_string(),
        other => other.to_string(),
    };
    match kind {
        TypeKind::Single(t) => name(&t.to_string()),
        TypeKind::Multiple(set) => {
            let v: Vec<String> = set.iter().map(|t| name(&t.to_string())).collect();
            v.join(" or ")
        }
    }
}

/// Whether any schema error is on the node at `pointer` or inside it. An
/// error on an ancestor is about the ancestor's keys (unknown, missing),
/// not about this node.
pub fn has_error_under(schema_errors: &[String], pointer: &str) -> bool {
    schema_errors.iter().any(|e| {
        e == pointer || e.starts_with(pointer) && e.as_bytes().get(pointer.len()) == Some(&b'/')
    })
}

/// One document's own wording of schema errors: the codes and messages of
/// playbooks, inventories or event definitions. The shared arms (unknown
/// keys, with allowed keys read from the schema) are [`Translator`]'s.
pub trait DocRules: Sized {
    /// The code of an unknown key (`playbook::unknown-key`).
    fn unknown_key_code(&self) -> &'static str;

    /// A hint for an unknown key at `segs` that resembles no allowed key,
    /// in place of the list of allowed keys.
    fn unknown_key_hint(&self, _segs: &[&str]) -> Option<String> {
        None
    }

    /// Every error but unknown keys: pushes its diagnostics to `out`;
    /// errors nested in it go back through [`Translator::translate`].
    fn translate(
        &self,
        t: &Translator<'_, Self>,
        err: &ValidationError<'_>,
        out: &mut Vec<Diagnostic>,
    );
}

/// Translates the errors of one document's schema into diagnostics.
pub struct Translator<'a, R> {
    /// The schema the errors come from, for the keys it allows.
    pub root: &'a Value,
    /// Where the document's nodes are written.
    pub index: &'a SpanIndex,
    /// The document's own wording.
    pub rules: R,
}

impl<R: DocRules> Translator<'_, R> {
    /// Validates `value` and pushes one diagnostic per place, code and
    /// message to `diags`. Returns the instance paths that had errors.
    pub fn check(
        &self,
        validator: &Validator,
        value: &Value,
        diags: &mut Vec<Diagnostic>,
    ) -> Vec<String> {
        let mut paths = Vec::new();
        let mut found = Vec::new();
        for err in validator.iter_errors(value) {
            paths.push(err.instance_path().as_str().to_string());
            self.translate(&err, &mut found);
        }
        let mut dedup = Dedup::default();
        for d in found {
            dedup.push(diags, d);
        }
        paths
    }

    /// Pushes the diagnostics of one error (and those nested in it).
    pub fn translate(&self, err: &ValidationError<'_>, out: &mut Vec<Diagnostic>) {
        let ValidationErrorKind::AdditionalProperties { unexpected } = err.kind() else {
            return self.rules.translate(self, err, out);
        };
        let ptr = err.instance_path().as_str();
        let segs: Vec<&str> = ptr.split('/').skip(1).collect();
        let known = allowed_keys(self.root, err.evaluation_path().as_str());
        for key in unexpected {
            let hint = match did_you_mean(key, &known) {
                Some(s) => format!("did you mean `{s}`?"),
                None => match self.rules.unknown_key_hint(&segs) {
                    Some(h) => h,
                    None if !known.is_empty() => {
                        format!("allowed keys here: {}", known.join(", "))
                    }
                    None => "remove it".to_string(),
                },
            };
            let kp = format!("{ptr}/{}", escape_pointer(key));
            out.push(
                Diagnostic::error(
                    self.rules.unknown_key_code(),
                    format!("unknown key `{key}`"),
                )
                .at(Some(self.index.key(&kp)))
                .hint(hint),
            );
        }
    }
}

/// The keys the object allows where an `additionalProperties` error was
/// raised (`keyword_path`, the error's evaluation path, with `$ref` steps,
/// ends in that keyword), read from the schema
/// itself: its `properties`, and those of the branches beside it when it is
/// one branch of an `anyOf`, `oneOf` or `if`/`then`/`else` (a key of another
/// branch is still a key the document may have there). In schema order.
pub fn allowed_keys<'s>(root: &'s Value, keyword_path: &str) -> Vec<&'s str> {
    let segs: Vec<String> = keyword_path
        .split('/')
        .skip(1)
        .map(unescape_pointer)
        .collect();
    let Some((_, to_object)) = segs.split_last() else {
        return Vec::new();
    };
    // Each step: the schema it was taken from, and the key taken.
    let mut trail: Vec<(&Value, &str)> = Vec::new();
    let mut cur = root;
    for seg in to_object {
        if seg == "$ref" {
            match resolve_ref(root, cur) {
                Some(target) => cur = target,
                None => return Vec::new(),
            }
            continue;
        }
        let next = match cur {
            Value::Object(m) => m.get(seg.as_str()),
            Value::Array(a) => seg.parse::<usize>().ok().and_then(|i| a.get(i)),
            _ => None,
        };
        let Some(next) = next else {
            return Vec::new();
        };
        trail.push((cur, seg.as_str()));
        cur = next;
    }
    let mut branches = vec![cur];
    match trail.as_slice() {
        [.., (_, kw), (Value::Array(list), _)] if matches!(*kw, "anyOf" | "oneOf") => {
            branches.extend(list.iter().filter(|b| !std::ptr::eq(*b, cur)));
        }
        [.., (Value::Object(parent), kw)] if matches!(*kw, "then" | "else") => {
            let other = if *kw == "then" { "else" } else { "then" };
            branches.extend(parent.get(other));
        }
        _ => {}
    }
    let mut keys: Vec<&str> = Vec::new();
    for b in branches {
        let b = resolve_ref(root, b).unwrap_or(b);
        if let Some(Value::Object(props)) = b.get("properties") {
            for k in props.keys() {
                if !keys.contains(&k.as_str()) {
                    keys.push(k);
                }
            }
        }
    }
    keys
}

/// The schema a `{"$ref": "#/…"}` names, or the schema itself without one.
fn resolve_ref<'s>(root: &'s Value, schema: &'s Value) -> Option<&'s Value> {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(r) => root.pointer(r.strip_prefix('#')?),
        None => Some(schema),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The keys of every additionalProperties error a document can raise,
    /// by instance path, gathered by validating a document that has an
    /// unknown key everywhere.
    fn keys_at(root: &Value, doc: Value) -> Vec<(String, Vec<String>)> {
        fn flat(root: &Value, e: &ValidationError<'_>, out: &mut Vec<(String, Vec<String>)>) {
            match e.kind() {
                ValidationErrorKind::AnyOf { context } => {
                    for n in context.iter().flatten() {
                        flat(root, n, out);
                    }
                }
                ValidationErrorKind::AdditionalProperties { .. } => out.push((
                    e.instance_path().as_str().to_string(),
                    allowed_keys(root, e.evaluation_path().as_str())
                        .into_iter()
                        .map(str::to_string)
                        .collect(),
                )),
                _ => {}
            }
        }
        let v = jsonschema::validator_for(root).unwrap();
        let mut out = Vec::new();
        for e in v.iter_errors(&doc) {
            flat(root, &e, &mut out);
        }
        out.sort();
        out.dedup();
        out
    }

    fn list(s: &[&str]) -> Vec<String> {
        s.iter().map(|k| k.to_string()).collect()
    }

    /// The keys read from the schema are the ones the hand-kept tables
    /// listed before them.
    #[test]
    fn playbook_keys_come_from_the_schema() {
        let root = crate::schema::generate::<crate::playbook::Playbook>();
        let doc = serde_json::json!({
            "version": 1, "x": 1,
            "settings": {"x": 1},
            "rooms": [{"arn": "arn:aws:ivschat:us-west-2:123456789012:room/a", "x": 1}],
            "events": [{"name": "E", "x": 1, "to": {"tags": ["a"], "x": 1}}]
        });
        assert_eq!(
            keys_at(&root, doc),
            vec![
                (
                    String::new(),
                    list(&[
                        "version",
                        "name",
                        "description",
                        "settings",
                        "vars",
                        "include",
                        "catalog",
                        "strict_catalog",
                        "rooms",
                        "accounts",
                        "events"
                    ])
                ),
                (
                    "/events/0".into(),
                    list(&["name", "use", "to", "attributes", "vars", "at", "grace"])
                ),
                ("/events/0/to".into(), list(&["tags", "all_tags"])),
                // One per mapping form of a room entry (a room, a
                // `discover:` selector), each naming the keys of both.
                (
                    "/rooms/0".into(),
                    list(&["arn", "name", "tags", "vars", "discover"])
                ),
                (
                    "/rooms/0".into(),
                    list(&["discover", "arn", "name", "tags", "vars"])
                ),
                (
                    "/settings".into(),
                    list(&[
                        "rate",
                        "burst",
                        "concurrency",
                        "max_attempts",
                        "timeout",
                        "at",
                        "grace"
                    ])
                ),
            ]
        );
        let inventory = crate::schema::generate::<crate::playbook::Inventory>();
        assert_eq!(
            keys_at(&inventory, serde_json::json!({"rooms": [], "x": 1})),
            vec![(String::new(), list(&["description", "rooms"]))]
        );
    }

    #[test]
    fn definition_keys_come_from_the_schema() {
        let root = crate::schema::generate::<crate::catalog::model::DefinitionDocument>();
        let attribute = list(&[
            "required",
            "description",
            "default",
            "enum",
            "pattern",
            "min_length",
            "max_length",
            "max_bytes",
        ]);
        let single = serde_json::json!({
            "name": "E", "version": 1, "x": 1, "attributes": {"a": {"x": 1}}
        });
        assert_eq!(
            keys_at(&root, single),
            vec![
                (
                    String::new(),
                    list(&[
                        "name",
                        "version",
                        "description",
                        "allow_unknown_attributes",
                        "attributes",
                        "definitions"
                    ])
                ),
                ("/attributes/a".into(), attribute.clone()),
            ]
        );
        let file = serde_json::json!({"definitions": [{"name": "E", "version": 1, "x": 1}]});
        assert_eq!(
            keys_at(&root, file),
            vec![(
                "/definitions/0".into(),
                list(&[
                    "name",
                    "version",
                    "description",
                    "allow_unknown_attributes",
                    "attributes"
                ])
            )]
        );
    }
}
