//! The rooms of every region, and the random ids the service hands out.
//!
//! One emulator stands for all the regional endpoints, so rooms are kept per
//! region: a room lives in the region of its ARN, and a lookup is always made
//! in the region the request was signed for. A room of another region is
//! therefore not found, which is what that regional endpoint would answer.

use std::collections::HashMap;
use std::sync::RwLock;
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, SecondsFormat, Utc};
use indexmap::IndexMap;
use rand::Rng;
use rand::distr::Alphanumeric;
use serde_json::{Value, json};

use super::model::MessageReviewHandler;

/// Default `maximumMessageRatePerSecond`.
pub const DEFAULT_MAX_MESSAGE_RATE: i64 = 10;
/// Default `maximumMessageLength`.
pub const DEFAULT_MAX_MESSAGE_LENGTH: i64 = 500;

/// A random id of `len` ASCII letters and digits, like room and event ids.
pub fn random_id(len: usize) -> String {
    rand::rng()
        .sample_iter(Alphanumeric)
        .take(len)
        .map(char::from)
        .collect()
}

/// Formats a time the way the service's `Time` shape travels: ISO 8601 UTC
/// with milliseconds.
pub fn format_time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// One chat room.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Room {
    /// `arn:aws:ivschat:REGION:ACCOUNT:room/ID`.
    pub arn: String,
    /// The id after `room/`.
    pub id: String,
    /// Region part of the ARN.
    pub region: String,
    /// Account part of the ARN.
    pub account: String,
    /// Room name (may be empty).
    pub name: String,
    /// Creation time.
    pub create_time: DateTime<Utc>,
    /// Last update (creation counts).
    pub update_time: DateTime<Utc>,
    /// Setting from CreateRoom/UpdateRoom.
    pub maximum_message_rate_per_second: i64,
    /// Setting from CreateRoom/UpdateRoom.
    pub maximum_message_length: i64,
    /// Setting from CreateRoom/UpdateRoom.
    pub message_review_handler: Option<MessageReviewHandler>,
    /// Tags.
    pub tags: IndexMap<String, String>,
    /// Logging configuration ARNs, stored as given.
    pub logging_configuration_identifiers: Vec<String>,
    /// Order of last update, for ListRooms (newest first) and its tokens.
    pub update_seq: u64,
}

impl Room {
    /// A room with default settings.
    pub fn new(arn: &crate::service::arn::RoomArn, now: DateTime<Utc>) -> Self {
        Self {
            arn: arn.arn.clone(),
            id: arn.id.clone(),
            region: arn.region.clone(),
            account: arn.account.clone(),
            name: String::new(),
            create_time: now,
            update_time: now,
            maximum_message_rate_per_second: DEFAULT_MAX_MESSAGE_RATE,
            maximum_message_length: DEFAULT_MAX_MESSAGE_LENGTH,
            message_review_handler: None,
            tags: IndexMap::new(),
            logging_configuration_identifiers: Vec::new(),
            update_seq: 0,
        }
    }

    /// Where the room is in ListRooms, which lists the greatest first: its
    /// update time (milliseconds, as the service shows it), then the order
    /// of updates among rooms updated in the same millisecond.
    pub fn list_key(&self) -> (i64, u64) {
        (self.update_time.timestamp_millis(), self.update_seq)
    }

    /// The JSON of CreateRoom/GetRoom/UpdateRoom responses.
    pub fn to_json(&self) -> Value {
        let mut v = json!({
            "arn": self.arn,
            "id": self.id,
            "name": self.name,
            "createTime": format_time(self.create_time),
            "updateTime": format_time(self.update_time),
            "maximumMessageRatePerSecond": self.maximum_message_rate_per_second,
            "maximumMessageLength": self.maximum_message_length,
            "tags": self.tags,
            "loggingConfigurationIdentifiers": self.logging_configuration_identifiers,
        });
        if let Some(h) = &self.message_review_handler {
            v["messageReviewHandler"] = json!(h);
        }
        v
    }

    /// The JSON of a `RoomSummary` in ListRooms.
    pub fn summary_json(&self) -> Value {
        let mut v = json!({
            "arn": self.arn,
            "id": self.id,
            "name": self.name,
            "createTime": format_time(self.create_time),
            "updateTime": format_time(self.update_time),
            "tags": self.tags,
            "loggingConfigurationIdentifiers": self.logging_configuration_identifiers,
        });
        if let Some(h) = &self.message_review_handler {
            v["messageReviewHandler"] = json!(h);
        }
        v
    }
}

/// Rooms by region, then by ARN.
#[derive(Debug, Default)]
pub struct RoomStore {
    regions: RwLock<HashMap<String, HashMap<String, Room>>>,
    seq: AtomicU64,
}

