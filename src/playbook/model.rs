//! The playbook format, version 1, as serde + schemars types.
//!
//! These types are the single source of truth for the format: the JSON Schema
//! under `schema/` is generated from them (doc comments become
//! `description`s), and validation checks a document against that schema
//! before it is deserialized into them. Every struct denies unknown fields so
//! a misspelt key is an error, never silently ignored.

use indexmap::IndexMap;
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Serialize};

use crate::service::ATTRIBUTES_MAX_BYTES;
use crate::service::EVENT_NAME_MAX_LEN;
pub use crate::service::EventName;
use crate::service::arn::{ROOM_ARN_MAX_LEN, ROOM_ARN_PATTERN};

/// A playbook: chat rooms and the events to send to them.
///
/// Start the file with `# yaml-language-server: $schema=<path>/playbook.schema.json`
/// so editors complete and check it.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "ivschat-playbook playbook")]
pub struct Playbook {
    /// Format version of this file. Only `1` exists.
    pub version: Version,
    /// Short name of the playbook, shown in plans and reports. Defaults to the
    /// file name without extension.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// What this playbook is for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Defaults for sending; command-line flags override them.
    #[serde(default)]
    pub settings: Settings,
    /// Template variables available to every event. Command-line `--var`,
    /// event `vars` and room `vars` take precedence, in that order.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    #[schemars(extend("propertyNames" = {"pattern": "^[A-Za-z_][A-Za-z0-9_]*$", "not": {"enum": ["room", "event", "playbook", "step"]}}))]
    pub vars: Vars,
    /// Room inventory files whose rooms are added to `rooms`, as paths
    /// relative to this playbook.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub include: Vec<IncludePath>,
    /// Event definition files whose contracts events can `use:`: a file, a
    /// folder or a glob such as `events/*.yaml`, or a list of them, relative
    /// to this playbook.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "CatalogPaths")]
    pub catalog: Option<CatalogPaths>,
    /// Whether every event must `use:` an event definition. Default false:
    /// events without `use:` are sent as written, with no contract.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub strict_catalog: bool,
    /// Chat rooms this playbook can send to: room ARNs, objects with an
    /// ARN and a name, tags and variables, or `discover:` selectors that
    /// find rooms in the service by tag and name (pinned by the lock file
    /// that `ivschat-playbook lock` writes).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rooms: Vec<RoomEntry>,
    /// Credentials per account: each key is a 12-digit account id (quoted),
    /// each value says which credentials sign the requests for that
    /// account's rooms. A room of an account not listed here uses the
    /// default credentials (`--profile`, the environment, SSO, an instance
    /// role). `--account-profile ACCOUNT=PROFILE` overrides an entry.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    #[schemars(extend("propertyNames" = {"pattern": "^[0-9]{12}$"}))]
    pub accounts: IndexMap<String, AccountCredentials>,
    /// The events to send, in order. Events to the same room are sent in this
    /// order, one after another.
    #[schemars(length(min = 1))]
    pub events: Vec<Event>,
}

/// A room inventory: a list of rooms shared by several playbooks through
/// their `include`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "ivschat-playbook room inventory")]
pub struct Inventory {
    /// What these rooms are.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The rooms, in the same forms as a playbook's `rooms`.
    pub rooms: Vec<RoomEntry>,
}

/// The format version; only `1` is accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "u64", into = "u64")]
pub struct Version;

impl TryFrom<u64> for Version {
    type Error = String;
    fn try_from(v: u64) -> Result<Self, String> {
        if v == 1 {
            Ok(Version)
        } else {
            Err(format!(
                "unsupported playbook version {v}; this tool reads version 1"
            ))
        }
    }
}

impl From<Version> for u64 {
    fn from(_: Version) -> u64 {
        1
    }
}

impl JsonSchema for Version {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Version".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "Format version of this file. Only `1` exists.",
            "type": "integer",
            "const": 1
        })
    }
}

