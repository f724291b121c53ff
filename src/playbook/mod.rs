//! Playbooks: the format ([`model`]), reading files with source positions
//! ([`load`], [`source`]) and attribute templates ([`template`]).

pub mod load;
pub mod model;
pub mod source;
pub mod template;

pub use model::{Event, Inventory, Playbook, RoomEntry, Settings, Target};
