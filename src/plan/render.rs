//! Rendering one room's sends, and what can go wrong doing it.

use super::PlannedSend;
use super::ids::{content_hash, send_id, timed_hash};
use super::planner::{
    CompiledAttr, PlanRoom, Planner, TEMPLATE_MEMORY, Templates, render_message, room_scope,
};
use crate::catalog::contract::{Violation, check_value};
use crate::diag::Diagnostic;
use crate::playbook::rooms::Room;
use crate::playbook::template::Context;
use crate::service::ATTRIBUTES_MAX_BYTES;
use crate::service::attributes_bytes;
use crate::validate::CheckedPlaybook;
use indexmap::IndexMap;
use std::collections::HashMap;
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

impl Planner {
    /// Renders a room's sends in order, or with `only` the sends of that
    /// step of the timeline alone (the others are not rendered, but keep
    /// their places in `seq`).
    pub(super) fn render_room(
        &self,
        templates: &Templates<'_>,
        room: &PlanRoom,
        only: Option<usize>,
        mut sink: impl FnMut(Result<(usize, PlannedSend), (usize, usize, usize, RenderProblem)>),
    ) {
        let mut occurrences: HashMap<[u8; 32], u32> = HashMap::new();
        let mut seq = room.first_seq;
        let mut scope = None;
        for (pi, ri, ei) in self.room_events(room) {
            let step = self.step_of(pi, ei);
            if only.is_some() && step != only {
                seq += 1;
                continue;
            }
            let pb = &self.playbooks[pi];
            let r = &pb.rooms[ri];
            let ev = &pb.events[ei];
            // One scope per listing of the room.
            let scope = match &scope {
                Some((p, s)) if *p == (pi, ri) => std::sync::Arc::clone(s),
                _ => {
                    let s = room_scope(r);
                    scope = Some(((pi, ri), s.clone()));
                    s
                }
            };
            let ctx = Context {
                global: self.globals[pi].clone(),
                event: self.events[pi][ei].clone(),
                room: scope,
            };
            match self.render_one(pi, ei, &ctx, r, &templates[pi][ei]) {
                Err(problems) => {
                    for p in problems {
                        sink(Err((pi, ei, ri, p)));
                    }
                }
                Ok((attributes, bytes)) => {
                    let mut content = content_hash(&r.arn.arn, &ev.name, &attributes);
                    if let Some(offset) = ev.step.as_ref().map(|s| s.offset_ms) {
                        // When it goes is part of what a send is, so a
                        // step's sends are told apart without rendering
                        // the room's other steps.
                        content = timed_hash(&content, offset);
                    }
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
                            step,
                        },
                    )));
                    seq += 1;
                }
            }
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

    pub(super) fn render_one(
        &self,
        pi: usize,
        ei: usize,
        ctx: &Context,
        room: &Room,
        templates: &[Option<minijinja::Template<'_, '_>>],
    ) -> Result<(IndexMap<String, String>, usize), Vec<RenderProblem>> {
        let ev = &self.playbooks[pi].events[ei];
        let compiled = &self.compiled[pi][ei];
        let ctx_value = ctx.to_value();
        let mut attributes = IndexMap::with_capacity(ev.attributes.len());
        let mut largest = (0usize, 0usize);
        // Every attribute is rendered, so each broken one is reported, not
        // only the first.
        let mut problems = Vec::new();
        for (ai, (a, t)) in ev.attributes.iter().zip(templates).enumerate() {
            let value = match (t, &compiled[ai]) {
                (Some(t), Some(c)) => match render_attr(ai, t, c, &ctx_value, room) {
                    Ok(v) => v,
                    Err(p) => {
                        problems.push(p);
                        continue;
                    }
                },
                _ => a.template.clone(),
            };
            let size = a.key.len() + value.len();
            if size > largest.0 {
                largest = (size, ai);
            }
            attributes.insert(a.key.clone(), value);
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        let bytes = attributes_bytes(&attributes);
        if bytes > ATTRIBUTES_MAX_BYTES {
            return Err(vec![RenderProblem::TooLarge {
                bytes,
                largest_attr: largest.1,
            }]);
        }
        if let Some(c) = &ev.contract {
            room_contract(c, &attributes)?;
        }
        Ok((attributes, bytes))
    }
}

/// Renders one attribute's template for one room, within its fuel and
/// memory budget.
fn render_attr(
    ai: usize,
    t: &minijinja::Template<'_, '_>,
    c: &CompiledAttr,
    ctx_value: &minijinja::Value,
    room: &Room,
) -> Result<String, RenderProblem> {
    if c.gave_up.load(Ordering::Relaxed) {
        // Reported for the room it first spun for.
        return Err(RenderProblem::Failed {
            attr: ai,
            message: String::new(),
        });
    }
    let e = match crate::budget::within(TEMPLATE_MEMORY, &c.what, || t.render(ctx_value)) {
        Ok(v) => return Ok(v),
        Err(e) => e,
    };
    if e.kind() == minijinja::ErrorKind::OutOfFuel {
        c.gave_up.store(true, Ordering::Relaxed);
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
            }
        },
    )
}

/// Holds one room's rendered values to the rules of the event's definition
/// that depend on the room.
fn room_contract(
    c: &crate::catalog::contract::Contract,
    attributes: &IndexMap<String, String>,
) -> Result<(), Vec<RenderProblem>> {
    if c.room_checks.is_empty() {
        return Ok(());
    }
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