/// Sending settings. Each has a command-line flag that overrides it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Sends per second per account and region. At most 100, the SendEvent
    /// quota, which is shared with anything else sending in that account and
    /// region. Default 50.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0.01, max = 100.0))]
    pub rate: Option<f64>,
    /// How many sends may go at once after an idle moment, per account and
    /// region, on top of the rate. Rate plus burst is kept within the quota
    /// of 100 per second: the burst is cut to fit. Default 5.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 100))]
    pub burst: Option<u32>,
    /// Most sends in flight at once across all rooms. Default 32.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 1024))]
    pub concurrency: Option<u32>,
    /// Attempts per send, the first included, for errors that are safe to
    /// retry (throttling, 5xx, connection errors). Default 5.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 20))]
    pub max_attempts: Option<u32>,
    /// Time allowed for one attempt, such as `10s` or `1500ms`. Default `10s`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<DurationText>,
    /// The anchor of the timeline: the time events' `at:` offsets count
    /// from, such as `2026-12-01T20:00:00Z`, or a local wall-clock time
    /// today such as `20:00`. `--at` overrides it. Without either, the
    /// anchor is chosen so that the earliest step starts when the run does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<AnchorText>,
    /// How late a step of the timeline may start, such as `60s`: a step
    /// that cannot start within it is not sent late but reported as
    /// skipped (unless `run --late send`). An event's `grace` overrides it.
    /// Default `60s`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grace: Option<DurationText>,
}

/// An offset from the timeline's anchor: a duration with a sign, such as
/// `-15m`, `+30s` or `0s`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct OffsetText(pub String);

/// Pattern of [`OffsetText`].
pub const OFFSET_PATTERN: &str = r"^[+-]?[0-9]{1,7}(ms|s|m)$";

impl OffsetText {
    /// The offset in milliseconds, or `None` when the text does not follow
    /// the pattern.
    pub fn millis(&self) -> Option<i64> {
        parse_offset(&self.0)
    }
}

/// Parses `-15m`, `+30s`, `0s`, `1500ms` into signed milliseconds.
pub fn parse_offset(s: &str) -> Option<i64> {
    let (sign, rest) = match s.as_bytes().first() {
        Some(b'-') => (-1, &s[1..]),
        Some(b'+') => (1, &s[1..]),
        _ => (1, s),
    };
    parse_duration_ms(rest).map(|ms| sign * ms as i64)
}

/// Parses a duration in whole `ms`, `s` or `m`, zero included.
fn parse_duration_ms(s: &str) -> Option<u64> {
    let (num, unit) = if let Some(n) = s.strip_suffix("ms") {
        (n, 1u64)
    } else if let Some(n) = s.strip_suffix('s') {
        (n, 1000)
    } else if let Some(n) = s.strip_suffix('m') {
        (n, 60_000)
    } else {
        return None;
    };
    if num.is_empty() || num.len() > 7 || !num.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    num.parse::<u64>().ok()?.checked_mul(unit)
}

impl JsonSchema for OffsetText {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Offset".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "An offset from the timeline's anchor: a whole number of `ms`, `s` or `m` with a sign, such as `-15m`, `+30s` or `0s`.",
            "type": "string",
            "pattern": OFFSET_PATTERN
        })
    }
}

/// A point in time as written: RFC 3339, or a local wall-clock time today.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AnchorText(pub String);

/// Pattern of [`AnchorText`]: the shape only; the values are checked when
/// the time is read.
pub const ANCHOR_PATTERN: &str = r"^([0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])[Tt ]([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{1,9})?([Zz]|[+-]([01][0-9]|2[0-3]):[0-5][0-9])|([01]?[0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?)$";

impl AnchorText {
    /// The time this names, with `now` (local) giving the date and offset
    /// of a wall-clock time: `20:00` is today at 20:00, even when that has
    /// passed. `Err` says what is wrong with the text.
    pub fn resolve(
        &self,
        now: chrono::DateTime<chrono::FixedOffset>,
    ) -> Result<chrono::DateTime<chrono::FixedOffset>, String> {
        let s = self.0.trim();
        if s.contains('-') && s.len() > 10 {
            return chrono::DateTime::parse_from_rfc3339(s)
                .map_err(|e| format!("`{s}` is not an RFC 3339 time ({e})"));
        }
        let time = chrono::NaiveTime::parse_from_str(s, "%H:%M:%S")
            .or_else(|_| chrono::NaiveTime::parse_from_str(s, "%H:%M"))
            .map_err(|_| {
                format!(
                    "`{s}` is not a time: write RFC 3339 (`2026-12-01T20:00:00Z`) or a wall-clock time today (`20:00`)"
                )
            })?;
        now.date_naive()
            .and_time(time)
            .and_local_timezone(*now.offset())
            .single()
            .ok_or_else(|| format!("`{s}` does not exist today"))
    }
}

