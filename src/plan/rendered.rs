//! A rendered send as the scan hands it over: what it shares with the plan
//! borrowed, made into a [`PlannedSend`] only where one is kept.
//!
//! `validate` renders every send and keeps none, `run` keeps only the ids,
//! `plan` prints them: building a `PlannedSend` (its own copies of the
//! room's ARN, name, region and account, and an attribute map) for each of
//! 100,000 sends cost more than rendering most of them.

use super::PlannedSend;
use crate::playbook::rooms::Room;
use crate::validate::{CheckedPlaybook, EventSpec};
use indexmap::IndexMap;
use std::sync::Arc;

/// One attribute's rendered value.
#[derive(Debug, Clone)]
pub(super) enum AttrValue<'p> {
    /// Written as it is sent (no template, or a literal default).
    Plain(&'p str),
    /// A rendering shared with other rooms (see [`super::cache`]).
    Shared(Arc<str>),
    /// Rendered for this send alone.
    Owned(String),
}

impl AttrValue<'_> {
    pub(super) fn as_str(&self) -> &str {
        match self {
            AttrValue::Plain(s) => s,
            AttrValue::Shared(s) => s,
            AttrValue::Owned(s) => s,
        }
    }
}

/// One rendered send.
#[derive(Debug)]
pub struct SendView<'p> {
    pub(super) pb: &'p CheckedPlaybook,
    pub(super) ev: &'p EventSpec,
    pub(super) room: &'p Room,
    pub(super) seq: usize,
    /// The send id, 16 hex digits.
    pub(super) id: [u8; 16],
    /// Values in the order of `ev.attributes` (whose keys are distinct).
    pub(super) values: Vec<AttrValue<'p>>,
    pub(super) bytes: usize,
    /// The step of the timeline it goes in ([`PlannedSend::step`]).
    pub(super) step: Option<usize>,
}

impl SendView<'_> {
    /// The send's id ([`PlannedSend::id`]).
    pub fn id(&self) -> &str {
        std::str::from_utf8(&self.id).expect("hex digits")
    }

    /// Its position in the plan.
    pub fn seq(&self) -> usize {
        self.seq
    }

    /// The attributes: keys and rendered values, in order.
    pub(super) fn attributes(&self) -> impl Iterator<Item = (&str, &str)> + '_ {
        self.ev
            .attributes
            .iter()
            .zip(&self.values)
            .map(|(a, v)| (a.key.as_str(), v.as_str()))
    }

    /// The send as the plan document has it.
    pub fn to_send(&self) -> PlannedSend {
        let attributes: IndexMap<String, String> = self
            .attributes()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        PlannedSend {
            id: self.id().to_string(),
            seq: self.seq,
            playbook: self.pb.name.clone(),
            event_index: self.ev.index,
            event_name: self.ev.name.clone(),
            room_arn: self.room.arn.arn.clone(),
            room_name: self.room.display_name().to_string(),
            region: self.room.arn.region.clone(),
            account: self.room.arn.account.clone(),
            attributes,
            bytes: self.bytes,
            step: self.step,
        }
    }
}

/// The send exactly as its [`PlannedSend`] serializes (a test holds the
/// two to the same bytes), without making one.
impl serde::Serialize for SendView<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        struct Attributes<'a, 'p>(&'a SendView<'p>);
        impl serde::Serialize for Attributes<'_, '_> {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_map(self.0.attributes())
            }
        }
        let fields = if self.step.is_some() { 12 } else { 11 };
        let mut s = serializer.serialize_struct("PlannedSend", fields)?;
        s.serialize_field("id", self.id())?;
        s.serialize_field("seq", &self.seq)?;
        s.serialize_field("playbook", &self.pb.name)?;
        s.serialize_field("event_index", &self.ev.index)?;
        s.serialize_field("event_name", &self.ev.name)?;
        s.serialize_field("room_arn", &self.room.arn.arn)?;
        s.serialize_field("room_name", self.room.display_name())?;
        s.serialize_field("region", &self.room.arn.region)?;
        s.serialize_field("account", &self.room.arn.account)?;
        s.serialize_field("attributes", &Attributes(self))?;
        s.serialize_field("bytes", &self.bytes)?;
        match self.step {
            Some(step) => s.serialize_field("step", &step)?,
            None => s.skip_field("step")?,
        }
        s.end()
    }
}
