//! YAML text to a JSON value plus an index of where every node is written.
//!
//! serde_yaml turns the text into a value (YAML 1.2 scalars, anchors and
//! aliases); its errors only carry positions for syntax problems. Schema and
//! semantic checks need to point at the exact key or value, so a second pass
//! with saphyr-parser (which keeps spans) records the position of every node
//! under its JSON Pointer. That pass also catches what serde_yaml reports one
//! at a time or not at all: every duplicate key, complex keys, and alias
//! expansions that would blow up memory ("billion laughs"), before serde_yaml
//! expands anything.
//!
//! All YAML parsing of the project goes through this module, and so does
//! writing YAML ([`to_yaml`]), so the YAML library stays a one-module choice.

use std::collections::HashMap;

use saphyr_parser::{Event, Parser, ScanError, Span};

use crate::diag::{Diagnostic, FileId, Location, Sources};

/// Where a node is written: its key (for mapping values) and its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NodeSpan {
    /// Byte range of the key, for values inside a mapping.
    pub key: Option<(usize, usize)>,
    /// Byte range of the value.
    pub value: (usize, usize),
}

/// Positions of every node of one file, keyed by JSON Pointer (`/rooms/0/arn`).
#[derive(Debug, Default)]
pub struct SpanIndex {
    file: FileId,
    nodes: Nodes,
}

/// Node spans keyed by a 64-bit hash of their pointer, in 4-byte offsets
/// (files are at most 64 MiB): a 100,000-room inventory has half a million
/// nodes, and their pointer strings would cost more than the file itself.
#[derive(Debug, Default)]
struct Nodes(HashMap<u64, Packed>);

#[derive(Debug, Clone, Copy)]
struct Packed {
    key: (u32, u32),
    value: (u32, u32),
    has_key: bool,
}

fn pointer_hash(pointer: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    // Fixed keys: the same pointer always hashes the same.
    let mut h = std::hash::DefaultHasher::new();
    pointer.hash(&mut h);
    h.finish()
}

impl Nodes {
    fn insert(&mut self, pointer: &str, n: NodeSpan) {
        let key = n.key.unwrap_or((0, 0));
        self.0.insert(
            pointer_hash(pointer),
            Packed {
                key: (key.0 as u32, key.1 as u32),
                value: (n.value.0 as u32, n.value.1 as u32),
                has_key: n.key.is_some(),
            },
        );
    }

    fn get(&self, pointer: &str) -> Option<NodeSpan> {
        self.0.get(&pointer_hash(pointer)).map(|p| NodeSpan {
            key: p.has_key.then_some((p.key.0 as usize, p.key.1 as usize)),
            value: (p.value.0 as usize, p.value.1 as usize),
        })
    }

    fn set_value_end(&mut self, pointer: &str, end: usize) {
        if let Some(p) = self.0.get_mut(&pointer_hash(pointer)) {
            p.value.1 = end as u32;
        }
    }

    fn len(&self) -> usize {
        self.0.len()
    }
}

impl SpanIndex {
    /// The file this index describes.
    pub fn file(&self) -> FileId {
        self.file
    }

    /// The value at `pointer`, or the nearest ancestor that is written in
    /// the file (a missing key is reported at its parent mapping).
    pub fn value(&self, pointer: &str) -> Location {
        let (start, end) = self.lookup(pointer).value;
        Location {
            file: self.file,
            start,
            end,
        }
    }

    /// The key of the value at `pointer` when it has one, else its value.
    pub fn key(&self, pointer: &str) -> Location {
        let n = self.lookup(pointer);
        let (start, end) = n.key.unwrap_or(n.value);
        Location {
            file: self.file,
            start,
            end,
        }
    }

    /// Whether the exact pointer is written in the file.
    pub fn contains(&self, pointer: &str) -> bool {
        self.nodes.get(pointer).is_some()
    }

