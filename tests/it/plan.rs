//! Plans: snapshots of the examples, stable ids and hash, ordering.

use std::path::Path;

use indexmap::IndexMap;
use ivschat_playbook::pipeline::plan_files;
use ivschat_playbook::plan::{Plan, SettingsOverrides, render_table};

use crate::support::fixtures::{fixtures, root};

fn plan_of(paths: &[&Path], vars: &[(&str, &str)]) -> Plan {
    let vars: IndexMap<String, String> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let paths: Vec<_> = paths.iter().map(|p| p.to_path_buf()).collect();
    // A fixed time now: a timeline's anchor is chosen from it.
    let flags = SettingsOverrides {
        now: Some(chrono::DateTime::parse_from_rfc3339("2026-12-01T19:00:00+00:00").unwrap()),
        ..Default::default()
    };
    let planned = plan_files(&paths, None, &vars, &flags, true);
    assert!(!planned.has_errors(), "{:?}", planned.diagnostics);
    planned.plan.unwrap()
}

#[test]
fn example_plans_match_snapshots() {
    for path in fixtures("playbooks") {
        let plan = plan_of(&[&path], &[]);
        let mut table = Vec::new();
        render_table(&plan, &mut table).unwrap();
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        insta::with_settings!({snapshot_path => "../snapshots", prepend_module_to_snapshot => false, omit_expression => true}, {
            insta::assert_snapshot!(format!("plan__{name}"), String::from_utf8(table).unwrap());
            insta::assert_json_snapshot!(format!("plan_json__{name}"), plan);
        });
    }
}

fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

const A: &str = "arn:aws:ivschat:us-west-2:123456789012:room/";

#[test]
fn ids_are_stable_and_depend_only_on_content() {
    let dir = tempfile::tempdir().unwrap();
    let base = format!(
        "version: 1\nrooms: [{A}aaaa, {A}bbbb]\nevents:\n  - name: One\n    attributes: {{ k: v }}\n  - name: Two\n"
    );
    let p = write(dir.path(), "p.yaml", &base);
    let first = plan_of(&[&p], &[]);
    let again = plan_of(&[&p], &[]);
    assert_eq!(first, again, "same playbook, same plan");
    // Plan order is room by room, each room's events in playbook order.
    let order: Vec<String> = first
        .sends
        .iter()
        .map(|s| format!("{}:{}", s.room_name, s.event_name))
        .collect();
    assert_eq!(order, vec!["aaaa:One", "aaaa:Two", "bbbb:One", "bbbb:Two"]);
    // Changing event Two leaves event One's ids alone and changes the hash.
    write(
        dir.path(),
        "p.yaml",
        &base.replace("name: Two", "name: Three"),
    );
    let changed = plan_of(&[&p], &[]);
    assert_eq!(first.sends[0].id, changed.sends[0].id);
    assert_ne!(first.sends[1].id, changed.sends[1].id);
    assert_eq!(first.sends[2].id, changed.sends[2].id);
    assert_ne!(first.sends[3].id, changed.sends[3].id);
    assert_ne!(first.overview.plan_hash, changed.overview.plan_hash);
}

#[test]
fn identical_sends_to_one_room_get_distinct_ids_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        dir.path(),
        "p.yaml",
        &format!(
            "version: 1\nrooms: [{A}aaaa]\nevents:\n  - name: Ping\n  - name: Ping\n  - name: Ping\n"
        ),
    );
    let plan = plan_of(&[&p], &[]);
    let ids: std::collections::HashSet<_> = plan.sends.iter().map(|s| &s.id).collect();
    assert_eq!(ids.len(), 3);
    assert_eq!(
        plan.sends.iter().map(|s| s.seq).collect::<Vec<_>>(),
        vec![0, 1, 2]
    );
}

