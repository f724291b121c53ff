//! A run's timeline in its reports: per step, the planned time, when its
//! first and last sends left, and what became of them (late ones above
//! all); added up from the journal as the report is built, and rendered.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use chrono::{DateTime, Utc};

use super::model::{ReportHead, Status, StepRun, TimelineRun};
use crate::plan::PlannedSend;
use crate::plan::timeline::rfc3339;

/// The timeline's steps, added up from the records that carry a step
/// (the report's tally says which step a send that ends was started in).
#[derive(Default)]
pub(super) struct StepTally {
    /// `[step]`: what its records add up to.
    steps: Vec<StepSoFar>,
}

/// The step of a record's send, when it has a plausible one: a step past
/// any timeline (a hand-edited journal) is not given the memory.
pub(super) fn step_of(send: &PlannedSend) -> Option<usize> {
    send.step.filter(|&s| s < 1 << 16)
}

impl StepTally {
    fn at(&mut self, step: usize) -> &mut StepSoFar {
        if self.steps.len() <= step {
            self.steps.resize_with(step + 1, Default::default);
        }
        &mut self.steps[step]
    }

    /// A send of `step` started at `at`.
    pub(super) fn start(&mut self, step: Option<usize>, at: DateTime<Utc>) {
        if let Some(step) = step {
            let s = self.at(step);
            s.first = Some(s.first.map_or(at, |f| f.min(at)));
            s.last = Some(s.last.map_or(at, |l| l.max(at)));
        }
    }

    /// A send of `step` ended (or was skipped) with `status`.
    pub(super) fn count(&mut self, step: Option<usize>, status: Status) {
        if let Some(step) = step {
            *self.at(step).counts.entry(status).or_default() += 1;
        }
    }

    pub(super) fn timeline(&mut self, t: &crate::plan::Timeline) -> TimelineRun {
        TimelineRun {
            anchor: t.anchor,
            anchor_from: t.anchor_from,
            steps: t
                .steps
                .iter()
                .map(|s| {
                    let StepSoFar {
                        counts,
                        first,
                        last,
                    } = self.steps.get(s.index).cloned().unwrap_or_default();
                    StepRun {
                        index: s.index,
                        offset: s.offset.clone(),
                        at: s.at,
                        grace_ms: s.grace_ms,
                        sends: s.sends,
                        counts,
                        first_send_at: first,
                        last_send_at: last,
                        began_after_ms: match (s.at, first) {
                            (Some(at), Some(f)) => Some((f - at.to_utc()).num_milliseconds()),
                            _ => None,
                        },
                    }
                })
                .collect(),
        }
    }
}

/// One step's records so far.
#[derive(Debug, Clone, Default)]
struct StepSoFar {
    counts: BTreeMap<Status, usize>,
    /// The first and last start records' times.
    first: Option<DateTime<Utc>>,
    last: Option<DateTime<Utc>>,
}

/// What a step's sends came to: `2 sent, 1 late`.
fn outcome(s: &StepRun) -> String {
    let parts: Vec<String> = Status::ALL
        .iter()
        .filter_map(|st| {
            let n = s.counts.get(st).copied().unwrap_or(0);
            (n > 0).then(|| {
                format!(
                    "{n} {}",
                    if *st == Status::Planned {
                        "not attempted"
                    } else {
                        st.as_str()
                    }
                )
            })
        })
        .collect();
    if parts.is_empty() {
        "none in this run".into()
    } else {
        parts.join(", ")
    }
}

/// The step's name: `1 (start)`, `2 (at -15m, due 19:45:00Z)`.
fn name(s: &StepRun) -> String {
    match (&s.offset, s.at) {
        (Some(o), Some(at)) => format!("{} (at {o}, due {})", s.index + 1, rfc3339(at)),
        _ => format!("{} (start)", s.index + 1),
    }
}

/// When its sends left, relative to its time.
fn timing(s: &StepRun) -> String {
    let Some(first) = s.first_send_at else {
        return String::new();
    };
    let after = s
        .began_after_ms
        .map(|ms| format!(", {:+.1} s from its time", ms as f64 / 1000.0))
        .unwrap_or_default();
    let last = s.last_send_at.unwrap_or(first);
    format!(
        "; sends left {} to {}{after}",
        first.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        last.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
    )
}

/// The timeline lines of the summary on stderr.
pub fn human(t: &TimelineRun, out: &mut String) {
    let _ = writeln!(out, "Timeline, anchor {}:", rfc3339(t.anchor));
    for s in &t.steps {
        let _ = writeln!(out, "  step {}: {}{}", name(s), outcome(s), timing(s));
    }
}

/// The timeline table of the Markdown report.
pub fn markdown(t: &TimelineRun, m: &mut String) {
    let _ = writeln!(
        m,
        "Timeline, anchor `{}`:\n\n| step | at | due | sends | outcome | first send | last send | from its time |\n|---:|---|---|---:|---|---|---|---:|",
        rfc3339(t.anchor)
    );
    let time = |t: Option<chrono::DateTime<chrono::Utc>>| {
        t.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
            .unwrap_or_default()
    };
    for s in &t.steps {
        let _ = writeln!(
            m,
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            s.index + 1,
            s.offset.as_deref().unwrap_or("start"),
            s.at.map(rfc3339)
                .unwrap_or_else(|| "when the run starts".into()),
            s.sends,
            outcome(s),
            time(s.first_send_at),
            time(s.last_send_at),
            s.began_after_ms
                .map(|ms| format!("{:+.1} s", ms as f64 / 1000.0))
                .unwrap_or_default()
        );
    }
    m.push('\n');
}

/// Whether the report has sends skipped as late.
pub fn has_late(head: &ReportHead) -> bool {
    head.summary
        .counts
        .get(&Status::Late)
        .is_some_and(|&n| n > 0)
}