    fn lookup(&self, pointer: &str) -> NodeSpan {
        let mut p = pointer;
        loop {
            if let Some(n) = self.nodes.get(p) {
                return n;
            }
            match p.rfind('/') {
                Some(i) => p = &p[..i],
                None => {
                    return NodeSpan {
                        key: None,
                        value: (0, 0),
                    };
                }
            }
        }
    }
}

/// Escapes one JSON Pointer segment.
pub fn escape_pointer(segment: &str) -> String {
    if segment.contains(['~', '/']) {
        segment.replace('~', "~0").replace('/', "~1")
    } else {
        segment.to_string()
    }
}

/// Undoes [`escape_pointer`] for one segment.
pub fn unescape_pointer(segment: &str) -> String {
    segment.replace("~1", "/").replace("~0", "~")
}

/// A parsed YAML file.
#[derive(Debug)]
pub struct ParsedYaml {
    /// The document as JSON (what the schema validates).
    pub value: serde_json::Value,
    /// Where each node is.
    pub index: SpanIndex,
}

/// How much alias expansion a file may have beyond its own size, in nodes.
const ALIAS_EXPANSION_ALLOWANCE: usize = 10_000;

/// Parses one registered file. Problems go to `diags`; `None` means the file
/// could not be turned into a value at all.
pub fn parse(sources: &Sources, file: FileId, diags: &mut Vec<Diagnostic>) -> Option<ParsedYaml> {
    let text = &*sources.get(file).text;
    let t = std::time::Instant::now();
    let index = index_spans(sources, file, diags)?;
    tracing::debug!(elapsed = ?t.elapsed(), nodes = index.nodes.len(), "indexed spans");
    let t = std::time::Instant::now();
    // Straight to JSON when the text has nothing JSON cannot hold (tags,
    // NaN, infinities, non-string keys make the direct way fail or lose
    // information): it skips a whole intermediate tree, which matters for
    // inventories of 100,000 rooms.
    let plain = !text.contains('!')
        && !text.to_ascii_lowercase().contains(".nan")
        && !text.to_ascii_lowercase().contains(".inf");
    if plain && let Ok(value) = serde_yaml::from_str::<serde_json::Value>(text) {
        tracing::debug!(elapsed = ?t.elapsed(), "parsed YAML straight to JSON");
        return Some(ParsedYaml { value, index });
    }
    let value: serde_yaml::Value = match serde_yaml::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            diags.push(serde_yaml_error(sources, file, &e));
            return None;
        }
    };
    tracing::debug!(elapsed = ?t.elapsed(), "parsed YAML");
    let mut errors = Vec::new();
    let value = to_json(value, "", &mut errors);
    for (pointer, message) in errors {
        diags.push(
            Diagnostic::error("yaml::unsupported-value", message).at(Some(index.value(&pointer))),
        );
    }
    Some(ParsedYaml { value, index })
}

fn serde_yaml_error(sources: &Sources, file: FileId, e: &serde_yaml::Error) -> Diagnostic {
    let msg = e.to_string();
    let location = e.location().map(|l| {
        let start = sources
            .get(file)
            .byte_of(l.line(), l.column().saturating_sub(1));
        Location {
            file,
            start,
            end: start,
        }
    });
    let text = msg.split(" at line ").next().unwrap_or(&msg).to_string();
    if text.contains("more than one document") {
        Diagnostic::error(
            "yaml::multiple-documents",
            "a playbook is one YAML document, but this file has several",
        )
        .at(location)
        .hint("remove the `---` separators, or split the documents into separate files")
    } else if text.contains("repetition limit") || text.contains("recursion limit") {
        Diagnostic::error(
            "yaml::alias-bomb",
            format!("YAML nesting or alias expansion too large ({text})"),
        )
        .at(location)
        .hint(
            "flatten the document; anchors and aliases may not expand to more than the file itself",
        )
    } else {
        Diagnostic::error("yaml::syntax", format!("YAML cannot be read: {text}")).at(location)
    }
    .in_file(sources.get(file).path.clone())
}

