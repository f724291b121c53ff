//! Attribute templates: minijinja with strict undefined and layered variables.
//!
//! An attribute value such as `"Closing in {{ minutes }} minutes"` is
//! rendered once per room. Names resolve, highest precedence first, from
//! command-line `--var`, the event's `vars`, the room's `vars`, the
//! playbook's `vars`; `room`, `event` and `playbook` are built-in objects
//! (`room.name`, `room.arn`, `room.region`, `room.id`, `room.account`,
//! `room.tags`, `event.name`, `playbook.name`, and for an event with `at:`
//! `step.at`, `step.offset`, `step.remaining`, `step.remaining_seconds`). A name found nowhere is an
//! error, never an empty string. Templates have a fuel budget, so a runaway
//! loop fails instead of hanging.

use std::sync::Arc;

use indexmap::IndexMap;
use minijinja::value::{Enumerator, Object, Value};
use minijinja::{Environment, UndefinedBehavior};

use super::model::{VarValue, Vars};

/// Names of the built-in objects; variables may not use them.
pub const BUILTIN_NAMES: &[&str] = &["room", "event", "playbook", "step"];

/// Fuel per render: enough for any reasonable attribute, bounded so that a
/// template cannot spin forever.
const FUEL: u64 = 50_000;

/// The template environment all attributes are compiled in.
pub fn environment<'s>() -> Environment<'s> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_fuel(Some(FUEL));
    env.set_recursion_limit(50);
    env.set_syntax(
        minijinja::syntax::SyntaxConfig::builder()
            .keep_trailing_newline(true)
            .build()
            .expect("default syntax with trailing newlines is valid"),
    );
    env
}

/// Whether a string contains template syntax at all; plain strings are used
/// as they are, which keeps large plans fast.
pub fn is_template(s: &str) -> bool {
    s.contains("{{") || s.contains("{%") || s.contains("{#")
}

/// Converts variables to template values once.
pub fn var_values(vars: &Vars) -> IndexMap<String, Value> {
    vars.iter()
        .map(|(k, v)| (k.clone(), var_value(v)))
        .collect()
}

/// Converts one variable to a template value.
pub fn var_value(v: &VarValue) -> Value {
    match v {
        VarValue::Bool(b) => Value::from(*b),
        VarValue::Int(i) => Value::from(*i),
        VarValue::Float(f) => Value::from(*f),
        VarValue::String(s) => Value::from(s.as_str()),
    }
}

/// Variables shared by every send of a playbook: `--var` values and the
/// playbook's own.
#[derive(Debug)]
pub struct GlobalScope {
    /// `--var` values.
    pub cli: IndexMap<String, Value>,
    /// The playbook's `vars`.
    pub playbook: IndexMap<String, Value>,
    /// The `playbook` built-in.
    pub builtin: Value,
}

/// Variables of one room.
#[derive(Debug)]
pub struct RoomScope {
    /// The room's `vars`.
    pub vars: IndexMap<String, Value>,
    /// The `room` built-in.
    pub builtin: Value,
}

/// Variables of one event.
#[derive(Debug)]
pub struct EventScope {
    /// The event's `vars`.
    pub vars: IndexMap<String, Value>,
    /// The `event` built-in.
    pub builtin: Value,
    /// The `step` built-in, for an event with `at:`; undefined otherwise.
    pub step: Option<Value>,
}

/// The context one attribute is rendered in.
#[derive(Debug, Clone)]
pub struct Context {
    /// Playbook-wide scope.
    pub global: Arc<GlobalScope>,
    /// The event's scope.
    pub event: Arc<EventScope>,
    /// The room's scope.
    pub room: Arc<RoomScope>,
}

impl Context {
    /// Looks a top-level name up through the layers.
    pub fn lookup(&self, name: &str) -> Option<Value> {
        match name {
            "room" => Some(self.room.builtin.clone()),
            "event" => Some(self.event.builtin.clone()),
            "playbook" => Some(self.global.builtin.clone()),
            "step" => self.event.step.clone(),
            _ => self
                .global
                .cli
                .get(name)
                .or_else(|| self.event.vars.get(name))
                .or_else(|| self.room.vars.get(name))
                .or_else(|| self.global.playbook.get(name))
                .cloned(),
        }
    }

    /// Whether a dotted name from `undeclared_variables(true)` resolves.
    pub fn resolves(&self, dotted: &str) -> bool {
        let mut parts = dotted.split('.');
        let Some(first) = parts.next() else {
            return true;
        };
        let Some(mut value) = self.lookup(first) else {
            return false;
        };
        for part in parts {
            match value.get_attr(part) {
                Ok(v) if !v.is_undefined() => value = v,
                _ => return false,
            }
        }
        true
    }

    /// The context as a template value.
    pub fn to_value(&self) -> Value {
        Value::from_object(self.clone())
    }
}

