//! Unit tests of catalog loading: one or several definitions per file,
//! schema errors in catalog words, hostile patterns.

use super::*;

fn load_text(text: &str) -> (Arc<Catalog>, Vec<Diagnostic>) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("d.yaml"), text).unwrap();
    let mut sources = Sources::default();
    let mut diags = Vec::new();
    let c = Loader::default().load(
        &[Entry {
            pattern: "*.yaml".into(),
            at: None,
        }],
        dir.path(),
        &Reach::Anywhere,
        &mut sources,
        &mut diags,
    );
    (c, diags)
}

#[test]
fn one_or_several_definitions_per_file() {
    let (c, d) = load_text("name: A\nattributes:\n  k: { required: true }\n");
    assert!(d.is_empty(), "{d:?}");
    assert_eq!(c.definitions[0].label(), "A@1");
    let (c, d) = load_text(
        "definitions:\n  - name: A\n    version: 2\n  - name: B\n    allow_unknown_attributes: true\n",
    );
    assert!(d.is_empty(), "{d:?}");
    assert_eq!(c.names(), vec!["A", "B"]);
    assert!(c.definitions[1].allow_unknown);
}

#[test]
fn schema_errors_have_catalog_codes_and_places() {
    let (c, d) = load_text("name: A\nattributes:\n  k: { requird: true, max_length: \"3\" }\n");
    let codes: Vec<&str> = d.iter().map(|d| d.code).collect();
    assert!(codes.contains(&"catalog::unknown-key"), "{codes:?}");
    assert!(codes.contains(&"catalog::wrong-type"), "{codes:?}");
    assert!(c.definitions.is_empty());
    assert!(c.broken_names.contains("A"));
    let (_, d) = load_text("- name: A\n");
    assert_eq!(d[0].code, "catalog::wrong-type");
    let (_, d) = load_text("definitions:\n  - version: 1\n");
    assert_eq!(d[0].code, "catalog::missing-key");
}

#[test]
fn hostile_patterns_are_diagnostics() {
    let (_, d) = load_text("name: A\nattributes:\n  k: { pattern: \"(\" }\n");
    assert_eq!(d[0].code, "catalog::invalid-pattern");
    let (_, d) = load_text("name: A\nattributes:\n  k: { pattern: \"(a{1000}){1000}\" }\n");
    assert_eq!(d[0].code, "catalog::invalid-pattern");
}
