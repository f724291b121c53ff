//! Where a `send-event` request comes from, gathered the AWS CLI's way:
//! options (a value may be `file://path`), `--attributes` as shorthand or
//! JSON, and a whole input from `--cli-input-json` / `--cli-input-yaml`,
//! whose keys the options override.
//!
//! Problems are reported with the AWS CLI's wording ("Error parsing
//! parameter '--attributes': ...", "Parameter validation failed: ...") so
//! that people who know one recognise the other.

use std::io::Read as _;
use std::path::{Path, PathBuf};

use indexmap::IndexMap;
use serde_json::Value;

use super::args::SendEventArgs;
use super::shorthand::{self, Shorthand};
use crate::diag::{Diagnostic, Sources};

/// The members of `SendEventRequest`, in the service model's order.
pub const MEMBERS: [&str; 3] = ["roomIdentifier", "eventName", "attributes"];

/// The most a `file://` value may hold; far more than any valid input.
const MAX_PARAMFILE_BYTES: u64 = 16 << 20;

/// A request as given, before the service's rules are checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gathered {
    /// `roomIdentifier`.
    pub room_identifier: String,
    /// `eventName`.
    pub event_name: String,
    /// `attributes`; empty when not given.
    pub attributes: IndexMap<String, String>,
}

/// Why the input could not be gathered. Every kind is a usage error.
#[derive(Debug)]
pub enum InputError {
    /// A command-line mistake, shown like clap's errors.
    Usage(String),
    /// A parameter that cannot be read or has the wrong shape, shown as the
    /// AWS CLI shows it (a blank line, then the message).
    Param(String),
    /// `--cli-input-yaml` that is not valid YAML, with the place marked.
    Yaml(Sources, Vec<Diagnostic>),
}

/// Gathers the request from the options and any input file. `cwd` is the
/// folder relative `file://` paths start from.
pub fn gather(a: &SendEventArgs, cwd: &Path) -> Result<Gathered, InputError> {
    let room = a
        .room_identifier
        .as_deref()
        .map(|v| scalar_param("--room-identifier", v, cwd))
        .transpose()?;
    let event = a
        .event_name
        .as_deref()
        .map(|v| scalar_param("--event-name", v, cwd))
        .transpose()?;
    let attributes = match &a.attributes {
        Some(pieces) => Some(attributes_param(pieces, cwd)?),
        None => None,
    };
    let file = cli_input(a, cwd)?;
    let Some(file) = file else {
        let missing: Vec<&str> = [
            ("--room-identifier", room.is_none()),
            ("--event-name", event.is_none()),
        ]
        .iter()
        .filter(|(_, m)| *m)
        .map(|(n, _)| *n)
        .collect();
        if !missing.is_empty() {
            return Err(InputError::Usage(format!(
                "the following arguments are required: {}",
                missing.join(", ")
            )));
        }
        return Ok(Gathered {
            room_identifier: room.unwrap_or_default(),
            event_name: event.unwrap_or_default(),
            attributes: attributes.unwrap_or_default(),
        });
    };

    // Options override the file's keys; what remains of the file is checked
    // like the service model checks it, every problem at once.
    let mut problems = Vec::new();
    for (name, given) in [
        ("roomIdentifier", room.is_some()),
        ("eventName", event.is_some()),
    ] {
        if !given && !file.contains_key(name) {
            problems.push(format!("Missing required parameter in input: \"{name}\""));
        }
    }
    for key in file.keys() {
        if !MEMBERS.contains(&key.as_str()) {
            problems.push(format!(
                "Unknown parameter in input: \"{key}\", must be one of: {}",
                MEMBERS.join(", ")
            ));
        }
    }
    let room = room.or_else(|| string_member(&file, "roomIdentifier", &mut problems));
    let event = event.or_else(|| string_member(&file, "eventName", &mut problems));
    let attributes = match attributes {
        Some(a) => a,
        None => match file.get("attributes") {
            None => IndexMap::new(),
            Some(v) => string_map(v, "attributes", &mut problems),
        },
    };
    if !problems.is_empty() {
        return Err(InputError::Param(format!(
            "Parameter validation failed:\n{}",
            problems.join("\n")
        )));
    }
    Ok(Gathered {
        room_identifier: room.unwrap_or_default(),
        event_name: event.unwrap_or_default(),
        attributes,
    })
}

