//! What each operation does once a request is authenticated and within
//! quota: parse and check the input against the model, then act on the rooms
//! and the delivery record.
//!
//! Rooms named by a request are looked up in the request's region only. With
//! auto-create on, a room that is not found is created on first use by every
//! operation that names one except DeleteRoom, provided its ARN is in the
//! request's region and the caller's account (any id).
//!
//! Rooms belong to the account in their ARN. A request that names a room of
//! another account is answered `ResourceNotFoundException`, as AWS answers:
//! to the caller that room does not exist.

use axum::http::StatusCode;
use chrono::{DateTime, Duration as TimeDelta, Utc};
use indexmap::IndexMap;
use percent_encoding::percent_decode_str;
use serde_json::{Value, json};

use super::errors::ApiError;
use super::model::{
    CHAT_TOKEN_CAPABILITIES, Checker, CreateChatTokenInput, CreateRoomInput, IdentifierInput,
    ListRoomsInput, SendEventInput, TagResourceInput, UpdateRoomInput, parse_body,
};
use super::operation::Operation;
use super::record::{DeliveredEvent, Record};
use super::rooms::{Room, RoomStore, format_time, random_id};
use crate::service::arn::RoomArn;

/// Who is calling and where: the account of the access key and the region
/// of the signature's credential scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// Account id.
    pub account: String,
    /// Region.
    pub region: String,
}

/// Everything an operation may touch.
#[derive(Debug)]
pub struct Context<'a> {
    /// The caller.
    pub caller: &'a Caller,
    /// Rooms of all regions.
    pub rooms: &'a RoomStore,
    /// The delivery record.
    pub record: &'a Record,
    /// Create unknown rooms on first use.
    pub auto_create: bool,
    /// This request's id.
    pub request_id: &'a str,
    /// The time of the request.
    pub now: DateTime<Utc>,
}

/// The request as the operation sees it.
#[derive(Debug, Clone, Copy)]
pub struct Input<'a> {
    /// JSON body (empty means `{}`).
    pub body: &'a [u8],
    /// The raw (percent-encoded) `{resourceArn}` label of the tag operations.
    pub resource_label: Option<&'a str>,
    /// The raw query string.
    pub query: Option<&'a str>,
}

/// A successful reply.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    /// 200, or 204 for DeleteRoom.
    pub status: StatusCode,
    /// JSON body (none for 204).
    pub body: Option<Value>,
    /// The event id, when an event was delivered.
    pub event_id: Option<String>,
}

impl Reply {
    fn ok(body: Value) -> Self {
        Self {
            status: StatusCode::OK,
            body: Some(body),
            event_id: None,
        }
    }
}

/// Runs `op`.
pub fn execute(ctx: &Context<'_>, op: Operation, input: Input<'_>) -> Result<Reply, ApiError> {
    match op {
        Operation::SendEvent => send_event(ctx, parse_body(input.body)?),
        Operation::CreateChatToken => create_chat_token(ctx, parse_body(input.body)?),
        Operation::CreateRoom => create_room(ctx, parse_body(input.body)?),
        Operation::GetRoom => get_room(ctx, parse_body(input.body)?),
        Operation::ListRooms => list_rooms(ctx, parse_body(input.body)?),
        Operation::UpdateRoom => update_room(ctx, parse_body(input.body)?),
        Operation::DeleteRoom => delete_room(ctx, parse_body(input.body)?),
        Operation::TagResource => {
            let body: TagResourceInput = parse_body(input.body)?;
            tag_resource(ctx, input.resource_label, body)
        }
        Operation::UntagResource => untag_resource(ctx, input.resource_label, input.query),
        Operation::ListTagsForResource => list_tags(ctx, input.resource_label),
    }
}

/// The room ARN a request names, read leniently (for logs and throttles,
/// before or without a full parse).
pub fn named_room(op: Operation, input: Input<'_>) -> Option<String> {
    if op.is_tag_op() {
        input.resource_label.map(decode_label)
    } else {
        let v: Value = serde_json::from_slice(input.body).ok()?;
        ["roomIdentifier", "identifier"]
            .iter()
            .find_map(|k| v.get(*k)?.as_str().map(str::to_string))
    }
}

