//! Rooms: inventories, entries the sink did not take, duplicate rooms and
//! names, and the rooms an event's `to:` selects.

use super::schema_rules::schema_check;
use super::typed::*;
use crate::diag::suggest::{did_you_mean, preview};
use crate::diag::{Diagnostic, Location, Sources};
use crate::playbook::load::LoadedFile;
use crate::playbook::lock::LoadedLock;
use crate::playbook::model::{RoomEntry, Selector, TagSelector, Target};
use crate::playbook::rooms::{Room, RoomSink, room};
use crate::service::arn::RoomArn;
use crate::yaml::SpanIndex;
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

/// The rooms gathered so far for one playbook, what is known of entries
/// that failed, and the lock its selectors are read from.
#[derive(Debug, Default)]
pub(super) struct Gathered {
    pub(super) rooms: Vec<Room>,
    pub(super) raw: RawRooms,
    /// The playbook's lock file (path and content), if it has one.
    pub(super) lock: Option<LoadedLock>,
    /// Where the lock is or would be.
    pub(super) lock_path: PathBuf,
    /// The playbook, for messages.
    pub(super) playbook_path: PathBuf,
    /// Whether a selector was read from the lock.
    pub(super) lock_used: bool,
}

impl Gathered {
    /// Nothing gathered yet for the playbook at `path`, whose lock is `lock`.
    pub(super) fn new(path: &std::path::Path, lock: Option<LoadedLock>) -> Self {
        Gathered {
            lock_path: crate::fs::lock_path(path),
            playbook_path: path.to_path_buf(),
            lock,
            ..Default::default()
        }
    }

    /// What the lock pins, when selectors were read from it (for the plan
    /// hash).
    pub(super) fn lock_digest(&self) -> Option<String> {
        self.lock
            .as_ref()
            .and_then(|l| l.lock.as_ref())
            .filter(|_| self.lock_used)
            .map(|l| l.digest())
    }
}

/// Reads an included inventory's rooms. Returns false when it had problems.
pub(super) fn collect_inventory(
    f: LoadedFile,
    sources: &Sources,
    g: &mut Gathered,
    diags: &mut Vec<Diagnostic>,
) -> bool {
    let Some(mut parsed) = f.parsed else {
        g.raw.unknown = true;
        return false;
    };
    if parsed.value.is_null() {
        diags.push(
            Diagnostic::error("playbook::empty", "the room inventory is empty")
                .at(Some(parsed.index.value("")))
                .hint("an inventory is a mapping with a `rooms` list"),
        );
        return false;
    }
    let errors = schema_check(
        &INVENTORY_VALIDATOR,
        &parsed.value,
        (&parsed.index, sources),
        Doc::Inventory,
        diags,
    );
    let Some(Value::Array(list)) = parsed.value.get_mut("rooms").map(Value::take) else {
        g.raw.unknown = true;
        return false;
    };
    collect_rooms(list, f.rooms, &parsed.index, &errors, g, diags) && errors.is_empty()
}

/// Names, ARNs and tags written on room entries that failed validation, so
/// a `to:` naming a broken room is not reported twice.
#[derive(Debug, Default)]
pub(super) struct RawRooms {
    pub(super) names: HashSet<String>,
    pub(super) tags: HashSet<String>,
    /// An include could not be read at all: its rooms are unknown.
    pub(super) unknown: bool,
}

impl RawRooms {
    pub(super) fn add(&mut self, v: &Value) {
        {
            match v {
                Value::String(s) => {
                    self.names.insert(s.clone());
                }
                Value::Object(o) => {
                    for k in ["name", "arn"] {
                        if let Some(n) = o.get(k).and_then(Value::as_str) {
                            self.names.insert(n.to_string());
                        }
                    }
                    if let Some(tags) = o.get("tags").and_then(Value::as_array) {
                        self.tags
                            .extend(tags.iter().filter_map(Value::as_str).map(str::to_string));
                    }
                }
                _ => {}
            }
        }
    }
}

