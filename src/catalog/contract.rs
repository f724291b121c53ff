//! Holding attribute values to an event definition.
//!
//! The same checks serve three callers: validation (values written without
//! template syntax are known before rendering, so they are checked once, at
//! their place in the playbook), planning (templated values are checked for
//! every room after rendering, and failures are aggregated per event and
//! attribute like the 1 KB check), and `catalog check` (a definition's
//! defaults must meet its own constraints). Each broken rule is a
//! [`Violation`] with a stable code, turned into a diagnostic that points at
//! the value and, as a secondary label, at the rule in the definition.

use std::sync::Arc;

use crate::catalog::{AttributeDef, Definition};
use crate::diag::{Diagnostic, Location};

/// One rule a value breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Violation {
    /// The value is not in `enum`.
    NotInEnum {
        /// The value.
        value: String,
    },
    /// The value does not match `pattern`.
    PatternMismatch {
        /// The value.
        value: String,
    },
    /// More characters than `max_length`.
    TooLong {
        /// Characters in the value.
        chars: usize,
        /// The limit.
        max: usize,
    },
    /// Fewer characters than `min_length`.
    TooShort {
        /// Characters in the value.
        chars: usize,
        /// The limit.
        min: usize,
    },
    /// More UTF-8 bytes than `max_bytes`.
    TooManyBytes {
        /// Bytes in the value.
        bytes: usize,
        /// The limit.
        max: usize,
    },
}

/// Checks one value against an attribute's constraints, appending every
/// rule it breaks.
pub fn check_value(attr: &AttributeDef, value: &str, out: &mut Vec<Violation>) {
    if let Some(e) = &attr.enum_values
        && !e.value.iter().any(|v| v == value)
    {
        out.push(Violation::NotInEnum {
            value: value.to_string(),
        });
    }
    if let Some(p) = &attr.pattern
        && !p.value.matches(value)
    {
        out.push(Violation::PatternMismatch {
            value: value.to_string(),
        });
    }
    if attr.min_length.is_some() || attr.max_length.is_some() {
        let chars = value.chars().count();
        if let Some(max) = &attr.max_length
            && chars > max.value
        {
            out.push(Violation::TooLong {
                chars,
                max: max.value,
            });
        }
        if let Some(min) = &attr.min_length
            && chars < min.value
        {
            out.push(Violation::TooShort {
                chars,
                min: min.value,
            });
        }
    }
    if let Some(max) = &attr.max_bytes
        && value.len() > max.value
    {
        out.push(Violation::TooManyBytes {
            bytes: value.len(),
            max: max.value,
        });
    }
}