/// The `resourceId` of a throttle: the id of the room the request names,
/// else the caller's account.
pub fn throttle_resource_id(op: Operation, input: Input<'_>, caller: &Caller) -> String {
    named_room(op, input)
        .and_then(|arn| RoomArn::parse(&arn).ok())
        .map(|a| a.id)
        .unwrap_or_else(|| caller.account.clone())
}

/// Finds a room of the caller's account in the caller's region, creating it
/// when allowed.
fn find_room(ctx: &Context<'_>, arn: &RoomArn, may_create: bool) -> Result<(), ApiError> {
    let region = &ctx.caller.region;
    if arn.account != ctx.caller.account {
        return Err(ApiError::room_not_found(&arn.arn, &arn.id));
    }
    if ctx.rooms.exists(region, &arn.arn) {
        return Ok(());
    }
    if may_create && ctx.auto_create && arn.region == *region {
        if ctx.rooms.insert_if_absent(Room::new(arn, ctx.now)) {
            tracing::info!(room = %arn, "auto-created room");
        }
        return Ok(());
    }
    Err(ApiError::room_not_found(&arn.arn, &arn.id))
}

fn get_existing(ctx: &Context<'_>, arn: &RoomArn, may_create: bool) -> Result<Room, ApiError> {
    find_room(ctx, arn, may_create)?;
    ctx.rooms
        .get(&ctx.caller.region, &arn.arn)
        .ok_or_else(|| ApiError::room_not_found(&arn.arn, &arn.id))
}

fn send_event(ctx: &Context<'_>, input: SendEventInput) -> Result<Reply, ApiError> {
    let mut c = Checker::new();
    let arn = c.room_identifier("roomIdentifier", &input.room_identifier);
    if let Some(name) = c.required("eventName", &input.event_name) {
        c.length("eventName", name, 1, Some(100));
    }
    c.attributes("attributes", &input.attributes);
    c.finish()?;
    let (Some(arn), Some(event_name)) = (arn, input.event_name) else {
        return Err(ApiError::InternalServer);
    };
    find_room(ctx, &arn, true)?;
    let id = random_id(12);
    ctx.record.push(DeliveredEvent {
        seq: 0,
        id: id.clone(),
        room_arn: arn.arn,
        region: ctx.caller.region.clone(),
        account: ctx.caller.account.clone(),
        event_name,
        attributes: input.attributes.unwrap_or_default(),
        time: format_time(ctx.now),
        request_id: ctx.request_id.to_string(),
    });
    Ok(Reply {
        status: StatusCode::OK,
        body: Some(json!({ "id": id })),
        event_id: Some(id),
    })
}

fn create_chat_token(ctx: &Context<'_>, input: CreateChatTokenInput) -> Result<Reply, ApiError> {
    let mut c = Checker::new();
    let arn = c.room_identifier("roomIdentifier", &input.room_identifier);
    if let Some(user) = c.required("userId", &input.user_id) {
        c.length("userId", user, 1, Some(128));
    }
    for cap in input.capabilities.iter().flatten() {
        c.one_of("capabilities", cap, CHAT_TOKEN_CAPABILITIES);
    }
    if let Some(d) = input.session_duration_in_minutes {
        c.range("sessionDurationInMinutes", d, 1, 180);
    }
    c.attributes("attributes", &input.attributes);
    c.finish()?;
    let Some(arn) = arn else {
        return Err(ApiError::InternalServer);
    };
    find_room(ctx, &arn, true)?;
    let minutes = input.session_duration_in_minutes.unwrap_or(60);
    let session_expires = ctx.now + TimeDelta::minutes(minutes);
    let token_expires = ctx.now + TimeDelta::minutes(minutes.min(60));
    Ok(Reply::ok(json!({
        "token": format!("AQICAH{}", random_id(180)),
        "tokenExpirationTime": format_time(token_expires),
        "sessionExpirationTime": format_time(session_expires),
    })))
}

