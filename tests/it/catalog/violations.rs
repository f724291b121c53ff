//! Playbooks against their catalog: each contract violation reported at
//! its place (and snapshot-tested), defaults, `strict_catalog`, bad
//! `catalog:` entries, and mangled input that must never panic.

use std::path::PathBuf;

use ivschat_playbook::catalog::load::load_paths;
use ivschat_playbook::diag::{DiagFormat, Severity};

use crate::support::fixtures::{expected_diagnostic, fixtures, root};

use super::plan;
use super::snapshot;

#[test]
fn every_violation_fixture_reports_its_code_at_a_place() {
    let files = fixtures("tests/fixtures/catalog/violations");
    assert!(files.len() >= 15, "only {} fixtures", files.len());
    let mut failures = Vec::new();
    for path in &files {
        let planned = plan(std::slice::from_ref(path));
        match expected_diagnostic(path, &planned) {
            Err(failure) => failures.push(failure),
            Ok(d) => {
                assert_eq!(d.severity, Severity::Error, "{}", path.display());
                assert!(planned.plan.is_none(), "{} was planned", path.display());
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn violation_diagnostics_match_snapshots() {
    for path in fixtures("tests/fixtures/catalog/violations") {
        let planned = plan(std::slice::from_ref(&path));
        let text = planned
            .sources
            .render(&planned.diagnostics, DiagFormat::Human, false);
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        snapshot!(format!("catalog_violation__{name}"), text);
    }
}

#[test]
fn contract_violations_point_at_the_definition_too() {
    let planned = plan(&[PathBuf::from(
        "tests/fixtures/catalog/violations/value-not-in-enum.yaml",
    )]);
    let json: serde_json::Value = serde_json::from_str(&planned.sources.render(
        &planned.diagnostics,
        DiagFormat::Json,
        false,
    ))
    .unwrap();
    let d = &json[0];
    assert_eq!(d["code"], "catalog::value-not-in-enum");
    assert_eq!(
        d["message"],
        "attribute `msgType` value `notice` is not one of user-notification, maintenance"
    );
    assert_eq!(
        (d["line"].as_u64(), d["column"].as_u64()),
        (Some(8), Some(16))
    );
    let rel = &d["related"][0];
    assert_eq!(rel["file"], "tests/fixtures/catalog/events/chat.yaml");
    assert_eq!(rel["line"], 10);
    assert_eq!(rel["message"], "`enum` of `SystemMessage@2` defined here");
}

#[test]
fn defaults_fill_in_and_can_be_overridden() {
    let dir = tempfile::tempdir().unwrap();
    let events = dir.path().join("events");
    std::fs::create_dir(&events).unwrap();
    std::fs::write(
        events.join("e.yaml"),
        "name: Notice\nattributes:\n  text: { required: true }\n  level: { default: info, enum: [info, warning] }\n  raw: { default: \"{{ not a template }}\" }\n",
    )
    .unwrap();
    let p = dir.path().join("p.yaml");
    std::fs::write(
        &p,
        "version: 1\ncatalog: events/\nrooms: [arn:aws:ivschat:us-west-2:123456789012:room/aaaa]\nevents:\n  - use: Notice\n    attributes: { text: hi }\n  - use: Notice@1\n    attributes: { text: \"{{ room.id }}\", level: warning }\n",
    )
    .unwrap();
    let planned = plan(&[p]);
    assert!(!planned.has_errors(), "{:?}", planned.diagnostics);
    let sends = planned.plan.unwrap().sends;
    let attrs: Vec<Vec<(String, String)>> = sends
        .iter()
        .map(|s| s.attributes.clone().into_iter().collect())
        .collect();
    let pairs = |v: &[(&str, &str)]| -> Vec<(String, String)> {
        v.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    };
    assert_eq!(
        attrs[0],
        pairs(&[
            ("text", "hi"),
            ("level", "info"),
            ("raw", "{{ not a template }}")
        ])
    );
    assert_eq!(
        attrs[1],
        pairs(&[
            ("text", "aaaa"),
            ("level", "warning"),
            ("raw", "{{ not a template }}")
        ])
    );
    assert!(sends.iter().all(|s| s.event_name == "Notice"));
}

#[test]
fn events_without_use_keep_working_and_strict_requires_use() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("e.yaml"),
        "name: Notice\nattributes:\n  text: { required: true }\n",
    )
    .unwrap();
    let body = "rooms: [arn:aws:ivschat:us-west-2:123456789012:room/aaaa]\nevents:\n  - name: Notice\n    attributes: { anything: goes }\n";
    let p = dir.path().join("p.yaml");
    std::fs::write(&p, format!("version: 1\ncatalog: e.yaml\n{body}")).unwrap();
    assert!(!plan(std::slice::from_ref(&p)).has_errors());
    std::fs::write(
        &p,
        format!("version: 1\ncatalog: e.yaml\nstrict_catalog: true\n{body}"),
    )
    .unwrap();
    let planned = plan(std::slice::from_ref(&p));
    let codes: Vec<&str> = planned.diagnostics.iter().map(|d| d.code).collect();
    assert_eq!(codes, vec!["catalog::no-definition"]);
}

#[test]
fn a_shared_catalog_is_read_once_and_its_problems_reported_once() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("events")).unwrap();
    std::fs::write(
        dir.path().join("events/a.yaml"),
        "name: Notice\nattributes:\n  level: { default: fatal, enum: [info] }\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("events/b.yaml"), "name: Notice\n").unwrap();
    let pb = "version: 1\ncatalog: events/*.yaml\nrooms: [arn:aws:ivschat:us-west-2:123456789012:room/aaaa]\nevents:\n  - use: Notice\n";
    std::fs::write(dir.path().join("one.yaml"), pb).unwrap();
    std::fs::write(dir.path().join("two.yaml"), pb).unwrap();
    let planned = plan(&[dir.path().to_path_buf()]);
    let codes: Vec<&str> = planned.diagnostics.iter().map(|d| d.code).collect();
    assert_eq!(
        codes,
        vec!["catalog::invalid-default", "catalog::duplicate-definition"],
        "each problem once, though two playbooks use the catalog"
    );
}

#[test]
fn bad_catalog_entries_are_diagnostics() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("p.yaml");
    std::fs::create_dir(dir.path().join("empty")).unwrap();
    let events =
        "rooms: [arn:aws:ivschat:us-west-2:123456789012:room/aaaa]\nevents:\n  - use: Notice\n";
    for (catalog, code) in [
        ("\"[a-\"", "catalog::invalid-glob"),
        ("15", "playbook::wrong-type"),
        ("[]", "playbook::schema-violation"),
        ("nowhere/", "catalog::file-not-found"),
        ("empty/", "catalog::no-files"),
    ] {
        std::fs::write(&p, format!("version: 1\ncatalog: {catalog}\n{events}")).unwrap();
        let planned = plan(std::slice::from_ref(&p));
        let codes: Vec<&str> = planned.diagnostics.iter().map(|d| d.code).collect();
        assert_eq!(codes, vec![code], "catalog: {catalog}");
    }
    // A `use:` that is not a string is one problem, not two.
    std::fs::write(
        &p,
        "version: 1\nstrict_catalog: true\nrooms: [arn:aws:ivschat:us-west-2:123456789012:room/aaaa]\nevents:\n  - name: N\n    use: 5\n",
    )
    .unwrap();
    let planned = plan(std::slice::from_ref(&p));
    let codes: Vec<&str> = planned.diagnostics.iter().map(|d| d.code).collect();
    assert_eq!(codes, vec!["playbook::wrong-type"]);
    // An event with neither `name` nor `use`.
    std::fs::write(
        &p,
        "version: 1\nrooms: [arn:aws:ivschat:us-west-2:123456789012:room/aaaa]\nevents:\n  - attributes: { a: b }\n",
    )
    .unwrap();
    let planned = plan(std::slice::from_ref(&p));
    assert_eq!(planned.diagnostics[0].code, "playbook::missing-key");
    assert!(planned.diagnostics[0].message.contains("no `name`"));
}