/// Writes a JSON value as a YAML document (block style, no `---`).
pub fn to_yaml(value: &serde_json::Value) -> Result<String, serde_yaml::Error> {
    serde_yaml::to_string(value)
}

/// Converts a serde_yaml value to JSON, collecting values JSON cannot hold.
fn to_json(
    v: serde_yaml::Value,
    pointer: &str,
    errors: &mut Vec<(String, String)>,
) -> serde_json::Value {
    use serde_json::Value as J;
    use serde_yaml::Value as Y;
    match v {
        Y::Null => J::Null,
        Y::Bool(b) => J::Bool(b),
        Y::Number(n) => {
            if let Some(i) = n.as_i64() {
                J::from(i)
            } else if let Some(u) = n.as_u64() {
                J::from(u)
            } else {
                let f = n.as_f64().unwrap_or(f64::NAN);
                serde_json::Number::from_f64(f)
                    .map(J::Number)
                    .unwrap_or_else(|| {
                        errors.push((
                            pointer.to_string(),
                            format!("the number `{n}` is not supported here"),
                        ));
                        J::Null
                    })
            }
        }
        Y::String(s) => J::String(s),
        Y::Sequence(items) => J::Array(
            items
                .into_iter()
                .enumerate()
                .map(|(i, item)| to_json(item, &format!("{pointer}/{i}"), errors))
                .collect(),
        ),
        Y::Mapping(m) => {
            let mut out = serde_json::Map::with_capacity(m.len());
            for (k, v) in m {
                let key = match k {
                    Y::String(s) => s,
                    Y::Bool(b) => b.to_string(),
                    Y::Number(n) => n.to_string(),
                    Y::Null => "null".to_string(),
                    // Complex keys were reported by the span pass.
                    _ => continue,
                };
                let child = format!("{pointer}/{}", escape_pointer(&key));
                let value = to_json(v, &child, errors);
                out.insert(key, value);
            }
            J::Object(out)
        }
        Y::Tagged(t) => to_json(t.value, pointer, errors),
    }
}

/// Converts saphyr's character positions to byte offsets.
struct ByteMap<'a> {
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

enum Frame {
    Map {
        pointer: String,
        key: Option<(String, (usize, usize))>,
        seen: HashMap<String, (usize, usize)>,
        anchor: usize,
        size: usize,
    },
    Seq {
        pointer: String,
        next: usize,
        anchor: usize,
        size: usize,
    },
    /// Inside a complex key, which is reported and not indexed.
    Skip { depth: usize },
}

