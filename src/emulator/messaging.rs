//! The messaging operations: `SendEvent`, `CreateChatToken`,
//! `DeleteMessage` and `DisconnectUser`, which reach the chat edge's
//! connections (events fanned out to a room, tokens for new connections,
//! system events, connections closed).

use axum::http::StatusCode;
use serde_json::json;

use super::call::{Context, Reply};
use super::chat::actions;
use super::chat::frames::{EventFrame, to_text};
use super::chat::tokens::{Capability, Grant};
use super::errors::ApiError;
use super::model::{
    CHAT_TOKEN_CAPABILITIES, Checker, CreateChatTokenInput, DeleteMessageInput,
    DisconnectUserInput, SendEventInput,
};
use super::record::DeliveredEvent;
use super::rooms::{format_time, random_id};

/// `SendEvent`: records the event and sends it to every chat connection of
/// the room, with the id the reply carries.
pub fn send_event(ctx: &Context<'_>, input: SendEventInput) -> Result<Reply, ApiError> {
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
    ctx.find_room(&arn, true)?;
    let id = random_id(12);
    let time = format_time(ctx.now);
    let attributes = input.attributes.unwrap_or_default();
    ctx.chat.broadcast(
        &arn.arn,
        to_text(&EventFrame {
            kind: "EVENT",
            id: &id,
            request_id: None,
            event_name: &event_name,
            attributes: &attributes,
            send_time: &time,
        }),
    );
    ctx.record.push(DeliveredEvent {
        seq: 0,
        id: id.clone(),
        room_arn: arn.arn,
        region: ctx.caller.region.clone(),
        account: ctx.caller.account.clone(),
        event_name,
        attributes,
        time,
        request_id: ctx.request_id.to_string(),
    });
    Ok(Reply {
        status: StatusCode::OK,
        body: Some(json!({ "id": id })),
        event_id: Some(id),
    })
}

/// `CreateChatToken`: a single-use token for one connection to the room.
pub fn create_chat_token(
    ctx: &Context<'_>,
    input: CreateChatTokenInput,
) -> Result<Reply, ApiError> {
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
    let (Some(arn), Some(user_id)) = (arn, input.user_id) else {
        return Err(ApiError::InternalServer);
    };
    ctx.find_room(&arn, true)?;
    let minutes = input.session_duration_in_minutes.unwrap_or(60);
    let minute = ctx.chat_minute;
    let session_expires = ctx.now + minute * i32::try_from(minutes).unwrap_or(60);
    let token_expires = ctx.now + minute * i32::try_from(minutes.min(60)).unwrap_or(60);
    let mut capabilities = Vec::new();
    for cap in input
        .capabilities
        .iter()
        .flatten()
        .filter_map(|c| Capability::parse(c))
    {
        if !capabilities.contains(&cap) {
            capabilities.push(cap);
        }
    }
    let token = format!("AQICAH{}", random_id(180));
    ctx.tokens.issue(
        token.clone(),
        Grant {
            room_arn: arn.arn,
            region: ctx.caller.region.clone(),
            user_id,
            capabilities,
            attributes: input.attributes.unwrap_or_default(),
            token_expires,
            session_expires,
        },
        ctx.now,
    );
    Ok(Reply::ok(json!({
        "token": token,
        "tokenExpirationTime": format_time(token_expires),
        "sessionExpirationTime": format_time(session_expires),
    })))
}

/// `DeleteMessage`: sends the room an `aws:DELETE_MESSAGE` event; replies
/// with the event's id.
pub fn delete_message(ctx: &Context<'_>, input: DeleteMessageInput) -> Result<Reply, ApiError> {
    let mut c = Checker::new();
    let arn = c.room_identifier("roomIdentifier", &input.room_identifier);
    if let Some(id) = c.required("id", &input.id) {
        c.message_id("id", id);
    }
    c.reason("reason", &input.reason);
    c.finish()?;
    let (Some(arn), Some(id)) = (arn, input.id) else {
        return Err(ApiError::InternalServer);
    };
    ctx.find_room(&arn, true)?;
    let event = actions::delete_message(
        ctx.chat,
        &arn.arn,
        &id,
        input.reason.as_deref(),
        None,
        ctx.now,
    );
    Ok(Reply::ok(json!({ "id": event })))
}

/// `DisconnectUser`: sends the room an `aws:DISCONNECT_USER` event and
/// closes the user's connections (1000).
pub fn disconnect_user(ctx: &Context<'_>, input: DisconnectUserInput) -> Result<Reply, ApiError> {
    let mut c = Checker::new();
    let arn = c.room_identifier("roomIdentifier", &input.room_identifier);
    if let Some(user) = c.required("userId", &input.user_id) {
        c.length("userId", user, 1, Some(128));
    }
    c.reason("reason", &input.reason);
    c.finish()?;
    let (Some(arn), Some(user)) = (arn, input.user_id) else {
        return Err(ApiError::InternalServer);
    };
    ctx.find_room(&arn, true)?;
    actions::disconnect_user(
        ctx.chat,
        &arn.arn,
        &user,
        input.reason.as_deref(),
        None,
        ctx.now,
    );
    Ok(Reply::ok(json!({})))
}
