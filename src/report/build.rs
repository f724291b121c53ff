//! Turning a run's journal into its report, streaming.
//!
//! The report is built from the journal on disk, not from memory, so a run
//! of a million sends never holds a million outcomes: one pass computes the
//! summary (latencies are kept as one number per sent event), a second
//! writes the per-send records as it reads them.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::{self, Write};
use std::path::Path;

use chrono::{DateTime, Utc};

pub use super::model::ReportHead;
use super::model::{
    Latency, Outcome, RegionRun, RunSummary, SendRecord, Status, ToolInfo, VerifySummary,
};
use crate::journal::{
    EndRecord, JournalRecord, RunHeader, StartRecord, VerifyRecord, for_each_from,
};
use crate::plan::PlannedSend;

/// A send seen arriving (in [`ReportHead::verdicts`]).
pub const SEEN: u8 = 1;
/// A send looked for and not seen.
pub const NOT_SEEN: u8 = 2;

impl ReportHead {
    /// Lists the sends the journal has no record of, from the plan made
    /// again (`sends`, every send of the plan, in order). Those the journal
    /// recorded are left out as they are read.
    pub fn list_unreached(&mut self, sends: Vec<PlannedSend>) {
        if self.unreached > 0 {
            self.unreached_sends = sends;
        }
    }
}

/// Joins start and end records into per-send records, in the order sends
/// ended; sends started but never ended come last, as `unknown`.
fn for_each_send(
    path: &Path,
    offset: u64,
    head: &ReportHead,
    mut f: impl FnMut(SendRecord) -> io::Result<()>,
) -> io::Result<Option<RunHeader>> {
    let unreached = &head.unreached_sends[..];
    let seen = |seq: usize| match head.verdicts.get(seq) {
        Some(&SEEN) => Some(true),
        Some(&NOT_SEEN) => Some(false),
        _ => None,
    };
    let mut open: HashMap<String, StartRecord> = HashMap::new();
    // Ids the journal has, only kept when some sends are missing from it.
    let mut recorded: HashSet<String> = HashSet::new();
    let keep = !unreached.is_empty();
    let header = for_each_from(path, offset, |rec| {
        if keep {
            match &rec {
                JournalRecord::Start(s) => recorded.insert(s.send.id.clone()),
                JournalRecord::Skip(s) => recorded.insert(s.send.id.clone()),
                _ => false,
            };
        }
        match rec {
            JournalRecord::Run(_) => {}
            JournalRecord::Start(s) => {
                open.insert(s.send.id.clone(), s);
            }
            JournalRecord::End(e) => {
                let start = open.remove(&e.id);
                if let Some(s) = start {
                    let mut r = joined(s, e);
                    r.seen = seen(r.seq);
                    f(r)?;
                }
            }
            JournalRecord::Skip(s) => {
                let mut r = unattempted(s.send, s.status);
                r.outcome.message_id = s.message_id;
                r.note = Some(s.note);
                f(r)?;
            }
            JournalRecord::Finish(_) | JournalRecord::Resolve(_) | JournalRecord::Verify(_) => {}
        }
        Ok(())
    })?;
    let mut rest: Vec<StartRecord> = open.into_values().collect();
    rest.sort_by_key(|s| s.send.seq);
    for s in rest {
        let mut r = unattempted(s.send, Status::Unknown);
        r.outcome.error_code = Some("InFlight".into());
        r.outcome.error_message = Some("the run stopped while this send was in flight".into());
        r.started_at = Some(s.at);
        f(r)?;
    }
    for p in unreached.iter().filter(|p| !recorded.contains(&p.id)) {
        let mut r = unattempted(p.clone(), Status::Planned);
        r.note = Some("the run stopped before it reached this send".into());
        f(r)?;
    }
    Ok(header)
}

