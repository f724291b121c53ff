//! Validation: the generated JSON Schema first, then the checks a schema
//! cannot express.
//!
//! Every problem in every file is collected in one pass and reported with
//! its place, so a user fixes a playbook in one round trip. Parts of a
//! playbook that pass the schema are checked further even when other parts
//! fail it (a bad room does not hide a bad event). The output,
//! [`ValidPlaybook`], holds resolved rooms (includes merged, ARNs parsed) and
//! events with their target rooms already selected; [`crate::plan`] renders
//! them.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::{Arc, LazyLock};

use jsonschema::error::{TypeKind, ValidationErrorKind};
use jsonschema::{ValidationError, Validator};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::arn::{ArnError, RoomArn};
use crate::catalog::contract::{Contract, check_value, violation_diagnostic};
use crate::catalog::{Catalog, Definition, Resolved, parse_use};
use crate::diag::{Diagnostic, FileId, Location, Sources};
use crate::playbook::load::{LoadedFile, LoadedPlaybook};
use crate::playbook::model::{
    Attributes, EventName, IncludePath, RoomEntry, Settings, Target, Vars,
};
use crate::playbook::source::{ItemSink, ItemSpans, SpanIndex, escape_pointer};
use crate::schema::SchemaKind;

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
    /// Indices into [`ValidPlaybook::rooms`], in sending order.
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
pub struct ValidPlaybook {
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
}

static PLAYBOOK_VALIDATOR: LazyLock<Validator> = LazyLock::new(|| compile(SchemaKind::Playbook));
/// The playbook schema's `RoomEntry`, alone: what a room entry must be in a
/// playbook and in an inventory alike.
static ROOM_ENTRY_VALIDATOR: LazyLock<Validator> = LazyLock::new(|| {
    let mut schema = SchemaKind::Playbook.generate();
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
const TAKEN: &str = "arn:aws:ivschat:us-east-1:000000000000:room/taken";

/// Turns room entries into [`Room`]s while their file is read, for entries
/// that are certainly valid (the room-entry schema, the typed model and
/// the ARN grammar all accept them); the rest stay in the document and are
/// checked with it. An inventory of 100,000 rooms is then never held as
/// JSON and as rooms at once. Nothing about the result differs: a taken
/// entry becomes the same room the document's own pass would make.
#[derive(Debug, Default)]
pub struct RoomSink {
    /// Taken entries, in order.
    rooms: Vec<Room>,
    /// Their positions in `rooms`.
    positions: Vec<usize>,
}

impl ItemSink for RoomSink {
    fn key(&self) -> &str {
        "rooms"
    }

    fn item(&mut self, index: usize, value: Value, spans: &ItemSpans<'_>) -> Option<Value> {
        if !ROOM_ENTRY_VALIDATOR.is_valid(&value) {
            return Some(value);
        }
        let Ok(entry) = RoomEntry::deserialize(&value) else {
            return Some(value);
        };
        let Ok(arn) = RoomArn::parse(entry.arn()) else {
            return Some(value);
        };
        let pointer = match entry {
            RoomEntry::Arn(_) => format!("/rooms/{index}"),
            RoomEntry::Room(_) => format!("/rooms/{index}/arn"),
        };
        let Some(at) = spans.value(&pointer) else {
            return Some(value);
        };
        self.rooms.push(room(entry, arn, at));
        self.positions.push(index);
        None
    }

    fn stand_in(&self) -> Value {
        Value::String(TAKEN.to_string())
    }

    fn reset(&mut self) {
        self.rooms.clear();
        self.positions.clear();
    }
}

/// The room a valid entry describes.
fn room(entry: RoomEntry, arn: RoomArn, at: Location) -> Room {
    let (name, tags, vars) = match entry {
        RoomEntry::Arn(_) => (None, Vec::new(), Vars::default()),
        RoomEntry::Room(r) => (r.name, r.tags.into_iter().map(|t| t.0).collect(), r.vars),
    };
    Room {
        arn,
        name,
        tags,
        vars,
        at,
    }
}
static INVENTORY_VALIDATOR: LazyLock<Validator> = LazyLock::new(|| compile(SchemaKind::Inventory));

fn compile(kind: SchemaKind) -> Validator {
    jsonschema::validator_for(&kind.generate()).expect("generated schema compiles")
}

/// Which kind of document a schema error is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Doc {
    Playbook,
    Inventory,
}

/// Checks loaded playbooks. Every problem goes to `diags`; the returned
/// playbooks hold every part that could be checked.
/// Takes the loaded files by value: room entries are moved out of the
/// parsed documents into [`Room`]s one at a time, so a 100,000-room
/// inventory is never held twice.
pub fn check(
    loaded: Vec<LoadedPlaybook>,
    sources: &Sources,
    diags: &mut Vec<Diagnostic>,
) -> Vec<ValidPlaybook> {
    let mut out = Vec::new();
    for lp in loaded {
        if let Some(vp) = check_playbook(lp, sources, diags) {
            out.push(vp);
        }
    }
    out
}

fn check_playbook(
    lp: LoadedPlaybook,
    sources: &Sources,
    diags: &mut Vec<Diagnostic>,
) -> Option<ValidPlaybook> {
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
    let mut events = Vec::new();
    if let Some(list) = obj.get("events").and_then(Value::as_array) {
        for (i, ev) in list.iter().enumerate() {
            let pointer = format!("/events/{i}");
            if let Some(spec) = check_event(
                i,
                ev,
                &pointer,
                index,
                &schema_errors,
                &rooms,
                &raw,
                &catalog,
                diags,
            ) {
                events.push(spec);
            }
        }
    }
    let _ = sources;
    Some(ValidPlaybook {
        path: lp.path,
        file,
        name,
        settings,
        vars,
        rooms,
        events,
    })
}

/// Deserializes one part of a document that passed the schema. Parts under
/// a schema error are skipped (already reported).
fn piece<T: DeserializeOwned>(
    v: Option<&Value>,
    pointer: &str,
    schema_errors: &[String],
    index: &SpanIndex,
    diags: &mut Vec<Diagnostic>,
) -> Option<T> {
    let v = v?;
    if has_error_under(schema_errors, pointer) {
        return None;
    }
    match T::deserialize(v) {
        Ok(t) => Some(t),
        Err(e) => {
            diags.push(
                Diagnostic::error("playbook::invalid", e.to_string())
                    .at(Some(index.value(pointer))),
            );
            None
        }
    }
}

fn has_error_under(schema_errors: &[String], pointer: &str) -> bool {
    // Errors on the node itself or inside it; an error on an ancestor is
    // about the ancestor's keys (unknown, missing), not about this node.
    schema_errors.iter().any(|e| {
        e == pointer || e.starts_with(pointer) && e.as_bytes().get(pointer.len()) == Some(&b'/')
    })
}

/// Reads an included inventory's rooms. Returns false when it had problems.
fn collect_inventory(
    f: LoadedFile,
    sources: &Sources,
    rooms: &mut Vec<Room>,
    raw: &mut RawRooms,
    diags: &mut Vec<Diagnostic>,
) -> bool {
    let Some(mut parsed) = f.parsed else {
        raw.unknown = true;
        return false;
    };
    let _ = sources;
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
        &parsed.index,
        Doc::Inventory,
        diags,
    );
    let Some(Value::Array(list)) = parsed.value.get_mut("rooms").map(Value::take) else {
        raw.unknown = true;
        return false;
    };
    collect_rooms(list, f.rooms, &parsed.index, &errors, rooms, raw, diags) && errors.is_empty()
}

