//! Reading event definition files (`catalog::load::load_paths`), then what
//! the `catalog` commands do with them: render the diagnostics, size the
//! smallest payload, check values against each attribute, and diff against
//! the fixtures' catalog both ways.

use ivschat_playbook::catalog::check::minimal_payload;
use ivschat_playbook::catalog::contract::check_value;
use ivschat_playbook::catalog::diff::diff;
use ivschat_playbook::catalog::load::load_paths;
use ivschat_playbook::diag::DiagFormat;

use super::{Fuzz, doc_yaml_blocks, yaml_seeds};
use crate::support::fixtures::root;

#[test]
fn loading_any_catalog_never_panics() {
    let base = load_paths(&[root()
        .join("tests/fixtures/catalog/events/*.yaml")
        .to_string_lossy()
        .into_owned()]);
    assert!(!base.catalog.definitions.is_empty());
    let mut seeds = yaml_seeds(&["tests/fixtures/catalog", "playbooks/events"]);
    seeds.extend(
        doc_yaml_blocks()
            .into_iter()
            .filter(|b| String::from_utf8_lossy(b).contains("attributes:")),
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("fuzz.yaml");
    let pattern = path.to_string_lossy().into_owned();
    Fuzz::new("catalog")
        .seeds(seeds)
        .tokens(&[
            "definitions:\n",
            "  - name: ",
            "name: SystemMessage\n",
            "version: ",
            "version: 0",
            "version: 4294967296",
            "description: ",
            "allow_unknown_attributes: true\n",
            "attributes:\n",
            "    msgText: ",
            "required: true",
            "required: false",
            "default: ",
            "enum: [",
            "enum: []",
            "pattern: ",
            "pattern: \"(a+)+$\"",
            "pattern: \"[\"",
            "pattern: \"\\\\p{Greek}+\"",
            "pattern: \"a{1000}{1000}\"",
            "pattern: \"^$\"",
            "min_length: ",
            "max_length: ",
            "max_bytes: ",
            "min_length: 2000",
            "max_length: 0",
            "max_bytes: 18446744073709551615",
            "{ required: true, min_length: 1, max_length: 40 }",
        ])
        .run(|input| {
            std::fs::write(&path, input).unwrap();
            let loaded = load_paths(std::slice::from_ref(&pattern));
            for format in [DiagFormat::Human, DiagFormat::Json, DiagFormat::Github] {
                loaded.sources.render(&loaded.diagnostics, format, false);
            }
            let mut violations = Vec::new();
            for def in &loaded.catalog.definitions {
                minimal_payload(def);
                for attr in def.attributes.values() {
                    for value in [
                        "",
                        "user-notification",
                        "CHAT-1234",
                        "ü😀",
                        &"x".repeat(1100),
                    ] {
                        check_value(attr, value, &mut violations);
                    }
                }
            }
            diff(&base.catalog, &loaded.catalog);
            diff(&loaded.catalog, &base.catalog);
        });
}
