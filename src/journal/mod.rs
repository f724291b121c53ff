//! The run journal, the outcomes stage: one JSON line per event of a run, appended and made
//! durable as it happens, so a crash loses nothing that was sent.
//!
//! A send's `start` line is on disk (written, and fsynced) *before* its
//! request goes out, and its `end` line follows its outcome. After a crash,
//! a `start` without an `end` marks a send whose outcome is unknown:
//! `run --resume` never re-sends those silently. Lines are written straight
//! to the file; one fsync covers every line written before it, so sends
//! going out together share one (and a run on one thread makes a quick
//! fsync itself rather than wait for another thread to make it).

//!
//! - the records (this file) and [`Status`], how a send ended;
//! - [`writer`]: appending, torn-tail repair;
//! - [`sync`]: group commit, who fsyncs up to which line;
//! - [`reader`]: the one way to read a journal back;
//! - [`resume`]: what earlier runs already did.

pub mod reader;
pub mod resume;
pub mod sync;
pub mod writer;

pub use reader::{Flow, TornLine, finish_of, for_each, for_each_from, read, records, run_offsets};
pub use writer::{Appender, Journal, lock};

use chrono::{DateTime, Utc};
use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::plan::{EffectiveSettings, PlanPlaybook, PlannedSend};

/// How a send ended.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// The service accepted the event and returned its id.
    Sent,
    /// The event was not delivered: the service refused it, or retries ran
    /// out. Safe to send again (a resumed run does).
    Failed,
    /// The request went out and no answer came back: the event may or may
    /// not have been delivered. Not re-sent unless asked (`--resend-unknown`).
    Unknown,
    /// Not sent in this run because an earlier run already sent it.
    Skipped,
    /// Not attempted (a dry run, or the run was interrupted first).
    Planned,
    /// Not sent because its step of the timeline could not start within
    /// its grace: a stale announcement is not sent late. A resumed run
    /// tries it again (and skips it again, unless `--late send`).
    Late,
}

impl Status {
    /// Every status, in report order.
    pub const ALL: [Status; 6] = [
        Status::Sent,
        Status::Failed,
        Status::Unknown,
        Status::Skipped,
        Status::Planned,
        Status::Late,
    ];

    /// The lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Sent => "sent",
            Status::Failed => "failed",
            Status::Unknown => "unknown",
            Status::Skipped => "skipped",
            Status::Planned => "planned",
            Status::Late => "late",
        }
    }
}

/// One journal line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum JournalRecord {
    /// A run begins (a resumed run appends another).
    Run(RunHeader),
    /// A send is about to go out.
    Start(StartRecord),
    /// A send's outcome.
    End(EndRecord),
    /// A send not attempted in this run, and why.
    Skip(SkipRecord),
    /// The run ended.
    Finish(FinishRecord),
    /// Someone checked a send whose outcome was unknown (`report resolve`).
    Resolve(ResolveRecord),
    /// `run --verify`: whether a sent event was seen arriving in its room's
    /// chat (written as it arrives, or at the verify deadline when it did
    /// not). Journals of earlier versions have none.
    Verify(VerifyRecord),
}

/// Whether a chat client watching the room received a sent event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VerifyRecord {
    /// The send id.
    pub id: String,
    /// Its position in the plan.
    pub seq: usize,
    /// The event id SendEvent returned (the `Id` of the EVENT frame).
    pub message_id: String,
    /// Whether the EVENT frame arrived before the verify deadline.
    pub seen: bool,
    /// Milliseconds from SendEvent's answer to the frame's arrival (0 when
    /// the frame came first).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<f64>,
    /// When this was known.
    pub at: DateTime<Utc>,
}

/// What `run --verify` watched: recorded in the run header, so a report
/// tells "not verified" from "not seen".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct VerifySettings {
    /// Rooms watched.
    pub rooms: usize,
    /// Rooms in the plan (more than `rooms` when a sample was asked for).
    pub of_rooms: usize,
    /// Milliseconds allowed after the last send for events to arrive.
    pub timeout_ms: u64,
}

/// What a person found out about a send whose outcome was unknown: it did
/// arrive (a resume treats it as sent), or it did not (a resume sends it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResolveRecord {
    /// The send id.
    pub id: String,
    /// Whether it was delivered.
    pub delivered: bool,
    /// When this was recorded.
    pub at: DateTime<Utc>,
}

/// The first line of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunHeader {
    /// Tool name.
    pub tool: String,
    /// Tool version.
    pub version: String,
    /// Plan hash.
    pub plan_hash: String,
    /// When the run started.
    pub started_at: DateTime<Utc>,
    /// The playbooks.
    pub playbooks: Vec<PlanPlaybook>,
    /// Settings in effect.
    pub settings: EffectiveSettings,
    /// Sends in the plan.
    pub sends: usize,
    /// What this run resumed from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resumed_from: Option<String>,
    /// Where the run sent (absent in journals of earlier versions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<Target>,
    /// The `--var` values it was given.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub vars: IndexMap<String, String>,
    /// The `--limit` it was given: this run sent to those rooms only. A
    /// resume does not inherit it, so `run --resume` without `--limit`
    /// sends the rest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<RunLimit>,
    /// `run --verify`: the rooms watched (absent when not verifying, and in
    /// journals of earlier versions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verify: Option<VerifySettings>,
    /// The timeline, when the plan has one: its anchor is what a resumed
    /// run keeps, so the remaining steps go at their original times.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeline: Option<crate::plan::Timeline>,
    /// The `--grace` it was given, in milliseconds (a resume keeps it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grace_ms: Option<u64>,
}