/// A string option, read from a file when it is `file://path`.
fn scalar_param(flag: &str, value: &str, cwd: &Path) -> Result<String, InputError> {
    match paramfile(value, cwd) {
        Ok(Some(text)) => Ok(text),
        Ok(None) => Ok(value.to_string()),
        Err(e) => Err(parse_error(flag, &e)),
    }
}

fn parse_error(flag: &str, message: &str) -> InputError {
    InputError::Param(format!("Error parsing parameter '{flag}': {message}"))
}

/// `--attributes`: JSON when it starts with `{` or `[`, shorthand otherwise.
///
/// The shell splits `--attributes a=b, c=d` into two words; the AWS CLI
/// rejects the second ("Unknown options"), though the AWS documentation's
/// own example is written that way. A word that follows one ending in a
/// comma is taken as the rest of the shorthand (joined with the space the
/// shell removed); any other extra word is still an unknown option.
/// How deeply brackets may nest in a value: attributes are a flat map of
/// strings and input files hold one level more, so this is far above any
/// real input, and far below what a recursive parser can take on its stack.
pub const MAX_NESTING: usize = 64;

/// The deepest nesting of `[`, `{` and `(` in `text`, outside quotes.
pub fn nesting_depth(text: &str) -> usize {
    let (mut depth, mut deepest) = (0usize, 0usize);
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for c in text.chars() {
        match quote {
            Some(q) => {
                if escaped {
                    escaped = false;
                } else if c == '\\' && q == '"' {
                    escaped = true;
                } else if c == q {
                    quote = None;
                }
            }
            None => match c {
                '"' | '\'' | '`' => quote = Some(c),
                '[' | '{' | '(' => {
                    depth += 1;
                    deepest = deepest.max(depth);
                }
                ']' | '}' | ')' => depth = depth.saturating_sub(1),
                _ => {}
            },
        }
    }
    deepest
}

/// Refuses a value nested deeper than [`MAX_NESTING`], before a parser
/// recurses into it.
fn check_nesting(flag: &str, text: &str) -> Result<(), InputError> {
    let depth = nesting_depth(text);
    if depth > MAX_NESTING {
        return Err(parse_error(
            flag,
            &format!("it nests {depth} levels deep; at most {MAX_NESTING} are read"),
        ));
    }
    Ok(())
}

fn attributes_param(pieces: &[String], cwd: &Path) -> Result<IndexMap<String, String>, InputError> {
    let flag = "--attributes";
    let mut joined = pieces.first().cloned().unwrap_or_default();
    let json = shorthand::looks_like_json(&joined);
    let mut unknown = Vec::new();
    for p in pieces.iter().skip(1) {
        if unknown.is_empty() && !json && joined.trim_end().ends_with(',') {
            joined.push(' ');
            joined.push_str(p);
        } else {
            unknown.push(p.as_str());
        }
    }
    if !unknown.is_empty() {
        return Err(InputError::Usage(format!(
            "Unknown options: {}",
            unknown.join(", ")
        )));
    }
    let value = match paramfile(&joined, cwd) {
        Ok(Some(text)) => text,
        Ok(None) => joined,
        Err(e) => return Err(parse_error(flag, &e)),
    };
    check_nesting(flag, &value)?;
    let mut problems = Vec::new();
    let map = if shorthand::looks_like_json(&value) {
        if !value.trim_start().starts_with('{') {
            return Err(parse_error(flag, &format!("Invalid JSON:\n{value}")));
        }
        let parsed: Value = serde_json::from_str(&value).map_err(|e| {
            parse_error(flag, &format!("Invalid JSON: {e}\nJSON received: {value}"))
        })?;
        string_map(&parsed, "attributes", &mut problems)
    } else {
        let resolve = |v: &str| paramfile(v, cwd);
        let parsed =
            shorthand::parse(&value, &resolve).map_err(|e| parse_error(flag, &e.message))?;
        let mut out = IndexMap::new();
        for (k, v) in parsed {
            match v {
                Shorthand::Str(s) => {
                    out.insert(k, s);
                }
                other => problems.push(invalid_type(
                    &format!("attributes.{k}"),
                    &other.to_json(),
                    "string",
                )),
            }
        }
        out
    };
    if !problems.is_empty() {
        return Err(InputError::Param(format!(
            "Parameter validation failed:\n{}",
            problems.join("\n")
        )));
    }
    Ok(map)
}

