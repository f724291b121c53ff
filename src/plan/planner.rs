//! The planner: templates compiled once, scopes and targets per playbook,
//! and the rooms in plan order, ready to render room by room.

use super::PlannedSend;
use super::cache::CacheSpec;
use crate::diag::{Diagnostic, Location, Sources};
use crate::playbook::template::{self, Context, EventScope, GlobalScope, RoomScope};
use crate::validate::{CheckedPlaybook, EventSpec};
use indexmap::IndexMap;
use std::collections::HashMap;
use std::sync::Arc;

/// One room's place in the plan: where it is listed (a room may be in
/// several playbooks given together; its sends keep playbook order). Small
/// and without allocations of its own, since a plan may have 100,000.
#[derive(Debug, Clone)]
pub struct PlanRoom {
    /// (playbook, room) indices where the room is first listed.
    pub(super) first: (u32, u32),
    /// Where else it is listed, in playbook order (usually nowhere).
    pub(super) more: Vec<(u32, u32)>,
    /// `seq` of the room's first send, filled by [`Planner::scan`].
    pub(super) first_seq: usize,
}

impl PlanRoom {
    /// (playbook, room) indices of every listing, in playbook order.
    pub(super) fn members(&self) -> impl Iterator<Item = (usize, usize)> + '_ {
        std::iter::once(self.first)
            .chain(self.more.iter().copied())
            .map(|(p, r)| (p as usize, r as usize))
    }
}

/// An attribute template compiled into the planner's environment.
#[derive(Debug)]
pub(super) struct CompiledAttr {
    /// Template name in the environment.
    pub(super) name: String,
    /// Names the template reads that exist in no layer but a room's `vars`:
    /// each room must define them.
    pub(super) room_reads: Vec<String>,
    /// Names that resolve nowhere, whatever the room (`room.nmae`).
    pub(super) missing: Vec<String>,
    /// Where the template is written (`file:line:col`, the key), for the
    /// message if rendering it takes more memory than
    /// [`TEMPLATE_MEMORY`].
    pub(super) what: String,
    /// The place in the plan of the first room a rendering ran out of fuel
    /// for (`usize::MAX` while none has): a template that spins for one
    /// room is reported once and not tried again for the rooms after it,
    /// which would cost milliseconds a room. Rooms rendered on other
    /// threads may try it before this is known; the scan applies the rule
    /// in plan order (see [`super::parallel`]).
    pub(super) gave_up_at: std::sync::atomic::AtomicUsize,
    /// How its renderings are reused across rooms, `None` when they are
    /// not (see [`super::cache`]).
    pub(super) cache: Option<CacheSpec>,
    /// Its place in a [`super::cache::RenderCache`]: the attributes of
    /// every playbook and event, numbered from 0.
    pub(super) slot: usize,
}

/// The memory one rendering of one attribute may take, net: far more than
/// any attribute value can use (the service takes 1 KiB of attributes per
/// event), far less than a template that doubles a string in a loop asks
/// for. See [`crate::budget`].
pub(super) const TEMPLATE_MEMORY: usize = 16 << 20;

/// The compiled templates of every attribute, borrowed from the planner's
/// environment for one rendering pass.
pub(super) type Templates<'e> = Vec<Vec<Vec<Option<minijinja::Template<'e, 'e>>>>>;

/// Renders sends room by room, on demand.
///
/// The plan is sent room by room (events to one room in playbook order, rooms
/// in parallel), and [`Planner::room_sends`] renders exactly one room's
/// sends. A run never holds every rendered send at once, so memory grows
/// with rooms and events, not with their product. [`Planner::scan`] renders
/// everything once to compute ids, the hash, the summary and the rendering
/// diagnostics.
pub struct Planner {
    pub(super) playbooks: Vec<CheckedPlaybook>,
    pub(super) env: minijinja::Environment<'static>,
    /// `[playbook][event][attribute]`; `None` for plain strings.
    pub(super) compiled: Vec<Vec<Vec<Option<CompiledAttr>>>>,
    /// `[playbook][event]`: an attribute failed to compile.
    pub(super) broken: Vec<Vec<bool>>,
    /// `[playbook][event]`: which of the playbook's rooms get the event.
    pub(super) targets: Vec<Vec<Vec<bool>>>,
    pub(super) globals: Vec<Arc<GlobalScope>>,
    pub(super) events: Vec<Vec<Arc<EventScope>>>,
    pub(super) rooms: Vec<PlanRoom>,
    pub(super) compile_diagnostics: Vec<Diagnostic>,
    /// Whether [`Planner::scan`] names the sends (see [`Planner::without_ids`]).
    pub(super) ids: bool,
    /// The timeline, when events have `at:`.
    pub(super) scheduled: Option<super::timeline::Scheduled>,
}

