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
use rooms::{Gathered, RawRooms, check_rooms, collect_inventory, collect_rooms};
use schema_rules::schema_check;
use typed::{Doc, PLAYBOOK_VALIDATOR, piece};

use crate::catalog::Catalog;
use crate::diag::{Diagnostic, Sources};
use crate::playbook::load::{LoadedInclude, LoadedPlaybook};
use crate::playbook::model::{AccountCredentials, IncludePath, Settings, Vars};
use crate::playbook::rooms::{Room, RoomSink};
use crate::yaml::SpanIndex;
use events::CatalogUse;
use indexmap::IndexMap;
use serde_json::{Map, Value};
use std::path::Path;

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
    let schema_errors = schema_check(
        &PLAYBOOK_VALIDATOR,
        value,
        (index, sources),
        Doc::Playbook,
        diags,
    );
    tracing::debug!(elapsed = ?t.elapsed(), errors = schema_errors.len(), "schema checked");
    let obj = value.as_object_mut()?;
    let own_rooms = obj.get_mut("rooms").map(Value::take);
    let own_taken = lp.main.rooms;

    let name = playbook_name(obj, &lp.path);
    let settings: Settings = piece(
        obj.get("settings"),
        "/settings",
        &schema_errors,
        index,
        diags,
    )
    .unwrap_or_default();
    let anchor_at = check_anchor(&settings, index, diags);
    let vars: Vars =
        piece(obj.get("vars"), "/vars", &schema_errors, index, diags).unwrap_or_default();
    let accounts: IndexMap<String, AccountCredentials> = piece(
        obj.get("accounts"),
        "/accounts",
        &schema_errors,
        index,
        diags,
    )
    .unwrap_or_default();
    let _include: Vec<IncludePath> =
        piece(obj.get("include"), "/include", &schema_errors, index, diags).unwrap_or_default();

    // Rooms: includes first, then the playbook's own.
    let gathered = Gathered::new(&lp.path, lp.lock);
    let (gathered, rooms_broken) = gather_rooms(
        lp.includes,
        (own_rooms, own_taken),
        gathered,
        index,
        &schema_errors,
        sources,
        diags,
    );
    let lock_digest = gathered.lock_digest();
    let (rooms, raw) = (gathered.rooms, gathered.raw);
    check_rooms(&rooms, diags);
    if rooms.is_empty() && !rooms_broken {
        no_rooms(index, diags);
    }

    let events = check_events(
        obj,
        lp.catalog.as_deref(),
        index,
        &schema_errors,
        &rooms,
        &raw,
        diags,
    );
    let _ = sources;
    Some(CheckedPlaybook {
        path: lp.path,
        file,
        name,
        settings,
        vars,
        rooms,
        events,
        accounts: accounts.into_iter().map(|(k, v)| (k, v.profile)).collect(),
        lock_digest,
        anchor_at,
    })
}

/// Where `settings.at` is written, when it names a time that exists;
/// reports one that does not (`25:00`, `2026-02-30T…`), whose shape the
/// schema let through.
fn check_anchor(
    settings: &Settings,
    index: &SpanIndex,
    diags: &mut Vec<Diagnostic>,
) -> Option<crate::diag::Location> {
    let anchor = settings.at.as_ref()?;
    let at = index.value("/settings/at");
    // Any date will do: whether a wall-clock time exists does not depend
    // on the day.
    match anchor.resolve(chrono::DateTime::UNIX_EPOCH.fixed_offset()) {
        Ok(_) => Some(at),
        Err(e) => {
            diags.push(
                Diagnostic::error("playbook::invalid-setting", format!("`at`: {e}")).at(Some(at)),
            );
            None
        }
    }
}

/// The playbook's `name`, or its file's stem.
fn playbook_name(obj: &Map<String, Value>, path: &Path) -> String {
    obj.get("name")
        .and_then(Value::as_str)
        .map(str::to_string)
        .unwrap_or_else(|| {
            path.file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_else(|| "playbook".into())
        })
}

/// Collects the rooms of the includes, then the playbook's own; also
/// says whether any of them could not be read.
fn gather_rooms(
    includes: Vec<LoadedInclude>,
    (own_rooms, own_taken): (Option<Value>, RoomSink),
    mut g: Gathered,
    index: &SpanIndex,
    schema_errors: &[String],
    sources: &Sources,
    diags: &mut Vec<Diagnostic>,
) -> (Gathered, bool) {
    let mut rooms_broken = false;
    for inc in includes {
        match inc.file {
            Some(f) => rooms_broken |= !collect_inventory(f, sources, &mut g, diags),
            None => {
                rooms_broken = true;
                g.raw.unknown = true;
            }
        }
    }
    if let Some(Value::Array(list)) = own_rooms {
        rooms_broken |= !collect_rooms(list, own_taken, index, schema_errors, &mut g, diags);
    } else if own_rooms.is_some() {
        rooms_broken = true;
        g.raw.unknown = true;
    }
    (g, rooms_broken)
}

/// Reports a playbook that has no rooms at all.
fn no_rooms(index: &SpanIndex, diags: &mut Vec<Diagnostic>) {
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

/// Checks every event against the rooms and the catalog.
fn check_events(
    obj: &Map<String, Value>,
    catalog: Option<&Catalog>,
    index: &SpanIndex,
    schema_errors: &[String],
    rooms: &[Room],
    raw: &RawRooms,
    diags: &mut Vec<Diagnostic>,
) -> Vec<EventSpec> {
    let catalog = CatalogUse {
        catalog,
        declared: obj.contains_key("catalog"),
        strict: (obj.get("strict_catalog") == Some(&Value::Bool(true)))
            .then(|| index.value("/strict_catalog")),
    };
    let ctx = EventCtx {
        index,
        schema_errors,
        rooms,
        raw,
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
    events
}
