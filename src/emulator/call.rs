//! What an operation is given and gives back: the caller, the state it may
//! touch, the request as it arrived, and the successful reply; plus finding
//! the room a request names, which most operations start with.
//!
//! Rooms named by a request are looked up in the request's region only. With
//! auto-create on, a room that is not found is created on first use by every
//! operation that names one except DeleteRoom, provided its ARN is in the
//! request's region (any account and id).

use axum::http::StatusCode;
use chrono::{DateTime, TimeDelta, Utc};
use serde_json::Value;

use super::chat::hub::ChatHub;
use super::chat::tokens::TokenStore;
use super::errors::ApiError;
use super::logging::LoggingStore;
use super::record::Record;
use super::rooms::{Room, RoomStore};
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

/// Limits of the resources an account may hold in a region.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResourceQuotas {
    /// Rooms per account and region.
    pub rooms: usize,
    /// Logging configurations per account and region.
    pub logging_configurations: usize,
}

/// Everything an operation may touch.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    /// The caller.
    pub caller: &'a Caller,
    /// Rooms of all regions.
    pub rooms: &'a RoomStore,
    /// Logging configurations of all regions.
    pub logging: &'a LoggingStore,
    /// The delivery record.
    pub record: &'a Record,
    /// Open chat connections (events are fanned out to them).
    pub chat: &'a ChatHub,
    /// Chat tokens not used yet.
    pub tokens: &'a TokenStore,
    /// Resource-count quotas.
    pub quotas: ResourceQuotas,
    /// One minute of a chat session (see `EmulatorConfig::chat_minute`).
    pub chat_minute: TimeDelta,
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
    /// 200, or 204 for the Delete operations without output.
    pub status: StatusCode,
    /// JSON body (none for 204).
    pub body: Option<Value>,
    /// The event id, when an event was delivered.
    pub event_id: Option<String>,
}

impl Reply {
    /// 200 with a JSON body.
    pub fn ok(body: Value) -> Self {
        Self {
            status: StatusCode::OK,
            body: Some(body),
            event_id: None,
        }
    }

    /// 204 without a body.
    pub fn no_content() -> Self {
        Self {
            status: StatusCode::NO_CONTENT,
            body: None,
            event_id: None,
        }
    }
}

impl Context<'_> {
    /// Finds a room of the caller's account in the caller's region,
    /// creating it when allowed. Rooms belong to the account in their ARN:
    /// a room of another account is not found, as AWS answers, and is
    /// never auto-created.
    pub fn find_room(&self, arn: &RoomArn, may_create: bool) -> Result<(), ApiError> {
        let region = &self.caller.region;
        if arn.account != self.caller.account {
            return Err(ApiError::room_not_found(&arn.arn, &arn.id));
        }
        if self.rooms.exists(region, &arn.arn) {
            return Ok(());
        }
        if may_create && self.auto_create && arn.region == *region {
            if self.rooms.insert_if_absent(Room::new(arn, self.now)) {
                tracing::info!(room = %arn, "auto-created room");
            }
            return Ok(());
        }
        Err(ApiError::room_not_found(&arn.arn, &arn.id))
    }

    /// A copy of the room (found or created as [`Context::find_room`] does).
    pub fn get_room(&self, arn: &RoomArn, may_create: bool) -> Result<Room, ApiError> {
        self.find_room(arn, may_create)?;
        self.rooms
            .get(&self.caller.region, &arn.arn)
            .ok_or_else(|| ApiError::room_not_found(&arn.arn, &arn.id))
    }
}