impl Planner {
    /// Prepares the timeline, templates, scopes and targets.
    pub fn new(
        playbooks: Vec<CheckedPlaybook>,
        cli_vars: &IndexMap<String, String>,
        sources: &Sources,
        flags: &super::SettingsOverrides,
    ) -> Self {
        let mut compile_diagnostics = Vec::new();
        let scheduled = super::timeline::schedule(&playbooks, flags, &mut compile_diagnostics);
        let mut env = template::environment();
        let cli: IndexMap<String, minijinja::Value> = cli_vars
            .iter()
            .map(|(k, v)| (k.clone(), minijinja::Value::from(v.as_str())))
            .collect();
        let globals: Vec<Arc<GlobalScope>> = playbooks
            .iter()
            .map(|pb| {
                Arc::new(GlobalScope {
                    cli: cli.clone(),
                    playbook: template::var_values(&pb.vars),
                    builtin: template::playbook_builtin(&pb.name),
                })
            })
            .collect();
        let events: Vec<Vec<Arc<EventScope>>> = playbooks
            .iter()
            .enumerate()
            .map(|(pi, pb)| {
                pb.events
                    .iter()
                    .enumerate()
                    .map(|(ei, ev)| event_scope(ev, step_scope(scheduled.as_ref(), pi, ei, ev)))
                    .collect()
            })
            .collect();
        let targets = playbooks.iter().map(event_targets).collect();
        let rooms = plan_rooms(&playbooks);
        let mut compiled = Vec::new();
        let mut broken = Vec::new();
        for (pi, pb) in playbooks.iter().enumerate() {
            let mut pb_compiled = Vec::new();
            let mut pb_broken = Vec::new();
            for (ei, ev) in pb.events.iter().enumerate() {
                let probe = probe_context(&globals[pi], &events[pi][ei]);
                let (attrs, is_broken) = compile_event(
                    &mut env,
                    (pi, ei),
                    ev,
                    (&probe, sources),
                    &mut compile_diagnostics,
                );
                pb_compiled.push(attrs);
                pb_broken.push(is_broken);
            }
            compiled.push(pb_compiled);
            broken.push(pb_broken);
        }
        for (pb, events) in playbooks.iter().zip(&mut compiled) {
            fix_room_independent(pb, events);
        }
        let all = compiled
            .iter_mut()
            .flat_map(|e| e.iter_mut().flat_map(|a| a.iter_mut()));
        for (slot, c) in all.flatten().enumerate() {
            c.slot = slot;
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
            ids: true,
            scheduled,
        }
    }

    /// The step of event `ei` of playbook `pi`, when there is a timeline.
    pub(super) fn step_of(&self, pi: usize, ei: usize) -> Option<usize> {
        self.scheduled.as_ref().map(|s| s.step_of[pi][ei])
    }

    /// A planner whose scan renders and checks every send without naming
    /// them: no send ids and an empty plan hash, for `validate`, which
    /// shows neither (two SHA-256 digests a send were a third of its
    /// cost). A room's sends rendered later ([`ScannedPlan::room_sends`])
    /// still have their ids.
    ///
    /// [`ScannedPlan::room_sends`]: super::ScannedPlan::room_sends
    pub fn without_ids(mut self) -> Self {
        self.ids = false;
        self
    }

    /// The rooms in plan order.
    pub(super) fn rooms(&self) -> &[PlanRoom] {
        &self.rooms
    }

    /// A room's ARN, from its first listing.
    pub(super) fn room_arn(&self, room: &PlanRoom) -> &crate::service::arn::RoomArn {
        let (p, r) = room.first;
        &self.playbooks[p as usize].rooms[r as usize].arn
    }

    /// Renders one room's sends, in order; with `only`, the sends of that
    /// step alone. Only meaningful after a [`Planner::scan`] without errors
    /// (which also fixes each send's `seq`).
    pub(super) fn room_sends(&self, room: &PlanRoom, only: Option<usize>) -> Vec<PlannedSend> {
        let mut out = Vec::new();
        let templates = self.templates();
        // One room: nothing to share a rendering with.
        let mut cache = super::cache::RenderCache::disabled();
        // After a scan without errors: no template ran out of fuel.
        self.render_room(
            &templates,
            &mut cache,
            (room, usize::MAX, true),
            only,
            |o| {
                if let Ok(mut s) = o.result {
                    s.seq = room.first_seq + o.pos;
                    out.push(s.to_send());
                }
            },
        );
        out
    }

    pub(super) fn templates(&self) -> Templates<'_> {
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
}

