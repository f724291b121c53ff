//! The one pass over saphyr-parser's events: spans, duplicate and complex
//! keys, alias bombs, a second document, and the JSON value as it goes.

use std::collections::HashMap;

use saphyr_parser::{Event, Parser, ScanError, Span};

use super::build::JsonBuilder;
use super::sink::{ItemSink, ItemSpans};
use super::spans::{NodeSpan, Nodes, SpanIndex, escape_pointer};
use crate::diag::{Diagnostic, FileId, Location, Sources};

/// How much alias expansion a file may have beyond its own size, in nodes.
const ALIAS_EXPANSION_ALLOWANCE: usize = 10_000;

/// Converts saphyr's character positions to byte offsets.
pub(super) struct ByteMap<'a> {
    text: &'a str,
    /// Byte offset of each character, when the text is not ASCII.
    offsets: Option<Vec<u32>>,
}

impl<'a> ByteMap<'a> {
    fn new(text: &'a str) -> Self {
        let offsets = (!text.is_ascii()).then(|| {
            text.char_indices()
                .map(|(i, _)| i as u32)
                .chain(std::iter::once(text.len() as u32))
                .collect()
        });
        ByteMap { text, offsets }
    }

    fn byte(&self, char_index: usize) -> usize {
        match &self.offsets {
            None => char_index.min(self.text.len()),
            Some(o) => o.get(char_index).map_or(self.text.len(), |&b| b as usize),
        }
    }

    fn span(&self, s: &Span) -> (usize, usize) {
        let start = self.byte(s.start.index());
        let end = self.byte(s.end.index()).max(start);
        (start, end)
    }
}

pub(super) enum Frame {
    Map {
        pointer: String,
        slot: usize,
        key: Option<(String, (usize, usize))>,
        seen: HashMap<String, (usize, usize)>,
        anchor: usize,
        size: usize,
    },
    Seq {
        pointer: String,
        slot: usize,
        next: usize,
        anchor: usize,
        size: usize,
    },
    /// Inside a complex key, which is reported and not indexed.
    Skip { depth: usize },
}

