//! The JSON value built from the span pass's own events, so a file is
//! parsed once.

use super::sink::ItemSink;
use saphyr_parser::Event;
use std::collections::HashMap;

/// Builds the JSON value from the same parser events the span index reads,
/// so a file is parsed once and no list of all its events is ever held
/// (serde_yaml keeps one, about 200 bytes per node: 200 MB for a
/// 100,000-room inventory). Scalars are resolved by serde_yaml itself, so
/// `1`, `true`, `~` and `0x1f` mean what they mean to serde_yaml. Anything
/// unusual (a tag, NaN or infinity, an alias as a key) makes it give up, and
/// [`parse`] takes serde_yaml's careful way instead.
#[derive(Default)]
pub(super) struct JsonBuilder {
    pub(super) stack: Vec<Part>,
    pub(super) anchors: HashMap<usize, serde_json::Value>,
    pub(super) root: Option<serde_json::Value>,
    pub(super) gave_up: bool,
    /// The top-level key whose list items go to an [`ItemSink`].
    pub(super) sink_key: Option<String>,
    /// An item of that list, complete, waiting for the sink (which needs
    /// the item's spans, recorded after the builder saw its last event).
    pub(super) pending: Option<(usize, serde_json::Value)>,
}

pub(super) enum Part {
    /// Entries are gathered first so each map is allocated at its exact
    /// size (an index map grows to at least four entries otherwise).
    Map {
        entries: Vec<(String, serde_json::Value)>,
        key: Option<String>,
        anchor: usize,
    },
    Seq {
        items: Vec<serde_json::Value>,
        anchor: usize,
        /// Its items go to the sink.
        sink: bool,
        /// Positions of the items the sink took.
        taken: Vec<usize>,
    },
}

impl JsonBuilder {
    fn awaiting_key(&self) -> bool {
        matches!(self.stack.last(), Some(Part::Map { key: None, .. }))
    }

    pub(super) fn event(&mut self, event: &Event<'_>) {
        if self.gave_up {
            return;
        }
        match event {
            Event::Scalar(_, _, _, Some(_))
            | Event::MappingStart(_, Some(_))
            | Event::SequenceStart(_, Some(_)) => self.gave_up = true,
            Event::Scalar(text, style, anchor, None) => {
                if self.awaiting_key() {
                    if let Some(Part::Map { key, .. }) = self.stack.last_mut() {
                        *key = Some(text.to_string());
                    }
                    // An alias of an anchored key is a value, read as one.
                    if *anchor != 0 {
                        match resolve_scalar(text, *style) {
                            Some(v) => {
                                self.anchors.insert(*anchor, v);
                            }
                            None => self.gave_up = true,
                        }
                    }
                    return;
                }
                match resolve_scalar(text, *style) {
                    Some(v) => self.complete(v, *anchor),
                    None => self.gave_up = true,
                }
            }
            Event::Alias(id) => match self.anchors.get(id) {
                Some(v) if !self.awaiting_key() => {
                    let v = v.clone();
                    self.complete(v, 0)
                }
                _ => self.gave_up = true,
            },
            // A complex key: reported by the span pass.
            Event::MappingStart(..) | Event::SequenceStart(..) if self.awaiting_key() => {
                self.gave_up = true
            }
            Event::MappingStart(anchor, None) => self.stack.push(Part::Map {
                entries: Vec::new(),
                key: None,
                anchor: *anchor,
            }),
            Event::SequenceStart(anchor, None) => {
                // Not an anchored list: an alias of it must see every item.
                let sink = *anchor == 0
                    && self.sink_key.is_some()
                    && matches!(self.stack.as_slice(), [Part::Map { key: Some(k), .. }] if Some(k) == self.sink_key.as_ref());
                self.stack.push(Part::Seq {
                    items: Vec::new(),
                    anchor: *anchor,
                    sink,
                    taken: Vec::new(),
                })
            }
            Event::MappingEnd | Event::SequenceEnd => match self.stack.pop() {
                Some(Part::Map {
                    entries, anchor, ..
                }) => self.complete(
                    serde_json::Value::Object(entries.into_iter().collect()),
                    anchor,
                ),
                Some(Part::Seq {
                    mut items, anchor, ..
                }) => {
                    items.shrink_to_fit();
                    self.complete(serde_json::Value::Array(items), anchor)
                }
                None => self.gave_up = true,
            },
            _ => {}
        }
    }