/// A record for a send with no attempt outcome of its own.
fn unattempted(p: PlannedSend, status: Status) -> SendRecord {
    SendRecord {
        id: p.id,
        seq: p.seq,
        playbook: p.playbook,
        room_arn: p.room_arn,
        room_name: p.room_name,
        region: p.region,
        account: p.account,
        event_name: p.event_name,
        attributes: p.attributes,
        bytes: p.bytes,
        outcome: Outcome::none(status),
        note: None,
        latency_ms: None,
        started_at: None,
        ended_at: None,
        seen: None,
        step: p.step,
    }
}

fn joined(s: StartRecord, e: EndRecord) -> SendRecord {
    SendRecord {
        outcome: e.outcome,
        latency_ms: e.latency_ms,
        started_at: Some(s.at),
        ended_at: Some(e.at),
        ..unattempted(s.send, Status::Planned)
    }
}

/// Computes the report head of the run whose header is at `offset`.
pub fn head(
    path: &Path,
    offset: u64,
    ended_at: DateTime<Utc>,
    interrupted: bool,
) -> io::Result<ReportHead> {
    let mut tally = Tally::new();
    let header = for_each_from(path, offset, |rec| {
        tally.add(rec);
        Ok(())
    })?;
    tally.close_in_flight();
    let header = header.ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            "the journal has no run header at the given place",
        )
    })?;
    // A run limited to some rooms answers for their sends only.
    let total = header.limit.as_ref().map_or(header.sends, |l| l.sends);
    let unreached = tally.add_unreached(total);
    let limit = header.settings.rate + f64::from(header.settings.burst);
    let verdicts = std::mem::take(&mut tally.verdicts);
    let verify = header.verify.as_ref().map(|v| tally.verify.summary(v));
    let timeline = header.timeline.as_ref().map(|t| tally.steps.timeline(t));
    let mut summary = tally.summary(total, limit);
    summary.verify = verify;
    Ok(ReportHead {
        format_version: 1,
        tool: ToolInfo::current(),
        plan_hash: header.plan_hash,
        playbooks: header.playbooks,
        settings: header.settings,
        started_at: header.started_at,
        ended_at,
        interrupted,
        resumed_from: header.resumed_from,
        target: header.target,
        vars: header.vars,
        summary,
        timeline,
        unreached,
        unreached_sends: Vec::new(),
        verdicts,
    })
}

/// What one pass over a run's journal records adds up to.
struct Tally {
    counts: BTreeMap<Status, usize>,
    errors: BTreeMap<String, usize>,
    latencies: Vec<f64>,
    attempts: u64,
    throttles: u64,
    first_start: Option<DateTime<Utc>>,
    last_end: Option<DateTime<Utc>>,
    regions: BTreeMap<(String, String), RegionTally>,
    /// Sends started and not (yet) ended, with their step of the timeline.
    open: HashMap<String, Option<usize>>,
    /// See [`ReportHead::verdicts`].
    verdicts: Vec<u8>,
    verify: VerifyTally,
    steps: super::timeline::StepTally,
}

/// The verify records of a run, added up.
#[derive(Default)]
struct VerifyTally {
    seen: usize,
    not_seen: usize,
    latencies: Vec<f64>,
}

impl VerifyTally {
    fn summary(&mut self, v: &crate::journal::VerifySettings) -> VerifySummary {
        VerifySummary {
            rooms: v.rooms,
            of_rooms: v.of_rooms,
            timeout_ms: v.timeout_ms,
            checked: self.seen + self.not_seen,
            seen: self.seen,
            not_seen: self.not_seen,
            latency_ms: percentiles(&mut self.latencies),
        }
    }
}

/// One account and region's part of a [`Tally`].
#[derive(Default)]
struct RegionTally {
    sent: usize,
    attempts: u64,
    attempt_offsets_ms: Vec<f64>,
}

