//! YAML text to a JSON value plus an index of where every node is written.
//!
//! One pass over saphyr-parser's events (which keep spans) records the
//! position of every node under its JSON Pointer, so schema and semantic
//! checks can point at the exact key or value. The same pass catches what
//! serde_yaml reports one at a time or not at all (every duplicate key,
//! complex keys, alias expansions that would blow up memory) and builds the
//! JSON value, with serde_yaml deciding what each plain scalar means. Files
//! with tags or values JSON cannot hold take serde_yaml's own way instead.
//! Either way no file's whole event list is held: that list, not the value,
//! was what made large inventories expensive.
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
/// (files are at most 64 MiB), 24 bytes a node in one sorted list: a
/// 100,000-room inventory has over half a million nodes, and their pointer
/// strings, or a hash table, would cost more than the file itself.
#[derive(Debug, Default)]
struct Nodes(Vec<(u64, [u32; 4])>);

/// `[key start, key end, value start, value end]`; no key when the key
/// start is this.
const NO_KEY: u32 = u32::MAX;

fn pointer_hash(pointer: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    // Fixed keys: the same pointer always hashes the same.
    let mut h = std::hash::DefaultHasher::new();
    pointer.hash(&mut h);
    h.finish()
}

impl Nodes {
    /// Adds a node while the file is read; returns its slot for
    /// [`Nodes::set_value_end`]. [`Nodes::seal`] must follow before lookups.
    fn push(&mut self, pointer: &str, n: NodeSpan) -> usize {
        let (ks, ke) = n.key.map_or((NO_KEY, 0), |k| (k.0 as u32, k.1 as u32));
        self.0.push((
            pointer_hash(pointer),
            [ks, ke, n.value.0 as u32, n.value.1 as u32],
        ));
        self.0.len() - 1
    }

    fn value_start(&self, slot: usize) -> usize {
        self.0[slot].1[2] as usize
    }

    fn set_value_end(&mut self, slot: usize, end: usize) {
        self.0[slot].1[3] = end as u32;
    }

    /// Sorts for lookups and gives back spare room worth a copy.
    fn seal(&mut self) {
        self.0.sort_unstable_by_key(|e| e.0);
        if self.0.capacity() > self.0.len() + self.0.len() / 4 {
            self.0.shrink_to_fit();
        }
    }

    fn get(&self, pointer: &str) -> Option<NodeSpan> {
        let h = pointer_hash(pointer);
        let i = self.0.binary_search_by_key(&h, |e| e.0).ok()?;
        let [ks, ke, vs, ve] = self.0[i].1;
        Some(NodeSpan {
            key: (ks != NO_KEY).then_some((ks as usize, ke as usize)),
            value: (vs as usize, ve as usize),
        })
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
    parse_with(sources, file, diags, None)
}

/// [`parse`], handing the items of one top-level list to `sink` as they are
/// read (see [`ItemSink`]).
pub fn parse_with<'s>(
    sources: &Sources,
    file: FileId,
    diags: &mut Vec<Diagnostic>,
    mut sink: Option<&mut (dyn ItemSink + 's)>,
) -> Option<ParsedYaml> {
    let text = &*sources.get(file).text;
    let t = std::time::Instant::now();
    let indexed = index_spans(sources, file, diags, sink.as_deref_mut());
    let Some((index, built)) = indexed else {
        if let Some(sink) = sink {
            sink.reset();
        }
        return None;
    };
    tracing::debug!(elapsed = ?t.elapsed(), nodes = index.nodes.len(), built = built.is_some(), "indexed spans");
    if let Some(value) = built {
        return Some(ParsedYaml { value, index });
    }
    // Items handed over belong to a reading that was abandoned.
    if let Some(sink) = sink {
        sink.reset();
    }
    // The careful way, for what the one-pass builder leaves alone (tags,
    // NaN and infinities, aliases as keys): serde_yaml's own tree, then
    // JSON, reporting values JSON cannot hold.
    let t = std::time::Instant::now();
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

/// Takes the items of one top-level list of a document as the builder
/// completes them, so that a long list (an inventory of 100,000 rooms) is
/// never held as JSON in full. Items the sink does not take stay in the
/// list. When it takes them all, the list is left empty; when it takes only
/// some, each taken one leaves [`ItemSink::stand_in`] in its place, so the
/// others keep their positions. When the file is read the careful way
/// instead, the sink is reset and sees nothing.
pub trait ItemSink {
    /// The top-level key of the list, such as `rooms`.
    fn key(&self) -> &str;
    /// Item `index` of the list, with where its nodes are written. Gives
    /// the item back when the sink does not take it.
    fn item(
        &mut self,
        index: usize,
        value: serde_json::Value,
        spans: &ItemSpans<'_>,
    ) -> Option<serde_json::Value>;
    /// What a taken item leaves when others stay: valid wherever an item
    /// of the list is.
    fn stand_in(&self) -> serde_json::Value;
    /// Forgets every item taken.
    fn reset(&mut self);
}

/// Where the nodes of one list item are written, while the file is still
/// being read.
pub struct ItemSpans<'a> {
    file: FileId,
    nodes: &'a [(u64, [u32; 4])],
}

impl ItemSpans<'_> {
    /// The value at exactly `pointer` (a full pointer, `/rooms/7/arn`).
    pub fn value(&self, pointer: &str) -> Option<Location> {
        let h = pointer_hash(pointer);
        self.nodes.iter().find(|n| n.0 == h).map(|n| Location {
            file: self.file,
            start: n.1[2] as usize,
            end: n.1[3] as usize,
        })
    }
}

