//! The scan: every send rendered once, in plan order, for ids, the hash,
//! the summary and the rendering diagnostics; its result, [`ScannedPlan`],
//! is what a run sends.

use super::ids::PlanHasher;
use super::parallel::GiveUps;
use super::planner::Planner;
use super::render::{RenderProblem, undefined_diagnostic};
use super::rendered::SendView;
use super::settings::estimate_seconds;
use super::*;
use crate::catalog::contract::{RoomCount, Violation, violation_diagnostic};
use crate::diag::Diagnostic;
use crate::playbook::model::Settings;
use crate::validate::CheckedPlaybook;
use indexmap::IndexMap;
use std::collections::HashSet;

/// Contract violations found while planning, keyed by (playbook, event,
/// attribute, definition attribute, code): how many rooms, the room named,
/// and its example.
pub(super) type ContractProblems =
    IndexMap<(usize, usize, usize, usize, &'static str), (usize, usize, Violation)>;

/// A plan that has been scanned: its overview (ids, hash, summary,
/// settings) and the planner that renders each room's sends again, on
/// demand, when the engine sends them. The only type with the per-room
/// sends: what a run runs.
pub struct ScannedPlan {
    /// The plan without its sends.
    pub overview: PlanOverview,
    planner: Planner,
}

impl ScannedPlan {
    /// The profile of each account the playbooks' `accounts` map, the first
    /// playbook that names an account deciding.
    pub fn account_profiles(&self) -> indexmap::IndexMap<String, String> {
        let mut out = indexmap::IndexMap::new();
        for pb in &self.planner.playbooks {
            for (account, profile) in &pb.accounts {
                out.entry(account.clone())
                    .or_insert_with(|| profile.clone());
            }
        }
        out
    }

    /// The rooms in plan order.
    pub fn rooms(&self) -> &[PlanRoom] {
        self.planner.rooms()
    }

    /// A room's parsed ARN (the room's first listing; every listing has the
    /// same ARN), without rendering its sends.
    pub fn room_arn(&self, room: &PlanRoom) -> &crate::service::arn::RoomArn {
        self.planner.room_arn(room)
    }

    /// One room's sends, in order, rendered again (identical to the scan's).
    pub fn room_sends(&self, room: &PlanRoom) -> Vec<PlannedSend> {
        self.planner.room_sends(room, None)
    }

    /// One room's sends in step `step` of the timeline, in order; only
    /// those are rendered.
    pub fn room_step_sends(&self, room: &PlanRoom, step: usize) -> Vec<PlannedSend> {
        self.planner.room_sends(room, Some(step))
    }

    /// Every send again, in plan order, rendered as the scan rendered them
    /// (on every core, renderings reused). Only meaningful for a plan whose
    /// scan had no errors.
    pub fn for_each_send(&self, mut f: impl FnMut(&SendView<'_>)) {
        let mut seq = 0;
        self.planner.render_all(true, |_, outcomes| {
            for o in outcomes {
                if let Ok(mut send) = o.result {
                    send.seq = seq;
                    seq += 1;
                    f(&send);
                }
            }
        });
    }

    /// The room a plan room stands for (where it is first listed).
    pub fn room_of(&self, room: &PlanRoom) -> &crate::playbook::rooms::Room {
        let (p, r) = room.first;
        &self.planner.playbooks[p as usize].rooms[r as usize]
    }

    /// The summary of the sends to the rooms in `arns` alone (a `--limit`),
    /// and those sends when `keep` (what `plan --limit` prints).
    pub fn limited(&self, arns: &HashSet<String>, keep: bool) -> (PlanSummary, Vec<PlannedSend>) {
        let mut summary = SummaryBuilder::default();
        let mut kept = Vec::new();
        for room in self.rooms() {
            if !arns.contains(&self.room_of(room).arn.arn) {
                continue;
            }
            for (i, send) in self.room_sends(room).into_iter().enumerate() {
                summary.add(SummaryItem::of_send(&send), i == 0);
                if keep {
                    kept.push(send);
                }
            }
        }
        (summary.finish(&self.overview.settings), kept)
    }
}

impl Planner {
    /// Renders every send once, in plan order, giving each to `sink`; returns
    /// the scanned plan and the rendering diagnostics (its sends are only
    /// safe to send when there are no errors among them).
    pub fn scan(
        mut self,
        flags: &SettingsOverrides,
        sink: impl FnMut(&SendView<'_>),
    ) -> (ScannedPlan, Vec<Diagnostic>) {
        let (overview, diags) = self.scan_all(flags, sink);
        (
            ScannedPlan {
                overview,
                planner: self,
            },
            diags,
        )
    }

    fn scan_all(
        &mut self,
        flags: &SettingsOverrides,
        mut sink: impl FnMut(&SendView<'_>),
    ) -> (PlanOverview, Vec<Diagnostic>) {
        let mut diags = std::mem::take(&mut self.compile_diagnostics);
        let mut hasher = PlanHasher::new();
        // What a lock pins is part of the plan, even where it adds no send.
        for pb in &self.playbooks {
            if let Some(d) = &pb.lock_digest {
                hasher.add(d);
            }
        }
        let mut summary = SummaryBuilder::default();
        let mut per_playbook = vec![0usize; self.playbooks.len()];
        let mut problems = Problems::default();
        let mut seq = 0usize;
        let mut first_seqs = Vec::with_capacity(self.rooms.len());
        let mut give_ups = GiveUps::default();
        let ids = self.ids;
        let mut steps = StepCounts::default();
        let planner = &*self;
        planner.render_all(ids, |at, outcomes| {
            debug_assert_eq!(at, first_seqs.len());
            first_seqs.push(seq);
            let first = seq;
            for mut o in outcomes {
                give_ups.apply(planner, &mut o);
                match o.result {
                    Ok(mut send) => {
                        send.seq = seq;
                        if ids {
                            hasher.add(send.id());
                        }
                        summary.add(SummaryItem::of_view(&send), seq == first);
                        if let Some(step) = send.step {
                            steps.add(SummaryItem::of_view(&send), step, at);
                        }
                        seq += 1;
                        per_playbook[o.pi] += 1;
                        sink(&send);
                    }
                    Err(ps) => {
                        for p in ps {
                            problems.add((o.pi, o.ei, o.ri, p));
                        }
                    }
                }
            }
        });
        for (room, first) in self.rooms.iter_mut().zip(first_seqs) {
            room.first_seq = first;
        }
        problems.diagnose(&self.playbooks, &mut diags);
        if let Some(s) = &self.scheduled {
            for line in s.hash_lines() {
                hasher.add(&line);
            }
        }
        let mut overview = self.overview(flags, hasher, summary, per_playbook);
        overview.timeline = self.scheduled.as_ref().map(|s| {
            let totals = steps.finish(&overview.settings);
            s.finish(totals, &overview.settings, &mut diags)
        });
        (overview, diags)
    }

    /// The plan's overview, from what the scan counted.
    fn overview(
        &self,
        flags: &SettingsOverrides,
        hasher: PlanHasher,
        summary: SummaryBuilder,
        per_playbook: Vec<usize>,
    ) -> PlanOverview {
        let settings_refs: Vec<&Settings> = self.playbooks.iter().map(|p| &p.settings).collect();
        let settings = EffectiveSettings::resolve(&settings_refs, flags);
        PlanOverview {
            plan_hash: if self.ids {
                hasher.finish()
            } else {
                String::new()
            },
            playbooks: self
                .playbooks
                .iter()
                .zip(per_playbook)
                .map(|(pb, sends)| PlanPlaybook {
                    name: pb.name.clone(),
                    path: pb.path.display().to_string(),
                    rooms: pb.rooms.len(),
                    events: pb.events.len(),
                    sends,
                })
                .collect(),
            summary: summary.finish(&settings),
            settings,
            timeline: None,
        }
    }
}

/// Rendering problems, aggregated per event so one mistake is one
/// diagnostic however many rooms it breaks.
#[derive(Default)]
struct Problems {
    /// (playbook, event, attribute, name): rooms where the name is
    /// undefined, and the first of them.
    undefined: IndexMap<(usize, usize, usize, String), (usize, usize)>,
    /// (playbook, event, attribute): the first error and its room.
    failed: IndexMap<(usize, usize, usize), (String, usize)>,
    /// (playbook, event): rooms over the limit, and the largest send's
    /// bytes, room and largest attribute.
    oversize: IndexMap<(usize, usize), (usize, usize, usize, usize)>,
    /// Contract violations per event, attribute and rule: rooms that break
    /// it, the room named, and its example.
    broken: ContractProblems,
}

impl Problems {
    /// One room's problem with one event.
    fn add(&mut self, (pi, ei, ri, p): (usize, usize, usize, RenderProblem)) {
        match p {
            RenderProblem::Undefined { attr, names } => {
                for n in names {
                    self.undefined.entry((pi, ei, attr, n)).or_insert((0, ri)).0 += 1;
                }
            }
            RenderProblem::Failed { attr, message, .. } => {
                self.failed.entry((pi, ei, attr)).or_insert((message, ri));
            }
            RenderProblem::TooLarge {
                bytes,
                largest_attr,
            } => {
                let e = self
                    .oversize
                    .entry((pi, ei))
                    .or_insert((0, 0, ri, largest_attr));
                e.0 += 1;
                if bytes > e.1 {
                    e.1 = bytes;
                    e.2 = ri;
                    e.3 = largest_attr;
                }
            }
            RenderProblem::Contract(violations) => {
                for (ai, di, v) in violations {
                    self.add_violation((pi, ei, ai, di, v.code()), ri, v);
                }
            }
        }
    }

    /// Counts a room breaking a rule, keeping the worst example as the one
    /// named.
    fn add_violation(
        &mut self,
        key: (usize, usize, usize, usize, &'static str),
        ri: usize,
        v: Violation,
    ) {
        match self.broken.entry(key) {
            indexmap::map::Entry::Vacant(e) => {
                e.insert((1, ri, v));
            }
            indexmap::map::Entry::Occupied(mut e) => {
                let e = e.get_mut();
                e.0 += 1;
                if v.worse_than(&e.2) {
                    e.1 = ri;
                    e.2 = v;
                }
            }
        }
    }

    /// The diagnostics, family by family: undefined names, template errors,
    /// oversize sends, contract violations.
    fn diagnose(self, playbooks: &[CheckedPlaybook], diags: &mut Vec<Diagnostic>) {
        for ((pi, ei, ai, name), (count, first_room)) in self.undefined {
            let pb = &playbooks[pi];
            diags.push(undefined_diagnostic(
                pb,
                &pb.events[ei],
                ai,
                &name,
                count,
                first_room,
            ));
        }
        for ((pi, ei, ai), (message, first_room)) in self.failed {
            diags.push(template_error(&playbooks[pi], ei, ai, &message, first_room));
        }
        for ((pi, ei), (count, bytes, ri, ai)) in self.oversize {
            diags.push(oversize(&playbooks[pi], ei, count, bytes, ri, ai));
        }
        for ((pi, ei, ai, di, _), (count, ri, v)) in self.broken {
            diags.extend(contract_diagnostic(
                &playbooks[pi],
                ei,
                ai,
                di,
                count,
                ri,
                &v,
            ));
        }
    }
}

/// An attribute whose template fails for a room.
fn template_error(
    pb: &CheckedPlaybook,
    ei: usize,
    ai: usize,
    message: &str,
    first_room: usize,
) -> Diagnostic {
    let a = &pb.events[ei].attributes[ai];
    let d = Diagnostic::error(
        "playbook::template-error",
        format!(
            "attribute `{}` cannot be rendered for room `{}`: {message}",
            a.key,
            pb.rooms[first_room].display_name()
        ),
    )
    .at(Some(a.at));
    match super::planner::template_hint(message) {
        Some(h) => d.hint(h),
        None => d,
    }
}

/// An event whose rendered attributes are over the service's limit for
/// `count` rooms, shown at the largest one's largest attribute.
fn oversize(
    pb: &CheckedPlaybook,
    ei: usize,
    count: usize,
    bytes: usize,
    ri: usize,
    ai: usize,
) -> Diagnostic {
    let ev = &pb.events[ei];
    let total = ev.rooms.len();
    let others = if count > 1 {
        format!(" ({count} of {total} rooms are over; this is the largest)")
    } else {
        String::new()
    };
    let mut d =
        crate::service::request::attributes_too_large(&ev.name, bytes, pb.rooms[ri].display_name());
    d.message.push_str(&others);
    d.at(Some(ev.attributes[ai].at)).hint(
        "keys plus values may total 1024 bytes of UTF-8 after rendering; shorten the largest value (marked)",
    )
}

/// A rule of the event's definition broken for `count` rooms; `None` when
/// the event has no such definition attribute.
fn contract_diagnostic(
    pb: &CheckedPlaybook,
    ei: usize,
    ai: usize,
    di: usize,
    count: usize,
    ri: usize,
    v: &Violation,
) -> Option<Diagnostic> {
    let ev = &pb.events[ei];
    let c = ev.contract.as_ref()?;
    let (_, attr) = c.definition.attributes.get_index(di)?;
    let rooms = RoomCount {
        room: pb.rooms[ri].display_name(),
        count,
        total: ev.rooms.len(),
    };
    Some(violation_diagnostic(
        &c.definition,
        attr,
        v,
        Some(rooms),
        ev.attributes[ai].at,
    ))
}

/// What the summary reads of one send.
pub(super) struct SummaryItem<'a> {
    id: &'a str,
    room_arn: &'a str,
    room_name: &'a str,
    event_name: &'a str,
    region: &'a str,
    account: &'a str,
    bytes: usize,
}

impl<'a> SummaryItem<'a> {
    pub(super) fn of_send(s: &'a PlannedSend) -> Self {
        SummaryItem {
            id: &s.id,
            room_arn: &s.room_arn,
            room_name: &s.room_name,
            event_name: &s.event_name,
            region: &s.region,
            account: &s.account,
            bytes: s.bytes,
        }
    }

    fn of_view(s: &'a SendView<'_>) -> Self {
        SummaryItem {
            id: s.id(),
            room_arn: &s.room.arn.arn,
            room_name: s.room.display_name(),
            event_name: &s.ev.name,
            region: &s.room.arn.region,
            account: &s.room.arn.account,
            bytes: s.bytes,
        }
    }
}

/// The summary of each step of a timeline, one send at a time.
#[derive(Default)]
struct StepCounts {
    /// `[step]`: its summary so far, and the plan room of its last send
    /// (sends come room by room).
    steps: Vec<(SummaryBuilder, Option<usize>)>,
}

impl StepCounts {
    /// Counts a send of step `step`, to the plan room `room`.
    fn add(&mut self, send: SummaryItem<'_>, step: usize, room: usize) {
        if self.steps.len() <= step {
            self.steps.resize_with(step + 1, Default::default);
        }
        let (summary, last_room) = &mut self.steps[step];
        summary.add(send, *last_room != Some(room));
        *last_room = Some(room);
    }

    fn finish(self, settings: &EffectiveSettings) -> Vec<PlanSummary> {
        self.steps
            .into_iter()
            .map(|(s, _)| s.finish(settings))
            .collect()
    }
}

/// Accumulates the summary one send at a time.
#[derive(Default)]
pub(super) struct SummaryBuilder {
    pub(super) groups: IndexMap<(String, String), (usize, usize)>,
    /// Index of the group of the previous send: sends come room by room, so
    /// most sends reuse it without building a key.
    pub(super) last: Option<usize>,
    pub(super) largest: Option<Payload>,
    pub(super) total_bytes: u64,
    pub(super) sends: usize,
    pub(super) rooms: usize,
}

impl SummaryBuilder {
    pub(super) fn add(&mut self, s: SummaryItem<'_>, first_of_room: bool) {
        let same = self
            .last
            .and_then(|i| self.groups.get_index(i))
            .is_some_and(|((a, r), _)| *a == s.account && *r == s.region);
        if !same {
            let entry = self
                .groups
                .entry((s.account.to_string(), s.region.to_string()));
            self.last = Some(entry.index());
            entry.or_default();
        }
        let (_, g) = self
            .groups
            .get_index_mut(self.last.expect("set above"))
            .expect("group exists");
        g.0 += 1;
        if first_of_room {
            g.1 += 1;
            self.rooms += 1;
        }
        self.sends += 1;
        self.total_bytes += s.bytes as u64;
        if self.largest.as_ref().is_none_or(|l| s.bytes > l.bytes) {
            self.largest = Some(Payload {
                send_id: s.id.to_string(),
                room_arn: s.room_arn.to_string(),
                room_name: s.room_name.to_string(),
                event_name: s.event_name.to_string(),
                bytes: s.bytes,
            });
        }
    }

    pub(super) fn finish(self, settings: &EffectiveSettings) -> PlanSummary {
        let mut regions: Vec<RegionSummary> = self
            .groups
            .into_iter()
            .map(|((account, region), (sends, rooms))| RegionSummary {
                account,
                region,
                rooms,
                sends,
                estimated_seconds: estimate_seconds(sends, settings),
            })
            .collect();
        regions.sort_by(|a, b| (&a.account, &a.region).cmp(&(&b.account, &b.region)));
        let estimated_seconds = regions
            .iter()
            .map(|r| r.estimated_seconds)
            .fold(0.0, f64::max);
        PlanSummary {
            sends: self.sends,
            rooms: self.rooms,
            regions,
            estimated_seconds,
            largest_payload: self.largest,
            total_bytes: self.total_bytes,
        }
    }
}