/// Names, ARNs and tags written on room entries that failed validation, so
/// a `to:` naming a broken room is not reported twice.
#[derive(Debug, Default)]
struct RawRooms {
    names: HashSet<String>,
    tags: HashSet<String>,
    /// An include could not be read at all: its rooms are unknown.
    unknown: bool,
}

impl RawRooms {
    fn add(&mut self, v: &Value) {
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
fn collect_rooms(
    list: Vec<Value>,
    taken: RoomSink,
    index: &SpanIndex,
    schema_errors: &[String],
    rooms: &mut Vec<Room>,
    raw: &mut RawRooms,
    diags: &mut Vec<Diagnostic>,
) -> bool {
    if list.is_empty() {
        // Every entry was taken (the usual case for a large inventory), or
        // there were none: the rooms as they are, not copied.
        if rooms.is_empty() {
            *rooms = taken.rooms;
        } else {
            rooms.extend(taken.rooms);
        }
        return true;
    }
    let mut all = true;
    rooms.reserve_exact(list.len());
    let mut taken = taken.positions.into_iter().zip(taken.rooms).peekable();
    for (i, v) in list.into_iter().enumerate() {
        if let Some((_, r)) = taken.next_if(|(j, _)| *j == i) {
            rooms.push(r);
            continue;
        }
        let pointer = format!("/rooms/{i}");
        let Some(entry) = piece::<RoomEntry>(Some(&v), &pointer, schema_errors, index, diags)
        else {
            raw.add(&v);
            all = false;
            continue;
        };
        let arn_pointer = match entry {
            RoomEntry::Arn(_) => pointer.clone(),
            RoomEntry::Room(_) => format!("{pointer}/arn"),
        };
        let at = index.value(&arn_pointer);
        let arn = match RoomArn::parse(entry.arn()) {
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

fn invalid_arn(err: &ArnError, at: Location) -> Diagnostic {
    crate::request::invalid_arn(err).at(Some(at))
}

/// Region, duplicate ARN and duplicate name checks across all rooms.
fn check_rooms(rooms: &[Room], diags: &mut Vec<Diagnostic>) {
    let mut by_arn: HashMap<&str, &Room> = HashMap::new();
    let mut by_name: HashMap<&str, &Room> = HashMap::new();
    for r in rooms {
        if !r.arn.is_known_region() {
            diags.push(crate::request::unknown_region(&r.arn.region).at(Some(r.at)));
        }
        if let Some(first) = by_arn.get(r.arn.arn.as_str()) {
            diags.push(
                Diagnostic::error(
                    "playbook::duplicate-room",
                    format!("room `{}` is listed twice", r.arn.arn),
                )
                .at(Some(r.at))
                .related(Some(first.at), "first listed here")
                .hint("each room may be listed once per playbook, its includes counted; it would get every event twice"),
            );
        } else {
            by_arn.insert(&r.arn.arn, r);
        }
        if let Some(name) = &r.name {
            if let Some(first) = by_name.get(name.as_str()) {
                diags.push(
                    Diagnostic::error(
                        "playbook::duplicate-room-name",
                        format!("two rooms are named `{name}`"),
                    )
                    .at(Some(r.at))
                    .related(Some(first.at), "first room with this name")
                    .hint("room names must be unique so `to:` lists are unambiguous"),
                );
            } else {
                by_name.insert(name, r);
            }
        }
    }
}

/// What a playbook's events may `use:`.
struct CatalogUse<'a> {
    /// The definitions its `catalog` names, as far as they could be read.
    catalog: Option<&'a Catalog>,
    /// Whether the playbook has a `catalog` key at all (a broken one is
    /// reported by the schema, and must not make every `use:` unknown).
    declared: bool,
    /// Where `strict_catalog: true` is written, when it is.
    strict: Option<Location>,
}

#[allow(clippy::too_many_arguments)]
fn check_event(
    i: usize,
    ev: &Value,
    pointer: &str,
    index: &SpanIndex,
    schema_errors: &[String],
    rooms: &[Room],
    raw: &RawRooms,
    catalog: &CatalogUse<'_>,
    diags: &mut Vec<Diagnostic>,
) -> Option<EventSpec> {
    let obj = ev.as_object()?;
    let name_pointer = format!("{pointer}/name");
    let written_name: Option<EventName> = match obj.get("name") {
        None => None,
        Some(v) => Some(piece(Some(v), &name_pointer, schema_errors, index, diags)?),
    };
    let use_pointer = format!("{pointer}/use");
    let use_ref = obj
        .get("use")
        .filter(|_| !has_error_under(schema_errors, &use_pointer))
        .and_then(Value::as_str);
    let definition = match use_ref {
        Some(u) => resolve_use(u, &use_pointer, index, catalog, diags),
        // Written, but not a string: the schema reported it.
        None if obj.contains_key("use") => None,
        None => {
            if let Some(strict) = catalog.strict {
                diags.push(no_definition(
                    written_name.as_ref(),
                    &name_pointer,
                    pointer,
                    index,
                    catalog.catalog,
                    strict,
                ));
            }
            None
        }
    };
    let name = match (&definition, written_name, use_ref) {
        (Some(def), Some(n), _) => {
            if n.0 != def.name {
                diags.push(
                    Diagnostic::error(
                        "catalog::name-mismatch",
                        format!(
                            "the event is named `{}` but uses `{}`",
                            n.0,
                            def.label()
                        ),
                    )
                    .at(Some(index.value(&name_pointer)))
                    .related(Some(def.at), "defined here")
                    .hint(format!(
                        "with `use:`, the event name comes from the definition; remove `name`, or write `name: {}`",
                        def.name
                    )),
                );
            }
            EventName(def.name.clone())
        }
        (Some(def), None, _) => EventName(def.name.clone()),
        (None, Some(n), _) => n,
        // An unknown definition: keep checking the rest under its name.
        (None, None, Some(u)) => EventName(parse_use(u).0.to_string()),
        // Neither: the schema reported it.
        (None, None, None) => return None,
    };
    let to_pointer = format!("{pointer}/to");
    let target: Target = match obj.get("to") {
        None => Target::All,
        Some(v) => piece(Some(v), &to_pointer, schema_errors, index, diags)?,
    };
    let attrs_pointer = format!("{pointer}/attributes");
    let attributes: Attributes = match obj.get("attributes") {
        None => Attributes::default(),
        Some(v) => piece(Some(v), &attrs_pointer, schema_errors, index, diags)?,
    };
    let vars: Vars = match obj.get("vars") {
        None => Vars::default(),
        Some(v) => piece(
            Some(v),
            &format!("{pointer}/vars"),
            schema_errors,
            index,
            diags,
        )?,
    };

    let mut attribute_templates = Vec::with_capacity(attributes.len());
    for (key, value) in attributes {
        let at = index.value(&format!("{attrs_pointer}/{}", escape_pointer(&key)));
        let key_at = index.key(&format!("{attrs_pointer}/{}", escape_pointer(&key)));
        if value.0.is_empty() {
            diags.push(
                Diagnostic::warning(
                    "playbook::empty-attribute-value",
                    format!("attribute `{key}` is empty"),
                )
                .at(Some(at))
                .hint("chat clients receive an empty string; remove the attribute if it is not needed"),
            );
        }
        if let Some(def) = &definition {
            check_static_attribute(def, &key, &value.0, at, key_at, diags);
        }
        attribute_templates.push(AttributeTemplate {
            key,
            template: value.0,
            at,
            literal: false,
        });
    }
    let contract = definition.map(|def| {
        apply_contract(
            def,
            &mut attribute_templates,
            index.value(&use_pointer),
            diags,
        )
    });

    let selected = select_rooms(&target, &to_pointer, index, rooms, raw, diags);
    Some(EventSpec {
        index: i,
        name: name.0,
        rooms: selected,
        attributes: attribute_templates,
        vars,
        at: index.value(pointer),
        contract,
    })
}

/// Finds the definition a `use:` names, reporting names and versions the
/// catalog does not have.
fn resolve_use(
    u: &str,
    use_pointer: &str,
    index: &SpanIndex,
    catalog: &CatalogUse<'_>,
    diags: &mut Vec<Diagnostic>,
) -> Option<Arc<Definition>> {
    let at = Some(index.value(use_pointer));
    let (name, version) = parse_use(u);
    let Some(c) = catalog.catalog else {
        if !catalog.declared {
            diags.push(
                Diagnostic::error(
                    "catalog::unknown-event-definition",
                    format!("no event definition is named `{name}`: the playbook has no `catalog`"),
                )
                .at(at)
                .hint(
                    "point the playbook at its event definitions, such as `catalog: events/*.yaml`",
                ),
            );
        }
        return None;
    };
    match c.resolve(name, version) {
        Resolved::Found(d) => Some(d.clone()),
        // The definition exists but has its own errors, or some file could
        // not be read: nothing useful to add.
        _ if c.broken_names.contains(name) => None,
        Resolved::UnknownName if c.incomplete => None,
        Resolved::UnknownName => {
            let names = c.names();
            let hint = match did_you_mean(name, &names) {
                Some(s) => format!("did you mean `{s}`?"),
                None if names.is_empty() => "the catalog defines no events".to_string(),
                None => format!("the catalog defines {}", preview(&names)),
            };
            diags.push(
                Diagnostic::error(
                    "catalog::unknown-event-definition",
                    format!("no event definition is named `{name}`"),
                )
                .at(at)
                .hint(hint),
            );
            None
        }
        Resolved::UnknownVersion { versions, latest } => {
            let list: Vec<String> = versions.iter().map(u32::to_string).collect();
            diags.push(
                Diagnostic::error(
                    "catalog::unknown-version",
                    format!(
                        "`{name}` has no version {}; its versions are {}",
                        version.unwrap_or_default(),
                        list.join(", ")
                    ),
                )
                .at(at)
                .related(Some(latest.at), "highest version defined here")
                .hint(format!(
                    "pin a version that exists, or write `use: {name}` for the highest"
                )),
            );
            None
        }
    }
}

fn no_definition(
    name: Option<&EventName>,
    name_pointer: &str,
    pointer: &str,
    index: &SpanIndex,
    catalog: Option<&Catalog>,
    strict: Location,
) -> Diagnostic {
    let at = if name.is_some() {
        index.value(name_pointer)
    } else {
        index.value(pointer)
    };
    let hint = match (name, catalog) {
        (Some(n), Some(c)) if c.latest(&n.0).is_some() => {
            format!("write `use: {}` to follow its definition", n.0)
        }
        _ => "add a definition for this event to the catalog and `use:` it, or turn `strict_catalog` off".to_string(),
    };
    Diagnostic::error(
        "catalog::no-definition",
        format!(
            "event `{}` does not `use:` an event definition, and `strict_catalog` requires one",
            name.map_or("", |n| n.0.as_str())
        ),
    )
    .at(Some(at))
    .related(Some(strict), "required here")
    .hint(hint)
}

/// Checks what is known about an attribute before rendering: that the
/// definition has the key, and, for a value without template syntax, its
/// constraints (templated values are checked for each room by the plan).
fn check_static_attribute(
    def: &Definition,
    key: &str,
    value: &str,
    at: Location,
    key_at: Location,
    diags: &mut Vec<Diagnostic>,
) {
    let Some(attr) = def.attributes.get(key) else {
        if !def.allow_unknown {
            let keys = def.keys();
            let hint = match did_you_mean(key, &keys) {
                Some(s) => format!("did you mean `{s}`?"),
                None if keys.is_empty() => format!("`{}` defines no attributes", def.label()),
                None => format!("`{}` defines {}", def.label(), preview(&keys)),
            };
            diags.push(
                Diagnostic::error(
                    "catalog::unknown-attribute",
                    format!("attribute `{key}` is not defined by `{}`", def.label()),
                )
                .at(Some(key_at))
                .related(Some(def.at), "defined here")
                .hint(hint),
            );
        }
        return;
    };
    if crate::playbook::template::is_template(value) || !attr.constrains_values() {
        return;
    }
    let mut found = Vec::new();
    check_value(attr, value, &mut found);
    for v in &found {
        diags.push(violation_diagnostic(def, attr, v, None, at));
    }
}

/// Adds the definition's defaults for attributes the event does not give,
/// reports required attributes it lacks, and notes which templated values
/// the plan must check for every room.
fn apply_contract(
    def: Arc<Definition>,
    attributes: &mut Vec<AttributeTemplate>,
    use_at: Location,
    diags: &mut Vec<Diagnostic>,
) -> Arc<Contract> {
    for attr in def.attributes.values() {
        if attributes.iter().any(|a| a.key == attr.key) {
            continue;
        }
        match &attr.default {
            Some(d) => attributes.push(AttributeTemplate {
                key: attr.key.clone(),
                template: d.value.clone(),
                at: use_at,
                literal: true,
            }),
            None if attr.required => diags.push(
                Diagnostic::error(
                    "catalog::missing-required-attribute",
                    format!(
                        "`{}` requires attribute `{}`, which the event does not give",
                        def.label(),
                        attr.key
                    ),
                )
                .at(Some(use_at))
                .related(Some(attr.at), "required here")
                .hint(format!(
                    "add `{}: ...` under the event's `attributes`",
                    attr.key
                )),
            ),
            None => {}
        }
    }
    let room_checks = attributes
        .iter()
        .enumerate()
        .filter(|(_, a)| !a.literal && crate::playbook::template::is_template(&a.template))
        .filter_map(|(ai, a)| {
            let (di, _, attr) = def.attributes.get_full(&a.key)?;
            attr.constrains_values().then_some((ai, di))
        })
        .collect();
    Arc::new(Contract {
        definition: def,
        room_checks,
    })
}

fn select_rooms(
    target: &Target,
    to_pointer: &str,
    index: &SpanIndex,
    rooms: &[Room],
    raw: &RawRooms,
    diags: &mut Vec<Diagnostic>,
) -> Vec<usize> {
    match target {
        Target::All => (0..rooms.len()).collect(),
        Target::Rooms(names) => {
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
                    None => {
                        let names: Vec<&str> =
                            rooms.iter().filter_map(|r| r.name.as_deref()).collect();
                        let hint = match did_you_mean(wanted, &names) {
                            Some(s) => format!("did you mean `{s}`?"),
                            None if names.is_empty() => {
                                "no room has a name; give rooms a `name`, or list ARNs".to_string()
                            }
                            None => format!("room names are: {}", preview(&names)),
                        };
                        diags.push(
                            Diagnostic::error(
                                "playbook::unknown-room",
                                format!("no room is named `{wanted}`"),
                            )
                            .at(Some(at))
                            .hint(hint),
                        );
                    }
                }
            }
            selected
        }
        Target::Tags(sel) => {
            let all_tags: HashSet<&str> = rooms
                .iter()
                .flat_map(|r| r.tags.iter().map(String::as_str))
                .collect();
            let mut unknown = false;
            for (field, list) in [("tags", &sel.tags), ("all_tags", &sel.all_tags)] {
                for (k, tag) in list.iter().enumerate() {
                    if !all_tags.contains(tag.0.as_str())
                        && !raw.unknown
                        && !raw.tags.contains(&tag.0)
                    {
                        unknown = true;
                        let mut known: Vec<&str> = all_tags.iter().copied().collect();
                        known.sort_unstable();
                        let hint = match did_you_mean(&tag.0, &known) {
                            Some(s) => format!("did you mean `{s}`?"),
                            None if known.is_empty() => {
                                "no room has tags; add `tags` to rooms".to_string()
                            }
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
            }
            let selected: Vec<usize> = rooms
                .iter()
                .enumerate()
                .filter(|(_, r)| {
                    let any_ok =
                        sel.tags.is_empty() || sel.tags.iter().any(|t| r.tags.contains(&t.0));
                    let all_ok = sel.all_tags.iter().all(|t| r.tags.contains(&t.0));
                    any_ok && all_ok
                })
                .map(|(i, _)| i)
                .collect();
            if selected.is_empty()
                && !unknown
                && !raw.unknown
                && rooms.len() == raw_count(raw, rooms)
            {
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
    }
}

/// Rooms are all valid when every raw entry became a room; used to avoid
/// claiming a selector matches nothing when broken rooms might match.
fn raw_count(raw: &RawRooms, rooms: &[Room]) -> usize {
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

fn preview(names: &[&str]) -> String {
    let mut s: Vec<String> = names.iter().take(8).map(|n| format!("`{n}`")).collect();
    if names.len() > 8 {
        s.push(format!("and {} more", names.len() - 8));
    }
    s.join(", ")
}

/// The closest candidate, if one is close enough to be a typo.
pub fn did_you_mean<'a>(wanted: &str, candidates: &[&'a str]) -> Option<&'a str> {
    candidates
        .iter()
        .map(|c| (strsim::jaro_winkler(wanted, c), *c))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

// ---------------------------------------------------------------------------
// Schema errors to diagnostics.

/// Runs the schema and turns each error into a diagnostic. Returns the
/// instance paths that had errors.
fn schema_check(
    validator: &Validator,
    value: &Value,
    index: &SpanIndex,
    doc: Doc,
    diags: &mut Vec<Diagnostic>,
) -> Vec<String> {
    let mut paths = Vec::new();
    let mut found = Vec::new();
    for err in validator.iter_errors(value) {
        paths.push(err.instance_path().as_str().to_string());
        schema_diagnostic(&err, index, doc, &mut found);
    }
    let mut dedup = crate::diag::Dedup::default();
    for d in found {
        dedup.push(diags, d);
    }
    paths
}

pub(crate) fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "nothing (null)",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

pub(crate) fn expected_type(kind: &TypeKind) -> String {
    let name = |t: &str| match t {
        "object" => "a mapping".to_string(),
        "array" => "a list".to_string(),
        "string" => "a string".to_string(),
        "integer" => "a whole number".to_string(),
        "number" => "a number".to_string(),
        "boolean" => "a boolean".to_string(),
        "null" => "null".to_string(),
        other => other.to_string(),
    };
    match kind {
        TypeKind::Single(t) => name(&t.to_string()),
        TypeKind::Multiple(set) => {
            let v: Vec<String> = set.iter().map(|t| name(&t.to_string())).collect();
            v.join(" or ")
        }
    }
}

fn known_keys(segs: &[&str], doc: Doc) -> &'static [&'static str] {
    match (doc, segs) {
        (Doc::Playbook, []) => &[
            "version",
            "name",
            "description",
            "settings",
            "vars",
            "include",
            "catalog",
            "strict_catalog",
            "rooms",
            "events",
        ],
        (Doc::Inventory, []) => &["description", "rooms"],
        (_, ["settings"]) => &["rate", "burst", "concurrency", "max_attempts", "timeout"],
        (_, ["rooms", _]) => &["arn", "name", "tags", "vars"],
        (_, ["events", _]) => &["name", "use", "to", "attributes", "vars"],
        (_, ["events", _, "to"]) => &["tags", "all_tags"],
        _ => &[],
    }
}

fn schema_diagnostic(
    err: &ValidationError<'_>,
    index: &SpanIndex,
    doc: Doc,
    out: &mut Vec<Diagnostic>,
) {
    let ptr = err.instance_path().as_str();
    let segs: Vec<&str> = ptr.split('/').skip(1).collect();
    let instance: &Value = err.instance();
    let at = Some(index.value(ptr));
    let d = match err.kind() {
        ValidationErrorKind::AnyOf { context } => {
            // Report the branch meant for this kind of value: the one whose
            // errors are not "wrong type" at this very place.
            let branch = context.iter().find(|errs| {
                !errs.iter().any(|e| {
                    e.instance_path().as_str() == ptr && matches!(e.kind(), ValidationErrorKind::Type { .. })
                })
            });
            match (branch, segs.as_slice()) {
                (_, ["events", _])
                    if instance.is_object()
                        && instance.get("name").is_none()
                        && instance.get("use").is_none() =>
                {
                    Diagnostic::error("playbook::missing-key", "the event has no `name`")
                        .at(at)
                        .hint("give the event a `name`, or `use:` an event definition from the playbook's `catalog`")
                }
                (None, ["catalog"]) => Diagnostic::error(
                    "playbook::wrong-type",
                    format!(
                        "`catalog` is a path or glob, or a list of them, not {}",
                        json_type(instance)
                    ),
                )
                .at(at)
                .hint("for example `catalog: events/*.yaml`"),
                (Some(errs), _) if !errs.is_empty() => {
                    for e in errs {
                        schema_diagnostic(e, index, doc, out);
                    }
                    return;
                }
                (_, ["events", _, "to"]) => invalid_target(instance, at),
                (_, ["rooms", _]) => Diagnostic::error(
                    "playbook::wrong-type",
                    format!("a room is a room ARN or a mapping with `arn`, not {}", json_type(instance)),
                )
                .at(at),
                _ => Diagnostic::error("playbook::wrong-type", format!("unexpected {}", json_type(instance))).at(at),
            }
        }
        ValidationErrorKind::AdditionalProperties { unexpected } => {
            for key in unexpected {
                let kp = format!("{ptr}/{}", escape_pointer(key));
                let known = known_keys(&segs, doc);
                let hint = match (did_you_mean(key, known), doc) {
                    (Some(s), _) => format!("did you mean `{s}`?"),
                    (None, Doc::Inventory) if segs.is_empty() => {
                        "a room inventory holds only `rooms` (and `description`); is a playbook listed under `include`?".to_string()
                    }
                    (None, _) if !known.is_empty() => format!("allowed keys here: {}", known.join(", ")),
                    (None, _) => "remove it".to_string(),
                };
                out.push(
                    Diagnostic::error("playbook::unknown-key", format!("unknown key `{key}`"))
                        .at(Some(index.key(&kp)))
                        .hint(hint),
                );
            }
            return;
        }
        ValidationErrorKind::Required { property } => {
            let prop = property.as_str().unwrap_or_default();
            if prop == "version" && segs.is_empty() {
                Diagnostic::error("playbook::missing-version", "the playbook has no `version`")
                    .at(Some(index.value("")))
                    .hint("add `version: 1` at the top")
            } else if prop == "events" && segs.is_empty() {
                Diagnostic::error("playbook::no-events", "the playbook has no `events`")
                    .at(Some(index.value("")))
                    .hint("add an `events` list with at least one event")
            } else {
                Diagnostic::error("playbook::missing-key", format!("missing required key `{prop}`")).at(at)
            }
        }
        ValidationErrorKind::Type { kind } => match segs.as_slice() {
            [] => Diagnostic::error(
                "playbook::wrong-type",
                format!(
                    "a {} is a mapping with keys such as {}, not {}",
                    if doc == Doc::Playbook { "playbook" } else { "room inventory" },
                    if doc == Doc::Playbook { "`version`, `rooms` and `events`" } else { "`rooms`" },
                    json_type(instance)
                ),
            )
            .at(at),
            ["events", _, "attributes", key] => Diagnostic::error(
                "playbook::attribute-not-string",
                format!("attribute `{}` must be a string, not {}", crate::playbook::source::unescape_pointer(key), json_type(instance)),
            )
            .at(at)
            .hint(match instance {
                Value::Null => "write a value, or `\"\"` for an empty string".to_string(),
                Value::Array(_) | Value::Object(_) => {
                    "attributes are flat strings; encode structured data as a JSON string".to_string()
                }
                other => format!("quote it: \"{}\"", other.to_string().trim_matches('"')),
            }),
            ["version"] => unsupported_version(instance, at),
            _ => Diagnostic::error(
                "playbook::wrong-type",
                format!("`{}` must be {}, not {}", place_name(&segs), expected_type(kind), json_type(instance)),
            )
            .at(at)
            .hint(if instance.is_null() {
                "the value is empty; write one after the colon, or remove the key"
            } else {
                "change the value's type"
            }),
        },
        ValidationErrorKind::Constant { .. } | ValidationErrorKind::Enum { .. } => match segs.as_slice() {
            ["version"] => unsupported_version(instance, at),
            ["events", _, "to"] => invalid_target(instance, at),
            _ => generic(err, at),
        },
        ValidationErrorKind::Pattern { .. }
        | ValidationErrorKind::MaxLength { .. }
        | ValidationErrorKind::MinLength { .. } => match segs.as_slice() {
            ["rooms", _] | ["rooms", _, "arn"] => {
                let s = instance.as_str().unwrap_or_default();
                let e = RoomArn::parse(s).err().unwrap_or_else(|| ArnError::Pattern(s.to_string()));
                invalid_arn(&e, index.value(ptr))
            }
            ["events", _, "name"] => {
                let n = instance.as_str().map_or(0, |s| s.chars().count());
                crate::request::event_name_length(n).at(at)
            }
            ["events", _, "attributes", key] => Diagnostic::error(
                "playbook::attributes-too-large",
                format!(
                    "attribute `{}` alone is over the 1 KB limit for all attributes of an event",
                    crate::playbook::source::unescape_pointer(key)
                ),
            )
            .at(at)
            .hint("keys plus values may total 1024 bytes of UTF-8"),
            ["settings", "timeout"] => Diagnostic::error(
                "playbook::invalid-setting",
                format!("`timeout` must be a duration such as `10s` or `1500ms`, not `{}`", instance.as_str().unwrap_or_default()),
            )
            .at(at),
            [.., "tags", _] | [.., "all_tags", _] => {
                Diagnostic::error("playbook::invalid-tag", "a tag is 1 to 128 characters").at(at)
            }
            _ => generic(err, at),
        },
        ValidationErrorKind::Minimum { .. }
        | ValidationErrorKind::Maximum { .. }
        | ValidationErrorKind::ExclusiveMinimum { .. }
        | ValidationErrorKind::ExclusiveMaximum { .. } => match segs.as_slice() {
            ["settings", "rate"] if matches!(err.kind(), ValidationErrorKind::Maximum { .. }) => Diagnostic::error(
                "playbook::rate-over-quota",
                format!("rate {instance} is over the SendEvent quota of 100 per second per account and region"),
            )
            .at(at)
            .hint("the quota cannot be raised and is shared with other senders; the default, 50, leaves room for them"),
            ["settings", name] => Diagnostic::error("playbook::invalid-setting", format!("`{name}`: {err}")).at(at),
            _ => generic(err, at),
        },
        ValidationErrorKind::MinItems { .. } => match segs.as_slice() {
            ["events"] => Diagnostic::error("playbook::no-events", "the playbook has no events")
                .at(at)
                .hint("add at least one event"),
            ["events", _, "to"] => Diagnostic::error("playbook::selects-no-rooms", "`to` is an empty list")
                .at(at)
                .hint("name at least one room, or write `to: all`"),
            _ => generic(err, at),
        },
        ValidationErrorKind::MinProperties { .. } => match segs.as_slice() {
            ["events", _, "to"] => invalid_target(instance, at),
            _ => generic(err, at),
        },
        ValidationErrorKind::PropertyNames { error } => {
            let key = error.instance().as_str().unwrap_or_default().to_string();
            let kp = format!("{ptr}/{}", escape_pointer(&key));
            let key_at = Some(index.key(&kp));
            match segs.as_slice() {
                ["events", _, "attributes"] => {
                    Diagnostic::error("playbook::empty-attribute-key", "an attribute key is empty")
                        .at(key_at)
                        .hint("give the attribute a name")
                }
                [.., "vars"] => Diagnostic::error(
                    "playbook::invalid-variable-name",
                    if crate::playbook::template::BUILTIN_NAMES.contains(&key.as_str()) {
                        format!("`{key}` is a built-in object and cannot be a variable name")
                    } else {
                        format!("`{key}` is not a variable name")
                    },
                )
                .at(key_at)
                .hint("variable names are letters, digits and `_`, not starting with a digit; `room`, `event` and `playbook` are reserved"),
                _ => generic(err, key_at),
            }
        }
        _ => generic(err, at),
    };
    out.push(d);
}

fn place_name(segs: &[&str]) -> String {
    segs.last().map_or_else(
        || "the document".to_string(),
        |s| crate::playbook::source::unescape_pointer(s),
    )
}

fn unsupported_version(instance: &Value, at: Option<Location>) -> Diagnostic {
    Diagnostic::error(
        "playbook::unsupported-version",
        format!("version {instance} is not supported; this tool reads version 1"),
    )
    .at(at)
    .hint("write `version: 1`")
}

fn invalid_target(instance: &Value, at: Option<Location>) -> Diagnostic {
    Diagnostic::error(
        "playbook::invalid-target",
        format!("`to` must be `all`, a list of room names, or `{{tags: [...]}}`, not {instance}"),
    )
    .at(at)
    .hint("examples: `to: all`, `to: [eu-lobby, us-lobby]`, `to: {tags: [eu]}`, `to: {all_tags: [eu, beta]}`")
}

fn generic(err: &ValidationError<'_>, at: Option<Location>) -> Diagnostic {
    Diagnostic::error("playbook::schema-violation", err.to_string()).at(at)
}
