//! Validation: the generated JSON Schema first, then the checks a schema
//! cannot express.
//!
//! Every problem in every file is collected in one pass and reported with
//! its place, so a user fixes a playbook in one round trip. Parts of a
//! playbook that pass the schema are checked further even when other parts
//! fail it (a bad room does not hide a bad event). The output,
//! [`CheckedPlaybook`], holds resolved rooms (includes merged, ARNs parsed) and
//! events with their target rooms already selected; [`crate::plan`] renders
//! them.
//!
//! - [`model`]: [`CheckedPlaybook`], what validation produces.
//! - [`rooms`]: inventories, duplicates, `to:` selection.
//! - [`events`]: events, `use:` and contracts.
//! - [`schema_rules`]: schema errors in the playbook's own words.
//! - [`typed`]: validators, and parts read into their types.

pub mod events;
pub mod model;
pub mod rooms;
pub mod schema_rules;
pub mod typed;

pub use model::{AttributeTemplate, CheckedPlaybook, EventSpec};

use events::EventCtx;
use rooms::{RawRooms, check_rooms, collect_inventory, collect_rooms};
use schema_rules::schema_check;
use typed::{Doc, PLAYBOOK_VALIDATOR, piece};

use crate::diag::{Diagnostic, Sources};
use crate::playbook::load::LoadedPlaybook;
use crate::playbook::model::{IncludePath, Settings, Vars};
use events::CatalogUse;
use serde_json::Value;

/// Checks loaded playbooks. Every problem goes to `diags`; the returned
/// playbooks hold every part that could be checked.
/// Takes the loaded files by value: room entries are moved out of the
/// parsed documents into [`Room`]s one at a time, so a 100,000-room
/// inventory is never held twice.
pub fn check(
    loaded: Vec<LoadedPlaybook>,
    sources: &Sources,
    diags: &mut Vec<Diagnostic>,
) -> Vec<CheckedPlaybook> {
    let mut out = Vec::new();
    for lp in loaded {
        if let Some(vp) = check_playbook(lp, sources, diags) {
            out.push(vp);
        }
    }
    out
}

pub(super) fn check_playbook(
    lp: LoadedPlaybook,
    sources: &Sources,
    diags: &mut Vec<Diagnostic>,
) -> Option<CheckedPlaybook> {
    let mut parsed = lp.main.parsed?;
    let index = &parsed.index;
    let value = &mut parsed.value;
    let file = lp.main.file;
    if value.is_null() {
        diags.push(
            Diagnostic::error("playbook::empty", "the playbook is empty")
                .at(Some(index.value("")))
                .hint("a playbook needs at least `version: 1`, `rooms` and `events`; `ivschat-playbook init` writes a starter"),
        );
        return None;
    }
    let t = std::time::Instant::now();
    let schema_errors = schema_check(&PLAYBOOK_VALIDATOR, value, index, Doc::Playbook, diags);
    tracing::debug!(elapsed = ?t.elapsed(), errors = schema_errors.len(), "schema checked");
    let obj = value.as_object_mut()?;
    let own_rooms = obj.get_mut("rooms").map(Value::take);
    let own_taken = lp.main.rooms;

    let name = obj
        .get("name")
        .and_then(Value::as_str)
        .map(str::to_string)
        .unwrap_or_else(|| {
            lp.path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_else(|| "playbook".into())
        });
    let settings: Settings = piece(
        obj.get("settings"),
        "/settings",
        &schema_errors,
        index,
        diags,
    )
    .unwrap_or_default();
    let vars: Vars =
        piece(obj.get("vars"), "/vars", &schema_errors, index, diags).unwrap_or_default();
    let _include: Vec<IncludePath> =
        piece(obj.get("include"), "/include", &schema_errors, index, diags).unwrap_or_default();

    // Rooms: includes first, then the playbook's own.
    let mut rooms = Vec::new();
    let mut rooms_broken = false;
    let mut raw = RawRooms::default();
    for inc in lp.includes {
        match inc.file {
            Some(f) => rooms_broken |= !collect_inventory(f, sources, &mut rooms, &mut raw, diags),
            None => {
                rooms_broken = true;
                raw.unknown = true;
            }
        }
    }
    if let Some(Value::Array(list)) = own_rooms {
        rooms_broken |= !collect_rooms(
            list,
            own_taken,
            index,
            &schema_errors,
            &mut rooms,
            &mut raw,
            diags,
        );
    } else if own_rooms.is_some() {
        rooms_broken = true;
        raw.unknown = true;
    }
    check_rooms(&rooms, diags);

    if rooms.is_empty() && !rooms_broken {
        let at = if index.contains("/rooms") {
            index.value("/rooms")
        } else {
            index.value("")
        };
        diags.push(
            Diagnostic::error("playbook::no-rooms", "the playbook has no rooms")
                .at(Some(at))
                .hint("list room ARNs under `rooms`, or include a room inventory with `include`"),
        );
    }

    // Events.
    let catalog = CatalogUse {
        catalog: lp.catalog.as_deref(),
        declared: obj.contains_key("catalog"),
        strict: (obj.get("strict_catalog") == Some(&Value::Bool(true)))
            .then(|| index.value("/strict_catalog")),
    };
    let ctx = EventCtx {
        index,
        schema_errors: &schema_errors,
        rooms: &rooms,
        raw: &raw,
        catalog: &catalog,
    };
    let mut events = Vec::new();
    if let Some(list) = obj.get("events").and_then(Value::as_array) {
        for (i, ev) in list.iter().enumerate() {
            let pointer = format!("/events/{i}");
            if let Some(spec) = ctx.check_event(i, ev, &pointer, diags) {
                events.push(spec);
            }
        }
    }
    let _ = sources;
    Some(CheckedPlaybook {
        path: lp.path,
        file,
        name,
        settings,
        vars,
        rooms,
        events,
    })
}
