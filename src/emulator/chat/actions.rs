//! What the edge does for each client action, and the two system events
//! that the actions and their HTTP twins (`DeleteMessage`, `DisconnectUser`)
//! share.
//!
//! Each action is checked against the connection's token (its
//! capabilities: `ERROR` 403) and the room as it is now (gone: 404; content
//! longer than `maximumMessageLength` code points: 413; more messages than
//! `maximumMessageRatePerSecond`: 429). An accepted action is answered by
//! the frame it broadcasts to the whole room, the requester included, with
//! the requester's `RequestId`.

use chrono::{DateTime, Utc};
use indexmap::IndexMap;

use super::super::rooms::{Room, RoomStore, format_time, random_id};
use super::frames::{
    Action, DELETE_MESSAGE_EVENT, DISCONNECT_USER_EVENT, ErrorCode, EventFrame, MessageFrame,
    Request, Sender, error_text, to_text,
};
use super::hub::{ChatHub, Ending, reasons};
use super::tokens::{Capability, Grant};

/// Broadcasts an `aws:DELETE_MESSAGE` event; returns its id.
pub fn delete_message(
    hub: &ChatHub,
    room_arn: &str,
    message_id: &str,
    reason: Option<&str>,
    request_id: Option<&str>,
    now: DateTime<Utc>,
) -> String {
    let mut attributes = IndexMap::new();
    // SDK 1.1.1 reads `MessageID`; the docs name `MessageId`: send both.
    attributes.insert("MessageID".to_string(), message_id.to_string());
    attributes.insert("MessageId".to_string(), message_id.to_string());
    if let Some(r) = reason {
        attributes.insert("Reason".to_string(), r.to_string());
    }
    system_event(
        hub,
        room_arn,
        DELETE_MESSAGE_EVENT,
        &attributes,
        request_id,
        now,
    )
}

/// Broadcasts an `aws:DISCONNECT_USER` event, then closes (1000) every
/// connection of that user in the room; returns the event id.
pub fn disconnect_user(
    hub: &ChatHub,
    room_arn: &str,
    user_id: &str,
    reason: Option<&str>,
    request_id: Option<&str>,
    now: DateTime<Utc>,
) -> String {
    let mut attributes = IndexMap::new();
    attributes.insert("UserId".to_string(), user_id.to_string());
    if let Some(r) = reason {
        attributes.insert("Reason".to_string(), r.to_string());
    }
    let id = system_event(
        hub,
        room_arn,
        DISCONNECT_USER_EVENT,
        &attributes,
        request_id,
        now,
    );
    hub.end_user(
        room_arn,
        user_id,
        Ending::Close(1000, reasons::DISCONNECTED),
    );
    id
}

fn system_event(
    hub: &ChatHub,
    room_arn: &str,
    event_name: &str,
    attributes: &IndexMap<String, String>,
    request_id: Option<&str>,
    now: DateTime<Utc>,
) -> String {
    let id = random_id(12);
    let time = format_time(now);
    hub.broadcast(
        room_arn,
        to_text(&EventFrame {
            kind: "EVENT",
            id: &id,
            request_id,
            event_name,
            attributes,
            send_time: &time,
        }),
    );
    id
}

/// What the edge needs to serve an action.
#[derive(Debug, Clone, Copy)]
pub struct Edge<'a> {
    /// The fan-out.
    pub hub: &'a ChatHub,
    /// The rooms (for their limits, read at every message).
    pub rooms: &'a RoomStore,
}

/// A refused action: the `ERROR` frame for the requester alone.
fn refuse(request_id: Option<&str>, code: ErrorCode, message: &str) -> String {
    error_text(&random_id(12), request_id, code, message)
}

fn missing(cap: Capability) -> String {
    format!("Missing {} capability", cap.as_str())
}

/// Serves one parsed request of a connection opened with `grant`; returns
/// the `ERROR` frame to send back when it is refused.
pub fn serve(
    edge: Edge<'_>,
    grant: &Grant,
    request: Request,
    now: DateTime<Utc>,
) -> Option<String> {
    let rid = request.request_id.as_deref();
    let Some(room) = edge.rooms.get(&grant.region, &grant.room_arn) else {
        return Some(refuse(rid, ErrorCode::NotFound, "Room not found"));
    };
    match request.action {
        Action::SendMessage {
            content,
            attributes,
        } => send_message(edge, grant, &room, rid, content, attributes, now),
        Action::DeleteMessage { id, reason } => {
            if !grant.can(Capability::DeleteMessage) {
                return Some(refuse(
                    rid,
                    ErrorCode::Forbidden,
                    &missing(Capability::DeleteMessage),
                ));
            }
            delete_message(edge.hub, &grant.room_arn, &id, reason.as_deref(), rid, now);
            None
        }
        Action::DisconnectUser { user_id, reason } => {
            if !grant.can(Capability::DisconnectUser) {
                return Some(refuse(
                    rid,
                    ErrorCode::Forbidden,
                    &missing(Capability::DisconnectUser),
                ));
            }
            disconnect_user(
                edge.hub,
                &grant.room_arn,
                &user_id,
                reason.as_deref(),
                rid,
                now,
            );
            None
        }
    }
}

