//! The timeline: events with `at:` offsets grouped into steps, each at a
//! time counted from one anchor, and what the plan says about them.
//!
//! An event's `at:` is an offset from the anchor (`-15m`, `0s`). Events with
//! the same offset form one step; events without `at:` form the
//! start step, which goes first, when the run starts, and is never late.
//! The anchor is `--at`, else `settings.at`, else the time that makes the
//! earliest step start now; a resumed run takes the one its journal
//! recorded, so it keeps the same schedule. Resolving the anchor needs the
//! time now, which the caller passes in ([`SettingsOverrides::now`]): the
//! plan itself reads no clock.

use chrono::{DateTime, Duration, FixedOffset, SecondsFormat};
use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use super::settings::AnchorSource;
use super::settings::{EffectiveSettings, SettingsOverrides};
use crate::diag::{Diagnostic, Location};
use crate::playbook::model::AnchorText;
use crate::validate::CheckedPlaybook;

/// How late a step may start by default: one minute.
pub const DEFAULT_GRACE_MS: u64 = 60_000;

/// The schedule of a plan whose events have `at:` offsets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Timeline {
    /// The time the offsets count from.
    pub anchor: DateTime<FixedOffset>,
    /// Where the anchor came from.
    pub anchor_from: AnchorSource,
    /// The steps, in the order they go. Events to one room go in this
    /// order too.
    pub steps: Vec<Step>,
}

/// One step of a timeline: the events that go at one time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// Position in the timeline, from 0; a send's `step`.
    pub index: usize,
    /// The offset as written (`-15m`); absent for the start step, the
    /// events without `at:`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offset: Option<String>,
    /// The offset in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offset_ms: Option<i64>,
    /// When the step goes; absent for the start step (when the run starts).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<DateTime<FixedOffset>>,
    /// How late it may start, in milliseconds, before its sends are
    /// skipped as late; absent for the start step, which is never late.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grace_ms: Option<u64>,
    /// Events in the step, over every playbook.
    pub events: usize,
    /// Rooms that get at least one of its sends.
    pub rooms: usize,
    /// Its sends.
    pub sends: usize,
    /// Seconds its sends take at the rate: regions in parallel, each at
    /// the configured rate and burst.
    pub fanout_seconds: f64,
}

impl Step {
    /// How the step is named in messages: its offset, or "start".
    pub fn label(&self) -> String {
        match &self.offset {
            Some(o) => format!("at {o}"),
            None => "start".to_string(),
        }
    }

    /// When the step may start at the latest without being late.
    pub fn deadline(&self) -> Option<DateTime<FixedOffset>> {
        Some(self.at? + Duration::milliseconds(self.grace_ms? as i64))
    }
}

/// A timeline while planning: the steps, and which step each event is in.
#[derive(Debug)]
pub(super) struct Scheduled {
    pub(super) timeline: Timeline,
    /// `[playbook][event]`: the event's step.
    pub(super) step_of: Vec<Vec<usize>>,
    /// `[step]`: where its first event's `at:` is written (the first event
    /// without one, for the start step), for the plan's warnings.
    pub(super) written: Vec<Location>,
    /// The time the plan was made.
    pub(super) now: DateTime<FixedOffset>,
    /// Whether past steps are expected (a resumed run's), so not warned of.
    pub(super) resumed: bool,
}

/// The step key of an event: its offset; the start step is `None`.
type StepKey = Option<i64>;

/// What is gathered of a step while grouping: its events, where the first
/// is written, its offset as first written, its grace.
struct Gathering {
    events: usize,
    written: Location,
    text: String,
    grace_ms: u64,
}