    /// A whole node: goes into its parent, or is the document.
    fn complete(&mut self, value: serde_json::Value, anchor: usize) {
        if anchor != 0 {
            self.anchors.insert(anchor, value.clone());
        }
        match self.stack.last_mut() {
            None => self.root = Some(value),
            Some(Part::Seq {
                items,
                sink: true,
                taken,
                ..
            }) => self.pending = Some((items.len() + taken.len(), value)),
            Some(Part::Seq { items, .. }) => items.push(value),
            Some(Part::Map { entries, key, .. }) => match key.take() {
                Some(k) => entries.push((k, value)),
                None => self.gave_up = true,
            },
        }
    }

    /// Records what the sink did with the pending item `index`.
    pub(super) fn place(&mut self, index: usize, kept: Option<serde_json::Value>) {
        if let Some(Part::Seq { items, taken, .. }) = self.stack.last_mut() {
            match kept {
                Some(v) => items.push(v),
                None => taken.push(index),
            }
        }
    }

    /// A list ends: when it is the sink's, takes back the items the sink
    /// gives back after all; then, when the sink took some items but not
    /// all, puts stand-ins where it took them, so the rest keep their
    /// positions.
    pub(super) fn fill_taken(&mut self, sink: &mut dyn ItemSink) {
        let Some(Part::Seq {
            items,
            taken,
            sink: true,
            ..
        }) = self.stack.last_mut()
        else {
            return;
        };
        let returned = sink.end();
        let total = items.len() + taken.len();
        // Every position: kept (in `items`, in order) or taken.
        let mut kept = std::mem::take(items).into_iter();
        let mut taken_at = std::mem::take(taken).into_iter().peekable();
        let mut returned = returned.into_iter().peekable();
        let mut slots: Vec<Option<serde_json::Value>> = Vec::with_capacity(total);
        for i in 0..total {
            if taken_at.next_if_eq(&i).is_some() {
                slots.push(returned.next_if(|(at, _)| *at == i).map(|(_, v)| v));
            } else {
                slots.push(kept.next());
            }
        }
        let any_kept = slots.iter().any(Option::is_some);
        for (i, slot) in slots.into_iter().enumerate() {
            match slot {
                Some(v) => items.push(v),
                None if any_kept => items.push(sink.stand_in()),
                None => taken.push(i),
            }
        }
    }

    /// The document's value, or `None` when the careful way is needed.
    pub(super) fn finish(self) -> Option<serde_json::Value> {
        (!self.gave_up && self.stack.is_empty()).then(|| self.root.unwrap_or_default())
    }
}

/// The JSON value of one untagged scalar as serde_yaml reads it. Quoted and
/// block scalars are strings; a plain one can only be something else when
/// it is empty, a null or boolean word, or starts like a number and has no
/// white space (no null, boolean or number has any), and then serde_yaml
/// decides. `None` for values JSON cannot hold (NaN, infinity) and for what
/// serde_yaml does not read back as written.
pub(super) fn resolve_scalar(
    text: &str,
    style: saphyr_parser::ScalarStyle,
) -> Option<serde_json::Value> {
    use serde_json::Value;
    if style != saphyr_parser::ScalarStyle::Plain {
        return Some(Value::String(text.to_string()));
    }
    if text.contains(char::is_whitespace) {
        return Some(Value::String(text.to_string()));
    }
    let maybe_not_string = match text.as_bytes().first() {
        None => true,
        Some(b'0'..=b'9' | b'+' | b'-' | b'.' | b'~') => true,
        Some(_) => matches!(
            text,
            "null" | "Null" | "NULL" | "true" | "True" | "TRUE" | "false" | "False" | "FALSE"
        ),
    };
    if !maybe_not_string {
        return Some(Value::String(text.to_string()));
    }
    let lower = text.to_ascii_lowercase();
    if lower.contains("inf") || lower.contains("nan") {
        return None;
    }
    // The text was read once already: as a mapping's value on one line,
    // `---` and `...` are not document markers and nothing is folded again.
    let v = match serde_yaml::from_str::<Value>(&format!("x: {text}")) {
        Ok(Value::Object(mut m)) => m.remove("x")?,
        _ => return None,
    };
    match v {
        Value::String(s) if s != text => None,
        v @ (Value::Null | Value::Bool(_) | Value::Number(_) | Value::String(_)) => Some(v),
        _ => None,
    }
}
