//! The JSON Schemas generated from the project's types.
//!
//! They are committed under `schema/` so editors can check playbooks
//! (`# yaml-language-server: $schema=...`) and programs can read plans and
//! reports; a test fails when a committed file differs from what the code
//! generates, and `ivschat-playbook schema --write schema/` regenerates them.

use schemars::JsonSchema;
use serde_json::Value;

/// A generated schema and the file name it is committed under.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SchemaKind {
    /// A playbook file.
    Playbook,
    /// A room inventory file (a playbook's `include`).
    Inventory,
    /// An event definition file (a playbook's `catalog`).
    EventDefinition,
    /// The JSON output of `plan --format json`.
    Plan,
    /// The JSON report of `run`.
    Report,
}

impl SchemaKind {
    /// Every kind, in the order files are written.
    pub const ALL: &'static [SchemaKind] = &[
        SchemaKind::Playbook,
        SchemaKind::Inventory,
        SchemaKind::EventDefinition,
        SchemaKind::Plan,
        SchemaKind::Report,
    ];

    /// The file name under `schema/`.
    pub fn file_name(self) -> &'static str {
        match self {
            SchemaKind::Playbook => "playbook.schema.json",
            SchemaKind::Inventory => "inventory.schema.json",
            SchemaKind::EventDefinition => "event-definition.schema.json",
            SchemaKind::Plan => "plan.schema.json",
            SchemaKind::Report => "report.schema.json",
        }
    }

    /// The schema.
    pub fn generate(self) -> Value {
        match self {
            SchemaKind::Playbook => generate::<crate::playbook::Playbook>(),
            SchemaKind::Inventory => generate::<crate::playbook::Inventory>(),
            SchemaKind::EventDefinition => generate::<crate::catalog::model::DefinitionDocument>(),
            SchemaKind::Plan => generate::<crate::plan::Plan>(),
            SchemaKind::Report => generate::<crate::report::Report>(),
        }
    }

    /// The schema as the committed file's text.
    pub fn text(self) -> String {
        let mut s = serde_json::to_string_pretty(&self.generate()).expect("schema serializes");
        s.push('\n');
        s
    }
}

/// The schema of `T`, as committed (draft 2020-12, for deserialization).
pub fn generate<T: JsonSchema>() -> Value {
    let settings = schemars::generate::SchemaSettings::draft2020_12().for_deserialize();
    let schema = settings.into_generator().into_root_schema_for::<T>();
    schema.to_value()
}
