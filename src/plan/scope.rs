//! The context one send is rendered in, made only when a template is
//! rendered: most sends of a large plan take every attribute from
//! [`super::cache`], which needs only the values of a few names.

use crate::playbook::rooms::Room;
use crate::playbook::template::{self, Context, EventScope, GlobalScope, RoomScope};
use minijinja::Value;
use std::sync::Arc;

/// One room's scope, made on first use and shared by its sends.
pub(super) struct RoomCtx<'a> {
    pub(super) global: &'a Arc<GlobalScope>,
    pub(super) room: &'a Room,
    scope: Option<Arc<RoomScope>>,
}

impl<'a> RoomCtx<'a> {
    pub(super) fn new(global: &'a Arc<GlobalScope>, room: &'a Room) -> Self {
        RoomCtx {
            global,
            room,
            scope: None,
        }
    }

    fn scope(&mut self) -> &Arc<RoomScope> {
        self.scope.get_or_insert_with(|| room_scope(self.room))
    }
}

/// A dotted name (as `undeclared_variables(true)` gives them), sorted once
/// by where its value comes from.
#[derive(Debug)]
pub(super) struct Name {
    pub(super) text: String,
    kind: NameKind,
}

#[derive(Debug, Clone, Copy)]
enum NameKind {
    /// `room.name`, `room.arn`, `room.region`, `room.account`, `room.id`.
    RoomField(RoomField),
    /// A variable, not dotted.
    Var,
    /// Anything else, looked up as a template would.
    Other,
}

#[derive(Debug, Clone, Copy)]
enum RoomField {
    Name,
    Arn,
    Region,
    Account,
    Id,
}

impl Name {
    pub(super) fn new(text: String) -> Self {
        let kind = match text.split_once('.') {
            Some(("room", "name")) => NameKind::RoomField(RoomField::Name),
            Some(("room", "arn")) => NameKind::RoomField(RoomField::Arn),
            Some(("room", "region")) => NameKind::RoomField(RoomField::Region),
            Some(("room", "account")) => NameKind::RoomField(RoomField::Account),
            Some(("room", "id")) => NameKind::RoomField(RoomField::Id),
            None if !template::BUILTIN_NAMES.contains(&text.as_str()) => NameKind::Var,
            _ => NameKind::Other,
        };
        Name { text, kind }
    }

    /// The name's first part.
    pub(super) fn root(&self) -> &str {
        self.text.split('.').next().unwrap_or(&self.text)
    }
}

/// The value of one name for one send.
pub(super) enum Resolved<'a> {
    /// A string, as templates see it.
    Str(&'a str),
    /// Anything else.
    Value(Value),
    /// Defined nowhere.
    Undefined,
}

/// One send's context: its room's and its event's.
pub(super) struct SendCtx<'a, 'r> {
    room: &'r mut RoomCtx<'a>,
    event: &'a Arc<EventScope>,
    value: Option<Value>,
}

impl<'a, 'r> SendCtx<'a, 'r> {
    pub(super) fn new(room: &'r mut RoomCtx<'a>, event: &'a Arc<EventScope>) -> Self {
        SendCtx {
            room,
            event,
            value: None,
        }
    }

    /// The room of the send.
    pub(super) fn room(&self) -> &'a Room {
        self.room.room
    }

    fn context(&mut self, scope: Arc<RoomScope>) -> Context {
        Context {
            global: self.room.global.clone(),
            event: self.event.clone(),
            room: scope,
        }
    }

    /// The context as templates see it.
    pub(super) fn value(&mut self) -> &Value {
        if self.value.is_none() {
            let scope = self.room.scope().clone();
            self.value = Some(self.context(scope).to_value());
        }
        self.value.as_ref().expect("made above")
    }

    /// The value of a name, looked up through the layers as a template does.
    pub(super) fn resolve(&mut self, name: &Name) -> Resolved<'a> {
        let room: &'a Room = self.room.room;
        match name.kind {
            NameKind::RoomField(f) => Resolved::Str(match f {
                RoomField::Name => room.display_name(),
                RoomField::Arn => &room.arn.arn,
                RoomField::Region => &room.arn.region,
                RoomField::Account => &room.arn.account,
                RoomField::Id => &room.arn.id,
            }),
            NameKind::Var => {
                let root = name.text.as_str();
                let global = self.room.global;
                if let Some(v) = global.cli.get(root).or_else(|| self.event.vars.get(root)) {
                    return Resolved::Value(v.clone());
                }
                if let Some(v) = room.vars.get(root) {
                    return match v {
                        crate::playbook::model::VarValue::String(s) => Resolved::Str(s),
                        v => Resolved::Value(template::var_value(v)),
                    };
                }
                match global.playbook.get(root) {
                    Some(v) => Resolved::Value(v.clone()),
                    None => Resolved::Undefined,
                }
            }
            NameKind::Other => {
                let scope = self.room.scope().clone();
                let ctx = self.context(scope);
                let mut parts = name.text.split('.');
                let mut value = parts.next().and_then(|root| ctx.lookup(root));
                for part in parts {
                    value = value.and_then(|v| v.get_attr(part).ok().filter(|v| !v.is_undefined()));
                }
                value.map_or(Resolved::Undefined, Resolved::Value)
            }
        }
    }

    /// The context with some names standing for other strings: `room.*`
    /// fields, or variables (which then come from the room's layer; no name
    /// given here is set by `--var` or the event).
    pub(super) fn with_stand_ins(&mut self, stand_ins: &[(&str, String)]) -> Value {
        let room = self.room.room;
        let real = self.room.scope().clone();
        let mut vars = real.vars.clone();
        let field = |f: &str, value: &str| -> String {
            let name = format!("room.{f}");
            stand_ins
                .iter()
                .find(|(n, _)| *n == name)
                .map_or_else(|| value.to_string(), |(_, s)| s.clone())
        };
        for (name, s) in stand_ins {
            if !name.starts_with("room.") {
                vars.insert(name.to_string(), Value::from(s.as_str()));
            }
        }
        let scope = Arc::new(RoomScope {
            vars,
            builtin: template::room_builtin(
                &field("name", room.display_name()),
                &field("arn", &room.arn.arn),
                &field("region", &room.arn.region),
                &field("account", &room.arn.account),
                &field("id", &room.arn.id),
                &room.tags,
            ),
        });
        self.context(scope).to_value()
    }
}

pub(super) fn room_scope(room: &Room) -> Arc<RoomScope> {
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