impl Tally {
    fn new() -> Self {
        Tally {
            // `late` only when a send is: plans without a timeline have none.
            counts: Status::ALL
                .iter()
                .filter(|s| **s != Status::Late)
                .map(|s| (*s, 0))
                .collect(),
            errors: BTreeMap::new(),
            latencies: Vec::new(),
            attempts: 0,
            throttles: 0,
            first_start: None,
            last_end: None,
            regions: BTreeMap::new(),
            open: HashMap::new(),
            verdicts: Vec::new(),
            verify: VerifyTally::default(),
            steps: Default::default(),
        }
    }

    /// A verify record: the last one for a send counts.
    fn add_verify(&mut self, v: VerifyRecord) {
        // Plans of a million sends make a megabyte here; a seq past any
        // plausible plan (a hand-edited journal) is not given the memory.
        if v.seq >= 1 << 26 {
            return;
        }
        if self.verdicts.len() <= v.seq {
            self.verdicts.resize(v.seq + 1, 0);
        }
        match std::mem::replace(
            &mut self.verdicts[v.seq],
            if v.seen { SEEN } else { NOT_SEEN },
        ) {
            SEEN => self.verify.seen -= 1,
            NOT_SEEN => self.verify.not_seen -= 1,
            _ => {}
        }
        if v.seen {
            self.verify.seen += 1;
            if let Some(l) = v.latency_ms {
                self.verify.latencies.push(l);
            }
        } else {
            self.verify.not_seen += 1;
        }
    }

    fn add(&mut self, rec: JournalRecord) {
        match rec {
            JournalRecord::Run(_) => {}
            JournalRecord::Start(s) => {
                self.first_start = Some(self.first_start.map_or(s.at, |f| f.min(s.at)));
                let step = super::timeline::step_of(&s.send);
                self.steps.start(step, s.at);
                self.open.insert(s.send.id, step);
            }
            JournalRecord::End(e) => self.add_end(e),
            JournalRecord::Skip(s) => {
                self.steps
                    .count(super::timeline::step_of(&s.send), s.status);
                *self.counts.entry(s.status).or_default() += 1;
            }
            JournalRecord::Verify(v) => self.add_verify(v),
            JournalRecord::Finish(_) | JournalRecord::Resolve(_) => {}
        }
    }

    fn add_end(&mut self, e: EndRecord) {
        if let Some(step) = self.open.remove(&e.id) {
            self.steps.count(step, e.outcome.status);
        }
        *self.counts.entry(e.outcome.status).or_default() += 1;
        self.attempts += u64::from(e.outcome.attempts);
        self.throttles += u64::from(e.outcome.throttles);
        self.last_end = Some(self.last_end.map_or(e.at, |l| l.max(e.at)));
        let r = self.regions.entry((e.account, e.region)).or_default();
        r.attempts += u64::from(e.outcome.attempts);
        r.attempt_offsets_ms.extend(e.attempt_offsets_ms);
        if e.outcome.status == Status::Sent {
            r.sent += 1;
            if let Some(l) = e.latency_ms {
                self.latencies.push(l);
            }
        }
        if matches!(e.outcome.status, Status::Failed | Status::Unknown)
            && let Some(code) = e.outcome.error_code
        {
            *self.errors.entry(code).or_default() += 1;
        }
    }

    /// Started and never ended: the process stopped with them in flight.
    fn close_in_flight(&mut self) {
        for &step in self.open.values() {
            self.steps.count(step, Status::Unknown);
        }
        if !self.open.is_empty() {
            *self.counts.entry(Status::Unknown).or_default() += self.open.len();
            *self.errors.entry("InFlight".into()).or_default() += self.open.len();
        }
    }

    /// Sends the run never reached (it was killed before it could record
    /// them as not attempted): not attempted all the same, so the counts
    /// always add up to the plan's total. Returns how many.
    fn add_unreached(&mut self, total: usize) -> usize {
        let recorded: usize = self.counts.values().sum();
        let unreached = total.saturating_sub(recorded);
        *self.counts.entry(Status::Planned).or_default() += unreached;
        unreached
    }

