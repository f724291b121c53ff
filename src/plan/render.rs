//! Rendering one room's sends, and what can go wrong doing it.

use super::cache::{RenderCache, Renderers};
use super::ids::{content_hash, send_id, timed_hash};
use super::planner::{CompiledAttr, PlanRoom, Planner, TEMPLATE_MEMORY, Templates, render_message};
use super::rendered::{AttrValue, SendView};
use super::scope::{RoomCtx, SendCtx};
use crate::catalog::contract::{Violation, check_value};
use crate::diag::Diagnostic;
use crate::playbook::rooms::Room;
use crate::service::ATTRIBUTES_MAX_BYTES;
use crate::validate::CheckedPlaybook;
use std::sync::atomic::Ordering;

/// A room's events in the order they go: as listed, or sorted by step.
pub(super) enum RoomEvents<I> {
    Listed(I),
    Sorted(std::vec::IntoIter<(usize, usize, usize)>),
}

impl<I: Iterator<Item = (usize, usize, usize)>> Iterator for RoomEvents<I> {
    type Item = (usize, usize, usize);
    fn next(&mut self) -> Option<Self::Item> {
        match self {
            RoomEvents::Listed(i) => i.next(),
            RoomEvents::Sorted(i) => i.next(),
        }
    }
}

/// Why one send could not be rendered.
#[derive(Debug)]
pub(super) enum RenderProblem {
    Undefined {
        attr: usize,
        names: Vec<String>,
    },
    /// `message` is empty when the template was not tried because it ran
    /// out of fuel for an earlier room; `fuel` when it ran out here.
    Failed {
        attr: usize,
        message: String,
        fuel: bool,
    },
    TooLarge {
        bytes: usize,
        largest_attr: usize,
    },
    /// Rendered values that break the event's definition: (attribute,
    /// definition attribute, rule).
    Contract(Vec<(usize, usize, Violation)>),
}

/// The id of a send rendered without ids ([`Planner::without_ids`]).
const UNNAMED: [u8; 16] = [b'0'; 16];

/// How many sends with each content a room has had so far: a list while
/// it is short (a room has a few sends), a hash table after.
#[derive(Default)]
struct Occurrences {
    list: Vec<([u8; 32], u32)>,
    table: std::collections::HashMap<[u8; 32], u32>,
}

impl Occurrences {
    /// How many sends with this content came before; counts this one.
    fn next(&mut self, content: [u8; 32]) -> u32 {
        if let Some((_, n)) = self.list.iter_mut().find(|(c, _)| *c == content) {
            *n += 1;
            return *n - 1;
        }
        if self.list.len() < 32 {
            self.list.push((content, 1));
            return 0;
        }
        let n = self.table.entry(content).or_insert(0);
        *n += 1;
        *n - 1
    }
}

/// One send's rendering: the send (its `seq` still to be set), or why it
/// could not be rendered, for event `ei` of playbook `pi` and its room
/// `ri`.
pub(super) struct Outcome<'p> {
    pub(super) pi: usize,
    pub(super) ei: usize,
    pub(super) ri: usize,
    /// Its place among the room's sends.
    pub(super) pos: usize,
    pub(super) result: Result<SendView<'p>, Vec<RenderProblem>>,
}

