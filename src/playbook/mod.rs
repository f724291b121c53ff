//! Playbooks: the format ([`model`]), reading files with source positions
//! ([`load`]), the lock file of `discover:` selectors ([`lock`]), the rooms
//! taken while reading ([`rooms`]), the selectors written ([`selectors`]),
//! attribute templates
//! ([`template`]) and the names a template only prints ([`printed`]), how a
//! variable's value is read (`var_value`), and
//! the playbook schema specialised to a catalog for
//! editors ([`editor_schema`]).

pub mod editor_schema;
pub mod load;
pub mod lock;
pub mod model;
pub mod printed;
mod room_reader;
pub mod rooms;
pub mod selectors;
pub mod template;
mod var_value;

pub use model::{Event, Inventory, Playbook, RoomEntry, Settings, Target};