/// Walks the parser's events, recording spans and catching duplicate keys,
/// complex keys and alias bombs.
fn index_spans(sources: &Sources, file: FileId, diags: &mut Vec<Diagnostic>) -> Option<SpanIndex> {
    let text = &*sources.get(file).text;
    let bytes = ByteMap::new(text);
    let mut nodes = Nodes::default();
    let mut stack: Vec<Frame> = Vec::new();
    let mut anchors: HashMap<usize, usize> = HashMap::new();
    let mut events_seen = 0usize;
    let mut expanded = 0usize;
    let mut documents = 0usize;
    let mut second_document: Option<(usize, usize)> = None;
    let mut ok = true;
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
                        nodes.insert(
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
                    nodes.insert(
                        &p,
                        NodeSpan {
                            key: None,
                            value: sp,
                        },
                    );
                    p
                }
                Some(Frame::Skip { .. }) => unreachable!("handled above"),
            };
            if stack.is_empty() {
                nodes.insert(
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
                    key: None,
                    seen: HashMap::new(),
                    anchor,
                    size: 1,
                }),
                Event::SequenceStart(..) => stack.push(Frame::Seq {
                    pointer,
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
                let (pointer, anchor, size) = match stack.pop() {
                    Some(Frame::Map {
                        pointer,
                        anchor,
                        size,
                        ..
                    })
                    | Some(Frame::Seq {
                        pointer,
                        anchor,
                        size,
                        ..
                    }) => (pointer, anchor, size),
                    _ => continue,
                };
                if let Some(n) = nodes.get(&pointer) {
                    // Mark a collection by its first line only: a caret
                    // under a whole block says less than one under its start.
                    let first_line_end = text[n.value.0..]
                        .find('\n')
                        .map_or(text.len(), |i| n.value.0 + i);
                    nodes.set_value_end(&pointer, sp.0.max(n.value.0).min(first_line_end));
                }
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
    ok.then_some(SpanIndex { file, nodes })
}

fn add_size(stack: &mut [Frame], size: usize) {
    match stack.last_mut() {
        Some(Frame::Map { size: s, .. }) | Some(Frame::Seq { size: s, .. }) => {
            *s = s.saturating_add(size)
        }
        _ => {}
    }
}

fn scan_error(sources: &Sources, file: FileId, bytes: &ByteMap<'_>, e: &ScanError) -> Diagnostic {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_str(text: &str) -> (Option<ParsedYaml>, Vec<Diagnostic>, Sources) {
        let mut sources = Sources::default();
        let id = sources.add("t.yaml".into(), text);
        let mut diags = Vec::new();
        let p = parse(&sources, id, &mut diags);
        (p, diags, sources)
    }

    #[test]
    fn indexes_paths() {
        let (p, d, s) = parse_str("a:\n  - x: 1\n    y: [2, 3]\nb: \"q\"\n");
        assert!(d.is_empty(), "{d:?}");
        let p = p.unwrap();
        let f = s.get(0);
        assert_eq!(f.line_col(p.index.value("/a/0/y/1").start), (3, 12));
        assert_eq!(f.line_col(p.index.key("/b").start), (4, 1));
        assert_eq!(f.line_col(p.index.value("/b").start), (4, 4));
        assert_eq!(f.line_col(p.index.value("/a/0/missing").start), (2, 5));
    }

    #[test]
    fn reports_every_duplicate_key() {
        let (p, d, _) = parse_str("a: 1\nb: 2\na: 3\nc:\n  x: 1\n  x: 2\n");
        assert!(p.is_none());
        assert_eq!(
            d.iter().filter(|d| d.code == "yaml::duplicate-key").count(),
            2
        );
    }

    #[test]
    fn rejects_alias_bomb_quickly() {
        let mut text = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        let mut prev = 'a';
        for c in 'b'..='j' {
            text.push_str(&format!(
                "{c}: &{c} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"
            ));
            prev = c;
        }
        let (p, d, _) = parse_str(&text);
        assert!(p.is_none());
        assert_eq!(d[0].code, "yaml::alias-bomb");
    }

    #[test]
    fn syntax_error_has_position() {
        let (p, d, s) = parse_str("a: [1, 2\nb: 3\n");
        assert!(p.is_none());
        assert_eq!(d[0].code, "yaml::syntax");
        assert!(s.get(0).line_col(d[0].location.unwrap().start).0 >= 1);
    }

    #[test]
    fn values_json_cannot_hold_take_the_careful_way() {
        // Integer keys become strings; NaN is reported, not turned into null.
        let (p, d, _) = parse_str("1: a\ntrue: b\nx: .nan\ny: !custom z\n");
        let p = p.unwrap();
        assert_eq!(p.value["1"], "a");
        assert_eq!(p.value["true"], "b");
        assert_eq!(p.value["y"], "z");
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].code, "yaml::unsupported-value");
        // The direct way gives the same value as the careful one.
        let (p, d, _) = parse_str("a: [1, 2.5, \"x\", true, null]\nb: {c: d}\n");
        assert!(d.is_empty());
        assert_eq!(
            p.unwrap().value,
            serde_json::json!({"a": [1, 2.5, "x", true, null], "b": {"c": "d"}})
        );
    }

    #[test]
    fn non_ascii_positions() {
        let (p, d, s) = parse_str("é: \"ü\"\nk: v\n");
        assert!(d.is_empty());
        let p = p.unwrap();
        assert_eq!(s.get(0).line_col(p.index.value("/k").start), (2, 4));
    }
}