fn create_room(ctx: &Context<'_>, input: CreateRoomInput) -> Result<Reply, ApiError> {
    let mut c = Checker::new();
    c.room_settings(
        &input.name,
        input.maximum_message_rate_per_second,
        input.maximum_message_length,
        &input.message_review_handler,
    );
    if let Some(tags) = &input.tags {
        c.tags("tags", tags);
    }
    c.logging_ids(
        "loggingConfigurationIdentifiers",
        &input.logging_configuration_identifiers,
    );
    c.finish()?;

    let region = &ctx.caller.region;
    let account = &ctx.caller.account;
    let id = ctx.rooms.fresh_id(region, account);
    let arn = RoomArn::parse(&format!("arn:aws:ivschat:{region}:{account}:room/{id}"))
        .map_err(|_| ApiError::InternalServer)?;
    let mut room = Room::new(&arn, ctx.now);
    room.name = input.name.unwrap_or_default();
    if let Some(v) = input.maximum_message_rate_per_second {
        room.maximum_message_rate_per_second = v;
    }
    if let Some(v) = input.maximum_message_length {
        room.maximum_message_length = v;
    }
    room.message_review_handler = input.message_review_handler;
    room.tags = input.tags.unwrap_or_default();
    room.logging_configuration_identifiers =
        input.logging_configuration_identifiers.unwrap_or_default();
    ctx.rooms.insert(room.clone());
    Ok(Reply::ok(room.to_json()))
}

fn identifier(c: &mut Checker, value: &Option<String>) -> Option<RoomArn> {
    c.room_identifier("identifier", value)
}

fn get_room(ctx: &Context<'_>, input: IdentifierInput) -> Result<Reply, ApiError> {
    let mut c = Checker::new();
    let arn = identifier(&mut c, &input.identifier);
    c.finish()?;
    let arn = arn.ok_or(ApiError::InternalServer)?;
    Ok(Reply::ok(get_existing(ctx, &arn, true)?.to_json()))
}

fn delete_room(ctx: &Context<'_>, input: IdentifierInput) -> Result<Reply, ApiError> {
    let mut c = Checker::new();
    let arn = identifier(&mut c, &input.identifier);
    c.finish()?;
    let arn = arn.ok_or(ApiError::InternalServer)?;
    find_room(ctx, &arn, false)?;
    ctx.rooms
        .remove(&ctx.caller.region, &arn.arn)
        .ok_or_else(|| ApiError::room_not_found(&arn.arn, &arn.id))?;
    Ok(Reply {
        status: StatusCode::NO_CONTENT,
        body: None,
        event_id: None,
    })
}

fn update_room(ctx: &Context<'_>, input: UpdateRoomInput) -> Result<Reply, ApiError> {
    let mut c = Checker::new();
    let arn = identifier(&mut c, &input.identifier);
    c.room_settings(
        &input.name,
        input.maximum_message_rate_per_second,
        input.maximum_message_length,
        &input.message_review_handler,
    );
    c.logging_ids(
        "loggingConfigurationIdentifiers",
        &input.logging_configuration_identifiers,
    );
    c.finish()?;
    let arn = arn.ok_or(ApiError::InternalServer)?;
    find_room(ctx, &arn, true)?;
    let room = ctx
        .rooms
        .update(&ctx.caller.region, &arn.arn, Some(ctx.now), |room| {
            if let Some(v) = input.name {
                room.name = v;
            }
            if let Some(v) = input.maximum_message_rate_per_second {
                room.maximum_message_rate_per_second = v;
            }
            if let Some(v) = input.maximum_message_length {
                room.maximum_message_length = v;
            }
            if let Some(v) = input.message_review_handler {
                room.message_review_handler = Some(v);
            }
            if let Some(v) = input.logging_configuration_identifiers {
                room.logging_configuration_identifiers = v;
            }
        })
        .ok_or_else(|| ApiError::room_not_found(&arn.arn, &arn.id))?;
    Ok(Reply::ok(room.to_json()))
}

/// Page size when `maxResults` is absent.
const DEFAULT_PAGE: i64 = 50;