impl JsonSchema for AnchorText {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Anchor".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A time: RFC 3339 such as `2026-12-01T20:00:00Z`, or a local wall-clock time today such as `20:00` or `20:00:30`.",
            "type": "string",
            "pattern": ANCHOR_PATTERN
        })
    }
}

/// A duration written as a whole number followed by `ms`, `s` or `m`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct DurationText(pub String);

/// Pattern of [`DurationText`].
pub const DURATION_PATTERN: &str = r"^[0-9]{1,7}(ms|s|m)$";

impl DurationText {
    /// The duration, or `None` when the text does not follow the pattern.
    pub fn parse(&self) -> Option<std::time::Duration> {
        parse_duration(&self.0)
    }
}

/// Parses `250ms`, `10s`, `2m`: a duration above zero.
pub fn parse_duration(s: &str) -> Option<std::time::Duration> {
    parse_duration_ms(s)
        .filter(|&ms| ms > 0)
        .map(std::time::Duration::from_millis)
}

impl JsonSchema for DurationText {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Duration".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A duration: a whole number followed by `ms`, `s` or `m`, such as `10s`.",
            "type": "string",
            "pattern": DURATION_PATTERN
        })
    }
}

/// Template variables: names to scalar values (strings, numbers, booleans).
pub type Vars = IndexMap<VarName, VarValue>;

/// A variable name usable in templates.
pub type VarName = String;

/// A variable's value. Numbers and booleans are kept as written so templates
/// can compare them; they render as written. Read by
/// `playbook::var_value`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum VarValue {
    /// A boolean.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A floating point number.
    Float(f64),
    /// A string.
    String(String),
}

impl JsonSchema for VarValue {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "VarValue".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A variable value: a string, number or boolean.",
            "type": ["string", "number", "boolean"]
        })
    }
}

/// A path to a room inventory file, relative to the file that includes it.
pub type IncludePath = String;

/// A room: its ARN alone, an object with a name, tags and variables, or a
/// selector that discovers rooms in the service.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum RoomEntry {
    /// Just the room ARN.
    Arn(RoomArnText),
    /// A room with a name, tags and variables.
    Room(RoomSpec),
    /// Rooms found in the service by tags and name.
    Discover(DiscoverEntry),
}

impl RoomEntry {
    /// The ARN as written; `None` for a selector.
    pub fn arn(&self) -> Option<&str> {
        match self {
            RoomEntry::Arn(a) => Some(&a.0),
            RoomEntry::Room(r) => Some(&r.arn.0),
            RoomEntry::Discover(_) => None,
        }
    }
}

/// A room entry that selects rooms from the service instead of naming one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DiscoverEntry {
    /// What to look for. `ivschat-playbook lock` resolves it and pins the
    /// rooms it found in the playbook's lock file; `validate` and `plan`
    /// read the lock, `run` checks it against the service before sending.
    pub discover: Selector,
}

/// Which rooms of the service a `discover:` entry selects. Rooms come with
/// their service name and their tags as `KEY=VALUE` tags.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Selector {
    /// Regions to look in. Default: every region IVS Chat is offered in.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(min = 1))]
    pub regions: Vec<RegionName>,
    /// Tags every selected room has, with these values (all must match).
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    #[schemars(extend("propertyNames" = {"minLength": 1, "maxLength": 128}))]
    pub tags: IndexMap<String, String>,
    /// A glob the room name matches in full (`lobby-*`); a name without
    /// `*`, `?` or `[` is exact.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 128))]
    pub name: Option<String>,
    /// Accounts to look in, as 12-digit ids. Default: the account of the
    /// credentials.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(min = 1))]
    pub accounts: Vec<AccountId>,
}

/// The credentials of one account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AccountCredentials {
    /// A profile of the shared AWS config and credentials files, resolved
    /// as the AWS CLI does (static keys, SSO, `role_arn` to assume a role).
    #[schemars(length(min = 1))]
    pub profile: String,
}