impl Planner {
    /// Renders one room's sends in order, giving each outcome to `sink`.
    /// `at` is the room's place in the plan ([`CompiledAttr::gave_up_at`]);
    /// without `ids` the sends are not named. With `only`, the sends of
    /// that step of the timeline alone are rendered; the others keep their
    /// places ([`Outcome::pos`]).
    pub(super) fn render_room<'p>(
        &'p self,
        templates: &Templates<'_>,
        cache: &mut RenderCache,
        (room, at, ids): (&PlanRoom, usize, bool),
        only: Option<usize>,
        mut sink: impl FnMut(Outcome<'p>),
    ) {
        let mut occurrences = Occurrences::default();
        // The context of the room's listing in the playbook of the send:
        // one per listing, made again only when a timeline interleaves
        // two playbooks' events.
        let mut room_ctx: Option<((usize, usize), RoomCtx<'p>)> = None;
        for (pos, (pi, ri, ei)) in self.room_events(room).enumerate() {
            let step = self.step_of(pi, ei);
            if only.is_some() && step != only {
                continue;
            }
            let pb = &self.playbooks[pi];
            let r = &pb.rooms[ri];
            let ev = &pb.events[ei];
            if !matches!(&room_ctx, Some((listing, _)) if *listing == (pi, ri)) {
                room_ctx = Some(((pi, ri), RoomCtx::new(&self.globals[pi], r)));
            }
            let (_, listing) = room_ctx.as_mut().expect("set above");
            let mut ctx = SendCtx::new(listing, &self.events[pi][ei]);
            let rendered = self.render_one((pi, ei, at), &mut ctx, &templates[pi][ei], cache);
            let result = match rendered {
                Err(problems) => Err(problems),
                Ok((values, bytes)) => {
                    let id = if ids {
                        let attributes = ev.attributes.iter().zip(&values);
                        let mut content = content_hash(
                            &r.arn.arn,
                            &ev.name,
                            attributes.map(|(a, v)| (a.key.as_str(), v.as_str())),
                        );
                        if let Some(offset) = ev.step.as_ref().map(|s| s.offset_ms) {
                            // When it goes is part of what a send is, so a
                            // step's sends are told apart without rendering
                            // the room's other steps.
                            content = timed_hash(&content, offset);
                        }
                        send_id(&content, occurrences.next(content))
                    } else {
                        UNNAMED
                    };
                    Ok(SendView {
                        pb,
                        ev,
                        room: r,
                        seq: 0,
                        id,
                        values,
                        bytes,
                        step,
                    })
                }
            };
            sink(Outcome {
                pi,
                ei,
                ri,
                pos,
                result,
            });
        }
    }

    /// The events one room gets, as (playbook, room, event), in the order
    /// they go: playbook order, then each playbook's events in order; with
    /// a timeline, step by step first. Without one nothing is collected: a
    /// plan of 100,000 rooms renders each of them at least once.
    fn room_events<'s>(
        &'s self,
        room: &'s PlanRoom,
    ) -> RoomEvents<impl Iterator<Item = (usize, usize, usize)> + 's> {
        let listed = room.members().flat_map(move |(pi, ri)| {
            (0..self.playbooks[pi].events.len())
                .filter(move |&ei| self.targets[pi][ei][ri] && !self.broken[pi][ei])
                .map(move |ei| (pi, ri, ei))
        });
        if self.scheduled.is_none() {
            return RoomEvents::Listed(listed);
        }
        let mut sorted: Vec<_> = listed.collect();
        // Stable: within a step, the order written.
        sorted.sort_by_key(|&(pi, _, ei)| self.step_of(pi, ei));
        RoomEvents::Sorted(sorted.into_iter())
    }

    pub(super) fn render_one<'p>(
        &'p self,
        (pi, ei, at): (usize, usize, usize),
        ctx: &mut SendCtx<'p, '_>,
        templates: &[Option<minijinja::Template<'_, '_>>],
        cache: &mut RenderCache,
    ) -> Result<(Vec<AttrValue<'p>>, usize), Vec<RenderProblem>> {
        let pb = &self.playbooks[pi];
        let ev = &pb.events[ei];
        let compiled = &self.compiled[pi][ei];
        let mut values = Vec::with_capacity(ev.attributes.len());
        let mut bytes = 0;
        let mut largest = (0usize, 0usize);
        // Every attribute is rendered, so each broken one is reported, not
        // only the first.
        let mut problems = Vec::new();
        for (ai, (a, t)) in ev.attributes.iter().zip(templates).enumerate() {
            let value = match (t, &compiled[ai]) {
                (Some(t), Some(c)) => {
                    let room = ctx.room();
                    let renderers = Renderers {
                        real: |v: &minijinja::Value| render_attr((ai, at), t, c, v, room),
                        trial: |v: &minijinja::Value| trial_render(t, c, v, at),
                    };
                    match cache.get_or_render((&c.cache, c.slot), ctx, renderers) {
                        Ok(v) => v,
                        Err(p) => {
                            problems.push(p);
                            continue;
                        }
                    }
                }
                _ => AttrValue::Plain(&a.template),
            };
            let size = a.key.len() + value.as_str().len();
            if size > largest.0 {
                largest = (size, ai);
            }
            bytes += size;
            values.push(value);
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        if bytes > ATTRIBUTES_MAX_BYTES {
            return Err(vec![RenderProblem::TooLarge {
                bytes,
                largest_attr: largest.1,
            }]);
        }
        if let Some(c) = &ev.contract {
            room_contract(c, &values)?;
        }
        Ok((values, bytes))
    }
}

