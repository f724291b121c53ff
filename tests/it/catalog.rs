//! Event catalogs: contract violations in playbooks, `catalog check`,
//! `catalog list`, `catalog diff`, and the catalog-specialised schema.
//!
//! Fixtures under tests/fixtures/catalog/: `events/` is a catalog, the
//! playbooks in `violations/` break it one way each and `check/` holds one
//! broken definition file per `catalog check` error; each names the code it
//! must produce on its first line (`# expect: CODE`), and the exact
//! diagnostics are snapshot-tested. `diff/old` and `diff/new` differ in
//! every way `catalog diff` knows.

use std::path::PathBuf;

use clap::Parser;
use indexmap::IndexMap;
use ivschat_playbook::app::{Cli, Io, dispatch};
use ivschat_playbook::catalog::diff::{ChangeKind, diff};
use ivschat_playbook::catalog::load::load_paths;
use ivschat_playbook::diag::{DiagFormat, Severity};
use ivschat_playbook::pipeline::{Planned, plan_files};
use ivschat_playbook::plan::SettingsOverrides;

use crate::files::{expected_code, expected_diagnostic, fixtures, root};

fn plan(paths: &[PathBuf]) -> Planned {
    plan_files(paths, &IndexMap::new(), &SettingsOverrides::default(), true)
}

/// Runs the command line in-process: (exit code, stdout, stderr).
fn cli(args: &[&str]) -> (i32, String, String) {
    let parsed =
        Cli::try_parse_from(std::iter::once("ivschat-playbook").chain(args.iter().copied()))
            .unwrap_or_else(|e| panic!("{args:?}: {e}"));
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = dispatch(
        parsed.command,
        &mut Io {
            out: &mut out,
            err: &mut err,
            color: false,
        },
    )
    .unwrap();
    (
        i32::from(code.code()),
        String::from_utf8(out).unwrap(),
        String::from_utf8(err).unwrap(),
    )
}

macro_rules! snapshot {
    ($name:expr, $value:expr) => {
        insta::with_settings!({snapshot_path => "../snapshots", prepend_module_to_snapshot => false, omit_expression => true}, {
            insta::assert_snapshot!($name, $value);
        });
    };
}

// ---------------------------------------------------------------------------
// Playbooks that break their contracts.

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

// ---------------------------------------------------------------------------
// `catalog check`.

#[test]
fn every_check_fixture_reports_its_code_at_a_place() {
    let files = fixtures("tests/fixtures/catalog/check");
    assert!(files.len() >= 12, "only {} fixtures", files.len());
    let mut failures = Vec::new();
    for path in &files {
        let expect = expected_code(path);
        let loaded = load_paths(&[path.display().to_string()]);
        match loaded.diagnostics.iter().find(|d| d.code == expect) {
            None => failures.push(format!(
                "{}: expected {expect}, got {:?}",
                path.display(),
                loaded
                    .diagnostics
                    .iter()
                    .map(|d| d.code)
                    .collect::<Vec<_>>()
            )),
            Some(d) if d.location.is_none() => {
                failures.push(format!("{}: {expect} has no location", path.display()))
            }
            Some(_) => {}
        }
        let (code, _, _) = cli(&["catalog", "check", &path.display().to_string()]);
        assert_eq!(code, 2, "{}", path.display());
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn check_diagnostics_match_snapshots() {
    for path in fixtures("tests/fixtures/catalog/check") {
        let loaded = load_paths(&[path.display().to_string()]);
        let text = loaded
            .sources
            .render(&loaded.diagnostics, DiagFormat::Human, false);
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        snapshot!(format!("catalog_check__{name}"), text);
    }
}

#[test]
fn check_formats_and_exit_codes() {
    let (code, out, err) = cli(&["catalog", "check", "playbooks/events/"]);
    assert_eq!((code, out.as_str()), (0, ""));
    assert_eq!(
        err,
        "valid: 0 errors, 0 warnings in 2 files (3 definitions)\n"
    );
    let bad = "tests/fixtures/catalog/check/invalid-default.yaml";
    let (code, out, _) = cli(&["catalog", "check", "--format", "json", bad]);
    assert_eq!(code, 2);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v[0]["code"], "catalog::invalid-default");
    assert_eq!(
        (v[0]["line"].as_u64(), v[0]["column"].as_u64()),
        (Some(7), Some(14))
    );
    let (code, out, _) = cli(&["catalog", "check", "--format", "github", bad]);
    assert_eq!(code, 2);
    assert!(
        out.starts_with("::error file=tests/fixtures/catalog/check/invalid-default.yaml,line=7,col=14,endColumn=19,title=catalog%3A%3Ainvalid-default::"),
        "{out}"
    );
    // Missing paths and empty folders.
    let empty = tempfile::tempdir().unwrap();
    let (code, _, err) = cli(&[
        "catalog",
        "check",
        "tests/fixtures/catalog/nowhere.yaml",
        &empty.path().display().to_string(),
        "tests/fixtures/catalog/none-*.yaml",
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("catalog::file-not-found"), "{err}");
    assert_eq!(err.matches("catalog::no-files").count(), 2, "{err}");
}

#[test]
fn unreadable_definition_files_are_diagnostics() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("latin1.yaml"), b"name: Caf\xe9\n").unwrap();
    std::fs::write(dir.path().join("list.yaml"), "- name: A\n").unwrap();
    std::fs::write(dir.path().join("syntax.yaml"), "name: [A\n").unwrap();
    std::fs::write(dir.path().join("many.yaml"), "name: A\n---\nname: B\n").unwrap();
    let loaded = load_paths(&[dir.path().display().to_string()]);
    let mut codes: Vec<&str> = loaded.diagnostics.iter().map(|d| d.code).collect();
    codes.sort_unstable();
    assert_eq!(
        codes,
        vec![
            "catalog::wrong-type",
            "playbook::not-utf8",
            "yaml::multiple-documents",
            "yaml::syntax"
        ]
    );
    assert!(loaded.catalog.incomplete);
}