fn list_rooms(ctx: &Context<'_>, input: ListRoomsInput) -> Result<Reply, ApiError> {
    let mut c = Checker::new();
    c.room_name("name", &input.name);
    if let Some(t) = &input.next_token {
        c.length("nextToken", t, 0, Some(1024));
    }
    if let Some(m) = input.max_results {
        c.range("maxResults", m, 1, 50);
    }
    c.lambda_arn("messageReviewHandlerUri", &input.message_review_handler_uri);
    if let Some(id) = &input.logging_configuration_identifier {
        c.logging_id("loggingConfigurationIdentifier", id);
    }
    c.finish()?;

    let after = match input.next_token.as_deref() {
        None | Some("") => None,
        Some(t) => Some(decode_token(t).ok_or_else(|| {
            ApiError::other_validation("nextToken", "The pagination token is invalid")
        })?),
    };
    let page = usize::try_from(input.max_results.unwrap_or(DEFAULT_PAGE)).unwrap_or(50);
    let rooms = ctx
        .rooms
        .list(&ctx.caller.region, &ctx.caller.account, |r| {
            after.is_none_or(|key| r.list_key() < key)
                && input.name.as_ref().is_none_or(|n| &r.name == n)
                && input.message_review_handler_uri.as_ref().is_none_or(|u| {
                    r.message_review_handler
                        .as_ref()
                        .and_then(|h| h.uri.as_ref())
                        == Some(u)
                })
                && input
                    .logging_configuration_identifier
                    .as_ref()
                    .is_none_or(|id| r.logging_configuration_identifiers.contains(id))
        });
    let next = (rooms.len() > page).then(|| encode_token(rooms[page - 1].list_key()));
    let items: Vec<Value> = rooms.iter().take(page).map(Room::summary_json).collect();
    let mut body = json!({ "rooms": items });
    if let Some(t) = next {
        body["nextToken"] = t.into();
    }
    Ok(Reply::ok(body))
}

/// A page token: the list key of the page's last room (pages go newest
/// `updateTime` first).
fn encode_token((millis, seq): (i64, u64)) -> String {
    format!("v2.{millis:x}.{seq:016x}")
}

fn decode_token(token: &str) -> Option<(i64, u64)> {
    let (millis, seq) = token.strip_prefix("v2.")?.split_once('.')?;
    Some((
        i64::from_str_radix(millis, 16).ok()?,
        u64::from_str_radix(seq, 16).ok()?,
    ))
}

fn decode_label(raw: &str) -> String {
    percent_decode_str(raw).decode_utf8_lossy().into_owned()
}

/// Checks the `{resourceArn}` label and finds the room it names.
fn tagged_room(ctx: &Context<'_>, label: Option<&str>, c: &mut Checker) -> Option<RoomArn> {
    let arn = decode_label(label.unwrap_or(""));
    if !c.resource_arn("resourceArn", &arn) {
        return None;
    }
    match RoomArn::parse(&arn) {
        Ok(a) => Some(a),
        Err(_) => {
            // A well-formed ARN of another resource type (such as a logging
            // configuration): not a room, so not found below.
            let id = arn.rsplit('/').next().unwrap_or_default().to_string();
            Some(RoomArn {
                arn,
                region: ctx.caller.region.clone(),
                account: ctx.caller.account.clone(),
                id,
            })
        }
    }
}

fn tag_resource(
    ctx: &Context<'_>,
    label: Option<&str>,
    input: TagResourceInput,
) -> Result<Reply, ApiError> {
    let mut c = Checker::new();
    let arn = tagged_room(ctx, label, &mut c);
    if let Some(tags) = c.required("tags", &input.tags) {
        c.tags("tags", tags);
    }
    c.finish()?;
    let (Some(arn), Some(tags)) = (arn, input.tags) else {
        return Err(ApiError::InternalServer);
    };
    let room = get_existing(ctx, &arn, RoomArn::parse(&arn.arn).is_ok())?;
    let mut merged: IndexMap<String, String> = room.tags.clone();
    merged.extend(tags);
    if merged.len() > 50 {
        return Err(ApiError::field_validation(vec![
            super::errors::FieldError::new("tags", "A resource may have at most 50 tags"),
        ]));
    }
    ctx.rooms
        .update(&ctx.caller.region, &arn.arn, None, |r| r.tags = merged)
        .ok_or_else(|| ApiError::room_not_found(&arn.arn, &arn.id))?;
    Ok(Reply::ok(json!({})))
}

