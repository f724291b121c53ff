//! Renderings reused across rooms: a template renders the same for every
//! room that gives the names it reads the same values.
//!
//! Templates are pure: no clock, no randomness, no includes (the
//! environment has no loader), and fuel and recursion limits that depend
//! only on the input. So an attribute's rendering is a function of the
//! values of the names it reads ([`minijinja::Template::undeclared_variables`]),
//! and within one event only those a room can change matter: `room.*`, and
//! names that neither `--var` nor the event's `vars` fix (a room's `vars`
//! may shadow the playbook's). `{{ product }}` renders once per event,
//! `{{ room.region }}` once per region.
//!
//! A name the template only prints ([`crate::playbook::printed`]), such as
//! `room.name` in `Room {{ room.name }} closes`, is not part of the key
//! when its value is a string: the template is rendered once with a
//! stand-in for it, and each room's value replaces the stand-in. A
//! stand-in is never shorter than the value it stands for, and the key
//! holds how long stand-ins are: minijinja charges fuel for every byte a
//! template writes, so a rendering that fits its fuel with the stand-in
//! fits with the value (a long value may run out where the stand-in does
//! not; then the real rendering decides), and the value put in is never
//! more than the rendering wrote. A cache
//! that still misses for most rooms (`{{ room.name | upper }}`) turns
//! itself off. Only successful renderings are kept: one that fails is
//! rendered again, for real, for each room, so diagnostics do not change.

use super::rendered::AttrValue;
use super::scope::{Name, Resolved, SendCtx};
use crate::playbook::printed::printed_only;
use crate::playbook::template::{BUILTIN_NAMES, Context};
use minijinja::value::{Value, ValueKind};
use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::Arc;

/// Lookups after which a cache that mostly misses turns itself off.
const TRIAL: u32 = 64;

/// The most renderings one attribute keeps.
const MAX_ENTRIES: usize = 4096;

/// Starts a stand-in: `STAND_IN`, its number, `STAND_IN_END`. Both are
/// Unicode noncharacters, which text does not carry; a template or value
/// that does is rendered without stand-ins.
const STAND_IN: char = '\u{FDD0}';
const STAND_IN_END: char = '\u{FDD1}';

/// How an attribute's renderings are reused.
#[derive(Debug)]
pub(super) struct CacheSpec {
    /// The names whose values decide the rendering room by room, with
    /// whether the template only prints each.
    names: Vec<(Name, bool)>,
}

/// The [`CacheSpec`] of a template reading `reads`; `None` when its
/// renderings are not reused: it prints the whole context with `debug()`.
/// `clean`: nothing the template reads that is the same for every room
/// (nor its source) carries a stand-in character.
pub(super) fn spec(
    template: &minijinja::Template<'_, '_>,
    source: &str,
    reads: &[String],
    probe: &Context,
    clean: bool,
) -> Option<CacheSpec> {
    if source.contains("debug") {
        return None;
    }
    let mut names: Vec<String> = reads
        .iter()
        .filter(|n| {
            let root = n.split('.').next().unwrap_or(n);
            match root {
                "room" => true,
                _ if BUILTIN_NAMES.contains(&root) => false,
                _ => !(probe.global.cli.contains_key(root) || probe.event.vars.contains_key(root)),
            }
        })
        .cloned()
        .collect();
    names.sort();
    names.dedup();
    let clean = clean && !source.contains([STAND_IN, STAND_IN_END]);
    let printed = if clean {
        printed_only(template, &names)
    } else {
        vec![false; names.len()]
    };
    Some(CacheSpec {
        names: names.into_iter().map(Name::new).zip(printed).collect(),
    })
}

impl CacheSpec {
    /// Keeps the names whose root `may_differ` from room to room.
    pub(super) fn keep_names(&mut self, may_differ: impl Fn(&str) -> bool) {
        self.names.retain(|(n, _)| may_differ(n.root()));
    }
}

/// Whether a value the same for every room carries a stand-in character.
pub(super) fn has_stand_in(v: &Value) -> bool {
    match v.as_str() {
        Some(s) => s.contains([STAND_IN, STAND_IN_END]),
        None => v.to_string().contains([STAND_IN, STAND_IN_END]),
    }
}

/// A kept rendering: its text without the stand-ins, and where each goes.
struct Entry {
    text: Arc<str>,
    /// (byte offset in `text`, which stand-in), in order.
    cuts: Vec<(usize, usize)>,
}

/// One attribute's renderings, by the values of its names.
#[derive(Default)]
struct AttrCache {
    map: HashMap<String, Entry, foldhash::fast::RandomState>,
    lookups: u32,
    misses: u32,
    off: bool,
}

