//! What `send-event` prints, shaped like the AWS CLI's output: `--output
//! json` (4-space indented, the AWS CLI default), `yaml` and `text`, after
//! `--query` (JMESPath); the `--generate-cli-skeleton` samples; and the
//! error line of a failed call.

use std::io::Write;

use serde::Serialize;
use serde_json::Value;

/// `--output`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Indented JSON (the default).
    Json,
    /// YAML, as AWS CLI v2 prints it.
    Yaml,
    /// Tab-separated values, as the AWS CLI's `text` output.
    Text,
}

impl Format {
    /// The format from `--output`, else `AWS_DEFAULT_OUTPUT`, else JSON.
    /// The AWS CLI's `table` and `yaml-stream` are not offered.
    pub fn resolve(flag: Option<&str>, env: Option<&str>) -> Result<Format, String> {
        let (value, source) = match (flag, env.filter(|e| !e.is_empty())) {
            (Some(f), _) => (f, "--output"),
            (None, Some(e)) => (e, "AWS_DEFAULT_OUTPUT"),
            (None, None) => return Ok(Format::Json),
        };
        match value {
            "json" => Ok(Format::Json),
            "yaml" => Ok(Format::Yaml),
            "text" => Ok(Format::Text),
            other => Err(format!(
                "invalid value '{other}' for {source}: send-event prints json, yaml or text"
            )),
        }
    }
}