#[test]
fn mangled_definitions_and_playbooks_never_panic() {
    // Every definition and violation fixture, cut at many places and with
    // bytes swapped, gives diagnostics, never a panic.
    let dir = tempfile::tempdir().unwrap();
    let events = dir.path().join("events");
    std::fs::create_dir(&events).unwrap();
    let mut files = fixtures("tests/fixtures/catalog/check");
    files.extend(fixtures("tests/fixtures/catalog/events"));
    files.extend(fixtures("playbooks/events"));
    files.extend(fixtures("tests/fixtures/catalog/diff/new"));
    let playbook = dir.path().join("p.yaml");
    std::fs::write(
        &playbook,
        "version: 1\ncatalog: events/*.yaml\nrooms: [arn:aws:ivschat:us-west-2:123456789012:room/aaaa]\nevents:\n  - use: SystemMessage\n    attributes: { msgType: notice, msgText: \"{{ room.id }}\" }\n",
    )
    .unwrap();
    let mut runs = 0;
    for path in files {
        let text = std::fs::read_to_string(root().join(&path)).unwrap();
        for cut in text.char_indices().map(|(i, _)| i).filter(|i| i % 7 == 0) {
            let mut swapped = text.clone();
            if let Some(c) = swapped[cut..].chars().next() {
                let r = match c {
                    ':' => "-",
                    '-' => ":",
                    '[' | '{' => "]",
                    '"' => "(",
                    _ => "\"",
                };
                swapped.replace_range(cut..cut + c.len_utf8(), r);
            }
            for v in [text[..cut].to_string(), swapped] {
                std::fs::write(events.join("e.yaml"), v).unwrap();
                let _ = plan(std::slice::from_ref(&playbook));
                let _ = load_paths(&[events.display().to_string()]);
                runs += 1;
            }
        }
    }
    assert!(runs > 300, "{runs}");
}
