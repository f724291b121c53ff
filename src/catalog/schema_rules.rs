//! Schema errors in event definition files, in the catalog's own words.

use std::sync::LazyLock;

use jsonschema::Validator;
use jsonschema::error::ValidationErrorKind;
use serde_json::Value;

use crate::diag::suggest::quoted_as_written;
use crate::diag::{Diagnostic, Location};
use crate::schema::diagnose::{DocRules, Translator, expected_type, json_type};
use crate::schema::generate;
use crate::yaml::SpanIndex;

/// The definition-file schema, generated once.
static SCHEMA: LazyLock<Value> = LazyLock::new(generate::<super::model::DefinitionDocument>);

static VALIDATOR: LazyLock<Validator> =
    LazyLock::new(|| jsonschema::validator_for(&SCHEMA).expect("generated schema compiles"));

/// Runs the schema and reports each error in the catalog's words.
/// Returns the instance paths that had errors.
pub(super) fn schema_check(
    value: &Value,
    (index, text): (&SpanIndex, &str),
    diags: &mut Vec<Diagnostic>,
) -> Vec<String> {
    Translator {
        root: &SCHEMA,
        index,
        rules: CatalogRules { text },
    }
    .check(&VALIDATOR, value, diags)
}

/// The wording of event-definition files.
struct CatalogRules<'a> {
    /// The file as written, so a hint can repeat what the user wrote.
    text: &'a str,
}

impl DocRules for CatalogRules<'_> {
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
    t: &Translator<'_, CatalogRules<'_>>,
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
        ValidationErrorKind::Type { kind } => {
            wrong_type(kind, &segs, instance, &place, (at, t.rules.text))
        }
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
    t: &Translator<'_, CatalogRules<'_>>,
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
    (at, text): (Option<Location>, &str),
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
            "attribute values are strings; quote it: {}",
            quoted_as_written(instance, at, text)
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
