//! JSON-Schema validation errors in words people read: the mechanics every
//! document's translator shares (playbooks, inventories, event definitions).

use jsonschema::error::TypeKind;
use serde_json::Value;

/// How a JSON value's type is said in messages: `a list`, `a mapping`.
pub fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "nothing (null)",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

/// How a schema's expected type is said in messages: `a whole number`.
pub fn expected_type(kind: &TypeKind) -> String {
    let name = |t: &str| match t {
        "object" => "a mapping".to_string(),
        "array" => "a list".to_string(),
        "string" => "a string".to_string(),
        "integer" => "a whole number".to_string(),
        "number" => "a number".to_string(),
        "boolean" => "a boolean".to_string(),
        "null" => "null".to_string(),
        other => other.to_string(),
    };
    match kind {
        TypeKind::Single(t) => name(&t.to_string()),
        TypeKind::Multiple(set) => {
            let v: Vec<String> = set.iter().map(|t| name(&t.to_string())).collect();
            v.join(" or ")
        }
    }
}