/// `--cli-input-json` or `--cli-input-yaml` as a JSON object.
fn cli_input(
    a: &SendEventArgs,
    cwd: &Path,
) -> Result<Option<serde_json::Map<String, Value>>, InputError> {
    let (name, raw, yaml) = match (&a.cli_input_json, &a.cli_input_yaml) {
        (Some(_), Some(_)) => {
            return Err(InputError::Usage(
                "Only one --cli-input- parameter may be specified.".into(),
            ));
        }
        (Some(j), None) => ("cli-input-json", j, false),
        (None, Some(y)) => ("cli-input-yaml", y, true),
        (None, None) => return Ok(None),
    };
    let (text, label) = match paramfile(raw, cwd) {
        Ok(Some(text)) => (text, raw.trim_start_matches("file://").to_string()),
        Ok(None) => (raw.clone(), format!("--{name}")),
        Err(e) => return Err(parse_error(&format!("--{name}"), &e)),
    };
    check_nesting(&format!("--{name}"), &text)?;
    let value = if yaml {
        let mut sources = Sources::default();
        let file = sources.add(PathBuf::from(label), text);
        let mut diags = Vec::new();
        match crate::yaml::parse(&sources, file, &mut diags) {
            Some(parsed) if diags.is_empty() => parsed.value,
            _ => return Err(InputError::Yaml(sources, diags)),
        }
    } else {
        serde_json::from_str(&text).map_err(|e| {
            parse_error(&format!("--{name}"), &format!("Invalid JSON received: {e}"))
        })?
    };
    match value {
        Value::Object(m) => Ok(Some(m)),
        other => Err(parse_error(
            &format!("--{name}"),
            &format!(
                "Invalid type: expecting map, received {}",
                type_name(&other)
            ),
        )),
    }
}

fn string_member(
    file: &serde_json::Map<String, Value>,
    name: &str,
    problems: &mut Vec<String>,
) -> Option<String> {
    match file.get(name)? {
        Value::String(s) => Some(s.clone()),
        other => {
            problems.push(invalid_type(name, other, "string"));
            None
        }
    }
}

fn string_map(v: &Value, name: &str, problems: &mut Vec<String>) -> IndexMap<String, String> {
    let Value::Object(m) = v else {
        problems.push(invalid_type(name, v, "map"));
        return IndexMap::new();
    };
    let mut out = IndexMap::new();
    for (k, v) in m {
        match v {
            Value::String(s) => {
                out.insert(k.clone(), s.clone());
            }
            other => problems.push(invalid_type(&format!("{name}.{k}"), other, "string")),
        }
    }
    out
}

fn invalid_type(name: &str, value: &Value, valid: &str) -> String {
    format!(
        "Invalid type for parameter {name}, value: {value}, type: {}, valid types: {valid}",
        type_name(value)
    )
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "list",
        Value::Object(_) => "map",
    }
}