/// Walks the parser's events once, recording spans, catching duplicate keys,
/// complex keys and alias bombs, and building the JSON value when it can
/// (see [`JsonBuilder`]).
pub(super) fn index_spans<'s>(
    sources: &Sources,
    file: FileId,
    diags: &mut Vec<Diagnostic>,
    mut sink: Option<&mut (dyn ItemSink + 's)>,
) -> Option<(SpanIndex, Option<serde_json::Value>)> {
    let text = &*sources.get(file).text;
    let bytes = ByteMap::new(text);
    // About one node per 16 bytes of YAML: a room inventory's density, so
    // a large one is indexed without regrowing the list.
    let mut nodes = Nodes(Vec::with_capacity(text.len() / 16));
    let mut stack: Vec<Frame> = Vec::new();
    let mut anchors: HashMap<usize, usize> = HashMap::new();
    let mut events_seen = 0usize;
    let mut expanded = 0usize;
    let mut documents = 0usize;
    let mut second_document: Option<(usize, usize)> = None;
    let mut ok = true;
    let mut builder = JsonBuilder {
        sink_key: sink.as_ref().map(|s| s.key().to_string()),
        ..JsonBuilder::default()
    };
    let sink_pointer = sink
        .as_ref()
        .map(|s| format!("/{}", escape_pointer(s.key())));
    // Slot of the first node of the list item being read.
    let mut item_start = 0usize;
    let loc = |span: (usize, usize)| Location {
        file,
        start: span.0,
        end: span.1,
    };

    let mut parser = Parser::new_from_str(text);
    while let Some(next) = parser.next_event() {
        let (event, span) = match next {
            Ok(e) => e,
            Err(e) => {
                diags.push(scan_error(sources, file, &bytes, &e));
                return None;
            }
        };
        events_seen += 1;
        let sp = bytes.span(&span);
        // The item completed by the previous event is fully indexed now.
        if let (Some((i, item)), Some(sink)) = (builder.pending.take(), sink.as_deref_mut()) {
            let spans = ItemSpans {
                file,
                nodes: &nodes.0[item_start.min(nodes.0.len())..],
            };
            let kept = sink.item(i, item, &spans);
            builder.place(i, kept);
        }
        if let (Event::SequenceEnd, Some(sink)) = (&event, sink.as_deref())
            && documents <= 1
        {
            builder.fill_taken(sink);
        }
        if documents <= 1 {
            builder.event(&event);
        }

        // Inside a complex key: only track nesting.
        if let Some(Frame::Skip { depth }) = stack.last_mut() {
            match event {
                Event::MappingStart(..) | Event::SequenceStart(..) => *depth += 1,
                Event::MappingEnd | Event::SequenceEnd => {
                    *depth -= 1;
                    if *depth == 0 {
                        stack.pop();
                    }
                }
                _ => {}
            }
            continue;
        }

        let (is_node, anchor, alias_size) = match &event {
            Event::Scalar(_, _, a, _) => (true, *a, None),
            Event::MappingStart(a, _) | Event::SequenceStart(a, _) => (true, *a, None),
            Event::Alias(id) => (true, 0, Some(anchors.get(id).copied().unwrap_or(1))),
            Event::DocumentStart(_) => {
                documents += 1;
                if documents == 2 {
                    second_document = Some(sp);
                }
                continue;
            }
            _ => (false, 0, None),
        };

        if is_node {
            // Where does this node go?
            let mut as_key = false;
            let pointer = match stack.last_mut() {
                None => String::new(),
                Some(Frame::Map {
                    pointer, key, seen, ..
                }) => match key.take() {
                    None => {
                        as_key = true;
                        match &event {
                            Event::Scalar(k, ..) => {
                                let k = k.to_string();
                                if let Some(first) = seen.get(&k) {
                                    ok = false;
                                    diags.push(
                                        Diagnostic::error(
                                            "yaml::duplicate-key",
                                            format!("duplicate key `{k}`"),
                                        )
                                        .at(Some(loc(sp)))
                                        .related(Some(loc(*first)), "first defined here")
                                        .hint("each key may appear once in a mapping; remove or rename one of them"),
                                    );
                                } else {
                                    seen.insert(k.clone(), sp);
                                }
                                *key = Some((k, sp));
                            }
                            Event::Alias(_) => {
                                *key = Some(("*alias".into(), sp));
                            }
                            _ => {
                                ok = false;
                                diags.push(
                                    Diagnostic::error(
                                        "yaml::complex-key",
                                        "mapping keys must be plain strings, not lists or mappings",
                                    )
                                    .at(Some(loc(sp))),
                                );
                                *key = Some(("?complex".into(), sp));
                                stack.push(Frame::Skip { depth: 1 });
                            }
                        }
                        String::new()
                    }
                    Some((k, key_span)) => {
                        let p = format!("{pointer}/{}", escape_pointer(&k));
                        nodes.push(
                            &p,
                            NodeSpan {
                                key: Some(key_span),
                                value: sp,
                            },
                        );
                        p
                    }
                },
                Some(Frame::Seq { pointer, next, .. }) => {
                    let p = format!("{pointer}/{next}");
                    *next += 1;
                    let slot = nodes.push(
                        &p,
                        NodeSpan {
                            key: None,
                            value: sp,
                        },
                    );
                    if sink_pointer.as_deref() == Some(pointer.as_str()) {
                        item_start = slot;
                    }
                    p
                }
                Some(Frame::Skip { .. }) => unreachable!("handled above"),
            };
            if stack.is_empty() {
                nodes.push(
                    "",
                    NodeSpan {
                        key: None,
                        value: sp,
                    },
                );
            }
            if as_key {
                continue;
            }
            // Every node that is not a key was just added.
            let slot = nodes.len() - 1;

            // Size accounting for alias bombs.
            let size = alias_size.unwrap_or(1);
            expanded = expanded.saturating_add(size);
            if expanded > 2 * events_seen + ALIAS_EXPANSION_ALLOWANCE {
                diags.push(
                    Diagnostic::error(
                        "yaml::alias-bomb",
                        "aliases in this file expand to far more data than the file holds",
                    )
                    .at(Some(loc(sp)))
                    .hint("anchors and aliases may repeat small parts, not multiply the document; write the data out instead"),
                );
                return None;
            }
            match event {
                Event::MappingStart(..) => stack.push(Frame::Map {
                    pointer,
                    slot,
                    key: None,
                    seen: HashMap::new(),
                    anchor,
                    size: 1,
                }),
                Event::SequenceStart(..) => stack.push(Frame::Seq {
                    pointer,
                    slot,
                    next: 0,
                    anchor,
                    size: 1,
                }),
                _ => {
                    if anchor != 0 {
                        anchors.insert(anchor, 1);
                    }
                    add_size(&mut stack, size);
                }
            }
            continue;
        }

        match event {
            Event::MappingEnd | Event::SequenceEnd => {
                let (slot, anchor, size) = match stack.pop() {
                    Some(Frame::Map {
                        slot, anchor, size, ..
                    })
                    | Some(Frame::Seq {
                        slot, anchor, size, ..
                    }) => (slot, anchor, size),
                    _ => continue,
                };
                // Mark a collection by its first line only: a caret under a
                // whole block says less than one under its start.
                let start = nodes.value_start(slot);
                let first_line_end = text[start..].find('\n').map_or(text.len(), |i| start + i);
                nodes.set_value_end(slot, sp.0.max(start).min(first_line_end));
                if anchor != 0 {
                    anchors.insert(anchor, size);
                }
                add_size(&mut stack, size);
            }
            Event::StreamEnd => break,
            _ => {}
        }
    }
    if documents > 1 {
        diags.push(
            Diagnostic::error(
                "yaml::multiple-documents",
                "a playbook is one YAML document, but this file has several",
            )
            .at(Some(loc(second_document.unwrap_or((0, 0)))))
            .hint("remove the `---` separators, or split the documents into separate files"),
        );
        return None;
    }
    if !ok {
        return None;
    }
    nodes.seal();
    Some((SpanIndex { file, nodes }, builder.finish()))
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
