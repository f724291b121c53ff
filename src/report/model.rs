//! What a run reports: per-send outcomes and a summary. The JSON shape is
//! generated as `schema/report.schema.json`.

use std::collections::BTreeMap;

use chrono::{DateTime, FixedOffset, Utc};
use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use crate::journal::{Outcome, Status};
use crate::plan::{EffectiveSettings, PlanPlaybook, PlannedSend};

/// The tool that wrote a report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ToolInfo {
    /// `ivschat-playbook`.
    pub name: String,
    /// Its version.
    pub version: String,
}

impl ToolInfo {
    /// This tool.
    pub fn current() -> Self {
        ToolInfo {
            name: env!("CARGO_PKG_NAME").to_string(),
            version: env!("CARGO_PKG_VERSION").to_string(),
        }
    }
}

/// The results of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "ivschat-playbook run report")]
pub struct Report {
    /// Everything but the sends.
    #[serde(flatten)]
    pub head: ReportHead,
    /// Every send of the plan, in the order they ended.
    pub sends: Vec<SendRecord>,
}

/// Everything in a report but the per-send records: what the report
/// writers stream before the sends, which they read from the journal one
/// at a time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ReportHead {
    /// Format version of this document.
    pub format_version: u32,
    /// The tool and version that ran.
    pub tool: ToolInfo,
    /// The plan's hash; `run --resume` with this report checks it.
    pub plan_hash: String,
    /// Playbooks run.
    pub playbooks: Vec<PlanPlaybook>,
    /// Settings in effect.
    pub settings: EffectiveSettings,
    /// When the run started.
    pub started_at: DateTime<Utc>,
    /// When it ended.
    pub ended_at: DateTime<Utc>,
    /// Whether it was interrupted (Ctrl-C, SIGTERM) before the end.
    pub interrupted: bool,
    /// The journal or report this run resumed from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resumed_from: Option<String>,
    /// Where the run sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<crate::journal::Target>,
    /// The `--var` values it was given.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub vars: IndexMap<String, String>,
    /// Totals.
    pub summary: RunSummary,
    /// The timeline, when the plan has one: per step, its planned time and
    /// what became of its sends.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeline: Option<TimelineRun>,
    /// How many planned sends the journal has no record of: the run was
    /// killed before it reached them (they count as not attempted).
    #[serde(skip)]
    pub unreached: usize,
    /// Those sends, when the plan could be made again to list them (see
    /// [`ReportHead::list_unreached`]); listed after the journal's own.
    #[serde(skip)]
    pub unreached_sends: Vec<PlannedSend>,
    /// `run --verify`: per send, by its position in the plan, 0 (not
    /// verified), [`crate::report::build::SEEN`] or
    /// [`crate::report::build::NOT_SEEN`]; one byte a send.
    #[serde(skip)]
    pub verdicts: Vec<u8>,
}

/// One send's outcome.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SendRecord {
    /// The plan's send id.
    pub id: String,
    /// Position in the plan.
    pub seq: usize,
    /// Playbook name.
    pub playbook: String,
    /// Room ARN.
    pub room_arn: String,
    /// Room name.
    pub room_name: String,
    /// Region the send went through.
    pub region: String,
    /// Account of the room.
    pub account: String,
    /// Event name.
    pub event_name: String,
    /// Rendered attributes.
    pub attributes: IndexMap<String, String>,
    /// UTF-8 bytes of keys plus values.
    pub bytes: usize,
    /// What became of it.
    #[serde(flatten)]
    pub outcome: Outcome,
    /// Why the send was skipped or not attempted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Milliseconds from the first attempt to the outcome, backoff included.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<f64>,
    /// When the first attempt started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<DateTime<Utc>>,
    /// When the outcome was known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_at: Option<DateTime<Utc>>,
    /// `run --verify`: whether the event was seen arriving in the room's
    /// chat (absent when the send was not verified: no `--verify`, a room
    /// outside the sample, or not sent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seen: Option<bool>,
    /// Its step of the timeline (absent without one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<usize>,
}

/// A run's timeline: the anchor, and each step as it went.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TimelineRun {
    /// The time the steps' offsets count from.
    pub anchor: DateTime<FixedOffset>,
    /// Where it came from.
    pub anchor_from: crate::plan::AnchorSource,
    /// The steps, in order.
    pub steps: Vec<StepRun>,
}

/// One step of a timeline as it went.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StepRun {
    /// Position in the timeline, from 0.
    pub index: usize,
    /// The offset as written; absent for the start step.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offset: Option<String>,
    /// When it was planned to go; absent for the start step.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<DateTime<FixedOffset>>,
    /// How late it could start, in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grace_ms: Option<u64>,
    /// Sends planned in it.
    pub sends: usize,
    /// This run's sends of it per status.
    pub counts: BTreeMap<Status, usize>,
    /// When its first attempt left.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_send_at: Option<DateTime<Utc>>,
    /// When its last attempt left.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_send_at: Option<DateTime<Utc>>,
    /// Milliseconds from its planned time to its first attempt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub began_after_ms: Option<i64>,
}

/// Totals of a run.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RunSummary {
    /// Sends in the plan.
    pub total: usize,
    /// Sends per status.
    pub counts: BTreeMap<Status, usize>,
    /// Attempts made, retries included.
    pub attempts: u64,
    /// Attempts answered with ThrottlingException.
    pub throttles: u64,
    /// Seconds from the first attempt to the last outcome.
    pub duration_seconds: f64,
    /// Sent per second over that time.
    pub achieved_rate: f64,
    /// Per account and region.
    pub regions: Vec<RegionRun>,
    /// Latency of sent events, in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<Latency>,
    /// Failed and unknown sends per error code.
    pub errors: BTreeMap<String, usize>,
    /// `run --verify`: how many sent events were seen arriving.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verify: Option<VerifySummary>,
}

/// What `run --verify` found.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifySummary {
    /// Rooms watched.
    pub rooms: usize,
    /// Rooms in the plan.
    pub of_rooms: usize,
    /// Sent events to watched rooms that were looked for.
    pub checked: usize,
    /// Of those, seen arriving.
    pub seen: usize,
    /// Of those, not seen before the deadline.
    pub not_seen: usize,
    /// Milliseconds allowed after the last send.
    pub timeout_ms: u64,
    /// Milliseconds from SendEvent's answer to the frame, of those seen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<Latency>,
}

/// What a run did in one account and region.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RegionRun {
    /// Account.
    pub account: String,
    /// Region.
    pub region: String,
    /// Sends that ended sent.
    pub sent: usize,
    /// Attempts made.
    pub attempts: u64,
    /// Most attempts that started within any one second.
    pub peak_per_second: usize,
    /// The configured limit: rate plus burst.
    pub limit_per_second: f64,
}

/// Latency percentiles in milliseconds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Latency {
    /// Median.
    pub p50: f64,
    /// 90th percentile.
    pub p90: f64,
    /// 99th percentile.
    pub p99: f64,
    /// Largest.
    pub max: f64,
}
