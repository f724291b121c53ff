//! serde_yaml's careful path: its errors as diagnostics, and its values as
//! JSON, for the files the one-pass builder leaves alone (tags, NaN and
//! infinities, aliases as keys).

use super::spans::escape_pointer;
use crate::diag::{Diagnostic, FileId, Location, Sources};

pub(super) fn serde_yaml_error(
    sources: &Sources,
    file: FileId,
    e: &serde_yaml::Error,
) -> Diagnostic {
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

/// Converts a serde_yaml value to JSON, collecting values JSON cannot hold.
pub(super) fn to_json(
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
