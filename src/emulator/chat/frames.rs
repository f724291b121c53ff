//! The frames of the chat messaging protocol: the JSON text frames a chat
//! client sends (`SEND_MESSAGE`, `DELETE_MESSAGE`, `DISCONNECT_USER`) and the
//! ones the edge sends back (`MESSAGE`, `EVENT`, `ERROR`), with the field
//! names and types the official `amazon-ivs-chat-messaging` client reads.
//!
//! Keys are PascalCase on the wire. Server frames always carry `Type` and a
//! string `Id`; `RequestId` echoes the client request a frame answers, and is
//! left out of frames no request caused (events of `SendEvent`).

use indexmap::IndexMap;
use serde::Serialize;
use serde_json::{Map, Value};

/// `ErrorCode` of an `ERROR` frame (a number on the wire).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    /// 400: the request is malformed or misses a field.
    BadRequest = 400,
    /// 401: unauthorized (the client reconnects with a new token).
    Unauthorized = 401,
    /// 403: the token lacks the capability.
    Forbidden = 403,
    /// 404: the room does not exist (any more).
    NotFound = 404,
    /// 413: a field is too large (the room's `maximumMessageLength`).
    TooLarge = 413,
    /// 429: the room's `maximumMessageRatePerSecond`.
    RateLimited = 429,
    /// 500: internal error.
    Internal = 500,
}

/// The system event a `DELETE_MESSAGE` (or HTTP `DeleteMessage`) emits.
pub const DELETE_MESSAGE_EVENT: &str = "aws:DELETE_MESSAGE";
/// The system event a `DISCONNECT_USER` (or HTTP `DisconnectUser`) emits.
pub const DISCONNECT_USER_EVENT: &str = "aws:DISCONNECT_USER";

/// What a client asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// `SEND_MESSAGE`.
    SendMessage {
        /// `Content`.
        content: String,
        /// `Attributes`.
        attributes: Option<IndexMap<String, String>>,
    },
    /// `DELETE_MESSAGE`.
    DeleteMessage {
        /// `Id` of the message.
        id: String,
        /// `Reason`.
        reason: Option<String>,
    },
    /// `DISCONNECT_USER`.
    DisconnectUser {
        /// `UserId` to disconnect.
        user_id: String,
        /// `Reason`.
        reason: Option<String>,
    },
}

/// One client frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// `RequestId`, echoed in the answer.
    pub request_id: Option<String>,
    /// What it asks for.
    pub action: Action,
}

/// A client frame that cannot be served: answered with `ERROR` 400.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadRequest {
    /// The frame's `RequestId`, when it had a readable one.
    pub request_id: Option<String>,
    /// What is wrong.
    pub message: String,
}

fn bad(request_id: &Option<String>, message: impl Into<String>) -> BadRequest {
    BadRequest {
        request_id: request_id.clone(),
        message: message.into(),
    }
}

fn string_field(
    obj: &Map<String, Value>,
    key: &str,
    request_id: &Option<String>,
) -> Result<Option<String>, BadRequest> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(bad(request_id, format!("{key} must be a string"))),
    }
}

fn required(
    obj: &Map<String, Value>,
    key: &str,
    request_id: &Option<String>,
) -> Result<String, BadRequest> {
    string_field(obj, key, request_id)?.ok_or_else(|| bad(request_id, format!("{key} is required")))
}

fn attributes(
    obj: &Map<String, Value>,
    request_id: &Option<String>,
) -> Result<Option<IndexMap<String, String>>, BadRequest> {
    match obj.get("Attributes") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(map)) => map
            .iter()
            .map(|(k, v)| match v {
                Value::String(s) => Ok((k.clone(), s.clone())),
                _ => Err(bad(request_id, format!("Attributes.{k} must be a string"))),
            })
            .collect::<Result<_, _>>()
            .map(Some),
        Some(_) => Err(bad(request_id, "Attributes must be an object of strings")),
    }
}