/// What a run's `--limit` chose.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunLimit {
    /// The values given.
    pub asked: Vec<String>,
    /// Rooms of the plan it kept.
    pub rooms: usize,
    /// Sends to those rooms (of the plan's `sends`).
    pub sends: usize,
}

/// Where a run sends: recorded so a resume sends the rest to the same place
/// (a rehearsal must never finish in production).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Target {
    /// The emulator embedded in the run (`--local`).
    Local,
    /// An endpoint other than AWS (`--endpoint-url`, or
    /// `AWS_ENDPOINT_URL_IVSCHAT` / `AWS_ENDPOINT_URL`).
    Endpoint {
        /// The URL.
        url: String,
    },
    /// Amazon IVS Chat itself.
    Aws {
        /// The profile (`--profile`, `AWS_PROFILE`), or none for the default
        /// credential chain.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        profile: Option<String>,
        /// The accounts of the rooms sent to.
        accounts: Vec<String>,
    },
}

impl Target {
    /// Where it is, in words: `AWS accounts 123456789012 (profile prod)`.
    pub fn describe(&self) -> String {
        match self {
            Target::Local => "the local emulator (--local)".to_string(),
            Target::Endpoint { url } => format!("the endpoint {url}"),
            Target::Aws { profile, accounts } => format!(
                "AWS, account{} {} ({})",
                if accounts.len() == 1 { "" } else { "s" },
                accounts.join(", "),
                match profile {
                    Some(p) => format!("profile {p}"),
                    None => "the default credential chain".to_string(),
                }
            ),
        }
    }

    /// The `run` flags that select it.
    pub fn flags(&self) -> Vec<String> {
        match self {
            Target::Local => vec!["--local".into()],
            Target::Endpoint { url } => vec!["--endpoint-url".into(), url.clone()],
            Target::Aws {
                profile: Some(p), ..
            } => vec!["--profile".into(), p.clone()],
            Target::Aws { profile: None, .. } => Vec::new(),
        }
    }

    /// Whether two targets are the same place (accounts aside: the plan
    /// decides those, and the plan hash holds them).
    pub fn same_place(&self, other: &Target) -> bool {
        match (self, other) {
            (Target::Aws { profile: a, .. }, Target::Aws { profile: b, .. }) => a == b,
            (a, b) => a == b,
        }
    }
}

/// A send about to go out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StartRecord {
    /// The send, as planned.
    pub send: PlannedSend,
    /// When.
    pub at: DateTime<Utc>,
}

/// A `start` line written from a borrowed send, without copying it; it
/// reads back as [`JournalRecord::Start`].
#[derive(Debug, Serialize)]
#[serde(tag = "type", rename = "start")]
pub struct StartLine<'a> {
    /// The send, as planned.
    pub send: &'a PlannedSend,
    /// When.
    pub at: DateTime<Utc>,
}

/// What became of one send's attempts: the part of a journal's end record
/// and a report's send record that the two share.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Outcome {
    /// Outcome.
    pub status: Status,
    /// Event id returned by the service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
    /// Request id of the last attempt that got an answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// Attempts made.
    pub attempts: u32,
    /// Attempts answered with ThrottlingException.
    pub throttles: u32,
    /// Error code of the last failed attempt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    /// Error message of the last failed attempt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_message: Option<String>,
}

impl Outcome {
    /// No attempt made (yet): `status`, and nothing else.
    pub fn none(status: Status) -> Self {
        Outcome {
            status,
            message_id: None,
            request_id: None,
            attempts: 0,
            throttles: 0,
            error_code: None,
            error_message: None,
        }
    }
}

/// A send's outcome.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EndRecord {
    /// Send id.
    pub id: String,
    /// Account of the room.
    pub account: String,
    /// Region the send went through.
    pub region: String,
    /// What became of it.
    #[serde(flatten)]
    pub outcome: Outcome,
    /// Milliseconds from the first attempt to the outcome.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<f64>,
    /// Start of each attempt, in milliseconds since the run started (for
    /// the per-second peaks in the report).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attempt_offsets_ms: Vec<f64>,
    /// When the outcome was known.
    pub at: DateTime<Utc>,
}

/// A send not attempted in this run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SkipRecord {
    /// The send.
    pub send: PlannedSend,
    /// `skipped` (sent before), `unknown` (outcome unknown before, not
    /// re-sent) or `planned` (not attempted).
    pub status: Status,
    /// Why.
    pub note: String,
    /// The event id from the earlier run, when it was sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
}

/// The last line of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FinishRecord {
    /// When.
    pub at: DateTime<Utc>,
    /// Whether the run was interrupted.
    pub interrupted: bool,
}