#[test]
fn duplicates_across_files_are_found() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.yaml"), "name: A\nversion: 2\n").unwrap();
    std::fs::write(
        dir.path().join("b.yaml"),
        "definitions:\n  - name: A\n  - name: A\n    version: 2\n",
    )
    .unwrap();
    let loaded = load_paths(&[dir.path().display().to_string()]);
    let codes: Vec<&str> = loaded.diagnostics.iter().map(|d| d.code).collect();
    assert_eq!(codes, vec!["catalog::duplicate-definition"]);
    assert_eq!(loaded.diagnostics[0].related.len(), 1);
}

// ---------------------------------------------------------------------------
// `catalog list`.

#[test]
fn list_shows_names_versions_and_attributes() {
    let (code, out, err) = cli(&["catalog", "list", "playbooks/events/"]);
    assert_eq!((code, err.as_str()), (0, ""));
    snapshot!("catalog_list", out);
    let (code, out, _) = cli(&[
        "catalog",
        "list",
        "--format",
        "json",
        "playbooks/events/*.yaml",
    ]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let labels: Vec<String> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            format!(
                "{}@{} latest={}",
                d["name"].as_str().unwrap(),
                d["version"],
                d["latest"]
            )
        })
        .collect();
    assert_eq!(
        labels,
        vec![
            "FeatureAnnouncement@1 latest=true",
            "SystemMessage@1 latest=false",
            "SystemMessage@2 latest=true"
        ]
    );
    assert_eq!(v[2]["required"], serde_json::json!(["msgType", "msgText"]));
    assert_eq!(v[2]["attributes"]["severity"]["default"], "info");
    let (code, _, err) = cli(&[
        "catalog",
        "list",
        "tests/fixtures/catalog/check/unknown-key.yaml",
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("catalog::unknown-key"));
}

// ---------------------------------------------------------------------------
// `catalog diff`.

const OLD: &str = "tests/fixtures/catalog/diff/old";
const NEW: &str = "tests/fixtures/catalog/diff/new";

