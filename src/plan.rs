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

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::Arc;

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::catalog::contract::{RoomCount, Violation, check_value, violation_diagnostic};
use crate::diag::{Diagnostic, Location};
use crate::playbook::model::{ATTRIBUTES_MAX_BYTES, SEND_EVENT_QUOTA_TPS, Settings};
use crate::playbook::template::{self, Context, EventScope, GlobalScope, RoomScope};
use crate::validate::{Room, ValidPlaybook};

/// Default sends per second per account and region: half the SendEvent
/// quota, leaving the other half to chat moderation bots and anything else
/// that sends in the same account.
pub const DEFAULT_RATE: f64 = 50.0;
/// Default burst after an idle moment.
pub const DEFAULT_BURST: u32 = 5;
/// Default sends in flight.
pub const DEFAULT_CONCURRENCY: u32 = 32;
/// Default attempts per send.
pub const DEFAULT_MAX_ATTEMPTS: u32 = 5;
/// Default time per attempt, in milliseconds.
pub const DEFAULT_TIMEOUT_MS: u64 = 10_000;

/// Everything a run would send.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "ivschat-playbook plan")]
pub struct Plan {
    /// Format version of this document.
    pub format_version: u32,
    /// `sha256:` of the ordered send ids. A run resumed from a report or
    /// journal checks it to make sure it continues the same plan.
    pub plan_hash: String,
    /// The playbooks in the plan, in the order given.
    pub playbooks: Vec<PlanPlaybook>,
    /// Settings in effect: playbook settings, overridden by flags.
    pub settings: EffectiveSettings,
    /// Totals.
    pub summary: PlanSummary,
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

/// The settings a run uses.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EffectiveSettings {
    /// Sends per second per account and region.
    pub rate: f64,
    /// Burst per account and region.
    pub burst: u32,
    /// Most sends in flight.
    pub concurrency: u32,
    /// Attempts per send.
    pub max_attempts: u32,
    /// Time per attempt, in milliseconds.
    pub timeout_ms: u64,
}

/// Settings given on the command line; each overrides the playbooks'.
#[derive(Debug, Clone, Default)]
pub struct SettingsOverrides {
    /// `--rate`.
    pub rate: Option<f64>,
    /// `--burst`.
    pub burst: Option<u32>,
    /// `--concurrency`.
    pub concurrency: Option<u32>,
    /// `--max-attempts`.
    pub max_attempts: Option<u32>,
    /// `--timeout`, in milliseconds.
    pub timeout_ms: Option<u64>,
}

impl EffectiveSettings {
    /// Combines playbook settings and flags. When several playbooks run
    /// together and disagree, the most careful value wins: the lowest rate,
    /// burst, concurrency and attempts, and the longest timeout.
    pub fn resolve(settings: &[&Settings], flags: &SettingsOverrides) -> Self {
        fn min_of<T: PartialOrd + Copy>(it: impl Iterator<Item = T>) -> Option<T> {
            it.fold(None, |acc, v| match acc {
                Some(a) if a <= v => Some(a),
                _ => Some(v),
            })
        }
        let rate = flags
            .rate
            .or_else(|| min_of(settings.iter().filter_map(|s| s.rate)))
            .unwrap_or(DEFAULT_RATE)
            .min(f64::from(SEND_EVENT_QUOTA_TPS));
        let burst = flags
            .burst
            .or_else(|| min_of(settings.iter().filter_map(|s| s.burst)))
            .unwrap_or(DEFAULT_BURST);
        let concurrency = flags
            .concurrency
            .or_else(|| min_of(settings.iter().filter_map(|s| s.concurrency)))
            .unwrap_or(DEFAULT_CONCURRENCY);
        let max_attempts = flags
            .max_attempts
            .or_else(|| min_of(settings.iter().filter_map(|s| s.max_attempts)))
            .unwrap_or(DEFAULT_MAX_ATTEMPTS);
        let timeout_ms = flags
            .timeout_ms
            .or_else(|| {
                settings
                    .iter()
                    .filter_map(|s| s.timeout.as_ref().and_then(|t| t.parse()))
                    .map(|d| d.as_millis() as u64)
                    .max()
            })
            .unwrap_or(DEFAULT_TIMEOUT_MS);
        EffectiveSettings {
            rate,
            burst,
            concurrency,
            max_attempts,
            timeout_ms,
        }
    }
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
}

