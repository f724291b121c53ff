//! What validation hands to planning: [`CheckedPlaybook`], with rooms
//! resolved and each event's target rooms selected.

use crate::catalog::contract::Contract;
use crate::diag::{FileId, Location};
use crate::playbook::model::{Settings, Vars};
use crate::playbook::rooms::Room;
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
    /// What its lock pins ([`crate::playbook::lock::LockFile::digest`]),
    /// when its rooms include discovered ones; part of the plan hash.
    pub lock_digest: Option<String>,
}
