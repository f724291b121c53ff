//! The committed schemas are current, the examples follow them, and the
//! playbook schema alone rejects what validation rejects wherever a schema
//! can express the rule (so an editor shows the same errors as CI).

use indexmap::IndexMap;
use ivschat_playbook::app::commands::schema::SchemaKind;
use ivschat_playbook::pipeline::plan_files;
use ivschat_playbook::plan::SettingsOverrides;

use crate::support::fixtures::{fixtures, root};

#[test]
fn committed_schemas_are_current() {
    let mut stale = Vec::new();
    for kind in SchemaKind::ALL {
        let path = root().join("schema").join(kind.file_name());
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        if committed != kind.text() {
            stale.push(path.display().to_string());
        }
    }
    assert!(
        stale.is_empty(),
        "stale schemas: {stale:?}; run `cargo run -- schema --write schema/`"
    );
}

fn committed(name: &str) -> jsonschema::Validator {
    let text = std::fs::read_to_string(root().join("schema").join(name)).unwrap();
    jsonschema::validator_for(&serde_json::from_str(&text).unwrap()).unwrap()
}

fn yaml_as_json(path: &std::path::Path) -> serde_json::Value {
    let text = std::fs::read_to_string(root().join(path)).unwrap();
    let v: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
    serde_json::to_value(v).unwrap()
}

#[test]
fn schema_carries_descriptions_and_service_constraints() {
    let s = SchemaKind::Playbook.generate();
    let text = s.to_string();
    assert!(text.contains(r#""maxLength":128"#));
    assert!(text.contains("arn:aws:ivschat:[a-z0-9-]+:[0-9]+:room/[a-zA-Z0-9-]+"));
    assert!(text.contains(r#""maxLength":100"#));
    assert!(
        s["properties"]["events"]["description"]
            .as_str()
            .unwrap()
            .contains("in order")
    );
}

#[test]
fn every_example_has_the_modeline_and_validates() {
    let files = fixtures("playbooks");
    assert!(!files.is_empty());
    let playbook = committed("playbook.schema.json");
    for path in &files {
        let text = std::fs::read_to_string(root().join(path)).unwrap();
        assert!(
            text.starts_with("# yaml-language-server: $schema=../schema/playbook.schema.json\n"),
            "{} lacks the schema modeline",
            path.display()
        );
        assert!(playbook.is_valid(&yaml_as_json(path)), "{}", path.display());
    }
    let planned = plan_files(
        &files.iter().map(|p| root().join(p)).collect::<Vec<_>>(),
        None,
        &IndexMap::new(),
        &SettingsOverrides::default(),
        true,
    );
    assert!(planned.diagnostics.is_empty(), "{:?}", planned.diagnostics);
    examples_follow(
        "playbooks/rooms",
        "# yaml-language-server: $schema=../../schema/inventory.schema.json\n",
        &committed("inventory.schema.json"),
    );
    examples_follow(
        "playbooks/events",
        "# yaml-language-server: $schema=../../schema/event-definition.schema.json\n",
        &committed("event-definition.schema.json"),
    );
}

/// `catalog check` codes whose rule the event definition schema expresses.
const DEFINITION_SCHEMA_CODES: &[&str] = &[
    "catalog::unknown-key",
    "catalog::wrong-type",
    "catalog::missing-key",
    "catalog::invalid-name",
    "catalog::empty-attribute-key",
    "catalog::schema-violation",
];

#[test]
fn definition_schema_rejects_what_catalog_check_rejects_where_it_can() {
    let definitions = committed("event-definition.schema.json");
    let mut checked = 0;
    for path in fixtures("tests/fixtures/catalog/check") {
        let text = std::fs::read_to_string(root().join(&path)).unwrap();
        let code = text
            .lines()
            .next()
            .unwrap()
            .trim_start_matches("# expect: ")
            .trim();
        if !DEFINITION_SCHEMA_CODES.contains(&code) {
            continue;
        }
        assert!(
            !definitions.is_valid(&yaml_as_json(&path)),
            "the schema accepts {} ({code})",
            path.display()
        );
        checked += 1;
    }
    assert_eq!(checked, DEFINITION_SCHEMA_CODES.len());
}

/// Every example in `dir` starts with `modeline` and follows `schema`.
fn examples_follow(dir: &str, modeline: &str, schema: &jsonschema::Validator) {
    let files = fixtures(dir);
    assert!(!files.is_empty(), "no examples in {dir}");
    for path in &files {
        let text = std::fs::read_to_string(root().join(path)).unwrap();
        assert!(
            text.starts_with(modeline),
            "{} lacks the schema modeline",
            path.display()
        );
        assert!(schema.is_valid(&yaml_as_json(path)), "{}", path.display());
    }
}

/// Codes whose rule the JSON Schema expresses.
const SCHEMA_CODES: &[&str] = &[
    "playbook::wrong-type",
    "playbook::missing-version",
    "playbook::unsupported-version",
    "playbook::unknown-key",
    "playbook::invalid-arn",
    "playbook::event-name-length",
    "playbook::attribute-not-string",
    "playbook::empty-attribute-key",
    "playbook::rate-over-quota",
    "playbook::invalid-setting",
    "playbook::invalid-variable-name",
    "playbook::invalid-target",
    "playbook::no-events",
];

#[test]
fn schema_rejects_what_validation_rejects_where_it_can() {
    let playbook = committed("playbook.schema.json");
    let mut checked = 0;
    for path in fixtures("tests/fixtures/invalid") {
        let text = std::fs::read_to_string(root().join(&path)).unwrap();
        let code = text
            .lines()
            .next()
            .unwrap()
            .trim_start_matches("# expect: ")
            .trim();
        if !SCHEMA_CODES.contains(&code) || text.contains("include:") {
            continue;
        }
        let Ok(v) = serde_yaml::from_str::<serde_yaml::Value>(&text) else {
            continue;
        };
        let json = serde_json::to_value(v).unwrap();
        assert!(
            !playbook.is_valid(&json),
            "the schema accepts {} ({code})",
            path.display()
        );
        checked += 1;
    }
    assert!(checked >= 15, "only {checked} fixtures checked");
    // The specific cases an editor must flag.
    let one_kb_of_one_attribute = serde_json::json!({
        "version": 1,
        "rooms": ["arn:aws:ivschat:us-west-2:123456789012:room/abc"],
        "events": [{"name": "E", "attributes": {"k": "x".repeat(1025)}}]
    });
    assert!(!playbook.is_valid(&one_kb_of_one_attribute));
}

#[test]
fn plan_json_follows_its_schema() {
    let planned = plan_files(
        &[root().join("playbooks")],
        None,
        &IndexMap::new(),
        &SettingsOverrides::default(),
        true,
    );
    let plan = serde_json::to_value(planned.plan.unwrap()).unwrap();
    let validator = committed("plan.schema.json");
    let errors: Vec<String> = validator
        .iter_errors(&plan)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
}