/// Size of attributes as the service counts it.
pub fn attributes_bytes<'a>(attrs: impl IntoIterator<Item = (&'a String, &'a String)>) -> usize {
    attrs.into_iter().map(|(k, v)| k.len() + v.len()).sum()
}

/// The content hash behind a send id.
fn content_hash(
    room_arn: &str,
    event_name: &str,
    attributes: &IndexMap<String, String>,
) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(room_arn.as_bytes());
    h.update([0]);
    h.update(event_name.as_bytes());
    h.update([0]);
    for (k, v) in attributes {
        h.update((k.len() as u64).to_le_bytes());
        h.update(k.as_bytes());
        h.update((v.len() as u64).to_le_bytes());
        h.update(v.as_bytes());
    }
    h.finalize().into()
}

/// A send id: the content hash with the occurrence number, shortened to 16
/// hex digits (64 bits; a collision among a million sends has odds of about
/// 1 in 30 million, and is detected).
fn send_id(content: &[u8; 32], occurrence: u32) -> String {
    let mut h = Sha256::new();
    h.update(content);
    h.update(occurrence.to_le_bytes());
    let d = h.finalize();
    hex::encode(&d[..8])
}

/// The plan hash: the ordered send ids.
pub fn plan_hash(sends: &[PlannedSend]) -> String {
    let mut h = Sha256::new();
    h.update(b"ivschat-playbook plan v1\n");
    for s in sends {
        h.update(s.id.as_bytes());
        h.update(b"\n");
    }
    format!("sha256:{}", hex::encode(h.finalize()))
}

/// One room's place in the plan: where it is listed (a room may be in
/// several playbooks given together; its sends keep playbook order). Small
/// and without allocations of its own, since a plan may have 100,000.
#[derive(Debug, Clone)]
pub struct PlanRoom {
    /// (playbook, room) indices where the room is first listed.
    first: (u32, u32),
    /// Where else it is listed, in playbook order (usually nowhere).
    more: Vec<(u32, u32)>,
    /// `seq` of the room's first send, filled by [`Planner::scan`].
    first_seq: usize,
}

impl PlanRoom {
    /// (playbook, room) indices of every listing, in playbook order.
    fn members(&self) -> impl Iterator<Item = (usize, usize)> + '_ {
        std::iter::once(self.first)
            .chain(self.more.iter().copied())
            .map(|(p, r)| (p as usize, r as usize))
    }
}

/// An attribute template compiled into the planner's environment.
#[derive(Debug)]
struct CompiledAttr {
    /// Template name in the environment.
    name: String,
    /// Names the template reads that exist in no layer but a room's `vars`:
    /// each room must define them.
    room_reads: Vec<String>,
    /// Names that resolve nowhere, whatever the room (`room.nmae`).
    missing: Vec<String>,
}

/// The compiled templates of every attribute, borrowed from the planner's
/// environment for one rendering pass.
type Templates<'e> = Vec<Vec<Vec<Option<minijinja::Template<'e, 'e>>>>>;

/// Renders sends room by room, on demand.
///
/// The plan is sent room by room (events to one room in playbook order, rooms
/// in parallel), and [`Planner::room_sends`] renders exactly one room's
/// sends. A run never holds every rendered send at once, so memory grows
/// with rooms and events, not with their product. [`Planner::scan`] renders
/// everything once to compute ids, the hash, the summary and the rendering
/// diagnostics.
pub struct Planner<'a> {
    playbooks: &'a [ValidPlaybook],
    env: minijinja::Environment<'static>,
    /// `[playbook][event][attribute]`; `None` for plain strings.
    compiled: Vec<Vec<Vec<Option<CompiledAttr>>>>,
    /// `[playbook][event]`: an attribute failed to compile.
    broken: Vec<Vec<bool>>,
    /// `[playbook][event]`: which of the playbook's rooms get the event.
    targets: Vec<Vec<Vec<bool>>>,
    globals: Vec<Arc<GlobalScope>>,
    events: Vec<Vec<Arc<EventScope>>>,
    rooms: Vec<PlanRoom>,
    compile_diagnostics: Vec<Diagnostic>,
}