/// The renderings of every attribute, for one rendering pass.
#[derive(Default)]
pub(super) struct RenderCache {
    attrs: Vec<AttrCache>,
    key: String,
    disabled: bool,
}

/// What [`RenderCache::get_or_render`] renders with.
pub(super) struct Renderers<R, T> {
    /// A rendering for the send itself, with its diagnostics.
    pub(super) real: R,
    /// A trial rendering with stand-ins: no side effects, `None` on error.
    pub(super) trial: T,
}

impl RenderCache {
    /// A cache that keeps nothing, for a pass too short to gain from one.
    pub(super) fn disabled() -> Self {
        RenderCache {
            disabled: true,
            ..RenderCache::default()
        }
    }

    /// The rendering of attribute `slot` (whose cache is `spec`) for the
    /// send of `ctx`: from the cache, or rendered (and kept when it
    /// succeeds and the cache is on).
    pub(super) fn get_or_render<'p, E>(
        &mut self,
        (spec, slot): (&Option<CacheSpec>, usize),
        ctx: &mut SendCtx<'p, '_>,
        mut r: Renderers<
            impl FnMut(&Value) -> Result<String, E>,
            impl FnMut(&Value) -> Option<String>,
        >,
    ) -> Result<AttrValue<'p>, E> {
        let Some(spec) = spec.as_ref().filter(|_| !self.disabled) else {
            return (r.real)(ctx.value()).map(AttrValue::Owned);
        };
        if self.attrs.len() <= slot {
            self.attrs.resize_with(slot + 1, AttrCache::default);
        }
        let cache = &mut self.attrs[slot];
        if cache.off {
            return (r.real)(ctx.value()).map(AttrValue::Owned);
        }
        self.key.clear();
        let mut subs: Vec<(&str, &'p str)> = Vec::new();
        for (name, printed) in &spec.names {
            match ctx.resolve(name) {
                Resolved::Str(s) if *printed => {
                    self.key.push('p');
                    push_number(&mut self.key, stand_in_len(s.len()));
                    self.key.push(';');
                    subs.push((&name.text, s));
                }
                Resolved::Str(s) => write_str(&mut self.key, s),
                Resolved::Value(v) => write_value(&mut self.key, &v),
                Resolved::Undefined => self.key.push_str("u;"),
            }
        }
        if self.key.contains([STAND_IN, STAND_IN_END]) || self.key.contains("\\u{fdd") {
            return (r.real)(ctx.value()).map(AttrValue::Owned);
        }
        cache.lookups += 1;
        if let Some(e) = cache.map.get(self.key.as_str()) {
            return Ok(e.assemble(&subs));
        }
        cache.misses += 1;
        if cache.map.len() >= MAX_ENTRIES
            || (cache.lookups >= TRIAL && cache.misses * 2 > cache.lookups)
        {
            cache.off = true;
            cache.map = HashMap::default();
            return (r.real)(ctx.value()).map(AttrValue::Owned);
        }
        let entry = if subs.is_empty() {
            let text = (r.real)(ctx.value())?;
            Entry {
                text: text.into(),
                cuts: Vec::new(),
            }
        } else {
            let stand_ins: Vec<(&str, String)> = (0..subs.len())
                .map(|i| (subs[i].0, stand_in(i, subs[i].1.len())))
                .collect();
            let trial = (r.trial)(&ctx.with_stand_ins(&stand_ins));
            match trial.and_then(|t| Entry::parse(&t, subs.len())) {
                Some(e) => e,
                // Failing, or not as expected: the real rendering decides.
                None => return (r.real)(ctx.value()).map(AttrValue::Owned),
            }
        };
        let value = entry.assemble(&subs);
        cache.map.insert(self.key.clone(), entry);
        Ok(value)
    }
}

/// The bytes of the stand-ins for values of `len` bytes: at least `len`,
/// and the same for most values of about that length, which share a key.
fn stand_in_len(len: usize) -> usize {
    len.max(16).next_power_of_two()
}

/// Stand-in `i` for a value of `len` bytes: `STAND_IN`, `i`, `_`s up to
/// [`stand_in_len`] bytes, `STAND_IN_END`.
fn stand_in(i: usize, len: usize) -> String {
    let mut s = format!("{STAND_IN}{i}");
    let end = STAND_IN_END.len_utf8();
    let want = stand_in_len(len);
    if s.len() + end < want {
        s.extend(std::iter::repeat_n('_', want - end - s.len()));
    }
    s.push(STAND_IN_END);
    s
}

