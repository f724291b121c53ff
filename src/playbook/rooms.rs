//! Rooms as the rest of the tool sees them, and the sink that turns room
//! entries into rooms while their file is still being read, so a 100,000-room
//! inventory is never held as JSON in full.

use super::room_reader::RoomReader;
use crate::diag::Location;
use crate::playbook::model::{DiscoverEntry, RoomArnText, RoomEntry, RoomSpec, Vars};
use crate::schema::generate;
use crate::service::arn::RoomArn;
use crate::yaml::{ItemSink, ItemSpans};
use jsonschema::Validator;
use serde::Deserialize;
use serde_json::Value;
use std::sync::LazyLock;

/// A room, resolved from a playbook or one of its includes.
#[derive(Debug, Clone)]
pub struct Room {
    /// The parsed ARN.
    pub arn: RoomArn,
    /// The name given in the playbook, if any.
    pub name: Option<String>,
    /// Tags.
    pub tags: Vec<String>,
    /// Room variables.
    pub vars: Vars,
    /// Where its ARN is written.
    pub at: Location,
}

impl Room {
    /// The name to show: the given name, or the room id from the ARN.
    pub fn display_name(&self) -> &str {
        self.name.as_deref().unwrap_or(&self.arn.id)
    }
}

/// The playbook schema's `RoomEntry`, alone: what a room entry must be in a
/// playbook and in an inventory alike.
pub(crate) static ROOM_ENTRY_VALIDATOR: LazyLock<Validator> = LazyLock::new(|| {
    let mut schema = generate::<crate::playbook::Playbook>();
    let entry = serde_json::json!({
        "$schema": schema["$schema"].take(),
        "$ref": "#/$defs/RoomEntry",
        "$defs": schema["$defs"].take(),
    });
    jsonschema::validator_for(&entry).expect("room entry schema compiles")
});

/// What a room entry taken by [`RoomSink`] leaves in the document when
/// others stay: a room ARN, valid where the entry was, so the document's
/// schema check passes over it.
pub(crate) const TAKEN: &str = "arn:aws:ivschat:us-east-1:000000000000:room/taken";

/// Turns room entries into [`Room`]s while their file is read, for entries
/// that are certainly valid (the room-entry schema, the typed model and
/// the ARN grammar all accept them); the rest stay in the document and are
/// checked with it. An inventory of 100,000 rooms is then never held as
/// JSON and as rooms at once. Nothing about the result differs: a taken
/// entry becomes the same room the document's own pass would make.
#[derive(Debug, Default)]
pub struct RoomSink {
    /// Taken entries, in order.
    pub(crate) rooms: Vec<Room>,
    /// Their positions in `rooms`.
    pub(crate) positions: Vec<usize>,
    /// Entries past the first few go to another thread (see
    /// [`super::room_reader`]).
    reader: Option<RoomReader<Room>>,
    /// Entries handed over so far.
    seen: usize,
}

/// Entries turned into rooms on this thread, before the rest go to a
/// [`RoomReader`]: a short list is not worth a thread.
const ON_THIS_THREAD: usize = 512;

impl ItemSink for RoomSink {
    fn key(&self) -> &str {
        "rooms"
    }

    fn item(&mut self, index: usize, value: Value, spans: &ItemSpans<'_>) -> Option<Value> {
        self.seen += 1;
        if self.seen > ON_THIS_THREAD {
            let reader = self.reader.get_or_insert_with(|| RoomReader::start(take));
            reader.send(index, value, spans);
            return None;
        }
        match take(index, &value, spans) {
            Some(room) => {
                self.rooms.push(room);
                self.positions.push(index);
                None
            }
            None => Some(value),
        }
    }

    fn stand_in(&self) -> Value {
        Value::String(TAKEN.to_string())
    }

    fn end(&mut self) -> Vec<(usize, Value)> {
        let Some(reader) = self.reader.take() else {
            return Vec::new();
        };
        let read = reader.finish();
        self.rooms.extend(read.rooms);
        self.positions.extend(read.positions);
        read.returned
    }

    fn reset(&mut self) {
        self.reader = None;
        self.rooms.clear();
        self.positions.clear();
        self.seen = 0;
    }
}

/// The room an entry is, when it is certainly valid.
fn take(index: usize, value: &Value, spans: &ItemSpans<'_>) -> Option<Room> {
    if !ROOM_ENTRY_VALIDATOR.is_valid(value) {
        return None;
    }
    let entry = room_entry(value)?;
    // Selectors are resolved from the lock, with the document.
    let Some(Ok(arn)) = entry.arn().map(RoomArn::parse) else {
        return None;
    };
    let pointer = match entry {
        RoomEntry::Room(_) => format!("/rooms/{index}/arn"),
        _ => format!("/rooms/{index}"),
    };
    let at = spans.value(&pointer)?;
    Some(room(entry, arn, at))
}

/// The entry `value` is, read as the untagged [`RoomEntry`] reads it (an
/// ARN, else a room, else a selector), without first copying the value,
/// and without building an error message for each shape it is not.
fn room_entry(value: &Value) -> Option<RoomEntry> {
    match value {
        Value::String(_) => RoomArnText::deserialize(value).ok().map(RoomEntry::Arn),
        Value::Object(_) => RoomSpec::deserialize(value)
            .map(RoomEntry::Room)
            .or_else(|_| DiscoverEntry::deserialize(value).map(RoomEntry::Discover))
            .ok(),
        _ => RoomEntry::deserialize(value).ok(),
    }
}

/// The room a valid entry describes.
pub(crate) fn room(entry: RoomEntry, arn: RoomArn, at: Location) -> Room {
    let (name, tags, vars) = match entry {
        RoomEntry::Room(r) => (r.name, r.tags.into_iter().map(|t| t.0).collect(), r.vars),
        _ => (None, Vec::new(), Vars::default()),
    };
    Room {
        arn,
        name,
        tags,
        vars,
        at,
    }
}

/// How a service tag (a key and a value) reads as a playbook tag, which
/// `to: {tags: [...]}` and `--limit tag:...` select by: `KEY=VALUE`.
pub fn service_tag(key: &str, value: &str) -> String {
    format!("{key}={value}")
}