/// Takes out of the cache keys of a playbook's attributes the variables
/// none of its rooms defines: they come from the playbook's `vars` (or
/// nowhere) for every room.
fn fix_room_independent(pb: &CheckedPlaybook, events: &mut [Vec<Option<CompiledAttr>>]) {
    let mut specs = events
        .iter_mut()
        .flat_map(|e| e.iter_mut().flatten())
        .filter_map(|c| c.cache.as_mut())
        .peekable();
    if specs.peek().is_none() {
        return;
    }
    let defined: std::collections::HashSet<&str, foldhash::fast::RandomState> = pb
        .rooms
        .iter()
        .flat_map(|r| r.vars.keys().map(String::as_str))
        .collect();
    for spec in specs {
        spec.keep_names(|root| root == "room" || defined.contains(root));
    }
}

/// The rooms in plan order: each room once, by ARN, with every playbook
/// that lists it.
fn plan_rooms(playbooks: &[CheckedPlaybook]) -> Vec<PlanRoom> {
    let total = playbooks.iter().map(|pb| pb.rooms.len()).sum();
    let mut rooms: Vec<PlanRoom> = Vec::with_capacity(total);
    let mut room_index: HashMap<&str, usize> = HashMap::with_capacity(total);
    for (pi, pb) in playbooks.iter().enumerate() {
        for (ri, room) in pb.rooms.iter().enumerate() {
            let member = (pi as u32, ri as u32);
            match room_index.entry(room.arn.arn.as_str()) {
                std::collections::hash_map::Entry::Occupied(e) => rooms[*e.get()].more.push(member),
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
    }
    rooms
}

fn event_scope(ev: &EventSpec, step: Option<minijinja::Value>) -> Arc<EventScope> {
    Arc::new(EventScope {
        vars: template::var_values(&ev.vars),
        builtin: template::event_builtin(&ev.name),
        step,
    })
}

/// The `step` built-in of a timed event.
fn step_scope(
    scheduled: Option<&super::timeline::Scheduled>,
    pi: usize,
    ei: usize,
    ev: &EventSpec,
) -> Option<minijinja::Value> {
    let s = scheduled?;
    let own = ev.step.as_ref()?;
    let at = s.timeline.steps[s.step_of[pi][ei]].at?;
    Some(template::step_builtin(
        &super::timeline::rfc3339(at),
        &own.text,
        own.offset_ms,
    ))
}

/// `[event][room]`: which of the playbook's rooms get each event.
fn event_targets(pb: &CheckedPlaybook) -> Vec<Vec<bool>> {
    pb.events
        .iter()
        .map(|ev| {
            let mut set = vec![false; pb.rooms.len()];
            for &r in &ev.rooms {
                set[r] = true;
            }
            set
        })
        .collect()
}

/// A context with an empty room: whether a name exists depends on the room
/// only through the room's `vars`, so what this one cannot resolve is
/// decided once for every room.
fn probe_context(global: &Arc<GlobalScope>, event: &Arc<EventScope>) -> Context {
    Context {
        global: global.clone(),
        event: event.clone(),
        room: Arc::new(RoomScope {
            vars: IndexMap::new(),
            builtin: template::room_builtin("", "", "", "", "", &[]),
        }),
    }
}

/// Compiles one event's attribute templates into `env`, named
/// `p{pi}/e{ei}/a{ai}`: `None` for plain strings and for templates that do
/// not compile (reported in `diags`), and whether one did not.
fn compile_event(
    env: &mut minijinja::Environment<'static>,
    (pi, ei): (usize, usize),
    ev: &EventSpec,
    (probe, sources): (&Context, &Sources),
    diags: &mut Vec<Diagnostic>,
) -> (Vec<Option<CompiledAttr>>, bool) {
    let mut is_broken = false;
    let mut attrs = Vec::new();
    for (ai, a) in ev.attributes.iter().enumerate() {
        if a.literal || !template::is_template(&a.template) {
            attrs.push(None);
            continue;
        }
        let name = format!("p{pi}/e{ei}/a{ai}");
        match compile_attr(env, name, &a.template, probe) {
            Ok(mut c) => {
                let file = sources.get(a.at.file);
                let (line, col) = file.line_col(a.at.start);
                c.what = format!(
                    "{}:{line}:{col}: the template of attribute `{}`",
                    file.path.display(),
                    a.key.escape_debug()
                );
                attrs.push(Some(c));
            }
            Err(e) => {
                is_broken = true;
                diags.push(template_error(&a.key, &e, a.at));
                attrs.push(None);
            }
        }
    }
    (attrs, is_broken)
}

/// Adds one attribute's template to `env` as `name`, with the names it
/// reads sorted into those each room must define and those that resolve
/// nowhere.
fn compile_attr(
    env: &mut minijinja::Environment<'static>,
    name: String,
    source: &str,
    probe: &Context,
) -> Result<CompiledAttr, minijinja::Error> {
    env.add_template_owned(name.clone(), source.to_string())?;
    let t = env.get_template(&name).expect("template was just added");
    let mut all_reads: Vec<String> = t.undeclared_variables(true).into_iter().collect();
    all_reads.sort();
    // A variable named like a global function (`range`) hides it, so the
    // cache keys a rendering by those names too.
    let clean = constants_clean(probe);
    let cache = super::cache::spec(&t, source, &all_reads, probe, clean);
    // Global functions such as `range` are not variables that must exist.
    let reads: Vec<String> = all_reads
        .into_iter()
        .filter(|n| {
            let root = n.split('.').next().unwrap_or(n);
            env.globals().all(|(g, _)| g != root)
        })
        .collect();
    let mut room_reads = Vec::new();
    let mut missing = Vec::new();
    for n in reads {
        if probe.resolves(&n) {
            continue;
        }
        if n.contains('.') || template::BUILTIN_NAMES.contains(&n.split('.').next().unwrap_or(&n)) {
            missing.push(n);
        } else {
            room_reads.push(n);
        }
    }
    Ok(CompiledAttr {
        name,
        room_reads,
        missing,
        what: String::new(),
        gave_up_at: std::sync::atomic::AtomicUsize::new(usize::MAX),
        cache,
        slot: 0,
    })
}

/// Whether none of what a template reads the same for every room (`--var`
/// values, the playbook's and the event's `vars`, `playbook` and `event`)
/// carries a stand-in character of [`super::cache`].
fn constants_clean(probe: &Context) -> bool {
    let g = &probe.global;
    let e = &probe.event;
    let values = g
        .cli
        .values()
        .chain(g.playbook.values())
        .chain(e.vars.values());
    !values
        .chain([&g.builtin, &e.builtin])
        .any(super::cache::has_stand_in)
}

/// The filters minijinja has built in (with the features this crate turns
/// on), for "did you mean" on an unknown one.
const FILTERS: &[&str] = &[
    "abs",
    "attr",
    "batch",
    "bool",
    "capitalize",
    "count",
    "d",
    "default",
    "dictsort",
    "e",
    "escape",
    "first",
    "float",
    "format",
    "groupby",
    "indent",
    "int",
    "items",
    "join",
    "last",
    "length",
    "lines",
    "list",
    "lower",
    "map",
    "max",
    "min",
    "pprint",
    "reject",
    "rejectattr",
    "replace",
    "reverse",
    "round",
    "safe",
    "select",
    "selectattr",
    "slice",
    "sort",
    "split",
    "string",
    "sum",
    "title",
    "tojson",
    "trim",
    "unique",
    "upper",
    "urlencode",
];

/// A hint for a rendering error whose fix is not obvious from minijinja's
/// words: Python string methods (`room.region.upper()`), and misspelt
/// filters.
pub(super) fn template_hint(message: &str) -> Option<String> {
    if let Some(rest) = message.split("has no method named ").nth(1) {
        let method = rest.trim_end_matches(')').trim();
        let filter = if FILTERS.contains(&method) {
            method
        } else {
            "upper"
        };
        return Some(format!(
            "templates have no string methods such as `.{method}()`; use a filter: `{{{{ value | {filter} }}}}`"
        ));
    }
    let name = message
        .split("(filter ")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .filter(|_| message.starts_with("unknown filter"))?;
    Some(match crate::diag::suggest::did_you_mean(name, FILTERS) {
        Some(s) => format!("did you mean the filter `{s}`?"),
        None => format!("filters are: {}", crate::diag::suggest::preview(FILTERS)),
    })
}

pub(super) fn render_message(e: &minijinja::Error) -> String {
    match e.detail() {
        Some(d) => format!("{} ({d})", e.kind()),
        None => e.kind().to_string(),
    }
}

pub(super) fn template_error(key: &str, e: &minijinja::Error, at: Location) -> Diagnostic {
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

#[cfg(test)]
mod tests {
    use super::template_hint;

    #[test]
    fn hints_for_methods_and_misspelt_filters() {
        let h = template_hint("unknown method (string has no method named upper)").unwrap();
        assert!(h.contains("`{{ value | upper }}`"), "{h}");
        let h = template_hint("unknown filter (filter uper is unknown)").unwrap();
        assert_eq!(h, "did you mean the filter `upper`?");
        assert_eq!(template_hint("undefined value"), None);
    }
}