/// Turns room entries into [`Room`]s, in order: those taken while the file
/// was read (see [`RoomSink`]) as they are, the others checked here.
/// Returns false when some were skipped.
pub(super) fn collect_rooms(
    list: Vec<Value>,
    taken: RoomSink,
    index: &SpanIndex,
    schema_errors: &[String],
    g: &mut Gathered,
    diags: &mut Vec<Diagnostic>,
) -> bool {
    if list.is_empty() {
        // Every entry was taken (the usual case for a large inventory), or
        // there were none: the rooms as they are, not copied.
        if g.rooms.is_empty() {
            g.rooms = taken.rooms;
        } else {
            g.rooms.extend(taken.rooms);
        }
        return true;
    }
    let mut all = true;
    g.rooms.reserve_exact(list.len());
    let mut taken = taken.positions.into_iter().zip(taken.rooms).peekable();
    for (i, v) in list.into_iter().enumerate() {
        if let Some((_, r)) = taken.next_if(|(j, _)| *j == i) {
            g.rooms.push(r);
            continue;
        }
        let pointer = format!("/rooms/{i}");
        let Some(entry) = piece::<RoomEntry>(Some(&v), &pointer, schema_errors, index, diags)
        else {
            g.raw.add(&v);
            all = false;
            continue;
        };
        let arn_pointer = match &entry {
            RoomEntry::Discover(d) => {
                let at = index.value(&format!("{pointer}/discover"));
                if !selector_regions(&d.discover, &pointer, index, diags) {
                    g.raw.unknown = true;
                    all = false;
                    continue;
                }
                all &= discovered(&d.discover, at, g, diags);
                continue;
            }
            RoomEntry::Arn(_) => pointer.clone(),
            RoomEntry::Room(_) => format!("{pointer}/arn"),
        };
        let (rooms, raw) = (&mut g.rooms, &mut g.raw);
        let at = index.value(&arn_pointer);
        let arn = match RoomArn::parse(entry.arn().unwrap_or_default()) {
            Ok(a) => a,
            Err(e) => {
                diags.push(invalid_arn(&e, at));
                raw.add(&v);
                all = false;
                continue;
            }
        };
        rooms.push(room(entry, arn, at));
    }
    all
}

/// Every region a selector lists must be one IVS Chat is offered in (it
/// would be listed), and its name a valid glob: false, with an error at
/// each problem, when not.
fn selector_regions(
    sel: &Selector,
    pointer: &str,
    index: &SpanIndex,
    diags: &mut Vec<Diagnostic>,
) -> bool {
    let mut ok = true;
    for (k, r) in sel.regions.iter().enumerate() {
        if crate::service::arn::is_ivs_chat_region(&r.0) {
            continue;
        }
        ok = false;
        diags.push(
            Diagnostic::error(
                "playbook::invalid-selector",
                format!("IVS Chat is not offered in `{}`", r.0),
            )
            .at(Some(
                index.value(&format!("{pointer}/discover/regions/{k}")),
            ))
            .hint(format!(
                "a selector lists regions IVS Chat is offered in: {}",
                crate::service::arn::IVS_CHAT_REGIONS.join(", ")
            )),
        );
    }
    if let Some(n) = &sel.name
        && let Err(e) = glob::Pattern::new(n)
    {
        ok = false;
        diags.push(
            Diagnostic::error(
                "playbook::invalid-selector",
                format!("`{n}` is not a valid name pattern: {e}"),
            )
            .at(Some(index.value(&format!("{pointer}/discover/name"))))
            .hint("`*` matches any characters, `?` one, `[abc]` one of a set"),
        );
    }
    ok
}

/// Adds the rooms the lock pins for a selector written at `at`; a selector
/// the lock does not have, or whose rooms it says are none, is an error.
/// A room already among the rooms (listed, or found by another selector)
/// is not added twice.
fn discovered(sel: &Selector, at: Location, g: &mut Gathered, diags: &mut Vec<Diagnostic>) -> bool {
    let lock_name = g.lock_path.display().to_string();
    let entry = match g.lock.as_ref().map(|l| l.lock.as_ref()) {
        // A lock that cannot be read has its own error.
        Some(None) => {
            g.raw.unknown = true;
            return false;
        }
        Some(Some(lock)) => lock.find(sel),
        None => None,
    };
    let Some(entry) = entry else {
        g.raw.unknown = true;
        let what = if g.lock.is_some() {
            format!("the lock file `{lock_name}` has no rooms for this selector")
        } else {
            format!("this selector is not locked: there is no lock file `{lock_name}`")
        };
        diags.push(
            Diagnostic::error("playbook::not-locked", what)
                .at(Some(at))
                .hint(format!("run `ivschat-playbook lock {}` to find its rooms and pin them; `validate` and `plan` read discovered rooms only from the lock", g.playbook_path.display())),
        );
        return false;
    };
    g.lock_used = true;
    if entry.rooms.is_empty() {
        diags.push(
            Diagnostic::error(
                "playbook::discovers-no-rooms",
                format!("this selector found no room (lock file `{lock_name}`)"),
            )
            .at(Some(at))
            .hint("check its regions, tags and name against `ivschat-playbook rooms`; a selector must find at least one room"),
        );
        return false;
    }
    let arns: HashSet<String> = g.rooms.iter().map(|r| r.arn.arn.clone()).collect();
    let names: HashSet<String> = g.rooms.iter().filter_map(|r| r.name.clone()).collect();
    let mut new = entry.rooms(at, &|n| names.contains(n));
    new.retain(|r| !arns.contains(&r.arn.arn));
    // Two rooms of the service may share a name; the second goes by its id.
    let mut seen = HashSet::new();
    for r in &mut new {
        if let Some(n) = &r.name
            && !seen.insert(n.clone())
        {
            r.name = None;
        }
    }
    g.rooms.extend(new);
    true
}