impl Object for Context {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        self.lookup(key.as_str()?)
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        let mut keys: Vec<Value> = BUILTIN_NAMES.iter().map(|k| Value::from(*k)).collect();
        for map in [
            &self.global.cli,
            &self.event.vars,
            &self.room.vars,
            &self.global.playbook,
        ] {
            keys.extend(map.keys().map(|k| Value::from(k.as_str())));
        }
        Enumerator::Values(keys)
    }
}

/// Builds the `room` built-in.
pub fn room_builtin(
    name: &str,
    arn: &str,
    region: &str,
    account: &str,
    id: &str,
    tags: &[String],
) -> Value {
    Value::from_pairs([
        ("name", Value::from(name)),
        ("arn", Value::from(arn)),
        ("region", Value::from(region)),
        ("account", Value::from(account)),
        ("id", Value::from(id)),
        ("tags", Value::from(tags.to_vec())),
    ])
}

/// Builds the `event` built-in.
pub fn event_builtin(name: &str) -> Value {
    Value::from_pairs([("name", Value::from(name))])
}

/// Builds the `step` built-in of a timed event: its time (RFC 3339), its
/// offset as written, and the minutes from it to the anchor (`15` for
/// `-15m`, `1.5` for `-90s`, negative after the anchor), for "closes in
/// {{ step.remaining }} minutes", and the same in whole seconds.
pub fn step_builtin(at: &str, offset: &str, offset_ms: i64) -> Value {
    let remaining = if offset_ms % 60_000 == 0 {
        Value::from(-offset_ms / 60_000)
    } else {
        Value::from((-offset_ms as f64 / 60_000.0 * 100.0).round() / 100.0)
    };
    Value::from_pairs([
        ("at", Value::from(at)),
        ("offset", Value::from(offset)),
        ("remaining", remaining),
        ("remaining_seconds", Value::from(-offset_ms / 1000)),
    ])
}

/// Builds the `playbook` built-in.
pub fn playbook_builtin(name: &str) -> Value {
    Value::from_pairs([("name", Value::from(name))])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> Context {
        let mut pv = IndexMap::new();
        pv.insert("minutes".to_string(), Value::from(15));
        pv.insert("who".to_string(), Value::from("playbook"));
        let mut ev = IndexMap::new();
        ev.insert("who".to_string(), Value::from("event"));
        Context {
            global: Arc::new(GlobalScope {
                cli: IndexMap::new(),
                playbook: pv,
                builtin: playbook_builtin("p"),
            }),
            event: Arc::new(EventScope {
                vars: ev,
                builtin: event_builtin("SystemMessage"),
                step: Some(step_builtin("2026-12-01T19:45:00Z", "-15m", -900_000)),
            }),
            room: Arc::new(RoomScope {
                vars: IndexMap::new(),
                builtin: room_builtin("lobby", "arn:x", "us-west-2", "1", "abc", &[]),
            }),
        }
    }

    #[test]
    fn layers_and_builtins() {
        let env = environment();
        let t = env
            .template_from_str(
                "{{ who }} {{ minutes }} {{ room.name }}@{{ room.region }} {{ event.name }}\n",
            )
            .unwrap();
        assert_eq!(
            t.render(ctx().to_value()).unwrap(),
            "event 15 lobby@us-west-2 SystemMessage\n"
        );
    }

    #[test]
    fn step_gives_the_minutes_left_whole_or_not() {
        let env = environment();
        let t = env
            .template_from_str(
                "closes in {{ step.remaining }} minutes ({{ step.at }}, {{ step.offset }})",
            )
            .unwrap();
        assert_eq!(
            t.render(ctx().to_value()).unwrap(),
            "closes in 15 minutes (2026-12-01T19:45:00Z, -15m)"
        );
        let half = step_builtin("x", "-90s", -90_000);
        assert_eq!(half.get_attr("remaining").unwrap().to_string(), "1.5");
        let after = step_builtin("x", "+2m", 120_000);
        assert_eq!(after.get_attr("remaining").unwrap().to_string(), "-2");
        let zero = step_builtin("x", "0s", 0);
        assert_eq!(zero.get_attr("remaining").unwrap().to_string(), "0");
    }

    #[test]
    fn strict_undefined_and_resolves() {
        let env = environment();
        let t = env.template_from_str("{{ nope }}").unwrap();
        assert!(t.render(ctx().to_value()).is_err());
        let c = ctx();
        assert!(c.resolves("room.name"));
        assert!(!c.resolves("room.nope"));
        assert!(!c.resolves("nope"));
    }

    #[test]
    fn runaway_loop_runs_out_of_fuel() {
        let env = environment();
        let t = env
            .template_from_str(
                "{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}",
            )
            .unwrap();
        assert!(t.render(ctx().to_value()).is_err());
    }
}