/// Reads one text frame of a client.
pub fn parse_request(text: &str) -> Result<Request, BadRequest> {
    let value: Value = serde_json::from_str(text)
        .map_err(|e| bad(&None, format!("The frame is not JSON: {e}")))?;
    let Value::Object(obj) = value else {
        return Err(bad(&None, "The frame must be a JSON object"));
    };
    let request_id = match obj.get("RequestId") {
        Some(Value::String(s)) => Some(s.clone()),
        _ => None,
    };
    if obj.get("RequestId").is_some_and(|v| !v.is_string()) {
        return Err(bad(&None, "RequestId must be a string"));
    }
    let action = match string_field(&obj, "Action", &request_id)?.as_deref() {
        Some("SEND_MESSAGE") => Action::SendMessage {
            content: required(&obj, "Content", &request_id)?,
            attributes: attributes(&obj, &request_id)?,
        },
        Some("DELETE_MESSAGE") => Action::DeleteMessage {
            id: required(&obj, "Id", &request_id)?,
            reason: string_field(&obj, "Reason", &request_id)?,
        },
        Some("DISCONNECT_USER") => Action::DisconnectUser {
            user_id: required(&obj, "UserId", &request_id)?,
            reason: string_field(&obj, "Reason", &request_id)?,
        },
        Some(other) => return Err(bad(&request_id, format!("Unknown Action: {other}"))),
        None => return Err(bad(&request_id, "Action is required")),
    };
    Ok(Request { request_id, action })
}

/// An `EVENT` frame.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct EventFrame<'a> {
    /// Always `EVENT`.
    #[serde(rename = "Type")]
    pub kind: &'static str,
    /// The event id (for `SendEvent`, the id it returned).
    pub id: &'a str,
    /// The client request that caused it, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<&'a str>,
    /// `eventName`.
    pub event_name: &'a str,
    /// String attributes.
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    pub attributes: &'a IndexMap<String, String>,
    /// ISO 8601 UTC with milliseconds.
    pub send_time: &'a str,
}

/// The `Sender` of a `MESSAGE` frame.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Sender<'a> {
    /// The sender's `userId`.
    pub user_id: &'a str,
    /// The sender token's attributes.
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    pub attributes: &'a IndexMap<String, String>,
}

/// A `MESSAGE` frame.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct MessageFrame<'a> {
    /// Always `MESSAGE`.
    #[serde(rename = "Type")]
    pub kind: &'static str,
    /// New message id (12 letters and digits).
    pub id: &'a str,
    /// The sender's `RequestId`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<&'a str>,
    /// Message attributes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attributes: Option<&'a IndexMap<String, String>>,
    /// The text.
    pub content: &'a str,
    /// ISO 8601 UTC with milliseconds.
    pub send_time: &'a str,
    /// Who sent it.
    pub sender: Sender<'a>,
}

/// An `ERROR` frame.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ErrorFrame<'a> {
    /// Always `ERROR`.
    #[serde(rename = "Type")]
    pub kind: &'static str,
    /// New id.
    pub id: &'a str,
    /// The failed request's `RequestId`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<&'a str>,
    /// The code, a number.
    pub error_code: u16,
    /// What went wrong.
    pub error_message: &'a str,
}

/// The JSON text of a frame.
pub fn to_text(frame: &impl Serialize) -> String {
    serde_json::to_string(frame).unwrap_or_default()
}