impl Violation {
    /// The stable diagnostic code.
    pub fn code(&self) -> &'static str {
        match self {
            Violation::NotInEnum { .. } => "catalog::value-not-in-enum",
            Violation::PatternMismatch { .. } => "catalog::pattern-mismatch",
            Violation::TooLong { .. } => "catalog::too-long",
            Violation::TooShort { .. } => "catalog::too-short",
            Violation::TooManyBytes { .. } => "catalog::too-many-bytes",
        }
    }

    /// Whether `self` is a worse example than `other` of the same rule, so
    /// the aggregated message names the worst room (the longest value, the
    /// shortest); for `enum` and `pattern` the first room is kept.
    pub fn worse_than(&self, other: &Violation) -> bool {
        match (self, other) {
            (Violation::TooLong { chars: a, .. }, Violation::TooLong { chars: b, .. }) => a > b,
            (Violation::TooShort { chars: a, .. }, Violation::TooShort { chars: b, .. }) => a < b,
            (
                Violation::TooManyBytes { bytes: a, .. },
                Violation::TooManyBytes { bytes: b, .. },
            ) => a > b,
            _ => false,
        }
    }

    /// How the aggregated message calls the room it names.
    fn example_word(&self) -> &'static str {
        match self {
            Violation::TooLong { .. } => "the longest",
            Violation::TooShort { .. } => "the shortest",
            Violation::TooManyBytes { .. } => "the largest",
            _ => "the first",
        }
    }

    /// What is wrong with the value, without naming it: "is not one of a,
    /// b", "is 612 characters, over max_length 500".
    pub fn predicate(&self, attr: &AttributeDef) -> String {
        match self {
            Violation::NotInEnum { .. } => {
                let allowed = attr
                    .enum_values
                    .as_ref()
                    .map(|e| e.value.join(", "))
                    .unwrap_or_default();
                format!("is not one of {allowed}")
            }
            Violation::PatternMismatch { .. } => {
                let p = attr
                    .pattern
                    .as_ref()
                    .map(|p| p.value.source.as_str())
                    .unwrap_or_default();
                format!("does not match the pattern `{p}`")
            }
            Violation::TooLong { chars, max } => {
                format!("is {chars} characters, over max_length {max}")
            }
            Violation::TooShort { chars, min } => format!(
                "is {chars} character{}, under min_length {min}",
                if *chars == 1 { "" } else { "s" }
            ),
            Violation::TooManyBytes { bytes, max } => {
                format!("is {bytes} bytes of UTF-8, over max_bytes {max}")
            }
        }
    }

    /// The whole sentence: "attribute `msgType` value `notice` is not one of
    /// a, b", with `room` (" for room `x`") after the subject.
    pub fn describe(&self, attr: &AttributeDef, room: &str) -> String {
        let value = match self {
            Violation::NotInEnum { value } | Violation::PatternMismatch { value } => {
                format!(" value `{}`", shorten(value))
            }
            _ => String::new(),
        };
        format!(
            "attribute `{}`{value}{room} {}",
            attr.key,
            self.predicate(attr)
        )
    }

    /// Where the broken rule is written in the definition.
    pub fn rule_at(&self, attr: &AttributeDef) -> Option<Location> {
        match self {
            Violation::NotInEnum { .. } => attr.enum_values.as_ref().map(|s| s.at),
            Violation::PatternMismatch { .. } => attr.pattern.as_ref().map(|s| s.at),
            Violation::TooLong { .. } => attr.max_length.as_ref().map(|s| s.at),
            Violation::TooShort { .. } => attr.min_length.as_ref().map(|s| s.at),
            Violation::TooManyBytes { .. } => attr.max_bytes.as_ref().map(|s| s.at),
        }
    }

    fn rule_name(&self) -> &'static str {
        match self {
            Violation::NotInEnum { .. } => "enum",
            Violation::PatternMismatch { .. } => "pattern",
            Violation::TooLong { .. } => "max_length",
            Violation::TooShort { .. } => "min_length",
            Violation::TooManyBytes { .. } => "max_bytes",
        }
    }

    fn hint(&self, def: &Definition) -> String {
        match self {
            Violation::NotInEnum { .. } => format!(
                "the front-end renders only these values; use one of them, or add the value to `{}` first",
                def.label()
            ),
            Violation::PatternMismatch { .. } => {
                "the pattern must match the whole value".to_string()
            }
            Violation::TooLong { max, .. } => {
                format!("shorten the value to at most {max} characters")
            }
            Violation::TooShort { min, .. } => {
                format!("the value needs at least {min} characters")
            }
            Violation::TooManyBytes { max, .. } => {
                format!("keep the value within {max} bytes of UTF-8 (`ü` is 2 bytes, `😀` is 4)")
            }
        }
    }
}

/// Several rooms broke the same rule; the message names one of them.
#[derive(Debug, Clone, Copy)]
pub struct RoomCount<'a> {
    /// The room named.
    pub room: &'a str,
    /// How many rooms broke the rule.
    pub count: usize,
    /// How many rooms get the event.
    pub total: usize,
}

/// The diagnostic for a broken rule, at `at` (the value in the playbook,
/// or the `use:` for a default), with the rule as a secondary label.
pub fn violation_diagnostic(
    def: &Definition,
    attr: &AttributeDef,
    v: &Violation,
    rooms: Option<RoomCount<'_>>,
    at: Location,
) -> Diagnostic {
    let room = rooms
        .map(|r| format!(" for room `{}`", r.room))
        .unwrap_or_default();
    let mut message = v.describe(attr, &room);
    if let Some(r) = rooms
        && r.count > 1
    {
        message.push_str(&format!(
            " ({} of {} rooms; this is {})",
            r.count,
            r.total,
            v.example_word()
        ));
    }
    Diagnostic::error(v.code(), message)
        .at(Some(at))
        .related(
            v.rule_at(attr),
            format!("`{}` of `{}` defined here", v.rule_name(), def.label()),
        )
        .hint(v.hint(def))
}

/// A playbook event's contract: its definition and which attributes must be
/// checked again for every room.
#[derive(Debug, Clone)]
pub struct Contract {
    /// The definition the event uses.
    pub definition: Arc<Definition>,
    /// Pairs of (index into the event's attributes, index into the
    /// definition's attributes) for templated values that have constraints:
    /// only these depend on the room. Empty when there is nothing to check
    /// per room, which keeps planning as fast as without a catalog.
    pub room_checks: Vec<(usize, usize)>,
}

/// Shortens a value for a message.
fn shorten(s: &str) -> String {
    const MAX: usize = 60;
    let s = s.replace('\n', "\\n");
    if s.chars().count() <= MAX {
        s
    } else {
        let mut t: String = s.chars().take(MAX - 1).collect();
        t.push('…');
        t
    }
}
