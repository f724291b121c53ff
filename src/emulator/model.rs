//! The request shapes of the service model and their constraints: lengths,
//! patterns, ranges, enums, required members, and the documented 1 KB limit
//! on attributes.
//!
//! The reference is botocore's `data/ivschat/2020-07-14/service-2.json`.
//! Patterns are applied to the whole value, as the service does (the model
//! writes them unanchored). One deviation: the model's `ResourceArn` pattern
//! (`…:[a-z-]/…`, a single character before the slash) matches no real ARN;
//! the emulator uses `…:[a-z-]+/…`.
//!
//! Every violation in a request is reported at once, as `fieldList` entries
//! worded like the service ("Member must have length less than or equal to
//! 100"). A body that is not a JSON object, or a member of the wrong JSON
//! type, is a `SerializationException` instead.

use std::sync::LazyLock;

use indexmap::IndexMap;
use regex::Regex;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::errors::{ApiError, FieldError};
use crate::service::arn::{ArnError, ROOM_ARN_MAX_LEN, RoomArn};

/// `RoomIdentifier` / `RoomArn` pattern as the model writes it.
pub const ROOM_IDENTIFIER_PATTERN: &str = "arn:aws:ivschat:[a-z0-9-]+:[0-9]+:room/[a-zA-Z0-9-]+";
/// `RoomName` pattern.
pub const ROOM_NAME_PATTERN: &str = "[a-zA-Z0-9-_]*";
/// `LambdaArn` pattern.
pub const LAMBDA_ARN_PATTERN: &str = "$|^arn:aws:lambda:[a-z0-9-]+:[0-9]{12}:function:.+.*";
/// `LoggingConfigurationIdentifier` pattern.
pub const LOGGING_ID_PATTERN: &str =
    "arn:aws:ivschat:[a-z0-9-]+:[0-9]+:logging-configuration/[a-zA-Z0-9-]+";
/// `ID` / `MessageID` / `LoggingConfigurationID` pattern.
pub const ID_PATTERN: &str = "[a-zA-Z0-9]+";
/// `ResourceArn` pattern, corrected (see the module docs).
pub const RESOURCE_ARN_PATTERN: &str = "arn:aws:ivschat:[a-z0-9-]+:[0-9]+:[a-z-]+/[a-zA-Z0-9-]+";

/// The documented limit on `attributes` (SendEvent and CreateChatToken):
/// 1 KB total, counted as the UTF-8 bytes of every key plus every value.
pub const MAX_ATTRIBUTES_BYTES: usize = 1024;
/// `ChatTokenCapability` enum.
pub const CHAT_TOKEN_CAPABILITIES: &[&str] = &["SEND_MESSAGE", "DISCONNECT_USER", "DELETE_MESSAGE"];
/// `FallbackResult` enum.
pub const FALLBACK_RESULTS: &[&str] = &["ALLOW", "DENY"];

fn anchored(pattern: &str) -> Regex {
    Regex::new(&format!("^(?:{pattern})$")).expect("model pattern compiles")
}

static ROOM_NAME_RE: LazyLock<Regex> = LazyLock::new(|| anchored(ROOM_NAME_PATTERN));
static LAMBDA_ARN_RE: LazyLock<Regex> =
    LazyLock::new(|| anchored("|arn:aws:lambda:[a-z0-9-]+:[0-9]{12}:function:.+"));
static LOGGING_ID_RE: LazyLock<Regex> = LazyLock::new(|| anchored(LOGGING_ID_PATTERN));
static ID_RE: LazyLock<Regex> = LazyLock::new(|| anchored(ID_PATTERN));
static RESOURCE_ARN_RE: LazyLock<Regex> = LazyLock::new(|| anchored(RESOURCE_ARN_PATTERN));