#[test]
fn diff_reports_every_kind_of_change() {
    let old = load_paths(&[OLD.to_string()]);
    let new = load_paths(&[NEW.to_string()]);
    assert!(old.diagnostics.is_empty() && new.diagnostics.is_empty());
    let changes = diff(&old.catalog, &new.catalog);
    // Each kind with the definition and attribute it must be reported for.
    let expected: &[(ChangeKind, &str, Option<&str>)] = &[
        (ChangeKind::DefinitionRemoved, "Countdown@1", None),
        (ChangeKind::AttributeRemoved, "Banner@1", Some("legacy")),
        (
            ChangeKind::AttributeNowRequired,
            "Banner@1",
            Some("msgText"),
        ),
        (
            ChangeKind::RequiredAttributeAdded,
            "Banner@1",
            Some("priority"),
        ),
        (
            ChangeKind::RequiredAttributeAdded,
            "Alert (unpinned `use: Alert`)",
            Some("level"),
        ),
        (ChangeKind::EnumValueRemoved, "Banner@1", Some("msgType")),
        (ChangeKind::EnumAdded, "Banner@1", Some("colour")),
        (ChangeKind::MaxLengthDecreased, "Limits@1", Some("a")),
        (ChangeKind::MinLengthIncreased, "Limits@1", Some("c")),
        (ChangeKind::MaxBytesDecreased, "Limits@1", Some("e")),
        (ChangeKind::PatternChanged, "Limits@1", Some("g")),
        (ChangeKind::UnknownAttributesDisallowed, "Reaction@1", None),
        (ChangeKind::DefinitionAdded, "Alert@2", None),
        (
            ChangeKind::LatestVersionChanged,
            "Alert (unpinned `use: Alert`)",
            None,
        ),
        (ChangeKind::OptionalAttributeAdded, "Banner@1", Some("icon")),
        (ChangeKind::AttributeUndeclared, "Poll@1", Some("question")),
        (ChangeKind::AttributeNowOptional, "Banner@1", Some("footer")),
        (ChangeKind::EnumValueAdded, "Banner@1", Some("msgType")),
        (ChangeKind::EnumRemoved, "Banner@1", Some("style")),
        (ChangeKind::MaxLengthIncreased, "Limits@1", Some("b")),
        (ChangeKind::MinLengthDecreased, "Limits@1", Some("d")),
        (ChangeKind::MaxBytesIncreased, "Limits@1", Some("f")),
        (ChangeKind::PatternRemoved, "Limits@1", Some("h")),
        (ChangeKind::UnknownAttributesAllowed, "Poll@1", None),
        (ChangeKind::DescriptionChanged, "Banner@1", None),
        (ChangeKind::DescriptionChanged, "Banner@1", Some("msgText")),
        (ChangeKind::DefaultChanged, "Limits@1", Some("i")),
    ];
    let found: Vec<(ChangeKind, String, Option<&str>)> = changes
        .iter()
        .map(|c| (c.kind, c.subject(), c.attribute.as_deref()))
        .collect();
    for (kind, subject, attr) in expected {
        assert!(
            found.contains(&(*kind, subject.to_string(), *attr)),
            "missing {kind:?} for {subject} {attr:?} in {found:#?}"
        );
    }
    assert_eq!(found.len(), expected.len(), "{found:#?}");
    for kind in ChangeKind::ALL {
        assert!(
            expected.iter().any(|(k, _, _)| k == kind),
            "{kind:?} has no case"
        );
    }
    assert_eq!(ChangeKind::ALL.iter().filter(|k| k.breaking()).count(), 11);
    assert_eq!(ChangeKind::MaxBytesIncreased.name(), "max-bytes-increased");
}

#[test]
fn diff_output_and_exit_codes() {
    let (code, out, err) = cli(&["catalog", "diff", OLD, NEW]);
    assert_eq!((code, err.as_str()), (1, ""), "breaking changes exit 1");
    snapshot!("catalog_diff", out);
    let (code, out, _) = cli(&["catalog", "diff", "--format", "json", OLD, NEW]);
    assert_eq!(code, 1);
    snapshot!("catalog_diff_json", out);
    let (code, out, _) = cli(&["catalog", "diff", "--format", "github", OLD, NEW]);
    assert_eq!(code, 1);
    assert!(
        out.lines()
            .all(|l| l.starts_with("::error ") || l.starts_with("::notice "))
    );
    assert_eq!(out.matches("::error ").count(), 12);
    // Only non-breaking changes: exit 0. The reverse direction of a pure
    // addition, and identical catalogs.
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a.yaml"), dir.path().join("b.yaml"));
    std::fs::write(&a, "name: N\nattributes:\n  x: { enum: [a] }\n").unwrap();
    std::fs::write(&b, "name: N\nattributes:\n  x: { enum: [a, b] }\n  y: {}\n").unwrap();
    let (a, b) = (a.display().to_string(), b.display().to_string());
    let (code, out, _) = cli(&["catalog", "diff", &a, &b]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.ends_with("0 breaking changes, 2 non-breaking changes\n"),
        "{out}"
    );
    let (code, out, _) = cli(&["catalog", "diff", &b, &b]);
    assert_eq!(
        (code, out.as_str()),
        (0, "0 breaking changes, 0 non-breaking changes\n")
    );
    let (code, _, _) = cli(&["catalog", "diff", &b, &a]);
    assert_eq!(code, 1);
    // Invalid input: exit 2, no diff.
    let (code, out, err) = cli(&[
        "catalog",
        "diff",
        &a,
        "tests/fixtures/catalog/check/unknown-key.yaml",
    ]);
    assert_eq!((code, out.as_str()), (2, ""));
    assert!(err.contains("catalog::unknown-key"), "{err}");
}

// ---------------------------------------------------------------------------
// The specialised schema.

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