fn untag_resource(
    ctx: &Context<'_>,
    label: Option<&str>,
    query: Option<&str>,
) -> Result<Reply, ApiError> {
    let mut c = Checker::new();
    let arn = tagged_room(ctx, label, &mut c);
    let keys: Vec<String> = query
        .unwrap_or("")
        .split('&')
        .filter_map(|p| p.split_once('=').or(Some((p, ""))))
        .filter(|(k, _)| decode_label(k) == "tagKeys")
        .map(|(_, v)| decode_label(v))
        .collect();
    if keys.is_empty() {
        c.fail("tagKeys", "Member must not be null");
    }
    c.count("tagKeys", keys.len(), 50);
    for (i, k) in keys.iter().enumerate() {
        c.length(&format!("tagKeys.{}", i + 1), k, 1, Some(128));
    }
    c.finish()?;
    let arn = arn.ok_or(ApiError::InternalServer)?;
    find_room(ctx, &arn, RoomArn::parse(&arn.arn).is_ok())?;
    ctx.rooms
        .update(&ctx.caller.region, &arn.arn, None, |r| {
            r.tags.retain(|k, _| !keys.contains(k));
        })
        .ok_or_else(|| ApiError::room_not_found(&arn.arn, &arn.id))?;
    Ok(Reply::ok(json!({})))
}

fn list_tags(ctx: &Context<'_>, label: Option<&str>) -> Result<Reply, ApiError> {
    let mut c = Checker::new();
    let arn = tagged_room(ctx, label, &mut c);
    c.finish()?;
    let arn = arn.ok_or(ApiError::InternalServer)?;
    let room = get_existing(ctx, &arn, RoomArn::parse(&arn.arn).is_ok())?;
    Ok(Reply::ok(json!({ "tags": room.tags })))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx<'a>(caller: &'a Caller, rooms: &'a RoomStore, record: &'a Record) -> Context<'a> {
        Context {
            caller,
            rooms,
            record,
            auto_create: false,
            request_id: "req",
            now: Utc::now(),
        }
    }

    fn input(body: &str) -> Input<'_> {
        Input {
            body: body.as_bytes(),
            resource_label: None,
            query: None,
        }
    }

    #[test]
    fn list_rooms_pages_newest_first() {
        let caller = Caller {
            account: "123456789012".into(),
            region: "us-west-2".into(),
        };
        let rooms = RoomStore::new();
        let record = Record::open(None, None).unwrap();
        let ctx = ctx(&caller, &rooms, &record);
        let mut made = Vec::new();
        for i in 0..5 {
            let r = execute(
                &ctx,
                Operation::CreateRoom,
                input(&format!(r#"{{"name":"r{i}"}}"#)),
            )
            .unwrap();
            made.push(r.body.unwrap()["arn"].as_str().unwrap().to_string());
        }
        let mut seen = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let body = match &token {
                Some(t) => format!(r#"{{"maxResults":2,"nextToken":"{t}"}}"#),
                None => r#"{"maxResults":2}"#.to_string(),
            };
            let page = execute(&ctx, Operation::ListRooms, input(&body))
                .unwrap()
                .body
                .unwrap();
            for r in page["rooms"].as_array().unwrap() {
                seen.push(r["arn"].as_str().unwrap().to_string());
            }
            match page.get("nextToken") {
                Some(t) => token = Some(t.as_str().unwrap().to_string()),
                None => break,
            }
        }
        made.reverse();
        assert_eq!(seen, made);
        let bad = execute(&ctx, Operation::ListRooms, input(r#"{"nextToken":"zzz"}"#));
        assert!(matches!(bad, Err(ApiError::Validation { .. })));
        let named = execute(&ctx, Operation::ListRooms, input(r#"{"name":"r3"}"#)).unwrap();
        assert_eq!(named.body.unwrap()["rooms"].as_array().unwrap().len(), 1);
    }

    #[test]
    fn throttle_resource_id_prefers_the_room() {
        let caller = Caller {
            account: "1".into(),
            region: "us-east-1".into(),
        };
        let body = r#"{"roomIdentifier":"arn:aws:ivschat:us-east-1:1:room/abc"}"#;
        assert_eq!(
            throttle_resource_id(Operation::SendEvent, input(body), &caller),
            "abc"
        );
        assert_eq!(
            throttle_resource_id(Operation::ListRooms, input("{}"), &caller),
            "1"
        );
        let tags = Input {
            body: b"",
            resource_label: Some("arn%3Aaws%3Aivschat%3Aus-east-1%3A1%3Aroom%2Fxyz"),
            query: None,
        };
        assert_eq!(
            throttle_resource_id(Operation::ListTagsForResource, tags, &caller),
            "xyz"
        );
    }
}
