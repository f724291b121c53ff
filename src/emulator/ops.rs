//! What each operation does once a request is authenticated and within
//! quota: [`execute`] dispatches; the room and tag operations are here, the
//! messaging ones in [`super::messaging`], the logging-configuration ones in
//! [`super::logging_ops`].

use indexmap::IndexMap;
use percent_encoding::percent_decode_str;
use serde_json::{Value, json};

pub use super::call::{Caller, Context, Input, Reply};
use super::chat::hub::{Ending, reasons};
use super::errors::ApiError;
use super::logging_ops;
use super::messaging;
use super::model::{
    Checker, CreateRoomInput, IdentifierInput, ListRoomsInput, MessageReviewHandler,
    TagResourceInput, UpdateRoomInput, parse_body,
};
use super::operation::Operation;
use super::rooms::Room;
use crate::service::arn::RoomArn;

/// Runs `op`.
pub fn execute(ctx: &Context<'_>, op: Operation, input: Input<'_>) -> Result<Reply, ApiError> {
    match op {
        Operation::SendEvent => messaging::send_event(ctx, parse_body(input.body)?),
        Operation::CreateChatToken => messaging::create_chat_token(ctx, parse_body(input.body)?),
        Operation::DeleteMessage => messaging::delete_message(ctx, parse_body(input.body)?),
        Operation::DisconnectUser => messaging::disconnect_user(ctx, parse_body(input.body)?),
        Operation::CreateLoggingConfiguration
        | Operation::GetLoggingConfiguration
        | Operation::ListLoggingConfigurations
        | Operation::UpdateLoggingConfiguration
        | Operation::DeleteLoggingConfiguration => logging_ops::execute(ctx, op, input),
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
    logging_exist(ctx, &input.logging_configuration_identifiers)?;

    let region = &ctx.caller.region;
    let account = &ctx.caller.account;
    let max = ctx.quotas.rooms;
    if ctx.rooms.list(region, account, |_| true).len() >= max {
        return Err(ApiError::ServiceQuotaExceeded {
            resource_id: account.clone(),
            message: format!("The account may hold at most {max} rooms in {region}"),
            limit: u32::try_from(max).unwrap_or(u32::MAX),
        });
    }
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
    room.message_review_handler = input.message_review_handler.and_then(review_handler);
    room.tags = input.tags.unwrap_or_default();
    room.logging_configuration_identifiers =
        input.logging_configuration_identifiers.unwrap_or_default();
    ctx.rooms.insert(room.clone());
    Ok(Reply::ok(room.to_json()))
}

/// The handler as stored: none for an empty URI (which is how a handler is
/// removed), and `fallbackResult` defaulting to `ALLOW`.
fn review_handler(mut h: MessageReviewHandler) -> Option<MessageReviewHandler> {
    if h.uri.as_deref().unwrap_or("").is_empty() {
        return None;
    }
    h.fallback_result.get_or_insert_with(|| "ALLOW".to_string());
    Some(h)
}

/// Every named logging configuration must exist in the caller's region.
fn logging_exist(ctx: &Context<'_>, ids: &Option<Vec<String>>) -> Result<(), ApiError> {
    for arn in ids.iter().flatten() {
        if !ctx.logging.exists(&ctx.caller.region, arn) {
            let id = arn.rsplit('/').next().unwrap_or_default();
            return Err(ApiError::logging_not_found(arn, id));
        }
    }
    Ok(())
}

fn identifier(c: &mut Checker, value: &Option<String>) -> Option<RoomArn> {
    c.room_identifier("identifier", value)
}

fn get_room(ctx: &Context<'_>, input: IdentifierInput) -> Result<Reply, ApiError> {
    let mut c = Checker::new();
    let arn = identifier(&mut c, &input.identifier);
    c.finish()?;
    let arn = arn.ok_or(ApiError::InternalServer)?;
    Ok(Reply::ok(ctx.get_room(&arn, true)?.to_json()))
}

fn delete_room(ctx: &Context<'_>, input: IdentifierInput) -> Result<Reply, ApiError> {
    let mut c = Checker::new();
    let arn = identifier(&mut c, &input.identifier);
    c.finish()?;
    let arn = arn.ok_or(ApiError::InternalServer)?;
    ctx.rooms
        .remove(&ctx.caller.region, &arn.arn)
        .ok_or_else(|| ApiError::room_not_found(&arn.arn, &arn.id))?;
    ctx.chat
        .end_room(&arn.arn, Ending::Close(1000, reasons::ROOM_DELETED));
    Ok(Reply::no_content())
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
    ctx.find_room(&arn, true)?;
    logging_exist(ctx, &input.logging_configuration_identifiers)?;
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
            if let Some(mut v) = input.message_review_handler {
                // A handler without `uri` keeps the room's URI.
                if v.uri.is_none() {
                    v.uri = room
                        .message_review_handler
                        .as_ref()
                        .and_then(|h| h.uri.clone());
                }
                room.message_review_handler = review_handler(v);
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
    let room = ctx.get_room(&arn, RoomArn::parse(&arn.arn).is_ok())?;
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
    ctx.find_room(&arn, RoomArn::parse(&arn.arn).is_ok())?;
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
    let room = ctx.get_room(&arn, RoomArn::parse(&arn.arn).is_ok())?;
    Ok(Reply::ok(json!({ "tags": room.tags })))
}

#[cfg(test)]
mod tests {
    use super::*;

    use super::super::call::ResourceQuotas;
    use super::super::chat::hub::ChatHub;
    use super::super::chat::tokens::TokenStore;
    use super::super::logging::LoggingStore;
    use super::super::record::Record;
    use super::super::rooms::RoomStore;
    use chrono::Utc;

    /// The state one test's operations act on.
    struct Fixture {
        rooms: RoomStore,
        logging: LoggingStore,
        record: Record,
        chat: ChatHub,
        tokens: TokenStore,
    }

    impl Fixture {
        fn new() -> Self {
            Self {
                rooms: RoomStore::new(),
                logging: LoggingStore::new(),
                record: Record::open(None, None).unwrap(),
                chat: ChatHub::default(),
                tokens: TokenStore::default(),
            }
        }

        fn ctx<'a>(&'a self, caller: &'a Caller) -> Context<'a> {
            Context {
                caller,
                rooms: &self.rooms,
                logging: &self.logging,
                record: &self.record,
                chat: &self.chat,
                tokens: &self.tokens,
                quotas: ResourceQuotas {
                    rooms: 5,
                    logging_configurations: 2,
                },
                chat_minute: chrono::TimeDelta::minutes(1),
                auto_create: false,
                request_id: "req",
                now: Utc::now(),
            }
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
        let fixture = Fixture::new();
        let ctx = fixture.ctx(&caller);
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