/// Parses a JSON request body into `T`. An empty body counts as `{}`; a body
/// that is not a JSON object is refused, since serde would otherwise take an
/// array positionally.
pub fn parse_body<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    let first = body.iter().find(|b| !b.is_ascii_whitespace());
    match first {
        None => serde_json::from_slice(b"{}").map_err(serialization),
        Some(b'{') => serde_json::from_slice(body).map_err(serialization),
        Some(_) => Err(ApiError::Serialization(
            "Expected a JSON object as the request body".into(),
        )),
    }
}

fn serialization(e: serde_json::Error) -> ApiError {
    ApiError::Serialization(format!("Could not parse the request body: {e}"))
}

/// `MessageReviewHandler`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageReviewHandler {
    /// Lambda ARN, or empty.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uri: Option<String>,
    /// `ALLOW` or `DENY`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fallback_result: Option<String>,
}

/// `SendEventRequest`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SendEventInput {
    /// Room ARN (required).
    pub room_identifier: Option<String>,
    /// 1..100 characters (required).
    pub event_name: Option<String>,
    /// String map, 1 KB total.
    pub attributes: Option<IndexMap<String, String>>,
}

/// `CreateChatTokenRequest`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateChatTokenInput {
    /// Room ARN (required).
    pub room_identifier: Option<String>,
    /// 1..128 characters (required).
    pub user_id: Option<String>,
    /// Enum values.
    pub capabilities: Option<Vec<String>>,
    /// 1..180, default 60.
    pub session_duration_in_minutes: Option<i64>,
    /// String map, 1 KB total.
    pub attributes: Option<IndexMap<String, String>>,
}

/// `DeleteMessageRequest`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeleteMessageInput {
    /// Room ARN (required).
    pub room_identifier: Option<String>,
    /// The message id, 12 letters and digits (required).
    pub id: Option<String>,
    /// 1..256 characters.
    pub reason: Option<String>,
}

/// `DisconnectUserRequest`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DisconnectUserInput {
    /// Room ARN (required).
    pub room_identifier: Option<String>,
    /// 1..128 characters (required).
    pub user_id: Option<String>,
    /// 1..256 characters.
    pub reason: Option<String>,
}

/// `CreateRoomRequest`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateRoomInput {
    /// 0..128 characters, `[a-zA-Z0-9-_]*`.
    pub name: Option<String>,
    /// 1..100, default 10.
    pub maximum_message_rate_per_second: Option<i64>,
    /// 1..500, default 500.
    pub maximum_message_length: Option<i64>,
    /// Optional handler.
    pub message_review_handler: Option<MessageReviewHandler>,
    /// Up to 50 tags.
    pub tags: Option<IndexMap<String, String>>,
    /// Up to 3 logging configuration ARNs.
    pub logging_configuration_identifiers: Option<Vec<String>>,
}

/// `GetRoomRequest`, `DeleteRoomRequest` and the logging configurations' `Get…` and `Delete…` requests.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IdentifierInput {
    /// The room's or logging configuration's ARN or id (required): the
    /// shape of `Get…` and `Delete…` requests.
    pub identifier: Option<String>,
}

/// `ListRoomsRequest`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListRoomsInput {
    /// Exact room name to match.
    pub name: Option<String>,
    /// Token from a previous page.
    pub next_token: Option<String>,
    /// 1..50, default 50.
    pub max_results: Option<i64>,
    /// Handler URI to match.
    pub message_review_handler_uri: Option<String>,
    /// Logging configuration to match.
    pub logging_configuration_identifier: Option<String>,
}

/// `UpdateRoomRequest`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateRoomInput {
    /// Room ARN (required).
    pub identifier: Option<String>,
    /// New name.
    pub name: Option<String>,
    /// New rate.
    pub maximum_message_rate_per_second: Option<i64>,
    /// New length.
    pub maximum_message_length: Option<i64>,
    /// New handler.
    pub message_review_handler: Option<MessageReviewHandler>,
    /// New logging configurations.
    pub logging_configuration_identifiers: Option<Vec<String>>,
}

/// The body of `TagResourceRequest` (the ARN travels in the path).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TagResourceInput {
    /// Tags to add or overwrite (required).
    pub tags: Option<IndexMap<String, String>>,
}

