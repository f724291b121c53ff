//! The event definition format, as serde + schemars types.
//!
//! Like the playbook types, these are the single source of truth for the
//! format: `schema/event-definition.schema.json` is generated from them and
//! every definition file is checked against that schema before it is read
//! into these types. A file holds one definition (a mapping with `name`) or
//! several (a mapping with `definitions`), so teams can keep one contract per
//! file or group them.

use indexmap::IndexMap;
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Serialize};

use crate::service::{ATTRIBUTES_MAX_BYTES, EventName};

/// The root of an event definition file: one definition, or several under
/// `definitions`. Only used to generate the schema; the loader decides the
/// form by whether `definitions` is present, as the schema's `if` does.
#[derive(Debug)]
pub struct DefinitionDocument;

impl JsonSchema for DefinitionDocument {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "DefinitionDocument".into()
    }
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let file = generator.subschema_for::<DefinitionFile>();
        let one = generator.subschema_for::<EventDefinition>();
        json_schema!({
            "title": "ivschat-playbook event definitions",
            "description": "Event definitions: the contract between playbooks and the chat front-ends that render events. A file holds one definition (`name`, `attributes`, ...) or several under `definitions`. Start it with `# yaml-language-server: $schema=<path>/event-definition.schema.json`.",
            "type": "object",
            "if": { "type": "object", "required": ["definitions"] },
            "then": file,
            "else": one
        })
    }
}

/// Several event definitions in one file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DefinitionFile {
    /// What these definitions are for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The definitions. Each `name` and `version` pair may be defined once
    /// across a catalog.
    #[schemars(length(min = 1))]
    pub definitions: Vec<EventDefinition>,
}

/// One version of an event's contract: its name, the attributes chat
/// front-ends read, and the values they can render.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EventDefinition {
    /// The event name (`eventName`) chat clients react to, 1 to 100
    /// characters. Playbooks refer to it with `use: NAME` (the highest
    /// version) or `use: NAME@VERSION`.
    pub name: EventName,
    /// Version of this contract, a whole number from 1. Default 1. Keep old
    /// versions while playbooks pin them; `use: NAME` picks the highest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 999_999_999))]
    pub version: Option<u32>,
    /// What the event does and which front-ends read it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Whether a playbook may send attributes this definition does not list.
    /// Default false: an attribute the front-end does not know is an error.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub allow_unknown_attributes: bool,
    /// The attributes the front-end reads, by key.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    #[schemars(extend("propertyNames" = {"minLength": 1}))]
    pub attributes: IndexMap<String, AttributeSpec>,
}

/// One attribute of an event definition: whether it must be sent, its
/// default, and the values the front-end can render.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AttributeSpec {
    /// Whether every event must carry it. A required attribute has no
    /// `default` (the playbook must say it).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub required: bool,
    /// What the attribute means to the front-end.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The value sent when a playbook event does not give one. Used as
    /// written (not a template); it must meet this attribute's own
    /// constraints.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "DefaultValue")]
    pub default: Option<DefaultValue>,
    /// The only values the front-end can render.
    #[serde(default, rename = "enum", skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1), extend("uniqueItems" = true))]
    pub enum_values: Option<Vec<String>>,
    /// A regular expression the whole value must match (it is anchored at
    /// both ends). Use the syntax common to Rust's regex crate and
    /// JavaScript, so editors check it the same way.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub pattern: Option<String>,
    /// Fewest characters (Unicode scalar values) the value may have.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(max = 1024))]
    pub min_length: Option<u32>,
    /// Most characters (Unicode scalar values) the value may have.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(max = 1024))]
    pub max_length: Option<u32>,
    /// Most bytes of UTF-8 the value may have (`ü` is 2 bytes, `😀` is 4).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(max = 1024))]
    pub max_bytes: Option<u32>,
}

/// A default attribute value: a string, used as written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct DefaultValue(pub String);

impl JsonSchema for DefaultValue {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "DefaultValue".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A default attribute value. Must be a string: quote numbers and booleans. Used as written, not as a template.",
            "type": "string",
            "maxLength": ATTRIBUTES_MAX_BYTES
        })
    }
}
