//! Typed parts of a document: the validators, the document kinds, and
//! a part read into its serde type only where the schema found nothing
//! wrong inside it.

use std::sync::LazyLock;

use jsonschema::Validator;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::diag::{Diagnostic, Location};
use crate::schema::diagnose::has_error_under;
use crate::schema::generate;
use crate::service::arn::ArnError;
use crate::yaml::SpanIndex;

/// The playbook schema, generated once.
pub(super) static PLAYBOOK_SCHEMA: LazyLock<Value> =
    LazyLock::new(generate::<crate::playbook::Playbook>);

/// The room inventory schema, generated once.
pub(super) static INVENTORY_SCHEMA: LazyLock<Value> =
    LazyLock::new(generate::<crate::playbook::Inventory>);

/// The playbook schema, compiled once.
pub(super) static PLAYBOOK_VALIDATOR: LazyLock<Validator> =
    LazyLock::new(|| compile(&PLAYBOOK_SCHEMA));

pub(super) static INVENTORY_VALIDATOR: LazyLock<Validator> =
    LazyLock::new(|| compile(&INVENTORY_SCHEMA));

pub(super) fn compile(schema: &Value) -> Validator {
    jsonschema::validator_for(schema).expect("generated schema compiles")
}

/// Which kind of document a schema error is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Doc {
    Playbook,
    Inventory,
}

/// Deserializes one part of a document that passed the schema. Parts under
/// a schema error are skipped (already reported).
pub(super) fn piece<T: DeserializeOwned>(
    v: Option<&Value>,
    pointer: &str,
    schema_errors: &[String],
    index: &SpanIndex,
    diags: &mut Vec<Diagnostic>,
) -> Option<T> {
    let v = v?;
    if has_error_under(schema_errors, pointer) {
        return None;
    }
    match T::deserialize(v) {
        Ok(t) => Some(t),
        Err(e) => {
            diags.push(
                Diagnostic::error("playbook::invalid", e.to_string())
                    .at(Some(index.value(pointer))),
            );
            None
        }
    }
}

pub(super) fn invalid_arn(err: &ArnError, at: Location) -> Diagnostic {
    crate::service::request::invalid_arn(err).at(Some(at))
}
