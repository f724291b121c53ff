//! A frame from the chat server, as received: the JSON object, kept whole
//! (for `--format jsonl`), with accessors for the fields every frame type
//! shares (CHAT-PROTOCOL: `Type`, `Id`, `EventName`, `Attributes`,
//! `SendTime`, `ErrorCode`).

use serde_json::{Map, Value};

/// One server frame: a JSON object.
#[derive(Debug, Clone, PartialEq)]
pub struct Frame(pub Map<String, Value>);

impl Frame {
    /// Parses a text frame; `Err` says why it is not a frame (not JSON, or
    /// not an object).
    pub fn parse(text: &str) -> Result<Frame, String> {
        match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(m)) => Ok(Frame(m)),
            Ok(_) => Err("a frame that is not a JSON object".into()),
            Err(e) => Err(format!("a frame that is not JSON ({e})")),
        }
    }

    fn str(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(Value::as_str)
    }

    /// `Type`: `EVENT`, `MESSAGE`, `ERROR`.
    pub fn kind(&self) -> Option<&str> {
        self.str("Type")
    }

    /// `Id`: for an `EVENT` sent by `SendEvent`, the id it returned.
    pub fn id(&self) -> Option<&str> {
        self.str("Id")
    }

    /// `EventName` of an `EVENT`.
    pub fn event_name(&self) -> Option<&str> {
        self.str("EventName")
    }

    /// `SendTime`.
    pub fn send_time(&self) -> Option<&str> {
        self.str("SendTime")
    }

    /// `Attributes`, when an object.
    pub fn attributes(&self) -> Option<&Map<String, Value>> {
        self.0.get("Attributes").and_then(Value::as_object)
    }

    /// Whether this is an `EVENT`.
    pub fn is_event(&self) -> bool {
        self.kind() == Some("EVENT")
    }

    /// `ErrorCode` of an `ERROR` frame (401 asks the client for a new token).
    pub fn error_code(&self) -> Option<i64> {
        self.0.get("ErrorCode").and_then(Value::as_i64)
    }
}
