//! The catalog-specialised schema (`schema --catalog`) for editors: it
//! rejects what validation rejects where JSON Schema can say so.

use crate::support::fixtures::{expected_code, fixtures, root};

use super::cli;

/// Codes whose rule the specialised schema expresses for values written
/// without template syntax. `too-many-bytes` is not among them: JSON Schema
/// counts characters, so the schema only flags values with more characters
/// than `max_bytes`.
const SCHEMA_CODES: &[&str] = &[
    "catalog::unknown-attribute",
    "catalog::missing-required-attribute",
    "catalog::value-not-in-enum",
    "catalog::pattern-mismatch",
    "catalog::too-short",
    "catalog::unknown-event-definition",
    "catalog::unknown-version",
    "catalog::no-definition",
    "catalog::name-mismatch",
];

fn specialised(catalog: &str) -> jsonschema::Validator {
    let (code, out, err) = cli(&["schema", "--catalog", catalog]);
    assert_eq!(code, 0, "{err}");
    jsonschema::validator_for(&serde_json::from_str(&out).unwrap()).unwrap()
}

fn yaml(text: &str) -> serde_json::Value {
    let v: serde_yaml::Value = serde_yaml::from_str(text).unwrap();
    serde_json::to_value(v).unwrap()
}

#[test]
fn specialised_schema_rejects_what_validation_rejects() {
    let schema = specialised("tests/fixtures/catalog/events/*.yaml");
    let mut checked = 0;
    for path in fixtures("tests/fixtures/catalog/violations") {
        let text = std::fs::read_to_string(root().join(&path)).unwrap();
        let code = expected_code(&path);
        let value = yaml(&text);
        let templated = text.contains("{{");
        if !text.contains("catalog: ../events/*.yaml") {
            continue;
        }
        if SCHEMA_CODES.contains(&code.as_str()) && !templated {
            assert!(
                !schema.is_valid(&value),
                "the specialised schema accepts {} ({code})",
                path.display()
            );
            checked += 1;
        } else if templated {
            // Only rendering knows: an editor must not flag templates.
            assert!(schema.is_valid(&value), "{}", path.display());
        }
    }
    assert!(checked >= 9, "only {checked} fixtures checked");
    // What validation accepts, the schema accepts.
    let example = specialised("playbooks/events/");
    let text = std::fs::read_to_string(root().join("playbooks/release-announcement.yaml")).unwrap();
    let errors: Vec<String> = example
        .iter_errors(&yaml(&text))
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
    // Static values over max_length, and more characters than max_bytes.
    let base = "version: 1\ncatalog: ../events/*.yaml\nrooms: [arn:aws:ivschat:us-west-2:123456789012:room/aaaa]\nevents:\n";
    for (event, valid) in [
        (
            "  - use: SystemMessage@1\n    attributes: { msgType: maintenance, msgText: ok }\n",
            true,
        ),
        (
            &*format!(
                "  - use: SystemMessage@1\n    attributes: {{ msgType: maintenance, msgText: {} }}\n",
                "x".repeat(41)
            ),
            false,
        ),
        (
            "  - use: Reaction\n    attributes: { emoji: 12345, extra: any }\n",
            false,
        ),
        (
            "  - use: Reaction\n    attributes: { emoji: \"🎉\", extra: any }\n",
            true,
        ),
        (
            "  - use: SystemMessage\n    attributes: { msgType: \"{{ t }}\", msgText: ok-ok }\n",
            true,
        ),
    ] {
        assert_eq!(
            schema.is_valid(&yaml(&format!("{base}{event}"))),
            valid,
            "{event}"
        );
    }
    // A broken catalog gives no schema.
    let (code, out, err) = cli(&[
        "schema",
        "--catalog",
        "tests/fixtures/catalog/check/invalid-default.yaml",
    ]);
    assert_eq!((code, out.as_str()), (2, ""));
    assert!(err.contains("catalog::invalid-default"));
}
