//! The one pass over saphyr-parser's events: spans, duplicate and complex
//! keys, alias bombs, a second document, and the JSON value as it goes.

use std::borrow::Cow;
use std::collections::HashMap;

use saphyr_parser::{Event, Parser, ScanError};

use super::build::JsonBuilder;
use super::bytes::ByteMap;
use super::sink::{ItemSink, ItemSpans};
use super::spans::{NodeSpan, Nodes, PointerHash, SpanIndex};
use crate::diag::{Diagnostic, FileId, Location, Sources};

/// How much alias expansion a file may have beyond its own size, in nodes.
const ALIAS_EXPANSION_ALLOWANCE: usize = 10_000;

/// Deepest nesting of mappings and lists a file may have: far beyond any
/// playbook (they nest about six levels), and serde_yaml's and serde_json's
/// own limit. Each open level keeps its pointer, so without a bound a 33 KB
/// line of `a: : : …` nested 16,000 levels and took 300 MB.
pub(super) const MAX_DEPTH: usize = 128;

pub(super) enum Frame<'a> {
    Map {
        pointer: PointerHash,
        slot: usize,
        /// The key whose value comes next: its value's pointer, its span,
        /// and whether it is the sink's list.
        key: Option<(PointerHash, (usize, usize), bool)>,
        seen: Keys<'a>,
        anchor: usize,
        size: usize,
    },
    Seq {
        pointer: PointerHash,
        slot: usize,
        next: usize,
        anchor: usize,
        size: usize,
        /// Its items go to the sink.
        sink: bool,
    },
    /// Inside a complex key, which is reported and not indexed.
    Skip { depth: usize },
}

/// What a mapping's key is.
enum KeyEvent<'a> {
    Plain(Cow<'a, str>),
    Alias,
    Complex,
}

/// The keys of one mapping so far, with their spans: a list while it is
/// short (most mappings have a few keys), a hash table after.
#[derive(Default)]
pub(super) struct Keys<'a> {
    list: Vec<(Cow<'a, str>, (usize, usize))>,
    table: HashMap<Cow<'a, str>, (usize, usize)>,
}

impl<'a> Keys<'a> {
    const LIST: usize = 16;

    /// Where `key` was first written; records it when new.
    fn first_or_insert(
        &mut self,
        key: Cow<'a, str>,
        span: (usize, usize),
    ) -> Option<(usize, usize)> {
        if self.list.len() < Self::LIST {
            if let Some((_, first)) = self.list.iter().find(|(k, _)| *k == key) {
                return Some(*first);
            }
            self.list.push((key, span));
            return None;
        }
        if let Some((_, first)) = self.list.iter().find(|(k, _)| *k == key) {
            return Some(*first);
        }
        match self.table.entry(key) {
            std::collections::hash_map::Entry::Occupied(e) => Some(*e.get()),
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert(span);
                None
            }
        }
    }
}

/// Walks the parser's events once, recording spans, catching duplicate keys,
/// complex keys and alias bombs, and building the JSON value when it can
/// (see [`JsonBuilder`]).
pub(super) fn index_spans<'s>(
    sources: &Sources,
    file: FileId,
    diags: &mut Vec<Diagnostic>,
    sink: Option<&mut (dyn ItemSink + 's)>,
) -> Option<(SpanIndex, Option<serde_json::Value>)> {
    let text = &*sources.get(file).text;
    let bytes = ByteMap::new(text);
    let mut walk = Walk::new(text, file, diags, sink);
    let mut parser = Parser::new_from_str(text);
    while let Some(next) = parser.next_event() {
        let (event, span) = match next {
            Ok(e) => e,
            Err(e) => {
                walk.diags.push(scan_error(sources, file, &bytes, &e));
                return None;
            }
        };
        match walk.event(event, bytes.span(&span)) {
            Step::Next => {}
            Step::End => break,
            Step::Abort => return None,
        }
    }
    walk.finish()
}

/// What the walk does after an event.
enum Step {
    /// Read the next event.
    Next,
    /// The stream ended: check the whole file and hand back the index.
    End,
    /// The file cannot be indexed; its diagnostic is already out.
    Abort,
}