/// Region, duplicate ARN and duplicate name checks across all rooms.
pub(super) fn check_rooms(rooms: &[Room], diags: &mut Vec<Diagnostic>) {
    use std::collections::hash_map::Entry;
    let mut by_arn: HashMap<&str, &Room> = HashMap::with_capacity(rooms.len());
    let mut by_name: HashMap<&str, &Room> = HashMap::with_capacity(rooms.len());
    for r in rooms {
        if !r.arn.is_known_region() {
            diags.push(crate::service::request::unknown_region(&r.arn.region).at(Some(r.at)));
        }
        let arn = match by_arn.entry(r.arn.arn.as_str()) {
            Entry::Occupied(e) => Some(*e.get()),
            Entry::Vacant(e) => {
                e.insert(r);
                None
            }
        };
        if let Some(first) = arn {
            diags.push(
                Diagnostic::error(
                    "playbook::duplicate-room",
                    format!("room `{}` is listed twice", r.arn.arn),
                )
                .at(Some(r.at))
                .related(Some(first.at), "first listed here")
                .hint(if first.at.file == r.at.file {
                    "each room may be listed once per playbook; it would get every event twice"
                } else {
                    "each room may be listed once per playbook, its includes counted; it would get every event twice"
                }),
            );
        }
        if let Some(name) = &r.name {
            let named = match by_name.entry(name.as_str()) {
                Entry::Occupied(e) => Some(*e.get()),
                Entry::Vacant(e) => {
                    e.insert(r);
                    None
                }
            };
            if let Some(first) = named {
                diags.push(
                    Diagnostic::error(
                        "playbook::duplicate-room-name",
                        format!("two rooms are named `{name}`"),
                    )
                    .at(Some(r.at))
                    .related(Some(first.at), "first room with this name")
                    .hint("room names must be unique so `to:` lists are unambiguous"),
                );
            }
        }
    }
}

pub(super) fn select_rooms(
    target: &Target,
    to_pointer: &str,
    index: &SpanIndex,
    rooms: &[Room],
    raw: &RawRooms,
    diags: &mut Vec<Diagnostic>,
) -> Vec<usize> {
    match target {
        Target::All => (0..rooms.len()).collect(),
        Target::Rooms(names) => select_named(names, to_pointer, index, rooms, raw, diags),
        Target::Tags(sel) => select_tagged(sel, to_pointer, index, rooms, raw, diags),
    }
}

/// The rooms `to:` names (by name, else by ARN), in the order written,
/// each once; a repeated name is a warning, a name no room has an error.
fn select_named(
    names: &[String],
    to_pointer: &str,
    index: &SpanIndex,
    rooms: &[Room],
    raw: &RawRooms,
    diags: &mut Vec<Diagnostic>,
) -> Vec<usize> {
    let mut selected = Vec::new();
    let mut seen = HashSet::new();
    for (k, wanted) in names.iter().enumerate() {
        let at = index.value(&format!("{to_pointer}/{k}"));
        let found = rooms
            .iter()
            .position(|r| r.name.as_deref() == Some(wanted.as_str()))
            .or_else(|| rooms.iter().position(|r| r.arn.arn == *wanted));
        match found {
            Some(idx) => {
                if seen.insert(idx) {
                    selected.push(idx);
                } else {
                    diags.push(
                        Diagnostic::warning(
                            "playbook::duplicate-target",
                            format!("room `{wanted}` is named twice in `to`"),
                        )
                        .at(Some(at))
                        .hint("it gets the event once; remove the repeated name"),
                    );
                }
            }
            // The room exists but has its own error, or an include
            // could not be read: nothing useful to add.
            None if raw.unknown || raw.names.contains(wanted) => {}
            None => diags.push(unknown_room(wanted, rooms, at)),
        }
    }
    selected
}

