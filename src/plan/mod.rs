//! The plan: every send a run would make, in order, with rendered
//! attributes, stable ids and a hash of the whole.
//!
//! Planning is a pure function of validated playbooks and `--var` values: no
//! I/O, no clock, no credentials. The same playbook always gives the same
//! send ids and plan hash, which is what lets a later run resume ("is this
//! the plan I was running?") and what makes `plan` safe to run in CI.
//!
//! Rendering problems (undefined variables, template errors, attributes
//! over 1 KB for some room) are found here, since they depend on each room.
//!
//! - [`settings`]: defaults, flag overrides, the settings a run uses.
//! - [`ids`]: send ids and the plan hash.
//! - [`planner`]: templates compiled once, rooms in plan order.
//! - [`render`]: one room's sends, and rendering problems.
//! - [`scan`]: every send once; [`ScannedPlan`], what a run sends.
//! - [`output`]: the plan as a table or JSON; [`markdown`], as Markdown.
//! - [`vars`]: `--var` values no template reads.
//! - [`limit`]: `--limit`, a subset of the rooms.
//! - [`timeline`]: events with `at:` as steps on a schedule.

mod cache;
pub mod ids;
pub mod limit;
pub mod markdown;
pub mod output;
mod parallel;
pub mod planner;
pub mod render;
pub mod rendered;
pub mod scan;
mod scope;
pub mod settings;
pub mod timeline;
pub mod vars;

pub use limit::Limit;
pub use markdown::render_markdown;
pub use output::{render_table, write_json, write_json_scanned};
pub use planner::{PlanRoom, Planner};
pub use scan::ScannedPlan;
pub use settings::{
    DEFAULT_BURST, DEFAULT_CONCURRENCY, DEFAULT_MAX_ATTEMPTS, DEFAULT_RATE, DEFAULT_TIMEOUT_MS,
    EffectiveSettings, SettingsOverrides,
};
pub use timeline::{AnchorSource, Step, Timeline};

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Everything a run would send.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "ivschat-playbook plan")]
pub struct Plan {
    /// Format version of this document.
    pub format_version: u32,
    /// Everything but the sends.
    #[serde(flatten)]
    pub overview: PlanOverview,
    /// Every send, in order. Sends to one room keep this order.
    pub sends: Vec<PlannedSend>,
}

/// A playbook in a plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanPlaybook {
    /// Its name.
    pub name: String,
    /// The file.
    pub path: String,
    /// Rooms, includes counted.
    pub rooms: usize,
    /// Events.
    pub events: usize,
    /// Sends it contributes.
    pub sends: usize,
}

/// Totals of a plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanSummary {
    /// Number of sends.
    pub sends: usize,
    /// Distinct rooms that get at least one event.
    pub rooms: usize,
    /// Per account and region (the unit of the quota), sorted.
    pub regions: Vec<RegionSummary>,
    /// Lower bound of the run's duration: regions send in parallel, each at
    /// the configured rate.
    pub estimated_seconds: f64,
    /// The largest rendered payload.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub largest_payload: Option<Payload>,
    /// Sum of attribute bytes over all sends.
    pub total_bytes: u64,
}

/// Sends in one account and region.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RegionSummary {
    /// AWS account id.
    pub account: String,
    /// Region.
    pub region: String,
    /// Rooms in it that get events.
    pub rooms: usize,
    /// Sends.
    pub sends: usize,
    /// Seconds these sends take at the configured rate and burst.
    pub estimated_seconds: f64,
}

/// A payload size and where it goes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Payload {
    /// The send.
    pub send_id: String,
    /// Its room.
    pub room_arn: String,
    /// Its room's name.
    pub room_name: String,
    /// Its event.
    pub event_name: String,
    /// UTF-8 bytes of keys plus values.
    pub bytes: usize,
}

/// One SendEvent call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PlannedSend {
    /// Stable id derived from the content: room, event name, rendered
    /// attributes, and how many identical sends to that room come before.
    pub id: String,
    /// Position in the plan, from 0.
    pub seq: usize,
    /// Name of the playbook it comes from.
    pub playbook: String,
    /// Position of the event in its playbook's `events`.
    pub event_index: usize,
    /// `eventName`.
    pub event_name: String,
    /// `roomIdentifier`.
    pub room_arn: String,
    /// The room's name, or its id when it has none.
    pub room_name: String,
    /// Region from the ARN; the send goes through this region's endpoint.
    pub region: String,
    /// Account from the ARN.
    pub account: String,
    /// Rendered `attributes`.
    pub attributes: IndexMap<String, String>,
    /// UTF-8 bytes of keys plus values.
    pub bytes: usize,
    /// The step of the timeline it goes in ([`Timeline::steps`]); absent
    /// when the plan has no timeline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<usize>,
}

/// A plan without its sends: what a run needs up front.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PlanOverview {
    /// `sha256:` of the ordered send ids. A run resumed from a report or
    /// journal checks it to make sure it continues the same plan.
    pub plan_hash: String,
    /// The playbooks in the plan, in the order given.
    pub playbooks: Vec<PlanPlaybook>,
    /// Settings in effect: playbook settings, overridden by flags.
    pub settings: EffectiveSettings,
    /// Totals.
    pub summary: PlanSummary,
    /// The schedule, when events have `at:` offsets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeline: Option<Timeline>,
}

/// The plan document's [`Plan::format_version`].
pub const FORMAT_VERSION: u32 = 1;

impl Plan {
    /// Joins an overview and its sends.
    pub fn from_parts(o: PlanOverview, sends: Vec<PlannedSend>) -> Plan {
        Plan {
            format_version: FORMAT_VERSION,
            overview: o,
            sends,
        }
    }
}