/// Builds the JSON value from the same parser events the span index reads,
/// so a file is parsed once and no list of all its events is ever held
/// (serde_yaml keeps one, about 200 bytes per node: 200 MB for a
/// 100,000-room inventory). Scalars are resolved by serde_yaml itself, so
/// `1`, `true`, `~` and `0x1f` mean what they mean to serde_yaml. Anything
/// unusual (a tag, NaN or infinity, an alias as a key) makes it give up, and
/// [`parse`] takes serde_yaml's careful way instead.
#[derive(Default)]
struct JsonBuilder {
    stack: Vec<Part>,
    anchors: HashMap<usize, serde_json::Value>,
    root: Option<serde_json::Value>,
    gave_up: bool,
    /// The top-level key whose list items go to an [`ItemSink`].
    sink_key: Option<String>,
    /// An item of that list, complete, waiting for the sink (which needs
    /// the item's spans, recorded after the builder saw its last event).
    pending: Option<(usize, serde_json::Value)>,
}

enum Part {
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

    fn event(&mut self, event: &Event<'_>) {
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
    fn place(&mut self, index: usize, kept: Option<serde_json::Value>) {
        if let Some(Part::Seq { items, taken, .. }) = self.stack.last_mut() {
            match kept {
                Some(v) => items.push(v),
                None => taken.push(index),
            }
        }
    }

    /// A sink's list ends: when the sink took some items but not all, put
    /// stand-ins where it took them, so the rest keep their positions.
    fn fill_taken(&mut self, sink: &dyn ItemSink) {
        if let Some(Part::Seq { items, taken, .. }) = self.stack.last_mut()
            && !items.is_empty()
            && !taken.is_empty()
        {
            let total = items.len() + taken.len();
            let mut kept = std::mem::take(items).into_iter();
            let mut taken_at = taken.iter().copied().peekable();
            for i in 0..total {
                if taken_at.next_if_eq(&i).is_some() {
                    items.push(sink.stand_in());
                } else if let Some(v) = kept.next() {
                    items.push(v);
                }
            }
        }
    }

    /// The document's value, or `None` when the careful way is needed.
    fn finish(self) -> Option<serde_json::Value> {
        (!self.gave_up && self.stack.is_empty()).then(|| self.root.unwrap_or_default())
    }
}

/// The JSON value of one untagged scalar as serde_yaml reads it. Quoted and
/// block scalars are strings; a plain one can only be something else when
/// it is empty, a null or boolean word, or starts like a number and has no
/// white space (no null, boolean or number has any), and then serde_yaml
/// decides. `None` for values JSON cannot hold (NaN, infinity) and for what
/// serde_yaml does not read back as written.
fn resolve_scalar(text: &str, style: saphyr_parser::ScalarStyle) -> Option<serde_json::Value> {
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
fn index_spans<'s>(
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

    /// What the one-pass builder made, `None` when it left the file to
    /// serde_yaml's careful way.
    fn built(text: &str) -> Option<serde_json::Value> {
        let mut sources = Sources::default();
        let id = sources.add("t.yaml".into(), text);
        let mut diags = Vec::new();
        index_spans(&sources, id, &mut diags, None)
            .unwrap_or_else(|| panic!("{text:?} not indexed: {diags:?}"))
            .1
    }

    #[test]
    fn builder_reads_scalars_as_serde_yaml_does() {
        let scalars = [
            "1",
            "-1",
            "+1",
            "0",
            "007",
            "-007",
            "0x1F",
            "0o17",
            "0b101",
            "1_000",
            "1.5",
            "-1.5",
            "+1.5",
            "1e3",
            "1E-3",
            ".5",
            "-.5",
            "5.",
            "~",
            "null",
            "Null",
            "NULL",
            "nULL",
            "true",
            "True",
            "TRUE",
            "tRUE",
            "false",
            "yes",
            "no",
            "on",
            "off",
            "y",
            "12:30",
            "1.2.3",
            "-foo",
            ".foo",
            "+x",
            "~x",
            "2024-01-01",
            "1 2",
            "18446744073709551615",
            "18446744073709551616",
            "-9223372036854775808",
            "-9223372036854775809",
            "123456789012345678901234567890",
            "0.1e400x",
            "'1'",
            "\"true\"",
            "\"\"",
            "''",
            "\"a\\tb\"",
            "'it''s'",
            "a b  c",
            "---",
            "--- 5",
            "--- x",
            "...",
            "-1x",
            "1:2",
            "1#2",
            "0x1G",
            "-.5e3",
        ];
        for scalar in scalars {
            for text in [
                format!("v: {scalar}\n"),
                format!("- {scalar}\n"),
                format!("[{scalar}, x]\n"),
                format!("{{k: {scalar}}}\n"),
                format!("{scalar}: key\n"),
            ] {
                // Where serde_yaml cannot go straight to JSON (a number
                // too large), the builder leaves it to the careful way too.
                let direct = serde_yaml::from_str::<serde_json::Value>(&text).ok();
                let mut sources = Sources::default();
                let id = sources.add("t.yaml".into(), text.as_str());
                match index_spans(&sources, id, &mut Vec::new(), None) {
                    Some((_, value)) => assert_eq!(value, direct, "{text:?}"),
                    // Not YAML here (`--- 5: key`): serde_yaml agrees.
                    None => assert_eq!(direct, None, "{text:?}"),
                }
            }
        }
    }

    #[test]
    fn builder_reads_structure_as_serde_yaml_does() {
        let texts = [
            "",
            "# only a comment\n",
            "a:\nb: ~\nc: []\nd: {}\n",
            "a: |\n  line 1\n  line 2\nb: >-\n  folded\n  text\n",
            "a: plain\n  continued\n  lines\n",
            "base: &b {x: 1, y: [2, 3]}\ncopy: *b\nlist: [&s 7, *s]\n",
            "- &r {arn: x, vars: {n: \"1\"}}\n- *r\n",
            "? a\n: 1\n",
            "<<: {a: 1}\nb: 2\n",
            "--- \na: 1\n...\n",
            "\"quoted key\": 1\n'single': 2\n",
            "nested:\n  - - [1, [2, {a: [3]}]]\n",
            // Plain scalars over several lines: folded once, not twice.
            "v: 1\n\n  2\n",
            "v: [1\n\n  2]\n",
            "v: -1\n\n\n  x\n",
            "v: 1\n\n  - x\n",
            "v: 1\n\n  %x\n",
            "v: 1\n\n  ...\n",
            "banner: --- SALE ---\nmsg: 10 percent off\n\n  today only\n",
            // Aliases of anchored keys are values.
            "&k 1: a\nb: *k\n",
            "&k true: a\nb: *k\n",
            "&k ~: a\nb: *k\n",
            "&k 0x10: a\nb: [*k]\n",
        ];
        for text in texts {
            let direct: serde_json::Value = serde_yaml::from_str(text).unwrap();
            assert_eq!(built(text), Some(direct), "{text:?}");
        }
        // Tags, NaN and infinities, and aliases as keys go the careful way.
        for text in [
            "a: !!str 1\n",
            "a: !custom x\n",
            "a: .nan\n",
            "a: -.INF\n",
            "k: &k key\n*k : v\n",
        ] {
            assert_eq!(built(text), None, "{text:?}");
        }
    }

    #[test]
    fn builder_agrees_with_serde_yaml_on_every_file_of_the_project() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut stack = vec![
            root.join("playbooks"),
            root.join("tests/fixtures"),
            root.join("schema"),
            root.join("docs"),
        ];
        let mut checked = 0;
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                    continue;
                }
                if !matches!(
                    path.extension().and_then(|e| e.to_str()),
                    Some("yaml" | "yml")
                ) {
                    continue;
                }
                let text = std::fs::read_to_string(&path).unwrap();
                let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
                let Ok(direct) = serde_yaml::from_str::<serde_json::Value>(text) else {
                    continue; // broken on purpose
                };
                let mut sources = Sources::default();
                let id = sources.add(path.clone(), text);
                let Some((_, Some(value))) = index_spans(&sources, id, &mut Vec::new(), None)
                else {
                    continue; // duplicate keys and the like: reported, not built
                };
                assert_eq!(value, direct, "{}", path.display());
                checked += 1;
            }
        }
        assert!(checked > 40, "only {checked} files compared");
    }

    #[test]
    fn non_ascii_positions() {
        let (p, d, s) = parse_str("é: \"ü\"\nk: v\n");
        assert!(d.is_empty());
        let p = p.unwrap();
        assert_eq!(s.get(0).line_col(p.index.value("/k").start), (2, 4));
    }
}