/// An AWS region name, such as `us-west-2`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RegionName(pub String);

impl JsonSchema for RegionName {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "RegionName".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A region IVS Chat is offered in, such as `us-west-2`.",
            "type": "string",
            "pattern": "^[a-z]{2}(-[a-z]+)+-[0-9]$"
        })
    }
}

/// A 12-digit AWS account id.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AccountId(pub String);

impl JsonSchema for AccountId {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "AccountId".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "An AWS account id: 12 digits, quoted.",
            "type": "string",
            "pattern": "^[0-9]{12}$"
        })
    }
}

/// A room ARN, `arn:aws:ivschat:REGION:ACCOUNT:room/ID`, at most 128
/// characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RoomArnText(pub String);

impl JsonSchema for RoomArnText {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "RoomArn".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A chat room ARN: arn:aws:ivschat:REGION:ACCOUNT:room/ID (at most 128 characters). The region in it decides which regional endpoint the event is sent through.",
            "type": "string",
            "minLength": 1,
            "maxLength": ROOM_ARN_MAX_LEN,
            "pattern": ROOM_ARN_PATTERN
        })
    }
}

/// A room with a name, tags and variables.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RoomSpec {
    /// The room ARN.
    pub arn: RoomArnText,
    /// A name to refer to the room in `to:` lists and templates
    /// (`{{ room.name }}`). Unique within a playbook and its includes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 128))]
    pub name: Option<String>,
    /// Tags that `to: {tags: [...]}` selects rooms by.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<Tag>,
    /// Template variables for events sent to this room.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    #[schemars(extend("propertyNames" = {"pattern": "^[A-Za-z_][A-Za-z0-9_]*$", "not": {"enum": ["room", "event", "playbook", "step"]}}))]
    pub vars: Vars,
}

/// A room tag.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Tag(pub String);

impl JsonSchema for Tag {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Tag".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A room tag.",
            "type": "string",
            "minLength": 1,
            "maxLength": 128
        })
    }
}

/// Where a playbook's event definitions are: one path or glob, or several.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum CatalogPaths {
    /// One file, folder or glob.
    One(String),
    /// Several.
    Many(Vec<String>),
}

impl JsonSchema for CatalogPaths {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "CatalogPaths".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "Event definition files: a file, a folder (its .yaml/.yml files) or a glob such as `events/*.yaml`, or a list of them, relative to the playbook.",
            "anyOf": [
                { "type": "string", "minLength": 1 },
                {
                    "type": "array",
                    "items": { "type": "string", "minLength": 1 },
                    "minItems": 1
                }
            ]
        })
    }
}

/// One event to send to a set of rooms. It needs a `name`, or `use:` naming
/// an event definition (which supplies the name).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(extend("anyOf" = [{"required": ["name"]}, {"required": ["use"]}]))]
pub struct Event {
    /// The event name (`eventName`), 1 to 100 characters. Chat clients
    /// receive it as `EventName`. With `use:` the name comes from the
    /// definition; written as well, it must be the same.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "EventName")]
    pub name: Option<EventName>,
    /// The event definition whose contract this event follows: `NAME` (its
    /// highest version) or `NAME@VERSION`, from the playbook's `catalog`.
    /// Its defaults fill in attributes not given here, and every attribute,
    /// rendered for each room, must meet it.
    #[serde(default, rename = "use", skip_serializing_if = "Option::is_none")]
    #[schemars(with = "UseRef")]
    pub use_definition: Option<UseRef>,
    /// Which rooms get the event: `all` (the default), a list of room names
    /// or ARNs, or a tag selector.
    #[serde(default, skip_serializing_if = "Target::is_all")]
    pub to: Target,
    /// The event's attributes: string keys to string values, rendered as
    /// templates for each room. Keys plus values may total at most 1 KB
    /// (1024 bytes of UTF-8) after rendering.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    #[schemars(extend("propertyNames" = {"minLength": 1}))]
    pub attributes: Attributes,
    /// Template variables for this event; they take precedence over room and
    /// playbook variables.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    #[schemars(extend("propertyNames" = {"pattern": "^[A-Za-z_][A-Za-z0-9_]*$", "not": {"enum": ["room", "event", "playbook", "step"]}}))]
    pub vars: Vars,
    /// When the event goes, as an offset from the timeline's anchor
    /// (`settings.at` or `--at`): `-15m`, `+30s`, `0s`. Events with the
    /// same offset form one step. Events without `at` go at the start of
    /// the run. Templates of a timed event can read `step.at` (the step's
    /// time, RFC 3339), `step.offset`, and `step.remaining` and
    /// `step.remaining_seconds` (minutes and seconds from the step to the
    /// anchor).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<OffsetText>,
    /// How late this event's step may start, overriding `settings.grace`.
    /// Past it, the event is not sent late but reported as skipped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grace: Option<DurationText>,
}