/// An `ERROR` frame's text.
pub fn error_text(id: &str, request_id: Option<&str>, code: ErrorCode, message: &str) -> String {
    to_text(&ErrorFrame {
        kind: "ERROR",
        id,
        request_id,
        error_code: code as u16,
        error_message: message,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn client_frames_as_the_official_client_sends_them() {
        let r = parse_request(
            r#"{"Action":"SEND_MESSAGE","RequestId":"r1","Content":"hi","Attributes":{"c":"red"}}"#,
        )
        .unwrap();
        assert_eq!(r.request_id.as_deref(), Some("r1"));
        assert_eq!(
            r.action,
            Action::SendMessage {
                content: "hi".into(),
                attributes: Some(IndexMap::from([("c".into(), "red".into())])),
            }
        );
        let d =
            parse_request(r#"{"Action":"DELETE_MESSAGE","RequestId":"r2","Id":"abc"}"#).unwrap();
        assert_eq!(
            d.action,
            Action::DeleteMessage {
                id: "abc".into(),
                reason: None
            }
        );
        let u = parse_request(
            r#"{"Action":"DISCONNECT_USER","RequestId":"r3","UserId":"bob","Reason":"ban"}"#,
        )
        .unwrap();
        assert_eq!(
            u.action,
            Action::DisconnectUser {
                user_id: "bob".into(),
                reason: Some("ban".into())
            }
        );
    }

    #[test]
    fn bad_client_frames_say_what_and_keep_the_request_id() {
        let cases = [
            ("not json", None, "not JSON"),
            ("[1]", None, "JSON object"),
            (r#"{"RequestId":5}"#, None, "RequestId must be a string"),
            (r#"{"RequestId":"r"}"#, Some("r"), "Action is required"),
            (
                r#"{"RequestId":"r","Action":"JOIN"}"#,
                Some("r"),
                "Unknown Action: JOIN",
            ),
            (
                r#"{"RequestId":"r","Action":"SEND_MESSAGE"}"#,
                Some("r"),
                "Content is required",
            ),
            (
                r#"{"RequestId":"r","Action":"SEND_MESSAGE","Content":1}"#,
                Some("r"),
                "Content must be a string",
            ),
            (
                r#"{"RequestId":"r","Action":"SEND_MESSAGE","Content":"x","Attributes":{"a":1}}"#,
                Some("r"),
                "Attributes.a must be a string",
            ),
            (
                r#"{"RequestId":"r","Action":"DELETE_MESSAGE"}"#,
                Some("r"),
                "Id is required",
            ),
            (
                r#"{"RequestId":"r","Action":"DISCONNECT_USER"}"#,
                Some("r"),
                "UserId is required",
            ),
        ];
        for (text, id, says) in cases {
            let e = parse_request(text).unwrap_err();
            assert_eq!(e.request_id.as_deref(), id, "{text}");
            assert!(e.message.contains(says), "{text}: {}", e.message);
        }
    }

    #[test]
    fn server_frames_have_the_fields_the_client_parses() {
        let attrs = IndexMap::from([("msgText".to_string(), "hello".to_string())]);
        let event: Value = serde_json::from_str(&to_text(&EventFrame {
            kind: "EVENT",
            id: "abcdefABCDEF",
            request_id: None,
            event_name: "SystemMessage",
            attributes: &attrs,
            send_time: "2026-01-01T00:00:00.000Z",
        }))
        .unwrap();
        assert_eq!(
            event,
            json!({"Type":"EVENT","Id":"abcdefABCDEF","EventName":"SystemMessage",
                   "Attributes":{"msgText":"hello"},"SendTime":"2026-01-01T00:00:00.000Z"})
        );
        let none = IndexMap::new();
        let msg: Value = serde_json::from_str(&to_text(&MessageFrame {
            kind: "MESSAGE",
            id: "m",
            request_id: Some("r"),
            attributes: None,
            content: "hi",
            send_time: "t",
            sender: Sender {
                user_id: "alice",
                attributes: &none,
            },
        }))
        .unwrap();
        assert_eq!(
            msg,
            json!({"Type":"MESSAGE","Id":"m","RequestId":"r","Content":"hi","SendTime":"t",
                   "Sender":{"UserId":"alice"}})
        );
        let err: Value =
            serde_json::from_str(&error_text("e", Some("r"), ErrorCode::Forbidden, "no")).unwrap();
        assert_eq!(
            err,
            json!({"Type":"ERROR","Id":"e","RequestId":"r","ErrorCode":403,"ErrorMessage":"no"})
        );
    }
}
