//! JSON-Schema mechanics: generating a type's schema the way the committed
//! files are generated. The concrete documents are listed where they are
//! written (`app::commands::schema::SchemaKind`).
//!
//! The schemas are committed under `schema/` so editors can check playbooks
//! (`# yaml-language-server: $schema=...`) and programs can read plans and
//! reports; a test fails when a committed file differs from what the code
//! generates, and `ivschat-playbook schema --write schema/` regenerates them.

pub mod diagnose;

use schemars::JsonSchema;
use serde_json::Value;

/// The schema of `T`, as committed (draft 2020-12, for deserialization).
pub fn generate<T: JsonSchema>() -> Value {
    let settings = schemars::generate::SchemaSettings::draft2020_12().for_deserialize();
    let schema = settings.into_generator().into_root_schema_for::<T>();
    schema.to_value()
}
