//! What Amazon IVS Chat accepts: the room ARN grammar and regions
//! ([`arn`]), the limits of a `SendEvent` request and its quota, and the
//! rules one request is held to ([`request`]). Everything that checks a send
//! before it goes out (validation, planning, `send-event`) reads its limits
//! here. The emulator keeps its own copy of the service model on purpose, so
//! a mistake here is caught by it rather than repeated.

pub mod arn;
pub mod request;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Serialize};

/// Maximum length of an event name, from the service model.
pub const EVENT_NAME_MAX_LEN: usize = 100;

/// Maximum total size of an event's attributes: UTF-8 bytes of every key plus
/// every value.
pub const ATTRIBUTES_MAX_BYTES: usize = 1024;

/// The SendEvent quota per account and region (transactions per second). Not
/// adjustable, so the tool never lets a rate exceed it.
pub const SEND_EVENT_QUOTA_TPS: u32 = 100;

/// An event name, 1 to 100 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct EventName(pub String);

impl JsonSchema for EventName {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "EventName".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "The event name (`eventName`), 1 to 100 characters.",
            "type": "string",
            "minLength": 1,
            "maxLength": EVENT_NAME_MAX_LEN
        })
    }
}

/// Size of attributes as the service counts it.
pub fn attributes_bytes<'a>(attrs: impl IntoIterator<Item = (&'a String, &'a String)>) -> usize {
    attrs.into_iter().map(|(k, v)| k.len() + v.len()).sum()
}