#[test]
fn plan_is_room_by_room_in_playbook_order_and_targets_select() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        dir.path(),
        "p.yaml",
        &format!(
            "version: 1
rooms:
  - {{ arn: {A}r1, name: one, tags: [eu, beta] }}
  - {{ arn: {A}r2, name: two, tags: [eu] }}
  - {{ arn: {A}r3, name: three, tags: [us, beta] }}
events:
  - name: A
  - name: B
    to: {{ tags: [us, eu] }}
  - name: C
    to: {{ all_tags: [eu, beta] }}
  - name: D
    to: {{ tags: [beta], all_tags: [us] }}
  - name: E
    to: [three, one]
"
        ),
    );
    let plan = plan_of(&[&p], &[]);
    let got: Vec<String> = plan
        .sends
        .iter()
        .map(|s| format!("{}:{}", s.event_name, s.room_name))
        .collect();
    assert_eq!(
        got,
        vec![
            "A:one", "B:one", "C:one", "E:one", "A:two", "B:two", "A:three", "B:three", "D:three",
            "E:three"
        ]
    );
    assert_eq!(
        plan.sends.iter().map(|s| s.seq).collect::<Vec<_>>(),
        (0..10).collect::<Vec<_>>()
    );
}

#[test]
fn variables_resolve_with_documented_precedence() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        dir.path(),
        "p.yaml",
        &format!(
            "version: 1
name: prec
vars: {{ a: playbook, b: playbook, c: playbook, d: playbook }}
rooms:
  - {{ arn: {A}r1, name: one, vars: {{ b: room, c: room, d: room }} }}
events:
  - name: E
    vars: {{ c: event, d: event }}
    attributes:
      v: \"{{{{ a }}}} {{{{ b }}}} {{{{ c }}}} {{{{ d }}}} {{{{ room.id }}}} {{{{ room.region }}}} {{{{ room.account }}}} {{{{ event.name }}}} {{{{ playbook.name }}}}\"
"
        ),
    );
    let plan = plan_of(&[&p], &[("d", "cli")]);
    assert_eq!(
        plan.sends[0].attributes["v"],
        "playbook room event cli r1 us-west-2 123456789012 E prec"
    );
}

#[test]
fn summary_groups_by_account_and_region_and_estimates() {
    let path = root().join("playbooks/maintenance-window.yaml");
    let plan = plan_of(&[&path], &[]);
    let s = &plan.overview.summary;
    assert_eq!(s.sends, plan.sends.len());
    assert!(s.regions.len() >= 3);
    assert_eq!(s.regions.iter().map(|r| r.sends).sum::<usize>(), s.sends);
    let largest = s.largest_payload.as_ref().unwrap();
    assert_eq!(
        largest.bytes,
        plan.sends.iter().map(|x| x.bytes).max().unwrap()
    );
    assert_eq!(plan.overview.settings.rate, 50.0);
}

#[test]
fn sends_are_counted_per_playbook_even_when_names_repeat() {
    let dir = tempfile::tempdir().unwrap();
    let one = write(
        dir.path(),
        "a.yaml",
        &format!("version: 1\nname: same\nrooms: [{A}aaaa]\nevents: [{{name: One}}]\n"),
    );
    let two = write(
        dir.path(),
        "b.yaml",
        &format!("version: 1\nname: same\nrooms: [{A}bbbb, {A}cccc]\nevents: [{{name: Two}}]\n"),
    );
    let plan = plan_of(&[&one, &two], &[]);
    let counts: Vec<usize> = plan.overview.playbooks.iter().map(|p| p.sends).collect();
    assert_eq!(counts, vec![1, 2]);
}