/// Collects constraint violations of one request.
#[derive(Debug, Default)]
pub struct Checker {
    errors: Vec<FieldError>,
}

impl Checker {
    /// A fresh checker.
    pub fn new() -> Self {
        Self::default()
    }

    /// A `MessageID` (also the model's `ID`): 12 letters and digits.
    pub fn message_id(&mut self, name: &str, value: &str) {
        if self.length(name, value, 12, Some(12)) {
            self.pattern(name, value, &ID_RE, ID_PATTERN);
        }
    }

    /// A `Reason`: 1..256 characters.
    pub fn reason(&mut self, name: &str, value: &Option<String>) {
        if let Some(v) = value {
            self.length(name, v, 1, Some(256));
        }
    }

    /// Records a violation.
    pub fn fail(&mut self, name: &str, message: impl Into<String>) {
        self.errors.push(FieldError::new(name, message));
    }

    /// A required member.
    pub fn required<'a, T>(&mut self, name: &str, value: &'a Option<T>) -> Option<&'a T> {
        if value.is_none() {
            self.fail(name, "Member must not be null");
        }
        value.as_ref()
    }

    /// String length in characters (Unicode scalar values), as Smithy counts.
    pub fn length(&mut self, name: &str, value: &str, min: usize, max: Option<usize>) -> bool {
        let n = value.chars().count();
        if n < min {
            self.fail(
                name,
                format!("Member must have length greater than or equal to {min}"),
            );
            return false;
        }
        if let Some(max) = max.filter(|m| n > *m) {
            self.fail(
                name,
                format!("Member must have length less than or equal to {max}"),
            );
            return false;
        }
        true
    }

    /// Number of items of a list or map.
    pub fn count(&mut self, name: &str, n: usize, max: usize) -> bool {
        if n > max {
            self.fail(
                name,
                format!("Member must have length less than or equal to {max}"),
            );
            return false;
        }
        true
    }

    /// Whole-value regular expression, reported with the model's pattern.
    pub fn pattern(&mut self, name: &str, value: &str, re: &Regex, shown: &str) -> bool {
        if !re.is_match(value) {
            self.fail(
                name,
                format!("Member must satisfy regular expression pattern: {shown}"),
            );
            return false;
        }
        true
    }

    /// Integer range.
    pub fn range(&mut self, name: &str, value: i64, min: i64, max: i64) -> bool {
        if value < min {
            self.fail(
                name,
                format!("Member must have value greater than or equal to {min}"),
            );
            false
        } else if value > max {
            self.fail(
                name,
                format!("Member must have value less than or equal to {max}"),
            );
            false
        } else {
            true
        }
    }

    /// Enum membership.
    pub fn one_of(&mut self, name: &str, value: &str, allowed: &[&str]) -> bool {
        if !allowed.contains(&value) {
            self.fail(
                name,
                format!(
                    "Member must satisfy enum value set: [{}]",
                    allowed.join(", ")
                ),
            );
            return false;
        }
        true
    }

    /// A `RoomIdentifier`: required, 1..128, the room ARN pattern.
    pub fn room_identifier(&mut self, name: &str, value: &Option<String>) -> Option<RoomArn> {
        let value = self.required(name, value)?;
        match RoomArn::parse(value) {
            Ok(arn) => Some(arn),
            Err(ArnError::Empty) => {
                self.length(name, value, 1, None);
                None
            }
            Err(ArnError::TooLong(_)) => {
                self.length(name, value, 1, Some(ROOM_ARN_MAX_LEN));
                None
            }
            Err(ArnError::Pattern(_)) => {
                self.fail(
                    name,
                    format!(
                        "Member must satisfy regular expression pattern: {ROOM_IDENTIFIER_PATTERN}"
                    ),
                );
                None
            }
        }
    }

    /// `attributes` of SendEvent / CreateChatToken: 1 KB of UTF-8 keys and values.
    pub fn attributes(&mut self, name: &str, value: &Option<IndexMap<String, String>>) {
        if let Some(map) = value {
            let bytes: usize = map.iter().map(|(k, v)| k.len() + v.len()).sum();
            if bytes > MAX_ATTRIBUTES_BYTES {
                self.fail(
                    name,
                    format!(
                        "Member must have a total size of at most {MAX_ATTRIBUTES_BYTES} bytes (UTF-8 bytes of all keys plus all values); got {bytes}"
                    ),
                );
            }
        }
    }

    /// The settings CreateRoom and UpdateRoom share: `name`,
    /// `maximumMessageRatePerSecond` (1-100), `maximumMessageLength`
    /// (1-500) and `messageReviewHandler`.
    pub fn room_settings(
        &mut self,
        name: &Option<String>,
        rate: Option<i64>,
        length: Option<i64>,
        handler: &Option<MessageReviewHandler>,
    ) {
        self.room_name("name", name);
        if let Some(v) = rate {
            self.range("maximumMessageRatePerSecond", v, 1, 100);
        }
        if let Some(v) = length {
            self.range("maximumMessageLength", v, 1, 500);
        }
        self.review_handler("messageReviewHandler", handler);
    }

    /// `RoomName`.
    pub fn room_name(&mut self, name: &str, value: &Option<String>) {
        if let Some(v) = value
            && self.length(name, v, 0, Some(128))
        {
            self.pattern(name, v, &ROOM_NAME_RE, ROOM_NAME_PATTERN);
        }
    }

    /// `LambdaArn` (the handler URI).
    pub fn lambda_arn(&mut self, name: &str, value: &Option<String>) {
        if let Some(v) = value
            && self.length(name, v, 0, Some(170))
        {
            self.pattern(name, v, &LAMBDA_ARN_RE, LAMBDA_ARN_PATTERN);
        }
    }

    /// `MessageReviewHandler`.
    pub fn review_handler(&mut self, name: &str, value: &Option<MessageReviewHandler>) {
        if let Some(h) = value {
            self.lambda_arn(&format!("{name}.uri"), &h.uri);
            if let Some(f) = &h.fallback_result {
                self.one_of(&format!("{name}.fallbackResult"), f, FALLBACK_RESULTS);
            }
        }
    }

    /// One `LoggingConfigurationIdentifier`.
    pub fn logging_id(&mut self, name: &str, value: &str) {
        if self.length(name, value, 1, Some(128)) {
            self.pattern(name, value, &LOGGING_ID_RE, LOGGING_ID_PATTERN);
        }
    }

    /// `LoggingConfigurationIdentifierList`.
    pub fn logging_ids(&mut self, name: &str, value: &Option<Vec<String>>) {
        if let Some(list) = value {
            self.count(name, list.len(), 3);
            for (i, id) in list.iter().enumerate() {
                self.logging_id(&format!("{name}.{}", i + 1), id);
            }
        }
    }

    /// `Tags`: at most 50; keys 1..128 and not `aws:`-prefixed; values 0..256.
    pub fn tags(&mut self, name: &str, value: &IndexMap<String, String>) {
        self.count(name, value.len(), 50);
        for (k, v) in value {
            self.tag_key(name, k);
            if v.chars().count() > 256 {
                self.fail(
                    name,
                    "Map value must satisfy constraint: Member must have length less than or equal to 256",
                );
            }
        }
    }

    /// One `TagKey`.
    pub fn tag_key(&mut self, name: &str, key: &str) {
        let n = key.chars().count();
        if n == 0 {
            self.fail(
                name,
                "Map keys must satisfy constraint: Member must have length greater than or equal to 1",
            );
        } else if n > 128 {
            self.fail(
                name,
                "Map keys must satisfy constraint: Member must have length less than or equal to 128",
            );
        } else if key.to_ascii_lowercase().starts_with("aws:") {
            self.fail(
                name,
                "Tag keys starting with 'aws:' are reserved for AWS use",
            );
        }
    }

    /// `ResourceArn` (in the tags path).
    pub fn resource_arn(&mut self, name: &str, value: &str) -> bool {
        self.length(name, value, 1, Some(128))
            && self.pattern(name, value, &RESOURCE_ARN_RE, RESOURCE_ARN_PATTERN)
    }

    /// `Ok` when nothing failed, else a `FIELD_VALIDATION_FAILED` error.
    pub fn finish(self) -> Result<(), ApiError> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(ApiError::field_validation(self.errors))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(e: ApiError) -> Vec<String> {
        match e {
            ApiError::Validation { fields, .. } => fields.into_iter().map(|f| f.name).collect(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn bodies_that_are_not_objects_are_serialization_errors() {
        assert!(parse_body::<SendEventInput>(b"").is_ok());
        assert!(parse_body::<SendEventInput>(b"  {}").is_ok());
        for bad in [
            &b"[\"a\",\"b\"]"[..],
            b"null",
            b"\"x\"",
            b"{",
            b"{\"eventName\":1}",
            b"\xff",
        ] {
            assert!(
                matches!(
                    parse_body::<SendEventInput>(bad),
                    Err(ApiError::Serialization(_))
                ),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
        // Unknown members are ignored, as Smithy servers do.
        assert!(parse_body::<SendEventInput>(br#"{"other":[1]}"#).is_ok());
    }

    #[test]
    fn send_event_constraints() {
        let mut c = Checker::new();
        c.room_identifier("roomIdentifier", &None);
        c.length("eventName", &"é".repeat(100), 1, Some(100));
        c.length("eventName2", &"e".repeat(101), 1, Some(100));
        c.attributes(
            "attributes",
            &Some(IndexMap::from([("k".repeat(24), "é".repeat(501))])),
        );
        c.attributes(
            "ok",
            &Some(IndexMap::from([("k".repeat(24), "v".repeat(1000))])),
        );
        assert_eq!(
            fields(c.finish().unwrap_err()),
            ["roomIdentifier", "eventName2", "attributes"]
        );
    }

    #[test]
    fn room_identifier_uses_the_arn_grammar() {
        let mut c = Checker::new();
        assert!(
            c.room_identifier("a", &Some("arn:aws:ivschat:us-east-1:1:room/x".into()))
                .is_some()
        );
        assert!(c.room_identifier("b", &Some(String::new())).is_none());
        assert!(c.room_identifier("c", &Some("room/x".into())).is_none());
        let long = format!("arn:aws:ivschat:us-east-1:1:room/{}", "a".repeat(100));
        assert!(c.room_identifier("d", &Some(long)).is_none());
        assert_eq!(fields(c.finish().unwrap_err()), ["b", "c", "d"]);
    }

    #[test]
    fn room_shapes() {
        let mut c = Checker::new();
        c.room_name("name", &Some("ok-name_1".into()));
        c.room_name("bad", &Some("no spaces".into()));
        c.lambda_arn("uri", &Some(String::new()));
        c.lambda_arn(
            "uri2",
            &Some("arn:aws:lambda:us-east-1:123456789012:function:f".into()),
        );
        c.lambda_arn(
            "uri3",
            &Some("arn:aws:lambda:us-east-1:1:function:f".into()),
        );
        c.logging_ids("ids", &Some(vec!["x".into(); 4]));
        c.tags(
            "tags",
            &IndexMap::from([("aws:x".to_string(), String::new())]),
        );
        c.one_of("cap", "READ", CHAT_TOKEN_CAPABILITIES);
        c.range("max", 0, 1, 50);
        assert!(c.resource_arn("arn", "arn:aws:ivschat:us-east-1:1:room/x"));
        assert!(!c.resource_arn("arn2", "arn:aws:ivschat:us-east-1:1:room"));
        assert_eq!(
            fields(c.finish().unwrap_err()),
            [
                "bad", "uri3", "ids", "ids.1", "ids.2", "ids.3", "ids.4", "tags", "cap", "max",
                "arn2"
            ]
        );
    }
}