impl Entry {
    /// A trial rendering split at its stand-ins; `None` when one is not
    /// well formed.
    fn parse(rendered: &str, stand_ins: usize) -> Option<Entry> {
        let mut text = String::with_capacity(rendered.len());
        let mut cuts = Vec::new();
        let mut rest = rendered;
        while let Some(at) = rest.find([STAND_IN, STAND_IN_END]) {
            text.push_str(&rest[..at]);
            let after = rest[at..].strip_prefix(STAND_IN)?;
            let (number, tail) = after.split_once(STAND_IN_END)?;
            let number = number.trim_end_matches('_');
            let i: usize = number.parse().ok()?;
            if i >= stand_ins || number != i.to_string() {
                return None;
            }
            cuts.push((text.len(), i));
            rest = tail;
        }
        text.push_str(rest);
        Some(Entry {
            text: text.into(),
            cuts,
        })
    }

    /// The rendering for one room: its values in place of the stand-ins.
    fn assemble<'p>(&self, subs: &[(&str, &str)]) -> AttrValue<'p> {
        if self.cuts.is_empty() {
            return AttrValue::Shared(self.text.clone());
        }
        let extra: usize = self.cuts.iter().map(|&(_, i)| subs[i].1.len()).sum();
        let mut out = String::with_capacity(self.text.len() + extra);
        let mut from = 0;
        for &(at, i) in &self.cuts {
            out.push_str(&self.text[from..at]);
            out.push_str(subs[i].1);
            from = at;
        }
        out.push_str(&self.text[from..]);
        AttrValue::Owned(out)
    }
}

/// Appends a string value to a key: with its length, so that no two
/// sequences of values give the same key.
fn write_str(key: &mut String, s: &str) {
    key.push('s');
    push_number(key, s.len());
    key.push(':');
    key.push_str(s);
    key.push(';');
}

/// Appends `n` in decimal, without the formatting machinery (a key is made
/// for every attribute of every send).
fn push_number(key: &mut String, n: usize) {
    key.push_str(itoa::Buffer::new().format(n));
}

/// Appends any value to a key, written so that two values give the same
/// text only when templates cannot tell them apart (`1` and `1.0` differ).
fn write_value(key: &mut String, v: &Value) {
    match (v.kind(), v.as_str()) {
        (ValueKind::String, Some(s)) if !v.is_safe() => write_str(key, s),
        // An integer (`is_integer` is true of no float).
        (ValueKind::Number, _) if v.is_integer() && i64::try_from(v.clone()).is_ok() => {
            let i = i64::try_from(v.clone()).expect("checked");
            key.push(if i < 0 { '-' } else { 'i' });
            push_number(key, i.unsigned_abs() as usize);
            key.push(';');
        }
        (kind, _) => {
            let _ = write!(key, "{kind:?}:{v:?};");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stand_ins_are_cut_out_and_put_back() {
        let e = Entry::parse("Room \u{FDD0}0\u{FDD1} at \u{FDD0}1\u{FDD1}!", 2).unwrap();
        assert_eq!(&*e.text, "Room  at !");
        let v = e.assemble(&[("room.name", "lobby"), ("room.region", "eu-west-1")]);
        assert_eq!(v.as_str(), "Room lobby at eu-west-1!");
        assert!(Entry::parse("\u{FDD0}2\u{FDD1}", 2).is_none());
        assert!(Entry::parse("\u{FDD0}00\u{FDD1}", 2).is_none());
        assert!(Entry::parse("\u{FDD1}", 2).is_none());
        assert!(Entry::parse("\u{FDD0}0", 2).is_none());
        assert!(Entry::parse("\u{FDD0}_\u{FDD1}", 2).is_none());
    }

    #[test]
    fn stand_ins_are_never_shorter_than_their_values() {
        for (i, len) in [(0, 0), (1, 9), (0, 16), (12, 17), (3, 128), (0, 3_300_000)] {
            let s = stand_in(i, len);
            assert!(s.len() >= len, "{i} {len}");
            assert_eq!(s.len(), stand_in_len(len), "{i} {len}");
            let e = Entry::parse(&format!("a{s}b"), i + 1).unwrap();
            assert_eq!((&*e.text, e.cuts), ("ab", vec![(1, i)]));
        }
    }

    #[test]
    fn keys_tell_values_apart() {
        let key = |vals: &[Value]| {
            let mut k = String::new();
            for v in vals {
                write_value(&mut k, v);
            }
            k
        };
        assert_ne!(key(&[Value::from(1)]), key(&[Value::from(1.0)]));
        assert_ne!(key(&[Value::from("1")]), key(&[Value::from(1)]));
        assert_ne!(key(&[Value::from(true)]), key(&[Value::from("true")]));
        assert_ne!(
            key(&[Value::from("a;s1:b")]),
            key(&[Value::from("a"), Value::from("b")])
        );
    }
}
