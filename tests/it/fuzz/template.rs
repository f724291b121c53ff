//! Attribute templates: a mutated template string, quoted, as an
//! attribute of a valid playbook (one event sent as written, one held to an
//! event definition), planned for rooms with variables and tags. Template
//! errors and runaway templates are diagnostics, never a panic.

use indexmap::IndexMap;
use ivschat_playbook::diag::DiagFormat;
use ivschat_playbook::pipeline::plan_files;
use ivschat_playbook::plan::SettingsOverrides;

use super::{Fuzz, Project, doc_yaml_blocks, yaml_seeds};

/// Template strings written in the repository's playbooks, fixtures and
/// docs, and a few more.
fn template_seeds() -> Vec<Vec<u8>> {
    fn walk(v: &serde_yaml::Value, out: &mut Vec<Vec<u8>>) {
        match v {
            serde_yaml::Value::String(s)
                if s.contains("{{") || s.contains("{%") || s.contains("{#") =>
            {
                out.push(s.as_bytes().to_vec())
            }
            serde_yaml::Value::Sequence(items) => items.iter().for_each(|i| walk(i, out)),
            serde_yaml::Value::Mapping(m) => m.values().for_each(|i| walk(i, out)),
            serde_yaml::Value::Tagged(t) => walk(&t.value, out),
            _ => {}
        }
    }
    let mut files = yaml_seeds(&["playbooks", "tests/fixtures"]);
    files.extend(doc_yaml_blocks());
    let mut out: Vec<Vec<u8>> = Vec::new();
    for f in files {
        if let Ok(v) = serde_yaml::from_slice::<serde_yaml::Value>(&f) {
            walk(&v, &mut out);
        }
    }
    for s in [
        "Hello {{ room.name }} in {{ room.region }} ({{ room.account }}/{{ room.id }})",
        "{% for t in room.tags %}{{ loop.index }}:{{ t|upper }}{% if not loop.last %},{% endif %}{% endfor %}",
        "{% set n = count|int %}{{ n * 2 }} {{ '%05d'|format(n) }} {{ (n / 3)|round(2) }}",
        "{{ feature ~ ' ' ~ event.name ~ ' ' ~ playbook.name }}",
        "{% macro m(x) %}[{{ x }}]{% endmacro %}{{ m(feature) }}",
        "{{ big * big * big }} {{ items|join(', ') }} {{ items[0] }} {{ items[-1] }}",
        "{{ '{{' }} {# a comment #} {% raw %}{{ x }}{% endraw %}",
        "{{ feature|truncate(5) }} {{ url|urlencode }} {{ locale is defined }}",
        "{{ undefined_name }}",
        "{% for i in range(100000) %}{{ i }}{% endfor %}",
        "plain text, no template",
        "",
    ] {
        out.push(s.as_bytes().to_vec());
    }
    out.sort();
    out.dedup();
    out
}

/// A valid playbook with `template` as attribute values; its catalog is
/// the catalog fixtures' `events/` (`../events/*.yaml` from `p/`).
fn playbook(template: &str) -> String {
    let quoted = serde_json::to_string(template).unwrap();
    format!(
        "version: 1
name: fuzz
catalog: ../events/*.yaml
vars:
  feature: Reactions
  url: https://example.com/a?b=c&d
  count: 3
  big: 9223372036854775807
  ratio: 1.5
  flag: true
rooms:
  - arn: arn:aws:ivschat:us-west-2:123456789012:room/AbCdEf123456
    name: one
    tags: [beta, lobby]
    vars: {{ locale: ja, count: -1 }}
  - arn: arn:aws:ivschat:eu-west-1:210987654321:room/g1H2I3j4k5L6
    tags: []
    vars: {{ locale: en }}
events:
  - name: Fuzz
    vars:
      items: x
    attributes:
      msgText: {quoted}
      other: \"{{{{ feature }}}}\"
  - use: SystemMessage@2
    attributes:
      msgType: maintenance
      msgText: {quoted}
      ticket: CHAT-1234
"
    )
}

#[test]
fn planning_any_template_never_panics() {
    let project = Project::new();
    let path = project.input();
    // The skeleton must plan cleanly, or the fuzzer only tests a broken file.
    std::fs::write(&path, playbook("Hello {{ room.name }}")).unwrap();
    let planned = plan_files(
        std::slice::from_ref(&path),
        None,
        &IndexMap::new(),
        &SettingsOverrides::default(),
        false,
    );
    assert!(
        !planned.has_errors(),
        "{}",
        planned
            .sources
            .render(&planned.diagnostics, DiagFormat::Human, false)
    );
    Fuzz::new("template")
        .seeds(template_seeds())
        .tokens(&[
            "{{ ",
            " }}",
            "{% ",
            " %}",
            "{%- ",
            " -%}",
            "{% if ",
            "{% elif ",
            "{% else %}",
            "{% endif %}",
            "{% for x in ",
            "{% endfor %}",
            "{% set ",
            "{% macro m() %}",
            "{% endmacro %}",
            "{% call m() %}",
            "{% endcall %}",
            "{% filter upper %}",
            "{% endfilter %}",
            "{% with ",
            "{% endwith %}",
            "{% include 'x' %}",
            "{% extends 'x' %}",
            "{% block b %}",
            "{% endblock %}",
            "{% raw %}",
            "{% endraw %}",
            "loop.index",
            "loop.cycle(1, 2)",
            "range(",
            "|join",
            "|int",
            "|float",
            "|round",
            "|format(",
            "|replace(",
            "|trim",
            "|indent(",
            "|tojson",
            "|safe",
            "|length",
            "|batch(",
            "|slice(",
            "|dictsort",
            "|items",
            "|sort",
            "|unique",
            "|default(",
            "|attr(",
            "|map(",
            "|select(",
            "|reverse",
            "|first",
            "|last",
            "|min",
            "|max",
            "|sum",
            "|abs",
            "|list",
            "|string",
            "|lower",
            "|title",
            "|capitalize",
            " ~ ",
            " is ",
            " not ",
            " in ",
            " and ",
            " or ",
            " if ",
            " else ",
            "**",
            "//",
            "%",
            "[0]",
            "[-1]",
            "[1:]",
            "[::2]",
            ".x",
            "()",
            "(1, 2)",
            "{'a': 1}",
            "[1, 2]",
            "none",
            "true",
            "false",
            "room",
            "room.name",
            "room.tags",
            "room.vars",
            "event.name",
            "playbook.name",
            "feature",
            "count",
            "big",
            "ratio",
            "flag",
            "items",
            "locale",
            "url",
            "namespace()",
            "self",
            "caller()",
            "varargs",
            "kwargs",
            "debug()",
            "9223372036854775807",
            "-9223372036854775808",
            "1e308",
        ])
        .max_len(4096)
        .run(|input| {
            let template = String::from_utf8_lossy(input);
            std::fs::write(&path, playbook(&template)).unwrap();
            let planned = plan_files(
                std::slice::from_ref(&path),
                None,
                &IndexMap::new(),
                &SettingsOverrides::default(),
                true,
            );
            planned
                .sources
                .render(&planned.diagnostics, DiagFormat::Human, false);
            if let Some(plan) = &planned.plan {
                serde_json::to_string(plan).unwrap();
            }
        });
}
