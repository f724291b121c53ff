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
//!
//! - [`spans`]: where each node is, by JSON Pointer.
//! - [`walk`]: the one pass over the parser's events.
//! - [`build`]: the JSON value built during that pass.
//! - [`bytes`]: byte offsets of the parser's character positions.
//! - [`fallback`]: serde_yaml's careful path, for files the builder leaves alone.

mod build;
mod bytes;
mod fallback;
mod spans;
#[cfg(test)]
mod tests;
mod walk;

mod sink;

pub use sink::{ItemSink, ItemSpans, ItemSpansBuf};
pub use spans::{NodeSpan, SpanIndex, escape_pointer, unescape_pointer};

use crate::diag::{Diagnostic, FileId, Sources};
use fallback::{serde_yaml_error, to_json};
use walk::index_spans;

#[derive(Debug)]
pub struct ParsedYaml {
    /// The document as JSON (what the schema validates).
    pub value: serde_json::Value,
    /// Where each node is.
    pub index: SpanIndex,
}

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

/// Writes a JSON value as a YAML document (block style, no `---`).
pub fn to_yaml(value: &serde_json::Value) -> Result<String, serde_yaml::Error> {
    serde_yaml::to_string(value)
}