/// What the scan reuses across rooms (a rendering shared by rooms that
/// give a template the same values, or one made with a stand-in for a name
/// the template only prints) is what rendering each room on its own gives.
#[test]
fn reused_renderings_are_each_rooms_own() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = String::from(
        "version: 1\nname: reuse\nvars:\n  minutes: 15\n  product: Example\n  locale: en\n  ratio: 1.5\nrooms:\n",
    );
    let regions = ["us-east-1", "eu-west-1", "ap-south-1"];
    for i in 0..240 {
        let name = match i % 6 {
            0 => format!("room-{i}"),
            1 => format!("Räum {i} 'q'"),
            2 => format!("r{i}~/{{{{x}}}}"),
            3 => format!("{i}"),
            4 => format!("ROOM {i:04}"),
            _ => format!("r{i} \u{FDD0}0\u{FDD1}"),
        };
        let mut vars = Vec::new();
        if i % 3 == 0 {
            vars.push("locale: de".to_string());
        }
        if i % 4 == 0 {
            vars.push("minutes: 30".to_string());
        }
        match i % 5 {
            0 => vars.push("n: 7".to_string()),
            1 => vars.push("n: seven".to_string()),
            2 => vars.push("n: 7.0".to_string()),
            _ => {}
        }
        if i % 11 == 0 {
            vars.push(format!("locale: {}", yaml_quoted("x\u{FDD0}0\u{FDD1}")));
            vars.retain(|v| v != "locale: de");
        }
        if i % 13 == 0 {
            vars.push("product: Other".to_string());
        }
        s.push_str(&format!(
            "  - arn: arn:aws:ivschat:{}:12345678901{}:room/R{i}\n    name: {}\n    tags: [t{}, u]\n    vars: {{ {} }}\n",
            regions[i % 3],
            i % 2,
            yaml_quoted(&name),
            i % 4,
            vars.join(", ")
        ));
    }
    s.push_str("events:\n");
    let templates = [
        "{% if locale == 'de' %}Raum {{ room.name }} in {{ minutes }}{% else %}Room {{ room.name }} in {{ minutes }}{% endif %}",
        "{{ room.region }}/{{ room.account }}",
        "{{ product }} {{ ratio }} {{ event.name }}",
        "{{ room.name | upper }}",
        "{{ n | default('none') }} {{ room.id }} {{ n is number }}",
        "{% for t in room.tags %}{{ t }},{% endfor %}{{ room.name }}{{- room.name }}",
        "{{ room.name ~ '!' }} {{ room.name }}",
        "{{ room.tags }} {{ locale }}",
        "{{ room.name }}{% if room.name | length > 6 %}+{% endif %}",
        "{{ minutes }}{{ room.arn }}",
    ];
    for (e, t) in templates.iter().enumerate() {
        s.push_str(&format!(
            "  - name: E{e}\n    attributes:\n      a: {}\n      plain: p{e}\n",
            yaml_quoted(t)
        ));
    }
    let path = write(dir.path(), "reuse.yaml", &s);
    let mut sends = Vec::new();
    let scanned = ivschat_playbook::pipeline::scan_files(
        std::slice::from_ref(&path),
        None,
        &IndexMap::new(),
        &SettingsOverrides::default(),
        |s| {
            // A send serializes as its `PlannedSend` does.
            let direct = serde_json::to_string(s).unwrap();
            assert_eq!(direct, serde_json::to_string(&s.to_send()).unwrap());
            sends.push(s.to_send())
        },
    );
    assert!(!scanned.has_errors(), "{:?}", scanned.diagnostics);
    assert_eq!(sends.len(), 240 * templates.len());
    // `room_sends` renders each room's sends afresh, reusing nothing.
    let again: Vec<_> = scanned
        .plan
        .rooms()
        .iter()
        .flat_map(|r| scanned.plan.room_sends(r))
        .collect();
    assert_eq!(sends, again);
    // `plan --format json` writes the sends as it renders them again: the
    // bytes of the plan document written from the kept sends.
    let mut streamed = Vec::new();
    ivschat_playbook::plan::write_json_scanned(&scanned.plan, &mut streamed).unwrap();
    let mut kept = Vec::new();
    ivschat_playbook::plan::write_json(&plan_of(&[&path], &[]), &mut kept).unwrap();
    assert_eq!(
        String::from_utf8(streamed).unwrap(),
        String::from_utf8(kept).unwrap()
    );
}

/// A YAML single-quoted scalar.
fn yaml_quoted(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}