/// A reference to an event definition: `NAME` or `NAME@VERSION`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct UseRef(pub String);

impl JsonSchema for UseRef {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "UseRef".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "An event definition from the playbook's `catalog`: `NAME` (its highest version) or `NAME@VERSION`.",
            "type": "string",
            "minLength": 1,
            "maxLength": EVENT_NAME_MAX_LEN + 11
        })
    }
}

/// Attribute templates of an event, in the order written.
pub type Attributes = IndexMap<AttributeKey, AttributeValue>;

/// An attribute key (not templated).
pub type AttributeKey = String;

/// An attribute value: a string, rendered as a template for each room.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AttributeValue(pub String);

impl JsonSchema for AttributeValue {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "AttributeValue".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "An attribute value. Must be a string: quote numbers and booleans. Rendered as a template (`{{ room.name }}`) for each room.",
            "type": "string",
            "maxLength": ATTRIBUTES_MAX_BYTES
        })
    }
}

/// Which rooms an event goes to.
///
/// Tag selectors: `tags` selects rooms with at least one of the listed tags
/// (OR); `all_tags` selects rooms with every listed tag (AND); given
/// together, a room must satisfy both.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(try_from = "TargetRepr")]
pub enum Target {
    /// Every room of the playbook, written `all`.
    #[default]
    All,
    /// The rooms with these names (or ARNs).
    Rooms(Vec<String>),
    /// Rooms chosen by tags.
    Tags(TagSelector),
}

/// How a [`Target`] is written; `all` is a plain string, which serde's
/// untagged unit variants cannot express.
#[derive(Deserialize)]
#[serde(untagged)]
enum TargetRepr {
    Word(String),
    Rooms(Vec<String>),
    Tags(TagSelector),
}

impl TryFrom<TargetRepr> for Target {
    type Error = String;
    fn try_from(r: TargetRepr) -> Result<Self, String> {
        match r {
            TargetRepr::Word(w) if w == "all" => Ok(Target::All),
            TargetRepr::Word(w) => Err(format!(
                "`to` must be `all`, a list of room names, or a tag selector, not `{w}`"
            )),
            TargetRepr::Rooms(r) => Ok(Target::Rooms(r)),
            TargetRepr::Tags(t) => Ok(Target::Tags(t)),
        }
    }
}

impl Serialize for Target {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Target::All => s.serialize_str("all"),
            Target::Rooms(r) => r.serialize(s),
            Target::Tags(t) => t.serialize(s),
        }
    }
}

impl Target {
    /// Whether this is the default, every room.
    pub fn is_all(&self) -> bool {
        matches!(self, Target::All)
    }
}

impl JsonSchema for Target {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Target".into()
    }
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let selector = generator.subschema_for::<TagSelector>();
        json_schema!({
            "description": "Which rooms get the event: `all` (the default), a list of room names or ARNs, or `{tags: [...]}` (rooms with any of the tags) and/or `{all_tags: [...]}` (rooms with every tag).",
            "anyOf": [
                { "type": "string", "const": "all", "description": "Every room of the playbook." },
                {
                    "type": "array",
                    "description": "Room names (or ARNs).",
                    "items": { "type": "string", "minLength": 1 },
                    "minItems": 1
                },
                selector
            ]
        })
    }
}

/// Selects rooms by tags.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(extend("minProperties" = 1))]
pub struct TagSelector {
    /// Rooms with at least one of these tags (OR).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(min = 1))]
    pub tags: Vec<Tag>,
    /// Rooms with every one of these tags (AND).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(min = 1))]
    pub all_tags: Vec<Tag>,
}