    fn duration_seconds(&self) -> f64 {
        match (self.first_start, self.last_end) {
            (Some(a), Some(b)) => ((b - a).num_microseconds().unwrap_or(0) as f64 / 1e6).max(0.0),
            _ => 0.0,
        }
    }

    fn summary(mut self, total: usize, limit: f64) -> RunSummary {
        let duration_seconds = self.duration_seconds();
        let sent = self.counts[&Status::Sent];
        RunSummary {
            total,
            counts: self.counts,
            attempts: self.attempts,
            throttles: self.throttles,
            duration_seconds: round3(duration_seconds),
            achieved_rate: if duration_seconds > 0.0 {
                round3(sent as f64 / duration_seconds)
            } else {
                0.0
            },
            regions: self
                .regions
                .into_iter()
                .map(|((account, region), mut r)| RegionRun {
                    account,
                    region,
                    sent: r.sent,
                    attempts: r.attempts,
                    peak_per_second: peak_in_window(&mut r.attempt_offsets_ms, 1000.0),
                    limit_per_second: limit,
                })
                .collect(),
            latency_ms: percentiles(&mut self.latencies),
            errors: self.errors,
            verify: None,
        }
    }
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// Most points within any window of `width` (half-open), by two pointers.
pub fn peak_in_window(points: &mut [f64], width: f64) -> usize {
    points.sort_by(f64::total_cmp);
    let mut best = 0;
    let mut lo = 0;
    for hi in 0..points.len() {
        while points[hi] - points[lo] >= width {
            lo += 1;
        }
        best = best.max(hi - lo + 1);
    }
    best
}

fn percentiles(v: &mut [f64]) -> Option<Latency> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let at = |q: f64| {
        let i = ((v.len() as f64 * q).ceil() as usize).clamp(1, v.len()) - 1;
        round3(v[i])
    };
    Some(Latency {
        p50: at(0.50),
        p90: at(0.90),
        p99: at(0.99),
        max: round3(v[v.len() - 1]),
    })
}

/// Writes the JSON report: the head, then one send per line.
pub fn write_json(
    path: &Path,
    offset: u64,
    head: &ReportHead,
    out: &mut dyn Write,
) -> io::Result<()> {
    let mut head_json = serde_json::to_vec_pretty(head)?;
    // Reopen the object to append the sends.
    while head_json
        .last()
        .is_some_and(|b| b.is_ascii_whitespace() || *b == b'}')
    {
        let b = head_json.pop();
        if b == Some(b'}') {
            break;
        }
    }
    out.write_all(&head_json)?;
    out.write_all(b",\n  \"sends\": [")?;
    let mut first = true;
    for_each_send(path, offset, head, |s| {
        out.write_all(if first { b"\n    " } else { b",\n    " })?;
        first = false;
        serde_json::to_writer(&mut *out, &s)?;
        Ok(())
    })?;
    out.write_all(if first { b"]\n}\n" } else { b"\n  ]\n}\n" })?;
    Ok(())
}

/// Calls `f` for each send record of the run at `offset`.
pub fn sends(
    path: &Path,
    offset: u64,
    head: &ReportHead,
    f: impl FnMut(SendRecord) -> io::Result<()>,
) -> io::Result<()> {
    for_each_send(path, offset, head, f).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sliding_window_peak() {
        let mut p = vec![0.0, 100.0, 999.0, 1000.0, 1500.0, 1999.0, 2100.0];
        assert_eq!(peak_in_window(&mut p, 1000.0), 3);
        let mut q = vec![0.0, 1.0, 2.0, 1001.0];
        assert_eq!(peak_in_window(&mut q, 1000.0), 3);
        assert_eq!(peak_in_window(&mut [], 1000.0), 0);
    }

    #[test]
    fn percentile_picks() {
        let mut v: Vec<f64> = (1..=100).map(f64::from).collect();
        let l = percentiles(&mut v).unwrap();
        assert_eq!((l.p50, l.p90, l.p99, l.max), (50.0, 90.0, 99.0, 100.0));
    }
}