/// A rendering with stand-ins (see [`super::cache`]), within the same fuel
/// and memory budget; `None` when it fails (the real rendering then says
/// why).
fn trial_render(
    t: &minijinja::Template<'_, '_>,
    c: &CompiledAttr,
    ctx_value: &minijinja::Value,
    at: usize,
) -> Option<String> {
    if c.gave_up_at.load(Ordering::Relaxed) < at {
        return None;
    }
    crate::budget::within(TEMPLATE_MEMORY, &c.what, || t.render(ctx_value)).ok()
}

/// Renders one attribute's template for one room, within its fuel and
/// memory budget.
fn render_attr(
    (ai, at): (usize, usize),
    t: &minijinja::Template<'_, '_>,
    c: &CompiledAttr,
    ctx_value: &minijinja::Value,
    room: &Room,
) -> Result<String, RenderProblem> {
    if c.gave_up_at.load(Ordering::Relaxed) < at {
        // Reported for the room it first spun for.
        return Err(RenderProblem::Failed {
            attr: ai,
            message: String::new(),
            fuel: false,
        });
    }
    let e = match crate::budget::within(TEMPLATE_MEMORY, &c.what, || t.render(ctx_value)) {
        Ok(v) => return Ok(v),
        Err(e) => e,
    };
    let fuel = e.kind() == minijinja::ErrorKind::OutOfFuel;
    if fuel {
        c.gave_up_at.fetch_min(at, Ordering::Relaxed);
    }
    // Names the template reads that are not defined for this room. Such a
    // template may still render: `{{ locale | default('en') }}` and
    // `{% if locale is defined %}` read optional variables, so only a
    // rendering that fails on them is an undefined variable.
    let names: Vec<String> = c
        .missing
        .iter()
        .chain(
            c.room_reads
                .iter()
                .filter(|n| !room.vars.contains_key(n.as_str())),
        )
        .cloned()
        .collect();
    Err(
        if e.kind() == minijinja::ErrorKind::UndefinedError && !names.is_empty() {
            RenderProblem::Undefined { attr: ai, names }
        } else {
            RenderProblem::Failed {
                attr: ai,
                message: render_message(&e),
                fuel,
            }
        },
    )
}

/// Holds one room's rendered values to the rules of the event's definition
/// that depend on the room.
fn room_contract(
    c: &crate::catalog::contract::Contract,
    values: &[AttrValue<'_>],
) -> Result<(), Vec<RenderProblem>> {
    if c.room_checks.is_empty() {
        return Ok(());
    }
    let mut violations = Vec::new();
    let mut found = Vec::new();
    for &(ai, di) in &c.room_checks {
        let (Some(value), Some((_, attr))) =
            (values.get(ai), c.definition.attributes.get_index(di))
        else {
            continue;
        };
        check_value(attr, value.as_str(), &mut found);
        violations.extend(found.drain(..).map(|v| (ai, di, v)));
    }
    if violations.is_empty() {
        Ok(())
    } else {
        Err(vec![RenderProblem::Contract(violations)])
    }
}

pub(super) fn undefined_diagnostic(
    pb: &CheckedPlaybook,
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
    let hint = match crate::diag::suggest::did_you_mean(root, &known) {
        Some(s) if s != root => format!("did you mean `{s}`?"),
        _ if name.contains('.') => {
            "built-ins: room.name, room.arn, room.region, room.id, room.account, room.tags, event.name, playbook.name; in an event with `at:`, step.at, step.remaining, step.remaining_seconds, step.offset".to_string()
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

pub(super) fn known_var_names(pb: &CheckedPlaybook) -> Vec<String> {
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
