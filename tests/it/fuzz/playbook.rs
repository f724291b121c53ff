//! Loading, validating and planning a playbook file, then rendering its
//! diagnostics in every format: whatever the bytes, diagnostics, never a
//! panic.

use indexmap::IndexMap;
use ivschat_playbook::diag::DiagFormat;
use ivschat_playbook::pipeline::plan_files;
use ivschat_playbook::plan::SettingsOverrides;

use super::{Fuzz, Project, doc_yaml_blocks, yaml_seeds};

/// Keys and values of the playbook format.
pub const PLAYBOOK_TOKENS: &[&str] = &[
    "version: 1\n",
    "version: 2\n",
    "name: ",
    "description: ",
    "rooms:\n",
    "  - ",
    "events:\n",
    "include: [",
    "include: [rooms/prod.yaml]\n",
    "include: [fuzz.yaml]\n",
    "include: [../**/*.yaml]\n",
    "catalog: events/*.yaml\n",
    "catalog: ../events/*.yaml\n",
    "strict_catalog: true\n",
    "vars:\n",
    "vars: { locale: ja }",
    "settings:\n",
    "rate: ",
    "burst: ",
    "timeout: ",
    "to: ",
    "to: { tags: [beta] }",
    "tags: ",
    "all_tags: ",
    "arn: ",
    "arn:aws:ivschat:us-west-2:123456789012:room/AbCdEf123456",
    "arn:aws:ivschat:xx-none-9:123456789012:room/",
    "use: ",
    "use: SystemMessage@2",
    "@",
    "attributes:\n",
    "msgText: ",
    "room.name",
    "room.tags",
    "event.name",
    "playbook.name",
];

#[test]
fn planning_any_playbook_never_panics() {
    let project = Project::new();
    let path = project.input();
    let mut seeds = yaml_seeds(&["playbooks", "tests/fixtures"]);
    seeds.extend(doc_yaml_blocks());
    Fuzz::new("playbook")
        .seeds(seeds)
        .tokens(PLAYBOOK_TOKENS)
        .run(|input| {
            std::fs::write(&path, input).unwrap();
            let planned = plan_files(
                std::slice::from_ref(&path),
                None,
                &IndexMap::new(),
                &SettingsOverrides::default(),
                false,
            );
            for format in [DiagFormat::Human, DiagFormat::Json, DiagFormat::Github] {
                planned.sources.render(&planned.diagnostics, format, false);
            }
        });
}