/// Reads a `file://` value the way the AWS CLI does: `~` and `$VARS` in the
/// path are expanded, the text is used as it is (a trailing newline
/// included). `Ok(None)` when the value is not a file reference.
///
/// `fileb://` (binary) is refused: every SendEvent parameter is text. URLs
/// (`http://`, which AWS CLI v1 fetches) are taken literally, as AWS CLI v2
/// does.
pub fn paramfile(value: &str, cwd: &Path) -> Result<Option<String>, String> {
    if value.starts_with("fileb://") {
        return Err(format!(
            "Unable to load paramfile {value}: fileb:// reads binary data, but this parameter is text; use file://"
        ));
    }
    let Some(path) = value.strip_prefix("file://") else {
        return Ok(None);
    };
    let path = PathBuf::from(expand_path(path));
    let path = if path.is_relative() {
        cwd.join(path)
    } else {
        path
    };
    let mut bytes = Vec::new();
    let read = std::fs::File::open(&path)
        .and_then(|f| f.take(MAX_PARAMFILE_BYTES + 1).read_to_end(&mut bytes));
    if let Err(e) = read {
        return Err(format!("Unable to load paramfile {value}: {e}"));
    }
    if bytes.len() as u64 > MAX_PARAMFILE_BYTES {
        return Err(format!(
            "Unable to load paramfile {value}: larger than {MAX_PARAMFILE_BYTES} bytes"
        ));
    }
    String::from_utf8(bytes).map(Some).map_err(|_| {
        format!("Unable to load paramfile ({value}), text contents could not be decoded as UTF-8")
    })
}

/// Python's `os.path.expandvars(os.path.expanduser(path))`: a leading `~`
/// is the home folder; `$NAME` and `${NAME}` are replaced when set and left
/// as written when not.
fn expand_path(path: &str) -> String {
    let path = match (path.strip_prefix('~'), std::env::var("HOME")) {
        (Some(rest), Ok(home)) if rest.is_empty() || rest.starts_with('/') => {
            format!("{home}{rest}")
        }
        _ => path.to_string(),
    };
    let mut out = String::with_capacity(path.len());
    let mut rest = path.as_str();
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let (name, len) = if let Some(braced) = after.strip_prefix('{') {
            match braced.find('}') {
                Some(end) => (&braced[..end], end + 2),
                None => ("", 0),
            }
        } else {
            let end = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            (&after[..end], end)
        };
        match std::env::var(name) {
            Ok(v) if !name.is_empty() => out.push_str(&v),
            _ => out.push_str(&rest[i..i + 1 + len]),
        }
        rest = &rest[i + 1 + len..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_expand_like_python() {
        // SAFETY-free: only reads variables every test process has.
        let home = std::env::var("HOME").unwrap();
        assert_eq!(expand_path("~/x.json"), format!("{home}/x.json"));
        assert_eq!(expand_path("~"), home);
        assert_eq!(expand_path("~other/x"), "~other/x");
        assert_eq!(expand_path("$HOME/a"), format!("{home}/a"));
        assert_eq!(expand_path("${HOME}/a"), format!("{home}/a"));
        assert_eq!(
            expand_path("$IVSCHAT_SURELY_UNSET_VAR/a"),
            "$IVSCHAT_SURELY_UNSET_VAR/a"
        );
        assert_eq!(expand_path("a$"), "a$");
        assert_eq!(expand_path("a${"), "a${");
        assert_eq!(expand_path("plain/path"), "plain/path");
    }

    #[test]
    fn paramfile_values() {
        let dir = std::env::temp_dir();
        assert_eq!(paramfile("plain", &dir), Ok(None));
        assert_eq!(paramfile("http://example.invalid/x", &dir), Ok(None));
        assert!(
            paramfile("fileb://x", &dir)
                .unwrap_err()
                .contains("use file://")
        );
        let e = paramfile("file://surely-not-here.json", &dir).unwrap_err();
        assert!(
            e.starts_with("Unable to load paramfile file://surely-not-here.json: "),
            "{e}"
        );
    }
}