/// The timeline of `playbooks`, when any event has `at:`; conflicting
/// anchors are reported in `diags`. Events with the same offset form one
/// step, whose grace is the smallest of theirs (a stale event is not sent
/// because another of its step allows more).
pub(super) fn schedule(
    playbooks: &[CheckedPlaybook],
    flags: &SettingsOverrides,
    diags: &mut Vec<Diagnostic>,
) -> Option<Scheduled> {
    let timed = playbooks
        .iter()
        .flat_map(|pb| &pb.events)
        .filter_map(|e| e.step.as_ref());
    let earliest = timed.map(|s| s.offset_ms).min()?;
    let now = flags.now.unwrap_or(DateTime::UNIX_EPOCH.fixed_offset());
    let (anchor, anchor_from) = anchor(playbooks, flags, now, earliest, diags);
    let grace = |own: Option<u64>| {
        flags
            .grace_ms
            .or(own)
            .or_else(|| {
                playbooks
                    .iter()
                    .filter_map(|p| p.settings.grace.as_ref()?.parse())
                    .map(|d| d.as_millis() as u64)
                    .min()
            })
            .unwrap_or(DEFAULT_GRACE_MS)
    };
    let mut keys: IndexMap<StepKey, Gathering> = IndexMap::new();
    for pb in playbooks {
        for ev in &pb.events {
            let key = ev.step.as_ref().map(|s| s.offset_ms);
            let (written, text, g) = match &ev.step {
                Some(s) => (s.at, s.text.clone(), grace(s.grace_ms)),
                None => (ev.at, String::new(), 0),
            };
            let e = keys.entry(key).or_insert(Gathering {
                events: 0,
                written,
                text,
                grace_ms: g,
            });
            e.events += 1;
            e.grace_ms = e.grace_ms.min(g);
        }
    }
    // The start step first, then by time.
    keys.sort_by(|a, _, b, _| a.cmp(b));
    let mut steps = Vec::new();
    let mut written = Vec::new();
    for (key, g) in &keys {
        steps.push(Step {
            index: steps.len(),
            offset: key.map(|_| g.text.clone()),
            offset_ms: *key,
            at: key.map(|k| anchor + Duration::milliseconds(k)),
            grace_ms: key.map(|_| g.grace_ms),
            events: g.events,
            rooms: 0,
            sends: 0,
            fanout_seconds: 0.0,
        });
        written.push(g.written);
    }
    let step_of = playbooks
        .iter()
        .map(|pb| {
            pb.events
                .iter()
                .map(|ev| {
                    keys.get_index_of(&ev.step.as_ref().map(|s| s.offset_ms))
                        .expect("every event's step was gathered")
                })
                .collect()
        })
        .collect();
    Some(Scheduled {
        timeline: Timeline {
            anchor,
            anchor_from,
            steps,
        },
        step_of,
        written,
        now,
        resumed: anchor_from == AnchorSource::Journal,
    })
}

/// The anchor and where it came from: the flag (or journal), else the
/// playbooks' `settings.at` (which must agree), else the time that makes
/// the earliest step start now, rounded up to the whole second.
fn anchor(
    playbooks: &[CheckedPlaybook],
    flags: &SettingsOverrides,
    now: DateTime<FixedOffset>,
    earliest_ms: i64,
    diags: &mut Vec<Diagnostic>,
) -> (DateTime<FixedOffset>, AnchorSource) {
    if let Some((text, from)) = &flags.at {
        // Checked when the flag was read.
        if let Ok(t) = AnchorText(text.clone()).resolve(now) {
            return (t, *from);
        }
    }
    let mut first: Option<(DateTime<FixedOffset>, &str)> = None;
    for pb in playbooks {
        let (Some(text), Some(at)) = (&pb.settings.at, pb.anchor_at) else {
            continue;
        };
        let Ok(t) = text.resolve(now) else { continue };
        match first {
            None => first = Some((t, &text.0)),
            Some((f, ftext)) if f != t => diags.push(
                Diagnostic::error(
                    "playbook::conflicting-anchor",
                    format!(
                        "`settings.at` is `{}` here but `{ftext}` in an earlier playbook of this run; one run has one timeline",
                        text.0
                    ),
                )
                .at(Some(at))
                .hint("give the playbooks the same `at`, or pass `--at`, which overrides them all"),
            ),
            Some(_) => {}
        }
    }
    if let Some((t, _)) = first {
        return (t, AnchorSource::Settings);
    }
    let start = now - Duration::milliseconds(earliest_ms);
    let rounded = match start.timestamp_subsec_nanos() {
        0 => start,
        n => start + Duration::nanoseconds(1_000_000_000 - i64::from(n)),
    };
    (rounded, AnchorSource::EarliestStep)
}

