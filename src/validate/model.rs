//! What validation hands to planning: [`CheckedPlaybook`], with rooms
//! resolved and each event's target rooms selected.

use crate::catalog::contract::Contract;
use crate::diag::{FileId, Location};
use crate::playbook::model::{Settings, Vars};
use crate::playbook::rooms::Room;
use indexmap::IndexMap;
use std::path::PathBuf;
use std::sync::Arc;

/// One attribute's template and where it is written.
#[derive(Debug, Clone)]
pub struct AttributeTemplate {
    /// The key.
    pub key: String,
    /// The value as written, a minijinja template.
    pub template: String,
    /// Where the value is written (for a default from the event's
    /// definition, where `use:` is written).
    pub at: Location,
    /// Used as written, not rendered: a default from an event definition.
    pub literal: bool,
}

/// An event with its target rooms selected.
#[derive(Debug, Clone)]
pub struct EventSpec {
    /// Position in the playbook's `events` list.
    pub index: usize,
    /// The event name.
    pub name: String,
    /// Indices into [`CheckedPlaybook::rooms`], in sending order.
    pub rooms: Vec<usize>,
    /// Attribute templates, in the order written.
    pub attributes: Vec<AttributeTemplate>,
    /// Event variables.
    pub vars: Vars,
    /// Where the event starts.
    pub at: Location,
    /// The event definition it `use:`s, when it uses one.
    pub contract: Option<Arc<Contract>>,
    /// Its place on the timeline, when it has an `at:`.
    pub step: Option<EventStep>,
}

/// When a timed event goes: its `at:` offset and `grace`.
#[derive(Debug, Clone, PartialEq)]
pub struct EventStep {
    /// The offset from the anchor, in milliseconds.
    pub offset_ms: i64,
    /// The offset as written (`-15m`).
    pub text: String,
    /// Its own `grace`, in milliseconds, when it has one.
    pub grace_ms: Option<u64>,
    /// Where `at:` is written.
    pub at: Location,
}

/// A playbook that passed (or partly passed) validation.
#[derive(Debug, Clone)]
pub struct CheckedPlaybook {
    /// The file as given.
    pub path: PathBuf,
    /// Its id in [`Sources`].
    pub file: FileId,
    /// `name`, or the file stem.
    pub name: String,
    /// Settings as written.
    pub settings: Settings,
    /// Playbook variables.
    pub vars: Vars,
    /// Rooms: included inventories first, in include order, then `rooms`.
    pub rooms: Vec<Room>,
    /// Events in playbook order.
    pub events: Vec<EventSpec>,
    /// `accounts`: the profile of each account id.
    pub accounts: IndexMap<String, String>,
    /// What its lock pins ([`crate::playbook::lock::LockFile::digest`]),
    /// when its rooms include discovered ones; part of the plan hash.
    pub lock_digest: Option<String>,
    /// Where `settings.at` is written, when it is (and is a valid time).
    pub anchor_at: Option<Location>,
}