/// The state of one [`index_spans`] pass, fed one event at a time.
struct Walk<'a, 's> {
    text: &'a str,
    file: FileId,
    diags: &'a mut Vec<Diagnostic>,
    sink: Option<&'a mut (dyn ItemSink + 's)>,
    nodes: Nodes,
    stack: Vec<Frame<'a>>,
    /// Expanded size of each anchored node, for its aliases.
    anchors: HashMap<usize, usize>,
    events_seen: usize,
    /// Nodes counted with aliases expanded.
    expanded: usize,
    documents: usize,
    second_document: Option<(usize, usize)>,
    /// False once a key problem makes the index unusable.
    ok: bool,
    builder: JsonBuilder,
    /// The top-level key of the sink's list, whose items are handed over.
    sink_key: Option<String>,
    /// Slot of the first node of the list item being read.
    item_start: usize,
}

fn location(file: FileId, span: (usize, usize)) -> Location {
    Location {
        file,
        start: span.0,
        end: span.1,
    }
}

impl<'a, 's> Walk<'a, 's> {
    fn new(
        text: &'a str,
        file: FileId,
        diags: &'a mut Vec<Diagnostic>,
        sink: Option<&'a mut (dyn ItemSink + 's)>,
    ) -> Self {
        let sink_key = sink.as_ref().map(|s| s.key().to_string());
        let builder = JsonBuilder {
            sink_key: sink_key.clone(),
            ..JsonBuilder::default()
        };
        Walk {
            text,
            file,
            diags,
            sink,
            // About one node per 16 bytes of YAML: a room inventory's
            // density, so a large one is indexed without regrowing the list.
            nodes: Nodes(Vec::with_capacity(text.len() / 16)),
            stack: Vec::new(),
            anchors: HashMap::new(),
            events_seen: 0,
            expanded: 0,
            documents: 0,
            second_document: None,
            ok: true,
            builder,
            sink_key,
            item_start: 0,
        }
    }

    /// One parser event, at byte span `sp`.
    fn event(&mut self, event: Event<'a>, sp: (usize, usize)) -> Step {
        self.events_seen += 1;
        self.build(&event);
        if self.skip_complex_key(&event) {
            return Step::Next;
        }
        let (is_node, anchor, alias_size) = match &event {
            Event::Scalar(_, _, a, _) => (true, *a, None),
            Event::MappingStart(a, _) | Event::SequenceStart(a, _) => (true, *a, None),
            Event::Alias(id) => (true, 0, Some(self.anchors.get(id).copied().unwrap_or(1))),
            Event::DocumentStart(_) => {
                self.documents += 1;
                if self.documents == 2 {
                    self.second_document = Some(sp);
                }
                return Step::Next;
            }
            _ => (false, 0, None),
        };
        if is_node {
            return self.node(event, sp, anchor, alias_size.unwrap_or(1));
        }
        match event {
            Event::MappingEnd | Event::SequenceEnd => self.close(sp),
            Event::StreamEnd => return Step::End,
            _ => {}
        }
        Step::Next
    }

    /// Feeds the JSON builder (first document only), and hands the sink the
    /// list item completed by the previous event, now fully indexed.
    fn build(&mut self, event: &Event<'_>) {
        if let (Some((i, item)), Some(sink)) =
            (self.builder.pending.take(), self.sink.as_deref_mut())
        {
            let spans = ItemSpans {
                file: self.file,
                nodes: &self.nodes.0[self.item_start.min(self.nodes.0.len())..],
            };
            let kept = sink.item(i, item, &spans);
            self.builder.place(i, kept);
        }
        if let (Event::SequenceEnd, Some(sink)) = (event, self.sink.as_deref_mut())
            && self.documents <= 1
        {
            self.builder.fill_taken(sink);
        }
        if self.documents <= 1 {
            self.builder.event(event);
        }
    }

    /// Inside a complex key only nesting is tracked: true when the event
    /// was taken so.
    fn skip_complex_key(&mut self, event: &Event<'_>) -> bool {
        let Some(Frame::Skip { depth }) = self.stack.last_mut() else {
            return false;
        };
        match event {
            Event::MappingStart(..) | Event::SequenceStart(..) => *depth += 1,
            Event::MappingEnd | Event::SequenceEnd => {
                *depth -= 1;
                if *depth == 0 {
                    self.stack.pop();
                }
            }
            _ => {}
        }
        true
    }

    /// A scalar, alias or collection start: indexed (unless it is a key),
    /// counted against the alias allowance, and opened if a collection.
    fn node(&mut self, event: Event<'a>, sp: (usize, usize), anchor: usize, size: usize) -> Step {
        let Some((pointer, sink)) = self.place(sp) else {
            let key = match event {
                Event::Scalar(k, ..) => KeyEvent::Plain(k),
                Event::Alias(_) => KeyEvent::Alias,
                _ => KeyEvent::Complex,
            };
            self.key(key, sp);
            return Step::Next;
        };
        // Every node that is not a key was just added.
        let slot = self.nodes.len() - 1;
        if !self.within_alias_allowance(size, sp) {
            return Step::Abort;
        }
        if matches!(event, Event::MappingStart(..) | Event::SequenceStart(..))
            && self.stack.len() >= MAX_DEPTH
        {
            self.diags.push(
                Diagnostic::error(
                    "yaml::too-deep",
                    format!("mappings and lists are nested more than {MAX_DEPTH} levels deep here"),
                )
                .at(Some(location(self.file, sp)))
                .hint("a playbook nests a few levels; flatten the document"),
            );
            return Step::Abort;
        }
        match event {
            Event::MappingStart(..) => self.stack.push(Frame::Map {
                pointer,
                slot,
                key: None,
                seen: Keys::default(),
                anchor,
                size: 1,
            }),
            Event::SequenceStart(..) => self.stack.push(Frame::Seq {
                pointer,
                slot,
                next: 0,
                anchor,
                size: 1,
                sink,
            }),
            _ => {
                if anchor != 0 {
                    self.anchors.insert(anchor, 1);
                }
                add_size(&mut self.stack, size);
            }
        }
        Step::Next
    }

    /// Where the node goes: its pointer, with its span indexed there, and
    /// whether it is the sink's list; or `None` when it is a mapping's key
    /// (read by [`Walk::key`]).
    fn place(&mut self, sp: (usize, usize)) -> Option<(PointerHash, bool)> {
        match self.stack.last_mut() {
            None => {
                let root = PointerHash::root();
                self.nodes.push(
                    &root,
                    NodeSpan {
                        key: None,
                        value: sp,
                    },
                );
                Some((root, false))
            }
            Some(Frame::Map { key, .. }) => {
                let (p, key_span, sink) = key.take()?;
                self.nodes.push(
                    &p,
                    NodeSpan {
                        key: Some(key_span),
                        value: sp,
                    },
                );
                Some((p, sink))
            }
            Some(Frame::Seq {
                pointer,
                next,
                sink,
                ..
            }) => {
                let p = pointer.index(*next);
                *next += 1;
                let is_item = *sink;
                let slot = self.nodes.push(
                    &p,
                    NodeSpan {
                        key: None,
                        value: sp,
                    },
                );
                if is_item {
                    self.item_start = slot;
                }
                Some((p, false))
            }
            Some(Frame::Skip { .. }) => unreachable!("handled by skip_complex_key"),
        }
    }

    /// A key of the innermost mapping: checked for duplicates (a plain
    /// key) or reported and skipped (a complex one).
    fn key(&mut self, k: KeyEvent<'a>, sp: (usize, usize)) {
        let file = self.file;
        let top_level = self.stack.len() == 1;
        let Some(Frame::Map {
            pointer, key, seen, ..
        }) = self.stack.last_mut()
        else {
            unreachable!("a key is read inside a mapping");
        };
        match k {
            KeyEvent::Plain(k) => {
                let sink = top_level && self.sink_key.as_deref() == Some(&*k);
                *key = Some((pointer.key(&k), sp, sink));
                if let Some(first) = seen.first_or_insert(k.clone(), sp) {
                    self.ok = false;
                    self.diags.push(
                        Diagnostic::error("yaml::duplicate-key", format!("duplicate key `{k}`"))
                            .at(Some(location(file, sp)))
                            .related(Some(location(file, first)), "first defined here")
                            .hint("each key may appear once in a mapping; remove or rename one of them"),
                    );
                }
            }
            KeyEvent::Alias => {
                *key = Some((pointer.key("*alias"), sp, false));
            }
            KeyEvent::Complex => {
                self.ok = false;
                self.diags.push(
                    Diagnostic::error(
                        "yaml::complex-key",
                        "mapping keys must be plain strings, not lists or mappings",
                    )
                    .at(Some(location(file, sp))),
                );
                *key = Some((pointer.key("?complex"), sp, false));
                self.stack.push(Frame::Skip { depth: 1 });
            }
        }
    }

    /// Counts a node of `size` (expanded, for an alias): false, with the
    /// diagnostic, once aliases multiply the document far beyond its size.
    fn within_alias_allowance(&mut self, size: usize, sp: (usize, usize)) -> bool {
        self.expanded = self.expanded.saturating_add(size);
        if self.expanded > 2 * self.events_seen + ALIAS_EXPANSION_ALLOWANCE {
            self.diags.push(
                Diagnostic::error(
                    "yaml::alias-bomb",
                    "aliases in this file expand to far more data than the file holds",
                )
                .at(Some(location(self.file, sp)))
                .hint("anchors and aliases may repeat small parts, not multiply the document; write the data out instead"),
            );
            return false;
        }
        true
    }

    /// The end of a mapping or list: its span trimmed, its size recorded.
    fn close(&mut self, sp: (usize, usize)) {
        let (slot, anchor, size) = match self.stack.pop() {
            Some(Frame::Map {
                slot, anchor, size, ..
            })
            | Some(Frame::Seq {
                slot, anchor, size, ..
            }) => (slot, anchor, size),
            _ => return,
        };
        // Mark a collection by its first line only: a caret under a
        // whole block says less than one under its start.
        let text = self.text;
        let start = self.nodes.value_start(slot);
        let mut first_line_end = text[start..].find('\n').map_or(text.len(), |i| start + i);
        // A CRLF file's line ends before its `\r`.
        if first_line_end > start && text.as_bytes()[first_line_end - 1] == b'\r' {
            first_line_end -= 1;
        }
        self.nodes
            .set_value_end(slot, sp.0.max(start).min(first_line_end));
        if anchor != 0 {
            self.anchors.insert(anchor, size);
        }
        add_size(&mut self.stack, size);
    }

    /// The checks on the whole file, then the index and the JSON value.
    fn finish(mut self) -> Option<(SpanIndex, Option<serde_json::Value>)> {
        if self.documents > 1 {
            self.diags.push(
                Diagnostic::error(
                    "yaml::multiple-documents",
                    "a playbook is one YAML document, but this file has several",
                )
                .at(Some(location(
                    self.file,
                    self.second_document.unwrap_or((0, 0)),
                )))
                .hint("remove the `---` separators, or split the documents into separate files"),
            );
            return None;
        }
        if !self.ok {
            return None;
        }
        self.nodes.seal();
        Some((
            SpanIndex {
                file: self.file,
                nodes: self.nodes,
            },
            self.builder.finish(),
        ))
    }
}

pub(super) fn add_size(stack: &mut [Frame], size: usize) {
    match stack.last_mut() {
        Some(Frame::Map { size: s, .. }) | Some(Frame::Seq { size: s, .. }) => {
            *s = s.saturating_add(size)
        }
        _ => {}
    }
}

pub(super) fn scan_error(
    sources: &Sources,
    file: FileId,
    bytes: &ByteMap<'_>,
    e: &ScanError,
) -> Diagnostic {
    let start = bytes.byte(e.marker().index());
    let _ = sources;
    Diagnostic::error("yaml::syntax", format!("YAML cannot be read: {}", e.info()))
        .at(Some(Location {
            file,
            start,
            end: start,
        }))
        .hint("check indentation, quoting and the `key: value` form around this place")
}