/// Contract violations found while planning, keyed by (playbook, event,
/// attribute, definition attribute, code): how many rooms, the room named,
/// and its example.
type ContractProblems =
    IndexMap<(usize, usize, usize, usize, &'static str), (usize, usize, Violation)>;

/// Why one send could not be rendered.
#[derive(Debug)]
enum RenderProblem {
    Undefined {
        attr: usize,
        names: Vec<String>,
    },
    Failed {
        attr: usize,
        message: String,
    },
    TooLarge {
        bytes: usize,
        largest_attr: usize,
    },
    /// Rendered values that break the event's definition: (attribute,
    /// definition attribute, rule).
    Contract(Vec<(usize, usize, Violation)>),
}

impl<'a> Planner<'a> {
    /// Prepares templates, scopes and targets.
    pub fn new(playbooks: &'a [ValidPlaybook], cli_vars: &IndexMap<String, String>) -> Self {
        let mut env = template::environment();
        let cli: IndexMap<String, minijinja::Value> = cli_vars
            .iter()
            .map(|(k, v)| (k.clone(), minijinja::Value::from(v.as_str())))
            .collect();
        let mut compiled = Vec::new();
        let mut broken = Vec::new();
        let mut targets = Vec::new();
        let mut globals = Vec::new();
        let mut events = Vec::new();
        let mut compile_diagnostics = Vec::new();
        let mut rooms: Vec<PlanRoom> = Vec::new();
        let mut room_index: HashMap<&str, usize> = HashMap::new();
        for (pi, pb) in playbooks.iter().enumerate() {
            globals.push(Arc::new(GlobalScope {
                cli: cli.clone(),
                playbook: template::var_values(&pb.vars),
                builtin: template::playbook_builtin(&pb.name),
            }));
            for (ri, room) in pb.rooms.iter().enumerate() {
                let member = (pi as u32, ri as u32);
                match room_index.entry(room.arn.arn.as_str()) {
                    std::collections::hash_map::Entry::Occupied(e) => {
                        rooms[*e.get()].more.push(member)
                    }
                    std::collections::hash_map::Entry::Vacant(e) => {
                        e.insert(rooms.len());
                        rooms.push(PlanRoom {
                            first: member,
                            more: Vec::new(),
                            first_seq: 0,
                        });
                    }
                }
            }
            let mut pb_compiled = Vec::new();
            let mut pb_broken = Vec::new();
            let mut pb_targets = Vec::new();
            let mut pb_events = Vec::new();
            for (ei, ev) in pb.events.iter().enumerate() {
                pb_events.push(Arc::new(EventScope {
                    vars: template::var_values(&ev.vars),
                    builtin: template::event_builtin(&ev.name),
                }));
                let mut set = vec![false; pb.rooms.len()];
                for &r in &ev.rooms {
                    set[r] = true;
                }
                pb_targets.push(set);
                let mut attrs = Vec::new();
                let mut is_broken = false;
                for (ai, a) in ev.attributes.iter().enumerate() {
                    if a.literal || !template::is_template(&a.template) {
                        attrs.push(None);
                        continue;
                    }
                    let name = format!("p{pi}/e{ei}/a{ai}");
                    match env.add_template_owned(name.clone(), a.template.clone()) {
                        Ok(()) => {
                            let t = env.get_template(&name).expect("template was just added");
                            // Global functions such as `range` are not variables.
                            let mut reads: Vec<String> = t
                                .undeclared_variables(true)
                                .into_iter()
                                .filter(|n| {
                                    let root = n.split('.').next().unwrap_or(n);
                                    env.globals().all(|(g, _)| g != root)
                                })
                                .collect();
                            reads.sort();
                            // Whether a name exists depends on the room only
                            // through the room's `vars`; decide the rest now.
                            let probe = Context {
                                global: globals[pi].clone(),
                                event: pb_events[ei].clone(),
                                room: Arc::new(RoomScope {
                                    vars: IndexMap::new(),
                                    builtin: template::room_builtin("", "", "", "", "", &[]),
                                }),
                            };
                            let mut room_reads = Vec::new();
                            let mut missing = Vec::new();
                            for n in reads {
                                if probe.resolves(&n) {
                                    continue;
                                }
                                if n.contains('.')
                                    || template::BUILTIN_NAMES
                                        .contains(&n.split('.').next().unwrap_or(&n))
                                {
                                    missing.push(n);
                                } else {
                                    room_reads.push(n);
                                }
                            }
                            attrs.push(Some(CompiledAttr {
                                name,
                                room_reads,
                                missing,
                            }));
                        }
                        Err(e) => {
                            is_broken = true;
                            compile_diagnostics.push(template_error(&a.key, &e, a.at));
                            attrs.push(None);
                        }
                    }
                }
                pb_compiled.push(attrs);
                pb_broken.push(is_broken);
            }
            compiled.push(pb_compiled);
            broken.push(pb_broken);
            targets.push(pb_targets);
            events.push(pb_events);
        }
        Planner {
            playbooks,
            env,
            compiled,
            broken,
            targets,
            globals,
            events,
            rooms,
            compile_diagnostics,
        }
    }

    /// The rooms in plan order.
    pub fn rooms(&self) -> &[PlanRoom] {
        &self.rooms
    }

    /// Renders one room's sends, in order. Only meaningful after a
    /// [`Planner::scan`] without errors (which also fixes each send's `seq`).
    pub fn room_sends(&self, room: &PlanRoom) -> Vec<PlannedSend> {
        let mut out = Vec::new();
        let templates = self.templates();
        self.render_room(&templates, room, |r| {
            if let Ok((_, s)) = r {
                out.push(s);
            }
        });
        out
    }

    fn templates(&self) -> Templates<'_> {
        self.compiled
            .iter()
            .map(|events| {
                events
                    .iter()
                    .map(|attrs| {
                        attrs
                            .iter()
                            .map(|c| {
                                c.as_ref().map(|c| {
                                    self.env
                                        .get_template(&c.name)
                                        .expect("compiled template exists")
                                })
                            })
                            .collect()
                    })
                    .collect()
            })
            .collect()
    }

    fn render_room(
        &self,
        templates: &Templates<'_>,
        room: &PlanRoom,
        mut sink: impl FnMut(Result<(usize, PlannedSend), (usize, usize, usize, RenderProblem)>),
    ) {
        let mut occurrences: HashMap<[u8; 32], u32> = HashMap::new();
        let mut seq = room.first_seq;
        for (pi, ri) in room.members() {
            let pb = &self.playbooks[pi];
            let r = &pb.rooms[ri];
            let scope = room_scope(r);
            for (ei, ev) in pb.events.iter().enumerate() {
                if !self.targets[pi][ei][ri] || self.broken[pi][ei] {
                    continue;
                }
                let ctx = Context {
                    global: self.globals[pi].clone(),
                    event: self.events[pi][ei].clone(),
                    room: scope.clone(),
                };
                match self.render_one(pi, ei, &ctx, r, &templates[pi][ei]) {
                    Err(p) => sink(Err((pi, ei, ri, p))),
                    Ok((attributes, bytes)) => {
                        let content = content_hash(&r.arn.arn, &ev.name, &attributes);
                        let occ = occurrences.entry(content).or_insert(0);
                        let id = send_id(&content, *occ);
                        *occ += 1;
                        sink(Ok((
                            pi,
                            PlannedSend {
                                id,
                                seq,
                                playbook: pb.name.clone(),
                                event_index: ev.index,
                                event_name: ev.name.clone(),
                                room_arn: r.arn.arn.clone(),
                                room_name: r.display_name().to_string(),
                                region: r.arn.region.clone(),
                                account: r.arn.account.clone(),
                                attributes,
                                bytes,
                            },
                        )));
                        seq += 1;
                    }
                }
            }
        }
    }

    fn render_one(
        &self,
        pi: usize,
        ei: usize,
        ctx: &Context,
        room: &Room,
        templates: &[Option<minijinja::Template<'_, '_>>],
    ) -> Result<(IndexMap<String, String>, usize), RenderProblem> {
        let ev = &self.playbooks[pi].events[ei];
        let compiled = &self.compiled[pi][ei];
        for (ai, c) in compiled.iter().enumerate() {
            if let Some(c) = c {
                let missing: Vec<String> = c
                    .missing
                    .iter()
                    .chain(
                        c.room_reads
                            .iter()
                            .filter(|n| !room.vars.contains_key(n.as_str())),
                    )
                    .cloned()
                    .collect();
                if !missing.is_empty() {
                    return Err(RenderProblem::Undefined {
                        attr: ai,
                        names: missing,
                    });
                }
            }
        }
        let ctx_value = ctx.to_value();
        let mut attributes = IndexMap::with_capacity(ev.attributes.len());
        let mut largest = (0usize, 0usize);
        for (ai, (a, t)) in ev.attributes.iter().zip(templates).enumerate() {
            let value = match t {
                None => a.template.clone(),
                Some(t) => t.render(&ctx_value).map_err(|e| RenderProblem::Failed {
                    attr: ai,
                    message: render_message(&e),
                })?,
            };
            let size = a.key.len() + value.len();
            if size > largest.0 {
                largest = (size, ai);
            }
            attributes.insert(a.key.clone(), value);
        }
        let bytes = attributes_bytes(&attributes);
        if bytes > ATTRIBUTES_MAX_BYTES {
            return Err(RenderProblem::TooLarge {
                bytes,
                largest_attr: largest.1,
            });
        }
        if let Some(c) = &ev.contract
            && !c.room_checks.is_empty()
        {
            let mut violations = Vec::new();
            let mut found = Vec::new();
            for &(ai, di) in &c.room_checks {
                let (Some((_, value)), Some((_, attr))) = (
                    attributes.get_index(ai),
                    c.definition.attributes.get_index(di),
                ) else {
                    continue;
                };
                check_value(attr, value, &mut found);
                violations.extend(found.drain(..).map(|v| (ai, di, v)));
            }
            if !violations.is_empty() {
                return Err(RenderProblem::Contract(violations));
            }
        }
        Ok((attributes, bytes))
    }

    /// Renders every send once, in plan order, giving each to `sink`; returns
    /// the plan without its sends, and the rendering diagnostics.
    pub fn scan(
        &mut self,
        flags: &SettingsOverrides,
        mut sink: impl FnMut(PlannedSend),
    ) -> (PlanOverview, Vec<Diagnostic>) {
        let mut diags = std::mem::take(&mut self.compile_diagnostics);
        let mut hasher = PlanHasher::new();
        let mut summary = SummaryBuilder::default();
        let mut per_playbook = vec![0usize; self.playbooks.len()];
        // Problems, aggregated per event so one mistake is one diagnostic.
        let mut undefined: IndexMap<(usize, usize, usize, String), (usize, usize)> =
            IndexMap::new();
        let mut failed: IndexMap<(usize, usize, usize), (String, usize)> = IndexMap::new();
        let mut oversize: IndexMap<(usize, usize), (usize, usize, usize, usize)> = IndexMap::new();
        // Contract violations per event, attribute and rule: rooms that
        // break it, the room named, and its example.
        let mut broken: ContractProblems = IndexMap::new();
        let mut seq = 0usize;
        let mut rooms = std::mem::take(&mut self.rooms);
        let templates = self.templates();
        for room in rooms.iter_mut() {
            room.first_seq = seq;
            let mut room_sends = 0usize;
            self.render_room(&templates, room, |r| match r {
                Ok((pi, send)) => {
                    hasher.add(&send.id);
                    summary.add(&send, room_sends == 0);
                    room_sends += 1;
                    per_playbook[pi] += 1;
                    sink(send);
                }
                Err((pi, ei, ri, p)) => match p {
                    RenderProblem::Undefined { attr, names } => {
                        for n in names {
                            undefined.entry((pi, ei, attr, n)).or_insert((0, ri)).0 += 1;
                        }
                    }
                    RenderProblem::Failed { attr, message } => {
                        failed.entry((pi, ei, attr)).or_insert((message, ri));
                    }
                    RenderProblem::TooLarge {
                        bytes,
                        largest_attr,
                    } => {
                        let e = oversize.entry((pi, ei)).or_insert((0, 0, ri, largest_attr));
                        e.0 += 1;
                        if bytes > e.1 {
                            e.1 = bytes;
                            e.2 = ri;
                            e.3 = largest_attr;
                        }
                    }
                    RenderProblem::Contract(violations) => {
                        for (ai, di, v) in violations {
                            match broken.entry((pi, ei, ai, di, v.code())) {
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
                    }
                },
            });
            seq += room_sends;
        }
        drop(templates);
        self.rooms = rooms;

        for ((pi, ei, ai, name), (count, first_room)) in undefined {
            let pb = &self.playbooks[pi];
            diags.push(undefined_diagnostic(
                pb,
                &pb.events[ei],
                ai,
                &name,
                count,
                first_room,
            ));
        }
        for ((pi, ei, ai), (message, first_room)) in failed {
            let pb = &self.playbooks[pi];
            let a = &pb.events[ei].attributes[ai];
            diags.push(
                Diagnostic::error(
                    "playbook::template-error",
                    format!(
                        "attribute `{}` cannot be rendered for room `{}`: {message}",
                        a.key,
                        pb.rooms[first_room].display_name()
                    ),
                )
                .at(Some(a.at)),
            );
        }
        for ((pi, ei), (count, bytes, ri, ai)) in oversize {
            let pb = &self.playbooks[pi];
            let ev = &pb.events[ei];
            let total = ev.rooms.len();
            let others = if count > 1 {
                format!(" ({count} of {total} rooms are over; this is the largest)")
            } else {
                String::new()
            };
            let mut d =
                crate::request::attributes_too_large(&ev.name, bytes, pb.rooms[ri].display_name());
            d.message.push_str(&others);
            diags.push(d.at(Some(ev.attributes[ai].at)).hint(
                "keys plus values may total 1024 bytes of UTF-8 after rendering; shorten the largest value (marked)",
            ));
        }

        for ((pi, ei, ai, di, _), (count, ri, v)) in broken {
            let pb = &self.playbooks[pi];
            let ev = &pb.events[ei];
            let Some(c) = &ev.contract else { continue };
            let Some((_, attr)) = c.definition.attributes.get_index(di) else {
                continue;
            };
            let rooms = RoomCount {
                room: pb.rooms[ri].display_name(),
                count,
                total: ev.rooms.len(),
            };
            diags.push(violation_diagnostic(
                &c.definition,
                attr,
                &v,
                Some(rooms),
                ev.attributes[ai].at,
            ));
        }

        let settings_refs: Vec<&Settings> = self.playbooks.iter().map(|p| &p.settings).collect();
        let settings = EffectiveSettings::resolve(&settings_refs, flags);
        let overview = PlanOverview {
            plan_hash: hasher.finish(),
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
        };
        (overview, diags)
    }
}

/// A plan without its sends: what a run needs up front.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanOverview {
    /// See [`Plan::plan_hash`].
    pub plan_hash: String,
    /// See [`Plan::playbooks`].
    pub playbooks: Vec<PlanPlaybook>,
    /// See [`Plan::settings`].
    pub settings: EffectiveSettings,
    /// See [`Plan::summary`].
    pub summary: PlanSummary,
}

impl Plan {
    /// Joins an overview and its sends.
    pub fn from_parts(o: PlanOverview, sends: Vec<PlannedSend>) -> Plan {
        Plan {
            format_version: 1,
            plan_hash: o.plan_hash,
            playbooks: o.playbooks,
            settings: o.settings,
            summary: o.summary,
            sends,
        }
    }
}

/// Builds the whole plan in memory, for `plan` and tests. Rendering problems
/// are returned as diagnostics; sends that could not be rendered are left
/// out, so a plan with errors among the diagnostics must not be run.
pub fn build(
    playbooks: &[ValidPlaybook],
    cli_vars: &IndexMap<String, String>,
    flags: &SettingsOverrides,
) -> (Plan, Vec<Diagnostic>) {
    let mut planner = Planner::new(playbooks, cli_vars);
    let mut sends = Vec::new();
    let (overview, diags) = planner.scan(flags, |s| sends.push(s));
    (Plan::from_parts(overview, sends), diags)
}

/// Computes the plan hash incrementally.
struct PlanHasher(Sha256);

impl PlanHasher {
    fn new() -> Self {
        let mut h = Sha256::new();
        h.update(b"ivschat-playbook plan v1\n");
        PlanHasher(h)
    }
    fn add(&mut self, id: &str) {
        self.0.update(id.as_bytes());
        self.0.update(b"\n");
    }
    fn finish(self) -> String {
        format!("sha256:{}", hex::encode(self.0.finalize()))
    }
}

/// Accumulates the summary one send at a time.
#[derive(Default)]
struct SummaryBuilder {
    groups: IndexMap<(String, String), (usize, usize)>,
    /// Index of the group of the previous send: sends come room by room, so
    /// most sends reuse it without building a key.
    last: Option<usize>,
    largest: Option<Payload>,
    total_bytes: u64,
    sends: usize,
    rooms: usize,
}

impl SummaryBuilder {
    fn add(&mut self, s: &PlannedSend, first_of_room: bool) {
        let same = self
            .last
            .and_then(|i| self.groups.get_index(i))
            .is_some_and(|((a, r), _)| *a == s.account && *r == s.region);
        if !same {
            let entry = self.groups.entry((s.account.clone(), s.region.clone()));
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
                send_id: s.id.clone(),
                room_arn: s.room_arn.clone(),
                room_name: s.room_name.clone(),
                event_name: s.event_name.clone(),
                bytes: s.bytes,
            });
        }
    }

    fn finish(self, settings: &EffectiveSettings) -> PlanSummary {
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

fn undefined_diagnostic(
    pb: &ValidPlaybook,
    ev: &crate::validate::EventSpec,
    ai: usize,
    name: &str,
    count: usize,
    first_room: usize,
) -> Diagnostic {
    let a = &ev.attributes[ai];
    let total = ev.rooms.len();
    let scope = if count == total {
        String::new()
    } else {
        format!(
            " for {count} of {total} rooms, such as `{}`",
            pb.rooms[first_room].display_name()
        )
    };
    let root = name.split('.').next().unwrap_or(name);
    let known = known_var_names(pb);
    let known: Vec<&str> = known.iter().map(String::as_str).collect();
    let hint = match crate::validate::did_you_mean(root, &known) {
        Some(s) if s != root => format!("did you mean `{s}`?"),
        _ if name.contains('.') => {
            "built-ins: room.name, room.arn, room.region, room.id, room.account, room.tags, event.name, playbook.name".to_string()
        }
        _ => format!("define `{root}` under `vars` (of the playbook, the room or the event) or pass `--var {root}=...`"),
    };
    Diagnostic::error(
        "playbook::undefined-variable",
        format!(
            "undefined variable `{name}` in attribute `{}`{scope}",
            a.key
        ),
    )
    .at(Some(a.at))
    .hint(hint)
}

fn room_scope(room: &Room) -> Arc<RoomScope> {
    Arc::new(RoomScope {
        vars: template::var_values(&room.vars),
        builtin: template::room_builtin(
            room.display_name(),
            &room.arn.arn,
            &room.arn.region,
            &room.arn.account,
            &room.arn.id,
            &room.tags,
        ),
    })
}

fn known_var_names(pb: &ValidPlaybook) -> Vec<String> {
    let mut names: Vec<String> = pb.vars.keys().cloned().collect();
    for r in &pb.rooms {
        names.extend(r.vars.keys().cloned());
    }
    for e in &pb.events {
        names.extend(e.vars.keys().cloned());
    }
    names.sort();
    names.dedup();
    names
}

fn render_message(e: &minijinja::Error) -> String {
    match e.detail() {
        Some(d) => format!("{} ({d})", e.kind()),
        None => e.kind().to_string(),
    }
}

fn template_error(key: &str, e: &minijinja::Error, at: Location) -> Diagnostic {
    let line = e
        .line()
        .map(|l| format!(" (line {l} of the value)"))
        .unwrap_or_default();
    Diagnostic::error(
        "playbook::template-error",
        format!("attribute `{key}` is not a valid template{line}: {}", render_message(e)),
    )
    .at(Some(at))
    .hint("templates use minijinja syntax: `{{ name }}`, `{% if ... %}...{% endif %}`; write `{{ '{{' }}` for literal braces")
}

/// Seconds `count` sends take at `rate` with `burst` available at the start.
fn estimate_seconds(count: usize, settings: &EffectiveSettings) -> f64 {
    let after_burst = count.saturating_sub(settings.burst as usize) as f64;
    (after_burst / settings.rate * 100.0).round() / 100.0
}

/// Writes the plan as a table for people.
pub fn render_table(plan: &Plan, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    let mut s = String::new();
    let rooms_w = plan
        .sends
        .iter()
        .map(|x| x.room_name.chars().count())
        .max()
        .unwrap_or(4)
        .clamp(4, 32);
    let event_w = plan
        .sends
        .iter()
        .map(|x| x.event_name.chars().count())
        .max()
        .unwrap_or(5)
        .clamp(5, 32);
    let region_w = plan
        .sends
        .iter()
        .map(|x| x.region.len())
        .max()
        .unwrap_or(6)
        .max(6);
    let _ = writeln!(
        s,
        "{:>6}  {:<16}  {:<region_w$}  {:<rooms_w$}  {:<event_w$}  {:>5}  ATTRIBUTES",
        "#", "SEND ID", "REGION", "ROOM", "EVENT", "BYTES"
    );
    for x in &plan.sends {
        let attrs: Vec<String> = x
            .attributes
            .iter()
            .map(|(k, v)| format!("{k}={}", shorten(&v.replace('\n', "\\n"), 60)))
            .collect();
        let _ = writeln!(
            s,
            "{:>6}  {:<16}  {:<region_w$}  {:<rooms_w$}  {:<event_w$}  {:>5}  {}",
            x.seq + 1,
            x.id,
            x.region,
            shorten(&x.room_name, rooms_w),
            shorten(&x.event_name, event_w),
            x.bytes,
            attrs.join(" ")
        );
        if s.len() > 64 * 1024 {
            out.write_all(s.as_bytes())?;
            s.clear();
        }
    }
    let sm = &plan.summary;
    let _ = writeln!(s);
    let _ = writeln!(
        s,
        "Plan {}: {} sends to {} rooms from {} playbook{}",
        plan.plan_hash,
        sm.sends,
        sm.rooms,
        plan.playbooks.len(),
        if plan.playbooks.len() == 1 { "" } else { "s" }
    );
    let _ = writeln!(s, "By account and region:");
    for r in &sm.regions {
        let _ = writeln!(
            s,
            "  {} {:<region_w$}  {:>7} sends  {:>6} rooms  ~{}",
            r.account,
            r.region,
            r.sends,
            r.rooms,
            human_seconds(r.estimated_seconds)
        );
    }
    if let Some(p) = &sm.largest_payload {
        let _ = writeln!(
            s,
            "Largest payload: {} bytes of 1024 ({} to {}, send {})",
            p.bytes, p.event_name, p.room_name, p.send_id
        );
    }
    let st = &plan.settings;
    let _ = writeln!(
        s,
        "Estimated duration: at least {} at {}/s per account and region (burst {}, concurrency {})",
        human_seconds(sm.estimated_seconds),
        st.rate,
        st.burst,
        st.concurrency
    );
    out.write_all(s.as_bytes())
}

fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(max.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

fn human_seconds(secs: f64) -> String {
    if secs < 60.0 {
        format!("{secs:.1}s")
    } else if secs < 3600.0 {
        format!("{}m{:02}s", (secs / 60.0) as u64, (secs % 60.0) as u64)
    } else {
        format!(
            "{}h{:02}m",
            (secs / 3600.0) as u64,
            ((secs % 3600.0) / 60.0) as u64
        )
    }
}

/// Writes the plan as JSON: the head indented, then one send per line, which
/// keeps large plans fast to write and easy to grep.
pub fn write_json(plan: &Plan, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    #[derive(Serialize)]
    struct Head<'a> {
        format_version: u32,
        plan_hash: &'a str,
        playbooks: &'a [PlanPlaybook],
        settings: &'a EffectiveSettings,
        summary: &'a PlanSummary,
    }
    let head = Head {
        format_version: plan.format_version,
        plan_hash: &plan.plan_hash,
        playbooks: &plan.playbooks,
        settings: &plan.settings,
        summary: &plan.summary,
    };
    let mut text = serde_json::to_vec_pretty(&head)?;
    // Reopen the object to append the sends.
    while let Some(b) = text.pop() {
        if b == b'}' {
            break;
        }
    }
    while text.last().is_some_and(u8::is_ascii_whitespace) {
        text.pop();
    }
    out.write_all(&text)?;
    out.write_all(b",\n  \"sends\": [")?;
    for (i, s) in plan.sends.iter().enumerate() {
        out.write_all(if i == 0 { b"\n    " } else { b",\n    " })?;
        serde_json::to_writer(&mut *out, s)?;
    }
    out.write_all(if plan.sends.is_empty() {
        b"]\n}\n"
    } else {
        b"\n  ]\n}\n"
    })
}