/// `SEND_MESSAGE`: capability, content length in code points, the room's
/// rate; then the `MESSAGE` to the whole room.
fn send_message(
    edge: Edge<'_>,
    grant: &Grant,
    room: &Room,
    rid: Option<&str>,
    content: String,
    attributes: Option<IndexMap<String, String>>,
    now: DateTime<Utc>,
) -> Option<String> {
    if !grant.can(Capability::SendMessage) {
        return Some(refuse(
            rid,
            ErrorCode::Forbidden,
            &missing(Capability::SendMessage),
        ));
    }
    if content.is_empty() {
        return Some(refuse(
            rid,
            ErrorCode::BadRequest,
            "Content must not be empty",
        ));
    }
    let len = content.chars().count();
    if len as i64 > room.maximum_message_length {
        let m = format!(
            "Content is {len} characters; the room allows at most {}",
            room.maximum_message_length
        );
        return Some(refuse(rid, ErrorCode::TooLarge, &m));
    }
    if !edge
        .hub
        .take_message_token(&grant.room_arn, room.maximum_message_rate_per_second)
    {
        let m = format!(
            "The room allows {} messages per second",
            room.maximum_message_rate_per_second
        );
        return Some(refuse(rid, ErrorCode::RateLimited, &m));
    }
    let id = random_id(12);
    let time = format_time(now);
    let frame = MessageFrame {
        kind: "MESSAGE",
        id: &id,
        request_id: rid,
        attributes: attributes.as_ref(),
        content: &content,
        send_time: &time,
        sender: Sender {
            user_id: &grant.user_id,
            attributes: &grant.attributes,
        },
    };
    edge.hub.broadcast(&grant.room_arn, to_text(&frame));
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::arn::RoomArn;
    use serde_json::Value;

    const ARN: &str = "arn:aws:ivschat:us-west-2:1:room/a";

    fn grant(caps: &[Capability]) -> Grant {
        let now = Utc::now();
        Grant {
            room_arn: ARN.into(),
            region: "us-west-2".into(),
            user_id: "alice".into(),
            capabilities: caps.to_vec(),
            attributes: IndexMap::from([("displayName".into(), "Alice".into())]),
            token_expires: now,
            session_expires: now,
        }
    }

    fn request(action: Action) -> Request {
        Request {
            request_id: Some("r1".into()),
            action,
        }
    }

    fn send(content: &str) -> Request {
        request(Action::SendMessage {
            content: content.into(),
            attributes: None,
        })
    }

    fn code(frame: Option<String>) -> u64 {
        let v: Value = serde_json::from_str(&frame.expect("an error frame")).unwrap();
        assert_eq!(v["RequestId"], "r1");
        v["ErrorCode"].as_u64().unwrap()
    }

    #[tokio::test]
    async fn actions_are_checked_then_broadcast() {
        let hub = ChatHub::default();
        let rooms = RoomStore::new();
        let edge = Edge {
            hub: &hub,
            rooms: &rooms,
        };
        let now = Utc::now();
        let all = [
            Capability::SendMessage,
            Capability::DeleteMessage,
            Capability::DisconnectUser,
        ];
        assert_eq!(code(serve(edge, &grant(&all), send("hi"), now)), 404);

        let mut room = Room::new(&RoomArn::parse(ARN).unwrap(), now);
        room.maximum_message_length = 3;
        room.maximum_message_rate_per_second = 2;
        rooms.insert(room);
        let mut me = hub.join(ARN, "alice");
        let bob = hub.join(ARN, "bob");

        assert_eq!(code(serve(edge, &grant(&[]), send("hi"), now)), 403);
        let del = request(Action::DeleteMessage {
            id: "m".into(),
            reason: None,
        });
        assert_eq!(code(serve(edge, &grant(&[]), del.clone(), now)), 403);
        let kick = request(Action::DisconnectUser {
            user_id: "bob".into(),
            reason: Some("ban".into()),
        });
        assert_eq!(code(serve(edge, &grant(&[]), kick.clone(), now)), 403);
        assert_eq!(code(serve(edge, &grant(&all), send(""), now)), 400);
        assert_eq!(code(serve(edge, &grant(&all), send("éééé"), now)), 413);

        assert_eq!(serve(edge, &grant(&all), send("ééé"), now), None);
        let msg: Value = serde_json::from_str(&me.frames.recv().await.unwrap()).unwrap();
        assert_eq!(msg["Type"], "MESSAGE");
        assert_eq!(msg["RequestId"], "r1");
        assert_eq!(msg["Sender"]["UserId"], "alice");
        assert_eq!(msg["Sender"]["Attributes"]["displayName"], "Alice");
        assert_eq!(serve(edge, &grant(&all), send("b"), now), None);
        assert_eq!(code(serve(edge, &grant(&all), send("c"), now)), 429);
        me.frames.recv().await.unwrap();

        assert_eq!(serve(edge, &grant(&all), del, now), None);
        let ev: Value = serde_json::from_str(&me.frames.recv().await.unwrap()).unwrap();
        assert_eq!(ev["EventName"], "aws:DELETE_MESSAGE");
        assert_eq!(ev["Attributes"]["MessageID"], "m");
        assert_eq!(ev["Attributes"]["MessageId"], "m");

        assert_eq!(serve(edge, &grant(&all), kick, now), None);
        let ev: Value = serde_json::from_str(&me.frames.recv().await.unwrap()).unwrap();
        assert_eq!(ev["EventName"], "aws:DISCONNECT_USER");
        assert_eq!(ev["Attributes"]["UserId"], "bob");
        assert_eq!(ev["Attributes"]["Reason"], "ban");
        assert_eq!(
            *bob.ending.borrow(),
            Some(Ending::Close(1000, reasons::DISCONNECTED))
        );
        assert_eq!(*me.ending.borrow(), None);
    }
}