impl Scheduled {
    /// A line for the plan hash per step: the same sends on another
    /// schedule are another plan. Grace is left out: it decides whether a
    /// late step goes, not what or when, so a resume may widen it.
    pub(super) fn hash_lines(&self) -> impl Iterator<Item = String> + '_ {
        self.timeline.steps.iter().map(|s| {
            format!(
                "step {} {}",
                s.index,
                s.offset_ms.map_or("start".into(), |o| o.to_string()),
            )
        })
    }

    /// The timeline with the scan's totals of each step (`steps[i]`, as
    /// the plan's summary counts them), and its warnings: a step in the
    /// past, a step whose sends cannot all go before the next begins.
    pub(super) fn finish(
        &self,
        steps: Vec<super::PlanSummary>,
        settings: &EffectiveSettings,
        diags: &mut Vec<Diagnostic>,
    ) -> Timeline {
        let mut timeline = self.timeline.clone();
        for (step, sm) in timeline.steps.iter_mut().zip(steps) {
            step.rooms = sm.rooms;
            step.sends = sm.sends;
            step.fanout_seconds = sm.estimated_seconds;
        }
        self.warn(&timeline.steps, settings, diags);
        timeline
    }

    fn warn(&self, steps: &[Step], settings: &EffectiveSettings, diags: &mut Vec<Diagnostic>) {
        for (i, step) in steps.iter().enumerate() {
            if let Some(at) = step.at
                && at < self.now
                && !self.resumed
            {
                diags.push(
                    Diagnostic::warning(
                        "playbook::step-in-the-past",
                        format!(
                            "the time of step {}, {}, has passed: a run now starts it late, and skips it when that is more than its grace ({}) late",
                            step.label(),
                            rfc3339(at),
                            seconds(step.grace_ms.unwrap_or(0) as f64 / 1000.0)
                        ),
                    )
                    .at(Some(self.written[i]))
                    .hint("choose a later anchor (`--at` or `settings.at`), or send late steps anyway with `run --late send`"),
                );
            }
            // With no anchor given, the earliest step is put at "now" and
            // follows the start step, however long that takes.
            if step.at.is_none() && self.timeline.anchor_from == AnchorSource::EarliestStep {
                continue;
            }
            let Some(next) = steps.get(i + 1) else {
                continue;
            };
            let (Some(next_at), true) = (next.at, step.sends > 0) else {
                continue;
            };
            let begins = step.at.unwrap_or(self.now).max(self.now);
            let gap = (next_at - begins).num_milliseconds() as f64 / 1000.0;
            if step.fanout_seconds > gap.max(0.0) && next_at >= self.now {
                diags.push(
                    Diagnostic::warning(
                        "playbook::step-overlap",
                        format!(
                            "step {}: its {} sends to {} rooms take about {} at {}/s per account and region, longer than the {} until step {} begins, which will then start late",
                            step.label(),
                            step.sends,
                            step.rooms,
                            seconds(step.fanout_seconds),
                            settings.rate,
                            seconds(gap.max(0.0)),
                            next.label()
                        ),
                    )
                    .at(Some(self.written[i]))
                    .hint("space the steps further apart, send to fewer rooms per step, or raise the rate (at most 100/s per account and region)"),
                );
            }
        }
    }
}

/// A time as RFC 3339, to the second unless it has a fraction.
pub fn rfc3339(t: DateTime<FixedOffset>) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// Seconds for a message: `50 s`, `1.5 s`.
fn seconds(s: f64) -> String {
    if s.fract() == 0.0 {
        format!("{s:.0} s")
    } else {
        format!("{s:.1} s")
    }
}