/// A compiled `--query`.
pub struct Query(jmespath::Expression<'static>);

impl Query {
    /// Compiles an expression; the error reads like the AWS CLI's.
    pub fn compile(expression: &str) -> Result<Query, String> {
        let depth = super::input::nesting_depth(expression);
        if depth > super::input::MAX_NESTING {
            return Err(format!(
                "Bad value for --query: it nests {depth} levels deep; at most {} are read",
                super::input::MAX_NESTING
            ));
        }
        jmespath::compile(expression)
            .map(Query)
            .map_err(|e| format!("Bad value for --query {expression}: {e}"))
    }

    /// Applies the expression.
    pub fn search(&self, data: &Value) -> Result<Value, String> {
        let found = self.0.search(data).map_err(|e| e.to_string())?;
        serde_json::to_value(&*found).map_err(|e| e.to_string())
    }
}

/// Prints a response: `--query` first, then the format.
pub fn print(
    response: &Value,
    query: Option<&Query>,
    format: Format,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let value = match query {
        Some(q) => q.search(response).map_err(anyhow::Error::msg)?,
        None => response.clone(),
    };
    let empty_map = value.as_object().is_some_and(|m| m.is_empty());
    match format {
        // An empty response prints nothing; `null` and `[]` print.
        Format::Json if !empty_map => {
            write_json(&value, out)?;
        }
        Format::Yaml if !empty_map => {
            out.write_all(crate::yaml::to_yaml(&value)?.as_bytes())?;
        }
        Format::Text => {
            let mut s = String::new();
            text(&value, &mut s, None, None);
            out.write_all(s.as_bytes())?;
        }
        _ => {}
    }
    Ok(())
}

/// JSON indented by four spaces, non-ASCII kept, newline-terminated:
/// Python's `json.dump(indent=4, ensure_ascii=False)`.
pub fn write_json(value: &Value, out: &mut dyn Write) -> std::io::Result<()> {
    let formatter = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    let mut ser = serde_json::Serializer::with_formatter(&mut *out, formatter);
    value.serialize(&mut ser).map_err(std::io::Error::other)?;
    out.write_all(b"\n")
}

/// The sample input of `--generate-cli-skeleton [input]`.
pub fn input_skeleton() -> Value {
    serde_json::json!({
        "roomIdentifier": "",
        "eventName": "",
        "attributes": { "KeyName": "" }
    })
}

/// The sample input of `--generate-cli-skeleton yaml-input`, as AWS CLI v2
/// writes it: each member with the first sentence of its documentation
/// (the double space on the first line is the AWS CLI's too).
pub const YAML_INPUT_SKELETON: &str = "\
roomIdentifier: ''  # [REQUIRED] Identifier of the room to which the event will be sent.
eventName: '' # [REQUIRED] Application-defined name of the event to send to clients.
attributes: # Application-defined metadata to attach to the event sent to clients.
  KeyName: ''
";

/// The sample output of `--generate-cli-skeleton output`: each member's
/// value is its name, as the AWS CLI generates it.
pub fn output_skeleton() -> Value {
    serde_json::json!({ "id": "id" })
}

/// The line the AWS CLI prints for an error answer from the service, with
/// its blank line before. `retries` is how many retries were made when the
/// error was one that is retried (the AWS CLI then says "reached max
/// retries").
pub fn service_error(code: &str, message: &str, retries: Option<u32>) -> String {
    let reached = retries.map_or(String::new(), |n| format!(" (reached max retries: {n})"));
    format!(
        "\nAn error occurred ({code}) when calling the SendEvent operation{reached}: {message}\n"
    )
}

/// The AWS CLI's `text` output: scalars as they are, a map's scalar values
/// on one tab-separated line (keys sorted), lists of scalars on one line,
/// nested maps and lists below, prefixed with their key in capitals.
fn text(item: &Value, out: &mut String, identifier: Option<&str>, scalar_keys: Option<&[String]>) {
    match item {
        Value::Object(m) => {
            let (scalars, non_scalars) = partition(m, scalar_keys);
            if !scalars.is_empty() {
                let mut line = Vec::new();
                if let Some(id) = identifier {
                    line.push(id.to_uppercase());
                }
                line.extend(scalars);
                out.push_str(&line.join("\t"));
                out.push('\n');
            }
            for (key, value) in non_scalars {
                text(value, out, Some(&key), None);
            }
        }
        Value::Array(items) => {
            if items.is_empty() {
                return;
            }
            if items.iter().any(Value::is_object) {
                let keys = all_scalar_keys(items);
                for el in items {
                    text(el, out, identifier, Some(&keys));
                }
            } else if items.iter().any(Value::is_array) {
                let (scalars, others): (Vec<&Value>, Vec<&Value>) =
                    items.iter().partition(|v| !v.is_array() && !v.is_object());
                if !scalars.is_empty() {
                    scalar_list(&scalars, identifier, out);
                }
                for el in others {
                    text(el, out, identifier, None);
                }
            } else {
                let all: Vec<&Value> = items.iter().collect();
                scalar_list(&all, identifier, out);
            }
        }
        scalar => {
            out.push_str(&py_str(scalar));
            out.push('\n');
        }
    }
}

fn scalar_list(items: &[&Value], identifier: Option<&str>, out: &mut String) {
    match identifier {
        Some(id) => {
            for v in items {
                out.push_str(&format!("{}\t{}\n", id.to_uppercase(), py_str(v)));
            }
        }
        None => {
            let line: Vec<String> = items.iter().map(|v| py_str(v)).collect();
            out.push_str(&line.join("\t"));
            out.push('\n');
        }
    }
}

fn partition<'a>(
    m: &'a serde_json::Map<String, Value>,
    scalar_keys: Option<&[String]>,
) -> (Vec<String>, Vec<(String, &'a Value)>) {
    let mut scalars = Vec::new();
    let mut non_scalars = Vec::new();
    match scalar_keys {
        None => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            for k in keys {
                let v = &m[k];
                if v.is_object() || v.is_array() {
                    non_scalars.push((k.clone(), v));
                } else {
                    scalars.push(py_str(v));
                }
            }
        }
        Some(keys) => {
            for k in keys {
                scalars.push(m.get(k).map_or_else(String::new, py_str));
            }
            let mut rest: Vec<&String> = m.keys().filter(|k| !keys.contains(k)).collect();
            rest.sort();
            for k in rest {
                non_scalars.push((k.clone(), &m[k]));
            }
        }
    }
    (scalars, non_scalars)
}

fn all_scalar_keys(items: &[Value]) -> Vec<String> {
    let mut keys: Vec<String> = items
        .iter()
        .filter_map(Value::as_object)
        .flat_map(|m| {
            m.iter()
                .filter(|(_, v)| !v.is_object() && !v.is_array())
                .map(|(k, _)| k.clone())
        })
        .collect();
    keys.sort();
    keys.dedup();
    keys
}