impl RoomStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn next_seq(&self) -> u64 {
        self.seq.fetch_add(1, Ordering::Relaxed) + 1
    }

    /// Adds (or replaces) a room in the region of its ARN.
    pub fn insert(&self, mut room: Room) {
        room.update_seq = self.next_seq();
        let mut regions = self.regions.write().unwrap_or_else(|e| e.into_inner());
        regions
            .entry(room.region.clone())
            .or_default()
            .insert(room.arn.clone(), room);
    }

    /// Adds the room unless a room with its ARN exists; true if added.
    pub fn insert_if_absent(&self, mut room: Room) -> bool {
        let mut regions = self.regions.write().unwrap_or_else(|e| e.into_inner());
        let rooms = regions.entry(room.region.clone()).or_default();
        if rooms.contains_key(&room.arn) {
            return false;
        }
        room.update_seq = self.next_seq();
        rooms.insert(room.arn.clone(), room);
        true
    }

    /// Whether `arn` exists in `region`.
    pub fn exists(&self, region: &str, arn: &str) -> bool {
        let regions = self.regions.read().unwrap_or_else(|e| e.into_inner());
        regions.get(region).is_some_and(|r| r.contains_key(arn))
    }

    /// A copy of the room.
    pub fn get(&self, region: &str, arn: &str) -> Option<Room> {
        let regions = self.regions.read().unwrap_or_else(|e| e.into_inner());
        regions.get(region)?.get(arn).cloned()
    }

    /// Changes a room; `bump` marks it updated (moves it to the front of
    /// ListRooms). Returns the room after the change.
    pub fn update(
        &self,
        region: &str,
        arn: &str,
        bump: Option<DateTime<Utc>>,
        change: impl FnOnce(&mut Room),
    ) -> Option<Room> {
        let seq = bump.map(|_| self.next_seq());
        let mut regions = self.regions.write().unwrap_or_else(|e| e.into_inner());
        let room = regions.get_mut(region)?.get_mut(arn)?;
        change(room);
        if let (Some(t), Some(seq)) = (bump, seq) {
            room.update_time = t;
            room.update_seq = seq;
        }
        Some(room.clone())
    }

    /// Removes a room.
    pub fn remove(&self, region: &str, arn: &str) -> Option<Room> {
        let mut regions = self.regions.write().unwrap_or_else(|e| e.into_inner());
        regions.get_mut(region)?.remove(arn)
    }

    /// A new room id not used in `region` (12 letters and digits).
    pub fn fresh_id(&self, region: &str, account: &str) -> String {
        loop {
            let id = random_id(12);
            let arn = format!("arn:aws:ivschat:{region}:{account}:room/{id}");
            if !self.exists(region, &arn) {
                return id;
            }
        }
    }

    /// Rooms of `account` in `region` that pass `keep`, most recently
    /// updated first ([`Room::list_key`]).
    pub fn list(&self, region: &str, account: &str, keep: impl Fn(&Room) -> bool) -> Vec<Room> {
        let regions = self.regions.read().unwrap_or_else(|e| e.into_inner());
        let mut rooms: Vec<Room> = regions
            .get(region)
            .map(|r| {
                r.values()
                    .filter(|room| room.account == account && keep(room))
                    .cloned()
                    .collect()
            })
            .unwrap_or_default();
        rooms.sort_by_key(|r| std::cmp::Reverse(r.list_key()));
        rooms
    }

    /// Every room of every region, by region then ARN.
    pub fn all(&self) -> Vec<Room> {
        let regions = self.regions.read().unwrap_or_else(|e| e.into_inner());
        let mut rooms: Vec<Room> = regions.values().flat_map(|r| r.values().cloned()).collect();
        rooms.sort_by(|a, b| (&a.region, &a.arn).cmp(&(&b.region, &b.arn)));
        rooms
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::arn::RoomArn;

    #[test]
    fn rooms_live_in_their_region_and_list_newest_first() {
        let store = RoomStore::new();
        let now = Utc::now();
        let a = RoomArn::parse("arn:aws:ivschat:us-east-1:1:room/a").unwrap();
        let b = RoomArn::parse("arn:aws:ivschat:us-east-1:1:room/b").unwrap();
        let c = RoomArn::parse("arn:aws:ivschat:eu-west-1:1:room/c").unwrap();
        for arn in [&a, &b, &c] {
            store.insert(Room::new(arn, now));
        }
        assert!(store.exists("us-east-1", &a.arn));
        assert!(!store.exists("eu-west-1", &a.arn));
        let ids = |v: Vec<Room>| v.into_iter().map(|r| r.id).collect::<Vec<_>>();
        assert_eq!(ids(store.list("us-east-1", "1", |_| true)), ["b", "a"]);
        store.update("us-east-1", &a.arn, Some(now), |r| r.name = "n".into());
        assert_eq!(ids(store.list("us-east-1", "1", |_| true)), ["a", "b"]);
        assert!(store.list("us-east-1", "2", |_| true).is_empty());
        assert!(!store.insert_if_absent(Room::new(&a, now)));
        assert!(store.remove("us-east-1", &a.arn).is_some());
        assert_eq!(store.all().len(), 2);
        let id = store.fresh_id("us-east-1", "1");
        assert_eq!(id.len(), 12);
        assert!(id.chars().all(|c| c.is_ascii_alphanumeric()));
    }

    #[test]
    fn list_order_is_newest_update_time_first() {
        let store = RoomStore::new();
        let now = Utc::now();
        let old = RoomArn::parse("arn:aws:ivschat:us-east-1:1:room/old").unwrap();
        let new = RoomArn::parse("arn:aws:ivschat:us-east-1:1:room/new").unwrap();
        store.insert(Room::new(&new, now));
        // Inserted later, but updated two years ago: listed after.
        store.insert(Room::new(&old, now - chrono::Duration::days(730)));
        let ids: Vec<String> = store
            .list("us-east-1", "1", |_| true)
            .into_iter()
            .map(|r| r.id)
            .collect();
        assert_eq!(ids, ["new", "old"]);
    }

    #[test]
    fn times_have_millis() {
        let t = DateTime::parse_from_rfc3339("2024-05-01T10:00:00.5Z")
            .unwrap()
            .to_utc();
        assert_eq!(format_time(t), "2024-05-01T10:00:00.500Z");
    }
}