/// A name in `to:` that no room has, with the closest name or the names.
fn unknown_room(wanted: &str, rooms: &[Room], at: Location) -> Diagnostic {
    let names: Vec<&str> = rooms.iter().filter_map(|r| r.name.as_deref()).collect();
    let hint = match did_you_mean(wanted, &names) {
        Some(s) => format!("did you mean `{s}`?"),
        None if names.is_empty() => {
            "no room has a name; give rooms a `name`, or list ARNs".to_string()
        }
        None => format!("room names are: {}", preview(&names)),
    };
    Diagnostic::error(
        "playbook::unknown-room",
        format!("no room is named `{wanted}`"),
    )
    .at(Some(at))
    .hint(hint)
}

/// The rooms with any of `tags` and all of `all_tags`, in room order; a
/// selector that matches nothing (and names no unknown tag) is an error.
fn select_tagged(
    sel: &TagSelector,
    to_pointer: &str,
    index: &SpanIndex,
    rooms: &[Room],
    raw: &RawRooms,
    diags: &mut Vec<Diagnostic>,
) -> Vec<usize> {
    let unknown = report_unknown_tags(sel, to_pointer, index, rooms, raw, diags);
    let selected: Vec<usize> = rooms
        .iter()
        .enumerate()
        .filter(|(_, r)| {
            let any_ok = sel.tags.is_empty() || sel.tags.iter().any(|t| r.tags.contains(&t.0));
            let all_ok = sel.all_tags.iter().all(|t| r.tags.contains(&t.0));
            any_ok && all_ok
        })
        .map(|(i, _)| i)
        .collect();
    if selected.is_empty() && !unknown && !raw.unknown && rooms.len() == raw_count(raw, rooms) {
        diags.push(
            Diagnostic::error(
                "playbook::selects-no-rooms",
                "this tag selector matches no room",
            )
            .at(Some(index.value(to_pointer)))
            .hint("`tags` selects rooms with any of the tags, `all_tags` rooms with every tag; no room satisfies both"),
        );
    }
    selected
}

/// Reports every tag of the selector that no room has (nor a room with
/// its own error, nor an unread include): true when there was one.
fn report_unknown_tags(
    sel: &TagSelector,
    to_pointer: &str,
    index: &SpanIndex,
    rooms: &[Room],
    raw: &RawRooms,
    diags: &mut Vec<Diagnostic>,
) -> bool {
    let all_tags: HashSet<&str> = rooms
        .iter()
        .flat_map(|r| r.tags.iter().map(String::as_str))
        .collect();
    let mut unknown = false;
    for (field, list) in [("tags", &sel.tags), ("all_tags", &sel.all_tags)] {
        for (k, tag) in list.iter().enumerate() {
            if all_tags.contains(tag.0.as_str()) || raw.unknown || raw.tags.contains(&tag.0) {
                continue;
            }
            unknown = true;
            let mut known: Vec<&str> = all_tags.iter().copied().collect();
            known.sort_unstable();
            let hint = match did_you_mean(&tag.0, &known) {
                Some(s) => format!("did you mean `{s}`?"),
                None if known.is_empty() => "no room has tags; add `tags` to rooms".to_string(),
                None => format!("tags in use: {}", preview(&known)),
            };
            diags.push(
                Diagnostic::error(
                    "playbook::unknown-tag",
                    format!("no room has the tag `{}`", tag.0),
                )
                .at(Some(index.value(&format!("{to_pointer}/{field}/{k}"))))
                .hint(hint),
            );
        }
    }
    unknown
}
/// Rooms are all valid when every raw entry became a room; used to avoid
/// claiming a selector matches nothing when broken rooms might match.
pub(super) fn raw_count(raw: &RawRooms, rooms: &[Room]) -> usize {
    let valid_tags: HashSet<&str> = rooms
        .iter()
        .flat_map(|r| r.tags.iter().map(String::as_str))
        .collect();
    if raw.tags.iter().all(|t| valid_tags.contains(t.as_str())) {
        rooms.len()
    } else {
        usize::MAX
    }
}