/// Python's `str()` of a JSON scalar, which the AWS CLI's text output uses.
fn py_str(v: &Value) -> String {
    match v {
        Value::Null => "None".into(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        Value::String(s) => s.clone(),
        Value::Number(n) if n.is_f64() => {
            let f = n.as_f64().unwrap_or_default();
            if f.fract() == 0.0 && f.abs() < 1e16 {
                format!("{f:.1}")
            } else {
                f.to_string()
            }
        }
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn printed(v: &Value, q: Option<&str>, f: Format) -> String {
        let q = q.map(|q| Query::compile(q).unwrap());
        let mut out = Vec::new();
        print(v, q.as_ref(), f, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn json_like_the_aws_cli() {
        let r = json!({"id": "Qm3J0pX9aB2c"});
        assert_eq!(
            printed(&r, None, Format::Json),
            "{\n    \"id\": \"Qm3J0pX9aB2c\"\n}\n"
        );
        assert_eq!(printed(&r, Some("id"), Format::Json), "\"Qm3J0pX9aB2c\"\n");
        assert_eq!(printed(&r, Some("nope"), Format::Json), "null\n");
        assert_eq!(printed(&json!({}), None, Format::Json), "");
        assert_eq!(
            printed(&json!({"a": "ü"}), None, Format::Json),
            "{\n    \"a\": \"ü\"\n}\n"
        );
    }

    #[test]
    fn text_like_the_aws_cli() {
        let r = json!({"id": "Qm3J0pX9aB2c"});
        assert_eq!(printed(&r, None, Format::Text), "Qm3J0pX9aB2c\n");
        assert_eq!(
            printed(&r, Some("[id,id]"), Format::Text),
            "Qm3J0pX9aB2c\tQm3J0pX9aB2c\n"
        );
        assert_eq!(printed(&r, Some("nope"), Format::Text), "None\n");
        assert_eq!(printed(&r, Some("length(id)"), Format::Text), "12\n");
        let nested = json!({"b": "2", "a": "1", "list": ["x", "y"], "m": {"k": "v"}});
        assert_eq!(
            printed(&nested, None, Format::Text),
            "1\t2\nLIST\tx\nLIST\ty\nM\tv\n"
        );
        let rows = json!([{"a": 1, "b": true}, {"a": 2}]);
        assert_eq!(printed(&rows, None, Format::Text), "1\tTrue\n2\t\n");
        assert_eq!(printed(&json!([]), None, Format::Text), "");
        assert_eq!(
            printed(&json!([1.0, 2.5]), None, Format::Text),
            "1.0\t2.5\n"
        );
    }

    #[test]
    fn yaml() {
        let r = json!({"id": "Qm3J0pX9aB2c"});
        assert_eq!(printed(&r, None, Format::Yaml), "id: Qm3J0pX9aB2c\n");
        assert_eq!(printed(&json!({}), None, Format::Yaml), "");
    }

    #[test]
    fn formats_resolve() {
        assert_eq!(Format::resolve(None, None), Ok(Format::Json));
        assert_eq!(Format::resolve(None, Some("")), Ok(Format::Json));
        assert_eq!(Format::resolve(None, Some("text")), Ok(Format::Text));
        assert_eq!(
            Format::resolve(Some("yaml"), Some("text")),
            Ok(Format::Yaml)
        );
        assert!(
            Format::resolve(Some("table"), None)
                .unwrap_err()
                .contains("--output")
        );
        assert!(
            Format::resolve(None, Some("table"))
                .unwrap_err()
                .contains("AWS_DEFAULT_OUTPUT")
        );
    }

    #[test]
    fn bad_queries_are_errors_not_panics() {
        let e = Query::compile("[[[").err().unwrap();
        assert!(e.starts_with("Bad value for --query [[[: "), "{e}");
        // A type error at search time.
        let q = Query::compile("length(`1`)").unwrap();
        assert!(q.search(&json!({})).is_err());
    }

    #[test]
    fn skeletons() {
        let mut out = Vec::new();
        write_json(&input_skeleton(), &mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "{\n    \"roomIdentifier\": \"\",\n    \"eventName\": \"\",\n    \"attributes\": {\n        \"KeyName\": \"\"\n    }\n}\n"
        );
        assert_eq!(
            service_error("ThrottlingException", "slow down", Some(0)),
            "\nAn error occurred (ThrottlingException) when calling the SendEvent operation (reached max retries: 0): slow down\n"
        );
    }
}
